"""The batch step of the daily pipeline: landing CSVs in the Kaggle schema -> curated transactions and quarantine.

    publish_batch(spark, layout, "2016-10-21")     # what jobs/daily_pipeline.py runs first

Write, audit, publish, with one read of the landing files:

1. Every file in ``landing/<run-date>/`` (plain or gzip CSV, the Kaggle header) is parsed once
   into staging; the **raw** Great Expectations suite checks the text as delivered (columns,
   formats, row count). A critical failure stops here: nothing is published.
2. Each row gets a reason code when it cannot be used (see ``QUARANTINE_REASONS``); IDs already
   published by another date's batch are found in the other batches' ID index.
3. Curated transactions and the quarantine are staged, and the **curated** suite checks the staged
   batch. Input rows = curated + quarantined is checked too.
4. Only then the batch (``warehouse/batches/ingest_date=<run-date>/``: ``transactions``,
   ``quarantine``, ``transaction_ids``, ``activity``) is published in one atomic swap
   (``bankseg.publish``). A failed gate or a killed run leaves what was published as it was; a
   batch that failed the curated gate is kept in ``warehouse/_rejected/`` for inspection.

A failed gate is not an error here: the verdict is in the gate's report, and the DAG's
``validate_raw`` / ``validate_curated`` tasks show it and fail without retries. Rerunning a date
replaces its batch whole, so it is idempotent.
"""

from __future__ import annotations

import gzip
import os
import time
from functools import reduce
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, StringType, StructField, StructType

from bankseg import credentials, marts, quality
from bankseg.features import transaction_number
from bankseg.layout import DataLayout
from bankseg.locations import PIN_PREFIX_CITIES, UNKNOWN_CITY, aliases_longest_first
from bankseg.publish import StagedUnit, read_manifest, unit_paths
from bankseg.run_records import finish_record
from bankseg.spark import timed

JOB_NAME = "etl_transactions"

RAW_COLUMNS = (
    "TransactionID",
    "CustomerID",
    "CustomerDOB",
    "CustGender",
    "CustLocation",
    "CustAccountBalance",
    "TransactionDate",
    "TransactionTime",
    "TransactionAmount (INR)",
)
# Raw columns renamed to identifiers that Hive accepts; the quarantine keeps them as text.
RAW_TO_SNAKE = {
    "TransactionID": "transaction_id_raw",
    "CustomerID": "customer_id_raw",
    "CustomerDOB": "customer_dob_raw",
    "CustGender": "gender_raw",
    "CustLocation": "location_raw",
    "CustAccountBalance": "account_balance_raw",
    "TransactionDate": "transaction_date_raw",
    "TransactionTime": "transaction_time_raw",
    "TransactionAmount (INR)": "amount_raw",
}
CORRUPT_RECORD = "_corrupt_record"

QUARANTINE_REASONS = {
    "MALFORMED_ROW": "the line has fewer or more fields than the header",
    "INVALID_ENCODING": "the line has bytes that are not UTF-8",
    "INVALID_TRANSACTION_ID": "TransactionID missing or not T<digits>",
    "INVALID_CUSTOMER_ID": "CustomerID missing or not C<digits>",
    "INVALID_TRANSACTION_DATE": "TransactionDate missing, not d/m/yy, or not a real date (31/2/16)",
    "FUTURE_TRANSACTION_DATE": "TransactionDate after the run date",
    "INVALID_TRANSACTION_TIME": "TransactionTime missing or not a valid HHMMSS time",
    "INVALID_AMOUNT": "TransactionAmount missing, not a number, or negative",
    "INVALID_BALANCE": "CustAccountBalance present but not a number, or negative",
    "ALREADY_LOADED": "the TransactionID was already published by another date's batch",
    "CONFLICTING_TRANSACTION_ID": "the same TransactionID appears with different contents",
    "DUPLICATE_ROW": "an exact copy of another row of the same run (the first copy is kept)",
}

MONEY = DecimalType(18, 2)
# What the UTF-8 decoder puts in place of bytes that are not UTF-8.
UTF8_REPLACEMENT = "\ufffd"
DOB_SENTINEL = "1/1/1800"
MISSING_DOB_TEXT = ("", "nan", "NAN", "NaN")
MIN_PLAUSIBLE_AGE, MAX_PLAUSIBLE_AGE = 18, 100


class LandingError(ValueError):
    """The landing files cannot be read as the Kaggle schema; the message says what to do."""


# ---------------------------------------------------------------- extract


def raw_schema() -> StructType:
    fields = [StructField(name, StringType()) for name in RAW_COLUMNS]
    return StructType([*fields, StructField(CORRUPT_RECORD, StringType())])


def read_header(path: str) -> list[str] | None:
    """The column names of a landing file's first line (a byte order mark dropped); None when empty."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        first_line = handle.readline()
    if not first_line.strip():
        return None
    text = first_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    return [name.strip().strip('"') for name in text.split(",")]


def header_problems(paths: list[str]) -> list[str]:
    """One sentence per file whose header is not the Kaggle header; empty when all are."""
    problems = []
    for path in paths:
        found = read_header(path)
        if found is None:
            problems.append(f"{path}: the file is empty; expected a header line {','.join(RAW_COLUMNS)}")
        elif tuple(found) != RAW_COLUMNS:
            problems.append(f"{path}: header is {found}, expected {list(RAW_COLUMNS)} in this order")
    return problems


def extract(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Every data line of the files as text columns, plus the source file and a corrupt-record column."""
    return (
        spark.read.option("header", "true")
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        .option("multiLine", "false")
        .option("encoding", "UTF-8")
        .schema(raw_schema())
        .csv(paths)
        .withColumn("source_file", F.col("_metadata.file_path"))
    )


def as_delivered(spark: SparkSession, paths: list[str]) -> DataFrame:
    """The files with the columns their own headers name, all text: what the raw gate sees when a
    header is wrong, so its verdict names the columns that differ."""
    frames = [spark.read.option("header", "true").option("encoding", "UTF-8").csv(path) for path in paths]
    # By name: a file whose header differs adds or lacks columns, which the column check reports.
    return reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)


def raw_view(parsed: DataFrame) -> DataFrame:
    """The staged parse as the landing text: the Kaggle columns, every value a string as delivered
    (trimmed, blanks as null)."""
    return parsed.select(*[F.col(snake).alias(name) for name, snake in RAW_TO_SNAKE.items()])


# ---------------------------------------------------------------- pure column transforms


def blank_to_null(column: Column) -> Column:
    trimmed = F.trim(column)
    return F.when(trimmed == "", None).otherwise(trimmed)


def parse_transaction_date(text: Column) -> Column:
    """``d/m/yy`` (or ``d/m/yyyy``) day first; two-digit years are 20yy. Null when not a real date (31/2/16)."""
    trimmed = F.trim(text)
    return F.coalesce(F.try_to_date(trimmed, "d/M/yy"), F.try_to_date(trimmed, "d/M/yyyy"))


def parse_birth_date(text: Column, transaction_date: Column) -> Column:
    """Day-first birth date with a century rule: a two-digit year is the latest 19yy/20yy not after the transaction.

    ``4/4/57`` on a 2016 transaction is 1957, never 2057; ``1/1/05`` is 2005. The sentinel
    ``1/1/1800`` and missing markers give null (``dob_status`` says which).
    """
    trimmed = F.trim(text)
    in_2000s = F.try_to_date(trimmed, "d/M/yy")
    two_digit = F.when(in_2000s <= transaction_date, in_2000s).otherwise(F.add_months(in_2000s, -1200))
    four_digit = F.try_to_date(trimmed, "d/M/yyyy")
    return F.when(trimmed != DOB_SENTINEL, F.coalesce(two_digit, four_digit))


def whole_years_between(earlier: Column, later: Column) -> Column:
    return F.floor(F.months_between(later, earlier) / 12).cast("int")


def dob_status(text: Column, birth_date: Column, transaction_date: Column) -> Column:
    """valid | missing | sentinel | unparseable | implausible (born after the transaction, or age outside 18..100)."""
    trimmed = F.trim(text)
    age = whole_years_between(birth_date, transaction_date)
    return (
        F.when(trimmed.isNull() | trimmed.isin(*MISSING_DOB_TEXT), "missing")
        .when(trimmed == DOB_SENTINEL, "sentinel")
        .when(birth_date.isNull(), "unparseable")
        .when((birth_date > transaction_date) | (age < MIN_PLAUSIBLE_AGE) | (age > MAX_PLAUSIBLE_AGE), "implausible")
        .otherwise("valid")
    )


def parse_transaction_time(text: Column) -> Column:
    """Unpadded HHMMSS (``84706`` = 08:47:06) -> seconds since midnight; null when not a valid time."""
    trimmed = F.trim(text)
    padded = F.lpad(trimmed, 6, "0")
    hours = F.substring(padded, 1, 2).try_cast("int")
    minutes = F.substring(padded, 3, 2).try_cast("int")
    seconds = F.substring(padded, 5, 2).try_cast("int")
    valid = trimmed.rlike(r"^\d{1,6}$") & (hours < 24) & (minutes < 60) & (seconds < 60)
    return F.when(valid, hours * 3600 + minutes * 60 + seconds)


def parse_money(text: Column) -> Column:
    """Plain decimals, optionally with thousands separators (``1,200.50``). Null when not a number."""
    trimmed = F.trim(text)
    plain = trimmed.rlike(r"^-?\d+(\.\d+)?$")
    grouped = trimmed.rlike(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
    return F.when(plain | grouped, F.regexp_replace(trimmed, ",", "").try_cast(MONEY))


def normalise_gender(text: Column) -> Column:
    upper = F.upper(F.trim(text))
    return F.when(upper.isin("M", "MALE"), "M").when(upper.isin("F", "FEMALE"), "F").otherwise("unknown")


def clean_location_text(text: Column) -> Column:
    """Upper case, punctuation to spaces, single spaces."""
    no_punctuation = F.regexp_replace(F.upper(text), r"[^A-Z0-9]+", " ")
    return F.trim(F.regexp_replace(no_punctuation, r"\s+", " "))


def canonical_city(raw_location: Column) -> Column:
    """The canonical city of a free-text location (rules in ``bankseg.locations``)."""
    cleaned = clean_location_text(raw_location)
    pin_prefix = F.substring(cleaned, 1, 3)
    pin_city = reduce(
        lambda chain, item: chain.when(pin_prefix == item[0], item[1]),
        PIN_PREFIX_CITIES.items(),
        F.when(F.lit(False), F.lit(None).cast("string")),
    ).otherwise(UNKNOWN_CITY)
    chain = F.when(cleaned.isNull() | (cleaned == ""), UNKNOWN_CITY).when(cleaned.rlike(r"^\d{6}$"), pin_city)
    for alias, city in aliases_longest_first():
        chain = chain.when(cleaned.rlike(f"(^| ){alias}( |$)"), city)
    before_qualifier = clean_location_text(F.split(raw_location, r"[,(]").getItem(0))
    return chain.when(raw_location.rlike(r"[,(]") & (before_qualifier != ""), before_qualifier).otherwise(cleaned)


def with_city(transactions: DataFrame) -> DataFrame:
    """Adds ``city``, evaluating the location rules once per distinct location, not once per row."""
    key = F.coalesce(F.col("location_raw"), F.lit(""))
    distinct_locations = (
        transactions.select(key.alias("location_key")).distinct().withColumn("city", canonical_city(F.col("location_key")))
    )
    return transactions.withColumn("location_key", key).join(
        F.broadcast(distinct_locations), on="location_key", how="left"
    ).drop("location_key")


# ---------------------------------------------------------------- the transform


def parse(raw: DataFrame) -> DataFrame:
    """Typed columns next to the raw text, one row per input row, no row removed."""
    renamed = raw.select(
        *[blank_to_null(F.col(f"`{name}`")).alias(snake) for name, snake in RAW_TO_SNAKE.items()],
        F.col(CORRUPT_RECORD).alias("raw_record"),
        "source_file",
    )
    txn_date = parse_transaction_date(F.col("transaction_date_raw"))
    parsed = (
        renamed.withColumn("txn_date", txn_date)
        .withColumn("txn_seconds", parse_transaction_time(F.col("transaction_time_raw")))
        .withColumn("amount", parse_money(F.col("amount_raw")))
        .withColumn("account_balance", parse_money(F.col("account_balance_raw")))
        .withColumn("customer_dob", parse_birth_date(F.col("customer_dob_raw"), F.col("txn_date")))
    )
    return parsed.withColumn(
        "dob_status", dob_status(F.col("customer_dob_raw"), F.col("customer_dob"), F.col("txn_date"))
    )


def validity_reason(run_date: str) -> Column:
    """The first reason a parsed row cannot be used, or null when it can."""
    return (
        F.when(F.col("raw_record").isNotNull(), "MALFORMED_ROW")
        .when(F.concat_ws("", *RAW_TO_SNAKE.values()).contains(UTF8_REPLACEMENT), "INVALID_ENCODING")
        .when(~F.coalesce(F.col("transaction_id_raw").rlike(r"^T\d+$"), F.lit(False)), "INVALID_TRANSACTION_ID")
        .when(~F.coalesce(F.col("customer_id_raw").rlike(r"^C\d+$"), F.lit(False)), "INVALID_CUSTOMER_ID")
        .when(F.col("txn_date").isNull(), "INVALID_TRANSACTION_DATE")
        .when(F.col("txn_date") > F.to_date(F.lit(run_date)), "FUTURE_TRANSACTION_DATE")
        .when(F.col("txn_seconds").isNull(), "INVALID_TRANSACTION_TIME")
        .when(F.col("amount").isNull() | (F.col("amount") < 0), "INVALID_AMOUNT")
        .when(
            (F.col("account_balance_raw").isNotNull() & F.col("account_balance").isNull())
            | (F.col("account_balance") < 0),
            "INVALID_BALANCE",
        )
    )


def with_validity(parsed: DataFrame, run_date: str) -> DataFrame:
    """Adds what the batch-level checks need: ``validity`` (the first reason the row itself is
    unusable, null when usable), ``content_hash`` (64-bit hash of the nine raw fields) and ``row_id``
    (unique within the batch; stable once staged)."""
    content = F.xxhash64(*[F.coalesce(F.col(c), F.lit("\u0000")) for c in RAW_TO_SNAKE.values()])
    return (
        parsed.withColumn("validity", validity_reason(run_date))
        .withColumn("content_hash", content)
        .withColumn("row_id", F.monotonically_increasing_id())
    )


def batch_flags(checked: DataFrame, loaded_ids: DataFrame | None = None) -> DataFrame:
    """``(row_id, flag)`` for the usable rows that the batch as a whole rules out, in this order:
    IDs another date's batch already published (``loaded_ids``, one ``transaction_id`` column),
    IDs that appear with different contents, and exact copies after the first (by source file).

    Only narrow columns are shuffled: the IDs that repeat within the batch are found by counting,
    and the windows then run over the rows of those IDs alone, usually a tiny fraction of the batch.
    """
    usable = checked.where(F.col("validity").isNull()).select("row_id", "transaction_id_raw", "content_hash", "source_file")
    repeated = (
        usable.groupBy("transaction_id_raw").count().where(F.col("count") > 1).select("transaction_id_raw", F.lit(True).alias("repeated"))
    )
    suspects = usable.join(repeated, on="transaction_id_raw", how="left")
    if loaded_ids is None:
        suspects = suspects.withColumn("already_loaded", F.lit(None).cast("boolean"))
    else:
        loaded = loaded_ids.select(F.col("transaction_id").alias("transaction_id_raw"), F.lit(True).alias("already_loaded"))
        suspects = suspects.join(loaded, on="transaction_id_raw", how="left")
    suspects = suspects.where(F.col("repeated") | F.col("already_loaded"))
    by_id = Window.partitionBy("transaction_id_raw")
    # Rows with the same ID and the same hash of all nine fields are copies of one another.
    by_content = Window.partitionBy("transaction_id_raw", "content_hash").orderBy("source_file", "row_id")
    conflicting = F.min("content_hash").over(by_id) != F.max("content_hash").over(by_id)
    duplicate = F.row_number().over(by_content) > 1
    flag = F.coalesce(
        F.when(F.col("already_loaded"), F.lit("ALREADY_LOADED")),
        F.when(conflicting, F.lit("CONFLICTING_TRANSACTION_ID")),
        F.when(duplicate, F.lit("DUPLICATE_ROW")),
    )
    return suspects.select("row_id", flag.alias("flag")).where(F.col("flag").isNotNull())


def with_reason(checked: DataFrame, flags: DataFrame) -> DataFrame:
    """Adds ``reason``: the row's own validity first, then the batch's flag; null for curated rows."""
    reason = F.coalesce(F.col("validity"), F.col("flag"))
    joined = checked.join(flags, on="row_id", how="left")
    return joined.withColumn("reason", reason).drop("validity", "content_hash", "row_id", "flag")


def with_quarantine_reason(parsed: DataFrame, run_date: str, loaded_ids: DataFrame | None = None) -> DataFrame:
    """Adds ``reason`` to parsed rows: the validity check, then the batch-level flags."""
    checked = with_validity(parsed, run_date)
    return with_reason(checked, batch_flags(checked, loaded_ids))


def curated_view(checked: DataFrame) -> DataFrame:
    """The curated columns of the usable rows."""
    usable = with_city(checked.where(F.col("reason").isNull()))
    valid_dob = F.col("dob_status") == "valid"
    seconds = F.col("txn_seconds")
    # Wall-clock bank time without a zone (TIMESTAMP_NTZ), so no reader shifts it by its own zone.
    txn_ts = F.make_timestamp_ntz(
        F.year("txn_date"),
        F.month("txn_date"),
        F.dayofmonth("txn_date"),
        (seconds / 3600).cast("int"),
        ((seconds % 3600) / 60).cast("int"),
        seconds % 60,
    )
    return usable.select(
        F.col("transaction_id_raw").alias("transaction_id"),
        F.col("customer_id_raw").alias("customer_id"),
        txn_ts.alias("txn_ts"),
        (seconds / 3600).cast("int").alias("txn_hour"),
        F.col("amount"),
        F.col("account_balance"),
        F.col("customer_dob"),
        F.col("dob_status"),
        F.when(valid_dob, whole_years_between(F.col("customer_dob"), F.col("txn_date"))).alias("age_at_txn"),
        normalise_gender(F.col("gender_raw")).alias("gender"),
        F.col("gender_raw"),
        F.col("city"),
        F.col("location_raw"),
        F.col("source_file"),
        F.col("txn_date"),
    )


def quarantine_view(checked: DataFrame) -> DataFrame:
    return checked.where(F.col("reason").isNotNull()).select(*RAW_TO_SNAKE.values(), "raw_record", "reason", "source_file")


# The curated columns the batch's activity mart and ID index read.
ACTIVITY_INPUTS = ("transaction_id", "customer_id", "txn_date", "city", "gender", "age_at_txn", "amount", "account_balance")


def transaction_id_range(frame: DataFrame, column: str, counted: Column | None = None) -> dict:
    """The lowest and highest TransactionID numbers of the rows of ``frame`` that are ``counted``
    (every row by default) and how many of their IDs have no number, in one job; ``rows`` counts
    every row of the frame."""
    counted = F.lit(True) if counted is None else counted
    number = F.when(counted, transaction_number(column))
    row = frame.agg(F.count("*").alias("rows"), F.min(number).alias("low"), F.max(number).alias("high"),
                    F.count_if(counted & number.isNull()).alias("unnumbered")).first()
    return row.asDict()


def transaction_id_index(curated: DataFrame) -> DataFrame:
    """The batch's TransactionIDs with their numbers, each file sorted by number: a later run's range
    filter skips, by Parquet's statistics, every row group outside the IDs it delivers."""
    return curated.select("transaction_id", transaction_number("transaction_id").alias("id_number")).sortWithinPartitions("id_number")


# ---------------------------------------------------------------- load


def landing_files(layout: DataLayout, run_date: str) -> list[str]:
    files = layout.landing_files(run_date)
    if not files:
        raise LandingError(f"no landing files for {run_date}: put *.csv or *.csv.gz files in {layout.landing_for(run_date)}/")
    return files


def fingerprint(path: str) -> tuple[int, int]:
    """Length and modification time: enough to notice a file replaced or growing during a run."""
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns


def ids_loaded_by_other_batches(spark: SparkSession, layout: DataLayout, run_date: str, bounds: dict) -> DataFrame | None:
    """TransactionIDs that other dates' batches published, within the range of this batch's usable
    IDs (``bounds``, from ``transaction_id_range``); None when no other batch can hold one. A
    batch's manifest keeps the range of its IDs (``transaction_ids``), so only the batches whose
    range meets this one's are opened, and their index files are sorted by number, so Parquet's
    statistics skip every row group outside the range: the check reads about as much as the batch
    has IDs, however many days came before."""

    def may_share_ids(date: str) -> bool:
        other = (read_manifest(Path(layout.batch(date).root)) or {}).get("transaction_ids")
        if other is None:  # published before batches kept their range
            return True
        unnumbered = bool(bounds["unnumbered"] and other["unnumbered"])
        numbered = bounds["low"] is not None and other["low"] is not None and other["low"] <= bounds["high"] and other["high"] >= bounds["low"]
        return unnumbered or numbered

    others = [layout.batch(date).transaction_ids for date in layout.batch_dates() if date != run_date and may_share_ids(date)]
    if not others:
        return None
    index = spark.read.parquet(*others)
    in_range = F.col("id_number").between(bounds["low"], bounds["high"]) if bounds["low"] is not None else F.lit(False)
    # IDs too long for a number (T followed by 20 digits) cannot be ranged: those are compared whole.
    wanted = in_range | F.col("id_number").isNull() if bounds["unnumbered"] else in_range
    return index.where(wanted).select("transaction_id")


def publish_batch(spark: SparkSession, layout: DataLayout, run_date: str) -> dict:
    started = time.monotonic()
    record_path = layout.run_record(run_date, JOB_NAME)
    # Where the time goes, for the run record.
    phase_seconds: dict[str, float] = {}
    files = landing_files(layout, run_date)
    fingerprints = {path: fingerprint(path) for path in files}
    record = {"job": JOB_NAME, "run_date": run_date, "input_files": files, "published": False, "phase_seconds": phase_seconds}
    quality.clear_reports(layout, run_date, ("raw", "curated"))
    with StagedUnit.open(unit_paths(layout.warehouse, JOB_NAME, run_date, layout.batch(run_date).root)) as unit:
        problems = header_problems(files)
        if problems:
            readable = [path for path in files if read_header(path)]
            delivered = as_delivered(spark, readable) if readable else spark.createDataFrame([], "empty string").drop("empty")
            report = quality.validate(delivered, layout, "raw", run_date, notes=problems)
            return finish_record(record_path, {**record, **quality.gate_failure(report)}, started)

        # Parse once into scratch, without a shuffle; the raw gate, the batch checks, curated and
        # quarantine are all reads of it. Staged reads pass the schema: an empty batch stages no file to infer one from.
        with timed(phase_seconds, "parse"):
            parsed = with_validity(parse(extract(spark, files)), run_date)
            parsed.write.parquet(f"{unit.scratch}/parsed")
        parsed = spark.read.schema(parsed.schema).parquet(f"{unit.scratch}/parsed")
        # Every line of the landing files is a row here; the usable rows' IDs bound the re-delivery check.
        bounds = transaction_id_range(parsed, "transaction_id_raw", counted=F.col("validity").isNull())
        rows_in = bounds.pop("rows")
        # The gates run beside the next steps (their jobs fill each other's gaps); nothing is
        # published before both verdicts are in.
        raw_gate = quality.validate_in_background(raw_view(parsed).cache(), layout, "raw", run_date)

        with timed(phase_seconds, "batch_checks"):
            flags = batch_flags(parsed, ids_loaded_by_other_batches(spark, layout, run_date, bounds))
            flags.write.parquet(f"{unit.scratch}/flags")
        checked = with_reason(parsed, spark.read.schema(flags.schema).parquet(f"{unit.scratch}/flags"))
        batch = layout.batch(run_date)
        staged = type(batch)(str(unit.staged))
        with timed(phase_seconds, "write_curated_and_quarantine"):
            # Each file sorted by transaction date: a reader filtering on dates skips the other row groups.
            curated = curated_view(checked).sortWithinPartitions("txn_date", "transaction_id")
            curated.write.parquet(staged.transactions)
            quarantine = quarantine_view(checked).coalesce(1)
            quarantine.write.parquet(staged.quarantine)
        needed = sorted({*quality.suite_columns("curated"), *ACTIVITY_INPUTS})
        staged_curated = spark.read.schema(curated.schema).parquet(staged.transactions).select(*needed).cache()
        curated_gate = quality.validate_in_background(staged_curated, layout, "curated", run_date)
        with timed(phase_seconds, "reconcile"):
            id_range = transaction_id_range(staged_curated, "transaction_id")
            curated_rows = id_range.pop("rows")
            staged_quarantine = spark.read.schema(quarantine.schema).parquet(staged.quarantine)
            quarantine_by_reason = {row["reason"]: row["count"] for row in staged_quarantine.groupBy("reason").count().collect()}
        quarantined_rows = sum(quarantine_by_reason.values())
        changed = [path for path, before in fingerprints.items() if fingerprint(path) != before]
        if changed:
            raise LandingError(
                f"{', '.join(changed)} changed while the run was reading it; nothing was published. "
                "Rerun the date once the file is complete (land files by writing elsewhere and renaming)."
            )
        if rows_in != curated_rows + quarantined_rows:
            raise RuntimeError(
                f"row counts do not reconcile for {run_date}: {rows_in} in, {curated_rows} curated, "
                f"{quarantined_rows} quarantined; nothing was published"
            )
        figures = {"rows_in": rows_in, "rows_curated": curated_rows, "rows_quarantined": quarantined_rows,
                   "quarantine_by_reason": dict(sorted(quarantine_by_reason.items())), "transaction_ids": id_range}
        with timed(phase_seconds, "index_and_activity"):
            transaction_id_index(staged_curated.coalesce(1)).write.parquet(staged.transaction_ids)
            # A few files: the dashboards read them whole, and small files would slow that down.
            marts.activity(staged_curated, credentials.customer_key_secret(layout)).coalesce(1).write.parquet(staged.activity)
        with timed(phase_seconds, "gates"):
            raw_report, curated_report = raw_gate.result(), curated_gate.result()
        staged_curated.unpersist()
        if not raw_report["success"]:
            # The curated batch was built from a delivery that failed its gate: its verdict does not count.
            quality.clear_reports(layout, run_date, ("curated",))
            return finish_record(record_path, {**record, "rows_in": rows_in, **quality.gate_failure(raw_report)}, started)
        if not curated_report["success"]:
            rejected = quality.reject(curated_report, unit, layout.rejected(JOB_NAME, run_date))
            return finish_record(record_path, {**record, **figures, **rejected}, started)
        with timed(phase_seconds, "publish"):
            manifest = unit.publish(figures)
    return finish_record(record_path, {**record, **figures, "published": True, "txid": manifest["txid"], "batch_path": batch.root,
                           "curated_path": batch.transactions, "quarantine_path": batch.quarantine}, started)


def summarise(record: dict) -> str:
    if not record["published"]:
        return f"{JOB_NAME} {record['run_date']}: nothing published, {record['gate']} gate failed: {'; '.join(record['gate_failures'])}"
    return (
        f"{JOB_NAME} {record['run_date']}: {record['rows_in']:,} rows in = {record['rows_curated']:,} curated "
        f"+ {record['rows_quarantined']:,} quarantined {record['quarantine_by_reason']}"
    )


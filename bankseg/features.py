"""Customer features as a fold: each day's batch folded into the previous snapshot, exactly.

A snapshot keeps, beside the features people read, the running totals they are derived from:
counts, exact decimal sums, first and last dates, the latest transaction's key and profile, the set
of cities. Folding a batch into a snapshot adds counts and sums, takes minima and maxima, keeps the
later of two latest transactions and unites the city sets; every one of these is associative, so
the previous snapshot folded with the day's batch equals the fold of every batch from scratch,
bit for bit (tests/test_customer_features.py checks it over several days with late and re-delivered
rows). A day then costs its own rows plus one pass over the previous snapshot, not the whole history.

Features that depend on the snapshot date (recency, age and its band) are derived from the state at
that date (``dated_columns``), so a row computed for one date reads as of any later one with
``as_of``: a customer without a transaction since keeps their row. Profile attributes that can differ between a customer's transactions (balance, city, gender, date
of birth) come from the customer's latest transaction (by time, then by transaction number).
"""

from __future__ import annotations

import hashlib

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from bankseg.definitions import AGE_BANDS, DAYPARTS, OLDEST_BAND, UNKNOWN_AGE_BAND
from bankseg.layout import COMPUTED_ON

MONEY_TOTAL = "decimal(28,2)"
# The curated columns the features are computed from.
TRANSACTION_COLUMNS = (
    "customer_id", "transaction_id", "txn_ts", "txn_date", "txn_hour", "amount", "account_balance",
    "gender", "city", "dob_status", "customer_dob",
)
# Session settings of a job that computes features (see batch_state).
SORT_AGGREGATION = {"spark.sql.execution.useObjectHashAggregateExec": "false"}
COUNT_COLUMNS = ("transactions_weekend", *[f"transactions_{name}" for name, _, _ in DAYPARTS])
# What a snapshot carries forward, so the next day can fold its batch in.
STATE_COLUMNS = (
    "customer_id", "frequency", "first_txn_date", "last_txn_date", "monetary_total", "monetary_max",
    "balance_total", "balance_count", "balance_latest", "balance_latest_ts", "balance_latest_number",
    "last_txn_ts", "last_txn_number", "gender", "city", "customer_dob", "cities", *COUNT_COLUMNS,
)


def age_band(age: Column) -> Column:
    chain = F.when(age.isNull(), UNKNOWN_AGE_BAND)
    for low, high, label in AGE_BANDS:
        chain = chain.when(age.between(low, high), label)
    return chain.when(age >= OLDEST_BAND[0], OLDEST_BAND[1]).otherwise(UNKNOWN_AGE_BAND)


def transaction_number(column: str) -> Column:
    """The number of a TransactionID (``T`` and digits), null for one that has none or is too long."""
    return F.expr(f"try_cast(substring({column}, 2) as bigint)")


def batch_state(transactions: DataFrame) -> DataFrame:
    """The state of each customer from ``transactions`` alone (``STATE_COLUMNS``).

    Most customers have one or two transactions, so a partial aggregation before the shuffle saves
    nothing and its buffers are wider than the rows: the needed columns are shuffled instead. And
    ``max_by`` and ``collect_set`` make the aggregation object-based, whose hash map falls back to
    sorting with millions of customers per task anyway: the job sorts from the start
    (``SORT_AGGREGATION``)."""
    number = transaction_number("transaction_id")
    key = F.struct(F.col("txn_ts").alias("ts"), number.alias("number"))
    balance_key = F.when(F.col("account_balance").isNotNull(), key)
    daypart_counts = [
        F.sum(F.col("txn_hour").between(low, high).cast("long")).alias(f"transactions_{name}") for name, low, high in DAYPARTS
    ]
    profile = F.struct("gender", "city", F.when(F.col("dob_status") == "valid", F.col("customer_dob")).alias("customer_dob"))
    state = transactions.select(*TRANSACTION_COLUMNS).repartition("customer_id").groupBy("customer_id").agg(
        F.count("*").alias("frequency"),
        F.min("txn_date").alias("first_txn_date"),
        F.max("txn_date").alias("last_txn_date"),
        F.sum("amount").cast(MONEY_TOTAL).alias("monetary_total"),
        F.max("amount").alias("monetary_max"),
        F.coalesce(F.sum("account_balance"), F.lit(0)).cast(MONEY_TOTAL).alias("balance_total"),
        F.count("account_balance").alias("balance_count"),
        F.max_by("account_balance", balance_key).alias("balance_latest"),
        F.max(balance_key).alias("balance_key"),
        F.max_by(profile, key).alias("profile"),
        F.max(key).alias("key"),
        F.array_sort(F.collect_set("city")).alias("cities"),
        F.sum(F.dayofweek("txn_date").isin(1, 7).cast("long")).alias("transactions_weekend"),
        *daypart_counts,
    )
    return state.select(
        "customer_id", "frequency", "first_txn_date", "last_txn_date", "monetary_total", "monetary_max",
        "balance_total", "balance_count", "balance_latest",
        F.col("balance_key.ts").alias("balance_latest_ts"), F.col("balance_key.number").alias("balance_latest_number"),
        F.col("key.ts").alias("last_txn_ts"), F.col("key.number").alias("last_txn_number"),
        "profile.gender", "profile.city", "profile.customer_dob", "cities", *COUNT_COLUMNS,
    )


def _later(previous_key: Column, batch_key: Column) -> Column:
    """True where the batch's key is the later one (or the only one)."""
    return batch_key.isNotNull() & (previous_key.isNull() | (batch_key > previous_key))


def fold(previous: DataFrame, batch: DataFrame) -> DataFrame:
    """``previous`` state with ``batch`` state folded in, per customer (``STATE_COLUMNS``).

    The previous state holds every customer and the batch a day's few: rather than shuffling both
    sides of one full outer join, each previous row meets the batch in a left join (Spark broadcasts
    a small batch, so the previous state is read and written in place), and the batch's new
    customers, those whose ID the previous state lacks (found from its ID column alone), are added.
    The folded row of a new customer is the same expression with an empty previous side."""
    returning = previous.select("customer_id").join(batch.select("customer_id"), "customer_id", "left_semi")
    new = batch.join(returning, "customer_id", "left_anti")
    same_customer = F.col("p.customer_id") == F.col("b.customer_id")
    updated = previous.alias("p").join(batch.alias("b"), same_customer, "left_outer")
    added = previous.limit(0).alias("p").join(new.alias("b"), same_customer, "right_outer")
    return _folded(updated).unionByName(_folded(added))


def fold_onto_batch(previous: DataFrame, batch: DataFrame) -> DataFrame:
    """``fold`` when ``previous`` holds only customers of ``batch`` (their rows looked up for a day's
    changes): every folded row is a batch customer's, so one left join of the two small sides does."""
    same_customer = F.col("p.customer_id") == F.col("b.customer_id")
    return _folded(batch.alias("b").join(previous.alias("p"), same_customer, "left_outer"))


def _folded(joined: DataFrame) -> DataFrame:
    """Each row of ``joined`` (previous state ``p`` beside batch state ``b``, either side may be null) as one state row."""

    def added(name: str) -> Column:
        return F.coalesce(F.col(f"p.{name}"), F.lit(0)) + F.coalesce(F.col(f"b.{name}"), F.lit(0))

    latest_key = (F.struct(F.col("p.last_txn_ts"), F.col("p.last_txn_number")), F.struct(F.col("b.last_txn_ts"), F.col("b.last_txn_number")))
    balance_key = (
        F.when(F.col("p.balance_latest_ts").isNotNull() | F.col("p.balance_latest_number").isNotNull(),
               F.struct(F.col("p.balance_latest_ts"), F.col("p.balance_latest_number"))),
        F.when(F.col("b.balance_latest_ts").isNotNull() | F.col("b.balance_latest_number").isNotNull(),
               F.struct(F.col("b.balance_latest_ts"), F.col("b.balance_latest_number"))),
    )
    take_batch = _later(F.when(F.col("p.customer_id").isNotNull(), latest_key[0]), F.when(F.col("b.customer_id").isNotNull(), latest_key[1]))
    take_batch_balance = _later(*balance_key)

    def pick(name: str, condition: Column) -> Column:
        return F.when(condition, F.col(f"b.{name}")).otherwise(F.col(f"p.{name}")).alias(name)

    folded = [
        F.coalesce(F.col("p.customer_id"), F.col("b.customer_id")).alias("customer_id"),
        added("frequency").alias("frequency"),
        F.least(F.col("p.first_txn_date"), F.col("b.first_txn_date")).alias("first_txn_date"),
        F.greatest(F.col("p.last_txn_date"), F.col("b.last_txn_date")).alias("last_txn_date"),
        added("monetary_total").cast(MONEY_TOTAL).alias("monetary_total"),
        F.greatest(F.col("p.monetary_max"), F.col("b.monetary_max")).alias("monetary_max"),
        added("balance_total").cast(MONEY_TOTAL).alias("balance_total"),
        added("balance_count").alias("balance_count"),
        pick("balance_latest", take_batch_balance),
        pick("balance_latest_ts", take_batch_balance),
        pick("balance_latest_number", take_batch_balance),
        pick("last_txn_ts", take_batch),
        pick("last_txn_number", take_batch),
        pick("gender", take_batch),
        pick("city", take_batch),
        pick("customer_dob", take_batch),
        F.array_sort(F.array_union(F.coalesce(F.col("p.cities"), F.array().cast("array<string>")),
                                   F.coalesce(F.col("b.cities"), F.array().cast("array<string>")))).alias("cities"),
        *[added(name).alias(name) for name in COUNT_COLUMNS],
    ]
    # A customer without a row in the batch keeps the previous row as it is, without working out any of the above.
    untouched = F.col("b.customer_id").isNull()
    return joined.select(*[F.when(untouched, F.col(f"p.{name}")).otherwise(column).alias(name) for name, column in zip(STATE_COLUMNS, folded, strict=True)])


def dated_columns(snapshot_date: str) -> dict[str, Column]:
    """The features that move with the calendar, as of ``snapshot_date``: recency, age and age band."""
    snapshot = F.to_date(F.lit(snapshot_date))
    age = F.floor(F.months_between(snapshot, F.col("customer_dob")) / 12).cast("int")
    return {"recency_days": F.datediff(snapshot, F.col("last_txn_date")), "age": age, "age_band": age_band(age)}


def as_of(features_frame: DataFrame, snapshot_date: str) -> DataFrame:
    """Feature rows computed for an earlier date, read as of ``snapshot_date`` (no transaction since)."""
    return features_frame.withColumns(dated_columns(snapshot_date))


def features(state: DataFrame, snapshot_date: str) -> DataFrame:
    """The published snapshot: the features people and the model read, then the state they come from,
    then the date they were computed for."""
    dated = dated_columns(snapshot_date)
    frequency = F.col("frequency").cast("double")
    balance_mean = F.when(F.col("balance_count") > 0, F.col("balance_total").cast("double") / F.col("balance_count"))
    shares = [(F.col(f"transactions_{name}") / frequency).alias(f"share_{name}") for name, _, _ in DAYPARTS]
    # The daypart with the highest share; ties go to the name that sorts last, deterministically.
    preferred_daypart = F.array_max(
        F.array(*[F.struct((F.col(f"transactions_{name}") / frequency).alias("share"), F.lit(name).alias("daypart")) for name, _, _ in DAYPARTS])
    ).getField("daypart")
    return state.select(
        "customer_id",
        dated["recency_days"].alias("recency_days"),
        "frequency",
        "monetary_total",
        # The mean from the exact sum: the same figure whichever way the days were folded.
        (F.col("monetary_total").cast("double") / frequency).alias("monetary_mean"),
        "monetary_max",
        "balance_latest",
        balance_mean.alias("balance_mean"),
        # Spend relative to what the customer holds: separates spenders from savers at equal balance.
        # Null when the balance is unknown; a balance under 1 INR counts as 1 to keep the ratio finite.
        F.when(balance_mean.isNotNull(), F.col("monetary_total").cast("double") / F.greatest(balance_mean, F.lit(1.0))).alias("spend_to_balance"),
        dated["age"].alias("age"),
        dated["age_band"].alias("age_band"),
        "gender",
        "city",
        F.size("cities").alias("distinct_cities"),
        "first_txn_date",
        "last_txn_date",
        (F.datediff(F.col("last_txn_date"), F.col("first_txn_date")) + 1).alias("active_span_days"),
        *shares,
        preferred_daypart.alias("preferred_daypart"),
        (F.col("transactions_weekend") / frequency).alias("share_weekend"),
        *[name for name in STATE_COLUMNS if name not in ("customer_id", "frequency", "first_txn_date", "last_txn_date",
                                                          "monetary_total", "monetary_max", "balance_latest", "gender", "city")],
        F.to_date(F.lit(snapshot_date)).alias(COMPUTED_ON),
    )


def row_digest(features: DataFrame) -> Column:
    """Each customer's state as ``id|last_txn_date|frequency|monetary_total|balance_latest``, hashed
    with SHA-256: its first 60 bits. Nothing in it moves with the calendar, so a snapshot's sum of
    them is kept day by day from the rows that changed (``bankseg.snapshot``), whatever the order of
    rows or files; ``features_digest`` adds the date the features are read as of."""
    text = F.concat_ws(
        "|", "customer_id", F.col("last_txn_date").cast("string"), F.col("frequency").cast("string"),
        F.col("monetary_total").cast("string"), F.coalesce(F.col("balance_latest").cast("string"), F.lit("")),
    )
    return F.conv(F.substring(F.sha2(text, 256), 1, 15), 16, 10).cast("decimal(20,0)")


DIGEST_MODULUS = 1 << 60


def features_digest(summed_row_digests, snapshot_date: str) -> str:
    """The features of every customer as of ``snapshot_date``, in 15 hex digits: the sum of
    ``row_digest`` over every customer plus the date's own 60-bit hash, modulo 2**60."""
    date_hash = int(hashlib.sha256(snapshot_date.encode()).hexdigest()[:15], 16)
    return f"{(int(summed_row_digests or 0) + date_hash) % DIGEST_MODULUS:015x}"

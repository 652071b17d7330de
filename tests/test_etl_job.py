"""The ETL and snapshot jobs end to end on files: real rows, dirty rows, reruns, failures."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest

from bankseg.layout import DataLayout
from bankseg.publish import read_manifest
from bankseg import snapshot as customer_snapshot
from bankseg import etl
from jobs import daily_pipeline

pytestmark = pytest.mark.spark

HEADER = ",".join(etl.RAW_COLUMNS)
RUN_DATE = "2016-10-21"

# Hand-written landing file: every line's fate is stated beside it.
DIRTY_LINES = [
    "T1,C5841053,10/1/94,F,JAMSHEDPUR,17819.05,2/8/16,143207,25",  # curated
    "T2,C2142763,4/4/57,M,JHAJJAR,2270.69,2/8/16,141858,27999",  # curated (born 1957)
    'T3,C4417068,26/11/96,F,"JORHAT, ASSAM",17874.44,2/8/16,142712,459',  # curated, quoted comma
    "T4,C5342380,1/1/1800,F,MUMBAI,866503.21,2/8/16,142714,2060",  # curated, sentinel DOB
    "T5,C9031234,nan,T,,,3/8/16,84706,0",  # curated: no DOB, gender T, no location, no balance, zero amount
    "T1,C5841053,10/1/94,F,JAMSHEDPUR,17819.05,2/8/16,143207,25",  # DUPLICATE_ROW of T1
    "T6,C1010011,5/5/85,M,DELHI,100.00,31/2/16,101010,10",  # INVALID_TRANSACTION_DATE
    "T7,C1010012,5/5/85,M,DELHI,100.00,22/10/16,101010,10",  # FUTURE_TRANSACTION_DATE
    "T8,C1010013,5/5/85,M,DELHI,100.00,2/8/16,101010,-10",  # INVALID_AMOUNT
    "T9,C1010014,5/5/85,M,DELHI,100.00,2/8/16",  # MALFORMED_ROW (too few fields)
    "T10,C1010015,5/5/85,M,DELHI,100.00,2/8/16,101010,10,extra",  # MALFORMED_ROW (too many)
    "T11,C1010016,5/5/85,M,DELHI,100.00,2/8/16,101010,10",  # CONFLICTING_TRANSACTION_ID
    "T11,C1010016,5/5/85,M,DELHI,100.00,2/8/16,101010,11",  # CONFLICTING_TRANSACTION_ID
]
EXPECTED_CURATED = 5
EXPECTED_REASONS = {
    "CONFLICTING_TRANSACTION_ID": 2,
    "DUPLICATE_ROW": 1,
    "FUTURE_TRANSACTION_DATE": 1,
    "INVALID_AMOUNT": 1,
    "INVALID_TRANSACTION_DATE": 1,
    "MALFORMED_ROW": 2,
}


def land(layout: DataLayout, run_date: str, name: str, lines: list[str], compress: bool = False) -> Path:
    folder = Path(layout.landing_for(run_date))
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join([HEADER, *lines]) + "\n"
    path = folder / (name + (".csv.gz" if compress else ".csv"))
    if compress:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


def published_files(root: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*.parquet"))


def curated(spark, layout: DataLayout):
    return spark.read.parquet(*[layout.batch(date).transactions for date in layout.batch_dates()])


def staged_parquet(layout: DataLayout) -> list[Path]:
    return list(Path(layout.warehouse, "_staging").rglob("*.parquet"))


@pytest.fixture
def layout(tmp_path) -> DataLayout:
    return DataLayout(str(tmp_path / "data"))


def test_dirty_file_every_row_accounted_for(spark, layout):
    land(layout, RUN_DATE, "dirty", DIRTY_LINES)
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert record["rows_in"] == len(DIRTY_LINES)
    assert record["rows_curated"] == EXPECTED_CURATED
    assert record["quarantine_by_reason"] == EXPECTED_REASONS
    # Every phase is timed, and the phases are a part of the job's time.
    phases = record["phase_seconds"]
    assert list(phases) == ["parse", "batch_checks", "write_curated_and_quarantine", "reconcile", "index_and_activity", "gates", "publish"]
    assert all(seconds >= 0 for seconds in phases.values()) and sum(phases.values()) <= record["seconds"] + 0.5
    batch = layout.batch(RUN_DATE)
    assert sorted(r[0] for r in spark.read.parquet(batch.transactions).select("transaction_id").collect()) == ["T1", "T2", "T3", "T4", "T5"]
    quarantine = spark.read.parquet(batch.quarantine)
    assert quarantine.count() == sum(EXPECTED_REASONS.values())
    malformed = [r["raw_record"] for r in quarantine.where("reason = 'MALFORMED_ROW'").collect()]
    assert all(text.startswith(("T9,", "T10,")) for text in malformed)
    # The ID index holds exactly the curated IDs, sorted by number.
    index = [tuple(r) for r in spark.read.parquet(batch.transaction_ids).collect()]
    assert index == [("T1", 1), ("T2", 2), ("T3", 3), ("T4", 4), ("T5", 5)]
    assert not staged_parquet(layout), "staging must be empty after a run"


def test_rerun_is_idempotent_and_replaces_the_dates_partitions(spark, layout):
    land(layout, RUN_DATE, "dirty", DIRTY_LINES)
    etl.publish_batch(spark, layout, RUN_DATE)
    first = curated(spark, layout).orderBy("transaction_id").collect()
    etl.publish_batch(spark, layout, RUN_DATE)
    assert curated(spark, layout).orderBy("transaction_id").collect() == first

    # The day's file is corrected to a single row: the rerun must drop every row it no longer has.
    shutil.rmtree(layout.landing_for(RUN_DATE))
    land(layout, RUN_DATE, "corrected", ["T20,C1234567,10/1/94,F,PUNE,1000.00,5/9/16,101010,500"])
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["rows_in"], record["rows_curated"], record["rows_quarantined"]) == (1, 1, 0)
    assert [(r[0], str(r[1])) for r in curated(spark, layout).select("transaction_id", "txn_date").collect()] == [("T20", "2016-09-05")]
    assert spark.read.parquet(layout.batch(RUN_DATE).quarantine).count() == 0


def test_a_transaction_delivered_again_on_another_day_is_quarantined(spark, layout):
    # Amounts and balances the curated gate accepts even for a one-row batch (it checks their medians).
    t1 = "T1,C5841053,10/1/94,F,JAMSHEDPUR,17819.05,2/8/16,143207,250"
    land(layout, "2016-08-02", "day1", [t1])
    land(layout, "2016-08-03", "day2", [t1, "T2,C2142763,4/4/57,M,JHAJJAR,2270.69,3/8/16,141858,2799"])
    etl.publish_batch(spark, layout, "2016-08-02")
    day2 = etl.publish_batch(spark, layout, "2016-08-03")
    assert (day2["rows_curated"], day2["quarantine_by_reason"]) == (1, {"ALREADY_LOADED": 1})
    # Rerunning day 1 is not a re-delivery: its own earlier output does not count.
    day1 = etl.publish_batch(spark, layout, "2016-08-02")
    assert (day1["rows_curated"], day1["rows_quarantined"]) == (1, 0)
    # Publishing day 2, then day 1 again, left the other day's batch as it was.
    assert batches_and_ids(spark, layout) == [("2016-08-02", ["T1"]), ("2016-08-03", ["T2"])]
    # Each batch keeps the range of its IDs: a delivery of IDs outside every range opens no other
    # batch's index, one inside a range opens that batch's alone.
    assert read_manifest(Path(layout.batch("2016-08-03").root))["transaction_ids"] == {"low": 2, "high": 2, "unnumbered": 0}
    def usable_ids(*rows):
        parsed = spark.createDataFrame(list(rows), "transaction_id_raw string, validity string")
        return etl.transaction_id_range(parsed, "transaction_id_raw", counted=parsed.validity.isNull())

    assert usable_ids(("T7", None), ("T2", "INVALID_AMOUNT"), ("T" + "9" * 25, None)) == {"rows": 3, "low": 7, "high": 7, "unnumbered": 1}
    assert etl.ids_loaded_by_other_batches(spark, layout, "2016-08-04", usable_ids(("T7", None), ("T2", "INVALID_AMOUNT"))) is None
    loaded = etl.ids_loaded_by_other_batches(spark, layout, "2016-08-04", usable_ids(("T2", None), ("T3", None)))
    assert [row[0] for row in loaded.collect()] == ["T2"] and loaded.inputFiles() == spark.read.parquet(layout.batch("2016-08-03").transaction_ids).inputFiles()


def batches_and_ids(spark, layout: DataLayout) -> list[tuple[str, list[str]]]:
    return [(date, sorted(r[0] for r in spark.read.parquet(layout.batch(date).transactions).select("transaction_id").collect()))
            for date in layout.batch_dates()]


def test_gzip_landing_file_is_read(spark, layout):
    land(layout, RUN_DATE, "dirty", DIRTY_LINES, compress=True)
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["rows_in"], record["rows_curated"]) == (len(DIRTY_LINES), EXPECTED_CURATED)


def test_a_failed_run_publishes_nothing_and_keeps_the_previous_output(spark, layout):
    land(layout, RUN_DATE, "dirty", DIRTY_LINES)
    etl.publish_batch(spark, layout, RUN_DATE)
    before = published_files(layout.batch(RUN_DATE).root)
    bad = Path(layout.landing_for(RUN_DATE)) / "renamed.csv"
    bad.write_text(HEADER.replace("CustomerID", "CustID") + "\nT99,C1,1/1/90,M,PUNE,1,2/8/16,1,1\n")
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert not record["published"] and record["gate"] == "raw_transactions"
    assert published_files(layout.batch(RUN_DATE).root) == before
    assert not staged_parquet(layout)


def test_leftovers_of_a_killed_attempt_are_swept(spark, layout):
    leftover = Path(layout.warehouse, "_staging", "etl_transactions", RUN_DATE, "killed-attempt", "unit", "transactions", "part-0.parquet")
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half-written")
    land(layout, RUN_DATE, "dirty", DIRTY_LINES)
    assert etl.publish_batch(spark, layout, RUN_DATE)["rows_curated"] == EXPECTED_CURATED
    assert not leftover.exists()


def test_missing_landing_folder_says_where_to_put_files(spark, layout):
    with pytest.raises(etl.LandingError, match="put \\*.csv or \\*.csv.gz files in .*landing/2016-10-21"):
        etl.publish_batch(spark, layout, RUN_DATE)


def test_real_kaggle_sample_unchanged(spark, layout, real_sample):
    folder = Path(layout.landing_for(RUN_DATE))
    folder.mkdir(parents=True)
    shutil.copyfile(real_sample, folder / real_sample.name)
    with real_sample.open(newline="") as handle:
        raw = list(csv.DictReader(handle))

    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert record["rows_in"] == len(raw) == 7000
    assert record["rows_curated"] + record["rows_quarantined"] == 7000
    assert record["rows_quarantined"] == 0  # the first 7,000 real rows are all usable

    rows = curated(spark, layout)
    status = {r["dob_status"]: r["count"] for r in rows.groupBy("dob_status").count().collect()}
    assert status["sentinel"] == sum(r["CustomerDOB"] == "1/1/1800" for r in raw)
    assert status["missing"] == sum(r["CustomerDOB"] == "nan" for r in raw)
    genders = {r["gender"]: r["count"] for r in rows.groupBy("gender").count().collect()}
    assert genders == {
        "M": sum(r["CustGender"] == "M" for r in raw),
        "F": sum(r["CustGender"] == "F" for r in raw),
        "unknown": sum(r["CustGender"] not in ("M", "F") for r in raw),
    }
    bounds = rows.selectExpr("min(txn_date)", "max(txn_date)").first()
    # Day-first parsing keeps every date inside the file's range; month-first would give 2016-01-08 .. 2016-12-09.
    assert bounds[0] >= dt.date(2016, 8, 1)
    assert bounds[1] <= dt.date(2016, 10, 21)
    first = rows.where("transaction_id = 'T1'").first()
    assert (str(first["txn_date"]), str(first["customer_dob"]), first["city"]) == ("2016-08-02", "1994-01-10", "JAMSHEDPUR")

    snapshot = customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    assert snapshot["customers"] == len({r["CustomerID"] for r in raw})
    assert snapshot["transactions_used"] == 7000


def test_a_batch_with_no_usable_row_stops_at_the_curated_gate(spark, layout):
    land(layout, RUN_DATE, "all_bad", ["T9,C1010014,5/5/85,M,DELHI,100.00,2/8/16"])
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["published"], record["gate"], record["rows_quarantined"]) == (False, "curated_transactions", 1)
    assert layout.batch_dates() == []
    # Kept for inspection, out of readers' way.
    assert spark.read.parquet(str(Path(record["rejected_to"]) / "quarantine")).count() == 1


def test_features_ignore_batches_delivered_after_the_snapshot_date(spark, layout):
    land(layout, "2016-08-02", "day1", ["T1,C5841053,10/1/94,F,JAMSHEDPUR,17819.05,2/8/16,143207,250"])
    land(layout, "2016-08-05", "late", ["T2,C2142763,4/4/57,M,JHAJJAR,2270.69,1/8/16,141858,2799"])
    etl.publish_batch(spark, layout, "2016-08-02")
    etl.publish_batch(spark, layout, "2016-08-05")  # a late delivery of a 1 August transaction
    assert customer_snapshot.publish_snapshot(spark, layout, "2016-08-02")["customers"] == 1
    assert customer_snapshot.publish_snapshot(spark, layout, "2016-08-05")["customers"] == 2


@pytest.mark.parametrize("bad_date", ["2016-8-2", "21/10/2016", "yesterday"])
def test_a_run_date_that_is_not_iso_is_refused(bad_date, capsys):
    with pytest.raises(SystemExit):
        daily_pipeline.main(["--run-date", bad_date, "--data-dir", "/nonexistent"])
    assert "is not a date in the form YYYY-MM-DD" in capsys.readouterr().err

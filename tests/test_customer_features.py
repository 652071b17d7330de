"""Customer features: hand-worked values, and the day-by-day fold equal to a recompute from scratch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from bankseg import synthetic
from bankseg.features import batch_state, features, fold, fold_onto_batch
from bankseg.layout import COMPUTED_ON, DataLayout
from bankseg import snapshot as customer_snapshot
from bankseg import etl, row_versions
from jobs import train_segmentation

pytestmark = pytest.mark.spark

CURATED_COLUMNS = (
    "transaction_id string, customer_id string, txn_ts timestamp_ntz, txn_hour int, amount decimal(18,2), "
    "account_balance decimal(18,2), customer_dob date, dob_status string, gender string, city string, txn_date date"
)
SNAPSHOT_DATE = "2016-10-21"


def txn(tid, customer, when, amount, balance, dob, dob_status, gender, city):
    return (
        tid, customer, when, when.hour, Decimal(amount), None if balance is None else Decimal(balance),
        dob, dob_status, gender, city, when.date(),
    )


DOB = dt.date(1990, 5, 1)
HISTORY = [
    # C1: a Saturday morning in Mumbai, then a Friday evening in Thane.
    txn("T1", "C1", dt.datetime(2016, 10, 1, 10, 0), "100", "1000", DOB, "valid", "M", "MUMBAI"),
    txn("T2", "C1", dt.datetime(2016, 10, 14, 20, 0), "300", "500", DOB, "valid", "M", "THANE"),
    # C2: one Saturday-night transaction, balance and birth date unknown.
    txn("T4", "C2", dt.datetime(2016, 8, 6, 3, 0), "50", None, None, "sentinel", "unknown", "UNKNOWN"),
    # C3: a known balance, then a later transaction without one.
    txn("T5", "C3", dt.datetime(2016, 9, 1, 12, 0), "10", "2000", DOB, "valid", "F", "PUNE"),
    txn("T6", "C3", dt.datetime(2016, 9, 2, 12, 0), "20", None, DOB, "valid", "F", "PUNE"),
]


def rows_by_customer(frame) -> dict[str, dict]:
    return {row["customer_id"]: row.asDict() for row in frame.collect()}


@pytest.fixture(scope="module")
def snapshot(spark):
    return rows_by_customer(features(batch_state(spark.createDataFrame(HISTORY, CURATED_COLUMNS)), SNAPSHOT_DATE))


def test_one_row_per_customer(snapshot):
    assert sorted(snapshot) == ["C1", "C2", "C3"]


def test_recency_frequency_monetary(snapshot):
    c1 = snapshot["C1"]
    assert c1["recency_days"] == 7
    assert c1["frequency"] == 2
    assert c1["monetary_total"] == Decimal("400.00")
    assert c1["monetary_mean"] == 200.0
    assert c1["monetary_max"] == Decimal("300.00")
    assert snapshot["C2"]["recency_days"] == 76


def test_balance_is_latest_and_mean(snapshot):
    c1 = snapshot["C1"]
    assert c1["balance_latest"] == Decimal("500.00")
    assert (c1["balance_total"], c1["balance_count"], c1["balance_mean"]) == (Decimal("1500.00"), 2, 750.0)
    assert c1["spend_to_balance"] == pytest.approx(400 / 750)
    assert snapshot["C2"]["balance_latest"] is None and snapshot["C2"]["balance_mean"] is None
    assert snapshot["C2"]["spend_to_balance"] is None


def test_latest_balance_skips_transactions_without_one(snapshot):
    c3 = snapshot["C3"]
    assert (c3["balance_latest"], c3["balance_mean"]) == (Decimal("2000.00"), 2000.0)
    assert c3["balance_latest_number"] == 5 and c3["last_txn_number"] == 6
    assert c3["spend_to_balance"] == pytest.approx(30 / 2000)


def test_profile_comes_from_the_latest_transaction(snapshot):
    c1 = snapshot["C1"]
    assert (c1["age"], c1["age_band"], c1["gender"], c1["city"], c1["distinct_cities"], c1["cities"]) == (
        26, "25-34", "M", "THANE", 2, ["MUMBAI", "THANE"],
    )
    c2 = snapshot["C2"]
    assert (c2["age"], c2["age_band"], c2["gender"], c2["city"], c2["customer_dob"]) == (None, "unknown", "unknown", "UNKNOWN", None)


def test_activity_span_and_time_profile(snapshot):
    c1 = snapshot["C1"]
    assert (c1["first_txn_date"], c1["last_txn_date"], c1["active_span_days"]) == (
        dt.date(2016, 10, 1), dt.date(2016, 10, 14), 14,
    )
    assert (c1["share_morning"], c1["share_evening"], c1["share_night"], c1["share_afternoon"]) == (0.5, 0.5, 0.0, 0.0)
    assert c1["preferred_daypart"] == "morning"  # a tie goes to the name that sorts last
    assert (c1["transactions_weekend"], c1["share_weekend"]) == (1, 0.5)
    c2 = snapshot["C2"]
    assert (c2["share_night"], c2["preferred_daypart"], c2["share_weekend"]) == (1.0, "night", 1.0)


def test_folding_a_later_batch_in_equals_computing_both_together(spark):
    later = [
        # C1 again, on a later day; C3 again but dated before its known transactions (a late delivery),
        # so its latest profile and balance stay those of T5/T6; C4 is new.
        txn("T7", "C1", dt.datetime(2016, 10, 20, 9, 0), "999", "1", DOB, "valid", "M", "PUNE"),
        txn("T8", "C3", dt.datetime(2016, 8, 20, 15, 0), "40", "3000", DOB, "valid", "F", "GOA"),
        txn("T9", "C4", dt.datetime(2016, 10, 21, 23, 0), "5", "5", None, "missing", "F", "DELHI"),
    ]
    first, second = spark.createDataFrame(HISTORY, CURATED_COLUMNS), spark.createDataFrame(later, CURATED_COLUMNS)
    folded = rows_by_customer(features(fold(batch_state(first), batch_state(second)), SNAPSHOT_DATE))
    together = rows_by_customer(features(batch_state(first.unionByName(second)), SNAPSHOT_DATE))
    assert folded == together
    c3 = folded["C3"]
    # By hand: three transactions, the late one the first; the latest balance is still T5's.
    assert (c3["frequency"], c3["first_txn_date"], c3["balance_latest"], c3["city"], c3["cities"]) == (
        3, dt.date(2016, 8, 20), Decimal("2000.00"), "PUNE", ["GOA", "PUNE"],
    )
    assert (folded["C1"]["city"], folded["C1"]["recency_days"], folded["C4"]["frequency"]) == ("PUNE", 1, 1)
    # A day's changes fold the batch onto the previous rows of its own customers only: the same rows for them.
    previous, batch = batch_state(first), batch_state(second)
    theirs = previous.join(batch.select("customer_id"), "customer_id", "left_semi")
    changed = rows_by_customer(features(fold_onto_batch(theirs, batch), SNAPSHOT_DATE))
    assert changed == {customer: row for customer, row in together.items() if customer in ("C1", "C3", "C4")}


# ---------------------------------------------------------------- the daily jobs over several days

DAYS = ["2016-10-19", "2016-10-20", "2016-10-21"]


def land_days(layout: DataLayout, tmp_path: Path) -> None:
    """Three daily deliveries: the generated rows split by date, a few rows of each later day dated
    on an earlier day (late), and on the last day a re-delivery of rows already loaded."""
    source = tmp_path / "all.csv"
    synthetic.generate_csv(source, rows=2_000, seed=13)
    header, *lines = source.read_text().splitlines()
    per_day = {day: lines[index::len(DAYS)] for index, day in enumerate(DAYS)}
    for index, day in enumerate(DAYS):
        rows = [etl_line_dated(line, day if number % 7 else DAYS[max(index - 1, 0)]) for number, line in enumerate(per_day[day])]
        if day == DAYS[-1]:
            rows += per_day[DAYS[0]][:25]  # delivered again: quarantined as ALREADY_LOADED, never counted twice
        folder = Path(layout.landing_for(day))
        folder.mkdir(parents=True)
        (folder / "bank_transactions.csv").write_text("\n".join([header, *rows]) + "\n")


def etl_line_dated(line: str, day: str) -> str:
    """The same transaction dated on ``day`` (d/m/yy, the Kaggle format)."""
    import csv
    import io

    fields = next(csv.reader([line]))
    year, month, date = day.split("-")
    fields[6] = f"{int(date)}/{int(month)}/{year[2:]}"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def test_the_daily_snapshot_equals_a_recompute_from_every_batch(spark, tmp_path, monkeypatch):
    layout = DataLayout(str(tmp_path / "data"))
    land_days(layout, tmp_path)
    # Each of these small days changes most customers: no compaction until asked for below.
    monkeypatch.setattr(row_versions, "MAX_CHANGE_SHARE", 10.0)
    for day in DAYS:
        etl.publish_batch(spark, layout, day)
        record = customer_snapshot.publish_snapshot(spark, layout, day)
        assert record["published"], record
        if day != DAYS[0]:
            assert record["fold"] == f"snapshot {DAYS[DAYS.index(day) - 1]} plus 1 batch(es) delivered since, the changed customers only"
    assert etl_record_reason_count(layout, DAYS[-1], "ALREADY_LOADED") == 25
    assert_equal_to_a_recompute(spark, layout)
    # A snapshot whose previous one has gathered its change sets is written in full, as a recompute.
    monkeypatch.setattr(row_versions, "MAX_CHANGE_SETS", 1)
    etl.publish_batch(spark, layout, DAYS[-1])
    compacted = customer_snapshot.publish_snapshot(spark, layout, DAYS[-1])
    assert compacted["fold"] == f"snapshot {DAYS[-2]} plus 1 batch(es) delivered since, written in full (compaction)"
    assert_equal_to_a_recompute(spark, layout)
    monkeypatch.setattr(row_versions, "MAX_CHANGE_SETS", 30)
    # Rerunning a day whose batch changed makes the later snapshot start from the last one still
    # valid, and the result is again a recompute's.
    etl.publish_batch(spark, layout, DAYS[1])
    rerun = customer_snapshot.publish_snapshot(spark, layout, DAYS[-1])
    assert rerun["fold"] == f"snapshot {DAYS[0]} plus 2 batch(es) delivered since, the changed customers only"
    assert_equal_to_a_recompute(spark, layout)


def assert_equal_to_a_recompute(spark, layout: DataLayout) -> None:
    """The last snapshot read as of its date equals one aggregation of every batch's transactions,
    row for row, though it wrote only the customers of its own batch; its counts and digest are
    a recompute's too."""
    published = customer_snapshot.PublishedSnapshot.load(layout, DAYS[-1])
    incremental = published.features_now(spark)
    every_batch = spark.read.parquet(*[layout.batch(day).transactions for day in DAYS])
    from_scratch = features(batch_state(every_batch), DAYS[-1])
    columns = sorted(set(incremental.columns) - {COMPUTED_ON})
    assert sorted(incremental.columns) == sorted(from_scratch.columns)
    assert incremental.count() == from_scratch.count() > 1_500
    assert incremental.select(*columns).exceptAll(from_scratch.select(*columns)).count() == 0
    assert from_scratch.select(*columns).exceptAll(incremental.select(*columns)).count() == 0
    # The folder holds the day's customers as new rows, every other row linked from earlier snapshots.
    stored = spark.read.parquet(published.folder.customer_features)
    chain = published.features_chain
    changed = stored.where(F.col(COMPUTED_ON) > chain.base).select("customer_id").distinct().count()
    if chain.changes:
        since_base = [day for day in layout.batch_dates() if chain.base < day <= DAYS[-1]]
        touched = spark.read.parquet(*[layout.batch(day).transactions for day in since_base]).select("customer_id").distinct()
        assert 0 < changed == touched.count() < from_scratch.count()
        assert stored.where(F.col(COMPUTED_ON) == chain.base).count() == chain.base_rows
    else:
        assert changed == 0 and stored.count() == chain.base_rows == from_scratch.count()
    manifest = published.manifest
    assert manifest["customers"] == from_scratch.count()
    assert manifest["transactions_used"] == from_scratch.agg(F.sum("frequency")).first()[0]
    assert manifest["features_digest"] == train_segmentation.content_hash(from_scratch, DAYS[-1])


def etl_record_reason_count(layout: DataLayout, day: str, reason: str) -> int:
    from bankseg.run_records import read_run_record

    return read_run_record(layout.run_record(day, "etl_transactions"))["quarantine_by_reason"].get(reason, 0)

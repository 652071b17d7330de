"""Customer features on a hand-written curated history; every expected value worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jobs.customer_features import build_features

pytestmark = pytest.mark.spark

CURATED_COLUMNS = (
    "transaction_id string, customer_id string, txn_ts timestamp_ntz, txn_hour int, amount decimal(18,2), "
    "account_balance decimal(18,2), customer_dob date, dob_status string, gender string, city string, txn_date date"
)


def txn(tid, customer, when, amount, balance, dob, dob_status, gender, city):
    return (
        tid, customer, when, when.hour, Decimal(amount), None if balance is None else Decimal(balance),
        dob, dob_status, gender, city, when.date(),
    )


@pytest.fixture
def features(spark):
    dob = dt.date(1990, 5, 1)
    history = [
        # C1: a Saturday morning in Mumbai, then a Friday evening in Thane, then one after the snapshot.
        txn("T1", "C1", dt.datetime(2016, 10, 1, 10, 0), "100", "1000", dob, "valid", "M", "MUMBAI"),
        txn("T2", "C1", dt.datetime(2016, 10, 14, 20, 0), "300", "500", dob, "valid", "M", "THANE"),
        txn("T3", "C1", dt.datetime(2016, 10, 25, 9, 0), "999", "1", dob, "valid", "M", "PUNE"),
        # C2: one Saturday-night transaction, balance and birth date unknown.
        txn("T4", "C2", dt.datetime(2016, 8, 6, 3, 0), "50", None, None, "sentinel", "unknown", "UNKNOWN"),
        # C3: a known balance, then a later transaction without one.
        txn("T5", "C3", dt.datetime(2016, 9, 1, 12, 0), "10", "2000", dob, "valid", "F", "PUNE"),
        txn("T6", "C3", dt.datetime(2016, 9, 2, 12, 0), "20", None, dob, "valid", "F", "PUNE"),
    ]
    frame = spark.createDataFrame(history, CURATED_COLUMNS)
    return {row["customer_id"]: row.asDict() for row in build_features(frame, "2016-10-21").collect()}


def test_one_row_per_customer_with_history_up_to_the_snapshot(features):
    assert sorted(features) == ["C1", "C2", "C3"]


def test_recency_frequency_monetary(features):
    c1 = features["C1"]
    assert c1["recency_days"] == 7
    assert c1["frequency"] == 2
    assert c1["monetary_total"] == Decimal("400.00")
    assert c1["monetary_mean"] == pytest.approx(200.0)
    assert c1["monetary_max"] == Decimal("300.00")
    assert features["C2"]["recency_days"] == 76


def test_balance_is_latest_and_mean(features):
    c1 = features["C1"]
    assert c1["balance_latest"] == Decimal("500.00")
    assert c1["balance_mean"] == pytest.approx(750.0)
    assert c1["spend_to_balance"] == pytest.approx(400 / 750)
    assert features["C2"]["balance_latest"] is None
    assert features["C2"]["spend_to_balance"] is None


def test_latest_balance_skips_transactions_without_one(features):
    c3 = features["C3"]
    assert (c3["balance_latest"], c3["balance_mean"]) == (Decimal("2000.00"), pytest.approx(2000.0))
    assert c3["spend_to_balance"] == pytest.approx(30 / 2000)


def test_profile_comes_from_the_latest_transaction(features):
    c1 = features["C1"]
    assert (c1["age"], c1["age_band"], c1["gender"], c1["city"], c1["distinct_cities"]) == (26, "25-34", "M", "THANE", 2)
    c2 = features["C2"]
    assert (c2["age"], c2["age_band"], c2["gender"], c2["city"]) == (None, "unknown", "unknown", "UNKNOWN")


def test_activity_span_and_time_profile(features):
    c1 = features["C1"]
    assert (c1["first_txn_date"], c1["last_txn_date"], c1["active_span_days"]) == (
        dt.date(2016, 10, 1), dt.date(2016, 10, 14), 14,
    )
    assert (c1["share_morning"], c1["share_evening"], c1["share_night"], c1["share_afternoon"]) == (0.5, 0.5, 0.0, 0.0)
    assert c1["preferred_daypart"] == "morning"  # a tie goes to the name that sorts last
    assert c1["share_weekend"] == 0.5
    c2 = features["C2"]
    assert (c2["share_night"], c2["preferred_daypart"], c2["share_weekend"]) == (1.0, "night", 1.0)
    assert c2["snapshot_date"] == dt.date(2016, 10, 21)

"""Each ETL transform on tiny hand-written frames; expected values are written out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from bankseg import etl

pytestmark = pytest.mark.spark


def one_column(spark, values, name="value"):
    return spark.createDataFrame([(v,) for v in values], f"{name} string")


def evaluate(spark, values, expression):
    frame = one_column(spark, values)
    return [row[0] for row in frame.select(expression(F.col("value"))).collect()]


def test_transaction_dates_are_day_first_with_two_digit_years_in_the_2000s(spark):
    values = ["2/8/16", "21/10/16", "8/2/16", "21/10/2016", "31/2/16", "32/1/16", "2016-08-02", "", None]
    assert evaluate(spark, values, etl.parse_transaction_date) == [
        dt.date(2016, 8, 2),
        dt.date(2016, 10, 21),
        dt.date(2016, 2, 8),
        dt.date(2016, 10, 21),
        None,  # 31 February does not exist
        None,
        None,  # ISO dates are not the Kaggle format
        None,
        None,
    ]


def test_birth_dates_use_a_century_rule_against_the_transaction_date(spark):
    rows = [
        ("4/4/57", dt.date(2016, 8, 2)),  # 2057 is after the transaction: 1957
        ("10/1/94", dt.date(2016, 8, 2)),
        ("1/1/05", dt.date(2016, 8, 2)),  # 2005 is not after 2016: kept in the 2000s
        ("3/9/16", dt.date(2016, 8, 2)),  # 2016-09-03 is after the transaction: 1916
        ("10/1/1994", dt.date(2016, 8, 2)),
        ("1/1/1800", dt.date(2016, 8, 2)),  # the sentinel means unknown
        ("nan", dt.date(2016, 8, 2)),
        ("30/2/90", dt.date(2016, 8, 2)),
    ]
    frame = spark.createDataFrame(rows, "dob string, txn_date date")
    result = frame.select(etl.parse_birth_date(F.col("dob"), F.col("txn_date"))).collect()
    assert [row[0] for row in result] == [
        dt.date(1957, 4, 4),
        dt.date(1994, 1, 10),
        dt.date(2005, 1, 1),
        dt.date(1916, 9, 3),
        dt.date(1994, 1, 10),
        None,
        None,
        None,
    ]


def test_dob_status_explains_every_missing_age(spark):
    rows = [
        ("10/1/94", dt.date(2016, 8, 2)),
        ("1/1/1800", dt.date(2016, 8, 2)),
        ("nan", dt.date(2016, 8, 2)),
        (None, dt.date(2016, 8, 2)),
        ("99/99/99", dt.date(2016, 8, 2)),
        ("1/1/05", dt.date(2016, 8, 2)),  # 11 years old
        ("1/1/1900", dt.date(2016, 8, 2)),  # 116 years old
        ("1/6/1998", dt.date(2016, 8, 2)),  # 18 years old: the youngest plausible
        ("1/1/2017", dt.date(2016, 8, 2)),  # born after the transaction
    ]
    frame = spark.createDataFrame(rows, "dob string, txn_date date")
    birth = etl.parse_birth_date(F.col("dob"), F.col("txn_date"))
    result = frame.select(etl.dob_status(F.col("dob"), birth, F.col("txn_date"))).collect()
    assert [row[0] for row in result] == [
        "valid",
        "sentinel",
        "missing",
        "missing",
        "unparseable",
        "implausible",
        "implausible",
        "valid",
        "implausible",
    ]


def test_transaction_time_is_unpadded_hhmmss(spark):
    values = ["84706", "143207", "0", "235959", "240000", "126000", "12a", "-5", None]
    assert evaluate(spark, values, etl.parse_transaction_time) == [
        8 * 3600 + 47 * 60 + 6,
        14 * 3600 + 32 * 60 + 7,
        0,
        86399,
        None,
        None,
        None,
        None,
        None,
    ]


def test_money_accepts_plain_decimals_and_thousands_separators(spark):
    values = ["25", "17819.05", "1,200.50", "1,048,567", "-5", "0", "abc", "1,20", "", None]
    assert evaluate(spark, values, etl.parse_money) == [
        Decimal("25.00"),
        Decimal("17819.05"),
        Decimal("1200.50"),
        Decimal("1048567.00"),
        Decimal("-5.00"),
        Decimal("0.00"),
        None,
        None,
        None,
        None,
    ]


def test_gender_is_m_f_or_unknown(spark):
    assert evaluate(spark, ["M", "F", " f ", "male", "T", "", None], etl.normalise_gender) == [
        "M",
        "F",
        "F",
        "M",
        "unknown",
        "unknown",
        "unknown",
    ]


@pytest.mark.parametrize(
    ("location", "city"),
    [
        ("MUMBAI", "MUMBAI"),
        ("NAVI MUMBAI", "NAVI MUMBAI"),
        ("SECTOR 21 KHARGHAR NAVI MUMBAI", "NAVI MUMBAI"),
        ("ELPHINSTONE W MUMBAI", "MUMBAI"),
        ("NEW DELHI", "DELHI"),
        ("DELHI", "DELHI"),
        ("PHASE-1 SOUTH DELHI", "DELHI"),
        ("NO 3 KALYANI NAGAR PUNE", "PUNE"),
        ("NO 2 THANE WEST", "THANE"),
        ("GREATER NOIDA", "GREATER NOIDA"),
        ("NOIDA SEC 77", "NOIDA"),
        ("GURUGRAM", "GURGAON"),
        ("400012", "MUMBAI"),
        ("110017", "DELHI"),
        ("999999", "UNKNOWN"),
        ("JORHAT, ASSAM", "JORHAT"),
        ("REWARI (HARYANA)", "REWARI"),
        ("SOUTH 24 PARGANAS", "SOUTH 24 PARGANAS"),
        ("jamshedpur ", "JAMSHEDPUR"),
        ("", "UNKNOWN"),
    ],
)
def test_canonical_city(spark, location, city):
    assert evaluate(spark, [location], etl.canonical_city) == [city]


RAW = dict(
    TransactionID="T1",
    CustomerID="C5841053",
    CustomerDOB="10/1/94",
    CustGender="F",
    CustLocation="JAMSHEDPUR",
    CustAccountBalance="17819.05",
    TransactionDate="2/8/16",
    TransactionTime="143207",
    amount="25",
)


def raw_frame(spark, rows):
    columns = [*etl.RAW_COLUMNS, etl.CORRUPT_RECORD, "source_file"]
    tuples = [
        tuple(row.get("amount" if name == "TransactionAmount (INR)" else name) for name in columns) for row in rows
    ]
    schema = ", ".join(f"`{name}` string" for name in columns)
    return spark.createDataFrame(tuples, schema)


def reasons(spark, rows, run_date="2016-10-21"):
    checked = etl.with_quarantine_reason(etl.parse(raw_frame(spark, rows)), run_date)
    return sorted((row["transaction_id_raw"] or "", row["reason"] or "") for row in checked.collect())


def test_a_clean_row_has_no_reason(spark):
    assert reasons(spark, [RAW]) == [("T1", "")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({etl.CORRUPT_RECORD: "T1,C1,too,few"}, "MALFORMED_ROW"),
        ({"TransactionID": "X1"}, "INVALID_TRANSACTION_ID"),
        ({"TransactionID": None}, "INVALID_TRANSACTION_ID"),
        ({"CustomerID": "5841053"}, "INVALID_CUSTOMER_ID"),
        ({"TransactionDate": "31/2/16"}, "INVALID_TRANSACTION_DATE"),
        ({"TransactionDate": "22/10/16"}, "FUTURE_TRANSACTION_DATE"),
        ({"TransactionTime": "250000"}, "INVALID_TRANSACTION_TIME"),
        ({"amount": "-25"}, "INVALID_AMOUNT"),
        ({"amount": "twenty"}, "INVALID_AMOUNT"),
        ({"amount": None}, "INVALID_AMOUNT"),
        ({"CustAccountBalance": "lots"}, "INVALID_BALANCE"),
        ({"CustAccountBalance": "-1.00"}, "INVALID_BALANCE"),
    ],
)
def test_unusable_rows_get_a_reason(spark, change, reason):
    assert [found for _, found in reasons(spark, [{**RAW, **change}])] == [reason]


def test_dirty_but_usable_rows_are_kept(spark):
    kept = [
        {**RAW, "TransactionID": "T2", "CustomerDOB": "1/1/1800"},
        {**RAW, "TransactionID": "T3", "CustomerDOB": "nan"},
        {**RAW, "TransactionID": "T4", "CustGender": "T"},
        {**RAW, "TransactionID": "T5", "CustLocation": None},
        {**RAW, "TransactionID": "T6", "CustAccountBalance": None},
        {**RAW, "TransactionID": "T7", "amount": "0"},
        {**RAW, "TransactionID": "T8", "amount": "1,200.50"},
    ]
    assert reasons(spark, kept) == [(f"T{n}", "") for n in range(2, 9)]


def test_exact_duplicates_keep_one_copy_and_conflicting_ids_keep_none(spark):
    rows = [
        RAW,
        RAW,
        RAW,
        {**RAW, "TransactionID": "T2"},
        {**RAW, "TransactionID": "T2", "amount": "26"},
    ]
    assert reasons(spark, rows) == [
        ("T1", ""),
        ("T1", "DUPLICATE_ROW"),
        ("T1", "DUPLICATE_ROW"),
        ("T2", "CONFLICTING_TRANSACTION_ID"),
        ("T2", "CONFLICTING_TRANSACTION_ID"),
    ]


def test_curated_row_has_typed_columns(spark):
    checked = etl.with_quarantine_reason(etl.parse(raw_frame(spark, [RAW])), "2016-10-21")
    row = etl.curated_view(checked).collect()[0].asDict()
    assert row["transaction_id"] == "T1"
    assert row["customer_id"] == "C5841053"
    assert row["txn_ts"] == dt.datetime(2016, 8, 2, 14, 32, 7)  # wall-clock time, never shifted
    assert row["txn_hour"] == 14
    assert row["amount"] == Decimal("25.00")
    assert row["account_balance"] == Decimal("17819.05")
    assert row["customer_dob"] == dt.date(1994, 1, 10)
    assert row["dob_status"] == "valid"
    assert row["age_at_txn"] == 22
    assert row["gender"] == "F"
    assert row["city"] == "JAMSHEDPUR"
    assert row["location_raw"] == "JAMSHEDPUR"
    assert row["txn_date"] == dt.date(2016, 8, 2)
    # The delivering run date is the batch's folder (and the Hive partition), not a column of the files.
    assert "ingest_date" not in row


def test_every_quarantine_reason_is_documented():
    from bankseg.layout import REPOSITORY_ROOT

    readme = (REPOSITORY_ROOT / "docs" / "quarantine.md").read_text()
    assert [code for code in etl.QUARANTINE_REASONS if f"| `{code}` |" not in readme] == []

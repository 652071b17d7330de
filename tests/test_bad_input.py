"""Bad landing files: each stops at the raw gate with a verdict naming the file, or its rows go to
quarantine with a reason.

Whatever happens, nothing half-done is published and input rows = curated + quarantined.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bankseg import quality
from bankseg.layout import DataLayout
from bankseg import etl

pytestmark = pytest.mark.spark

RUN_DATE = "2016-10-21"
HEADER = ",".join(etl.RAW_COLUMNS)
# Plausible amounts and balances: the curated gate checks their medians.
GOOD_LINES = [
    "T1,C5841053,10/1/94,F,JAMSHEDPUR,17819.05,2/8/16,143207,250",
    "T2,C2142763,4/4/57,M,JHAJJAR,2270.69,2/8/16,141858,2799",
]


@pytest.fixture
def layout(tmp_path) -> DataLayout:
    return DataLayout(str(tmp_path / "data"))


def land_bytes(layout: DataLayout, content: bytes, name: str = "bank_transactions.csv") -> Path:
    folder = Path(layout.landing_for(RUN_DATE))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def nothing_published(layout: DataLayout) -> bool:
    staged = list(Path(layout.warehouse, "_staging").rglob("*.parquet"))
    return layout.batch_dates() == [] and not staged


def raw_verdict(layout: DataLayout) -> str:
    return quality.format_report(quality.read_report(layout, RUN_DATE, "raw"))


def test_empty_file_stops_at_the_raw_gate_naming_the_file(spark, layout):
    land_bytes(layout, b"")
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["published"], record["gate"]) == (False, "raw_transactions")
    assert "bank_transactions.csv: the file is empty; expected a header line TransactionID,CustomerID," in raw_verdict(layout)
    assert nothing_published(layout)


def test_header_only_file_stops_at_the_raw_gate(spark, layout):
    land_bytes(layout, (HEADER + "\n").encode())
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["published"], record["rows_in"]) == (False, 0)
    assert "table_row_count_to_be_between (min_value=1)" in raw_verdict(layout)
    assert nothing_published(layout)


@pytest.mark.parametrize(
    "header",
    [
        HEADER.replace(",CustGender", ""),  # a column missing
        HEADER + ",Channel",  # an extra column
        HEADER.replace("CustomerDOB", "DOB"),  # a renamed column
        HEADER.replace("CustomerID,CustomerDOB", "CustomerDOB,CustomerID"),  # reordered
    ],
    ids=["missing", "extra", "renamed", "reordered"],
)
def test_wrong_columns_stop_at_the_raw_gate_naming_the_file(spark, layout, header):
    land_bytes(layout, ("\n".join([header, *GOOD_LINES]) + "\n").encode(), name="export.csv")
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["published"], record["gate"]) == (False, "raw_transactions")
    verdict = raw_verdict(layout)
    assert "export.csv: header is" in verdict and "in this order" in verdict
    assert "CRITICAL  (table)                   table_columns_to_match_ordered_list" in verdict
    assert nothing_published(layout)


def test_byte_order_mark_and_crlf_line_endings_are_read_normally(spark, layout):
    content = "\ufeff" + "\r\n".join([HEADER, *GOOD_LINES]) + "\r\n"
    land_bytes(layout, content.encode("utf-8"))
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["rows_in"], record["rows_curated"]) == (2, 2)
    amounts = sorted(str(r[0]) for r in spark.read.parquet(layout.batch(RUN_DATE).transactions).select("amount").collect())
    assert amounts == ["250.00", "2799.00"]


def test_non_utf8_bytes_quarantine_the_row(spark, layout):
    latin1_line = "T3,C1234567,1/1/90,M,BELGAUM CAF\xc9,10.00,2/8/16,101010,5".encode("latin-1")
    land_bytes(layout, "\n".join([HEADER, *GOOD_LINES]).encode() + b"\n" + latin1_line + b"\n")
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert (record["rows_in"], record["rows_curated"]) == (3, 2)
    assert record["quarantine_by_reason"] == {"INVALID_ENCODING": 1}


def test_amount_written_as_text_with_thousands_separators(spark, layout):
    land_bytes(layout, (HEADER + '\nT1,C5841053,10/1/94,F,JAMSHEDPUR,17819.05,2/8/16,143207,"1,200.50"\n').encode())
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert record["rows_curated"] == 1
    assert str(spark.read.parquet(layout.batch(RUN_DATE).transactions).first()["amount"]) == "1200.50"


def test_a_file_replaced_while_being_read_publishes_nothing(spark, layout, monkeypatch):
    path = land_bytes(layout, ("\n".join([HEADER, *GOOD_LINES]) + "\n").encode())
    real_extract = etl.extract

    def extract_then_writer_appends(spark_session, paths):
        frame = real_extract(spark_session, paths)
        with path.open("a") as handle:  # the extract is still being written by its producer
            handle.write("T3,C1234567,1/1/90,M,PUNE,10.00,2/8/16,101010,5\n")
        return frame

    monkeypatch.setattr(etl, "extract", extract_then_writer_appends)
    with pytest.raises(etl.LandingError, match=r"bank_transactions.csv changed while the run was reading it"):
        etl.publish_batch(spark, layout, RUN_DATE)
    assert nothing_published(layout)

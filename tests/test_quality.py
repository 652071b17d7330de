"""The Great Expectations gates: the suites themselves, good data passing, broken data failing readably."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from bankseg import quality, synthetic
from bankseg.layout import DataLayout
from bankseg.model_spec import MODEL_INPUTS
from bankseg.run_records import write_run_record
from bankseg import snapshot as customer_snapshot
from bankseg import etl

RUN_DATE = "2016-10-21"
GENERATED_ROWS = 2_000


# ---------------------------------------------------------------- the suites as files


@pytest.mark.parametrize("suite_name", sorted(quality.SUITES.values()))
def test_every_suite_loads_whole_into_great_expectations(suite_name):
    definition = quality.load_suite_definition(suite_name)
    # Great Expectations drops an invalid expectation with only a log line: count them.
    suite = quality.expectation_suite(suite_name)
    assert len(suite.expectations) == len(definition["expectations"]) > 0
    assert suite.name == suite_name


@pytest.mark.parametrize("suite_name", sorted(quality.SUITES.values()))
def test_every_expectation_has_a_severity_and_states_why(suite_name):
    for expectation in quality.load_suite_definition(suite_name)["expectations"]:
        assert expectation.get("severity") in (quality.CRITICAL, quality.WARNING), expectation
        assert len(expectation.get("notes", "")) >= 25, f"{expectation['type']} needs a stated reason"


def test_every_model_input_is_guarded_against_nulls():
    expectations = quality.load_suite_definition("customer_features")["expectations"]
    not_null = {
        e["kwargs"]["column"]: e["kwargs"].get("mostly", 1.0)
        for e in expectations
        if e["type"] == "expect_column_values_to_not_be_null" and e["severity"] == quality.CRITICAL
    }
    for spec in MODEL_INPUTS:
        assert spec.column in not_null, f"model input {spec.column} has no critical null check"
        # Inputs the model imputes may be null for a few customers; the others never.
        assert (0.98 <= not_null[spec.column] < 1) if spec.impute else not_null[spec.column] == 1.0, spec


def test_the_quality_docs_count_each_suites_expectations_by_severity():
    from bankseg.layout import REPOSITORY_ROOT

    readme = (REPOSITORY_ROOT / "docs" / "quality-gates.md").read_text()
    for layer, suite in quality.SUITES.items():
        severities = [e["severity"] for e in quality.load_suite_definition(suite)["expectations"]]
        row = f"| `validate_{layer}` | `expectations/{suite}.json` |"
        line = next(line for line in readme.splitlines() if line.startswith(row))
        counts = [cell.strip() for cell in line.split("|")[-3:-1]]
        assert counts == [str(severities.count(quality.CRITICAL)), str(severities.count(quality.WARNING))], line


def test_curated_window_is_the_quarter_before_the_run_date(tmp_path):
    parameters = quality.suite_parameters(DataLayout(str(tmp_path)), "curated", "2016-10-21")
    assert parameters == {"window_start": "2016-07-21", "run_date": "2016-10-21"}


def test_raw_row_band_follows_the_latest_earlier_run(tmp_path):
    layout = DataLayout(str(tmp_path))
    assert quality.suite_parameters(layout, "raw", "2016-10-21") == {
        "min_rows_vs_previous_run": 0,
        "max_rows_vs_previous_run": None,
    }
    for run_date, rows, published in (("2016-10-18", 50, True), ("2016-10-19", 1000, True), ("2016-10-20", 9, False), ("2016-10-22", 7, True)):
        write_run_record(layout.run_record(run_date, "etl_transactions"), {"rows_in": rows, "published": published})
    assert quality.suite_parameters(layout, "raw", "2016-10-21") == {
        "min_rows_vs_previous_run": 200,
        "max_rows_vs_previous_run": 5001,
    }


# ---------------------------------------------------------------- validations on Spark


def generated_rows(tmp_path: Path) -> tuple[list[str], list[list[str]]]:
    path = tmp_path / "generated.csv"
    synthetic.generate_csv(path, rows=GENERATED_ROWS, seed=11)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        return next(reader), list(reader)


def land(layout: DataLayout, header: list[str], rows: list[list[str]]) -> None:
    folder = Path(layout.landing_for(RUN_DATE))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "bank_transactions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def failed(report: dict) -> list[tuple[str, str]]:
    return sorted((check["column"], check["expectation"]) for check in report["critical_failures"])


def reports(layout: DataLayout, *layers: str) -> dict[str, dict]:
    return {layer: quality.read_report(layout, RUN_DATE, layer) for layer in layers}


@pytest.fixture(scope="module")
def good_run(spark, tmp_path_factory):
    """The real jobs on generated rows: every gate runs inside its job, on the staged output."""
    tmp_path = tmp_path_factory.mktemp("good")
    layout = DataLayout(str(tmp_path / "data"))
    land(layout, *generated_rows(tmp_path))
    assert etl.publish_batch(spark, layout, RUN_DATE)["published"]
    assert customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)["published"]
    return layout, reports(layout, "raw", "curated", "features")


@pytest.mark.spark
def test_good_data_passes_every_gate_without_warnings(good_run):
    layout, found = good_run
    for layer, report in found.items():
        assert (report["success"], report["critical_failures"], report["warnings"]) == (True, [], []), layer
        assert report["passed"] == report["evaluated"] == len(quality.load_suite_definition(report["suite"])["expectations"])
    assert (found["raw"]["rows"], found["curated"]["rows"]) == (GENERATED_ROWS, GENERATED_ROWS)


@pytest.mark.spark
def test_results_are_kept_and_data_docs_are_built(good_run):
    layout, found = good_run
    docs_index = Path(found["curated"]["data_docs"].removeprefix("file://"))
    assert docs_index.is_file() and docs_index.is_relative_to(Path(layout.quality))
    pages = "".join(path.read_text() for path in docs_index.parent.rglob("*.html"))
    assert all(suite in pages for suite in quality.SUITES.values())
    kept = Path(layout.quality) / "gx" / "uncommitted" / "validations"
    assert {path.name for path in kept.iterdir() if list(path.rglob("*.json"))} >= set(quality.SUITES.values())


@pytest.mark.spark
def test_the_data_docs_keep_a_bounded_number_of_runs(good_run, monkeypatch):
    layout, _ = good_run
    folder = Path(layout.quality) / "gx" / "uncommitted" / "validations" / "raw_transactions"
    for index in range(4):  # older runs of the suite, as earlier days leave them
        (folder / f"old-run-{index}").mkdir()
    quality.prune_validation_results(layout, "raw_transactions", keep=2)
    assert len([child for child in folder.iterdir() if child.is_dir()]) == 2


@pytest.mark.spark
def test_a_renamed_column_stops_the_batch_at_the_raw_gate_and_says_which(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    land(layout, [name.replace("CustomerDOB", "DOB") for name in header], rows)
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert not record["published"] and layout.batch_dates() == []
    report = quality.read_report(layout, RUN_DATE, "raw")
    assert failed(report) == [("(table)", "table_columns_to_match_ordered_list")]
    summary = quality.format_report(report)
    assert "CRITICAL  (table)" in summary and "'DOB'" in summary
    assert "results     " in summary and "Data Docs   file://" in summary


@pytest.mark.spark
def test_shifted_fields_fail_the_raw_gate_with_offending_values(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    # One in twenty lines lost its first field: everything after it moved one column left.
    shifted = [row[1:] + [""] if index % 20 == 0 else row for index, row in enumerate(rows)]
    land(layout, header, shifted)
    assert not etl.publish_batch(spark, layout, RUN_DATE)["published"]
    report = quality.read_report(layout, RUN_DATE, "raw")
    assert ("TransactionID", "column_values_to_match_regex") in failed(report)
    check = next(c for c in report["critical_failures"] if c["column"] == "TransactionID")
    assert check["observed"].startswith(f"{len(range(0, GENERATED_ROWS, 20))} of {GENERATED_ROWS:,} rows unexpected")
    assert check["sample"] and all(value.startswith("'C") for value in check["sample"])


@pytest.mark.spark
def test_amounts_without_decimal_point_fail_the_curated_gate_and_nothing_is_published(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    amount = header.index("TransactionAmount (INR)")
    # An export that writes paise without the decimal point: 459.00 -> 45900.
    land(layout, header, [[*row[:amount], f"{float(row[amount]):.2f}".replace(".", "")] for row in rows])
    record = etl.publish_batch(spark, layout, RUN_DATE)
    assert quality.read_report(layout, RUN_DATE, "raw")["success"]  # still numbers: only a parse sees it
    report = quality.read_report(layout, RUN_DATE, "curated")
    assert failed(report) == [("amount", "column_approximate_quantile_values_to_be_between")]
    (check,) = report["critical_failures"]
    assert check["expected"] == "q0.5 in [100, 5,000], allow_relative_error=0.001"
    # 459.00 INR read as 45900: the median moves up a hundredfold, out of the band.
    assert 100 * 300 < float(check["observed"].removeprefix("q0.5 = ").replace(",", "")) < 100 * 700
    assert "why: The real median amount is 459 INR" in quality.format_report(report)
    # Nothing of the failed batch reaches readers; all of it is kept aside for inspection.
    assert not record["published"] and layout.batch_dates() == []
    rejected = Path(report["rejected_to"])
    assert spark.read.parquet(str(rejected / "transactions")).count() == record["rows_curated"] == GENERATED_ROWS


@pytest.mark.spark
def test_a_failed_gate_on_a_rerun_leaves_the_published_batch_as_it_was(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    land(layout, header, rows)
    first = etl.publish_batch(spark, layout, RUN_DATE)
    before = sorted(r[0] for r in spark.read.parquet(layout.batch(RUN_DATE).transactions).select("transaction_id").collect())
    amount = header.index("TransactionAmount (INR)")
    land(layout, header, [[*row[:amount], f"{float(row[amount]):.2f}".replace(".", "")] for row in rows])
    assert not etl.publish_batch(spark, layout, RUN_DATE)["published"]
    after = sorted(r[0] for r in spark.read.parquet(layout.batch(RUN_DATE).transactions).select("transaction_id").collect())
    assert after == before and len(before) == first["rows_curated"]
    amounts = spark.read.parquet(layout.batch(RUN_DATE).transactions).agg({"amount": "max"}).first()[0]
    assert amounts < 1_000_000  # the published amounts are the first delivery's, not the broken rerun's


@pytest.mark.spark
def test_warnings_are_recorded_and_do_not_fail(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    gender = header.index("CustGender")
    # 5% of rows lost their gender: unusual (0.1% in the real file) but not broken.
    rows = [[*row[:gender], "", *row[gender + 1 :]] if i % 20 == 0 else row for i, row in enumerate(rows)]
    unknown = sum(row[gender] not in ("M", "F") for row in rows)
    land(layout, header, rows)
    assert etl.publish_batch(spark, layout, RUN_DATE)["published"], "a warning keeps the batch published"
    report = quality.read_report(layout, RUN_DATE, "curated")
    assert report["success"] and report["critical_failures"] == []
    assert [(w["column"], w["expectation"]) for w in report["warnings"]] == [("gender", "column_values_to_be_in_set")]
    assert quality.warning_texts(report) == [
        f"gender column_values_to_be_in_set: {unknown} of {GENERATED_ROWS:,} rows unexpected ({100 * unknown / GENERATED_ROWS:.3g}%)"
    ]


@pytest.mark.spark
def test_duplicate_customers_fail_the_features_gate(spark, good_run):
    layout, _ = good_run
    snapshot = spark.read.parquet(layout.snapshot(RUN_DATE).customer_features)
    doubled = snapshot.unionByName(snapshot.limit(3))
    report = quality.validate(doubled, DataLayout(layout.root + "-doubled"), "features", RUN_DATE)
    assert failed(report) == [("customer_id", "column_values_to_be_unique")]
    assert len(report["critical_failures"][0]["sample"]) == 5  # both copies of a few of the three ids


@pytest.mark.spark
def test_scoring_an_unchanged_day_again_reuses_its_features_and_their_verdict_until_the_suite_changes(spark, good_run, tmp_path, monkeypatch):
    layout = DataLayout(str(tmp_path / "data"))
    shutil.copytree(good_run[0].root, layout.root)
    features_dir = Path(layout.snapshot(RUN_DATE).customer_features)

    def files() -> dict[str, int]:
        return {path.name: path.stat().st_ino for path in features_dir.glob("*.parquet")}

    verdict, published = quality.read_report(layout, RUN_DATE, "features"), files()
    again = customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    assert again["published"] and again["fold"] == f"the published features of {RUN_DATE} reused: no batch changed since"
    assert files() == published  # the same files, linked into the new snapshot
    restored = quality.read_report(layout, RUN_DATE, "features")
    assert restored["results_file"] == str(quality.report_path(layout, RUN_DATE, "features"))
    unwritten = {"results_file": None, "written_at": None}
    assert {**restored, **unwritten} == {**verdict, **unwritten}

    # An edited suite judges the features again: the verdict stood for the suite as it was.
    edited = tmp_path / "expectations"
    shutil.copytree(quality.SUITES_DIR, edited)
    suite_file = edited / "customer_features.json"
    suite_file.write_text(suite_file.read_text().replace("}", " }", 1))
    monkeypatch.setattr(quality, "SUITES_DIR", edited)
    judged = customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    assert judged["published"] and judged["fold"] == f"snapshot {RUN_DATE} plus 0 batch(es) delivered since, written in full"
    assert set(files()).isdisjoint(published)  # written again
    assert quality.read_report(layout, RUN_DATE, "features")["suite_digest"] == quality.suite_digest("features") != verdict["suite_digest"]
    assert judged["features_digest"] == again["features_digest"]


def test_an_expectation_whose_metric_raised_shows_the_error():
    from great_expectations.core import ExpectationValidationResult

    expectation = quality.expectation_suite("curated_transactions").expectations[10]
    # As Great Expectations reports a metric that raised: one entry per metric id.
    result = ExpectationValidationResult(
        success=False,
        expectation_config=expectation.configuration,
        result={},
        exception_info={"MetricConfigurationID(metric_name='column.quantile_values')": {
            "raised_exception": True, "exception_message": "relative error must be a float", "exception_traceback": "..."}},
    )
    check = quality.describe_result(result)
    assert (check.column, check.observed) == ("amount", "error: relative error must be a float")
    assert check.expected == "q0.5 in [100, 5,000], allow_relative_error=0.001"

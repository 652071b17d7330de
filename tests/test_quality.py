"""The Great Expectations gates: the suites themselves, good data passing, broken data failing readably."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bankseg import quality, segmentation, synthetic
from bankseg.layout import DataLayout
from bankseg.run_records import write_run_record
from jobs import customer_features, validate_layer
from jobs import etl_transactions as etl

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
    for spec in segmentation.MODEL_INPUTS:
        assert spec.column in not_null, f"model input {spec.column} has no critical null check"
        # Inputs the model imputes may be null for a few customers; the others never.
        assert (0.98 <= not_null[spec.column] < 1) if spec.impute else not_null[spec.column] == 1.0, spec


def test_readme_counts_each_suites_expectations_by_severity():
    from bankseg.layout import REPOSITORY_ROOT

    readme = (REPOSITORY_ROOT / "README.md").read_text()
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
    for run_date, rows in (("2016-10-18", 50), ("2016-10-19", 1000), ("2016-10-22", 7)):
        write_run_record(layout.run_record(run_date, "etl_transactions"), {"rows_in": rows})
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


@pytest.fixture(scope="module")
def good_run(spark, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("good")
    layout = DataLayout(str(tmp_path / "data"))
    land(layout, *generated_rows(tmp_path))
    reports = {"raw": validate_layer.run(spark, layout, RUN_DATE, "raw")}
    etl.run(spark, layout, RUN_DATE)
    reports["curated"] = validate_layer.run(spark, layout, RUN_DATE, "curated")
    customer_features.run(spark, layout, RUN_DATE)
    reports["features"] = validate_layer.run(spark, layout, RUN_DATE, "features")
    return layout, reports


@pytest.mark.spark
def test_good_data_passes_every_gate_without_warnings(good_run):
    layout, reports = good_run
    for layer, report in reports.items():
        assert (report["success"], report["critical_failures"], report["warnings"]) == (True, [], []), layer
        assert report["passed"] == report["evaluated"] == len(quality.load_suite_definition(report["suite"])["expectations"])
        saved = json.loads(quality.report_path(layout, RUN_DATE, layer).read_text())
        assert saved["passed"] == report["passed"]
    assert reports["raw"]["rows"] == f"{GENERATED_ROWS:,}"


@pytest.mark.spark
def test_results_are_kept_and_data_docs_are_built(good_run):
    layout, reports = good_run
    docs_index = Path(reports["curated"]["data_docs"].removeprefix("file://"))
    assert docs_index.is_file() and docs_index.is_relative_to(Path(layout.quality))
    pages = "".join(path.read_text() for path in docs_index.parent.rglob("*.html"))
    assert all(suite in pages for suite in quality.SUITES.values())
    kept = Path(layout.quality) / "gx" / "uncommitted" / "validations"
    assert {path.name for path in kept.iterdir() if list(path.rglob("*.json"))} >= set(quality.SUITES.values())


@pytest.mark.spark
def test_a_renamed_column_fails_the_raw_gate_and_says_which(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    land(layout, [name.replace("CustomerDOB", "DOB") for name in header], rows)
    report = validate_layer.run(spark, layout, RUN_DATE, "raw")
    assert not report["success"]
    assert failed(report) == [("(table)", "table_columns_to_match_ordered_list")]
    summary = quality.format_report(report)
    assert "CRITICAL  (table)" in summary and "'DOB'" in summary
    assert "results     " in summary and "Data Docs   file://" in summary


@pytest.mark.spark
def test_a_header_only_delivery_fails_the_raw_gate(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    land(layout, list(etl.RAW_COLUMNS), [])
    report = validate_layer.run(spark, layout, RUN_DATE, "raw")
    assert ("(table)", "table_row_count_to_be_between") in failed(report)
    assert "observed: 0" in quality.format_report(report)


@pytest.mark.spark
def test_an_empty_file_fails_the_raw_gate_on_its_columns(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    Path(layout.landing_for(RUN_DATE)).mkdir(parents=True)
    Path(layout.landing_for(RUN_DATE), "bank_transactions.csv").write_bytes(b"")
    report = validate_layer.run(spark, layout, RUN_DATE, "raw")
    assert {("(table)", "table_columns_to_match_ordered_list"), ("(table)", "table_row_count_to_be_between")} <= set(
        failed(report)
    )


@pytest.mark.spark
def test_shifted_fields_fail_the_raw_gate_with_offending_values(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    # One in twenty lines lost its first field: everything after it moved one column left.
    shifted = [row[1:] + [""] if index % 20 == 0 else row for index, row in enumerate(rows)]
    land(layout, header, shifted)
    report = validate_layer.run(spark, layout, RUN_DATE, "raw")
    assert ("TransactionID", "column_values_to_match_regex") in failed(report)
    check = next(c for c in report["critical_failures"] if c["column"] == "TransactionID")
    assert check["observed"].startswith(f"{len(range(0, GENERATED_ROWS, 20))} of {GENERATED_ROWS:,} rows unexpected")
    assert check["sample"] and all(value.startswith("'C") for value in check["sample"])


@pytest.mark.spark
def test_amounts_without_decimal_point_fail_the_curated_gate_and_the_batch_is_withdrawn(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    amount = header.index("TransactionAmount (INR)")
    # An export that writes paise without the decimal point: 459.00 -> 45900.
    land(layout, header, [[*row[:amount], f"{float(row[amount]):.2f}".replace(".", "")] for row in rows])
    assert validate_layer.run(spark, layout, RUN_DATE, "raw")["success"]  # still numbers: only a parse sees it
    etl_record = etl.run(spark, layout, RUN_DATE)

    report = validate_layer.run(spark, layout, RUN_DATE, "curated")
    assert failed(report) == [("amount", "column_approximate_quantile_values_to_be_between")]
    (check,) = report["critical_failures"]
    assert check["expected"] == "q0.5 in [100, 5,000], allow_relative_error=0.001"
    # 459.00 INR read as 45900: the median moves up a hundredfold, out of the band.
    assert 100 * 300 < float(check["observed"].removeprefix("q0.5 = ").replace(",", "")) < 100 * 700
    assert "why: The real median amount is 459 INR" in quality.format_report(report)
    # Nothing of the failed batch stays where readers look; all of it is kept aside.
    assert not list(Path(layout.curated_transactions).rglob("*.parquet"))
    assert not list(Path(layout.quarantine).rglob("*.parquet"))
    rejected = spark.read.parquet(layout.rejected("curated_transactions", RUN_DATE))
    assert rejected.count() == etl_record["rows_curated"]
    assert [Path(p).name for p in report["withdrawn_to"]] == [RUN_DATE, RUN_DATE]


@pytest.mark.spark
def test_warnings_are_recorded_and_do_not_fail(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    header, rows = generated_rows(tmp_path)
    gender = header.index("CustGender")
    # 5% of rows lost their gender: unusual (0.1% in the real file) but not broken.
    rows = [[*row[:gender], "", *row[gender + 1 :]] if i % 20 == 0 else row for i, row in enumerate(rows)]
    unknown = sum(row[gender] not in ("M", "F") for row in rows)
    land(layout, header, rows)
    etl.run(spark, layout, RUN_DATE)
    report = validate_layer.run(spark, layout, RUN_DATE, "curated")
    assert report["success"] and report["critical_failures"] == []
    assert [(w["column"], w["expectation"]) for w in report["warnings"]] == [("gender", "column_values_to_be_in_set")]
    assert quality.warning_texts(report) == [
        f"gender column_values_to_be_in_set: {unknown} of {GENERATED_ROWS:,} rows unexpected ({100 * unknown / GENERATED_ROWS:.3g}%)"
    ]
    assert list(Path(layout.curated_transactions).rglob("*.parquet")), "a warning keeps the batch published"


@pytest.mark.spark
def test_duplicate_customers_fail_the_features_gate(spark, good_run):
    layout, _ = good_run
    snapshot = validate_layer.features_frame(spark, layout, RUN_DATE)
    doubled = snapshot.unionByName(snapshot.limit(3))
    report = quality.validate(doubled, DataLayout(layout.root + "-doubled"), "features", RUN_DATE)
    assert failed(report) == [("customer_id", "column_values_to_be_unique")]
    assert len(report["critical_failures"][0]["sample"]) == 5  # both copies of a few of the three ids


@pytest.mark.spark
def test_a_layer_that_was_never_written_is_a_clear_error(spark, tmp_path):
    with pytest.raises(quality.QualityError, match=r"no feature snapshot for 2016-10-21 .* run that step"):
        validate_layer.run(spark, DataLayout(str(tmp_path / "data")), RUN_DATE, "features")


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

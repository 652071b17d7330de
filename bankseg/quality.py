"""Data quality gates: Great Expectations suites run on Spark, and reports people can read.

Each layer of a daily run has a suite in ``expectations/<suite>.json``, in Great Expectations'
own format and versioned with the code. Every expectation carries a severity and a note that
states and justifies its threshold:

* ``critical``: the run must stop; the data is broken or a job has a bug.
* ``warning``: recorded and shown, the run goes on.

A validation runs inside the Spark application that produced the layer, on the *staged* output,
before anything is published (write, audit, publish). Great Expectations computes its metrics as
Spark aggregations and only small results (counts, medians, a handful of offending values) reach
the driver. The suite runs once with the boolean result format, which costs no scan for example
rows; only the expectations that failed run again for their details. Each run keeps two results
per suite: Great Expectations' own validation result (in ``quality/gx``, rendered into the Data
Docs site, which keeps the latest ``DATA_DOCS_RUNS`` runs per suite) and a plain report
``quality/results/<run date>/<suite>.json`` that the Airflow gate tasks, ``make run`` and the
dashboards read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bankseg.layout import REPOSITORY_ROOT, DataLayout
from bankseg.run_records import read_run_record, write_run_record

SUITES_DIR = REPOSITORY_ROOT / "expectations"
# Layer name -> suite file name (without .json).
SUITES = {"raw": "raw_transactions", "curated": "curated_transactions", "features": "customer_features"}
CRITICAL, WARNING = "critical", "warning"
# How far back a delivered transaction may be dated: the Kaggle extract delivered on 2016-10-21
# reaches back 81 days, so one quarter (92 days) is the window (see the curated suite's note).
MAX_DELIVERY_LAG_DAYS = 92
# The raw row count is compared with the previous run's: below a fifth or above five times warns.
ROW_COUNT_BAND = (0.2, 5.0)
# Offending values shown per failed expectation; Great Expectations keeps up to 20 in its result.
SAMPLE_SHOWN = 5
# Validation results kept per suite for the Data Docs site: its index lists every stored result,
# so an unbounded store would make each day's docs build slower than the last.
DATA_DOCS_RUNS = 30
PROJECT_LOCK = threading.Lock()
# Where an expectation stands in its suite, in the meta of the copy that runs.
POSITION = "bankseg_position"


class QualityError(RuntimeError):
    """A layer cannot be validated (for example its data was never written); says what to do."""


@dataclass(frozen=True)
class Check:
    """One expectation's outcome, in words a person can act on."""

    expectation: str
    column: str
    severity: str
    success: bool
    expected: str
    observed: str
    sample: list[str]
    notes: str

    def lines(self) -> list[str]:
        head = f"  {self.severity.upper():<8}  {self.column:<24}  {self.expectation} ({self.expected})"
        observed = f"            observed: {self.observed}"
        if self.sample:
            observed += "; e.g. " + ", ".join(self.sample)
        return [head, observed, f"            why: {self.notes}"] if self.notes else [head, observed]


def expectation_suite(suite_name: str):
    """The versioned suite as a Great Expectations suite, our own expectations registered first."""
    import great_expectations as gx

    import bankseg.gx_expectations  # noqa: F401  (registers the expectation types the suites use)

    return gx.ExpectationSuite(**load_suite_definition(suite_name))


def suite_path(suite_name: str) -> Path:
    return SUITES_DIR / f"{suite_name}.json"


def suite_digest(layer: str) -> str:
    """SHA-256 of the layer's suite file: a verdict counts for the data it judged under this suite only."""
    return hashlib.sha256(suite_path(SUITES[layer]).read_bytes()).hexdigest()


def load_suite_definition(suite_name: str) -> dict[str, Any]:
    """The suite as versioned in ``expectations/``."""
    return json.loads(suite_path(suite_name).read_text())


def report_path(layout: DataLayout, run_date: str, layer: str) -> Path:
    return Path(layout.quality) / "results" / run_date / f"{SUITES[layer]}.json"


def previous_rows_in(layout: DataLayout, run_date: str) -> int | None:
    """Rows in of the latest published ETL batch dated before ``run_date``, if any."""
    for earlier, path in reversed(layout.run_records("etl_transactions").items()):
        record = read_run_record(path)
        if earlier < run_date and record.get("published"):
            return record["rows_in"]
    return None


def suite_parameters(layout: DataLayout, layer: str, run_date: str) -> dict[str, Any]:
    """Values of the ``$PARAMETER`` placeholders in the layer's suite for this run date."""
    if layer == "raw":
        previous = previous_rows_in(layout, run_date)
        if previous is None:  # the first run has nothing to compare with
            return {"min_rows_vs_previous_run": 0, "max_rows_vs_previous_run": None}
        low, high = ROW_COUNT_BAND
        return {"min_rows_vs_previous_run": int(previous * low), "max_rows_vs_previous_run": int(previous * high) + 1}
    if layer == "curated":
        window_start = date.fromisoformat(run_date) - timedelta(days=MAX_DELIVERY_LAG_DAYS)
        return {"window_start": window_start.isoformat(), "run_date": run_date}
    return {}


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _quantiles(value: dict) -> str:
    """A quantile expectation's ranges or observed values, e.g. ``q0.5 in [100, 5,000]`` / ``q0.5 = 459``."""
    if "value_ranges" in value:
        return ", ".join(
            f"q{q:g} in [{_number(low)}, {_number(high)}]" for q, (low, high) in zip(value["quantiles"], value["value_ranges"])
        )
    return ", ".join(f"q{q:g} = {_number(v)}" for q, v in zip(value["quantiles"], value["values"]))


def _value(value: Any) -> str:
    return _quantiles(value) if isinstance(value, dict) and "quantiles" in value else _number(value)


def describe_result(result: Any) -> Check:
    """A Great Expectations expectation result as a ``Check``."""
    config = result.expectation_config
    kwargs = {key: value for key, value in config.kwargs.items() if key not in ("column", "batch_id")}
    details = result.result or {}
    # One exception, or (when a metric failed) one per metric, keyed by the metric's id.
    exceptions = [result.exception_info or {}, *(v for v in (result.exception_info or {}).values() if isinstance(v, dict))]
    raised = [e for e in exceptions if e.get("raised_exception")]
    if raised:
        observed = f"error: {raised[0].get('exception_message')}"
    elif "observed_value" in details:
        observed = _value(details["observed_value"])
    elif "unexpected_count" in details:
        observed = (
            f"{_number(details['unexpected_count'])} of {_number(details.get('element_count'))} rows unexpected "
            f"({details.get('unexpected_percent') or 0:.3g}%)"
        )
    else:
        observed = "n/a"
    return Check(
        expectation=config.type.removeprefix("expect_"),
        column=config.kwargs.get("column", "(table)"),
        severity=getattr(config.severity, "value", str(config.severity)),
        success=bool(result.success),
        expected=", ".join(_value(value) if key == "quantile_ranges" else f"{key}={_value(value)}" for key, value in kwargs.items()),
        observed=observed,
        sample=[repr(value) for value in (details.get("partial_unexpected_list") or [])[:SAMPLE_SHOWN]],
        notes=config.notes or "",
    )


def gx_context(layout: DataLayout):
    """The Great Expectations project under the data directory (results, Data Docs)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    Path(layout.quality).mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=layout.quality)
    # Progress bars would fill the task log with carriage-return noise.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate(frame, layout: DataLayout, layer: str, run_date: str, notes: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """Run the layer's suite on ``frame``, keep both results, update Data Docs; return the report.

    ``notes`` are sentences the report leads with (a landing file's wrong header, say)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier, ValidationResultIdentifier

    # Great Expectations logs every metric at INFO; the report below is what people read.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    started = time.monotonic()
    suite_name = SUITES[layer]
    # The project's files (its configuration, the results store, Data Docs) take one writer at a
    # time; the Spark work of two gates may overlap.
    with PROJECT_LOCK:
        context = gx_context(layout)
        suite = expectation_suite(suite_name)
        source = context.data_sources.add_or_update_spark("spark")
        asset = next((a for a in source.assets if a.name == suite_name), None) or source.add_dataframe_asset(suite_name)
        definition = asset.batch_definitions[0] if asset.batch_definitions else asset.add_batch_definition_whole_dataframe("run")
        batch = definition.get_batch(batch_parameters={"dataframe": frame})
    parameters = suite_parameters(layout, layer, run_date)
    validation = run_suite(batch, suite, parameters)
    run_id = RunIdentifier(run_name=f"{suite_name}-{run_date}")
    identifier = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite_name), run_id, f"{suite_name}-{run_date}")
    with PROJECT_LOCK:
        context.validation_results_store.store_validation_results(validation, identifier, ExpectationSuiteIdentifier(name=suite_name))
        prune_validation_results(layout, suite_name)
        context.build_data_docs(resource_identifiers=[identifier])

    checks = [describe_result(result) for result in validation.results]
    report = {
        "layer": layer,
        "suite": suite_name,
        "run_date": run_date,
        "success": not any(not c.success and c.severity == CRITICAL for c in checks),
        "rows": frame.count(),
        "evaluated": len(checks),
        "notes": list(notes),
        "critical_failures": [c.__dict__ for c in checks if not c.success and c.severity == CRITICAL],
        "warnings": [c.__dict__ for c in checks if not c.success and c.severity != CRITICAL],
        "passed": sum(c.success for c in checks),
        "suite_file": str(suite_path(suite_name)),
        "suite_digest": suite_digest(layer),
        "results_file": str(report_path(layout, run_date, layer)),
        "data_docs": context.get_docs_sites_urls()[0]["site_url"],
        "seconds": round(time.monotonic() - started, 1),
    }
    write_run_record(str(report_path(layout, run_date, layer)), report)
    return report


def run_suite(batch, suite, parameters: dict[str, Any]):
    """The suite's validation result, with no scan for example rows where an expectation passes.

    Column map expectations (formats, nulls, sets, uniqueness) run with the boolean result format:
    one count of unexpected rows each, bundled into few Spark jobs. The other expectations (row
    counts, columns, quantiles) are aggregates whose observed values cost nothing extra, so they
    keep them. Only the map expectations that failed run again, for their counts and examples."""
    import great_expectations as gx
    from great_expectations.expectations.expectation import ColumnMapExpectation

    runs = []

    def run(indexes: list[int], result_format: str) -> dict[int, Any]:
        """The results of ``indexes``' expectations, by index: Great Expectations returns them in an
        order of its own, so each copy carries its index in its meta."""
        if not indexes:
            return {}
        copies = []
        for index in indexes:
            copy = expectations[index].copy()
            copy.meta = {**(copy.meta or {}), POSITION: index}
            copies.append(copy)
        runs.append(batch.validate(gx.ExpectationSuite(name=suite.name, expectations=copies),
                                   result_format={"result_format": result_format}, expectation_parameters=parameters))
        return {result.expectation_config.meta[POSITION]: result for result in runs[-1].results}

    expectations = list(suite.expectations)  # the suite hands out new copies on every access
    maps = [index for index, e in enumerate(expectations) if isinstance(e, ColumnMapExpectation)]
    aggregates = [index for index, e in enumerate(expectations) if not isinstance(e, ColumnMapExpectation)]
    results = run(maps, "BOOLEAN_ONLY")
    results.update(run([index for index in maps if not results[index].success] + aggregates, "SUMMARY"))
    ordered = [results[index] for index in range(len(expectations))]
    passed = sum(result.success for result in ordered)
    return gx.core.ExpectationSuiteValidationResult(
        success=passed == len(ordered),
        results=ordered,
        suite_name=suite.name,
        suite_parameters=parameters,
        statistics={"evaluated_expectations": len(ordered), "successful_expectations": passed,
                    "unsuccessful_expectations": len(ordered) - passed, "success_percent": 100.0 * passed / max(len(ordered), 1)},
        meta=runs[-1].meta if runs else None,
    )


def validate_in_background(frame, layout: DataLayout, layer: str, run_date: str) -> Future:
    """``validate`` in a thread of its own, so the Spark jobs of the gate fill the gaps between the
    next steps' jobs; the caller waits for ``.result()`` before it publishes anything."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gate-{layer}")
    future = executor.submit(validate, frame, layout, layer, run_date)
    executor.shutdown(wait=False)
    return future


def suite_columns(layer: str) -> list[str]:
    """The columns the layer's suite reads: a gate caches only those."""
    expectations = load_suite_definition(SUITES[layer])["expectations"]
    return sorted({e["kwargs"]["column"] for e in expectations if "column" in e["kwargs"]})


def prune_validation_results(layout: DataLayout, suite_name: str, keep: int = DATA_DOCS_RUNS) -> None:
    """Keep the latest ``keep`` stored results of the suite (and their Data Docs pages), oldest removed first."""
    uncommitted = Path(layout.quality) / "gx" / "uncommitted"
    for folder in (uncommitted / "validations" / suite_name, uncommitted / "data_docs" / "local_site" / "validations" / suite_name):
        runs = sorted((child for child in folder.glob("*") if child.is_dir()), key=lambda child: child.stat().st_mtime)
        for stale in runs[:-keep]:
            shutil.rmtree(stale, ignore_errors=True)


def restore_report(layout: DataLayout, run_date: str, report: dict[str, Any]) -> dict[str, Any]:
    """Put back the report of a verdict that stands for this run too (the same data, the same suite)."""
    restored = {**report, "results_file": str(report_path(layout, run_date, report["layer"]))}
    write_run_record(restored["results_file"], restored)
    return restored


def clear_reports(layout: DataLayout, run_date: str, layers: tuple[str, ...]) -> None:
    """A report left by an earlier attempt must never pass for this attempt's verdict."""
    for layer in layers:
        report_path(layout, run_date, layer).unlink(missing_ok=True)


def gate_failure(report: dict[str, Any]) -> dict[str, Any]:
    """What a job's run record says of a gate that failed."""
    return {"gate": report["suite"], "gate_failures": [headline(report)]}


def reject(report: dict[str, Any], unit, rejected_to: str) -> dict[str, Any]:
    """Keep the staged unit (a ``bankseg.publish.StagedUnit``) whose gate failed at ``rejected_to``
    for inspection, note it in the report, and return what the run record says."""
    kept = unit.reject(rejected_to)
    write_run_record(report["results_file"], {**report, "rejected_to": kept})
    return {**gate_failure(report), "rejected_to": kept}


def failed_reports(layout: DataLayout, run_date: str) -> list[dict[str, Any]]:
    """The reports of ``run_date`` whose critical expectations failed."""
    paths = [report_path(layout, run_date, layer) for layer in SUITES]
    reports = [read_run_record(str(path)) for path in paths if path.exists()]
    return [report for report in reports if not report["success"]]


def read_report(layout: DataLayout, run_date: str, layer: str) -> dict[str, Any]:
    path = report_path(layout, run_date, layer)
    if not path.exists():
        raise QualityError(f"no validation report at {path}: the validation job did not finish")
    return read_run_record(str(path))


def warning_texts(report: dict[str, Any]) -> list[str]:
    """One line per failed warning-level expectation."""
    return [f"{w['column']} {w['expectation']}: {w['observed']}" for w in report["warnings"]]


def headline(report: dict[str, Any]) -> str:
    verdict = "passed" if report["success"] else "FAILED"
    return (
        f"{report['suite']} on {report['run_date']}: {verdict}, {len(report['critical_failures'])} critical "
        f"failure(s), {len(report['warnings'])} warning(s); {report['passed']} of {report['evaluated']} "
        f"expectations met on {report['rows']:,} rows in {report['seconds']} s"
    )


def format_report(report: dict[str, Any]) -> str:
    """The summary a task log shows: what failed, on which column, what was seen, why it matters."""
    lines = [headline(report)]
    for check in [*report["critical_failures"], *report["warnings"]]:
        lines += Check(**check).lines()
    lines[1:1] = [f"  {note}" for note in report.get("notes", [])]
    if report.get("rejected_to"):
        lines.append(f"nothing published; the staged batch is kept for inspection in {report['rejected_to']}")
    lines += [f"results     {report['results_file']}", f"Data Docs   {report['data_docs']}"]
    return "\n".join(lines)

"""The data quality gate as an Airflow operator: one layer, its Great Expectations suite, on Spark.

    from gx_validation import GreatExpectationsValidationOperator
    GreatExpectationsValidationOperator(layer="curated", run_date="{{ ds }}", data_dir=DATA_DIR)

The validation itself is the Spark job ``jobs/validate_layer.py``, submitted like every other job
(``spark_default``), so it scales out with the cluster and never pulls a dataset onto the Airflow
worker. The operator then reads the job's report and

* logs a readable summary: each failed expectation with its column, expected and observed values,
  a few offending values and why the threshold is what it is, then the report and Data Docs paths;
* fails the task on any failed critical expectation, without retries (the same data gives the same
  verdict; fix the data or the code, then clear the task);
* lets the run go on when only warnings failed, returning them for the run's summary.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk.exceptions import AirflowFailException

from bankseg import pipeline, quality
from bankseg.layout import DataLayout


class GreatExpectationsValidationOperator(SparkSubmitOperator):
    """Validate ``layer`` (raw, curated or features) of ``run_date``; task id ``validate_<layer>``."""

    template_fields = (*SparkSubmitOperator.template_fields, "run_date")
    ui_color = "#d8ecd9"

    def __init__(self, *, layer: str, run_date: str, data_dir: str, **kwargs: Any) -> None:
        if layer not in quality.SUITES:
            raise ValueError(f"layer must be one of {sorted(quality.SUITES)}, not {layer!r}")
        kwargs.setdefault("task_id", f"validate_{layer}")
        super().__init__(**pipeline.spark_submit_arguments("validate_layer", run_date, data_dir, ["--layer", layer]), **kwargs)
        self.layer = layer
        self.run_date = run_date
        self.data_dir = data_dir

    def execute(self, context: Any) -> dict[str, Any]:
        layout = DataLayout(self.data_dir)
        # A report left by an earlier attempt must never pass for this attempt's verdict.
        quality.report_path(layout, self.run_date, self.layer).unlink(missing_ok=True)
        super().execute(context)
        report = quality.read_report(layout, self.run_date, self.layer)
        summary = quality.format_report(report)
        if not report["success"]:
            self.log.error("%s", summary)
            raise AirflowFailException(f"{quality.headline(report)}. Data Docs: {report['data_docs']}")
        if report["warnings"]:
            self.log.warning("%s", summary)
        else:
            self.log.info("%s", summary)
        return {
            "suite": report["suite"],
            "passed": report["passed"],
            "evaluated": report["evaluated"],
            "warnings": quality.warning_texts(report),
            "results_file": report["results_file"],
        }

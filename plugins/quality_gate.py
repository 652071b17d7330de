"""The data quality gate as an Airflow task: the verdict of one layer's Great Expectations suite.

    from quality_gate import QualityGateOperator
    QualityGateOperator(layer="curated", run_date="{{ ds }}")     # task id validate_curated

The suite itself runs inside the Spark application that produced the layer, on its staged output,
before anything is published (``bankseg.quality``); that application never publishes a layer that
failed. This task makes the verdict visible where engineers look, and stops the run:

* its log shows a readable summary: each failed expectation with its column, expected and observed
  values, a few offending values and why the threshold is what it is, then the report and Data
  Docs paths;
* a failed critical expectation fails the task, without retries (the same data gives the same
  verdict; fix the data or the code, then clear the upstream task);
* when only warnings failed, the run goes on and the task returns them for the run's summary.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from bankseg import quality
from bankseg.layout import DataLayout


class QualityGateOperator(BaseOperator):
    """Show and enforce the verdict of ``layer`` (raw, curated or features) for ``run_date``."""

    template_fields = ("run_date",)
    ui_color = "#d8ecd9"

    def __init__(self, *, layer: str, run_date: str, **kwargs: Any) -> None:
        if layer not in quality.SUITES:
            raise ValueError(f"layer must be one of {sorted(quality.SUITES)}, not {layer!r}")
        kwargs.setdefault("task_id", f"validate_{layer}")
        kwargs["retries"] = 0
        super().__init__(**kwargs)
        self.layer = layer
        self.run_date = run_date

    def execute(self, context: Any) -> dict[str, Any]:
        report = quality.read_report(DataLayout.from_env(), self.run_date, self.layer)
        summary = quality.format_report(report)
        if not report["success"]:
            self.log.error("%s", summary)
            raise AirflowFailException(f"{quality.headline(report)}. Nothing of {self.run_date} was published. Data Docs: {report['data_docs']}")
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

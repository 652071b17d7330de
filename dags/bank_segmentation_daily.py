"""
### bank_segmentation_daily

Turns the day's landing files into curated transactions, a quarantine of unusable rows, and one
feature row per customer, with a Great Expectations gate after each layer.

* **Landing:** the run for logical date `D` ingests `landing/D/*.csv[.gz]` under the data
  directory (`$BANKSEG_DATA_DIR`). Nothing landed: the run is skipped, not failed.
* **Quality gates:** `validate_raw`, `validate_curated` and `validate_features` run the suites in
  `expectations/`. A failed critical expectation fails the task (no retries) and stops the run;
  the task log names the expectation, column, observed value and offending values. Warnings are
  logged and the run goes on. Reports: `quality/results/D/`; Data Docs: `quality/gx/uncommitted/data_docs/local_site/index.html`.
* **Spark:** each job goes through `SparkSubmitOperator` and the `spark_default` connection
  (`local[*]` by default; point it at `spark://host:7077` to run on a cluster).
* **Idempotent:** every task replaces exactly the partitions of its date, so clearing and rerunning
  a day (or a backfill) gives the same result.
* **Manual trigger:** set `run_date` to process another day than the logical date.
* **Asset:** `bankseg_customer_features` is updated once the features passed their gate.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, task
from gx_validation import GreatExpectationsValidationOperator

from bankseg import pipeline
from bankseg.layout import DataLayout

DATA_DIR = DataLayout.from_env().root
RUN_DATE = "{{ params.run_date or ds }}"
CUSTOMER_FEATURES = Asset(name="bankseg_customer_features", uri=f"file://{DataLayout(DATA_DIR).customer_features}")


def spark_job(job_name: str) -> SparkSubmitOperator:
    return SparkSubmitOperator(task_id=job_name, **pipeline.spark_submit_arguments(job_name, RUN_DATE, DATA_DIR))


def quality_gate(layer: str, **kwargs) -> GreatExpectationsValidationOperator:
    return GreatExpectationsValidationOperator(layer=layer, run_date=RUN_DATE, data_dir=DATA_DIR, **kwargs)


with DAG(
    dag_id="bank_segmentation_daily",
    description="Landing CSV -> curated transactions + quarantine -> customer features, each layer validated",
    doc_md=__doc__,
    # Interval semantics: the run for day D starts once D is over and processes D's landing files.
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime(2016, 8, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-engineering", "retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "run_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Run date",
            description="Process this date's landing folder instead of the logical date (YYYY-MM-DD).",
        ),
    },
    tags=["bankseg", "daily", "spark", "quality"],
) as dag:

    @task.short_circuit(retries=0)
    def landing_files_present(run_date: str) -> bool:
        return bool(pipeline.find_landing_files(run_date))

    @task
    def report_run(run_date: str) -> dict:
        summary = pipeline.run_summary(run_date)
        print(pipeline.format_summary(summary))
        return summary

    (
        landing_files_present(RUN_DATE)
        >> quality_gate("raw")
        >> spark_job("etl_transactions")
        >> quality_gate("curated")
        >> spark_job("customer_features")
        >> quality_gate("features", outlets=[CUSTOMER_FEATURES])
        >> report_run(RUN_DATE)
    )

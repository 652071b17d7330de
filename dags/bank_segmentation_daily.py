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
* **Asset:** `bankseg_customer_features` is updated once the features passed their gate; it
  starts `bank_segmentation_training`.
* **Scoring:** `score_customers` applies the MLflow model `bank_customer_segmentation@champion` to
  every customer (segments, profiles, migration since the previous scored snapshot). Without a champion it is
  skipped and the log says how to get one.
* **Dashboards:** `dashboard_marts` rebuilds the pre-aggregated tables the dashboards read
  (`marts/dashboards/snapshot_date=D/`), with or without segments; the dashboards are at `/bankseg/`
  on the Airflow API server (Browse > Segmentation dashboards).
* **Hive:** `register_hive` registers the run's partitions (and new columns) of every table of
  database `bank` through HiveServer2, for analysts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, TriggerRule, task
from gx_validation import GreatExpectationsValidationOperator

from bankseg import hive, pipeline
from bankseg.layout import DataLayout

DATA_DIR = DataLayout.from_env().root
RUN_DATE = "{{ params.run_date or ds }}"
CUSTOMER_FEATURES = Asset(name=pipeline.CUSTOMER_FEATURES_ASSET, uri=pipeline.customer_features_asset_uri(DataLayout(DATA_DIR)))


def spark_job(job_name: str, **kwargs) -> SparkSubmitOperator:
    return SparkSubmitOperator(task_id=job_name, **pipeline.spark_submit_arguments(job_name, RUN_DATE, DATA_DIR), **kwargs)


def quality_gate(layer: str, **kwargs) -> GreatExpectationsValidationOperator:
    return GreatExpectationsValidationOperator(layer=layer, run_date=RUN_DATE, data_dir=DATA_DIR, **kwargs)


with DAG(
    dag_id="bank_segmentation_daily",
    description="Landing CSV -> curated + quarantine -> features -> segments, each layer validated, registered in Hive",
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
    tags=["bankseg", "daily", "spark", "quality", "hive", "dashboards"],
) as dag:

    @task.short_circuit(retries=0)
    def landing_files_present(run_date: str) -> bool:
        return bool(pipeline.find_landing_files(run_date))

    # Skips only scoring when no model is champion yet (the log says how to get one); the report still runs.
    @task.short_circuit(retries=0, ignore_downstream_trigger_rules=False)
    def champion_available() -> bool:
        return pipeline.champion_available()

    # Runs whether scoring ran or was skipped (no champion yet): registers every table of the run.
    @task(trigger_rule=TriggerRule.NONE_FAILED, execution_timeout=timedelta(minutes=30))
    def register_hive(run_date: str) -> dict:
        return hive.register_run(run_date)

    @task(trigger_rule=TriggerRule.NONE_FAILED)
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
        >> champion_available()
        >> spark_job("score_customers")
        >> spark_job("dashboard_marts", trigger_rule=TriggerRule.NONE_FAILED)
        >> register_hive(RUN_DATE)
        >> report_run(RUN_DATE)
    )

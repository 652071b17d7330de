"""
### bank_segmentation_daily

Turns the day's landing files into one batch of curated transactions and quarantine, then the
day's snapshot of every customer (features, segments, dashboard marts), each written, audited by
its Great Expectations suite and only then published.

* **Landing:** the run for logical date `D` ingests `landing/D/*.csv[.gz]` under the data
  directory (`$BANKSEG_DATA_DIR`). Nothing landed: the run is skipped, not failed.
* **Write, audit, publish:** `daily_pipeline` is one Spark application in two steps. The batch step
  reads the landing files once, runs the raw suite on them and the curated suite on the staged
  batch, and publishes `warehouse/batches/ingest_date=D/` in one atomic swap only if both passed.
  The snapshot step folds the batch into the previous snapshot, runs the features suite on the
  staged snapshot, scores every customer with the champion model and builds the dashboard marts,
  then publishes `warehouse/snapshots/snapshot_date=D/` the same way. A failed gate or a killed
  run leaves what was published as it was.
* **Quality gates:** `validate_raw`, `validate_curated` and `validate_features` show each suite's
  verdict (suites in `expectations/`). A failed critical expectation fails the gate (no retries)
  and stops the run; the log names the expectation, column, observed value and offending values.
  Warnings are logged and the run goes on. Reports: `quality/results/D/`; Data Docs:
  `quality/gx/uncommitted/data_docs/local_site/index.html`.
* **Spark:** the job goes through `SparkSubmitOperator` and the `spark_default` connection
  (`local[*]` by default; point it at `spark://host:7077` to run on a cluster).
* **Idempotent:** each step replaces exactly its folder of the date, so clearing and rerunning a day
  (or a backfill) gives the same result.
* **Manual trigger:** set `run_date` to process another day than the logical date; set `steps` to
  `["snapshot"]` to rebuild and rescore a day's snapshot on its published batch (after promoting a
  new champion, say).
* **Asset:** `bankseg_customer_features` is updated once the features passed their gate; it
  starts `bank_segmentation_training`.
* **Scoring:** with a champion model (`bank_customer_segmentation@champion`), every customer gets
  a segment; without one the segment tables are empty and the log says how to get one.
* **Hive:** `register_hive` registers the run's partitions (and new columns) of every table of
  database `bank` through HiveServer2, for analysts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, TriggerRule, task
from quality_gate import QualityGateOperator

from bankseg import hive, pipeline
from bankseg.layout import DataLayout

DATA_DIR = DataLayout.from_env().root
RUN_DATE = "{{ params.run_date or ds }}"
CUSTOMER_FEATURES = Asset(name=pipeline.CUSTOMER_FEATURES_ASSET, uri=pipeline.customer_features_asset_uri(DataLayout(DATA_DIR)))
STEPS = ["batch", "snapshot"]

with DAG(
    dag_id="bank_segmentation_daily",
    description="Landing CSV -> curated + quarantine -> customer snapshot with segments, each audited before it is published, registered in Hive",
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
        "steps": Param(
            STEPS,
            type="array",
            items={"type": "string", "enum": STEPS},
            title="Steps",
            description="batch and snapshot (the default), or snapshot alone to rebuild and rescore the day on its published batch.",
        ),
    },
    tags=["bankseg", "daily", "spark", "quality", "hive", "dashboards"],
) as dag:

    @task.short_circuit(retries=0)
    def landing_files_present(run_date: str) -> bool:
        return pipeline.landing_files_present(run_date)

    @task(execution_timeout=timedelta(minutes=30))
    def register_hive(run_date: str) -> dict:
        return hive.register_run(run_date)

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def report_run(run_date: str) -> dict:
        summary = pipeline.run_summary(run_date)
        print(pipeline.format_summary(summary))
        return summary

    daily_pipeline = SparkSubmitOperator(
        task_id="daily_pipeline",
        **pipeline.spark_submit_arguments("daily_pipeline", RUN_DATE, DATA_DIR, ["--steps", "{{ params.steps | join(',') }}"]),
    )

    (
        landing_files_present(RUN_DATE)
        >> daily_pipeline
        >> QualityGateOperator(layer="raw", run_date=RUN_DATE)
        >> QualityGateOperator(layer="curated", run_date=RUN_DATE)
        >> QualityGateOperator(layer="features", run_date=RUN_DATE, outlets=[CUSTOMER_FEATURES])
        >> register_hive(RUN_DATE)
        >> report_run(RUN_DATE)
    )

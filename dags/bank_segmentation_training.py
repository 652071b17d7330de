"""
### bank_segmentation_training

Segments customers from a features snapshot and tracks why the chosen model was chosen.

* **Trigger:** the asset `bankseg_customer_features`, emitted by the daily DAG once a day's features
  passed their quality gate; or by hand from the UI with the parameters below.
* **Nothing new:** a run the asset started is skipped when a registered version was already trained on
  exactly the snapshot's features (the same `features_digest`); `make run` trains on the day it runs, so
  the scheduler of a later `make up` would otherwise train the same model again. A run by hand always
  trains.
* **Work:** one Spark job (`jobs/train_segmentation.py`, through `spark_default`). A seeded sample of
  `sample_customers` decides. On a subset of it (`sweep_customers`): KMeans and bisecting KMeans for
  every k of the range (scikit-learn), Ward agglomerative on an evaluation sample; exact silhouette, within-cluster cost,
  Davies-Bouldin and Calinski-Harabasz per k. The chosen KMeans fit runs until its centres settle;
  its centroids then segment every customer in Spark.
* **MLflow:** experiment `bank_customer_segmentation`, one parent run per training with a nested run
  per (algorithm, k), plots, and the features snapshot as the run's input. The chosen model is
  logged as code with its parameters as plain data (no pickle), registered as
  `bank_customer_segmentation`, and gets the alias `champion` only if it passes the quality gates
  (no segment under 1%, silhouette floor, worst stability ARI >= 0.8 between the chosen model and its bootstrap refits, every
  fit converged within its iteration budget, enough customers per segment).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Asset, Param, task

from bankseg import pipeline, training_parameters
from bankseg.layout import DataLayout

DATA_DIR = DataLayout.from_env().root
# Asset-triggered runs have no logical date (no `ds`); run_after is always set.
RUN_DATE = "{{ params.snapshot_date or (dag_run.run_after | ds) }}"
CUSTOMER_FEATURES = Asset(name=pipeline.CUSTOMER_FEATURES_ASSET, uri=pipeline.customer_features_asset_uri(DataLayout(DATA_DIR)))

with DAG(
    dag_id="bank_segmentation_training",
    description="k-sweep of KMeans, bisecting and agglomerative clustering in MLflow; champion if the gates pass",
    doc_md=__doc__,
    schedule=[CUSTOMER_FEATURES],
    start_date=datetime(2016, 8, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-engineering", "retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "snapshot_date": Param(None, type=["null", "string"], format="date", title="Features snapshot",
                               description="Train on the latest snapshot on or before this date (default: the run's date)."),
        **{name: Param(schema.pop("default"), **schema) for name, schema in training_parameters.param_schemas().items()},
    },
    tags=["bankseg", "training", "spark", "mlflow"],
) as dag:

    @task.short_circuit(retries=0)
    def features_not_yet_trained(run_date: str, dag_run=None) -> bool:
        # Airflow passes the run from the task's context.
        return pipeline.features_not_yet_trained(run_date, dag_run.run_type)

    @task
    def report_training(run_date: str) -> dict:
        summary = pipeline.training_summary(run_date)
        verdict = "champion" if summary["champion"] else "not champion: " + "; ".join(summary["gate_failures"])
        print(f"model version {summary['model_version']} (k={summary['chosen_k']}): {verdict}")
        print("\n".join(pipeline.format_segments(summary["segments"])))
        return {key: summary[key] for key in ("model_version", "chosen_k", "champion", "silhouette_sample", "stability_ari")}

    # No automatic retry: a retry after the model was registered would register and promote it again.
    train = SparkSubmitOperator(
        task_id="train_segmentation",
        retries=0,
        **pipeline.spark_submit_arguments("train_segmentation", RUN_DATE, DATA_DIR, training_parameters.job_arguments()),
    )
    features_not_yet_trained(RUN_DATE) >> train >> report_training(RUN_DATE)

"""
### bank_segmentation_training

Segments customers from a features snapshot and tracks why the chosen model was chosen.

* **Trigger:** the asset `bankseg_customer_features`, emitted by the daily DAG once a day's features
  passed their quality gate; or by hand from the UI with the parameters below.
* **Work:** one Spark job (`jobs/train_segmentation.py`, through `spark_default`): KMeans and
  bisecting KMeans for every k of the range on all customers (on a uniform sample of
  `sweep_customers` when there are more), Ward agglomerative on a stratified sample; silhouette (Spark on all rows, scikit-learn exact on the sample), within-cluster cost,
  Davies-Bouldin and Calinski-Harabasz per k.
* **MLflow:** experiment `bank_customer_segmentation`, one parent run per training with a nested run
  per (algorithm, k), plots, and the features snapshot as the run's input. The chosen KMeans model
  is registered as `bank_customer_segmentation` and gets the alias `champion` only if it passes the
  quality gates (no segment under 1%, silhouette floor, stability ARI >= 0.8 between fits on two
  bootstrap halves of the customers, or of the `sweep_customers` sample when there are more).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Asset, Param, task

from bankseg import pipeline
from bankseg.layout import DataLayout

DATA_DIR = DataLayout.from_env().root
# Asset-triggered runs have no logical date (no `ds`); run_after is always set.
RUN_DATE = "{{ params.snapshot_date or (dag_run.run_after | ds) }}"
CUSTOMER_FEATURES = Asset(name=pipeline.CUSTOMER_FEATURES_ASSET, uri=pipeline.customer_features_asset_uri(DataLayout(DATA_DIR)))
ALGORITHMS = ["kmeans", "bisecting_kmeans", "agglomerative"]
TRAINING_ARGS = [
    "--k-min", "{{ params.k_min }}",
    "--k-max", "{{ params.k_max }}",
    "--chosen-k", "{{ params.chosen_k }}",
    "--algorithms", "{{ params.algorithms | join(',') }}",
    "--sample-size", "{{ params.sample_size }}",
    "--seed", "{{ params.seed }}",
    "--selection", "{{ params.selection }}",
    "--sweep-customers", "{{ params.sweep_customers }}",
]

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
        "k_min": Param(2, type="integer", minimum=2, maximum=30, title="Smallest k"),
        "k_max": Param(10, type="integer", minimum=2, maximum=30, title="Largest k"),
        "chosen_k": Param(6, type="integer", minimum=2, maximum=30, title="Chosen k",
                          description="The number of segments of the registered model (with selection chosen_k)."),
        "algorithms": Param(ALGORITHMS, type="array", items={"type": "string", "enum": ALGORITHMS}, title="Algorithms to compare"),
        # Ward clustering holds the sample's pairwise distances in memory: 10,000 rows take about 400 MB.
        "sample_size": Param(10_000, type="integer", minimum=1_000, maximum=10_000, title="Sample size",
                             description="Rows of the stratified sample for exact silhouette and agglomerative clustering."),
        "seed": Param(42, type="integer", title="Seed"),
        "sweep_customers": Param(1_000_000, type="integer", minimum=10_000, title="Customers in the k-sweep and stability check",
                                 description="The k-sweep and the stability check fit a uniform sample of this many customers when the snapshot has more; "
                                             "the chosen model is always fitted on all customers."),
        "selection": Param("chosen_k", enum=["chosen_k", "best_silhouette"], title="Model selection"),
    },
    tags=["bankseg", "training", "spark", "mlflow"],
) as dag:

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
        **pipeline.spark_submit_arguments("train_segmentation", RUN_DATE, DATA_DIR, TRAINING_ARGS),
    )
    train >> report_training(RUN_DATE)

"""Training, registry, scoring and serving against a real MLflow store (SQLite under a temp data dir)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from bankseg import segmentation, synthetic, tracking
from bankseg.layout import DataLayout
from bankseg.platform import http_answers
from bankseg.standalone_cluster import free_port
from jobs import customer_features, score_customers, train_segmentation
from jobs import etl_transactions as etl

pytestmark = pytest.mark.spark

RUN_DATE = "2016-10-21"
ROWS = 6_000
TRAINING = {"k_min": 2, "k_max": 4, "chosen_k": 4, "sample_size": 1_500}


@pytest.fixture(scope="module")
def trained(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("training")
    layout = DataLayout(str(root / "data"))
    landing = Path(layout.landing_for(RUN_DATE))
    landing.mkdir(parents=True)
    synthetic.generate_csv(landing / "bank_transactions.csv", rows=ROWS, seed=21)
    etl.run(spark, layout, RUN_DATE)
    customer_features.run(spark, layout, RUN_DATE)
    first = train_segmentation.run(spark, layout, RUN_DATE, seed=42, **TRAINING)
    return layout, first


@pytest.fixture(scope="module")
def retrained(spark, trained):
    """A second training with another seed, after the first model was made champion."""
    layout, first = trained
    tracking.promote(layout, first["model_version"])
    return train_segmentation.run(spark, layout, RUN_DATE, seed=7, **TRAINING)


def mlflow_client(layout: DataLayout):
    from mlflow import MlflowClient

    tracking.configure(layout)
    return MlflowClient()


def test_training_logs_a_parent_run_and_one_nested_run_per_algorithm_and_k(spark, trained):
    layout, record = trained
    client = mlflow_client(layout)
    children = client.search_runs(
        [record["experiment_id"]], filter_string=f"tags.mlflow.parentRunId = '{record['parent_run_id']}'"
    )
    names = sorted(run.info.run_name for run in children)
    assert names == sorted(f"{a}-k{k}" for a in train_segmentation.ALGORITHMS for k in (2, 3, 4))
    kmeans_k4 = next(run for run in children if run.info.run_name == "kmeans-k4")
    for metric in ("silhouette_spark", "silhouette_sample", "wcss", "davies_bouldin", "calinski_harabasz", "min_share"):
        assert math_finite(kmeans_k4.data.metrics[metric]), metric
    artifacts = {item.path for item in client.list_artifacts(record["parent_run_id"], "plots")}
    assert artifacts == {f"plots/{name}.png" for name in ("elbow", "silhouette_vs_k", "silhouette_chosen", "segment_profiles", "projection_2d", "dendrogram")}
    parent = client.get_run(record["parent_run_id"])
    # Each fit's own time is recorded, and it is a part of the training run's.
    assert 0 < kmeans_k4.data.metrics["fit_seconds"] * 1000 < parent.info.end_time - parent.info.start_time
    assert 1 <= kmeans_k4.data.metrics["iterations"] <= 20
    (dataset,) = parent.inputs.dataset_inputs
    assert dataset.dataset.name == f"customer_features@{RUN_DATE}"
    snapshot = spark.read.parquet(f"{layout.customer_features}/snapshot_date={RUN_DATE}")
    assert dataset.dataset.digest == train_segmentation.content_hash(snapshot)
    assert parent.data.params["customers"] == str(snapshot.count())


def test_the_content_hash_follows_the_rows_not_their_order(spark, trained):
    layout, _ = trained
    snapshot = spark.read.parquet(f"{layout.customer_features}/snapshot_date={RUN_DATE}")
    digest = train_segmentation.content_hash(snapshot)
    assert len(digest) == 16
    assert train_segmentation.content_hash(snapshot.repartition(7).orderBy("recency_days")) == digest
    one_row_changed = snapshot.withColumn(
        "frequency", F.when(F.col("customer_id") == snapshot.first()["customer_id"], F.col("frequency") + 1).otherwise(F.col("frequency"))
    )
    assert train_segmentation.content_hash(one_row_changed) != digest


def math_finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def test_the_chosen_model_is_registered_with_its_gate_verdict(trained):
    layout, record = trained
    client = mlflow_client(layout)
    version = client.get_model_version(segmentation.REGISTERED_MODEL, record["model_version"])
    assert version.tags["quality_gates"] == ("passed" if record["champion"] else "; ".join(record["gate_failures"]))
    assert record["chosen_k"] == 4 and len(record["segments"]) == 4
    assert sum(row["customers"] for row in record["segments"]) == record["customers"]
    if record["champion"]:
        assert str(tracking.champion_version(layout).version) == record["model_version"]


def test_scoring_assigns_every_customer_and_profiles_reconcile(spark, trained):
    layout, record = trained
    tracking.promote(layout, record["model_version"])
    scored = score_customers.run(spark, layout, RUN_DATE)
    features = spark.read.parquet(f"{layout.customer_features}/snapshot_date={RUN_DATE}")
    segments = spark.read.parquet(layout.customer_segments)
    assert segments.count() == features.count() == scored["customers_scored"]
    assert segments.select("customer_id").distinct().count() == features.count()
    ids = {row["segment_id"] for row in record["segments"]}
    assert {row[0] for row in segments.select("segment_id").distinct().collect()} <= ids
    profiles = spark.read.parquet(layout.segment_profiles).collect()
    assert sum(row["customers"] for row in profiles) == features.count()
    assert sum(row["share"] for row in profiles) == pytest.approx(1.0)
    migration = spark.read.parquet(layout.segment_migration).collect()
    assert {row["from_segment_id"] for row in migration} == {None}  # the first scored day: everyone is new


def test_a_retrain_keeps_segment_ids_and_names(trained, retrained):
    _, first = trained
    assert int(retrained["model_version"]) == int(first["model_version"]) + 1
    before = {row["segment_id"]: row["name"] for row in first["segments"]}
    after = {row["segment_id"]: row["name"] for row in retrained["segments"]}
    assert after == before


def test_promotion_and_rollback_are_one_call_each(trained, retrained):
    layout, first = trained
    tracking.promote(layout, first["model_version"])
    assert "is now @champion" in tracking.promote(layout, retrained["model_version"])
    assert str(tracking.champion_version(layout).version) == retrained["model_version"]
    assert f"version {first['model_version']} is @champion again" in tracking.rollback(layout)
    assert str(tracking.champion_version(layout).version) == first["model_version"]


def test_served_predictions_equal_the_batch_scores(spark, trained, tmp_path):
    layout, record = trained
    tracking.promote(layout, record["model_version"])
    score_customers.run(spark, layout, RUN_DATE)
    features = spark.read.parquet(f"{layout.customer_features}/snapshot_date={RUN_DATE}")
    batch = spark.read.parquet(layout.customer_segments).join(features, "customer_id").orderBy("customer_id").limit(200)
    rows = batch.select("customer_id", "segment_id", "segment_name", *segmentation.INPUT_COLUMNS).collect()

    port = free_port()
    # The scoring server runs uvicorn from the venv's bin folder, as `make serve` does.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, tracking.TRACKING_URI_ENV: tracking.tracking_uri(layout)}
    server = subprocess.Popen(
        tracking.serve_model_command(port),
        env=env, stdout=(tmp_path / "serve.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/ping", server, tmp_path / "serve.log")
        records = [{column: float(row[column]) if row[column] is not None else None for column in segmentation.INPUT_COLUMNS} for row in rows]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps({"dataframe_records": records}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            served = json.loads(response.read())["predictions"]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
        server.wait(timeout=30)
    assert [(p["segment_id"], p["segment_name"]) for p in served] == [(r["segment_id"], r["segment_name"]) for r in rows]


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not http_answers(url, accepts=lambda _: True):
        assert process.poll() is None, f"mlflow models serve exited while starting:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{url} did not answer within {timeout} s"
        time.sleep(1)


def test_the_k_sweep_of_a_large_snapshot_fits_a_sample_and_the_chosen_model_every_customer(spark, trained):
    layout, first = trained
    record = train_segmentation.run(
        spark, layout, RUN_DATE, k_min=2, k_max=3, chosen_k=3, algorithms="kmeans", sample_size=1_000, seed=5, sweep_customers=2_000
    )
    client = mlflow_client(layout)
    parent = client.get_run(record["parent_run_id"])
    swept = int(parent.data.params["sweep_customers"])
    # A uniform sample of about 2,000 of the customers (Bernoulli sampling: not exactly 2,000).
    assert 1_700 < swept < 2_300 < first["customers"] == record["customers"]
    children = client.search_runs([record["experiment_id"]], filter_string=f"tags.mlflow.parentRunId = '{record['parent_run_id']}'")
    assert {run.data.params["rows"] for run in children} == {str(swept)}
    assert sum(row["customers"] for row in record["segments"]) == record["customers"]
    assert parent.data.metrics["chosen_fit_seconds"] > 0


def test_a_segment_is_described_by_the_city_most_over_represented_in_it_not_the_most_common(spark):
    cities = ["DELHI", "DELHI", "PUNE", "PUNE"] + ["DELHI"] * 5 + ["GOA"]
    segmented = spark.createDataFrame(
        [(f"C{i}", 1 if i < 4 else 2, city) for i, city in enumerate(cities)], "customer_id string, segment_id int, city string"
    )
    # Everyone: DELHI 7 of 10, PUNE 2, GOA 1. Segment 1: PUNE 2 of 4 = 0.5 against 0.2 overall, lift 2.5
    # (DELHI only 0.5 / 0.7). Segment 2: GOA 1 of 6 against 0.1, lift 1.67; DELHI 5 of 6 against 0.7, 1.19.
    found = {r["segment_id"]: (r["distinctive_city"], r["distinctive_city_lift"]) for r in score_customers.distinctive_values(segmented, "city").collect()}
    assert found == {1: ("PUNE", pytest.approx(2.5)), 2: ("GOA", pytest.approx(10 / 6))}
    # GOA holds a sixth of segment 2: under a support of 20% it cannot win, and DELHI is next.
    strict = {r["segment_id"]: r["distinctive_city"] for r in score_customers.distinctive_values(segmented, "city", min_share=0.2).collect()}
    assert strict == {1: "PUNE", 2: "DELHI"}

"""Training, registry, scoring and serving against a real MLflow store (SQLite under a temp data dir)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F

from bankseg import credentials, endpoints, environment, etl, pipeline, population, scoring, services, synthetic, tracking
from bankseg import snapshot as customer_snapshot
from bankseg.layout import COMPUTED_ON, DataLayout
from bankseg.model_spec import INPUT_COLUMNS, REGISTERED_MODEL
from bankseg.publish import MANIFEST, read_manifest, write_json_atomically
from bankseg.row_versions import TableChain
from bankseg.standalone_cluster import free_port
from bankseg.training_parameters import TrainingParameters
from jobs import train_segmentation

pytestmark = pytest.mark.spark  # all but the pure-numpy tests below need the session

RUN_DATE = "2016-10-21"
ROWS = 6_000
# Sized for tests: a short sweep, a small evaluation sample.
TRAINING = TrainingParameters(k_min=2, k_max=4, chosen_k=4, evaluation_customers=1_000)
FEATURE_SCHEMA = "customer_id string, recency_days int, frequency bigint, monetary_mean double, monetary_total decimal(28,2), balance_latest decimal(18,2)"


def features_path(layout: DataLayout, snapshot_date: str = RUN_DATE) -> str:
    return layout.snapshot(snapshot_date).customer_features


def write_features(spark, layout: DataLayout, rows: list[tuple]) -> None:
    """A features snapshot with the columns the training reads, written where the daily DAG writes it:
    full rows computed for the run date, and a manifest that says so."""
    frame = spark.createDataFrame(rows, FEATURE_SCHEMA).withColumns({
        "last_txn_date": F.date_sub(F.to_date(F.lit(RUN_DATE)), F.col("recency_days")),
        "customer_dob": F.lit(None).cast("date"),
        COMPUTED_ON: F.to_date(F.lit(RUN_DATE)),
    })
    frame.coalesce(1).write.mode("overwrite").parquet(features_path(layout))
    folder = Path(layout.snapshot(RUN_DATE).root)
    write_json_atomically(folder / MANIFEST, {"tables": {customer_snapshot.FEATURES: TableChain.full(RUN_DATE, len(rows)).to_record()}})


@pytest.fixture(scope="module")
def trained(spark, tmp_path_factory):
    """The real pipeline on generated transactions: ETL, features, then a first training."""
    layout = DataLayout(str(tmp_path_factory.mktemp("training") / "data"))
    landing = Path(layout.landing_for(RUN_DATE))
    landing.mkdir(parents=True)
    synthetic.generate_csv(landing / "bank_transactions.csv", rows=ROWS, seed=21)
    etl.publish_batch(spark, layout, RUN_DATE)
    customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    return layout, train_segmentation.run(spark, layout, RUN_DATE, TRAINING)


@pytest.fixture(scope="module")
def retrained(spark, trained):
    """A second training with another seed, after the first model was made champion."""
    layout, first = trained
    tracking.promote(layout, first["model_version"])
    return train_segmentation.run(spark, layout, RUN_DATE, replace(TRAINING, seed=7))


def mlflow_client(layout: DataLayout):
    from mlflow import MlflowClient

    tracking.configure(layout)
    return MlflowClient()


def children_of(client, record: dict) -> list:
    return client.search_runs([record["experiment_id"]], filter_string=f"tags.mlflow.parentRunId = '{record['parent_run_id']}'")


def test_training_logs_a_parent_run_and_one_nested_run_per_algorithm_and_k(spark, trained):
    layout, record = trained
    client = mlflow_client(layout)
    children = children_of(client, record)
    assert sorted(run.info.run_name for run in children) == sorted(
        f"{algorithm}-k{k}" for algorithm in ("kmeans", "bisecting_kmeans", "agglomerative") for k in (2, 3, 4)
    )
    kmeans_k4 = next(run for run in children if run.info.run_name == "kmeans-k4")
    for metric in ("silhouette_sample", "wcss", "davies_bouldin", "calinski_harabasz", "min_share", "iterations", "converged"):
        assert np.isfinite(kmeans_k4.data.metrics[metric]), metric
    artifacts = {item.path for item in client.list_artifacts(record["parent_run_id"], "plots")}
    assert artifacts == {f"plots/{name}.png" for name in ("elbow", "silhouette_vs_k", "silhouette_chosen", "segment_profiles", "projection_2d", "dendrogram")}
    parent = client.get_run(record["parent_run_id"])
    # Each fit's own time is recorded, and it is a part of the training run's.
    assert 0 < kmeans_k4.data.metrics["fit_seconds"] * 1000 < parent.info.end_time - parent.info.start_time
    (dataset,) = parent.inputs.dataset_inputs
    assert dataset.dataset.name == f"customer_features@{RUN_DATE}"
    assert parent.data.params["customers"] == str(spark.read.parquet(features_path(layout)).count())


def test_the_content_hash_is_the_sum_of_row_digests_whatever_the_order(spark):
    rows = [("C1", 3, 2, 10.0, "20.00", "100.50", "2016-10-18"), ("C2", 0, 1, 5.5, "5.50", None, "2016-10-21")]
    schema = FEATURE_SCHEMA.replace("decimal(28,2)", "string").replace("decimal(18,2)", "string") + ", last_txn_date string"
    frame = spark.createDataFrame(rows, schema).select(
        "customer_id", "recency_days", "frequency", "monetary_mean",
        F.col("monetary_total").cast("decimal(28,2)").alias("monetary_total"), F.col("balance_latest").cast("decimal(18,2)").alias("balance_latest"),
        F.to_date("last_txn_date").alias("last_txn_date"),
    )
    # By hand, as the docstrings define it: the first 15 hex digits of each row's SHA-256, summed with
    # the date's own, mod 2**60.
    texts = ("C1|2016-10-18|2|20.00|100.50", "C2|2016-10-21|1|5.50|", RUN_DATE)
    expected = f"{sum(int(hashlib.sha256(text.encode()).hexdigest()[:15], 16) for text in texts) % (1 << 60):015x}"
    assert train_segmentation.content_hash(frame, RUN_DATE) == expected
    assert train_segmentation.content_hash(frame.orderBy(F.col("customer_id").desc()).repartition(3), RUN_DATE) == expected
    assert train_segmentation.content_hash(frame.withColumn("frequency", F.col("frequency") + 1), RUN_DATE) != expected
    assert train_segmentation.content_hash(frame, "2016-10-22") != expected


def test_the_chosen_model_is_registered_with_its_gate_verdict(trained):
    layout, record = trained
    version = mlflow_client(layout).get_model_version(REGISTERED_MODEL, record["model_version"])
    assert version.tags["quality_gates"] == ("passed" if record["champion"] else "; ".join(record["gate_failures"]))
    assert record["chosen_k"] == 4 and len(record["segments"]) == 4
    assert sum(row["customers"] for row in record["segments"]) == record["customers"]
    assert len(record["stability_ari_refits"]) == TRAINING.stability_seeds
    assert record["stability_ari"] == min(record["stability_ari_refits"])


def test_the_registered_model_is_code_and_data_with_no_pickle(trained, tmp_path, monkeypatch):
    import mlflow

    layout, record = trained
    tracking.configure(layout)
    uri = f"models:/{REGISTERED_MODEL}/{record['model_version']}"
    folder = Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "model")))
    files = [path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()]
    assert not [name for name in files if name.endswith((".pkl", ".pickle", ".cloudpickle"))], files
    assert "segmentation_pyfunc.py" in {Path(name).name for name in files}
    parameters = tracking.model_parameters(layout, record["model_version"])
    assert sorted(s.segment_id for s in parameters.segments) == [row["segment_id"] for row in record["segments"]]
    assert len(parameters.centroids) == 4 and all(len(c) == len(INPUT_COLUMNS) for c in parameters.centroids)
    # MLflow refuses to unpickle unless told otherwise: loading works without that permission.
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    loaded = mlflow.pyfunc.load_model(uri)
    answer = loaded.predict(pd.DataFrame([{"recency_days": 10.0, "frequency": 1.0, "monetary_mean": 500.0, "balance_latest": 20_000.0}]))
    assert list(answer.columns) == ["segment_id", "segment_name"]
    assert answer["segment_id"][0] in {s.segment_id for s in parameters.segments}


def test_spark_scoring_equals_the_python_model_on_every_customer(spark, trained):
    layout, record = trained
    parameters = tracking.model_parameters(layout, record["model_version"])
    features = spark.read.parquet(features_path(layout))
    scored = scoring.score(features, parameters, record["model_version"], RUN_DATE)
    batch = scored.select("customer_id", *INPUT_COLUMNS, "segment_id", "segment_name").toPandas().sort_values("customer_id")
    python = parameters.assign(batch[list(INPUT_COLUMNS)].astype(float))
    assert len(batch) == record["customers"]
    assert batch["segment_id"].tolist() == python["segment_id"].tolist()
    assert batch["segment_name"].tolist() == python["segment_name"].tolist()


def test_scoring_assigns_every_customer_and_profiles_reconcile(spark, trained):
    layout, record = trained
    tracking.promote(layout, record["model_version"])
    scored = customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    snapshot = layout.snapshot(RUN_DATE)
    features = spark.read.parquet(snapshot.customer_features)
    segments = spark.read.parquet(snapshot.customer_segments)
    assert segments.count() == features.count() == scored["customers_scored"]
    assert segments.select("customer_id").distinct().count() == features.count()
    ids = {row["segment_id"] for row in record["segments"]}
    assert {row[0] for row in segments.select("segment_id").distinct().collect()} <= ids
    profiles = spark.read.parquet(snapshot.segment_profiles).collect()
    assert sum(row["customers"] for row in profiles) == features.count()
    assert sum(row["share"] for row in profiles) == pytest.approx(1.0)
    # The heatmap mart has a row per segment with the same sizes.
    heatmap = {row["segment_id"]: row["customers"] for row in spark.read.parquet(snapshot.mart("segment_features")).collect()}
    assert heatmap == {row["segment_id"]: row["customers"] for row in profiles}
    migration = spark.read.parquet(snapshot.segment_migration).collect()
    assert {row["from_segment_id"] for row in migration} == {None}  # the first scored day: everyone is new


def test_a_retrain_keeps_segment_ids_and_names(trained, retrained):
    _, first = trained
    assert int(retrained["model_version"]) == int(first["model_version"]) + 1
    before = {row["segment_id"]: row["name"] for row in first["segments"]}
    after = {row["segment_id"]: row["name"] for row in retrained["segments"]}
    assert after == before


def test_the_features_asset_starts_no_training_on_features_already_trained_on(spark, trained, retrained):
    layout, _ = trained
    assert tracking.version_trained_on(layout, RUN_DATE) == retrained["model_version"]  # the newest of the two
    assert not pipeline.features_not_yet_trained(RUN_DATE, "asset_triggered", layout)
    assert pipeline.features_not_yet_trained(RUN_DATE, "manual", layout), "a run by hand always trains"
    # The training's own digest of the features is the one the snapshot recorded when it was published.
    manifest_file = Path(layout.snapshot(RUN_DATE).root) / "_unit.json"
    published = manifest_file.read_text()
    manifest = json.loads(published)
    features = customer_snapshot.PublishedSnapshot.load(layout, RUN_DATE).features_now(spark)
    training_digest = train_segmentation.content_hash(features, RUN_DATE)
    assert manifest["features_digest"] == training_digest
    # The date republished with other features: a training.
    manifest["features_digest"] = f"{int(training_digest, 16) ^ 1:015x}"
    try:
        manifest_file.write_text(json.dumps(manifest))
        assert tracking.version_trained_on(layout, RUN_DATE) is None
        assert pipeline.features_not_yet_trained(RUN_DATE, "asset_triggered", layout)
    finally:
        manifest_file.write_text(published)


def test_promotion_and_rollback_are_one_call_each(trained, retrained):
    layout, first = trained
    tracking.promote(layout, first["model_version"])
    assert "is now @champion" in tracking.promote(layout, retrained["model_version"])
    assert str(tracking.champion_version(layout).version) == retrained["model_version"]
    assert f"version {first['model_version']} is @champion again" in tracking.rollback(layout)
    assert str(tracking.champion_version(layout).version) == first["model_version"]


@pytest.mark.services
def test_served_predictions_equal_the_batch_scores_for_every_customer(spark, trained, tmp_path):
    layout, record = trained
    tracking.promote(layout, record["model_version"])
    customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    features = spark.read.parquet(features_path(layout))
    rows = spark.read.parquet(layout.snapshot(RUN_DATE).customer_segments).join(features, "customer_id").orderBy("customer_id").select(
        "customer_id", "segment_id", "segment_name", *INPUT_COLUMNS
    ).collect()
    assert len(rows) == record["customers"]

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
        records = [{column: float(row[column]) if row[column] is not None else None for column in INPUT_COLUMNS} for row in rows]
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


@pytest.mark.services
def test_the_day_is_scored_through_the_tracking_server_and_a_stopped_server_fails_the_step_losing_nothing(spark, trained, monkeypatch):
    """The registry behind the platform's MLflow server with its login, as the compose stack uses it.
    Stopped between two runs of the snapshot step, the second fails at once naming the server, and
    never publishes the day as if there were no champion."""
    layout, record = trained
    tracking.promote(layout, record["model_version"])
    port = free_port()
    monkeypatch.setenv(endpoints.MLFLOW_PORT_ENV, str(port))
    server = services.mlflow_service()
    services.start_service(server, layout, environment.platform_env(layout))
    try:
        monkeypatch.setenv(tracking.TRACKING_URI_ENV, f"http://127.0.0.1:{port}")
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", tracking.MLFLOW_ADMIN_USER)
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", credentials.mlflow_admin_password(layout))
        scored = customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
        assert scored["published"] and scored["model_version"] == record["model_version"]
        snapshot = layout.snapshot(RUN_DATE)
        published = (read_manifest(Path(snapshot.root))["txid"], spark.read.parquet(snapshot.customer_segments).count())
        assert published[1] == record["customers"]
    finally:
        services.stop_service(server, layout)
    with pytest.raises(tracking.TrackingServerUnavailable, match=rf"MLflow tracking server at http://127\.0\.0\.1:{port} .*does not answer"):
        customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    assert (read_manifest(Path(snapshot.root))["txid"], spark.read.parquet(snapshot.customer_segments).count()) == published


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not services.http_answers(url, accepts=lambda _: True):
        assert process.poll() is None, f"mlflow models serve exited while starting:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{url} did not answer within {timeout} s"
        time.sleep(1)


# ---------------------------------------------------------------- planted groups, small and degenerate snapshots

# Six groups of customers in feature units, far apart once log-transformed and standardised.
PLANTED = [
    (5, 1, 100.0, 500.0), (5, 6, 4_000.0, 80_000.0), (70, 1, 4_000.0, 500.0),
    (70, 6, 100.0, 80_000.0), (35, 2, 700.0, 8_000.0), (5, 1, 4_000.0, 300_000.0),
]


def planted_customers(per_group: int, seed: int = 3) -> tuple[list[tuple], list[int]]:
    rng = np.random.default_rng(seed)
    rows, groups = [], []
    for group, (recency, frequency, spend, balance) in enumerate(PLANTED):
        for _ in range(per_group):
            index = len(rows)
            count = max(1, int(round(frequency * rng.lognormal(0, 0.1))))
            mean = spend * rng.lognormal(0, 0.15)
            rows.append((f"C{index:07d}", int(max(0, recency + rng.normal(0, 2))), count, mean, f"{mean * count:.2f}",
                         f"{balance * rng.lognormal(0, 0.15):.2f}"))
            groups.append(group)
    return rows, groups


def typed(rows: list[tuple]) -> list[tuple]:
    from decimal import Decimal

    return [(c, r, f, m, Decimal(t), None if b is None else Decimal(b)) for c, r, f, m, t, b in rows]


@pytest.fixture
def planted_layout(spark, tmp_path):
    rows, groups = planted_customers(per_group=1_000)
    layout = DataLayout(str(tmp_path / "data"))
    write_features(spark, layout, typed(rows))
    return layout, dict(zip((row[0] for row in rows), groups))


def segments_of(spark, layout: DataLayout, record: dict) -> pd.Series:
    parameters = tracking.model_parameters(layout, record["model_version"])
    features = spark.read.parquet(features_path(layout)).withColumns({"gender": F.lit(None).cast("string"), "city": F.lit(None).cast("string")})
    frame = scoring.score(features, parameters, record["model_version"], RUN_DATE).select("customer_id", "segment_id").toPandas()
    return frame.set_index("customer_id")["segment_id"].sort_index()


def test_a_sample_finds_the_planted_groups_and_the_segments_of_a_fit_on_everyone(spark, planted_layout):
    from sklearn.metrics import adjusted_rand_score

    layout, planted = planted_layout
    small = TrainingParameters(k_min=5, k_max=7, chosen_k=6, algorithms=("kmeans",), sample_customers=1_500, evaluation_customers=1_000)
    sampled = train_segmentation.run(spark, layout, RUN_DATE, small)
    everyone = train_segmentation.run(spark, layout, RUN_DATE, replace(small, sample_customers=10_000))
    assert 1_200 < sampled["sample_customers"] < 1_800 and everyone["sample_customers"] == 6_000
    by_sample, by_everyone = segments_of(spark, layout, sampled), segments_of(spark, layout, everyone)
    truth = pd.Series(planted).sort_index()
    assert adjusted_rand_score(truth, by_sample) > 0.99
    assert adjusted_rand_score(by_everyone, by_sample) > 0.99
    assert sampled["champion"], sampled["gate_failures"]
    assert min(sampled["stability_ari_refits"]) > 0.99


def test_the_same_seed_gives_the_same_sample_and_model_whatever_the_file_layout(spark, planted_layout, tmp_path):
    layout, _ = planted_layout
    small = TrainingParameters(k_min=6, k_max=6, chosen_k=6, algorithms=("kmeans",), sample_customers=2_000, evaluation_customers=500)
    first = train_segmentation.run(spark, layout, RUN_DATE, small)
    # The same snapshot split into other files: the sample is drawn by a hash of the customer id.
    other = DataLayout(str(tmp_path / "other"))
    spark.read.parquet(features_path(layout)).repartition(5).write.parquet(features_path(other))
    write_json_atomically(Path(other.snapshot(RUN_DATE).root) / MANIFEST, read_manifest(Path(layout.snapshot(RUN_DATE).root)))
    second = train_segmentation.run(spark, other, RUN_DATE, small)
    assert first["sample_customers"] == second["sample_customers"]
    assert first["sweep"]["kmeans"]["6"]["wcss"] == pytest.approx(second["sweep"]["kmeans"]["6"]["wcss"], rel=1e-9)
    first_centroids = np.array(tracking.model_parameters(layout, first["model_version"]).centroids)
    second_centroids = np.array(tracking.model_parameters(other, second["model_version"]).centroids)
    np.testing.assert_allclose(first_centroids, second_centroids, rtol=1e-9, atol=1e-12)


def slowly_converging_customers(count: int = 6_000, seed: int = 3) -> list[tuple]:
    """Customers spread evenly over recency, spend and balance, with no groups at all: Lloyd's
    centres keep drifting for dozens of iterations before they settle (28 here, by hand)."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(count):
        spend = float(np.exp(rng.uniform(3, 9)))
        rows.append((f"C{index:07d}", int(rng.integers(0, 91)), 1, spend, f"{spend:.2f}", f"{np.exp(rng.uniform(5, 12)):.2f}"))
    return rows


def test_a_fit_stopped_by_its_iteration_budget_is_flagged_and_not_champion(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    write_features(spark, layout, typed(slowly_converging_customers()))
    rushed = TrainingParameters(k_min=6, k_max=6, chosen_k=6, algorithms=("kmeans",), restarts=1, max_iterations=10,
                                tolerance=0.0, evaluation_customers=500)
    record = train_segmentation.run(spark, layout, RUN_DATE, rushed)
    assert not record["converged"] and record["iterations"] == 10
    assert not record["champion"]
    assert any(failure.startswith("did not converge within the iteration budget: chosen fit (10 iterations)") for failure in record["gate_failures"])
    client = mlflow_client(layout)
    assert client.get_run(record["parent_run_id"]).data.metrics["converged"] == 0.0
    assert client.get_model_version(REGISTERED_MODEL, record["model_version"]).tags["quality_gates"].count("did not converge") == 1
    settled = train_segmentation.run(spark, layout, RUN_DATE, replace(rushed, tolerance=1e-6, max_iterations=300))
    assert settled["converged"] and 10 < settled["iterations"] < 300


@pytest.mark.parametrize(
    ("case", "expected_failure"),
    [
        ("500 customers", None),  # six planted groups: enough for a champion
        ("50 customers", "50 customers are too few for 6 segments"),
        ("identical customers", "only 1 distinct customer profiles for 6 segments"),
    ],
)
def test_a_small_or_degenerate_snapshot_gets_a_registered_model_and_a_verdict(spark, tmp_path, case, expected_failure):
    rows, _ = planted_customers(per_group=84)
    if case == "50 customers":
        rows = rows[::10][:50]
    elif case == "identical customers":
        rows = [(f"C{i:07d}", 9, 1, 250.0, "250.00", "1000.00") for i in range(300)]
    else:
        rows = rows[:500]
    layout = DataLayout(str(tmp_path / "data"))
    write_features(spark, layout, typed(rows))
    record = train_segmentation.run(spark, layout, RUN_DATE, TrainingParameters(evaluation_customers=500))
    assert record["model_version"] == "1" and record["customers"] == len(rows)
    assert sum(row["customers"] for row in record["segments"]) == len(rows)
    if expected_failure is None:
        assert record["champion"] and record["gate_failures"] == []
    else:
        assert not record["champion"]
        assert any(failure.startswith(expected_failure) for failure in record["gate_failures"]), record["gate_failures"]
    assert mlflow_client(layout).get_model_version(REGISTERED_MODEL, "1").tags["quality_gates"] == (
        "passed" if record["champion"] else "; ".join(record["gate_failures"])
    )


def test_an_empty_snapshot_is_a_clear_error(spark, tmp_path):
    layout = DataLayout(str(tmp_path / "data"))
    write_features(spark, layout, [])
    with pytest.raises(train_segmentation.TrainingDataError, match="has no customers"):
        train_segmentation.run(spark, layout, RUN_DATE, TRAINING)


def test_a_segment_is_described_by_the_city_most_over_represented_in_it_not_the_most_common():
    counts = {1: {"DELHI": 2, "PUNE": 2}, 2: {"DELHI": 5, "GOA": 1}}
    # Everyone: DELHI 7 of 10, PUNE 2, GOA 1. Segment 1: PUNE 2 of 4 = 0.5 against 0.2 overall, lift 2.5
    # (DELHI only 0.5 / 0.7). Segment 2: GOA 1 of 6 against 0.1, lift 1.67; DELHI 5 of 6 against 0.7, 1.19.
    assert population.distinctive(counts) == {1: ("PUNE", pytest.approx(2.5)), 2: ("GOA", pytest.approx(10 / 6))}
    # GOA holds a sixth of segment 2: under a support of 20% it cannot win, and DELHI is next.
    assert {segment: value for segment, (value, _) in population.distinctive(counts, min_share=0.2).items()} == {1: "PUNE", 2: "DELHI"}


def test_the_silhouette_is_scikit_learns_on_every_point():
    from sklearn.metrics import silhouette_samples

    rng = np.random.default_rng(5)
    points = np.vstack([rng.normal(center, 0.6, size=(n, 4)) for center, n in ((0, 700), (2, 500), (5, 1))])
    labels = np.repeat([3, 7, 9], [700, 500, 1])  # any label values, and a cluster of one
    ours = train_segmentation.silhouette_values(points, labels, chunk=256)
    np.testing.assert_allclose(ours, silhouette_samples(points, labels), atol=1e-9)
    assert ours[-1] == 0.0
    assert np.isnan(train_segmentation.silhouette(points, np.zeros(len(points), dtype=int)))


def test_segments_scored_before_rows_carried_a_schedule_read_as_scored(spark, tmp_path):
    """A warehouse published by the code before schedules: its segments read as they were scored."""
    layout = DataLayout(str(tmp_path / "data"))
    folder = layout.snapshot(RUN_DATE)
    spark.createDataFrame(
        [("C1", 3, "three", "1", date(2016, 11, 1), 4, date.fromisoformat(RUN_DATE))],
        "customer_id string, segment_id int, segment_name string, model_version string, segment_changes_on date, next_segment_id int, computed_on date",
    ).write.parquet(folder.customer_segments)
    write_json_atomically(Path(folder.root) / MANIFEST, {"model_version": "1", "tables": {
        customer_snapshot.FEATURES: TableChain.full(RUN_DATE, 1).to_record(), customer_snapshot.SEGMENTS: TableChain.full(RUN_DATE, 1).to_record()}})
    rows = customer_snapshot.PublishedSnapshot.load(layout, RUN_DATE).segments(spark).collect()
    assert [(row["customer_id"], row["segment_id"], row["segment_name"]) for row in rows] == [("C1", 3, "three")]


def test_a_later_day_scores_only_the_changed_customers_and_equals_scoring_everyone(spark, trained, tmp_path):
    """Small deliveries on later days: only the day's customers are scored again, the rest linked,
    and those the calendar moved meanwhile are read through their schedules; the result is every
    customer scored that day, and the kept statistics are those of every customer."""
    layout, record = trained
    version = record["model_version"]
    tracking.promote(layout, version)
    customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)
    parameters = tracking.model_parameters(layout, version)
    previous = RUN_DATE
    # The next day, the day after (some of the same customers again), three days later (a customer may
    # have moved twice), then a day past the moves the first scoring scheduled: everyone scored again.
    days = (("2016-10-22", 400, 10 * ROWS), ("2016-10-23", 400, 11 * ROWS), ("2016-10-26", 300, 12 * ROWS), ("2016-11-22", 200, 13 * ROWS))
    customers_by_day = {}
    for later, rows, first_id in days:
        delivery = synthetic.Delivery(transaction_date=date.fromisoformat(later), first_transaction_id=first_id)
        synthetic.generate_csv(Path(layout.landing_for(later)) / "bank_transactions.csv", rows=rows, seed=rows, delivery=delivery)
        assert etl.publish_batch(spark, layout, later)["published"]
        day = customer_snapshot.publish_snapshot(spark, layout, later)
        assert day["published"] and day["fold"].endswith("the changed customers only"), day
        published = customer_snapshot.PublishedSnapshot.load(layout, later)
        everyone = scoring.score(published.features_now(spark), parameters, version, later).cache()
        columns = ["customer_id", "segment_id", "segment_name", "model_version"]
        kept = published.segments(spark)
        assert kept.count() == everyone.count() == day["customers_scored"] == day["customers"]
        assert kept.select(*columns).exceptAll(everyone.select(*columns)).count() == 0
        assert everyone.select(*columns).exceptAll(kept.select(*columns)).count() == 0
        # The next change as of the day is the first of the schedule a scoring on the day makes.
        first = F.get(F.col("schedule"), 0)
        upcoming = everyone.select("customer_id", first["changes_on"].alias("segment_changes_on"), first["segment_id"].alias("next_segment_id"))
        assert kept.select(*upcoming.columns).exceptAll(upcoming).count() == 0
        delivered = {row["customer_id"] for row in spark.read.parquet(layout.batch(later).transactions).select("customer_id").distinct().collect()}
        customers_by_day[later] = delivered
        touched = len(delivered)
        if later <= customer_snapshot.PublishedSnapshot.load(layout, previous).scheduled_moves_until:
            assert day["customers_rescored"] == touched and day["customers_moved_by_calendar"] > 0, day
        else:
            assert day["customers_rescored"] == day["customers"] and day["customers_moved_by_calendar"] is None, day
            assert day["scheduled_moves_until"] > later, day
        statistics = population.aggregate(spark.read.parquet(published.folder.segment_statistics))
        built = population.aggregate(population.contributions(everyone, parameters))
        assert statistics.exceptAll(built).count() == 0 and built.exceptAll(statistics).count() == 0
        before = customer_snapshot.PublishedSnapshot.load(layout, previous).segments(spark)
        expected = sorted((tuple(row) for row in scoring.migration(everyone, before).collect()), key=str)
        migration = sorted((tuple(row) for row in spark.read.parquet(published.folder.segment_migration).collect()), key=str)
        assert migration == expected and sum(row[2] for row in migration) == day["customers"]
        moved = sum(row[2] for row in migration if row[0] is not None and row[0] != row[1])
        assert moved == day["customers_changed_segment"] > 0
        keys = spark.read.parquet(published.folder.mart("segment_keys"))
        assert keys.select("customer_key").distinct().count() == day["customers"]
        previous = later
    assert customers_by_day["2016-10-22"] & customers_by_day["2016-10-23"], "the second day must meet customers of the first again"

"""The DAGs' Spark applications on a real standalone cluster (spark://) give exactly the local results.

Both sides run the applications of a first `make run` (the day, the training, the day scored), then
a later day whose snapshot writes only the customers it changed: on
the cluster with the command lines ``SparkSubmitOperator`` runs (``bankseg.pipeline``), locally the
same jobs with the same arguments on the tests' local[2] session. The Airflow side of the same path
runs end to end in test_daily_dag_e2e.py, and test_airflow_sends_the_jobs_to_the_configured_master
checks that Airflow hands these lines to the configured master.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bankseg import environment, pipeline, synthetic, training_parameters
from bankseg.cli import stage_landing_file
from bankseg.layout import DataLayout
from bankseg.run_records import read_run_record
from bankseg.standalone_cluster import StandaloneCluster
from jobs import daily_pipeline, train_segmentation

pytestmark = [pytest.mark.cluster, pytest.mark.spark]

RUN_DATE = "2016-10-21"
# A month later, a small delivery: its snapshot writes the changed customers only, beside links.
LATER_DATE = "2016-11-20"
# The applications of a first `make run` (the day, the training, the day scored with the new
# champion), then the later day. The training's k-sweep is narrowed to k = 5..7 of KMeans: the
# comparison needs a sweep, not all of it.
APPLICATIONS = (
    ("daily_pipeline", RUN_DATE, []),
    ("train_segmentation", RUN_DATE, ["--k-min", "5", "--k-max", "7", "--algorithms", "kmeans"]),
    ("daily_pipeline", RUN_DATE, ["--steps", "snapshot"]),
    ("daily_pipeline", LATER_DATE, []),
)


def land(data_dir: Path, input_file: Path) -> DataLayout:
    layout = DataLayout(str(data_dir))
    stage_landing_file(layout, RUN_DATE, input_file, rows=0, seed=0)
    delivery = synthetic.Delivery(transaction_date=date.fromisoformat(LATER_DATE), first_transaction_id=9_500_000)
    synthetic.generate_csv(Path(layout.landing_for(LATER_DATE)) / "bank_transactions.csv", rows=500, seed=5, delivery=delivery)
    return layout


def run_applications_on(master: str, data_dir: Path, input_file: Path, monkeypatch) -> None:
    """Land the files, then submit each application to ``master``."""
    layout = land(data_dir, input_file)
    # Executors must fit the test worker's memory, or the jobs wait for resources forever; the
    # spark-submit lines read the setting, as the DAGs' do, when they are built.
    monkeypatch.setenv("BANKSEG_SPARK_EXECUTOR_MEMORY", "1g")
    env = environment.platform_env(layout, master)
    for job_name, run_date, job_args in APPLICATIONS:
        command = [*pipeline.spark_submit_command(job_name, run_date, str(data_dir), master), *job_args]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def run_applications_in_session(spark, data_dir: Path, input_file: Path) -> None:
    """The same applications with the same arguments, on the tests' local[2] session: each job's
    ``run`` with what its ``main`` parses from those arguments (the spark-submit path of local[*]
    runs end to end in test_daily_dag_e2e.py)."""
    layout = land(data_dir, input_file)
    for job_name, run_date, job_args in APPLICATIONS:
        if job_name == "daily_pipeline":
            chosen = daily_pipeline.steps(job_args[1]) if job_args else daily_pipeline.STEPS
            daily_pipeline.run(spark, layout, run_date, chosen)
        else:
            parser = argparse.ArgumentParser()
            training_parameters.add_arguments(parser)
            train_segmentation.run(spark, layout, RUN_DATE, training_parameters.from_arguments(parser.parse_args(job_args)))


def test_airflow_sends_the_jobs_to_the_configured_master(tmp_path, monkeypatch):
    monkeypatch.setenv("BANKSEG_SPARK_MASTER", "spark://cluster.example:7077")
    connection = json.loads(environment.platform_env(DataLayout(str(tmp_path)))["AIRFLOW_CONN_SPARK_DEFAULT"])
    assert connection == {"conn_type": "spark", "host": "spark://cluster.example:7077"}
    assert pipeline.spark_submit_arguments("daily_pipeline", RUN_DATE, str(tmp_path))["conn_id"] == "spark_default"


def table(path: str, *sort_keys: str) -> list[dict]:
    # source_file names the landing path, which differs between the two data directories.
    data = pq.ParquetDataset(path).read()
    data = data.drop_columns([name for name in ("source_file",) if name in data.column_names])
    return data.sort_by([(name, "ascending") for name in sort_keys]).to_pylist()


@pytest.mark.timeout(1500)
def test_cluster_results_equal_local_results(spark, tmp_path, monkeypatch):
    input_file = tmp_path / "bank_transactions.csv"
    synthetic.generate_csv(input_file, rows=20_000, seed=11)
    with input_file.open("a") as handle:  # rows for the quarantine, so it is compared too
        handle.write("T9000001,C9000001,5/5/85,M,DELHI,100.00,31/2/16,101010,10\n")
        handle.write("T9000002,C9000002,5/5/85,M,DELHI,100.00,2/8/16\n")

    with StandaloneCluster(tmp_path / "cluster", workers=1, worker_cores=2, worker_memory="1g") as cluster:
        run_applications_on(cluster.master_url, tmp_path / "on_cluster", input_file, monkeypatch)
        finished = [app["name"] for app in sorted(cluster.master_state()["completedapps"], key=lambda app: app["starttime"])]
    # Every application ran on the cluster (named by the job's session).
    assert [name.split("-")[1] for name in finished] == [job for job, _, _ in APPLICATIONS], finished

    run_applications_in_session(spark, tmp_path / "local", input_file)

    on_cluster, local = DataLayout(str(tmp_path / "on_cluster")), DataLayout(str(tmp_path / "local"))
    # (The activity marts key customers with each data directory's own secret, so they differ by design.)
    for dataset, key in (("transactions", "transaction_id"), ("quarantine", "transaction_id_raw"), ("transaction_ids", "transaction_id")):
        assert table(getattr(on_cluster.batch(RUN_DATE), dataset), key) == table(getattr(local.batch(RUN_DATE), dataset), key), dataset
    # The snapshots' tables, row versions included.
    sort_keys = {"customer_features": ("customer_id", "computed_on"), "customer_segments": ("customer_id", "computed_on"),
                 "segment_profiles": ("segment_id",), "segment_migration": ("from_segment_id", "to_segment_id")}
    for snapshot_date in (RUN_DATE, LATER_DATE):
        for dataset, keys in sort_keys.items():
            assert (table(getattr(on_cluster.snapshot(snapshot_date), dataset), *keys)
                    == table(getattr(local.snapshot(snapshot_date), dataset), *keys)), (snapshot_date, dataset)
    later = read_run_record(on_cluster.run_record(LATER_DATE, "customer_snapshot"))
    assert later["fold"].endswith("the changed customers only") and 0 < later["customers_rescored"] < later["customers_scored"], later
    # The same seed on the same data gives the same model: same sample, same k-sweep, same segments, same verdict.
    # About 17,000 customers of seed 11 give stable segments: the first model is champion, and scores the day.
    trained = [read_run_record(layout.run_record(RUN_DATE, "train_segmentation")) for layout in (on_cluster, local)]
    assert trained[0]["champion"] is True, trained[0]["gate_failures"]
    for key in ("segments", "champion", "gate_failures", "chosen_k", "sample_customers", "stability_ari_refits"):
        assert trained[0][key] == trained[1][key], key
    assert sorted(trained[0]["sweep"]["kmeans"]) == ["5", "6", "7"]
    for algorithm in trained[0]["sweep"]:
        for k, metrics in trained[0]["sweep"][algorithm].items():
            assert metrics["wcss"] == pytest.approx(trained[1]["sweep"][algorithm][k]["wcss"], rel=1e-9), (algorithm, k)
    scored = read_run_record(local.run_record(RUN_DATE, "customer_snapshot"))
    assert scored["model_version"] == "1" and scored["customers_scored"] > 15_000

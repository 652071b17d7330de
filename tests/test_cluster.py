"""The daily and training DAGs on a real Spark standalone cluster (spark://) give exactly the local results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bankseg import synthetic
from bankseg.layout import DataLayout
from bankseg.run_records import read_run_record
from bankseg.standalone_cluster import StandaloneCluster
from conftest import platform_ports_env, stop_platform

pytestmark = [pytest.mark.cluster, pytest.mark.airflow, pytest.mark.spark]

RUN_DATE = "2016-10-21"


def run_daily(data_dir: Path, input_file: Path, spark_master: str) -> str:
    """`make run` (daily DAG, then the training DAG and scoring) with every Spark job on ``spark_master``."""
    # Executors must fit the test worker's memory, or the jobs wait for resources forever.
    env = {**platform_ports_env(), "BANKSEG_SPARK_MASTER": spark_master, "BANKSEG_SPARK_EXECUTOR_MEMORY": "1g"}
    command = [sys.executable, "-m", "bankseg.cli", "--data-dir", str(data_dir), "run", "--input", str(input_file)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500, check=False)
    stop_platform(data_dir, env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (data_dir / "logs" / f"bank_segmentation_daily_{RUN_DATE}.log").read_text()
    return log


def table(path: str, sort_key: str) -> list[dict]:
    # source_file names the landing path, which differs between the two data directories.
    data = pq.ParquetDataset(path).read()
    data = data.drop_columns([name for name in ("source_file",) if name in data.column_names])
    return data.sort_by(sort_key).to_pylist()


# Two full `make run`s (cluster, then local) with a one-core worker: longer than the default limit.
@pytest.mark.timeout(1800)
def test_cluster_results_equal_local_results(tmp_path):
    input_file = tmp_path / "bank_transactions.csv"
    synthetic.generate_csv(input_file, rows=20_000, seed=11)
    with input_file.open("a") as handle:  # rows for the quarantine, so it is compared too
        handle.write("T9000001,C9000001,5/5/85,M,DELHI,100.00,31/2/16,101010,10\n")
        handle.write("T9000002,C9000002,5/5/85,M,DELHI,100.00,2/8/16\n")

    with StandaloneCluster(tmp_path / "cluster", workers=1, worker_cores=1, worker_memory="1g") as cluster:
        cluster_log = run_daily(tmp_path / "on_cluster", input_file, cluster.master_url)
        finished = sorted(app["name"] for app in cluster.master_state()["completedapps"])
    # Both DAGs ran their Spark application on the cluster (named by the job's session). About 17,000
    # customers give no stable segments, so the model is not champion and nothing is scored again.
    assert [name.split("-")[1] for name in finished] == ["daily_pipeline", "train_segmentation"], finished
    assert f"--master {cluster.master_url}" in cluster_log, "the job must have been submitted to the cluster"

    local_log = run_daily(tmp_path / "local", input_file, "local[2]")
    assert "--master local[2]" in local_log

    on_cluster, local = DataLayout(str(tmp_path / "on_cluster")), DataLayout(str(tmp_path / "local"))
    # (The activity marts key customers with each data directory's own secret, so they differ by design.)
    for dataset, key in (("transactions", "transaction_id"), ("quarantine", "transaction_id_raw"), ("transaction_ids", "transaction_id")):
        assert table(getattr(on_cluster.batch(RUN_DATE), dataset), key) == table(getattr(local.batch(RUN_DATE), dataset), key), dataset
    assert table(on_cluster.snapshot(RUN_DATE).customer_features, "customer_id") == table(local.snapshot(RUN_DATE).customer_features, "customer_id")
    # The same seed on the same data gives the same model: same sample, same k-sweep, same segments, same verdict.
    trained = [read_run_record(layout.run_record(RUN_DATE, "train_segmentation")) for layout in (on_cluster, local)]
    for key in ("segments", "champion", "gate_failures", "chosen_k", "sample_customers", "stability_ari_pairs"):
        assert trained[0][key] == trained[1][key], key
    for algorithm in ("kmeans", "bisecting_kmeans"):
        for k, metrics in trained[0]["sweep"][algorithm].items():
            assert metrics["wcss"] == pytest.approx(trained[1]["sweep"][algorithm][k]["wcss"], rel=1e-9), (algorithm, k)
    assert len(table(local.snapshot(RUN_DATE).customer_features, "customer_id")) > 15_000

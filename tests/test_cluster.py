"""The daily DAG on a real Spark standalone cluster (spark://) gives exactly the local[*] results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bankseg import synthetic
from bankseg.layout import DataLayout
from bankseg.standalone_cluster import StandaloneCluster

pytestmark = [pytest.mark.cluster, pytest.mark.airflow, pytest.mark.spark]

RUN_DATE = "2016-10-21"


def run_daily(data_dir: Path, input_file: Path, spark_master: str) -> str:
    # Executors must fit the test worker's memory, or the jobs wait for resources forever.
    env = {**os.environ, "BANKSEG_SPARK_MASTER": spark_master, "BANKSEG_SPARK_EXECUTOR_MEMORY": "1g"}
    command = [sys.executable, "-m", "bankseg.cli", "--data-dir", str(data_dir), "run", "--input", str(input_file)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (data_dir / "logs" / f"bank_segmentation_daily_{RUN_DATE}.log").read_text()
    return log


def table(path: str, sort_key: str) -> list[dict]:
    # source_file names the landing path, which differs between the two data directories.
    data = pq.ParquetDataset(path).read()
    data = data.drop_columns([name for name in ("source_file",) if name in data.column_names])
    return data.sort_by(sort_key).to_pylist()


def test_cluster_results_equal_local_results(tmp_path):
    input_file = tmp_path / "bank_transactions.csv"
    synthetic.generate_csv(input_file, rows=20_000, seed=11)
    with input_file.open("a") as handle:  # rows for the quarantine, so it is compared too
        handle.write("T9000001,C9000001,5/5/85,M,DELHI,100.00,31/2/16,101010,10\n")
        handle.write("T9000002,C9000002,5/5/85,M,DELHI,100.00,2/8/16\n")

    with StandaloneCluster(tmp_path / "cluster", workers=1, worker_cores=1, worker_memory="1g") as cluster:
        cluster_log = run_daily(tmp_path / "on_cluster", input_file, cluster.master_url)
        finished = sorted(app["name"] for app in cluster.master_state()["completedapps"])
    # Both jobs ran as applications of the cluster (named by spark-submit or by the job itself).
    assert len(finished) == 2, finished
    assert finished[0].startswith("bankseg-customer_features") and finished[1].startswith("bankseg-etl_transactions")
    assert f"--master {cluster.master_url}" in cluster_log, "the jobs must have been submitted to the cluster"

    local_log = run_daily(tmp_path / "local", input_file, "local[2]")
    assert "--master local[2]" in local_log

    on_cluster, local = DataLayout(str(tmp_path / "on_cluster")), DataLayout(str(tmp_path / "local"))
    assert table(on_cluster.curated_transactions, "transaction_id") == table(local.curated_transactions, "transaction_id")
    assert table(on_cluster.quarantine, "transaction_id_raw") == table(local.quarantine, "transaction_id_raw")
    assert table(on_cluster.customer_features, "customer_id") == table(local.customer_features, "customer_id")
    assert len(table(local.customer_features, "customer_id")) > 15_000

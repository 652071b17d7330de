"""The daily DAG end to end through Airflow (`airflow dags test`), driven as `make run` drives it."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bankseg import quality, synthetic
from bankseg.layout import DataLayout
from bankseg.run_records import read_run_record
from conftest import platform_ports_env, stop_platform

pytestmark = [pytest.mark.airflow, pytest.mark.spark]

RUN_DATE = "2016-10-21"
GENERATED_ROWS = 3_000
# Appended to the generated rows; each must end in quarantine with the reason beside it.
BAD_LINES = {
    "T9000001,C9000001,5/5/85,M,DELHI,100.00,31/2/16,101010,10": "INVALID_TRANSACTION_DATE",
    "T9000002,C9000002,5/5/85,M,DELHI,100.00,2/8/16,101010,-10": "INVALID_AMOUNT",
    "T9000003,C9000003,5/5/85,M,DELHI,100.00,2/8/16": "MALFORMED_ROW",
    "T9000004,C9000004,5/5/85,M,DELHI,100.00,22/10/16,101010,10": "FUTURE_TRANSACTION_DATE",
}


ENV = platform_ports_env()


def bankseg_cli(data_dir: Path, *args: str, env: dict[str, str] = ENV) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bankseg.cli", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)


def parquet_rows(path: str) -> int:
    return pq.ParquetDataset(path).read(columns=[]).num_rows if Path(path).exists() else 0


@pytest.fixture(scope="module")
def input_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("input") / "bank_transactions.csv"
    synthetic.generate_csv(path, rows=GENERATED_ROWS, seed=7)
    with path.open("a") as handle:
        handle.writelines(line + "\n" for line in BAD_LINES)
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, input_file):
    data_dir = tmp_path_factory.mktemp("data")
    result = bankseg_cli(data_dir, "run", "--input", str(input_file), "--run-date", RUN_DATE)
    try:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        yield data_dir, result
    finally:
        stop_platform(data_dir, ENV)


def test_run_prints_the_reconciled_counts_and_locations(first_run):
    data_dir, result = first_run
    rows_in = GENERATED_ROWS + len(BAD_LINES)
    assert f"rows in             {rows_in:>12,}" in result.stdout
    assert f"  quarantined       {len(BAD_LINES):>12,}" in result.stdout
    assert str(DataLayout(str(data_dir)).curated_transactions) in result.stdout


def test_run_passes_and_prints_every_quality_gate(first_run):
    data_dir, result = first_run
    layout = DataLayout(str(data_dir))
    for layer, suite in quality.SUITES.items():
        report = quality.read_report(layout, RUN_DATE, layer)
        assert report["success"], quality.format_report(report)
        assert f"quality {suite:<22} {report['passed']}/{report['evaluated']} expectations met" in result.stdout
    assert f"Data Docs           file://{layout.quality}/gx/uncommitted/data_docs/local_site/index.html" in result.stdout


def test_first_run_trains_through_airflow_and_says_whether_the_model_is_champion(first_run):
    data_dir, result = first_run
    layout = DataLayout(str(data_dir))
    assert "no champion model yet: running bank_segmentation_training" in result.stdout
    training = read_run_record(layout.run_record(RUN_DATE, "train_segmentation"))
    assert training["chosen_k"] == 6 and training["model_version"] == "1"
    if training["champion"]:
        assert f"champion model      bank_customer_segmentation version 1: KMeans, k=6" in result.stdout
    else:
        # About 2,500 customers are too few for stable segments: the gates say so, and nothing is scored.
        assert f"model version 1 is registered but NOT champion: {'; '.join(training['gate_failures'])}" in result.stdout
        assert "segments            not scored: no champion model yet" in result.stdout
        assert parquet_rows(layout.customer_segments) == 0


def test_with_a_champion_the_daily_dag_scores_every_customer_and_registers_hive(first_run, input_file):
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))
    promoted = bankseg_cli(data_dir, "promote", "--version", "1")
    assert promoted.returncode == 0 and "version 1 is now @champion" in promoted.stdout, promoted.stderr
    result = bankseg_cli(data_dir, "run", "--input", str(input_file), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "no champion model yet" not in result.stdout  # scored by the daily DAG itself
    scoring = read_run_record(layout.run_record(RUN_DATE, "score_customers"))
    assert scoring["model_version"] == "1"
    assert parquet_rows(layout.customer_segments) == scoring["customers_scored"] == parquet_rows(layout.customer_features)
    for segment in scoring["segments"]:
        assert f"{segment['segment_id']:>2}  {segment['name']:<54} {segment['customers']:>10,}" in result.stdout
    assert "champion model      bank_customer_segmentation version 1: KMeans, k=6" in result.stdout
    assert "baseline          transaction-level KMeans k=6 on 3 raw columns: silhouette 0.667" in result.stdout
    log = (data_dir / "logs" / f"bank_segmentation_daily_{RUN_DATE}.log").read_text()
    assert "register_hive" in log and "bank.customer_segments" in log


def test_a_broken_delivery_stops_at_its_gate_and_publishes_nothing(tmp_path):
    synthetic.generate_csv(tmp_path / "good.csv", rows=GENERATED_ROWS, seed=7)
    with (tmp_path / "good.csv").open(newline="") as handle:
        header, *rows = csv.reader(handle)
    amount = header.index("TransactionAmount (INR)")
    broken = tmp_path / "paise.csv"
    with broken.open("w", newline="") as handle:
        # The export lost its decimal points: 459.00 INR arrives as 45900. Every row still parses.
        lost_points = ([*r[:amount], f"{float(r[amount]):.2f}".replace(".", "")] for r in rows)
        csv.writer(handle).writerows([header, *lost_points])
    data_dir, env = tmp_path / "data", platform_ports_env()  # its own HiveServer2 beside the module's
    result = bankseg_cli(data_dir, "run", "--input", str(broken), "--run-date", RUN_DATE, env=env)
    stop_platform(data_dir, env)
    assert result.returncode == 1
    assert "curated_transactions on 2016-10-21: FAILED, 1 critical failure(s)" in result.stderr
    assert "CRITICAL  amount                    column_median_to_be_between" in result.stderr
    log = (data_dir / "logs" / f"bank_segmentation_daily_{RUN_DATE}.log").read_text()
    assert "AirflowFailException: curated_transactions on 2016-10-21: FAILED" in log
    assert "starting task_id=customer_features" not in log
    layout = DataLayout(str(data_dir))
    for dataset in (layout.curated_transactions, layout.quarantine, layout.customer_features):
        assert parquet_rows(dataset) == 0
    assert parquet_rows(layout.rejected("curated_transactions", RUN_DATE)) == GENERATED_ROWS


def test_outputs_reconcile_with_the_input(first_run, input_file):
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))
    with input_file.open(newline="") as handle:
        bad_ids = {line.split(",")[0] for line in BAD_LINES}
        generated = [row for row in csv.DictReader(handle) if row["TransactionID"] not in bad_ids]
    assert len(generated) == GENERATED_ROWS

    assert parquet_rows(layout.curated_transactions) == GENERATED_ROWS
    quarantine = pq.ParquetDataset(layout.quarantine).read(columns=["transaction_id_raw", "reason"]).to_pylist()
    assert {row["transaction_id_raw"]: row["reason"] for row in quarantine} == {
        line.split(",")[0]: reason for line, reason in BAD_LINES.items()
    }
    features = pq.ParquetDataset(layout.customer_features).read(columns=["customer_id"]).column(0).to_pylist()
    assert sorted(features) == sorted({row["CustomerID"] for row in generated})

    etl = read_run_record(layout.run_record(RUN_DATE, "etl_transactions"))
    assert (etl["rows_in"], etl["rows_curated"], etl["rows_quarantined"]) == (GENERATED_ROWS + 4, GENERATED_ROWS, 4)


def test_rerunning_the_date_gives_the_same_outputs(first_run, input_file):
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))

    def snapshot():
        curated = pq.ParquetDataset(layout.curated_transactions).read().sort_by("transaction_id")
        files = Path(layout.curated_transactions).rglob("*.parquet")
        partitions = sorted(str(path.parent.relative_to(layout.curated_transactions)) for path in files)
        return curated.to_pylist(), partitions, parquet_rows(layout.quarantine), parquet_rows(layout.customer_features)

    before = snapshot()
    result = bankseg_cli(data_dir, "run", "--input", str(input_file), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert snapshot() == before


def test_a_day_with_nothing_landed_is_skipped_not_failed(first_run):
    data_dir, _ = first_run
    from bankseg import platform

    layout = DataLayout(str(data_dir))
    log = Path(layout.root) / "logs" / "empty-day.log"
    platform.test_dag_run("bank_segmentation_daily", "2016-10-20", platform.platform_env(layout), log)
    text = log.read_text()
    assert "nothing landed for 2016-10-20" in text
    assert "state=success" in text
    assert not Path(layout.run_record("2016-10-20", "etl_transactions")).exists()

"""The daily DAG end to end through Airflow (`airflow dags test`), driven as `make run` drives it."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import pyarrow.parquet as pq
import pytest
from conftest import hive_catalog, is_loopback, listening_sockets, platform_ports_env, stop_platform

from bankseg import airflow_cli, environment, quality, services, synthetic, tracking
from bankseg.layout import DataLayout
from bankseg.model_spec import INPUT_COLUMNS
from bankseg.run_records import read_run_record

pytestmark = [pytest.mark.airflow, pytest.mark.spark]

RUN_DATE = "2016-10-21"
# 16,867 customers (seed 11): enough for the first training to find stable segments and make a
# champion, so `make run` goes the whole way a newcomer's does (train, then score the day).
GENERATED_ROWS = 20_000
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
    synthetic.generate_csv(path, rows=GENERATED_ROWS, seed=11)
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
    assert DataLayout(str(data_dir)).batch(RUN_DATE).root in result.stdout


def test_run_prints_a_line_per_task_as_it_ends(first_run):
    data_dir, result = first_run
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("  ") and line.rstrip().endswith(" s")]
    tasks = [(fields[0], fields[1]) for fields in lines if len(fields) == 4]
    daily = ["landing_files_present", "daily_pipeline", "validate_raw", "validate_curated", "validate_features", "register_hive", "report_run"]
    # The daily DAG, the training DAG, then the daily DAG again to score the day with the new champion.
    assert [task for task, _ in tasks] == [*daily, "features_not_yet_trained", "train_segmentation", "report_training", *daily]
    assert {state for _, state in tasks} == {"success"}
    recorded = read_run_record(DataLayout(str(data_dir)).run_record(RUN_DATE, "bank_segmentation_daily_tasks"))
    assert [task["task_id"] for task in recorded["tasks"]] == daily


def test_run_passes_and_prints_every_quality_gate(first_run):
    data_dir, result = first_run
    layout = DataLayout(str(data_dir))
    for layer, suite in quality.SUITES.items():
        report = quality.read_report(layout, RUN_DATE, layer)
        assert report["success"], quality.format_report(report)
        assert f"quality {suite:<22} {report['passed']}/{report['evaluated']} expectations met" in result.stdout
    assert f"Data Docs           file://{layout.quality}/gx/uncommitted/data_docs/local_site/index.html" in result.stdout


def test_the_first_run_trains_a_champion_through_airflow_and_scores_the_day_with_it(first_run):
    data_dir, result = first_run
    layout = DataLayout(str(data_dir))
    assert "no champion model yet: running bank_segmentation_training" in result.stdout
    training = read_run_record(layout.run_record(RUN_DATE, "train_segmentation"))
    assert (training["chosen_k"], training["model_version"], training["champion"], training["gate_failures"]) == (6, "1", True, [])
    assert "champion model      bank_customer_segmentation version 1: KMeans, k=6" in result.stdout
    snapshot = read_run_record(layout.run_record(RUN_DATE, "customer_snapshot"))
    assert snapshot["model_version"] == "1"
    # Scored again on the published batch and features: neither was rebuilt for it.
    assert snapshot["fold"] == f"the published features of {RUN_DATE} reused: no batch changed since"
    assert parquet_rows(layout.snapshot(RUN_DATE).customer_segments) == snapshot["customers_scored"] == parquet_rows(layout.snapshot(RUN_DATE).customer_features)
    for segment in snapshot["segments"]:
        assert f"{segment['segment_id']:>2}  {segment['name']:<54} {segment['customers']:>10,}" in result.stdout
    assert "baseline          transaction-level KMeans k=6 on 3 raw columns: silhouette 0.667" in result.stdout
    log = (data_dir / "logs" / f"bank_segmentation_daily_{RUN_DATE}_scored.log").read_text()
    assert "register_hive" in log and "bank.customer_segments" in log


@pytest.fixture(scope="module")
def scored_run(first_run):
    return first_run


def test_a_broken_delivery_stops_at_its_gate_and_publishes_nothing(first_run, tmp_path):
    """The next day's extract lost its decimal points: its gate stops it, and the published day stays."""
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))
    published = layout.batch_dates(), layout.snapshot_dates(), pq.ParquetDataset(layout.snapshot(RUN_DATE).customer_segments).read()
    next_day = "2016-10-22"
    delivery = synthetic.Delivery(transaction_date=date.fromisoformat(next_day), first_transaction_id=1_000_000)
    synthetic.generate_csv(tmp_path / "good.csv", rows=3_000, seed=8, delivery=delivery)
    with (tmp_path / "good.csv").open(newline="") as handle:
        header, *rows = csv.reader(handle)
    amount = header.index("TransactionAmount (INR)")
    broken = tmp_path / "bank_transactions.csv"
    with broken.open("w", newline="") as handle:
        # 459.00 INR arrives as 45900. Every row still parses.
        lost_points = ([*r[:amount], f"{float(r[amount]):.2f}".replace(".", "")] for r in rows)
        csv.writer(handle).writerows([header, *lost_points])
    result = bankseg_cli(data_dir, "run", "--input", str(broken), "--run-date", next_day)
    assert result.returncode == 1
    assert f"curated_transactions on {next_day}: FAILED, 1 critical failure(s)" in result.stderr
    assert "CRITICAL  amount                    column_approximate_quantile_values_to_be_between (q0.5 in [100, 5,000]" in result.stderr
    assert "  validate_curated         failed" in result.stdout
    log = (data_dir / "logs" / f"bank_segmentation_daily_{next_day}.log").read_text()
    assert f"AirflowFailException: curated_transactions on {next_day}: FAILED" in log
    assert "starting task_id=validate_features" not in log
    assert (layout.batch_dates(), layout.snapshot_dates()) == published[:2] == ([RUN_DATE], [RUN_DATE])
    assert pq.ParquetDataset(layout.snapshot(RUN_DATE).customer_segments).read().equals(published[2])
    assert parquet_rows(str(Path(layout.rejected("etl_transactions", next_day)) / "transactions")) == 3_000


def test_outputs_reconcile_with_the_input(first_run, input_file):
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))
    with input_file.open(newline="") as handle:
        bad_ids = {line.split(",")[0] for line in BAD_LINES}
        generated = [row for row in csv.DictReader(handle) if row["TransactionID"] not in bad_ids]
    assert len(generated) == GENERATED_ROWS

    batch = layout.batch(RUN_DATE)
    assert parquet_rows(batch.transactions) == GENERATED_ROWS
    quarantine = pq.ParquetDataset(batch.quarantine).read(columns=["transaction_id_raw", "reason"]).to_pylist()
    assert {row["transaction_id_raw"]: row["reason"] for row in quarantine} == {
        line.split(",")[0]: reason for line, reason in BAD_LINES.items()
    }
    features = pq.ParquetDataset(layout.snapshot(RUN_DATE).customer_features).read(columns=["customer_id"]).column(0).to_pylist()
    assert sorted(features) == sorted({row["CustomerID"] for row in generated})

    etl = read_run_record(layout.run_record(RUN_DATE, "etl_transactions"))
    assert (etl["rows_in"], etl["rows_curated"], etl["rows_quarantined"]) == (GENERATED_ROWS + 4, GENERATED_ROWS, 4)


def test_rerunning_the_date_gives_the_same_outputs(first_run, input_file):
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))

    def tables():
        batch, snapshot = layout.batch(RUN_DATE), layout.snapshot(RUN_DATE)
        curated = pq.ParquetDataset(batch.transactions).read().drop_columns(["source_file"]).sort_by("transaction_id")
        segments = pq.ParquetDataset(snapshot.customer_segments).read().sort_by("customer_id")
        return curated.to_pylist(), parquet_rows(batch.quarantine), parquet_rows(snapshot.customer_features), segments.to_pylist()

    before = tables()
    result = bankseg_cli(data_dir, "run", "--input", str(input_file), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "no champion model yet" not in result.stdout  # scored by the daily DAG itself, with version 1
    assert tables() == before


def test_a_day_with_nothing_landed_is_skipped_not_failed(first_run):
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))
    log = Path(layout.root) / "logs" / "empty-day.log"
    outcomes = airflow_cli.run_dag("bank_segmentation_daily", "2016-10-20", environment.platform_env(layout), log)
    assert [(o.task_id, o.state) for o in outcomes] == [("landing_files_present", "success")]
    assert "nothing landed for 2016-10-20" in log.read_text()
    assert not Path(layout.run_record("2016-10-20", "etl_transactions")).exists()


def test_register_hive_with_hiveserver2_down_fails_naming_it_and_loses_nothing(first_run, monkeypatch):
    """HiveServer2 stopped in the middle of the platform's life: the task fails (its retries would
    follow) with the endpoint and what to do; once the server is back the same task registers."""
    data_dir, _ = first_run
    layout = DataLayout(str(data_dir))
    for port in ("BANKSEG_AIRFLOW_PORT", "BANKSEG_HIVE_PORT", "BANKSEG_MLFLOW_PORT"):
        monkeypatch.setenv(port, ENV[port])  # the module's services, not the default ports
    env = environment.platform_env(layout)
    published = pq.ParquetDataset(layout.batch(RUN_DATE).transactions).read().sort_by("transaction_id")
    catalog = hive_catalog(layout, int(ENV["BANKSEG_HIVE_PORT"]))
    assert services.stop_service(services.hiveserver2_service(layout), layout)
    try:
        down = bankseg_cli(data_dir, "airflow", "tasks", "test", "bank_segmentation_daily", "register_hive", RUN_DATE)
    finally:
        services.ensure_hiveserver2(layout, env)
    # The metastore lives in the data directory: tables, views and partitions survive the restart.
    assert hive_catalog(layout, int(ENV["BANKSEG_HIVE_PORT"])) == catalog
    # `tasks test` exits 0 whatever the task did: its log says what happened.
    output = down.stdout + down.stderr
    assert f"HiveServer2 at 127.0.0.1:{ENV['BANKSEG_HIVE_PORT']} (Airflow connection hiveserver2_default) is unreachable" in output
    assert "Start it with `make up`" in output
    assert "new_state=up_for_retry" in output  # the task's retries (2, a minute apart) would follow
    back = bankseg_cli(data_dir, "airflow", "tasks", "test", "bank_segmentation_daily", "register_hive", RUN_DATE)
    assert "new_state=success" in back.stdout + back.stderr, back.stdout[-3000:] + back.stderr[-3000:]
    assert pq.ParquetDataset(layout.batch(RUN_DATE).transactions).read().sort_by("transaction_id").equals(published)
    with analyst_connection(data_dir) as connection:
        cursor = connection.cursor()
        cursor.execute(f"SELECT count(*) FROM bank.transactions WHERE ingest_date = '{RUN_DATE}'")
        assert cursor.fetchall() == [(GENERATED_ROWS,)]


# ---------------------------------------------------------------- the dashboards, in a real browser


@pytest.fixture(scope="module")
def dashboards(scored_run, tmp_path_factory):
    """The dashboards on a free port over the scored day, as `python -m bankseg.dashboards` serves them."""
    from bankseg.standalone_cluster import free_port

    data_dir, _ = scored_run
    port = free_port()
    log = tmp_path_factory.mktemp("dashboards") / "dashboards.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "bankseg.dashboards", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}/bankseg/"
    try:
        deadline = time.monotonic() + 60
        while not services.http_answers(base_url, lambda body: b"Bank customer segmentation" in body):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def analyst_connection(data_dir: Path):
    """An analyst's PyHive session on the module's HiveServer2, with the login of its data directory."""
    from bankseg import hive

    return hive.connect(DataLayout(str(data_dir)), port=int(ENV["BANKSEG_HIVE_PORT"]))


def api_summary(base_url: str, query: str = "") -> dict:
    with urllib.request.urlopen(f"{base_url}api/summary{query}", timeout=30) as response:
        return json.load(response)


def test_the_daily_dag_builds_the_dashboard_marts(scored_run):
    data_dir, _ = scored_run
    layout = DataLayout(str(data_dir))
    assert parquet_rows(layout.batch(RUN_DATE).activity) == GENERATED_ROWS
    snapshot = layout.snapshot(RUN_DATE)
    assert parquet_rows(snapshot.mart("segment_keys")) == parquet_rows(snapshot.customer_features)
    drift = pq.ParquetDataset(snapshot.mart("feature_drift")).read().to_pylist()
    assert {row["feature"] for row in drift} == set(INPUT_COLUMNS)
    # Scored on the snapshot it was trained on: nothing has drifted.
    assert all(row["psi"] == pytest.approx(0.0, abs=1e-9) for row in drift)


def test_dashboard_totals_equal_the_same_figures_through_hiveserver2(dashboards, scored_run):
    totals = api_summary(dashboards)
    with analyst_connection(scored_run[0]) as connection:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT sum(amount), count(*), count(DISTINCT customer_id) FROM bank.transactions WHERE txn_date <= '{RUN_DATE}'"
        )
        amount, transactions, customers = cursor.fetchone()
        cursor.execute(f"SELECT count(DISTINCT customer_id) FROM bank.v_transactions WHERE gender = 'F' AND txn_date <= '{RUN_DATE}'")
        (women,) = cursor.fetchone()
    assert totals["transactions"] == transactions == GENERATED_ROWS
    assert totals["customers"] == customers
    assert totals["amount"] == pytest.approx(float(amount), abs=0.005)
    assert api_summary(dashboards, "?gender=F")["customers"] == women


def test_every_dashboard_renders_with_data_and_no_console_errors(dashboards, tmp_path):
    from bankseg.dashboards import browser, pages

    with browser.browser() as context:
        for slug in pages.DASHBOARDS:
            page = browser.render(context, dashboards + slug, tmp_path / f"{slug}.png")
            assert page.status == 200 and page.console_errors == [], (slug, page.console_errors)
            assert page.charts, f"{slug}: no charts"
            empty = [name for name, marks in page.charts.items() if marks == 0]
            assert not empty, f"{slug}: charts without data {empty}"
            drawn = {name: len(values) for name, values in page.chart_values.items()}
            assert drawn == {name: marks for name, marks in page.charts.items() if name in drawn}, f"{slug}: a mark without its tooltip"
            assert (tmp_path / f"{slug}.png").stat().st_size > 20_000, f"{slug}: screenshot looks blank"
        index = browser.render(context, dashboards)
        assert index.status == 200 and index.console_errors == []
        quality_page = browser.render(context, dashboards + "quality")
        assert quality_page.status == 200 and quality_page.console_errors == []
        # The published day's three gates, and the broken next day's raw and curated ones (it stopped there).
        assert quality_page.tables["quality-runs"] == 5


def test_twenty_readers_load_every_dashboard_at_once_without_an_error(dashboards):
    from bankseg import load
    from bankseg.dashboards import pages

    paths = [*pages.DASHBOARDS, "quality"]
    result = load.run_users("readers", 20, load.dashboard_pages(dashboards, paths), until=lambda: False,
                            max_seconds=120, max_requests_per_user=len(paths))
    print(result.summary())
    assert result.errors == []
    assert result.requests == 20 * len(paths)


def hive_totals(data_dir: Path, where: str) -> tuple[float, int, int]:
    """Amount, transactions and distinct customers up to the run date, through HiveServer2."""
    segments = f"LEFT JOIN bank.customer_segments s ON s.customer_id = t.customer_id AND s.snapshot_date = '{RUN_DATE}'"
    with analyst_connection(data_dir) as connection:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT sum(t.amount), count(*), count(DISTINCT t.customer_id) FROM bank.v_transactions t {segments} "
            f"WHERE t.txn_date <= '{RUN_DATE}' AND {where}"
        )
        amount, transactions, customers = cursor.fetchone()
    return float(amount or 0), int(transactions), int(customers)


def choose_option(name: str, pick: int = 1):
    """Chooses the ``pick``-th option (0 is "All") of a filter's list, as a reader would; returns its value."""

    def choose(page) -> str:
        value = page.eval_on_selector(f"select[name={name}]", f"select => select.options[{pick}].value")
        page.select_option(f"select[name={name}]", value)  # the page's script applies it at once
        return urlencode({name: value})

    return choose


def choose_dates(page) -> str:
    page.fill("input[name=start]", "2016-09-01")
    page.fill("input[name=end]", "2016-09-30")
    page.click("form.filters button[type=submit]")
    return "start=2016-09-01&end=2016-09-30"


FILTERS = {
    "gender": (choose_option("gender"), lambda value: f"t.gender = '{value}'"),
    "city": (choose_option("city"), lambda value: f"t.city = '{value}'"),
    "age band": (choose_option("age_band", 2), lambda value: f"t.age_band = '{value}'"),
    "segment": (choose_option("segment"), lambda value: f"s.segment_id = {value}"),
    "date range": (choose_dates, lambda _: "t.txn_date BETWEEN '2016-09-01' AND '2016-09-30'"),
}


@pytest.mark.parametrize("filter_name", list(FILTERS))
def test_a_filter_chosen_in_the_browser_redraws_the_page_with_the_figures_hive_gives(dashboards, scored_run, filter_name):
    from urllib.parse import unquote_plus

    from bankseg.dashboards import browser
    from bankseg.dashboards import formatting as fmt

    choose, condition = FILTERS[filter_name]
    with browser.browser() as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(dashboards + "overview")
        before = browser.read(page, page.url, 200, errors)
        query = choose(page)
        page.wait_for_url(f"**/overview?{query}")
        after = browser.read(page, page.url, 200, errors)
    value = unquote_plus(query.split("=", 1)[1])
    amount, transactions, customers = hive_totals(scored_run[0], condition(value))
    everyone = hive_totals(scored_run[0], "true")
    assert 0 < transactions < everyone[1], f"{filter_name}={value} should select some of the transactions"
    assert after.kpis["Total amount"] == fmt.inr(amount)
    assert after.kpis["Transactions"] == fmt.count(transactions)
    assert after.kpis["Customers"] == fmt.count(customers)
    assert before.kpis["Transactions"] == fmt.count(everyone[1])
    redrawn = [name for name, values in before.chart_values.items() if after.chart_values.get(name) != values]
    assert redrawn, "no chart changed with the filter"
    assert errors == []


def test_the_segments_page_narrows_to_the_chosen_segment(dashboards):
    from bankseg.dashboards import browser

    with browser.browser() as context:
        page = context.new_page()
        page.goto(dashboards + "segments")
        everyone = browser.read(page, page.url, 200, [])
        query = choose_option("segment")(page)
        page.wait_for_url(f"**/segments?{query}")
        chosen = browser.read(page, page.url, 200, [])
    assert everyone.charts["segment-sizes"] > 1 and chosen.charts["segment-sizes"] == 1
    (bar,) = chosen.chart_values["segment-sizes"]
    assert bar.startswith(query.split("=")[1] + " · ") and "(100.0%)" in bar
    # Whole-snapshot panels say that filters do not apply to them, and do not change.
    assert chosen.tables["segment-profiles"] == everyone.tables["segment-profiles"] > 1


def test_the_training_report_is_an_mlflow_artifact(scored_run):
    data_dir, _ = scored_run
    from mlflow import MlflowClient

    layout = DataLayout(str(data_dir))
    tracking.configure(layout)
    training = read_run_record(layout.run_record(RUN_DATE, "train_segmentation"))
    report = Path(MlflowClient().download_artifacts(training["parent_run_id"], "training_report.html")).read_text()
    assert f"training on snapshot {RUN_DATE}" in report
    assert report.count("data:image/png;base64,") >= 4  # the plots travel inside the page
    for segment in training["segments"]:
        assert f"<td>{segment['segment_id']}</td><td>{segment['name']}</td>" in report


def api(base_url: str, path: str, token: str | None = None, payload: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(payload).encode() if payload is not None else None
    # The API server shares the cores with the scheduler's first tasks and any other work: a busy
    # moment may hold an answer for many seconds.
    with urllib.request.urlopen(urllib.request.Request(base_url + path, data=data, headers=headers), timeout=60) as response:
        return json.load(response)


def asset_triggered_training_states(base_url: str, token: str) -> dict[str, str]:
    """Task states of the first finished training run that the features asset started."""
    runs_path = "/api/v2/dags/bank_segmentation_training/dagRuns"
    deadline = time.monotonic() + 120
    while not (finished := [run for run in api(base_url, runs_path, token)["dag_runs"]
                            if run["run_type"] == "asset_triggered" and run["state"] in ("success", "failed")]):
        assert time.monotonic() < deadline, "the features asset started no training run, or it did not finish"
        time.sleep(2)
    instances = api(base_url, f"{runs_path}/{quote(finished[0]['dag_run_id'], safe='')}/taskInstances", token)["task_instances"]
    return {instance["task_id"]: instance["state"] for instance in instances}


def check_up_serves_the_dags_on_loopback(data_dir: Path, up: subprocess.CompletedProcess) -> tuple[str, str]:
    """The printed login works, the DAGs are served without import errors, every socket of every
    service is on loopback, and a second `up` finds the first. Returns the Airflow URL and password."""
    port = int(ENV["BANKSEG_AIRFLOW_PORT"])
    base_url = f"http://127.0.0.1:{port}"
    assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{(data_dir / 'logs' / 'airflow.log').read_text()[-5000:]}"
    assert f"Airflow UI   {base_url}" in up.stdout and f"Dashboards   {base_url}/bankseg/" in up.stdout
    password = re.search(r"login\s+admin / (\S+)", up.stdout).group(1)
    pid = int((data_dir / "pids" / "airflow.pid").read_text())
    assert os.getpgid(pid) == pid, "started in a session (process group) of its own"

    token = api(base_url, "/auth/token", payload={"username": "admin", "password": password})["access_token"]
    # `up` returns once the DAG processor heartbeats; its first parse of the DAGs may still be under way.
    deadline = time.monotonic() + 60
    while "bank_segmentation_daily" not in (dag_ids := {dag["dag_id"] for dag in api(base_url, "/api/v2/dags", token)["dags"]}):
        assert time.monotonic() < deadline, f"bank_segmentation_daily not listed, only {dag_ids}"
        time.sleep(2)
    assert api(base_url, "/api/v2/importErrors", token)["import_errors"] == []
    # The dashboards plugin: mounted in the API server, linked from the UI's navigation.
    plugins = {plugin["name"]: plugin for plugin in api(base_url, "/api/v2/plugins", token)["plugins"]}
    assert [view["href"] for view in plugins["bankseg_dashboards"]["external_views"]] == ["/bankseg/"]
    with urllib.request.urlopen(base_url + "/bankseg/static/dashboard.css", timeout=10) as stylesheet:
        assert stylesheet.status == 200 and b".kpi" in stylesheet.read()

    # The scheduler starts the training on the features asset `make run` emitted; those features were
    # trained on by `make run` itself, so the run ends at its first task and trains nothing.
    assert asset_triggered_training_states(base_url, token) == {
        "features_not_yet_trained": "success", "train_segmentation": "skipped", "report_training": "skipped",
    }

    sockets = listening_sockets(pid)
    assert {address for address, listened in sockets if listened == port} == {"127.0.0.1"}
    assert not {listened for address, listened in sockets if not is_loopback(address)}, f"listening beyond loopback: {sorted(sockets)}"
    mlflow_url, mlflow_password = re.search(r"MLflow UI    (\S+).*\n  login      admin / (\S+)", up.stdout).groups()
    with urllib.request.urlopen(mlflow_url + "/health", timeout=10) as health:
        assert health.read().strip() == b"OK"
    # The registry behind MLflow's login: refused without it, served with the printed one.
    search = mlflow_url + "/api/2.0/mlflow/registered-models/search"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(search, timeout=10)
    assert anonymous.value.code == 401
    signed_in = urllib.request.Request(search, headers={"Authorization": "Basic " + base64.b64encode(f"admin:{mlflow_password}".encode()).decode()})
    with urllib.request.urlopen(signed_in, timeout=10) as models:
        assert [model["name"] for model in json.load(models)["registered_models"]] == ["bank_customer_segmentation"]
    # HiveServer2 with the printed analyst login: the analysts' views, nothing without it.
    from pyhive import hive as pyhive
    from thrift.transport.TTransport import TTransportException

    hive_password = re.search(r"HiveServer2 .*\n  login      analyst / (\S+)", up.stdout).group(1)
    hive_port = int(ENV["BANKSEG_HIVE_PORT"])
    with pyhive.connect(host="127.0.0.1", port=hive_port, auth="CUSTOM", username="analyst", password=hive_password) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM bank.transactions")
        assert cursor.fetchall() == [(GENERATED_ROWS,)]
    with pytest.raises(TTransportException):
        pyhive.connect(host="127.0.0.1", port=hive_port, auth="CUSTOM", username="analyst", password=hive_password + "x")
    for secret in (data_dir / "secrets").iterdir():
        assert secret.stat().st_mode & 0o077 == 0, f"{secret} is readable by others"
    generated = Path(DataLayout(str(data_dir)).airflow_home) / "simple_auth_manager_passwords.json.generated"
    assert generated.stat().st_mode & 0o077 == 0, "the Airflow password file is readable by others"
    for service in ("hiveserver2", "mlflow"):
        service_sockets = listening_sockets(int((data_dir / "pids" / f"{service}.pid").read_text()))
        assert service_sockets and all(is_loopback(address) for address, _ in service_sockets), (service, service_sockets)

    again = bankseg_cli(data_dir, "up")
    assert again.returncode == 0 and f"airflow: already running (pid {pid})" in again.stdout, again.stdout
    return base_url, password


def check_down_stops_every_service(data_dir: Path, airflow_pid: int) -> None:
    down = bankseg_cli(data_dir, "down")
    assert down.returncode == 0 and "airflow: stopped" in down.stdout, f"{down.stdout}\n{down.stderr}"
    with pytest.raises(ProcessLookupError):
        os.killpg(airflow_pid, 0)
    assert not services.port_in_use("127.0.0.1", int(ENV["BANKSEG_AIRFLOW_PORT"]))
    assert "airflow: was not running" in bankseg_cli(data_dir, "down").stdout
    assert not list((data_dir / "pids").glob("*.pid")), "down stops every service"


# Last in the module: `up` starts the scheduler, which may begin work of its own until `down`.
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets from Linux /proc")
def test_up_serves_the_platform_on_loopback_and_the_dashboards_open_from_the_airflow_ui(scored_run):
    from bankseg.dashboards import browser, formatting

    data_dir, _ = scored_run
    up = bankseg_cli(data_dir, "up")
    try:
        airflow_url, password = check_up_serves_the_dags_on_loopback(data_dir, up)
        airflow_pid = int((data_dir / "pids" / "airflow.pid").read_text())
        with browser.browser() as context:
            page = context.new_page()
            assert page.goto(airflow_url + "/bankseg/overview").status == 401  # nothing without the Airflow login
            page.goto(airflow_url + "/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.click("button:has-text('Sign in')")
            page.wait_for_url(airflow_url + "/")
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.click("button[aria-label=Browse]")
            page.click("text=Segmentation dashboards")
            page.wait_for_url("**/plugin/bankseg-dashboards**")
            with page.expect_event("framenavigated", lambda navigated: navigated.url.endswith("/bankseg/overview")) as opened:
                page.frame_locator("iframe").locator("a.card:has-text('Overview')").click()
            frame = opened.value
            frame.wait_for_load_state()
            shown = browser.read(frame, frame.url, 200, errors)
        check_down_stops_every_service(data_dir, airflow_pid)
    finally:
        stop_platform(data_dir, ENV)
    assert shown.kpis["Transactions"] == formatting.count(GENERATED_ROWS)
    assert shown.charts and all(marks > 0 for marks in shown.charts.values())
    assert errors == []

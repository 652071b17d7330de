"""``make bench``: wall time and peak memory of each stage at a given size.

    python -m bankseg.bench --rows 1048567 [--stages generate,etl,...,dag,training-dag] [--data-dir DIR]
    python -m bankseg.bench --scales 1,10,50 [--stages ...]    # the same stages at each size, and how time grew
    python -m bankseg.bench --scales 1,10,50 --report          # the scale table and plot from earlier runs

Each stage runs as its own process tree, exactly as the platform runs it (the generator CLI,
``spark-submit`` with the DAG's settings, ``airflow dags test`` for the whole DAG); peak memory is
the largest resident set of the whole tree (spark-submit's JVM plus the Python driver), sampled
every 100 ms. The table is printed and written to ``<data-dir>/bench-<rows>.md``; the measurements
are kept in ``<data-dir>/bench-<rows>.json``, merged with earlier runs at the same size, so sizes
and stages measured in separate runs (50x takes hours) make one scale report with ``--report``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from bankseg import airflow_cli, endpoints, environment, pipeline, services, tracking
from bankseg.cli import DAILY_DAG_ID, DEFAULT_RUN_DATE, TRAINING_DAG_ID
from bankseg.layout import DataLayout
from bankseg.publish import read_manifest
from bankseg.model_spec import INPUT_COLUMNS

STAGES = (
    "generate", "pipeline", "train", "dag", "training-dag", "dag-scored", "dag-rescored", "serve", "hive", "dashboards", "load", "history",
)
# Whole DAG runs; each also reports its tasks' own times.
DAG_STAGES = {"dag": DAILY_DAG_ID, "training-dag": TRAINING_DAG_ID, "dag-scored": DAILY_DAG_ID, "dag-rescored": DAILY_DAG_ID}
# The run records of daily_pipeline's two steps, batch then snapshot.
DAILY_STEPS = ("etl_transactions", "customer_snapshot")
# The stages that start from a fresh warehouse; dag-rescored scores the day the warehouse holds again.
FRESH_WAREHOUSE_STAGES = ("dag", "dag-scored")
KAGGLE_ROWS = 1_048_567
# The scale benchmark's stages: the whole daily DAG, the whole training DAG, the daily DAG scored by the champion.
SCALE_STAGES = ("generate", "dag", "training-dag", "dag-scored")
# One day's delivery for the history benchmark: about the Kaggle file's daily volume.
DAY_ROWS = 20_000
DAY_DATE = "2016-10-22"
# What analysts ask first: the city summary (dashboard 3) and the segment summary.
HIVE_QUERIES = {
    "hive query: top 10 cities by spend": "SELECT city, amount_total FROM bank.v_spend_by_city ORDER BY amount_total DESC LIMIT 10",
    "hive query: segment summary": "SELECT * FROM bank.v_segment_summary ORDER BY segment_id",
}
SERVED_REQUESTS = 200
# The load stage: analysts at once on HiveServer2, readers at once on the dashboards.
LOAD_ANALYSTS = 8
LOAD_READERS = 20
# A dashboard page, fully drawn in the browser, at the default data set size.
DASHBOARD_TARGET_SECONDS = 2.0


@dataclass
class Measurement:
    stage: str
    seconds: float
    peak_mib: float  # the whole process tree at its peak
    largest_process_mib: float = 0.0  # the largest single process (usually Spark's JVM) at its peak


def member_rss(process: psutil.Process) -> list[int]:
    """Resident memory of a process and each of its descendants."""
    sizes = []
    for member in [process, *process.children(recursive=True)]:
        try:
            sizes.append(member.memory_info().rss)
        except psutil.NoSuchProcess:
            pass
    return sizes


def tree_rss(process: psutil.Process) -> int:
    return sum(member_rss(process))


def measure(stage: str, command: list[str], env: dict[str, str], log_path: Path) -> Measurement:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    peak = largest = 0
    with log_path.open("w") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            try:
                sizes = member_rss(watched)
            except psutil.NoSuchProcess:
                sizes = []
            peak, largest = max(peak, sum(sizes)), max([largest, *sizes])
            time.sleep(0.1)
    seconds = time.monotonic() - started
    if child.returncode != 0:
        raise SystemExit(f"stage {stage} failed (exit {child.returncode}); log: {log_path}")
    return Measurement(stage, seconds, peak / 2**20, largest / 2**20)


def spark_submit_command(job_name: str, layout: DataLayout, run_date: str, master: str) -> list[str]:
    """The DAG's own spark-submit line for ``job_name`` (``bankseg.pipeline`` builds it for both)."""
    return pipeline.spark_submit_command(job_name, run_date, layout.root, master)


def fresh_warehouse(layout: DataLayout) -> None:
    """Forget every published batch and snapshot and their gate reports, keeping the MLflow store, so
    a daily run starts as on a new warehouse but with the champion already trained."""
    for folder in (layout.warehouse, layout.quality):
        shutil.rmtree(folder, ignore_errors=True)


def run_benchmark(rows: int, stages: list[str], data_dir: Path, master: str) -> list[Measurement]:
    layout = DataLayout(str(data_dir.resolve()))
    run_date = DEFAULT_RUN_DATE
    env = environment.platform_env(layout, spark_master=master)
    logs = data_dir / "logs"
    landing_file = Path(layout.landing_for(run_date)) / "bank_transactions.csv"
    results = []
    if "generate" in stages or not landing_file.exists():
        shutil.rmtree(layout.landing, ignore_errors=True)
        generate = [sys.executable, "-m", "bankseg.synthetic", "--rows", str(rows), "--out", str(landing_file)]
        results.append(measure("generate", generate, env, logs / "generate.log"))
    for job_name, stage in (("daily_pipeline", "pipeline"), ("train_segmentation", "train")):
        if stage in stages:
            command = spark_submit_command(job_name, layout, run_date, master)
            results.append(measure(stage, command, env, logs / f"{stage}.log"))
    for stage, dag_id in DAG_STAGES.items():
        if stage in stages:
            if stage in FRESH_WAREHOUSE_STAGES:
                fresh_warehouse(layout)
            results += measure_dag(stage, dag_id, layout, env, run_date, logs / f"{stage}.log")
            if dag_id == DAILY_DAG_ID:
                results += pipeline_phases(layout, run_date, stage, DAILY_STEPS[1:] if stage == "dag-rescored" else DAILY_STEPS)
    if "serve" in stages:
        results.append(measure_serving(layout, env))
    if "hive" in stages:
        results += measure_hive(layout, env)
    if "dashboards" in stages:
        results += measure_dashboards(layout, data_dir / "screenshots")
    if "load" in stages:
        results += measure_load(layout, env)
    if "history" in stages:
        results += measure_history(data_dir / "history", rows, master)
    return results


def pipeline_phases(layout: DataLayout, run_date: str, stage: str, steps: tuple[str, ...] = DAILY_STEPS) -> list[Measurement]:
    """Each phase of ``steps`` inside the application, as their run records timed them."""
    from bankseg.run_records import read_run_record

    measured = []
    for step in steps:
        record = read_run_record(layout.run_record(run_date, step))
        measured += [Measurement(f"{stage}: {step}, {phase} (inside the application)", seconds, 0.0) for phase, seconds in record["phase_seconds"].items()]
    return measured


# The pairs of days the history stage measures, alternately after the history and on an empty
# warehouse: this machine's speed drifts by a fifth within minutes, and one pair of the same code
# has said 1.03 and 1.22.
HISTORY_PAIRS = 3


def measure_history(folder: Path, history_rows: int, master: str) -> list[Measurement]:
    """One day's delivery of ``DAY_ROWS`` rows through the whole daily DAG, on an empty warehouse and on
    one holding ``history_rows`` transactions of history, ``HISTORY_PAIRS`` times alternately; both
    scored by the same champion (one MLflow store, trained on the history). The ratio is the median
    of the pairs'."""
    shared_mlflow = folder / "mlflow"
    shared_mlflow.mkdir(parents=True, exist_ok=True)
    tracking_env = {tracking.TRACKING_URI_ENV: f"sqlite:///{(shared_mlflow / 'mlflow.db').resolve()}"}
    layouts = {name: DataLayout(str((folder / name).resolve())) for name in ("history", "empty")}
    envs = {name: {**environment.platform_env(layout, spark_master=master), **tracking_env} for name, layout in layouts.items()}
    build_history(layouts["history"], envs["history"], history_rows)
    results, ratios = [], []
    for pair in range(1, HISTORY_PAIRS + 1):
        whole_dag = {}
        for name, layout in layouts.items():
            if name == "history":
                # The day is measured as a new day, not as a rerun of the last measurement's.
                forget_date(layout, DAY_DATE)
            else:
                shutil.rmtree(layout.root, ignore_errors=True)
            day_file = Path(layout.landing_for(DAY_DATE)) / "bank_transactions.csv"
            subprocess.run([sys.executable, "-m", "bankseg.synthetic", "--rows", str(DAY_ROWS), "--seed", "7", "--out", str(day_file),
                            "--transaction-date", DAY_DATE, "--first-transaction-id", str(history_rows + 1)], check=True)
            where = f"after {history_rows:,} rows of history" if name == "history" else "empty warehouse"
            stage = f"history, pair {pair}: one day of {DAY_ROWS:,} rows, {where}"
            measured = measure_dag(stage, DAILY_DAG_ID, layout, envs[name], DAY_DATE, Path(layout.root) / "logs" / "day-dag.log")
            whole_dag[name] = measured[0]
            results += measured + pipeline_phases(layout, DAY_DATE, stage)
        ratios.append(whole_dag["history"].seconds / whole_dag["empty"].seconds)
    listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    results.append(Measurement(f"history: ratio of the day with history to the day on an empty warehouse (target <= 1.2): "
                               f"{statistics.median(ratios):.2f}, the median of {listed}", 0.0, 0.0))
    return results


def build_history(layout: DataLayout, env: dict[str, str], history_rows: int) -> None:
    """The history of ``history_rows`` generated transactions, built once and kept like its landing
    file, as a first `make run` builds it: the day, the training, the day scored by the champion."""
    history_file = Path(layout.landing_for(DEFAULT_RUN_DATE)) / "bank_transactions.csv"
    if not history_file.exists():
        subprocess.run([sys.executable, "-m", "bankseg.synthetic", "--rows", str(history_rows), "--out", str(history_file)], check=True)
    history = Path(layout.snapshot(DEFAULT_RUN_DATE).root)
    if (read_manifest(history) or {}).get("model_version"):
        return
    logs = Path(layout.root) / "logs"
    airflow_cli.migrate_airflow_db(env)
    with hiveserver2_running(layout, env) as dag_env:
        if not history.exists():
            airflow_cli.run_dag(DAILY_DAG_ID, DEFAULT_RUN_DATE, dag_env, logs / "history-dag.log")
            airflow_cli.run_dag(TRAINING_DAG_ID, DEFAULT_RUN_DATE, dag_env, logs / "history-training.log", conf={"snapshot_date": DEFAULT_RUN_DATE})
        airflow_cli.run_dag(DAILY_DAG_ID, DEFAULT_RUN_DATE, dag_env, logs / "history-scored.log", conf={"steps": ["snapshot"]})


def forget_date(layout: DataLayout, run_date: str) -> None:
    """Remove what a run of ``run_date`` published and recorded, so the next run of it is a first one."""
    for folder in (layout.batch(run_date).root, layout.snapshot(run_date).root, str(Path(layout.root, "runs", run_date)),
                   str(Path(layout.quality, "results", run_date))):
        shutil.rmtree(folder, ignore_errors=True)


def measure_serving(layout: DataLayout, env: dict[str, str]) -> Measurement:
    """Single-customer requests to ``mlflow models serve`` on the champion: p50 and p95 latency, the
    wall time of all requests, and the server's peak memory (uvicorn runs as its child)."""
    import pyarrow.parquet as pq

    from bankseg.standalone_cluster import free_port

    columns = list(INPUT_COLUMNS)
    snapshot = pq.read_table(layout.snapshot(DEFAULT_RUN_DATE).customer_features, columns=columns)
    customers = snapshot.slice(0, SERVED_REQUESTS).to_pylist()
    port = free_port()
    serve_env = {**env, tracking.TRACKING_URI_ENV: tracking.tracking_uri(layout)}
    server = subprocess.Popen(
        tracking.serve_model_command(port), env=serve_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    latencies, peak = [], 0
    try:
        deadline = time.monotonic() + 120
        while not services.http_answers(f"http://127.0.0.1:{port}/ping", accepts=lambda _: True):
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("mlflow models serve did not start")
            time.sleep(1)
        started = time.monotonic()
        for customer in customers:
            record = {key: None if value is None else float(value) for key, value in customer.items()}
            body = json.dumps({"dataframe_records": [record]}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/invocations", data=body, headers={"Content-Type": "application/json"}
            )
            sent = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            latencies.append(time.perf_counter() - sent)
            peak = max(peak, tree_rss(psutil.Process(server.pid)))
        wall = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    latencies.sort()
    p50, p95 = latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.95)] * 1000
    return Measurement(f"{len(latencies)} served predictions, one customer each: p50 {p50:.1f} ms, p95 {p95:.1f} ms", wall, peak / 2**20)


@contextlib.contextmanager
def dashboards_server(layout: DataLayout) -> Iterator[tuple[str, int]]:
    """The standalone dashboards on a free port while the block runs: their base URL and PID."""
    from bankseg.standalone_cluster import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bankseg.dashboards", "--port", str(port), "--data-dir", layout.root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}/bankseg/"
    try:
        deadline = time.monotonic() + 60
        while not services.http_answers(base_url + "static/dashboard.css", accepts=lambda _: True):  # up, marts not loaded yet
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the dashboards did not start")
            time.sleep(0.5)
        yield base_url, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def measure_dashboards(layout: DataLayout, screenshots: Path) -> list[Measurement]:
    """Each dashboard page in headless Chromium: median of 3 loads to a fully drawn page (the
    server's first load of the snapshot is done before timing), and the server's peak memory."""
    from bankseg.dashboards import browser, pages

    with dashboards_server(layout) as (base_url, pid):
        started = time.monotonic()
        services.http_answers(base_url + "overview", accepts=lambda _: True)  # loads the snapshot's marts
        results = [Measurement("dashboards: first page after start (loads the marts)", time.monotonic() - started, 0)]
        titles = {slug: title for slug, (title, _) in pages.DASHBOARDS.items()} | {"quality": "Data quality"}
        timings = browser.time_pages(base_url, list(titles), screenshots)
        peak = tree_rss(psutil.Process(pid)) / 2**20
    return results + [
        Measurement(f"dashboard page: {titles[slug]} (target < {DASHBOARD_TARGET_SECONDS:g} s: "
                    f"{'met' if seconds < DASHBOARD_TARGET_SECONDS else 'MISSED'})", seconds, peak)
        for slug, seconds in timings.items()
    ]


def measure_load(layout: DataLayout, env: dict[str, str]) -> list[Measurement]:
    """8 analysts run the analysts' first queries over HiveServer2 while the run registers its tables
    again (at least 30 s), then 20 readers load every dashboard page at once. Each row's seconds are
    the p95 latency; its name says how many requests ran and how many failed."""
    from bankseg import hive, load
    from bankseg.dashboards import pages

    results = []
    with hiveserver2_running(layout, env) as hive_env:
        port = int(hive_env[endpoints.HIVE_PORT_ENV])
        hive.register_run(DEFAULT_RUN_DATE, layout)  # the views exist before the analysts arrive
        registered = threading.Event()

        def register() -> None:
            try:
                hive.register_run(DEFAULT_RUN_DATE, layout)
            finally:
                registered.set()

        registration = threading.Thread(target=register)
        with load.analyst_sessions(layout, port, list(HIVE_QUERIES.values())) as query:
            registration.start()
            results.append(load.run_users(f"{LOAD_ANALYSTS} analysts during registration", LOAD_ANALYSTS, query, registered.is_set, min_seconds=30))
        registration.join()
    with dashboards_server(layout) as (base_url, _):
        services.http_answers(base_url + "overview", accepts=lambda _: True)  # loads the snapshot's marts
        paths = [*pages.DASHBOARDS, "quality"]
        results.append(load.run_users(f"{LOAD_READERS} dashboard readers", LOAD_READERS, load.dashboard_pages(base_url, paths),
                                      until=lambda: False, max_seconds=60, max_requests_per_user=3 * len(paths)))
    for result in results:
        print(result.summary(), flush=True)
    return [
        Measurement(f"load: {r.name}, p95 ({r.requests:,} requests, {len(r.errors)} errors, p50 {r.percentile(0.5):.2f} s)", r.percentile(0.95), 0)
        for r in results
    ]


@contextlib.contextmanager
def hiveserver2_running(layout: DataLayout, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """HiveServer2 on a free port while the block runs; yields ``env`` with the Airflow connection
    ``hiveserver2_default`` pointing at it (this process's environment too, for ``hive.register_run``)."""
    from bankseg.standalone_cluster import free_port

    names = (endpoints.HIVE_PORT_ENV, "AIRFLOW_CONN_HIVESERVER2_DEFAULT")
    previous = {name: os.environ.get(name) for name in names}
    os.environ[endpoints.HIVE_PORT_ENV] = str(free_port())
    os.environ["AIRFLOW_CONN_HIVESERVER2_DEFAULT"] = environment.platform_env(layout)["AIRFLOW_CONN_HIVESERVER2_DEFAULT"]
    hive_env = {**env, **{name: os.environ[name] for name in names}}
    try:
        services.ensure_hiveserver2(layout, hive_env)
        yield hive_env
    finally:
        services.stop_service(services.hiveserver2_service(layout), layout)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure_hive(layout: DataLayout, env: dict[str, str]) -> list[Measurement]:
    """Registration of the run through HiveServer2 (as the DAG's task does), then analyst queries."""
    from bankseg import hive

    started = time.monotonic()
    with hiveserver2_running(layout, env) as hive_env:
        results = [Measurement("HiveServer2 start", time.monotonic() - started, 0)]
        started = time.monotonic()
        hive.register_run(DEFAULT_RUN_DATE, layout)
        results.append(Measurement("hive registration of one run", time.monotonic() - started, 0))
        port = int(hive_env[endpoints.HIVE_PORT_ENV])
        with hive.connect(layout, port=port) as connection:
            cursor = connection.cursor()
            for name, sql in HIVE_QUERIES.items():
                started = time.monotonic()
                cursor.execute(sql)
                cursor.fetchall()
                results.append(Measurement(name, time.monotonic() - started, 0))
    return results


def measure_dag(stage: str, dag_id: str, layout: DataLayout, env: dict[str, str], run_date: str, log_path: Path) -> list[Measurement]:
    """One whole DAG run through ``airflow dags test`` (HiveServer2 up for ``register_hive``), then
    each task's wall time from the run's log. The training DAG trains on ``run_date``'s features."""
    # dag-rescored: what `make run` runs once its training made the first champion.
    conf = {"training-dag": {"snapshot_date": run_date}, "dag-rescored": {"steps": ["snapshot"]}}.get(stage)
    airflow_cli.migrate_airflow_db(env)
    with hiveserver2_running(layout, env) as dag_env:
        whole = measure(stage, airflow_cli.dag_test_command(dag_id, run_date, conf), dag_env, log_path)
    progress = airflow_cli.DagTestProgress()
    for line in log_path.read_text().splitlines():
        progress.feed(line)
    if progress.failed:
        raise SystemExit(f"the {dag_id} run did not succeed; log: {log_path}")
    return [whole] + [Measurement(f"{stage}: {task.task_id}", task.seconds, 0) for task in progress.outcomes]


def format_table(rows: int, master: str, results: list[Measurement]) -> str:
    names = {
        "generate": "generate CSV",
        "pipeline": "daily pipeline: batch and snapshot with their gates (spark-submit)",
        "train": "training (spark-submit)",
        "dag": "whole daily DAG, no champion yet (airflow dags test)",
        "training-dag": "whole training DAG (airflow dags test)",
        "dag-scored": "whole daily DAG scored by the champion (airflow dags test)",
        "dag-rescored": "the day scored again: the daily DAG's snapshot step on the published batch (airflow dags test)",
    }
    lines = [
        f"rows {rows:,} · master {master} · {psutil.cpu_count()} cores · "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB · Python {platform.python_version()}",
        "",
        "| stage | wall time (s) | peak memory, process tree (MiB) | largest process (MiB) |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {names.get(r.stage, r.stage)} | {r.seconds:.1f} | {_mib(r.peak_mib)} | {_mib(r.largest_process_mib)} |" for r in results]
    return "\n".join(lines)


def _mib(value: float) -> str:
    return f"{value:,.0f}" if value else ""


def format_scale_table(master: str, by_scale: dict[float, list[Measurement]]) -> str:
    """One row per stage: time and peak memory at each scale, and how time grew against size."""
    scales = sorted(by_scale)
    smallest = scales[0]
    header = " | ".join(f"{scale:g}x s | {scale:g}x MiB tree | {scale:g}x MiB largest" for scale in scales)
    lines = [
        f"master {master} · {psutil.cpu_count()} cores · {psutil.virtual_memory().total / 2**30:.0f} GiB · "
        + ", ".join(f"{scale:g}x = {round(KAGGLE_ROWS * scale):,} rows" for scale in scales),
        "",
        f"| stage | {header} | time growth {smallest:g}x→{scales[-1]:g}x per size growth |",
        "| --- |" + " ---: |" * (3 * len(scales) + 1),
    ]
    for stage in stages_at_every_scale(by_scale):
        row = {scale: next(r for r in by_scale[scale] if r.stage == stage) for scale in scales}
        cells = " | ".join(
            f"{row[scale].seconds:.1f} | {_mib(row[scale].peak_mib)} | {_mib(row[scale].largest_process_mib)}" for scale in scales
        )
        first, last = row[smallest].seconds, row[scales[-1]].seconds
        growth = f"{(last / first) / (scales[-1] / smallest):.2f}" if first > 0 else ""
        lines.append(f"| {stage} | {cells} | {growth} |")
    return "\n".join(lines)


def save_measurements(results: list[Measurement], path: Path) -> None:
    """Write ``results`` to ``path``, keeping the stages of earlier runs that these did not measure
    again; a stage measured again replaces its old figures in place."""
    fresh = {r.stage: r for r in results}
    kept = [fresh.pop(r.stage, r) for r in load_measurements(path)] if path.exists() else []
    path.write_text(json.dumps([asdict(r) for r in [*kept, *fresh.values()]], indent=1) + "\n")


def load_measurements(path: Path) -> list[Measurement]:
    return [Measurement(**row) for row in json.loads(path.read_text())]


def stages_at_every_scale(by_scale: dict[float, list[Measurement]]) -> list[str]:
    """The stages measured at every scale, in the order of the smallest (a DAG task that one scale
    skipped has no row)."""
    smallest = by_scale[min(by_scale)]
    return [r.stage for r in smallest if all(any(m.stage == r.stage for m in results) for results in by_scale.values())]


def plot_scale(by_scale: dict[float, list[Measurement]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = sorted(by_scale)
    millions = [KAGGLE_ROWS * scale / 1e6 for scale in scales]
    figure, axis = plt.subplots(figsize=(7, 4))
    # A DAG's own tasks ("dag: daily_pipeline") stay in the table: the plot shows whole stages,
    # each beside the line it would follow if its time grew linearly from the smallest size.
    for stage in [stage for stage in stages_at_every_scale(by_scale) if ": " not in stage]:
        seconds = [next(r.seconds for r in by_scale[scale] if r.stage == stage) for scale in scales]
        (line,) = axis.plot(millions, seconds, marker="o", label=stage)
        linear = [seconds[0] * scale / scales[0] for scale in scales]
        axis.plot(millions, linear, linestyle="--", color=line.get_color(), label=f"{stage}, linear growth")
    axis.set(xlabel="transactions (millions)", ylabel="wall time (s)", title="Wall time against input size", xscale="log", yscale="log")
    axis.legend()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_048_567)
    parser.add_argument(
        "--stages", default=None,
        help=f"comma-separated subset of {','.join(STAGES)} (default: all; with --scales: {','.join(SCALE_STAGES)})",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--master", default="local[*]", help="Spark master for the Spark stages")
    parser.add_argument("--scales", default=None, help="multiples of the Kaggle volume, e.g. 1,10,50: runs the stages at each")
    parser.add_argument(
        "--report", action="store_true",
        help="with --scales: run nothing, make the scale table and plot from the measurements saved at each size",
    )
    args = parser.parse_args(argv)
    default_stages = SCALE_STAGES if args.scales else STAGES
    stages = [stage.strip() for stage in (args.stages or ",".join(default_stages)).split(",") if stage.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}; choose from {STAGES}")
    if args.report and not args.scales:
        parser.error("--report needs --scales: the sizes to put in one table")
    if args.scales:
        by_scale = {}
        for scale in sorted(float(value) for value in args.scales.split(",")):
            rows = round(KAGGLE_ROWS * scale)
            saved = args.data_dir / f"bench-{rows}.json"
            if args.report:
                if not saved.exists():
                    raise SystemExit(f"no measurements at {scale:g}x ({saved}): run make bench SCALES={scale:g} first")
                by_scale[scale] = load_measurements(saved)
                continue
            by_scale[scale] = run_benchmark(rows, stages, args.data_dir / f"rows-{rows}", args.master)
            print(format_table(rows, args.master, by_scale[scale]), flush=True)
            save_measurements(by_scale[scale], saved)
        table = format_scale_table(args.master, by_scale)
        print(table)
        # The default stages keep the plain name; another selection gets its own report.
        name = "bench-scale" if args.report or tuple(stages) == SCALE_STAGES else "bench-scale-" + "-".join(stages)
        report = args.data_dir / f"{name}.md"
        report.write_text(table + "\n")
        plot_scale(by_scale, args.data_dir / f"{name}.png")
        print(f"\nwritten to {report} and {args.data_dir / f'{name}.png'}")
        return
    data_dir = args.data_dir / f"rows-{args.rows}"
    results = run_benchmark(args.rows, stages, data_dir, args.master)
    table = format_table(args.rows, args.master, results)
    print(table)
    report = args.data_dir / f"bench-{args.rows}.md"
    report.write_text(table + "\n")
    save_measurements(results, args.data_dir / f"bench-{args.rows}.json")
    print(f"\nwritten to {report}")


if __name__ == "__main__":
    main()

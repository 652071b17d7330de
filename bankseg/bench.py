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
import platform as host
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import psutil

from bankseg import pipeline, quality, segmentation, tracking
from bankseg.cli import DAILY_DAG_ID, DEFAULT_RUN_DATE, TRAINING_DAG_ID
from bankseg.layout import DataLayout
from bankseg.platform import http_answers, migrate_airflow_db, platform_env, venv_bin

STAGES = (
    "generate", "etl", "features", "validate", "train", "fit6", "score", "marts", "dashboards", "serve", "hive", "dag",
    "training-dag",
)
# Whole DAG runs; each also reports its tasks' own times.
DAG_STAGES = {"dag": DAILY_DAG_ID, "training-dag": TRAINING_DAG_ID}
DAG_RUN_FINISHED = re.compile(r"DagRun Finished: .*?run_id=(?P<run_id>[^,\s]+).*")
KAGGLE_ROWS = 1_048_567
# The scale benchmark's stages: the whole daily DAG and the whole training DAG, each task timed.
SCALE_STAGES = ("generate", "dag", "training-dag")
# The k=6 training alone: KMeans only, no k-sweep (best of 3 fits, stability bootstraps, MLflow).
FIT6_ARGS = ("--k-min", "6", "--k-max", "6", "--chosen-k", "6", "--algorithms", "kmeans")
# One KMeans k=6 fit of the chosen model on every customer, as the training recorded it in MLflow.
ONE_FIT_STAGES = {"fit6": "fit6: one k=6 fit", "training-dag": "training-dag: one k=6 fit"}
# ETL + features + one k=6 fit, the 10x time target: each part as a job of its own (etl, features,
# fit6) or as a task of the DAGs; the first of each tuple that was measured counts.
TARGET_PARTS = (
    ("etl", "dag: etl_transactions"),
    ("features", "dag: customer_features"),
    ("fit6: one k=6 fit", "training-dag: one k=6 fit"),
)
# What analysts ask first: the city summary (dashboard 3) and the segment summary.
HIVE_QUERIES = {
    "hive query: top 10 cities by spend": "SELECT city, amount_total FROM bank.v_spend_by_city ORDER BY amount_total DESC LIMIT 10",
    "hive query: segment summary": "SELECT * FROM bank.v_segment_summary ORDER BY segment_id",
}
SERVED_REQUESTS = 200
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


def spark_submit_command(
    job_name: str, layout: DataLayout, run_date: str, master: str, job_args: tuple[str, ...] = ()
) -> list[str]:
    conf = [item for key, value in pipeline.spark_submit_conf().items() for item in ("--conf", f"{key}={value}")]
    return [
        str(venv_bin() / "spark-submit"),
        "--master", master,
        *conf,
        pipeline.job_application(job_name),
        "--run-date", run_date,
        "--data-dir", layout.root,
        *job_args,
    ]


def recorded_chosen_fit_seconds(layout: DataLayout) -> float:
    """One KMeans fit of the chosen model on every customer (``chosen_fit_seconds``), as the latest
    training recorded it: the fit alone, without Spark's start-up, the metrics or the other fits."""
    from mlflow import MlflowClient

    # A client of its own: configuring this process's MLflow would set MLFLOW_TRACKING_URI, which the
    # next size's jobs inherit, and they would log into this size's store.
    client = MlflowClient(tracking_uri=tracking.tracking_uri(layout))
    experiment = client.get_experiment_by_name(tracking.EXPERIMENT)
    (run,) = client.search_runs(
        [experiment.experiment_id], filter_string="tags.mlflow.runName LIKE 'training-%'", order_by=["start_time DESC"], max_results=1
    )
    return run.data.metrics["chosen_fit_seconds"]


def run_benchmark(rows: int, stages: list[str], data_dir: Path, master: str) -> list[Measurement]:
    layout = DataLayout(str(data_dir.resolve()))
    run_date = DEFAULT_RUN_DATE
    env = platform_env(layout, spark_master=master)
    logs = data_dir / "logs"
    landing_file = Path(layout.landing_for(run_date)) / "bank_transactions.csv"
    results = []
    if "generate" in stages or not landing_file.exists():
        shutil.rmtree(layout.landing, ignore_errors=True)
        generate = [sys.executable, "-m", "bankseg.synthetic", "--rows", str(rows), "--out", str(landing_file)]
        results.append(measure("generate", generate, env, logs / "generate.log"))
    for job_name, stage in (("etl_transactions", "etl"), ("customer_features", "features")):
        if stage in stages:
            command = spark_submit_command(job_name, layout, run_date, master)
            results.append(measure(stage, command, env, logs / f"{stage}.log"))
    if "validate" in stages:  # each layer's Great Expectations suite, as the DAG's gates run it
        for layer in quality.SUITES:
            command = spark_submit_command("validate_layer", layout, run_date, master, ("--layer", layer))
            results.append(measure(f"validate-{layer}", command, env, logs / f"validate-{layer}.log"))
    for job_name, stage, job_args in (
        ("train_segmentation", "train", ()),
        ("train_segmentation", "fit6", FIT6_ARGS),
        ("score_customers", "score", ()),
        ("dashboard_marts", "marts", ()),
    ):
        if stage in stages:
            command = spark_submit_command(job_name, layout, run_date, master, job_args)
            results.append(measure(stage, command, env, logs / f"{stage}.log"))
    if "fit6" in stages:
        results.append(Measurement(ONE_FIT_STAGES["fit6"], recorded_chosen_fit_seconds(layout), 0.0))
    if "dashboards" in stages:
        results += measure_dashboards(layout, data_dir / "screenshots")
    if "serve" in stages:
        results.append(measure_serving(layout, env))
    if "hive" in stages:
        results += measure_hive(layout, env)
    for stage, dag_id in DAG_STAGES.items():
        if stage in stages:
            results += measure_dag(stage, dag_id, layout, env, run_date, logs / f"{stage}.log")
            if stage in ONE_FIT_STAGES:
                results.append(Measurement(ONE_FIT_STAGES[stage], recorded_chosen_fit_seconds(layout), 0.0))
    return results


def measure_serving(layout: DataLayout, env: dict[str, str]) -> Measurement:
    """Single-customer requests to ``mlflow models serve`` on the champion: p50 and p95 latency, the
    wall time of all requests, and the server's peak memory (uvicorn runs as its child)."""
    import pyarrow.parquet as pq

    from bankseg.standalone_cluster import free_port

    columns = list(segmentation.INPUT_COLUMNS)
    snapshot = pq.read_table(f"{layout.customer_features}/snapshot_date={DEFAULT_RUN_DATE}", columns=columns)
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
        while not http_answers(f"http://127.0.0.1:{port}/ping", accepts=lambda _: True):
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


def measure_dashboards(layout: DataLayout, screenshots: Path) -> list[Measurement]:
    """Each dashboard page in headless Chromium: median of 3 loads to a fully drawn page (the
    server's first load of the snapshot is done before timing), and the server's peak memory."""
    from bankseg.dashboards import browser, pages
    from bankseg.standalone_cluster import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bankseg.dashboards", "--port", str(port), "--data-dir", layout.root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}/bankseg/"
    try:
        deadline = time.monotonic() + 60
        while not http_answers(base_url + "static/dashboard.css", accepts=lambda _: True):  # up, marts not loaded yet
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the dashboards did not start")
            time.sleep(0.5)
        started = time.monotonic()
        http_answers(base_url + "overview", accepts=lambda _: True)  # loads the snapshot's marts
        results = [Measurement("dashboards: first page after start (loads the marts)", time.monotonic() - started, 0)]
        titles = {slug: title for slug, (title, _) in pages.DASHBOARDS.items()} | {"quality": "Data quality"}
        timings = browser.time_pages(base_url, list(titles), screenshots)
        peak = tree_rss(psutil.Process(server.pid)) / 2**20
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return results + [
        Measurement(f"dashboard page: {titles[slug]} (target < {DASHBOARD_TARGET_SECONDS:g} s: "
                    f"{'met' if seconds < DASHBOARD_TARGET_SECONDS else 'MISSED'})", seconds, peak)
        for slug, seconds in timings.items()
    ]


@contextlib.contextmanager
def hiveserver2_running(layout: DataLayout, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """HiveServer2 on a free port while the block runs; yields ``env`` with the Airflow connection
    ``hiveserver2_default`` pointing at it (this process's environment too, for ``hive.register_run``)."""
    from bankseg import platform
    from bankseg.standalone_cluster import free_port

    names = (platform.HIVE_PORT_ENV, "AIRFLOW_CONN_HIVESERVER2_DEFAULT")
    previous = {name: os.environ.get(name) for name in names}
    os.environ[platform.HIVE_PORT_ENV] = str(free_port())
    os.environ["AIRFLOW_CONN_HIVESERVER2_DEFAULT"] = platform.platform_env(layout)["AIRFLOW_CONN_HIVESERVER2_DEFAULT"]
    hive_env = {**env, **{name: os.environ[name] for name in names}}
    try:
        platform.ensure_hiveserver2(layout, hive_env)
        yield hive_env
    finally:
        platform.stop_service(platform.hiveserver2_service(), layout)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure_hive(layout: DataLayout, env: dict[str, str]) -> list[Measurement]:
    """Registration of the run through HiveServer2 (as the DAG's task does), then analyst queries."""
    from pyhive import hive as pyhive

    from bankseg import hive, platform

    started = time.monotonic()
    with hiveserver2_running(layout, env) as hive_env:
        results = [Measurement("HiveServer2 start", time.monotonic() - started, 0)]
        started = time.monotonic()
        hive.register_run(DEFAULT_RUN_DATE, layout)
        results.append(Measurement("hive registration of one run", time.monotonic() - started, 0))
        port = int(hive_env[platform.HIVE_PORT_ENV])
        with pyhive.connect(host="127.0.0.1", port=port, database="bank", username="bench") as connection:
            cursor = connection.cursor()
            for name, sql in HIVE_QUERIES.items():
                started = time.monotonic()
                cursor.execute(sql)
                cursor.fetchall()
                results.append(Measurement(name, time.monotonic() - started, 0))
    return results


def measure_dag(stage: str, dag_id: str, layout: DataLayout, env: dict[str, str], run_date: str, log_path: Path) -> list[Measurement]:
    """One whole DAG run through ``airflow dags test`` (HiveServer2 up for ``register_hive``), then
    each task's wall time as Airflow recorded it. The training DAG trains on ``run_date``'s features."""
    conf = ["--conf", json.dumps({"snapshot_date": run_date})] if dag_id == TRAINING_DAG_ID else []
    migrate_airflow_db(env)
    with hiveserver2_running(layout, env) as dag_env:
        whole = measure(stage, [str(venv_bin() / "airflow"), "dags", "test", dag_id, run_date, *conf], dag_env, log_path)
        finished = DAG_RUN_FINISHED.search(log_path.read_text())
        if not finished or "state=success" not in finished.group(0):
            raise SystemExit(f"the {dag_id} run did not succeed; log: {log_path}")
        states = subprocess.run(
            [str(venv_bin() / "airflow"), "tasks", "states-for-dag-run", dag_id, finished.group("run_id"), "--output", "json"],
            env=dag_env, capture_output=True, text=True, check=True,
        )
    tasks = [task for task in json.loads(states.stdout) if task["start_date"] and task["end_date"]]
    tasks.sort(key=lambda task: task["start_date"])
    return [whole] + [
        Measurement(f"{stage}: {task['task_id']}", task_seconds(task["start_date"], task["end_date"]), 0) for task in tasks
    ]


def task_seconds(start_date: str, end_date: str) -> float:
    return (datetime.fromisoformat(end_date) - datetime.fromisoformat(start_date)).total_seconds()


def format_table(rows: int, master: str, results: list[Measurement]) -> str:
    names = {
        "generate": "generate CSV",
        "etl": "ETL (spark-submit)",
        "features": "features (spark-submit)",
        **{f"validate-{layer}": f"validate {layer} (GX suite, spark-submit)" for layer in quality.SUITES},
        "train": "training k=2..10, 3 algorithms (spark-submit)",
        "fit6": "training KMeans k=6 only (spark-submit)",
        **{stage: f"{stage} on every customer (MLflow chosen_fit_seconds)" for stage in ONE_FIT_STAGES.values()},
        "score": "daily scoring, all customers (spark-submit)",
        "marts": "dashboard marts (spark-submit)",
        "dag": "whole daily DAG (airflow dags test)",
        "training-dag": "whole training DAG (airflow dags test)",
    }
    lines = [
        f"rows {rows:,} · master {master} · {psutil.cpu_count()} cores · "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB · Python {host.python_version()}",
        "",
        "| stage | wall time (s) | peak memory, process tree (MiB) | largest process (MiB) |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {names.get(r.stage, r.stage)} | {r.seconds:.1f} | {_mib(r.peak_mib)} | {_mib(r.largest_process_mib)} |" for r in results]
    spark_stages = [r for r in results if r.stage in ("etl", "features")]
    if len(spark_stages) == 2:
        lines.append(f"| ETL + features | {sum(r.seconds for r in spark_stages):.1f} | | |")
    target = target_seconds(results)
    if target is not None:
        lines.append(f"| ETL + features + one k=6 fit | {target:.1f} | | |")
    return "\n".join(lines)


def target_seconds(results: list[Measurement]) -> float | None:
    """ETL + features + one k=6 fit, when all three were measured (as jobs or as DAG tasks)."""
    seconds = {r.stage: r.seconds for r in results}
    parts = [next((seconds[stage] for stage in choices if stage in seconds), None) for choices in TARGET_PARTS]
    return None if None in parts else sum(parts)


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
    targets = {scale: target_seconds(by_scale[scale]) for scale in scales}
    if None not in targets.values():
        cells = " | ".join(f"{targets[scale]:.1f} | |" for scale in scales)
        growth = (targets[scales[-1]] / targets[smallest]) / (scales[-1] / smallest)
        lines.append(f"| ETL + features + one k=6 fit | {cells} | {growth:.2f} |")
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
    # A DAG's own tasks ("dag: etl_transactions") stay in the table: the plot shows whole stages,
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

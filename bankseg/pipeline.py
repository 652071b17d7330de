"""What the DAGs' Python tasks do, and how their Spark jobs are submitted, kept out of the DAG files
so the DAGs only wire.

Nothing here touches data at import time: the DAG processor imports this module on every parse.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bankseg import jvm_archive, quality
from bankseg.layout import REPOSITORY_ROOT, DataLayout
from bankseg.run_records import read_run_record

log = logging.getLogger(__name__)

SPARK_CONN_ID = "spark_default"
# Emitted once a day's features passed their quality gate; starts the training DAG.
CUSTOMER_FEATURES_ASSET = "bankseg_customer_features"
# Airflow's run type of a run that an asset event started.
ASSET_TRIGGERED_RUN = "asset_triggered"
JOBS_DIR = REPOSITORY_ROOT / "jobs"


def job_application(job_name: str) -> str:
    """Path of a job's spark-submit application file."""
    return str(JOBS_DIR / f"{job_name}.py")


def spark_submit_conf() -> dict[str, str]:
    """Spark settings every job is submitted with; each can be changed through the environment.

    The default of 16 shuffle partitions suits the Kaggle volume on two cores (docs/benchmark.md
    has the measurement); raise it with the cluster's core count and the input size.
    """
    conf = {
        "spark.sql.shuffle.partitions": os.environ.get("BANKSEG_SPARK_SHUFFLE_PARTITIONS", "16"),
        "spark.driver.memory": os.environ.get("BANKSEG_SPARK_DRIVER_MEMORY", "2g"),
        "spark.executor.memory": os.environ.get("BANKSEG_SPARK_EXECUTOR_MEMORY", "2g"),
        "spark.ui.showConsoleProgress": "false",
    }
    # The driver maps Spark's classes from the install's archive (bankseg/jvm_archive.py): about
    # 5 s less per daily_pipeline at the Kaggle day's volume.
    archive_options = jvm_archive.driver_java_options()
    if archive_options:
        conf["spark.driver.extraJavaOptions"] = archive_options
    return conf


def spark_submit_env() -> dict[str, str]:
    """Environment of spark-submit: the jobs run on this interpreter, which has the project installed."""
    return {"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}


def spark_submit_arguments(job_name: str, run_date: str, data_dir: str, job_args: list[str] | None = None) -> dict[str, Any]:
    """``SparkSubmitOperator`` arguments shared by every job of the DAGs (``run_date`` may be a template)."""
    return {
        "application": job_application(job_name),
        "application_args": ["--run-date", run_date, "--data-dir", data_dir, *(job_args or [])],
        "conn_id": SPARK_CONN_ID,
        "conf": spark_submit_conf(),
        "env_vars": spark_submit_env(),
        "name": f"bankseg-{job_name}",
        # A cluster without free executors makes spark-submit wait forever: give up and retry instead.
        "execution_timeout": timedelta(hours=2),
    }


def spark_submit_command(job_name: str, run_date: str, data_dir: str, master: str) -> list[str]:
    """The spark-submit command line that ``SparkSubmitOperator`` runs for ``job_name``, for the benchmark
    and for running a job by hand."""
    arguments = spark_submit_arguments(job_name, run_date, data_dir)
    conf = [item for key, value in arguments["conf"].items() for item in ("--conf", f"{key}={value}")]
    return [str(Path(sys.executable).parent / "spark-submit"), "--master", master, *conf, "--name", arguments["name"],
            arguments["application"], *arguments["application_args"]]


def customer_features_asset_uri(layout: DataLayout | None = None) -> str:
    return f"file://{(layout or DataLayout.from_env()).snapshots}"


def features_not_yet_trained(run_date: str, run_type: str, layout: DataLayout | None = None) -> bool:
    """Whether the training run should go on. A run the features asset started stops when a registered
    version was already trained on exactly those features (``make run`` trains on the day it ran, so the
    scheduler of a later ``make up`` would train the same model again); a run by hand always trains."""
    from bankseg import tracking

    layout = layout or DataLayout.from_env()
    snapshot = layout.latest_snapshot_date(run_date)
    if run_type != ASSET_TRIGGERED_RUN or snapshot is None:  # no snapshot: the job says what to do
        return True
    version = tracking.version_trained_on(layout, snapshot)
    if version is not None:
        log.warning("model version %s was already trained on the features snapshot %s holds now: nothing new to train on. "
                    "Trigger bank_segmentation_training by hand to train again.", version, snapshot)
    return version is None


def training_summary(run_date: str, layout: DataLayout | None = None) -> dict[str, Any]:
    return read_run_record((layout or DataLayout.from_env()).run_record(run_date, "train_segmentation"))


def format_segments(segments: list[dict[str, Any]]) -> list[str]:
    lines = [f"  {'id':>2}  {'segment':<54} {'customers':>10} {'share':>6} {'balance':>10} {'spend':>8} {'freq':>5} {'recency':>7}"]
    for row in segments:
        lines.append(
            f"  {row['segment_id']:>2}  {row['name']:<54} {row['customers']:>10,} {row['share']:>6.1%} "
            f"{row['median_balance']:>10,.0f} {row['median_spend']:>8,.0f} {row['mean_frequency']:>5.2f} {row['median_recency_days']:>7.0f}"
        )
    return lines


def landing_files_present(run_date: str, layout: DataLayout | None = None) -> bool:
    """Whether anything landed for ``run_date``; the log says where it looked."""
    layout = layout or DataLayout.from_env()
    files = layout.landing_files(run_date)
    if files:
        log.info("landing files for %s: %s", run_date, files)
    else:
        log.warning("nothing landed for %s in %s/ (*.csv or *.csv.gz); the run is skipped", run_date, layout.landing_for(run_date))
    return bool(files)


def run_summary(run_date: str, layout: DataLayout | None = None) -> dict[str, Any]:
    """The figures the jobs recorded for ``run_date``, checked to reconcile."""
    layout = layout or DataLayout.from_env()
    etl = read_run_record(layout.run_record(run_date, "etl_transactions"))
    snapshot = read_run_record(layout.run_record(run_date, "customer_snapshot"))
    if etl["rows_in"] != etl["rows_curated"] + etl["rows_quarantined"]:
        raise ValueError(f"run records for {run_date} do not reconcile: {etl}")
    return {
        "run_date": run_date,
        "rows_in": etl["rows_in"],
        "rows_curated": etl["rows_curated"],
        "rows_quarantined": etl["rows_quarantined"],
        "quarantine_by_reason": etl["quarantine_by_reason"],
        "customers_featured": snapshot["customers"],
        "fold": snapshot["fold"],
        "batch_path": etl["batch_path"],
        "snapshot_path": snapshot["snapshot_path"],
        "quality": quality_summary(run_date, layout),
        "scoring": snapshot if snapshot.get("model_version") else None,
    }


def quality_summary(run_date: str, layout: DataLayout) -> dict[str, dict[str, Any]]:
    """Per validated layer: expectations met, and the warnings the run went on with."""
    summary = {}
    for layer in quality.SUITES:
        path = quality.report_path(layout, run_date, layer)
        if path.exists():
            report = read_run_record(str(path))
            summary[report["suite"]] = {
                "passed": report["passed"],
                "evaluated": report["evaluated"],
                "warnings": quality.warning_texts(report),
                "data_docs": report["data_docs"],
            }
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in summary["quarantine_by_reason"].items()) or "none"
    return "\n".join(
        [
            f"run date            {summary['run_date']}",
            f"rows in             {summary['rows_in']:>12,}",
            f"  curated           {summary['rows_curated']:>12,}",
            f"  quarantined       {summary['rows_quarantined']:>12,}  ({reasons})",
            f"customers featured  {summary['customers_featured']:>12,}  ({summary['fold']})",
            f"batch               {summary['batch_path']}  (transactions, quarantine)",
            f"snapshot            {summary['snapshot_path']}  (customer_features, segments, marts)",
            *quality_lines(summary["quality"]),
            *scoring_lines(summary["scoring"]),
        ]
    )


def scoring_lines(scoring: dict[str, Any] | None) -> list[str]:
    if scoring is None:
        return ["segments            not scored: no champion model yet (run bank_segmentation_training)"]
    return [
        f"segments            {scoring['customers_scored']:,} customers scored with "
        f"bank_customer_segmentation version {scoring['model_version']}",
        *format_segments(scoring["segments"]),
    ]


def quality_lines(quality_by_suite: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for suite, result in quality_by_suite.items():
        lines.append(f"quality {suite:<22} {result['passed']}/{result['evaluated']} expectations met")
        lines += [f"  warning: {warning}" for warning in result["warnings"]]
    if quality_by_suite:
        lines.append(f"Data Docs           {next(iter(quality_by_suite.values()))['data_docs']}")
    return lines

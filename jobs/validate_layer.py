"""Spark validation: one layer of a run date checked by its Great Expectations suite.

    spark-submit jobs/validate_layer.py --layer curated --run-date 2016-10-21 --data-dir data

Layers: ``raw`` (the landing files, every column as text), ``curated`` (the batch the run's ETL
published, ``ingest_date`` = run date) and ``features`` (the run's snapshot). Writes the report
``quality/results/<run date>/<suite>.json``, rebuilds the Data Docs site and prints a summary.
The job succeeds whether or not expectations failed: the Airflow operator reads the report and
fails the task on a critical failure, without retrying a verdict that a retry cannot change.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bankseg import quality
from bankseg.layout import DataLayout
from bankseg.spark import HadoopFileSystem, run_job_from_command_line
from jobs.etl_transactions import landing_files

JOB_NAME = "validate_layer"


def raw_frame(spark: SparkSession, layout: DataLayout, run_date: str) -> DataFrame:
    """The landing files with the columns their own headers name, all text, nothing parsed."""
    frames = [
        spark.read.option("header", "true").option("encoding", "UTF-8").option("inferSchema", "false").csv(path)
        for path in landing_files(spark, layout, run_date)
    ]
    # By name: a file whose header differs adds or lacks columns, which the column check reports.
    return reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)


def published_partitions(spark: SparkSession, root: str, pattern: str, what: str, run_date: str) -> DataFrame:
    partitions = HadoopFileSystem(spark, root).glob(f"{root}/{pattern}")
    if not partitions:
        raise quality.QualityError(f"no {what} for {run_date} under {root}/{pattern}: run that step for the date first")
    return spark.read.option("basePath", root).parquet(*partitions)


def curated_frame(spark: SparkSession, layout: DataLayout, run_date: str) -> DataFrame:
    root = layout.curated_transactions
    return published_partitions(spark, root, f"txn_date=*/ingest_date={run_date}", "curated batch", run_date)


def features_frame(spark: SparkSession, layout: DataLayout, run_date: str) -> DataFrame:
    root = layout.customer_features
    frame = published_partitions(spark, root, f"snapshot_date={run_date}", "feature snapshot", run_date)
    return frame.where(F.col("snapshot_date") == F.to_date(F.lit(run_date)))


LAYER_FRAMES = {"raw": raw_frame, "curated": curated_frame, "features": features_frame}


def published_batch(layout: DataLayout, layer: str, run_date: str) -> list[tuple[str, str, str]]:
    """(dataset name, root, partition pattern) of what the run published for ``layer``; the curated
    batch and its quarantine go together, so a withdrawn run still reconciles."""
    if layer == "curated":
        return [
            ("curated_transactions", layout.curated_transactions, f"txn_date=*/ingest_date={run_date}"),
            ("quarantine", layout.quarantine, f"ingest_date={run_date}"),
        ]
    if layer == "features":
        return [("customer_features", layout.customer_features, f"snapshot_date={run_date}")]
    return []  # raw data is the landing files: nothing was published yet


def withdraw_batch(spark: SparkSession, layout: DataLayout, layer: str, run_date: str) -> list[str]:
    """Move a batch that failed its gate out of the published datasets, keeping it for inspection.

    Readers (the next jobs, Hive, dashboards) then never see data that failed a critical check;
    rerunning the date after a fix publishes it again from the landing files.
    """
    moved = []
    for dataset, root, pattern in published_batch(layout, layer, run_date):
        fs = HadoopFileSystem(spark, root)
        root = fs.qualify(root)
        rejected = fs.qualify(layout.rejected(dataset, run_date))
        fs.delete(rejected)  # only the latest failed attempt of a date is kept
        for partition in fs.glob(f"{root}/{pattern}"):
            fs.rename(partition, rejected + partition[len(root) :])
        moved.append(rejected)
    return moved


def run(spark: SparkSession, layout: DataLayout, run_date: str, layer: str) -> dict:
    # Great Expectations persists the frame for the length of the validation, so the files are read
    # once, not once per expectation.
    report = quality.validate(LAYER_FRAMES[layer](spark, layout, run_date), layout, layer, run_date)
    if not report["success"]:
        report = quality.record_withdrawal(report, withdraw_batch(spark, layout, layer, run_date))
    return report


def summarise(report: dict) -> str:
    # The operator logs the full report; the job's own output stays one headline.
    return f"{quality.headline(report)}; report: {report['results_file']}"


def main(argv: list[str] | None = None) -> None:
    run_job_from_command_line(
        JOB_NAME,
        __doc__,
        run,
        summarise,
        argv,
        extra_options={"--layer": {"required": True, "choices": sorted(quality.SUITES), "help": "which layer to validate"}},
    )


if __name__ == "__main__":
    main()

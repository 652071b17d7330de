"""Spark: the pre-aggregated tables the dashboards read, for one snapshot date.

    spark-submit jobs/dashboard_marts.py --run-date 2016-10-21 --data-dir data

The dashboards never touch the transactions: every page reads these tables, which this job
rebuilds whole under ``marts/dashboards/snapshot_date=D/`` (staged, then swapped in, like every job):

* ``activity``: transactions dated up to ``D`` summed per customer, day, city, gender, age band,
  amount category and segment. Sums (transactions, amount, balance) stay exact under any
  combination of filters, and so does the number of distinct customers, because the customer is
  part of the grain (as a 64-bit hash: small and fast to count).
* ``segment_features``: per segment, the mean of each model input in the model's own scaled
  space (standard deviations from the training population), for the profile heatmap.
* ``feature_drift``: population stability index of each model input between the snapshot the
  champion was trained on and ``D``.
* ``model_history``: every model version registered when the job runs (so a rerun of an old date
  shows today's registry) with its silhouette, stability, gate result, training snapshot and
  whether it is the champion; the version that scored ``D`` is in ``segment_profiles``.

Segments come from ``customer_segments`` at ``D``; without a champion model the segment columns
are -1 ("not scored") and the segment tables are empty, and the other dashboards work as before.
"""

from __future__ import annotations

import math
import time

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from bankseg import segmentation, tracking
from bankseg.layout import DataLayout
from bankseg.run_records import write_run_record
from bankseg.spark import HadoopFileSystem, new_staging_dir, publish_partitions, run_job_from_command_line
from jobs.customer_features import age_band

JOB_NAME = "dashboard_marts"
NOT_SCORED = -1
# Amount categories of the seed's "customers per amount category" chart, in INR; the Hive view
# bank.v_transactions uses the same bounds (tests/test_dashboards.py checks they agree).
AMOUNT_CATEGORIES = (("Low", 500), ("Medium", 5000))
TOP_AMOUNT_CATEGORY = "High"
# Deciles of the training snapshot are the drift bins; an empty bin counts as this share.
DRIFT_BINS = 10
DRIFT_FLOOR = 1e-4
MART_TABLES = ("activity", "segment_features", "feature_drift", "model_history")

SEGMENT_FEATURES_SCHEMA = "segment_id int, segment_name string, customers long, " + ", ".join(
    f"{column} double" for column in segmentation.INPUT_COLUMNS
)
FEATURE_DRIFT_SCHEMA = "feature string, psi double, reference_snapshot string, bins int"
MODEL_HISTORY_SCHEMA = (
    "version string, created_at timestamp_ntz, snapshot_date string, quality_gates string, champion boolean, "
    "chosen_k double, silhouette double, silhouette_spark double, stability_ari double, min_share double, customers double"
)


def amount_category(amount: Column) -> Column:
    chain = None
    for label, upper in AMOUNT_CATEGORIES:
        chain = F.when(amount < upper, label) if chain is None else chain.when(amount < upper, label)
    return chain.otherwise(TOP_AMOUNT_CATEGORY)


def activity(transactions: DataFrame, segments: DataFrame | None, snapshot_date: str) -> DataFrame:
    """Transactions dated up to ``snapshot_date`` summed at the dashboards' finest grain."""
    dated = transactions.where(F.col("txn_date") <= F.to_date(F.lit(snapshot_date)))
    if segments is not None:
        dated = dated.join(segments.select("customer_id", "segment_id"), "customer_id", "left")
    else:
        dated = dated.withColumn("segment_id", F.lit(None).cast("int"))
    return (
        dated.select(
            F.xxhash64("customer_id").alias("customer_key"),
            "txn_date",
            "city",
            "gender",
            age_band(F.col("age_at_txn")).alias("age_band"),
            amount_category(F.col("amount")).alias("amount_category"),
            F.coalesce("segment_id", F.lit(NOT_SCORED)).alias("segment_id"),
            F.col("amount").cast("double").alias("amount"),
            F.col("account_balance").cast("double").alias("balance"),
        )
        .groupBy("customer_key", "txn_date", "city", "gender", "age_band", "amount_category", "segment_id")
        .agg(
            F.count("*").alias("transactions"),
            F.sum("amount").alias("amount"),
            F.coalesce(F.sum("balance"), F.lit(0.0)).alias("balance_sum"),
            F.count("balance").alias("balance_count"),
        )
    )


def model_space(features: DataFrame, preprocessing: segmentation.Preprocessing) -> DataFrame:
    """The model inputs as the model sees them: imputed, log-transformed, standardised."""
    columns = []
    for index, spec in enumerate(segmentation.MODEL_INPUTS):
        value = F.col(spec.column).cast("double")
        if spec.impute:
            value = F.coalesce(value, F.lit(preprocessing.medians[spec.column]))
        if spec.log:
            value = F.log1p(value)
        columns.append(((value - F.lit(preprocessing.means[index])) / F.lit(preprocessing.stds[index])).alias(spec.column))
    return features.select("customer_id", *columns)


def segment_features(scaled: DataFrame, segments: DataFrame) -> DataFrame:
    return (
        scaled.join(segments.select("customer_id", "segment_id", "segment_name"), "customer_id")
        .groupBy("segment_id", "segment_name")
        .agg(F.count("*").alias("customers"), *[F.avg(c).alias(c) for c in segmentation.INPUT_COLUMNS])
    )


def population_stability(reference: list[int], current: list[int]) -> float:
    """PSI of two histograms over the same bins: sum of (p - q) * ln(p / q)."""
    reference_total, current_total = sum(reference), sum(current)
    psi = 0.0
    for expected, actual in zip(reference, current, strict=True):
        p = max(actual / current_total, DRIFT_FLOOR)
        q = max(expected / reference_total, DRIFT_FLOOR)
        psi += (p - q) * math.log(p / q)
    return psi


def binned_counts(scaled: DataFrame, column: str, edges: list[float]) -> list[int]:
    """Rows per bin: bin i holds values in (edges[i-1], edges[i]]; only the bin counts reach the driver."""
    bin_index = F.lit(len(edges))
    for index in reversed(range(len(edges))):
        bin_index = F.when(F.col(column) <= edges[index], index).otherwise(bin_index)
    counts = dict(scaled.groupBy(bin_index.alias("bin")).count().collect())
    return [int(counts.get(index, 0)) for index in range(len(edges) + 1)]


def feature_drift(reference: DataFrame, current: DataFrame) -> list[tuple[str, float, int]]:
    """(feature, PSI, bins) per model input; bins are the reference's deciles."""
    probabilities = [i / DRIFT_BINS for i in range(1, DRIFT_BINS)]
    quantiles = reference.approxQuantile(list(segmentation.INPUT_COLUMNS), probabilities, 0.001)
    drift = []
    for column, edges in zip(segmentation.INPUT_COLUMNS, quantiles, strict=True):
        edges = sorted(set(edges))  # a feature with many equal values has fewer distinct deciles
        psi = population_stability(binned_counts(reference, column, edges), binned_counts(current, column, edges))
        drift.append((column, psi, len(edges) + 1))
    return drift


def model_history() -> list[tuple]:
    """Every registered version with the figures its training run logged."""
    from mlflow import MlflowClient

    client = MlflowClient()
    rows = []
    for version in client.search_model_versions(f"name = '{segmentation.REGISTERED_MODEL}'"):
        metrics = client.get_run(version.run_id).data.metrics
        rows.append(
            (
                str(version.version),
                _timestamp(version.creation_timestamp),
                version.tags.get("snapshot_date"),
                version.tags.get("quality_gates"),
                segmentation.CHAMPION_ALIAS in (version.aliases or []),
                *[metrics.get(name) for name in ("chosen_k", "silhouette", "silhouette_spark", "stability_ari", "min_share", "customers")],
            )
        )
    return sorted(rows, key=lambda row: int(row[0]))


def _timestamp(milliseconds: int):
    """UTC wall-clock time, stored as TIMESTAMP_NTZ so no session or machine time zone shifts it."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc).replace(tzinfo=None)


def scored_segments(spark: SparkSession, layout: DataLayout, run_date: str) -> DataFrame | None:
    partition = f"{layout.customer_segments}/snapshot_date={run_date}"
    return spark.read.parquet(partition) if HadoopFileSystem(spark, partition).glob(partition) else None


def run(spark: SparkSession, layout: DataLayout, run_date: str) -> dict:
    started = time.monotonic()
    segments = scored_segments(spark, layout, run_date)
    curated = layout.curated_transactions
    if not HadoopFileSystem(spark, curated).glob(f"{curated}/txn_date=*/ingest_date=*"):
        raise FileNotFoundError(f"no curated transactions at {curated}: run etl_transactions first")
    # Only batches delivered by the run date, as for the features: rerunning a date later gives the same marts.
    transactions = spark.read.parquet(curated).where(F.col("ingest_date") <= F.to_date(F.lit(run_date)))
    tracking.configure(layout)  # the registry for the history, and for loading the model that scored D
    history = model_history()

    staging = new_staging_dir(spark, layout.staging, JOB_NAME, run_date)
    target = f"{staging}/snapshot_date={run_date}"
    try:
        # A few files: the dashboards read them whole, and small files would slow that down.
        activity(transactions, segments, run_date).repartition(4, "txn_date").sortWithinPartitions("txn_date").write.parquet(
            f"{target}/activity"
        )
        profile_rows = spark.createDataFrame([], SEGMENT_FEATURES_SCHEMA)
        drift_rows = spark.createDataFrame([], FEATURE_DRIFT_SCHEMA)
        if segments is not None:
            model = _scoring_model(segments)
            features = spark.read.parquet(f"{layout.customer_features}/snapshot_date={run_date}")
            scaled = model_space(features, model.preprocessing).cache()
            profile_rows = segment_features(scaled, segments)
            trained_on = model.metadata["snapshot_date"]
            reference_path = f"{layout.customer_features}/snapshot_date={trained_on}"
            if HadoopFileSystem(spark, reference_path).glob(reference_path):
                reference = model_space(spark.read.parquet(reference_path), model.preprocessing).cache()
                drift_rows = spark.createDataFrame(
                    [(column, psi, trained_on, bins) for column, psi, bins in feature_drift(reference, scaled)], FEATURE_DRIFT_SCHEMA
                )
        profile_rows.coalesce(1).write.parquet(f"{target}/segment_features")
        drift_rows.coalesce(1).write.parquet(f"{target}/feature_drift")
        spark.createDataFrame(history, MODEL_HISTORY_SCHEMA).coalesce(1).write.parquet(f"{target}/model_history")
        written = spark.read.parquet(f"{target}/activity").agg(
            F.count("*").alias("rows"), F.sum("transactions").alias("transactions"), F.sum("amount").alias("amount")
        ).first()
        drift = {row["feature"]: round(row["psi"], 4) for row in spark.read.parquet(f"{target}/feature_drift").collect()}
        publish_partitions(spark, staging, layout.dashboard_marts, f"snapshot_date={run_date}")
    finally:
        HadoopFileSystem(spark, staging).delete(staging)
    record = {
        "job": JOB_NAME,
        "run_date": run_date,
        "activity_rows": int(written["rows"]),
        "transactions": int(written["transactions"] or 0),
        "amount": float(written["amount"] or 0.0),
        "segments_scored": segments is not None,
        "model_versions": len(history),
        "feature_drift_psi": drift,
        "marts_path": f"{layout.dashboard_marts}/snapshot_date={run_date}",
        "seconds": round(time.monotonic() - started, 1),
    }
    write_run_record(layout.run_record(run_date, JOB_NAME), record)
    return record


def _scoring_model(segments: DataFrame) -> segmentation.SegmentationModel:
    """The model version that scored the snapshot (not today's champion, which may differ)."""
    import mlflow

    version = segments.select("model_version").first()["model_version"]
    return mlflow.pyfunc.load_model(f"models:/{segmentation.REGISTERED_MODEL}/{version}").unwrap_python_model()


def summarise(record: dict) -> str:
    return (
        f"{JOB_NAME} {record['run_date']}: {record['activity_rows']:,} activity rows for {record['transactions']:,} "
        f"transactions; segments {'included' if record['segments_scored'] else 'not scored yet'}"
    )


def main(argv: list[str] | None = None) -> None:
    run_job_from_command_line(JOB_NAME, __doc__, run, summarise, argv)


if __name__ == "__main__":
    main()

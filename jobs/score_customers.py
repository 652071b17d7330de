"""Spark scoring: every customer of the run date's features snapshot gets the champion's segment.

    spark-submit jobs/score_customers.py --run-date 2016-10-21 --data-dir data

Loads ``models:/bank_customer_segmentation@champion`` (the version is resolved once, so a promotion
during the run cannot mix two models) and applies it as a pandas UDF on the executors: the same
Python model that ``mlflow models serve`` answers with. Writes, each partition replaced whole:

* ``segments/customer_segments/snapshot_date=D``: customer, segment id and name, model version;
* ``segments/segment_profiles/snapshot_date=D``: per segment its size, share and profile;
* ``segments/segment_migration/snapshot_date=D``: customers moving between segments since the
  previous scored snapshot (``from_segment_id`` null for new customers).
"""

from __future__ import annotations

import time

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from bankseg import segmentation, tracking
from bankseg.layout import DataLayout
from bankseg.run_records import write_run_record
from bankseg.spark import HadoopFileSystem, new_staging_dir, publish_partitions, run_job_from_command_line

JOB_NAME = "score_customers"
# A value must hold this share of a segment's customers to be called distinctive of it.
DISTINCTIVE_MIN_SHARE = 0.01


def scored(features: DataFrame, predict, model_version: str) -> DataFrame:
    """``features`` with the model's segment; ``predict`` is the model as a Spark UDF."""
    inputs = F.struct(*[F.col(column).cast("double").alias(column) for column in segmentation.INPUT_COLUMNS])
    return features.withColumn("segment", predict(inputs)).select(
        "*", "segment.segment_id", "segment.segment_name", F.lit(model_version).alias("model_version")
    ).drop("segment")


def distinctive_values(segmented: DataFrame, column: str, min_share: float = DISTINCTIVE_MIN_SHARE) -> DataFrame:
    """Per segment, the value of ``column`` most over-represented in it: the highest lift (its share
    of the segment's customers over its share of all customers), among the values held by at least
    ``min_share`` of the segment, so a village with three customers cannot win.

    The most common value says little here: DELHI and 25-34 lead every segment, as they lead the
    bank. Columns ``distinctive_<column>`` and ``distinctive_<column>_lift``."""
    # One pass over the customers: every share below is a sum over the (segment, value) counts.
    counts = segmented.groupBy("segment_id", column).count()
    lifted = (
        counts.select(
            "segment_id",
            column,
            (F.col("count") / F.sum("count").over(Window.partitionBy("segment_id"))).alias("segment_share"),
            (F.sum("count").over(Window.partitionBy(column)) / F.sum("count").over(Window.partitionBy())).alias("overall_share"),
        )
        .where(F.col(column).isNotNull() & (F.col("segment_share") >= min_share))
        .withColumn("lift", F.col("segment_share") / F.col("overall_share"))
    )
    best = F.max_by(F.struct(F.col(column).alias("value"), "lift"), F.struct("lift", column))
    return lifted.groupBy("segment_id").agg(best.alias("best")).select(
        "segment_id", F.col("best.value").alias(f"distinctive_{column}"), F.col("best.lift").alias(f"distinctive_{column}_lift")
    )


def profiles(segmented: DataFrame, descriptions: DataFrame) -> DataFrame:
    """One row per segment: size, share and what its customers look like."""
    total = segmented.count()
    return (
        segmented.groupBy("segment_id", "segment_name", "model_version", "snapshot_date")
        .agg(
            F.count("*").alias("customers"),
            F.percentile_approx("balance_latest", 0.5).cast("double").alias("median_balance"),
            F.percentile_approx("monetary_mean", 0.5).cast("double").alias("median_spend"),
            F.avg("frequency").alias("mean_frequency"),
            F.percentile_approx("recency_days", 0.5).alias("median_recency_days"),
            F.sum("monetary_total").cast("double").alias("total_spend"),
            F.avg("age").alias("mean_age"),
            F.avg((F.col("gender") == "F").cast("double")).alias("share_female"),
            F.mode("age_band").alias("top_age_band"),
            F.mode("city").alias("top_city"),
        )
        .withColumn("share", F.col("customers") / F.lit(total))
        .join(distinctive_values(segmented, "city"), "segment_id", "left")
        .join(distinctive_values(segmented, "age_band"), "segment_id", "left")
        .join(descriptions, "segment_id", "left")
    )


def migration(current: DataFrame, previous: DataFrame | None) -> DataFrame:
    """Customers per (previous segment, current segment); the previous one is null for new customers."""
    now = current.select("customer_id", F.col("segment_id").alias("to_segment_id"), "snapshot_date")
    if previous is None:
        moves = now.withColumn("from_segment_id", F.lit(None).cast("int"))
    else:
        before = previous.select("customer_id", F.col("segment_id").alias("from_segment_id"))
        moves = now.join(before, "customer_id", "left")
    return moves.groupBy("from_segment_id", "to_segment_id", "snapshot_date").agg(F.count("*").alias("customers"))


def previous_segments(spark: SparkSession, layout: DataLayout, run_date: str) -> DataFrame | None:
    root = layout.customer_segments
    earlier = [p for p in HadoopFileSystem(spark, root).glob(f"{root}/snapshot_date=*") if p.rsplit("=", 1)[1] < run_date]
    return spark.read.parquet(earlier[-1]) if earlier else None


def run(spark: SparkSession, layout: DataLayout, run_date: str) -> dict:
    import mlflow

    started = time.monotonic()
    champion = tracking.champion_version(layout)  # raises with what to do when there is none
    version = str(champion.version)
    model_uri = f"models:/{segmentation.REGISTERED_MODEL}/{version}"
    predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="segment_id int, segment_name string", env_manager="local")
    model = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    descriptions = spark.createDataFrame(
        [(s.segment_id, s.description) for s in model.segments], "segment_id int, segment_description string"
    )
    snapshot = f"{layout.customer_features}/snapshot_date={run_date}"
    if not HadoopFileSystem(spark, snapshot).glob(snapshot):
        raise FileNotFoundError(f"no customer features for {run_date} at {snapshot}: run customer_features first")
    features = spark.read.parquet(snapshot).withColumn("snapshot_date", F.to_date(F.lit(run_date)))

    staging = new_staging_dir(spark, layout.staging, JOB_NAME, run_date)
    try:
        segmented = scored(features, predict, version)
        segmented.select("customer_id", "segment_id", "segment_name", "model_version", "snapshot_date").write.partitionBy(
            "snapshot_date"
        ).parquet(f"{staging}/customer_segments")
        current = spark.read.parquet(f"{staging}/customer_segments")
        # Profiles read the staged assignments joined back to the features: the model runs once.
        profiled = current.join(features.drop("snapshot_date"), "customer_id")
        profiles(profiled, descriptions).coalesce(1).write.partitionBy("snapshot_date").parquet(f"{staging}/segment_profiles")
        migration(current, previous_segments(spark, layout, run_date)).coalesce(1).write.partitionBy("snapshot_date").parquet(
            f"{staging}/segment_migration"
        )
        segment_rows = spark.read.parquet(f"{staging}/segment_profiles").orderBy("segment_id").collect()
        moved = spark.read.parquet(f"{staging}/segment_migration").where(
            "from_segment_id IS NOT NULL AND from_segment_id != to_segment_id"
        ).agg(F.sum("customers")).first()[0]
        for name, target in (
            ("customer_segments", layout.customer_segments),
            ("segment_profiles", layout.segment_profiles),
            ("segment_migration", layout.segment_migration),
        ):
            publish_partitions(spark, f"{staging}/{name}", target, f"snapshot_date={run_date}")
    finally:
        HadoopFileSystem(spark, staging).delete(staging)
    record = {
        "job": JOB_NAME,
        "run_date": run_date,
        "model_version": version,
        "customers_scored": sum(row["customers"] for row in segment_rows),
        "customers_changed_segment": int(moved or 0),
        "segments": [
            {"segment_id": r["segment_id"], "name": r["segment_name"], "customers": r["customers"], "share": r["share"],
             "median_balance": r["median_balance"], "median_spend": r["median_spend"],
             "mean_frequency": r["mean_frequency"], "median_recency_days": r["median_recency_days"]}
            for r in segment_rows
        ],
        "segments_path": f"{layout.customer_segments}/snapshot_date={run_date}",
        "seconds": round(time.monotonic() - started, 1),
    }
    write_run_record(layout.run_record(run_date, JOB_NAME), record)
    return record


def summarise(record: dict) -> str:
    return (
        f"{JOB_NAME} {record['run_date']}: {record['customers_scored']:,} customers in {len(record['segments'])} segments "
        f"with model version {record['model_version']}"
    )


def main(argv: list[str] | None = None) -> None:
    run_job_from_command_line(JOB_NAME, __doc__, run, summarise, argv)


if __name__ == "__main__":
    main()

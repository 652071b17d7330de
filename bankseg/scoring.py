"""Segments for every customer of a snapshot: assignment, profiles and migration, as Spark transforms.

The assignment is the champion's parameters as a native expression (``bankseg.spark_model``): no
Python runs on the executors and no model object is loaded, only its numbers. Everything per
segment (the profile, the mean model inputs for the heatmap) comes from one aggregation of the
scored customers; only those few rows reach the driver.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Row, Window
from pyspark.sql import functions as F

from bankseg.model_spec import INPUT_COLUMNS
from bankseg.segmentation import SegmentationParameters
from bankseg.spark_model import scaled_columns, segment_columns, with_segment_schedule

# A value must hold this share of a segment's customers to be called distinctive of it.
DISTINCTIVE_MIN_SHARE = 0.01
# Medians of the profiles within 0.1% of their rank: descriptions need no more, and the summaries
# cost a third of the default accuracy's.
MEDIAN_ACCURACY = 1_000
# The feature columns scoring and the profiles read.
SCORING_INPUTS = ("customer_id", *INPUT_COLUMNS, "monetary_total", "age", "gender", "age_band", "city")
# How far ahead a customer's next segment change is looked for: ten years, the longest recency the
# features gate accepts.
SCHEDULE_HORIZON_DAYS = 3660
SEGMENTS_SCHEMA = (
    "customer_id string, segment_id int, segment_name string, model_version string, segment_changes_on date, next_segment_id int"
)
PROFILES_SCHEMA = (
    "segment_id int, segment_name string, model_version string, customers long, median_balance double, median_spend double, "
    "mean_frequency double, median_recency_days int, total_spend double, mean_age double, share_female double, "
    "top_age_band string, top_city string, share double, distinctive_city string, distinctive_city_lift double, "
    "distinctive_age_band string, distinctive_age_band_lift double, segment_description string"
)
SEGMENTS_COLUMNS = tuple(column.split()[0] for column in SEGMENTS_SCHEMA.split(", "))
MIGRATION_SCHEMA = "from_segment_id int, to_segment_id int, customers long"


def score(features: DataFrame, parameters: SegmentationParameters, model_version: str, snapshot_date: str) -> DataFrame:
    """Each customer's segment and model version, with the inputs the profiles read and the model
    inputs in the model's scaled space (``scaled_<input>``). ``segment_changes_on`` and
    ``next_segment_id``: the day the customer moves to another segment if they make no transaction
    from ``snapshot_date`` on, and that segment (null: not within ``SCHEDULE_HORIZON_DAYS``)."""
    scaled = [column.alias(f"scaled_{name}") for column, name in zip(scaled_columns(parameters.preprocessing), INPUT_COLUMNS, strict=True)]
    scheduled = with_segment_schedule(features.select(*SCORING_INPUTS), parameters, SCHEDULE_HORIZON_DAYS)
    return scheduled.select(
        *SCORING_INPUTS, *segment_columns(parameters), F.lit(model_version).alias("model_version"), *scaled,
        F.date_add(F.to_date(F.lit(snapshot_date)), F.col("days_until_segment_change")).alias("segment_changes_on"), "next_segment_id",
    )


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


def segment_summaries(scored: DataFrame) -> list[Row]:
    """Per segment, in one aggregation: size, the profile figures, and the mean of each scaled model input."""
    return scored.groupBy("segment_id", "segment_name", "model_version").agg(
        F.count("*").alias("customers"),
        F.percentile_approx("balance_latest", 0.5, MEDIAN_ACCURACY).cast("double").alias("median_balance"),
        F.percentile_approx("monetary_mean", 0.5, MEDIAN_ACCURACY).cast("double").alias("median_spend"),
        F.avg("frequency").alias("mean_frequency"),
        F.percentile_approx("recency_days", 0.5, MEDIAN_ACCURACY).alias("median_recency_days"),
        F.sum("monetary_total").cast("double").alias("total_spend"),
        F.avg("age").alias("mean_age"),
        F.avg((F.col("gender") == "F").cast("double")).alias("share_female"),
        F.mode("age_band").alias("top_age_band"),
        F.mode("city").alias("top_city"),
        *[F.avg(f"scaled_{name}").alias(f"scaled_{name}") for name in INPUT_COLUMNS],
    ).orderBy("segment_id").collect()


def profile_rows(summaries: list[Row], distinctive: dict[str, dict[int, Row]], descriptions: dict[int, str]) -> list[tuple]:
    """``PROFILES_SCHEMA`` rows from the per-segment summaries, the distinctive values and the descriptions."""
    total = sum(row["customers"] for row in summaries)
    rows = []
    for row in summaries:
        city, band = distinctive["city"].get(row["segment_id"]), distinctive["age_band"].get(row["segment_id"])
        rows.append((
            row["segment_id"], row["segment_name"], row["model_version"], row["customers"], row["median_balance"], row["median_spend"],
            row["mean_frequency"], row["median_recency_days"], row["total_spend"], row["mean_age"], row["share_female"],
            row["top_age_band"], row["top_city"], row["customers"] / total,
            city["distinctive_city"] if city else None, city["distinctive_city_lift"] if city else None,
            band["distinctive_age_band"] if band else None, band["distinctive_age_band_lift"] if band else None,
            descriptions.get(row["segment_id"]),
        ))
    return rows


def migration(current: DataFrame, previous: DataFrame | None) -> DataFrame:
    """Customers per (previous segment, current segment); the previous one is null for new customers."""
    now = current.select("customer_id", F.col("segment_id").alias("to_segment_id"))
    if previous is None:
        moves = now.withColumn("from_segment_id", F.lit(None).cast("int"))
    else:
        before = previous.select("customer_id", F.col("segment_id").alias("from_segment_id"))
        moves = now.join(before, "customer_id", "left")
    return moves.groupBy("from_segment_id", "to_segment_id").agg(F.count("*").alias("customers")).select("from_segment_id", "to_segment_id", "customers")

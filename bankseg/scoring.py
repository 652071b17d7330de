"""Segments of a snapshot's customers: assignment and migration as Spark transforms, profile rows.

The assignment is the champion's parameters as a native expression (``bankseg.spark_model``): no
Python runs on the executors and no model object is loaded, only its numbers. Everything per
segment (the profile, the mean model inputs for the heatmap) comes from the snapshot's per-segment
statistics (``bankseg.population``); only those reach the driver.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from bankseg.layout import COMPUTED_ON
from bankseg.model_spec import INPUT_COLUMNS
from bankseg.population import SegmentFigures
from bankseg.segmentation import SegmentationParameters
from bankseg.spark_model import segment_columns, with_segment_schedule

# The feature columns scoring and the segment statistics read.
SCORING_INPUTS = ("customer_id", *INPUT_COLUMNS, "monetary_total", "gender", "city", "last_txn_date", "customer_dob")
# How far ahead a customer's next segment change is looked for: ten years, the longest recency the
# features gate accepts.
SCHEDULE_HORIZON_DAYS = 3660
SEGMENTS_SCHEMA = (
    "customer_id string, segment_id int, segment_name string, model_version string, segment_changes_on date, next_segment_id int, "
    "computed_on date"
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
    """Each customer's segment and model version, with the inputs the statistics read.
    ``segment_changes_on`` and ``next_segment_id``: the day the customer moves to another segment if
    they make no transaction from ``snapshot_date`` on, and that segment (null: not within
    ``SCHEDULE_HORIZON_DAYS``). ``features`` are read as of ``snapshot_date``."""
    scheduled = with_segment_schedule(features.select(*SCORING_INPUTS), parameters, SCHEDULE_HORIZON_DAYS)
    snapshot = F.to_date(F.lit(snapshot_date))
    return scheduled.select(
        *SCORING_INPUTS, *segment_columns(parameters), F.lit(model_version).alias("model_version"),
        F.date_add(snapshot, F.col("days_until_segment_change")).alias("segment_changes_on"), "next_segment_id",
        snapshot.alias(COMPUTED_ON),
    )


def profile_rows(figures: SegmentFigures, descriptions: dict[int, str], model_version: str) -> list[tuple]:
    """``PROFILES_SCHEMA`` rows from a snapshot's segment figures and the model's descriptions."""
    total = sum(figures.customers.values())
    return [
        (row["segment_id"], row["segment_name"], model_version, row["customers"], row["median_balance"], row["median_spend"],
         row["mean_frequency"], row["median_recency_days"], row["total_spend"], row["mean_age"], row["share_female"],
         row["top_age_band"], row["top_city"], row["customers"] / total, row["distinctive_city"], row["distinctive_city_lift"],
         row["distinctive_age_band"], row["distinctive_age_band_lift"], descriptions.get(row["segment_id"]))
        for row in figures.summaries
    ]


def migration(current: DataFrame, previous: DataFrame | None) -> DataFrame:
    """Customers per (previous segment, current segment); the previous one is null for new customers."""
    now = current.select("customer_id", F.col("segment_id").alias("to_segment_id"))
    if previous is None:
        moves = now.withColumn("from_segment_id", F.lit(None).cast("int"))
    else:
        before = previous.select("customer_id", F.col("segment_id").alias("from_segment_id"))
        moves = now.join(before, "customer_id", "left")
    return moves.groupBy("from_segment_id", "to_segment_id").agg(F.count("*").alias("customers")).select("from_segment_id", "to_segment_id", "customers")


def changed_migration(moves: list[Row], previous_customers: dict[int, int]) -> list[tuple]:
    """Customers per (previous segment, current segment) when only ``moves`` were scored again:
    their (``from_segment_id``, ``to_segment_id``, ``customers``), the previous one null for new
    customers; everyone else stayed in the segment ``previous_customers`` counts them in."""
    counts: dict[tuple, int] = {}
    left = dict(previous_customers)
    for move in moves:
        key = (move["from_segment_id"], move["to_segment_id"])
        counts[key] = counts.get(key, 0) + move["customers"]
        if move["from_segment_id"] is not None:
            left[move["from_segment_id"]] -= move["customers"]
    for segment_id, stayed in left.items():
        if stayed:
            counts[(segment_id, segment_id)] = counts.get((segment_id, segment_id), 0) + stayed
    return [(source, target, customers) for (source, target), customers in sorted(counts.items(), key=lambda item: (item[0][0] is not None, item[0]))]

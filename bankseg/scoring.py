"""Segments of a snapshot's customers: assignment and migration as Spark transforms, profile rows.

The assignment is the champion's parameters as a native expression (``bankseg.spark_model``): no
Python runs on the executors and no model object is loaded, only its numbers. Everything per
segment (the profile, the mean model inputs for the heatmap) comes from the snapshot's per-segment
statistics (``bankseg.population``); only those reach the driver.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from bankseg.layout import COMPUTED_ON
from bankseg.model_spec import INPUT_COLUMNS
from bankseg.population import SegmentFigures
from bankseg.segmentation import SegmentationParameters
from bankseg.spark_model import segment_ids, with_recency_schedule

# The feature columns scoring and the segment statistics read.
SCORING_INPUTS = ("customer_id", *INPUT_COLUMNS, "monetary_total", "gender", "city", "last_txn_date", "customer_dob")
# The longest recency a segment change is scheduled for: ten years, the longest the features gate accepts.
SCHEDULE_HORIZON_DAYS = 3660
SCHEDULE_TYPE = "array<struct<changes_on:date,segment_id:int,segment_name:string>>"
SEGMENTS_SCHEMA = f"customer_id string, segment_id int, segment_name string, model_version string, schedule {SCHEDULE_TYPE}, computed_on date"
PROFILES_SCHEMA = (
    "segment_id int, segment_name string, model_version string, customers long, median_balance double, median_spend double, "
    "mean_frequency double, median_recency_days int, total_spend double, mean_age double, share_female double, "
    "top_age_band string, top_city string, share double, distinctive_city string, distinctive_city_lift double, "
    "distinctive_age_band string, distinctive_age_band_lift double, segment_description string"
)
SEGMENTS_COLUMNS = tuple(column.split()[0] for column in SEGMENTS_SCHEMA.split(", "))
MIGRATION_SCHEMA = "from_segment_id int, to_segment_id int, customers long"


def score(features: DataFrame, parameters: SegmentationParameters, model_version: str, snapshot_date: str | Column,
          carry: tuple[str, ...] = ()) -> DataFrame:
    """Each customer's segment as of ``snapshot_date`` (``features`` are read as of that date; a
    date column when rows of several dates are scored together) and model version, with the inputs
    the statistics read, the ``carry`` columns of ``features``, and ``schedule``: the segments the
    customer moves through if they make no transaction from then on, each from the day ``changes_on``
    (``bankseg.spark_model.with_recency_schedule``; ``as_of`` reads a row on a later date)."""
    scored_on = F.to_date(F.lit(snapshot_date)) if isinstance(snapshot_date, str) else snapshot_date
    inputs = features.select(*SCORING_INPUTS, *carry, scored_on.alias(COMPUTED_ON))
    scheduled = with_recency_schedule(inputs, parameters, SCHEDULE_HORIZON_DAYS)
    ids, names = segment_ids(parameters), F.array(*[F.lit(segment.name) for segment in parameters.segments])
    schedule = F.transform("recency_schedule", lambda change: F.struct(
        F.date_add("last_txn_date", change["recency"]).alias("changes_on"),
        F.get(ids, change["centroid"]).alias("segment_id"), F.get(names, change["centroid"]).alias("segment_name")))
    return scheduled.select(
        *SCORING_INPUTS, F.get(ids, F.col("centroid")).alias("segment_id"), F.get(names, F.col("centroid")).alias("segment_name"),
        F.lit(model_version).alias("model_version"), schedule.alias("schedule"), COMPUTED_ON, *carry,
    )


def as_of(segments: DataFrame, snapshot_date: str) -> DataFrame:
    """Segment rows scored on or before ``snapshot_date`` read as of that date: ``segment_id`` and
    ``segment_name`` after the changes of the schedule due by then, ``segment_changes_on`` and
    ``next_segment_id`` the next change after it (null: none within the horizon)."""
    day = F.to_date(F.lit(snapshot_date))
    # Structs compare field by field, changes_on first: the last change due and the first to come.
    due = F.array_max(F.filter("schedule", lambda change: change["changes_on"] <= day))
    upcoming = F.array_min(F.filter("schedule", lambda change: change["changes_on"] > day))
    return segments.withColumns({
        "segment_id": F.coalesce(due["segment_id"], F.col("segment_id")),
        "segment_name": F.coalesce(due["segment_name"], F.col("segment_name")),
        "segment_changes_on": upcoming["changes_on"],
        "next_segment_id": upcoming["segment_id"],
    })


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


def changed_migration(moves: list[tuple], previous_customers: dict[int, int]) -> list[tuple]:
    """Customers per (previous segment, current segment) when only ``moves`` changed: their
    ``(from_segment_id, to_segment_id, customers)``, the previous one null for new customers;
    everyone else stayed in the segment ``previous_customers`` counts them in."""
    counts: dict[tuple, int] = {}
    left = dict(previous_customers)
    for source, target, customers in moves:
        counts[(source, target)] = counts.get((source, target), 0) + customers
        if source is not None:
            left[source] -= customers
    for segment_id, stayed in left.items():
        if stayed:
            counts[(segment_id, segment_id)] = counts.get((segment_id, segment_id), 0) + stayed
    return [(source, target, customers) for (source, target), customers in sorted(counts.items(), key=lambda item: (item[0][0] is not None, item[0]))]

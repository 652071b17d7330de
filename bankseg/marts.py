"""The small tables the dashboards read, as Spark transforms. The dashboards never touch the transactions.

* ``activity`` (one per batch, written by the ETL): one row per transaction with only what the
  dashboards filter and sum: day, city, gender, age band, amount category, amount, balance, and
  the customer as a key (a keyed hash of the id: small to count, useless to look a customer up by).
  Sums stay exact under any combination of filters, and so does the number of distinct customers.
  (Summing per customer and day first saved nothing here: 84% of customers transact once, and the
  aggregation cost four times the projection.)
* ``segment_keys`` (one per snapshot): each customer's key and segment, with the days the calendar
  moves them to another one, which the dashboards join to the activity to filter by segment; a row
  per customer and version, like ``customer_segments`` (``bankseg.row_versions``).
* ``segment_features``: per segment, the mean of each model input in the model's own scaled space
  (standard deviations from the training population), for the profile heatmap.
* ``feature_drift``: population stability index of each model input between the snapshot the
  champion was trained on (its reference bins travel with the model) and the day's snapshot, from
  the snapshot's per-segment statistics (``bankseg.population``).
* ``model_history``: every registered model version with its figures and gate verdict.
"""

from __future__ import annotations

import math

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from bankseg.definitions import AMOUNT_CATEGORIES, TOP_AMOUNT_CATEGORY
from bankseg.features import age_band
from bankseg.layout import COMPUTED_ON
from bankseg.model_spec import INPUT_COLUMNS

# Deciles of the training sample are the drift bins (jobs/train_segmentation.py); an empty bin counts as this share.
DRIFT_BINS = 10
DRIFT_FLOOR = 1e-4
ACTIVITY_SCHEMA = (
    "customer_key bigint, txn_date date, city string, gender string, age_band string, amount_category string, "
    "transactions long, amount double, balance_sum double, balance_count long"
)
SEGMENT_KEYS_SCHEMA = "customer_key bigint, segment_id int, schedule array<struct<changes_on:date,segment_id:int>>, computed_on date"
SEGMENT_FEATURES_SCHEMA = "segment_id int, segment_name string, customers long, " + ", ".join(f"{column} double" for column in INPUT_COLUMNS)
FEATURE_DRIFT_SCHEMA = "feature string, psi double, reference_snapshot string, bins int"
MODEL_HISTORY_SCHEMA = (
    "version string, created_at timestamp_ntz, snapshot_date string, quality_gates string, champion boolean, "
    "chosen_k double, silhouette double, stability_ari double, stability_ari_mean double, min_share double, customers double"
)


def customer_key(customer_id: Column, secret: str) -> Column:
    """A 60-bit key per customer (15 hex digits): SHA-256 of the platform's secret and the id, so it cannot be
    reversed by hashing every possible id without the secret."""
    return F.conv(F.substring(F.sha2(F.concat(F.lit(secret), F.lit(":"), customer_id), 256), 1, 15), 16, 10).cast("bigint")


def amount_category(amount: Column) -> Column:
    chain = None
    for label, upper in AMOUNT_CATEGORIES:
        chain = F.when(amount < upper, label) if chain is None else chain.when(amount < upper, label)
    return chain.otherwise(TOP_AMOUNT_CATEGORY)


def activity(transactions: DataFrame, secret: str) -> DataFrame:
    """A batch's curated transactions at the dashboards' grain (``ACTIVITY_SCHEMA``)."""
    return transactions.select(
        customer_key(F.col("customer_id"), secret).alias("customer_key"),
        "txn_date",
        "city",
        "gender",
        age_band(F.col("age_at_txn")).alias("age_band"),
        amount_category(F.col("amount")).alias("amount_category"),
        F.lit(1).cast("long").alias("transactions"),
        F.col("amount").cast("double").alias("amount"),
        F.coalesce(F.col("account_balance").cast("double"), F.lit(0.0)).alias("balance_sum"),
        F.col("account_balance").isNotNull().cast("long").alias("balance_count"),
    )


def segment_keys(segments: DataFrame, secret: str) -> DataFrame:
    """Each scored customer's key, segment and schedule of changes (``bankseg.scoring.score``), with the
    date the row was computed for (the newest wins)."""
    schedule = F.transform("schedule", lambda change: F.struct(change["changes_on"].alias("changes_on"), change["segment_id"].alias("segment_id")))
    return segments.select(customer_key(F.col("customer_id"), secret).alias("customer_key"), "segment_id", schedule.alias("schedule"), COMPUTED_ON)


def population_stability(reference: list[int], current: list[int]) -> float:
    """PSI of two histograms over the same bins: sum of (p - q) * ln(p / q)."""
    reference_total, current_total = sum(reference), sum(current)
    psi = 0.0
    for expected, actual in zip(reference, current, strict=True):
        p = max(actual / current_total, DRIFT_FLOOR)
        q = max(expected / reference_total, DRIFT_FLOOR)
        psi += (p - q) * math.log(p / q)
    return psi


def bin_index(value: Column, edges: list[float]) -> Column:
    """Bin i holds values in (edges[i-1], edges[i]]; above the last edge is bin len(edges)."""
    index = F.lit(len(edges))
    for position in reversed(range(len(edges))):
        index = F.when(value <= edges[position], position).otherwise(index)
    return index

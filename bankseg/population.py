"""Per-segment statistics of a scored snapshot, kept day by day from the customers that changed.

Everything the segment tables say about the population (sizes, medians, means, the most common
and the most distinctive city and age band, the heatmap of model inputs, feature drift) is a
function of per-segment counts and sums. A snapshot keeps them as small tables of rows
(``STATISTICS_SCHEMA``: segment, measure, key) that sum to them: the statistics of everyone when
everyone was scored, then, beside links to those, one file a day of the day's changes: the new rows
of the customers it scored added, their old rows taken away, and the moves the calendar made since,
as scheduled when their customers were scored (``scheduled_moves``). Counts and decimal sums are
exact under that subtraction, so the sum equals the table built from every customer
(tests/test_population.py and tests/test_training.py check it over several days), and a day writes
its changes without reading the statistics before it.

Nothing else in it moves with the calendar: recency is kept as the count per last transaction date
and age as the count per birth date, and read as of the snapshot date (``figures``). Medians come
from fine bins of ``log1p(value)`` (``BINS_PER_UNIT`` to the unit: within 0.25% of the value).

    statistics = population.aggregate(population.contributions(scored, parameters))
    moves = population.aggregate(population.scheduled_moves(scored, parameters, "2016-11-21"), by=population.MOVE_KEYS)
    figures = population.figures(statistics, parameters, "2016-10-22")
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from bankseg.features import dated_columns
from bankseg.marts import bin_index, population_stability
from bankseg.model_spec import INPUT_COLUMNS, MODEL_INPUTS, TIME_INPUT
from bankseg.segmentation import SegmentationParameters
from bankseg.spark_model import scaled_columns, transformed_column

STATISTICS_SCHEMA = "segment_id int, measure string, key string, customers long, total decimal(38,12)"
TOTAL = "decimal(38,12)"
# Fine bins of log1p(value) for the medians: bin b holds log1p(value) in [b, b + 1) / BINS_PER_UNIT.
BINS_PER_UNIT = 200
# A value must hold this share of a segment's customers to be called distinctive of it.
DISTINCTIVE_MIN_SHARE = 0.01
# The model inputs that do not move with the calendar: their transformed sums and drift bins are kept as they are.
STEADY_INPUTS = tuple(spec for spec in MODEL_INPUTS if spec.column != TIME_INPUT)
# What a scored customer row must carry for its contributions.
CONTRIBUTION_INPUTS = (
    "segment_id", *INPUT_COLUMNS, "frequency", "monetary_total", "gender", "city", "last_txn_date", "customer_dob",
)


def _entry(measure: str, key: Column | None, customers: Column | int, total: Column | int = 0) -> Column:
    return F.struct(
        F.lit(measure).alias("measure"),
        (key.cast("string") if key is not None else F.lit(None).cast("string")).alias("key"),
        (customers if isinstance(customers, Column) else F.lit(customers)).cast("long").alias("customers"),
        (total if isinstance(total, Column) else F.lit(total)).cast(TOTAL).alias("total"),
    )


def log_bin(column: str) -> Column:
    """The fine bin of a non-negative value (null for null)."""
    return F.floor(F.log1p(F.col(column).cast("double")) * BINS_PER_UNIT)


def contributions(rows: DataFrame, parameters: SegmentationParameters, by: tuple[str, ...] = ("segment_id",), sign: str | None = None) -> DataFrame:
    """What each customer row (``CONTRIBUTION_INPUTS``) adds to its segment's statistics, unaggregated:
    one row per customer and measure (``STATISTICS_SCHEMA``), or per ``by`` instead of ``segment_id``;
    with ``sign``, a column of 1 or -1, rows of -1 take their contribution away."""
    scaled = dict(zip(INPUT_COLUMNS, scaled_columns(parameters.preprocessing), strict=True))
    reference = parameters.metadata.get("drift_reference") or {}
    known_balance = F.col("balance_latest").isNotNull()
    entries = [
        _entry("customers", None, 1),
        _entry("frequency", None, 1, F.col("frequency")),
        _entry("monetary_total", None, 1, F.col("monetary_total")),
        _entry("female", None, (F.col("gender") == "F").cast("long")),
        _entry("balance_bin", F.when(known_balance, log_bin("balance_latest")), known_balance.cast("long")),
        _entry("spend_bin", log_bin("monetary_mean"), 1),
        _entry("last_txn_date", F.col("last_txn_date"), 1),
        _entry("customer_dob", F.col("customer_dob"), 1),
        _entry("city", F.col("city"), 1),
        *[_entry(f"transformed_{spec.column}", None, 1, transformed_column(spec, parameters.preprocessing.medians)) for spec in STEADY_INPUTS],
        *[_entry(f"drift_{spec.column}", bin_index(scaled[spec.column], reference[spec.column]["edges"]), 1)
          for spec in STEADY_INPUTS if spec.column in reference],
    ]
    exploded = rows.select(*by, *([sign] if sign else []), F.explode(F.array(*entries)).alias("entry")).select(*by, *([sign] if sign else []), "entry.*")
    if sign is None:
        return exploded
    # Negated, not multiplied: a decimal times an integer loses scale past 38 digits of precision.
    taken_away = F.col(sign) < 0
    return exploded.select(*by, "measure", "key", F.when(taken_away, -F.col("customers")).otherwise(F.col("customers")).alias("customers"),
                           F.when(taken_away, -F.col("total")).otherwise(F.col("total")).alias("total"))


def aggregate(entries: DataFrame, by: tuple[str, ...] = ("segment_id",)) -> DataFrame:
    """Statistics rows summed per segment (or ``by``), measure and key; rows that sum to nothing are
    dropped. A sum of signed rows can hold no customer and still a total (one customer's frequency
    of 3 taken away, another's of 5 added): it is kept."""
    summed = entries.groupBy(*by, "measure", "key").agg(F.sum("customers").alias("customers"), F.sum("total").cast(TOTAL).alias("total"))
    return summed.where((F.col("customers") != 0) | (F.col("total") != 0)).select(*by, "measure", "key", "customers", "total")


def negated(entries: DataFrame) -> DataFrame:
    """``entries`` taken away: counts and totals with the opposite sign."""
    return entries.withColumns({"customers": -F.col("customers"), "total": (-F.col("total")).cast(TOTAL)})


# ---------------------------------------------------------------- segment changes the calendar brings

# A customer who makes no transaction moves to another segment on the days their schedule names
# (``bankseg.scoring.score``). What such a move does to the statistics is known when they are
# scored, so it is kept ahead: ``scheduled_moves`` holds, per day, origin and target segment, the
# contributions of the customers scheduled to move then. A day adds the moves due since the
# previous snapshot to the statistics without reading the customers who did not transact.
MOVE_KEYS = ("changes_on", "from_segment_id", "to_segment_id")
MOVES_SCHEMA = f"changes_on date, from_segment_id int, to_segment_id int, {STATISTICS_SCHEMA.split(', ', 1)[1]}"


def scheduled_moves(scored: DataFrame, parameters: SegmentationParameters, until: str, sign: str | None = None) -> DataFrame:
    """The contributions of each scored customer (``CONTRIBUTION_INPUTS`` and ``schedule``) to each of
    their moves scheduled on or before ``until``, unaggregated (``MOVES_SCHEMA``); ``sign`` as in
    ``contributions``."""
    moves = F.transform("schedule", lambda change, position: F.struct(
        change["changes_on"].alias("changes_on"),
        F.coalesce(F.get(F.col("schedule"), position - 1)["segment_id"], F.col("segment_id")).alias("from_segment_id"),
        change["segment_id"].alias("to_segment_id")))
    due = F.filter(moves, lambda move: move["changes_on"] <= F.to_date(F.lit(until)))
    carried = [column for column in CONTRIBUTION_INPUTS if column != "segment_id"] + ([sign] if sign else [])
    moving = scored.select(*carried, F.explode(due).alias("move"))
    return contributions(moving.select("*", "move.*"), parameters, by=MOVE_KEYS, sign=sign)


def moved(moves: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The statistics rows ``moves`` add to their target segments and take from their origins."""
    measures = ("measure", "key", "customers", "total")
    return (moves.select(F.col("to_segment_id").alias("segment_id"), *measures),
            moves.select(F.col("from_segment_id").alias("segment_id"), *measures))


# ---------------------------------------------------------------- the figures of a date


@dataclass(frozen=True)
class SegmentFigures:
    """What the segment tables of one snapshot date publish, from its statistics."""

    summaries: list[dict]  # per segment, ordered by id: customers, medians, means, modes, scaled means
    drift: list[tuple[str, float, int]]  # (input, PSI, bins) against the training snapshot
    customers: dict[int, int]  # per segment


def _dated_rows(statistics: DataFrame, parameters: SegmentationParameters, snapshot_date: str):
    """The statistics as a pandas frame, with what the date adds (``bankseg.features.dated_columns``):
    the recency of each last transaction date and its drift bin in the model's space, the age and
    age band of each birth date (``unknown`` for none). Dates are summed into what they are read as
    (a recency, an age), so the frame has a row per age, not per birth date."""
    dated = dated_columns(snapshot_date)
    reference = (parameters.metadata.get("drift_reference") or {}).get(TIME_INPUT)
    time_scaled = scaled_columns(parameters.preprocessing)[INPUT_COLUMNS.index(TIME_INPUT)]
    is_date = F.col("measure").isin("last_txn_date", "customer_dob")
    keyed = statistics.select(
        "*",
        F.when(F.col("measure") == "last_txn_date", F.to_date("key")).alias("last_txn_date"),
        F.when(F.col("measure") == "customer_dob", F.to_date("key")).alias("customer_dob"),
    ).withColumn(TIME_INPUT, dated["recency_days"])
    read_as = keyed.select(
        "segment_id", "measure", F.when(~is_date, F.col("key")).alias("key"), "customers", "total", TIME_INPUT,
        (bin_index(time_scaled, reference["edges"]) if reference else F.lit(None).cast("int")).alias("recency_bin"),
        dated["age"].alias("age"), dated["age_band"].alias("age_band"),
    )
    summed = read_as.groupBy("segment_id", "measure", "key", TIME_INPUT, "recency_bin", "age", "age_band").agg(
        F.sum("customers").alias("customers"), F.sum("total").alias("total"))
    # What a day's changes took away entirely sums to nothing: no row, as in a table built from everyone.
    held = summed.where((F.col("customers") != 0) | (F.col("total") != 0))
    return held.withColumn("total", F.col("total").cast("double")).toPandas()


def figures(statistics: DataFrame, parameters: SegmentationParameters, snapshot_date: str) -> SegmentFigures:
    """The segment tables' figures as of ``snapshot_date`` from a snapshot's statistics (rows that sum
    to them): one small Spark job, the rest on the driver over a few thousand rows per segment."""
    rows = _dated_rows(statistics, parameters, snapshot_date)
    by_measure = {measure: group for measure, group in rows.groupby("measure")}
    names = {segment.segment_id: segment.name for segment in parameters.segments}

    def per_segment(measure: str, value_column: str) -> dict[int, dict]:
        found: dict[int, dict] = defaultdict(lambda: defaultdict(int))
        group = by_measure.get(measure)
        if group is not None:
            for segment_id, value, customers in zip(group["segment_id"], group[value_column], group["customers"], strict=True):
                if value is not None and value == value:  # neither None nor NaN
                    found[int(segment_id)][value] += int(customers)
        return found

    def scalar(measure: str, column: str) -> dict[int, float]:
        group = by_measure.get(measure)
        return {} if group is None else {int(segment_id): float(value) for segment_id, value in zip(group["segment_id"], group[column], strict=True)}

    customers = {segment_id: int(count) for segment_id, count in scalar("customers", "customers").items()}
    balance_bins, spend_bins = per_segment("balance_bin", "key"), per_segment("spend_bin", "key")
    recencies, ages = per_segment("last_txn_date", TIME_INPUT), per_segment("customer_dob", "age")
    bands, cities = per_segment("customer_dob", "age_band"), per_segment("city", "key")
    frequency, spend, female = scalar("frequency", "total"), scalar("monetary_total", "total"), scalar("female", "customers")
    transformed = {spec.column: scalar(f"transformed_{spec.column}", "total") for spec in STEADY_INPUTS}
    distinctive_city, distinctive_band = distinctive(cities), distinctive(bands)
    position = {name: index for index, name in enumerate(INPUT_COLUMNS)}
    means, stds = parameters.preprocessing.means, parameters.preprocessing.stds
    summaries = []
    for segment_id in sorted(customers):
        size = customers[segment_id]
        balance = _median({float(b): n for b, n in balance_bins[segment_id].items()})
        mean_recency = sum(r * n for r, n in recencies[segment_id].items()) / size
        known_ages = sum(ages[segment_id].values())
        scaled_means = {name: (transformed[name].get(segment_id, 0.0) / size - means[position[name]]) / stds[position[name]] for name in transformed}
        scaled_means[TIME_INPUT] = (mean_recency - means[position[TIME_INPUT]]) / stds[position[TIME_INPUT]]
        city, band = distinctive_city.get(segment_id), distinctive_band.get(segment_id)
        summaries.append({
            "segment_id": segment_id, "segment_name": names.get(segment_id), "customers": size,
            "median_balance": None if balance is None else _bin_value(balance),
            "median_spend": _bin_value(_median({float(b): n for b, n in spend_bins[segment_id].items()})),
            "mean_frequency": frequency[segment_id] / size,
            "median_recency_days": int(_median(recencies[segment_id])),
            "total_spend": spend[segment_id],
            "mean_age": sum(a * n for a, n in ages[segment_id].items()) / known_ages if known_ages else None,
            "share_female": female.get(segment_id, 0.0) / size,
            "top_age_band": _mode(bands[segment_id]), "top_city": _mode(cities[segment_id]),
            "distinctive_city": city[0] if city else None, "distinctive_city_lift": city[1] if city else None,
            "distinctive_age_band": band[0] if band else None, "distinctive_age_band_lift": band[1] if band else None,
            **{f"scaled_{name}": scaled_means[name] for name in INPUT_COLUMNS},
        })
    return SegmentFigures(summaries, _drift(rows, parameters), customers)


def _drift(rows, parameters: SegmentationParameters) -> list[tuple[str, float, int]]:
    """(input, PSI, bins) of each model input against the reference bins of the training snapshot."""
    reference = parameters.metadata.get("drift_reference")
    if not reference:
        return []
    drift = []
    for column in INPUT_COLUMNS:
        edges = reference[column]["edges"]
        if column == TIME_INPUT:
            group, bin_column = rows[rows["measure"] == "last_txn_date"], "recency_bin"
        else:
            group, bin_column = rows[rows["measure"] == f"drift_{column}"], "key"
        current = [0] * (len(edges) + 1)
        for position, customers in zip(group[bin_column], group["customers"], strict=True):
            current[int(position)] += int(customers)
        drift.append((column, population_stability(reference[column]["counts"], current), len(edges) + 1))
    return drift


def _median(histogram: dict[float, int]) -> float | None:
    """The smallest value at or below which half the customers lie (``percentile_approx``'s rule)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = math.ceil(total / 2), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _bin_value(bin_number: float) -> float:
    """The middle of a fine bin, in the value's own units."""
    return math.expm1((bin_number + 0.5) / BINS_PER_UNIT)


def _mode(counts: dict[str, int]) -> str | None:
    """The most common value; the one that sorts first on a tie."""
    return min(counts, key=lambda value: (-counts[value], value)) if counts else None


def distinctive(counts: dict[int, dict[str, int]], min_share: float = DISTINCTIVE_MIN_SHARE) -> dict[int, tuple[str, float]]:
    """Per segment, the value most over-represented in it: the highest lift (its share of the
    segment's customers over its share of all customers), among the values held by at least
    ``min_share`` of the segment, so a village with three customers cannot win; the value that
    sorts last on a tie of lifts.

    The most common value says little here: DELHI and 25-34 lead every segment, as they lead the
    bank. ``counts``: customers per segment and value."""
    overall: dict[str, int] = defaultdict(int)
    for per_value in counts.values():
        for value, customers in per_value.items():
            overall[value] += customers
    everyone = sum(overall.values())
    best = {}
    for segment_id, per_value in counts.items():
        size = sum(per_value.values())
        lifts = [((customers / size) / (overall[value] / everyone), value) for value, customers in per_value.items() if customers / size >= min_share]
        if lifts:
            lift, value = max(lifts)
            best[segment_id] = (value, lift)
    return best

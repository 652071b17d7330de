"""Segment statistics: the figures of a hand-worked population, read on two dates, and kept by update."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from bankseg import population
from bankseg.model_spec import INPUT_COLUMNS
from bankseg.segmentation import Preprocessing, Segment, SegmentationParameters

pytestmark = pytest.mark.spark

ROWS_SCHEMA = (
    "customer_id string, segment_id int, recency_days int, frequency bigint, monetary_mean double, balance_latest decimal(18,2), "
    "monetary_total decimal(28,2), gender string, city string, last_txn_date date, customer_dob date"
)
SNAPSHOT_DATE = "2016-10-21"
TEN_DAYS_LATER = "2016-10-31"


def customer(name, segment, last, frequency, mean, total, balance, gender, city, dob):
    return (name, segment, None, frequency, mean, None if balance is None else Decimal(balance), Decimal(total), gender, city,
            dt.date.fromisoformat(last), None if dob is None else dt.date.fromisoformat(dob))


CUSTOMERS = [
    customer("C1", 1, "2016-10-11", 1, 100.0, "100", "1000", "F", "PUNE", "1990-10-22"),  # 25, 26 from 2016-10-22
    customer("C2", 1, "2016-10-01", 3, 50.0, "150", "10", "M", "PUNE", "1980-01-01"),  # 36
    customer("C3", 1, "2016-10-21", 2, 1000.0, "2000", None, "F", "DELHI", None),  # age unknown
    customer("C4", 2, "2016-09-21", 1, 10.0, "10", "5", "M", "DELHI", "1950-06-01"),  # 66
]
# The model's space is the inputs as they are (mean 0, deviation 1): recency in days, the rest log1p.
FREQUENCY_EDGE = math.log1p(1.5)
REFERENCE = {
    "recency_days": {"edges": [5.0, 15.0, 25.0], "counts": [1, 1, 1, 1]},
    "frequency": {"edges": [FREQUENCY_EDGE], "counts": [2, 2]},
    "monetary_mean": {"edges": [], "counts": [4]},
    "balance_latest": {"edges": [], "counts": [4]},
}
PARAMETERS = SegmentationParameters(
    preprocessing=Preprocessing(medians={"balance_latest": 0.0}, means=[0.0] * 4, stds=[1.0] * 4),
    centroids=[[0.0] * 4, [1.0] * 4],
    segments=[Segment(1, "one", "the first"), Segment(2, "two", "the second")],
    metadata={"drift_reference": REFERENCE, "snapshot_date": SNAPSHOT_DATE},
)


@pytest.fixture(scope="module")
def statistics(spark):
    frame = spark.createDataFrame(CUSTOMERS, ROWS_SCHEMA)
    return population.aggregate(population.contributions(frame, PARAMETERS)).cache()


def test_the_figures_of_a_hand_worked_population(statistics):
    figures = population.figures(statistics, PARAMETERS, SNAPSHOT_DATE)
    assert figures.customers == {1: 3, 2: 1}
    first, second = figures.summaries
    assert first["segment_name"] == "one" and second["segment_name"] == "two"
    # Known balances 1000 and 10: the lower median, 10, to within its fine bin (0.25%).
    assert first["median_balance"] == pytest.approx(10, rel=2.5e-3)
    assert first["median_spend"] == pytest.approx(100, rel=2.5e-3)
    assert first["mean_frequency"] == 2.0 and first["total_spend"] == 2250.0
    assert first["median_recency_days"] == 10  # of 10, 20 and 0 days
    assert first["mean_age"] == 30.5 and first["share_female"] == pytest.approx(2 / 3)
    assert first["top_city"] == "PUNE"
    assert first["top_age_band"] == "25-34"  # 25-34, 35-44 and unknown once each: the first by name
    # PUNE: 2 of 3 in segment one against 2 of 4 overall; DELHI is all of segment two against 1 of 2.
    assert (first["distinctive_city"], first["distinctive_city_lift"]) == ("PUNE", pytest.approx((2 / 3) / 0.5))
    assert (second["distinctive_city"], second["distinctive_city_lift"]) == ("DELHI", pytest.approx(2.0))
    assert first["scaled_recency_days"] == pytest.approx(10.0)
    assert first["scaled_frequency"] == pytest.approx((math.log1p(1) + math.log1p(3) + math.log1p(2)) / 3)
    # The unknown balance is imputed with the median, 0.
    assert first["scaled_balance_latest"] == pytest.approx((math.log1p(1000) + math.log1p(10) + 0.0) / 3)
    assert second["mean_age"] == 66.0 and second["median_balance"] == pytest.approx(5, rel=2.5e-3)
    # Recencies 10, 20, 0, 30 fall one in each reference bin; frequencies 1, 1 below the edge, 3, 2 above.
    assert figures.drift == [("recency_days", 0.0, 4), ("frequency", 0.0, 2), ("monetary_mean", 0.0, 1), ("balance_latest", 0.0, 1)]


def test_the_same_statistics_read_ten_days_later(statistics):
    figures = population.figures(statistics, PARAMETERS, TEN_DAYS_LATER)
    first = figures.summaries[0]
    assert first["median_recency_days"] == 20 and first["scaled_recency_days"] == pytest.approx(20.0)
    assert first["mean_age"] == 31.0  # C1 turned 26 on 2016-10-22
    # Recencies 20, 30, 10, 40: bins 0, 1, 1, 2 hold 0, 1, 1, 2 customers; an empty bin counts as 1e-4.
    expected = (1e-4 - 0.25) * math.log(1e-4 / 0.25) + (0.5 - 0.25) * math.log(0.5 / 0.25)
    assert figures.drift[0] == ("recency_days", pytest.approx(expected), 4)


def test_statistics_updated_with_the_changed_customers_equal_those_of_everyone(spark, statistics):
    # C2 transacts again and moves to segment two; C5 is new.
    changed = [customer("C2", 2, "2016-10-22", 4, 60.0, "240", "20", "M", "PUNE", "1980-01-01"),
               customer("C5", 1, "2016-10-22", 1, 70.0, "70", "700", "F", "GOA", "2000-02-29")]
    after = [row for row in CUSTOMERS if row[0] != "C2"] + changed
    added = population.contributions(spark.createDataFrame(changed, ROWS_SCHEMA), PARAMETERS)
    removed = population.contributions(spark.createDataFrame([CUSTOMERS[1]], ROWS_SCHEMA), PARAMETERS)
    day = population.aggregate(added.unionByName(population.negated(removed)))  # what the day's file holds
    kept = population.aggregate(statistics.unionByName(day))
    everyone = population.aggregate(population.contributions(spark.createDataFrame(after, ROWS_SCHEMA), PARAMETERS))
    assert kept.exceptAll(everyone).count() == 0 and everyone.exceptAll(kept).count() == 0
    # Nothing is left of C2 in segment one: not a zero row either.
    assert kept.where("segment_id = 1 AND measure = 'last_txn_date' AND key = '2016-10-01'").count() == 0
    # The figures read from the statistics and the day's changes beside them are everyone's.
    assert population.figures(statistics.unionByName(day), PARAMETERS, TEN_DAYS_LATER) == population.figures(everyone, PARAMETERS, TEN_DAYS_LATER)
    assert set(INPUT_COLUMNS) == set(REFERENCE)


SCHEDULED_SCHEMA = ROWS_SCHEMA + ", schedule array<struct<changes_on:date,segment_id:int,segment_name:string>>"
SIGNED_SCHEMA = SCHEDULED_SCHEMA + ", sign int"


def moving(row, *changes):
    """``row`` with its schedule: (day, segment) pairs."""
    return (*row, [(dt.date.fromisoformat(day), segment, "") for day, segment in changes])


def test_scheduled_moves_carry_the_statistics_to_a_later_day_as_scoring_everyone_would(spark):
    """Scored on 2016-10-21: C1 and C2 move from segment one to two on 2016-10-25. On 2016-10-22 C1
    transacts (its move now on 2016-10-30) and C6, new, is scheduled to move on 2016-10-25 too: the
    day's file takes C1's old move back and adds C6's, which leaves that day's frequency row with no
    customer and a total of 5 - 1. On 2016-10-25 the statistics are those of everyone as of then."""
    until, day = "2016-11-21", "2016-10-22"
    c1, c2, c3 = CUSTOMERS[0], CUSTOMERS[1], CUSTOMERS[2]
    scored = [moving(c1, ("2016-10-25", 2)), moving(c2, ("2016-10-25", 2)), moving(c3)]
    base = spark.createDataFrame(scored, SCHEDULED_SCHEMA)
    statistics = population.aggregate(population.contributions(base, PARAMETERS))
    base_moves = population.aggregate(population.scheduled_moves(base, PARAMETERS, until), by=population.MOVE_KEYS)
    c1_now = moving(customer("C1", 1, day, 3, 100.0, "300", "900", "F", "PUNE", "1990-10-22"), ("2016-10-30", 2))
    c6 = moving(customer("C6", 1, day, 5, 20.0, "100", "50", "M", "GOA", "1970-03-03"), ("2016-10-25", 2))
    signed = spark.createDataFrame([(*c1_now, 1), (*c6, 1), (*scored[0], -1)], SIGNED_SCHEMA)
    day_moves = population.aggregate(population.scheduled_moves(signed, PARAMETERS, until, sign="sign"), by=population.MOVE_KEYS)
    netted = day_moves.where("changes_on = '2016-10-25' AND measure = 'frequency'").collect()
    assert [(row["customers"], row["total"]) for row in netted] == [(0, Decimal(4))]
    # Carried from 2016-10-22 to 2016-10-25: the day's customers, then the moves due after the 22nd.
    window = "changes_on > '2016-10-22' AND changes_on <= '2016-10-25'"
    due = population.aggregate(base_moves.unionByName(day_moves).where(window), by=("from_segment_id", "to_segment_id"))
    moved_in, moved_out = population.moved(due)
    changes = population.contributions(signed, PARAMETERS, sign="sign").unionByName(moved_in).unionByName(population.negated(moved_out))
    kept = population.aggregate(statistics.unionByName(changes))
    as_of_then = [c1_now[:11], (*c2[:1], 2, *c2[2:]), c3, (*c6[:1], 2, *c6[2:11])]
    everyone = population.aggregate(population.contributions(spark.createDataFrame(as_of_then, ROWS_SCHEMA), PARAMETERS))
    assert kept.exceptAll(everyone).count() == 0 and everyone.exceptAll(kept).count() == 0

"""The segmentation model's own logic on hand-made numbers: inputs, nearest centroid, names, ids, gates."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F

from bankseg import segmentation, spark_model
from bankseg.model_spec import INPUT_COLUMNS
from bankseg.segmentation import GateEvidence, Preprocessing, Segment, SegmentationParameters

PREPROCESSING = Preprocessing(
    medians={"balance_latest": 999.0},
    means=[10.0, 1.0, 5.0, 8.0],
    stds=[2.0, 0.5, 1.0, 2.0],
)


def customers(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS))


def test_inputs_are_logged_imputed_and_scaled():
    scaled = PREPROCESSING.transformed(customers((12, 3, 99, None), (10, 0, 0, 0)))
    expected_first = [(12 - 10) / 2, (math.log(4) - 1) / 0.5, (math.log(100) - 5) / 1, (math.log(1000) - 8) / 2]
    assert scaled[0] == pytest.approx(expected_first)
    assert scaled[1] == pytest.approx([0, -2, -5, -4])


def test_inverse_gives_feature_units_back():
    frame = customers((30, 2, 450.0, 16_000.0))
    back = PREPROCESSING.inverse(PREPROCESSING.transformed(frame))
    assert back.to_numpy()[0] == pytest.approx([30, 2, 450, 16_000])


def model_with(centroids, segments, highest_segment_id: int = 0) -> SegmentationParameters:
    metadata = {"highest_segment_id": highest_segment_id} if highest_segment_id else {}
    return SegmentationParameters(preprocessing=PREPROCESSING, centroids=centroids, segments=segments, metadata=metadata)


def test_the_model_is_plain_data_that_reads_back_unchanged():
    model = model_with([[0, 0, 0, 0], [0, 0, 3, 3]], [Segment(7, "everyday", "a"), Segment(3, "affluent", "b")], highest_segment_id=9)
    stored = json.loads(json.dumps(model.to_dict()))  # what the MLmodel file keeps
    assert stored["centroids"] == [[0, 0, 0, 0], [0, 0, 3, 3]]
    assert stored["preprocessing"] == {"medians": {"balance_latest": 999.0}, "means": [10.0, 1.0, 5.0, 8.0], "stds": [2.0, 0.5, 1.0, 2.0]}
    assert stored["segments"][0] == {"segment_id": 7, "name": "everyday", "description": "a"}
    assert SegmentationParameters.from_dict(stored) == model


def test_assign_answers_the_nearest_centroids_segment():
    model = model_with(
        [[0, 0, 0, 0], [0, 0, 3, 3]],
        [Segment(7, "everyday", "…"), Segment(3, "affluent", "…")],
    )
    near_second = (10, math.e - 1, math.exp(8) - 1, math.exp(14) - 1)  # scaled (0, 0, 3, 3)
    result = model.assign(customers((10, math.e - 1, math.exp(5) - 1, math.exp(8) - 1), near_second))
    assert result.to_dict("list") == {"segment_id": [7, 3], "segment_name": ["everyday", "affluent"]}
    assert str(result["segment_id"].dtype) == "int32"


POPULATION = pd.Series({"balance_latest": 16_000.0, "monetary_mean": 460.0, "recency_days": 54.0, "frequency": 1.2})


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        ({"balance_latest": 60_000, "monetary_mean": 150, "recency_days": 54, "frequency": 1.0}, "affluent occasional small-ticket savers"),
        ({"balance_latest": 2_000, "monetary_mean": 2_000, "recency_days": 30, "frequency": 1.0}, "low-balance recent occasional big-ticket spenders"),
        ({"balance_latest": 16_000, "monetary_mean": 460, "recency_days": 70, "frequency": 2.4}, "mid-balance lapsing frequent everyday spenders"),
        ({"balance_latest": 50_000, "monetary_mean": 3_000, "recency_days": 54, "frequency": 1.0}, "affluent occasional big-ticket spenders"),
    ],
)
def test_names_come_from_the_profile_against_all_customers(profile, name):
    found, description = segmentation.describe(pd.Series(profile, dtype=float), POPULATION)
    assert found == name
    assert f"median balance {profile['balance_latest']:,.0f} INR" in description


def test_repeated_names_are_numbered_around_names_already_taken():
    assert segmentation.unique_names(["a", "b", "a", "a"]) == ["a", "b", "a 2", "a 3"]
    assert segmentation.unique_names(["a", "a"], {"a", "a 2"}) == ["a 3", "a 4"]


def test_a_new_segment_never_takes_a_kept_name_or_a_retired_id():
    previous = model_with(
        [[0, 0, 0, 0], [0, 0, 3, 3]],
        [Segment(1, "mid-balance occasional everyday spenders", "old"), Segment(5, "rich", "old")],
        highest_segment_id=8,  # ids 6..8 belonged to segments an earlier model dropped
    )
    new_centroids = np.array([[5, 5, 5, 5], [0, 0, 0.1, 0], [0, 0, 3, 3]])
    profiles = pd.DataFrame([{"balance_latest": 16_000, "monetary_mean": 460, "recency_days": 54, "frequency": 1.2}] * 3)
    segments = segmentation.name_segments(profiles, POPULATION, new_centroids, PREPROCESSING, previous)
    assert [(s.segment_id, s.name) for s in segments] == [
        (9, "mid-balance occasional everyday spenders 2"),
        (1, "mid-balance occasional everyday spenders"),
        (5, "rich"),
    ]


def test_a_retrain_keeps_ids_and_names_of_matching_segments():
    previous = model_with(
        [[0, 0, 0, 0], [0, 0, 3, 3], [0, 0, -3, -3]],
        [Segment(1, "everyday", "old"), Segment(2, "rich", "old"), Segment(3, "poor", "old")],
    )
    # The new fit found the same three groups in another order, plus a new one far from all of them.
    new_centroids = np.array([[0, 0, -2.9, -3.1], [5, 5, 0, 0], [0.1, 0, 0, 0], [0, 0, 3.2, 2.8]])
    profiles = pd.DataFrame([{"balance_latest": 16_000, "monetary_mean": 460, "recency_days": 54, "frequency": 1.2}] * 4)
    segments = segmentation.name_segments(profiles, POPULATION, new_centroids, PREPROCESSING, previous)
    assert [(s.segment_id, s.name) for s in segments] == [
        (3, "poor"),
        (4, "mid-balance occasional everyday spenders"),
        (1, "everyday"),
        (2, "rich"),
    ]
    assert segments[0].description.startswith("median balance 16,000 INR")  # new figures, kept name


def test_the_first_model_numbers_segments_from_one():
    profiles = pd.DataFrame([{"balance_latest": 16_000, "monetary_mean": 460, "recency_days": 54, "frequency": 1.2}] * 2)
    segments = segmentation.name_segments(profiles, POPULATION, np.zeros((2, 4)), PREPROCESSING, None)
    assert [(s.segment_id, s.name) for s in segments] == [
        (1, "mid-balance occasional everyday spenders"),
        (2, "mid-balance occasional everyday spenders 2"),
    ]


def evidence(**changes) -> GateEvidence:
    good = {"k": 3, "customers": 10_000, "distinct_points": 9_000, "shares": [0.5, 0.3, 0.2], "silhouette": 0.3,
            "stability_ari": [0.95, 0.91, 0.97], "unconverged_fits": []}
    return GateEvidence(**{**good, **changes})


def test_quality_gates_pass_a_good_model():
    assert segmentation.quality_gate_failures(evidence()) == []


def test_quality_gates_say_why_a_model_cannot_be_champion():
    failures = segmentation.quality_gate_failures(evidence(
        shares=[0.995, 0.005], silhouette=0.1, stability_ari=[0.95, 0.5, 0.99], unconverged_fits=["chosen fit (300 iterations)"],
    ))
    assert failures == [
        "smallest segment holds 0.50% of customers (minimum 1%)",
        "silhouette 0.100 is below the floor 0.15",
        "stability ARI 0.500 (worst of 3 bootstrap refits) is below 0.8",
        "did not converge within the iteration budget: chosen fit (300 iterations)",
    ]


def test_the_stability_gate_takes_the_worst_pair_not_the_mean():
    # Mean 0.83 would pass; the worst pair, 0.6, decides.
    assert segmentation.quality_gate_failures(evidence(stability_ari=[0.95, 0.95, 0.6])) == [
        "stability ARI 0.600 (worst of 3 bootstrap refits) is below 0.8"
    ]


def test_too_few_or_identical_customers_are_named_as_the_reason():
    failures = segmentation.quality_gate_failures(evidence(customers=50, distinct_points=1))
    assert failures[:2] == [
        "50 customers are too few for 3 segments (at least 30 per segment, 90)",
        "only 1 distinct customer profiles for 3 segments",
    ]


def test_an_undefined_figure_never_passes():
    failures = segmentation.quality_gate_failures(evidence(silhouette=float("nan"), stability_ari=[]))
    assert failures == ["silhouette nan is below the floor 0.15", "stability ARI nan (worst of 0 bootstrap refits) is below 0.8"]


def test_the_schedule_names_every_segment_a_customer_without_transactions_moves_through(spark):
    """Checked against the numpy model scoring the same customers at every later recency up to the horizon."""
    rng = np.random.default_rng(11)
    model = SegmentationParameters(
        preprocessing=Preprocessing(medians={"balance_latest": 5_000.0}, means=[40.0, 0.5, 6.5, 9.0], stds=[25.0, 0.6, 1.2, 2.0]),
        centroids=rng.normal(0, 1.5, size=(6, 4)).round(3).tolist(),
        segments=[Segment(segment_id, f"segment {segment_id}", "") for segment_id in (4, 9, 1, 7, 2, 5)],
    )
    frame = pd.DataFrame({
        "recency_days": rng.integers(0, 120, 3_000),
        "frequency": rng.integers(1, 12, 3_000),
        "monetary_mean": rng.lognormal(6.5, 1.2, 3_000).round(2),
        "balance_latest": np.where(rng.random(3_000) < 0.05, np.nan, rng.lognormal(9, 2, 3_000).round(2)),
    })
    horizon = 400
    segments_by_recency = np.column_stack([
        model.assign(frame.assign(recency_days=recency))["segment_id"].to_numpy() for recency in range(horizon + 1)])
    expected = []
    for position, recency in enumerate(frame["recency_days"]):
        path = segments_by_recency[position]
        expected.append([(later, int(path[later])) for later in range(recency + 1, horizon + 1) if path[later] != path[later - 1]])
    assert sum(len(changes) > 1 for changes in expected) > 10, "some customers must change more than once"
    assert 0 < sum(len(changes) == 0 for changes in expected) < len(frame), "and some never"

    customers_frame = spark.createDataFrame(frame.astype({"balance_latest": object}).where(frame.notna(), None)).withColumn("position", F.monotonically_increasing_id())
    rows = spark_model.with_recency_schedule(customers_frame, model, horizon).orderBy("position").select("centroid", "recency_schedule").collect()
    ids = [segment.segment_id for segment in model.segments]
    assert [ids[row["centroid"]] for row in rows] == model.assign(frame)["segment_id"].tolist()
    scheduled = [[(change["recency"], ids[change["centroid"]]) for change in row["recency_schedule"]] for row in rows]
    assert scheduled == expected


def test_the_schedule_breaks_ties_on_a_crossing_and_between_equal_coordinates_as_scoring_does(spark):
    """Crossings that fall on whole recencies, and centroids that share a recency coordinate: the
    lower index wins, as in nearest-centroid scoring. Scaled recency is the recency itself and the
    customers' other inputs are 0, so every distance is exact."""
    model = SegmentationParameters(
        preprocessing=Preprocessing(medians={"balance_latest": 0.0}, means=[0.0] * 4, stds=[1.0] * 4),
        # B (index 0) and A draw level at recency 5, B and D at 15; C shares B's coordinate further
        # away, E is B again with a higher index: neither is ever nearest.
        centroids=[[10.0, 0, 0, 0], [0.0, 0, 0, 0], [10.0, 1, 0, 0], [20.0, 0, 0, 0], [10.0, 0, 0, 0]],
        segments=[Segment(segment_id, name, "") for segment_id, name in ((2, "B"), (1, "A"), (3, "C"), (4, "D"), (5, "E"))],
    )
    frame = pd.DataFrame({"recency_days": [0, 4, 5, 15, 16], "frequency": 0, "monetary_mean": 0.0, "balance_latest": 0.0})
    rows = spark_model.with_recency_schedule(spark.createDataFrame(frame), model, 100).orderBy("recency_days").collect()
    ids = [segment.segment_id for segment in model.segments]
    assert [ids[row["centroid"]] for row in rows] == [1, 1, 2, 2, 4] == model.assign(frame)["segment_id"].tolist()
    assert [[(change["recency"], ids[change["centroid"]]) for change in row["recency_schedule"]] for row in rows] == [
        [(5, 2), (16, 4)], [(5, 2), (16, 4)], [(16, 4)], [(16, 4)], []]

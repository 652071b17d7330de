"""The segmentation model: its inputs, the logged MLflow model, segment names and stable ids.

Plain numpy and pandas, no Spark: the same code runs inside the Spark scoring UDF, in
``mlflow models serve`` for one customer, and in the tests.

Inputs are behaviour and wealth, on purpose: recency, frequency, spend per transaction and
balance. Money and counts are heavy-tailed, so they are log-transformed; every input is then
standardised; a balance unknown for a customer (0.2% of them) is imputed with the training
median. Categorical attributes (gender, age band, city) are deliberately not inputs: gender and
age are protected attributes a bank must not segment on, and city has thousands of values. They
describe the segments afterwards, in the profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

REGISTERED_MODEL = "bank_customer_segmentation"
CHAMPION_ALIAS = "champion"
EXPERIMENT = "bank_customer_segmentation"


@dataclass(frozen=True)
class ModelInput:
    column: str
    log: bool  # log1p before scaling: heavy-tailed money and counts
    impute: bool = False  # may be null in the features: filled with the training median


MODEL_INPUTS = (
    ModelInput("recency_days", log=False),
    ModelInput("frequency", log=True),
    ModelInput("monetary_mean", log=True),
    ModelInput("balance_latest", log=True, impute=True),
)
INPUT_COLUMNS = tuple(i.column for i in MODEL_INPUTS)

# Quality gates a model must pass to become champion (see README, "Segmentation").
MIN_SEGMENT_SHARE = 0.01
# Behavioural data has no crisp clusters: 0.25 on 1M synthetic customers at k=6. Below 0.15 the
# segments overlap so much that their profiles stop being distinct.
MIN_SILHOUETTE = 0.15
MIN_STABILITY_ARI = 0.8


@dataclass
class Preprocessing:
    """Imputation medians, then log1p, then standardisation, with parameters from the training data."""

    medians: dict[str, float]
    means: list[float]
    stds: list[float]

    def transformed(self, frame: pd.DataFrame) -> np.ndarray:
        columns = []
        for spec in MODEL_INPUTS:
            values = pd.to_numeric(frame[spec.column], errors="coerce").astype(float)
            if spec.impute:
                values = values.fillna(self.medians[spec.column])
            columns.append(np.log1p(values.to_numpy()) if spec.log else values.to_numpy())
        return (np.column_stack(columns) - np.array(self.means)) / np.array(self.stds)

    def inverse(self, scaled: np.ndarray) -> pd.DataFrame:
        """Points of the scaled space back in the features' own units (for centroids)."""
        unscaled = scaled * np.array(self.stds) + np.array(self.means)
        data = {spec.column: np.expm1(unscaled[:, i]) if spec.log else unscaled[:, i] for i, spec in enumerate(MODEL_INPUTS)}
        return pd.DataFrame(data)


@dataclass
class Segment:
    segment_id: int
    name: str
    description: str


@dataclass
class SegmentationModel(PythonModel):
    """Nearest centroid in the scaled input space; answers segment id and name per customer."""

    preprocessing: Preprocessing
    centroids: list[list[float]]  # scaled space, one per cluster index of the fitted model
    segments: list[Segment]  # same order as centroids
    metadata: dict[str, Any] = field(default_factory=dict)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        scaled = self.preprocessing.transformed(model_input)
        centroids = np.array(self.centroids)
        distances = ((scaled[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        nearest = distances.argmin(axis=1)
        return pd.DataFrame(
            {
                "segment_id": np.array([s.segment_id for s in self.segments], dtype="int32")[nearest],
                "segment_name": np.array([s.name for s in self.segments], dtype=object)[nearest],
            }
        )

    def centroids_in_feature_units(self) -> pd.DataFrame:
        return self.preprocessing.inverse(np.array(self.centroids))

    def highest_segment_id(self) -> int:
        """The highest id this model or any model before it gave out."""
        return max([s.segment_id for s in self.segments] + [self.metadata.get("highest_segment_id", 0)])


# ---------------------------------------------------------------- names from profiles


def level(ratio: float, low: float, high: float, words: tuple[str, str, str]) -> str:
    return words[0] if ratio <= low else words[2] if ratio >= high else words[1]


def describe(profile: pd.Series, population: pd.Series) -> tuple[str, str]:
    """A name and a one-line description of a segment from its profile against all customers.

    ``profile`` and ``population`` hold median ``balance_latest``, ``monetary_mean``,
    ``recency_days`` and mean ``frequency``.
    """
    # Each word needs a clear difference from the typical customer: half or double the median
    # balance or spend, 15% fresher or staler than the median recency, 1.5 times the mean frequency.
    balance = level(profile.balance_latest / population.balance_latest, 0.5, 2.0, ("low-balance", "mid-balance", "affluent"))
    spend = level(profile.monetary_mean / population.monetary_mean, 0.5, 2.0, ("small-ticket", "everyday", "big-ticket"))
    activity = "frequent" if profile.frequency >= 1.5 * population.frequency else "occasional"
    recency = level(profile.recency_days / max(population.recency_days, 1.0), 0.85, 1.15, ("recent", "", "lapsing"))
    # Low spend against a large balance is the classic saver; the rest are named by what they spend.
    role = "savers" if balance == "affluent" and spend != "big-ticket" else "spenders"
    name = " ".join(word for word in (balance, recency, activity, spend, role) if word)
    description = (
        f"median balance {profile.balance_latest:,.0f} INR, median spend {profile.monetary_mean:,.0f} INR per "
        f"transaction, {profile.frequency:.2f} transactions per customer, last seen {profile.recency_days:.0f} days "
        f"before the snapshot"
    )
    return name, description


def unique_names(names: list[str], taken: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """``names`` made distinct from each other and from ``taken``: repeats get a number."""
    used = set(taken)
    result = []
    for name in names:
        candidate, number = name, 1
        while candidate in used:
            number += 1
            candidate = f"{name} {number}"
        used.add(candidate)
        result.append(candidate)
    return result


def name_segments(
    profiles: pd.DataFrame,
    population: pd.Series,
    centroids: np.ndarray,
    preprocessing: Preprocessing,
    previous: SegmentationModel | None,
) -> list[Segment]:
    """Segments for the clusters whose ``profiles`` (rows in cluster index order) and scaled
    ``centroids`` are given.

    With a previous champion, clusters are matched one to one to its segments by the distance
    between centroids, both placed in the new model's scaled space: a matched cluster keeps the
    previous id and name (its description shows the new figures), so a retrain does not shuffle
    what CRM staff know. Unmatched clusters (k grew) get new ids and names from their profile.
    """
    derived = [describe(row, population) for _, row in profiles.iterrows()]
    if previous is None:
        names = unique_names([name for name, _ in derived])
        return [Segment(index + 1, names[index], derived[index][1]) for index in range(len(derived))]
    previous_centroids = preprocessing.transformed(previous.centroids_in_feature_units())
    matches = match_to_previous(centroids, previous_centroids)
    kept = {index: previous.segments[matches[index]] for index in matches}
    new_indexes = [index for index in range(len(derived)) if index not in kept]
    # New names must differ from the kept ones, which never change.
    new_names = unique_names([derived[index][0] for index in new_indexes], {s.name for s in kept.values()})
    # Ids are never reused, not even those of segments a smaller model dropped: history stays unambiguous.
    next_id = previous.highest_segment_id() + 1
    segments = []
    for index, (_, description) in enumerate(derived):
        if index in kept:
            segments.append(Segment(kept[index].segment_id, kept[index].name, description))
        else:
            segments.append(Segment(next_id, new_names[new_indexes.index(index)], description))
            next_id += 1
    return segments


def match_to_previous(new_centroids: np.ndarray, previous_centroids: np.ndarray) -> dict[int, int]:
    """Cluster index -> index of the previous segment it continues (Hungarian matching on distance)."""
    from scipy.optimize import linear_sum_assignment

    cost = ((new_centroids[:, None, :] - previous_centroids[None, :, :]) ** 2).sum(axis=2)
    rows, columns = linear_sum_assignment(cost)
    return dict(zip(rows.tolist(), columns.tolist()))


def quality_gate_failures(shares: list[float], silhouette: float, stability_ari: float) -> list[str]:
    """Why a model may not become champion; empty when it may."""
    failures = []
    if min(shares) < MIN_SEGMENT_SHARE:
        failures.append(f"smallest segment holds {min(shares):.2%} of customers (minimum {MIN_SEGMENT_SHARE:.0%})")
    if not math.isfinite(silhouette) or silhouette < MIN_SILHOUETTE:
        failures.append(f"silhouette {silhouette:.3f} is below the floor {MIN_SILHOUETTE}")
    if not math.isfinite(stability_ari) or stability_ari < MIN_STABILITY_ARI:
        failures.append(f"stability ARI {stability_ari:.3f} between bootstrap fits is below {MIN_STABILITY_ARI}")
    return failures

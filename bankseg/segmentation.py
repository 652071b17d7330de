"""The segmentation model as plain data, the nearest-centroid rule, segment names and stable ids.

Plain numpy and pandas, no Spark and no MLflow: the served model (``bankseg/segmentation_pyfunc.py``,
logged to MLflow as code), the training and the tests all use this module. The model is nothing
but numbers: imputation medians, the means and standard deviations of the transformed inputs,
the centroids, and the segment ids and names. ``SegmentationParameters.to_dict`` is what the
registry stores (the MLmodel's ``config``); the daily scoring applies the same numbers as a
native Spark expression (``bankseg/scoring.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bankseg.model_spec import MODEL_INPUTS

# Quality gates a model must pass to become champion (see docs/segmentation.md).
MIN_SEGMENT_SHARE = 0.01
# Behavioural data has no crisp clusters: 0.25 on 1M synthetic customers at k=6. Below 0.15 the
# segments overlap so much that their profiles stop being distinct.
MIN_SILHOUETTE = 0.15
# The worst adjusted Rand index between the chosen model and its bootstrap refits (the stability check).
MIN_STABILITY_ARI = 0.8
# Fewer customers than this per segment cannot support a profile worth naming.
MIN_CUSTOMERS_PER_SEGMENT = 30


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Segment:
    segment_id: int
    name: str
    description: str


def nearest(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid of each point (squared Euclidean; the first on a tie)."""
    return ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


@dataclass(frozen=True)
class SegmentationParameters:
    """Everything the model is: nearest centroid in the scaled input space, one segment per centroid."""

    preprocessing: Preprocessing
    centroids: list[list[float]]  # scaled space, one per segment
    segments: list[Segment]  # same order as centroids
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data: what the registry stores and ``from_dict`` reads back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentationParameters:
        return cls(
            preprocessing=Preprocessing(**data["preprocessing"]),
            centroids=[[float(value) for value in row] for row in data["centroids"]],
            segments=[Segment(**segment) for segment in data["segments"]],
            metadata=dict(data.get("metadata") or {}),
        )

    def assign(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Segment id and name of each row of ``frame`` (the model inputs, in feature units)."""
        index = nearest(self.preprocessing.transformed(frame), np.array(self.centroids))
        return pd.DataFrame(
            {
                "segment_id": np.array([s.segment_id for s in self.segments], dtype="int32")[index],
                "segment_name": np.array([s.name for s in self.segments], dtype=object)[index],
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


def _ratio(value: float, reference: float) -> float:
    """value / reference, with an empty or zero reference counting as 1 so a tiny segment still gets a name."""
    if not math.isfinite(value) or not math.isfinite(reference) or reference <= 0:
        return 1.0
    return value / reference


def describe(profile: pd.Series, population: pd.Series) -> tuple[str, str]:
    """A name and a one-line description of a segment from its profile against all customers.

    ``profile`` and ``population`` hold median ``balance_latest``, ``monetary_mean``,
    ``recency_days`` and mean ``frequency``.
    """
    # Each word needs a clear difference from the typical customer: half or double the median
    # balance or spend, 15% fresher or staler than the median recency, 1.5 times the mean frequency.
    balance = level(_ratio(profile.balance_latest, population.balance_latest), 0.5, 2.0, ("low-balance", "mid-balance", "affluent"))
    spend = level(_ratio(profile.monetary_mean, population.monetary_mean), 0.5, 2.0, ("small-ticket", "everyday", "big-ticket"))
    activity = "frequent" if _ratio(profile.frequency, population.frequency) >= 1.5 else "occasional"
    recency = level(_ratio(profile.recency_days, max(population.recency_days, 1.0)), 0.85, 1.15, ("recent", "", "lapsing"))
    # Low spend against a large balance is the classic saver; the rest are named by what they spend.
    role = "savers" if balance == "affluent" and spend != "big-ticket" else "spenders"
    name = " ".join(word for word in (balance, recency, activity, spend, role) if word)
    if profile.get("customers", 1) == 0:
        return name, "no customer of the training snapshot is nearest to this centroid"
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
    previous: SegmentationParameters | None,
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


# ---------------------------------------------------------------- quality gates


@dataclass(frozen=True)
class GateEvidence:
    """What the champion decision looks at, as the training measured it."""

    k: int
    customers: int
    distinct_points: int  # distinct model inputs in the training sample
    shares: list[float]  # per segment, over every customer of the snapshot
    silhouette: float  # exact, on the evaluation sample
    stability_ari: list[float]  # one per bootstrap refit
    unconverged_fits: list[str]  # the chosen and stability fits that stopped at their iteration budget


def quality_gate_failures(evidence: GateEvidence) -> list[str]:
    """Why a model may not become champion; empty when it may. NaN never passes."""
    failures = []
    if evidence.customers < MIN_CUSTOMERS_PER_SEGMENT * evidence.k:
        failures.append(
            f"{evidence.customers:,} customers are too few for {evidence.k} segments "
            f"(at least {MIN_CUSTOMERS_PER_SEGMENT} per segment, {MIN_CUSTOMERS_PER_SEGMENT * evidence.k:,})"
        )
    if evidence.distinct_points < evidence.k:
        failures.append(f"only {evidence.distinct_points} distinct customer profiles for {evidence.k} segments")
    smallest = min(evidence.shares) if evidence.shares else float("nan")
    if not smallest >= MIN_SEGMENT_SHARE:
        failures.append(f"smallest segment holds {smallest:.2%} of customers (minimum {MIN_SEGMENT_SHARE:.0%})")
    if not evidence.silhouette >= MIN_SILHOUETTE:
        failures.append(f"silhouette {evidence.silhouette:.3f} is below the floor {MIN_SILHOUETTE}")
    worst = min(evidence.stability_ari) if evidence.stability_ari else float("nan")
    if not worst >= MIN_STABILITY_ARI:
        failures.append(
            f"stability ARI {worst:.3f} (worst of {len(evidence.stability_ari)} bootstrap refits) is below {MIN_STABILITY_ARI}"
        )
    if evidence.unconverged_fits:
        failures.append(f"did not converge within the iteration budget: {', '.join(evidence.unconverged_fits)}")
    return failures

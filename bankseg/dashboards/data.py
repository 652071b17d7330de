"""The dashboards' data: the marts the daily DAG publishes, loaded once per snapshot, then filtered.

Nothing here reads the transactions. Each published batch carries its ``activity`` mart and each
snapshot its segment tables and marts (``bankseg/marts.py``; ``segment_keys`` holds a row per
customer and version, of which the newest counts); a page filters the in-memory activity
of every batch delivered by the snapshot date, with each customer's segment at that date joined by
key, and sums it, which keeps totals and distinct customer counts exact. A new or republished
snapshot (the next daily run, a rerun) is picked up on the next request.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from bankseg import quality
from bankseg.definitions import NOT_SCORED
from bankseg.layout import COMPUTED_ON, DataLayout
from bankseg.publish import read_manifest

CATEGORICAL = ("city", "gender", "age_band", "amount_category")
AMOUNT_CATEGORY_ORDER = ("Low", "Medium", "High")
AGE_BAND_ORDER = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown")
# Run dates the data quality page lists.
QUALITY_DATES = 14
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class FilterError(ValueError):
    """A filter value the dashboards cannot use; the message names the parameter."""


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    city: str | None = None
    gender: str | None = None
    age_band: str | None = None
    segment: int | None = None

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        values: dict[str, Any] = {}
        for name in ("start", "end"):
            if query.get(name):
                try:
                    values[name] = date.fromisoformat(query[name])
                except ValueError:
                    raise FilterError(f"{name}={query[name]!r} is not a date in the form YYYY-MM-DD") from None
        for name in ("city", "gender", "age_band"):
            if query.get(name):
                values[name] = query[name]
        if query.get("segment"):
            try:
                values["segment"] = int(query["segment"])
            except ValueError:
                raise FilterError(f"segment={query['segment']!r} is not a segment id") from None
        if values.get("start") and values.get("end") and values["start"] > values["end"]:
            raise FilterError(f"start {values['start']} is after end {values['end']}")
        return cls(**values)

    def active(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def apply(self, activity: pd.DataFrame) -> pd.DataFrame:
        if not self.active():
            return activity
        mask = pd.Series(True, index=activity.index)
        if self.start:
            mask &= activity["txn_date"] >= pd.Timestamp(self.start)
        if self.end:
            mask &= activity["txn_date"] <= pd.Timestamp(self.end)
        for name in ("city", "gender", "age_band"):
            if getattr(self, name) is not None:
                mask &= activity[name] == getattr(self, name)
        if self.segment is not None:
            mask &= activity["segment_id"] == self.segment
        return activity[mask]


@dataclass
class Snapshot:
    """One snapshot date's marts, plus the segment tables of the same date from the warehouse."""

    snapshot_date: str
    activity: pd.DataFrame
    segment_features: pd.DataFrame
    feature_drift: pd.DataFrame
    model_history: pd.DataFrame
    segment_profiles: pd.DataFrame
    segment_migration: pd.DataFrame
    migration_previous: str | None

    @property
    def scored(self) -> bool:
        return not self.segment_profiles.empty

    def segment_names(self) -> dict[int, str]:
        if not self.scored:
            return {}
        return dict(zip(self.segment_profiles["segment_id"], self.segment_profiles["segment_name"], strict=True))

    def options(self) -> dict[str, list]:
        """What the filter controls offer: cities by spend, the other attributes in their natural order."""
        cities = self.activity.groupby("city", observed=True)["amount"].sum().sort_values(ascending=False).index
        present = {name: set(self.activity[name].unique()) for name in ("gender", "age_band")}
        return {
            "city": list(cities),
            "gender": sorted(present["gender"]),
            "age_band": [band for band in AGE_BAND_ORDER if band in present["age_band"]],
            "segment": sorted(self.segment_names().items()),
        }

    def date_range(self) -> tuple[date, date]:
        return self.activity["txn_date"].min().date(), self.activity["txn_date"].max().date()


def summary(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame | dict[str, float]:
    """Transactions, amount, distinct customers and mean balance, overall or per group of ``by``."""
    if not by:
        balance_count = frame["balance_count"].sum()
        return {
            "transactions": int(frame["transactions"].sum()),
            "amount": float(frame["amount"].sum()),
            "customers": int(frame["customer_key"].nunique()),
            "balance_mean": float(frame["balance_sum"].sum() / balance_count) if balance_count else float("nan"),
        }
    grouped = frame.groupby(by, observed=True)
    result = grouped[["transactions", "amount", "balance_sum", "balance_count"]].sum()
    result["customers"] = grouped["customer_key"].nunique()
    result["balance_mean"] = result["balance_sum"] / result["balance_count"].where(result["balance_count"] > 0)
    return result.drop(columns=["balance_sum", "balance_count"])


def quality_reports(layout: DataLayout, dates: int = QUALITY_DATES) -> list[dict[str, Any]]:
    """The quality gates' reports (``quality/results/<date>/<suite>.json``) of the latest ``dates`` run
    dates, newest first, each date's layers in pipeline order."""
    root = Path(layout.quality) / "results"
    folders = sorted((p for p in root.glob("*") if p.is_dir()), key=lambda p: p.name, reverse=True)[:dates]
    reports = []
    for folder in folders:
        found = {report["layer"]: report for report in (json.loads(p.read_text()) for p in folder.glob("*.json"))}
        reports += [found[layer] for layer in quality.SUITES if layer in found]
    return reports


def _read(path: str | Path) -> pd.DataFrame:
    return pads.dataset(str(path), format="parquet").to_table().to_pandas(date_as_object=False)


def _read_many(paths: list[str]) -> pd.DataFrame:
    """Several folders of one schema as one frame (each folder a dataset of its own, read as a union)."""
    union = pads.dataset([pads.dataset(path, format="parquet") for path in paths])
    return union.to_table().to_pandas(date_as_object=False)


def segments_as_of(keys: pa.Table, snapshot_date: str) -> pd.DataFrame:
    """``customer_key`` and ``segment_id`` as of ``snapshot_date`` from a ``segment_keys`` mart: each
    key's newest row by ``computed_on`` (a snapshot table of row versions, ``bankseg.layout``), in
    the segment of the last change of its schedule due by that date, or the one it was scored in
    (``bankseg.scoring.as_of`` is the same rule in Spark)."""
    if keys.num_rows == 0:
        return pd.DataFrame({"customer_key": pd.Series(dtype="int64"), "segment_id": pd.Series(dtype="int64")})
    keys = keys.take(pc.sort_indices(keys, [("customer_key", "ascending"), (COMPUTED_ON, "ascending")]))
    customer_keys = keys["customer_key"].to_numpy()
    newest = np.append(customer_keys[1:] != customer_keys[:-1], True)
    keys = keys.filter(pa.array(newest))
    segment = keys["segment_id"].to_numpy().astype("int64")
    # Keys written before they carried a schedule hold each customer's segment on the snapshot's date.
    schedule = keys["schedule"].combine_chunks() if "schedule" in keys.column_names else pa.array([[]] * keys.num_rows)
    changes = pc.list_flatten(schedule)
    if len(changes):
        owner = pc.list_parent_indices(schedule).to_numpy()
        due = pc.less_equal(changes.field("changes_on"), pa.scalar(date.fromisoformat(snapshot_date))).to_numpy(zero_copy_only=False)
        # Each schedule is in day order: the last change due is the one with the highest position.
        last_due = np.full(len(segment), -1)
        np.maximum.at(last_due, owner[due], np.flatnonzero(due))
        moved = last_due >= 0
        segment[moved] = changes.field("segment_id").to_numpy(zero_copy_only=False)[last_due[moved]]
    return pd.DataFrame({"customer_key": keys["customer_key"].to_numpy(), "segment_id": segment})


def load_snapshot(layout: DataLayout, snapshot_date: str) -> Snapshot:
    folder = layout.snapshot(snapshot_date)
    activity = _read_many([layout.batch(date).activity for date in layout.batch_dates() if date <= snapshot_date])
    keys = segments_as_of(pads.dataset(folder.mart("segment_keys"), format="parquet").to_table(), snapshot_date)
    activity = activity.merge(keys, on="customer_key", how="left")
    activity["segment_id"] = activity["segment_id"].fillna(NOT_SCORED).astype("int64")
    for column in CATEGORICAL:
        activity[column] = activity[column].astype("category")
    scored = [date for date in layout.snapshot_dates() if date < snapshot_date and not _read(layout.snapshot(date).segment_profiles).empty]
    profiles = _read(folder.segment_profiles)
    return Snapshot(
        snapshot_date=snapshot_date,
        activity=activity,
        segment_features=_read(folder.mart("segment_features")),
        feature_drift=_read(folder.mart("feature_drift")),
        model_history=_read(folder.mart("model_history")),
        segment_profiles=profiles.sort_values("segment_id", ignore_index=True) if not profiles.empty else profiles,
        segment_migration=_read(folder.segment_migration),
        migration_previous=scored[-1] if scored else None,
    )


class SnapshotCache:
    """The newest snapshot, reloaded when the daily DAG publishes a newer one (or republishes it)."""

    def __init__(self, layout: DataLayout):
        self.layout = layout
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._snapshot: Snapshot | None = None

    def get(self) -> Snapshot | None:
        dates = self.layout.snapshot_dates()
        if not dates:
            return None
        # A republished snapshot is a new transaction of the same date.
        manifest = read_manifest(Path(self.layout.snapshot(dates[-1]).root)) or {}
        key = (dates[-1], manifest.get("txid", ""))
        with self._lock:
            if key != self._key:
                self._snapshot, self._key = load_snapshot(self.layout, dates[-1]), key
            return self._snapshot

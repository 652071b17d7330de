"""Where every dataset, metastore and run record of one data directory lives: the one owner of paths and dates.

Everything a run writes sits under one data directory, so two data directories never mix. The
directory comes from ``--data-dir`` on the command line of a job, or from the ``BANKSEG_DATA_DIR``
environment variable for Airflow-side code; the default is ``data/`` in the repository. It is a
local file system or one shared by every machine of a cluster (a mounted volume): publishing swaps
folders atomically on it (``bankseg.publish``).

Each daily run publishes two folders, each whole or not at all:

* ``warehouse/batches/ingest_date=D/``: what the run of ``D`` made of its landing files: curated
  ``transactions``, the ``quarantine``, the ``transaction_ids`` index that later runs check
  re-deliveries against, and the ``activity`` mart of the dashboards.
* ``warehouse/snapshots/snapshot_date=D/``: every customer as of ``D``: ``customer_features``,
  ``customer_segments``, ``segment_profiles``, ``segment_migration``, the per-segment statistics
  the profiles are kept from, and the dashboards' ``marts``.

A snapshot's per-customer tables (``customer_features``, ``customer_segments``, the
``segment_keys`` mart) hold a row per customer *and version*: the rows of the last full snapshot,
hard-linked, plus the rows of the customers that changed since, one file set per day. Column
``computed_on`` says which snapshot date a row was computed for; a customer's newest row is their
state (``bankseg.row_versions``; the Hive views and the dashboards apply the same rule). So a day
writes the customers it touched, not every customer, and each snapshot folder still stands alone.

Landing convention: the daily run for logical date ``D`` ingests every file in ``landing/D/``
(``*.csv`` or ``*.csv.gz`` in the Kaggle schema). One file per day suits a daily schedule and a
backfill; a single big extract (the whole Kaggle file) is dropped into the folder of the date it
was extracted, and every transaction dated on or before that day is accepted.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "BANKSEG_DATA_DIR"
LANDING_PATTERNS = ("*.csv", "*.csv.gz")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The snapshot date a row of a per-customer snapshot table was computed for: a customer's newest row wins.
COMPUTED_ON = "computed_on"


def default_data_dir() -> str:
    return os.environ.get(DATA_DIR_ENV) or str(REPOSITORY_ROOT / "data")


def _dates_under(root: str, key: str) -> list[str]:
    """The dates of the published ``<key>=YYYY-MM-DD`` folders under ``root``, oldest first."""
    folder = Path(root)
    if not folder.is_dir():
        return []
    dates = (child.name.split("=", 1)[1] for child in folder.iterdir() if child.is_dir() and child.name.startswith(f"{key}="))
    return sorted(date for date in dates if ISO_DATE.match(date))


@dataclass(frozen=True)
class Batch:
    """The folder the ETL of one run date publishes."""

    root: str

    @property
    def transactions(self) -> str:
        return f"{self.root}/transactions"

    @property
    def quarantine(self) -> str:
        return f"{self.root}/quarantine"

    @property
    def transaction_ids(self) -> str:
        """Every TransactionID the batch published, as ``transaction_id`` and its number, sorted by number."""
        return f"{self.root}/transaction_ids"

    @property
    def activity(self) -> str:
        """The batch's transactions, one row each with a keyed customer hash: what the dashboards filter."""
        return f"{self.root}/activity"


@dataclass(frozen=True)
class Snapshot:
    """The folder the daily snapshot of one date publishes."""

    root: str

    @property
    def customer_features(self) -> str:
        return f"{self.root}/customer_features"

    @property
    def customer_segments(self) -> str:
        return f"{self.root}/customer_segments"

    @property
    def segment_profiles(self) -> str:
        return f"{self.root}/segment_profiles"

    @property
    def segment_migration(self) -> str:
        return f"{self.root}/segment_migration"

    @property
    def segment_statistics(self) -> str:
        """Per segment, the counts and sums the profiles, the heatmap and the drift are derived from (``bankseg.population``)."""
        return f"{self.root}/segment_statistics"

    @property
    def scheduled_moves(self) -> str:
        """Per day, what the customers the calendar moves to another segment then take to it (``bankseg.population``)."""
        return f"{self.root}/scheduled_moves"

    def mart(self, name: str) -> str:
        """One of the small tables the dashboards read (segment_features, feature_drift, model_history, segment_keys)."""
        return f"{self.root}/marts/{name}"


@dataclass(frozen=True)
class DataLayout:
    root: str

    @classmethod
    def from_env(cls) -> DataLayout:
        return cls(default_data_dir())

    def _path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    # ------------------------------------------------------------ landing

    @property
    def landing(self) -> str:
        return self._path("landing")

    def landing_for(self, run_date: str) -> str:
        return self._path("landing", run_date)

    def landing_files(self, run_date: str) -> list[str]:
        """The landing files of ``run_date``, sorted; empty when nothing has landed for that date."""
        folder = Path(self.landing_for(run_date))
        return sorted(str(path) for pattern in LANDING_PATTERNS for path in folder.glob(pattern) if path.is_file())

    # ------------------------------------------------------------ published units

    @property
    def warehouse(self) -> str:
        return self._path("warehouse")

    @property
    def batches(self) -> str:
        return self._path("warehouse", "batches")

    def batch(self, ingest_date: str) -> Batch:
        return Batch(f"{self.batches}/ingest_date={ingest_date}")

    def batch_dates(self) -> list[str]:
        """Run dates with a published batch, oldest first."""
        return _dates_under(self.batches, "ingest_date")

    @property
    def snapshots(self) -> str:
        return self._path("warehouse", "snapshots")

    def snapshot(self, snapshot_date: str) -> Snapshot:
        return Snapshot(f"{self.snapshots}/snapshot_date={snapshot_date}")

    def snapshot_dates(self) -> list[str]:
        """Dates with a published snapshot, oldest first."""
        return _dates_under(self.snapshots, "snapshot_date")

    def latest_snapshot_date(self, on_or_before: str, before: bool = False) -> str | None:
        """The newest published snapshot dated on or before ``on_or_before`` (strictly before with ``before``)."""
        usable = [date for date in self.snapshot_dates() if (date < on_or_before if before else date <= on_or_before)]
        return usable[-1] if usable else None

    def rejected(self, job_name: str, run_date: str) -> str:
        """Where a unit that failed its quality gate is kept for inspection, out of readers' way."""
        return self._path("warehouse", "_rejected", job_name, run_date)

    # ------------------------------------------------------------ records, services

    @property
    def mlflow(self) -> str:
        """MLflow's default store: the SQLite tracking and registry database and the artifacts."""
        return self._path("mlflow")

    @property
    def quality(self) -> str:
        """Great Expectations' project (validation results, Data Docs) and the per-run result files."""
        return self._path("quality")

    def run_record(self, run_date: str, job_name: str) -> str:
        return self._path("runs", run_date, f"{job_name}.json")

    def run_records(self, job_name: str) -> dict[str, str]:
        """Run date -> record file of every run of ``job_name``, oldest first."""
        folder = Path(self.root, "runs")
        found = {path.parent.name: str(path) for path in folder.glob(f"*/{job_name}.json")} if folder.is_dir() else {}
        return dict(sorted(found.items()))

    @property
    def airflow_home(self) -> str:
        return self._path("airflow")

    @property
    def hive_metastore(self) -> str:
        """HiveServer2's embedded Derby metastore: the definitions of databases, tables, partitions and views."""
        return self._path("hive", "metastore_db")

    @property
    def hive_warehouse(self) -> str:
        """Where HiveServer2 keeps managed tables; the platform's tables are external, over the datasets above."""
        return self._path("hive", "warehouse")

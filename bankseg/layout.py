"""Where every dataset, metastore and run record of one data directory lives.

Everything a run writes sits under one data directory, so two data directories never mix.
The directory comes from ``--data-dir`` on the command line of a job, or from the
``BANKSEG_DATA_DIR`` environment variable for Airflow-side code; the default is ``data/`` in the
repository. Paths are plain strings so that a Spark job can be pointed at any Hadoop file system
URI (``hdfs://``, ``s3a://``) as well as a local folder shared by all workers.

Landing convention: the daily run for logical date ``D`` ingests every file in
``landing/D/`` (``*.csv`` or ``*.csv.gz`` in the Kaggle schema). One file per day suits a daily
schedule and a backfill; a single big extract (the whole Kaggle file) is dropped into the folder
of the date it was extracted, and every transaction dated on or before that day is accepted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "BANKSEG_DATA_DIR"


def default_data_dir() -> str:
    return os.environ.get(DATA_DIR_ENV) or str(REPOSITORY_ROOT / "data")


@dataclass(frozen=True)
class DataLayout:
    root: str

    @classmethod
    def from_env(cls) -> DataLayout:
        return cls(default_data_dir())

    def _path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    @property
    def landing(self) -> str:
        return self._path("landing")

    def landing_for(self, run_date: str) -> str:
        return self._path("landing", run_date)

    @property
    def curated_transactions(self) -> str:
        return self._path("warehouse", "curated", "transactions")

    @property
    def quarantine(self) -> str:
        return self._path("warehouse", "quarantine", "transactions")

    @property
    def customer_features(self) -> str:
        return self._path("warehouse", "features", "customer_features")

    @property
    def staging(self) -> str:
        return self._path("warehouse", "_staging")

    def rejected(self, dataset: str, run_date: str) -> str:
        """Where a batch that failed its quality gate is kept for inspection, out of readers' way."""
        return self._path("warehouse", "_rejected", dataset, run_date)

    @property
    def customer_segments(self) -> str:
        return self._path("warehouse", "segments", "customer_segments")

    @property
    def segment_profiles(self) -> str:
        return self._path("warehouse", "segments", "segment_profiles")

    @property
    def segment_migration(self) -> str:
        return self._path("warehouse", "segments", "segment_migration")

    @property
    def dashboard_marts(self) -> str:
        """The small pre-aggregated tables the dashboards read, one partition per snapshot date."""
        return self._path("marts", "dashboards")

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

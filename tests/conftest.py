"""Shared fixtures: one small local Spark session per test run, and the real Kaggle sample."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

import pytest

from bankseg.layout import REPOSITORY_ROOT
from bankseg.spark import build_session

REAL_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank_transactions_real_sample.csv"

# Spark's workers and spark-submit must use this interpreter, and stay on loopback.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Airflow reads its home when first imported: tests never touch a developer's own Airflow.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="bankseg-airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
# The DAGs import the operators in plugins/, which Airflow puts on sys.path from this setting.
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPOSITORY_ROOT / "plugins")

TEST_SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "1g",
}


@pytest.fixture(scope="session")
def spark():
    session = build_session("bankseg-tests", TEST_SPARK_CONF)
    yield session
    session.stop()


@pytest.fixture
def real_sample() -> Path:
    if not REAL_SAMPLE.exists():
        pytest.skip(f"the real Kaggle sample is not at {REAL_SAMPLE} (it lives in the shared folder beside the repo)")
    return REAL_SAMPLE

# py4j logs from object finalisers at interpreter exit, after pytest has closed its streams.
logging.getLogger("py4j").setLevel(logging.WARNING)

"""Shared fixtures: one small local Spark session per test run, and the real Kaggle sample."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import __main__

import pytest

# A pytest-xdist worker's __main__ has no file. pyspark.sql.connect, which Great Expectations
# imports, takes such a process for its own doctest run and exits it; a worker is not one.
if not hasattr(__main__, "__file__"):
    __main__.__file__ = __file__

from bankseg.layout import REPOSITORY_ROOT
from bankseg.spark import build_session

REAL_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank_transactions_real_sample.csv"

# Spark's workers and spark-submit must use this interpreter, and stay on loopback.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Test JVMs (the session below, every spark-submit and HiveServer2 the tests start) live for
# seconds to minutes on small data: HotSpot's optimising compiler spends more CPU than it saves
# there (a first `make run` on 20,000 rows: 296 s of CPU and 252 s with it, 205 s and 208 s
# without). Results do not depend on it; `make bench` runs the JVMs as they ship. The property
# passes the same option on to the executors of the standalone cluster's applications.
os.environ.setdefault("SPARK_SUBMIT_OPTS", "-XX:TieredStopAtLevel=1 -Dspark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1")
# Airflow reads its home when first imported: tests never touch a developer's own Airflow.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="bankseg-airflow-home-")
atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
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


# `make test` hands each pytest-xdist worker whole files in collection order: the longest files
# start first, so the run does not end waiting on one that started late.
LONGEST_FIRST = ("test_daily_dag_e2e.py", "test_cluster.py", "test_hive.py", "test_training.py", "test_etl_job.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def spark():
    session = build_session("bankseg-tests", TEST_SPARK_CONF)
    yield session
    session.stop()


def platform_ports_env() -> dict[str, str]:
    """The environment with free ports for every service `make run` / `make up` start, so tests never
    collide with a developer's platform or with each other."""
    from bankseg.standalone_cluster import free_port

    return {
        **os.environ,
        "BANKSEG_AIRFLOW_PORT": str(free_port()),
        "BANKSEG_HIVE_PORT": str(free_port()),
        "BANKSEG_MLFLOW_PORT": str(free_port()),
    }


def stop_platform(data_dir: Path, env: dict[str, str]) -> None:
    """`make down` for a test's data directory: `make run` leaves HiveServer2 up for analysts."""
    command = [sys.executable, "-m", "bankseg.cli", "--data-dir", str(data_dir), "down"]
    subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture
def real_sample() -> Path:
    if not REAL_SAMPLE.exists():
        pytest.skip(f"the real Kaggle sample is not at {REAL_SAMPLE} (it lives in the shared folder beside the repo)")
    return REAL_SAMPLE

# py4j logs from object finalisers at interpreter exit, after pytest has closed its streams.
logging.getLogger("py4j").setLevel(logging.WARNING)


# ---------------------------------------------------------------- which sockets a process group listens on


def decode_proc_address(hex_address: str) -> str:
    """/proc/net/tcp{,6} print an address as 32-bit words in the machine's byte order."""
    words = [int(hex_address[i : i + 8], 16) for i in range(0, len(hex_address), 8)]
    packed = b"".join(word.to_bytes(4, sys.byteorder) for word in words)
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)


def listening_sockets(pgid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket that a process of the group listens on."""
    inodes = set()
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if os.getpgid(int(process.name)) != pgid:
                continue
            for fd in (process / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
        except (ProcessLookupError, FileNotFoundError):  # the process or fd went away meanwhile
            continue
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                listening.add((decode_proc_address(address), int(port, 16)))
    return listening


def hive_catalog(layout, port: int) -> dict:
    """Every table and view of the platform's databases, and each table's partitions and rows, as
    the service user of ``layout``'s HiveServer2 on ``port`` sees them."""
    from bankseg import endpoints, hive

    with hive.connect(layout, endpoints.HIVE_SERVICE_USER, port=port) as connection:
        cursor = connection.cursor()

        def rows(sql: str) -> list[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        names = sorted(row[1] for database in ("bank", "bank_restricted") for row in rows(f"SHOW TABLES IN {database}"))
        partitions = {table.name: sorted(rows(f"SHOW PARTITIONS {table.qualified_name}")) for table in hive.TABLES}
        counts = {table.name: rows(f"SELECT count(*) FROM {table.qualified_name}") for table in hive.TABLES}
    return {"names": names, "partitions": partitions, "rows": counts}


def is_loopback(address: str) -> bool:
    return address in {"127.0.0.1", "::1", "::ffff:127.0.0.1"}

"""Where the local platform's services listen, and the URLs and commands that reach them.

Every port moves with an environment variable (tests, a busy default port); the compose stack uses
the defaults. No heavy imports: the CLI, the services and the healthchecks all read these.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

AIRFLOW_HOST = "127.0.0.1"
AIRFLOW_PORT_ENV = "BANKSEG_AIRFLOW_PORT"
DEFAULT_AIRFLOW_PORT = 8080
AIRFLOW_ADMIN_USER = "admin"
HIVE_HOST = "127.0.0.1"
HIVE_PORT_ENV = "BANKSEG_HIVE_PORT"
DEFAULT_HIVE_PORT = 10000
HIVE_DATABASE = "bank"
# The analysts' database holds views only; the tables, personal data included, are in this one,
# which only the service user reads (hive/server/bankseg/hiveserver2/SessionGuard.java).
HIVE_RESTRICTED_DATABASE = "bank_restricted"
# HiveServer2's two logins: the service user registers the tables (Airflow's hiveserver2_default);
# analysts read the views of HIVE_DATABASE and nothing else. Passwords: bankseg.credentials.
HIVE_SERVICE_USER = "bankseg"
HIVE_ANALYST_USER = "analyst"
MLFLOW_HOST = "127.0.0.1"
MLFLOW_PORT_ENV = "BANKSEG_MLFLOW_PORT"
DEFAULT_MLFLOW_PORT = 5000


def airflow_port() -> int:
    """The Airflow API server and UI port; an environment variable moves it (tests, a busy 8080)."""
    return int(os.environ.get(AIRFLOW_PORT_ENV, DEFAULT_AIRFLOW_PORT))


def airflow_url() -> str:
    return f"http://{AIRFLOW_HOST}:{airflow_port()}"


def mlflow_port() -> int:
    """The MLflow UI and tracking server port; an environment variable moves it."""
    return int(os.environ.get(MLFLOW_PORT_ENV, DEFAULT_MLFLOW_PORT))


def dashboards_url() -> str:
    """The dashboards, served by the Airflow API server through the plugin plugins/bankseg_dashboards.py."""
    return f"{airflow_url()}/bankseg/"


def mlflow_url() -> str:
    return f"http://{MLFLOW_HOST}:{mlflow_port()}"


def hive_port() -> int:
    """The HiveServer2 port; an environment variable moves it (tests, a busy 10000)."""
    return int(os.environ.get(HIVE_PORT_ENV, DEFAULT_HIVE_PORT))


def hive_jdbc_url(database: str = HIVE_DATABASE) -> str:
    return f"jdbc:hive2://{HIVE_HOST}:{hive_port()}/{database}"


def spark_home() -> Path:
    """The pyspark package, which is a complete Spark: its bin/ has spark-submit and beeline."""
    return Path(importlib.util.find_spec("pyspark").submodule_search_locations[0])


def beeline_command(password_file: str, user: str = HIVE_ANALYST_USER, database: str = HIVE_DATABASE) -> str:
    """beeline signed in as ``user``, its password read from ``password_file`` (-w), never on the command line."""
    # pyspark/bin/beeline rather than the venv's copy: that one needs a python3 that imports pyspark.
    return f"{spark_home() / 'bin' / 'beeline'} -u {hive_jdbc_url(database)} -n {user} -w {password_file}"

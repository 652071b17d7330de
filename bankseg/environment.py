"""The environment for Airflow commands and the Spark jobs they submit.

Every setting that differs between the embedded default and a cluster (data directory, Airflow
home, the ``spark_default`` master, the ``hiveserver2_default`` endpoint) is an environment
variable, so the same DAGs and jobs run in both places.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bankseg import credentials
from bankseg.endpoints import (
    AIRFLOW_ADMIN_USER,
    AIRFLOW_HOST,
    HIVE_HOST,
    HIVE_SERVICE_USER,
    airflow_port,
    airflow_url,
    hive_port,
)
from bankseg.layout import DATA_DIR_ENV, REPOSITORY_ROOT, DataLayout

DEFAULT_SPARK_MASTER = "local[*]"
MIN_JAVA_MAJOR = 17


class PlatformError(RuntimeError):
    """A prerequisite is missing or a service did not start; the message says what to do."""


def venv_bin() -> Path:
    return Path(sys.executable).parent


def check_java() -> str:
    """The Java version line, or a clear error when Spark cannot run on this machine."""
    java = shutil.which("java", path=os.environ.get("PATH"))
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        java = str(Path(java_home) / "bin" / "java")
    if not java:
        raise PlatformError(
            "Java was not found. Spark needs Java 17 or 21, and HiveServer2 a JDK (javac): install one "
            "(Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME."
        )
    output = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)', output)
    if not match or int(match.group(1)) < MIN_JAVA_MAJOR:
        raise PlatformError(f"Spark 4 needs Java {MIN_JAVA_MAJOR}+, found: {output.strip() or java}")
    return output.splitlines()[0]


def platform_env(layout: DataLayout, spark_master: str | None = None) -> dict[str, str]:
    """Environment for Airflow commands and the Spark jobs they submit."""
    master = spark_master or os.environ.get("BANKSEG_SPARK_MASTER", DEFAULT_SPARK_MASTER)
    env = dict(os.environ)
    env.update(
        {
            DATA_DIR_ENV: layout.root,
            "PATH": f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}",
            "PYSPARK_PYTHON": sys.executable,
            "SPARK_LOCAL_IP": "127.0.0.1",
            "AIRFLOW_HOME": layout.airflow_home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPOSITORY_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPOSITORY_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # The platform exists to run daily: its DAGs start unpaused, so schedules and backfills run.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # User "admin" with role Admin; the API server generates its password into the file below.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{AIRFLOW_ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                Path(layout.airflow_home) / "simple_auth_manager_passwords.json.generated"
            ),
            "AIRFLOW__API__HOST": AIRFLOW_HOST,
            "AIRFLOW__API__PORT": str(airflow_port()),
            "AIRFLOW__API__BASE_URL": airflow_url(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{airflow_url()}/execution/",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            # Spark jobs take the cores; Airflow's default of 32 task slots would only add idle workers.
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": master}),
            # The platform's HiveServer2 checks passwords (auth CUSTOM, bankseg.hiveserver2); the
            # registration task signs in as the service user, the only one that may write DDL.
            "AIRFLOW_CONN_HIVESERVER2_DEFAULT": json.dumps(
                {
                    "conn_type": "hiveserver2",
                    "host": HIVE_HOST,
                    "port": hive_port(),
                    "schema": "default",
                    "login": HIVE_SERVICE_USER,
                    "password": credentials.hive_password(layout, HIVE_SERVICE_USER),
                    "extra": {"auth_mechanism": "CUSTOM"},
                }
            ),
        }
    )
    # MLflow's set_tracking_uri, called by this process for some data directory, leaves that store's
    # URI in the environment; jobs for this layout must not inherit it. A server the user configured stays.
    from bankseg import tracking  # imports MLflow: only when an environment is built

    if tracking.configured_tracking_uri() is None:
        env.pop(tracking.TRACKING_URI_ENV, None)
    return env

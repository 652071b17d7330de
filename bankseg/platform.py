"""The local platform: environment for Airflow and Spark, and the services ``make up`` starts.

Every setting that differs between the embedded default and a cluster (data directory, Airflow
home, the ``spark_default`` master) is an environment variable, so the same DAGs and jobs run in
both places. Services started here run in their own process group, recorded in a PID file under
the data directory, and are stopped by that PID only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bankseg.layout import DATA_DIR_ENV, REPOSITORY_ROOT, DataLayout

AIRFLOW_HOST = "127.0.0.1"
AIRFLOW_PORT = 8080
AIRFLOW_ADMIN_USER = "admin"
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
            "Java was not found. Spark needs a Java 17 or 21 runtime: install one "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
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
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{AIRFLOW_ADMIN_USER}:admin",
            "AIRFLOW__API__HOST": AIRFLOW_HOST,
            "AIRFLOW__API__PORT": str(AIRFLOW_PORT),
            "AIRFLOW__API__BASE_URL": f"http://{AIRFLOW_HOST}:{AIRFLOW_PORT}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{AIRFLOW_HOST}:{AIRFLOW_PORT}/execution/",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": master}),
        }
    )
    return env


def airflow(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv_bin() / "airflow"), *args], env=env, **kwargs)


def migrate_airflow_db(env: dict[str, str]) -> None:
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    result = airflow(["db", "migrate"], env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PlatformError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def test_dag_run(dag_id: str, logical_date: str, env: dict[str, str], log_path: Path) -> None:
    """Run one DAG run through Airflow (``airflow dags test``), its log in ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        result = airflow(["dags", "test", dag_id, logical_date], env, stdout=log, stderr=subprocess.STDOUT, check=False)
    text = log_path.read_text()
    failed = result.returncode != 0 or re.search(r"state=DagRunState.FAILED|DagRun Finished: .*state=failed", text)
    if failed:
        raise PlatformError(f"{dag_id} {logical_date} failed (exit {result.returncode}); full log: {log_path}")


# ---------------------------------------------------------------- background services


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    health_url: str

    def pid_file(self, layout: DataLayout) -> Path:
        return Path(layout.root) / "pids" / f"{self.name}.pid"

    def log_file(self, layout: DataLayout) -> Path:
        return Path(layout.root) / "logs" / f"{self.name}.log"


def airflow_service() -> Service:
    return Service(
        name="airflow",
        command=[str(venv_bin() / "airflow"), "standalone"],
        health_url=f"http://{AIRFLOW_HOST}:{AIRFLOW_PORT}/api/v2/monitor/health",
    )


def running_pid(service: Service, layout: DataLayout) -> int | None:
    pid_file = service.pid_file(layout)
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pid_file.unlink()
        return None
    return pid


def wait_until_healthy(url: str, timeout_seconds: float, log_file: Path) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(2)
    raise PlatformError(f"{url} did not answer within {timeout_seconds:.0f} s; see {log_file}")


def start_service(service: Service, layout: DataLayout, env: dict[str, str], timeout_seconds: float = 240) -> int:
    pid = running_pid(service, layout)
    if pid is None:
        log_file = service.log_file(layout)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        service.pid_file(layout).parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a") as log:
            process = subprocess.Popen(
                service.command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        pid = process.pid
        service.pid_file(layout).write_text(str(pid))
    wait_until_healthy(service.health_url, timeout_seconds, service.log_file(layout))
    return pid


def stop_service(service: Service, layout: DataLayout, timeout_seconds: float = 30) -> bool:
    """Stop the service's process group (it was started in a session of its own). True if it ran."""
    pid = running_pid(service, layout)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.killpg(pid, signal.SIGKILL)
    service.pid_file(layout).unlink(missing_ok=True)
    return True


def airflow_admin_password(layout: DataLayout) -> str | None:
    generated = Path(layout.airflow_home) / "simple_auth_manager_passwords.json.generated"
    if not generated.exists():
        return None
    return json.loads(generated.read_text()).get(AIRFLOW_ADMIN_USER)

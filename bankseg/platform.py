"""The local platform: environment for Airflow and Spark, and the services ``make up`` starts.

Every setting that differs between the embedded default and a cluster (data directory, Airflow
home, the ``spark_default`` master, the ``hiveserver2_default`` endpoint) is an environment
variable, so the same DAGs and jobs run in both places. Services started here run in their own
process group, recorded in a PID file under the data directory, and are stopped by that PID only.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyhive import hive
from pyhive.exc import Error as PyHiveError
from thrift.Thrift import TException
from thrift.transport import TSocket
from thrift_sasl import TSaslClientTransport

from bankseg.layout import DATA_DIR_ENV, REPOSITORY_ROOT, DataLayout

AIRFLOW_HOST = "127.0.0.1"
AIRFLOW_PORT_ENV = "BANKSEG_AIRFLOW_PORT"
DEFAULT_AIRFLOW_PORT = 8080
AIRFLOW_ADMIN_USER = "admin"
HIVE_HOST = "127.0.0.1"
HIVE_PORT_ENV = "BANKSEG_HIVE_PORT"
DEFAULT_HIVE_PORT = 10000
HIVE_DATABASE = "bank"
MLFLOW_HOST = "127.0.0.1"
MLFLOW_PORT_ENV = "BANKSEG_MLFLOW_PORT"
DEFAULT_MLFLOW_PORT = 5000
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


def beeline_command(database: str = HIVE_DATABASE) -> str:
    # pyspark/bin/beeline rather than the venv's copy: that one needs a python3 that imports pyspark.
    return f"{spark_home() / 'bin' / 'beeline'} -u {hive_jdbc_url(database)}"


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
            # The platform's HiveServer2 (Spark Thrift Server) runs without authentication (NONE):
            # any user name, no password. The hook then logs in as "airflow".
            "AIRFLOW_CONN_HIVESERVER2_DEFAULT": json.dumps(
                {
                    "conn_type": "hiveserver2",
                    "host": HIVE_HOST,
                    "port": hive_port(),
                    "schema": "default",
                    "extra": {"auth_mechanism": "NONE"},
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


def airflow(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv_bin() / "airflow"), *args], env=env, **kwargs)


def migrate_airflow_db(env: dict[str, str]) -> None:
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    result = airflow(["db", "migrate"], env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PlatformError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


DAG_TEST_TASK_START = re.compile(r"^(?P<at>\S+) .*\[DAG TEST\] starting task_id=(?P<task>\S+)")
DAG_TEST_TASK_END = re.compile(r"^(?P<at>\S+) .*\[DAG TEST\] end task task_id=(?P<task>\S+)")
DAG_TEST_TASK_STATE = re.compile(r"Task instance state updated .* new_state=(?P<state>\w+)")
DAG_TEST_FAILED = re.compile(r"state=DagRunState.FAILED|DagRun Finished: .*state=failed")


@dataclass(frozen=True)
class TaskOutcome:
    task_id: str
    state: str
    seconds: float

    def line(self) -> str:
        return f"  {self.task_id:<24} {self.state:<14} {self.seconds:7.1f} s"


def _seconds_between(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()


class DagTestProgress:
    """Reads ``airflow dags test`` output line by line: which task ended, in which state, after how long."""

    def __init__(self) -> None:
        self.started: dict[str, str] = {}
        self.state = "unknown"
        self.failed = False
        self.outcomes: list[TaskOutcome] = []

    def feed(self, line: str) -> TaskOutcome | None:
        self.failed = self.failed or bool(DAG_TEST_FAILED.search(line))
        if match := DAG_TEST_TASK_START.search(line):
            self.started[match["task"]], self.state = match["at"], "unknown"
        elif match := DAG_TEST_TASK_STATE.search(line):
            self.state = match["state"]
        elif (match := DAG_TEST_TASK_END.search(line)) and match["task"] in self.started:
            seconds = round(_seconds_between(self.started.pop(match["task"]), match["at"]), 1)
            self.outcomes.append(TaskOutcome(match["task"], self.state, seconds))
            return self.outcomes[-1]
        return None


def dag_test_command(dag_id: str, logical_date: str, conf: dict | None = None) -> list[str]:
    """``airflow dags test`` of one run, ``conf`` as the run's params."""
    return [str(venv_bin() / "airflow"), "dags", "test", dag_id, logical_date, *(["--conf", json.dumps(conf)] if conf else [])]


def run_dag(
    dag_id: str, logical_date: str, env: dict[str, str], log_path: Path, conf: dict | None = None,
    on_task: Callable[[TaskOutcome], None] | None = None,
) -> list[TaskOutcome]:
    """Run one DAG run through Airflow, its log in ``log_path``; ``on_task`` hears of each task as it
    ends. Returns every task that ran."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    progress = DagTestProgress()
    with log_path.open("w") as log:
        process = subprocess.Popen(dag_test_command(dag_id, logical_date, conf), env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in process.stdout:
            log.write(line)
            if (outcome := progress.feed(line)) is not None and on_task is not None:
                on_task(outcome)
        returncode = process.wait()
    if returncode != 0 or progress.failed:
        raise PlatformError(f"{dag_id} {logical_date} failed (exit {returncode}); full log: {log_path}")
    return progress.outcomes


# ---------------------------------------------------------------- background services


@dataclass(frozen=True)
class Service:
    """A long-running program of the local platform, listening on ``host:port``. It is healthy when
    ``is_healthy()`` says it answers requests, which is more than an open port."""

    name: str
    command: list[str]
    host: str
    port: int
    # The environment variable that moves the port, named when the port is taken.
    port_env: str
    # What ``is_healthy`` checks, for messages.
    health_check: str
    is_healthy: Callable[[], bool]

    def pid_file(self, layout: DataLayout) -> Path:
        return Path(layout.root) / "pids" / f"{self.name}.pid"

    def log_file(self, layout: DataLayout) -> Path:
        return Path(layout.root) / "logs" / f"{self.name}.log"


def http_answers(url: str, accepts: Callable[[bytes], bool]) -> bool:
    """True when ``url`` answers 200 with a body that ``accepts`` takes."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200 and accepts(response.read())
    except (OSError, ValueError):  # not listening yet, or a half-started server's answer
        return False


def airflow_components_healthy(body: bytes) -> bool:
    """The health endpoint answers as soon as the API server runs; the UI only works (DAGs parsed,
    runs scheduled) once the scheduler, DAG processor and triggerer heartbeat as well."""
    return all(component.get("status") == "healthy" for component in json.loads(body).values())


def airflow_service() -> Service:
    # Migrates the database, then runs the scheduler, DAG processor, triggerer and API server (which
    # generates the admin password) as children, all in one process group, all on loopback.
    health_url = f"{airflow_url()}/api/v2/monitor/health"
    return Service(
        name="airflow",
        command=[sys.executable, "-m", "bankseg.airflow_components"],
        host=AIRFLOW_HOST,
        port=airflow_port(),
        port_env=AIRFLOW_PORT_ENV,
        health_check=health_url,
        is_healthy=functools.partial(http_answers, health_url, airflow_components_healthy),
    )


def hiveserver2_answers(host: str, port: int, timeout_seconds: float = 10) -> bool:
    """True when HiveServer2 on ``host:port`` runs ``SELECT 1``: its metastore is up and it plans queries."""
    if not port_in_use(host, port):  # saves the Thrift client's error line on every poll while starting
        return False
    socket_ = TSocket.TSocket(host, port)
    socket_.setTimeout(timeout_seconds * 1000)  # a server that accepts but never answers must not hang us
    # What PyHive builds for auth NONE (SASL PLAIN, any user, any non-empty password), plus the timeout.
    transport = TSaslClientTransport(
        lambda: hive.get_installed_sasl(host=host, sasl_auth="PLAIN", username="bankseg", password="x"),
        "PLAIN",
        socket_,
    )
    try:
        with hive.connect(thrift_transport=transport, username="bankseg") as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            return cursor.fetchall() == [(1,)]
    except (TException, PyHiveError, OSError, EOFError):  # refused, reset, timed out, or not ready
        return False


def hiveserver2_service() -> Service:
    # The Spark Thrift Server of this data directory (bankseg.hiveserver2), on loopback.
    return Service(
        name="hiveserver2",
        command=[sys.executable, "-m", "bankseg.hiveserver2"],
        host=HIVE_HOST,
        port=hive_port(),
        port_env=HIVE_PORT_ENV,
        health_check=f"SELECT 1 on {hive_jdbc_url()}",
        is_healthy=functools.partial(hiveserver2_answers, HIVE_HOST, hive_port()),
    )


def mlflow_service() -> Service:
    # The UI, tracking API and registry over the SQLite store and artifacts the jobs write.
    return Service(
        name="mlflow",
        command=[sys.executable, "-m", "bankseg.tracking", MLFLOW_HOST, str(mlflow_port())],
        host=MLFLOW_HOST,
        port=mlflow_port(),
        port_env=MLFLOW_PORT_ENV,
        health_check=f"{mlflow_url()}/health",
        is_healthy=functools.partial(http_answers, f"{mlflow_url()}/health", lambda body: body.strip() == b"OK"),
    )


def platform_services() -> list[Service]:
    """What `make up` starts, in this order; `make down` stops them in reverse order."""
    return [airflow_service(), hiveserver2_service(), mlflow_service()]


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def running_pid(service: Service, layout: DataLayout) -> int | None:
    """The recorded PID while any process of its group is left (a child may outlive the leader);
    a stale PID file is removed."""
    pid_file = service.pid_file(layout)
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip())
    if not process_group_alive(pid):
        pid_file.unlink()
        return None
    return pid


def wait_until_healthy(
    service: Service, layout: DataLayout, timeout_seconds: float, process: subprocess.Popen | None = None
) -> None:
    """Poll the health check; give up early if ``process`` (the one just started) exits."""
    log_file = service.log_file(layout)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if service.is_healthy():
            return
        if process is not None and process.poll() is not None:
            raise PlatformError(f"{service.name} exited with code {process.returncode} while starting; see {log_file}")
        time.sleep(2)
    raise PlatformError(
        f"{service.name} was not healthy ({service.health_check}) within {timeout_seconds:.0f} s; see {log_file}"
    )


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def start_service(service: Service, layout: DataLayout, env: dict[str, str], timeout_seconds: float = 240) -> int:
    """Start the service in a session (process group) of its own, record its PID, wait until healthy.

    A service that does not become healthy is stopped again, so a failed start leaves nothing running.
    """
    if running_pid(service, layout) is not None:
        raise PlatformError(f"{service.name} is already running (PID file {service.pid_file(layout)})")
    # Another program on the port would answer the health check in our place.
    if port_in_use(service.host, service.port):
        raise PlatformError(
            f"{service.host}:{service.port} is already in use by another program: stop it, "
            f"or pick another port for {service.name} ({service.port_env}=...)"
        )
    log_file = service.log_file(layout)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    service.pid_file(layout).parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a") as log:
        # umask 077: what a service writes (Airflow's generated password file, MLflow's user store)
        # only its owner can read.
        process = subprocess.Popen(service.command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, umask=0o077)
    service.pid_file(layout).write_text(str(process.pid))
    # Reap our child as soon as it exits: as a zombie it would keep its process group "alive" while
    # this process runs on (a failed start, `make run`, a test that stops what it started).
    threading.Thread(target=process.wait, daemon=True).start()
    try:
        wait_until_healthy(service, layout, timeout_seconds, process)
    except PlatformError:
        stop_service(service, layout)
        raise
    return process.pid


def ensure_hiveserver2(layout: DataLayout, env: dict[str, str]) -> int:
    """HiveServer2 of this data directory, started unless it already runs; returns its PID.

    `make run` calls this before the DAG run, whose registration task needs it; it stays up for
    analysts afterwards, until `make down`.
    """
    service = hiveserver2_service()
    pid = running_pid(service, layout)
    if pid is None:
        return start_service(service, layout, env)
    wait_until_healthy(service, layout, timeout_seconds=60)
    return pid


def wait_for_group_exit(pgid: int, timeout_seconds: float) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if not process_group_alive(pgid):
            return True
        time.sleep(0.5)
    return False


def stop_service(service: Service, layout: DataLayout, timeout_seconds: float = 30) -> bool:
    """Stop the service's process group (it was started in a session of its own). True if it ran."""
    pid = running_pid(service, layout)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):  # it may exit between the check and the signal
        os.killpg(pid, signal.SIGTERM)
    if not wait_for_group_exit(pid, timeout_seconds):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if not wait_for_group_exit(pid, 10):
            raise PlatformError(f"process group {pid} of {service.name} survived SIGKILL")
    service.pid_file(layout).unlink(missing_ok=True)
    return True


def airflow_admin_password(env: dict[str, str]) -> str:
    """The admin password the API server generates when it first starts (kept
    across restarts)."""
    generated = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    return json.loads(generated.read_text())[AIRFLOW_ADMIN_USER]

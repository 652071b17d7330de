"""The background services ``make up`` starts (Airflow, HiveServer2, MLflow) and their supervision.

Each service runs in its own process group, recorded in a PID file under the data directory, and is
stopped by that PID only. It is healthy when it answers a request, which is more than an open port.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
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

from bankseg.endpoints import (
    AIRFLOW_HOST,
    AIRFLOW_PORT_ENV,
    HIVE_HOST,
    HIVE_PORT_ENV,
    HIVE_SERVICE_USER,
    MLFLOW_HOST,
    MLFLOW_PORT_ENV,
    airflow_port,
    airflow_url,
    hive_jdbc_url,
    hive_port,
    mlflow_port,
    mlflow_url,
)
from bankseg import credentials
from bankseg.environment import PlatformError
from bankseg.layout import DataLayout


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


def hiveserver2_answers(host: str, port: int, password: Callable[[], str], timeout_seconds: float = 10) -> bool:
    """True when HiveServer2 on ``host:port`` runs ``SELECT 1`` for the service user, whose password
    ``password()`` gives: its metastore is up, it plans queries and its login works."""
    if not port_in_use(host, port):  # saves the Thrift client's error line on every poll while starting
        return False
    socket_ = TSocket.TSocket(host, port)
    socket_.setTimeout(timeout_seconds * 1000)  # a server that accepts but never answers must not hang us
    # What PyHive builds for auth CUSTOM (SASL PLAIN with user name and password), plus the timeout.
    secret = password()
    transport = TSaslClientTransport(
        lambda: hive.get_installed_sasl(host=host, sasl_auth="PLAIN", username=HIVE_SERVICE_USER, password=secret),
        "PLAIN",
        socket_,
    )
    try:
        with hive.connect(thrift_transport=transport) as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            return cursor.fetchall() == [(1,)]
    except (TException, PyHiveError, OSError, EOFError):  # refused, reset, timed out, or not ready
        return False


def hiveserver2_service(layout: DataLayout) -> Service:
    # The Spark Thrift Server of this data directory (bankseg.hiveserver2), on loopback.
    password = functools.partial(credentials.hive_password, layout, HIVE_SERVICE_USER)
    return Service(
        name="hiveserver2",
        command=[sys.executable, "-m", "bankseg.hiveserver2"],
        host=HIVE_HOST,
        port=hive_port(),
        port_env=HIVE_PORT_ENV,
        health_check=f"SELECT 1 on {hive_jdbc_url()}",
        is_healthy=functools.partial(hiveserver2_answers, HIVE_HOST, hive_port(), password),
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


def platform_services(layout: DataLayout) -> list[Service]:
    """What `make up` starts, in this order; `make down` stops them in reverse order."""
    return [airflow_service(), hiveserver2_service(layout), mlflow_service()]


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


def launch_service(service: Service, layout: DataLayout, env: dict[str, str]) -> subprocess.Popen:
    """Start the service in a session (process group) of its own and record its PID; returns at once.
    ``await_healthy`` waits for it, so several services can start side by side."""
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
    return process


def await_healthy(service: Service, layout: DataLayout, process: subprocess.Popen, timeout_seconds: float = 240) -> int:
    """Wait until the service ``launch_service`` started is healthy; one that does not become healthy
    is stopped again, so a failed start leaves nothing running. Returns its PID."""
    try:
        wait_until_healthy(service, layout, timeout_seconds, process)
    except PlatformError:
        stop_service(service, layout)
        raise
    return process.pid


def start_service(service: Service, layout: DataLayout, env: dict[str, str], timeout_seconds: float = 240) -> int:
    """Start the service and wait until it is healthy; returns its PID."""
    return await_healthy(service, layout, launch_service(service, layout, env), timeout_seconds)


def launch_unless_running(service: Service, layout: DataLayout, env: dict[str, str]) -> subprocess.Popen | None:
    """``launch_service`` unless the service already runs (then None); ``await_running`` follows."""
    return None if running_pid(service, layout) is not None else launch_service(service, layout, env)


def await_running(service: Service, layout: DataLayout, launched: subprocess.Popen | None) -> int:
    """The PID of the service once healthy: the one just launched, or the one that already ran."""
    if launched is not None:
        return await_healthy(service, layout, launched)
    wait_until_healthy(service, layout, timeout_seconds=60)
    return running_pid(service, layout)


def ensure_hiveserver2(layout: DataLayout, env: dict[str, str]) -> int:
    """HiveServer2 of this data directory, started unless it already runs; returns its PID once it
    answers. It stays up for analysts afterwards, until `make down`."""
    service = hiveserver2_service(layout)
    return await_running(service, layout, launch_unless_running(service, layout, env))


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

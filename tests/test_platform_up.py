"""`make up` starts every service at once; when one cannot start, it says why and leaves nothing running.

The platform coming up in full (logins, loopback sockets, the dashboards in the Airflow UI) is
tested end to end in test_daily_dag_e2e.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from conftest import platform_ports_env

pytestmark = pytest.mark.services


def test_a_taken_port_fails_up_naming_it_and_stops_what_up_started(tmp_path):
    env = platform_ports_env()
    mlflow_port = int(env["BANKSEG_MLFLOW_PORT"])
    with socket.socket() as squatter:  # another program on MLflow's port
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", mlflow_port))
        squatter.listen()
        command = [sys.executable, "-m", "bankseg.cli", "--data-dir", str(tmp_path), "up"]
        up = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert up.returncode != 0
    assert f"127.0.0.1:{mlflow_port} is already in use by another program" in up.stderr, up.stderr[-3000:]
    assert "BANKSEG_MLFLOW_PORT=..." in up.stderr
    # Airflow and HiveServer2 were launched before MLflow's port was found taken: both were stopped again.
    assert "starting airflow" in up.stdout and "starting hiveserver2" in up.stdout, up.stdout
    assert not list((tmp_path / "pids").glob("*.pid")), "a service was left running"

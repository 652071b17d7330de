"""`bankseg up` / `down` against the real Airflow components: the printed login works, the DAG is
served without import errors, every socket the platform opens is on loopback, and `down` stops
exactly the process group `up` recorded."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bankseg.layout import REPOSITORY_ROOT
from conftest import is_loopback, listening_sockets, platform_ports_env

DAG_ID = "bank_segmentation_daily"

pytestmark = [
    pytest.mark.airflow,
    pytest.mark.timeout(420),
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets from Linux /proc"),
]


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def api(base_url: str, path: str, token: str | None = None, payload: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(base_url + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def platform_cli(tmp_path):
    """Runs `python -m bankseg.cli --data-dir tmp_path ...` on a free port; always runs `down` after."""
    env = platform_ports_env()
    port = int(env["BANKSEG_AIRFLOW_PORT"])

    def cli(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bankseg.cli", "--data-dir", str(tmp_path), command],
            env=env,
            cwd=REPOSITORY_ROOT,
            capture_output=True,
            text=True,
            timeout=330,
            check=False,
        )

    yield cli, port
    cli("down")  # safe when the test already stopped it


def test_up_serves_the_dag_on_loopback_and_down_stops_its_process_group(platform_cli, tmp_path):
    cli, port = platform_cli
    base_url = f"http://127.0.0.1:{port}"

    up = cli("up")
    assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{(tmp_path / 'logs' / 'airflow.log').read_text()[-5000:]}"
    assert f"Airflow UI   {base_url}" in up.stdout
    password = re.search(r"login\s+admin / (\S+)", up.stdout).group(1)
    pid = int((tmp_path / "pids" / "airflow.pid").read_text())
    assert os.getpgid(pid) == pid, "started in a session (process group) of its own"

    with urllib.request.urlopen(base_url + "/", timeout=10) as ui:
        assert ui.status == 200
    token = api(base_url, "/auth/token", payload={"username": "admin", "password": password})["access_token"]
    # `up` returns once the DAG processor heartbeats; its first parse of the DAG may still be under way.
    deadline = time.monotonic() + 60
    while DAG_ID not in (dag_ids := {dag["dag_id"] for dag in api(base_url, "/api/v2/dags", token)["dags"]}):
        assert time.monotonic() < deadline, f"{DAG_ID} not listed, only {dag_ids}"
        time.sleep(2)
    assert api(base_url, "/api/v2/importErrors", token)["import_errors"] == []

    # The dashboards plugin: mounted in the API server, linked from the UI's navigation, behind the
    # Airflow login. Nothing has run in this data directory, so the page says how to get data.
    assert f"Dashboards   {base_url}/bankseg/" in up.stdout
    plugins = {plugin["name"]: plugin for plugin in api(base_url, "/api/v2/plugins", token)["plugins"]}
    assert [view["href"] for view in plugins["bankseg_dashboards"]["external_views"]] == ["/bankseg/"]
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(base_url + "/bankseg/overview", timeout=10)
    assert anonymous.value.code == 401
    signed_in = urllib.request.Request(base_url + "/bankseg/overview", headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as no_data:
        urllib.request.urlopen(signed_in, timeout=10)
    assert no_data.value.code == 503 and b"No dashboard data yet" in no_data.value.read()
    with urllib.request.urlopen(base_url + "/bankseg/static/dashboard.css", timeout=10) as stylesheet:
        assert stylesheet.status == 200 and b".kpi" in stylesheet.read()

    sockets = listening_sockets(pid)
    assert {address for address, listened in sockets if listened == port} == {"127.0.0.1"}
    exposed = {listened for address, listened in sockets if not is_loopback(address)}
    assert not exposed, f"listening beyond loopback: {sorted(sockets)}"

    mlflow_url = re.search(r"MLflow UI    (\S+)", up.stdout).group(1)
    with urllib.request.urlopen(mlflow_url + "/health", timeout=10) as health:
        assert health.read().strip() == b"OK"
    for service in ("hiveserver2", "mlflow"):
        service_pid = int((tmp_path / "pids" / f"{service}.pid").read_text())
        service_sockets = listening_sockets(service_pid)
        assert service_sockets and all(is_loopback(address) for address, _ in service_sockets), (service, service_sockets)

    again = cli("up")
    assert again.returncode == 0 and f"airflow: already running (pid {pid})" in again.stdout, again.stdout

    down = cli("down")
    assert down.returncode == 0 and "airflow: stopped" in down.stdout, f"{down.stdout}\n{down.stderr}"
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert not port_answers(port)
    assert not (tmp_path / "pids" / "airflow.pid").exists()
    assert "airflow: was not running" in cli("down").stdout
    assert not list((tmp_path / "pids").glob("*.pid")), "down stops every service"

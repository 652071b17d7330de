"""Runs Airflow's four components as one process group, every socket on loopback.

    python -m bankseg.airflow_components     # what `make up` starts (its environment from bankseg.environment)

``airflow standalone`` would do the same in one command, but it also starts the scheduler's and
triggerer's log servers, which Airflow 3.3 always binds to every interface. On one machine the UI
reads finished tasks' logs from the local log folder, so those servers are not needed. If any
component exits, the others are stopped and this process exits with an error, which `make up`
reports.

The API server starts first and the others once it answers: a task reports its state to the API
server's execution API, and a scheduler that started first could hand a queued task (an asset-triggered
run, say) to a worker with no API to talk to, which fails it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bankseg.services import http_answers

AIRFLOW = str(Path(sys.executable).parent / "airflow")
# Host and port come from AIRFLOW__API__HOST / AIRFLOW__API__PORT.
API_SERVER = [AIRFLOW, "api-server"]
WORKERS = (
    [AIRFLOW, "scheduler", "--skip-serve-logs"],
    [AIRFLOW, "dag-processor"],
    [AIRFLOW, "triggerer", "--skip-serve-logs"],
)
API_SERVER_START_SECONDS = 180


def wait_for_api_server(server: subprocess.Popen) -> None:
    """Return once the API server answers its health check; exit if it stops or never answers."""
    health_url = f"{os.environ['AIRFLOW__API__BASE_URL']}/api/v2/monitor/health"
    deadline = time.monotonic() + API_SERVER_START_SECONDS
    while not http_answers(health_url, accepts=lambda _: True):
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the API server did not answer {health_url} within {API_SERVER_START_SECONDS} s")
        time.sleep(1)


def main() -> int:
    subprocess.run([AIRFLOW, "db", "migrate"], check=True)
    # Children stay in this process group, so `make down` stops all of them with one signal.
    children = [subprocess.Popen(API_SERVER)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        wait_for_api_server(children[0])
        children += [subprocess.Popen(command) for command in WORKERS]
        while all(child.poll() is None for child in children):
            time.sleep(1)
        exited = next(child for child in children if child.poll() is not None)
        print(f"{' '.join(exited.args[1:])} exited with code {exited.returncode}; stopping the others", flush=True)
        return 1
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())

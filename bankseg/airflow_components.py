"""Runs Airflow's four components as one process group, every socket on loopback.

    python -m bankseg.airflow_components     # what `make up` starts (its environment from bankseg.environment)

``airflow standalone`` would do the same in one command, but it also starts the scheduler's and
triggerer's log servers, which Airflow 3.3 always binds to every interface. On one machine the UI
reads finished tasks' logs from the local log folder, so those servers are not needed. If any
component exits, the others are stopped and this process exits with an error, which `make up`
reports.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

AIRFLOW = str(Path(sys.executable).parent / "airflow")
COMPONENTS = (
    [AIRFLOW, "scheduler", "--skip-serve-logs"],
    [AIRFLOW, "dag-processor"],
    [AIRFLOW, "triggerer", "--skip-serve-logs"],
    # Host and port come from AIRFLOW__API__HOST / AIRFLOW__API__PORT.
    [AIRFLOW, "api-server"],
)


def main() -> int:
    subprocess.run([AIRFLOW, "db", "migrate"], check=True)
    # Children stay in this process group, so `make down` stops all of them with one signal.
    children = [subprocess.Popen(command) for command in COMPONENTS]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
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

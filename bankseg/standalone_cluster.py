"""A real Spark standalone cluster (one master, N workers) on 127.0.0.1, from the pyspark wheel.

Used by the cluster test to prove the jobs run unchanged on a ``spark://``
master. Each daemon is started in a session of its own and stopped by its PID only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def spark_class() -> str:
    return str(Path(sys.executable).parent / "spark-class")


@dataclass
class StandaloneCluster:
    work_dir: Path
    workers: int = 1
    worker_cores: int = 1
    worker_memory: str = "2g"
    master_port: int = field(default_factory=free_port)
    master_ui_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    @property
    def master_ui(self) -> str:
        return f"http://{HOST}:{self.master_ui_port}"

    def _daemon(self, name: str, arguments: list[str]) -> None:
        env = {**os.environ, "SPARK_LOCAL_IP": HOST, "PYSPARK_PYTHON": sys.executable}
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with (self.work_dir / f"{name}.log").open("w") as log:
            process = subprocess.Popen(
                [spark_class(), *arguments], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)

    def master_state(self) -> dict:
        """The master's JSON status: workers, running and completed applications."""
        with urllib.request.urlopen(f"{self.master_ui}/json/", timeout=5) as response:
            return json.load(response)

    def alive_workers(self) -> int:
        try:
            return int(self.master_state().get("aliveworkers", 0))
        except OSError:
            return 0

    def start(self, timeout_seconds: float = 120) -> StandaloneCluster:
        master = ["org.apache.spark.deploy.master.Master", "--host", HOST, "--port", str(self.master_port)]
        self._daemon("master", [*master, "--webui-port", str(self.master_ui_port)])
        for number in range(self.workers):
            self._daemon(
                f"worker-{number}",
                [
                    "org.apache.spark.deploy.worker.Worker",
                    "--host", HOST,
                    "--port", str(free_port()),
                    "--webui-port", str(free_port()),
                    "--cores", str(self.worker_cores),
                    "--memory", self.worker_memory,
                    "--work-dir", str(self.work_dir / f"worker-{number}"),
                    self.master_url,
                ],
            )
        deadline = time.monotonic() + timeout_seconds
        while self.alive_workers() < self.workers:
            if time.monotonic() > deadline or any(process.poll() is not None for process in self.processes):
                self.stop()
                raise RuntimeError(f"the standalone cluster did not come up; logs in {self.work_dir}")
            time.sleep(1)
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

"""The Airflow command line as the platform drives it: database migration, one DAG run with its
progress read from the log, and the admin password the API server generated."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bankseg.endpoints import AIRFLOW_ADMIN_USER
from bankseg.environment import PlatformError, venv_bin


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



def airflow_admin_password(env: dict[str, str]) -> str:
    """The admin password the API server generates when it first starts (kept
    across restarts)."""
    generated = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    return json.loads(generated.read_text())[AIRFLOW_ADMIN_USER]

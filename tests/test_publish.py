"""Crash-safe publishing, proven by killing real processes at every step of a publish.

Each attempt runs in a process of its own that writes a two-dataset unit (as the ETL writes curated
transactions and quarantine) and is killed at one step with SIGKILL (the OOM killer) or SIGTERM
(Airflow's timeout). After each kill, what a reader finds at the published path must be the old
unit or the new one, whole; the next attempt must finish or discard the killed one and converge.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bankseg import publish

ATTEMPT = '''
import sys
from bankseg import publish
root, version, exchange = sys.argv[1], sys.argv[2], sys.argv[3]
if exchange == "no-exchange":  # a file system without renameat2(RENAME_EXCHANGE), e.g. some network mounts
    publish.exchange = lambda staged, target: False
paths = publish.unit_paths(root, "etl_transactions", "2016-10-21", root + "/batches/ingest_date=2016-10-21")
with publish.StagedUnit.open(paths) as unit:
    for dataset, files in (("transactions", 3), ("quarantine", 2)):
        (unit.staged / dataset).mkdir()
        for number in range(files):
            (unit.staged / dataset / f"part-{number}.parquet").write_text(version)
    unit.publish({"version": version})
'''
# Every step at which a publish can be cut short, in order; "before_swap" exists only for a date's
# first publish, "between_renames" only where the file system cannot exchange two folders.
STEPS_REPLACING = ["before_journal", "after_journal", "after_swap", "before_commit", "after_commit"]


def attempt(warehouse: Path, version: str, kill_at: str | None = None, exchange: str = "exchange") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != publish.KILL_AT_ENV}
    if kill_at:
        env[publish.KILL_AT_ENV] = kill_at
    return subprocess.run([sys.executable, "-c", ATTEMPT, str(warehouse), version, exchange],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def published_version(warehouse: Path) -> str | None:
    """What a reader of the published unit sees: one version in every file of both datasets, or None
    when the date is not published; fails on a partial or mixed unit."""
    unit = warehouse / "batches" / "ingest_date=2016-10-21"
    if not unit.exists():
        return None
    files = {path.relative_to(unit).as_posix(): path.read_text() for path in unit.rglob("part-*")}
    assert sorted(files) == [*(f"quarantine/part-{n}.parquet" for n in range(2)), *(f"transactions/part-{n}.parquet" for n in range(3))], files
    versions = set(files.values())
    assert len(versions) == 1, f"a mixed unit: {files}"
    assert publish.read_manifest(unit)["version"] in versions
    return versions.pop()


def leftovers(warehouse: Path) -> list[str]:
    """Anything besides the published unit: staging, journal, lock, replaced data."""
    control = warehouse / "_publish" / "etl_transactions" / "2016-10-21"  # stays, empty, between attempts
    return sorted(str(path.relative_to(warehouse)) for folder in (control, warehouse / "_staging" / "etl_transactions")
                  for path in folder.rglob("*") if path.is_file() or folder == control)


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("step", STEPS_REPLACING)
def test_a_replacing_publish_killed_at_any_step_leaves_a_whole_unit_and_the_rerun_converges(tmp_path, step, signal_name):
    warehouse = tmp_path / "warehouse"
    assert attempt(warehouse, "old").returncode == 0
    killed = attempt(warehouse, "new", f"{step}:{signal_name}")
    assert killed.returncode == -getattr(signal, signal_name), killed.stderr
    # Killed before the swap: the old unit; after it: the new one. Never nothing, never a mix.
    assert published_version(warehouse) == ("old" if step in ("before_journal", "after_journal") else "new")
    rerun = attempt(warehouse, "rerun")
    assert rerun.returncode == 0, rerun.stderr
    if step in ("after_journal", "after_swap", "before_commit"):
        assert "finishing the publish of transaction" in rerun.stderr  # the journal was rolled forward first
    assert published_version(warehouse) == "rerun"
    assert leftovers(warehouse) == []


@pytest.mark.parametrize("step", ["before_journal", "after_journal", "before_swap", "after_commit"])
def test_a_first_publish_killed_at_any_step_publishes_all_or_nothing(tmp_path, step):
    warehouse = tmp_path / "warehouse"
    assert attempt(warehouse, "new", step).returncode == -signal.SIGKILL
    assert published_version(warehouse) == (None if step in ("before_journal", "after_journal", "before_swap") else "new")
    assert attempt(warehouse, "rerun").returncode == 0
    assert published_version(warehouse) == "rerun" and leftovers(warehouse) == []


def test_without_an_exchange_a_kill_between_the_two_renames_is_rolled_forward(tmp_path):
    warehouse = tmp_path / "warehouse"
    assert attempt(warehouse, "old", exchange="no-exchange").returncode == 0
    assert attempt(warehouse, "new", "between_renames", exchange="no-exchange").returncode == -signal.SIGKILL
    # The one moment such a file system shows no unit; the old one is kept outside the staging.
    assert published_version(warehouse) is None
    assert [path.read_text() for path in (warehouse / "_publish").rglob("replaced/transactions/part-0.parquet")] == ["old"]
    rerun = attempt(warehouse, "rerun", exchange="no-exchange")
    assert rerun.returncode == 0 and "finishing the publish of transaction" in rerun.stderr, rerun.stderr
    assert published_version(warehouse) == "rerun" and leftovers(warehouse) == []


def test_a_second_attempt_of_the_same_job_and_date_is_refused_while_the_first_runs(tmp_path):
    warehouse = tmp_path / "warehouse"
    assert attempt(warehouse, "old").returncode == 0
    paths = publish.unit_paths(str(warehouse), "etl_transactions", "2016-10-21", str(warehouse / "batches" / "ingest_date=2016-10-21"))
    with publish.StagedUnit.open(paths):
        second = attempt(warehouse, "new")
    assert second.returncode == 1
    assert f"another attempt of etl_transactions for 2016-10-21 is running (pid {os.getpid()}" in second.stderr
    assert published_version(warehouse) == "old"

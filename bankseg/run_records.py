"""Run records: the figures each job writes for its run date, read back by Airflow and ``make run``.

One JSON file per job and run date under ``runs/<run-date>/`` of the data directory.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def write_run_record(path: str, record: dict[str, Any]) -> None:
    """Write a job's figures as JSON, atomically (write then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {**record, "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    temporary = target.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    temporary.replace(target)


def finish_record(path: str, record: dict[str, Any], started: float) -> dict[str, Any]:
    """``record`` with the seconds since ``started`` (``time.monotonic()``), written to ``path``."""
    record = {**record, "seconds": round(time.monotonic() - started, 1)}
    write_run_record(path, record)
    return record


def read_run_record(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())

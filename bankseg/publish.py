"""Write, audit, publish: how a job's output becomes visible, all of it at once or not at all.

Every run of a job for a date writes one folder, its *unit*: ``warehouse/batches/ingest_date=D``
for the ETL (curated transactions, quarantine, the ID index, the activity mart),
``warehouse/snapshots/snapshot_date=D`` for the daily snapshot (features, segments, profiles,
migration, marts). A unit is built in staging, checked by its quality gates there, and only then
published, in this order:

1. **Lock.** ``warehouse/_publish/<job>/<date>/lock`` is created exclusively; a second attempt of the
   same job and date is refused with a message naming the holder. A lock whose process is gone (same
   host, PID not running) is taken over.
2. **Recover.** A journal left by a killed attempt is finished first (rolled forward): its staged
   unit is complete and passed its gates, or the journal would not exist.
3. **Journal.** ``journal.json`` records the intent: this transaction id, the staged folder, the
   target, where replaced data goes. It is written atomically (write, then rename).
4. **Swap.** One atomic exchange of the staged folder and the published one (Linux
   ``renameat2(RENAME_EXCHANGE)``): readers see the old unit or the new one, whole, never a mix and
   never nothing. The first publish of a date is one rename. The replaced unit is moved out of the
   way to ``_publish/<job>/<date>/<txid>/replaced``, outside the attempt's staging.
5. **Commit.** The journal is removed, then the replaced data and the staging.

Each unit carries a manifest (``_unit.json``: job, date, transaction id, the job's figures) that
moves with it, so recovery can tell which side of the swap a folder is on, and later runs know
which transaction made what they read. File names starting with ``_`` are invisible to Spark and Hive.

Only local and mounted file systems are published to (``local_path`` refuses other schemes). One
without an exchange (some network mounts) gets two renames, old aside, then new in; the journal
still rolls that forward after a crash, but a reader can find the date missing for the moment
between the two renames.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import logging
import os
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST = "_unit.json"
JOURNAL = "journal.json"
LOCK = "lock"
# renameat2 flag (linux/fs.h): swap two paths in one step.
RENAME_EXCHANGE = 2
AT_FDCWD = -100
# Fault injection for the crash tests: the step name at which the process kills itself.
KILL_AT_ENV = "BANKSEG_PUBLISH_KILL_AT"


class PublishError(RuntimeError):
    """A unit cannot be published; the message says why and what to do."""


class ConcurrentAttemptError(PublishError):
    """Another attempt of the same job and date holds the lock."""


def local_path(path: str) -> Path:
    """``file:/x`` and ``/x`` as a local path; other schemes are not local."""
    if path.startswith("file:"):
        path = path[len("file:") :]
        while path.startswith("//"):
            path = path[1:]
    if "://" in path:
        raise PublishError(f"{path}: only local and mounted file systems are supported for publishing")
    return Path(path)


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _renameat2(source: Path, target: Path, flags: int) -> None:
    result = _libc().renameat2(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(target), flags)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(source))


def exchange(staged: Path, target: Path) -> bool:
    """Swap ``staged`` and ``target`` atomically (both must exist); False when the file system
    cannot, so the caller falls back to two renames."""
    try:
        _renameat2(staged, target, RENAME_EXCHANGE)
    except (OSError, AttributeError) as error:
        if isinstance(error, OSError) and error.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
        return False
    return True


def fault_point(step: str) -> None:
    """Signal this process at ``step`` when the crash tests ask for it: ``BANKSEG_PUBLISH_KILL_AT`` is
    ``<step>`` (SIGKILL, as the kernel's OOM killer) or ``<step>:SIGTERM`` (as Airflow's timeout)."""
    wanted, _, signal_name = os.environ.get(KILL_AT_ENV, "").partition(":")
    if wanted == step:
        log.warning("fault injection: %s at publish step %s", signal_name or "SIGKILL", step)
        os.kill(os.getpid(), getattr(signal, signal_name or "SIGKILL"))
        time.sleep(60)  # the signal is delivered meanwhile; nothing after this point runs


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    with partial.open("w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def read_manifest(unit: Path) -> dict[str, Any] | None:
    manifest = unit / MANIFEST
    return json.loads(manifest.read_text()) if manifest.exists() else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class UnitPaths:
    """Where one job's unit of one date lives while it is built, published and replaced."""

    job: str
    date: str
    target: Path  # the published unit
    control: Path  # _publish/<job>/<date>: lock, journal, replaced data
    staging_root: Path  # _staging/<job>/<date>: one folder per attempt

    @property
    def lock(self) -> Path:
        return self.control / LOCK

    @property
    def journal(self) -> Path:
        return self.control / JOURNAL

    def replaced(self, txid: str) -> Path:
        return self.control / txid / "replaced"


class StagedUnit:
    """One attempt's unit: build it in ``staged``, then ``publish(figures)``; see the module docstring.

        with StagedUnit.open(paths) as unit:
            write everything under unit.staged ...; check it ...
            unit.publish({"rows": ...})

    Leaving the block without publishing (a failed gate, an exception) publishes nothing and removes
    the attempt's staging; what was published before stays exactly as it was.
    """

    def __init__(self, paths: UnitPaths, txid: str):
        self.paths = paths
        self.txid = txid
        self.staged = paths.staging_root / txid / "unit"
        # Intermediate results of the attempt, never published.
        self.scratch = paths.staging_root / txid / "scratch"
        self.published = False

    @classmethod
    @contextlib.contextmanager
    def open(cls, paths: UnitPaths) -> Iterator[StagedUnit]:
        txid = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
        with hold_lock(paths, txid):
            recover(paths)
            # Attempts killed before their journal was written left only staging, and a commit cut
            # short leaves replaced data: with no journal, nothing of either is needed any more.
            shutil.rmtree(paths.staging_root, ignore_errors=True)
            for leftover in (child for child in paths.control.iterdir() if child.is_dir()):
                shutil.rmtree(leftover, ignore_errors=True)
            unit = cls(paths, txid)
            unit.staged.mkdir(parents=True)
            try:
                yield unit
            finally:
                shutil.rmtree(paths.staging_root / txid, ignore_errors=True)

    def reject(self, rejected: str) -> str:
        """Keep the staged unit, which failed its gate, at ``rejected`` for inspection (replacing the
        previous failed attempt's); nothing is published."""
        target = local_path(rejected)
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staged.rename(target)
        return str(target)

    def publish(self, figures: dict[str, Any]) -> dict[str, Any]:
        """Make the staged unit the published one, atomically; returns its manifest."""
        if self.published:
            raise PublishError(f"{self.paths.job} {self.paths.date}: transaction {self.txid} was already published")
        manifest = {"job": self.paths.job, "date": self.paths.date, "txid": self.txid,
                    "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **figures}
        write_json_atomically(self.staged / MANIFEST, manifest)
        fault_point("before_journal")
        write_json_atomically(self.paths.journal, {"txid": self.txid, "staged": str(self.staged), "target": str(self.paths.target),
                                                    "replaced": str(self.paths.replaced(self.txid))})
        fault_point("after_journal")
        roll_forward(self.paths, self.txid, self.staged)
        self.published = True
        return manifest


@contextlib.contextmanager
def hold_lock(paths: UnitPaths, txid: str) -> Iterator[None]:
    paths.control.mkdir(parents=True, exist_ok=True)
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "txid": txid, "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for _ in range(2):
        try:
            descriptor = os.open(paths.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _take_over_stale_lock(paths):
                raise ConcurrentAttemptError(_lock_message(paths)) from None
            continue
        with os.fdopen(descriptor, "w") as handle:
            json.dump(holder, handle)
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            if json.loads(paths.lock.read_text()).get("txid") == txid:
                paths.lock.unlink()


def _read_lock(paths: UnitPaths) -> dict[str, Any]:
    try:
        return json.loads(paths.lock.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _take_over_stale_lock(paths: UnitPaths) -> bool:
    """Remove the lock of an attempt that died on this host; False while its holder may still run."""
    holder = _read_lock(paths)
    if holder.get("host") == socket.gethostname() and holder.get("pid") and not _process_alive(int(holder["pid"])):
        log.warning("%s %s: taking over the lock of attempt %s (pid %s is gone)", paths.job, paths.date, holder.get("txid"), holder["pid"])
        paths.lock.unlink(missing_ok=True)
        return True
    return False


def _lock_message(paths: UnitPaths) -> str:
    holder = _read_lock(paths)
    return (
        f"another attempt of {paths.job} for {paths.date} is running (pid {holder.get('pid')} on {holder.get('host')}, "
        f"transaction {holder.get('txid')}, since {holder.get('since')}); wait for it to finish. If it is gone "
        f"(a host that died), remove {paths.lock} and rerun."
    )


def recover(paths: UnitPaths) -> str | None:
    """Finish the publish a killed attempt journaled; returns its transaction id, or None."""
    if not paths.journal.exists():
        return None
    journal = json.loads(paths.journal.read_text())
    log.warning("%s %s: finishing the publish of transaction %s left by a killed attempt", paths.job, paths.date, journal["txid"])
    roll_forward(paths, journal["txid"], Path(journal["staged"]))
    return journal["txid"]


def _txid(unit: Path) -> str | None:
    manifest = read_manifest(unit) if unit.exists() else None
    return manifest.get("txid") if manifest else None


def roll_forward(paths: UnitPaths, txid: str, staged: Path) -> None:
    """Bring the journaled transaction to its end from wherever it stopped; safe to repeat."""
    target, replaced = paths.target, paths.replaced(txid)
    if _txid(target) != txid:
        if _txid(staged) != txid:
            raise PublishError(
                f"{paths.job} {paths.date}: the journal names transaction {txid}, but neither {target} nor {staged} holds it; "
                f"the published data is untouched. Remove {paths.journal} and rerun the date."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            fault_point("before_swap")
            staged.rename(target)  # the date's first publish: one atomic rename
        elif exchange(staged, target):
            fault_point("after_swap")
        else:  # no exchange on this file system: old aside, then new in
            replaced.parent.mkdir(parents=True, exist_ok=True)
            target.rename(replaced)
            fault_point("between_renames")
            staged.rename(target)
    # After an exchange the staged folder holds the replaced unit: out of the attempt's staging with it.
    if staged.exists() and _txid(staged) != txid:
        replaced.parent.mkdir(parents=True, exist_ok=True)
        if not replaced.exists():
            staged.rename(replaced)
    fault_point("before_commit")
    paths.journal.unlink(missing_ok=True)
    fault_point("after_commit")
    shutil.rmtree(paths.control / txid, ignore_errors=True)


def unit_paths(warehouse_root: str, job: str, date: str, target: str) -> UnitPaths:
    """The unit ``job`` publishes for ``date`` at ``target``, with its control and staging folders
    under the warehouse."""
    warehouse = local_path(warehouse_root)
    return UnitPaths(job=job, date=date, target=local_path(target), control=warehouse / "_publish" / job / date,
                     staging_root=warehouse / "_staging" / job / date)


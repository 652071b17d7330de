"""Spark plumbing shared by the jobs: the session, all-or-nothing publishing, the command line.

Jobs never write straight into a published dataset. They write a complete staged copy, check it,
and only then swap the staged partitions in with file-system renames, so a failed run leaves the
published data as it was and readers never see half a partition.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import uuid
from datetime import date
from collections.abc import Callable, Iterator
from typing import Any

from pyspark.sql import SparkSession

from bankseg.layout import DataLayout

# Bank timestamps in the Kaggle data are Indian local time; pinning the session time zone keeps
# every job and test computing dates the same way on any machine.
SESSION_TIME_ZONE = "Asia/Kolkata"


@contextlib.contextmanager
def timed(seconds: dict[str, float], phase: str) -> Iterator[None]:
    """Record the wall time of the block as ``seconds[phase]``, rounded to 0.1 s."""
    started = time.monotonic()
    yield
    seconds[phase] = round(time.monotonic() - started, 1)


def build_session(app_name: str, extra_conf: dict[str, str] | None = None) -> SparkSession:
    """The job's session. The master comes from spark-submit (``--master``), never from job code;
    ``extra_conf`` is for tests and tools that start Spark themselves."""
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.session.timeZone", SESSION_TIME_ZONE)
        .config("spark.sql.adaptive.enabled", "true")
    )
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # Task logs should show the job's own lines and real warnings, not Spark's INFO chatter.
    spark.sparkContext.setLogLevel("WARN")
    return spark


class HadoopFileSystem:
    """The few file-system operations publishing needs, through Hadoop so any FS URI works.

    Paths come back fully qualified (``file:/...``, ``hdfs://...``) so they can be compared.
    """

    def __init__(self, spark: SparkSession, any_path: str):
        self._jvm = spark.sparkContext._jvm
        self._fs = self._jvm.org.apache.hadoop.fs.Path(any_path).getFileSystem(
            spark.sparkContext._jsc.hadoopConfiguration()
        )

    def _path(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def qualify(self, path: str) -> str:
        return str(self._fs.makeQualified(self._path(path)).toString()).rstrip("/")

    def glob(self, pattern: str) -> list[str]:
        statuses = self._fs.globStatus(self._path(pattern)) or []
        return sorted(str(status.getPath().toString()) for status in statuses)

    def rename(self, source: str, target: str) -> None:
        self.mkdirs(str(self._path(target).getParent()))
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not move {source} to {target}")

    def fingerprint(self, path: str) -> tuple[int, int]:
        """Length and modification time: enough to notice a file replaced or growing during a run."""
        status = self._fs.getFileStatus(self._path(path))
        return int(status.getLen()), int(status.getModificationTime())

    def mkdirs(self, path: str) -> None:
        self._fs.mkdirs(self._path(path))

    def delete(self, path: str) -> None:
        self._fs.delete(self._path(path), True)


def new_staging_dir(spark: SparkSession, staging_root: str, job_name: str, run_date: str) -> str:
    """A fresh folder for this attempt, after removing what killed attempts of the same job and date
    left behind. Nothing there is worth keeping: a date's output is rebuilt whole from its landing
    files, which stay in landing/, and the DAG runs one date at a time (max_active_runs=1)."""
    attempts = f"{staging_root}/{job_name}/{run_date}"
    HadoopFileSystem(spark, attempts).delete(attempts)
    return f"{attempts}/{uuid.uuid4().hex}"


def publish_partitions(spark: SparkSession, staged_root: str, target_root: str, partition_glob: str) -> list[str]:
    """Replace the partitions matching ``partition_glob`` under ``target_root`` with the staged ones.

    ``partition_glob`` is relative, e.g. ``txn_date=*/ingest_date=2016-10-21``: every published
    partition it matches is replaced, including ones the new output no longer has, which makes a
    rerun of the same date give exactly the same published data. Old partitions are moved aside
    first and restored if moving the new ones in fails. Returns the published partitions.
    """
    fs = HadoopFileSystem(spark, target_root)
    # The dataset's root exists even before its first partition, so readers and tables can point at it.
    fs.mkdirs(target_root)
    target_root = fs.qualify(target_root)
    staged_root = fs.qualify(staged_root)
    trash_root = f"{staged_root}/_replaced"
    old_partitions = fs.glob(f"{target_root}/{partition_glob}")
    new_partitions = fs.glob(f"{staged_root}/{partition_glob}")

    moved_aside: list[tuple[str, str]] = []
    moved_in: list[str] = []
    try:
        for old in old_partitions:
            aside = trash_root + old[len(target_root) :]
            fs.rename(old, aside)
            moved_aside.append((old, aside))
        for new in new_partitions:
            destination = target_root + new[len(staged_root) :]
            fs.rename(new, destination)
            moved_in.append(destination)
    except Exception:
        for destination in moved_in:
            fs.delete(destination)
        for old, aside in moved_aside:
            fs.rename(aside, old)
        raise
    fs.delete(trash_root)
    return [path[len(target_root) + 1 :] for path in moved_in]


def iso_date(text: str) -> str:
    """A run date as YYYY-MM-DD: partitions are named by it, so 2016-8-2 must not slip through."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def run_job_from_command_line(
    job_name: str,
    description: str,
    run: Callable[[SparkSession, DataLayout, str], dict[str, Any]],
    summarise: Callable[[dict[str, Any]], str],
    argv: list[str] | None = None,
    extra_options: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The thin ``main()`` of every job: ``--run-date`` and ``--data-dir``, one session, one summary.

    ``extra_options`` maps further flags to ``add_argument`` settings; their values reach ``run``
    as keyword arguments.
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-date", required=True, type=iso_date, help="logical date of the run, YYYY-MM-DD")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $BANKSEG_DATA_DIR or ./data)")
    extra_names = [parser.add_argument(flag, **settings).dest for flag, settings in (extra_options or {}).items()]
    args = parser.parse_args(argv)
    layout = DataLayout(args.data_dir) if args.data_dir else DataLayout.from_env()
    spark = build_session(f"bankseg-{job_name}-{args.run_date}")
    try:
        record = run(spark, layout, args.run_date, **{name: getattr(args, name) for name in extra_names})
    finally:
        spark.stop()
    print(summarise(record))
    return record

"""Spark plumbing shared by the jobs: the session, the command line, background imports.

Publishing is ``bankseg.publish``: jobs never write straight into a published dataset.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import threading
import time
from datetime import date
from collections.abc import Callable, Iterator
from typing import Any

from pyspark.sql import SparkSession

from bankseg.layout import DataLayout

# Bank timestamps in the Kaggle data are Indian local time; pinning the session time zone keeps
# every job and test computing dates the same way on any machine.
SESSION_TIME_ZONE = "Asia/Kolkata"
# Columns whose values hardly repeat: keys and exact times. Parquet's writer tries a dictionary for
# every column and, row group by row group, gives it up for these; not trying saved 32 of 80 s
# writing the features of 8.8M customers, for the same 651 MB of files.
UNIQUE_VALUED_COLUMNS = (
    "customer_id", "customer_key", "transaction_id", "txn_ts", "last_txn_ts", "last_txn_number", "balance_latest_ts",
    "balance_latest_number",
)


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
        # HotSpot never JIT-compiles a method over 8,000 bytes of bytecode and runs it interpreted;
        # above that size Spark falls back to per-operator code instead. The segment schedule's
        # generated method is that large: 3.3 s instead of 31 s for 2M customers.
        .config("spark.sql.codegen.hugeMethodLimit", "8000")
    )
    for column in UNIQUE_VALUED_COLUMNS:
        builder = builder.config(f"spark.hadoop.parquet.enable.dictionary#{column}", "false")
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # Task logs should show the job's own lines and real warnings, not Spark's INFO chatter.
    spark.sparkContext.setLogLevel("WARN")
    return spark


def preload(*modules: str) -> threading.Thread:
    """Import ``modules`` in the background while Spark's JVM starts: Great Expectations, MLflow and
    scikit-learn each take several seconds to import, about as long as the JVM, and would otherwise
    follow it. The job's own imports later find them loaded (or wait for the import to finish)."""

    def imports() -> None:
        for module in modules:
            importlib.import_module(module)

    thread = threading.Thread(target=imports, name="preload", daemon=True)
    thread.start()
    return thread


def iso_date(text: str) -> str:
    """A run date as YYYY-MM-DD: partitions are named by it, so 2016-8-2 must not slip through."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def run_job_from_command_line(
    job_name: str,
    description: str,
    run: Callable[..., dict[str, Any]],
    summarise: Callable[[dict[str, Any]], str],
    argv: list[str] | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    job_options: Callable[[argparse.Namespace], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The thin ``main()`` of every job: ``--run-date`` and ``--data-dir``, one session, one summary.

    ``add_arguments`` adds the job's own flags; ``job_options`` turns the parsed flags into the
    keyword arguments ``run`` takes beside the session, the layout and the run date.
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-date", required=True, type=iso_date, help="logical date of the run, YYYY-MM-DD")
    parser.add_argument("--data-dir", default=None, help="data directory (default: $BANKSEG_DATA_DIR or ./data)")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    layout = DataLayout(args.data_dir) if args.data_dir else DataLayout.from_env()
    options = job_options(args) if job_options is not None else {}
    spark = build_session(f"bankseg-{job_name}-{args.run_date}")
    try:
        record = run(spark, layout, args.run_date, **options)
    finally:
        spark.stop()
    print(summarise(record))
    return record

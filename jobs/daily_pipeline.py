"""Spark: the daily pipeline of one run date in one application, each step written, audited, then published.

    spark-submit jobs/daily_pipeline.py --run-date 2016-10-21 --data-dir data [--steps batch,snapshot]

1. **batch** (``bankseg.etl``): the landing files once through the raw gate, parsed into curated
   transactions and quarantine, the curated gate on the staged batch, then
   ``warehouse/batches/ingest_date=<run-date>/`` published in one swap.
2. **snapshot** (``bankseg.snapshot``): the batch folded into the previous snapshot, the features
   gate on the staged snapshot, every customer segmented by the champion model, the dashboard
   marts, then ``warehouse/snapshots/snapshot_date=<run-date>/`` published in one swap.

One application pays for one JVM, one set of imports and one warm-up, and the snapshot reads the
batch the step before it has just written. A gate that fails stops the run there: what it guards is
not published, and the job still succeeds, so Airflow does not retry a verdict; the DAG's
``validate_*`` tasks show the verdict and fail. ``--steps snapshot`` rebuilds the snapshot alone on
the published batch (to score a day again with a new champion, say).
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from bankseg import etl, snapshot
from bankseg.layout import DataLayout
from bankseg.spark import preload, run_job_from_command_line

JOB_NAME = "daily_pipeline"
STEPS = ("batch", "snapshot")


def steps(text: str) -> tuple[str, ...]:
    chosen = tuple(step.strip() for step in text.split(",") if step.strip())
    if not chosen or set(chosen) - set(STEPS):
        raise argparse.ArgumentTypeError(f"steps must be a comma-separated subset of {','.join(STEPS)}, not {text!r}")
    return tuple(step for step in STEPS if step in chosen)


def run(spark: SparkSession, layout: DataLayout, run_date: str, chosen: tuple[str, ...] = STEPS) -> dict:
    """Each chosen step's record; the snapshot step is skipped when the batch failed its gate."""
    records = {}
    if "batch" in chosen:
        records["batch"] = etl.publish_batch(spark, layout, run_date)
        print(etl.summarise(records["batch"]), flush=True)
        if not records["batch"]["published"]:
            return records
    if "snapshot" in chosen:
        records["snapshot"] = snapshot.publish_snapshot(spark, layout, run_date)
        print(snapshot.summarise(records["snapshot"]), flush=True)
    return records


def summarise(records: dict) -> str:
    return f"{JOB_NAME}: " + "; ".join(f"{step} {'published' if record['published'] else 'NOT published'}" for step, record in records.items())


def main(argv: list[str] | None = None) -> None:
    # Imported while the JVM starts; both steps need them.
    preload("great_expectations", "mlflow")
    run_job_from_command_line(
        JOB_NAME, __doc__, run, summarise, argv,
        add_arguments=lambda parser: parser.add_argument("--steps", type=steps, default=STEPS, help="comma-separated: batch, snapshot"),
        job_options=lambda args: {"chosen": args.steps},
    )


if __name__ == "__main__":
    main()

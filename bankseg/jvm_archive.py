"""A class-data-sharing archive for the Spark driver's JVM, built once per install.

Every job is one ``spark-submit``, and a driver JVM spends seconds loading and verifying the same
few thousand Spark classes before the job's first line runs. The JVM can map those classes from an
archive instead (JDK class data sharing, JEP 350): measured on 2 cores, a ``spark-submit`` that
starts a session, runs one job and stops took 7.5 s without it and 4.9 s with it.

    python -m bankseg.jvm_archive      # `make install` runs it; rebuilds the archive

The archive belongs to this virtual environment (its Spark jars) and to the JDK that built it. A
JVM that finds it built for other jars or another JDK ignores it and loads the classes as usual,
so a stale archive costs time, never correctness. The build runs ``WORKLOAD`` under
``spark-submit``: the kinds of work the jobs do, on a few rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ARCHIVE = Path(sys.prefix) / "spark-driver.jsa"
WORKLOAD = "--workload"
# Quiet: a stale or missing archive is not the user's problem, and the JVM falls back by itself.
_QUIET = "-Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"


def driver_java_options() -> str | None:
    """The driver JVM's options that map the archive, or None when it has not been built."""
    return f"-XX:SharedArchiveFile={ARCHIVE} {_QUIET}" if ARCHIVE.is_file() else None


def run_workload(folder: str) -> None:
    """What the jobs' drivers do, on a few rows: CSV and Parquet, shuffles, joins, windows, caching,
    hashes, quantiles, Arrow to pandas."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from bankseg.spark import build_session

    spark = build_session("bankseg-jvm-archive")
    try:
        rows = spark.range(2_000).select(
            F.concat(F.lit("C"), (F.col("id") % 300).cast("string")).alias("customer_id"),
            (F.col("id") * 7 % 1000).cast("decimal(18,2)").alias("amount"),
            F.date_add(F.lit("2016-08-01").cast("date"), (F.col("id") % 60).cast("int")).alias("txn_date"),
        )
        rows.write.mode("overwrite").option("header", True).csv(f"{folder}/csv")
        parsed = spark.read.option("header", True).schema(rows.schema).csv(f"{folder}/csv").cache()
        parsed.write.mode("overwrite").partitionBy("txn_date").parquet(f"{folder}/parquet")
        stored = spark.read.parquet(f"{folder}/parquet")
        per_customer = stored.groupBy("customer_id").agg(
            F.count("*").alias("n"), F.sum("amount").alias("total"), F.max("txn_date").alias("last"),
            F.percentile_approx("amount", 0.5).alias("median"), F.sum(F.pmod(F.xxhash64("customer_id"), F.lit(1 << 40))).alias("digest"),
        )
        latest = F.row_number().over(Window.partitionBy("customer_id").orderBy(F.col("txn_date").desc()))
        joined = per_customer.join(stored.withColumn("rank", latest).where("rank = 1"), "customer_id", "full_outer")
        joined.write.mode("overwrite").parquet(f"{folder}/joined")
        spark.read.parquet(f"{folder}/joined").toPandas()
        parsed.unpersist()
    finally:
        spark.stop()


def build() -> Path:
    """Run the workload under ``spark-submit`` with the JVM writing the classes it loaded, then put
    the archive in place in one rename."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SystemExit("no JDK found: the Spark driver archive needs Java (apt-get install openjdk-17-jdk-headless)")
    with tempfile.TemporaryDirectory(prefix="bankseg-jvm-archive-") as folder:
        staged = Path(folder) / ARCHIVE.name
        command = [
            str(Path(sys.executable).parent / "spark-submit"), "--master", "local[2]",
            "--conf", f"spark.driver.extraJavaOptions=-XX:ArchiveClassesAtExit={staged} {_QUIET}",
            "--conf", "spark.ui.showConsoleProgress=false",
            __file__, WORKLOAD, folder,
        ]
        from bankseg.pipeline import spark_submit_env  # the jobs' spark-submit environment; pipeline imports this module

        env = {**os.environ, **spark_submit_env()}
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not staged.is_file():
            raise SystemExit(f"building the Spark driver archive failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        os.replace(staged, ARCHIVE)
    return ARCHIVE


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [WORKLOAD]:
        run_workload(args[1])
        return
    print(f"Spark driver class archive: {build()}")


if __name__ == "__main__":
    main()

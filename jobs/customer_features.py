"""Spark features: one row per customer as of the run date, from curated transactions.

    spark-submit jobs/customer_features.py --run-date 2016-10-21 --data-dir data

Uses every curated transaction dated on or before the run date (partition pruning on
``txn_date``) and writes ``features/customer_features/snapshot_date=<run-date>/``, replacing that
snapshot as a whole. Profile attributes that can differ between a customer's transactions
(balance, city, gender, date of birth) are taken from the customer's latest transaction.
"""

from __future__ import annotations

import time

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from bankseg.layout import DataLayout
from bankseg.spark import (
    HadoopFileSystem,
    new_staging_dir,
    publish_partitions,
    run_job_from_command_line,
)
from bankseg.run_records import write_run_record

JOB_NAME = "customer_features"

# Age bands used by the dashboards and the analyst views; "unknown" when no plausible birth date.
AGE_BANDS = ((18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"))
OLDEST_BAND = (65, "65+")
UNKNOWN_AGE_BAND = "unknown"

# Parts of the day by transaction hour, as a branch's CRM team reads them.
DAYPARTS = (("night", 0, 5), ("morning", 6, 11), ("afternoon", 12, 17), ("evening", 18, 23))


def age_band(age: Column) -> Column:
    chain = F.when(age.isNull(), UNKNOWN_AGE_BAND)
    for low, high, label in AGE_BANDS:
        chain = chain.when(age.between(low, high), label)
    return chain.when(age >= OLDEST_BAND[0], OLDEST_BAND[1]).otherwise(UNKNOWN_AGE_BAND)


# The curated columns the features are computed from.
HISTORY_COLUMNS = (
    "customer_id", "transaction_id", "txn_ts", "txn_date", "txn_hour", "amount", "account_balance",
    "gender", "city", "dob_status", "customer_dob",
)


def build_features(transactions: DataFrame, snapshot_date: str) -> DataFrame:
    """One row per customer from its transactions dated on or before ``snapshot_date``."""
    snapshot = F.to_date(F.lit(snapshot_date))
    # Most customers have one or two transactions, so a partial aggregation before the shuffle
    # saves nothing and its buffers are wider than the rows: shuffle the needed columns instead.
    history = transactions.where(F.col("txn_date") <= snapshot).select(*HISTORY_COLUMNS).repartition("customer_id")
    # Latest transaction first by time, then by the numeric part of its id, so ties are deterministic.
    recency_key = F.struct(F.col("txn_ts"), F.expr("try_cast(substring(transaction_id, 2) as bigint)"))
    daypart_shares = [
        F.avg(F.col("txn_hour").between(low, high).cast("double")).alias(f"share_{name}")
        for name, low, high in DAYPARTS
    ]
    per_customer = history.groupBy("customer_id").agg(
        F.count("*").alias("frequency"),
        F.max("txn_date").alias("last_txn_date"),
        F.min("txn_date").alias("first_txn_date"),
        F.sum("amount").alias("monetary_total"),
        # Means in double arithmetic: exact decimal averages cost a BigDecimal per row, for digits a
        # double mean rounds away anyway. The total stays an exact decimal sum.
        F.avg(F.col("amount").cast("double")).alias("monetary_mean"),
        F.max("amount").alias("monetary_max"),
        F.avg(F.col("account_balance").cast("double")).alias("balance_mean"),
        # The latest known balance: rows without one do not take part.
        F.max_by("account_balance", F.when(F.col("account_balance").isNotNull(), recency_key)).alias("balance_latest"),
        F.max_by(
            F.struct(
                "gender",
                "city",
                F.when(F.col("dob_status") == "valid", F.col("customer_dob")).alias("dob"),
            ),
            recency_key,
        ).alias("latest"),
        F.size(F.collect_set("city")).alias("distinct_cities"),
        F.avg(F.dayofweek("txn_date").isin(1, 7).cast("double")).alias("share_weekend"),
        *daypart_shares,
    )
    age = F.floor(F.months_between(snapshot, F.col("dob")) / 12).cast("int")
    # The daypart with the highest share; ties go to the name that sorts last, deterministically.
    preferred_daypart = F.array_max(
        F.array(*[F.struct(F.col(f"share_{name}").alias("share"), F.lit(name).alias("daypart")) for name, _, _ in DAYPARTS])
    ).getField("daypart")
    per_customer = per_customer.select("*", "latest.*").drop("latest")
    return per_customer.select(
        "customer_id",
        F.datediff(snapshot, F.col("last_txn_date")).alias("recency_days"),
        "frequency",
        "monetary_total",
        "monetary_mean",
        "monetary_max",
        "balance_latest",
        "balance_mean",
        # Spend relative to what the customer holds: separates spenders from savers at equal balance.
        # Null when the balance is unknown; a balance under 1 INR counts as 1 to keep the ratio finite.
        F.when(
            F.col("balance_mean").isNotNull(),
            F.col("monetary_total") / F.greatest(F.col("balance_mean"), F.lit(1.0)),
        ).alias("spend_to_balance"),
        age.alias("age"),
        age_band(age).alias("age_band"),
        "gender",
        "city",
        "distinct_cities",
        "first_txn_date",
        "last_txn_date",
        (F.datediff(F.col("last_txn_date"), F.col("first_txn_date")) + 1).alias("active_span_days"),
        *[f"share_{name}" for name, _, _ in DAYPARTS],
        preferred_daypart.alias("preferred_daypart"),
        "share_weekend",
        snapshot.alias("snapshot_date"),
    )


def run(spark: SparkSession, layout: DataLayout, run_date: str) -> dict:
    started = time.monotonic()
    curated = layout.curated_transactions
    staging = new_staging_dir(spark, layout.staging, JOB_NAME, run_date)
    customers = transactions_used = 0
    try:
        # Before any batch has curated rows there is nothing to read: the snapshot is published empty.
        if HadoopFileSystem(spark, curated).glob(f"{curated}/txn_date=*/ingest_date=*"):
            # Only batches delivered by the run date: rerunning a date later gives the same snapshot.
            # max_by and collect_set make the aggregation object-based; with millions of customers per
            # task the object hash map falls back to sorting anyway, so sort from the start.
            spark.conf.set("spark.sql.execution.useObjectHashAggregateExec", "false")
            known_by_then = spark.read.parquet(curated).where(F.col("ingest_date") <= F.to_date(F.lit(run_date)))
            features = build_features(known_by_then, run_date)
            features.write.partitionBy("snapshot_date").parquet(staging)
            staged = spark.read.schema(features.schema).parquet(staging)
            summary = staged.agg(F.count("*").alias("customers"), F.sum("frequency").alias("transactions")).first()
            customers, transactions_used = summary["customers"], summary["transactions"] or 0
        publish_partitions(spark, staging, layout.customer_features, f"snapshot_date={run_date}")
    finally:
        HadoopFileSystem(spark, staging).delete(staging)
    record = {
        "job": JOB_NAME,
        "run_date": run_date,
        "customers": customers,
        "transactions_used": transactions_used,
        "features_path": f"{layout.customer_features}/snapshot_date={run_date}",
        "seconds": round(time.monotonic() - started, 1),
    }
    write_run_record(layout.run_record(run_date, JOB_NAME), record)
    return record


def summarise(record: dict) -> str:
    return f"{JOB_NAME} {record['run_date']}: {record['customers']:,} customers from {record['transactions_used']:,} transactions"


def main(argv: list[str] | None = None) -> None:
    run_job_from_command_line(JOB_NAME, __doc__, run, summarise, argv)


if __name__ == "__main__":
    main()

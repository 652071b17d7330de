"""The snapshot step of the daily pipeline: every customer as of the run date, checked, segmented, summarised.

    publish_snapshot(spark, layout, "2016-10-21")     # what jobs/daily_pipeline.py runs after the batch

Write, audit, publish, into ``warehouse/snapshots/snapshot_date=<run-date>/``. A day costs the
customers it touches, not the history: the per-customer tables hold the rows of the customers that
changed since the previous snapshot beside hard links to that snapshot's files
(``bankseg.row_versions``), and the population figures are kept from per-segment statistics that
the day updates with the same customers (``bankseg.population``).

1. **Features** (``customer_features``): the previous snapshot (the newest one before the run date
   that still covers the batches published up to its date) with the batches delivered since folded
   in (``bankseg.features``). Only the customers in those batches are looked up (one broadcast
   semi-join over the previous rows) and written. The first snapshot, one whose previous snapshot
   went stale (a batch it covered was republished), and one whose previous snapshot has gathered
   ``MAX_CHANGE_SETS`` change sets or changes worth ``MAX_CHANGE_SHARE`` of its rows are written in
   full; both ways give the same customers. A run that would make the date's published features
   again (no batch changed since: scoring the day with a new champion) links them instead.
2. **Gate**: the ``customer_features`` Great Expectations suite checks the staged rows, the day's
   changes or every customer. A critical failure stops here: nothing of the date is published. The
   verdict travels in the snapshot's manifest; linked features keep it while the suite file is
   unchanged.
3. **Segments**, with a champion model: its parameters, read from the registry as data, segment
   customers as one native Spark expression (``customer_segments``), each with the schedule of the
   segments the calendar moves them through if they make no transaction. When the previous snapshot
   was scored by the same version and its scheduled moves reach the run date, only the day's
   customers are scored again: the statistics take their new rows, lose their old ones and gain the
   moves due since (``scheduled_moves``, ``bankseg.population``); otherwise every customer is.
   ``segment_profiles``, the heatmap and the drift come from the segment statistics;
   ``segment_migration`` counts the moves since the previous scored snapshot. Without a champion
   these tables are empty and the log says how to get one.
4. **Marts** for the dashboards: segment keys, segment features, feature drift, model history.
5. **Publish**: the whole folder in one atomic swap (``bankseg.publish``).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bankseg import credentials, marts, population, quality, scoring, tracking
from bankseg.features import (
    DIGEST_MODULUS, SORT_AGGREGATION, STATE_COLUMNS, TRANSACTION_COLUMNS, as_of, batch_state, features, features_digest, fold,
    fold_onto_batch, row_digest,
)
from bankseg.layout import COMPUTED_ON, DataLayout, Snapshot
from bankseg.model_spec import INPUT_COLUMNS
from bankseg.publish import StagedUnit, read_manifest, unit_paths
from bankseg.row_versions import TableChain, link_files
from bankseg.run_records import finish_record
from bankseg.spark import timed

JOB_NAME = "customer_snapshot"
FEATURES, SEGMENTS = "customer_features", "customer_segments"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldPlan:
    """Which snapshot the day starts from and which batches it folds in."""

    base: str | None  # the snapshot date folded onto; None: from scratch
    batches: list[str]  # ingest dates of the batches to fold in
    covered: dict[str, str]  # every batch the new snapshot covers: ingest date -> transaction id
    reason: str


def fold_plan(layout: DataLayout, run_date: str) -> FoldPlan:
    """The newest snapshot on or before ``run_date`` that still covers exactly the batches published
    up to its date, plus the batches since; else every batch up to ``run_date`` from scratch. A
    rerun of a date whose batches did not change starts from its own snapshot and folds nothing."""
    published = {date: read_manifest(Path(layout.batch(date).root))["txid"] for date in layout.batch_dates() if date <= run_date}
    stale = []
    for base in reversed([date for date in layout.snapshot_dates() if date <= run_date]):
        manifest = read_manifest(Path(layout.snapshot(base).root)) or {}
        if TableChain.from_manifest(manifest, FEATURES) is None:
            stale.append(f"snapshot {base} was written before row versions")
        elif manifest.get("batches") == {date: txid for date, txid in published.items() if date <= base}:
            since = [date for date in published if date > base]
            return FoldPlan(base, since, published, f"snapshot {base} plus {len(since)} batch(es) delivered since")
        else:
            stale.append(f"batches changed since snapshot {base} was made")
    reason = stale[0] if stale else "no earlier snapshot"
    return FoldPlan(None, sorted(published), published, f"every batch from scratch: {reason}")


# The curated columns the fold reads, for a snapshot of a warehouse with no batch yet.
TRANSACTION_SCHEMA = (
    "customer_id string, transaction_id string, txn_ts timestamp_ntz, txn_date date, txn_hour int, amount decimal(18,2), "
    "account_balance decimal(18,2), gender string, city string, dob_status string, customer_dob date"
)


@dataclass(frozen=True)
class PublishedSnapshot:
    """A published snapshot: its folder, manifest and table chains; the one reader of its customers.

        PublishedSnapshot.load(layout, "2016-10-21").features_now(spark)   # one row per customer as of that date
    """

    date: str
    folder: Snapshot
    manifest: dict

    @classmethod
    def load(cls, layout: DataLayout, snapshot_date: str) -> PublishedSnapshot:
        folder = layout.snapshot(snapshot_date)
        return cls(snapshot_date, folder, read_manifest(Path(folder.root)) or {})

    @property
    def features_chain(self) -> TableChain:
        chain = TableChain.from_manifest(self.manifest, FEATURES)
        if chain is None:
            raise ValueError(f"snapshot {self.date} has no manifest naming its rows ({self.folder.root}): publish it with the daily DAG's snapshot step")
        return chain

    @property
    def segments_chain(self) -> TableChain | None:
        """None when the snapshot was not scored."""
        return TableChain.from_manifest(self.manifest, SEGMENTS) if self.manifest.get("model_version") else None

    def features(self, spark: SparkSession) -> DataFrame:
        """One row per customer, each as of the date it was computed for."""
        return self.features_chain.current(spark.read.parquet(self.folder.customer_features))

    def states(self, spark: SparkSession) -> DataFrame:
        """One row per customer of what the features are derived from (``STATE_COLUMNS``): the
        columns a day folds onto and derives the features again from, and no more, so the scan reads no more."""
        return self.features_chain.current(spark.read.parquet(self.folder.customer_features).select(*STATE_COLUMNS, COMPUTED_ON))

    def features_now(self, spark: SparkSession) -> DataFrame:
        """One row per customer as of the snapshot's date: what the training reads."""
        return as_of(self.features(spark), self.date)

    def segment_rows(self, spark: SparkSession) -> DataFrame:
        """One row per customer as scored, each with the schedule of its changes after that."""
        rows = spark.read.parquet(self.folder.customer_segments)
        if "schedule" not in rows.columns:
            # Scored before rows carried a schedule, when every day scored again the customers the
            # calendar moved: each row is the customer's segment on the snapshot's date.
            rows = rows.withColumn("schedule", F.array().cast(scoring.SCHEDULE_TYPE))
        return self.segments_chain.current(rows)

    def segments(self, spark: SparkSession) -> DataFrame:
        """One row per customer: the segment as of the snapshot's date and the next change."""
        return scoring.as_of(self.segment_rows(spark), self.date)

    @property
    def scheduled_moves_until(self) -> str | None:
        """The last day its scheduled moves cover: up to then its segment statistics can be carried
        forward with them. None when it was not scored."""
        return self.manifest.get("scheduled_moves_until") if self.segments_chain is not None else None


def delivered_state(spark: SparkSession, layout: DataLayout, batches: list[str]) -> DataFrame:
    """The state of each customer from ``batches`` alone (an empty state when there are none)."""
    transactions = (spark.read.parquet(*[layout.batch(date).transactions for date in batches]).select(*TRANSACTION_COLUMNS) if batches
                    else spark.createDataFrame([], TRANSACTION_SCHEMA))
    return batch_state(transactions)


def state_figures(*frames: DataFrame) -> list[dict]:
    """Customers, transactions and the summed row digests of each of ``frames``, in one job."""
    tagged = [frame.select(F.lit(index).alias("frame"), "frequency", row_digest(frame).alias("digest")) for index, frame in enumerate(frames)]
    union = tagged[0]
    for frame in tagged[1:]:
        union = union.unionByName(frame)
    rows = {row["frame"]: row for row in union.groupBy("frame").agg(
        F.count("*").alias("customers"), F.sum("frequency").alias("transactions"), F.sum("digest").alias("digest")).collect()}
    empty = {"customers": 0, "transactions": None, "digest": None}
    return [{"customers": int(row["customers"]), "transactions_used": int(row["transactions"] or 0), "digest_sum": int(row["digest"] or 0)}
            for row in (rows.get(index, empty) for index in range(len(frames)))]


def published_figures(totals: dict, run_date: str) -> dict:
    """What the manifest says of the features: counts, the digest as of ``run_date``, its date-free sum."""
    digest_sum = totals["digest_sum"] % DIGEST_MODULUS
    return {"customers": totals["customers"], "transactions_used": totals["transactions_used"],
            "features_digest": features_digest(digest_sum, run_date), "features_digest_sum": digest_sum}


def champion_parameters(layout: DataLayout) -> tuple[str, object] | None:
    """The champion's version and parameters, resolved once so a promotion during the run cannot mix
    two models; None (and a log line saying how to get one) when there is no champion."""
    try:
        version = str(tracking.champion_version(layout).version)
    except tracking.NoChampionError as missing:
        log.warning("segments not scored: %s", missing)
        return None
    return version, tracking.model_parameters(layout, version)


def reusable_features(layout: DataLayout, plan: FoldPlan, run_date: str) -> dict | None:
    """The manifest of the run date's published snapshot when this run would only compute its
    features again (no batch changed since it was made) and its features gate ran the suite as it
    is now: a run that scores the day again with a new champion reuses both the features and the
    verdict. None otherwise."""
    if plan.base != run_date or plan.batches:
        return None
    manifest = read_manifest(Path(layout.snapshot(run_date).root)) or {}
    verdict = manifest.get("features_gate") or {}
    return manifest if verdict.get("suite_digest") == quality.suite_digest("features") else None


def previous_scored_segments(spark: SparkSession, layout: DataLayout, run_date: str) -> tuple[str | None, DataFrame | None]:
    """The newest earlier snapshot that was scored, and its segments, one row per customer."""
    for date in reversed([d for d in layout.snapshot_dates() if d < run_date]):
        previous = PublishedSnapshot.load(layout, date)
        if previous.segments_chain is not None:
            return date, previous.segments(spark)
    return None, None


@dataclass
class FeaturesStep:
    """What the features phase leaves for the segments: the staged rows the gate checks and the
    figures for the manifest; for a day's changes, the changed customers' states before."""

    staged_rows: DataFrame  # what this run wrote: every customer, or the day's changes
    chain: TableChain
    figures: dict
    gate: object | None  # the background gate's future; None when the verdict is reused
    previous_states: DataFrame | None = None  # changes only: the changed customers' rows in the previous snapshot


def full_features(spark: SparkSession, layout: DataLayout, plan: FoldPlan, previous: PublishedSnapshot | None, staged: Snapshot,
                  run_date: str, needed: list[str]) -> FeaturesStep:
    """Every customer: the previous snapshot's rows (or nothing) with every batch since folded in."""
    state = delivered_state(spark, layout, plan.batches)
    if previous is not None:
        state = fold(previous.features(spark).select(*STATE_COLUMNS), state)
    frame = features(state, run_date)
    frame.write.parquet(staged.customer_features)
    staged_rows = spark.read.schema(frame.schema).parquet(staged.customer_features).select(*needed).cache()
    (totals,) = state_figures(staged_rows)
    return FeaturesStep(staged_rows, TableChain.full(run_date, totals["customers"]), published_figures(totals, run_date), None)


def small(frame: DataFrame) -> DataFrame:
    """A day's few rows, checkpointed in one partition per core: each read of them after runs that
    many tasks, not one per file or shuffle partition."""
    return frame.coalesce(frame.sparkSession.sparkContext.defaultParallelism).localCheckpoint()


def changed_features(spark: SparkSession, layout: DataLayout, plan: FoldPlan, previous: PublishedSnapshot, staged: Snapshot,
                     run_date: str, needed: list[str], phase_seconds: dict[str, float]) -> FeaturesStep:
    """The customers of the batches since the previous snapshot, folded onto their previous rows,
    beside links to the previous snapshot's files."""
    with timed(phase_seconds, "previous_states"):
        # The one pass over the previous snapshot: the state columns of the batches' customers.
        # A semi-join keeps a row once however often its key repeats on the other side: no distinct needed.
        delivered_ids = spark.read.parquet(*[layout.batch(date).transactions for date in plan.batches]).select("customer_id")
        before = small(previous.states(spark).join(F.broadcast(delivered_ids), "customer_id", "left_semi").select(*STATE_COLUMNS))
    with timed(phase_seconds, "fold_and_write"):
        frame = features(fold_onto_batch(before, delivered_state(spark, layout, plan.batches)), run_date)
        frame.write.parquet(staged.customer_features)
        staged_rows = spark.read.schema(frame.schema).parquet(staged.customer_features).select(*needed).cache()
        now, replaced = state_figures(staged_rows, before)
    # The job above cached the day's rows (its listing is fixed), so the links do not join them.
    link_files(previous.folder.customer_features, staged.customer_features)
    base = previous.manifest
    totals = {"customers": base["customers"] + now["customers"] - replaced["customers"],
              "transactions_used": base["transactions_used"] + now["transactions_used"] - replaced["transactions_used"],
              "digest_sum": base["features_digest_sum"] + now["digest_sum"] - replaced["digest_sum"]}
    return FeaturesStep(staged_rows, previous.features_chain.then(run_date, now["customers"]), published_figures(totals, run_date), None, before)


def write_empty_segments(spark: SparkSession, staged: Snapshot) -> dict:
    for path, schema in ((staged.customer_segments, scoring.SEGMENTS_SCHEMA), (staged.segment_profiles, scoring.PROFILES_SCHEMA),
                         (staged.segment_migration, scoring.MIGRATION_SCHEMA), (staged.segment_statistics, population.STATISTICS_SCHEMA),
                         (staged.scheduled_moves, population.MOVES_SCHEMA),
                         (staged.mart("segment_keys"), marts.SEGMENT_KEYS_SCHEMA),
                         (staged.mart("segment_features"), marts.SEGMENT_FEATURES_SCHEMA),
                         (staged.mart("feature_drift"), marts.FEATURE_DRIFT_SCHEMA)):
        spark.createDataFrame([], schema).coalesce(1).write.parquet(path)
    return {"model_version": None, "segments": [], "customers_scored": 0, "customers_changed_segment": 0, "customers_rescored": 0,
            "customers_moved_by_calendar": None, "scheduled_moves_until": None}


def write_scheduled_moves(entries: DataFrame, path: str, files: int | None = None) -> None:
    """Scheduled moves, summed per day, origin, target, measure and key, in ``files`` files (or as
    many as the sum makes), each in day order so that a day's read skips the row groups of other days."""
    summed = population.aggregate(entries, by=population.MOVE_KEYS)
    summed = summed.coalesce(files) if files else summed
    summed.sortWithinPartitions("changes_on").write.option("parquet.block.size", MOVES_ROW_GROUP_BYTES).parquet(path)


# The column that tells a changed customer's row now (1) from its row before (-1).
SIGN = "sign"
# Row groups of the scheduled moves: small enough that a day's read skips most of them.
MOVES_ROW_GROUP_BYTES = 4 * 1024 * 1024
# How far ahead a scoring of everyone schedules the moves of the statistics. Most segment changes
# lie further ahead (a customer lapses once, after months), and the segments carry every change
# anyway; the snapshot that outruns the moves scores everyone again, as compaction does about as
# often (``bankseg.row_versions.MAX_CHANGE_SETS``).
MOVES_LOOKAHEAD_DAYS = 31


def score_everyone(spark: SparkSession, layout: DataLayout, staged: Snapshot, features_now: DataFrame, run_date: str,
                   champion: tuple[str, object], secret: str) -> tuple[TableChain, list[tuple], str | None, dict]:
    """Every customer scored: segments, keys, statistics and scheduled moves written in full; the
    migration since the previous scored snapshot. Returns the segments' chain, the moves, that
    snapshot's date and the counts of customers scored and moved by the calendar."""
    version, parameters = champion
    # Scored once and checkpointed: every table below is a read of it. A cached frame would keep
    # the scoring expression in its plan, and Spark analyses and optimises that plan again for each
    # read (16,867 customers: 11.7 s instead of 21.5 s warm). Its blocks live on the executors: one
    # lost with its executor fails the task, and Airflow's retry runs it again, with nothing
    # published in between.
    scored = scoring.score(features_now, parameters, version, run_date).localCheckpoint()
    scored.select(*scoring.SEGMENTS_COLUMNS).write.parquet(staged.customer_segments)
    marts.segment_keys(scored, secret).write.parquet(staged.mart("segment_keys"))
    population.aggregate(population.contributions(scored, parameters)).coalesce(1).write.parquet(staged.segment_statistics)
    until = (date.fromisoformat(run_date) + timedelta(days=MOVES_LOOKAHEAD_DAYS)).isoformat()
    write_scheduled_moves(population.scheduled_moves(scored, parameters, until), staged.scheduled_moves)
    previous_date, previous = previous_scored_segments(spark, layout, run_date)
    moves = scoring.migration(scored, previous).collect()
    customers = sum(move["customers"] for move in moves)
    # The migration counts everyone's moves, the calendar's among them, without telling them apart.
    counts = {"scored": customers, "moved_by_calendar": None, "scheduled_moves_until": until}
    return TableChain.full(run_date, customers), [tuple(move) for move in moves], previous_date, counts


def score_changes(spark: SparkSession, previous: PublishedSnapshot, staged: Snapshot, step: FeaturesStep, run_date: str,
                  champion: tuple[str, object], secret: str, phase_seconds: dict[str, float]) -> tuple[TableChain, list[tuple], str, dict]:
    """The day's customers scored; their rows beside links to the previous snapshot's; the
    statistics carried forward with their new rows, without their old ones, and with the moves the
    calendar made since the previous snapshot, as scheduled (``bankseg.population``)."""
    version, parameters = champion
    with timed(phase_seconds, "score_and_write"):
        # The day's customers now (sign 1), and as the previous snapshot scored them (sign -1), in
        # one scoring: the model's expression is planned once, not once per side of a union.
        rows = (step.staged_rows.select(*scoring.SCORING_INPUTS, F.lit(1).alias(SIGN))
                .unionByName(features(step.previous_states, previous.date).select(*scoring.SCORING_INPUTS, F.lit(-1).alias(SIGN))))
        scored_on = F.to_date(F.when(F.col(SIGN) == 1, F.lit(run_date)).otherwise(F.lit(previous.date)))
        both = small(scoring.score(rows, parameters, version, scored_on, carry=(SIGN,)))
        now, before = both.where(F.col(SIGN) == 1), both.where(F.col(SIGN) == -1)
        now.select(*scoring.SEGMENTS_COLUMNS).write.parquet(staged.customer_segments)
        marts.segment_keys(now, secret).write.parquet(staged.mart("segment_keys"))
    with timed(phase_seconds, "scheduled_moves"):
        # Their moves as scheduled now, and those scheduled before taken back: the day's change set.
        until = previous.scheduled_moves_until
        write_scheduled_moves(population.scheduled_moves(both, parameters, until, sign=SIGN), staged.scheduled_moves, files=1)
        link_files(previous.folder.scheduled_moves, staged.scheduled_moves)
        window = (F.col("changes_on") > F.to_date(F.lit(previous.date))) & (F.col("changes_on") <= F.to_date(F.lit(run_date)))
        due = population.aggregate(spark.read.parquet(staged.scheduled_moves).where(window), by=("from_segment_id", "to_segment_id"))
    with timed(phase_seconds, "statistics"):
        # The day's changes to the statistics, beside links to the previous snapshot's files: the
        # rows of the folder sum to the statistics of every customer (``bankseg.population``).
        moved_in, moved_out = population.moved(due)
        changed = population.contributions(both, parameters, sign=SIGN).unionByName(moved_in).unionByName(population.negated(moved_out))
        population.aggregate(changed).coalesce(1).write.parquet(staged.segment_statistics)
        link_files(previous.folder.segment_statistics, staged.segment_statistics)
    with timed(phase_seconds, "migration"):
        transacted = (now.select("customer_id", F.col("segment_id").alias("to_segment_id"))
                      .join(before.select("customer_id", F.col("segment_id").alias("from_segment_id")), "customer_id", "left")
                      .groupBy("from_segment_id", "to_segment_id").agg(F.count("*").alias("customers")).collect())
        calendar = calendar_migration(spark, previous, now, due, run_date)
        before_counts = {segment["segment_id"]: segment["customers"] for segment in previous.manifest["segments"]}
    link_files(previous.folder.customer_segments, staged.customer_segments)
    link_files(previous.folder.mart("segment_keys"), staged.mart("segment_keys"))
    rescored = sum(move["customers"] for move in transacted)
    counts = {"scored": rescored, "moved_by_calendar": sum(customers for _, _, customers in calendar), "scheduled_moves_until": until}
    moves = [(move["from_segment_id"], move["to_segment_id"], move["customers"]) for move in transacted] + calendar
    return previous.segments_chain.then(run_date, rescored), scoring.changed_migration(moves, before_counts), previous.date, counts


def calendar_migration(spark: SparkSession, previous: PublishedSnapshot, now: DataFrame, due: DataFrame, run_date: str) -> list[tuple]:
    """(origin, target, customers) of the customers who did not transact but changed segment with the
    calendar since the previous snapshot. Over one day no one changes twice, and the moves due say
    it; over several, a customer may, and their segments on both dates are read from their rows."""
    if date.fromisoformat(run_date) - date.fromisoformat(previous.date) == timedelta(days=1):
        rows = due.where((F.col("measure") == "customers") & (F.col("customers") != 0)).collect()
        return [(row["from_segment_id"], row["to_segment_id"], int(row["customers"])) for row in rows]
    since, until = F.to_date(F.lit(previous.date)), F.to_date(F.lit(run_date))
    scheduled = (previous.segment_rows(spark).where(F.exists("schedule", lambda change: (change["changes_on"] > since) & (change["changes_on"] <= until)))
                 .join(F.broadcast(now.select("customer_id")), "customer_id", "left_anti"))
    origin = scoring.as_of(scheduled, previous.date).select("customer_id", F.col("segment_id").alias("from_segment_id"))
    target = scoring.as_of(scheduled, run_date).select("customer_id", F.col("segment_id").alias("to_segment_id"))
    rows = origin.join(target, "customer_id").where(F.col("from_segment_id") != F.col("to_segment_id")).groupBy("from_segment_id", "to_segment_id").count().collect()
    return [(row["from_segment_id"], row["to_segment_id"], int(row["count"])) for row in rows]


def write_segment_tables(spark: SparkSession, staged: Snapshot, run_date: str, champion: tuple[str, object], moves: list[tuple],
                         migration_since: str | None, counts: dict) -> dict:
    """Profiles, heatmap, drift and migration of the scored snapshot, from its statistics."""
    version, parameters = champion
    figures = population.figures(spark.read.parquet(staged.segment_statistics), parameters, run_date)
    descriptions = {segment.segment_id: segment.description for segment in parameters.segments}
    profiles = scoring.profile_rows(figures, descriptions, version)
    spark.createDataFrame(profiles, scoring.PROFILES_SCHEMA).coalesce(1).write.parquet(staged.segment_profiles)
    heatmap = [(row["segment_id"], row["segment_name"], row["customers"], *[row[f"scaled_{name}"] for name in INPUT_COLUMNS]) for row in figures.summaries]
    spark.createDataFrame(heatmap, marts.SEGMENT_FEATURES_SCHEMA).coalesce(1).write.parquet(staged.mart("segment_features"))
    spark.createDataFrame(moves, scoring.MIGRATION_SCHEMA).coalesce(1).write.parquet(staged.segment_migration)
    drift = [(feature, psi, parameters.metadata["snapshot_date"], bins) for feature, psi, bins in figures.drift]
    spark.createDataFrame(drift, marts.FEATURE_DRIFT_SCHEMA).coalesce(1).write.parquet(staged.mart("feature_drift"))
    return {
        "model_version": version,
        "migration_since": migration_since,
        "customers_scored": sum(figures.customers.values()),
        "customers_rescored": counts["scored"],
        "customers_moved_by_calendar": counts["moved_by_calendar"],
        "scheduled_moves_until": counts["scheduled_moves_until"],
        "customers_changed_segment": sum(customers for source, target, customers in moves if source is not None and source != target),
        "segments": [
            {"segment_id": p[0], "name": p[1], "customers": p[3], "share": p[13], "median_balance": p[4], "median_spend": p[5],
             "mean_frequency": p[6], "median_recency_days": p[7]}
            for p in profiles
        ],
    }


def publish_snapshot(spark: SparkSession, layout: DataLayout, run_date: str) -> dict:
    started = time.monotonic()
    record_path = layout.run_record(run_date, JOB_NAME)
    phase_seconds: dict[str, float] = {}
    for key, value in SORT_AGGREGATION.items():
        spark.conf.set(key, value)
    plan = fold_plan(layout, run_date)
    reused = reusable_features(layout, plan, run_date)
    previous = PublishedSnapshot.load(layout, plan.base) if plan.base is not None and reused is None else None
    # The registry is asked first: a registry that does not answer fails the task before any work.
    champion = champion_parameters(layout)
    secret = credentials.customer_key_secret(layout)
    # A day with no batch since the previous snapshot (the snapshot step alone on a later date) is written in full.
    changes_only = previous is not None and bool(plan.batches) and not previous.features_chain.due_for_compaction
    scoring_changes = (changes_only and champion is not None and previous.manifest.get("model_version") == champion[0]
                       and run_date <= (previous.scheduled_moves_until or "") and not previous.segments_chain.due_for_compaction)
    if reused is not None:
        fold_text = f"the published features of {run_date} reused: no batch changed since"
    else:
        fold_text = plan.reason
        if previous is not None:
            compaction = " (compaction)" if previous.features_chain.due_for_compaction else ""
            fold_text += ", the changed customers only" if changes_only else f", written in full{compaction}"
    record = {"job": JOB_NAME, "run_date": run_date, "published": False, "fold": fold_text, "phase_seconds": phase_seconds}
    if reused is None:
        quality.clear_reports(layout, run_date, ("features",))
    # What the gate and the segments read of the staged rows.
    needed = sorted({*quality.suite_columns("features"), *scoring.SCORING_INPUTS, "frequency", "monetary_total", "balance_latest"})
    with StagedUnit.open(unit_paths(layout.warehouse, JOB_NAME, run_date, layout.snapshot(run_date).root)) as unit:
        staged = Snapshot(str(unit.staged))
        with timed(phase_seconds, "features"):
            if reused is not None:
                # Linked, not copied: published files are never changed, and a swap moves folders, not files.
                shutil.copytree(layout.snapshot(run_date).customer_features, staged.customer_features, copy_function=os.link)
                chain = TableChain.from_manifest(reused, FEATURES)
                step = FeaturesStep(chain.current(spark.read.parquet(staged.customer_features)), chain,
                                    {key: reused[key] for key in ("customers", "transactions_used", "features_digest", "features_digest_sum")}, None)
            elif changes_only:
                step = changed_features(spark, layout, plan, previous, staged, run_date, needed, phase_seconds)
            else:
                step = full_features(spark, layout, plan, previous, staged, run_date, needed)
        if reused is None:
            # The gate runs beside the segments and marts; nothing is published before its verdict.
            step.gate = quality.validate_in_background(step.staged_rows, layout, "features", run_date)
        with timed(phase_seconds, "segments_and_marts"):
            if champion is None:
                scored, segments_chain = write_empty_segments(spark, staged), None
            else:
                if scoring_changes:
                    segments_chain, moves, since, counts = score_changes(spark, previous, staged, step, run_date, champion, secret, phase_seconds)
                else:
                    # The staged rows are every customer, but for a day's changes, which the links complete.
                    everyone = step.chain.current(spark.read.parquet(staged.customer_features)) if changes_only else step.staged_rows
                    segments_chain, moves, since, counts = score_everyone(spark, layout, staged, as_of(everyone, run_date), run_date, champion, secret)
                with timed(phase_seconds, "segment_tables"):
                    scored = write_segment_tables(spark, staged, run_date, champion, moves, since, counts)
            spark.createDataFrame(tracking.model_history(layout), marts.MODEL_HISTORY_SCHEMA).coalesce(1).write.parquet(staged.mart("model_history"))
        with timed(phase_seconds, "features_gate"):
            report = step.gate.result() if step.gate is not None else quality.restore_report(layout, run_date, reused["features_gate"])
        step.staged_rows.unpersist()
        if not report["success"]:
            rejected = quality.reject(report, unit, layout.rejected(JOB_NAME, run_date))
            return finish_record(record_path, {**record, "customers": step.figures["customers"], **rejected}, started)
        tables = {FEATURES: step.chain.to_record(), **({SEGMENTS: segments_chain.to_record()} if segments_chain else {})}
        figures = {"batches": plan.covered, **step.figures, "tables": tables, "features_gate": report, **scored}
        with timed(phase_seconds, "publish"):
            manifest = unit.publish(figures)
    snapshot = layout.snapshot(run_date)
    return finish_record(record_path, {**record, **figures, "published": True, "txid": manifest["txid"], "snapshot_path": snapshot.root,
                           "features_path": snapshot.customer_features, "segments_path": snapshot.customer_segments}, started)


def summarise(record: dict) -> str:
    if not record["published"]:
        return f"{JOB_NAME} {record['run_date']}: nothing published, {record['gate']} gate failed: {'; '.join(record['gate_failures'])}"
    moved = record["customers_moved_by_calendar"]
    calendar = f", {moved:,} moved by the calendar" if moved is not None else ""
    scored = (f"{record['customers_scored']:,} scored with model version {record['model_version']} "
              f"({record['customers_rescored']:,} scored this run{calendar})" if record["model_version"] else "not scored (no champion model)")
    return f"{JOB_NAME} {record['run_date']}: {record['customers']:,} customers ({record['fold']}), {scored}"

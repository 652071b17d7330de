"""The Hive layer against a real HiveServer2 (the platform's Spark Thrift Server on a free port):
what the real jobs wrote is registered, queryable by analysts through PyHive, and stays right
across reruns, concurrent queries and new columns. That the catalog survives a server restart is
checked where the platform's own server is stopped and started again, in test_daily_dag_e2e.py."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import hive_catalog, is_loopback, listening_sockets
from pyhive.exc import OperationalError
from pyspark.sql import functions as F
from thrift.transport.TTransport import TTransportException

from bankseg import endpoints, environment, etl, load, scoring, services, synthetic, tracking
from bankseg import hive as bankseg_hive
from bankseg import snapshot as customer_snapshot
from bankseg.features import age_band, as_of
from bankseg.hive import (
    TABLES,
    ExternalTable,
    HiveRegistrationError,
    HiveServer2Unavailable,
    register_run,
    view_files,
    view_name,
)
from bankseg.layout import COMPUTED_ON, DataLayout
from bankseg.row_versions import TableChain
from bankseg.publish import KILL_AT_ENV
from bankseg.standalone_cluster import free_port
from bankseg.training_parameters import TrainingParameters
from jobs import train_segmentation

pytestmark = [pytest.mark.spark, pytest.mark.services, pytest.mark.timeout(600)]

RUN_DATE = "2016-10-21"
GENERATED_ROWS = 48
# Two lines the ETL quarantines, so the quarantine table has a partition too.
BAD_LINES = [
    "T900001,C1010014,5/5/85,M,DELHI,100.00,2/8/16",  # MALFORMED_ROW
    "T900002,C1010013,5/5/85,M,DELHI,100.00,2/8/16,101010,-10",  # INVALID_AMOUNT
]
VIEWS = [view_name(path) for path in view_files()]
SPEND_VIEWS = [view for view in VIEWS if view.startswith("v_spend_by_")]


class Server(NamedTuple):
    port: int
    env: dict[str, str]
    layout: DataLayout


def query(server: Server, sql: str, user: str = endpoints.HIVE_ANALYST_USER) -> list[tuple]:
    """What a PyHive session of ``user`` gets: an analyst's unless the service user is named."""
    with bankseg_hive.connect(server.layout, user, port=server.port) as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def service_query(server: Server, sql: str) -> list[tuple]:
    return query(server, sql, endpoints.HIVE_SERVICE_USER)


def refusal(server: Server, sql: str, user: str = endpoints.HIVE_ANALYST_USER) -> str:
    """The server's message when it refuses ``sql`` for ``user``; fails the test if it runs."""
    with pytest.raises(OperationalError) as refused:
        query(server, sql, user)
    return refused.value.args[0].status.errorMessage


def registered_rows(server: Server, table: ExternalTable) -> int:
    return service_query(server, f"SELECT count(*) FROM {table.qualified_name}")[0][0]


def land(layout: DataLayout, lines: list[str]) -> None:
    landing = Path(layout.landing_for(RUN_DATE))
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    (landing / "bank_transactions.csv").write_text("\n".join([synthetic.HEADER, *lines]) + "\n")


def run_jobs(spark, layout: DataLayout) -> None:
    assert etl.publish_batch(spark, layout, RUN_DATE)["published"]
    # The segment tables need a champion model: a small KMeans-only training the first time.
    try:
        tracking.champion_version(layout)
    except tracking.NoChampionError:
        assert customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)["published"]
        small = TrainingParameters(k_min=2, k_max=3, chosen_k=3, algorithms=("kmeans",), evaluation_customers=500)
        tracking.promote(layout, train_segmentation.run(spark, layout, RUN_DATE, small)["model_version"])
    assert customer_snapshot.publish_snapshot(spark, layout, RUN_DATE)["model_version"]


def parquet_rows(spark, table: ExternalTable, layout: DataLayout) -> int:
    """Rows of the table's dataset in every published unit."""
    return sum(spark.read.parquet(table.location(layout, date)).count() for date in table.published_dates(layout))


def curated(spark, layout: DataLayout):
    return spark.read.parquet(*[layout.batch(date).transactions for date in layout.batch_dates()])


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> DataLayout:
    return DataLayout(str(tmp_path_factory.mktemp("hive") / "data"))


@pytest.fixture(scope="module")
def generated_lines(tmp_path_factory) -> list[str]:
    path = tmp_path_factory.mktemp("generated") / "bank_transactions.csv"
    synthetic.generate_csv(path, rows=GENERATED_ROWS, seed=11)
    return path.read_text().splitlines()[1:]


@pytest.fixture(scope="module")
def hiveserver2(layout):
    """The platform's HiveServer2 for the module's data directory, started as `make run` starts it,
    with the Airflow connection hiveserver2_default pointing at it; stopped by its process group."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(endpoints.HIVE_PORT_ENV, str(free_port()))
        env = environment.platform_env(layout)
        patch.setenv("AIRFLOW_CONN_HIVESERVER2_DEFAULT", env["AIRFLOW_CONN_HIVESERVER2_DEFAULT"])
        started = time.monotonic()
        services.ensure_hiveserver2(layout, env)
        print(f"HiveServer2 healthy after {time.monotonic() - started:.1f} s")
        try:
            yield Server(endpoints.hive_port(), env, layout)
        finally:
            services.stop_service(services.hiveserver2_service(layout), layout)


@pytest.fixture(scope="module")
def registered(spark, layout, generated_lines, hiveserver2) -> dict:
    """The real jobs' output for RUN_DATE, registered once."""
    land(layout, generated_lines + BAD_LINES)
    run_jobs(spark, layout)
    result = register_run(RUN_DATE, layout)
    print(f"registration of {RUN_DATE}: {result['seconds']} s")
    return result


def test_hiveserver2_down_names_the_endpoint_and_what_to_do(layout, monkeypatch):
    unused_port = free_port()
    monkeypatch.setenv(endpoints.HIVE_PORT_ENV, str(unused_port))
    connection = environment.platform_env(layout)["AIRFLOW_CONN_HIVESERVER2_DEFAULT"]
    monkeypatch.setenv("AIRFLOW_CONN_HIVESERVER2_NOWHERE", connection)
    with pytest.raises(HiveServer2Unavailable, match=rf"127\.0\.0\.1:{unused_port} .*hiveserver2_nowhere.*`make up`"):
        register_run(RUN_DATE, layout, conn_id="hiveserver2_nowhere")


def test_hiveserver2_listens_on_loopback_only(hiveserver2, layout):
    pid = int(services.hiveserver2_service(layout).pid_file(layout).read_text())
    sockets = listening_sockets(pid)
    assert hiveserver2.port in {port for _, port in sockets}
    assert all(is_loopback(address) for address, _ in sockets), sorted(sockets)


def test_tables_views_and_the_run_partitions_are_registered(registered, hiveserver2, layout):
    # Analysts' database: views only, one per table under the table's name, then the summaries.
    assert sorted(row[1] for row in query(hiveserver2, "SHOW TABLES IN bank")) == sorted(VIEWS)
    assert sorted(row[1] for row in query(hiveserver2, "SHOW VIEWS IN bank")) == sorted(VIEWS)
    assert {table.name for table in TABLES} < set(VIEWS)
    assert sorted(row[1] for row in query(hiveserver2, "SHOW TABLES IN bank_restricted")) == sorted(table.name for table in TABLES)
    for table in TABLES:
        assert list(Path(table.location(layout, RUN_DATE)).glob("*.parquet")), f"the jobs wrote nothing to {table.name}"
        # The .hql files declare exactly the columns and types the jobs write.
        assert registered["tables"][table.name]["columns_added"] == [], table.name
        assert registered["tables"][table.name]["partitions_added"] == [RUN_DATE]
        # Each partition is the published folder of its date.
        described = query(hiveserver2, f"DESCRIBE TABLE EXTENDED {table.qualified_name} PARTITION ({table.partition_spec(RUN_DATE)})")
        # The partition's own location comes first, then the table's.
        location = next(row[1] for row in described if row[0] == "Location")
        assert location.rstrip("/").endswith(table.location(layout, RUN_DATE).rstrip("/")), (table.name, location)


def test_every_table_view_and_column_has_a_comment(registered, hiveserver2):
    for name in [table.qualified_name for table in TABLES] + [f"bank.{view}" for view in VIEWS]:
        rows = query(hiveserver2, f"DESCRIBE TABLE EXTENDED {name}")
        names = [row[0] for row in rows]
        columns = rows[: names.index("")] if "" in names else rows
        uncommented = [column for column, _, comment in columns if not column.startswith("#") and not comment]
        assert uncommented == [], f"{name}: columns without a comment"
        assert dict((row[0], row[1]) for row in rows).get("Comment"), f"{name} has no comment"


def test_counts_equal_the_parquet_outputs(registered, hiveserver2, spark, layout):
    for table in TABLES:
        assert registered_rows(hiveserver2, table) == parquet_rows(spark, table, layout), table.name
        # The analysts' view of the table has every row.
        assert query(hiveserver2, f"SELECT count(*) FROM bank.{table.name}")[0][0] == parquet_rows(spark, table, layout), table.name

    expected = tuple(curated(spark, layout).agg(F.count("*"), F.sum("amount")).first())
    for view in SPEND_VIEWS:
        assert query(hiveserver2, f"SELECT sum(transactions), sum(amount_total) FROM bank.{view}")[0] == expected, view
    newest_snapshot = spark.read.parquet(layout.snapshot(layout.snapshot_dates()[-1]).customer_features)
    assert query(hiveserver2, "SELECT count(*) FROM bank.v_customers")[0][0] == newest_snapshot.count()


def test_spend_by_city_answers_the_dashboard_question(registered, hiveserver2, spark, layout):
    by_city = curated(spark, layout).groupBy("city").agg(
        F.countDistinct("customer_id"), F.count("*"), F.sum("amount")
    )
    answer = query(hiveserver2, "SELECT city, customers, transactions, amount_total FROM bank.v_spend_by_city")
    assert sorted(answer) == sorted(tuple(row) for row in by_city.collect())


def test_views_show_age_bands_never_birth_dates_or_raw_locations(registered, hiveserver2, spark, layout):
    # (dob_status says whether a birth date was usable, not what it is.)
    personal = {"customer_dob", "customer_dob_raw", "age", "age_at_txn", "location_raw", "raw_record"}
    for view in VIEWS:
        columns = [row[0] for row in query(hiveserver2, f"DESCRIBE TABLE bank.{view}")]
        assert not [c for c in columns if "birth" in c or c in personal], view
    # The restricted tables have them, which is why analysts read the views.
    restricted = {row[0] for table in TABLES for row in query(hiveserver2, f"DESCRIBE TABLE {table.qualified_name}")}
    assert {"customer_dob", "age", "location_raw", "raw_record"} <= restricted
    # The view's age bands are the features job's, transaction by transaction.
    expected = curated(spark, layout).select("transaction_id", age_band(F.col("age_at_txn")))
    assert sorted(query(hiveserver2, "SELECT transaction_id, age_band FROM bank.v_transactions")) == sorted(
        tuple(row) for row in expected.collect()
    )


def test_registering_again_changes_nothing(registered, hiveserver2, layout):
    before = hive_catalog(layout, hiveserver2.port)
    again = register_run(RUN_DATE, layout)
    assert hive_catalog(layout, hiveserver2.port) == before
    assert registered["views_created"] == VIEWS and again["views_created"] == []
    for table in TABLES:
        assert again["tables"][table.name] == {
            "columns_added": [],
            "partitions_added": [],
            "partitions_dropped": [],
            "partitions": len(before["partitions"][table.name]),
        }


def test_eight_analysts_query_while_a_run_registers_without_an_error(registered, hiveserver2, layout):
    queries = [
        "SELECT city, transactions FROM bank.v_spend_by_city ORDER BY city",
        "SELECT segment_id, customers FROM bank.v_segment_summary ORDER BY segment_id",
        "SELECT count(*), sum(amount) FROM bank.transactions",
    ]
    expected = {sql: query(hiveserver2, sql) for sql in queries}
    registered_again = threading.Event()

    def register() -> None:
        try:
            register_run(RUN_DATE, layout)
        finally:
            registered_again.set()

    registration = threading.Thread(target=register)
    with load.analyst_sessions(layout, hiveserver2.port, queries, expected) as analyst_query:
        registration.start()
        # For the registration's length, bounded at 120 s and two rounds of the queries per analyst.
        result = load.run_users("analysts", 8, analyst_query, until=registered_again.is_set, max_requests_per_user=2 * len(queries))
    registration.join(timeout=120)
    print(result.summary())
    assert result.errors == []
    assert result.requests >= 8  # every analyst got at least one answer in while it registered


def test_a_changed_view_file_replaces_that_view_only(registered, hiveserver2, layout, tmp_path, monkeypatch):
    changed_dir = tmp_path / "hive"
    shutil.copytree(bankseg_hive.HQL_DIR, changed_dir)
    changed_file = changed_dir / "views" / "20_v_spend_by_city.hql"
    original_comment = "COMMENT 'Spend, transactions, customers and mean balance per city"
    assert original_comment in changed_file.read_text()
    changed_file.write_text(changed_file.read_text().replace(original_comment, "COMMENT 'Per city: spend, transactions, customers and mean balance"))

    def view_comment() -> str:
        rows = query(hiveserver2, "DESCRIBE TABLE EXTENDED bank.v_spend_by_city")
        return next(value for name, value, _ in rows if name == "Comment")

    monkeypatch.setattr(bankseg_hive, "HQL_DIR", changed_dir)
    try:
        changed = register_run(RUN_DATE, layout)
        comment_after_change = view_comment()
    finally:
        monkeypatch.undo()
        restored = register_run(RUN_DATE, layout)
    assert changed["views_created"] == ["v_spend_by_city"]
    assert comment_after_change.startswith("Per city: spend")
    assert restored["views_created"] == ["v_spend_by_city"]
    assert view_comment().startswith("Spend, transactions, customers")


# Publishes a copy of a batch folder as the date's batch through the platform's publish, in a process
# of its own that kills itself at a publish step when BANKSEG_PUBLISH_KILL_AT names one.
PUBLISH_COPY = """
import shutil, sys
from bankseg import publish
from bankseg.layout import COMPUTED_ON, DataLayout
from bankseg.row_versions import TableChain
layout, run_date, source = DataLayout(sys.argv[1]), sys.argv[2], sys.argv[3]
paths = publish.unit_paths(layout.warehouse, "etl_transactions", run_date, layout.batch(run_date).root)
with publish.StagedUnit.open(paths) as unit:
    shutil.copytree(source, unit.staged, dirs_exist_ok=True, ignore=shutil.ignore_patterns(publish.MANIFEST))
    unit.publish({"copied_from": source})
"""
# Every step of a publish that replaces a date, in order (tests/test_publish.py kills each one too).
PUBLISH_STEPS = ["before_journal", "after_journal", "after_swap", "before_commit", "after_commit"]


def publish_copy(layout: DataLayout, source: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != KILL_AT_ENV}
    env.update({KILL_AT_ENV: kill_at} if kill_at else {})
    return subprocess.run([sys.executable, "-c", PUBLISH_COPY, layout.root, RUN_DATE, str(source)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_publish_killed_at_any_step_shows_analysts_the_old_batch_or_the_new_one_whole(registered, hiveserver2, spark, layout, tmp_path):
    """No REFRESH between the kill and the query: what an analyst reads while a publish is cut short."""
    batch = layout.batch(RUN_DATE)
    versions = {"old": tmp_path / "old", "new": tmp_path / "new"}
    shutil.copytree(batch.root, versions["old"])
    shutil.copytree(batch.root, versions["new"], ignore=shutil.ignore_patterns("transactions"))
    # The new batch: the same delivery without its first transaction date.
    transactions = spark.read.parquet(batch.transactions)
    first_date = transactions.agg(F.min("txn_date")).first()[0]
    transactions.where(F.col("txn_date") != first_date).write.parquet(str(versions["new"] / "transactions"))
    rows = {name: spark.read.parquet(str(folder / "transactions")).count() for name, folder in versions.items()}
    assert rows["new"] < rows["old"] == GENERATED_ROWS

    def analysts_see() -> str:
        (count,) = query(hiveserver2, f"SELECT count(*) FROM bank.transactions WHERE ingest_date = '{RUN_DATE}'")[0]
        assert count in rows.values(), f"{count} rows: neither batch whole ({rows})"
        return "old" if count == rows["old"] else "new"

    kills = [(step, "SIGKILL") for step in PUBLISH_STEPS] + [("after_swap", "SIGTERM")]
    try:
        for step, signal_name in kills:
            before = analysts_see()
            target = "new" if before == "old" else "old"
            killed = publish_copy(layout, versions[target], f"{step}:{signal_name}")
            assert killed.returncode == -getattr(signal, signal_name), (step, killed.stderr[-2000:])
            assert analysts_see() == (before if step in ("before_journal", "after_journal") else target), (step, signal_name)
            rerun = publish_copy(layout, versions[target])
            assert rerun.returncode == 0, rerun.stderr[-2000:]
            assert analysts_see() == target, f"the rerun after a kill at {step} did not converge"
    finally:
        assert publish_copy(layout, versions["old"]).returncode == 0
    assert analysts_see() == "old"


def test_a_rerun_that_replaced_the_dates_files_is_registered(registered, hiveserver2, spark, layout, generated_lines):
    dates = sorted({fields[6] for fields in csv.reader(io.StringIO("\n".join(generated_lines)))})
    # The corrected delivery lacks one transaction date: the rerun replaces the batch whole.
    dropped_date = dates[0]
    kept_lines = [line for line in generated_lines if next(csv.reader([line]))[6] != dropped_date]
    land(layout, kept_lines + BAD_LINES)
    run_jobs(spark, layout)

    result = register_run(RUN_DATE, layout)

    assert result["tables"]["transactions"] == {"columns_added": [], "partitions_added": [], "partitions_dropped": [], "partitions": 1}
    for table in TABLES:
        assert registered_rows(hiveserver2, table) == parquet_rows(spark, table, layout), table.name
    assert query(hiveserver2, "SELECT count(*) FROM bank.transactions")[0][0] == len(kept_lines)


def test_a_new_parquet_column_is_added_without_losing_data(registered, hiveserver2, spark, layout):
    next_date = "2016-10-22"
    earlier_rows = query(hiveserver2, "SELECT count(*) FROM bank.customer_features")[0][0]
    snapshot = spark.read.parquet(layout.snapshot(RUN_DATE).customer_features)
    publish_copy_of_snapshot(layout, next_date, lambda folder: snapshot.withColumn("loyalty_score", F.lit(0.5)).write.parquet(folder))

    result = register_run(next_date, layout)

    assert result["tables"]["customer_features"]["columns_added"] == ["loyalty_score"]
    assert result["tables"]["customer_features"]["partitions_added"] == [next_date]
    scores_per_snapshot = "SELECT CAST(snapshot_date AS STRING), count(loyalty_score) FROM bank_restricted.customer_features"
    counts = dict(service_query(hiveserver2, f"{scores_per_snapshot} GROUP BY snapshot_date"))
    assert counts == {RUN_DATE: 0, next_date: snapshot.count()}
    assert query(hiveserver2, "SELECT count(*) FROM bank.customer_features")[0][0] == earlier_rows + snapshot.count()
    comments = {row[0]: row[2] for row in query(hiveserver2, "DESCRIBE TABLE bank_restricted.customer_features")}
    assert comments["loyalty_score"] == f"Added from the Parquet files of {next_date}"


def test_the_analyst_views_keep_each_customers_newest_row_as_of_the_snapshot_date(registered, hiveserver2, spark, layout):
    """A partition of row versions, as a later day publishes it: the run date's rows (linked) and two
    customers changed on the later date. The views read it as the Spark reader does."""
    later = "2016-11-20"
    base = spark.read.parquet(layout.snapshot(RUN_DATE).customer_features)
    changed = (base.orderBy("customer_id").limit(2)
               .withColumn("frequency", F.col("frequency") + 1).withColumn("last_txn_date", F.to_date(F.lit(later)))
               .withColumn(COMPUTED_ON, F.to_date(F.lit(later))))
    publish_copy_of_snapshot(layout, later, lambda folder: (base.write.parquet(folder), changed.write.mode("append").parquet(folder)))
    try:
        register_run(later, layout)
        chain = TableChain(RUN_DATE, base.count(), [later], 2)
        expected = as_of(chain.current(spark.read.parquet(layout.snapshot(later).customer_features)), later)
        columns = "customer_id, recency_days, frequency, age_band"
        seen = query(hiveserver2, f"SELECT {columns} FROM bank.customer_features WHERE snapshot_date = '{later}'")
        assert len(seen) == base.count() and sorted(seen) == sorted(tuple(row) for row in expected.selectExpr(*columns.split(", ")).collect())
        assert {row[0]: row[2] for row in seen if row[1] == 0} == {row["customer_id"]: row["frequency"] for row in changed.collect()}
        # v_customers reads the newest partition the same way.
        assert query(hiveserver2, "SELECT count(*), count(DISTINCT customer_id) FROM bank.v_customers")[0] == (base.count(), base.count())
        # The segments: two customers scored again on the later date (no change ahead), the others as
        # scored on the run date, read as of the later date through their schedules.
        folder = layout.snapshot(later).customer_segments
        stored = spark.read.parquet(folder)
        rescored = (stored.orderBy("customer_id").limit(2).withColumn("segment_id", -F.col("segment_id"))
                    .withColumn("schedule", F.array().cast(scoring.SCHEDULE_TYPE)).withColumn(COMPUTED_ON, F.to_date(F.lit(later))))
        rescored.write.mode("append").parquet(folder)
        stored = TableChain(RUN_DATE, stored.count(), [later], 2).current(spark.read.parquet(folder)).cache()
        segments = "customer_id, segment_id, segment_name, segment_changes_on, next_segment_id"
        expected = [tuple(row) for row in scoring.as_of(stored, later).selectExpr(*segments.split(", ")).withColumn(
            "segment_changes_on", F.col("segment_changes_on").cast("string")).collect()]
        assert sum(row[1] < 0 for row in expected) == 2
        seen = query(hiveserver2, f"SELECT {segments} FROM bank.customer_segments WHERE snapshot_date = '{later}'")
        assert sorted(seen, key=str) == sorted(expected, key=str)
        scored_in = {row["customer_id"]: row["segment_id"] for row in stored.collect()}
        moved = sum(scored_in[customer] != segment for customer, segment, *_ in seen)
        assert 0 < moved < len(seen), "the calendar must have moved some customers, and not all"
    finally:
        shutil.rmtree(layout.snapshot(later).root)
        register_run(RUN_DATE, layout)


def test_a_changed_column_type_is_refused_and_nothing_of_the_date_registered(registered, hiveserver2, spark, layout):
    bad_date = "2016-10-23"
    snapshot = spark.read.parquet(layout.snapshot(RUN_DATE).customer_features)
    publish_copy_of_snapshot(layout, bad_date, lambda folder: snapshot.withColumn("frequency", F.col("frequency").cast("string")).write.parquet(folder))
    try:
        with pytest.raises(HiveRegistrationError, match="frequency is bigint in the table but string in the files"):
            register_run(bad_date, layout)
        partitions = [row[0] for row in query(hiveserver2, "SHOW PARTITIONS bank_restricted.customer_features")]
        assert f"snapshot_date={bad_date}" not in partitions
    finally:
        shutil.rmtree(layout.snapshot(bad_date).root)


def publish_copy_of_snapshot(layout: DataLayout, date: str, write_features) -> None:
    """A snapshot of ``date``: the run date's folder with its features written by ``write_features``."""
    target = Path(layout.snapshot(date).root)
    shutil.copytree(layout.snapshot(RUN_DATE).root, target)
    shutil.rmtree(target / "customer_features")
    write_features(str(target / "customer_features"))


# ---------------------------------------------------------------- logins and what each user may run


@pytest.mark.parametrize(
    "user, password",
    [("analyst", "wrong"), ("bankseg", "wrong"), ("someone", "anything"), ("analyst", "")],
)
def test_a_client_without_a_valid_login_is_refused(registered, hiveserver2, user, password):
    from pyhive import hive as pyhive

    with pytest.raises(TTransportException):
        pyhive.connect(host=endpoints.HIVE_HOST, port=hiveserver2.port, auth="CUSTOM", username=user, password=password)


def test_a_client_with_no_authentication_is_refused(registered, hiveserver2):
    from pyhive import hive as pyhive

    with pytest.raises(TTransportException):  # auth NONE sends any user with the password "x"
        pyhive.connect(host=endpoints.HIVE_HOST, port=hiveserver2.port, username="analyst")


def test_the_users_file_holds_hashes_only_its_owner_can_read(registered, hiveserver2, layout):
    from bankseg import credentials

    users = credentials.secrets_folder(layout) / "hiveserver2_users"
    assert users.stat().st_mode & 0o077 == 0
    text = users.read_text()
    assert [line.split(":")[0] for line in text.splitlines()] == ["bankseg", "analyst"]
    for user in ("bankseg", "analyst"):
        assert credentials.hive_password(layout, user) not in text


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE bank.copied AS SELECT * FROM bank.transactions",
        "DROP VIEW bank.v_spend_by_city",
        "CREATE OR REPLACE TEMPORARY VIEW mine AS SELECT 1",
        "ALTER TABLE bank_restricted.transactions DROP IF EXISTS PARTITION (ingest_date='2016-10-21')",
        "INSERT INTO bank_restricted.segment_profiles SELECT * FROM bank_restricted.segment_profiles",
        "CREATE TABLE bank.files (line STRING) USING text LOCATION '/'",
        "CACHE TABLE bank.transactions",
        "RESET",
    ],
)
def test_analysts_may_only_read(registered, hiveserver2, statement):
    assert "may only read" in refusal(hiveserver2, statement)


def test_analysts_may_browse_the_catalog(registered, hiveserver2):
    assert query(hiveserver2, "SHOW DATABASES") == [("bank",), ("bank_restricted",), ("default",)]
    assert query(hiveserver2, "DESCRIBE bank.transactions")
    assert query(hiveserver2, "SET spark.sql.session.timeZone") == [("spark.sql.session.timeZone", "Asia/Kolkata")]


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT customer_id, customer_dob FROM bank_restricted.transactions",
        "SELECT count(*) FROM bank.transactions WHERE customer_id IN (SELECT customer_id FROM bank_restricted.customer_features WHERE age > 60)",
        "WITH people AS (SELECT customer_dob FROM bank_restricted.customer_features) SELECT min(customer_dob) FROM people",
        "SELECT t.amount FROM bank.transactions t JOIN bank_restricted.quarantine q ON q.transaction_id_raw = t.transaction_id",
    ],
)
def test_analysts_read_the_restricted_database_only_through_the_views(registered, hiveserver2, statement):
    assert "may not read database bank_restricted" in refusal(hiveserver2, statement)


def test_the_service_user_reads_the_restricted_tables(registered, hiveserver2):
    (births,) = service_query(hiveserver2, "SELECT count(customer_dob) FROM bank_restricted.customer_features")[0]
    assert births > 0  # the generator's birth dates are mostly valid


@pytest.mark.parametrize("user", ["analyst", "bankseg"])
def test_nobody_reads_files_by_path_or_loads_code_into_the_server(registered, hiveserver2, layout, user):
    from bankseg import credentials

    secret = credentials.hive_password_file(layout, "bankseg")
    # With file queries on (Spark's default), this would return the password; off, it names no table.
    assert "TABLE_OR_VIEW_NOT_FOUND" in refusal(hiveserver2, f"SELECT * FROM text.`{secret}`", user)
    assert "file queries are disabled" in refusal(hiveserver2, "SET spark.sql.runSQLOnFiles=true", user)
    jar = next(Path(endpoints.spark_home(), "jars").glob("commons-io-*.jar"))
    assert "loading code into the server" in refusal(hiveserver2, f"ADD JAR {jar}", user)
    assert "loading code into the server" in refusal(hiveserver2, f"CREATE FUNCTION bank.f AS 'org.example.F' USING JAR '{jar}'", user)
    assert "calling Java methods from SQL" in refusal(hiveserver2, "SELECT reflect('java.lang.System', 'getenv', 'HOME')", user)


def test_a_table_left_in_bank_by_an_earlier_version_gives_way_to_its_view(registered, hiveserver2, layout, tmp_path):
    """Before the tables moved to bank_restricted, bank had them under the names its views now take."""
    old_files = tmp_path / "old_table"
    old_files.mkdir()
    (old_files / "kept.txt").write_text("data the old table pointed at")
    service_query(hiveserver2, "DROP VIEW bank.segment_migration")
    service_query(hiveserver2, f"CREATE TABLE bank.segment_migration (segment_id INT) USING parquet LOCATION '{old_files}'")
    assert "segment_migration" not in {row[1] for row in query(hiveserver2, "SHOW VIEWS IN bank")}

    result = register_run(RUN_DATE, layout)

    assert result["views_created"] == ["segment_migration"]
    assert "segment_migration" in {row[1] for row in query(hiveserver2, "SHOW VIEWS IN bank")}
    assert query(hiveserver2, "SELECT count(*) FROM bank.segment_migration") == service_query(
        hiveserver2, "SELECT count(*) FROM bank_restricted.segment_migration"
    )
    assert (old_files / "kept.txt").exists()  # an external table: dropping it leaves its files

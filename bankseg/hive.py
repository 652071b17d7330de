"""Registers what the daily DAG wrote as Hive tables and views, through HiveServer2.

    register_run("2016-10-21")     # the DAG's register_hive task; returns what it did

The Spark jobs only write Parquet files. This module makes them queryable as database ``bank``
by analysts (beeline, PyHive, any JDBC/ODBC tool):

* The DDL lives in versioned files under ``hive/``: ``database.hql`` and
  ``restricted_database.hql``, one file per table in ``hive/tables/`` and one per view in
  ``hive/views/``, applied in file-name order so that a view comes after the views it reads. Every
  statement is idempotent (IF NOT EXISTS, CREATE OR REPLACE VIEW): registering a date twice
  changes nothing.
* The tables live in database ``bank_restricted``, which only the service user may read: they hold
  birth dates and raw locations. Analysts query database ``bank``: a view of each table without
  those columns (``bank.transactions`` and so on), and the summary views.
* A view is replaced only when its file changed. Spark replaces a view by dropping and creating
  it, and an analyst's query that lands in between fails; so each view carries the SHA-256 of the
  statement that made it (table property ``bankseg.definition_sha256``) and an unchanged view is
  left alone.
* Tables are external, over the folders the daily jobs publish: a table of batches
  (``transactions``, ``quarantine``) has one partition per ingest date, located in that batch's
  folder; a table of snapshots one per snapshot date. Registering a date adds its partition (and
  any published date not registered yet, and drops the partitions of dates no longer published);
  it never lists the whole warehouse. A rerun replaces a folder in place, so its partition stays
  and the table is refreshed.
* A column that the run's Parquet files have and the table lacks is added (ALTER TABLE ... ADD
  COLUMNS) before the run's partitions are registered; the data registered before keeps its rows
  and reads null there. A column whose type changed stops the registration with an error instead:
  no ALTER can convert the files already registered.

Every statement goes through HiveServer2 (Airflow connection ``hiveserver2_default``), never through
a job's Spark session: the embedded Derby metastore admits one JVM, the server's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pyhive import hive as pyhive
from pyhive.exc import OperationalError
from thrift.transport.TTransport import TTransportException

from bankseg import credentials
from bankseg.endpoints import HIVE_ANALYST_USER, HIVE_DATABASE, HIVE_HOST, HIVE_RESTRICTED_DATABASE, hive_port
from bankseg.layout import REPOSITORY_ROOT, DataLayout

log = logging.getLogger(__name__)

DATABASE = HIVE_DATABASE
RESTRICTED_DATABASE = HIVE_RESTRICTED_DATABASE
HQL_DIR = REPOSITORY_ROOT / "hive"
HIVESERVER2_CONN_ID = "hiveserver2_default"
HIVEVAR = re.compile(r"\$\{hivevar:(\w+)\}")
VIEW_DEFINITION_PROPERTY = "bankseg.definition_sha256"


class HiveServer2Unavailable(RuntimeError):
    """HiveServer2 does not answer; the message names the endpoint and what to do."""


class HiveRegistrationError(RuntimeError):
    """HiveServer2 refused a statement, or a dataset cannot be registered as it is; the message says which."""

    def __init__(self, message: str, sql_state: str | None = None):
        super().__init__(message)
        self.sql_state = sql_state


@dataclass(frozen=True)
class ExternalTable:
    """A table of ``bank`` over one dataset of the published batches or snapshots; its DDL is
    ``hive/tables/<name>.hql``."""

    name: str
    # "ingest_date" for a dataset of the batches, "snapshot_date" for one of the snapshots.
    partition_column: str

    @property
    def qualified_name(self) -> str:
        return f"{RESTRICTED_DATABASE}.{self.name}"

    @property
    def ddl_file(self) -> Path:
        return HQL_DIR / "tables" / f"{self.name}.hql"

    def root(self, layout: DataLayout) -> str:
        return layout.batches if self.partition_column == "ingest_date" else layout.snapshots

    def published_dates(self, layout: DataLayout) -> list[str]:
        return layout.batch_dates() if self.partition_column == "ingest_date" else layout.snapshot_dates()

    def location(self, layout: DataLayout, date: str) -> str:
        """The folder of the dataset in the unit of ``date``."""
        unit = layout.batch(date) if self.partition_column == "ingest_date" else layout.snapshot(date)
        return getattr(unit, self.name)

    def partition_spec(self, date: str) -> str:
        return f"{self.partition_column}='{date}'"


# The datasets of the daily DAG; a new one is an entry here and a file in hive/tables/.
TABLES = (
    ExternalTable("transactions", "ingest_date"),
    ExternalTable("quarantine", "ingest_date"),
    ExternalTable("customer_features", "snapshot_date"),
    ExternalTable("customer_segments", "snapshot_date"),
    ExternalTable("segment_profiles", "snapshot_date"),
    ExternalTable("segment_migration", "snapshot_date"),
)


def view_files() -> list[Path]:
    """``hive/views/NN_<view>.hql``, in the order they are applied."""
    return sorted((HQL_DIR / "views").glob("*.hql"))


def view_name(view_file: Path) -> str:
    return view_file.stem.split("_", 1)[1]


def hql_statement(path: Path, variables: dict[str, str] | None = None) -> str:
    """The one statement of an .hql file, ``${hivevar:name}`` replaced as ``beeline --hivevar`` would."""
    variables = variables or {}

    def value(match: re.Match) -> str:
        if match.group(1) not in variables:
            raise HiveRegistrationError(f"{path}: no value given for ${{hivevar:{match.group(1)}}}")
        return variables[match.group(1)]

    return HIVEVAR.sub(value, path.read_text()).strip().rstrip(";")


def connect(layout: DataLayout, user: str = HIVE_ANALYST_USER, port: int | None = None, database: str = DATABASE) -> Any:
    """A PyHive connection to the data directory's HiveServer2, signed in as ``user`` (the analyst by
    default) with its password; what an analyst's Python session does."""
    return pyhive.connect(
        host=HIVE_HOST, port=port or hive_port(), database=database, auth="CUSTOM",
        username=user, password=credentials.hive_password(layout, user),
    )


@contextlib.contextmanager
def hiveserver2_cursor(conn_id: str) -> Iterator[Any]:
    """A cursor on one HiveServer2 session, from an Airflow connection; a clear error when unreachable."""
    # The provider is imported when a task runs, not when the DAG file is parsed.
    from airflow.providers.apache.hive.hooks.hive import HiveServer2Hook

    hook = HiveServer2Hook(hiveserver2_conn_id=conn_id)
    try:
        connection = hook.get_conn()
    except TTransportException as error:
        endpoint = hook.get_connection(conn_id)
        raise HiveServer2Unavailable(
            f"HiveServer2 at {endpoint.host}:{endpoint.port} (Airflow connection {conn_id}) is unreachable: {error}. "
            "Start it with `make up` (with the same DATA_DIR), then clear this task or let its retry run."
        ) from error
    with contextlib.closing(connection), contextlib.closing(connection.cursor()) as cursor:
        yield cursor


def run_statement(cursor: Any, statement: str) -> list[tuple]:
    """Run one statement and return its rows (none for DDL). A refusal names the statement and keeps
    the server's message without its Java stack trace."""
    try:
        cursor.execute(statement)
    except OperationalError as error:
        status = getattr(error.args[0], "status", None) if error.args else None
        message = status.errorMessage if status else str(error)
        raise HiveRegistrationError(
            f"HiveServer2 refused the statement: {message}\n{statement}", status.sqlState if status else None
        ) from error
    return cursor.fetchall() if cursor.description else []


def table_columns(cursor: Any, table: ExternalTable) -> dict[str, str]:
    """The table's data columns (partition columns left out), lower-case name -> Spark type."""
    rows = run_statement(cursor, f"DESCRIBE TABLE {table.qualified_name}")
    # All columns come first, then a "# Partition Information" section repeats the partition columns.
    names = [name for name, _, _ in rows]
    end = names.index("# Partition Information") if "# Partition Information" in names else len(rows)
    partition_columns = {name.lower() for name, _, _ in rows[end:] if name and not name.startswith("#")}
    return {
        name.lower(): data_type
        for name, data_type, _ in rows[:end]
        if name and not name.startswith("#") and name.lower() not in partition_columns
    }


# Spark keeps the schema of the Parquet files it writes in their footer, as JSON.
SPARK_SCHEMA_KEY = b"org.apache.spark.sql.parquet.row.metadata"
# Spark's JSON names of the integer types, where DESCRIBE uses the SQL names.
SQL_TYPE_NAMES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}


def sql_type(json_type: str | dict) -> str:
    """The type as DESCRIBE TABLE prints it, from Spark's JSON schema of a Parquet file."""
    if isinstance(json_type, str):
        return SQL_TYPE_NAMES.get(json_type, json_type)
    if json_type["type"] == "array":
        return f"array<{sql_type(json_type['elementType'])}>"
    if json_type["type"] == "map":
        return f"map<{sql_type(json_type['keyType'])},{sql_type(json_type['valueType'])}>"
    return "struct<" + ",".join(f"{field['name']}:{sql_type(field['type'])}" for field in json_type["fields"]) + ">"


def parquet_columns(path: str) -> dict[str, str] | None:
    """The columns of the Parquet files in the folder ``path``, lower-case name -> Spark type, read
    from one file's footer here (HiveServer2 reads no files by path); None when there is no file."""
    files = sorted(Path(path).glob("*.parquet"))
    if not files:
        return None
    metadata = pq.read_schema(files[0]).metadata or {}
    if SPARK_SCHEMA_KEY not in metadata:
        raise HiveRegistrationError(f"{files[0]} was not written by Spark: its footer has no Spark schema")
    fields = json.loads(metadata[SPARK_SCHEMA_KEY])["fields"]
    return {field["name"].lower(): sql_type(field["type"]) for field in fields}


def add_new_columns(cursor: Any, table: ExternalTable, layout: DataLayout, run_date: str) -> list[str]:
    """Add the columns that the run's Parquet files have and the table lacks; return their names."""
    run_files = table.location(layout, run_date)
    in_files = parquet_columns(run_files)
    if in_files is None:  # the run wrote nothing to this dataset (an empty batch, say)
        return []
    in_table = table_columns(cursor, table)
    changed = [
        f"{name} is {in_table[name]} in the table but {data_type} in the files"
        for name, data_type in in_files.items()
        if name in in_table and in_table[name] != data_type
    ]
    if changed:
        raise HiveRegistrationError(
            f"{table.qualified_name}: the Parquet files of {run_date} ({run_files}) changed column types: "
            f"{'; '.join(changed)}. No ALTER can convert the files registered before, so nothing of "
            f"{run_date} was registered. Write the column under a new name, or rewrite the dataset and "
            f"recreate the table (hive/tables/{table.name}.hql)."
        )
    new_columns = [name for name in in_files if name not in in_table]
    if new_columns:
        definitions = ", ".join(
            f"`{name}` {in_files[name]} COMMENT 'Added from the Parquet files of {run_date}'" for name in new_columns
        )
        run_statement(cursor, f"ALTER TABLE {table.qualified_name} ADD COLUMNS ({definitions})")
        log.info("%s: added columns %s found in %s", table.qualified_name, new_columns, run_files)
    return new_columns


def partitions(cursor: Any, table: ExternalTable) -> set[str]:
    """The registered dates of the table."""
    return {row[0].split("=", 1)[1] for row in run_statement(cursor, f"SHOW PARTITIONS {table.qualified_name}")}


def sync_partitions(cursor: Any, table: ExternalTable, layout: DataLayout, run_date: str) -> tuple[list[str], list[str], int]:
    """Register the run date's partition, any published date still missing, and drop dates no longer
    published; return (added, dropped, how many now). One statement adds them all at once."""
    before = partitions(cursor, table)
    published = set(table.published_dates(layout))
    missing = sorted((published - before) | ({run_date} & published))
    if missing:
        specs = " ".join(f"PARTITION ({table.partition_spec(date)}) LOCATION '{table.location(layout, date)}'" for date in missing)
        run_statement(cursor, f"ALTER TABLE {table.qualified_name} ADD IF NOT EXISTS {specs}")
    gone = sorted(before - published)
    if gone:
        run_statement(cursor, f"ALTER TABLE {table.qualified_name} DROP IF EXISTS " + ", ".join(f"PARTITION ({table.partition_spec(d)})" for d in gone))
    # Drops what the server cached about the table, so files that a rerun replaced are read anew.
    run_statement(cursor, f"REFRESH TABLE {table.qualified_name}")
    return sorted(set(missing) - before), gone, len(published)


def register_view(cursor: Any, view_file: Path, existing_views: set[str]) -> bool:
    """Create or replace the view of ``view_file`` unless it already has that definition; return
    whether it was (re)created."""
    statement = hql_statement(view_file)
    definition_sha256 = hashlib.sha256(statement.encode()).hexdigest()
    name = f"{DATABASE}.{view_name(view_file)}"
    if view_name(view_file) in existing_views:
        properties = dict(run_statement(cursor, f"SHOW TBLPROPERTIES {name}"))
        if properties.get(VIEW_DEFINITION_PROPERTY) == definition_sha256:
            return False
    run_statement(cursor, statement)
    run_statement(cursor, f"ALTER VIEW {name} SET TBLPROPERTIES ('{VIEW_DEFINITION_PROPERTY}' = '{definition_sha256}')")
    return True


def drop_tables_replaced_by_views(cursor: Any, existing_views: set[str]) -> None:
    """Before the tables moved to ``bank_restricted``, ``bank`` had them under the names its views
    now take. They are external: dropping them leaves the data alone."""
    names = {row[1] for row in run_statement(cursor, f"SHOW TABLES IN {DATABASE}")}
    for table in TABLES:
        if table.name in names - existing_views:
            run_statement(cursor, f"DROP TABLE {DATABASE}.{table.name}")
            log.info("%s.%s: the table moved to %s, a view takes its name", DATABASE, table.name, RESTRICTED_DATABASE)


def register_run(run_date: str, layout: DataLayout | None = None, conn_id: str = HIVESERVER2_CONN_ID) -> dict[str, Any]:
    """Register what the run of ``run_date`` wrote: the database, every table (new columns first,
    then partitions) and every view. Registering the same date again changes nothing.

    Returns, per table, the columns and partitions added, the partitions dropped and the partition
    count, then the views, those (re)created, and the seconds it took.
    """
    started = time.monotonic()
    layout = layout or DataLayout.from_env()
    tables: dict[str, dict[str, Any]] = {}
    with hiveserver2_cursor(conn_id) as cursor:
        for database_file in ("database.hql", "restricted_database.hql"):
            run_statement(cursor, hql_statement(HQL_DIR / database_file))
        for table in TABLES:
            run_statement(cursor, hql_statement(table.ddl_file, {"location": table.root(layout)}))
            published = run_date in table.published_dates(layout)
            columns_added = add_new_columns(cursor, table, layout, run_date) if published else []
            added, dropped, count = sync_partitions(cursor, table, layout, run_date)
            tables[table.name] = {
                "columns_added": columns_added,
                "partitions_added": added,
                "partitions_dropped": dropped,
                "partitions": count,
            }
            log.info(
                "%s: %d partitions (%d added, %d dropped)", table.qualified_name, count, len(added), len(dropped)
            )
        existing_views = {row[1] for row in run_statement(cursor, f"SHOW VIEWS IN {DATABASE}")}
        drop_tables_replaced_by_views(cursor, existing_views)
        views_created = [
            view_name(view_file) for view_file in view_files() if register_view(cursor, view_file, existing_views)
        ]
    return {
        "run_date": run_date,
        "database": DATABASE,
        "tables": tables,
        "views": [view_name(view_file) for view_file in view_files()],
        "views_created": views_created,
        "seconds": round(time.monotonic() - started, 1),
    }

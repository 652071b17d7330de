"""Per-customer snapshot tables that hold a row per customer and version: the newest one wins
(a segment row is then read through its schedule, ``bankseg.scoring.as_of``).

A snapshot's ``customer_features``, ``customer_segments`` and ``segment_keys`` are written in full
now and then (the first snapshot, a new champion, a compaction) and otherwise as *changes*: the
folder holds hard links to the previous snapshot's files and one new file set with the rows of the
customers that changed. Each row carries ``computed_on``, the snapshot date it was computed for.
The manifest of the snapshot says, per table, which date its full rows have (``base``) and which
change sets follow (``changes``), so readers know without a pass over the data:

    chain = TableChain.from_manifest(manifest, "customer_features")
    current = chain.current(spark.read.parquet(folder))   # one row per customer

The full rows are read once, the customers found in a change set removed by a broadcast anti-join
(no shuffle of the full rows), and the newest of each changed customer's rows added. Published
files are never modified, so linking them costs no copy, and a folder stands alone: republishing an
earlier date leaves every later folder as it was.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from bankseg.layout import COMPUTED_ON

# A folder is written in full again once it holds this many change sets, or change rows worth this
# share of its full rows: what every reader pays for the changes stays bounded.
MAX_CHANGE_SETS = 30
MAX_CHANGE_SHARE = 0.25


@dataclass(frozen=True)
class TableChain:
    """Where a per-customer table's rows come from: its full rows and the change sets after them."""

    base: str  # the snapshot date of the full rows
    base_rows: int
    changes: list[str] = field(default_factory=list)  # snapshot dates of the change sets, oldest first
    change_rows: int = 0

    @classmethod
    def from_manifest(cls, manifest: dict | None, table: str) -> TableChain | None:
        entry = ((manifest or {}).get("tables") or {}).get(table)
        return cls(**entry) if entry else None

    @classmethod
    def full(cls, snapshot_date: str, rows: int) -> TableChain:
        return cls(snapshot_date, rows)

    def then(self, snapshot_date: str, rows: int) -> TableChain:
        """This chain with one more change set of ``rows`` rows."""
        return TableChain(self.base, self.base_rows, [*self.changes, snapshot_date], self.change_rows + rows)

    @property
    def due_for_compaction(self) -> bool:
        return len(self.changes) >= MAX_CHANGE_SETS or self.change_rows > MAX_CHANGE_SHARE * max(self.base_rows, 1)

    def to_record(self) -> dict:
        return asdict(self)

    def current(self, rows: DataFrame) -> DataFrame:
        """One row per customer: the newest of ``rows`` (a folder of this chain, as read)."""
        if not self.changes:
            return rows
        base_date = F.to_date(F.lit(self.base))
        changed = rows.where(F.col(COMPUTED_ON) > base_date)
        newest_first = Window.partitionBy("customer_id").orderBy(F.col(COMPUTED_ON).desc())
        newest = changed.withColumn("_version", F.row_number().over(newest_first)).where(F.col("_version") == 1).drop("_version")
        unchanged = rows.where(F.col(COMPUTED_ON) == base_date).join(F.broadcast(changed.select("customer_id")), "customer_id", "left_anti")
        return unchanged.unionByName(newest)


def link_files(source: str, target: str) -> int:
    """Hard-link every data file of folder ``source`` into folder ``target`` (made if missing); the
    number linked. Names starting with ``_`` or ``.`` (markers, checksums) stay behind."""
    Path(target).mkdir(parents=True, exist_ok=True)
    linked = 0
    for entry in os.scandir(source):
        if entry.is_file() and not entry.name.startswith(("_", ".")):
            os.link(entry.path, os.path.join(target, entry.name))
            linked += 1
    return linked

-- Segment migration, written by jobs/customer_snapshot.py: customers per (previous, current) segment.
-- ${hivevar:location} is the folder of the published units, each partition located in its unit; see transactions.hql for why the DDL is Spark SQL.
CREATE TABLE IF NOT EXISTS bank_restricted.segment_migration (
  from_segment_id INT    COMMENT 'Segment at the previous scored snapshot; null for customers new since then',
  to_segment_id   INT    COMMENT 'Segment at this snapshot',
  customers       BIGINT COMMENT 'Customers who made this move',
  snapshot_date   DATE   COMMENT 'Partition: the scored snapshot date'
)
USING parquet
PARTITIONED BY (snapshot_date)
COMMENT 'How many customers moved between segments since the previous scored snapshot'
LOCATION '${hivevar:location}';

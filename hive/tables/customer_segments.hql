-- Customer segments, written by jobs/customer_snapshot.py: the champion model's segment per customer and snapshot date.
-- ${hivevar:location} is the folder of the published units, each partition located in its unit; see transactions.hql for why the DDL is Spark SQL.
CREATE TABLE IF NOT EXISTS bank_restricted.customer_segments (
  customer_id   STRING COMMENT 'CustomerID as in the file',
  segment_id    INT    COMMENT 'Stable segment id: kept across retrains for segments that continue',
  segment_name  STRING COMMENT 'Human-readable segment name derived from its profile',
  model_version STRING COMMENT 'Version of the registered model bank_customer_segmentation that scored the customer',
  segment_changes_on DATE COMMENT 'The day the customer moves to another segment if they make no transaction from the snapshot on; null: not within ten years',
  next_segment_id    INT  COMMENT 'The segment they move to on segment_changes_on',
  snapshot_date DATE   COMMENT 'Partition: the features snapshot that was scored (the run date)'
)
USING parquet
PARTITIONED BY (snapshot_date)
COMMENT 'The segment of every customer per snapshot date, from the MLflow champion model'
LOCATION '${hivevar:location}';

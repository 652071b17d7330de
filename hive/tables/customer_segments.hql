-- Customer segments, written by the daily pipeline's snapshot step: the champion model's segment per customer and
-- snapshot date, a row per customer and version like customer_features (the newest by computed_on counts).
-- ${hivevar:location} is the folder of the published units, each partition located in its unit; see transactions.hql for why the DDL is Spark SQL.
CREATE TABLE IF NOT EXISTS bank_restricted.customer_segments (
  customer_id   STRING COMMENT 'CustomerID as in the file',
  segment_id    INT    COMMENT 'Stable segment id on computed_on: kept across retrains for segments that continue',
  segment_name  STRING COMMENT 'Human-readable segment name derived from its profile',
  model_version STRING COMMENT 'Version of the registered model bank_customer_segmentation that scored the customer',
  schedule      ARRAY<STRUCT<changes_on: DATE, segment_id: INT, segment_name: STRING>>
                       COMMENT 'The segments the customer moves to if they make no transaction after computed_on, each from the day changes_on, in day order (up to a recency of ten years); the view bank.customer_segments reads it as of the snapshot date',
  computed_on   DATE   COMMENT 'The snapshot date this row was scored for: each customer''s newest row, read through its schedule, is their segment (the view bank.customer_segments keeps only it)',
  snapshot_date DATE   COMMENT 'Partition: the features snapshot that was scored (the run date)'
)
USING parquet
PARTITIONED BY (snapshot_date)
COMMENT 'The segment of every customer per snapshot date, from the MLflow champion model, a row per customer and version (the newest by computed_on counts)'
LOCATION '${hivevar:location}';

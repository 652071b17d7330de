-- customer_segments for analysts: one row per customer and snapshot date, the customer's newest row
-- in the partition (bankseg/row_versions.py) read as of the snapshot date: the segment after the
-- changes of its schedule due by then, and the next change (bankseg/scoring.py as_of, the same rule,
-- checked against it by tests/test_hive.py). The table holds no personal data.
CREATE OR REPLACE VIEW bank.customer_segments (
  customer_id        COMMENT 'CustomerID as in the file',
  segment_id         COMMENT 'Stable segment id at the snapshot date: kept across retrains for segments that continue',
  segment_name       COMMENT 'Human-readable segment name derived from its profile',
  model_version      COMMENT 'Version of the registered model bank_customer_segmentation that scored the customer',
  segment_changes_on COMMENT 'The day the customer moves to another segment if they make no transaction from the snapshot date on; null: not within a recency of ten years',
  next_segment_id    COMMENT 'The segment they move to on segment_changes_on',
  computed_on        COMMENT 'The snapshot date the row was scored for; the segment moves on with the calendar from there as scheduled',
  snapshot_date      COMMENT 'Partition: the date the segments describe (the run date)'
)
COMMENT 'The segment of every customer per snapshot date, from the MLflow champion model'
AS SELECT
  customer_id,
  coalesce(due.segment_id, segment_id) AS segment_id,
  coalesce(due.segment_name, segment_name) AS segment_name,
  model_version,
  upcoming.changes_on AS segment_changes_on,
  upcoming.segment_id AS next_segment_id,
  computed_on,
  snapshot_date
FROM (
  SELECT s.*,
    array_max(filter(s.schedule, c -> c.changes_on <= s.snapshot_date)) AS due,
    array_min(filter(s.schedule, c -> c.changes_on > s.snapshot_date)) AS upcoming,
    row_number() OVER (PARTITION BY s.snapshot_date, s.customer_id ORDER BY s.computed_on DESC) AS version_rank
  FROM bank_restricted.customer_segments s
)
WHERE version_rank = 1;

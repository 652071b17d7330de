-- customer_segments for analysts: one row per customer and snapshot date, the customer's newest row
-- in the partition (bankseg/row_versions.py). The table holds no personal data, so every column.
CREATE OR REPLACE VIEW bank.customer_segments
COMMENT 'The segment of every customer per snapshot date, from the MLflow champion model'
AS SELECT * EXCEPT (version_rank)
FROM (
  SELECT s.*, row_number() OVER (PARTITION BY snapshot_date, customer_id ORDER BY computed_on DESC) AS version_rank
  FROM bank_restricted.customer_segments s
)
WHERE version_rank = 1;

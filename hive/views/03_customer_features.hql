-- Customer features for analysts: one row per customer and snapshot date, the customer's newest row
-- in the partition (bankseg/row_versions.py), with recency and age band as of the snapshot date
-- (bankseg/features.py dated_columns; the bands of bankseg/definitions.py, checked by
-- tests/test_hive.py); every feature but the birth date and the age.
CREATE OR REPLACE VIEW bank.customer_features
COMMENT 'One feature row per customer and snapshot date, recency and age band as of that date, without birth date or age; input of the segmentation'
AS SELECT * EXCEPT (customer_dob, age, version_rank)
FROM (
  SELECT
    f.* EXCEPT (recency_days, age_band),
    datediff(snapshot_date, last_txn_date) AS recency_days,
    CASE
      WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 18 AND 24 THEN '18-24'
      WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 25 AND 34 THEN '25-34'
      WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 35 AND 44 THEN '35-44'
      WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 45 AND 54 THEN '45-54'
      WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 55 AND 64 THEN '55-64'
      WHEN floor(months_between(snapshot_date, customer_dob) / 12) >= 65 THEN '65+'
      ELSE 'unknown'
    END AS age_band,
    row_number() OVER (PARTITION BY snapshot_date, customer_id ORDER BY computed_on DESC) AS version_rank
  FROM bank_restricted.customer_features f
)
WHERE version_rank = 1;

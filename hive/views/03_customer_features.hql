-- Customer features for analysts: one row per customer and snapshot date, the customer's newest row
-- in the partition (bankseg/row_versions.py), with recency and age band as of the snapshot date
-- (bankseg/features.py dated_columns; the bands of bankseg/definitions.py, checked by
-- tests/test_hive.py); every feature but the birth date and the age.
CREATE OR REPLACE VIEW bank.customer_features (
  customer_id            COMMENT 'CustomerID as in the file',
  recency_days           COMMENT 'Days from the last transaction to the snapshot date',
  frequency              COMMENT 'Number of transactions up to the snapshot date',
  monetary_total         COMMENT 'Sum of transaction amounts, INR',
  monetary_mean          COMMENT 'Mean transaction amount, INR',
  monetary_max           COMMENT 'Largest transaction amount, INR',
  balance_latest         COMMENT 'Latest known account balance, INR; null when none is known',
  balance_mean           COMMENT 'Mean account balance over the transactions, INR',
  spend_to_balance       COMMENT 'monetary_total / max(balance_mean, 1); null when no balance is known',
  age_band               COMMENT 'Age band at the snapshot date: 18-24, 25-34, 35-44, 45-54, 55-64, 65+ or unknown',
  gender                 COMMENT 'M, F or unknown, from the latest transaction',
  city                   COMMENT 'Canonical city of the latest transaction',
  distinct_cities        COMMENT 'Number of distinct cities transacted in',
  first_txn_date         COMMENT 'Date of the first transaction',
  last_txn_date          COMMENT 'Date of the last transaction',
  active_span_days       COMMENT 'Days from the first to the last transaction, both included',
  share_night            COMMENT 'Share of transactions from 0 to 5 h',
  share_morning          COMMENT 'Share of transactions from 6 to 11 h',
  share_afternoon        COMMENT 'Share of transactions from 12 to 17 h',
  share_evening          COMMENT 'Share of transactions from 18 to 23 h',
  preferred_daypart      COMMENT 'night, morning, afternoon or evening: the part of the day with the highest share',
  share_weekend          COMMENT 'Share of transactions on Saturday or Sunday',
  balance_total          COMMENT 'Sum of the known balances of the transactions, INR (balance_mean = balance_total / balance_count)',
  balance_count          COMMENT 'Transactions with a known balance',
  balance_latest_ts      COMMENT 'Time of the transaction balance_latest comes from',
  balance_latest_number  COMMENT 'Number of the TransactionID balance_latest comes from (T<number>)',
  last_txn_ts            COMMENT 'Time of the latest transaction, wall-clock bank time',
  last_txn_number        COMMENT 'Number of the latest TransactionID (T<number>): orders transactions of the same time',
  cities                 COMMENT 'Every canonical city transacted in, sorted (distinct_cities is its size)',
  transactions_weekend   COMMENT 'Transactions on Saturday or Sunday',
  transactions_night     COMMENT 'Transactions from 0 to 5 h',
  transactions_morning   COMMENT 'Transactions from 6 to 11 h',
  transactions_afternoon COMMENT 'Transactions from 12 to 17 h',
  transactions_evening   COMMENT 'Transactions from 18 to 23 h',
  computed_on            COMMENT 'The snapshot date this row was computed for: a partition holds the rows of its last full snapshot and of the customers changed since; each customer''s newest row is their state (the view bank.customer_features keeps only it)',
  snapshot_date          COMMENT 'Partition: the date the features describe (the run date)'
)
COMMENT 'One feature row per customer and snapshot date, recency and age band as of that date, without birth date or age; input of the segmentation'
AS SELECT
  customer_id,
  datediff(snapshot_date, last_txn_date) AS recency_days,
  frequency, monetary_total, monetary_mean, monetary_max, balance_latest, balance_mean,
  spend_to_balance,
  CASE
    WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 18 AND 24 THEN '18-24'
    WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 25 AND 34 THEN '25-34'
    WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 35 AND 44 THEN '35-44'
    WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 45 AND 54 THEN '45-54'
    WHEN floor(months_between(snapshot_date, customer_dob) / 12) BETWEEN 55 AND 64 THEN '55-64'
    WHEN floor(months_between(snapshot_date, customer_dob) / 12) >= 65 THEN '65+'
    ELSE 'unknown'
  END AS age_band,
  gender, city, distinct_cities, first_txn_date, last_txn_date, active_span_days,
  share_night, share_morning, share_afternoon, share_evening, preferred_daypart, share_weekend,
  balance_total, balance_count, balance_latest_ts, balance_latest_number, last_txn_ts, last_txn_number,
  cities, transactions_weekend, transactions_night, transactions_morning, transactions_afternoon, transactions_evening,
  computed_on, snapshot_date
FROM (
  SELECT *, row_number() OVER (PARTITION BY snapshot_date, customer_id ORDER BY computed_on DESC) AS version_rank
  FROM bank_restricted.customer_features
)
WHERE version_rank = 1;

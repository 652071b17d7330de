-- The latest customer features: one row per customer, as of the newest snapshot.
CREATE OR REPLACE VIEW bank.v_customers (
  customer_id       COMMENT 'CustomerID (C<digits>)',
  snapshot_date     COMMENT 'The snapshot the row comes from: the newest one',
  recency_days      COMMENT 'Days from the last transaction to the snapshot date',
  frequency         COMMENT 'Number of transactions',
  monetary_total    COMMENT 'Sum of transaction amounts, INR',
  monetary_mean     COMMENT 'Mean transaction amount, INR',
  monetary_max      COMMENT 'Largest transaction amount, INR',
  balance_latest    COMMENT 'Latest known account balance, INR; null when none is known',
  balance_mean      COMMENT 'Mean account balance over the transactions, INR',
  spend_to_balance  COMMENT 'monetary_total / max(balance_mean, 1); null when no balance is known',
  age_band          COMMENT 'Age band at the snapshot date: 18-24, 25-34, 35-44, 45-54, 55-64, 65+ or unknown',
  gender            COMMENT 'M, F or unknown',
  city              COMMENT 'Canonical city of the latest transaction',
  distinct_cities   COMMENT 'Number of distinct cities transacted in',
  first_txn_date    COMMENT 'Date of the first transaction',
  last_txn_date     COMMENT 'Date of the last transaction',
  active_span_days  COMMENT 'Days from the first to the last transaction, both included',
  share_night       COMMENT 'Share of transactions from 0 to 5 h',
  share_morning     COMMENT 'Share of transactions from 6 to 11 h',
  share_afternoon   COMMENT 'Share of transactions from 12 to 17 h',
  share_evening     COMMENT 'Share of transactions from 18 to 23 h',
  preferred_daypart COMMENT 'night, morning, afternoon or evening',
  share_weekend     COMMENT 'Share of transactions on Saturday or Sunday'
)
COMMENT 'One row per customer from the newest feature snapshot; age band, never age or birth date'
AS SELECT
  customer_id, snapshot_date, recency_days, frequency, monetary_total, monetary_mean, monetary_max,
  balance_latest, balance_mean, spend_to_balance, age_band, gender, city, distinct_cities,
  first_txn_date, last_txn_date, active_span_days, share_night, share_morning, share_afternoon,
  share_evening, preferred_daypart, share_weekend
FROM bank.customer_features
WHERE snapshot_date = (SELECT max(snapshot_date) FROM bank_restricted.customer_features);

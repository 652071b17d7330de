-- Customer features, written by the daily pipeline's snapshot step: per snapshot date, a row per customer and version
-- (bankseg/row_versions.py): the newest row of each customer, by computed_on, is the customer's state.
-- ${hivevar:location} is the folder of the published units, each partition located in its unit; see transactions.hql for why the DDL is Spark SQL.
CREATE TABLE IF NOT EXISTS bank_restricted.customer_features (
  customer_id       STRING        COMMENT 'CustomerID as in the file',
  recency_days      INT           COMMENT 'Days from the last transaction to the snapshot date',
  frequency         BIGINT        COMMENT 'Number of transactions up to the snapshot date',
  monetary_total    DECIMAL(28,2) COMMENT 'Sum of transaction amounts, INR',
  monetary_mean     DOUBLE        COMMENT 'Mean transaction amount, INR',
  monetary_max      DECIMAL(18,2) COMMENT 'Largest transaction amount, INR',
  balance_latest    DECIMAL(18,2) COMMENT 'Latest known account balance, INR; null when none is known',
  balance_mean      DOUBLE        COMMENT 'Mean account balance over the transactions, INR',
  spend_to_balance  DOUBLE        COMMENT 'monetary_total / max(balance_mean, 1); null when no balance is known',
  age               INT           COMMENT 'Age in whole years at the snapshot date; null when the birth date is unknown',
  age_band          STRING        COMMENT '18-24, 25-34, 35-44, 45-54, 55-64, 65+ or unknown',
  gender            STRING        COMMENT 'M, F or unknown, from the latest transaction',
  city              STRING        COMMENT 'Canonical city of the latest transaction',
  distinct_cities   INT           COMMENT 'Number of distinct cities transacted in',
  first_txn_date    DATE          COMMENT 'Date of the first transaction',
  last_txn_date     DATE          COMMENT 'Date of the last transaction',
  active_span_days  INT           COMMENT 'Days from the first to the last transaction, both included',
  share_night       DOUBLE        COMMENT 'Share of transactions from 0 to 5 h',
  share_morning     DOUBLE        COMMENT 'Share of transactions from 6 to 11 h',
  share_afternoon   DOUBLE        COMMENT 'Share of transactions from 12 to 17 h',
  share_evening     DOUBLE        COMMENT 'Share of transactions from 18 to 23 h',
  preferred_daypart STRING        COMMENT 'night, morning, afternoon or evening: the part of the day with the highest share',
  share_weekend     DOUBLE        COMMENT 'Share of transactions on Saturday or Sunday',
  balance_total     DECIMAL(28,2) COMMENT 'Sum of the known balances of the transactions, INR (balance_mean = balance_total / balance_count)',
  balance_count     BIGINT        COMMENT 'Transactions with a known balance',
  balance_latest_ts TIMESTAMP_NTZ COMMENT 'Time of the transaction balance_latest comes from',
  balance_latest_number BIGINT    COMMENT 'Number of the TransactionID balance_latest comes from (T<number>)',
  last_txn_ts       TIMESTAMP_NTZ COMMENT 'Time of the latest transaction, wall-clock bank time',
  last_txn_number   BIGINT        COMMENT 'Number of the latest TransactionID (T<number>): orders transactions of the same time',
  customer_dob      DATE          COMMENT 'Date of birth from the latest transaction when plausible; personal data, the analyst views show age_band instead',
  cities            ARRAY<STRING> COMMENT 'Every canonical city transacted in, sorted (distinct_cities is its size)',
  transactions_weekend   BIGINT   COMMENT 'Transactions on Saturday or Sunday',
  transactions_night     BIGINT   COMMENT 'Transactions from 0 to 5 h',
  transactions_morning   BIGINT   COMMENT 'Transactions from 6 to 11 h',
  transactions_afternoon BIGINT   COMMENT 'Transactions from 12 to 17 h',
  transactions_evening   BIGINT   COMMENT 'Transactions from 18 to 23 h',
  computed_on       DATE          COMMENT 'The snapshot date this row was computed for: a partition holds the rows of its last full snapshot and of the customers changed since; each customer''s newest row is their state (the view bank.customer_features keeps only it)',
  snapshot_date     DATE          COMMENT 'Partition: the date the features describe (the run date)'
)
USING parquet
PARTITIONED BY (snapshot_date)
COMMENT 'Feature rows per snapshot date, from the transactions delivered by then, a row per customer and version (the newest by computed_on counts; recency and age as of computed_on); input of the segmentation. The counts and sums after share_weekend are what the next day''s snapshot is folded from'
LOCATION '${hivevar:location}';

-- Curated transactions, written by the batch step of jobs/daily_pipeline.py: one row per usable input row.
--
-- Spark data-source DDL (USING parquet): Hive DDL has no TIMESTAMP_NTZ, and a Hive TIMESTAMP
-- column would shift the wall-clock bank times by the time zone of the server. LOCATION makes the
-- table external: dropping it leaves the data alone. ${hivevar:location} is the folder of the
-- published batches; each partition is located in its batch's transactions folder (bankseg/hive.py).
CREATE TABLE IF NOT EXISTS bank_restricted.transactions (
  transaction_id  STRING        COMMENT 'TransactionID as in the file (T<n>), unique across batches',
  customer_id     STRING        COMMENT 'CustomerID as in the file (C<digits>)',
  txn_ts          TIMESTAMP_NTZ COMMENT 'Transaction date and time as wall-clock bank time (India), no time zone',
  txn_hour        INT           COMMENT 'Hour of day of the transaction, 0..23',
  amount          DECIMAL(18,2) COMMENT 'Transaction amount in INR; 0 is kept',
  account_balance DECIMAL(18,2) COMMENT 'Account balance in INR at the transaction; null when the file has none',
  customer_dob    DATE          COMMENT 'Date of birth (century rule applied); personal data, the analyst views show age_band instead',
  dob_status      STRING        COMMENT 'valid, sentinel (1/1/1800), missing, unparseable or implausible',
  age_at_txn      INT           COMMENT 'Age in whole years at the transaction; null unless dob_status is valid',
  gender          STRING        COMMENT 'M, F or unknown',
  gender_raw      STRING        COMMENT 'CustGender as in the file',
  city            STRING        COMMENT 'Canonical city of the location (bankseg/locations.py)',
  location_raw    STRING        COMMENT 'CustLocation as in the file',
  source_file     STRING        COMMENT 'Landing file the row came from',
  txn_date        DATE          COMMENT 'Transaction date (each batch is sorted by it, so a filter on it skips the other row groups)',
  ingest_date     DATE          COMMENT 'Partition: run date whose batch delivered the row'
)
USING parquet
PARTITIONED BY (ingest_date)
COMMENT 'Curated card and account transactions, one row per transaction; partitioned by delivering run date'
LOCATION '${hivevar:location}';

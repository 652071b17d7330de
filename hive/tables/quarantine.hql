-- Quarantined rows, written by the batch step of jobs/daily_pipeline.py: every input row that could not be used,
-- as text, with the reason. ${hivevar:location} is the folder of the published units, each partition located in its unit; see transactions.hql
-- for why the DDL is Spark SQL (USING parquet).
CREATE TABLE IF NOT EXISTS bank_restricted.quarantine (
  transaction_id_raw   STRING COMMENT 'TransactionID as in the file',
  customer_id_raw      STRING COMMENT 'CustomerID as in the file',
  customer_dob_raw     STRING COMMENT 'CustomerDOB as in the file',
  gender_raw           STRING COMMENT 'CustGender as in the file',
  location_raw         STRING COMMENT 'CustLocation as in the file',
  account_balance_raw  STRING COMMENT 'CustAccountBalance as in the file',
  transaction_date_raw STRING COMMENT 'TransactionDate as in the file',
  transaction_time_raw STRING COMMENT 'TransactionTime as in the file',
  amount_raw           STRING COMMENT 'TransactionAmount (INR) as in the file',
  raw_record           STRING COMMENT 'The whole line, when it could not be split into the nine fields',
  reason               STRING COMMENT 'Why the row was rejected, e.g. INVALID_AMOUNT (docs/quarantine.md)',
  source_file          STRING COMMENT 'Landing file the row came from',
  ingest_date          DATE   COMMENT 'Partition: run date whose batch delivered the row'
)
USING parquet
PARTITIONED BY (ingest_date)
COMMENT 'Input rows the pipeline could not use, kept as text with a reason code; partitioned by delivering run date'
LOCATION '${hivevar:location}';

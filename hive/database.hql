-- The analysts' database: external tables over the Parquet datasets the daily DAG writes, and views over them.
CREATE DATABASE IF NOT EXISTS bank
COMMENT 'Bank customer segmentation: curated transactions, quarantine, customer features, and analyst views over them';

-- The tables over the Parquet datasets the daily DAG writes, personal data included (birth dates,
-- raw locations, rejected lines as delivered). Only the service user reads them; analysts read
-- the views of database bank (hive/server/bankseg/hiveserver2/SessionGuard.java enforces it).
CREATE DATABASE IF NOT EXISTS bank_restricted
COMMENT 'Bank customer segmentation: the tables behind database bank, personal data included; for the service user only';

-- The analysts' database: views only, over the tables of bank_restricted, without birth dates and raw locations.
CREATE DATABASE IF NOT EXISTS bank
COMMENT 'Bank customer segmentation: curated transactions, quarantine, customer features, segments and analyst views, without personal data';

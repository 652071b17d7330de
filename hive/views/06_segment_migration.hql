-- segment_migration for analysts: the table holds no personal data, so every column.
CREATE OR REPLACE VIEW bank.segment_migration
COMMENT 'How many customers moved between segments since the previous scored snapshot'
AS SELECT * FROM bank_restricted.segment_migration;

-- segment_profiles for analysts: the table holds no personal data, so every column.
CREATE OR REPLACE VIEW bank.segment_profiles
COMMENT 'Size, share and profile of each segment per snapshot date'
AS SELECT * FROM bank_restricted.segment_profiles;

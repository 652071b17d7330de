-- Curated transactions for analysts: every column of bank_restricted.transactions but the birth
-- date, the age computed from it and the raw location text (v_transactions has the age band).
CREATE OR REPLACE VIEW bank.transactions
COMMENT 'Curated card and account transactions, one row per transaction, without birth date, age or raw location; partitioned by delivering run date'
AS SELECT * EXCEPT (customer_dob, age_at_txn, location_raw)
FROM bank_restricted.transactions;

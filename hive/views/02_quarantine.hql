-- The quarantine for analysts: why rows were rejected, without the birth date and location as
-- delivered, nor the whole line, which holds both.
CREATE OR REPLACE VIEW bank.quarantine
COMMENT 'Input rows the pipeline could not use, with a reason code, without birth date, location or whole line as delivered'
AS SELECT * EXCEPT (customer_dob_raw, location_raw, raw_record)
FROM bank_restricted.quarantine;

-- Curated transactions as analysts see them: age band instead of birth date, an amount category,
-- and calendar fields for grouping. The other spend views are built on this one.
-- Age bands are those of bankseg/definitions.py (AGE_BANDS); tests/test_hive.py checks they agree.
CREATE OR REPLACE VIEW bank.v_transactions (
  transaction_id  COMMENT 'TransactionID (T<n>)',
  customer_id     COMMENT 'CustomerID (C<digits>)',
  txn_ts          COMMENT 'Transaction date and time, wall-clock bank time (India)',
  txn_date        COMMENT 'Transaction date',
  txn_month       COMMENT 'First day of the month of the transaction',
  day_of_week     COMMENT 'Day of the week of the transaction, 1 = Monday .. 7 = Sunday',
  day_name        COMMENT 'Day of the week of the transaction, Monday .. Sunday',
  txn_hour        COMMENT 'Hour of day, 0..23',
  amount          COMMENT 'Transaction amount, INR',
  amount_category COMMENT 'Low (under 500 INR), Medium (500 to under 5,000 INR) or High (5,000 INR and more)',
  account_balance COMMENT 'Account balance at the transaction, INR; null when unknown',
  age_band        COMMENT 'Age band at the transaction: 18-24, 25-34, 35-44, 45-54, 55-64, 65+ or unknown',
  gender          COMMENT 'M, F or unknown',
  city            COMMENT 'Canonical city'
)
COMMENT 'Curated transactions for analysts: age band, never the birth date; amount category; month and day of week'
AS SELECT
  transaction_id,
  customer_id,
  txn_ts,
  txn_date,
  trunc(txn_date, 'MM') AS txn_month,
  weekday(txn_date) + 1 AS day_of_week,
  date_format(txn_date, 'EEEE') AS day_name,
  txn_hour,
  amount,
  CASE
    WHEN amount < 500 THEN 'Low'
    WHEN amount < 5000 THEN 'Medium'
    ELSE 'High'
  END AS amount_category,
  account_balance,
  CASE
    WHEN age_at_txn BETWEEN 18 AND 24 THEN '18-24'
    WHEN age_at_txn BETWEEN 25 AND 34 THEN '25-34'
    WHEN age_at_txn BETWEEN 35 AND 44 THEN '35-44'
    WHEN age_at_txn BETWEEN 45 AND 54 THEN '45-54'
    WHEN age_at_txn BETWEEN 55 AND 64 THEN '55-64'
    WHEN age_at_txn >= 65 THEN '65+'
    ELSE 'unknown'
  END AS age_band,
  gender,
  city
FROM bank_restricted.transactions;

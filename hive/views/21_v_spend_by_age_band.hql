-- Spend, customers and balance per age band.
CREATE OR REPLACE VIEW bank.v_spend_by_age_band (
  age_band     COMMENT 'Age band at the transaction: 18-24 .. 65+, or unknown',
  customers    COMMENT 'Customers with a transaction in the band (one who changed band counts in both)',
  transactions COMMENT 'Number of transactions',
  amount_total COMMENT 'Sum of amounts, INR',
  amount_mean  COMMENT 'Mean amount per transaction, INR',
  balance_mean COMMENT 'Mean account balance at the transactions, INR'
)
COMMENT 'Spend, transactions, customers and mean balance per age band, over all curated transactions'
AS SELECT
  age_band,
  count(DISTINCT customer_id) AS customers,
  count(*) AS transactions,
  sum(amount) AS amount_total,
  CAST(avg(amount) AS DECIMAL(18,2)) AS amount_mean,
  CAST(avg(account_balance) AS DECIMAL(18,2)) AS balance_mean
FROM bank.v_transactions
GROUP BY age_band;

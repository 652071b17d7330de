-- Month by month: transactions, customers, amount and balance.
CREATE OR REPLACE VIEW bank.v_spend_by_month (
  txn_month    COMMENT 'First day of the month',
  customers    COMMENT 'Customers with a transaction in the month',
  transactions COMMENT 'Number of transactions',
  amount_total COMMENT 'Sum of amounts, INR',
  amount_mean  COMMENT 'Mean amount per transaction, INR',
  balance_mean COMMENT 'Mean account balance at the transactions, INR'
)
COMMENT 'Spend, transactions, customers and mean balance per month'
AS SELECT
  txn_month,
  count(DISTINCT customer_id) AS customers,
  count(*) AS transactions,
  sum(amount) AS amount_total,
  CAST(avg(amount) AS DECIMAL(18,2)) AS amount_mean,
  CAST(avg(account_balance) AS DECIMAL(18,2)) AS balance_mean
FROM bank.v_transactions
GROUP BY txn_month;

-- Day by day: transactions, customers, amount and balance per transaction date.
CREATE OR REPLACE VIEW bank.v_spend_by_day (
  txn_date     COMMENT 'Transaction date',
  day_of_week  COMMENT '1 = Monday .. 7 = Sunday',
  day_name     COMMENT 'Monday .. Sunday',
  customers    COMMENT 'Customers with a transaction that day',
  transactions COMMENT 'Number of transactions',
  amount_total COMMENT 'Sum of amounts, INR',
  amount_mean  COMMENT 'Mean amount per transaction, INR',
  balance_mean COMMENT 'Mean account balance at the transactions, INR'
)
COMMENT 'Spend, transactions, customers and mean balance per transaction date'
AS SELECT
  txn_date,
  day_of_week,
  day_name,
  count(DISTINCT customer_id) AS customers,
  count(*) AS transactions,
  sum(amount) AS amount_total,
  CAST(avg(amount) AS DECIMAL(18,2)) AS amount_mean,
  CAST(avg(account_balance) AS DECIMAL(18,2)) AS balance_mean
FROM bank.v_transactions
GROUP BY txn_date, day_of_week, day_name;

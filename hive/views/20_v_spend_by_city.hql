-- Spend and customers per city: top cities by amount, balance by city, customers per city.
CREATE OR REPLACE VIEW bank.v_spend_by_city (
  city         COMMENT 'Canonical city',
  customers    COMMENT 'Customers with a transaction in the city (a customer seen in two cities counts in both)',
  transactions COMMENT 'Number of transactions',
  amount_total COMMENT 'Sum of amounts, INR',
  amount_mean  COMMENT 'Mean amount per transaction, INR',
  balance_mean COMMENT 'Mean account balance at the transactions, INR'
)
COMMENT 'Spend, transactions, customers and mean balance per city, over all curated transactions'
AS SELECT
  city,
  count(DISTINCT customer_id) AS customers,
  count(*) AS transactions,
  sum(amount) AS amount_total,
  CAST(avg(amount) AS DECIMAL(18,2)) AS amount_mean,
  CAST(avg(account_balance) AS DECIMAL(18,2)) AS balance_mean
FROM bank.v_transactions
GROUP BY city;

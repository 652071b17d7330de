-- Transactions and customers per amount category (Low, Medium, High; bounds in v_transactions).
CREATE OR REPLACE VIEW bank.v_spend_by_amount_category (
  amount_category COMMENT 'Low (under 500 INR), Medium (500 to under 5,000 INR) or High (5,000 INR and more)',
  customers       COMMENT 'Customers with a transaction in the category (a customer can be in several)',
  transactions    COMMENT 'Number of transactions',
  amount_total    COMMENT 'Sum of amounts, INR',
  amount_mean     COMMENT 'Mean amount per transaction, INR'
)
COMMENT 'Spend, transactions and customers per amount category, over all curated transactions'
AS SELECT
  amount_category,
  count(DISTINCT customer_id) AS customers,
  count(*) AS transactions,
  sum(amount) AS amount_total,
  CAST(avg(amount) AS DECIMAL(18,2)) AS amount_mean
FROM bank.v_transactions
GROUP BY amount_category;

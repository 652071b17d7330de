-- Spend and customers per gender, with the share of each gender in all spend.
CREATE OR REPLACE VIEW bank.v_spend_by_gender (
  gender       COMMENT 'M, F or unknown',
  customers    COMMENT 'Customers with a transaction under this gender',
  transactions COMMENT 'Number of transactions',
  amount_total COMMENT 'Sum of amounts, INR',
  amount_share COMMENT 'Share of all spend, 0..1'
)
COMMENT 'Spend, transactions, customers and share of spend per gender, over all curated transactions'
AS SELECT
  gender,
  count(DISTINCT customer_id) AS customers,
  count(*) AS transactions,
  sum(amount) AS amount_total,
  CAST(sum(amount) / sum(sum(amount)) OVER () AS DECIMAL(5,4)) AS amount_share
FROM bank.v_transactions
GROUP BY gender;

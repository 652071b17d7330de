-- customer_segments for analysts: the table holds no personal data, so every column.
CREATE OR REPLACE VIEW bank.customer_segments
COMMENT 'The segment of every customer per snapshot date, from the MLflow champion model'
AS SELECT * FROM bank_restricted.customer_segments;

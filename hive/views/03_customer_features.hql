-- Customer features for analysts: every feature but the birth date and the age (age_band stays).
CREATE OR REPLACE VIEW bank.customer_features
COMMENT 'One feature row per customer and snapshot date, without birth date or age; input of the segmentation'
AS SELECT * EXCEPT (customer_dob, age)
FROM bank_restricted.customer_features;

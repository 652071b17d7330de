-- The segments of the newest scored snapshot: the CRM team's first question.
CREATE OR REPLACE VIEW bank.v_segment_summary (
  segment_id          COMMENT 'Stable segment id',
  segment_name        COMMENT 'Human-readable segment name',
  customers           COMMENT 'Customers in the segment',
  share               COMMENT 'Share of all scored customers',
  median_balance      COMMENT 'Median latest balance, INR',
  median_spend        COMMENT 'Median mean transaction amount, INR',
  mean_frequency      COMMENT 'Mean transactions per customer',
  median_recency_days COMMENT 'Median days since the last transaction',
  top_age_band        COMMENT 'Most common age band',
  top_city            COMMENT 'Most common city',
  distinctive_city    COMMENT 'City most over-represented in the segment against all customers',
  distinctive_city_lift COMMENT 'How many times more likely a customer of the segment is in distinctive_city than any customer',
  distinctive_age_band COMMENT 'Age band most over-represented in the segment against all customers',
  distinctive_age_band_lift COMMENT 'How many times more likely a customer of the segment is in distinctive_age_band than any customer',
  segment_description COMMENT 'The profile in words',
  model_version       COMMENT 'Model version that scored the snapshot',
  snapshot_date       COMMENT 'The newest scored snapshot'
)
COMMENT 'Size, share and profile of each segment at the newest scored snapshot'
AS SELECT
  segment_id, segment_name, customers, share, median_balance, median_spend, mean_frequency,
  median_recency_days, top_age_band, top_city, distinctive_city, distinctive_city_lift, distinctive_age_band,
  distinctive_age_band_lift, segment_description, model_version, snapshot_date
FROM bank_restricted.segment_profiles
WHERE snapshot_date = (SELECT max(snapshot_date) FROM bank_restricted.segment_profiles);

-- Segment profiles, written by jobs/customer_snapshot.py: one row per segment and snapshot date.
-- ${hivevar:location} is the folder of the published units, each partition located in its unit; see transactions.hql for why the DDL is Spark SQL.
CREATE TABLE IF NOT EXISTS bank_restricted.segment_profiles (
  segment_id          INT    COMMENT 'Stable segment id',
  segment_name        STRING COMMENT 'Human-readable segment name',
  segment_description STRING COMMENT 'The profile the name was derived from, in words and INR',
  model_version       STRING COMMENT 'Version of bank_customer_segmentation that scored the snapshot',
  customers           BIGINT COMMENT 'Customers in the segment',
  share               DOUBLE COMMENT 'Share of all scored customers',
  median_balance      DOUBLE COMMENT 'Median latest balance, INR',
  median_spend        DOUBLE COMMENT 'Median of the customers'' mean transaction amount, INR',
  mean_frequency      DOUBLE COMMENT 'Mean transactions per customer',
  median_recency_days INT    COMMENT 'Median days since the last transaction',
  total_spend         DOUBLE COMMENT 'Sum of the customers'' transaction amounts, INR',
  mean_age            DOUBLE COMMENT 'Mean age where known',
  share_female        DOUBLE COMMENT 'Share of customers with gender F',
  top_age_band        STRING COMMENT 'Most common age band',
  top_city            STRING COMMENT 'Most common city',
  distinctive_city    STRING COMMENT 'City most over-represented in the segment against all customers (among cities with at least 1% of it)',
  distinctive_city_lift DOUBLE COMMENT 'Share of the segment in distinctive_city over the share of all customers there',
  distinctive_age_band STRING COMMENT 'Age band most over-represented in the segment against all customers (among bands with at least 1% of it)',
  distinctive_age_band_lift DOUBLE COMMENT 'Share of the segment in distinctive_age_band over the share of all customers in it',
  snapshot_date       DATE   COMMENT 'Partition: the scored snapshot date'
)
USING parquet
PARTITIONED BY (snapshot_date)
COMMENT 'Size, share and profile of each segment per snapshot date'
LOCATION '${hivevar:location}';

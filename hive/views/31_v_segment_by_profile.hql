-- Segments by city, age band and gender at the newest scored snapshot.
CREATE OR REPLACE VIEW bank.v_segment_by_profile (
  segment_id    COMMENT 'Stable segment id',
  segment_name  COMMENT 'Human-readable segment name',
  city          COMMENT 'Canonical city of the customer''s latest transaction',
  age_band      COMMENT 'Age band at the snapshot date',
  gender        COMMENT 'M, F or unknown',
  customers     COMMENT 'Customers',
  snapshot_date COMMENT 'The newest scored snapshot'
)
COMMENT 'Customers per segment, city, age band and gender at the newest scored snapshot'
AS SELECT
  s.segment_id, s.segment_name, f.city, f.age_band, f.gender, count(*) AS customers, s.snapshot_date
FROM bank.customer_segments s
JOIN bank.customer_features f ON f.customer_id = s.customer_id AND f.snapshot_date = s.snapshot_date
WHERE s.snapshot_date = (SELECT max(snapshot_date) FROM bank_restricted.customer_segments)
GROUP BY s.segment_id, s.segment_name, f.city, f.age_band, f.gender, s.snapshot_date;

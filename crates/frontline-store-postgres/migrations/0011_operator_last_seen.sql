-- When each operator last made a request (milliseconds since the epoch, recorded at most once a
-- minute), for the admin console's operator list.
ALTER TABLE operators ADD COLUMN last_seen_at BIGINT;

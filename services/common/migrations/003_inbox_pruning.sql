-- The relay prunes inbox ids older than 30 days every 10 minutes: find them without a scan.
CREATE INDEX kit_inbox_processed_at ON kit_inbox (processed_at);

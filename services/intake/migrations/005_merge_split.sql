-- Merge: a duplicate ticket merged into another ends cancelled and points at the survivor.
-- Split: a ticket opened for the second problem of a report points at that report.
ALTER TABLE tickets ADD COLUMN merged_into uuid REFERENCES tickets;
ALTER TABLE tickets ADD COLUMN split_from uuid REFERENCES tickets;
CREATE INDEX tickets_by_split_from ON tickets (split_from) WHERE split_from IS NOT NULL;
-- Warranty-expiry listings select a project's units by handover date.
CREATE INDEX units_by_handover ON units (project_id, handover_date);

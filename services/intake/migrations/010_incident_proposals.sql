-- Issue 23, the remainder: the platform's incidents are proposals staff confirm or dismiss, and
-- an unsatisfied reporter can reopen a resolved incident.
-- proposal_status: 1 not proposed (staff opened it), 2 pending, 3 confirmed, 4 dismissed.
-- Incidents proposed before this version were acted on as opened: they count as confirmed.
ALTER TABLE incidents ADD COLUMN proposal_status smallint NOT NULL DEFAULT 1;
UPDATE incidents SET proposal_status = 3 WHERE proposed;
ALTER TABLE incidents ADD COLUMN decided_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN decided_at timestamptz;
ALTER TABLE incidents ADD COLUMN dismissal_reason text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN reopen_count integer NOT NULL DEFAULT 0;
-- A report unlinked from a dismissed proposal keeps where it came from, and never makes a new
-- proposal with the same neighbours (they were judged separate problems).
ALTER TABLE tickets ADD COLUMN dismissed_incident_id uuid REFERENCES incidents;
CREATE INDEX tickets_by_dismissed_incident ON tickets (dismissed_incident_id)
  WHERE dismissed_incident_id IS NOT NULL;

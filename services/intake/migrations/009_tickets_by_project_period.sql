-- Issue 20, the group view: intake.GroupStats reads each project's tickets of a period through
-- these (reported, response due, resolved, still unresolved by due date) instead of scanning
-- every ticket of every project (EXPLAIN on the group bench, 500 projects, a month of a year:
-- 150-280 ms per statement -> 20-35 ms). On a large live table build them with
-- CREATE INDEX CONCURRENTLY outside a migration transaction.
CREATE INDEX tickets_by_project_reported ON tickets (project_id, reported_at);
CREATE INDEX tickets_by_project_response_due ON tickets (project_id, response_due);
CREATE INDEX tickets_by_project_resolved ON tickets (project_id, resolved_at);
CREATE INDEX tickets_by_project_unresolved_due ON tickets (project_id, resolve_due)
  WHERE resolved_at IS NULL;

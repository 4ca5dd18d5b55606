-- The work order whose sign-off intake took from its callback, because the callback overtook the
-- WorkOrderSignedOff event (different topics are not ordered); that sign-off is then skipped.
ALTER TABLE tickets ADD COLUMN resolved_from_callback text NOT NULL DEFAULT '';

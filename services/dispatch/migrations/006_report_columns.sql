-- Issue 20, the group view over a year: what the repair report counts of each order, in
-- columns kept in step with `doc` by the store (the same INSERT/UPDATE that writes the doc), so
-- GroupRepairReport sums rows instead of decoding every document of the period. The columns are
-- facts of the order, not of a period: the report still picks them by instant, in each
-- project's own time zone, and as_of-dependent figures (on-site deadline passed) stay exact.
-- report_columns NULL = not filled yet (orders written before this migration): dispatch fills
-- them from `doc` (worker report-columns-backfill, and GroupRepairReport first for its own
-- projects), so no report ever reads an unfilled row.
ALTER TABLE work_orders
  ADD COLUMN started_at            timestamptz,
  ADD COLUMN rerouted              boolean,      -- rerouted_to set
  ADD COLUMN rating_at             timestamptz,  -- the owner's rating (issue 23)
  ADD COLUMN rating_score          integer,
  ADD COLUMN rating_technician     text,
  ADD COLUMN quote_confirmed_at    timestamptz,  -- the quote's decision when it was confirmed
  ADD COLUMN quote_fen             bigint,
  ADD COLUMN verifier_signed_at    timestamptz[],  -- every verifier sign-off
  ADD COLUMN owner_signs_on_behalf integer,      -- owner sign-offs staff recorded
  ADD COLUMN warranty_advanced     boolean,      -- domain::advances_warranty_cost
  ADD COLUMN report_columns        smallint;     -- 1 = filled; NULL = fill from doc
CREATE INDEX work_orders_report_unfilled ON work_orders (project_id)
  WHERE report_columns IS NULL;

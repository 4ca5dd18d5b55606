-- Inspection defects sent to the builder (issue 19) are work orders of origin 'rectification'.
ALTER TABLE work_orders DROP CONSTRAINT work_orders_origin_check;
ALTER TABLE work_orders ADD CONSTRAINT work_orders_origin_check
  CHECK (origin IN ('initial', 'rework', 'reroute', 'manual', 'rectification'));

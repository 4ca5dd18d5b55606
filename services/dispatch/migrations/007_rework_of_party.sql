-- Issue 20, the group view: a rework carries its original's party and kind (the party the
-- rework counts against), copied when the rework is written (the original is signed off by
-- then, so its party no longer changes), so GroupRepairReport sums one pass over the orders with
-- no join back to the originals. Filled here for the reworks already written.
ALTER TABLE work_orders
  ADD COLUMN rework_of_party text,
  ADD COLUMN rework_of_kind  text;
UPDATE work_orders r SET rework_of_party = o.party_id, rework_of_kind = o.assignee_kind
FROM work_orders o
WHERE r.rework_of = o.work_order_id;

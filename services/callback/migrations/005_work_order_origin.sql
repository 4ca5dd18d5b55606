-- Issue 19: the origin of a work order (dispatch.WorkOrderCreated), so that rectification orders
-- (inspection defects the builder puts right before the keys, no owner ticket) send the owner no
-- messages and get no callback. '' = before this column (an owner's repair, as it was).
ALTER TABLE callback_work_orders ADD COLUMN origin text NOT NULL DEFAULT '';

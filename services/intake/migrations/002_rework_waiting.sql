-- Set when dispatch's rework order arrives before the unsatisfied callback that reopens the
-- ticket (intake consumes both topics, which are not ordered with each other); the reopening
-- then moves the ticket straight on to dispatched.
ALTER TABLE tickets ADD COLUMN rework_waiting boolean NOT NULL DEFAULT false;

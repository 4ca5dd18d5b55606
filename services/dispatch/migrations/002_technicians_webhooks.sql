-- Technicians with calendars and their automatic assignment; partner webhooks with a delivery
-- log.

-- People of crews and contractors who go on site. technician_id is unique across projects
-- because appointments are per technician (appointments.resource = technician:<id>).
CREATE TABLE technicians (
  technician_id text        PRIMARY KEY,
  project_id    text        NOT NULL,
  party_id      text        NOT NULL,
  name          text        NOT NULL,
  trades        text[]      NOT NULL,  -- ticket categories, as parties.trades
  daily_cap     integer     CHECK (daily_cap > 0),  -- NULL = the project's default
  active        boolean     NOT NULL,
  days_off      date[]      NOT NULL DEFAULT '{}',  -- local days (project time zone)
  work_start    text        NOT NULL,  -- local HH:MM
  work_end      text        NOT NULL,
  updated_at    timestamptz NOT NULL,
  FOREIGN KEY (project_id, party_id) REFERENCES parties (project_id, party_id)
);
CREATE INDEX technicians_by_party ON technicians (project_id, party_id, technician_id);

-- Copies of the work order's technician and appointment, kept in step with `doc` by the store,
-- for the technicians' loads and calendars. technician_day is the local day the assignment
-- counts for against the daily cap (the appointment's day, else the day it was assigned).
ALTER TABLE work_orders
  ADD COLUMN technician_id  text,
  ADD COLUMN technician_day date,
  ADD COLUMN appointment    tstzrange;
CREATE INDEX work_orders_by_technician ON work_orders (technician_id, technician_day)
  WHERE technician_id IS NOT NULL;
-- Orders booked before this migration: what the appointments table knows.
UPDATE work_orders w
SET appointment = a.during,
    technician_id = CASE WHEN a.resource LIKE 'technician:%' THEN substr(a.resource, 12) END
FROM appointments a
WHERE a.work_order_id = w.work_order_id;

-- One push endpoint per party (parties are keyed by party_id in the partner feed too). The
-- secret is needed in clear to sign; it is never returned by the API.
CREATE TABLE webhooks (
  party_id   text        PRIMARY KEY,
  url        text        NOT NULL,
  secret     text        NOT NULL,
  active     boolean     NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- One row per partner-feed event to post to the party's webhook, written in the transaction
-- that appends the event to the feed. Sent in feed order per party: a party's delivery waits
-- while an earlier one of the same party is pending.
CREATE TABLE webhook_deliveries (
  delivery_id     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  party_id        text        NOT NULL,
  seq             bigint      NOT NULL,  -- partner_events.seq: the order and the cursor
  status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer     NOT NULL DEFAULT 0,  -- over the delivery's life (attempt numbers)
  schedule_start  timestamptz NOT NULL,  -- retries stop 7 days after this (event or redelivery)
  failures        integer     NOT NULL DEFAULT 0,  -- failed attempts since schedule_start
  next_attempt_at timestamptz,           -- pending only
  created_at      timestamptz NOT NULL,
  delivered_at    timestamptz,
  last_status     integer,
  last_error      text,
  updated_at      timestamptz NOT NULL,
  UNIQUE (party_id, seq),
  FOREIGN KEY (party_id, seq) REFERENCES partner_events (party_id, seq)
);
-- The sender's candidates and the per-party "earlier one pending" check.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (party_id, seq)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status = 'pending';

-- Every attempt: what the endpoint answered and how long it took.
CREATE TABLE webhook_attempts (
  delivery_id  uuid        NOT NULL REFERENCES webhook_deliveries (delivery_id),
  attempt      integer     NOT NULL,
  attempted_at timestamptz NOT NULL,
  status_code  integer     NOT NULL,  -- 0 = no HTTP answer
  error        text        NOT NULL,  -- '' when delivered
  duration_ms  integer     NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);

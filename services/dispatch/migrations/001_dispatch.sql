-- Dispatch: parties, the projection of intake's tickets and policies, work orders,
-- appointments (no overlaps per technician or party) and the per-party partner event feed.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Effective dispatch policy of a project (intake.PolicyUpdated); no row = DOMAIN defaults.
CREATE TABLE dispatch_policies (
  project_id text        PRIMARY KEY,
  version    bigint      NOT NULL,
  policy     bytea       NOT NULL,  -- aftercare.v1.DispatchPolicy with every field set
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Time zone of each project (intake.ProjectUpserted), for report periods; no row = the
-- platform default Asia/Shanghai.
CREATE TABLE projects (
  project_id text        PRIMARY KEY,
  timezone   text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Builders, property crews and contractors of a project, with the categories they handle.
CREATE TABLE parties (
  project_id text        NOT NULL,
  party_id   text        NOT NULL,
  kind       text        NOT NULL CHECK (kind IN ('builder', 'crew', 'contractor')),
  name       text        NOT NULL,
  trades     text[]      NOT NULL,  -- ticket categories: house_quality decoration ...
  active     boolean     NOT NULL,
  on_duty    boolean     NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, party_id)
);

-- What dispatch needs of intake's tickets (TicketOpened, then deadline changes, cancellation).
CREATE TABLE tickets (
  ticket_id    text        PRIMARY KEY,
  project_id   text        NOT NULL,
  unit_id      text        NOT NULL,
  owner_id     text        NOT NULL,
  in_warranty  boolean     NOT NULL,
  reported_at  timestamptz NOT NULL,
  resolve_due  timestamptz NOT NULL,
  duplicate_of text,
  cancelled    boolean     NOT NULL DEFAULT false,
  opened       bytea       NOT NULL,  -- aftercare.v1.TicketOpened as received
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Work orders. `doc` is the whole aftercare.v1.WorkOrder as the API returns it; the columns
-- beside it are copies kept in step by the store for constraints, filters and reports.
CREATE TABLE work_orders (
  work_order_id    text        PRIMARY KEY,
  -- What created it, unique so a redelivered cause creates nothing new:
  -- ticket:<ticket_id> | rework:<callback_id> | reroute:<work_order_id> | replace:<work_order_id>
  -- | manual:<idempotency key>.
  source_key       text        NOT NULL UNIQUE,
  ticket_id        text        NOT NULL,
  project_id       text        NOT NULL,
  unit_id          text        NOT NULL,
  origin           text        NOT NULL CHECK (origin IN ('initial', 'rework', 'reroute', 'manual')),
  assignee_kind    text        NOT NULL CHECK (assignee_kind IN ('builder', 'crew', 'contractor')),
  party_id         text        NOT NULL,  -- '' = unassigned, a dispatcher must reassign
  builder_party_id text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('created', 'accepted', 'scheduled',
                     'in_progress', 'completed', 'signed_off', 'rerouted', 'declined', 'cancelled')),
  in_warranty      boolean     NOT NULL,
  paid             boolean     NOT NULL,
  deadline         timestamptz NOT NULL,
  resolve_due      timestamptz NOT NULL,
  estimate_fen     bigint,
  cost_fen         bigint,
  rework_of        text        REFERENCES work_orders (work_order_id),
  rerouted_from    text        UNIQUE REFERENCES work_orders (work_order_id),
  created_at       timestamptz NOT NULL,
  signed_off_at    timestamptz,
  updated_at       timestamptz NOT NULL,
  version          bigint      NOT NULL,
  doc              bytea       NOT NULL
);
-- Exactly one original order per ticket, however often TicketOpened is delivered.
CREATE UNIQUE INDEX work_orders_one_initial_per_ticket ON work_orders (ticket_id)
  WHERE origin = 'initial';
CREATE INDEX work_orders_by_ticket ON work_orders (ticket_id, created_at, work_order_id);
CREATE INDEX work_orders_by_party ON work_orders (party_id, created_at, work_order_id);
CREATE INDEX work_orders_by_project ON work_orders (project_id, created_at, work_order_id);
CREATE INDEX work_orders_by_project_change ON work_orders (project_id, updated_at);
-- The late-builder sweeper's candidates.
CREATE INDEX work_orders_open_builders ON work_orders (deadline)
  WHERE assignee_kind = 'builder' AND status IN ('created', 'accepted', 'scheduled', 'in_progress');

-- The current appointment of each scheduled order. The exclusion constraint is the rule "a
-- technician (or a party, when no technician is named) cannot hold two overlapping
-- appointments": concurrent bookings cannot both commit.
CREATE TABLE appointments (
  work_order_id text        PRIMARY KEY REFERENCES work_orders (work_order_id),
  resource      text        NOT NULL,  -- technician:<id> | party:<party_id>
  during        tstzrange   NOT NULL,  -- [start, end)
  reminder_due  timestamptz NOT NULL,
  reminded_at   timestamptz,
  EXCLUDE USING gist (resource WITH =, during WITH &&)
);
CREATE INDEX appointments_reminders ON appointments (reminder_due) WHERE reminded_at IS NULL;

-- The partner feed: every event about a party's work orders, numbered per party without gaps
-- in commit order (the head row is locked by the appending transaction until it commits).
CREATE TABLE partner_feed_heads (
  party_id text   PRIMARY KEY,
  last_seq bigint NOT NULL
);
CREATE TABLE partner_events (
  party_id      text        NOT NULL,
  seq           bigint      NOT NULL,
  event_id      uuid        NOT NULL,
  work_order_id text        NOT NULL,
  event_type    text        NOT NULL,
  event         bytea       NOT NULL,  -- aftercare.v1.Event as published
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (party_id, seq),
  UNIQUE (party_id, event_id)
);

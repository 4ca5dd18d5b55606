-- Intake owns the property registry (projects, units, calendars, policies) and the tickets.
-- Enums are stored as the numbers of their aftercare.v1 proto enums.

CREATE TABLE projects (
  project_id text        PRIMARY KEY,
  name       text        NOT NULL,
  timezone   text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Owner name and phone are confidential: only staff of the project read them, never events.
CREATE TABLE units (
  unit_id       text        PRIMARY KEY,  -- unique across the company
  project_id    text        NOT NULL REFERENCES projects,
  building      text        NOT NULL,
  room          text        NOT NULL,
  area_centi_m2 bigint      NOT NULL CHECK (area_centi_m2 > 0),
  owner_id      text        NOT NULL,
  owner_name    text        NOT NULL,
  owner_phone   text        NOT NULL,
  handover_date date        NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_by_project ON units (project_id, unit_id);
CREATE INDEX units_by_owner ON units (owner_id);

-- Working-day calendar of one project and year: weekday holidays and weekend make-up days.
CREATE TABLE calendars (
  project_id text        NOT NULL REFERENCES projects,
  year       integer     NOT NULL,
  holidays   date[]      NOT NULL,
  workdays   date[]      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, year)
);

-- A project's overrides of the DOMAIN defaults, as a serialized aftercare.v1.Policy.
CREATE TABLE policies (
  project_id text        PRIMARY KEY REFERENCES projects,
  policy     bytea       NOT NULL,
  version    bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tickets (
  ticket_id        uuid        PRIMARY KEY,
  ticket_no        text        NOT NULL UNIQUE,
  project_id       text        NOT NULL REFERENCES projects,
  unit_id          text        NOT NULL REFERENCES units,
  owner_id         text        NOT NULL,
  kind             smallint    NOT NULL,
  category         smallint    NOT NULL,
  component        smallint    NOT NULL,
  urgency          smallint    NOT NULL,
  channel          smallint    NOT NULL,
  repair_area      smallint    NOT NULL,
  description      text        NOT NULL,
  status           smallint    NOT NULL,
  in_warranty      boolean     NOT NULL,
  warranty_ends    date        NOT NULL,
  reported_at      timestamptz NOT NULL,
  response_due     timestamptz NOT NULL,
  resolve_due      timestamptz NOT NULL,
  escalation_level integer     NOT NULL DEFAULT 0,
  recurrence       integer     NOT NULL,
  owner_agent      text        NOT NULL DEFAULT '',
  reported_by      text        NOT NULL,
  duplicate_of     uuid        REFERENCES tickets,
  responded_at     timestamptz,
  resolved_at      timestamptz,
  closed_at        timestamptz,
  extension_count  integer     NOT NULL DEFAULT 0,
  fault_party      smallint    NOT NULL DEFAULT 0,
  fault_party_id   text        NOT NULL DEFAULT '',
  fine_fen         bigint      NOT NULL DEFAULT 0,
  assignee_party_id text       NOT NULL DEFAULT '',  -- party of the latest work order (from dispatch)
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          bigint      NOT NULL DEFAULT 1,
  idempotency_key  text,
  request_hash     text,
  UNIQUE (reported_by, idempotency_key)
);
CREATE INDEX tickets_by_project ON tickets (project_id, created_at, ticket_id);
CREATE INDEX tickets_by_unit ON tickets (unit_id, created_at, ticket_id);
CREATE INDEX tickets_by_issue ON tickets (unit_id, category, component, created_at);
CREATE INDEX tickets_open_deadlines ON tickets (resolve_due) WHERE status IN (1, 2, 3, 6);

-- The service archive (售后返修档案): append-only, one row per change.
CREATE TABLE ticket_history (
  ticket_id uuid        NOT NULL REFERENCES tickets,
  seq       integer     NOT NULL,
  at        timestamptz NOT NULL,
  actor     text        NOT NULL,
  action    text        NOT NULL,
  detail    text        NOT NULL,
  PRIMARY KEY (ticket_id, seq)
);

-- Per project and local day, the last ticket number handed out.
CREATE TABLE ticket_counters (
  project_id text   NOT NULL,
  local_day  date   NOT NULL,
  last       bigint NOT NULL,
  PRIMARY KEY (project_id, local_day)
);

-- How many times each issue (unit + category + component) was reported or reopened: the
-- recurrence that drives escalation. Its row lock serialises reports of the same issue.
CREATE TABLE issue_reports (
  unit_id   text     NOT NULL,
  category  smallint NOT NULL,
  component smallint NOT NULL,
  reports   integer  NOT NULL,
  PRIMARY KEY (unit_id, category, component)
);

-- Breaches already announced, so the sweeper emits each once.
CREATE TABLE sla_breaches (
  ticket_id   uuid        NOT NULL REFERENCES tickets,
  deadline    smallint    NOT NULL,
  due_at      timestamptz NOT NULL,
  detected_at timestamptz NOT NULL,
  PRIMARY KEY (ticket_id, deadline, due_at)
);

-- Every escalation (automatic by the tables or by a supervisor), for reports and fines.
CREATE TABLE ticket_escalations (
  ticket_id      uuid        NOT NULL REFERENCES tickets,
  level          integer     NOT NULL,
  previous_level integer     NOT NULL,
  fine_fen       bigint      NOT NULL,
  fault_party_id text        NOT NULL,
  at             timestamptz NOT NULL
);
CREATE INDEX ticket_escalations_by_time ON ticket_escalations (at);

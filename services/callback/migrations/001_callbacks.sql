-- Callback service schema (DOMAIN §3). Enum values are stored by their public names
-- ("repair_completed", "satisfied"), the spelling of the HTTP contract.

-- Projections of intake's registry and policy (intake.ProjectUpserted, intake.PolicyUpdated,
-- intake.UnitUpserted). Only what callback needs; never owner names or phones.
CREATE TABLE callback_projects (
  project_id  text        PRIMARY KEY,
  timezone    text        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE callback_policies (
  project_id  text        PRIMARY KEY,
  version     bigint      NOT NULL,
  policy      bytea       NOT NULL,   -- serialized aftercare.v1.Policy as intake published it
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE callback_units (
  unit_id        text        PRIMARY KEY,
  project_id     text        NOT NULL,
  owner_id       text        NOT NULL DEFAULT '',
  handover_date  date,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callback_units_handover ON callback_units (project_id, handover_date);

-- Callback tasks. source_key makes every cause create at most one task: "work_order:<id>",
-- "complaint:<ticket>:<resolved_at>", "handover:<unit>:<months>", "warranty:<unit>:<ends>",
-- "manual:<project>:<idempotency key>".
CREATE TABLE callbacks (
  callback_id      uuid        PRIMARY KEY,
  source_key       text        NOT NULL UNIQUE,
  project_id       text        NOT NULL,
  unit_id          text        NOT NULL,
  owner_id         text        NOT NULL DEFAULT '',
  ticket_id        text        NOT NULL DEFAULT '',
  work_order_id    text        NOT NULL DEFAULT '',
  reason           text        NOT NULL,
  due_kind         text        NOT NULL DEFAULT 'unspecified',
  component        text        NOT NULL DEFAULT 'unspecified',
  milestone_months integer     NOT NULL DEFAULT 0,
  warranty_ends    date,
  basis_at         timestamptz,
  due_at           timestamptz NOT NULL,
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  assigned_agent   text        NOT NULL DEFAULT '',
  attempts         integer     NOT NULL DEFAULT 0,
  last_attempt_at  timestamptz,
  next_attempt_at  timestamptz,
  closed_at        timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX callbacks_project_due ON callbacks (project_id, due_at, callback_id);
CREATE INDEX callbacks_pending_due ON callbacks (project_id, assigned_agent, due_at) WHERE status = 'pending';
CREATE INDEX callbacks_ticket ON callbacks (ticket_id) WHERE ticket_id <> '';
CREATE INDEX callbacks_unit ON callbacks (unit_id);

-- What the owner said; at most one per callback (a second record is refused).
CREATE TABLE callback_records (
  callback_id      uuid        PRIMARY KEY REFERENCES callbacks (callback_id),
  satisfaction     text        NOT NULL,
  score            smallint    NOT NULL CHECK (score BETWEEN 1 AND 5),
  attitude         smallint    NOT NULL CHECK (attitude BETWEEN 0 AND 5),
  timely           boolean     NOT NULL,
  charge_ok        boolean     NOT NULL,
  comment          text        NOT NULL DEFAULT '',
  owner_confirmed  boolean     NOT NULL,
  recorded_by      text        NOT NULL,
  recorded_at      timestamptz NOT NULL,
  on_time          boolean     NOT NULL
);
CREATE INDEX callback_records_agent ON callback_records (recorded_by, recorded_at);

-- Unanswered calls; the last one of a failed callback has gave_up = true (the give-up record).
CREATE TABLE callback_attempts (
  callback_id      uuid        NOT NULL REFERENCES callbacks (callback_id),
  attempt_no       integer     NOT NULL,
  agent_id         text        NOT NULL,
  attempted_at     timestamptz NOT NULL,
  note             text        NOT NULL DEFAULT '',
  next_attempt_at  timestamptz,
  gave_up          boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (callback_id, attempt_no)
);
CREATE INDEX callback_attempts_agent ON callback_attempts (agent_id, attempted_at);

-- Supervisor review and signature; at most one per callback.
CREATE TABLE callback_reviews (
  callback_id  uuid        PRIMARY KEY REFERENCES callbacks (callback_id),
  reviewer_id  text        NOT NULL,
  approved     boolean     NOT NULL,
  note         text        NOT NULL DEFAULT '',
  reviewed_at  timestamptz NOT NULL
);

-- Reworks requested by unsatisfied (or wrong-charge) callbacks and the 24 h return deadline:
-- returned_at is set when dispatch's rework order (WorkOrderCreated, origin rework) arrives.
CREATE TABLE callback_reworks (
  callback_id            uuid        PRIMARY KEY REFERENCES callbacks (callback_id),
  project_id             text        NOT NULL,
  ticket_id              text        NOT NULL,
  work_order_id          text        NOT NULL,
  reason                 text        NOT NULL,
  requested_at           timestamptz NOT NULL,
  return_due             timestamptz NOT NULL,
  returned_at            timestamptz,
  rework_work_order_id   text
);
CREATE INDEX callback_reworks_work_order ON callback_reworks (work_order_id);
CREATE INDEX callback_reworks_open ON callback_reworks (return_due) WHERE returned_at IS NULL;

-- Who gave a callback to whom (assignment history).
CREATE TABLE callback_assignments (
  id           bigserial   PRIMARY KEY,
  callback_id  uuid        NOT NULL REFERENCES callbacks (callback_id),
  from_agent   text        NOT NULL,
  to_agent     text        NOT NULL,
  assigned_by  text        NOT NULL,
  assigned_at  timestamptz NOT NULL
);

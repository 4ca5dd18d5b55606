-- Handover and decoration (issue 19). Each aggregate is stored as its protobuf (data) with the
-- columns that queries and constraints need beside it.
CREATE TABLE inspections (
  inspection_id uuid        PRIMARY KEY,
  seq           bigint      GENERATED ALWAYS AS IDENTITY,  -- recording order
  project_id    text        NOT NULL REFERENCES projects,
  unit_id       text        NOT NULL REFERENCES units,
  stage         smallint    NOT NULL,
  status        smallint    NOT NULL,
  created_at    timestamptz NOT NULL,
  data          bytea       NOT NULL  -- v1.Inspection without its defects
);
CREATE INDEX inspections_by_unit ON inspections (unit_id, seq);

CREATE TABLE inspection_defects (
  defect_id     uuid        PRIMARY KEY,
  seq           bigint      GENERATED ALWAYS AS IDENTITY,  -- recording order
  inspection_id uuid        NOT NULL REFERENCES inspections,
  project_id    text        NOT NULL,
  unit_id       text        NOT NULL,
  status        smallint    NOT NULL,
  work_order_id text        NOT NULL DEFAULT '',
  party_id      text        NOT NULL DEFAULT '',
  component     smallint    NOT NULL,
  rectify_due   timestamptz NOT NULL,
  fixed_at      timestamptz,
  ticket_id     uuid        REFERENCES tickets,
  created_at    timestamptz NOT NULL,
  data          bytea       NOT NULL  -- v1.Defect
);
CREATE INDEX defects_by_inspection ON inspection_defects (inspection_id, seq);
CREATE INDEX defects_by_unit ON inspection_defects (unit_id, seq);
CREATE INDEX defects_by_work_order ON inspection_defects (work_order_id) WHERE work_order_id <> '';
CREATE INDEX defects_by_project ON inspection_defects (project_id, created_at);

-- Photos and slips of inspections: the ticket attachments' limits, a table of their own.
CREATE TABLE inspection_attachments (
  attachment_id uuid        PRIMARY KEY,
  inspection_id uuid        NOT NULL REFERENCES inspections,
  kind          smallint    NOT NULL,
  filename      text        NOT NULL,
  content_type  text        NOT NULL,
  size_bytes    bigint      NOT NULL CHECK (size_bytes > 0),
  sha256        text        NOT NULL CHECK (length(sha256) = 64),
  note          text        NOT NULL DEFAULT '',
  uploaded_by   text        NOT NULL,
  created_at    timestamptz NOT NULL,
  content       bytea       NOT NULL,
  UNIQUE (inspection_id, sha256)
);
ALTER TABLE inspection_attachments ALTER COLUMN content SET STORAGE EXTERNAL;

-- Key collection: the notice date, the handover and the reminders of one unit.
CREATE TABLE unit_keys (
  unit_id          text        PRIMARY KEY REFERENCES units,
  project_id       text        NOT NULL,
  notice_on        date,
  collected_on     date,
  handed_over_at   timestamptz,
  handed_over_by   text        NOT NULL DEFAULT '',
  reminders        integer     NOT NULL DEFAULT 0,
  last_reminded_on date
);
CREATE INDEX unit_keys_uncollected ON unit_keys (project_id, notice_on, unit_id)
  WHERE collected_on IS NULL;

CREATE TABLE decoration_permits (
  permit_id      uuid        PRIMARY KEY,
  seq            bigint      GENERATED ALWAYS AS IDENTITY,  -- application order
  project_id     text        NOT NULL,
  unit_id        text        NOT NULL REFERENCES units,
  status         smallint    NOT NULL,
  applied_at     timestamptz NOT NULL,
  decided_at     timestamptz,
  finished_at    timestamptz,
  deposit_fen    bigint      NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0),
  deductions_fen bigint      NOT NULL DEFAULT 0 CHECK (deductions_fen >= 0),
  refunded_fen   bigint      NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0),
  -- Never more back than was left after the deductions, and never more deducted than held.
  CHECK (deductions_fen <= deposit_fen AND refunded_fen <= deposit_fen - deductions_fen),
  data           bytea       NOT NULL  -- v1.DecorationPermit
);
CREATE INDEX permits_by_project ON decoration_permits (project_id, seq);
CREATE INDEX permits_by_unit ON decoration_permits (unit_id);

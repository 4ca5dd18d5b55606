-- Incidents (issue 23): one outage or shared-facility failure of a building, some buildings or
-- the whole project. Reports in scope link to it (tickets.incident_id); the lead ticket's work
-- order is the incident's one work order; followers are not dispatched, not counted in the
-- ticket KPIs and resolved with the incident.
CREATE TABLE incidents (
  incident_id     uuid        PRIMARY KEY,
  project_id      text        NOT NULL REFERENCES projects,
  kind            smallint    NOT NULL,
  category        smallint    NOT NULL,
  component       smallint    NOT NULL,
  buildings       text[]      NOT NULL,  -- empty = the whole project
  status          smallint    NOT NULL,  -- 1 open, 2 resolved
  title           text        NOT NULL,
  description     text        NOT NULL,
  starts_at       timestamptz,
  expected_end    timestamptz,
  opened_by       text        NOT NULL,
  proposed        boolean     NOT NULL,
  lead_ticket_id  uuid        REFERENCES tickets,
  resolution_note text        NOT NULL DEFAULT '',
  resolved_by     text        NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL,
  resolved_at     timestamptz
);
CREATE INDEX incidents_by_project ON incidents (project_id, created_at, incident_id);
CREATE INDEX incidents_open ON incidents (project_id, component) WHERE status = 1;

ALTER TABLE tickets ADD COLUMN incident_id uuid REFERENCES incidents;
ALTER TABLE tickets ADD COLUMN incident_follower boolean NOT NULL DEFAULT false;
-- The latest work order dispatch created for the ticket: the incident's work order is its lead's.
ALTER TABLE tickets ADD COLUMN work_order_id text NOT NULL DEFAULT '';
CREATE INDEX tickets_by_incident ON tickets (incident_id, created_at) WHERE incident_id IS NOT NULL;

-- Announcements (公告): sent at once or at send_at by the announcement sweeper; owners in scope
-- read them in the portal (one row per owner and announcement they listed).
CREATE TABLE announcements (
  announcement_id uuid        PRIMARY KEY,
  project_id      text        NOT NULL REFERENCES projects,
  title           text        NOT NULL,
  body            text        NOT NULL,
  buildings       text[]      NOT NULL,  -- empty = the whole project
  urgent          boolean     NOT NULL,
  send_at         timestamptz NOT NULL,
  status          smallint    NOT NULL,  -- 1 scheduled, 2 sent
  recipients      integer     NOT NULL,
  posted_by       text        NOT NULL,
  created_at      timestamptz NOT NULL,
  sent_at         timestamptz
);
CREATE INDEX announcements_by_project ON announcements (project_id, created_at, announcement_id);
CREATE INDEX announcements_due ON announcements (send_at) WHERE status = 1;
CREATE TABLE announcement_reads (
  announcement_id uuid        NOT NULL REFERENCES announcements,
  owner_id        text        NOT NULL,
  read_at         timestamptz NOT NULL,
  PRIMARY KEY (announcement_id, owner_id)
);

-- Issue 24: the per-project policy dispatch.sweep_interval_seconds is honoured. When the
-- late-builder sweeper last took each project; a project is taken again only once its interval
-- has passed. A row, not memory, so replicas and restarts share it (a conditional upsert claims
-- the project, at most one replica per interval).
CREATE TABLE project_sweeps (
  project_id text        PRIMARY KEY,
  swept_at   timestamptz NOT NULL
);

-- Issue 20: when callback first heard of a project. A period closes only for the projects that
-- existed before it ended (a project registered today has no last month to judge).
ALTER TABLE callback_projects ADD COLUMN first_seen timestamptz NOT NULL DEFAULT now();

-- The periods the close sweep has evaluated (one row per project and period, so a
-- period raises at most one alert whatever the replicas do) and the alerts of the periods that
-- closed below target, on the supervisors' list until acknowledged.
CREATE TABLE callback_period_closes (
  project_id    text        NOT NULL,
  period_label  text        NOT NULL,   -- "2026-11", "2026-Q4", "2026"
  closed_at     timestamptz NOT NULL,
  missed        integer     NOT NULL,   -- KPIs below target
  PRIMARY KEY (project_id, period_label)
);

CREATE TABLE callback_kpi_alerts (
  alert_id         uuid        PRIMARY KEY,
  project_id       text        NOT NULL,
  period_label     text        NOT NULL,
  alert            bytea       NOT NULL,   -- serialized aftercare.v1.KpiAlert as raised
  raised_at        timestamptz NOT NULL,
  acknowledged_by  text        NOT NULL DEFAULT '',
  acknowledged_at  timestamptz,
  note             text        NOT NULL DEFAULT '',
  UNIQUE (project_id, period_label)
);
CREATE INDEX callback_kpi_alerts_list ON callback_kpi_alerts (project_id, raised_at DESC, alert_id);

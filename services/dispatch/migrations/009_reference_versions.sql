-- Issue 21: dispatch keeps what routing reads of a project (its dispatch policy, its parties and
-- which of them have technicians) in memory, and asks one number per consumer batch to know
-- whether its copy is still current. Every change of those rows, whoever makes it (the consumer,
-- the API of any replica, SQL by hand), gives the project a new version from one sequence; a
-- copy taken at another version is loaded again. A sequence, not a per-project counter, so that
-- a rolled-back change or emptied tables can never bring an old number back (intake's
-- registry_versions, its migration 011, works the same way).
CREATE SEQUENCE reference_version_seq;

CREATE TABLE reference_versions (
  project_id text   PRIMARY KEY,
  version    bigint NOT NULL
);
INSERT INTO reference_versions (project_id, version)
  SELECT project_id, nextval('reference_version_seq') FROM (
    SELECT project_id FROM dispatch_policies UNION SELECT project_id FROM parties
    UNION SELECT project_id FROM technicians) p;

-- The project of the row before and after the change (both when a row moves) gets a new version.
CREATE FUNCTION reference_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text[] := '{}';
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN changed := changed || OLD.project_id; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN changed := changed || NEW.project_id; END IF;
  INSERT INTO reference_versions (project_id, version)
    SELECT d.p, nextval('reference_version_seq') FROM (SELECT DISTINCT p FROM unnest(changed) p) d
    ON CONFLICT (project_id) DO UPDATE SET version = EXCLUDED.version;
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['dispatch_policies', 'parties', 'technicians'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                   'FOR EACH ROW EXECUTE FUNCTION reference_version_bump()', t || '_version', t);
  END LOOP;
END $$;

-- Issue 21: intake keeps each project's reference data (project, units, policy, calendars) in
-- memory and asks one number per report to know whether its copy is still current. Every
-- change of a project's registry rows, whoever makes it (the API, another replica, SQL by hand),
-- gives the project a new version from one sequence; a copy taken at another version is
-- reloaded. A sequence, not a per-project counter, so that emptying and refilling the tables
-- cannot bring an old number back.
CREATE SEQUENCE registry_version_seq;

CREATE TABLE registry_versions (
  project_id text   PRIMARY KEY,
  version    bigint NOT NULL
);
INSERT INTO registry_versions (project_id, version)
  SELECT project_id, nextval('registry_version_seq') FROM projects;

CREATE FUNCTION registry_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO registry_versions (project_id, version)
      VALUES (OLD.project_id, nextval('registry_version_seq'))
      ON CONFLICT (project_id) DO UPDATE SET version = EXCLUDED.version;
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.project_id IS DISTINCT FROM OLD.project_id) THEN
    INSERT INTO registry_versions (project_id, version)
      VALUES (NEW.project_id, nextval('registry_version_seq'))
      ON CONFLICT (project_id) DO UPDATE SET version = EXCLUDED.version;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER projects_version AFTER INSERT OR UPDATE OR DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION registry_version_bump();
CREATE TRIGGER units_version AFTER INSERT OR UPDATE OR DELETE ON units
  FOR EACH ROW EXECUTE FUNCTION registry_version_bump();
CREATE TRIGGER calendars_version AFTER INSERT OR UPDATE OR DELETE ON calendars
  FOR EACH ROW EXECUTE FUNCTION registry_version_bump();
CREATE TRIGGER policies_version AFTER INSERT OR UPDATE OR DELETE ON policies
  FOR EACH ROW EXECUTE FUNCTION registry_version_bump();

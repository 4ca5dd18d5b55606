#!/bin/bash
# Runs once, on the first start of the postgres container (docker-entrypoint-initdb.d), as the
# superuser: one login role and one database per service, e.g. role `intake` owning database
# `aftercare_intake`; PUBLIC may not connect, so a service cannot open another's database.
# Passwords: <SERVICE>_DB_PASSWORD from env/postgres.env (make-secrets.sh writes the same values
# into the services' AFTERCARE_DB_URL).
set -euo pipefail
for svc in intake dispatch callback loyalty billing; do
  var="${svc^^}_DB_PASSWORD"
  pw="${!var:-}"
  if [[ -z $pw ]]; then
    echo "init-databases: $var is not set (env/postgres.env)" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname postgres \
    -v svc="$svc" -v pw="$pw" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'svc', :'pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'svc') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', 'aftercare_' || :'svc', :'svc')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'aftercare_' || :'svc') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', 'aftercare_' || :'svc') \gexec
SQL
done
# dispatch's migration uses btree_gist (a trusted extension, so its owner could create it too);
# creating it here as superuser keeps the migration independent of that.
psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname aftercare_dispatch \
  -c 'CREATE EXTENSION IF NOT EXISTS btree_gist'

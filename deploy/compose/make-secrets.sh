#!/usr/bin/env bash
# Writes env/postgres.env, env/<service>.env and env/gateway.env with fresh random passwords
# (hex, so they need no escaping inside a URL), consistent between PostgreSQL and the services.
# Existing files are kept unless --force is given (rotating a DB password also needs an
# ALTER ROLE in the running database: see docs/operations.md).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")"
force=0
[[ ${1:-} == --force ]] && force=1
rand() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
write() { # write FILE CONTENT
  if [[ -e $1 && $force == 0 ]]; then
    echo "keeping $1 (use --force to overwrite)"
    return
  fi
  (umask 077 && printf '%s\n' "$2" >"$1")
  echo "wrote $1"
}
services=(intake dispatch callback loyalty billing)
if [[ -e env/postgres.env && $force == 0 ]]; then
  echo "keeping env/postgres.env and the service env files (use --force to regenerate all)"
else
  pg="POSTGRES_PASSWORD=$(rand 24)"
  for svc in "${services[@]}"; do
    pw=$(rand 24)
    pg+=$'\n'"${svc^^}_DB_PASSWORD=$pw"
    force=1 write "env/$svc.env" "AFTERCARE_DB_URL=postgresql://$svc:$pw@postgres:5432/aftercare_$svc"
  done
  force=1 write env/postgres.env "$pg"
fi
write env/gateway.env "AFTERCARE_JWT_SECRET=$(rand 48)"

#!/usr/bin/env bash
#
# Stop what deploy/local/up.sh started, in reverse order: gateway, services, devbroker (pid files
# in .state/local/run), Redis (its pid file), PostgreSQL (pg_ctl stop -m fast). Safe to run when
# nothing is running.
#
#   deploy/local/down.sh          # stop; data (PostgreSQL databases) is kept for the next up.sh
#   deploy/local/down.sh --wipe   # stop and delete .state/local (and a fallback PG data dir)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '3,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

WIPE=0
for arg in "$@"; do
  case $arg in
    --wipe) WIPE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; ac_die "unknown argument: $arg" ;;
  esac
done

STATE=${AFTERCARE_LOCAL_STATE:-$AC_REPO/.state/local}
if [[ ! -d $STATE ]]; then
  ac_log "nothing to stop ($STATE does not exist)"
  exit 0
fi

ac_lock "$STATE.lock"
ac_stack_stop "$STATE"

if ((WIPE)); then
  ac_log "wiping $STATE"
  ac_pg_wipe "$STATE"
  rm -rf -- "$STATE"
fi
ac_log "local stack stopped"

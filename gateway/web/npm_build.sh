#!/usr/bin/env bash
# Build the web console into OUT_DIR (the build tree's gateway/web/dist), from CMake or by hand:
#   gateway/web/npm_build.sh [OUT_DIR]        # default: dist/ here
#   gateway/web/npm_build.sh --deps-only      # just make node_modules current (used by the tests)
# `npm ci` runs only when node_modules is missing or package-lock.json changed since the last
# install (its hash is kept in node_modules/.aftercare-lock.sha256). Several build trees share this
# source dir, so installs are serialised with flock.
set -euo pipefail
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

ensure_deps() {
  local want have=
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  exec 8>"$here/.npm-install.lock" || return 1
  flock -w 900 8 || { echo "npm_build: could not lock $here/.npm-install.lock" >&2; return 1; }
  [[ -f node_modules/.aftercare-lock.sha256 ]] && have=$(<node_modules/.aftercare-lock.sha256)
  if [[ ! -d node_modules || $have != "$want" ]]; then
    echo "npm_build: npm ci in $here" >&2
    # (set -e does not apply inside a function called from `if`: check each step.) A registry
    # that serves only this platform's builds of rollup/esbuild leaves their other-platform
    # optional packages out of the lock, which `npm ci` calls out of sync; `npm install --no-save`
    # then installs the same locked versions without touching package-lock.json.
    if ! npm ci --no-audit --no-fund --prefer-offline --loglevel=error >&2; then
      echo "npm_build: npm ci refused the lock; installing the locked versions with npm install --no-save" >&2
      npm install --no-save --no-audit --no-fund --prefer-offline --loglevel=error >&2 || return 1
    fi
    printf '%s\n' "$want" >node_modules/.aftercare-lock.sha256 || return 1
  fi
  exec 8>&-
}

if [[ ${1:-} == --deps-only ]]; then
  ensure_deps
  exit 0
fi
out=${1:-$here/dist}
if ! ensure_deps; then
  # No registry (offline) or npm broken: the C++ build goes on; the web test reports the console
  # as not built.
  echo "npm_build: WARNING: npm ci failed, the web console is not built (the web test will fail)" >&2
  exit 0
fi
npm run --silent build -- --outDir "$out" --emptyOutDir

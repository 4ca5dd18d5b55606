#!/usr/bin/env bash
# Builds the gateway JSON fuzz target with clang in its own build dir (build-fuzz, git-ignored)
# and runs it for AFTERCARE_FUZZ_SECONDS (30) seconds; exits non-zero on any crash, leak or
# sanitizer report (the reproducer is left in <build-fuzz>/fuzz-artifacts/).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${AFTERCARE_FUZZ_BUILD_DIR:-$SRC/build-fuzz}
SECS=${AFTERCARE_FUZZ_SECONDS:-30}
JOBS=${AFTERCARE_FUZZ_JOBS:-2}

if ! command -v clang++ >/dev/null; then
  echo "run_gateway_fuzz: clang++ is not installed (apt-get install -y clang)" >&2
  exit 1
fi
mkdir -p "$BUILD"
# One fuzz build at a time in this build dir.
exec 9>"$BUILD/.lock"
flock 9

start=$(date +%s)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAFTERCARE_FUZZ=ON >"$BUILD/configure.log" 2>&1 ||
    { cat "$BUILD/configure.log" >&2; exit 1; }
fi
cmake --build "$BUILD" -j"$JOBS" --target gateway_json_fuzz
echo "run_gateway_fuzz: built in $(($(date +%s) - start)) s"

# The committed seeds stay untouched; new inputs go to a work corpus in the build dir.
mkdir -p "$BUILD/fuzz-corpus" "$BUILD/fuzz-artifacts"
"$BUILD/tests/fuzz/gateway_json_fuzz" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/" \
  "$BUILD/fuzz-corpus" "$SRC/tests/fuzz/corpus"
echo "run_gateway_fuzz: no crash in ${SECS} s (total $(($(date +%s) - start)) s)"

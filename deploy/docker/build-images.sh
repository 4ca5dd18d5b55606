#!/usr/bin/env bash
# Builds the AfterCare images with podman where no image registry is reachable, and proves they
# run (issue 22):
#   1. a Debian bookworm base image made by mmdebstrap from Debian's archive (`podman import`),
#      cached in .state/images (--refresh-base makes it again);
#   2. the six images from deploy/docker/Dockerfile with DEBIAN_IMAGE=that base and
#      BINARIES_FROM=host: the binaries, web console and descriptor set of this checkout's build
#      (same Debian release; built first if missing) are staged in .image-input/. With
#      --from-source the Dockerfile compiles everything itself (slow: a full Release build in the
#      container, and its web stage wants the node:20-bookworm-slim image from a registry);
#   3. unless --no-run: a private local stack (deploy/local/up.sh on ports 18xxx: PostgreSQL,
#      Redis, devbroker and the host's own services), then the intake and gateway images started
#      on it (host network, ports of their own); intake's /healthz and the gateway's /healthz,
#      /readyz and a real API call must answer. Everything is removed afterwards.
#
#   deploy/docker/build-images.sh [--from-source] [--no-run] [--refresh-base] [--targets "intake gateway"]
#
# Timings are printed per step. podman here needs runc (crun refuses the host's hybrid cgroups),
# explicit ulimits (the sandbox may not raise them) and --network host (no CNI setup needed).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../local/lib.sh"
cd "$AC_REPO"

FROM=host RUN=1 REFRESH=0 TARGETS="intake dispatch callback loyalty billing gateway"
while (($#)); do
  case $1 in
    --from-source) FROM=source ;;
    --no-run) RUN=0 ;;
    --refresh-base) REFRESH=1 ;;
    --targets) TARGETS=$2; shift ;;
    *) ac_die "unknown argument $1" ;;
  esac
  shift
done

STATE=$AC_REPO/.state/images
BASE=localhost/aftercare-base/debian:bookworm
MIRROR=${AFTERCARE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TAG=${AFTERCARE_IMAGE_TAG:-dev}
mkdir -p "$STATE"
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
step_start=0
step() { step_start=$(ac__now_ms); ac_log "== $*"; }
took() { ac_log "   took $((($(ac__now_ms) - step_start) / 1000)) s"; }
total_start=$(ac__now_ms)

AC_PACKAGES=(podman mmdebstrap runc uidmap)
ac_install_packages

# 1. the base image
if ((REFRESH)) || ! "${PODMAN[@]}" image exists "$BASE"; then
  step "base: mmdebstrap bookworm (minbase) from $MIRROR"
  rm -f "$STATE/bookworm.tar"
  mmdebstrap --variant=minbase --components=main \
    --setup-hook='echo "deb '"$MIRROR"' bookworm-updates main" >> "$1/etc/apt/sources.list"' \
    bookworm "$STATE/bookworm.tar" "$MIRROR" >&2
  "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' "$STATE/bookworm.tar" "$BASE" >/dev/null
  rm -f "$STATE/bookworm.tar"
  took
else
  ac_log "base: $BASE exists (--refresh-base to make it again)"
fi

# 2. the images
BUILD_ARGS=(--build-arg "DEBIAN_IMAGE=$BASE" --build-arg "BINARIES_FROM=$FROM")
if [[ $FROM == host ]]; then
  step "staging this checkout's build in .image-input/"
  BUILD=$(ac_build_dir)
  export CCACHE_BASEDIR=$AC_REPO CCACHE_NOHASHDIR=1
  [[ -f $BUILD/build.ninja ]] || ac_build "$BUILD"
  cmake --build "$BUILD" -j2 --target aftercare-intake aftercare-dispatch aftercare-callback \
    aftercare-loyalty aftercare-billing aftercare-gateway aftercare-events aftercare_descriptor_set >&2
  rm -rf .image-input && mkdir -p .image-input
  for s in intake dispatch callback loyalty billing; do
    cp "$BUILD/services/$s/aftercare-$s" .image-input/
  done
  cp "$BUILD/gateway/aftercare-gateway" "$BUILD/tools/events/aftercare-events" \
    "$BUILD/aftercare-v1.desc" .image-input/
  for s in intake dispatch callback loyalty billing gateway events; do
    strip --strip-unneeded ".image-input/aftercare-$s"
  done
  if [[ -f $BUILD/gateway/web/dist/index.html ]]; then
    cp -r "$BUILD/gateway/web/dist" .image-input/web
  else
    ac_log "WARNING: web console not built; the gateway image serves the API only"
    mkdir -p .image-input/web
  fi
  took
fi
for t in $TARGETS; do
  step "podman build --target $t -> aftercare/$t:$TAG"
  "${PODMAN[@]}" build --network host "${LIMITS[@]}" --layers \
    -f deploy/docker/Dockerfile --ignorefile deploy/docker/Dockerfile.dockerignore \
    "${BUILD_ARGS[@]}" --target "$t" -t "aftercare/$t:$TAG" . >"$STATE/build-$t.log" 2>&1 ||
    { tail -30 "$STATE/build-$t.log" >&2; ac_die "image $t failed (log $STATE/build-$t.log)"; }
  took
done
rm -rf .image-input
"${PODMAN[@]}" images --filter reference='aftercare/*' --format '{{.Repository}}:{{.Tag}} {{.Size}}' >&2

((RUN)) || exit 0

# 3. run intake and the gateway from their images against a local stack
export AFTERCARE_LOCAL_STATE=$STATE/stack AFTERCARE_PG_PORT=18432 AFTERCARE_REDIS_PORT=18379
export AFTERCARE_HTTP_PORT=18080 AFTERCARE_GRPC_PORT_BASE=18051 AFTERCARE_METRICS_PORT_BASE=18101
export AFTERCARE_KAFKA_PORT=18092 AFTERCARE_SKIP_BUILD=1 AFTERCARE_JWT_SECRET=images-secret
cleanup() {
  "${PODMAN[@]}" rm -f -t 5 aftercare-img-intake aftercare-img-gateway >/dev/null 2>&1 || true
  "$AC_REPO/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT
step "local stack (deploy/local/up.sh, ports 18xxx)"
"$AC_REPO/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
"$AC_REPO/deploy/local/up.sh" >/dev/null
took
step "intake and gateway from their images"
BOOTSTRAP=$(head -1 "$AFTERCARE_LOCAL_STATE/kafka.bootstrap")
"${PODMAN[@]}" run -d --name aftercare-img-intake --network host "${LIMITS[@]}" \
  -e AFTERCARE_DB_URL="postgresql://aftercare@127.0.0.1:$AFTERCARE_PG_PORT/aftercare_intake" \
  -e AFTERCARE_KAFKA_BOOTSTRAP="$BOOTSTRAP" -e AFTERCARE_KAFKA_FETCH_WAIT_MS=10 \
  -e AFTERCARE_GRPC_ADDR=127.0.0.1:18061 -e AFTERCARE_METRICS_ADDR=127.0.0.1:18111 \
  -e AFTERCARE_JWT_SECRET="$AFTERCARE_JWT_SECRET" "aftercare/intake:$TAG" >/dev/null
svc_env=()
for i in 1 2 3 4; do
  s=(intake dispatch callback loyalty billing)
  svc_env+=(-e "AFTERCARE_${s[i]^^}_ADDR=127.0.0.1:$((AFTERCARE_GRPC_PORT_BASE + i))")
done
"${PODMAN[@]}" run -d --name aftercare-img-gateway --network host "${LIMITS[@]}" \
  -e AFTERCARE_HTTP_ADDR=127.0.0.1 -e AFTERCARE_HTTP_PORT=18090 -e AFTERCARE_GATEWAY_ADMIN_PORT=18110 \
  -e AFTERCARE_INTAKE_ADDR=127.0.0.1:18061 "${svc_env[@]}" \
  -e AFTERCARE_REDIS_ADDR="127.0.0.1:$AFTERCARE_REDIS_PORT" -e AFTERCARE_JWT_SECRET="$AFTERCARE_JWT_SECRET" \
  "aftercare/gateway:$TAG" >/dev/null
ok=1
ac_wait_for "intake image /healthz" 60 curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:18111/healthz || ok=0
ac_wait_for "gateway image /healthz (every service up)" 60 \
  curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:18110/healthz || ok=0
ac_wait_for "gateway image /readyz" 30 curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:18110/readyz || ok=0
TOKEN=$("${PODMAN[@]}" run --rm --network host "${LIMITS[@]}" -e AFTERCARE_JWT_SECRET="$AFTERCARE_JWT_SECRET" \
  "aftercare/gateway:$TAG" --mint-token --role admin --sub admin --projects '*')
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"name":"Image check","timezone":"Asia/Shanghai"}' \
  http://127.0.0.1:18090/v1/projects/PIMG) || true
[[ $code == 200 ]] || { ac_log "PUT /v1/projects/PIMG through the gateway image answered $code"; ok=0; }
"${PODMAN[@]}" exec aftercare-img-gateway test -s /usr/share/aftercare/aftercare-v1.desc || { ac_log "no descriptor set in the image"; ok=0; }
curl -sS --max-time 2 http://127.0.0.1:18110/healthz >&2 && echo >&2
if ((ok == 0)); then
  "${PODMAN[@]}" logs --tail 20 aftercare-img-intake >&2 || true
  "${PODMAN[@]}" logs --tail 20 aftercare-img-gateway >&2 || true
  ac_die "the images do not serve"
fi
took
ac_log "images build and serve: total $((($(ac__now_ms) - total_start) / 1000)) s"

# shellcheck shell=bash
#
# Helpers shared by deploy/local/up.sh, deploy/local/down.sh and tests/run.
# Source it; it defines functions and a few constants and starts nothing by itself.
#
# Conventions
# - A "state dir" (.state/local for up.sh, .state/test for tests/run) holds everything a stack
#   writes: logs/ (one log per process), run/ (pid files), pg/ (PostgreSQL), redis/ (Redis
#   working dir) plus the devbroker's bootstrap and control files. Nothing is written elsewhere,
#   except the PostgreSQL fallback described at ac_pg_start.
# - Progress messages go to stderr, so callers can keep stdout for machine-readable output.
# - Fatal setup errors exit (ac_die); "waited and it did not come up" returns 1 so the caller
#   decides whether to carry on.
# - No blind sleeps: every wait polls a condition against a deadline.

# Repository root: two levels above this file (deploy/local/lib.sh).
AC_REPO="$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"

# PostgreSQL 15 binaries from the Debian package (not on PATH by default).
AC_PG_BIN=/usr/lib/postgresql/15/bin

# Services in start order, with their fixed loopback ports (index-aligned). Used by the scripts
# that source this file.
AC_SERVICES=(intake dispatch callback loyalty billing)
# shellcheck disable=SC2034
_grpc_base=${AFTERCARE_GRPC_PORT_BASE:-15051}
AC_GRPC_PORTS=($_grpc_base $((_grpc_base + 1)) $((_grpc_base + 2)) $((_grpc_base + 3)) $((_grpc_base + 4)))
# shellcheck disable=SC2034
_metrics_base=${AFTERCARE_METRICS_PORT_BASE:-9101}
AC_METRICS_PORTS=($_metrics_base $((_metrics_base + 1)) $((_metrics_base + 2)) $((_metrics_base + 3)) $((_metrics_base + 4)))
# The gateway's admin listener (/metrics, /healthz, /readyz): just below the services' ports.
# shellcheck disable=SC2034
AC_GATEWAY_ADMIN_PORT=${AFTERCARE_GATEWAY_ADMIN_PORT:-$((_metrics_base - 1))}

# Everything the build, the stack and the tests need, as Debian packages.
AC_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  librdkafka-dev libhiredis-dev redis-server libpq-dev libpqxx-dev postgresql postgresql-contrib
  libboost-dev libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libjwt-dev
  libssl-dev libabsl-dev uuid-dev libgtest-dev libgmock-dev libbenchmark-dev
  kcat curl python3 python3-yaml clang-format clang libclang-rt-14-dev wrk
  nodejs chromium fonts-wqy-microhei
)

ac_log() { printf '[aftercare] %s\n' "$*" >&2; }
ac_die() {
  printf '[aftercare] error: %s\n' "$*" >&2
  exit 1
}

# Milliseconds since the epoch, from bash's own clock (no fork per poll).
ac__now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  printf '%s\n' $((t / 1000))
}

# ---------------------------------------------------------------------------------------------
# Packages and build
# ---------------------------------------------------------------------------------------------

# Run a command as root: directly, through sudo, or fail with a message saying why.
ac__as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -- "$@"
  else
    ac_die "need root to run '$*' (not root and sudo is not installed); install the packages as root"
  fi
}

# Install whichever of AC_PACKAGES are missing. Cheap when nothing is missing, so up.sh and
# tests/run call it every time.
ac_install_packages() {
  local pkg installed missing=()
  # One dpkg-query for all packages (it exits non-zero when some are unknown, but still lists the
  # others); a package counts only if its status is "installed" (not e.g. config-files).
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${AC_PACKAGES[@]}" 2>/dev/null || true)
  for pkg in "${AC_PACKAGES[@]}"; do
    grep -qxF "$pkg installed" <<<"$installed" || missing+=("$pkg")
  done
  if ((${#missing[@]} > 0)); then
    ac_log "installing missing Debian packages: ${missing[*]}"
    # Other tools (or engineers) may be running apt at the same moment: wait for the dpkg lock
    # instead of failing straight away.
    local lock_wait=(-o DPkg::Lock::Timeout=600)
    # apt prints progress on stdout: send it to stderr, so `eval "$(up.sh)"` sees only exports.
    ac__as_root apt-get "${lock_wait[@]}" update >&2
    ac__as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get "${lock_wait[@]}" install -y --no-install-recommends "${missing[@]}" >&2
  fi
  # nodejs is NodeSource's 20.x here and brings npm; Debian's own npm package would replace it
  # with node 18, too old for the web console's Vite 7, so npm is never installed by name.
  command -v npm >/dev/null 2>&1 ||
    ac_log "WARNING: npm missing: the web console is not built (needs Node.js >= 20.19 with npm)"
}

# The build directory: $AFTERCARE_BUILD_DIR if set, else $1, else <repo>/build; made absolute
# because the scripts cd around and pass the path to other processes.
ac_build_dir() {
  local dir=${AFTERCARE_BUILD_DIR:-${1:-$AC_REPO/build}}
  [[ $dir == /* ]] || dir=$PWD/$dir
  printf '%s\n' "$dir"
}

# ac_build [BUILD_DIR]: configure once (an existing configuration is kept, so a developer's own
# cache options or generator survive) and build everything with two jobs (two cores, shared).
ac_build() {
  local dir
  dir=$(ac_build_dir "${1:-}")
  # A configure that died halfway leaves a CMakeCache.txt but no build system: redo it then.
  if [[ ! -f $dir/CMakeCache.txt || ! (-f $dir/build.ninja || -f $dir/Makefile) ]]; then
    ac_log "configuring $dir"
    cmake -S "$AC_REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  fi
  ac_log "building $dir"
  # Compiler and npm output go to stderr too (stdout is for callers' machine-readable output).
  cmake --build "$dir" -j2 >&2
}

# ---------------------------------------------------------------------------------------------
# State dir, pid files, background processes, waiting
# ---------------------------------------------------------------------------------------------

# Create STATE_DIR and its standard subdirectories. STATE_DIR (and <repo>/.state when it is the
# parent) get mode 755 whatever the umask, because PostgreSQL runs as another OS user and has to
# traverse them to reach its data dir.
ac_state_init() {
  local state=$1
  mkdir -p "$state/logs" "$state/run" "$state/redis"
  chmod go+rx "$state" 2>/dev/null || true
  if [[ $(dirname -- "$state") == "$AC_REPO/.state" ]]; then
    chmod go+rx "$AC_REPO/.state" 2>/dev/null || true
  fi
}

# ac_lock LOCKFILE: serialise scripts on one stack (up.sh vs down.sh vs a second tests/run).
# The lock is an flock on fd 9, held until the calling script exits. Every long-lived process
# started from here gets fd 9 closed (`9>&-`): a daemon inheriting it would hold the lock forever
# and block the next up.sh/tests/run.
ac_lock() {
  local lockfile=$1
  mkdir -p "$(dirname -- "$lockfile")"
  exec 9>"$lockfile"
  if ! flock -n 9; then
    ac_log "waiting for $lockfile (another up.sh/down.sh/tests/run on this stack)"
    flock -w 300 9 || ac_die "could not take $lockfile within 300 s"
  fi
}

# True if PID names a live process (a zombie counts as dead: it will never answer).
ac__pid_is_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  { stat=$(<"/proc/$pid/stat"); } 2>/dev/null || return 1
  stat=${stat##*) } # drop "pid (comm) ", comm may contain spaces
  [[ ${stat%% *} != Z ]]
}

# Print the pid stored in PIDFILE (empty if there is none).
ac__pidfile_pid() {
  local pid=
  [[ -f $1 ]] && read -r pid <"$1" 2>/dev/null
  printf '%s\n' "${pid:-}"
}

# True if PIDFILE exists and its process is alive.
ac_pidfile_alive() {
  ac__pid_is_alive "$(ac__pidfile_pid "$1")"
}

# ac_start_bg NAME LOGFILE PIDFILE -- CMD ARGS...
# Start CMD detached: setsid puts it in its own session, so a Ctrl-C or a closed terminal in the
# shell that ran up.sh does not reach it; nohup makes it ignore SIGHUP as well. Output is
# appended to LOGFILE (with a header per start), the pid goes to PIDFILE. If PIDFILE's process is
# already alive nothing is started. Pass environment with `env VAR=value ... CMD`.
ac_start_bg() {
  local name=$1 log=$2 pidfile=$3
  shift 3
  [[ ${1:-} == -- ]] || ac_die "usage: ac_start_bg NAME LOGFILE PIDFILE -- CMD [ARGS...]"
  shift
  (($# > 0)) || ac_die "ac_start_bg $name: no command given"

  if ac_pidfile_alive "$pidfile"; then
    ac_log "$name already running (pid $(ac__pidfile_pid "$pidfile"))"
    return 0
  fi
  mkdir -p "$(dirname -- "$log")" "$(dirname -- "$pidfile")"
  # Header per start; values of secret-looking VAR=value arguments are not written to the log.
  local arg shown=()
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z_]*(SECRET|TOKEN|PASSWORD)[A-Za-z_]*= ]]; then arg="${arg%%=*}=***"; fi
    shown+=("$arg")
  done
  printf '=== %s: starting %s: %s\n' "$(date -Is)" "$name" "${shown[*]}" >>"$log"
  # The subshell matters: inside it the background job is never a process-group leader (even when
  # the caller has job control on), so setsid calls setsid() in place instead of forking, and $!
  # is the pid of CMD itself (setsid and nohup exec into it). When the subshell exits the job is
  # re-parented to init, so nobody here has to reap it.
  (
    setsid nohup "$@" >>"$log" 2>&1 </dev/null 9>&- &
    printf '%s\n' "$!" >"$pidfile.tmp"
  )
  mv -f "$pidfile.tmp" "$pidfile"
  ac_log "started $name (pid $(ac__pidfile_pid "$pidfile")), log: $log"
}

# ac_stop_pidfile PIDFILE [TIMEOUT_SECONDS=10]: SIGTERM, poll until the process is gone, SIGKILL
# after the deadline, remove the pid file. Nothing to do if there is no pid file or the process is
# already gone.
ac_stop_pidfile() {
  local pidfile=$1 timeout=${2:-10} pid deadline
  [[ -f $pidfile ]] || return 0
  pid=$(ac__pidfile_pid "$pidfile")
  if ac__pid_is_alive "$pid"; then
    ac_log "stopping $(basename -- "$pidfile" .pid) (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(ac__now_ms) + timeout * 1000))
    while ac__pid_is_alive "$pid" && (($(ac__now_ms) < deadline)); do
      sleep 0.1
    done
    if ac__pid_is_alive "$pid"; then
      ac_log "$(basename -- "$pidfile" .pid) (pid $pid) ignored SIGTERM for ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # SIGKILL cannot be ignored, but the kernel needs a moment to tear the process down.
      deadline=$(($(ac__now_ms) + 5000))
      while ac__pid_is_alive "$pid" && (($(ac__now_ms) < deadline)); do
        sleep 0.1
      done
    fi
  fi
  rm -f "$pidfile"
}

# ac_wait_for DESC TIMEOUT_SECONDS CMD [ARGS...]
# Run CMD (output discarded) every 0.2 s until it succeeds (return 0) or TIMEOUT_SECONDS pass
# (print DESC and the tail of the relevant log, return 1). Optional environment, typically given
# as a prefix on the call, e.g. `AC_WAIT_LOG=x AC_WAIT_PIDFILE=y ac_wait_for ...`:
#   AC_WAIT_LOG      log file whose tail is shown on failure
#   AC_WAIT_PIDFILE  give up early if this process dies (no point waiting 60 s for a crash)
ac_wait_for() {
  local desc=$1 timeout=$2 deadline why
  shift 2
  deadline=$(($(ac__now_ms) + timeout * 1000))
  while :; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [[ -n ${AC_WAIT_PIDFILE:-} ]] && ! ac_pidfile_alive "$AC_WAIT_PIDFILE"; then
      why="the process exited"
      break
    fi
    if (($(ac__now_ms) >= deadline)); then
      why="timed out after ${timeout}s"
      break
    fi
    sleep 0.2
  done
  ac_log "FAILED waiting for $desc: $why"
  if [[ -n ${AC_WAIT_LOG:-} && -f ${AC_WAIT_LOG:-} ]]; then
    ac_log "last lines of $AC_WAIT_LOG:"
    tail -n 40 -- "$AC_WAIT_LOG" | sed 's/^/    /' >&2
  fi
  return 1
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a private cluster per state dir
# ---------------------------------------------------------------------------------------------
#
# PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres`
# OS user (from the Debian package) and every pg_ctl/initdb call goes through runuser. When not
# root, it simply runs as the current user.
#
# Layout: STATE_DIR/pg/data (PGDATA), STATE_DIR/pg/socket (unix socket), log at
# STATE_DIR/logs/postgres.log. STATE_DIR/pg is chowned to postgres, which also needs to traverse
# every parent directory; ac_state_init makes the state dirs world-traversable, and /work,
# /work/main are 755 here. If postgres still cannot get in (a 700 parent somewhere), the cluster
# lives in /var/tmp/aftercare-<hash of STATE_DIR>/ instead, STATE_DIR/pg becomes a symlink to it
# (that symlink is the record of where it is; down.sh --wipe deletes both) and the log is kept
# there too, with STATE_DIR/logs/postgres.log a symlink to it.

# Run a command as the cluster owner, from / (postgres cannot enter root's cwd, and initdb and
# psql complain about that), without the lock fd (the postmaster would inherit it).
ac__pg_run() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    (cd / && "$@" 9>&-)
  fi
}

# Print the real (symlink-resolved) PostgreSQL area of STATE_DIR, creating it on first use.
ac__pg_area() {
  local state=$1 area=$1/pg fallback
  if [[ ! -e $area && ! -L $area ]]; then
    mkdir -p "$area"
    if ((EUID == 0)); then
      chown postgres:postgres "$area"
      chmod 700 "$area"
      if ! ac__pg_run test -w "$area"; then
        rmdir "$area"
        fallback=/var/tmp/aftercare-$(printf '%s' "$(cd -P -- "$state" && pwd -P)" | sha256sum | cut -c1-16)
        ac_log "postgres cannot reach $area (a parent directory is not traversable); using $fallback"
        mkdir -p "$fallback"
        chown postgres:postgres "$fallback"
        chmod 700 "$fallback"
        ln -s "$fallback" "$area"
      fi
    fi
  fi
  # Always hand out the resolved path: in fallback mode postgres cannot follow the symlink itself
  # (it sits inside a directory postgres cannot traverse).
  readlink -f -- "$area"
}

# Where the PostgreSQL log goes (see the layout note above); creates it owned by postgres so that
# pg_ctl, running as postgres, can append to it.
ac__pg_logfile() {
  local state=$1 area=$2 log
  if [[ -L $state/pg ]]; then
    log=$area/postgres.log
    ln -sfn "$log" "$state/logs/postgres.log"
  else
    log=$state/logs/postgres.log
  fi
  [[ -e $log ]] || : >"$log"
  if ((EUID == 0)); then chown postgres:postgres "$log"; fi
  printf '%s\n' "$log"
}

# True if a postmaster is running on DATA_DIR. pg_ctl status only checks that the pid in
# postmaster.pid exists; a postmaster killed a moment ago (a power cut, kill -9) can linger as a
# zombie until init reaps it, and must count as stopped so that the caller starts a new one.
ac__pg_running() {
  [[ -f $1/PG_VERSION ]] && ac__pg_run "$AC_PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1 &&
    ac__pid_is_alive "$(head -n 1 "$1/postmaster.pid" 2>/dev/null)"
}

# ac_pg_start STATE_DIR PORT
ac_pg_start() {
  local state=$1 port=$2 area data sock log running_port
  ac_state_init "$state"
  area=$(ac__pg_area "$state")
  data=$area/data
  sock=$area/socket
  log=$(ac__pg_logfile "$state" "$area")

  # A postmaster killed a moment ago may linger as a zombie, and PostgreSQL refuses to start while
  # the pid in postmaster.pid exists: wait (bounded) for init to reap it.
  local old_pid
  old_pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  if [[ $old_pid =~ ^[0-9]+$ ]] && kill -0 "$old_pid" 2>/dev/null && ! ac__pid_is_alive "$old_pid"; then
    ac_log "waiting for the killed postmaster (pid $old_pid, a zombie) to be reaped"
    ac_wait_for "postmaster $old_pid to be reaped" 60 bash -c "! kill -0 $old_pid" || true
  fi
  if ac__pg_running "$data"; then
    # Line 4 of postmaster.pid is the port the running server listens on.
    running_port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)
    if [[ -n $running_port && $running_port != "$port" ]]; then
      ac_die "PostgreSQL on $data already runs on port $running_port, not $port; stop it first (down.sh)"
    fi
    ac_log "PostgreSQL already running on 127.0.0.1:$port ($data)"
  else
    if [[ ! -s $data/PG_VERSION ]]; then
      # No cluster yet, or an initdb that died halfway (initdb refuses a non-empty dir).
      rm -rf -- "$data"
      ac_log "initdb $data"
      ac__pg_run "$AC_PG_BIN/initdb" -D "$data" --auth=trust -U postgres \
        --encoding=UTF8 --locale=C.UTF-8 >"$state/logs/initdb.log" 2>&1 ||
        {
          tail -n 20 "$state/logs/initdb.log" >&2
          ac_die "initdb failed, see $state/logs/initdb.log"
        }
      # Local dev cluster on loopback only: trust is the point (no passwords in URLs or env).
      ac__pg_run tee "$data/pg_hba.conf" >/dev/null <<'EOF'
# Written by deploy/local/lib.sh: private dev/test cluster, loopback only, no passwords.
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
EOF
      # Settings that may differ per start (the port) live in an include file rewritten below,
      # so postgresql.conf itself stays as initdb wrote it.
      printf "\ninclude_if_exists = 'aftercare.conf'\n" | ac__pg_run tee -a "$data/postgresql.conf" >/dev/null
    fi

    # Unix socket paths are limited to ~107 bytes; in a deep checkout drop the socket rather than
    # fail to start (everything here connects over TCP anyway).
    mkdir -p "$sock"
    if ((EUID == 0)); then chown postgres:postgres "$sock"; fi
    local sock_conf=${sock//\'/\'\'}
    if ((${#sock} + 16 > 100)); then sock_conf=; fi
    ac__pg_run tee "$data/aftercare.conf" >/dev/null <<EOF
# Written by deploy/local/lib.sh at every start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock_conf'
EOF

    ac_log "starting PostgreSQL on 127.0.0.1:$port (data $data, log $log)"
    # -w: pg_ctl returns only once the server accepts connections (or failed to start).
    if ! ac__pg_run "$AC_PG_BIN/pg_ctl" start -w -t 60 -D "$data" -l "$log" >/dev/null; then
      ac_log "PostgreSQL did not start; last lines of $log:"
      tail -n 30 -- "$log" | sed 's/^/    /' >&2
      ac_die "PostgreSQL failed to start on port $port"
    fi
  fi

  # The services and tests connect as `aftercare` over TCP; create that role once.
  "$AC_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres <<'SQL' >/dev/null
SELECT 'CREATE ROLE aftercare SUPERUSER LOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aftercare') \gexec
SQL
}

# ac_pg_create_db PORT NAME: create database NAME owned by aftercare unless it exists.
ac_pg_create_db() {
  local port=$1 name=$2
  [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || ac_die "refusing odd database name '$name'"
  "$AC_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U aftercare -d postgres \
    -v dbname="$name" <<'SQL' >/dev/null
SELECT format('CREATE DATABASE %I OWNER aftercare', :'dbname')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname') \gexec
SQL
}

# ac_pg_stop STATE_DIR: fast shutdown (rolls back open transactions, no waiting for clients).
ac_pg_stop() {
  local state=$1 data
  [[ -e $state/pg ]] || return 0
  data=$(readlink -f -- "$state/pg")/data
  if ac__pg_running "$data"; then
    ac_log "stopping PostgreSQL ($data)"
    ac__pg_run "$AC_PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
  fi
}

# ac_pg_wipe STATE_DIR: delete the fallback cluster dir, if STATE_DIR uses one. (The caller
# deletes STATE_DIR itself.) Stop the cluster first.
ac_pg_wipe() {
  local state=$1 target
  [[ -L $state/pg ]] || return 0
  target=$(readlink -f -- "$state/pg")
  # Only ever delete what ac__pg_area could have created.
  if [[ $target == /var/tmp/aftercare-* ]]; then
    rm -rf -- "$target"
  fi
  rm -f -- "$state/pg"
}

# ---------------------------------------------------------------------------------------------
# Redis: a cache, so no persistence at all
# ---------------------------------------------------------------------------------------------

ac__redis_ping() {
  [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

# Ready = pid file written (after the daemonizing fork) and answering PING.
ac__redis_ready() {
  [[ -s $1 ]] && ac__redis_ping "$2"
}

# ac_redis_start STATE_DIR PORT
ac_redis_start() {
  local state=$1 port=$2 pidfile=$1/run/redis.pid log=$1/logs/redis.log
  ac_state_init "$state"
  if ac_pidfile_alive "$pidfile"; then
    ac__redis_ping "$port" ||
      ac_die "Redis (pid $(ac__pidfile_pid "$pidfile")) is running but not answering on port $port; stop it first (down.sh)"
    ac_log "Redis already running on 127.0.0.1:$port"
    return 0
  fi
  rm -f -- "$pidfile"
  ac_log "starting Redis on 127.0.0.1:$port (log $log)"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$state/redis" --pidfile "$pidfile" \
    --daemonize yes --logfile "$log" --save "" --appendonly no 9>&-
  # The daemonized child writes the pid file after the fork; wait for both it and PONG.
  AC_WAIT_LOG=$log ac_wait_for "Redis on 127.0.0.1:$port" 15 ac__redis_ready "$pidfile" "$port" ||
    ac_die "Redis failed to start on port $port"
}

# ac_redis_stop STATE_DIR
ac_redis_stop() {
  ac_stop_pidfile "$1/run/redis.pid"
}

# ---------------------------------------------------------------------------------------------
# devbroker (librdkafka mock cluster) and whole-stack teardown
# ---------------------------------------------------------------------------------------------

# ac_devbroker_start STATE_DIR BUILD_DIR PORT: three mock brokers on 127.0.0.1:PORT..PORT+2 and
# the control API on PORT+7 (fixed, below the ephemeral range: a restarted devbroker has the same
# addresses, so running services reconnect by themselves). The bootstrap list is written by
# devbroker to STATE_DIR/kafka.bootstrap, the control address to STATE_DIR/devbroker.control.
# Returns 1 if the binary is missing or does not come up.
ac_devbroker_start() {
  local state=$1 build=$2 port=$3
  local bin=$build/deploy/local/devbroker/devbroker
  local pidfile=$state/run/devbroker.pid log=$state/logs/devbroker.log
  local boot=$state/kafka.bootstrap ctl=$state/devbroker.control
  if [[ ! -x $bin ]]; then
    ac_log "devbroker binary not found: $bin"
    return 1
  fi
  if ! ac_pidfile_alive "$pidfile"; then
    # Left over from a previous broker: would make the wait below succeed before the new broker
    # is ready.
    rm -f -- "$boot" "$ctl"
  fi
  ac_start_bg devbroker "$log" "$pidfile" -- \
    "$bin" --brokers 3 --port "$port" --control-addr "127.0.0.1:$((port + 7))" \
    --bootstrap-file "$boot" --control-file "$ctl"
  AC_WAIT_LOG=$log AC_WAIT_PIDFILE=$pidfile ac_wait_for "devbroker bootstrap file $boot" 30 \
    test -s "$boot"
}

# ac_stack_stop STATE_DIR: stop everything a stack in STATE_DIR may run, in reverse start order:
# gateway, services, devbroker, any other pid file, Redis, PostgreSQL.
ac_stack_stop() {
  local state=$1 i pidfile
  [[ -d $state ]] || return 0
  ac_stop_pidfile "$state/run/gateway.pid"
  for ((i = ${#AC_SERVICES[@]} - 1; i >= 0; i--)); do
    ac_stop_pidfile "$state/run/${AC_SERVICES[i]}.pid"
  done
  ac_stop_pidfile "$state/run/devbroker.pid"
  # Whatever else was started with ac_start_bg (e.g. by a test helper).
  for pidfile in "$state"/run/*.pid; do
    [[ -e $pidfile && $pidfile != "$state/run/redis.pid" ]] || continue
    ac_stop_pidfile "$pidfile"
  done
  ac_redis_stop "$state"
  ac_pg_stop "$state"
}

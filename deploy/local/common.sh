# shellcheck shell=bash
# Shared helpers for deploy/local/*.sh. Source it; do not run it.
#
# Everything the local stack writes lives under $HQ_LOCAL (default: <repo>/.local):
#   .local/kafka/{lib,data,logs,server.properties,cluster.id,kafka.pid}
#   .local/pg/{data,run,log}
#   .local/.up.lock   (flock: serialises concurrent up/down/start/stop calls)

HQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
HQ_DEPLOY="$HQ_ROOT/deploy/local"
HQ_LOCAL="${HQ_LOCAL:-$HQ_ROOT/.local}"
export HQ_ROOT HQ_DEPLOY HQ_LOCAL

# Python used for the small readiness probes (stdlib only, no venv needed).
hq_python() {
  local p
  for p in python3.11 python3 "$HQ_ROOT/.venv/bin/python"; do
    if command -v "$p" >/dev/null 2>&1; then
      "$p" "$@"
      return
    fi
  done
  echo "no python3 found" >&2
  return 127
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run "$@" holding the stack lock. Re-entrant across our own scripts via HQ_LOCK_HELD.
with_lock() {
  if [[ "${HQ_LOCK_HELD:-}" == "1" ]]; then
    "$@"
    return
  fi
  mkdir -p "$HQ_LOCAL"
  local lock="$HQ_LOCAL/.up.lock"
  (
    if ! flock -n 9; then
      log "waiting for $lock (another up/down/start/stop is running; HQ_LOCK_TIMEOUT=${HQ_LOCK_TIMEOUT:-300}s)"
      flock -w "${HQ_LOCK_TIMEOUT:-300}" 9 || die "could not take $lock within ${HQ_LOCK_TIMEOUT:-300}s"
    fi
    export HQ_LOCK_HELD=1
    "$@"
  ) 9>>"$lock"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# pid_matches PID PATTERN: the process is alive and its command line contains PATTERN
# (guards against a recycled pid after a crash).
pid_matches() {
  local pid="$1" pattern="$2"
  pid_alive "$pid" || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

# wait_exit PID SECONDS: wait until PID is gone; 0 if it went away in time.
wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.2
  done
  return 0
}

# stop_pid PID NAME [GRACE]: SIGTERM, wait GRACE seconds (default 30), then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" grace="${3:-30}"
  pid_alive "$pid" || return 0
  log "stopping $name (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_exit "$pid" "$grace"; then
    log "$name did not exit within ${grace}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || die "$name (pid $pid) survived SIGKILL"
  fi
}

# port_open HOST PORT: something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

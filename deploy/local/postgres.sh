#!/usr/bin/env bash
# Local PostgreSQL cluster for development and CI (Debian's postgresql binaries, our own data dir).
#
#   deploy/local/postgres.sh start     install the package if missing, initdb once, start, wait, create roles/db
#   deploy/local/postgres.sh stop      fast shutdown (30 s), then SIGKILL
#   deploy/local/postgres.sh restart   stop + start (used by fault tests)
#   deploy/local/postgres.sh status    exit 0 when accepting connections
#   deploy/local/postgres.sh psql ...  psql as the superuser over the private socket
#
# Listens on 127.0.0.1:55432 only (never touches Debian's default cluster on 5432).
# Roles (docs/security.md, "Trust boundaries"):
#   hqfacts      migration owner: owns the database and the tables, CREATEDB (throwaway test databases)
#   hqfacts_app  runtime role: data rights only (granted by every migration), no DDL, no CREATEDB
#   postgres     superuser: only over the Unix socket (directory mode 0700), only the cluster's OS user (peer)
# TCP (127.0.0.1) takes passwords only (scram-sha-256). The passwords are random, made on the first start and
# kept in .local/hqfacts.env (mode 0600) as the URLs HQ_DATABASE_URL (runtime) and HQ_MIGRATION_DATABASE_URL
# (owner); the Makefile exports them, `eval "$(deploy/local/env.sh)"` does it for a shell.
# Every start (also on a running cluster) rewrites pg_hba.conf/pg_ident.conf, reloads and re-applies the
# roles: an existing cluster is upgraded in place.
# Files: .local/pg/{data,run,log}. As root, the server runs as the `postgres` OS user.
# Environment: HQ_PG_START_TIMEOUT (s, default 60); HQ_PG_PORT (default 55432, for scratch clusters in tests).
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_HOME="$HQ_LOCAL/pg"
PGDATA_DIR="$PG_HOME/data"
PG_LOGDIR="$PG_HOME/log"
PG_LOG="$PG_LOGDIR/postgresql.log"
PG_PORT="${HQ_PG_PORT:-55432}"
PG_HOST=127.0.0.1
START_TIMEOUT="${HQ_PG_START_TIMEOUT:-60}"
OWNER_ROLE=hqfacts
APP_ROLE=hqfacts_app
APP_DB=hqfacts
ENV_FILE="$HQ_LOCAL/hqfacts.env"

# Unix socket paths are limited to ~107 bytes: fall back to /tmp for very deep checkouts.
PG_RUN="$PG_HOME/run"
if ((${#PG_RUN} > 90)); then
  PG_RUN="/tmp/hqfacts-pg-$(printf '%s' "$HQ_ROOT" | sha256sum | cut -c1-12)"
fi

if [[ "$(id -u)" == "0" ]]; then
  PG_OS_USER=postgres
else
  PG_OS_USER="$(id -un)"
fi

# Run a command as the cluster's OS user, from a directory that user can read.
as_pg() {
  if [[ "$(id -u)" == "0" ]]; then
    (cd "$PG_HOME" && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd "$PG_HOME" && "$@")
  fi
}

find_pgbin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

ensure_installed() {
  if PGBIN="$(find_pgbin)"; then
    return
  fi
  [[ "$(id -u)" == "0" ]] || die "PostgreSQL server binaries not found and not root: apt-get install postgresql"
  log "PostgreSQL not installed: apt-get install postgresql (Debian's default cluster is left alone)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq postgresql </dev/null >/dev/null
  PGBIN="$(find_pgbin)" || die "postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
}

# The postgres user must be able to reach .local/pg: grant search (x, not read) on ancestors that lack it.
ensure_traversable() {
  [[ "$(id -u)" == "0" ]] || return 0
  id "$PG_OS_USER" >/dev/null 2>&1 || die "OS user $PG_OS_USER missing (is the postgresql package installed?)"
  chown -R "$PG_OS_USER:" "$PG_HOME"
  [[ "$PG_RUN" == "$PG_HOME/run" ]] || { mkdir -p "$PG_RUN" && chown "$PG_OS_USER:" "$PG_RUN"; }
  if runuser -u "$PG_OS_USER" -- test -w "$PG_HOME" 2>/dev/null; then
    return
  fi
  local d="$PG_HOME"
  while [[ "$d" != "/" ]]; do
    d="$(dirname "$d")"
    if ! runuser -u "$PG_OS_USER" -- test -x "$d" 2>/dev/null; then
      log "granting o+x (search only) on $d so the $PG_OS_USER user can reach $PG_HOME"
      chmod o+x "$d"
    fi
  done
  runuser -u "$PG_OS_USER" -- test -w "$PG_HOME" || die "$PG_OS_USER cannot write $PG_HOME"
}

postmaster_pid() { [[ -f "$PGDATA_DIR/postmaster.pid" ]] && head -n1 "$PGDATA_DIR/postmaster.pid" | tr -dc '0-9' || true; }

# The live pid of our postmaster, or nothing (pattern guards against pid reuse).
live_pid() {
  local pid
  pid="$(postmaster_pid)"
  if [[ -n "$pid" ]] && pid_matches "$pid" "$PGDATA_DIR"; then
    echo "$pid"
  fi
}

ready() {
  local wait="${1:-0}" deadline
  deadline=$((SECONDS + wait))
  while true; do
    if "$PGBIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1; then
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

init_cluster() {
  if [[ -f "$PGDATA_DIR/PG_VERSION" ]]; then
    return
  fi
  rm -rf "$PGDATA_DIR"
  mkdir -p "$PGDATA_DIR"
  ensure_traversable
  log "initdb $PGDATA_DIR"
  as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >"$PG_LOGDIR/initdb.log" 2>&1 || {
    tail -n 20 "$PG_LOGDIR/initdb.log" >&2
    die "initdb failed"
  }
  echo "include_if_exists = 'hqfacts.conf'" >>"$PGDATA_DIR/postgresql.conf"
}

write_conf() {
  cat >"$PGDATA_DIR/hqfacts.conf" <<CONF
# Written by deploy/local/postgres.sh on every start; edit the script, not this file.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 100
shared_buffers = 128MB
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
CONF
  [[ "$(id -u)" != "0" ]] || chown "$PG_OS_USER:" "$PGDATA_DIR/hqfacts.conf"
}

# Who may connect how. The socket directory is private (0700, the cluster's OS user), and on it only that
# OS user, as the superuser (peer + map); TCP on loopback takes SCRAM passwords. No `trust` anywhere.
write_hba() {
  cat >"$PGDATA_DIR/pg_hba.conf.new" <<HBA
# Written by deploy/local/postgres.sh on every start; edit the script, not this file.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer map=hqlocal
host    all       all       127.0.0.1/32   scram-sha-256
HBA
  cat >"$PGDATA_DIR/pg_ident.conf.new" <<IDENT
# Written by deploy/local/postgres.sh: the cluster's OS user is the superuser over the private socket.
# MAPNAME  SYSTEM-USERNAME  PG-USERNAME
hqlocal    $PG_OS_USER      postgres
IDENT
  local f
  for f in pg_hba.conf pg_ident.conf; do
    [[ "$(id -u)" != "0" ]] || chown "$PG_OS_USER:" "$PGDATA_DIR/$f.new"
    chmod 0600 "$PGDATA_DIR/$f.new"
    mv -f "$PGDATA_DIR/$f.new" "$PGDATA_DIR/$f"
  done
}

# The socket's directory is the cluster OS user's alone (the socket itself may be 0777 on a cluster started
# before unix_socket_permissions was set: the directory is what keeps other users out).
private_socket_dir() {
  mkdir -p "$PG_RUN"
  [[ "$(id -u)" != "0" ]] || chown "$PG_OS_USER:" "$PG_RUN"
  chmod 0700 "$PG_RUN"
}

# Passwords of the owner and runtime roles: made once (random, hex), kept in $ENV_FILE (0600) with the URLs.
env_value() { if [[ -f "$ENV_FILE" ]]; then sed -n "s/^$1=//p" "$ENV_FILE" | tail -n1; fi; }
password_of() { env_value "$1" | sed -n 's|^postgresql+psycopg://[^:]*:\([0-9a-f]\{32,\}\)@.*|\1|p'; }
new_password() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

ensure_credentials() {
  OWNER_PASSWORD="$(password_of HQ_MIGRATION_DATABASE_URL)"
  APP_PASSWORD="$(password_of HQ_DATABASE_URL)"
  if [[ -n "$OWNER_PASSWORD" && -n "$APP_PASSWORD" ]]; then
    return 0
  fi
  [[ -n "$OWNER_PASSWORD" ]] || OWNER_PASSWORD="$(new_password)"
  [[ -n "$APP_PASSWORD" ]] || APP_PASSWORD="$(new_password)"
  log "writing the local credentials to $ENV_FILE (mode 0600)"
  mkdir -p "$HQ_LOCAL"
  (
    umask 077
    cat >"$ENV_FILE.new" <<ENV
# Written by deploy/local/postgres.sh on the first start: the local stack's URLs and credentials.
# The Makefile exports these; in a shell: eval "\$(deploy/local/env.sh)". Never commit this file.
HQ_KAFKA_BOOTSTRAP=127.0.0.1:29092
HQ_DATABASE_URL=postgresql+psycopg://$APP_ROLE:$APP_PASSWORD@$PG_HOST:$PG_PORT/$APP_DB
HQ_MIGRATION_DATABASE_URL=postgresql+psycopg://$OWNER_ROLE:$OWNER_PASSWORD@$PG_HOST:$PG_PORT/$APP_DB
ENV
  )
  mv -f "$ENV_FILE.new" "$ENV_FILE"
}

reload_conf() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" reload >/dev/null
}

bootstrap_roles() {
  ensure_credentials
  # On stdin, not argv: the passwords never show in ps. They are hex, so quoting is safe.
  as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<SQL
SELECT 'CREATE ROLE $OWNER_ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$OWNER_ROLE')\gexec
ALTER ROLE $OWNER_ROLE LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '$OWNER_PASSWORD';
SELECT 'CREATE ROLE $APP_ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE')\gexec
ALTER ROLE $APP_ROLE LOGIN NOCREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '$APP_PASSWORD';
SELECT 'CREATE DATABASE $APP_DB OWNER $OWNER_ROLE ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$APP_DB')\gexec
-- Only a database's owner creates objects in its public schema (PostgreSQL 15's default, made explicit;
-- template1 too, so every new database starts that way).
\connect template1
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
\connect $APP_DB
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
}

do_start() {
  ensure_installed
  mkdir -p "$PG_HOME" "$PG_RUN" "$PG_LOGDIR"
  local pid
  pid="$(live_pid)"
  if [[ -n "$pid" ]]; then
    ready "$START_TIMEOUT" || die "postgres pid $pid is alive but not accepting connections; see $PG_LOG"
    # Upgrade a running cluster in place: private socket directory, current auth rules (reload, no restart).
    private_socket_dir
    write_conf
    write_hba
    reload_conf
    bootstrap_roles
    log "postgres already running (pid $pid) at $PG_HOST:$PG_PORT"
    return 0
  fi
  if [[ -f "$PGDATA_DIR/postmaster.pid" ]]; then
    log "removing stale postmaster.pid ($(postmaster_pid) is not our postgres)"
    rm -f "$PGDATA_DIR/postmaster.pid"
    rm -f "$PG_RUN/.s.PGSQL.$PG_PORT" "$PG_RUN/.s.PGSQL.$PG_PORT.lock"
  fi
  if port_open "$PG_HOST" "$PG_PORT"; then
    die "port $PG_PORT is already in use by another process (another checkout's postgres?); not starting"
  fi

  init_cluster
  ensure_traversable
  private_socket_dir
  write_conf
  write_hba
  local t0=$SECONDS
  log "starting postgres $("$PGBIN/postgres" --version | awk '{print $3}') on $PG_HOST:$PG_PORT"
  # 9>&-: the server must not inherit the stack lock's descriptor (it would hold the lock forever).
  if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$START_TIMEOUT" start >/dev/null 9>&-; then
    tail -n 30 "$PG_LOG" >&2 || true
    die "pg_ctl start failed; log $PG_LOG"
  fi
  ready "$START_TIMEOUT" || die "postgres not ready within ${START_TIMEOUT}s; log $PG_LOG"
  bootstrap_roles
  log "postgres ready (pid $(postmaster_pid)) in $((SECONDS - t0))s; log: $PG_LOG"
}

do_stop() {
  local pid
  pid="$(live_pid)"
  if [[ -z "$pid" ]]; then
    log "postgres not running"
    return 0
  fi
  PGBIN="$(find_pgbin)" || die "pg_ctl not found"
  log "stopping postgres (pid $pid, fast shutdown)"
  if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1; then
    log "pg_ctl stop did not finish within 30s"
    stop_pid "$pid" postgres 10
  fi
  wait_exit "$pid" 10 || stop_pid "$pid" postgres 5
  log "postgres stopped"
}

do_restart() {
  do_stop
  do_start
}

do_status() {
  local pid
  pid="$(live_pid)"
  PGBIN="$(find_pgbin)" || { echo "postgres: not installed"; return 1; }
  if [[ -n "$pid" ]]; then
    if ready 0; then
      echo "postgres: running (pid $pid), ready at $PG_HOST:$PG_PORT; log $PG_LOG"
      return 0
    fi
    echo "postgres: running (pid $pid) but NOT accepting connections at $PG_HOST:$PG_PORT; log $PG_LOG"
    return 1
  fi
  if [[ -f "$PGDATA_DIR/postmaster.pid" ]]; then
    echo "postgres: NOT running (stale postmaster.pid: pid $(postmaster_pid) is gone; 'start' cleans it)"
  elif port_open "$PG_HOST" "$PG_PORT"; then
    echo "postgres: not running from this checkout, but port $PG_PORT is in use by another process"
  else
    echo "postgres: not running"
  fi
  return 1
}

case "${1:-}" in
  start) with_lock do_start ;;
  stop) with_lock do_stop ;;
  restart) with_lock do_restart ;;
  status) do_status ;;
  psql)
    shift
    PGBIN="$(find_pgbin)" || die "psql not found"
    as_pg "$PGBIN/psql" -X -h "$PG_RUN" -p "$PG_PORT" -U postgres "$@"
    ;;
  *)
    echo "usage: $0 {start|stop|restart|status|psql [args]}" >&2
    exit 2
    ;;
esac

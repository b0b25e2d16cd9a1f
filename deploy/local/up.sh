#!/usr/bin/env bash
# Bring up the local stack: Kafka (127.0.0.1:29092) and PostgreSQL (127.0.0.1:55432).
# Idempotent and safe to call concurrently (serialised by flock on .local/.up.lock).
# Works without stdin, with CI=true, from any checkout; downloads what is missing.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

up() {
  local t0=$SECONDS
  "$HQ_DEPLOY/kafka.sh" start
  "$HQ_DEPLOY/postgres.sh" start
  cat >&2 <<MSG
[$(date +%H:%M:%S)] local stack up in $((SECONDS - t0))s
  Kafka 127.0.0.1:29092, PostgreSQL 127.0.0.1:55432 (roles hqfacts = migration owner, hqfacts_app = runtime)
  settings and credentials: $HQ_LOCAL/hqfacts.env (make exports them; a shell: eval "\$(deploy/local/env.sh)")
  logs: $HQ_LOCAL/kafka/logs/server.log
        $HQ_LOCAL/pg/log/postgresql.log
MSG
}

with_lock up

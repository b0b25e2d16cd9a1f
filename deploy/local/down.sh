#!/usr/bin/env bash
# Stop the local stack (Kafka, PostgreSQL). Data under .local/ is kept; `make clean` removes it.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

down() {
  local rc=0
  "$HQ_DEPLOY/kafka.sh" stop || rc=1
  "$HQ_DEPLOY/postgres.sh" stop || rc=1
  return "$rc"
}

with_lock down

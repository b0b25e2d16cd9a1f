#!/usr/bin/env bash
# Tools needed only by tests: docker-compose (Debian's v1.29 package), used offline by
# tests/integration/test_compose.py to validate deploy/docker-compose.yml (`config` needs no engine).
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  log "docker-compose missing and not root: install it (apt-get install docker-compose) to run the compose check"
  [[ "${CI:-}" != "true" ]] || exit 1
  exit 0
fi
log "installing docker-compose (Debian package)"
export DEBIAN_FRONTEND=noninteractive
with_lock bash -c 'command -v docker-compose >/dev/null 2>&1 || {
  apt-get update -qq </dev/null && apt-get install -y -qq --no-install-recommends docker-compose </dev/null >/dev/null; }'
command -v docker-compose >/dev/null 2>&1 || die "docker-compose still missing after apt-get install"

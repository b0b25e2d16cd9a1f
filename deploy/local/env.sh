#!/usr/bin/env bash
# The local stack's settings (.local/hqfacts.env, written by `make up`) as shell exports:
#
#   eval "$(deploy/local/env.sh)"     # then hqfacts / pytest / alembic reach the local Kafka and PostgreSQL
#
# HQ_DATABASE_URL is the runtime role (hqfacts_app, data rights only), HQ_MIGRATION_DATABASE_URL the
# migration owner (hqfacts). The Makefile exports the same values by itself.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ENV_FILE="$HQ_LOCAL/hqfacts.env"
[[ -r "$ENV_FILE" ]] || die "no $ENV_FILE yet: run make up (deploy/local/up.sh) first"
while IFS='=' read -r key value; do
  [[ "$key" =~ ^HQ_[A-Z0-9_]+$ ]] || continue
  printf 'export %s=%q\n' "$key" "$value"
done <"$ENV_FILE"

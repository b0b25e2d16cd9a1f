#!/usr/bin/env bash
# Show the local stack's state. Exit 0 only when Kafka and PostgreSQL are both up and answering.
set -euo pipefail
HERE="$(dirname "${BASH_SOURCE[0]}")"
rc=0
"$HERE/kafka.sh" status || rc=1
"$HERE/postgres.sh" status || rc=1
exit "$rc"

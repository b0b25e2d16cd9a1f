#!/usr/bin/env bash
# Compose one-shot `kafka-acls` (apache/kafka image): apply deploy/kafka/acls.sh as the admin principal once
# the broker is healthy. Idempotent (adding an existing ACL is a no-op). Needs KAFKA_ADMIN_PASSWORD and
# KAFKA_BOOTSTRAP (default kafka:9092).
set -euo pipefail
[[ -n "${KAFKA_ADMIN_PASSWORD:-}" ]] || { echo "init-acls.sh: KAFKA_ADMIN_PASSWORD is not set" >&2; exit 2; }
umask 077
config="$(mktemp)"
trap 'rm -f "$config"' EXIT
cat >"$config" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
PROPS
KAFKA_ACLS="${KAFKA_ACLS:-/opt/kafka/bin/kafka-acls.sh}" \
  "$(dirname "${BASH_SOURCE[0]}")/acls.sh" --bootstrap-server "${KAFKA_BOOTSTRAP:-kafka:9092}" --command-config "$config"
echo "kafka ACLs applied"

#!/usr/bin/env bash
# hqfacts' Kafka ACLs for a cluster with SASL/SCRAM and the standard authorizer (docs/security.md,
# "Trust boundaries"): only the crawler writes raw pages, only the extractor writes facts and extractions
# (the store adds tombstones of retired facts, its outbox), only the store writes the store's DLQs.
#
#   deploy/kafka/acls.sh --dry-run                                    # print the kafka-acls commands
#   deploy/kafka/acls.sh --bootstrap-server HOST:PORT --command-config admin.properties
#
# The second form runs them (kafka-acls.sh from PATH, or KAFKA_ACLS="/opt/kafka/bin/kafka-acls.sh"); adding an
# ACL that exists is a no-op, so it is safe to repeat. The operator creates the topics first (the services
# then only describe them; none is given Create). Names follow the services' settings: HQ_RAW_TOPIC,
# HQ_FACTS_TOPIC, HQ_EXTRACTIONS_TOPIC, HQ_EXTRACTOR_GROUP, HQ_STORE_GROUP; principals KAFKA_CRAWLER,
# KAFKA_EXTRACTOR, KAFKA_STORE, KAFKA_CONSUMER (a downstream reader; default: none).
set -euo pipefail

RAW="${HQ_RAW_TOPIC:-hddtvn.pages.raw}"
FACTS="${HQ_FACTS_TOPIC:-hddtvn.facts.v1}"
EXTRACTIONS="${HQ_EXTRACTIONS_TOPIC:-hddtvn.extractions.v1}"
EXTRACTOR_GROUP="${HQ_EXTRACTOR_GROUP:-hqfacts-extractor}"
STORE_GROUP="${HQ_STORE_GROUP:-hqfacts-store}"
CRAWLER="${KAFKA_CRAWLER:-User:crawler}"
EXTRACTOR="${KAFKA_EXTRACTOR:-User:extractor}"
STORE="${KAFKA_STORE:-User:store}"
CONSUMER="${KAFKA_CONSUMER:-}"
DLQ=".dlq"

dry_run=0
connect=()
while (($#)); do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --bootstrap-server | --command-config)
      (($# >= 2)) || { echo "$1 needs a value" >&2; exit 2; }
      connect+=("$1" "$2")
      shift
      ;;
    *)
      echo "usage: $0 --dry-run | --bootstrap-server HOST:PORT --command-config FILE" >&2
      exit 2
      ;;
  esac
  shift
done
if ((!dry_run)) && ((${#connect[@]} < 4)); then
  echo "need --bootstrap-server and --command-config (an admin's SASL client properties), or --dry-run" >&2
  exit 2
fi
read -r -a ACLS_CMD <<<"${KAFKA_ACLS:-kafka-acls.sh}"

# allow PRINCIPAL RESOURCE-ARGS -- OPERATION...
allow() {
  local principal="$1"
  shift
  local resource=()
  while [[ "$1" != "--" ]]; do
    resource+=("$1")
    shift
  done
  shift
  local ops=()
  local op
  for op in "$@"; do
    ops+=(--operation "$op")
  done
  local cmd=("${ACLS_CMD[@]}" "${connect[@]}" --add --allow-principal "$principal" "${resource[@]}" "${ops[@]}")
  if ((dry_run)); then
    printf '%s\n' "${cmd[*]}"
  else
    "${cmd[@]}" >/dev/null
  fi
}

ALL_TOPICS=(--topic "$RAW" --topic "$FACTS" --topic "$EXTRACTIONS" --topic "$RAW$DLQ" --topic "$FACTS$DLQ"
  --topic "$EXTRACTIONS$DLQ")

# Every service describes every pipeline topic (it checks they exist at start; it never creates them).
for principal in "$CRAWLER" "$EXTRACTOR" "$STORE"; do
  allow "$principal" "${ALL_TOPICS[@]}" -- Describe DescribeConfigs
done

# Crawler: writes raw pages; reads its own events back (resume), without a consumer group.
allow "$CRAWLER" --topic "$RAW" -- Write Read

# Extractor (Faust): reads raw pages in its group; writes facts, extractions and the raw DLQ; owns the
# internal topics Faust names after its group.
allow "$EXTRACTOR" --topic "$RAW" -- Read
allow "$EXTRACTOR" --group "$EXTRACTOR_GROUP" -- Read Describe
allow "$EXTRACTOR" --topic "$FACTS" --topic "$EXTRACTIONS" --topic "$RAW$DLQ" -- Write
allow "$EXTRACTOR" --resource-pattern-type prefixed --topic "$EXTRACTOR_GROUP-" -- Create Describe Read Write

# Store: reads facts and extractions in its group; writes tombstones of retired facts (its outbox) and its
# two DLQs; reads the DLQs (hqfacts dlq list).
allow "$STORE" --topic "$FACTS" --topic "$EXTRACTIONS" --topic "$FACTS$DLQ" --topic "$EXTRACTIONS$DLQ" -- Read
allow "$STORE" --group "$STORE_GROUP" -- Read Describe
allow "$STORE" --topic "$FACTS" --topic "$FACTS$DLQ" --topic "$EXTRACTIONS$DLQ" -- Write

# A downstream consumer: the facts topic, read only, in groups named after it.
if [[ -n "$CONSUMER" ]]; then
  allow "$CONSUMER" --topic "$FACTS" -- Read Describe
  allow "$CONSUMER" --resource-pattern-type prefixed --group "${CONSUMER#User:}-" -- Read Describe
fi

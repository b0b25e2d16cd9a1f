#!/usr/bin/env bash
# Start a single-node Kafka (KRaft, broker + controller) with SASL/SCRAM-SHA-512 and the standard authorizer:
# the compose `kafka` service's entrypoint (apache/kafka image), also run from the local jars by
# tests/integration/test_trust_kafka.py. docs/security.md, "Trust boundaries".
#
# Principals: admin (super user: the operator, topic creation, ACLs) and crawler, extractor, store, each with
# its password from the environment (KAFKA_{ADMIN,CRAWLER,EXTRACTOR,STORE}_PASSWORD; compose: deploy/.env).
# Their SCRAM credentials are written when the storage is formatted (first start only; change one later with
# kafka-configs.sh --alter --entity-type users as admin). The controller listener is PLAINTEXT on 127.0.0.1
# inside the broker's own host/container (principal ANONYMOUS, a super user for the quorum): nothing else
# reaches it. No ACL, no access (allow.everyone.if.no.acl.found=false): deploy/kafka/acls.sh grants them.
set -euo pipefail

for user in ADMIN CRAWLER EXTRACTOR STORE; do
  var="KAFKA_${user}_PASSWORD"
  [[ -n "${!var:-}" ]] || { echo "start-sasl.sh: $var is not set" >&2; exit 2; }
done

CONFIG_DIR="${KAFKA_CONFIG_DIR:-/tmp/hqfacts-kafka}"
LOG_DIRS="${KAFKA_LOG_DIRS:-/var/lib/kafka/data}"
LISTENERS="${KAFKA_LISTENERS:-SASL://:9092,HOST://:29092,CONTROLLER://127.0.0.1:9093}"
ADVERTISED="${KAFKA_ADVERTISED_LISTENERS:-SASL://kafka:9092,HOST://localhost:29092}"
CONTROLLER="${KAFKA_CONTROLLER_QUORUM_VOTERS:-1@127.0.0.1:9093}"
CLUSTER_ID="${KAFKA_CLUSTER_ID:-hqfactsKRaftCluster01w}"
read -r -a STORAGE <<<"${KAFKA_STORAGE_CMD:-/opt/kafka/bin/kafka-storage.sh}"
read -r -a START <<<"${KAFKA_START_CMD:-/opt/kafka/bin/kafka-server-start.sh}"
MECHANISM=SCRAM-SHA-512

umask 077
mkdir -p "$CONFIG_DIR"
jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$KAFKA_ADMIN_PASSWORD\";"

cat >"$CONFIG_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=$CONTROLLER
controller.listener.names=CONTROLLER
listeners=$LISTENERS
advertised.listeners=$ADVERTISED
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT
inter.broker.listener.name=SASL
sasl.enabled.mechanisms=$MECHANISM
sasl.mechanism.inter.broker.protocol=$MECHANISM
listener.name.sasl.scram-sha-512.sasl.jaas.config=$jaas
listener.name.host.scram-sha-512.sasl.jaas.config=$jaas
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
auto.create.topics.enable=false
log.dirs=$LOG_DIRS
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
num.partitions=1
message.max.bytes=10485760
replica.fetch.max.bytes=10485760
PROPS

# The admin's client properties: the healthcheck and acls.sh use them (--command-config).
cat >"$CONFIG_DIR/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$MECHANISM
sasl.jaas.config=$jaas
PROPS

scram=()
for user in admin crawler extractor store; do
  var="KAFKA_${user^^}_PASSWORD"
  scram+=(--add-scram "$MECHANISM=[name=$user,password=${!var}]")
done
"${STORAGE[@]}" format --ignore-formatted -t "$CLUSTER_ID" -c "$CONFIG_DIR/server.properties" "${scram[@]}" >/dev/null
exec "${START[@]}" "$CONFIG_DIR/server.properties"

#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft combined mode) for development and CI.
#
#   deploy/local/kafka.sh start     fetch jars if needed, format storage once, start, wait until ready
#   deploy/local/kafka.sh stop      SIGTERM, wait (30 s), then SIGKILL
#   deploy/local/kafka.sh restart   stop + start (used by fault tests)
#   deploy/local/kafka.sh status    exit 0 when running and answering metadata requests
#   deploy/local/kafka.sh fetch     only download the jars (Maven Central, via mvn)
#
# Client listener: 127.0.0.1:29092. Files: .local/kafka/{lib,data,logs,server.properties,cluster.id,kafka.pid}.
# Environment: HQ_KAFKA_START_TIMEOUT (s, default 60), HQ_KAFKA_HEAP (default 512m).
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_HOME="$HQ_LOCAL/kafka"
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_LOGS="$KAFKA_HOME/logs"
KAFKA_PROPS="$KAFKA_HOME/server.properties"
KAFKA_PID="$KAFKA_HOME/kafka.pid"
KAFKA_CLUSTER_ID="$KAFKA_HOME/cluster.id"
KAFKA_POM="$HQ_DEPLOY/kafka/pom.xml"
KAFKA_PORT=29092
KAFKA_CONTROLLER_PORT=29093
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
START_TIMEOUT="${HQ_KAFKA_START_TIMEOUT:-60}"
HEAP="${HQ_KAFKA_HEAP:-512m}"

ensure_tools() {
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    return
  fi
  log "java/mvn missing: installing Debian's maven and a headless JRE"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq maven default-jre-headless </dev/null >/dev/null
}

fetch() {
  local stamp="$KAFKA_LIB/.complete" want
  want="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  ensure_tools
  log "fetching Kafka jars from Maven Central into $KAFKA_LIB"
  local t0=$SECONDS tmp="$KAFKA_HOME/lib.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  mkdir -p "$KAFKA_LOGS"
  if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_POM" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
    </dev/null >"$KAFKA_LOGS/fetch.log" 2>&1; then
    tail -n 40 "$KAFKA_LOGS/fetch.log" >&2
    die "mvn could not fetch the Kafka jars (full output: $KAFKA_LOGS/fetch.log)"
  fi
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn did not produce kafka_2.13 jar in $tmp"
  echo "$want" >"$tmp/.complete"
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  log "fetched $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars in $((SECONDS - t0))s"
}

java_cp() {
  java -cp "$KAFKA_LIB/*" -Dlog4j.configuration="file:$HQ_DEPLOY/kafka/log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_LOGS" "$@"
}

read_pid() { [[ -f "$KAFKA_PID" ]] && tr -dc '0-9' <"$KAFKA_PID" || true; }

# The live pid of our broker, or nothing. Pattern guards against pid reuse.
live_pid() {
  local pid
  pid="$(read_pid)"
  if [[ -n "$pid" ]] && pid_matches "$pid" "$KAFKA_PROPS"; then
    echo "$pid"
  fi
}

ready() { hq_python "$HQ_DEPLOY/kafka_ready.py" --bootstrap "$KAFKA_BOOTSTRAP" --wait "${1:-0}" --quiet; }

render_props() {
  local tmp="$KAFKA_PROPS.tmp"
  sed -e "s#@KAFKA_DATA@#$KAFKA_DATA#g" "$HQ_DEPLOY/kafka/server.properties.in" >"$tmp"
  mv "$tmp" "$KAFKA_PROPS"
}

format_storage() {
  if [[ -f "$KAFKA_DATA/meta.properties" ]]; then
    if [[ ! -s "$KAFKA_CLUSTER_ID" ]]; then
      sed -n 's/^cluster.id=//p' "$KAFKA_DATA/meta.properties" >"$KAFKA_CLUSTER_ID"
    fi
    return
  fi
  if [[ ! -s "$KAFKA_CLUSTER_ID" ]]; then
    java_cp kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOGS/format.log" | tr -d '[:space:]' >"$KAFKA_CLUSTER_ID"
    [[ -s "$KAFKA_CLUSTER_ID" ]] || die "could not generate a cluster id (see $KAFKA_LOGS/format.log)"
  fi
  log "formatting Kafka storage (cluster id $(cat "$KAFKA_CLUSTER_ID"))"
  java_cp kafka.tools.StorageTool format -t "$(cat "$KAFKA_CLUSTER_ID")" -c "$KAFKA_PROPS" \
    >>"$KAFKA_LOGS/format.log" 2>&1 </dev/null || {
    tail -n 20 "$KAFKA_LOGS/format.log" >&2
    die "kafka storage format failed"
  }
}

do_start() {
  local pid
  pid="$(live_pid)"
  if [[ -n "$pid" ]]; then
    if ready "$START_TIMEOUT"; then
      log "kafka already running (pid $pid) at $KAFKA_BOOTSTRAP"
      return 0
    fi
    die "kafka pid $pid is alive but not answering at $KAFKA_BOOTSTRAP; see $KAFKA_LOGS/server.log (try: $0 restart)"
  fi
  if [[ -f "$KAFKA_PID" ]]; then
    log "removing stale kafka pid file ($(read_pid) is not running)"
    rm -f "$KAFKA_PID"
  fi
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open 127.0.0.1 "$port"; then
      die "port $port is already in use by another process (another checkout's Kafka?); not starting"
    fi
  done

  mkdir -p "$KAFKA_HOME" "$KAFKA_DATA" "$KAFKA_LOGS"
  fetch
  render_props
  format_storage

  local t0=$SECONDS
  log "starting kafka (KRaft, node 1) on $KAFKA_BOOTSTRAP"
  (
    cd "$KAFKA_HOME"
    # setsid: own session, so the broker outlives the calling shell / make.
    # 9>&-: the broker must not inherit the stack lock's descriptor (it would hold the lock forever).
    nohup setsid java "-Xmx$HEAP" "-Xms$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$HQ_DEPLOY/kafka/log4j.properties" \
      -Dkafka.logs.dir="$KAFKA_LOGS" \
      -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_PROPS" \
      >>"$KAFKA_LOGS/kafka.out" 2>&1 </dev/null 9>&- &
    echo $! >"$KAFKA_PID"
  )
  pid="$(read_pid)"
  local deadline=$((SECONDS + START_TIMEOUT))
  until ready 0; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$KAFKA_LOGS/server.log" "$KAFKA_LOGS/kafka.out" >&2 2>/dev/null || true
      rm -f "$KAFKA_PID"
      die "kafka exited during startup; logs in $KAFKA_LOGS"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$KAFKA_LOGS/server.log" >&2 2>/dev/null || true
      die "kafka not ready within ${START_TIMEOUT}s (pid $pid still running); logs in $KAFKA_LOGS"
    fi
    sleep 0.5
  done
  log "kafka ready (pid $pid) in $((SECONDS - t0))s; logs: $KAFKA_LOGS/server.log"
}

do_stop() {
  local pid
  pid="$(live_pid)"
  if [[ -z "$pid" ]]; then
    if [[ -f "$KAFKA_PID" ]]; then
      log "kafka not running (removing stale pid file)"
      rm -f "$KAFKA_PID"
    else
      log "kafka not running"
    fi
    return 0
  fi
  stop_pid "$pid" kafka 30
  rm -f "$KAFKA_PID"
  log "kafka stopped"
}

do_restart() {
  do_stop
  do_start
}

do_status() {
  local pid
  pid="$(live_pid)"
  if [[ -n "$pid" ]]; then
    if ready 0; then
      echo "kafka:    running (pid $pid), ready at $KAFKA_BOOTSTRAP; logs $KAFKA_LOGS/server.log"
      return 0
    fi
    echo "kafka:    running (pid $pid) but NOT answering at $KAFKA_BOOTSTRAP; logs $KAFKA_LOGS/server.log"
    return 1
  fi
  if [[ -f "$KAFKA_PID" ]]; then
    echo "kafka:    NOT running (stale pid file: pid $(read_pid) is gone; 'start' cleans it)"
  elif port_open 127.0.0.1 "$KAFKA_PORT"; then
    echo "kafka:    not running from this checkout, but port $KAFKA_PORT is in use by another process"
  else
    echo "kafka:    not running"
  fi
  return 1
}

case "${1:-}" in
  start) with_lock do_start ;;
  stop) with_lock do_stop ;;
  restart) with_lock do_restart ;;
  status) do_status ;;
  fetch) with_lock fetch ;;
  *)
    echo "usage: $0 {start|stop|restart|status|fetch}" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Tools needed only by tests, each installed once (a second run is a no-op):
# - docker-compose (Debian's v1.29 package), used offline by tests/integration/test_compose.py to validate
#   deploy/docker-compose.yml (`config` needs no engine);
# - promtool, for the same test's `promtool check config|rules` and `promtool test rules` on
#   deploy/monitoring. Only the binary is taken from Debian's `prometheus` package (19 MB download) into
#   $HQ_LOCAL/tools/bin: installing the package would pull ~100 MB with its web UI's libraries and set up a
#   Prometheus daemon, which a test machine does not want.
# - a headless browser (Debian's chromium-headless-shell, ~100 MB download), in which
#   tests/unit/test_report_browser.py loads the page of `hqfacts report`.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOOLS_BIN="$HQ_LOCAL/tools/bin"
missing=()

install_compose() {
  command -v docker-compose >/dev/null 2>&1 && return
  if [[ "$(id -u)" != "0" ]]; then
    log "docker-compose missing and not root: install it (apt-get install docker-compose) to run the compose check"
    missing+=(docker-compose)
    return
  fi
  log "installing docker-compose (Debian package)"
  with_lock bash -c 'command -v docker-compose >/dev/null 2>&1 || {
    apt-get update -qq </dev/null && apt-get install -y -qq --no-install-recommends docker-compose </dev/null >/dev/null; }'
  command -v docker-compose >/dev/null 2>&1 || die "docker-compose still missing after apt-get install"
}

# `apt-get download` needs no root, only the package lists (which the docker-compose install above fetches).
install_promtool() {
  command -v promtool >/dev/null 2>&1 && return
  [[ -x "$TOOLS_BIN/promtool" ]] && return
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    log "promtool missing and no apt-get/dpkg-deb here: put promtool on PATH to run the monitoring checks"
    missing+=(promtool)
    return
  fi
  log "installing promtool into $TOOLS_BIN (from Debian's prometheus package)"
  local tmp
  tmp="$(mktemp -d)"
  # apt's download sandbox user must be able to write there, or apt warns and downloads as root.
  if [[ "$(id -u)" == "0" ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  local fetch=(bash -c 'cd "$1" && apt-get download -qq prometheus </dev/null >/dev/null' _ "$tmp")
  # No package lists yet (an image that had docker-compose already): fetch them once, as root.
  if ! "${fetch[@]}" 2>/dev/null && ! { [[ "$(id -u)" == "0" ]] && with_lock apt-get update -qq </dev/null && "${fetch[@]}"; }; then
    rm -rf "$tmp"
    log "apt-get download prometheus failed (no package lists? run apt-get update as root)"
    missing+=(promtool)
    return
  fi
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  mkdir -p "$TOOLS_BIN"
  mv "$tmp/usr/bin/promtool" "$TOOLS_BIN/promtool.tmp" && mv "$TOOLS_BIN/promtool.tmp" "$TOOLS_BIN/promtool"
  rm -rf "$tmp"
  "$TOOLS_BIN/promtool" --version >/dev/null || die "$TOOLS_BIN/promtool does not run"
}

BROWSERS=(chromium-headless-shell chromium chromium-browser google-chrome)

install_browser() {
  local b
  for b in "${BROWSERS[@]}"; do command -v "$b" >/dev/null 2>&1 && return; done
  if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "no headless browser and not root with apt-get: install chromium-headless-shell to run the report's browser test"
    missing+=(chromium-headless-shell)
    return
  fi
  log "installing chromium-headless-shell (Debian package, ~100 MB download; once)"
  with_lock bash -c 'command -v chromium-headless-shell >/dev/null 2>&1 || {
    apt-get install -y -qq --no-install-recommends chromium-headless-shell </dev/null >/dev/null 2>&1 ||
    { apt-get update -qq </dev/null && apt-get install -y -qq --no-install-recommends chromium-headless-shell </dev/null >/dev/null; }; }'
  command -v chromium-headless-shell >/dev/null 2>&1 || die "chromium-headless-shell still missing after apt-get install"
}

export DEBIAN_FRONTEND=noninteractive
install_compose
install_promtool
install_browser
if ((${#missing[@]})) && [[ "${CI:-}" == "true" ]]; then
  die "missing in CI: ${missing[*]}"
fi
exit 0

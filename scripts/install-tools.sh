#!/usr/bin/env bash
# Idempotently ensure the command-line tools used by the tests and benchmarks
# are installed: curl, ab (apache2-utils), httperf, wrk, nc (netcat-openbsd),
# slowhttptest (the slowloris abuse test), python3 (the benchmark report's unit
# tests and the 10,000-connection client), Python's websockets library (an
# independent WebSocket client for the WebSocket tests), chromium-headless-shell (a
# real browser engine for the CORS test, tests/ActorHttp.Tests/EndToEnd/BrowserCorsTests.cs), postgresql (the
# durable entities' production store, started by scripts/postgres.sh for the tests and the benchmark);
# with --bench also nginx (tests/Benchmarks/run-bench.sh).
# Only touches apt when something is missing; silent when nothing is.
# Debian/Ubuntu only.
#
# Usage: scripts/install-tools.sh [--bench]
set -euo pipefail

# command -> Debian package
declare -A PKG=(
  [curl]=curl
  [ab]=apache2-utils
  [httperf]=httperf
  [wrk]=wrk
  [nc]=netcat-openbsd
  [slowhttptest]=slowhttptest
  [nginx]=nginx
  [python3]=python3
  [chromium-headless-shell]=chromium-headless-shell
  [initdb]=postgresql
)
tools=(curl ab httperf wrk nc slowhttptest python3 chromium-headless-shell initdb)

case "${1:-}" in
  "") ;;
  --bench) tools+=(nginx) ;;
  *) echo "usage: scripts/install-tools.sh [--bench]" >&2; exit 2 ;;
esac

# nginx lives in /usr/sbin and PostgreSQL's initdb in /usr/lib/postgresql/<version>/bin, which are not on every
# user's PATH.
have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] && return 0
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$1"; do [ -x "$candidate" ] && return 0; done
  return 1
}

missing=()
for cmd in "${tools[@]}"; do
  if ! have "$cmd"; then
    missing+=("${PKG[$cmd]}")
  fi
done

# Python modules -> Debian package. Checked with Debian's own interpreter (/usr/bin/python3), which is the one the
# package installs for and the one the tests run (a pyenv or venv python3 earlier on PATH would not see it).
declare -A MODULE_PKG=([websockets]=python3-websockets)
have_module() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
for module in "${!MODULE_PKG[@]}"; do
  if ! have_module "$module"; then
    missing+=("${MODULE_PKG[$module]}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-tools: installing missing packages: ${missing[*]}" >&2

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: ERROR: apt-get not found; install manually: ${missing[*]}" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-tools: ERROR: not root and sudo not available; install manually: ${missing[*]}" >&2
    exit 1
  fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive

if ! "${SUDO[@]}" apt-get update -qq >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-tools: ERROR: apt-get update failed" >&2
  exit 1
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-tools: ERROR: apt-get install failed for: ${missing[*]}" >&2
  exit 1
fi

# Verify every command is now available.
still=()
for cmd in "${tools[@]}"; do
  have "$cmd" || still+=("$cmd")
done
for module in "${!MODULE_PKG[@]}"; do
  have_module "$module" || still+=("python3 module $module")
done
if [ "${#still[@]}" -ne 0 ]; then
  echo "install-tools: ERROR: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "install-tools: ok" >&2

#!/usr/bin/env bash
# A local ActorHttp cluster: N node processes on 127.0.0.1, each running hocon/cluster-node.conf.
#
#   deploy/local/cluster.sh start N   start N nodes (HTTP 18080.., remoting 19080..; node 1 is the seed), wait
#                                     until all are Up, print their URLs
#   deploy/local/cluster.sh status    the nodes' processes and the cluster's members
#   deploy/local/cluster.sh stop      stop the nodes gracefully (SIGTERM: each hands its shards off and leaves)
#
# Environment (all optional):
#   ACTORHTTP_HTTP_BASE     first HTTP port (18080)         ACTORHTTP_REMOTE_BASE   first remoting port (19080)
#   ACTORHTTP_CLUSTER_DIR   pid and log files (artifacts/cluster)
#   ACTORHTTP_HOST_DLL      the node binary (src/ActorHttp.Host/bin/Release/net10.0/ActorHttp.Host.dll, built if missing)
#   ACTORHTTP_START_TIMEOUT seconds to wait for the cluster to be Up (90)
#   ACTORHTTP_STOP_TIMEOUT  seconds to wait for each node to exit before killing it (40)
#   ACTORHTTP_SQLITE_FILE   the durable counters' SQLite file, shared by the nodes (STATE_DIR/actor-http.db); set
#                           ACTORHTTP_PERSISTENCE_STORE=postgresql and ACTORHTTP_POSTGRESQL_CONNECTION_STRING instead
#                           to use PostgreSQL
#   ACTORHTTP_NODE_SETTINGS settings for every node, "key=value" items separated by ';', each passed as --set
#                           (e.g. "akka.cluster.split-brain-resolver.stable-after=5s")
# Only 127.0.0.1 is used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HTTP_BASE="${ACTORHTTP_HTTP_BASE:-18080}"
REMOTE_BASE="${ACTORHTTP_REMOTE_BASE:-19080}"
STATE_DIR="${ACTORHTTP_CLUSTER_DIR:-$ROOT/artifacts/cluster}"
HOST_DLL="${ACTORHTTP_HOST_DLL:-$ROOT/src/ActorHttp.Host/bin/Release/net10.0/ActorHttp.Host.dll}"
CONFIG="$ROOT/hocon/cluster-node.conf"
START_TIMEOUT="${ACTORHTTP_START_TIMEOUT:-90}"
STOP_TIMEOUT="${ACTORHTTP_STOP_TIMEOUT:-40}"
SYSTEM_NAME="actor-http"

die() { echo "cluster.sh: $*" >&2; exit 1; }

usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The nodes recorded in the state directory, by number (1 2 3 ...).
recorded_nodes() {
  local f
  for f in "$STATE_DIR"/node-*.pid; do
    [ -e "$f" ] || continue
    f="${f##*/node-}"
    echo "${f%.pid}"
  done | sort -n
}

pid_of() { cat "$STATE_DIR/node-$1.pid" 2>/dev/null || true; }
http_port_of() { cat "$STATE_DIR/node-$1.http" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# True when something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Number of members with status Up in the JSON of /cluster/members.
up_members() {
  curl -s --max-time 2 "http://127.0.0.1:$1/cluster/members" 2>/dev/null | grep -o '"status":"Up"' | wc -l | tr -d ' '
}

# SIGTERM to the given nodes at once, then wait for each (killing it after STOP_TIMEOUT).
terminate() {
  local pids=() n pid waited
  for n in "$@"; do
    pid="$(pid_of "$n")"
    if alive "$pid"; then kill -TERM "$pid"; pids+=("$pid"); fi
  done
  for pid in "${pids[@]}"; do
    waited=0
    while alive "$pid" && [ "$waited" -lt $((STOP_TIMEOUT * 10)) ]; do sleep 0.1; waited=$((waited + 1)); done
    if alive "$pid"; then
      echo "cluster.sh: process $pid did not stop within ${STOP_TIMEOUT}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# The other nodes first, then node 1 (the oldest, which runs the shard coordinators): a node leaving alone has a
# leader to confirm its exit, while a whole cluster leaving at once waits out Akka's cluster-exiting timeout.
stop_nodes() {
  local nodes=() n
  mapfile -t nodes < <(recorded_nodes)
  [ "${#nodes[@]}" -gt 0 ] || { echo "no nodes recorded in $STATE_DIR"; return 0; }
  terminate "${nodes[@]:1}"
  terminate "${nodes[0]}"
  for n in "${nodes[@]}"; do rm -f "$STATE_DIR/node-$n.pid" "$STATE_DIR/node-$n.http"; done
  echo "stopped ${#nodes[@]} node(s); logs in $STATE_DIR"
}

start_nodes() {
  local count="$1" n http remote seed deadline ready
  [[ "$count" =~ ^[1-9][0-9]?$ ]] || die "start needs a node count from 1 to 99, got '$count'"
  mkdir -p "$STATE_DIR"
  for n in $(recorded_nodes); do
    alive "$(pid_of "$n")" && die "node $n is already running (pid $(pid_of "$n")); run '$0 stop' first"
    rm -f "$STATE_DIR/node-$n.pid" "$STATE_DIR/node-$n.http"
  done
  for n in $(seq 1 "$count"); do
    for port in $((HTTP_BASE + n - 1)) $((REMOTE_BASE + n - 1)); do
      port_busy "$port" && die "port $port on 127.0.0.1 is in use (set ACTORHTTP_HTTP_BASE / ACTORHTTP_REMOTE_BASE)"
    done
  done
  if [ ! -f "$HOST_DLL" ]; then
    echo "building the node (dotnet build -c Release)..."
    dotnet build "$ROOT/src/ActorHttp.Host" -c Release -nologo -v q >/dev/null || die "build failed"
  fi
  command -v curl >/dev/null || die "curl is needed (scripts/install-tools.sh installs it)"

  local settings=() items=() item
  IFS=';' read -ra items <<<"${ACTORHTTP_NODE_SETTINGS:-}"
  for item in "${items[@]}"; do
    item="${item#"${item%%[![:space:]]*}"}"
    [ -n "$item" ] || continue
    [[ "$item" == *=* ]] || die "ACTORHTTP_NODE_SETTINGS: '$item' is not key=value"
    settings+=(--set "$item")
  done

  seed="akka.tcp://$SYSTEM_NAME@127.0.0.1:$REMOTE_BASE"
  for n in $(seq 1 "$count"); do
    http=$((HTTP_BASE + n - 1))
    remote=$((REMOTE_BASE + n - 1))
    ACTORHTTP_HTTP_HOSTNAME=127.0.0.1 ACTORHTTP_HTTP_PORT="$http" \
    ACTORHTTP_REMOTE_HOSTNAME=127.0.0.1 ACTORHTTP_REMOTE_PORT="$remote" ACTORHTTP_SEED_NODES="$seed" \
    ACTORHTTP_SQLITE_FILE="${ACTORHTTP_SQLITE_FILE:-$STATE_DIR/actor-http.db}" \
      nohup dotnet "$HOST_DLL" --config "$CONFIG" "${settings[@]}" >"$STATE_DIR/node-$n.log" 2>&1 </dev/null &
    echo "$!" >"$STATE_DIR/node-$n.pid"
    echo "$http" >"$STATE_DIR/node-$n.http"
  done

  # Up means: every node reports itself Up (/health) and the seed sees all N members Up.
  deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    ready=0
    for n in $(seq 1 "$count"); do
      alive "$(pid_of "$n")" || {
        echo "cluster.sh: node $n exited during startup; its log ($STATE_DIR/node-$n.log) ends with:" >&2
        tail -n 20 "$STATE_DIR/node-$n.log" >&2
        stop_nodes >&2
        exit 1
      }
      [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$((HTTP_BASE + n - 1))/health" 2>/dev/null)" = 200 ] \
        && ready=$((ready + 1))
    done
    if [ "$ready" -eq "$count" ] && [ "$(up_members "$HTTP_BASE")" -eq "$count" ]; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "cluster.sh: the cluster was not Up within ${START_TIMEOUT}s ($ready of $count nodes ready); logs in $STATE_DIR" >&2
      stop_nodes >&2
      exit 1
    fi
    sleep 0.5
  done

  echo "cluster of $count node(s) is Up:"
  for n in $(seq 1 "$count"); do
    echo "  node $n: http://127.0.0.1:$((HTTP_BASE + n - 1))  (remoting 127.0.0.1:$((REMOTE_BASE + n - 1)), pid $(pid_of "$n"))"
  done
  echo "try: curl -X POST http://127.0.0.1:$HTTP_BASE/counters/a; curl http://127.0.0.1:$HTTP_BASE/cluster/members"
}

show_status() {
  local nodes=() n pid http state members=""
  mapfile -t nodes < <(recorded_nodes)
  [ "${#nodes[@]}" -gt 0 ] || { echo "no nodes recorded in $STATE_DIR"; return 1; }
  for n in "${nodes[@]}"; do
    pid="$(pid_of "$n")"
    http="$(http_port_of "$n")"
    if alive "$pid"; then
      state="running, /health $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$http/health" 2>/dev/null || echo '-')"
      [ -n "$members" ] || members="$(curl -s --max-time 3 "http://127.0.0.1:$http/cluster/members" 2>/dev/null || true)"
    else
      state="not running"
    fi
    echo "node $n: http://127.0.0.1:$http  pid $pid  $state"
  done
  [ -n "$members" ] || return 1
  echo "members:"
  # One member per line: {"address":…,"status":…,"roles":[…],"reachable":…}
  sed 's/.*"members":\[//; s/\]}$//; s/},{/}\n{/g' <<<"$members" | sed 's/^/  /'
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: $0 start N"; start_nodes "$2" ;;
  stop) stop_nodes ;;
  status) show_status ;;
  -h|--help|help|"") usage ;;
  *) usage >&2; exit 2 ;;
esac

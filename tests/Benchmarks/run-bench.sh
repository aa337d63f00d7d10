#!/usr/bin/env bash
# ActorHttp against Kestrel, nginx and two yardsticks (the transport ceiling, Kestrel+Ask) on this machine, loopback
# (127.0.0.1) only.
#
# Usage (from anywhere; the script cds to the repo root itself):
#   tests/Benchmarks/run-bench.sh [--quick] [--duration SECONDS] [--reps N] [--servers LIST] [--scenarios LIST]
#                                 [--no-build]
#   tests/Benchmarks/run-bench.sh --micro [BenchmarkDotNet arguments...]
#   tests/Benchmarks/run-bench.sh --soak [--minutes N] [--segment SECONDS] [--no-build]
#
#   --quick           1 repetition, 2 s per wrk scenario, 1 s warm-up (explicit --duration/--reps still win)
#   --duration N      seconds per wrk scenario (default 6)
#   --reps N          repetitions per server (default 2); the best one is reported
#   --servers LIST    comma-separated subset of ActorHttp,Kestrel,nginx,Ceiling,KestrelAsk (default all)
#   --scenarios LIST  comma-separated subset of the scenarios below (default all)
#   --no-build        use the Release binaries as they are
#   --micro           only the BenchmarkDotNet micro-benchmarks (parser, renderer, connection loop)
#                     (tests/ActorHttp.Benchmarks): all, short job, unless BenchmarkDotNet arguments follow
#                     (e.g. --micro --filter '*Parse*'); results in artifacts/bench/micro
#   --soak            only the soak (tests/Benchmarks/run-soak.sh): 10 minutes of rotating load on the ActorHttp
#                     node; memory and live actors sampled after every segment, verdict steady or GROWING
#
# Servers, each built from this repository in Release (skipped when nothing changed) except nginx:
#   ActorHttp    the standalone node (src/ActorHttp.Host) with bench.conf: every request through a handler actor
#   Kestrel      tests/Benchmarks/Kestrel.Yardstick: a minimal ASP.NET Core app, tuned TechEmpower-style, the same
#                responses; the targets are ratios to it
#   nginx        stock nginx, config from nginx.conf.in
#   Ceiling      tests/Benchmarks/Ceiling.Yardstick, the transport ceiling: ActorHttp's shape with no HTTP work (an
#                Akka.IO listener, an actor per connection, each request, found by "\r\n\r\n" alone, Told to one shared
#                handler actor that answers a fixed plaintext response, answers batched into one acked Tcp.Write). It is
#                what ActorHttp would do if parsing, routing and rendering cost nothing: ActorHttp / Ceiling is the
#                share of the ceiling reached, every overhead of ActorHttp's a measured distance to it
#   KestrelAsk   Kestrel+Ask: Kestrel.Yardstick --ask, /plaintext Asks one shared actor of an in-process ActorSystem
#                for the body: what an Akka.NET team writes today without ActorHttp, the real alternative
# Ceiling and KestrelAsk serve /plaintext only: they run plaintext, pipelined16, conns1000, conns4000 and close,
# every other scenario is n/a for them.
#
# Each repetition starts the servers in turn (order reversed on every other repetition), each on its own port
# and in its own process group: warm-up (wrk, plaintext), then every scenario (each after WARMUP_SECONDS of its own
# load, unmeasured; not with --quick), then stop.
#   idle5000     RSS growth per idle keep-alive connection, 5,000 connections that made one request each
#   wsidle10k    RSS growth per idle WebSocket, 10,000 upgraded on /ws/echo (idle_conns.py --websocket); nginx: n/a
#   plaintext    wrk -t1 -c64, keep-alive GET /plaintext (13-byte body)
#   pipelined16  the same with 16 requests per write (pipeline.lua)
#   echo4k       wrk -t1 -c64, POST /echo with a 4 KB body (post.lua); stock nginx has no echo: n/a
#   static10k    wrk -t1 -c64, GET /static/10k.bin, a 10,240-byte file
#   static10kgz  wrk -t1 -c64 -H "Accept-Encoding: gzip", GET /staticgz/10k.html: a 10,240-byte HTML page (make_html.py;
#                gzip level 1 makes it about 4x smaller), compressed by nginx's gzip on (level 1), Kestrel's response
#                compression middleware (Fastest), ActorHttp's route with compression = on; a server whose answer,
#                checked with curl first, is not 200 with Content-Encoding: gzip is n/a with that reason
#   httperf13    httperf, one connection, 500 sequential GET /plaintext (13 bytes)
#   httperf10k   the same for GET /body10k (10,000 bytes)
#   conns1000    wrk -t2 -c1000, keep-alive GET /plaintext
#   conns4000    wrk -t2 -c4000, keep-alive GET /plaintext
#   wsecho       WebSocket echo on /ws/echo, 64 connections, a 32-byte text message each, sent again when its echo
#                is back: messages/s, p50/p99 round trip (SocketLoad ws-echo, after its own warm-up); nginx: n/a
#   wsecho16     the same with 16 messages in flight per connection
#   close        wrk -t1 -c32 with "Connection: close": a new connection per request (last: it leaves TIME_WAITs)
#   cluster2     ActorHttp only, after the servers: POST /counters/{id} (sharded entities, random ids of 10,000;
#                counters.lua) with wrk -t1 -c64 on a cluster of one node, then on node 1 of a two-node cluster
#                (about half the entities on node 2), both started by deploy/local/cluster.sh on ports 17080.. /
#                17180..; each at peak, then paced to half of its peak (p99 at half load). The entities behind
#                the route are the echo handler here (--set actor-http.routes.counters.entity-handler), with no state:
#                this measures the sharding path, not a store. (With the counters on Akka's in-memory journal, as
#                before, the journal kept every event with its stored reply: a node grew 110 -> 645 MB in 30 s, and
#                the p99 measured its garbage collections.)
#   persist2     ActorHttp only, after cluster2: the same POSTs at peak on durable counters, the nodes' default store
#                (SQLite, one file in the cluster's directory, emptied first), one node then two; reported beside
#                cluster2's stateless figures
#   ssefanout    ActorHttp alone (Kestrel has no counter entity), after cluster2: the node with hocon/standalone.conf
#                on port 17280, 1,000 subscribers to GET /counters/{id}/events and one driver POSTing to
#                /counters/{id} one request at a time (SocketLoad sse-fanout): updates delivered per second over all
#                subscribers, p50/p99 from a POST's send to each subscriber's event; n/a with the reason while
#                hocon/standalone.conf has no such route
# A scenario a server cannot run (not started, refused a route, too few file descriptors...) is n/a with the
# reason; the run goes on. Report: a table with req/s, p50/p99, errors, the ratios ActorHttp / Kestrel,
# ActorHttp / nginx, ActorHttp / Ceiling and ActorHttp / KestrelAsk and met/MISSED per target (against Kestrel);
# artifacts/bench/results.json and results.svg. Raw tool output and server logs: artifacts/bench/raw, artifacts/bench/logs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
BENCH_DIR=tests/Benchmarks

# ---- options ---------------------------------------------------------------------------------
ALL_SERVERS=(ActorHttp Kestrel nginx Ceiling KestrelAsk)
ALL_SCENARIOS=(idle5000 wsidle10k plaintext pipelined16 echo4k static10k static10kgz httperf13 httperf10k conns1000
    conns4000 wsecho wsecho16 close cluster2 persist2 ssefanout)
DURATION=6
REPS=2
WARMUP_SECONDS=3
QUICK=0
DURATION_SET=0
REPS_SET=0
BUILD=1
SERVERS=("${ALL_SERVERS[@]}")
SCENARIOS=("${ALL_SCENARIOS[@]}")

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
fail_usage() { echo "error: $*" >&2; exit 2; }
is_posint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# select_subset TARGET_ARRAY ALLOWED_ARRAY LIST: TARGET_ARRAY := LIST's comma-separated items, each one of ALLOWED.
select_subset() {
    local -n target=$1 allowed=$2
    local item
    local -a items
    IFS=, read -ra items <<<"$3"
    for item in "${items[@]}"; do
        [[ " ${allowed[*]} " == *" $item "* ]] || fail_usage "unknown name '$item' (one of: ${allowed[*]})"
    done
    target=("${items[@]}")
}

# The BenchmarkDotNet micro-benchmarks. By default all of them with a short job (3 warm-ups, 3 iterations) in one
# joined summary: about a minute and a half. Arguments, if any, replace those defaults.
run_micro() {
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    (($#)) || set -- --filter '*' --job short --join
    exec dotnet run -c Release --project tests/ActorHttp.Benchmarks -- --artifacts artifacts/bench/micro "$@"
}

while (($#)); do
    case $1 in
        --quick) QUICK=1 ;;
        --no-build) BUILD=0 ;;
        --micro) shift; run_micro "$@" ;;
        --soak) shift; exec bash "$BENCH_DIR/run-soak.sh" "$@" ;;
        --duration|--reps|--servers|--scenarios) # "--name value": rewritten to "--name=value", parsed below
            (($# >= 2)) || fail_usage "$1 needs a value"
            set -- "$1=$2" "${@:3}"
            continue ;;
        --duration=*) DURATION=${1#*=}; DURATION=${DURATION%s}; DURATION_SET=1 ;;
        --reps=*) REPS=${1#*=}; REPS_SET=1 ;;
        --servers=*) select_subset SERVERS ALL_SERVERS "${1#*=}" ;;
        --scenarios=*) select_subset SCENARIOS ALL_SCENARIOS "${1#*=}" ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
((${#SERVERS[@]})) || fail_usage "no servers selected"
((${#SCENARIOS[@]})) || fail_usage "no scenarios selected"
# Scenarios run on every server in turn; cluster2, persist2 and ssefanout run once, after them (cluster_scenario, sse_scenario).
SERVER_SCENARIOS=()
for sc in "${SCENARIOS[@]}"; do [[ $sc == cluster2 || $sc == persist2 || $sc == ssefanout ]] || SERVER_SCENARIOS+=("$sc"); done
# The load client for WebSockets and server-sent events: built only when a scenario needs it.
NEED_SOCKETLOAD=0
for sc in "${SCENARIOS[@]}"; do [[ $sc == wsecho* || $sc == ssefanout ]] && NEED_SOCKETLOAD=1; done
SETTLE_SECONDS=2          # before reading RSS, so the server finishes setting connections up
SCENARIO_WARMUP=1         # each wrk scenario after WARMUP_SECONDS of its own load (wrk_scenario)
CLUSTER_WARMUP_ROUNDS=8   # at most, of WARMUP_SECONDS + 2 each (cluster_warmup)
if ((QUICK)); then
    CLUSTER_WARMUP_ROUNDS=2
    ((DURATION_SET)) || DURATION=2
    ((REPS_SET)) || REPS=1
    WARMUP_SECONDS=1
    SETTLE_SECONDS=1
    SCENARIO_WARMUP=0
fi
is_posint "$DURATION" || fail_usage "--duration must be a positive whole number of seconds: $DURATION"
is_posint "$REPS" || fail_usage "--reps must be a positive whole number: $REPS"

# ---- fixed parameters ------------------------------------------------------------------------
HOST=127.0.0.1
READY_TIMEOUT=60          # seconds a server may take to answer its first request
TOOL_GRACE=30             # seconds a tool may run past its nominal duration before it is killed
HTTPERF_CALLS=500
HTTPERF_RUNS=3            # per repetition: a run is only 500 requests, so a few of them, the best one counts
STALL_MS_PER_CALL=40      # a delayed-ACK/Nagle stall costs ~40 ms per request
IDLE_CONNECTIONS=5000
PIPELINE_DEPTH=16
ECHO_BODY_BYTES=4096
STATIC_FILE_BYTES=10240   # static10k's 10k.bin and static10kgz's 10k.html
COUNTER_IDS=10000         # cluster2: distinct entity ids, spread over the shards
CLUSTER_HTTP_BASE=17080   # cluster2: node n serves HTTP on CLUSTER_HTTP_BASE+n-1, remoting on CLUSTER_REMOTE_BASE+n-1
CLUSTER_REMOTE_BASE=17180
WS_IDLE_CONNECTIONS=10000 # wsidle10k
WS_CONNECTIONS=64         # wsecho, wsecho16
WS_MESSAGE_BYTES=32
WS_PIPELINE_DEPTH=16      # wsecho16
SSE_SUBSCRIBERS=1000      # ssefanout
SSE_PORT=17280            # ssefanout: the standalone node's HTTP port
SSE_ROUTE='/counters/{id}/events'

# Each repetition moves every server to the next port: the TIME_WAITs of one repetition's connection-per-request
# scenario then never meet the next repetition's connections.
declare -A BASE_PORT=([ActorHttp]=18080 [Kestrel]=15080 [nginx]=16080 [Ceiling]=14080 [KestrelAsk]=19080)
declare -A PORT
declare -A DLL=(
    [ActorHttp]=src/ActorHttp.Host/bin/Release/net10.0/ActorHttp.Host.dll
    [Kestrel]=tests/Benchmarks/Kestrel.Yardstick/bin/Release/net10.0/Kestrel.Yardstick.dll
    [Ceiling]=tests/Benchmarks/Ceiling.Yardstick/bin/Release/net10.0/Ceiling.Yardstick.dll
    [SocketLoad]=tests/Benchmarks/SocketLoad/bin/Release/net10.0/SocketLoad.dll
)
declare -A PROJECT=([ActorHttp]=src/ActorHttp.Host [Kestrel]=tests/Benchmarks/Kestrel.Yardstick
    [Ceiling]=tests/Benchmarks/Ceiling.Yardstick [SocketLoad]=tests/Benchmarks/SocketLoad)
# What each build depends on: a source newer than the last successful build means building again.
declare -A SOURCES=(
    [ActorHttp]="src/ActorHttp src/ActorHttp.Host Directory.Build.props"
    [Kestrel]="tests/Benchmarks/Kestrel.Yardstick Directory.Build.props"
    [Ceiling]="tests/Benchmarks/Ceiling.Yardstick Directory.Build.props"
    [SocketLoad]="tests/Benchmarks/SocketLoad Directory.Build.props"
)

OUT=artifacts/bench
RAW=$OUT/raw
LOGS=$OUT/logs
WWW=$OUT/www
NGINX_DIR=$ROOT/$OUT/nginx
ACTORHTTP_CONF=$OUT/actorhttp.conf
MANIFEST=$RAW/manifest.tsv

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
START_TIME=$SECONDS

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- processes: everything started in the background is stopped when the script leaves ---------
SERVER_PID=""   # the server under test; its own process group (nginx has workers)
TOOL_PID=""     # wrk, httperf, SocketLoad or the idle-connection client
CLUSTER_NODES=0 # cluster2: nodes started by deploy/local/cluster.sh, stopped by it
CLUSTER_SETTINGS="" # cluster2 / persist2: settings for every node of the cluster (cluster.sh ACTORHTTP_NODE_SETTINGS)
BUILD_PIDS=()   # dotnet builds running in parallel

# stop_pid PID [GROUP]: SIGTERM, up to 10 s, then SIGKILL; with GROUP, the whole process group PID.
stop_pid() {
    local pid=$1 target=$1 i
    [[ ${2:-} == group ]] && target=-$1
    kill -TERM -- "$target" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 -- "$target" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 -- "$target" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
        kill -KILL -- "$target" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${BUILD_PIDS[@]}"; do stop_pid "$pid"; done
    if [[ -n $TOOL_PID ]]; then stop_pid "$TOOL_PID"; TOOL_PID=""; fi
    if [[ -n $SERVER_PID ]]; then stop_pid "$SERVER_PID" group; SERVER_PID=""; fi
    ((CLUSTER_NODES == 0)) || cluster_ctl stop >/dev/null 2>&1 || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_tool OUTFILE SECONDS CMD...: runs a load tool in the background (so a signal stops it too), killed if it
# overruns SECONDS. Returns the tool's status.
run_tool() {
    local out=$1 limit=$2 rc=0
    shift 2
    timeout -k 5 "$limit" "$@" >"$out" 2>&1 &
    TOOL_PID=$!
    wait "$TOOL_PID" || rc=$?
    TOOL_PID=""
    ((rc == 0)) || echo "[bench] $1 exited with status $rc" >>"$out"
    return "$rc"
}

# ---- setup -----------------------------------------------------------------------------------
install_tools() {
    scripts/install-tools.sh --bench || die "could not install the benchmark tools (scripts/install-tools.sh --bench)"
    command -v dotnet >/dev/null 2>&1 || die "dotnet is required"
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

# Many-connection scenarios need thousands of descriptors in the servers and the tools, which inherit ours.
raise_fd_limit() {
    ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    FD_LIMIT=$(ulimit -n)
    [[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
    log "open file limit: $FD_LIMIT"
}

build_is_current() { # server
    local stamp=$OUT/build-$1.stamp
    [[ -f $stamp && -f ${DLL[$1]} ]] || return 1
    # shellcheck disable=SC2086  # SOURCES holds several paths
    [[ -z $(find ${SOURCES[$1]} \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print -quit) ]]
}

# The builds at once (they share no project): the wall time of the slowest one, not of all. SocketLoad, the client
# of the WebSocket and event-stream scenarios, only when one of them runs. KestrelAsk is Kestrel's build (--ask).
build_servers() {
    local s
    local -A started=()
    local -a builds=("${SERVERS[@]}")
    ((NEED_SOCKETLOAD)) && builds+=(SocketLoad)
    [[ " ${builds[*]} " == *" KestrelAsk "* ]] && builds+=(Kestrel)
    for s in ActorHttp Kestrel Ceiling SocketLoad; do
        [[ " ${builds[*]} " == *" $s "* ]] || continue
        if ((!BUILD)) || build_is_current "$s"; then
            log "build of $s skipped ($( ((BUILD)) && echo "up to date" || echo "--no-build"))"
            continue
        fi
        log "building $s (dotnet build -c Release ${PROJECT[$s]})"
        dotnet build -c Release -nologo "${PROJECT[$s]}" >"$LOGS/build-$s.log" 2>&1 &
        started[$s]=$!
        BUILD_PIDS+=("$!")
    done
    for s in "${!started[@]}"; do
        if ! wait "${started[$s]}"; then
            tail -n 30 "$LOGS/build-$s.log" >&2 || true
            die "build of $s failed; full log: $LOGS/build-$s.log"
        fi
        touch "$OUT/build-$s.stamp"
    done
    BUILD_PIDS=()
}

# The bytes every server serves: a 10,240-byte file for /static, a 10,240-byte HTML page for /staticgz (the same
# bytes every run: the compressed size depends on them) and a 10,000-byte text for /body10k.
write_www() {
    mkdir -p "$WWW"
    head -c "$STATIC_FILE_BYTES" /dev/urandom >"$WWW/10k.bin"
    python3 "$BENCH_DIR/make_html.py" "$STATIC_FILE_BYTES" >"$WWW/10k.html"
    # 10,000 letters, no whitespace: ActorHttp's HOCON drops whitespace at the end of a quoted string.
    python3 -c 'import sys; sys.stdout.write("".join(chr(97 + i % 26) for i in range(10000)))' >"$WWW/body10k.txt"
}

# The bench.conf routes only one scenario needs, which ActorHttp may refuse (a handler or key it does not have yet):
# refused, the route is dropped and that scenario is n/a, not the whole server (see start_server).
declare -A SCENARIO_ROUTE=([static10k]=static [static10kgz]=staticgz)
declare -A DROPPED_ROUTES=() # route name -> why it was dropped

# bench.conf without the DROPPED_ROUTES, plus the generated /body10k route.
write_actorhttp_config() {
    local dropped
    dropped=$(IFS='|'; echo "${!DROPPED_ROUTES[*]}")
    {
        if [[ -n $dropped ]]; then grep -vE "^[[:space:]]*($dropped)[[:space:]]*\{" "$BENCH_DIR/bench.conf"; else cat "$BENCH_DIR/bench.conf"; fi
        printf '\n# Generated by run-bench.sh: the 10,000 bytes of %s.\n' "$WWW/body10k.txt"
        python3 -c 'import json, sys; print("actor-http.routes.body10k { path = \"/body10k\", method = GET, handler = text, content-type = \"text/plain\", text = %s }" % json.dumps(open(sys.argv[1]).read()))' "$WWW/body10k.txt"
    } >"$ACTORHTTP_CONF"
}

write_nginx_config() { # written per start: the port changes with the repetition
    local workers=$((FD_LIMIT < 16384 ? FD_LIMIT : 16384))
    mkdir -p "$NGINX_DIR/tmp"
    sed -e "s#@PORT@#${PORT[nginx]}#g" -e "s#@DIR@#$NGINX_DIR#g" -e "s#@WWW@#$ROOT/$WWW#g" \
        -e "s#@NOFILE@#$FD_LIMIT#g" -e "s#@WORKER_CONNECTIONS@#$workers#g" \
        "$BENCH_DIR/nginx.conf.in" >"$NGINX_DIR/nginx.conf"
    "$NGINX" -t -q -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" >"$LOGS/nginx-check.log" 2>&1 && return 0
    START_ERROR="nginx -t rejects $NGINX_DIR/nginx.conf: $(head -n1 "$LOGS/nginx-check.log")"
    return 1
}

# ---- servers ---------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

server_command() { # server -> CMD array
    case $1 in
        ActorHttp) CMD=(dotnet "${DLL[ActorHttp]}" --config "$ACTORHTTP_CONF" --port "${PORT[ActorHttp]}") ;;
        Kestrel) CMD=(dotnet "${DLL[Kestrel]}" --port "${PORT[Kestrel]}" --www "$WWW") ;;
        KestrelAsk) CMD=(dotnet "${DLL[Kestrel]}" --port "${PORT[KestrelAsk]}" --www "$WWW" --ask) ;;
        Ceiling) CMD=(dotnet "${DLL[Ceiling]}" --port "${PORT[Ceiling]}") ;;
        nginx) CMD=("$NGINX" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" -g 'daemon off;') ;;
    esac
}

# launch_server server log: starts it and waits until it answers /plaintext. Fails with START_ERROR set.
launch_server() {
    local s=$1 slog=$2 port=${PORT[$1]} deadline=$((SECONDS + READY_TIMEOUT)) rc
    server_command "$s"
    # setsid: its own process group, so stopping it also stops nginx's workers.
    setsid "${CMD[@]}" >"$slog" 2>&1 &
    SERVER_PID=$!
    until curl -sf -o /dev/null --max-time 2 "http://$HOST:$port/plaintext"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
            SERVER_PID=""
            START_ERROR="exited with status $rc at start: $(grep -m1 -iE 'error|exception' "$slog" || tail -n1 "$slog")"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            stop_pid "$SERVER_PID" group
            SERVER_PID=""
            START_ERROR="did not answer /plaintext within ${READY_TIMEOUT}s"
            return 1
        fi
        sleep 0.1
    done
}

# refused_route log: the first of SCENARIO_ROUTE's routes, not dropped yet, that ActorHttp's start log names.
refused_route() {
    local route
    for route in "${SCENARIO_ROUTE[@]}"; do
        [[ -z ${DROPPED_ROUTES[$route]:-} ]] || continue
        grep -qE "routes\.$route([^A-Za-z0-9_-]|\$)" "$1" && { echo "$route"; return 0; }
    done
    return 1
}

# start_server server rep [log-suffix]: launch; when ActorHttp refuses one of SCENARIO_ROUTE's routes (the static handler
# or its compression = on may not exist yet), again without it: that costs its scenario, not the whole server.
start_server() {
    local s=$1 slog="$LOGS/$1-rep$2${3:-}.log"
    START_ERROR=""
    PORT[$s]=$((BASE_PORT[$s] + $2 - 1))
    if [[ $s == nginx ]] && ! write_nginx_config; then return 1; fi
    if port_in_use "${PORT[$s]}"; then
        START_ERROR="port ${PORT[$s]} is already in use by another process"
        return 1
    fi
    log "starting $s on port ${PORT[$s]} (log: $slog)"
    launch_server "$s" "$slog" && return 0
    local route
    while [[ $s == ActorHttp ]] && route=$(refused_route "$slog"); do
        DROPPED_ROUTES[$route]="ActorHttp refused the $route route: $(grep -m1 -E "routes\.$route([^A-Za-z0-9_-]|\$)" "$slog" | cut -c1-160)"
        log "${DROPPED_ROUTES[$route]}; going on without it"
        write_actorhttp_config
        launch_server "$s" "$slog" && return 0
    done
    return 1
}

# Like for like: every server must send the same bodies, or the comparison is void. A mismatch is logged, not
# fatal (the scenario's own numbers still say what happened).
check_bodies() { # server
    local path expected
    for path in /plaintext /body10k /static/10k.bin; do
        case $path in
            /plaintext) expected=$(printf 'Hello, World!' | sha256sum) ;;
            /body10k) expected=$(sha256sum <"$WWW/body10k.txt") ;;
            /static/10k.bin) expected=$(sha256sum <"$WWW/10k.bin") ;;
        esac
        [[ $path == /static/* && $1 == ActorHttp && -n ${DROPPED_ROUTES[static]:-} ]] && continue
        [[ $path != /plaintext && $1 == Ceiling ]] && continue # it answers every path with the plaintext
        [[ $(curl -sf --max-time 5 "$(url_of "$1" "$path")" | sha256sum) == "$expected" ]] \
            || log "  WARNING: $1 does not serve the expected bytes at $path: the comparison is not like for like"
    done
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    stop_pid "$SERVER_PID" group
    SERVER_PID=""
}

server_alive() { [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; }

# Resident memory of the server in KB: the process and its children (nginx's workers).
server_rss_kb() {
    local pid kb total=0
    for pid in "$SERVER_PID" $(pgrep -P "$SERVER_PID" || true); do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

# ---- results: one manifest line per measurement or n/a --------------------------------------
record() { # scenario server rep kind file-or-reason
    printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$MANIFEST"
}

# The scenarios the transport ceiling and Kestrel+Ask run: /plaintext only (the ceiling answers nothing else; Kestrel+Ask
# differs from Kestrel on /plaintext alone).
PLAINTEXT_SCENARIOS=" plaintext pipelined16 conns1000 conns4000 close "

# na_reason scenario server: why the server cannot run the scenario at all, or nothing.
na_reason() {
    if [[ $PLAINTEXT_SCENARIOS != *" $1 "* ]]; then
        case $2 in
            Ceiling) echo "the transport ceiling has the plaintext answer only"; return 0 ;;
            KestrelAsk) echo "Kestrel+Ask differs from Kestrel on /plaintext only"; return 0 ;;
        esac
    fi
    case $1/$2 in
        echo4k/nginx) echo "stock nginx has no echo module" ;;
        wsecho/nginx | wsecho16/nginx | wsidle10k/nginx) echo "stock nginx has no WebSocket echo (it proxies WebSockets, it ends none)" ;;
        static10k/ActorHttp) [[ -n ${DROPPED_ROUTES[static]:-} ]] && echo "${DROPPED_ROUTES[static]}" ;;
        static10kgz/*)
            if [[ $2 == ActorHttp && -n ${DROPPED_ROUTES[staticgz]:-} ]]; then echo "${DROPPED_ROUTES[staticgz]}"; else gzip_na_reason "$2"; fi ;;
    esac
    local need=0
    case $1 in
        conns1000) need=1100 ;;
        conns4000) need=4100 ;;
        idle5000) need=$((IDLE_CONNECTIONS + 100)) ;;
        wsidle10k) need=$((WS_IDLE_CONNECTIONS + 100)) ;;
    esac
    ((FD_LIMIT >= need)) || echo "open file limit $FD_LIMIT is below the $need this scenario needs"
    return 0
}

# ---- scenarios -------------------------------------------------------------------------------
url_of() { echo "http://$HOST:${PORT[$1]}$2"; }

# gzip_na_reason server: why static10kgz would not measure compression on this server, or nothing: the answer to
# GET /staticgz/10k.html with Accept-Encoding: gzip must be 200 with Content-Encoding: gzip. A server that is no
# longer running gets nothing here: bench_server says so itself.
gzip_na_reason() {
    server_alive || return 0
    local headers status encoding hint=""
    headers=$(curl -s -D - -o /dev/null --max-time 5 -H 'Accept-Encoding: gzip' "$(url_of "$1" /staticgz/10k.html)" |
        tr -d '\r' || true)
    status=$(awk 'NR == 1 { print $2 }' <<<"$headers")
    encoding=$(awk -F': *' 'tolower($1) == "content-encoding" { print $2; exit }' <<<"$headers")
    [[ $status == 200 && ${encoding,,} == gzip ]] && return 0
    [[ $1 == ActorHttp ]] && hint=" (does the node implement the route's compression = on?)"
    if [[ $status != 200 ]]; then
        echo "GET /staticgz/10k.html with Accept-Encoding: gzip answered ${status:-nothing}, not 200$hint"
    else
        echo "GET /staticgz/10k.html with Accept-Encoding: gzip answered 200 with ${encoding:+Content-Encoding: }${encoding:-no Content-Encoding}, not gzip$hint"
    fi
}

# gzip_body_check server: logs the compressed size, and warns unless it decompresses to the page (like for like).
gzip_body_check() {
    local url bytes
    url=$(url_of "$1" /staticgz/10k.html)
    bytes=$(curl -s -o /dev/null -w '%{size_download}' --max-time 5 -H 'Accept-Encoding: gzip' "$url" || true)
    log "  static10kgz: $1 sends ${bytes:-?} bytes of gzip for the ${STATIC_FILE_BYTES}-byte page"
    [[ $(curl -s --compressed --max-time 5 "$url" | sha256sum) == "$(sha256sum <"$WWW/10k.html")" ]] \
        || log "  WARNING: $1's gzip of /staticgz/10k.html does not decompress to the page: the comparison is not like for like"
}

# wrk_scenario server rep scenario threads connections path [wrk options...]
wrk_scenario() {
    local s=$1 rep=$2 sc=$3 threads=$4 conns=$5 path=$6 out="$RAW/$3-$1-rep$2.txt"
    shift 6
    local -a args=(-t"$threads" -c"$conns" -d"${DURATION}s" --latency "$@")
    log "  $sc: wrk ${args[*]} $(url_of "$s" "$path")"
    # The same load for WARMUP_SECONDS first, unmeasured, on every server: the code paths this scenario adds to the
    # plaintext warm-up (accept and close, bodies, files) are otherwise measured at tier-0 JIT quality.
    # --quick skips it: its figures are indicative, and its bound is two minutes.
    if ((SCENARIO_WARMUP)); then
        run_tool "$RAW/warmup-$sc-$s-rep$rep.txt" $((WARMUP_SECONDS + TOOL_GRACE)) wrk "${args[@]/#-d*/-d${WARMUP_SECONDS}s}" \
            "$(url_of "$s" "$path")" "${SCRIPT_ARGS[@]}" || true
        sleep 1 # the warm-up's connections close before the measured ones open
    fi
    # wrk puts script arguments after the URL: pass them through SCRIPT_ARGS.
    run_tool "$out" $((DURATION + TOOL_GRACE)) wrk "${args[@]}" "$(url_of "$s" "$path")" "${SCRIPT_ARGS[@]}" || true
    record "$sc" "$s" "$rep" wrk "$out"
    local errors
    errors=$(grep -E 'Socket errors|Non-2xx' "$out" | sed 's/^ *//' | paste -sd ';' - || true)
    log "    $(grep -E '^Requests/sec:' "$out" || echo 'no result')${errors:+; $errors}"
}

# httperf_once server path out: one connection, HTTPERF_CALLS sequential requests.
httperf_once() {
    run_tool "$3" $((STALL_MS_PER_CALL * HTTPERF_CALLS / 1000 + TOOL_GRACE)) httperf --server "$HOST" \
        --port "${PORT[$1]}" --uri "$2" --num-conns=1 --num-calls="$HTTPERF_CALLS" --timeout=5 || true
}

# httperf_scenario server rep scenario path: HTTPERF_RUNS measured httperf_once runs after an unmeasured one.
httperf_scenario() {
    local s=$1 rep=$2 sc=$3 path=$4 run out
    log "  $sc: httperf --num-conns=1 --num-calls=$HTTPERF_CALLS --uri $path, $HTTPERF_RUNS runs after an unmeasured one"
    httperf_once "$s" "$path" "$RAW/warmup-$sc-$s-rep$rep.txt"
    for ((run = 1; run <= HTTPERF_RUNS; run++)); do
        out="$RAW/$sc-$s-rep$rep-run$run.txt"
        httperf_once "$s" "$path" "$out"
        record "$sc" "$s" "$rep" httperf "$out"
        log "    $(grep -E '^Request rate:' "$out" || echo 'no result')"
    done
}

# idle_memory_scenario server rep scenario count [idle_conns.py options...]: RSS before and after opening count idle
# connections: keep-alive ones that made a request each (idle5000), or WebSockets (wsidle10k: --websocket).
idle_memory_scenario() {
    local s=$1 rep=$2 sc=$3 count=$4 out="$RAW/$3-$1-rep$2.txt" before after ready i
    shift 4
    curl -sf -o /dev/null --max-time 2 "$(url_of "$s" /plaintext)" || true
    sleep "$SETTLE_SECONDS"
    before=$(server_rss_kb)
    log "  $sc: $count idle $( (($#)) && echo "WebSockets" || echo "connections") (idle_conns.py $*), RSS before: ${before} KB"
    : >"$out.client" # there before the client writes to it: the wait below reads it
    python3 "$BENCH_DIR/idle_conns.py" --port "${PORT[$s]}" --count "$count" --timeout 60 --hold 120 "$@" \
        >"$out.client" 2>&1 &
    TOOL_PID=$!
    for ((i = 0; i < 700; i++)); do # at most 70 s: the client gives up after 60
        ready=$(grep -m1 '^ready' "$out.client" || true)
        [[ -n $ready ]] && break
        kill -0 "$TOOL_PID" 2>/dev/null || break
        sleep 0.1
    done
    sleep "$SETTLE_SECONDS"
    curl -sf -o /dev/null --max-time 2 "$(url_of "$s" /plaintext)" || true # a request after: the server is not stuck
    after=$(server_rss_kb)
    stop_pid "$TOOL_PID"
    TOOL_PID=""
    read -r _ opened failed <<<"${ready:-ready 0 $count}"
    printf 'connections=%s\nopened=%s\nfailed=%s\nrss_before_kb=%s\nrss_after_kb=%s\nfailures=%s\n' \
        "$count" "$opened" "$failed" "$before" "$after" \
        "$(grep '^failed' "$out.client" | paste -sd ';' - || true)" >"$out"
    record "$sc" "$s" "$rep" memory "$out"
    if ((opened > 0)); then
        log "    RSS after: ${after} KB: $(awk -v d=$((after - before)) -v n="$opened" 'BEGIN { printf "%.1f", d / n }') KB per connection, $failed failed"
        ((failed == 0)) || log "    $(grep '^failed' "$out.client" | paste -sd ';' -)"
    else
        log "    no connection could be opened ($failed failed)"
    fi
    sleep 1 # let the server close them before the next scenario
}

# ws_echo_scenario server rep scenario pipeline: WS_CONNECTIONS WebSockets on /ws/echo, each with pipeline messages of
# WS_MESSAGE_BYTES in flight (SocketLoad ws-echo). Its warm-up (WARMUP_SECONDS, unmeasured, on the same sockets) is
# kept with --quick: without it the WebSocket code paths, which no earlier scenario touches, run at tier-0 JIT quality.
ws_echo_scenario() {
    local s=$1 rep=$2 sc=$3 pipeline=$4 out="$RAW/$3-$1-rep$2.txt"
    local -a args=(ws-echo --port "${PORT[$s]}" --path /ws/echo --connections "$WS_CONNECTIONS" --pipeline "$pipeline"
        --size "$WS_MESSAGE_BYTES" --warmup "$WARMUP_SECONDS" --duration "$DURATION")
    log "  $sc: SocketLoad ${args[*]}"
    run_tool "$out" $((WARMUP_SECONDS + DURATION + TOOL_GRACE)) dotnet "${DLL[SocketLoad]}" "${args[@]}" || true
    record "$sc" "$s" "$rep" socketload "$out"
    log "    $(awk -F= '$1 == "msgs_per_s" { r = $2 } $1 == "p50_ms" { p50 = $2 } $1 == "p99_ms" { p99 = $2 }
        $1 == "errors" { e = $2 } $1 == "client_cpu_pct" { c = $2 } $1 == "error" { err = $2 }
        END { if (r == "") print "no result" (err ? ": " err : ""); else printf "%s msgs/s, p50 %s ms, p99 %s ms, %s errors; client CPU %s%% of a core\n", r, p50, p99, e, c }' "$out")"
}

# ---- cluster2: sharded counters on one node, then on two ---------------------------------------
cluster_ctl() { # cluster.sh with the benchmark's ports, state directory, Release binary and CLUSTER_SETTINGS
    ACTORHTTP_HTTP_BASE=$CLUSTER_HTTP_BASE ACTORHTTP_REMOTE_BASE=$CLUSTER_REMOTE_BASE ACTORHTTP_NODE_SETTINGS="$CLUSTER_SETTINGS" \
        ACTORHTTP_CLUSTER_DIR="$ROOT/$OUT/cluster" ACTORHTTP_HOST_DLL="$ROOT/${DLL[ActorHttp]}" \
        deploy/local/cluster.sh "$@"
}

# counters_wrk scenario nodes [rate]: wrk -t1 -c64 POST /counters/c<random> against node 1; with a rate, paced to it.
counters_wrk() {
    local sc=$1 nodes=$2 rate=${3:-0} out="$RAW/$1-ActorHttp-rep1.txt" url="http://$HOST:$CLUSTER_HTTP_BASE/counters/"
    log "  $sc: wrk -t1 -c64 -d${DURATION}s -s counters.lua $url -- $COUNTER_IDS POST ($nodes node(s)$( ((rate)) && echo ", paced to $rate req/s"))"
    COUNTERS_RATE=$rate COUNTERS_CONNECTIONS=64 run_tool "$out" $((DURATION + TOOL_GRACE)) wrk -t1 -c64 -d"${DURATION}s" \
        --latency -s "$BENCH_DIR/counters.lua" "$url" -- "$COUNTER_IDS" POST || true
    record "$sc" ActorHttp 1 wrk "$out"
    local errors
    errors=$(grep -E 'Socket errors|Non-2xx' "$out" | sed 's/^ *//' | paste -sd ';' - || true)
    log "    $(grep -E '^Requests/sec:' "$out" || echo 'no result'), p99 $(awk '$1 == "99%" { print $2 }' "$out")${errors:+; $errors}"
}

# cluster_warmup scenario: load until the rate is steady. Every shard gets allocated (its first request asks the
# coordinator where it lives) and the entities started; above all, remoting, sharding and serialization code reaches
# tier-1 JIT: on two nodes the rate still climbs 3x over the first 15 s (e.g. 9k, 15k, 29k, 34k, 33k req/s in 5-s
# rounds), so a fixed short warm-up measured the JIT, not the cluster. Rounds of WARMUP_SECONDS + 2 until one is
# within 10% of the one before (at least two, at most CLUSTER_WARMUP_ROUNDS).
cluster_warmup() {
    local sc=$1 round rate previous=0 rates=""
    for ((round = 1; round <= CLUSTER_WARMUP_ROUNDS; round++)); do
        run_tool "$RAW/warmup-$sc-$round.txt" $((WARMUP_SECONDS + 2 + TOOL_GRACE)) wrk -t1 -c64 -d"$((WARMUP_SECONDS + 2))s" \
            -s "$BENCH_DIR/counters.lua" "http://$HOST:$CLUSTER_HTTP_BASE/counters/" -- "$COUNTER_IDS" POST || true
        rate=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$RAW/warmup-$sc-$round.txt")
        rate=${rate:-0}
        rates+="${rates:+, }$rate"
        if ((round >= 2 && rate > 0 && rate * 10 <= previous * 11 && rate * 10 >= previous * 9)); then break; fi
        previous=$rate
    done
    log "  $sc: warm-up rounds of $((WARMUP_SECONDS + 2)) s until steady: $rates req/s"
}

# cluster_scenario prefix half settings: counters on one node, then two, scenarios ${prefix}1 and ${prefix}2 (each
# followed by ${prefix}Nhalf, paced to half its peak, when half is 1); settings go to every node (cluster.sh --set).
cluster_scenario() {
    local prefix=$1 half=$2 nodes sc peak
    CLUSTER_SETTINGS=$3
    if [[ " ${SERVERS[*]} " != *" ActorHttp "* ]]; then return 0; fi
    for nodes in 1 2; do
        sc=$prefix$nodes
        rm -f "$ROOT/$OUT/cluster/actor-http.db"* # the durable counters start empty
        CLUSTER_NODES=$nodes # before the start: an interrupt during it still stops what it started
        if ! cluster_ctl start "$nodes" >"$LOGS/cluster-start-$sc.log" 2>&1; then
            cluster_ctl stop >/dev/null 2>&1 || true; CLUSTER_NODES=0
            log "  $sc: n/a: the cluster did not start (log: $LOGS/cluster-start-$sc.log)"
            record "$sc" ActorHttp 1 na "cluster of $nodes did not start: $(tail -n1 "$LOGS/cluster-start-$sc.log")"
            ((half)) && record "${sc}half" ActorHttp 1 na "cluster of $nodes did not start"
            continue
        fi
        cluster_warmup "$sc"
        counters_wrk "$sc" "$nodes"
        peak=$(awk '/^Requests\/sec:/ { printf "%d", $2 / 2 }' "$RAW/$sc-ActorHttp-rep1.txt")
        if ((half)) && [[ -n $peak && $peak -gt 0 ]]; then
            counters_wrk "${sc}half" "$nodes" "$peak"
        elif ((half)); then
            record "${sc}half" ActorHttp 1 na "no peak figure to halve"
        fi
        for f in "$ROOT/$OUT/cluster/"node-*.log; do [[ -e $f ]] && cp "$f" "$LOGS/$sc-$(basename "$f")"; done
        cluster_ctl stop >"$LOGS/cluster-stop-$sc.log" 2>&1 || log "  cluster stop failed: see $LOGS/cluster-stop-$sc.log"
        CLUSTER_NODES=0
    done
}

# ---- ssefanout: a sharded counter's event stream, 1,000 subscribers ----------------------------
# The standalone node (hocon/standalone.conf: a cluster of one serving /counters/{id}), not bench.conf: the counter
# entity needs the cluster. Kestrel has no counter entity: ActorHttp alone.
sse_scenario() {
    local sc=ssefanout out="$RAW/ssefanout-ActorHttp-rep1.txt" i rc=0
    if [[ " ${SERVERS[*]} " != *" ActorHttp "* ]]; then return 0; fi
    if ! grep -qF "$SSE_ROUTE" hocon/standalone.conf; then
        log "$sc: n/a: hocon/standalone.conf has no $SSE_ROUTE route (server-sent events have not landed yet)"
        record "$sc" ActorHttp 1 na "hocon/standalone.conf has no $SSE_ROUTE route"
        return 0
    fi
    log "$sc: the standalone node on port $SSE_PORT, $SSE_SUBSCRIBERS subscribers to $SSE_ROUTE, one POSTing driver"
    local conf=$ACTORHTTP_CONF
    ACTORHTTP_CONF=hocon/standalone.conf
    PORT[ActorHttp]=$SSE_PORT
    if port_in_use "$SSE_PORT"; then
        START_ERROR="port $SSE_PORT is already in use by another process"
    elif launch_server ActorHttp "$LOGS/ssefanout-node.log"; then
        START_ERROR=""
        # The counters need the cluster (of one) Up: /health/ready says so.
        for ((i = 0; i < 300; i++)); do
            curl -sf -o /dev/null --max-time 2 "http://$HOST:$SSE_PORT/health/ready" && break
            sleep 0.1
        done
    fi
    ACTORHTTP_CONF=$conf
    if [[ -n $START_ERROR ]]; then
        log "  $sc: n/a: the node did not start: $START_ERROR"
        record "$sc" ActorHttp 1 na "the standalone node did not start: $START_ERROR"
        return 0
    fi
    local -a args=(sse-fanout --port "$SSE_PORT" --id "sse-bench" --subscribers "$SSE_SUBSCRIBERS"
        --events-path "$SSE_ROUTE" --post-path /counters/{id} --warmup "$WARMUP_SECONDS" --duration "$DURATION")
    log "  $sc: SocketLoad ${args[*]}"
    run_tool "$out" $((WARMUP_SECONDS + DURATION + 60 + TOOL_GRACE)) dotnet "${DLL[SocketLoad]}" "${args[@]}" || rc=$?
    stop_server
    if ((rc == 3)); then # the route is in the config but answers no event stream
        log "  $sc: n/a: $(sed -n 's/^skipped=//p' "$out")"
        record "$sc" ActorHttp 1 na "$(sed -n 's/^skipped=//p' "$out")"
        return 0
    fi
    record "$sc" ActorHttp 1 socketload "$out"
    log "    $(awk -F= '$1 == "updates_per_s" { r = $2 } $1 == "posts_per_s" { p = $2 } $1 == "p50_ms" { p50 = $2 }
        $1 == "p99_ms" { p99 = $2 } $1 == "errors" { e = $2 } $1 == "error" { err = $2 }
        END { if (r == "") print "no result" (err ? ": " err : ""); else printf "%s updates/s delivered (%s POSTs/s), p50 %s ms, p99 %s ms, %s errors\n", r, p, p50, p99, e }' "$out")"
}

run_scenario() { # server rep scenario
    local s=$1 rep=$2 sc=$3
    SCRIPT_ARGS=()
    case $sc in
        idle5000) idle_memory_scenario "$s" "$rep" "$sc" "$IDLE_CONNECTIONS" ;;
        wsidle10k) idle_memory_scenario "$s" "$rep" "$sc" "$WS_IDLE_CONNECTIONS" --path /ws/echo --websocket ;;
        wsecho) ws_echo_scenario "$s" "$rep" "$sc" 1 ;;
        wsecho16) ws_echo_scenario "$s" "$rep" "$sc" "$WS_PIPELINE_DEPTH" ;;
        plaintext) wrk_scenario "$s" "$rep" "$sc" 1 64 /plaintext ;;
        pipelined16) SCRIPT_ARGS=(-- "$PIPELINE_DEPTH"); wrk_scenario "$s" "$rep" "$sc" 1 64 /plaintext -s "$BENCH_DIR/pipeline.lua" ;;
        echo4k) SCRIPT_ARGS=(-- "$ECHO_BODY_BYTES"); wrk_scenario "$s" "$rep" "$sc" 1 64 /echo -s "$BENCH_DIR/post.lua" ;;
        static10k) wrk_scenario "$s" "$rep" "$sc" 1 64 /static/10k.bin ;;
        static10kgz) gzip_body_check "$s"; wrk_scenario "$s" "$rep" "$sc" 1 64 /staticgz/10k.html -H "Accept-Encoding: gzip" ;;
        httperf13) httperf_scenario "$s" "$rep" "$sc" /plaintext ;;
        httperf10k) httperf_scenario "$s" "$rep" "$sc" /body10k ;;
        conns1000) wrk_scenario "$s" "$rep" "$sc" 2 1000 /plaintext ;;
        conns4000) wrk_scenario "$s" "$rep" "$sc" 2 4000 /plaintext ;;
        close) wrk_scenario "$s" "$rep" "$sc" 1 32 /plaintext -H "Connection: close" ;;
        *) die "unknown scenario $sc" ;;
    esac
}

# Scenarios measured in a process of their own (started again, warmed up the same way): the RSS growth per idle
# connection depends on the heap the scenarios before left behind. Measured on 2 cores: after idle5000 in the same
# process, 10,000 idle WebSockets cost ActorHttp 11.5 KB each and Kestrel 14.3 KB; each in a fresh process 25.6 and
# 20.6 KB (the freed heap of the 5,000 connections is reused, more of it by ActorHttp's server GC).
FRESH_PROCESS_SCENARIOS=" wsidle10k "

# warm_server server rep: the unmeasured plaintext load every server gets after its start.
warm_server() {
    run_tool "$RAW/warmup-$1-rep$2.txt" $((WARMUP_SECONDS + TOOL_GRACE)) \
        wrk -t1 -c64 -d"${WARMUP_SECONDS}s" "$(url_of "$1" /plaintext)" || true
}

# bench_server server rep: one server, every scenario, in one process lifetime (except FRESH_PROCESS_SCENARIOS).
bench_server() {
    local s=$1 rep=$2 sc reason ran=0 restart_error=""
    log "repetition $rep/$REPS: $s"
    if ! start_server "$s" "$rep"; then
        log "  $s did not start: $START_ERROR"
        for sc in "${SERVER_SCENARIOS[@]}"; do record "$sc" "$s" "$rep" na "server did not start: $START_ERROR"; done
        return 0
    fi
    check_bodies "$s"
    warm_server "$s" "$rep"
    for sc in "${SERVER_SCENARIOS[@]}"; do
        if [[ $FRESH_PROCESS_SCENARIOS == *" $sc "* ]] && ((ran)) && [[ -z $(na_reason "$sc" "$s") ]]; then
            log "  $sc: in a fresh process: restarting $s"
            stop_server
            if start_server "$s" "$rep" "-$sc"; then
                warm_server "$s" "$rep"
            else
                restart_error="$s did not start again for $sc: $START_ERROR"
                log "  $restart_error"
            fi
        fi
        ran=1
        reason=$(na_reason "$sc" "$s")
        if [[ -z $reason ]] && ! server_alive; then reason=${restart_error:-"the server exited during an earlier scenario (log: $LOGS/$s-rep$rep.log)"}; fi
        if [[ -n $reason ]]; then
            log "  $sc: n/a ($reason)"
            record "$sc" "$s" "$rep" na "$reason"
            continue
        fi
        run_scenario "$s" "$rep" "$sc"
    done
    stop_server
}

# ---- main ------------------------------------------------------------------------------------
mkdir -p "$OUT"
rm -rf "$RAW" "$LOGS" "$OUT/results.json" "$OUT/results.svg" # never leave a stale result behind a failed run
mkdir -p "$RAW" "$LOGS"
: >"$MANIFEST"

install_tools
raise_fd_limit
build_servers
write_www
write_actorhttp_config
log "build and setup: $((SECONDS - START_TIME)) s"

load_average() { cut -d' ' -f1 /proc/loadavg; }

# Other work on the machine takes CPU from the server and the load tool alike, and unevenly: say so.
warn_if_busy() {
    local load
    load=$(load_average)
    if awk -v l="$load" -v c="$(nproc)" 'BEGIN { exit !(l > c / 2) }'; then
        log "WARNING: load average $load on $(nproc) cores before measuring: other processes compete for the CPU," \
            "so the figures (ratios included) are less reliable"
    fi
}

warn_if_busy
LOAD_BEFORE=$(load_average)
log "${REPS} repetition(s), ${DURATION} s per wrk scenario, $(nproc) cores; servers: ${SERVERS[*]}"
MEASURE_START=$SECONDS
for ((rep = 1; rep <= REPS; rep++)); do
    order=("${SERVERS[@]}")
    if ((rep % 2 == 0)); then # every other repetition in reverse, so no server always runs first or last
        for ((i = 0; i < ${#SERVERS[@]}; i++)); do order[i]=${SERVERS[${#SERVERS[@]} - 1 - i]}; done
    fi
    ((${#SERVER_SCENARIOS[@]})) || break
    for s in "${order[@]}"; do bench_server "$s" "$rep"; done
done
if [[ " ${SCENARIOS[*]} " == *" cluster2 "* ]]; then
    log "cluster2: sharded /counters/{id} with stateless entities (the echo handler), one node, then two"
    cluster_scenario counters 1 "actor-http.routes.counters.entity-handler=\"ActorHttp.Handlers.EchoHandler, ActorHttp\""
fi
if [[ " ${SCENARIOS[*]} " == *" persist2 "* ]]; then
    log "persist2: durable /counters/{id} (SQLite), one node, then two"
    cluster_scenario pcounters 0 ""
fi
[[ " ${SCENARIOS[*]} " == *" ssefanout "* ]] && sse_scenario
log "measuring: $((SECONDS - MEASURE_START)) s"

python3 "$BENCH_DIR/bench_report.py" --manifest "$MANIFEST" --out "$OUT" \
    --meta "duration_s=$DURATION" "repetitions=$REPS" "warmup_s=$WARMUP_SECONDS" "cores=$(nproc)" \
    "git_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "fd_limit=$FD_LIMIT" \
    "loadavg_before=$LOAD_BEFORE" "loadavg_after=$(load_average)" "httperf_calls=$HTTPERF_CALLS" "stall_ms_per_call=$STALL_MS_PER_CALL" "idle_connections=$IDLE_CONNECTIONS" \
    "ws_idle_connections=$WS_IDLE_CONNECTIONS" "ws_connections=$WS_CONNECTIONS" "ws_message_bytes=$WS_MESSAGE_BYTES" \
    "ws_pipeline_depth=$WS_PIPELINE_DEPTH" "sse_subscribers=$SSE_SUBSCRIBERS" \
    "servers=$(IFS=,; echo "${SERVERS[*]}")" "scenarios=$(IFS=,; echo "${SCENARIOS[*]}")" \
    "dotnet=$(dotnet --version 2>/dev/null || echo unknown)" \
    "nginx=$("$NGINX" -v 2>&1 | sed 's#.*nginx/##' || echo unknown)"
log "total: $((SECONDS - START_TIME)) s"

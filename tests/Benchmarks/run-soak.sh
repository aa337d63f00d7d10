#!/usr/bin/env bash
# Soak of the ActorHttp node: a rotating mix of load for a long time, to show that memory and the number of
# actors stay level. Loopback (127.0.0.1) only. Not part of the tests: `./build.sh bench --soak`.
#
# Usage (from anywhere): tests/Benchmarks/run-soak.sh [--minutes N] [--segment SECONDS] [--no-build]
#   --minutes N        how long the load runs (default 10)
#   --segment SECONDS  each load segment's length (default 20: about three cycles of the mix in 10 minutes)
#   --no-build         use the Release binaries as they are
#
# The node runs tests/Benchmarks/bench.conf plus a per-request route, a blocking route on the blocking
# dispatcher and the actor-census route. Segments, in turn (wrk unless said):
#   plaintext (-c64), pipelined (16 per write), echo4k (4 KB POSTs), static10k, per-request (a new handler actor
#   per request), blocking (/sleep?ms=2, pool on the blocking dispatcher), close (a connection per request, -c32),
#   bad400 (a malformed target, /plaintext%zz: 400 and close on every request), conns1000 (-t2 -c1000)
# After every segment the load stops for 2 s, then the node's RSS, its live actors (/debug/actors) and the open
# connections are sampled. Verdict: memory is steady when the median RSS of the last complete cycle of the mix exceeds
# the first cycle's by at most 10% or 16 MB, whichever is larger; actors are steady when the last
# sample (after 10 s idle) has exactly the warm-up sample's count and no sample is more than 5 above it (actors
# still stopping 2 s after a segment). Exit status 1 when either is GROWING. Results: artifacts/bench/soak.tsv,
# soak.json, soak.svg; the node's log in artifacts/bench/logs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
BENCH_DIR=tests/Benchmarks
OUT=artifacts/bench
LOGS=$OUT/logs
WWW=$OUT/www
RAW=$OUT/soak-raw
HOST=127.0.0.1
PORT=18480
DLL=src/ActorHttp.Host/bin/Release/net10.0/ActorHttp.Host.dll
MINUTES=10
SEGMENT=20
BUILD=1
IDLE_PAUSE=2

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
fail_usage() { echo "error: $*" >&2; exit 2; }
while (($#)); do
    case $1 in
        --minutes) (($# >= 2)) || fail_usage "--minutes needs a value"; MINUTES=$2; shift ;;
        --minutes=*) MINUTES=${1#*=} ;;
        --segment) (($# >= 2)) || fail_usage "--segment needs a value"; SEGMENT=${2%s}; shift ;;
        --segment=*) SEGMENT=${1#*=}; SEGMENT=${SEGMENT%s} ;;
        --no-build) BUILD=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || fail_usage "--minutes must be a positive whole number: $MINUTES"
[[ $SEGMENT =~ ^[1-9][0-9]*$ ]] || fail_usage "--segment must be a positive whole number of seconds: $SEGMENT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[soak] ERROR: %s\n' "$*" >&2; exit 1; }

NODE_PID=""
TOOL_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -z $TOOL_PID ]] || kill -TERM "$TOOL_PID" 2>/dev/null || true
    if [[ -n $NODE_PID ]]; then
        kill -TERM -- "-$NODE_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$NODE_PID" 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/install-tools.sh --bench || die "could not install the benchmark tools (scripts/install-tools.sh --bench)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 2200)) || die "the open file limit $(ulimit -n) is below the 2,200 the conns1000 segment needs"
mkdir -p "$LOGS" "$WWW"
rm -rf "$RAW" "$OUT"/soak.*
mkdir -p "$RAW"
if ((BUILD)); then
    log "building the node (dotnet build -c Release src/ActorHttp.Host)"
    dotnet build -c Release -nologo src/ActorHttp.Host >"$LOGS/build-soak.log" 2>&1 || die "build failed: $LOGS/build-soak.log"
fi
[[ -f $WWW/10k.bin ]] || head -c 10240 /dev/urandom >"$WWW/10k.bin"

CONF=$OUT/soak.conf
{
    cat "$BENCH_DIR/bench.conf"
    cat <<'EOF'

# Added by run-soak.sh.
actor-http.routes {
  per-request { path = "/per-request", method = GET, handler = text, kind = per-request, text = "fresh actor" }
  sleep { path = "/sleep", method = GET, handler = sleep, delay = 2ms, kind = pool, instances = 16, dispatcher = actor-http.blocking-dispatcher }
  census { path = "/debug/actors", method = GET, handler = actor-census }
}
EOF
} >"$CONF"

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
port_busy "$PORT" && die "port $PORT on $HOST is in use"
log "starting the node on port $PORT (log: $LOGS/soak-node.log)"
setsid dotnet "$DLL" --config "$CONF" --port "$PORT" >"$LOGS/soak-node.log" 2>&1 &
NODE_PID=$!
for i in $(seq 600); do
    curl -sf -o /dev/null --max-time 2 "http://$HOST:$PORT/plaintext" && break
    kill -0 "$NODE_PID" 2>/dev/null || die "the node exited at start: $(tail -n 3 "$LOGS/soak-node.log")"
    ((i < 600)) || die "the node did not answer within 60 s"
    sleep 0.1
done

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$NODE_PID/status"; }
open_fds() { find "/proc/$NODE_PID/fd" -maxdepth 1 -type l 2>/dev/null | wc -l; }

SAMPLES=$OUT/soak.tsv
printf 't_s\tsegment\tscenario\trps\terrors\trss_kb\tactors_user\tactors_system\topen_fds\n' >"$SAMPLES"
START=$SECONDS

# sample SEGMENT SCENARIO RAWFILE: after an idle pause, one line of figures.
sample() {
    local rps=- errors=- census user system
    if [[ -f ${3:-} ]]; then
        rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$3")
        errors=$(awk '/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 } END { print e + 0 }' "$3")
    fi
    sleep "$IDLE_PAUSE"
    kill -0 "$NODE_PID" 2>/dev/null || die "the node died during segment $1 ($2): $(tail -n 3 "$LOGS/soak-node.log")"
    census=$(curl -sf --max-time 20 "http://$HOST:$PORT/debug/actors" || echo '{}')
    user=$(sed -n 's/.*"user":\([0-9]*\).*/\1/p' <<<"$census")
    system=$(sed -n 's/.*"system":\([0-9]*\).*/\1/p' <<<"$census")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $((SECONDS - START)) "$1" "$2" "${rps:--}" "$errors" "$(rss_kb)" \
        "${user:--}" "${system:--}" "$(open_fds)" >>"$SAMPLES"
    log "  $(tail -n1 "$SAMPLES" | awk -F'\t' '{ printf "%-11s %8s req/s, %s socket errors; RSS %.1f MB, actors %s + %s system, %s fds", $3, $4, $5, $6 / 1024, $7, $8, $9 }')"
}

# segment N SCENARIO: wrk for SEGMENT seconds.
segment() {
    local n=$1 sc=$2 out="$RAW/$(printf '%03d' "$1")-$2.txt" url="http://$HOST:$PORT"
    local -a args=(-t1 -c64 -d"${SEGMENT}s")
    case $sc in
        plaintext) args+=("$url/plaintext") ;;
        pipelined) args+=(-s "$BENCH_DIR/pipeline.lua" "$url/plaintext" -- 16) ;;
        echo4k) args+=(-s "$BENCH_DIR/post.lua" "$url/echo" -- 4096) ;;
        static10k) args+=("$url/static/10k.bin") ;;
        per-request) args+=("$url/per-request") ;;
        blocking) args+=("$url/sleep?ms=2") ;;
        close) args=(-t1 -c32 -d"${SEGMENT}s" -H "Connection: close" "$url/plaintext") ;;
        bad400) args=(-t1 -c32 -d"${SEGMENT}s" "$url/plaintext%zz") ;; # a bad %-escape: 400 and close
        conns1000) args=(-t2 -c1000 -d"${SEGMENT}s" "$url/plaintext") ;;
    esac
    timeout -k 5 $((SEGMENT + 30)) wrk "${args[@]}" >"$out" 2>&1 &
    TOOL_PID=$!
    wait "$TOOL_PID" || true
    TOOL_PID=""
    sample "$n" "$sc" "$out"
}

MIX=(plaintext pipelined echo4k static10k per-request blocking close bad400 conns1000)
log "warm-up: 20 s of plaintext, then the first sample (the baseline)"
timeout -k 5 50 wrk -t1 -c64 -d20s "http://$HOST:$PORT/plaintext" >"$RAW/000-warmup.txt" 2>&1 || true
sample 0 warmup "$RAW/000-warmup.txt"
log "soak: $MINUTES min of load in ${SEGMENT}-s segments, rotating through: ${MIX[*]}"
LOAD_START=$SECONDS
n=0
while ((SECONDS - LOAD_START < MINUTES * 60)); do
    segment $((n + 1)) "${MIX[n % ${#MIX[@]}]}"
    n=$((n + 1))
done
log "load done: $n segments in $((SECONDS - LOAD_START)) s; a last sample after 10 s idle"
sleep 8
sample $((n + 1)) idle ""

python3 "$BENCH_DIR/soak_report.py" --samples "$SAMPLES" --out "$OUT" --meta "minutes=$MINUTES" "segment_s=$SEGMENT" \
    "mix_length=${#MIX[@]}" "mix=$(IFS=,; echo "${MIX[*]}")" \
    "cores=$(nproc)" "git_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

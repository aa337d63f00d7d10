#!/usr/bin/env bash
# ActorHttp vs Kestrel: HTTP/1.1 plaintext throughput on this machine, loopback only.
#
# Usage (from anywhere; the script cds to the repo root itself):
#   tests/Benchmarks/run-bench.sh [--quick] [--duration SECONDS] [--reps N]
#
#   --quick          1 repetition, 5 s per scenario (a --duration given anywhere still wins)
#   --duration N     seconds per measured scenario (default 10)
#   --reps N         repetitions per server (default 2)
#
# For each repetition the servers run in turn (ActorHttp, Kestrel, ActorHttp, Kestrel, ...): each is
# started in the background on its own port, waited for (curl /plaintext, at most 60 s), warmed up
# with 3 s of wrk, measured, and stopped. Scenarios, each `wrk -t1 -c64 --latency`:
#   plaintext    keep-alive GET /plaintext
#   pipelined16  GET /plaintext, 16 requests pipelined per write (tests/Benchmarks/pipeline.lua)
# The best (max req/s) repetition per server per scenario is reported, with the ratio
# ActorHttp / Kestrel. Raw wrk output, server logs and results.json go to artifacts/bench/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)

DURATION=10
REPS=2
QUICK=0
DURATION_SET=0
REPS_SET=0

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
is_posint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

while (($#)); do
    case $1 in
        --quick) QUICK=1 ;;
        --duration)
            (($# >= 2)) || { echo "error: --duration needs a value" >&2; exit 2; }
            DURATION=${2%s}; DURATION_SET=1; shift ;;
        --duration=*) DURATION=${1#--duration=}; DURATION=${DURATION%s}; DURATION_SET=1 ;;
        --reps)
            (($# >= 2)) || { echo "error: --reps needs a value" >&2; exit 2; }
            REPS=$2; REPS_SET=1; shift ;;
        --reps=*) REPS=${1#--reps=}; REPS_SET=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if ((QUICK)); then
    ((DURATION_SET)) || DURATION=5
    ((REPS_SET)) || REPS=1
fi
is_posint "$DURATION" || { echo "error: --duration must be a positive whole number of seconds: $DURATION" >&2; exit 2; }
is_posint "$REPS" || { echo "error: --reps must be a positive whole number: $REPS" >&2; exit 2; }

# ---- fixed parameters ------------------------------------------------------------------------
THREADS=1
CONNECTIONS=64
PIPELINE_DEPTH=16
WARMUP_SECONDS=3
READY_TIMEOUT=60
HOST=127.0.0.1

SERVERS=(ActorHttp Kestrel)
declare -A PORT=([ActorHttp]=18080 [Kestrel]=15080)
declare -A PROJECT=([ActorHttp]=src/ActorHttp.Host [Kestrel]=tests/Benchmarks/Kestrel.Yardstick)
declare -A DLL=(
    [ActorHttp]=src/ActorHttp.Host/bin/Release/net10.0/ActorHttp.Host.dll
    [Kestrel]=tests/Benchmarks/Kestrel.Yardstick/bin/Release/net10.0/Kestrel.Yardstick.dll
)
declare -A EXTRA_ARGS=([ActorHttp]="--config hocon/standalone.conf" [Kestrel]="")
SCENARIOS=(plaintext pipelined16)
PIPELINE_LUA=tests/Benchmarks/pipeline.lua

OUT=artifacts/bench
RAW=$OUT/raw
LOGS=$OUT/logs
mkdir -p "$OUT"
rm -rf "$RAW" "$LOGS" "$OUT/results.json"   # never leave a stale result behind a failed run
mkdir -p "$RAW" "$LOGS"
MANIFEST=$RAW/manifest.tsv
: >"$MANIFEST"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- cleanup: whatever is still running when we leave is stopped ----------------------------
SERVER_PID=""
WRK_PID=""

stop_pid() { # pid: TERM, wait up to 10 s, then KILL
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $WRK_PID ]]; then stop_pid "$WRK_PID"; WRK_PID=""; fi
    if [[ -n $SERVER_PID ]]; then stop_pid "$SERVER_PID"; SERVER_PID=""; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- tools -----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update && apt-get install -y wrk
    else
        sudo apt-get update && sudo apt-get install -y wrk
    fi
fi
command -v wrk >/dev/null 2>&1 || die "wrk is not installed and could not be installed"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (parses wrk output, writes results.json)"
command -v dotnet >/dev/null 2>&1 || die "dotnet is required"
[[ -f $PIPELINE_LUA ]] || die "missing $PIPELINE_LUA"

# ---- build -----------------------------------------------------------------------------------
for s in "${SERVERS[@]}"; do
    blog=$LOGS/build-$s.log
    log "building $s (dotnet build -c Release ${PROJECT[$s]}; log: $blog)"
    if ! dotnet build -c Release "${PROJECT[$s]}" >"$blog" 2>&1; then
        tail -n 30 "$blog" >&2 || true
        die "build of $s (${PROJECT[$s]}) failed; full log: $blog"
    fi
    [[ -f ${DLL[$s]} ]] || die "build of $s succeeded but ${DLL[$s]} does not exist"
done

# ---- server lifecycle ------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

start_server() { # name rep
    local s=$1 rep=$2 port=${PORT[$1]} slog="$LOGS/$1-rep$2.log" body rc t0 deadline
    port_in_use "$port" && die "port $port (for $s) is already in use by another process; free it and retry"
    log "starting $s on port $port (log: $slog)"
    # shellcheck disable=SC2086  # EXTRA_ARGS is deliberately word-split
    dotnet "${DLL[$s]}" ${EXTRA_ARGS[$s]} --port "$port" >"$slog" 2>&1 &
    SERVER_PID=$!
    t0=$(date +%s%N)
    deadline=$((SECONDS + READY_TIMEOUT))
    until curl -sf -o /dev/null --max-time 2 "http://$HOST:$port/plaintext"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
            SERVER_PID=""
            tail -n 30 "$slog" >&2 || true
            die "$s exited (status $rc) before serving /plaintext; log: $slog"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 30 "$slog" >&2 || true
            die "$s did not answer GET http://$HOST:$port/plaintext within ${READY_TIMEOUT}s; log: $slog"
        fi
        sleep 0.1
    done
    log "$s ready after $((($(date +%s%N) - t0) / 1000000)) ms"
    body=$(curl -sf --max-time 2 "http://$HOST:$port/plaintext" || true)
    [[ $body == "Hello, World!" ]] \
        || log "WARNING: $s /plaintext body is '${body}', not 'Hello, World!': the comparison is not like for like"
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "WARNING: the server (pid $SERVER_PID) had already exited before it was stopped; see $LOGS"
    fi
    stop_pid "$SERVER_PID"
    SERVER_PID=""
}

run_wrk() { # outfile wrk-args...: runs wrk in the background so a signal can stop it too
    local out=$1 rc=0
    shift
    wrk "$@" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    if ((rc != 0)); then
        echo "wrk exited with status $rc" >>"$out"
        log "WARNING: wrk exited with status $rc (output: $out)"
    fi
}

run_scenario() { # server rep scenario
    local s=$1 rep=$2 sc=$3 url="http://$HOST:${PORT[$1]}/plaintext" out="$RAW/$3-$1-rep$2.txt"
    local -a args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency)
    case $sc in
        plaintext) ;;
        pipelined16) args+=(-s "$PIPELINE_LUA") ;;
        *) die "unknown scenario $sc" ;;
    esac
    args+=("$url")
    [[ $sc == pipelined16 ]] && args+=(-- "$PIPELINE_DEPTH")
    log "  $sc: wrk ${args[*]}"
    run_wrk "$out" "${args[@]}"
    printf '%s\t%s\t%s\t%s\n' "$sc" "$s" "$rep" "$out" >>"$MANIFEST"
    grep -E '^Requests/sec:' "$out" | sed "s/^/[bench]     /" || log "    (no Requests/sec line; see $out)"
}

# ---- measure ---------------------------------------------------------------------------------
log "duration ${DURATION}s, ${REPS} repetition(s), wrk -t$THREADS -c$CONNECTIONS, pipeline depth $PIPELINE_DEPTH, $(nproc) cores"
for ((rep = 1; rep <= REPS; rep++)); do
    for s in "${SERVERS[@]}"; do
        log "repetition $rep/$REPS: $s"
        start_server "$s" "$rep"
        log "  warm-up: ${WARMUP_SECONDS}s"
        run_wrk "$RAW/warmup-$s-rep$rep.txt" -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP_SECONDS}s" \
            "http://$HOST:${PORT[$s]}/plaintext"
        for sc in "${SCENARIOS[@]}"; do
            run_scenario "$s" "$rep" "$sc"
        done
        stop_server
    done
done

# ---- report ----------------------------------------------------------------------------------
GIT_COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
python3 - "$MANIFEST" "$OUT/results.json" "$DURATION" "$REPS" "$THREADS" "$CONNECTIONS" "$PIPELINE_DEPTH" \
    "$GIT_COMMIT" "$(nproc)" <<'PY'
import datetime, json, re, sys

manifest, out_json, duration, reps, threads, conns, depth, commit, cores = sys.argv[1:10]
SERVERS = ["ActorHttp", "Kestrel"]
SCENARIOS = ["plaintext", "pipelined16"]
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}

def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else None

def parse(path):
    txt = open(path, encoding="utf-8", errors="replace").read()
    r = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None,
         "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}, "non_2xx_3xx": 0}
    if m := re.search(r"^Requests/sec:\s+([\d.]+)", txt, re.M):
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", txt, re.M):
            r[key] = to_ms(m.group(1))
    if m := re.search(r"^\s+(\d+) requests in", txt, re.M):
        r["requests"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", txt):
        r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", txt):
        r["non_2xx_3xx"] = int(m.group(1))
    r["errors"] = sum(r["socket_errors"].values()) + r["non_2xx_3xx"]
    r["ok"] = r["rps"] is not None
    return r

runs = []
for line in open(manifest, encoding="utf-8"):
    if not line.strip():
        continue
    sc, srv, rep, path = line.rstrip("\n").split("\t")
    runs.append({"scenario": sc, "server": srv, "rep": int(rep), "raw": path, **parse(path)})

scenarios = {}
for sc in SCENARIOS:
    entry = {}
    for srv in SERVERS:
        cands = [r for r in runs if r["scenario"] == sc and r["server"] == srv and r["ok"]]
        entry[srv] = max(cands, key=lambda r: r["rps"]) if cands else None
    a, k = entry.get("ActorHttp"), entry.get("Kestrel")
    entry["ratio_actorhttp_over_kestrel"] = (
        round(a["rps"] / k["rps"], 4) if a and k and k["rps"] else None)
    scenarios[sc] = entry

def fmt_lat(ms):
    if ms is None: return "-"
    if ms < 1: return f"{ms * 1000:.0f}us"
    if ms < 1000: return f"{ms:.2f}ms"
    return f"{ms / 1000:.2f}s"

rows = [("scenario", "server", "req/s", "p50", "p99", "errors")]
for sc in SCENARIOS:
    for srv in SERVERS:
        b = scenarios[sc][srv]
        rows.append((sc, srv, f"{b['rps']:,.0f}", fmt_lat(b["p50_ms"]), fmt_lat(b["p99_ms"]), str(b["errors"]))
                    if b else (sc, srv, "FAILED", "-", "-", "-"))
widths = [max(len(r[i]) for r in rows) for i in range(6)]
print()
print(f"Best of {reps} repetition(s), {duration}s each, wrk -t{threads} -c{conns}, {cores} cores, 127.0.0.1")
for i, row in enumerate(rows):
    print(" | ".join(c.rjust(w) if j >= 2 else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths))))
    if i == 0:
        print("-+-".join("-" * w for w in widths))
print()
for sc in SCENARIOS:
    ratio = scenarios[sc]["ratio_actorhttp_over_kestrel"]
    print(f"{sc}: ActorHttp / Kestrel = {ratio:.2f}" if ratio is not None else f"{sc}: ActorHttp / Kestrel = n/a")

result = {
    "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "git_commit": commit,
    "config": {"duration_s": int(duration), "repetitions": int(reps), "threads": int(threads),
               "connections": int(conns), "pipeline_depth": int(depth), "cores": int(cores),
               "host": "127.0.0.1", "selection": "max req/s over repetitions"},
    "scenarios": scenarios,
    "runs": runs,
}
with open(out_json, "w", encoding="utf-8") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
print(f"\nresults: {out_json}")
failed = [f"{r['scenario']}/{r['server']}/rep{r['rep']}" for r in runs if not r["ok"]]
if failed:
    print("WARNING: wrk runs without a result: " + ", ".join(failed), file=sys.stderr)
PY

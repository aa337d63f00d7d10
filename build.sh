#!/usr/bin/env bash
# ActorHttp build helper.  Usage: ./build.sh <build|test|run|bench> [args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

SLN=ActorHttp.sln
RESULTS_DIR=artifacts/test-results

usage() {
  cat <<'USAGE'
Usage: ./build.sh <command> [args...]

Commands:
  build            dotnet build ActorHttp.sln -c Release
  test [args...]   install test tools, build Release, run all tests (args go to
                   dotnet test, e.g. --filter Category=Parser); prints
                   "N passed, N failed[, N skipped]" as the last line
  run [args...]    run the standalone node (src/ActorHttp.Host) with
                   hocon/standalone.conf; args are passed to the node
  bench [args...]  benchmark ActorHttp against Kestrel, nginx, the transport ceiling and
                   Kestrel+Ask (tests/Benchmarks/run-bench.sh):
                   installs wrk, httperf and nginx, builds Release, prints a table, writes
                   artifacts/bench/results.json and results.svg; --quick for a short run,
                   --micro for the BenchmarkDotNet micro-benchmarks, --soak for the 10-minute
                   soak (memory and actor count), --help for the rest
USAGE
}

do_build() {
  dotnet build "$SLN" -c Release -nologo -v q
}

# Sum the <Counters .../> elements of every .trx under $RESULTS_DIR and print
# "N passed, N failed[, N skipped]".  Prints nothing and returns 1 when there
# is no .trx file at all.
summarize_trx() {
  local dir="$1" f counters total passed failed skipped
  local t=0 p=0 fl=0 found=0
  attr() { # attr NAME COUNTERS -> numeric value or 0
    local v
    v=$(sed -n "s/.*[[:space:]]$1=\"\([0-9][0-9]*\)\".*/\1/p" <<<"$2")
    echo "${v:-0}"
  }
  while IFS= read -r -d '' f; do
    # Element may in theory span lines: flatten before matching.
    counters=$(tr '\r\n' '  ' <"$f" | grep -o '<Counters[[:space:]][^>]*>' | head -n1 || true)
    [ -n "$counters" ] || continue
    found=1
    total=$(attr total "$counters")
    passed=$(attr passed "$counters")
    # error/timeout/aborted outcomes are failures too.
    failed=$(( $(attr failed "$counters") + $(attr error "$counters") \
             + $(attr timeout "$counters") + $(attr aborted "$counters") ))
    t=$((t + total)); p=$((p + passed)); fl=$((fl + failed))
  done < <(find "$dir" -type f -name '*.trx' -print0 2>/dev/null)
  [ "$found" -eq 1 ] || return 1
  skipped=$((t - p - fl)); [ "$skipped" -ge 0 ] || skipped=0
  if [ "$skipped" -gt 0 ]; then
    echo "$p passed, $fl failed, $skipped skipped"
  else
    echo "$p passed, $fl failed"
  fi
}

do_test() {
  rm -rf "$RESULTS_DIR"
  mkdir -p "$RESULTS_DIR"

  if ! scripts/install-tools.sh; then
    echo "build.sh: tool installation failed" >&2
    echo "0 passed, 1 failed"
    return 1
  fi
  if ! do_build; then
    echo "build.sh: build failed" >&2
    echo "0 passed, 1 failed"
    return 1
  fi

  # The abuse tests hold over a thousand sockets in the test process (the 10,000-connection test runs its server and
  # client as child processes, which raise their own soft limit): lift the soft limit on open files to the hard one.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

  # -m:1 runs the test assemblies one after the other: on a small machine, running the core tests beside the
  # cluster tests (several actor systems and node processes) only makes both slower and their timings flaky.
  local rc=0
  dotnet test "$SLN" -c Release --no-build -m:1 \
    --logger trx \
    --logger "console;verbosity=normal" \
    --results-directory "$RESULTS_DIR" \
    --blame-hang-timeout 5m \
    "$@" || rc=$?

  local summary
  if summary=$(summarize_trx "$RESULTS_DIR"); then
    # dotnet test failed (host crash, hang abort, bad args) yet no failed test
    # recorded: count it as one failure so the totals agree with the exit code.
    if [ "$rc" -ne 0 ] && [[ "$summary" =~ ^([0-9]+)\ passed,\ 0\ failed(.*)$ ]]; then
      echo "build.sh: dotnet test exited with code $rc but recorded no failed test; counting 1 failure" >&2
      summary="${BASH_REMATCH[1]} passed, 1 failed${BASH_REMATCH[2]}"
    fi
  elif [ "$rc" -ne 0 ]; then
    echo "build.sh: dotnet test exited with code $rc and produced no .trx" >&2
    summary="0 passed, 1 failed"
  else
    summary="0 passed, 0 failed"
  fi

  # Name the failed tests right above the totals: the tail of a CI log is often all that is kept.
  if [[ ! "$summary" =~ ,\ 0\ failed ]] && command -v python3 >/dev/null 2>&1; then
    python3 scripts/failed-tests.py "$RESULTS_DIR" || true
  fi

  if [ "$rc" -eq 0 ] && [[ ! "$summary" =~ ,\ 0\ failed ]]; then
    rc=1
  fi
  echo "$summary"
  return "$rc"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift

case "$cmd" in
  build)
    do_build
    ;;
  test)
    rc=0; do_test "$@" || rc=$?
    exit "$rc"
    ;;
  run)
    exec dotnet run --project src/ActorHttp.Host -c Release -- --config hocon/standalone.conf "$@"
    ;;
  bench)
    if [ -f tests/Benchmarks/run-bench.sh ]; then
      exec bash tests/Benchmarks/run-bench.sh "$@"
    fi
    echo "build.sh: benchmark not there yet (tests/Benchmarks/run-bench.sh is missing)" >&2
    exit 1
    ;;
  ""|-h|--help|help)
    usage
    ;;
  *)
    echo "build.sh: unknown command '$cmd'" >&2
    usage >&2
    exit 2
    ;;
esac

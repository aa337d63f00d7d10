#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks, on 127.0.0.1 only, with its data in a directory of its own.
#
#   scripts/postgres.sh start DIR PORT   initdb DIR (first time), start the server on 127.0.0.1:PORT, create the database
#                                        actorhttp; prints the Npgsql connection string
#   scripts/postgres.sh stop DIR         stop the server (fast shutdown) and leave DIR to the caller
#
# Uses Debian's postgresql package (scripts/install-tools.sh installs it). PostgreSQL refuses to run as root: as root,
# the server runs as the postgres user, which then owns DIR (DIR's parent must let it in: not a mktemp -d directory).
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  die "PostgreSQL is not installed (scripts/install-tools.sh installs Debian's postgresql package)"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: postgres.sh start DIR PORT | stop DIR"
BIN="$(bindir)"

case "$cmd" in
  start)
    port="${3:-}"
    [[ "$port" =~ ^[0-9]+$ ]] || die "usage: postgres.sh start DIR PORT (PORT a number)"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$BIN/initdb" -D "$dir" -U actorhttp --auth=trust -E UTF8 >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; die "initdb failed"; }
    fi
    # Durable by default (fsync on); a unix socket in DIR so that nothing outside it is touched.
    as_owner "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null \
      || { tail -n 20 "$dir/server.log" >&2; die "the server did not start"; }
    as_owner "$BIN/psql" -h 127.0.0.1 -p "$port" -U actorhttp -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'actorhttp'" | grep -q 1 \
      || as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U actorhttp actorhttp
    echo "Host=127.0.0.1;Port=$port;Database=actorhttp;Username=actorhttp"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] || exit 0
    as_owner "$BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
    ;;
  *) die "usage: postgres.sh start DIR PORT | stop DIR" ;;
esac

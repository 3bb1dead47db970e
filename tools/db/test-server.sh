#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests.
#   tools/db/test-server.sh start [--fsync=on|off]
#       → prints DATABASE_URL=postgres://…, OFFTAP_PG_DIR=… and
#         `export OFFTAP_DATA_KEY_FILE=…` (a fresh 0600 data key, docs/CLEARING.md
#         "Secrets at rest"); the data dir on stderr
#   tools/db/test-server.sh stop DIR
# initdb into a temporary directory, trust auth, 127.0.0.1 on a free port. The server runs as
# the `postgres` OS user when started as root (PostgreSQL refuses to run as root).
# fsync is on by default: offtap refuses a server with fsync=off (docs/CLEARING.md
# "Durability"), so the tests run against the configuration production needs. --fsync=off
# starts the unsafe server the refusal test and the durability bench need.
set -euo pipefail

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/initdb" ]] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "tools/db/test-server.sh: PostgreSQL binaries not found (apt-get install postgresql)" >&2
  exit 2
}

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start() {
  local bin dir port fsync=on
  case "${1:-}" in
    "" | --fsync=on) ;;
    --fsync=off) fsync=off ;;
    *) echo "tools/db/test-server.sh: unknown option ${1} (use --fsync=on|off)" >&2; exit 2 ;;
  esac
  bin="$(find_bin)"
  dir="$(mktemp -d /tmp/offtap-pg.XXXXXX)"
  [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
    >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port="$(free_port)"
  local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
  opts+=" -c fsync=$fsync -c max_connections=100"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$opts" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres offtap_test
  echo "$dir" >&2
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$port/offtap_test"
  echo "OFFTAP_PG_DIR=$dir"
  (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/data.key"; echo >>"$dir/data.key")
  echo "export OFFTAP_DATA_KEY_FILE=$dir/data.key"
}

stop() {
  local dir="${1:?usage: test-server.sh stop DIR}" bin
  bin="$(find_bin)"
  [[ -d "$dir/data" ]] \
    && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start [--fsync=on|off] | stop DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Treeherder's own clients against treeherd: makes a throwaway virtualenv, installs the
# pinned `treeherder-client` and `lumberjackth` from PyPI into it, starts `treeherd serve
# --demo` on a free port with a fresh SQLite file, and runs clients.py, which drives every
# public read method of thclient.TreeherderClient and every `lj` subcommand whose data
# treeherd has (with --json), checking each answer against GraphQL. Then parquet_check.py reads
# the demo's `treeherd export --format parquet` with pyarrow, row by row against the NDJSON
# export. Says what it ran.
#
#   api/tests/clients/run.sh     (CARGO_TARGET_DIR and TREEHERD_BIN are honoured)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
say() { printf '== %s\n' "$*" >&2; }

THCLIENT=treeherder-client==5.0.0
LUMBERJACK=lumberjackth==1.4.0
# What a warehouse loads `treeherd export --format parquet` with.
PYARROW=pyarrow==17.0.0

bin="${TREEHERD_BIN:-}"
if [ -z "$bin" ]; then
  say "cargo build --bin treeherd"
  (cd "$root" && cargo build --quiet --bin treeherd)
  bin="$target/debug/treeherd"
fi

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What a fresh machine may lack: Python's venv module (Debian's python3-venv).
if ! python3 -m venv "$work/venv" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$work/venv"
    python3 -m venv "$work/venv"
  else
    echo "python3 -m venv fails: install python3-venv" >&2
    exit 2
  fi
fi
say "pip install $THCLIENT $LUMBERJACK $PYARROW (a throwaway virtualenv)"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$THCLIENT" "$LUMBERJACK" "$PYARROW"

secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
database="sqlite://$work/clients.db"
say "starting treeherd serve --demo on a free port"
TREEHERD_JWT_SECRET="$secret" TREEHERD_LOG="${TREEHERD_LOG:-info}" \
  "$bin" serve --database "$database" --bind 127.0.0.1:0 --workers 2 --demo >"$work/server.log" 2>&1 &
server=$!
port=""
for _ in $(seq 1 600); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "treeherd serve exited:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  port="$(sed -n 's/.*serving on http:\/\/127\.0\.0\.1:\([0-9]*\)\/graphql.*/\1/p' "$work/server.log" | head -n 1)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "treeherd did not report its port:" >&2; cat "$work/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  "$work/venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "$url/readyz" 2>/dev/null && break
  sleep 0.1
done

say "running clients.py against $url"
status=0
LJ="$work/venv/bin/lj" TREEHERD_BIN="$bin" TREEHERD_DATABASE_URL="$database" TREEHERD_JWT_SECRET="$secret" \
  NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" \
  timeout 600 "$work/venv/bin/python" "$here/clients.py" "$url" || status=$?
say "ran: $THCLIENT (TreeherderClient's read methods) and $LUMBERJACK (lj --json subcommands) against treeherd serve --demo"
say "treeherd export --format parquet of the demo, read by $PYARROW beside the NDJSON export"
"$work/venv/bin/python" "$here/parquet_check.py" "$bin" "$database" "$work" || status=$?
# Nothing may reach the server's log as a 500 (an internal failure or a 5xx answer is
# logged as an ERROR).
if grep -E ' ERROR ' "$work/server.log" >&2; then
  say "the server logged an error"
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "failed ($status); the server's log ends with:"
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"

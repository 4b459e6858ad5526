#!/usr/bin/env bash
# Runs the UI's end-to-end tests against a real server: builds `treeherd`, serves it on a
# free port with a fresh SQLite database filled with demo data (`serve --demo`) and a known
# token secret, waits for /readyz, runs every *.test.mjs in Debian's chromium, stops the server,
# and exits with the tests' status. With `bench`, the same with a release build, no demo
# data and bench.mjs (its options follow).
#
#   ui/tests/run.sh            (CARGO_TARGET_DIR, CHROMIUM, TREEHERD_UI_SCREENSHOTS are honoured)
#   ui/tests/run.sh bench [--minutes 30] [--runs 5] [--rate 10]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

say() { printf '== %s\n' "$*" >&2; }

script=e2e.test.mjs
profile=debug
if [ "${1:-}" = bench ]; then
  shift
  script=bench.mjs
  profile=release
fi

# What a fresh machine may lack: the browser (Debian's package) and playwright-core.
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "no browser at $chromium: install Debian's chromium (apt-get install chromium) or set CHROMIUM" >&2
    exit 2
  fi
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  say "npm ci"
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

say "cargo build --bin treeherd ($profile)"
if [ "$profile" = release ]; then
  (cd "$root" && cargo build --quiet --release --bin treeherd)
else
  (cd "$root" && cargo build --quiet --bin treeherd)
fi
bin="$target/$profile/treeherd"

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

secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
# The tests run against demo data (and make their own beside it); the bench makes only its own.
demo=(--demo)
[ "$script" = bench.mjs ] && demo=()
say "starting treeherd serve ${demo[*]} on a free port"
TREEHERD_JWT_SECRET="$secret" TREEHERD_LOG="${TREEHERD_LOG:-info}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" \
  "$bin" serve --database "sqlite://$work/ui.db" --bind 127.0.0.1:0 --workers 2 "${demo[@]}" >"$work/server.log" 2>&1 &
server=$!

# The port it got is in its start-up line; then wait until the database answers.
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
if [ -z "$port" ]; then
  echo "treeherd did not report its port within 60 s:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
url="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 300); do
  if node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$url/readyz"; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "$url/readyz did not answer within 30 s:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

token="$("$bin" token issue --subject ui --scope admin --jwt-secret "$secret")"
say "running against $url"
status=0
if [ "$script" = bench.mjs ]; then
  (cd "$here" && TREEHERD_TOKEN="$token" CHROMIUM="$chromium" node bench.mjs "$url" "$@") || status=$?
else
  # Every *.test.mjs file, one after another against the same server; any failure fails the run.
  for file in "$here"/*.test.mjs; do
    say "running $(basename "$file")"
    # The binary, the secret and the database too: sheriffing.test.mjs issues its sheriff
    # tokens and imports bugs of its own with the CLI, as an operator does.
    (cd "$here" && TREEHERD_TOKEN="$token" TREEHERD_BIN="$bin" TREEHERD_JWT_SECRET="$secret" \
      TREEHERD_DATABASE_URL="sqlite://$work/ui.db" CHROMIUM="$chromium" \
      timeout 600 node "$(basename "$file")" "$url") || status=$?
  done
fi
if [ "$status" -ne 0 ]; then
  say "tests failed ($status); the server's log ends with:"
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"

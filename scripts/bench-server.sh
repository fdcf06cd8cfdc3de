#!/usr/bin/env bash
# Server throughput for feed polls on loopback (release build): `portraits serve` beside nginx
# serving the same feed file, measured with wrk in the same run. Needs wrk and nginx
# (apt-get install wrk nginx-light). Prints a Markdown table for BENCHMARKS.md.
#   scripts/bench-server.sh      # DURATION=10s CONNECTIONS=32 by default
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
cargo build --release --locked --quiet --bin portraits
bin=$PWD/target/release/portraits
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

$bin --db "$work/uil.sqlite3" list >/dev/null
$bin --db "$work/uil.sqlite3" serve --addr 127.0.0.1:18787 --public-url http://127.0.0.1:18787 2>"$work/serve.log" &
pids+=($!)
$bin --db "$work/uil.sqlite3" feed export "$work/site" --public-url http://127.0.0.1:18787 >/dev/null
gzip -k -9 "$work/site/v1/feed.json"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/feed+json json; }
  server {
    listen 127.0.0.1:18788;
    root $work/site;
    etag on;
    gzip_static on;
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
pids+=($(cat "$work/nginx.pid"))
sleep 1

ours=http://127.0.0.1:18787/v1/feed.json
theirs=http://127.0.0.1:18788/v1/feed.json
etag_ours=$(curl -sI "$ours" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
etag_theirs=$(curl -sI "$theirs" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
size=$(stat -c %s "$work/site/v1/feed.json")
gz=$(stat -c %s "$work/site/v1/feed.json.gz")
echo "feed: $(python3 -c "import json;print(len(json.load(open('$work/site/v1/feed.json'))['items']))") items, $size bytes, $gz gzipped; wrk -t2 -c$CONNECTIONS -d$DURATION on the same 2 cores"
echo
echo "| server | request | requests/s | latency p50 | latency p99 |"
echo "|---|---|---:|---:|---:|"
run() { # name url header...
  local name=$1 what=$2 url=$3; shift 3
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  echo "| $name | $what | $rps | $p50 | $p99 |"
}
run "portraits serve" "conditional poll (304)" "$ours" -H "If-None-Match: $etag_ours"
run "nginx 1.22 (static file)" "conditional poll (304)" "$theirs" -H "If-None-Match: $etag_theirs"
run "portraits serve" "full feed, gzip (200)" "$ours" -H "Accept-Encoding: gzip"
run "nginx 1.22 (static file)" "full feed, gzip_static (200)" "$theirs" -H "Accept-Encoding: gzip"

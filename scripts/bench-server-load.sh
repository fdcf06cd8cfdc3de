#!/usr/bin/env bash
# The server under load (release build): `portraits serve` with default limits on a database of
# 3,000 synthetic cities + the seed; whoami latency (staff token) with no load, while 32 clients
# poll /v1/changes, and while 600 / 1,100 slowloris sockets trickle headers; how long slowloris
# sockets are held before they are cut. Bounded (about 3 minutes), stops by itself, 127.0.0.1
# only. Prints a Markdown table for BENCHMARKS.md ("Server under load").
#   scripts/bench-server-load.sh    # LOAD_CITIES=3000 LOAD_POLLERS=32 LOAD_SAMPLES=400 LOAD_SLOW=600 LOAD_SLOW_OVER=1100
set -euo pipefail
cd "$(dirname "$0")/.."
# Each slowloris round holds up to 2 × LOAD_SLOW sockets on each side of the loopback.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec cargo bench --locked --bench server_load

#!/usr/bin/env bash
# Runs the app on the bundled catalogue. Until the desktop window lands, the app is the
# `portraits` command line: with no arguments it lists the cities; any arguments are passed on
# (`./run.sh show dk-sonderborg`, `./run.sh search "lifelong learn*"`).
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --locked --bin portraits
if [ $# -eq 0 ]; then set -- list; fi
exec ./target/release/portraits "$@"

#!/usr/bin/env bash
# Desktop benchmarks (release build) under Xvfb through WebDriver: cold start to the first
# painted list with the bundled catalogue and with 5,000 synthetic portraits, search-as-you-type
# latency, memory after browsing every city. Needs what the e2e test needs (tauri-driver,
# webkit2gtk-driver, xvfb).  RUNS=5 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd ui && npm run --silent build >/dev/null)
cargo build --release --locked --quiet -p portraits-desktop -p portraits --bins
cargo build --release --locked --quiet -p portraits --example gen_synth
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=target/release/portraits
$bin --db "$work/bundled.sqlite3" list >/dev/null
cp "$work/bundled.sqlite3" "$work/big.sqlite3"
target/release/examples/gen_synth 5000 "$work/synth" >/dev/null
$bin --db "$work/big.sqlite3" import "$work/synth" >/dev/null
export PATH="$HOME/.cargo/bin:$PATH" PORTRAITS_CREDENTIALS="$work/creds.json"
xvfb-run -a -s "-screen 0 1440x900x24" node ui/bench/desktop.mjs "$PWD/target/release/portraits-desktop" "$work/bundled.sqlite3" "$work/big.sqlite3"

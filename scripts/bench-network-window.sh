#!/usr/bin/env bash
# The window at the network's size (issue 14, point 4), release build under Xvfb through
# WebDriver: cold start to the first painted list, the map's first paint and search as you type,
# with the 44 bundled portraits, a 425-member network and 10,000 portraits (examples/gen_synth
# --network). Needs what the e2e test needs (tauri-driver, webkit2gtk-driver, xvfb).
#   scripts/bench-network-window.sh      # RUNS=5
set -euo pipefail
cd "$(dirname "$0")/.."
(cd ui && npm run --silent build >/dev/null)
cargo build --release --locked --quiet -p portraits-desktop -p portraits --bins
cargo build --release --locked --quiet -p portraits --example gen_synth
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=target/release/portraits
args=()
for n in 44 425 10000; do
  db=$work/net-$n.sqlite3
  $bin --db "$db" list >/dev/null
  if [ "$n" -gt 44 ]; then
    rm -rf "$work/net"
    target/release/examples/gen_synth --network "$((n - 44))" "$work/net" >/dev/null
    $bin --db "$db" import "$work/net" >/dev/null
  fi
  args+=("$n=$db")
done
export PATH="$HOME/.cargo/bin:$PATH" PORTRAITS_CREDENTIALS="$work/creds.json"
xvfb-run -a -s "-screen 0 1440x900x24" node ui/bench/network.mjs "$PWD/target/release/portraits-desktop" "${args[@]}"

#!/usr/bin/env bash
# Runs the app: the desktop window on the bundled catalogue (offline; the database is created in
# the OS data directory and seeded on first use). On a fresh Debian machine it first installs
# what it needs (the WebKitGTK and GTK development packages) and builds the UI and the app.
#   ./run.sh                      # the window
#   ./run.sh --db PATH            # the window on another catalogue file
#   ./run.sh cli list             # the `portraits` command line instead
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${1:-}" = cli ]; then
  shift
  cargo build --release --locked --bin portraits
  exec ./target/release/portraits "$@"
fi

need=()
pkg-config --exists webkit2gtk-4.1 javascriptcoregtk-4.1 libsoup-3.0 2>/dev/null \
  || need+=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev libssl-dev pkg-config build-essential)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if [ ! -d ui/node_modules ]; then (cd ui && npm ci --no-audit --no-fund); fi
(cd ui && npm run build --silent)
cargo build --release --locked -p portraits-desktop
exec ./target/release/portraits-desktop "$@"

#!/usr/bin/env bash
# Proves the Debian package builds and holds what it should: builds the UI and the release
# bundle with the Tauri CLI, then checks the .deb's metadata and contents with dpkg-deb.
# Slow (a release build; the Tauri CLI itself takes ~16 minutes to install once), so it is not
# part of ./test.sh; run it before a release.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-tauri >/dev/null 2>&1 || cargo install tauri-cli --version "^2" --locked
(cd ui && npm ci --no-audit --no-fund --silent && npm run --silent build)
rm -rf target/release/bundle/deb
TAURI_APP_PATH=src-tauri cargo tauri build --bundles deb
deb=$(ls target/release/bundle/deb/*.deb | head -1)
echo "built $deb ($(stat -c %s "$deb") bytes)"
info=$(dpkg-deb --info "$deb")
contents=$(dpkg-deb --contents "$deb")
fail() { echo "test-deb: $*" >&2; exit 1; }
grep -q "Package: learning-city-portraits" <<<"$info" || fail "package name"
grep -q "Depends:.*libwebkit2gtk-4.1-0" <<<"$info" || fail "WebKitGTK dependency"
grep -q "usr/bin/portraits-desktop" <<<"$contents" || fail "the binary is not in the package"
grep -q "usr/share/applications/.*\.desktop" <<<"$contents" || fail "no .desktop file"
grep -q "usr/share/icons/hicolor/.*portraits-desktop.png" <<<"$contents" || fail "no icon"
# The packaged binary runs: it opens a catalogue and exits on a bad argument with its message.
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
dpkg-deb -x "$deb" "$dir"
out=$("$dir/usr/bin/portraits-desktop" --db 2>&1 || true)
grep -q -- "--db needs a path" <<<"$out" || fail "the packaged binary did not run: $out"
echo "test-deb: ok"

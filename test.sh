#!/usr/bin/env bash
# Runs every test: formatting and lints; the core's unit and integration tests (real SQLite
# files, the real CLI, the real server on 127.0.0.1, PDFs checked with poppler); the UI's unit
# tests (Vitest) and type check; the UI in a real browser (Chromium, fake host); and the real
# desktop window driven through WebDriver under Xvfb. This is the README's test command;
# .ci/run installs what it needs and calls it.
set -euo pipefail
cd "$(dirname "$0")"
step() { echo; echo "== $*"; }

step "UI: install, unit tests, type check, build"
(cd ui && npm ci --no-audit --no-fund --silent && npm run --silent check && npm test --silent && npm run --silent build -- --logLevel warn)

step "Python tools: the PDF/UA-1 checker the booklet tests run (page-validation, from PyPI)"
py=target/pyenv/bin/python
[ -x "$py" ] || python3 -m venv target/pyenv
"$py" -c 'import page' 2>/dev/null || "$py" -m pip install --quiet --disable-pip-version-check page-validation==0.11.0
export PORTRAITS_PYTHON="$PWD/$py"

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test (core, CLI, server, sync, booklets, bindings)"
cargo test --workspace --locked
step "tokens in a real OS keyring (GNOME Keyring in a private D-Bus session)"
# --workspace: the same feature set as the build above, so nothing is rebuilt.
scripts/with-keyring.sh cargo test --workspace --locked --test keyring
step "build the desktop app and the CLI"
cargo build --locked -p portraits-desktop -p portraits

step "UI in a real browser (Chromium, fake host)"
(cd ui && node --test tests/browser*.test.mjs)

step "the desktop window through WebDriver under Xvfb"
(cd ui && xvfb-run -a -s "-screen 0 1440x900x24" node --test tests/desktop.test.mjs)

echo; echo "== all tests passed"

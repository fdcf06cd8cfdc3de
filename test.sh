#!/usr/bin/env bash
# Runs every test: formatting, lints, and the test suite (unit, integration against real
# SQLite files and the real CLI binary). This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")"
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== all tests passed"

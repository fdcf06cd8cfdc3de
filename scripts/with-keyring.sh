#!/usr/bin/env bash
# Runs a command with an unlocked GNOME Keyring (the Secret Service) in a private D-Bus session,
# so the keyring path of token storage is tested against a real keyring. The keyring's files
# live in a temporary directory: the user's own keyring is never touched.
#   scripts/with-keyring.sh cargo test --test keyring
set -euo pipefail
if [ -z "${PORTRAITS_IN_KEYRING_SESSION:-}" ]; then
  export PORTRAITS_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
data=$(mktemp -d)
trap 'kill "${GNOME_KEYRING_PID:-}" 2>/dev/null || true; rm -rf "$data"' EXIT
# --unlock reads the password on stdin and creates the login keyring when there is none.
eval "$(printf 'portraits-test' | XDG_DATA_HOME="$data" gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL GNOME_KEYRING_PID PORTRAITS_TEST_KEYRING=1
"$@"

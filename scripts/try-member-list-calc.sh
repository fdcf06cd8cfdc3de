#!/usr/bin/env bash
# A manual check of issue 14's "done when", as a new user would do it, in the real window
# (release build, Xvfb, WebDriver): the app's template is filled with ten cities in LibreOffice
# Calc (through UNO) and saved by Calc as XLSX; staff preview it in Settings, send it for review,
# accept the batch in Submissions, invite the ten focal points; a coordinator's laptop syncs with
# one invitation's token and lists the ten. Screenshots go to $SHOTS (default /tmp/shots).
# Needs libreoffice-calc-nogui and python3-uno (Debian), and what the e2e test needs. Not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd ui && npm run --silent build >/dev/null)
cargo build --release --locked --quiet -p portraits-desktop -p portraits --bins
work=/tmp/try-member-list
rm -rf "$work" && mkdir -p "$work"
target/release/portraits --db "$work/scratch.sqlite3" import-table --template "$work/template.xlsx"
/usr/bin/python3 scripts/calc_fill_member_list.py "$work/template.xlsx" "$work/ten-from-calc.xlsx"
# The window's file dialog is answered by PORTRAITS_DIALOG_DIR/member-list.csv: the workbook is
# put there under that name, and is read as the workbook its bytes are.
cp "$work/ten-from-calc.xlsx" "$work/member-list.csv"
export TRY_DIR=$work SHOTS=${SHOTS:-/tmp/shots}
xvfb-run -a -s "-screen 0 1440x900x24" node ui/bench/try-calc.mjs

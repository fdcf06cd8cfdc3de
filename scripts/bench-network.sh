#!/usr/bin/env bash
# Benchmarks the network at its size (issue 14, point 4), release build: a synthetic network of
# 425 members in 91 countries (examples/gen_synth.rs --network), and 10,000. For each size: the
# import, a search as typed, the partner finder, the city list, and a booklet of every member
# (425 only: about 900 pages), each through the CLI end to end (process start included), median
# of RUNS, beside the reference (the same binary starting, opening the database and printing
# one booklet definition) measured in the same run. Peak RSS from /usr/bin/time -v.
#   scripts/bench-network.sh            # RUNS=5, SIZES="44 425 10000"
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SIZES=${SIZES:-"44 425 10000"}
cargo build --release --locked --quiet --bin portraits --example gen_synth
bin=target/release/portraits
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s%N; }
# median wall time in ms of RUNS runs of a command
med() {
  local t=()
  for _ in $(seq "$RUNS"); do s=$(now); "$@" >/dev/null 2>&1; e=$(now); t+=($(( (e - s) / 1000 ))); done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
rss() { /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>&1; awk -F: '/Maximum resident/ {gsub(/ /,"",$2); printf "%.0f", $2/1024}' "$work/time.txt"; }

echo "| portraits | import | reference | search \`learn\` (as typed) | search \`eski\` | partners of one city | list (all) | list RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  db=$work/net-$n.sqlite3
  $bin --db "$db" list >/dev/null  # seeds the 44 bundled cities
  if [ "$n" -gt 44 ]; then
    rm -rf "$work/net"
    target/release/examples/gen_synth --network "$((n - 44))" "$work/net" >/dev/null
    s=$(now); $bin --db "$db" import "$work/net" >/dev/null; e=$(now)
    import=$(awk "BEGIN {printf \"%.2f s\", ($e - $s) / 1e9}")
  else
    import="(seeded)"
  fi
  ref=$(med $bin --db "$db" booklet show members-meeting-2016 --json)
  s1=$(med $bin --db "$db" search learn --json)
  s2=$(med $bin --db "$db" search eski --json)
  pa=$(med $bin --db "$db" partners ie-cork --limit 5 --json)
  li=$(med $bin --db "$db" list --json)
  lr=$(rss $bin --db "$db" list --json)
  echo "| $n | $import | $ref ms | $s1 ms | $s2 ms | $pa ms | $li ms | $lr MB |"
done

# Sync at each size: the release server on 127.0.0.1 serving the network, a laptop's first sync
# (a copy of a freshly seeded database, the 44 bundled portraits, taking the rest of the network)
# and a no-change poll (the same laptop syncing again), each through the CLI with process start.
echo
echo "| portraits | reference | first sync of a new laptop | no-change poll | laptop database |"
echo "|---:|---:|---:|---:|---:|"
$bin --db "$work/seeded.sqlite3" list >/dev/null
for n in $SIZES; do
  db=$work/net-$n.sqlite3
  $bin --db "$db" serve --addr 127.0.0.1:0 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
  url=$(grep -o 'listening on http://[^ ]*' "$work/serve.log" | head -1 | sed 's/listening on //')
  laptop=$work/laptop-$n.sqlite3
  export PORTRAITS_CREDENTIALS=$work/creds.json
  first() { rm -f "$laptop" "$laptop-wal" "$laptop-shm"; cp "$work/seeded.sqlite3" "$laptop"; $bin --db "$laptop" sync --feed "$url"; }
  full=$(med first)
  ref=$(med $bin --db "$laptop" booklet show members-meeting-2016 --json)
  [ "$($bin --db "$laptop" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$n" ] || { echo "the laptop does not have $n cities" >&2; exit 1; }
  poll=$(med $bin --db "$laptop" sync)
  size=$(du -m "$laptop" | cut -f1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "| $n | $ref ms | $full ms | $poll ms | $size MB |"
done

# A booklet of every member of a 425-city network (the 44 bundled and 381 synthetic).
n=425
db=$work/net-$n.sqlite3
{
  printf 'id = "network-425"\ntemplate = "members-meeting"\ntitle = "Every member"\nattribution = "CC-BY-SA 3.0 IGO"\n'
  $bin --db "$db" list --json | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    print("[[cities]]\ncity = \"%s\"\nversion = %d" % (c["id"], c["latest_version"]))'
} > "$work/network.toml"
$bin --db "$db" booklet create "$work/network.toml" >/dev/null
out=$work/network.pdf
ref=$(med $bin --db "$db" booklet show members-meeting-2016 --json)
t=$(med $bin --db "$db" export-pdf --booklet network-425 --date 2026-12-01 -o "$out")
r=$(rss $bin --db "$db" export-pdf --booklet network-425 --date 2026-12-01 -o "$out")
pages=$(pdfinfo "$out" | awk '/^Pages:/ {print $2}')
size=$(stat -c %s "$out")
echo
echo "| booklet | cities | pages | wall time (median of $RUNS) | reference | peak RSS | file size |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '| every member | 425 | %s | %s ms | %s ms | %s MB | %.1f MB |\n' "$pages" "$t" "$ref" "$r" "$(echo "$size/1048576" | bc -l)"

#!/usr/bin/env bash
# Benchmarks PDF export (release build): the 2016 booklet (37 cities), the 2019 booklet (10
# cities) and a synthetic 200-city booklet. Wall time (median of RUNS), peak memory
# (/usr/bin/time -v, max RSS), file size. Prints a Markdown table for BENCHMARKS.md.
#   scripts/bench-export.sh            # RUNS=15 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
cargo build --release --locked --quiet --bin portraits --example gen_synth
bin=target/release/portraits
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/bench.sqlite3
$bin --db "$db" list >/dev/null                       # seed
target/release/examples/gen_synth 200 "$work/synth" >/dev/null
$bin --db "$db" import "$work/synth" >/dev/null
{
  printf 'id = "synthetic-200"\ntemplate = "members-meeting"\ntitle = "Synthetic booklet"\nattribution = "CC-BY-SA 3.0 IGO"\n'
  for f in "$work"/synth/*.json; do
    id=$(basename "$f" .json)
    printf '[[cities]]\ncity = "%s"\nversion = 1\n' "$id"
  done
} > "$work/synthetic.toml"
$bin --db "$db" booklet create "$work/synthetic.toml" >/dev/null

# Reference, same session: the same binary starting, opening the database and printing the
# booklet definition (everything an export does before typesetting).
ref=()
for _ in $(seq "$RUNS"); do
  s=$(date +%s%N); $bin --db "$db" booklet show members-meeting-2016 --json >/dev/null; e=$(date +%s%N)
  ref+=($(( (e - s) / 1000 )))
done
refmed=$(printf '%s\n' "${ref[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'reference (start, open, read definition): %.3f s median of %s\n\n' "$(echo "$refmed/1000000" | bc -l)" "$RUNS"
echo "| booklet | cities | pages | wall time (median of $RUNS) | min | × reference | peak RSS | file size |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for booklet in members-meeting-2016 learning-city-award-2019 synthetic-200; do
  out=$work/$booklet.pdf
  times=()
  for _ in $(seq "$RUNS"); do
    s=$(date +%s%N)
    $bin --db "$db" export-pdf --booklet "$booklet" --date 2016-11-15 -o "$out" 2>/dev/null >/dev/null
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  /usr/bin/time -v -o "$work/time.txt" $bin --db "$db" export-pdf --booklet "$booklet" --date 2016-11-15 -o "$out" >/dev/null 2>&1
  rss=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$work/time.txt")
  pages=$(pdfinfo "$out" | awk '/^Pages:/ {print $2}')
  cities=$($bin --db "$db" booklet show "$booklet" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["cities"]))')
  size=$(stat -c %s "$out")
  read -r med min < <(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1]}')
  printf '| %s | %s | %s | %.3f s | %.3f s | %.1f | %.1f MB | %.0f KB |\n' "$booklet" "$cities" "$pages" \
    "$(echo "$med/1000000" | bc -l)" "$(echo "$min/1000000" | bc -l)" "$(echo "$med/$refmed" | bc -l)" \
    "$(echo "$rss/1024" | bc -l)" "$(echo "$size/1024" | bc -l)"
done

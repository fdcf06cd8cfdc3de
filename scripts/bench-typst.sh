#!/usr/bin/env bash
# Our PDF export against Typst typesetting the same content, side by side in one run (issue 12,
# point 5): the 2016 booklet (37 cities). Ours: `portraits export-pdf`, the whole process, from a
# fresh database. Typst: the Python binding (`pip install typst`, installed if missing; it has
# no CLI), compiling one source file that scripts/typst_booklet.py writes from data/ with the
# same content and styling, in a fresh process each run: timed end to end (Python start,
# `import typst`, compile) and, inside that process, the compile call alone (the lower figure,
# the one the ratio uses). RUNS runs of each, alternating, after one warm-up of each. Wall time
# median and min, peak RSS (/usr/bin/time -v, max RSS), pages (pdfinfo), file size; checks that
# both PDFs name every city (pdftotext). Typst tags its PDF (accessibility structure) only if
# ours is tagged, so both do the same job. Prints a Markdown table for BENCHMARKS.md.
#   scripts/bench-typst.sh                 # RUNS=15 by default
#   PORTRAITS=path/to/portraits scripts/bench-typst.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
booklet=members-meeting-2016
bin=${PORTRAITS:-target/release/portraits}
[ -x "$bin" ] || cargo build --release --locked --quiet -p portraits
python3 -c 'import typst' 2>/dev/null || pip install --quiet typst
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/bench.sqlite3
ours=$work/ours.pdf
typ=$work/booklet.typ
theirs=$work/typst.pdf
$bin --db "$db" import data/portraits >/dev/null 2>&1
python3 scripts/typst_booklet.py data "$typ" "$booklet"

export_ours() { $bin --db "$db" export-pdf --booklet "$booklet" --date 2016-11-15 -o "$ours" >/dev/null 2>&1; }
# Prints the compile call's own time (µs) on stdout, which the caller sends to a file.
typst_py='
import sys, time
import typst
t = time.perf_counter()
typst.compile(sys.argv[1], output=sys.argv[2], font_paths=[sys.argv[3]], ignore_system_fonts=True,
              pdf_tags=sys.argv[4] == "yes")
print(round((time.perf_counter() - t) * 1e6))
'
export_ours
tagged=$(pdfinfo "$ours" 2>/dev/null | awk '/^Tagged:/ {print $2}')
compile_typst() { python3 -c "$typst_py" "$typ" "$theirs" data/fonts "$tagged"; }
compile_typst >/dev/null                                   # warm-up (and a syntax check)
version=$(python3 -c 'import sys, typst; print(typst.Compiler(sys.argv[1], font_paths=[sys.argv[2]], ignore_system_fonts=True).eval("str(sys.version)").strip("\""), "(typst-py", typst.__version__ + ")")' "$typ" data/fonts)

t_ours=() t_typst=() t_inproc=()
for _ in $(seq "$RUNS"); do
  s=$(date +%s%N); export_ours; e=$(date +%s%N)
  t_ours+=($(( (e - s) / 1000 )))
  s=$(date +%s%N); compile_typst >"$work/inproc.txt"; e=$(date +%s%N)
  t_typst+=($(( (e - s) / 1000 )))
  t_inproc+=("$(cat "$work/inproc.txt")")
done

# One more run of each under /usr/bin/time -v: peak RSS (KB) and CPU time, user + sys (ms; Typst
# uses more than one thread, so its CPU time can exceed its wall time).
usage() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>&1
  awk -F': ' '/Maximum resident/ {r = $2} /User time/ {u = $2} /System time/ {s = $2}
              END {printf "%d %d\n", r, (u + s) * 1000 + 0.5}' "$work/time.txt"
}
read -r rss_ours cpu_ours < <(usage $bin --db "$db" export-pdf --booklet "$booklet" --date 2016-11-15 -o "$ours")
read -r rss_typst cpu_typst < <(usage python3 -c "$typst_py" "$typ" "$theirs" data/fonts "$tagged")
# Typst's process without the compile: Python and `import typst`.
read -r rss_base cpu_base < <(usage python3 -c 'import typst')

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1]}'; }
read -r med_ours min_ours < <(stats "${t_ours[@]}")
read -r med_typst min_typst < <(stats "${t_typst[@]}")
read -r med_inproc min_inproc < <(stats "${t_inproc[@]}")
pages() { pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}'; }
sec() { echo "$1/1000000" | bc -l; }
mb() { echo "$1/1024" | bc -l; }
kb() { echo "$(stat -c %s "$1")/1024" | bc -l; }

echo "Typst $version · $(nproc) CPUs · $(uname -m) · load average $(cut -d' ' -f1-3 /proc/loadavg) · PDFs tagged: $tagged"
echo
echo "| $booklet | pages | wall time (median of $RUNS) | min | × ours (median) | CPU time, 1 run | peak RSS | file size |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '| ours: `portraits export-pdf`, whole process | %s | %.3f s | %.3f s | 1.0 | %.3f s | %.1f MB | %.0f KB |\n' \
  "$(pages "$ours")" "$(sec "$med_ours")" "$(sec "$min_ours")" "$(echo "$cpu_ours/1000" | bc -l)" \
  "$(mb "$rss_ours")" "$(kb "$ours")"
printf '| Typst, whole process (`python3 -c`: start, import, compile) | %s | %.3f s | %.3f s | %.1f | %.3f s | %.1f MB | %.0f KB |\n' \
  "$(pages "$theirs")" "$(sec "$med_typst")" "$(sec "$min_typst")" "$(echo "$med_typst/$med_ours" | bc -l)" \
  "$(echo "$cpu_typst/1000" | bc -l)" "$(mb "$rss_typst")" "$(kb "$theirs")"
printf '| Typst, the `typst.compile` call alone (same processes) | %s | %.3f s | %.3f s | %.1f | ≈ %.3f s | ≈ %.1f MB | |\n' \
  "$(pages "$theirs")" "$(sec "$med_inproc")" "$(sec "$min_inproc")" "$(echo "$med_inproc/$med_ours" | bc -l)" \
  "$(echo "($cpu_typst - $cpu_base)/1000" | bc -l)" "$(mb "$((rss_typst - rss_base))")"
echo
ratio=$(echo "$med_inproc/$med_ours" | bc -l)
verdict=$(echo "$med_ours < 250000 && $ratio >= 3" | bc -l)
printf 'ours %.3f s, Typst %.3f s (compile alone; %.3f s whole process): Typst/ours = %.2f× → goal (ours < 0.25 s and ≥ 3×): %s\n' \
  "$(sec "$med_ours")" "$(sec "$med_inproc")" "$(sec "$med_typst")" "$ratio" "$([ "$verdict" = 1 ] && echo met || echo NOT met)"

# Same content: every city's name in both PDFs' text.
pdftotext "$ours" "$work/ours.txt"
pdftotext "$theirs" "$work/typst.txt"
missing=0 n=0
while IFS= read -r name; do
  n=$((n + 1))
  for txt in "$work/ours.txt" "$work/typst.txt"; do
    grep -qF -- "$name" "$txt" || { echo "missing in $(basename "$txt" .txt)'s PDF: $name" >&2; missing=1; }
  done
done < <(python3 -c '
import json, sys, tomllib
d = tomllib.load(open("data/booklets/%s.toml" % sys.argv[1], "rb"))
for c in d["cities"]:
    print(json.load(open("data/portraits/%s/v%d.json" % (c["city"], c["version"])))["city"]["name"])
' "$booklet")
[ "$missing" = 0 ] && echo "content check: both PDFs name all $n cities"
exit "$missing"

#!/usr/bin/env python3
"""Word spacing of a booklet's body text, measured from the PDF itself.

Usage: scripts/word_spacing.py BOOKLET.pdf [MORE.pdf ...]

Reads every word box with poppler's `pdftotext -bbox-layout`. A line's font size is its height
over the font's ascent + descent (Noto Sans: 1.069 + 0.293 = 1.362 em, from its hhea table);
body lines are the lines of five or more words at the most common size. For each body line the
mean gap between its words, over the font size, is one figure; printed are the median, the 95th
percentile, the share of lines whose mean gap is more than twice a normal space (Noto Sans
Regular's space is 0.260 em), the tightest and the widest line.
"""
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET

HEIGHT_PER_SIZE = 1.362
SPACE_EM = 0.260
NS = "{http://www.w3.org/1999/xhtml}"


def lines(pdf):
    xml = subprocess.run(["pdftotext", "-bbox-layout", pdf, "-"], check=True, capture_output=True).stdout
    root = ET.fromstring(xml)
    for line in root.iter(NS + "line"):
        words = [
            (float(w.get("xMin")), float(w.get("xMax")), float(w.get("yMin")), float(w.get("yMax")))
            for w in line.iter(NS + "word")
        ]
        if len(words) < 5:
            continue
        size = round((words[0][3] - words[0][2]) / HEIGHT_PER_SIZE, 1)
        gaps = [b[0] - a[1] for a, b in zip(words, words[1:])]
        yield size, statistics.fmean(gaps) / size


def measure(pdf):
    all_lines = list(lines(pdf))
    body = statistics.mode(size for size, _ in all_lines)
    gaps = sorted(g for size, g in all_lines if size == body)
    p95 = gaps[min(len(gaps) - 1, int(round(0.95 * (len(gaps) - 1))))]
    loose = sum(1 for g in gaps if g > 2 * SPACE_EM)
    return body, len(gaps), statistics.median(gaps), p95, loose / len(gaps), min(gaps), max(gaps)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("| file | body size (pt) | body lines (5+ words) | median gap (em) | p95 gap (em) | looser than 2 spaces | tightest (em) | widest (em) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for pdf in sys.argv[1:]:
        body, n, median, p95, loose, tightest, widest = measure(pdf)
        print(f"| {pdf} | {body} | {n} | {median:.3f} | {p95:.3f} | {100 * loose:.1f} % | {tightest:.3f} | {widest:.3f} |")


if __name__ == "__main__":
    main()

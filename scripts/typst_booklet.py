#!/usr/bin/env python3
"""Writes a members' meeting booklet as ONE Typst source file, for scripts/bench-typst.sh.

Usage: scripts/typst_booklet.py DATA_DIR OUT.typ [BOOKLET_ID]

DATA_DIR is the repository's data/ folder: the booklet definition is read from
DATA_DIR/booklets/BOOKLET_ID.toml (default members-meeting-2016) and each city's pinned version
from DATA_DIR/portraits/<city>/v<version>.json, directly (no database). The Typst document
has the content and, as near as Typst allows, the styling of our `members-meeting` template
(src/booklet/templates.rs): A5, the same margins, Noto Sans (compile with
`--font-path DATA_DIR/fonts`), 9.2 pt justified and hyphenated English body text at 1.38
leading; cover, participating cities table, imprint, foreword (shrunk to fit one page as ours
is), contents with page numbers and links, each city from a left-hand page (name, country,
rule, tagline, facts table, bold lead, the three Markdown sections with the pull quote after
the first, contact details with mailto links), back cover; roman then arabic page numbers in
the footer; a PDF outline from the headings. Photos are not set (the 2016 portraits have
none).
"""
import json
import re
import sys
import tomllib
import unicodedata
from pathlib import Path

# Page and type, from templates.rs / layout.rs (points).
PAGE_W, PAGE_H = 419.53, 595.28
LEFT, RIGHT, TOP, BOTTOM = 44.0, 44.0, 52.0, 58.0
BODY = 9.2
CAP = 0.714  # Noto Sans cap height (em): Typst measures leading from the cap height by default

SECTIONS = [("vision", "Vision and motivation"), ("challenges", "Challenges and goals"),
            ("plan", "Plan and implementation")]

# Characters with a meaning in Typst markup: each is written as `\c`, which Typst reads as the
# character itself. `/` (comments, auto links), `-` and `.` (dashes, ellipsis, list and enum
# markers), `=`, `+` (headings, enums), `'` and `"` (smart quotes) included.
SPECIAL = set('\\#*_$@<>[]`~/=-+.\'":')


def esc(text):
    text = re.sub(r"\s+", " ", text)
    return "".join("\\" + c if c in SPECIAL else c for c in text)


def typ_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def inline(text):
    """`**strong**` and `*emphasis*` (the portraits' Markdown subset) to Typst markup."""
    out, pos = [], 0
    pattern = re.compile(r"\*\*(.+?)\*\*|(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])")
    for m in pattern.finditer(text):
        out.append(esc(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append("#strong[" + inline(m.group(1)) + "]")
        else:
            out.append("#emph[" + inline(m.group(2)) + "]")
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


ITEM = re.compile(r"^( *)([-*+]|(\d+)[.)]) +(.*)$")


def markdown(md):
    """The subset: paragraphs, bullet and numbered lists (one nested level), emphasis."""
    blocks = []  # ["p", text] | ["list", numbered, [[indent, number, text], ...]]
    blank = True  # the previous line was blank (or there was none)
    for line in md.split("\n"):
        m = ITEM.match(line)
        if not line.strip():
            blank = True
            continue
        last = blocks[-1] if blocks else None
        if m:
            indent, number = len(m.group(1)), m.group(3)
            numbered = number is not None
            if not (last and last[0] == "list" and (indent > 0 or numbered == last[1])):
                last = ["list", numbered, []]
                blocks.append(last)
            last[2].append([indent, int(number) if numbered else None, m.group(4)])
        elif last and (not blank or (last[0] == "list" and line.startswith(" "))):
            # A continuation line: of the paragraph, or of the last list item.
            if last[0] == "p":
                last[1] += " " + line.strip()
            else:
                last[2][-1][2] += " " + line.strip()
        else:
            blocks.append(["p", line.strip()])
        blank = False
    out = []
    for b in blocks:
        if b[0] == "p":
            out.append(inline(b[1]))
        else:
            lines = []
            for indent, number, text in b[2]:
                marker = f"{number}." if number is not None else "-"
                lines.append(("  " if indent > 0 else "") + f"{marker} {inline(text)}")
            out.append("\n".join(lines))
    return "\n\n".join(out)


def fmt_number(v):
    neg, v = v < 0, abs(v)
    s = str(int(v)) if float(v).is_integer() else repr(float(v))
    head, _, frac = s.partition(".")
    grouped = f"{int(head):,}"
    return ("-" if neg else "") + grouped + ("." + frac if frac else "")


def fact_value(f):
    if f.get("printed"):
        return f["printed"]
    v = f["value"]
    if v == "n/a" and f.get("men") is not None and f.get("women") is not None:
        return f"Men: {fmt_number(f['men'])} / Women: {fmt_number(f['women'])}"
    return "n/a" if v == "n/a" else fmt_number(v)


def fact_year(f):
    if isinstance(f.get("year"), int):
        return f"({f['year']})"
    if f.get("value") != "n/a" or f.get("men") is not None:
        return "(n/a)"
    return ""


FACTS = [("population", "Population"), ("area_km2", "Area (km²)"),
         ("gdp_city_usd", "GDP per capita (in USD): City"),
         ("gdp_country_usd", "GDP per capita (in USD): Country"),
         ("schooling_years", "Mean years of schooling (City)")]


def fold(s):
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return s.replace("ø", "o").replace("Ø", "O").replace("ı", "i").replace("ß", "ss")


PREAMBLE = r"""
#let accent = rgb(0%, 36%, 62%)
#let grey = rgb(38%, 38%, 40%)
#let black = rgb(10%, 10%, 10%)
#let light = rgb(93%, 95%, 97%)
#let lead(l) = (l - CAP) * 1em
#set document(title: TITLE, author: "UNESCO Institute for Lifelong Learning",
  keywords: ("UNESCO", "Global Network of Learning Cities", "lifelong learning"))
#set page(width: PAGE_Wpt, height: PAGE_Hpt,
  margin: (left: LEFTpt, right: RIGHTpt, top: TOPpt, bottom: BOTTOMpt),
  numbering: "i", footer-descent: 14pt,
  footer: context align(center, text(8pt, fill: grey, counter(page).display())))
#set text(font: "Noto Sans", size: BODYpt, lang: "en", region: "GB", hyphenate: true,
  fill: black, ligatures: false)
#set smartquote(enabled: false)
#set par(justify: true, leading: lead(1.38), spacing: lead(1.38) + 0.6em)
#set list(marker: ([•], [–]), indent: 0pt, body-indent: 0.7em, spacing: lead(1.38) + 0.25em)
#set enum(indent: 0pt, body-indent: 0.7em, spacing: lead(1.38) + 0.25em)
#show list: set par(justify: false)
#show enum: set par(justify: false)
// Front-matter sections (bookmarked, not in the contents), cities (bookmarked, in the
// contents), section headings inside a city (neither).
#show heading: it => it.body
// The headings carry their sizes in their bodies (an `em` size would scale the default 1.4 em).
#let section-heading(title) = block(sticky: true, above: 0pt, below: 10pt, {
  set par(justify: false, leading: lead(1.25))
  set text(16pt, weight: "bold", fill: accent, hyphenate: false)
  heading(level: 1, outlined: false, bookmarked: true, text(16pt, title))
})
// Our layout adds a block's space before to the previous one's space after; Typst takes the
// larger of the two, so the sums are written here (after a body paragraph: 0.6 em).
#let sub-heading(title) = block(sticky: true, above: 0.6em + 11pt * 0.7 + lead(1.38), below: 11pt * 0.35 + lead(1.38), {
  set par(justify: false, leading: lead(1.25))
  set text(11pt, weight: "bold", fill: accent, hyphenate: false)
  heading(level: 2, outlined: false, bookmarked: false, text(11pt, title))
})
#let small(body) = block(above: 0pt, below: 5pt + lead(1.38), text(7.8pt, body))
#let signed(title, paras, name, lines) = context {
  let doc(size) = {
    section-heading(title)
    set text(size)
    for p in paras { p; parbreak() }
    v(8pt)
    set par(justify: false, spacing: lead(1.38) + 1pt)
    strong(name); parbreak()
    for l in lines { text(fill: grey, l); parbreak() }
  }
  let room = page.height - TOPpt - BOTTOMpt
  let width = page.width - LEFTpt - RIGHTpt
  let fits = (9.2pt, 8.9pt, 8.6pt, 8.3pt).filter(s => measure(block(width: width, doc(s))).height <= room)
  doc(if fits.len() > 0 { fits.first() } else { 9.2pt })
}
#let facts(rows) = {
  set par(justify: false, leading: (1.38 - 1.362) * 1em)
  set text(8.2pt, hyphenate: false, top-edge: "ascender", bottom-edge: "descender")
  table(columns: (52%, 28%, 20%), inset: 2.4pt, align: left,
    stroke: (x, y) => (bottom: 0.4pt + grey),
    fill: (x, y) => if y == 0 { light },
    table.header(..([Facts], [], [Year]).map(c => text(fill: accent, weight: "bold", c))),
    ..rows.map(((l, v, y)) => (l, strong(v), y)).flatten())
}
#let quote(body, who) = block(above: 0.6em + 6pt + lead(1.38), below: 8pt + lead(1.38), breakable: true,
  stroke: (left: 3pt + accent), inset: (left: 12pt, y: 1pt), outset: (left: -3.5pt), {
  set par(justify: false, spacing: lead(1.38) + 3pt)
  text(10.5pt, style: "italic", fill: accent, body)
  parbreak()
  text(8.4pt, fill: grey, hyphenate: false, who)
})
#let city(name, country, label) = {
  pagebreak(weak: true, to: "even")
  [#block(sticky: true, above: 0pt, below: 1pt + lead(1.25), {
    set par(justify: false, leading: lead(1.25))
    set text(20pt, weight: "bold", fill: accent, hyphenate: false)
    heading(level: 1, outlined: true, bookmarked: true, text(20pt, name))
  })#label]
  block(above: 0pt, below: 0pt, sticky: true, text(10pt, fill: grey, country))
  block(above: 8pt + 0.3em, below: 4pt + 0.7em, sticky: true, line(length: 100%, stroke: 1.2pt + accent))
}
""".replace("CAP", str(CAP)).replace("PAGE_W", str(PAGE_W)).replace("PAGE_H", str(PAGE_H)) \
   .replace("LEFT", str(LEFT)).replace("RIGHT", str(RIGHT)).replace("TOP", str(TOP)) \
   .replace("BOTTOM", str(BOTTOM)).replace("BODY", str(BODY))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    booklet = sys.argv[3] if len(sys.argv) == 4 else "members-meeting-2016"
    d = tomllib.loads((data / "booklets" / f"{booklet}.toml").read_text())
    cities = [json.loads((data / "portraits" / c["city"] / f"v{c['version']}.json").read_text())
              for c in d["cities"]]
    title = d["title"].rstrip(":") + " " + d["subtitle"] if d.get("subtitle") else d["title"]
    w = [PREAMBLE.replace("TITLE", typ_str(re.sub(r"  +", " ", title)))]

    # Cover: a coloured band, the network, title, subtitle, dates, place.
    w.append("#page(footer: none, background: place(top, rect(width: 100%, height: 150pt, fill: accent)))[")
    if d.get("network"):
        w.append(f"  #place(top + left, dy: {70 - TOP}pt, text(10pt, weight: \"bold\", fill: white)[{esc(d['network'])}])")
    cover = [f"#text(24pt, weight: \"bold\", fill: accent, hyphenate: false)[#set par(justify: false, leading: {30 / 24 - CAP}em); {esc(d['title'])}]"]
    if d.get("subtitle"):
        cover.append(f"#v(4pt)#text(13pt, hyphenate: false)[#set par(justify: false); {esc(d['subtitle'])}]")
    cover.append("#v(20pt)")
    for line in [d.get("dates"), d.get("place")]:
        if line:
            cover.append(f"#text(11pt, weight: \"bold\", fill: grey)[{esc(line)}]#linebreak()")
    w.append(f"  #place(top + left, dy: {200 - TOP}pt)[{' '.join(cover)}]")
    w.append(f"  #place(top + left, dy: {PAGE_H - BOTTOM - 40 - TOP}pt, text(9pt, weight: \"bold\", fill: accent)[UNESCO Institute for Lifelong Learning])")
    w.append("]")

    # Participating cities: by country (accents folded), the awardee mark.
    mark_year = d.get("awardee_mark_year")
    rows = sorted(((c["city"]["country"]["name"], c["city"]["name"]
                    + (" *" if mark_year and mark_year in c["city"]["awards"] else "")) for c in cities),
                  key=lambda r: fold(r[0]))
    w.append("#section-heading[Participating cities]")
    w.append('#{ set text(8.6pt, hyphenate: false, top-edge: "ascender", bottom-edge: "descender"); set par(justify: false, leading: (1.38 - 1.362) * 1em)')
    w.append("table(columns: (58%, 42%), inset: 3pt, stroke: (x, y) => (bottom: 0.4pt + grey), fill: (x, y) => if y == 0 { light },")
    w.append("  table.header(text(fill: accent, weight: \"bold\")[Country], text(fill: accent, weight: \"bold\")[City]),")
    for country, name in rows:
        w.append(f"  [{esc(country)}], [{esc(name)}],")
    w.append(")}")
    if mark_year:
        w.append(f"#v(6pt)#text(8pt, style: \"italic\", fill: grey)[\\* UNESCO Learning City Awardee {mark_year}]")

    # Imprint.
    im = d.get("imprint")
    if im:
        w.append("#pagebreak(weak: true)")
        w.append("#block(sticky: true, above: 0pt, below: 11pt * 0.35 + 0.7em)[#set text(11pt, weight: \"bold\", fill: accent); #heading(level: 1, outlined: false, bookmarked: true, text(11pt)[Imprint])]")
        w.append(f"#small[{esc(im['publisher'])}]")
        if im.get("copyright"):
            w.append(f"#small[{esc(im['copyright'])}]")
        for p in [p.strip() for p in (im.get("text") or "").split("\n\n") if p.strip()]:
            w.append(f"#small[{esc(p)}]")
        for head, key in [("Photos", "photos"), ("Design", "design")]:
            if im.get(key):
                w.append(f"#block(sticky: true, above: 0pt, below: 1pt + 0.6em, text(7.8pt, weight: \"bold\")[{head}])")
                w.append(f"#small[{esc(im[key])}]")
        w.append(f"#small[{esc(d['attribution'])}]")
        w.append("#small[#text(fill: grey)[Typeset with Typst in Noto Sans (SIL Open Font License 1.1)\\.]]")

    # Foreword and introduction, each on one page.
    for key in ["foreword", "introduction"]:
        s = d.get(key)
        if not s:
            continue
        paras = ", ".join(f"[{esc(p.strip())}]" for p in s["text"].split("\n\n") if p.strip())
        lines = ", ".join(f"[{esc(t)}]" for t in [s.get("signatory_title"), s.get("signatory_institution")] if t)
        w.append("#pagebreak(weak: true)")
        w.append(f"#signed([{esc(s['heading'])}], ({paras},), [{esc(s.get('signatory') or '')}], ({lines},))")

    # Contents: one linked line per city, the page number right-aligned.
    w.append("#pagebreak(weak: true)")
    w.append("#section-heading[Contents]")
    w.append("#{ set par(justify: false, spacing: 0.666em + 2pt); set text(hyphenate: false)")
    for c in cities:
        lbl = f"<city-{c['city']['id']}>"
        entry = esc(f"{c['city']['name']}, {c['city']['country']['name']}")
        number = f"context str(counter(page).at({lbl}).first())"
        w.append(f"  link({lbl}, grid(columns: (1fr, 30pt), [{entry}], align(right, text(fill: accent, {number}))))")
    w.append("}")

    # The body: arabic numbers from 1; each city from a left-hand (even) page.
    w.append("#set page(numbering: \"1\")")
    w.append("#counter(page).update(1)")
    for c in cities:
        cid = c["city"]["id"]
        w.append(f"#city([{esc(c['city']['name'])}], [{esc(c['city']['country']['name'])}], <city-{cid}>)")
        if c.get("tagline"):
            w.append(f"#block(above: 0pt, below: 8pt + {1.38 - CAP}em)[#set par(justify: false); #text(12.5pt, style: \"italic\", hyphenate: false)[{esc(c['tagline'])}]]")
        rows = ", ".join(f"([{esc(label)}], [{esc(fact_value(c['facts'][k]))}], [{esc(fact_year(c['facts'][k]))}])"
                         for k, label in FACTS)
        w.append(f"#facts(({rows},))")
        w.append("#v(8pt)")
        w.append(f"#block(above: 0pt, below: 8pt + lead(1.38))[#text(9.6pt, weight: \"bold\")[{esc(c['lead'])}]]")
        for key, heading in SECTIONS:
            if c.get(key):
                w.append(f"#sub-heading[{esc(heading)}]")
                w.append("")
                w.append(markdown(c[key]))
                w.append("")
            if key == "vision" and c.get("quote"):
                q = c["quote"]
                who = q["speaker"] + (f" – {q['role']}" if q.get("role") else "")
                w.append(f"#quote([‘{esc(q['text'])}’], [{esc(who)}])")
        if c.get("contacts"):
            w.append("#sub-heading[Contact details]")
            w.append("#{ set par(justify: false, spacing: 0.666em + 1pt)")
            for ct in c["contacts"]:
                who = ct["name"]
                if ct.get("role"):
                    who += f" – {ct['role']}"
                if ct.get("organisation"):
                    who += f", {ct['organisation']}"
                w.append(f"  block(sticky: true, above: 0pt, below: 0.666em + 1pt)[{esc(who)}]")
                if ct.get("email"):
                    w.append(f"  block(above: 0pt, below: 0.666em + 5pt, link({typ_str('mailto:' + ct['email'])})[Email: #strong[{esc(ct['email'])}]])")
            w.append("}")

    # Back cover.
    bc = d.get("back_cover")
    if bc:
        w.append("#page(footer: none)[")
        if bc.get("slogan"):
            w.append(f"  #place(top + center, dy: {120 - TOP}pt, align(center)[#text(12pt, weight: \"bold\", fill: accent)[{esc(d.get('network') or '')}] \\ #text(11pt, style: \"italic\", fill: grey)[{esc(bc['slogan'])}]])")
        addr = " \\\n".join((f"#strong[{esc(a)}]" if i == 0 else esc(a)) for i, a in enumerate(bc.get("address", [])))
        w.append(f"  #place(bottom + left)[#line(length: 100%, stroke: 0.8pt + accent) #v(2pt) #set par(justify: false, leading: {12 / 8.5 - CAP}em); #text(8.5pt)[{addr}]]")
        w.append("]")
    out.write_text("\n".join(w) + "\n")


if __name__ == "__main__":
    main()

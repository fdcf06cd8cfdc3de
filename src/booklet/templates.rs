//! The two booklet templates, each reproducing the structure and order of its seed booklet:
//! `members-meeting` (2016) and `learning-city-award` (2019). A template turns a booklet
//! definition and its pinned portraits into a [`Document`] of laid-out pages.

use super::fonts::Face;
use super::layout::{
    Block, Document, Flow, Frame, ImageData, Item, LabelRange, LabelStyle, LinkTarget, OutlineEntry, Role, Table, Tag,
    ACCENT, BLACK, GREY, LIGHT,
};
use super::text::{Align, Span};
use super::words::{Lang, Words};
use super::BookletError;
use crate::model::booklet::{BookletDef, Template};
use crate::model::markdown::{self, Block as MdBlock};
use crate::model::{Localized, Portrait, ORIGINAL_LANG, SECTIONS};

/// A5, in points.
pub const PAGE_W: f32 = 419.53;
pub const PAGE_H: f32 = 595.28;

pub fn frame() -> Frame {
    Frame { width: PAGE_W, height: PAGE_H, left: 44.0, right: 44.0, top: 52.0, bottom: 58.0 }
}

const BODY: f32 = 9.2;

/// One city of the booklet, resolved: its portrait version and its photos' bytes.
pub struct CityInput<'a> {
    pub portrait: &'a Portrait,
    /// Decoded photo data, in the portrait's order (index into `Document::images` is assigned
    /// by the template).
    pub photos: Vec<ImageData>,
}

/// Checks that every character of every portrait has a glyph, naming the city and the field.
pub fn check(cities: &[CityInput<'_>]) -> Result<(), BookletError> {
    for c in cities {
        let p = c.portrait;
        // Either template prints what a portrait has and leaves out what it lacks (a tagline,
        // a section, contacts, initiatives): a booklet of every member prints the cities that
        // came in from UIL's member list with their introduction and two texts only, and the
        // 2016 booklet prints Eskişehir without the vision its extraction lost.
        // Every character must have a glyph in the face it is set in (all four faces cover
        // the same repertoire, so one check serves them all).
        for (field, text) in text_fields(p) {
            let missing = super::fonts::missing_glyphs(Face::Regular, &text);
            if let Some(ch) = missing.first() {
                return Err(BookletError::MissingGlyph { city: p.city.id.clone(), field, ch: *ch });
            }
        }
    }
    Ok(())
}

/// Every printed text field of a portrait, with its JSON path.
pub fn text_fields(p: &Portrait) -> Vec<(String, String)> {
    let mut out = vec![
        ("$.city.name".to_string(), p.city.name.clone()),
        ("$.city.country.name".to_string(), p.city.country.name.clone()),
        ("$.lead".to_string(), p.lead.clone()),
    ];
    if let Some(t) = &p.tagline {
        out.push(("$.tagline".into(), t.clone()));
    }
    for (key, _) in SECTIONS {
        if let Some(s) = p.section(key) {
            out.push((format!("$.{key}"), s.to_string()));
        }
    }
    if let Some(q) = &p.quote {
        out.push(("$.quote.text".into(), q.text.clone()));
        out.push(("$.quote.speaker".into(), q.speaker.clone()));
        out.push(("$.quote.role".into(), q.role.clone().unwrap_or_default()));
    }
    for (i, c) in p.contacts.iter().enumerate() {
        let all = [Some(&c.name), c.role.as_ref(), c.organisation.as_ref(), c.email.as_ref()];
        out.push((format!("$.contacts[{i}]"), all.into_iter().flatten().cloned().collect::<Vec<_>>().join(" ")));
    }
    for (i, h) in p.highlights.iter().enumerate() {
        out.push((format!("$.highlights[{i}]"), h.clone()));
    }
    for (i, ph) in p.photos.iter().enumerate() {
        let all = [ph.caption.as_ref(), ph.credit.as_ref(), ph.licence.as_ref()];
        out.push((format!("$.photos[{i}]"), all.into_iter().flatten().cloned().collect::<Vec<_>>().join(" ")));
    }
    for (_, _, f) in p.facts.rows() {
        if let Some(n) = &f.note {
            out.push(("$.facts".into(), n.clone()));
        }
        if let Some(pr) = &f.printed {
            out.push(("$.facts".into(), pr.clone()));
        }
    }
    out
}

fn body() -> Block {
    Block::body(BODY)
}

fn heading(size: f32, color: (f32, f32, f32)) -> Block {
    Block {
        size,
        leading: size * 1.25,
        align: Align::Left,
        color,
        before: size * 0.7,
        after: size * 0.35,
        indent: 0.0,
        hyphenate: false,
        keep_next: BODY * 1.38 * 3.0,
        role: Role::H2,
    }
}

fn plain(text: &str) -> Vec<Span> {
    vec![Span::new(text, Face::Regular)]
}

fn spans_of(md: &[markdown::Span]) -> Vec<Span> {
    md.iter().map(|s| Span::new(s.text.clone(), Face::from_style(s.strong, s.emphasis))).collect()
}

/// Sets a section's Markdown: paragraphs, bullet and numbered lists with hanging indents.
fn markdown_blocks(flow: &mut Flow, md: &str, style: Block) {
    for block in markdown::parse(md) {
        match block {
            MdBlock::Paragraph { spans } => {
                flow.paragraph(&spans_of(&spans), style);
            }
            MdBlock::List(list) => list_blocks(flow, &list, style, 0.0),
        }
    }
}

fn list_blocks(flow: &mut Flow, list: &markdown::List, style: Block, indent: f32) {
    flow.begin(Role::L);
    let n = list.items.len();
    for (i, item) in list.items.iter().enumerate() {
        let marker = match list.start {
            Some(s) => format!("{}.", s + i as u64),
            None => if indent > 0.0 { "–" } else { "•" }.to_string(),
        };
        let hang = if list.start.is_some() { style.size * 1.7 } else { style.size * 1.2 };
        let item_style = Block {
            indent: style.indent + indent,
            before: 0.0,
            after: if i + 1 == n && item.children.is_none() { style.after } else { style.size * 0.25 },
            align: Align::Left,
            ..style
        };
        flow.list_item(&marker, &spans_of(&item.spans), item_style, hang);
        if let Some(children) = &item.children {
            list_blocks(flow, children, style, indent + hang);
        }
        flow.end_list_item();
    }
    flow.end();
}

/// Pages, outline and labels collected while building.
struct Builder {
    /// The fixed words, in the booklet's language.
    words: Words,
    /// The booklet's language: the document's, and the fixed words'.
    lang: Lang,
    flow: Flow,
    outline: Vec<OutlineEntry>,
    images: Vec<ImageData>,
    /// Page index where decimal numbering starts.
    body_start: usize,
    /// Pages without a printed number.
    unnumbered: Vec<usize>,
    /// (TOC entry title, city start page) filled in pass one.
    toc: Vec<(String, usize)>,
    /// TOC line positions to link: (page, y top, height, target page index, Link element).
    toc_links: Vec<(usize, f32, f32, usize, Tag)>,
}

impl Builder {
    fn new(lang: Lang) -> Builder {
        // The flow's language is the text's, set as the text changes (the fixed words are in
        // the booklet's language, a portrait's text in its translation or the original).
        let mut flow = Flow::new(frame());
        flow.lang = lang;
        Builder {
            words: Words::new(lang),
            lang,
            flow,
            outline: Vec::new(),
            images: Vec::new(),
            body_start: 0,
            unnumbered: Vec::new(),
            toc: Vec::new(),
            toc_links: Vec::new(),
        }
    }

    /// What follows is text in `tag`: hyphenated as that language, and its structure elements
    /// marked with it when it is not the document's.
    fn text_in(&mut self, tag: &str) {
        self.flow.lang = Lang::parse(tag).unwrap_or_default();
        self.flow.text_lang = (!tag.eq_ignore_ascii_case(self.lang.tag())).then(|| tag.to_string());
    }

    /// What follows is in the booklet's language again.
    fn fixed_words(&mut self) {
        self.text_in(self.lang.tag());
    }

    fn label(&self, page: usize) -> String {
        if page >= self.body_start {
            (page - self.body_start + 1).to_string()
        } else {
            roman(page as u32 + 1)
        }
    }

    fn mark(&mut self, title: &str) {
        let page = self.flow.page_index();
        self.outline.push(OutlineEntry { title: title.to_string(), page });
    }

    /// The cover: a coloured band, the network, title, subtitle, dates, place.
    fn cover(&mut self, def: &BookletDef) {
        let f = self.flow.frame;
        self.unnumbered.push(self.flow.page_index());
        self.flow.page().items.push(Item::Rect { x: 0.0, y: f.height - 150.0, w: f.width, h: 150.0, color: ACCENT });
        self.flow.cursor = 70.0;
        let white = (1.0, 1.0, 1.0);
        if let Some(n) = &def.network {
            self.flow.paragraph(
                &[Span::new(n.clone(), Face::Bold)],
                Block { color: white, align: Align::Left, ..Block::body(10.0) },
            );
        }
        self.flow.cursor = 200.0;
        self.flow.paragraph(
            &[Span::new(def.title.clone(), Face::Bold)],
            Block { leading: 30.0, align: Align::Left, color: ACCENT, hyphenate: false, ..Block::body(24.0) },
        );
        if let Some(s) = &def.subtitle {
            self.flow.paragraph(
                &plain(s),
                Block { align: Align::Left, color: BLACK, hyphenate: false, ..Block::body(13.0) },
            );
        }
        self.flow.space(20.0);
        for line in [&def.dates, &def.place].into_iter().flatten() {
            self.flow.paragraph(
                &[Span::new(line.clone(), Face::Bold)],
                Block { align: Align::Left, color: GREY, ..Block::body(11.0) },
            );
        }
        self.flow.cursor = f.height - f.bottom - 40.0;
        self.flow.paragraph(
            &[Span::new("UNESCO Institute for Lifelong Learning", Face::Bold)],
            Block { align: Align::Left, color: ACCENT, ..Block::body(9.0) },
        );
    }

    fn section_heading(&mut self, text: &str) {
        section_heading(&mut self.flow, text);
    }

    fn imprint(&mut self, def: &BookletDef) {
        let Some(im) = &def.imprint else { return };
        self.flow.break_page();
        let imprint = self.words.get("imprint");
        self.mark(&imprint);
        let small = Block { after: 5.0, ..Block::body(7.8) };
        self.flow.paragraph(&[Span::new(imprint, Face::Bold)], Block { before: 0.0, ..heading(11.0, ACCENT) });
        self.flow.paragraph(&plain(&im.publisher), small);
        if let Some(c) = &im.copyright {
            self.flow.paragraph(&plain(c), small);
        }
        if let Some(t) = &im.text {
            for p in markdown::paragraphs(t) {
                self.flow.paragraph(&plain(&p), small);
            }
        }
        if let Some(p) = &im.photos {
            self.flow.paragraph(
                &[Span::new(self.words.get("photos"), Face::Bold)],
                Block { keep_next: 12.0, after: 1.0, ..small },
            );
            self.flow.paragraph(&plain(p), small);
        }
        if let Some(d) = &im.design {
            self.flow.paragraph(
                &[Span::new(self.words.get("design"), Face::Bold)],
                Block { keep_next: 12.0, after: 1.0, ..small },
            );
            self.flow.paragraph(&plain(d), small);
        }
        self.flow.paragraph(&plain(&def.attribution), small);
        self.flow.paragraph(&plain(&self.words.get("typeset")), Block { color: GREY, ..small });
    }

    /// A foreword or introduction on its own page: at the body size if it fits on one page
    /// with its signature, else a little smaller, so the signature is never left alone.
    fn signed_text(&mut self, s: &crate::model::booklet::Section) {
        let size = [BODY, 8.9, 8.6, 8.3]
            .into_iter()
            .find(|&size| {
                let mut scratch = Flow::new(frame());
                scratch.keep_whole = self.flow.keep_whole.clone();
                write_signed(&mut scratch, s, size);
                scratch.pages.len() == 1
            })
            .unwrap_or(BODY);
        self.flow.break_page();
        self.mark(&s.heading);
        write_signed(&mut self.flow, s, size);
    }

    fn signature(&mut self, s: &crate::model::booklet::Section) {
        signature(&mut self.flow, s, BODY);
    }

    /// The contents: one line per city with its page number, each line a link.
    fn contents(&mut self, entries: &[(String, String)]) {
        self.flow.break_page();
        let contents = self.words.get("contents");
        self.mark(&contents);
        self.section_heading(&contents);
        let f = self.flow.frame;
        let style = Block { align: Align::Left, after: 2.0, hyphenate: false, ..body() };
        for (i, (title, _)) in entries.iter().enumerate() {
            let target = self.toc.get(i).map(|t| t.1).unwrap_or(0);
            let number = if self.toc.is_empty() { "000".to_string() } else { self.label(target) };
            let placed = self.flow.paragraph_at(
                &plain(title),
                Block { role: Role::Link, ..style },
                f.left,
                f.column() - 30.0,
                0.0,
            );
            // The page number, right-aligned on the entry's last line.
            let y_line = f.height - (placed.end_bottom - style.leading);
            let num = super::text::layout(
                &plain(&number),
                30.0,
                super::text::ParaStyle {
                    size: BODY,
                    align: Align::Right,
                    first_indent: 0.0,
                    hyphenate: false,
                    keep_whole: &[],
                    lang: Default::default(),
                },
            );
            let half = (style.leading - BODY * 1.2).max(0.0) / 2.0;
            let baseline = y_line - half - super::fonts::metrics(Face::Regular).ascender * BODY;
            if let Some(line) = num.into_iter().next() {
                let page = placed.end_page;
                self.flow.pages[page].items.push(Item::Text {
                    x: f.width - f.right - 30.0 + line.indent,
                    y: baseline,
                    size: BODY,
                    color: ACCENT,
                    line,
                    tag: placed.tag,
                });
            }
            self.toc_links.push((
                placed.start_page,
                placed.start_top,
                placed.end_bottom - placed.start_top,
                target,
                placed.tag,
            ));
        }
    }

    fn back_cover(&mut self, def: &BookletDef) {
        let Some(bc) = &def.back_cover else { return };
        self.flow.new_page();
        self.unnumbered.push(self.flow.page_index());
        let f = self.flow.frame;
        if let Some(s) = &bc.slogan {
            self.flow.cursor = 120.0;
            self.flow.paragraph(
                &[Span::new(def.network.clone().unwrap_or_default(), Face::Bold)],
                Block { align: Align::Center, color: ACCENT, ..Block::body(12.0) },
            );
            self.flow.paragraph(
                &[Span::new(s.clone(), Face::Italic)],
                Block { align: Align::Center, color: GREY, ..Block::body(11.0) },
            );
        }
        let lines = bc.address.len() as f32;
        self.flow.cursor = f.height - f.bottom - lines * 12.0 - 20.0;
        self.flow.rule(0.8, ACCENT, 6.0);
        for (i, a) in bc.address.iter().enumerate() {
            let face = if i == 0 { Face::Bold } else { Face::Regular };
            self.flow.paragraph(
                &[Span::new(a.clone(), face)],
                Block { align: Align::Left, after: 0.0, leading: 12.0, ..Block::body(8.5) },
            );
        }
    }

    fn finish(mut self, def: &BookletDef) -> Document {
        let f = self.flow.frame;
        let total = self.flow.pages.len();
        // Footers: the page number centred at the foot of every numbered page.
        for i in 0..total {
            if self.unnumbered.contains(&i) {
                continue;
            }
            let label = self.label(i);
            let lines = super::text::layout(
                &plain(&label),
                f.column(),
                super::text::ParaStyle {
                    size: 8.0,
                    align: Align::Center,
                    first_indent: 0.0,
                    hyphenate: false,
                    keep_whole: &[],
                    lang: Default::default(),
                },
            );
            if let Some(line) = lines.into_iter().next() {
                self.flow.pages[i].items.push(Item::Text {
                    x: f.left + line.indent,
                    y: 30.0,
                    size: 8.0,
                    color: GREY,
                    line,
                    tag: None,
                });
            }
        }
        for (page, top, h, target, tag) in std::mem::take(&mut self.toc_links) {
            self.flow.pages[page].items.push(Item::Link {
                x: f.left,
                y: f.height - top - h,
                w: f.column(),
                h,
                target: LinkTarget::Page(target),
                tag,
            });
        }
        let labels = vec![
            LabelRange { first_page: 0, style: LabelStyle::RomanLower, prefix: String::new(), start: 1 },
            LabelRange { first_page: self.body_start, style: LabelStyle::Decimal, prefix: String::new(), start: 1 },
        ];
        Document {
            width: f.width,
            height: f.height,
            print_boxes: None,
            pages: self.flow.pages,
            outline: self.outline,
            labels,
            images: self.images,
            title: match &def.subtitle {
                Some(s) => format!("{} {}", def.title.trim_end_matches(':'), s).replace("  ", " "),
                None => def.title.clone(),
            },
            subject: def.subtitle.clone().unwrap_or_else(|| def.title.clone()),
            author: "UNESCO Institute for Lifelong Learning".into(),
            keywords: vec!["UNESCO".into(), "Global Network of Learning Cities".into(), "lifelong learning".into()],
            structure: self.flow.structure,
            // The booklet's language; text in another (an untranslated portrait's, a definition
            // written in another language) carries its own on its elements.
            lang: self.lang.tag().into(),
        }
    }
}

fn section_heading(flow: &mut Flow, text: &str) {
    flow.paragraph(
        &[Span::new(text, Face::Bold)],
        Block { before: 0.0, after: 10.0, role: Role::H1, ..heading(16.0, ACCENT) },
    );
}

fn write_signed(flow: &mut Flow, s: &crate::model::booklet::Section, size: f32) {
    section_heading(flow, &s.heading);
    for p in markdown::paragraphs(&s.text) {
        flow.paragraph(&plain(&p), Block::body(size));
    }
    signature(flow, s, size);
}

fn signature(flow: &mut Flow, s: &crate::model::booklet::Section, size: f32) {
    flow.space(8.0);
    let sig = Block { align: Align::Left, after: 1.0, keep_next: 24.0, ..Block::body(size) };
    if let Some(n) = &s.signatory {
        flow.paragraph(&[Span::new(n.clone(), Face::Bold)], sig);
    }
    for t in [&s.signatory_title, &s.signatory_institution].into_iter().flatten() {
        flow.paragraph(&plain(t), Block { keep_next: 0.0, color: GREY, ..sig });
    }
}

fn roman(mut n: u32) -> String {
    let table = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

/// Builds the document in two passes: the first finds each city's first page, the second sets
/// the contents with those page numbers (the contents' length does not depend on them).
pub fn build(
    def: &BookletDef,
    cities: &[CityInput<'_>],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, BookletError> {
    build_in(def, cities, Lang::En, progress)
}

/// [`build`] with the fixed words, numbers and hyphenation of `lang`.
pub fn build_in(
    def: &BookletDef,
    cities: &[CityInput<'_>],
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, BookletError> {
    check(cities)?;
    let (_, starts, body_start) = build_once(def, cities, lang, None, &mut |_, _| {})?;
    let (doc, again, _) = build_once(def, cities, lang, Some((&starts, body_start)), progress)?;
    // The contents' numbers were set from the first pass: the second must have put every city
    // where the first did (the contents' length does not depend on the numbers).
    debug_assert_eq!(starts, again);
    Ok(doc)
}

/// The words of the booklet's city names, lowercase and sorted: never hyphenated.
fn city_name_words(cities: &[CityInput<'_>]) -> Vec<String> {
    let mut words: Vec<String> = cities
        .iter()
        .flat_map(|c| c.portrait.city.name.split(|ch: char| !ch.is_alphabetic()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

fn build_once(
    def: &BookletDef,
    cities: &[CityInput<'_>],
    lang: Lang,
    starts: Option<(&[usize], usize)>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Document, Vec<usize>, usize), BookletError> {
    let mut b = Builder::new(lang);
    b.flow.keep_whole = city_name_words(cities);
    if let Some((s, body_start)) = starts {
        b.toc = cities.iter().zip(s).map(|(c, p)| (c.portrait.city.name.clone(), *p)).collect();
        // The contents give the numbers printed on the pages (counted from the body's first
        // page), not the sheet's place in the file.
        b.body_start = body_start;
    }
    // The definition's own texts (title, foreword, introduction) are in its language.
    let def_lang = def.lang.clone().unwrap_or_else(|| ORIGINAL_LANG.to_string());
    b.text_in(&def_lang);
    b.cover(def);
    b.fixed_words();
    let entries: Vec<(String, String)> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| match def.template {
            Template::MembersMeeting => (
                format!(
                    "{}, {}",
                    c.portrait.city.name,
                    b.words.country(&c.portrait.city.country.code, &c.portrait.city.country.name)
                ),
                String::new(),
            ),
            Template::LearningCityAward => (
                format!(
                    "{}. {}, {}",
                    i + 1,
                    b.words.country(&c.portrait.city.country.code, &c.portrait.city.country.name),
                    c.portrait.city.name
                ),
                String::new(),
            ),
        })
        .collect();
    match def.template {
        Template::MembersMeeting => {
            participants(&mut b, def, cities);
            b.imprint(def);
            b.text_in(&def_lang);
            if let Some(fw) = &def.foreword {
                b.signed_text(fw);
            }
            if let Some(intro) = &def.introduction {
                b.signed_text(intro);
            }
            b.fixed_words();
            b.contents(&entries);
        }
        Template::LearningCityAward => {
            if let Some(intro) = &def.introduction {
                b.text_in(&def_lang);
                award_introduction(&mut b, intro, cities);
                b.fixed_words();
            }
            b.imprint(def);
            b.contents(&entries);
        }
    }
    b.flow.new_page();
    b.body_start = b.flow.page_index();
    let mut city_starts = Vec::new();
    for (i, c) in cities.iter().enumerate() {
        b.flow.break_page();
        if def.template == Template::MembersMeeting && b.flow.page_index().is_multiple_of(2) {
            // Each city opens on a left-hand page, so its two pages face each other as a
            // spread (page indices from 0: odd = left); the page before stays blank.
            b.flow.new_page();
        }
        city_starts.push(b.flow.page_index());
        b.mark(&entries[i].0);
        b.flow.begin(Role::Sect);
        // The portrait in the booklet's language where it is translated, the original elsewhere.
        let loc = c.portrait.localized(lang.tag());
        match def.template {
            Template::MembersMeeting => members_city(&mut b, c, &loc),
            Template::LearningCityAward => award_city(&mut b, c, &loc, i + 1),
        }
        b.fixed_words();
        b.flow.end();
        progress(i + 1, cities.len());
    }
    b.back_cover(def);
    let body_start = b.body_start;
    Ok((b.finish(def), city_starts, body_start))
}

/// "Participating cities": a table by country, the awardee mark and its footnote.
fn participants(b: &mut Builder, def: &BookletDef, cities: &[CityInput<'_>]) {
    b.flow.break_page();
    let title = b.words.get("participating-cities");
    b.mark(&title);
    b.section_heading(&title);
    let mut rows: Vec<(String, String)> = cities
        .iter()
        .map(|c| {
            let p = c.portrait;
            let mark = def.awardee_mark_year.is_some_and(|y| p.city.awards.contains(&y));
            (
                b.words.country(&p.city.country.code, &p.city.country.name),
                format!("{}{}", p.city.name, if mark { " *" } else { "" }),
            )
        })
        .collect();
    // The seed lists by country, in the booklet's order within a country.
    rows.sort_by_key(|r| crate::model::fold(&r.0));
    let col = b.flow.frame.column();
    let widths = [col * 0.58, col * 0.42];
    let table = Table {
        widths: &widths,
        header: vec![
            vec![Span::new(b.words.get("country"), Face::Bold)],
            vec![Span::new(b.words.get("city"), Face::Bold)],
        ],
        rows: rows.into_iter().map(|(c, n)| vec![plain(&c), plain(&n)]).collect(),
        size: 8.6,
        padding: 3.0,
    };
    b.flow.table(&table);
    if let Some(y) = def.awardee_mark_year {
        b.flow.space(6.0);
        b.flow.paragraph(
            &[Span::new(b.words.with("awardee", &[("year", &y.to_string())]), Face::Italic)],
            Block { align: Align::Left, color: GREY, ..Block::body(8.0) },
        );
    }
}

fn fact_rows(p: &Portrait, w: &Words) -> Vec<(String, String, String)> {
    let f = &p.facts;
    let year = |fact: &crate::model::Fact| match fact.year.get() {
        Some(y) => format!("({y})"),
        None if fact.number().is_some() || fact.men.is_some() => format!("({})", w.get("not-available")),
        None => String::new(),
    };
    [
        ("population", &f.population),
        ("area-km2", &f.area_km2),
        ("gdp-city", &f.gdp_city_usd),
        ("gdp-country", &f.gdp_country_usd),
        ("schooling", &f.schooling_years),
    ]
    .into_iter()
    .map(|(id, fact)| (w.get(id), w.fact_value(fact), year(fact)))
    .collect()
}

/// One city of the members' meeting booklet: name, country, tagline, facts table, lead, the
/// three sections, the pull quote, contact details.
fn members_city(b: &mut Builder, c: &CityInput<'_>, loc: &Localized) {
    let p = &loc.portrait;
    let f = b.flow.frame;
    b.flow.paragraph(
        &[Span::new(p.city.name.clone(), Face::Bold)],
        Block { before: 0.0, after: 1.0, keep_next: 60.0, role: Role::H1, ..heading(20.0, ACCENT) },
    );
    b.flow.paragraph(
        &plain(&b.words.country(&p.city.country.code, &p.city.country.name)),
        Block { after: 4.0, color: GREY, align: Align::Left, ..Block::body(10.0) },
    );
    b.flow.rule(1.2, ACCENT, 4.0);
    untranslated_note(b, c.portrait, loc);
    if let Some(t) = &p.tagline {
        b.text_in(loc.lang_of("tagline"));
        b.flow.paragraph(
            &[Span::new(t.clone(), Face::Italic)],
            Block { align: Align::Left, hyphenate: false, after: 8.0, ..Block::body(12.5) },
        );
    }
    b.fixed_words();
    let col = f.column();
    let widths = [col * 0.52, col * 0.28, col * 0.20];
    let table = Table {
        widths: &widths,
        header: vec![
            vec![Span::new(b.words.get("facts"), Face::Bold)],
            vec![],
            vec![Span::new(b.words.get("year"), Face::Bold)],
        ],
        rows: fact_rows(p, &b.words)
            .into_iter()
            .map(|(l, v, y)| vec![plain(&l), vec![Span::new(v, Face::Bold)], plain(&y)])
            .collect(),
        size: 8.2,
        padding: 2.4,
    };
    b.flow.table(&table);
    b.flow.space(8.0);
    b.text_in(loc.lang_of("lead"));
    b.flow.paragraph(&[Span::new(p.lead.clone(), Face::Bold)], Block { after: 8.0, ..Block::body(9.6) });
    for (key, _) in SECTIONS {
        if let Some(md) = p.section(key) {
            b.fixed_words();
            let title = b.words.get(&format!("section-{key}"));
            b.flow.paragraph(&[Span::new(title, Face::Bold)], heading(11.0, ACCENT));
            b.text_in(loc.lang_of(key));
            markdown_blocks(&mut b.flow, md, body());
        }
        if key == "vision" {
            if let Some(q) = &p.quote {
                b.text_in(loc.lang_of("quote"));
                pull_quote(b, q);
            }
        }
    }
    b.fixed_words();
    contacts(b, p);
}

fn pull_quote(b: &mut Builder, q: &crate::model::Quote) {
    let f = b.flow.frame;
    let style = Block {
        align: Align::Left,
        color: ACCENT,
        hyphenate: true,
        before: 6.0,
        after: 3.0,
        indent: 14.0,
        ..Block::body(10.5)
    };
    b.flow.begin(Role::BlockQuote);
    let placed =
        b.flow.paragraph(&[Span::new(format!("‘{}’", q.text), Face::Italic)], Block { keep_next: 24.0, ..style });
    let who = match &q.role {
        Some(r) => format!("{} – {}", q.speaker, r),
        None => q.speaker.clone(),
    };
    let end = b
        .flow
        .paragraph(&plain(&who), Block { color: GREY, before: 0.0, after: 8.0, indent: 14.0, ..Block::body(8.4) });
    b.flow.end();
    // A bar beside the quote, on each page it spans.
    for page in placed.start_page..=end.end_page {
        let top = if page == placed.start_page { placed.start_top + style.before * 0.0 } else { f.top };
        let bottom = if page == end.end_page { end.end_bottom } else { f.height - f.bottom };
        b.flow.pages[page].items.push(Item::Rect {
            x: f.left + 2.0,
            y: f.height - bottom,
            w: 3.0,
            h: bottom - top,
            color: ACCENT,
        });
    }
}

fn contacts(b: &mut Builder, p: &Portrait) {
    if p.contacts.is_empty() {
        return;
    }
    let f = b.flow.frame;
    b.flow.paragraph(&[Span::new(b.words.get("contact-details"), Face::Bold)], heading(11.0, ACCENT));
    let style = Block { align: Align::Left, after: 1.0, ..body() };
    for c in &p.contacts {
        let mut who = c.name.clone();
        if let Some(r) = &c.role {
            who.push_str(&format!(" – {r}"));
        }
        if let Some(o) = &c.organisation {
            who.push_str(&format!(", {o}"));
        }
        // Names, roles and organisations are not translated: the original's language.
        b.text_in(ORIGINAL_LANG);
        b.flow.paragraph(&plain(&who), Block { keep_next: style.leading, ..style });
        b.fixed_words();
        if let Some(e) = &c.email {
            let placed = b.flow.paragraph(
                &[Span::new(format!("{} ", b.words.get("email")), Face::Regular), Span::new(e.clone(), Face::Bold)],
                Block { after: 5.0, role: Role::Link, ..style },
            );
            let h = placed.end_bottom - placed.start_top;
            b.flow.pages[placed.end_page].items.push(Item::Link {
                x: f.left,
                y: f.height - placed.end_bottom,
                w: f.column(),
                h,
                target: LinkTarget::Uri(format!("mailto:{e}")),
                tag: placed.tag,
            });
        }
    }
}

/// The award booklet's introduction: text, the numbered list of awarded cities, signature.
fn award_introduction(b: &mut Builder, intro: &crate::model::booklet::Section, cities: &[CityInput<'_>]) {
    b.flow.break_page();
    b.mark(&intro.heading);
    b.section_heading(&intro.heading);
    let paras = markdown::paragraphs(&intro.text);
    let (first, rest) = paras.split_first().map(|(f, r)| (f.clone(), r.to_vec())).unwrap_or_default();
    b.flow.paragraph(&plain(&first), body());
    b.flow.begin(Role::L);
    for (i, c) in cities.iter().enumerate() {
        let p = c.portrait;
        let n = cities.len();
        b.flow.list_item(
            &format!("{}.", i + 1),
            &[Span::new(
                format!("{}, {}", b.words.country(&p.city.country.code, &p.city.country.name), p.city.name),
                Face::Bold,
            )],
            Block { align: Align::Left, after: if i + 1 == n { BODY } else { 1.5 }, ..body() },
            BODY * 1.8,
        );
        b.flow.end_list_item();
    }
    b.flow.end();
    for p in rest {
        b.flow.paragraph(&plain(&p), body());
    }
    b.signature(intro);
}

/// One city of the award booklet: "N. Country, City", the facts, the lead, the initiatives,
/// the mayor's quote, the photos with captions.
fn award_city(b: &mut Builder, c: &CityInput<'_>, loc: &Localized, n: usize) {
    let p = &loc.portrait;
    b.flow.paragraph(
        &[Span::new(
            format!("{n}. {}, {}", b.words.country(&p.city.country.code, &p.city.country.name), p.city.name),
            Face::Bold,
        )],
        Block { before: 0.0, after: 6.0, keep_next: 60.0, role: Role::H1, ..heading(17.0, ACCENT) },
    );
    untranslated_note(b, c.portrait, loc);
    let f = &p.facts;
    let year = |fact: &crate::model::Fact| fact.year.get().map(|y| format!(" ({y})")).unwrap_or_default();
    let w = &b.words;
    let mut facts = vec![
        (w.get("city-population"), format!("{}{}", w.fact_value(&f.population), year(&f.population))),
        (
            w.get("city-area"),
            format!("{}{}", w.with("area-value", &[("value", &w.fact_value(&f.area_km2))]), year(&f.area_km2)),
        ),
    ];
    if f.gdp_city_usd.number().is_some() {
        let value = w.with("gdp-value", &[("value", &w.fact_value(&f.gdp_city_usd))]);
        facts.push((w.get("annual-gdp"), format!("{value}{}", year(&f.gdp_city_usd))));
    }
    let fact_style = Block { align: Align::Left, after: 1.0, color: BLACK, ..Block::body(8.6) };
    b.flow.space(2.0);
    let first_fact = b.flow.cursor;
    for (i, (label, value)) in facts.iter().enumerate() {
        b.flow.paragraph(
            &[Span::new(format!("{label} "), Face::Regular), Span::new(value.clone(), Face::Bold)],
            Block { after: if i + 1 == facts.len() { 8.0 } else { 1.0 }, ..fact_style },
        );
    }
    let page = b.flow.page_index();
    let fr = b.flow.frame;
    b.flow.pages[page].items.insert(
        0,
        Item::Rect {
            x: fr.left - 4.0,
            y: fr.height - b.flow.cursor + 4.0,
            w: fr.column() + 8.0,
            h: b.flow.cursor - first_fact,
            color: LIGHT,
        },
    );
    b.text_in(loc.lang_of("lead"));
    b.flow.paragraph(&plain(&p.lead), Block { after: 8.0, ..body() });
    b.fixed_words();
    let n_h = p.highlights.len();
    if n_h > 0 {
        b.flow.paragraph(&[Span::new(b.words.get("initiatives"), Face::Bold)], heading(11.0, ACCENT));
        b.flow.begin(Role::L);
        for (i, h) in p.highlights.iter().enumerate() {
            b.text_in(item_lang(c.portrait, loc, |t| &t.highlights, i));
            b.flow.list_item(
                "•",
                &plain(h),
                Block { after: if i + 1 == n_h { 6.0 } else { 3.0 }, ..body() },
                BODY * 1.2,
            );
            b.flow.end_list_item();
        }
        b.fixed_words();
        b.flow.end();
    }
    if let Some(q) = &p.quote {
        b.text_in(loc.lang_of("quote"));
        pull_quote(b, q);
        b.fixed_words();
    }
    for (i, photo) in p.photos.iter().enumerate() {
        let Some(data) = c.photos.get(i) else { continue };
        let index = b.images.len();
        b.images.push(data.clone());
        b.text_in(item_lang(c.portrait, loc, |t| &t.captions, i));
        place_photo(b, index, data, photo, &p.city.name);
        b.fixed_words();
    }
}

/// The language item `i` of a translated list is shown in: the translation's when it has the
/// item, else the original's.
fn item_lang<'a>(
    original: &Portrait,
    loc: &'a Localized,
    list: impl Fn(&crate::model::Translation) -> &Vec<Option<String>>,
    i: usize,
) -> &'a str {
    match original.translation_for(&loc.lang) {
        Some((_, t)) if list(t).get(i).is_some_and(Option::is_some) => &loc.lang,
        _ => ORIGINAL_LANG,
    }
}

/// Under a city's heading, in a booklet in another language than the portraits': a line saying
/// the portrait, or part of it, is printed in the original (English), not translated.
fn untranslated_note(b: &mut Builder, original: &Portrait, loc: &Localized) {
    if b.lang.tag() == ORIGINAL_LANG || loc.original.is_empty() {
        return;
    }
    let partly = original.translation_for(b.lang.tag()).is_some();
    let text = b.words.get(if partly { "partly-translated" } else { "untranslated" });
    b.fixed_words();
    b.flow.paragraph(
        &[Span::new(text, Face::Italic)],
        Block { align: Align::Left, color: GREY, after: 4.0, hyphenate: false, ..Block::body(7.5) },
    );
}

/// A photo scaled to the column (at most 40% of the page high), kept with its caption.
fn place_photo(b: &mut Builder, index: usize, data: &ImageData, photo: &crate::model::Photo, city: &str) {
    let f = b.flow.frame;
    let col = f.column();
    let max_h = f.height * 0.4;
    let ratio = data.height_px as f32 / data.width_px as f32;
    let (mut w, mut h) = (col, col * ratio);
    if h > max_h {
        h = max_h;
        w = h / ratio;
    }
    let caption_h = 30.0;
    b.flow.space(6.0);
    b.flow.need(h + caption_h);
    let top = b.flow.cursor;
    let x = f.left + (col - w) / 2.0;
    let page = b.flow.page_index();
    let mut caption = photo.caption.clone().unwrap_or_default();
    // The figure's alternate text: its caption, else what it is a photo of.
    let figure = b.flow.node(Role::Figure);
    let y = f.height - top - h;
    b.flow.structure[figure].alt =
        Some(if caption.is_empty() { b.words.with("photo-of", &[("city", city)]) } else { caption.clone() });
    b.flow.structure[figure].bbox = Some((page, [x, y, x + w, y + h]));
    b.flow.pages[page].items.push(Item::Image { image: index, x, y, w, h, tag: Some(figure) });
    b.flow.cursor += h + 3.0;
    b.flow.fresh = false;
    let credit: Vec<String> = [photo.credit.as_ref(), photo.licence.as_ref()].into_iter().flatten().cloned().collect();
    if !credit.is_empty() {
        if !caption.is_empty() {
            caption.push_str(" — ");
        }
        caption.push_str(&b.words.with("photo-credit", &[("credit", &credit.join(", "))]));
    }
    if !caption.is_empty() {
        b.flow.paragraph(
            &[Span::new(caption, Face::Italic)],
            Block { align: Align::Left, color: GREY, after: 8.0, ..Block::body(7.8) },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roman_numerals() {
        assert_eq!(roman(1), "i");
        assert_eq!(roman(4), "iv");
        assert_eq!(roman(9), "ix");
        assert_eq!(roman(14), "xiv");
    }
}

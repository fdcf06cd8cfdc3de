//! The page model and the flow that fills it: blocks (paragraphs, headings, list items, tables,
//! images, pull quotes) placed top to bottom in a column, page after page, with headings kept
//! with what follows, no widow or orphan lines, tables whose header repeats on every page they
//! cross, and images kept with their captions. Coordinates are PDF points, origin bottom-left.

use super::fonts::{metrics, Face};
use super::text::{self, Align, Line, ParaStyle, Span};

pub type Rgb = (f32, f32, f32);
pub const BLACK: Rgb = (0.1, 0.1, 0.1);
pub const GREY: Rgb = (0.38, 0.38, 0.4);
/// The accent colour (UNESCO blue).
pub const ACCENT: Rgb = (0.0, 0.36, 0.62);
pub const LIGHT: Rgb = (0.93, 0.95, 0.97);

#[derive(Debug, Clone, PartialEq)]
pub enum LinkTarget {
    Uri(String),
    /// An index into the document's pages.
    Page(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A line of text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Rgb,
        line: Line,
        /// The structure element it belongs to (`None`: an artifact, such as a page number).
        tag: Tag,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// An image of the document's `images`, at (x, y) lower-left, w × h points.
    Image {
        image: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        tag: Tag,
    },
    /// A link annotation; `tag` is its Link structure element.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        target: LinkTarget,
        tag: Tag,
    },
}

/// An index into the document's `structure`, or `None` for an artifact.
pub type Tag = Option<usize>;

/// The standard structure types the booklets use (PDF 1.7, 14.8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Document,
    Sect,
    H1,
    H2,
    P,
    L,
    LI,
    Lbl,
    LBody,
    Table,
    TR,
    /// A column header cell.
    TH,
    TD,
    Figure,
    Link,
    BlockQuote,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Document => "Document",
            Role::Sect => "Sect",
            Role::H1 => "H1",
            Role::H2 => "H2",
            Role::P => "P",
            Role::L => "L",
            Role::LI => "LI",
            Role::Lbl => "Lbl",
            Role::LBody => "LBody",
            Role::Table => "Table",
            Role::TR => "TR",
            Role::TH => "TH",
            Role::TD => "TD",
            Role::Figure => "Figure",
            Role::Link => "Link",
            Role::BlockQuote => "BlockQuote",
        }
    }
}

/// One element of the structure tree (the tagged PDF's logical structure, in reading order:
/// children in the order they were made).
#[derive(Debug, Clone, PartialEq)]
pub struct StructNode {
    pub role: Role,
    pub parent: Option<usize>,
    /// Alternate text (a figure's caption).
    pub alt: Option<String>,
    /// The element's language when it differs from the document's.
    pub lang: Option<String>,
    /// A figure's page and bounding box `[x0, y0, x1, y1]`.
    pub bbox: Option<(usize, [f32; 4])>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutlineEntry {
    pub title: String,
    pub page: usize,
}

/// Page numbering style for a range of pages (PDF /PageLabels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelStyle {
    /// No number shown (cover).
    None,
    RomanLower,
    Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelRange {
    pub first_page: usize,
    pub style: LabelStyle,
    pub prefix: String,
    pub start: u32,
}

/// An image to embed: the file's bytes, kept as they are for JPEG.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageData {
    pub bytes: Vec<u8>,
    /// From the header: the writer decodes a PNG only when it embeds it.
    pub format: super::images::Format,
    pub width_px: u32,
    pub height_px: u32,
    /// Whose photo it is, for errors: the city, its index in the portrait, its SHA-256.
    pub city: String,
    pub index: usize,
    pub sha256: String,
}

/// Everything the PDF writer needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub width: f32,
    pub height: f32,
    /// For print output: where the page is trimmed, and how far its bleed goes.
    pub print_boxes: Option<PrintBoxes>,
    pub pages: Vec<Page>,
    pub outline: Vec<OutlineEntry>,
    pub labels: Vec<LabelRange>,
    pub images: Vec<ImageData>,
    pub title: String,
    pub subject: String,
    pub author: String,
    pub keywords: Vec<String>,
    /// The structure tree (node 0 is the Document); empty for an untagged document.
    pub structure: Vec<StructNode>,
    /// The document's language (BCP 47).
    pub lang: String,
}

/// The print boxes of every page, PDF points, `[x0, y0, x1, y1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrintBoxes {
    pub trim: [f32; 4],
    pub bleed: [f32; 4],
}

/// Geometry of the page and its text column.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub width: f32,
    pub height: f32,
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

impl Frame {
    pub fn column(&self) -> f32 {
        self.width - self.left - self.right
    }
}

/// A paragraph style for the flow.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    pub size: f32,
    pub leading: f32,
    pub align: Align,
    pub color: Rgb,
    pub before: f32,
    pub after: f32,
    /// Left indent of the whole block.
    pub indent: f32,
    pub hyphenate: bool,
    /// Keep with the next block: the space it needs below this one (points).
    pub keep_next: f32,
    /// Its structure element.
    pub role: Role,
}

impl Block {
    pub fn body(size: f32) -> Block {
        Block {
            size,
            leading: size * 1.38,
            align: Align::Justify,
            color: BLACK,
            before: 0.0,
            after: size * 0.6,
            indent: 0.0,
            hyphenate: true,
            keep_next: 0.0,
            role: Role::P,
        }
    }
}

/// Fills pages top to bottom.
pub struct Flow {
    pub frame: Frame,
    pub pages: Vec<Page>,
    /// Distance of the next line's top from the page's top edge.
    pub cursor: f32,
    /// True when nothing has been placed on the current page yet.
    pub fresh: bool,
    /// Words never hyphenated (the booklet's city names), lowercase and sorted.
    pub keep_whole: Vec<String>,
    /// The language of the text being set (hyphenation patterns).
    pub lang: super::words::Lang,
    /// The language tag given to the structure elements opened from now on, when the text
    /// differs from the document's language (a portrait's untranslated field); None inherits.
    pub text_lang: Option<String>,
    /// The structure tree built so far (node 0: the Document) and the open elements.
    pub structure: Vec<StructNode>,
    open: Vec<usize>,
}

impl Flow {
    pub fn new(frame: Frame) -> Flow {
        Flow {
            frame,
            pages: vec![Page::default()],
            cursor: frame.top,
            fresh: true,
            keep_whole: Vec::new(),
            lang: super::words::Lang::En,
            text_lang: None,
            structure: vec![StructNode { role: Role::Document, parent: None, alt: None, lang: None, bbox: None }],
            open: vec![0],
        }
    }

    /// A new structure element inside the innermost open one.
    pub fn node(&mut self, role: Role) -> usize {
        let parent = self.open.last().copied();
        self.structure.push(StructNode { role, parent, alt: None, lang: self.text_lang.clone(), bbox: None });
        self.structure.len() - 1
    }

    /// Opens an element: what follows goes inside it until [`Flow::end`].
    pub fn begin(&mut self, role: Role) -> usize {
        let id = self.node(role);
        self.open.push(id);
        id
    }

    /// Closes the innermost open element (the Document stays open).
    pub fn end(&mut self) {
        if self.open.len() > 1 {
            self.open.pop();
        }
    }

    pub fn page_index(&self) -> usize {
        self.pages.len() - 1
    }

    pub fn page(&mut self) -> &mut Page {
        let i = self.pages.len() - 1;
        &mut self.pages[i]
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.cursor = self.frame.top;
        self.fresh = true;
    }

    /// Starts a new page unless the current one is still empty.
    pub fn break_page(&mut self) {
        if !self.fresh {
            self.new_page();
        }
    }

    /// Room left on the page, in points.
    pub fn room(&self) -> f32 {
        self.frame.height - self.frame.bottom - self.cursor
    }

    /// Makes sure `h` points are free, else moves to a new page.
    pub fn need(&mut self, h: f32) {
        if h > self.room() && !self.fresh {
            self.new_page();
        }
    }

    pub fn space(&mut self, h: f32) {
        if !self.fresh {
            self.cursor += h;
        }
    }

    /// y (from the bottom) of a baseline whose line box starts at the cursor.
    fn baseline(&self, size: f32, leading: f32) -> f32 {
        let asc = metrics(Face::Regular).ascender * size;
        let half = (leading - size * 1.2).max(0.0) / 2.0;
        self.frame.height - (self.cursor + half + asc)
    }

    fn place_line(&mut self, x: f32, line: Line, style: &Block, tag: Tag) {
        let y = self.baseline(style.size, style.leading);
        let item = Item::Text { x: x + line.indent, y, size: style.size, color: style.color, line, tag };
        self.page().items.push(item);
        self.cursor += style.leading;
        self.fresh = false;
    }

    /// Places a paragraph; returns (first page, top, last page, bottom) of what was placed,
    /// for links and decorations.
    pub fn paragraph(&mut self, spans: &[Span], style: Block) -> Placed {
        self.paragraph_at(spans, style, self.frame.left + style.indent, self.frame.column() - style.indent, 0.0)
    }

    /// A paragraph in a sub-column at `x`, `width` wide, first line shifted by `first_indent`.
    pub fn paragraph_at(&mut self, spans: &[Span], style: Block, x: f32, width: f32, first_indent: f32) -> Placed {
        let lines = text::layout(
            spans,
            width,
            ParaStyle {
                size: style.size,
                align: style.align,
                first_indent,
                hyphenate: style.hyphenate,
                keep_whole: &self.keep_whole,
                lang: self.lang,
            },
        );
        let tag = self.node(style.role);
        self.place_lines(lines, style, x, Some(tag))
    }

    /// Places laid-out lines with widow and orphan control: never one line of a paragraph alone
    /// at the foot or the head of a page.
    pub fn place_lines(&mut self, lines: Vec<Line>, style: Block, x: f32, tag: Tag) -> Placed {
        self.space(style.before);
        let fit = |room: f32| (room / style.leading + 0.001).floor().max(0.0) as usize;
        let n = lines.len();
        if !self.fresh && n as f32 * style.leading + style.keep_next > self.room() {
            // Split here only if two lines stay and two go over, and nothing must follow it.
            let splittable = style.keep_next == 0.0 && n >= 4 && fit(self.room()) >= 2;
            if !splittable {
                self.new_page();
            }
        }
        let start_page = self.page_index();
        let start_top = self.cursor;
        let mut remaining = lines;
        loop {
            let cap = fit(self.room());
            if cap >= remaining.len() {
                for line in remaining {
                    self.place_line(x, line, &style, tag);
                }
                break;
            }
            let mut here = cap;
            if remaining.len() - here < 2 {
                here = remaining.len().saturating_sub(2); // no widow at the next page's head
            }
            if here < 2 {
                if self.fresh {
                    here = cap.max(1); // a page too small for the rules: place what fits
                } else {
                    self.new_page(); // no orphan at this page's foot
                    continue;
                }
            }
            let rest = remaining.split_off(here);
            for line in remaining {
                self.place_line(x, line, &style, tag);
            }
            remaining = rest;
            self.new_page();
        }
        self.cursor += style.after;
        Placed { tag, start_page, start_top, end_page: self.page_index(), end_bottom: self.cursor - style.after }
    }

    /// A list item (LI) of the open list (L): the marker (Lbl) in the hanging indent, the text
    /// (LBody) beside it. The LI and its LBody stay open for a nested list: close both with
    /// [`Flow::end_list_item`].
    pub fn list_item(&mut self, marker: &str, spans: &[Span], style: Block, hang: f32) -> Placed {
        self.begin(Role::LI);
        let lbl = self.node(Role::Lbl);
        let body = self.begin(Role::LBody);
        let x = self.frame.left + style.indent;
        let width = self.frame.column() - style.indent - hang;
        let lines = text::layout(
            spans,
            width,
            ParaStyle {
                size: style.size,
                align: style.align,
                first_indent: 0.0,
                hyphenate: style.hyphenate,
                keep_whole: &self.keep_whole,
                lang: self.lang,
            },
        );
        let placed = self.place_lines(lines, style, x + hang, Some(body));
        // The marker goes on the item's first baseline, wherever that landed.
        let page = placed.start_page;
        let y = self.frame.height
            - (placed.start_top
                + (style.leading - style.size * 1.2).max(0.0) / 2.0
                + metrics(Face::Regular).ascender * style.size);
        let marker_line = text::layout(
            &[Span::new(marker, Face::Regular)],
            hang,
            ParaStyle {
                size: style.size,
                align: Align::Left,
                first_indent: 0.0,
                hyphenate: false,
                keep_whole: &[],
                lang: Default::default(),
            },
        );
        if let Some(line) = marker_line.into_iter().next() {
            self.pages[page].items.push(Item::Text {
                x,
                y,
                size: style.size,
                color: style.color,
                line,
                tag: Some(lbl),
            });
        }
        placed
    }

    /// Closes the LBody and LI that [`Flow::list_item`] opened.
    pub fn end_list_item(&mut self) {
        self.end();
        self.end();
    }

    /// A horizontal rule across the column at the cursor.
    pub fn rule(&mut self, width: f32, color: Rgb, gap: f32) {
        self.space(gap);
        let y = self.frame.height - self.cursor;
        let (x1, x2) = (self.frame.left, self.frame.width - self.frame.right);
        self.page().items.push(Item::Rule { x1, y1: y, x2, y2: y, width, color });
        self.cursor += gap;
        self.fresh = false;
    }
}

/// Where a block landed.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    /// The structure element of what was placed.
    pub tag: Tag,
    pub start_page: usize,
    pub start_top: f32,
    pub end_page: usize,
    pub end_bottom: f32,
}

/// A table: column widths (points), a header row and body rows of plain text cells. Rows never
/// split; on a page break the header is set again at the top of the new page.
pub struct Table<'a> {
    pub widths: &'a [f32],
    pub header: Vec<Vec<Span>>,
    pub rows: Vec<Vec<Vec<Span>>>,
    pub size: f32,
    pub padding: f32,
}

impl Flow {
    pub fn table(&mut self, t: &Table<'_>) {
        let style = Block { align: Align::Left, hyphenate: false, ..Block::body(t.size) };
        let layout_row = |cells: &[Vec<Span>]| -> Vec<Vec<Line>> {
            cells
                .iter()
                .zip(t.widths)
                .map(|(spans, w)| {
                    text::layout(
                        spans,
                        w - 2.0 * t.padding,
                        ParaStyle {
                            size: t.size,
                            align: Align::Left,
                            first_indent: 0.0,
                            hyphenate: false,
                            keep_whole: &[],
                            lang: Default::default(),
                        },
                    )
                })
                .collect()
        };
        let row_height = |cells: &Vec<Vec<Line>>| {
            cells.iter().map(|c| c.len().max(1)).max().unwrap_or(1) as f32 * style.leading + 2.0 * t.padding
        };
        let header = layout_row(&t.header);
        let hh = row_height(&header);
        let rows: Vec<Vec<Vec<Line>>> = t.rows.iter().map(|r| layout_row(r)).collect();
        // The header and at least one row together.
        let first_h = rows.first().map(row_height).unwrap_or(0.0);
        self.need(hh + first_h);
        self.begin(Role::Table);
        self.table_row(&header, t, hh, Some(Role::TH));
        for row in rows {
            let h = row_height(&row);
            if h > self.room() {
                self.new_page();
                // The header set again on a new page is a repetition: an artifact.
                self.table_row(&header, t, hh, None);
            }
            self.table_row(&row, t, h, Some(Role::TD));
        }
        self.end();
    }

    /// A row: `cell` is TH for the header, TD for the body, `None` for a repeated header.
    fn table_row(&mut self, cells: &[Vec<Line>], t: &Table<'_>, h: f32, cell: Option<Role>) {
        let header = cell != Some(Role::TD);
        if cell.is_some() {
            self.begin(Role::TR);
        }
        let top = self.frame.height - self.cursor;
        let left = self.frame.left;
        let total: f32 = t.widths.iter().sum();
        if header {
            self.page().items.push(Item::Rect { x: left, y: top - h, w: total, h, color: LIGHT });
        }
        let style = Block { align: Align::Left, color: if header { ACCENT } else { BLACK }, ..Block::body(t.size) };
        let mut x = left;
        for (lines, w) in cells.iter().zip(t.widths) {
            let tag = cell.map(|role| self.node(role));
            let mut cursor = self.cursor + t.padding;
            for line in lines {
                let half = (style.leading - style.size * 1.2).max(0.0) / 2.0;
                let y = self.frame.height - (cursor + half + metrics(Face::Regular).ascender * style.size);
                self.page().items.push(Item::Text {
                    x: x + t.padding + line.indent,
                    y,
                    size: style.size,
                    color: style.color,
                    line: line.clone(),
                    tag,
                });
                cursor += style.leading;
            }
            x += w;
        }
        let y = top - h;
        self.page().items.push(Item::Rule { x1: left, y1: y, x2: left + total, y2: y, width: 0.4, color: GREY });
        self.cursor += h;
        self.fresh = false;
        if cell.is_some() {
            self.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame { width: 400.0, height: 300.0, left: 40.0, right: 40.0, top: 40.0, bottom: 40.0 }
    }

    fn long_text() -> Vec<Span> {
        vec![Span::new("Learning cities promote lifelong learning for all. ".repeat(20), Face::Regular)]
    }

    fn lines_per_page(flow: &Flow) -> Vec<usize> {
        flow.pages.iter().map(|p| p.items.iter().filter(|i| matches!(i, Item::Text { .. })).count()).collect()
    }

    #[test]
    fn no_orphan_at_the_foot_of_a_page() {
        let mut flow = Flow::new(frame());
        let style = Block::body(10.0);
        // Leave room for exactly one line, then start a long paragraph.
        flow.cursor = flow.frame.height - flow.frame.bottom - style.leading * 1.5;
        flow.fresh = false;
        flow.paragraph(&long_text(), style);
        assert_eq!(lines_per_page(&flow)[0], 0, "one line alone at the foot moves to the next page");
    }

    #[test]
    fn no_widow_at_the_head_of_a_page() {
        let style = Block::body(10.0);
        let total = text::layout(
            &long_text(),
            frame().column(),
            ParaStyle {
                size: 10.0,
                align: Align::Justify,
                first_indent: 0.0,
                hyphenate: true,
                keep_whole: &[],
                lang: Default::default(),
            },
        )
        .len();
        // Room for all lines but one: the last would be a widow, so two go over.
        let mut flow = Flow::new(frame());
        flow.cursor = flow.frame.height - flow.frame.bottom - style.leading * (total as f32 - 1.0) - 0.5;
        flow.fresh = false;
        flow.paragraph(&long_text(), style);
        let counts = lines_per_page(&flow);
        assert!(counts.iter().all(|&n| n == 0 || n >= 2), "{counts:?} of {total}");
        assert_eq!(counts.iter().sum::<usize>(), total);
    }

    #[test]
    fn a_heading_is_kept_with_what_follows() {
        let mut flow = Flow::new(frame());
        let body = Block::body(10.0);
        flow.cursor = flow.frame.height - flow.frame.bottom - body.leading * 2.0;
        flow.fresh = false;
        let heading = Block { keep_next: body.leading * 3.0, ..Block::body(12.0) };
        let placed = flow.paragraph(&[Span::new("Plan and implementation", Face::Bold)], heading);
        assert_eq!(placed.start_page, 1, "the heading moved to the page its text starts on");
    }

    #[test]
    fn a_table_repeats_its_header_on_every_page() {
        let mut flow = Flow::new(frame());
        let widths = [160.0, 160.0];
        let table = Table {
            widths: &widths,
            header: vec![vec![Span::new("Country", Face::Bold)], vec![Span::new("City", Face::Bold)]],
            rows: (0..40)
                .map(|i| {
                    vec![vec![Span::new(format!("Country {i}"), Face::Regular)], vec![Span::new("City", Face::Regular)]]
                })
                .collect(),
            size: 9.0,
            padding: 3.0,
        };
        flow.table(&table);
        assert!(flow.pages.len() >= 2);
        for page in &flow.pages {
            let first = page.items.iter().find_map(|i| match i {
                Item::Text { line, .. } => Some(line.text()),
                _ => None,
            });
            assert_eq!(first.as_deref(), Some("Country"), "every page starts with the header");
        }
    }
}

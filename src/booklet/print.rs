//! Print-shop output (issue 12, point 4): the page count padded to a multiple of 4, 2-up
//! saddle-stitch imposition, a 3 mm bleed with the trim and bleed boxes, crop marks. Pure
//! transformations of a laid-out [`Document`]; the PDF writer writes the boxes.
//!
//! Owns: the geometry of print output. Must not: lay text out, or know the templates (what
//! touches a page's edge runs into the bleed, whatever it is).

use super::layout::{Document, Item, LinkTarget, Page, PrintBoxes, Rgb};

/// One millimetre in PDF points.
pub const MM: f32 = 72.0 / 25.4;
/// The bleed on every side of a page (or of a sheet, when imposed).
pub const BLEED: f32 = 3.0 * MM;
/// Room outside the bleed for the crop marks, when they are asked for.
pub const MARK_ROOM: f32 = 10.0 * MM;
/// A crop mark's length, and its distance from the trim (it starts outside the bleed).
const MARK_LEN: f32 = 6.0 * MM;
const MARK_GAP: f32 = 3.5 * MM;
/// Registration black for the marks.
const MARK_COLOR: Rgb = (0.0, 0.0, 0.0);
/// An item within this of a page edge touches it.
const EDGE: f32 = 0.5;

/// How pages go on sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imposition {
    /// Two pages side by side on each side of a sheet, in the order that makes a folded and
    /// stapled booklet (for 16 pages: 16,1 / 2,15 / 14,3 / 4,13 …).
    SaddleStitch,
}

/// What the print shop asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Print {
    pub marks: bool,
    pub impose: Option<Imposition>,
}

/// The document as the print shop wants it: padded to a multiple of 4 pages, imposed if asked,
/// with bleed (and marks).
pub fn prepare(doc: Document, print: &Print) -> Document {
    let mut doc = pad_to_four(doc);
    if print.impose == Some(Imposition::SaddleStitch) {
        doc = saddle_stitch(doc);
    }
    bleed(doc, print.marks)
}

/// Blank pages at the end until the count is a multiple of 4 (a booklet is folded sheets).
pub fn pad_to_four(mut doc: Document) -> Document {
    while !doc.pages.len().is_multiple_of(4) {
        doc.pages.push(Page::default());
    }
    doc
}

/// The pages on each sheet side, (left, right), 0-based, for `n` pages (a multiple of 4).
pub fn saddle_stitch_order(n: usize) -> Vec<(usize, usize)> {
    (0..n / 2).map(|i| if i % 2 == 0 { (n - 1 - i, i) } else { (i, n - 1 - i) }).collect()
}

/// Two pages side by side per sheet side, in saddle-stitch order. The outline, page labels and
/// structure tree belong to the reading order and are left out (sheets for a press are not
/// read on screen); links to a page go to its sheet.
pub fn saddle_stitch(doc: Document) -> Document {
    let doc = pad_to_four(doc);
    let order = saddle_stitch_order(doc.pages.len());
    let mut sheet_of = vec![0; doc.pages.len()];
    for (s, (l, r)) in order.iter().enumerate() {
        sheet_of[*l] = s;
        sheet_of[*r] = s;
    }
    let w = doc.width;
    let sheets = order
        .iter()
        .map(|(l, r)| Page {
            items: [(*l, 0.0), (*r, w)]
                .into_iter()
                .flat_map(|(page, dx)| doc.pages[page].items.iter().map(move |it| (it, dx)))
                .map(|(it, dx)| shift(it, dx, 0.0, &|p| sheet_of.get(p).copied().unwrap_or(p)))
                .collect(),
        })
        .collect();
    Document { width: 2.0 * w, pages: sheets, outline: Vec::new(), labels: Vec::new(), structure: Vec::new(), ..doc }
}

/// Every page grown by the bleed (and the marks' room) on each side, its content moved in;
/// backgrounds and photos that touch an edge run into the bleed; the trim and bleed boxes set.
pub fn bleed(doc: Document, marks: bool) -> Document {
    let (w, h) = (doc.width, doc.height);
    let off = BLEED + if marks { MARK_ROOM } else { 0.0 };
    let pages = doc
        .pages
        .iter()
        .map(|p| {
            let mut items: Vec<Item> =
                p.items.iter().map(|it| shift(&into_bleed(it, w, h), off, off, &|page| page)).collect();
            if marks {
                items.extend(crop_marks(w, h, off));
            }
            Page { items }
        })
        .collect();
    let mut structure = doc.structure.clone();
    for node in &mut structure {
        if let Some((_, b)) = node.bbox.as_mut() {
            *b = [b[0] + off, b[1] + off, b[2] + off, b[3] + off];
        }
    }
    Document {
        width: w + 2.0 * off,
        height: h + 2.0 * off,
        pages,
        structure,
        print_boxes: Some(PrintBoxes {
            trim: [off, off, off + w, off + h],
            bleed: [off - BLEED, off - BLEED, off + w + BLEED, off + h + BLEED],
        }),
        ..doc
    }
}

/// A rectangle or image touching an edge of a `w` × `h` page, grown over that edge by the bleed.
fn into_bleed(item: &Item, w: f32, h: f32) -> Item {
    let grow = |x: f32, y: f32, iw: f32, ih: f32| {
        let (mut x0, mut y0, mut x1, mut y1) = (x, y, x + iw, y + ih);
        if x0 <= EDGE {
            x0 -= BLEED;
        }
        if y0 <= EDGE {
            y0 -= BLEED;
        }
        if x1 >= w - EDGE {
            x1 += BLEED;
        }
        if y1 >= h - EDGE {
            y1 += BLEED;
        }
        (x0, y0, x1 - x0, y1 - y0)
    };
    match item {
        Item::Rect { x, y, w: iw, h: ih, color } => {
            let (x, y, w, h) = grow(*x, *y, *iw, *ih);
            Item::Rect { x, y, w, h, color: *color }
        }
        Item::Image { image, x, y, w: iw, h: ih, tag } => {
            let (x, y, w, h) = grow(*x, *y, *iw, *ih);
            Item::Image { image: *image, x, y, w, h, tag: *tag }
        }
        other => other.clone(),
    }
}

/// An item moved by (dx, dy); a link to a page goes to `page(p)`.
fn shift(item: &Item, dx: f32, dy: f32, page: &dyn Fn(usize) -> usize) -> Item {
    match item {
        Item::Text { x, y, size, color, line, tag } => {
            Item::Text { x: x + dx, y: y + dy, size: *size, color: *color, line: line.clone(), tag: *tag }
        }
        Item::Rule { x1, y1, x2, y2, width, color } => {
            Item::Rule { x1: x1 + dx, y1: y1 + dy, x2: x2 + dx, y2: y2 + dy, width: *width, color: *color }
        }
        Item::Rect { x, y, w, h, color } => Item::Rect { x: x + dx, y: y + dy, w: *w, h: *h, color: *color },
        Item::Image { image, x, y, w, h, tag } => {
            Item::Image { image: *image, x: x + dx, y: y + dy, w: *w, h: *h, tag: *tag }
        }
        Item::Link { x, y, w, h, target, tag } => Item::Link {
            x: x + dx,
            y: y + dy,
            w: *w,
            h: *h,
            target: match target {
                LinkTarget::Page(p) => LinkTarget::Page(page(*p)),
                uri => uri.clone(),
            },
            tag: *tag,
        },
    }
}

/// Eight hairlines at the trim's corners, outside the bleed.
fn crop_marks(w: f32, h: f32, off: f32) -> Vec<Item> {
    let (left, right, bottom, top) = (off, off + w, off, off + h);
    let mut out = Vec::new();
    for (x, y, sx, sy) in
        [(left, bottom, -1.0, -1.0), (right, bottom, 1.0, -1.0), (left, top, -1.0, 1.0), (right, top, 1.0, 1.0)]
    {
        let (near, far) = (MARK_GAP, MARK_GAP + MARK_LEN);
        // Horizontal, on the trim's horizontal edge line; vertical, on its vertical edge line.
        out.push(Item::Rule { x1: x + sx * near, y1: y, x2: x + sx * far, y2: y, width: 0.25, color: MARK_COLOR });
        out.push(Item::Rule { x1: x, y1: y + sy * near, x2: x, y2: y + sy * far, width: 0.25, color: MARK_COLOR });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saddle_stitch_order_folds_into_reading_order() {
        let order: Vec<(usize, usize)> = saddle_stitch_order(16).into_iter().map(|(l, r)| (l + 1, r + 1)).collect();
        assert_eq!(&order[..4], &[(16, 1), (2, 15), (14, 3), (4, 13)]);
        assert_eq!(order.len(), 8);
        // Every page once; each pair adds up to n + 1.
        let mut seen: Vec<usize> = order.iter().flat_map(|(l, r)| [*l, *r]).collect();
        seen.sort();
        assert_eq!(seen, (1..=16).collect::<Vec<_>>());
        assert!(order.iter().all(|(l, r)| l + r == 17));
    }
}

//! Page thumbnails: a laid-out page as SVG (text, rules, boxes; photos as grey boxes), for the
//! desktop's booklet preview. The PDF stays the document; this is only a picture of it.

use std::fmt::Write as _;

use super::fonts::Face;
use super::layout::{Document, Item, Rgb};

fn color(c: Rgb) -> String {
    format!("rgb({},{},{})", (c.0 * 255.0).round(), (c.1 * 255.0).round(), (c.2 * 255.0).round())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One page of the document as an SVG document.
pub fn page(doc: &Document, index: usize) -> String {
    let (w, h) = (doc.width, doc.height);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" font-family=\"Noto Sans, sans-serif\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
    );
    let Some(page) = doc.pages.get(index) else { return s + "</svg>" };
    for item in &page.items {
        match item {
            Item::Rect { x, y, w: rw, h: rh, color: c } => {
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{rw:.1}\" height=\"{rh:.1}\" fill=\"{}\"/>",
                    h - y - rh,
                    color(*c)
                );
            }
            Item::Rule { x1, y1, x2, y2, width, color: c } => {
                let _ = write!(
                    s,
                    "<line x1=\"{x1:.1}\" y1=\"{:.1}\" x2=\"{x2:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"{width:.1}\"/>",
                    h - y1,
                    h - y2,
                    color(*c)
                );
            }
            Item::Image { x, y, w: iw, h: ih, .. } => {
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{iw:.1}\" height=\"{ih:.1}\" fill=\"#c8ced6\"/>",
                    h - y - ih
                );
            }
            Item::Text { x, y, size, color: c, line, .. } => {
                for seg in &line.segs {
                    let (weight, style) = match seg.face {
                        Face::Regular => ("normal", "normal"),
                        Face::Bold => ("bold", "normal"),
                        Face::Italic => ("normal", "italic"),
                        Face::BoldItalic => ("bold", "italic"),
                    };
                    let _ = write!(
                        s,
                        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{size:.1}\" font-weight=\"{weight}\" font-style=\"{style}\" fill=\"{}\" word-spacing=\"{:.2}\" xml:space=\"preserve\">{}</text>",
                        x + seg.x,
                        h - y,
                        color(*c),
                        line.extra_per_space,
                        escape(&seg.text)
                    );
                }
            }
            Item::Link { .. } => {}
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::super::layout::{Flow, Frame, Page};
    use super::*;

    #[test]
    fn a_page_is_well_formed_svg_with_escaped_text() {
        let mut flow =
            Flow::new(Frame { width: 300.0, height: 400.0, left: 20.0, right: 20.0, top: 20.0, bottom: 20.0 });
        flow.paragraph(
            &[super::super::text::Span::new("A & B <c>", Face::Bold)],
            super::super::layout::Block::body(10.0),
        );
        let doc = Document {
            width: 300.0,
            height: 400.0,
            print_boxes: None,
            pages: vec![flow.pages.remove(0), Page::default()],
            outline: vec![],
            labels: vec![],
            images: vec![],
            title: String::new(),
            subject: String::new(),
            author: String::new(),
            keywords: vec![],
            structure: vec![],
            lang: "en".into(),
        };
        let svg = page(&doc, 0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("A &amp; B &lt;c&gt;") && svg.contains("font-weight=\"bold\""));
    }
}

//! Paragraph layout: styled spans → lines. Greedy line breaking on the fonts' advance widths,
//! English hyphenation (Knuth–Liang patterns of the `hyphenation` crate, compiled in), breaks
//! after existing hyphens and slashes, a forced break inside a word only when a single word is
//! wider than the column, and justification expressed as extra space per inter-word gap (the
//! PDF writer turns it into TJ offsets). No line is ever wider than its column.

use std::sync::OnceLock;

use hyphenation::{Hyphenator, Language, Load, Standard};

use super::fonts::{metrics, Face};

/// A run of text in one face.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub face: Face,
}

impl Span {
    pub fn new(text: impl Into<String>, face: Face) -> Span {
        Span { text: text.into(), face }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Justify,
    Left,
    Center,
    Right,
}

/// A piece of a line in one face; `text` may contain spaces (justification gaps).
#[derive(Debug, Clone, PartialEq)]
pub struct Seg {
    pub face: Face,
    pub text: String,
    /// Offset from the line's start, justification included, in points.
    pub x: f32,
}

/// A laid-out line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub segs: Vec<Seg>,
    /// Width without justification.
    pub natural: f32,
    /// Extra width added at each space (justification), in points.
    pub extra_per_space: f32,
    /// Number of spaces that get the extra.
    pub spaces: usize,
    /// Offset of the line from the column's left edge (indent, centring).
    pub indent: f32,
}

impl Line {
    /// The width the line occupies on the page.
    pub fn width(&self) -> f32 {
        self.natural + self.extra_per_space * self.spaces as f32
    }

    pub fn text(&self) -> String {
        self.segs.iter().map(|s| s.text.as_str()).collect()
    }
}

/// How to set a paragraph.
#[derive(Debug, Clone, Copy)]
pub struct ParaStyle {
    pub size: f32,
    pub align: Align,
    /// Indent of the first line (positive) relative to the others.
    pub first_indent: f32,
    pub hyphenate: bool,
}

fn hyphenator() -> Option<&'static Standard> {
    static H: OnceLock<Option<Standard>> = OnceLock::new();
    H.get_or_init(|| Standard::from_embedded(Language::EnglishUS).ok()).as_ref()
}

/// A word: pieces in possibly different faces, with no space inside.
#[derive(Debug, Clone)]
struct Word {
    pieces: Vec<(Face, String)>,
    /// Face of the space that follows the word.
    space_face: Face,
}

impl Word {
    fn width(&self, size: f32) -> f32 {
        self.pieces.iter().map(|(f, t)| metrics(*f).width(t, size)).sum()
    }
}

fn words_of(spans: &[Span]) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut current: Option<Word> = None;
    for span in spans {
        for (i, part) in span.text.split(|c: char| c.is_whitespace()).enumerate() {
            if i > 0 {
                // Whitespace between parts ends the current word.
                if let Some(mut w) = current.take() {
                    w.space_face = span.face;
                    words.push(w);
                }
            }
            if part.is_empty() {
                continue;
            }
            match current.as_mut() {
                Some(w) => w.pieces.push((span.face, part.to_string())),
                None => current = Some(Word { pieces: vec![(span.face, part.to_string())], space_face: span.face }),
            }
        }
    }
    if let Some(w) = current {
        words.push(w);
    }
    words
}

/// Splits a single-face word at a break opportunity: returns (head incl. hyphen if needed,
/// tail), the head being the longest that fits in `room`.
fn split_word(word: &Word, room: f32, size: f32, hyphenate: bool) -> Option<(Word, Word)> {
    if word.pieces.len() != 1 {
        return None;
    }
    let (face, text) = &word.pieces[0];
    let m = metrics(*face);
    // Candidate breaks: (byte index, add a hyphen).
    let mut breaks: Vec<(usize, bool)> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if (c == '-' || c == '/' || c == '–') && k >= 2 && k + 3 < chars.len() {
            breaks.push((i + c.len_utf8(), false));
        }
    }
    if hyphenate {
        if let Some(h) = hyphenator() {
            // Hyphenate the alphabetic core of the word, without leading/trailing punctuation.
            let start = text.find(|c: char| c.is_alphabetic()).unwrap_or(0);
            let end = text
                .rfind(|c: char| c.is_alphabetic())
                .map(|i| i + text[i..].chars().next().map_or(1, char::len_utf8))
                .unwrap_or(0);
            if end > start {
                let core = &text[start..end];
                if core.chars().count() >= 6 && core.chars().all(|c| c.is_alphabetic()) {
                    let lower = core.to_lowercase();
                    if lower.len() == core.len() {
                        for b in h.hyphenate(&lower).breaks {
                            breaks.push((start + b, true));
                        }
                    }
                }
            }
        }
    }
    breaks.sort_unstable();
    breaks.dedup();
    let mut best: Option<(usize, bool)> = None;
    for &(i, hyphen) in &breaks {
        let head = &text[..i];
        let w = m.width(head, size) + if hyphen { m.width("-", size) } else { 0.0 };
        if w <= room {
            best = Some((i, hyphen));
        }
    }
    let (i, hyphen) = best?;
    let mut head = text[..i].to_string();
    if hyphen {
        head.push('-');
    }
    Some((
        Word { pieces: vec![(*face, head)], space_face: word.space_face },
        Word { pieces: vec![(*face, text[i..].to_string())], space_face: word.space_face },
    ))
}

/// Breaks a word that is wider than a whole line at the last character that fits.
fn force_split(word: &Word, room: f32, size: f32) -> (Word, Word) {
    let mut head: Vec<(Face, String)> = Vec::new();
    let mut tail: Vec<(Face, String)> = Vec::new();
    let mut used = 0.0;
    let mut full = false;
    for (face, text) in &word.pieces {
        let m = metrics(*face);
        let mut h = String::new();
        let mut t = String::new();
        for c in text.chars() {
            let w = m.advance(c) * size;
            if !full && (used + w <= room || (head.is_empty() && h.is_empty())) {
                h.push(c);
                used += w;
            } else {
                full = true;
                t.push(c);
            }
        }
        if !h.is_empty() {
            head.push((*face, h));
        }
        if !t.is_empty() {
            tail.push((*face, t));
        }
    }
    (Word { pieces: head, space_face: word.space_face }, Word { pieces: tail, space_face: word.space_face })
}

/// Lays out a paragraph in a column `width` points wide.
pub fn layout(spans: &[Span], width: f32, style: ParaStyle) -> Vec<Line> {
    let size = style.size;
    let mut words = words_of(spans);
    words.reverse(); // a stack: pop from the end
    let mut lines: Vec<Vec<Word>> = Vec::new();
    let mut current: Vec<Word> = Vec::new();
    let mut used = 0.0f32;
    let line_width = |n: usize| if n == 0 { width - style.first_indent.max(0.0) } else { width };
    while let Some(word) = words.pop() {
        let avail = line_width(lines.len());
        let space = current.last().map(|w: &Word| metrics(w.space_face).advance(' ') * size).unwrap_or(0.0);
        let ww = word.width(size);
        if used + space + ww <= avail + 0.01 {
            used += space + ww;
            current.push(word);
            continue;
        }
        // Does not fit: break the word if a piece of it fits, else start a new line.
        let room = avail - used - space;
        if room > size * 1.5 {
            if let Some((head, tail)) = split_word(&word, room, size, style.hyphenate) {
                current.push(head);
                lines.push(std::mem::take(&mut current));
                used = 0.0;
                words.push(tail);
                continue;
            }
        }
        if current.is_empty() {
            // A single word wider than the line: break it where it must.
            let (head, tail) = match split_word(&word, avail, size, style.hyphenate) {
                Some(pair) => pair,
                None => force_split(&word, avail, size),
            };
            lines.push(vec![head]);
            if !tail.pieces.is_empty() {
                words.push(tail);
            }
            continue;
        }
        lines.push(std::mem::take(&mut current));
        used = 0.0;
        words.push(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    let count = lines.len();
    lines.into_iter().enumerate().map(|(i, ws)| build_line(ws, i, i + 1 == count, width, style)).collect()
}

fn build_line(words: Vec<Word>, index: usize, last: bool, width: f32, style: ParaStyle) -> Line {
    let size = style.size;
    // Segments: runs of one face, spaces included.
    let mut segs: Vec<(Face, String, usize)> = Vec::new(); // (face, text, spaces inside)
    let n = words.len();
    for (i, w) in words.iter().enumerate() {
        for (face, text) in &w.pieces {
            match segs.last_mut() {
                Some((f, t, _)) if f == face => t.push_str(text),
                _ => segs.push((*face, text.clone(), 0)),
            }
        }
        if i + 1 < n {
            match segs.last_mut() {
                Some((f, t, s)) if *f == w.space_face => {
                    t.push(' ');
                    *s += 1;
                }
                _ => segs.push((w.space_face, " ".into(), 1)),
            }
        }
    }
    let natural: f32 = segs.iter().map(|(f, t, _)| metrics(*f).width(t, size)).sum();
    let spaces = n.saturating_sub(1);
    let indent_first = if index == 0 { style.first_indent.max(0.0) } else { 0.0 };
    let avail = width - indent_first;
    let (extra, indent) = match style.align {
        Align::Justify if !last && spaces > 0 && natural < avail => ((avail - natural) / spaces as f32, indent_first),
        Align::Center => (0.0, indent_first + ((avail - natural) / 2.0).max(0.0)),
        Align::Right => (0.0, indent_first + (avail - natural).max(0.0)),
        _ => (0.0, indent_first),
    };
    let mut x = 0.0;
    let mut out = Vec::with_capacity(segs.len());
    for (face, text, sp) in segs {
        let w = metrics(face).width(&text, size) + extra * sp as f32;
        out.push(Seg { face, text, x });
        x += w;
    }
    Line { segs: out, natural, extra_per_space: extra, spaces, indent }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Villa María is reaching a universal level of literacy (a literacy rate of 94.5% was reported in 2010). With a long educational tradition and the community's positive perception of education, the city is enthusiastic to build a lifelong learning city.";

    fn style() -> ParaStyle {
        ParaStyle { size: 9.5, align: Align::Justify, first_indent: 0.0, hyphenate: true }
    }

    #[test]
    fn no_line_is_wider_than_its_column_and_justified_lines_fill_it() {
        for width in [60.0, 90.0, 150.0, 240.0, 400.0] {
            let lines = layout(&[Span::new(TEXT, Face::Regular)], width, style());
            for (i, l) in lines.iter().enumerate() {
                assert!(
                    l.indent + l.width() <= width + 0.01,
                    "width {width}: line {i} is {} wide: {:?}",
                    l.width(),
                    l.text()
                );
                if i + 1 < lines.len() && l.spaces > 0 {
                    assert!((l.width() - width).abs() < 0.01, "justified line {i} fills the column");
                }
            }
            // Nothing is lost: the words come back (hyphens removed).
            let joined: String = lines.iter().map(|l| l.text()).collect::<Vec<_>>().join(" ");
            let rebuilt = joined.replace("- ", "");
            let rebuilt_words: Vec<&str> = rebuilt.split_whitespace().collect();
            let original: Vec<&str> = TEXT.split_whitespace().collect();
            assert_eq!(rebuilt_words.len(), original.len(), "width {width}: {joined}");
        }
    }

    #[test]
    fn hyphenates_long_words_at_pattern_points() {
        let lines = layout(&[Span::new("Internationalisation of municipalities", Face::Regular)], 70.0, style());
        assert!(lines.len() >= 2);
        assert!(
            lines.iter().any(|l| l.text().ends_with('-')),
            "{:?}",
            lines.iter().map(|l| l.text()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_overlong_word_is_broken_not_overflowed() {
        let lines = layout(&[Span::new("learningfestival@corkcity.ie", Face::Bold)], 40.0, style());
        assert!(lines.len() >= 2);
        for l in &lines {
            assert!(l.width() <= 40.01, "{:?}", l.text());
        }
        assert_eq!(lines.iter().map(|l| l.text()).collect::<String>(), "learningfestival@corkcity.ie");
    }

    #[test]
    fn styles_are_kept_in_segments() {
        let spans = [Span::new("A ", Face::Regular), Span::new("bold", Face::Bold), Span::new(" word.", Face::Regular)];
        let lines = layout(&spans, 300.0, style());
        assert_eq!(lines.len(), 1);
        let faces: Vec<Face> = lines[0].segs.iter().map(|s| s.face).collect();
        assert_eq!(faces, [Face::Regular, Face::Bold, Face::Regular]);
        assert_eq!(lines[0].text(), "A bold word.");
    }
}

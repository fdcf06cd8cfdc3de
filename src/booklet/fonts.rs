//! The vendored fonts (Noto Sans, `data/fonts/`, SIL OFL 1.1) and their metrics, read with
//! ttf-parser: advance widths for line breaking, vertical metrics, and glyph coverage; and
//! their kerning, from the font's GPOS table as the rustybuzz shaper applies it.
//!
//! Kerning is kept per pair of characters: the first time a pair is met it is shaped with
//! rustybuzz (one cached plan per face, ligatures off so every character keeps its own glyph
//! and the text stays extractable) and the change in advance is remembered. Widths and the
//! PDF's glyph offsets both read these pairs, so what is measured is what is drawn; a test
//! checks the positions against rustybuzz shaping whole lines. Spaces are not kerned (the
//! line breaker's glue is the space's advance).

use rustc_hash::FxHashMap as HashMap;
use std::sync::{OnceLock, RwLock};

/// The four faces of the booklet's one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Face {
    pub const ALL: [Face; 4] = [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic];

    pub fn from_style(bold: bool, italic: bool) -> Face {
        match (bold, italic) {
            (false, false) => Face::Regular,
            (true, false) => Face::Bold,
            (false, true) => Face::Italic,
            (true, true) => Face::BoldItalic,
        }
    }

    pub fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => include_bytes!("../../data/fonts/NotoSans-Regular.ttf"),
            Face::Bold => include_bytes!("../../data/fonts/NotoSans-Bold.ttf"),
            Face::Italic => include_bytes!("../../data/fonts/NotoSans-Italic.ttf"),
            Face::BoldItalic => include_bytes!("../../data/fonts/NotoSans-BoldItalic.ttf"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Face::Regular => "NotoSans-Regular",
            Face::Bold => "NotoSans-Bold",
            Face::Italic => "NotoSans-Italic",
            Face::BoldItalic => "NotoSans-BoldItalic",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Metrics of one face, in em units (multiply by the font size in points).
pub struct Metrics {
    /// Advance width (em) and glyph id of every character the face maps.
    advances: HashMap<char, (f32, u16)>,
    /// Advance of a character the face lacks (its .notdef glyph), in em.
    missing: f32,
    pub ascender: f32,
    pub descender: f32,
    pub cap_height: f32,
    /// The shaper: the face and a plan for left-to-right text without ligatures.
    shaper: Option<(rustybuzz::Face<'static>, rustybuzz::ShapePlan)>,
    /// Kerning of character pairs met so far, in em: below [`DENSE`] in a table of f32 bits
    /// ([`UNKNOWN`] until met), the others in a map.
    dense_kerns: Box<[std::sync::atomic::AtomicU32]>,
    kerns: RwLock<HashMap<(char, char), f32>>,
    /// Advance (em) and glyph of the characters below [`DENSE`] (NaN: not in the face).
    dense: Box<[(f32, u16)]>,
}

/// Characters below this (Basic Latin to Latin Extended-A) have dense metric tables.
const DENSE: usize = 0x180;
/// A kerning cell not computed yet (a NaN no kerning value has).
const UNKNOWN: u32 = 0x7fc0_dead;

fn dense_kerns() -> Box<[std::sync::atomic::AtomicU32]> {
    (0..DENSE * DENSE).map(|_| std::sync::atomic::AtomicU32::new(UNKNOWN)).collect()
}

fn dense(advances: &HashMap<char, (f32, u16)>) -> Box<[(f32, u16)]> {
    (0..DENSE as u32)
        .map(|c| char::from_u32(c).and_then(|c| advances.get(&c).copied()).unwrap_or((f32::NAN, 0)))
        .collect()
}

/// Features for shaping: the defaults (kerning, marks) without ligatures, which would merge
/// characters into one glyph.
fn shaping_features() -> Vec<rustybuzz::Feature> {
    ["-liga", "-clig", "-dlig", "-hlig", "-calt"].iter().filter_map(|f| f.parse().ok()).collect()
}

/// A shaping plan for `face`: left to right, Latin script (the booklets' text), no ligatures.
pub fn plan(face: &rustybuzz::Face<'_>) -> rustybuzz::ShapePlan {
    rustybuzz::ShapePlan::new(
        face,
        rustybuzz::Direction::LeftToRight,
        Some(rustybuzz::script::LATIN),
        None,
        &shaping_features(),
    )
}

/// A buffer of `text` with the properties of [`plan`].
pub fn buffer(text: &str) -> rustybuzz::UnicodeBuffer {
    let mut b = rustybuzz::UnicodeBuffer::new();
    b.push_str(text);
    b.set_direction(rustybuzz::Direction::LeftToRight);
    b.set_script(rustybuzz::script::LATIN);
    b
}

impl Metrics {
    fn load(face: Face) -> Metrics {
        // The fonts are compiled in and tested; a parse failure would be a build defect.
        let Ok(f) = ttf_parser::Face::parse(face.bytes(), 0) else {
            return Metrics {
                advances: HashMap::default(),
                missing: 0.5,
                ascender: 0.9,
                descender: -0.25,
                cap_height: 0.7,
                shaper: None,
                dense_kerns: dense_kerns(),
                kerns: RwLock::new(HashMap::default()),
                dense: dense(&HashMap::default()),
            };
        };
        let upem = f32::from(f.units_per_em());
        let mut advances = HashMap::default();
        if let Some(cmap) = f.tables().cmap {
            for sub in cmap.subtables {
                if !sub.is_unicode() {
                    continue;
                }
                sub.codepoints(|cp| {
                    if let (Some(ch), Some(gid)) = (char::from_u32(cp), sub.glyph_index(cp)) {
                        let adv = f.glyph_hor_advance(gid).map(f32::from).unwrap_or(0.0) / upem;
                        advances.entry(ch).or_insert((adv, gid.0));
                    }
                });
            }
        }
        let missing = f.glyph_hor_advance(ttf_parser::GlyphId(0)).map(f32::from).unwrap_or(upem / 2.0) / upem;
        Metrics {
            missing,
            ascender: f32::from(f.ascender()) / upem,
            descender: f32::from(f.descender()) / upem,
            cap_height: f.capital_height().map(f32::from).unwrap_or(upem * 0.714) / upem,
            shaper: rustybuzz::Face::from_slice(face.bytes(), 0).map(|f| {
                let p = plan(&f);
                (f, p)
            }),
            dense_kerns: dense_kerns(),
            kerns: RwLock::new(HashMap::default()),
            dense: dense(&advances),
            advances,
        }
    }

    /// The kerning between two characters, in em (negative: closer), as the shaper sets the
    /// pair. Zero next to whitespace and for characters the face lacks.
    pub fn kern(&self, a: char, b: char) -> f32 {
        if a.is_whitespace() || b.is_whitespace() {
            return 0.0;
        }
        // Pairs of Latin letters (most of any booklet): a dense table, filled as pairs are met.
        let (ia, ib) = (a as usize, b as usize);
        if ia < DENSE && ib < DENSE {
            let cell = &self.dense_kerns[ia * DENSE + ib];
            let bits = cell.load(std::sync::atomic::Ordering::Relaxed);
            if bits != UNKNOWN {
                return f32::from_bits(bits);
            }
            let v = self.shape_pair(a, b);
            cell.store(v.to_bits(), std::sync::atomic::Ordering::Relaxed);
            return v;
        }
        if let Ok(k) = self.kerns.read() {
            if let Some(v) = k.get(&(a, b)) {
                return *v;
            }
        }
        let v = self.shape_pair(a, b);
        if let Ok(mut k) = self.kerns.write() {
            k.insert((a, b), v);
        }
        v
    }

    fn shape_pair(&self, a: char, b: char) -> f32 {
        let (Some((face, plan)), true, true) = (&self.shaper, self.has_glyph(a), self.has_glyph(b)) else {
            return 0.0;
        };
        let mut pair = String::with_capacity(8);
        pair.push(a);
        pair.push(b);
        let out = rustybuzz::shape_with_plan(face, plan, buffer(&pair));
        let pos = out.glyph_positions();
        if pos.len() != 2 {
            return 0.0;
        }
        let upem = face.units_per_em() as f32;
        let shaped = (pos[0].x_advance + pos[1].x_advance) as f32 / upem;
        shaped - self.advance(a) - self.advance(b)
    }

    /// Advance of one character, in em.
    pub fn advance(&self, ch: char) -> f32 {
        if let Some((adv, _)) = self.dense.get(ch as usize) {
            return if adv.is_nan() { self.missing } else { *adv };
        }
        self.advances.get(&ch).map(|a| a.0).unwrap_or(self.missing)
    }

    /// The glyph id of a character (0, .notdef, if the face lacks it).
    pub fn glyph(&self, ch: char) -> u16 {
        if let Some((_, g)) = self.dense.get(ch as usize) {
            return *g;
        }
        self.advances.get(&ch).map(|a| a.1).unwrap_or(0)
    }

    /// Width of a string at `size` points, kerning included.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let mut w = 0.0;
        let mut prev: Option<char> = None;
        for c in text.chars() {
            w += self.advance(c);
            if let Some(p) = prev {
                w += self.kern(p, c);
            }
            prev = Some(c);
        }
        w * size
    }

    pub fn has_glyph(&self, ch: char) -> bool {
        self.advances.contains_key(&ch)
    }
}

/// The metrics of the four faces, loaded once.
pub fn metrics(face: Face) -> &'static Metrics {
    static ALL: OnceLock<[Metrics; 4]> = OnceLock::new();
    &ALL.get_or_init(|| Face::ALL.map(Metrics::load))[face.index()]
}

/// Characters of `text` that `face` cannot draw (control characters excepted), deduplicated.
pub fn missing_glyphs(face: Face, text: &str) -> Vec<char> {
    let m = metrics(face);
    let mut out: Vec<char> = text.chars().filter(|c| !c.is_control() && !m.has_glyph(*c)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitals_are_kerned_by_the_fonts_gpos_pairs() {
        for face in Face::ALL {
            let m = metrics(face);
            for pair in ["To", "Ty", "AV", "LT", "Va", "Te"] {
                let mut c = pair.chars();
                let (a, b) = (c.next().unwrap(), c.next().unwrap());
                let k = m.kern(a, b);
                assert!(k < -0.005, "{face:?} {pair}: kerning {k} em");
                assert!((m.width(pair, 10.0) - (m.advance(a) + m.advance(b) + k) * 10.0).abs() < 1e-4);
            }
            // Unkerned pairs and spaces stay as they are.
            assert_eq!(m.kern('n', 'n'), 0.0);
            assert_eq!(m.kern(' ', 'T'), 0.0);
        }
    }

    #[test]
    fn faces_cover_the_seed_names_and_symbols() {
        for face in Face::ALL {
            for s in ["Sønderborg", "Eskişehir", "Ybycuí", "CO₂", "Medellín", "km²", "‘’“”–—…•", "\u{a0}\u{202f}œÍñ"]
            {
                assert!(missing_glyphs(face, s).is_empty(), "{face:?} lacks glyphs of {s}");
            }
        }
        let m = metrics(Face::Regular);
        assert!(m.width("Learning", 10.0) > 30.0 && m.width("Learning", 10.0) < 50.0);
        assert!(metrics(Face::Bold).width("Learning", 10.0) > m.width("Learning", 10.0));
    }
}

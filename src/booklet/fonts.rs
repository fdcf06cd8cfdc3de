//! The vendored fonts (Noto Sans, `data/fonts/`, SIL OFL 1.1) and their metrics, read with
//! ttf-parser: advance widths for line breaking, vertical metrics, and glyph coverage.

use std::collections::HashMap;
use std::sync::OnceLock;

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
}

impl Metrics {
    fn load(face: Face) -> Metrics {
        // The fonts are compiled in and tested; a parse failure would be a build defect.
        let Ok(f) = ttf_parser::Face::parse(face.bytes(), 0) else {
            return Metrics {
                advances: HashMap::new(),
                missing: 0.5,
                ascender: 0.9,
                descender: -0.25,
                cap_height: 0.7,
            };
        };
        let upem = f32::from(f.units_per_em());
        let mut advances = HashMap::new();
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
            advances,
            missing,
            ascender: f32::from(f.ascender()) / upem,
            descender: f32::from(f.descender()) / upem,
            cap_height: f.capital_height().map(f32::from).unwrap_or(upem * 0.714) / upem,
        }
    }

    /// Advance of one character, in em.
    pub fn advance(&self, ch: char) -> f32 {
        self.advances.get(&ch).map(|a| a.0).unwrap_or(self.missing)
    }

    /// The glyph id of a character (0, .notdef, if the face lacks it).
    pub fn glyph(&self, ch: char) -> u16 {
        self.advances.get(&ch).map(|a| a.1).unwrap_or(0)
    }

    /// Width of a string at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
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
    fn faces_cover_the_seed_names_and_symbols() {
        for face in Face::ALL {
            for s in ["Sønderborg", "Eskişehir", "Ybycuí", "CO₂", "Medellín", "km²", "‘’“”–—…•"]
            {
                assert!(missing_glyphs(face, s).is_empty(), "{face:?} lacks glyphs of {s}");
            }
        }
        let m = metrics(Face::Regular);
        assert!(m.width("Learning", 10.0) > 30.0 && m.width("Learning", 10.0) < 50.0);
        assert!(metrics(Face::Bold).width("Learning", 10.0) > m.width("Learning", 10.0));
    }
}

//! Print-ready PDF booklets (DESIGN §5): the members' meeting template (2016) and the Learning
//! City Award template (2019), typeset by our own layout on the vendored Noto Sans metrics and
//! written with printpdf.
//!
//! Owns: fonts and their metrics (`fonts`), paragraph layout with hyphenation and justification
//! (`text`), pagination (`layout`), the templates (`templates`), photos (`images`) and the PDF
//! writer (`pdf`). Must not: read the database or files (callers pass portraits and photo bytes
//! in), or use printpdf's HTML path. Output is deterministic: the same input and date give the
//! same bytes.

pub mod fonts;
pub mod images;
pub mod layout;
pub mod pdf;
pub mod print;
pub mod structure;
pub mod svg;
pub mod templates;
pub mod text;
pub mod words;

use crate::model::booklet::BookletDef;
use crate::model::Portrait;

#[derive(Debug, thiserror::Error)]
pub enum BookletError {
    #[error("{city}: {field} contains {ch:?} (U+{:04X}), which the booklet font cannot print", *ch as u32)]
    MissingGlyph { city: String, field: String, ch: char },
    #[error("{city}: photo {index} ({sha256}): {message}")]
    Photo { city: String, index: usize, sha256: String, message: String },
    #[error("the booklet has no cities")]
    Empty,
    #[error("PDF writing failed: {0}")]
    Pdf(String),
}

/// A portrait with the bytes of its photos, in the portrait's order.
pub struct Input<'a> {
    pub portrait: &'a Portrait,
    pub photos: Vec<Vec<u8>>,
}

/// Options of an export.
#[derive(Debug, Clone)]
pub struct Options {
    /// The document's creation date, written into its metadata (fixed for reproducible output).
    pub date: time::OffsetDateTime,
    /// Print-shop output (bleed, marks, imposition); None for the screen and the web.
    pub print: Option<print::Print>,
    /// The language of the fixed words, numbers and hyphenation.
    pub lang: words::Lang,
}

/// What an export produced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Rendered {
    pub pages: usize,
    pub cities: usize,
    pub bytes: usize,
}

/// Typesets a booklet and returns the PDF's bytes. `progress(page, pages)` is called as pages
/// are written.
pub fn render(
    def: &BookletDef,
    inputs: &[Input<'_>],
    options: &Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Vec<u8>, Rendered), BookletError> {
    let mut doc = layout_document(def, inputs, options.lang)?;
    if let Some(p) = &options.print {
        doc = print::prepare(doc, p);
    }
    let bytes = pdf::write(&doc, options, progress)?;
    let rendered = Rendered { pages: doc.pages.len(), cities: inputs.len(), bytes: bytes.len() };
    Ok((bytes, rendered))
}

/// Page thumbnails of a booklet, as SVG documents (the first `max_pages`).
pub fn preview(
    def: &BookletDef,
    inputs: &[Input<'_>],
    max_pages: usize,
    lang: words::Lang,
) -> Result<(Vec<String>, usize), BookletError> {
    let doc = layout_document(def, inputs, lang)?;
    let pages = (0..doc.pages.len().min(max_pages)).map(|i| svg::page(&doc, i)).collect();
    Ok((pages, doc.pages.len()))
}

/// Checks the photos and lays the booklet out.
fn layout_document(
    def: &BookletDef,
    inputs: &[Input<'_>],
    lang: words::Lang,
) -> Result<layout::Document, BookletError> {
    if inputs.is_empty() {
        return Err(BookletError::Empty);
    }
    let mut cities = Vec::with_capacity(inputs.len());
    for input in inputs {
        let p = input.portrait;
        let mut photos = Vec::new();
        for (i, bytes) in input.photos.iter().enumerate() {
            let sha = p.photos.get(i).map(|ph| ph.sha256.clone()).unwrap_or_default();
            // The header is enough to lay the page out (format, size, pixel budget); a PNG is
            // decoded only when the PDF writer embeds it, one photo at a time.
            let (format, w, h) = images::check(bytes).map_err(|e| BookletError::Photo {
                city: p.city.id.clone(),
                index: i,
                sha256: sha.clone(),
                message: e.to_string(),
            })?;
            photos.push(layout::ImageData {
                bytes: bytes.clone(),
                format,
                width_px: w,
                height_px: h,
                city: p.city.id.clone(),
                index: i,
                sha256: sha.clone(),
            });
        }
        cities.push(templates::CityInput { portrait: p, photos });
    }
    templates::build_in(def, &cities, lang, &mut |_, _| {})
}

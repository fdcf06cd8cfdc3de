//! Booklets: stored definitions, editing them, and typesetting them to PDF (with a preview of
//! the first pages).
//!
//! Owns: those use cases. Must not: hold SQL (`store`) or layout (`booklet`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files::{read_capped, write_atomic};
use super::{ApiError, ErrorCode, Result};
use crate::model::{booklet::BookletDef, FieldError, Portrait};
use crate::store::{Store, StoreError};

/// A stored booklet as a definition.
pub fn booklet(store: &Store, id: &str) -> Result<BookletDef> {
    let b = store.booklet(id)?;
    BookletDef::from_stored(&b.definition, &b.entries)
        .map_err(|e| ApiError::new(ErrorCode::Storage, format!("booklet {id} is corrupt: {e}")))
}

pub fn booklets(store: &Store) -> Result<Vec<BookletDef>> {
    store
        .booklets()?
        .iter()
        .map(|b| {
            BookletDef::from_stored(&b.definition, &b.entries)
                .map_err(|e| ApiError::new(ErrorCode::Storage, format!("booklet {} is corrupt: {e}", b.id)))
        })
        .collect()
}

/// Creates or replaces a booklet from a TOML definition file.
pub fn create_booklet(store: &mut Store, file: &Path) -> Result<BookletDef> {
    let bytes = read_capped(file, 1024 * 1024)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid(format!("{}: not UTF-8 text", file.display()), vec![]))?;
    let def = BookletDef::from_toml(&text).map_err(|errs| {
        let first = errs.first().map(|e| e.to_string()).unwrap_or_default();
        ApiError::invalid(format!("{}: {first}", file.display()), errs)
    })?;
    let entries: Vec<(String, u32)> = def.cities.iter().map(|e| (e.city.clone(), e.version)).collect();
    store.put_booklet(&def.id, def.template.as_str(), &def.front_matter_json(), &entries).map_err(|e| match e {
        StoreError::Conflict { message, .. } => ApiError::invalid(
            format!("{}: {message}", file.display()),
            vec![FieldError::new("$.cities", message.clone())],
        ),
        other => other.into(),
    })?;
    Ok(def)
}

/// Stores a booklet edited in the desktop (front matter, order, pinned versions).
pub fn save_booklet(store: &mut Store, def: &BookletDef) -> Result<BookletDef> {
    let errs = def.validate();
    if !errs.is_empty() {
        return Err(ApiError::invalid(format!("the booklet is invalid: {}", errs[0]), errs));
    }
    let entries: Vec<(String, u32)> = def.cities.iter().map(|e| (e.city.clone(), e.version)).collect();
    store.put_booklet(&def.id, def.template.as_str(), &def.front_matter_json(), &entries).map_err(|e| match e {
        StoreError::Conflict { message, .. } => {
            ApiError::invalid(message.clone(), vec![FieldError::new("$.cities", message)])
        }
        other => other.into(),
    })?;
    booklet(store, &def.id)
}

/// Which booklet to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookletSource {
    /// A booklet stored in the database, with its pinned versions.
    Stored(String),
    /// A template and cities at their latest versions.
    Adhoc { template: crate::model::booklet::Template, cities: Vec<String> },
    /// A definition being edited (not necessarily stored).
    Def(Box<BookletDef>),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PdfExport {
    pub file: String,
    pub booklet: String,
    pub pages: usize,
    pub cities: usize,
    pub bytes: usize,
}

/// The definition of an ad-hoc booklet: a template's front matter around the given cities.
fn adhoc_definition(store: &Store, template: crate::model::booklet::Template, cities: &[String]) -> Result<BookletDef> {
    use crate::model::booklet::{Entry, Template};
    if cities.is_empty() {
        return Err(ApiError::invalid("no cities given: use --cities ID,ID… or --city ID", vec![]));
    }
    let mut entries = Vec::new();
    for id in cities {
        let city = store.city(id).map_err(|_| {
            ApiError::invalid(
                format!("unknown city {id:?}"),
                vec![FieldError::new("$.cities", format!("{id:?} does not exist"))],
            )
        })?;
        let latest = store.versions(id)?.last().map(|v| v.version).unwrap_or(1);
        entries.push(Entry { city: city.id, version: latest });
    }
    let (title, subtitle) = match (template, cities.len()) {
        (_, 1) => {
            let c = store.city(&cities[0])?;
            (format!("{}, {}", c.name, c.country.name), Some("Learning city portrait".to_string()))
        }
        (Template::MembersMeeting, n) => (
            "Learning city portraits".to_string(),
            Some(format!("{n} cities of the UNESCO Global Network of Learning Cities")),
        ),
        (Template::LearningCityAward, n) => ("UNESCO Learning City Award".to_string(), Some(format!("{n} cities"))),
    };
    Ok(BookletDef {
        id: "adhoc".into(),
        template,
        title,
        subtitle,
        dates: None,
        place: None,
        network: Some("UNESCO Global Network of Learning Cities".into()),
        published: None,
        awardee_mark_year: None,
        introduction: None,
        foreword: None,
        imprint: None,
        back_cover: None,
        attribution: "Portraits from UNESCO Institute for Lifelong Learning publications, licensed CC-BY-SA 3.0 IGO (http://creativecommons.org/licenses/by-sa/3.0/igo/).".into(),
        cities: entries,
    })
}

/// Typesets a booklet to a PDF file. The file is written to a temporary name and renamed, so
/// an interrupted export never leaves a half file under `out`; on any error no file is left.
pub fn export_pdf(
    store: &Store,
    source: &BookletSource,
    out: &Path,
    date: time::OffsetDateTime,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PdfExport> {
    use crate::booklet::{self, BookletError};
    let def = resolve_definition(store, source)?;
    let (portraits, photos) = booklet_inputs(store, &def)?;
    let inputs: Vec<booklet::Input<'_>> =
        portraits.iter().zip(photos).map(|(p, photos)| booklet::Input { portrait: p, photos }).collect();
    let (bytes, rendered) =
        booklet::render(&def, &inputs, &booklet::Options { date }, progress).map_err(|e| match e {
            BookletError::Pdf(m) => ApiError::new(ErrorCode::Internal, m),
            other => ApiError::invalid(other.to_string(), vec![]),
        })?;
    write_atomic(out, &bytes).map_err(|e| ApiError::invalid(format!("cannot write the PDF: {}", e.message), vec![]))?;
    Ok(PdfExport {
        file: out.display().to_string(),
        booklet: def.id,
        pages: rendered.pages,
        cities: rendered.cities,
        bytes: rendered.bytes,
    })
}

/// The definition a source stands for.
fn resolve_definition(store: &Store, source: &BookletSource) -> Result<BookletDef> {
    match source {
        BookletSource::Stored(id) => booklet(store, id),
        BookletSource::Adhoc { template, cities } => adhoc_definition(store, *template, cities),
        BookletSource::Def(def) => {
            let errs = def.validate();
            if errs.is_empty() {
                Ok(def.as_ref().clone())
            } else {
                Err(ApiError::invalid(format!("the booklet is invalid: {}", errs[0]), errs))
            }
        }
    }
}

/// Page thumbnails (SVG) of a booklet, and its page count.
pub fn preview_booklet(store: &Store, source: &BookletSource, max_pages: usize) -> Result<(Vec<String>, usize)> {
    let def = resolve_definition(store, source)?;
    let (portraits, photos) = booklet_inputs(store, &def)?;
    let inputs: Vec<crate::booklet::Input<'_>> =
        portraits.iter().zip(photos).map(|(p, photos)| crate::booklet::Input { portrait: p, photos }).collect();
    crate::booklet::preview(&def, &inputs, max_pages).map_err(|e| ApiError::invalid(e.to_string(), vec![]))
}

/// The pinned portraits of a booklet and their photos' bytes.
type BookletInputs = (Vec<Portrait>, Vec<Vec<Vec<u8>>>);

fn booklet_inputs(store: &Store, def: &BookletDef) -> Result<BookletInputs> {
    let mut portraits = Vec::with_capacity(def.cities.len());
    for (i, e) in def.cities.iter().enumerate() {
        let p = store.portrait(&e.city, Some(e.version)).map_err(|err| {
            ApiError::invalid(
                format!("booklet {}: cities[{i}]: {err}", def.id),
                vec![FieldError::new(format!("$.cities[{i}]"), err.to_string())],
            )
        })?;
        portraits.push(p);
    }
    let mut all_photos = Vec::with_capacity(portraits.len());
    for p in &portraits {
        let mut photos = Vec::new();
        for (i, ph) in p.photos.iter().enumerate() {
            let (bytes, _) = store.media(&ph.sha256)?.ok_or_else(|| {
                ApiError::invalid(
                    format!(
                        "{} v{}: $.photos[{i}]: photo {} is not in the database (add it with `portraits media add`)",
                        p.city.id, p.version, ph.sha256
                    ),
                    vec![FieldError::new(format!("$.photos[{i}].sha256"), "no such photo")],
                )
            })?;
            photos.push(bytes);
        }
        all_photos.push(photos);
    }
    Ok((portraits, all_photos))
}

/// The creation date for an export: `--date` (YYYY-MM-DD), else `SOURCE_DATE_EPOCH`, else now.
pub fn export_date(arg: Option<&str>) -> Result<time::OffsetDateTime> {
    if let Some(s) = arg {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let d = time::Date::parse(s, &fmt)
            .map_err(|_| ApiError::invalid(format!("--date {s:?} is not a date (YYYY-MM-DD)"), vec![]))?;
        return Ok(d.midnight().assume_utc());
    }
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = v
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid(format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"), vec![]))?;
        return time::OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| ApiError::invalid(format!("SOURCE_DATE_EPOCH={v} is out of range"), vec![]));
    }
    Ok(time::OffsetDateTime::now_utc())
}

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

/// A booklet as the desktop lists it: its definition, and whether it came with the app (then it
/// can be duplicated, not changed or deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BookletInfo {
    pub def: BookletDef,
    pub bundled: bool,
}

/// The ids of the booklets that come with the app.
fn bundled_ids() -> &'static std::collections::BTreeSet<String> {
    static IDS: std::sync::OnceLock<std::collections::BTreeSet<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| crate::bundled::booklets().unwrap_or_default().into_iter().map(|d| d.id).collect())
}

/// Whether a booklet id is one of the app's own.
pub fn is_bundled_booklet(id: &str) -> bool {
    bundled_ids().contains(id)
}

pub fn booklet_list(store: &Store) -> Result<Vec<BookletInfo>> {
    Ok(booklets(store)?.into_iter().map(|def| BookletInfo { bundled: is_bundled_booklet(&def.id), def }).collect())
}

/// `wanted`, or `wanted-2`, `wanted-3`… : the first id no booklet has.
fn free_id(store: &Store, wanted: &str) -> Result<String> {
    if !store.has_booklet(wanted)? {
        return Ok(wanted.to_string());
    }
    for n in 2..10_000 {
        let id = format!("{wanted}-{n}");
        if !store.has_booklet(&id)? {
            return Ok(id);
        }
    }
    Err(ApiError::new(ErrorCode::Conflict, format!("no free booklet id like {wanted:?}")))
}

fn entries(def: &BookletDef) -> Vec<(String, u32)> {
    def.cities.iter().map(|e| (e.city.clone(), e.version)).collect()
}

/// The error for a booklet whose pinned versions do not exist, or for a taken id.
fn put_error(e: StoreError, def: &BookletDef, origin: Option<&Path>) -> ApiError {
    let at = |m: String| match origin {
        Some(f) => format!("{}: {m}", f.display()),
        None => m,
    };
    match e {
        StoreError::Conflict { message, .. } => {
            ApiError::invalid(at(message.clone()), vec![FieldError::new("$.cities", message)])
        }
        StoreError::Exists(_) => ApiError {
            fields: vec![FieldError::new("$.id", "another booklet has this id").code("id_taken")],
            ..ApiError::new(
                ErrorCode::Conflict,
                at(format!(
                    "a booklet with the id {:?} exists already: choose another id (or title), or open that booklet to change it",
                    def.id
                )),
            )
        },
        other => other.into(),
    }
}

fn refuse_bundled(id: &str, what: &str) -> Result<()> {
    if is_bundled_booklet(id) {
        return Err(ApiError::invalid(
            format!("the booklet {id:?} comes with the app and cannot be {what}: duplicate it and change the copy"),
            vec![FieldError::new("$.id", format!("comes with the app: cannot be {what}")).code("bundled_booklet")],
        ));
    }
    Ok(())
}

/// Creates a booklet from a TOML definition file; an existing id is refused unless `replace`
/// (and the app's own booklets are never replaced).
pub fn create_booklet(store: &mut Store, file: &Path, replace: bool) -> Result<BookletDef> {
    let bytes = read_capped(file, 1024 * 1024)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid(format!("{}: not UTF-8 text", file.display()), vec![]))?;
    let def = BookletDef::from_toml(&text).map_err(|errs| {
        let first = errs.first().map(|e| e.to_string()).unwrap_or_default();
        ApiError::invalid(format!("{}: {first}", file.display()), errs)
    })?;
    let front = def.front_matter_json();
    let stored = if replace && store.has_booklet(&def.id)? {
        refuse_bundled(&def.id, "replaced")?;
        store.replace_booklet(&def.id, def.template.as_str(), &front, &entries(&def))
    } else {
        store.insert_booklet(&def.id, def.template.as_str(), &front, &entries(&def))
    };
    stored.map_err(|e| match put_error(e, &def, Some(file)) {
        a if a.code == ErrorCode::Conflict => ApiError { message: format!("{} (or pass --replace)", a.message), ..a },
        a => a,
    })?;
    Ok(def)
}

/// Stores a booklet edited in the desktop (front matter, order, pinned versions). A `new` one
/// gets an id from its title when it has none (`-2`, `-3`… when taken) and is refused
/// (`conflict`, at `$.id`) when its id is taken: it never replaces another booklet. Otherwise
/// the booklet must exist and not be one of the app's own.
pub fn save_booklet(store: &mut Store, def: &BookletDef, new: bool) -> Result<BookletDef> {
    let mut def = def.clone();
    if new && def.id.trim().is_empty() {
        def.id = free_id(store, &BookletDef::id_from_title(&def.title))?;
    }
    let errs = def.validate();
    if !errs.is_empty() {
        return Err(ApiError::invalid(format!("the booklet is invalid: {}", errs[0]), errs));
    }
    let front = def.front_matter_json();
    let stored = if new {
        store.insert_booklet(&def.id, def.template.as_str(), &front, &entries(&def))
    } else {
        refuse_bundled(&def.id, "changed")?;
        store.replace_booklet(&def.id, def.template.as_str(), &front, &entries(&def))
    };
    stored.map_err(|e| put_error(e, &def, None))?;
    booklet(store, &def.id)
}

/// A copy of a booklet under a new id (`<id>-copy`, `-copy-2`…) and the title "… (copy)".
pub fn duplicate_booklet(store: &mut Store, id: &str) -> Result<BookletInfo> {
    let mut def = booklet(store, id)?;
    def.id = free_id(store, &format!("{}-copy", id.trim_end_matches("-copy")))?;
    def.title = format!("{} (copy)", def.title.trim_end_matches(" (copy)"));
    let def = save_booklet(store, &def, true)?;
    Ok(BookletInfo { def, bundled: false })
}

/// Deletes a booklet (not one of the app's own).
pub fn delete_booklet(store: &mut Store, id: &str) -> Result<()> {
    refuse_bundled(id, "deleted")?;
    Ok(store.delete_booklet(id)?)
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

/// The print-shop options the export dialog sends: bleed and pages in fours always, crop
/// marks and saddle-stitch imposition if ticked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct PrintRequest {
    pub marks: bool,
    pub saddle_stitch: bool,
}

impl From<PrintRequest> for crate::booklet::print::Print {
    fn from(r: PrintRequest) -> Self {
        crate::booklet::print::Print {
            marks: r.marks,
            impose: r.saddle_stitch.then_some(crate::booklet::print::Imposition::SaddleStitch),
        }
    }
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
                vec![FieldError::new("$.cities", format!("{id:?} does not exist"))
                    .code("no_city")
                    .with("value", id.as_str())],
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
        lang: None,
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
    export_pdf_for(store, source, out, date, None, None, progress)
}

/// As [`export_pdf`], for the print shop when `print` is given (bleed, crop marks, pages in
/// fours, imposition: [`crate::booklet::print`]), in `lang` (fixed words, numbers,
/// hyphenation) or else the definition's language.
pub fn export_pdf_for(
    store: &Store,
    source: &BookletSource,
    out: &Path,
    date: time::OffsetDateTime,
    print: Option<crate::booklet::print::Print>,
    lang: Option<crate::booklet::words::Lang>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PdfExport> {
    use crate::booklet::{self, BookletError};
    let def = resolve_definition(store, source)?;
    let lang = lang.unwrap_or_else(|| def_lang(&def));
    let (portraits, photos) = booklet_inputs(store, &def)?;
    let inputs: Vec<booklet::Input<'_>> =
        portraits.iter().zip(photos).map(|(p, photos)| booklet::Input { portrait: p, photos }).collect();
    let (bytes, rendered) =
        booklet::render(&def, &inputs, &booklet::Options { date, print, lang }, progress).map_err(|e| match e {
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
pub fn preview_booklet(
    store: &Store,
    source: &BookletSource,
    max_pages: usize,
    lang: Option<crate::booklet::words::Lang>,
) -> Result<(Vec<String>, usize)> {
    let def = resolve_definition(store, source)?;
    let lang = lang.unwrap_or_else(|| def_lang(&def));
    let (portraits, photos) = booklet_inputs(store, &def)?;
    let inputs: Vec<crate::booklet::Input<'_>> =
        portraits.iter().zip(photos).map(|(p, photos)| crate::booklet::Input { portrait: p, photos }).collect();
    crate::booklet::preview(&def, &inputs, max_pages, lang).map_err(|e| ApiError::invalid(e.to_string(), vec![]))
}

/// The language a definition asks for (validated: English when absent).
fn def_lang(def: &BookletDef) -> crate::booklet::words::Lang {
    def.lang.as_deref().and_then(crate::booklet::words::Lang::parse).unwrap_or_default()
}

/// The language a booklet is asked for in (`None`: the definition's), or an `invalid_input`
/// error at `$.lang` naming it.
pub fn booklet_lang(tag: Option<&str>) -> Result<Option<crate::booklet::words::Lang>> {
    match tag {
        None => Ok(None),
        Some(t) => crate::booklet::words::Lang::parse(t).map(Some).ok_or_else(|| {
            let message = format!("no booklet language \"{t}\": use en, fr or es");
            ApiError::invalid(
                message.clone(),
                vec![crate::model::validate::FieldError::new("$.lang", message).code("unknown_language")],
            )
        }),
    }
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
                    vec![FieldError::new(format!("$.photos[{i}].sha256"), "no such photo").code("no_photo")],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booklet::words::Lang;

    #[test]
    fn a_booklet_language_is_read_as_people_write_it_and_an_unknown_one_is_named() {
        assert_eq!(booklet_lang(None).unwrap(), None);
        assert_eq!(booklet_lang(Some("fr")).unwrap(), Some(Lang::Fr));
        assert_eq!(booklet_lang(Some("es-MX")).unwrap(), Some(Lang::Es));
        let e = booklet_lang(Some("de")).unwrap_err();
        assert_eq!(e.code, crate::app::ErrorCode::InvalidInput);
        assert_eq!(e.fields[0].path, "$.lang");
        assert!(e.message.contains("\"de\""), "{}", e.message);
    }
}

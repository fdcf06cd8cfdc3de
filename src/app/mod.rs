//! Use cases: the functions both front doors (the `portraits` CLI and the desktop shell) call.
//! Each takes plain arguments, does one user-visible thing and returns data or an [`ApiError`]
//! — the `{code, message, fields}` shape that crosses to the UI, with a closed set of codes.
//!
//! Owns: opening the database where the user expects it (seeding it on first use), reading and
//! writing the user's files for import, export and backup. Must not: hold SQL (that is `store`),
//! print, or exit (that is `cli`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundled::{self, BundledError};
use crate::model::{self, booklet::BookletDef, FieldError, Portrait, Warning};
use crate::store::{
    CityFilter, CitySummary, ImportItem, ImportReport, SearchHit, SearchQuery, SortBy, Store, StoreError, VersionInfo,
};

/// The closed set of error codes the UI and scripts can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The user's input (a file, a field, an argument) is wrong; `fields` says where.
    InvalidInput,
    /// What was asked for does not exist.
    NotFound,
    /// The request contradicts what is stored (an immutable version, a duplicate).
    Conflict,
    /// A file could not be read or written.
    Io,
    /// The database failed.
    Storage,
    /// A bug.
    Internal,
}

/// An error as the UI and the CLI see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The fields at fault, each with its JSON path.
    #[serde(default)]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), fields: Vec::new() }
    }

    pub fn invalid(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        ApiError { code: ErrorCode::InvalidInput, message: message.into(), fields }
    }

    fn io(path: &Path, e: std::io::Error) -> Self {
        ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display()))
    }

    /// The process exit code for the CLI: 2 for bad input, 1 for other failures.
    pub fn exit_code(&self) -> i32 {
        match self.code {
            ErrorCode::InvalidInput | ErrorCode::NotFound | ErrorCode::Conflict => 2,
            _ => 1,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Conflict { .. } => ErrorCode::Conflict,
            StoreError::InvalidQuery(_) => ErrorCode::InvalidInput,
            StoreError::Open { .. } | StoreError::Sqlite(_) | StoreError::Migration(_) | StoreError::Corrupt(_) => {
                ErrorCode::Storage
            }
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<BundledError> for ApiError {
    fn from(e: BundledError) -> Self {
        match e {
            BundledError::Store(s) => s.into(),
            other => ApiError::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

/// Where the database lives when no `--db` is given: the OS data directory
/// (`~/.local/share/learning-city-portraits/portraits.sqlite3` on Linux).
pub fn default_db_path() -> Result<PathBuf> {
    directories::ProjectDirs::from("org", "UNESCO", "learning-city-portraits")
        .map(|d| d.data_dir().join("portraits.sqlite3"))
        .ok_or_else(|| ApiError::new(ErrorCode::Io, "cannot find the home directory; pass --db PATH"))
}

/// Opens the database at `path` (default: [`default_db_path`]). A database holding no portraits
/// is seeded from the bundled catalogue unless `seed` is false.
pub fn open(path: Option<&Path>, seed: bool) -> Result<Store> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => default_db_path()?,
    };
    if path.is_dir() {
        return Err(ApiError::invalid(format!("{} is a directory, not a database file", path.display()), vec![]));
    }
    let (mut store, _new) = Store::open(&path)?;
    if seed && store.counts()?.1 == 0 {
        bundled::seed(&mut store)?;
    }
    Ok(store)
}

/// The city list.
pub fn list(store: &Store, filter: &CityFilter, sort: SortBy) -> Result<Vec<CitySummary>> {
    Ok(store.cities(filter, sort)?)
}

/// A portrait as a reader sees it: the version, its warnings and the city's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PortraitView {
    pub portrait: Portrait,
    pub latest_version: u32,
    pub warnings: Vec<Warning>,
    pub versions: Vec<VersionInfo>,
}

pub fn show(store: &Store, city_id: &str, version: Option<u32>) -> Result<PortraitView> {
    let portrait = store.portrait(city_id, version)?;
    let versions = store.versions(city_id)?;
    let mut warnings = model::warnings(&portrait);
    // Cross-city checks need the catalogue: the country GDP printed for the same country.
    let latest = store.latest_portraits()?;
    let mut others: Vec<&Portrait> = latest.iter().filter(|p| p.city.id != city_id).collect();
    others.push(&portrait);
    for (id, w) in model::catalogue_warnings(&others) {
        if id == city_id {
            warnings.push(w);
        }
    }
    Ok(PortraitView {
        latest_version: versions.last().map(|v| v.version).unwrap_or(portrait.version),
        portrait,
        warnings,
        versions,
    })
}

pub fn search(store: &Store, query: &SearchQuery) -> Result<Vec<SearchHit>> {
    Ok(store.search(query)?)
}

/// The result of validating one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ValidationReport {
    pub file: String,
    pub valid: bool,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<Warning>,
}

fn read_capped(path: &Path, cap: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| ApiError::io(path, e))?;
    let mut buf = Vec::new();
    // Read at most cap + 1 bytes, whatever the file claims to be.
    f.take(cap as u64 + 1).read_to_end(&mut buf).map_err(|e| ApiError::io(path, e))?;
    Ok(buf)
}

/// Validates a portrait file: schema and domain errors with JSON paths, and quality warnings.
pub fn validate_file(path: &Path) -> Result<ValidationReport> {
    let bytes = read_capped(path, model::validate::MAX_PORTRAIT_BYTES)?;
    let file = path.display().to_string();
    Ok(match model::parse_portrait(&bytes) {
        Ok(p) => ValidationReport { file, valid: true, errors: vec![], warnings: model::warnings(&p) },
        Err(errors) => ValidationReport { file, valid: false, errors, warnings: vec![] },
    })
}

fn collect_json_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| ApiError::io(path, e))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| ApiError::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                collect_json_files(&p, out)?;
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Imports portrait files (each path a file or a directory searched for `*.json`), all or
/// nothing: every file is validated first and any error refuses the whole import, naming each
/// file and JSON path at fault.
pub fn import_paths(store: &mut Store, paths: &[PathBuf]) -> Result<ImportReport> {
    let mut files = Vec::new();
    for p in paths {
        collect_json_files(p, &mut files)?;
    }
    if files.is_empty() {
        return Err(ApiError::invalid("no portrait files (*.json) to import", vec![]));
    }
    let mut items = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    for f in &files {
        let bytes = read_capped(f, model::validate::MAX_PORTRAIT_BYTES)?;
        match model::parse_portrait(&bytes) {
            Ok(portrait) => items.push(ImportItem { origin: f.display().to_string(), portrait }),
            Err(errs) => errors
                .extend(errs.into_iter().map(|e| FieldError::new(format!("{}: {}", f.display(), e.path), e.message))),
        }
    }
    if !errors.is_empty() {
        let first = &errors[0];
        let more = if errors.len() > 1 { format!(" (and {} more)", errors.len() - 1) } else { String::new() };
        return Err(ApiError::invalid(
            format!("import refused, nothing was changed: {}: {}{more}", first.path, first.message),
            errors,
        ));
    }
    store.import(&items).map_err(|e| match e {
        StoreError::Conflict { origin, message } => {
            ApiError::new(ErrorCode::Conflict, format!("import refused, nothing was changed: {origin}: {message}"))
        }
        other => other.into(),
    })
}

/// Writes every version of every city as `OUT/<city-id>/v<N>.json` in the canonical form
/// (re-importing them round-trips exactly). Returns the number of files written.
pub fn export_json(store: &Store, out: &Path) -> Result<usize> {
    let all = store.all_versions()?;
    for p in &all {
        let dir = out.join(&p.city.id);
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::io(&dir, e))?;
        let file = dir.join(format!("v{}.json", p.version));
        write_atomic(&file, model::to_canonical_json(p).as_bytes())?;
    }
    Ok(all.len())
}

/// Writes a file via a temporary file in the same directory and a rename, so the final name
/// never holds a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_via_temp(path, bytes, false)
}

/// As [`write_atomic`], for a secret: the file is created readable by its owner only (0600 on
/// Unix) before a byte is written, and so is every rewrite (the temporary file it is renamed
/// from is created that way too); its folder, if it is made here, is created 0700.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_via_temp(path, bytes, true)
}

fn write_via_temp(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if private && !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir).map_err(|e| ApiError::io(dir, e))?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        #[cfg(unix)]
        if private {
            // The mode given at creation is masked by the umask: make it exactly 0600.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ApiError::io(path, e));
    }
    Ok(())
}

/// A consistent copy of the database (SQLite's online backup), safe while others write.
pub fn backup(store: &Store, dest: &Path) -> Result<()> {
    if dest.is_dir() {
        return Err(ApiError::invalid(format!("{} is a directory; give a file name", dest.display()), vec![]));
    }
    if let (Some(src), Ok(d)) = (store.path(), std::fs::canonicalize(dest)) {
        if std::fs::canonicalize(src).is_ok_and(|s| s == d) {
            return Err(ApiError::invalid("the backup file must not be the database itself", vec![]));
        }
    }
    Ok(store.backup_to(dest)?)
}

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

/// Adds a photo file (JPEG or PNG) to the database's media; returns its SHA-256 and MIME type.
pub fn add_media(store: &mut Store, file: &Path) -> Result<(String, String)> {
    let bytes = read_capped(file, crate::booklet::images::MAX_IMAGE_BYTES)?;
    // The header is enough: format, dimensions and the pixel budget, nothing decoded.
    let (format, _, _) = crate::booklet::images::check(&bytes)
        .map_err(|e| ApiError::invalid(format!("{}: {e}", file.display()), vec![]))?;
    let mime = format.mime();
    let sha = store.put_media(&bytes, mime)?;
    Ok((sha, mime.to_string()))
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
                vec![FieldError::new("cities", format!("{id:?} does not exist"))],
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

mod exchange;
pub use exchange::*;

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

/// A running process's hold on a database file: `portraits serve` and the desktop window keep
/// one for as long as they run, so that a restore from another process, which would swap the
/// file under their open connections and lose their later writes, is refused. It is an advisory
/// lock (shared) on `DB.lock` beside the database, released when the process ends, however it
/// ends.
#[derive(Debug)]
pub struct DatabaseHold {
    _file: std::fs::File,
}

fn lock_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", db.display()))
}

fn open_lock_file(db: &Path) -> Result<std::fs::File> {
    let path = lock_path(db);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| ApiError::io(&path, e))
}

/// Takes a shared hold on `db` (see [`DatabaseHold`]). Waits while a restore runs.
pub fn hold_database(db: &Path) -> Result<DatabaseHold> {
    let file = open_lock_file(db)?;
    file.lock_shared().map_err(|e| ApiError::io(&lock_path(db), e))?;
    Ok(DatabaseHold { _file: file })
}

/// Replaces the database at `db` with a backup, after checking the backup is a sound portrait
/// database. The caller must have closed its connections to `db`. The backup is copied beside
/// `db` and checked there (migrated if it is older), so the backup file itself is never written
/// to, and `db` is replaced by one rename: a bad backup or a crash changes nothing. The old
/// file is kept beside it as `*.before-restore` until the next restore.
///
/// Refused while another process holds the database ([`hold_database`]: a running server or
/// desktop window), whose open connections would go on writing to the replaced file: what they
/// wrote after the restore would be lost. A process restoring its own database releases its
/// hold first.
pub fn restore_database(db: &Path, backup: &Path) -> Result<()> {
    let lock = open_lock_file(db)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is in use by a running process (portraits serve or the desktop window); stop it first, or restore from the window's Settings",
                    db.display()
                ),
            ))
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(ApiError::io(&lock_path(db), e)),
    }
    let bad = |why: String| ApiError::invalid(format!("{}: {why}", backup.display()), vec![]);
    let meta = std::fs::metadata(backup).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("not a file".into()));
    }
    let staging = PathBuf::from(format!("{}.restoring", db.display()));
    let remove_staging = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", staging.display()));
        }
    };
    remove_staging();
    std::fs::copy(backup, &staging).map_err(|e| ApiError::io(&staging, e))?;
    let checked = (|| {
        // Closed at the end of this block, which checkpoints its WAL into the file.
        let (candidate, new) = Store::open(&staging).map_err(|e| match e {
            StoreError::Open { source, .. } => bad(format!("not a portrait database ({source})")),
            other => bad(other.to_string()),
        })?;
        if new {
            return Err(bad("not a portrait database".into()));
        }
        let ok = candidate.integrity_check().map_err(|e| bad(e.to_string()))?;
        if ok != "ok" {
            return Err(bad(format!("fails its integrity check: {ok}")));
        }
        if candidate.counts().map_err(|e| bad(e.to_string()))?.1 == 0 {
            return Err(bad("not a portrait database (it holds no portraits)".into()));
        }
        Ok(())
    })();
    if let Err(e) = checked {
        remove_staging();
        return Err(e);
    }
    let keep = db.with_extension("before-restore");
    if db.exists() {
        // A consistent copy, with what is still in the WAL (a plain file copy would miss it).
        // If the old file cannot be opened (it may be why the user restores), copy its bytes.
        let _ = std::fs::remove_file(&keep);
        let kept = match Store::open(db) {
            Ok((old, _)) => old.backup_to(&keep).map_err(ApiError::from),
            Err(_) => std::fs::copy(db, &keep).map(|_| ()).map_err(|e| ApiError::io(&keep, e)),
        };
        if let Err(e) = kept {
            remove_staging();
            return Err(e);
        }
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(PathBuf::from(format!("{}{suffix}", db.display())));
    }
    let moved = std::fs::rename(&staging, db);
    remove_staging();
    moved.map_err(|e| ApiError::io(db, e))
}

//! The catalogue as a reader and a publisher's clerk see it: list, show, search and compare
//! versions; validate, import and export portrait files; photos; backup, restore and the hold
//! that keeps a restore from swapping the file under a running process.
//!
//! Owns: those use cases. Must not: hold SQL (`store`), print or exit (`cli`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{collect_json_files, io_error, read_capped, write_atomic};
use super::{ApiError, ErrorCode, Result};
use crate::model::{self, merge, FieldError, Portrait, Warning};
use crate::store::{
    CityFilter, CitySummary, ImportItem, ImportReport, SearchHit, SearchQuery, SortBy, Store, StoreError, VersionInfo,
};

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
    // A passage another city's portrait has too (the same text in two portraits).
    warnings.extend(model::quality::copied_text(&portrait, &others));
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

/// The cities most like `city_id` (latest versions), best first, with the reasons
/// ([`crate::model::similar`]); `region` keeps only that region's cities. `limit` 1 to 100.
pub fn partners(
    store: &Store,
    city_id: &str,
    limit: usize,
    region: Option<crate::model::Region>,
) -> Result<Vec<crate::model::similar::Partner>> {
    store.city(city_id)?;
    partner_model(store)?
        .partners(city_id, limit.clamp(1, 100), region)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no city with id {city_id:?}")))
}

/// The partner model of the store's catalogue: built once per database file and catalogue
/// state, then kept for the next question (over 10,000 portraits the build takes about a
/// second, a question a few milliseconds: BENCHMARKS.md). Built outside the lock: two windows
/// asking at once may both build, never wait on each other.
pub fn partner_model(store: &Store) -> Result<std::sync::Arc<crate::model::similar::Model>> {
    use std::sync::{Arc, Mutex};
    type Cached = (std::path::PathBuf, crate::store::CatalogState, Arc<crate::model::similar::Model>);
    static CACHE: Mutex<Option<Cached>> = Mutex::new(None);
    let state = store.catalog_state()?;
    let path = store.path().map(std::path::Path::to_path_buf);
    if let (Some(path), Ok(cache)) = (&path, CACHE.lock()) {
        if let Some((p, s, model)) = cache.as_ref() {
            if p == path && *s == state {
                return Ok(model.clone());
            }
        }
    }
    let model = Arc::new(crate::model::similar::Model::new(&store.latest_portraits()?));
    if let (Some(path), Ok(mut cache)) = (path, CACHE.lock()) {
        *cache = Some((path, state, model.clone()));
    }
    Ok(model)
}

/// One city as `compare` sets it beside others: facts with their years, the density they
/// give, awards, Key Feature areas and the three sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Compared {
    pub city: String,
    pub name: String,
    pub country: String,
    pub region: crate::model::Region,
    pub version: u32,
    pub awards: Vec<u16>,
    pub member_since: Option<u16>,
    /// The mayor's name, as the portrait names them.
    pub mayor: Option<String>,
    pub clusters: Vec<crate::model::Cluster>,
    pub interests: Vec<crate::model::Interest>,
    pub key_feature_areas: Vec<u8>,
    pub facts: crate::model::Facts,
    /// Inhabitants per km², when population and area are both given.
    pub density_per_km2: Option<f64>,
    pub vision: Option<String>,
    pub challenges: Option<String>,
    pub plan: Option<String>,
}

/// Two to four cities side by side (latest versions), in the order given.
pub fn compare(store: &Store, ids: &[String]) -> Result<Vec<Compared>> {
    if !(2..=4).contains(&ids.len()) {
        return Err(ApiError::invalid(
            format!("compare 2 to 4 cities ({} given)", ids.len()),
            vec![FieldError::new("$.cities", "2 to 4 city ids").code("compare_count")],
        ));
    }
    let mut out: Vec<Compared> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(ApiError::invalid(
                format!("{id:?} is given twice"),
                vec![FieldError::new(format!("$.cities[{i}]"), "given twice").code("twice")],
            ));
        }
        let p = store.portrait(id, None).map_err(|e| match e {
            crate::store::StoreError::NotFound(_) => ApiError {
                fields: vec![FieldError::new(format!("$.cities[{i}]"), format!("no city {id:?}"))
                    .code("no_city")
                    .with("value", id.as_str())],
                ..ApiError::new(ErrorCode::NotFound, format!("no city with id {id:?}"))
            },
            other => other.into(),
        })?;
        let density = match (p.facts.population.value.as_f64(), p.facts.area_km2.value.as_f64()) {
            (Some(pop), Some(area)) if area > 0.0 => Some((pop / area * 10.0).round() / 10.0),
            _ => None,
        };
        out.push(Compared {
            city: p.city.id.clone(),
            name: p.city.name.clone(),
            country: p.city.country.name.clone(),
            region: p.city.region,
            version: p.version,
            awards: p.city.awards.clone(),
            member_since: p.city.member_since,
            mayor: p.person(p.mayor).map(|c| c.to_string()),
            clusters: p.clusters.clone(),
            interests: p.interests.clone(),
            key_feature_areas: p.key_feature_areas.clone(),
            facts: p.facts.clone(),
            density_per_km2: density,
            vision: p.vision.clone(),
            challenges: p.challenges.clone(),
            plan: p.plan.clone(),
        });
    }
    Ok(out)
}

/// What changed between two versions of a city, field by field.
pub fn version_diff(store: &Store, city_id: &str, from: u32, to: u32) -> Result<Vec<merge::FieldDiff>> {
    let a = store.portrait(city_id, Some(from))?;
    let b = store.portrait(city_id, Some(to))?;
    // A two-way diff is a merge in which "mine" did not change anything.
    Ok(merge::three_way(&a, &b, &a).fields)
}

/// The result of validating one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ValidationReport {
    pub file: String,
    pub valid: bool,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<Warning>,
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

/// An import refused for `errors` (at least one): the first in the message, all in the fields.
pub(crate) fn import_refused(errors: Vec<FieldError>) -> ApiError {
    let first = &errors[0];
    let more = if errors.len() > 1 { format!(" (and {} more)", errors.len() - 1) } else { String::new() };
    ApiError::invalid(format!("import refused, nothing was changed: {}: {}{more}", first.path, first.message), errors)
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
        return Err(import_refused(errors));
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
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let file = dir.join(format!("v{}.json", p.version));
        write_atomic(&file, model::to_canonical_json(p).as_bytes())?;
    }
    Ok(all.len())
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
        .map_err(|e| io_error(&path, e))
}

/// Takes a shared hold on `db` (see [`DatabaseHold`]). Waits while a restore runs.
pub fn hold_database(db: &Path) -> Result<DatabaseHold> {
    let file = open_lock_file(db)?;
    file.lock_shared().map_err(|e| io_error(&lock_path(db), e))?;
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
        Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&lock_path(db), e)),
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
    std::fs::copy(backup, &staging).map_err(|e| io_error(&staging, e))?;
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
            Err(_) => std::fs::copy(db, &keep).map(|_| ()).map_err(|e| io_error(&keep, e)),
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
    moved.map_err(|e| io_error(db, e))
}

//! The local SQLite store: the only module with SQL in it.
//!
//! Owns the schema and its migrations, every query, the full-text index and the transactions
//! that keep the file consistent: every connection runs in WAL mode with `synchronous=NORMAL`,
//! `foreign_keys=ON` and a `busy_timeout`; every write is one transaction, so a crash leaves
//! either the old or the new state. Portrait versions are immutable (triggers refuse UPDATE and
//! DELETE). Must not know about HTTP, files other than its database and backups, PDF or the UI.

pub mod catalog;
mod schema;
mod search;
mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::model::{self, City, Country, Portrait, Region};

pub use catalog::{CatalogState, Change, NewOutboxEntry, OutboxEntry, OutboxStatus, QuarantineEntry};
pub use search::{SearchHit, SearchQuery, Segment};
pub use server::{Inserted, SubmissionRow, TokenRow};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    NotFound(String),
    #[error("{origin}: {message}")]
    Conflict { origin: String, message: String },
    /// Something to be created under a name that is taken.
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A lock held elsewhere (SQLITE_BUSY, SQLITE_LOCKED): worth trying again shortly.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How long a connection waits for a lock held by another process.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A portrait to import, with where it came from (a file name, a URL) for error messages.
#[derive(Debug, Clone)]
pub struct ImportItem {
    pub origin: String,
    pub portrait: Portrait,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ImportReport {
    /// (city id, version) added.
    pub added: Vec<(String, u32)>,
    /// (city id, version) already present with identical content.
    pub unchanged: Vec<(String, u32)>,
    /// Cities that did not exist before.
    pub new_cities: Vec<String>,
}

/// One row of the city list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CitySummary {
    pub id: String,
    pub name: String,
    pub country: Country,
    pub region: Region,
    pub awards: Vec<u16>,
    /// Year the city joined the GNLC.
    pub member_since: Option<u16>,
    /// Where the city is, from its latest version.
    pub location: Option<crate::model::Location>,
    pub latest_version: u32,
    pub tagline: Option<String>,
    pub population: Option<f64>,
}

/// Order of the city list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum SortBy {
    #[default]
    Name,
    Country,
    Population,
}

/// Filters shared by the city list and search. Empty filter = everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CityFilter {
    pub region: Option<Region>,
    /// ISO code (`KR`) or published name ("Republic of Korea"), case-insensitive.
    pub country: Option<String>,
    pub award: Option<u16>,
    pub key_feature: Option<u8>,
}

/// One version in a city's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VersionInfo {
    pub version: u32,
    pub booklet: Option<String>,
    pub published: String,
    pub sha256: String,
}

/// A local draft of a city's portrait and the published version it starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Draft {
    pub city_id: String,
    pub base_version: u32,
    pub portrait: Portrait,
    pub updated_at: String,
    /// Fields left in conflict by a rebase, until the user chooses.
    pub conflicts: Vec<crate::model::merge::FieldDiff>,
    /// Bumped by every write (a save, a rebase, a resolution): a save names the revision it was
    /// based on, so it never overwrites a rebase it did not see.
    #[ts(type = "number")]
    pub revision: u64,
    /// What the user typed that is not a value yet, by field path (`facts.population.value` →
    /// "lots"): kept with the draft until fixed; the draft cannot be submitted meanwhile.
    #[serde(default)]
    pub typed: std::collections::BTreeMap<String, String>,
}

/// A stored booklet definition: its id, template, front matter (JSON) and pinned entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredBooklet {
    pub id: String,
    pub template: String,
    pub definition: serde_json::Value,
    pub entries: Vec<(String, u32)>,
    pub updated_at: String,
}

/// A booklet to store: id, template, front matter (JSON), pinned (city, version) entries.
pub type BookletRow = (String, String, serde_json::Value, Vec<(String, u32)>);

/// The portrait database.
pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
}

pub(crate) fn body_json(p: &Portrait) -> Result<String> {
    let mut v = serde_json::to_value(p).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some(obj) = v.as_object_mut() {
        obj.remove("city");
    }
    serde_json::to_string(&v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn portrait_from_body(city: &City, body: &str) -> Result<Portrait> {
    let mut v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("portrait of {}: {e}", city.id)))?;
    let obj =
        v.as_object_mut().ok_or_else(|| StoreError::Corrupt(format!("portrait of {} is not an object", city.id)))?;
    // Rebuild in the file's key order: schema_version, city, then the rest.
    let mut ordered = serde_json::Map::new();
    if let Some(sv) = obj.remove("schema_version") {
        ordered.insert("schema_version".into(), sv);
    }
    ordered.insert("city".into(), serde_json::to_value(city).map_err(|e| StoreError::Corrupt(e.to_string()))?);
    for (k, val) in std::mem::take(obj) {
        ordered.insert(k, val);
    }
    serde_json::from_value(serde_json::Value::Object(ordered))
        .map_err(|e| StoreError::Corrupt(format!("portrait of {}: {e}", city.id)))
}

/// The current time, RFC 3339, UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode returns a row; the others do not.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

pub(crate) fn city_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(City, u32)> {
    let awards: String = row.get("awards")?;
    let region: String = row.get("region")?;
    Ok((
        City {
            id: row.get("id")?,
            name: row.get("name")?,
            country: Country { code: row.get("country_code")?, name: row.get("country_name")? },
            region: Region::parse(&region).unwrap_or(Region::EuropeNorthAmerica),
            member_since: row.get("joined")?,
            awards: serde_json::from_str(&awards).unwrap_or_default(),
        },
        row.get("latest_version")?,
    ))
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Returns the store and whether the database was new (had no schema before).
    pub fn open(path: &Path) -> Result<(Store, bool)> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                    path: path.to_path_buf(),
                    source: rusqlite::Error::InvalidPath(PathBuf::from(format!("{}: {e}", parent.display()))),
                })?;
            }
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn open_in_memory() -> Result<(Store, bool)> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<(Store, bool)> {
        configure(&conn).map_err(|source| StoreError::Open { path: path.clone().unwrap_or_default(), source })?;
        let before: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| StoreError::Open { path: path.clone().unwrap_or_default(), source })?;
        schema::migrations().to_latest(&mut conn)?;
        Ok((Store { conn, path }, before == 0))
    }

    /// The database file, if not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Number of cities and of versions.
    pub fn counts(&self) -> Result<(u32, u32)> {
        let cities = self.conn.query_row("SELECT count(*) FROM cities WHERE deleted = 0", [], |r| r.get(0))?;
        let versions = self.conn.query_row("SELECT count(*) FROM versions", [], |r| r.get(0))?;
        Ok((cities, versions))
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Imports portrait versions, all or nothing. A version already present with identical
    /// content is skipped; with other content it is a conflict (versions are immutable). New
    /// versions must follow the city's latest without gaps. A new latest version's city block
    /// updates the city.
    pub fn import(&mut self, items: &[ImportItem]) -> Result<ImportReport> {
        self.import_with_booklets(items, &[])
    }

    /// As [`Store::import`], and stores booklet definitions (id, template, front matter,
    /// entries) in the same transaction.
    pub fn import_with_booklets(&mut self, items: &[ImportItem], booklets: &[BookletRow]) -> Result<ImportReport> {
        let mut sorted: Vec<&ImportItem> = items.iter().collect();
        sorted
            .sort_by(|a, b| (&a.portrait.city.id, a.portrait.version).cmp(&(&b.portrait.city.id, b.portrait.version)));
        for pair in sorted.windows(2) {
            if pair[0].portrait.city.id == pair[1].portrait.city.id
                && pair[0].portrait.version == pair[1].portrait.version
            {
                return Err(StoreError::Conflict {
                    origin: pair[1].origin.clone(),
                    message: format!(
                        "duplicate: version {} of city {:?} is also in {}",
                        pair[1].portrait.version, pair[1].portrait.city.id, pair[0].origin
                    ),
                });
            }
        }
        let tx = self.conn.transaction()?;
        let mut report = ImportReport::default();
        let mut touched = std::collections::BTreeSet::new();
        for item in sorted {
            import_one(&tx, item, &mut report)?;
            touched.insert(item.portrait.city.id.clone());
        }
        for id in &touched {
            refresh_city(&tx, id)?;
        }
        for (id, template, definition, entries) in booklets {
            put_booklet_tx(&tx, id, template, definition, entries)?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// One city's record.
    pub fn city(&self, id: &str) -> Result<City> {
        self.conn
            .query_row("SELECT * FROM cities WHERE id = ?1 AND deleted = 0", [id], city_from_row)
            .optional()?
            .map(|(c, _)| c)
            .ok_or_else(|| StoreError::NotFound(format!("no city with id {id:?}")))
    }

    /// A published city (not deleted) and its latest version, or none.
    pub fn published_city(&self, id: &str) -> Result<Option<(City, u32)>> {
        Ok(self.conn.query_row("SELECT * FROM cities WHERE id = ?1 AND deleted = 0", [id], city_from_row).optional()?)
    }

    /// A portrait: the given version, or the latest.
    pub fn portrait(&self, id: &str, version: Option<u32>) -> Result<Portrait> {
        let (city, latest) = self
            .conn
            .query_row("SELECT * FROM cities WHERE id = ?1 AND deleted = 0", [id], city_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no city with id {id:?}")))?;
        let v = version.unwrap_or(latest);
        let body: String = self
            .conn
            .query_row("SELECT body FROM versions WHERE city_id = ?1 AND version = ?2", params![id, v], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("city {id:?} has no version {v} (latest is {latest})")))?;
        portrait_from_body(&city, &body)
    }

    /// The version history of a city, oldest first.
    pub fn versions(&self, id: &str) -> Result<Vec<VersionInfo>> {
        self.city(id)?;
        let mut stmt = self
            .conn
            .prepare("SELECT version, booklet, published, sha256 FROM versions WHERE city_id = ?1 ORDER BY version")?;
        let rows = stmt.query_map([id], |r| {
            Ok(VersionInfo { version: r.get(0)?, booklet: r.get(1)?, published: r.get(2)?, sha256: r.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every version of every city, ordered by city id then version.
    pub fn all_versions(&self) -> Result<Vec<Portrait>> {
        self.portraits_where("1")
    }

    /// The latest version of every city, ordered by city id.
    pub fn latest_portraits(&self) -> Result<Vec<Portrait>> {
        self.portraits_where("v.version = c.latest_version")
    }

    fn portraits_where(&self, cond: &str) -> Result<Vec<Portrait>> {
        let sql = format!(
            "SELECT c.*, v.body FROM versions v JOIN cities c ON c.id = v.city_id \
             WHERE c.deleted = 0 AND {cond} ORDER BY c.id, v.version"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| Ok((city_from_row(r)?.0, r.get::<_, String>("body")?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (city, body) = row?;
            out.push(portrait_from_body(&city, &body)?);
        }
        Ok(out)
    }

    /// The city list, filtered and sorted.
    pub fn cities(&self, filter: &CityFilter, sort: SortBy) -> Result<Vec<CitySummary>> {
        let (cond, args) = filter_sql(filter)?;
        let sql = format!(
            "SELECT c.*, json_extract(v.body, '$.tagline') AS tagline, json_extract(v.body, '$.location.lat') AS lat, \
             json_extract(v.body, '$.location.lon') AS lon FROM cities c \
             JOIN versions v ON v.city_id = c.id AND v.version = c.latest_version \
             WHERE c.deleted = 0 AND {cond}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            let (city, latest) = city_from_row(r)?;
            Ok(CitySummary {
                id: city.id,
                name: city.name,
                country: city.country,
                region: city.region,
                awards: city.awards,
                member_since: city.member_since,
                location: match (r.get::<_, Option<f64>>("lat")?, r.get::<_, Option<f64>>("lon")?) {
                    (Some(lat), Some(lon)) => Some(crate::model::Location { lat, lon }),
                    _ => None,
                },
                latest_version: latest,
                tagline: r.get("tagline")?,
                population: r.get("population")?,
            })
        })?;
        let mut out: Vec<CitySummary> = rows.collect::<rusqlite::Result<_>>()?;
        let key = |c: &CitySummary| model::fold(&c.name).to_lowercase();
        match sort {
            SortBy::Name => out.sort_by_cached_key(key),
            SortBy::Country => out.sort_by_cached_key(|c| (model::fold(&c.country.name).to_lowercase(), key(c))),
            SortBy::Population => out.sort_by(|a, b| {
                b.population.unwrap_or(-1.0).total_cmp(&a.population.unwrap_or(-1.0)).then_with(|| key(a).cmp(&key(b)))
            }),
        }
        Ok(out)
    }

    /// Full-text search over the latest version of every city; see [`SearchQuery`].
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        search::run(&self.conn, q)
    }

    /// A consistent copy of the database in `dest` (SQLite online backup API), written to a
    /// temporary file beside it and renamed, so `dest` is never half written.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let tmp = dest.with_extension(format!("partial-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let result = (|| -> Result<()> {
            let mut out = Connection::open(&tmp)?;
            {
                let backup = rusqlite::backup::Backup::new(&self.conn, &mut out)?;
                backup.run_to_completion(256, Duration::from_millis(5), None)?;
            }
            // A backup is a single self-contained file: no WAL beside it.
            let _mode: String = out.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
            let ok: String = out.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(StoreError::Corrupt(format!("backup failed its integrity check: {ok}")));
            }
            drop(out);
            std::fs::rename(&tmp, dest).map_err(|e| StoreError::Open {
                path: dest.to_path_buf(),
                source: rusqlite::Error::InvalidPath(PathBuf::from(e.to_string())),
            })?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    // ---- drafts -------------------------------------------------------------------------

    pub fn draft(&self, city_id: &str) -> Result<Option<Draft>> {
        let city = self.city(city_id)?;
        let row: Option<(u32, String, String, String, i64, String)> = self
            .conn
            .query_row(
                "SELECT base_version, body, updated_at, conflicts, revision, typed FROM drafts WHERE city_id = ?1",
                [city_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((base_version, body, updated_at, conflicts, revision, typed)) => {
                let mut portrait: Portrait =
                    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("draft of {city_id}: {e}")))?;
                if portrait.city.id != city.id {
                    portrait.city = city;
                }
                let conflicts = serde_json::from_str(&conflicts)
                    .map_err(|e| StoreError::Corrupt(format!("draft conflicts of {city_id}: {e}")))?;
                Ok(Some(Draft {
                    city_id: city_id.to_string(),
                    base_version,
                    portrait,
                    updated_at,
                    conflicts,
                    revision: revision as u64,
                    // Unreadable (written by a future version): the form shows the values.
                    typed: serde_json::from_str(&typed).unwrap_or_default(),
                }))
            }
        }
    }

    /// Keeps what the user typed that is not a value yet (see [`Draft::typed`]) with the draft.
    pub fn set_draft_typed(&mut self, city_id: &str, typed: &std::collections::BTreeMap<String, String>) -> Result<()> {
        let text = serde_json::to_string(typed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn.execute("UPDATE drafts SET typed = ?2 WHERE city_id = ?1", params![city_id, text])?;
        Ok(())
    }

    /// The draft as it was just before the last rebase, with its revision: the merge base of a
    /// save made against that revision (an autosave that raced the rebase).
    pub fn draft_before_rebase(&self, city_id: &str) -> Result<Option<(u64, Portrait)>> {
        let row: Option<(Option<String>, Option<i64>)> = self
            .conn
            .query_row("SELECT before_rebase, before_rebase_revision FROM drafts WHERE city_id = ?1", [city_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match row {
            Some((Some(body), Some(rev))) => {
                let p = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("draft of {city_id} before its rebase: {e}")))?;
                Ok(Some((rev as u64, p)))
            }
            _ => Ok(None),
        }
    }

    /// Saves (replaces) the draft of a city in one transaction and bumps its revision. With
    /// `expected`, only if the stored draft is still at that revision (or there is none):
    /// otherwise a conflict, and nothing is written.
    pub fn save_draft(
        &mut self,
        city_id: &str,
        base_version: u32,
        portrait: &Portrait,
        conflicts: &[crate::model::merge::FieldDiff],
        expected: Option<u64>,
    ) -> Result<Draft> {
        self.city(city_id)?;
        let body = serde_json::to_string(portrait).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let conf = serde_json::to_string(conflicts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = now_rfc3339();
        let tx = self.conn.transaction()?;
        let current: Option<i64> =
            tx.query_row("SELECT revision FROM drafts WHERE city_id = ?1", [city_id], |r| r.get(0)).optional()?;
        if let (Some(want), Some(have)) = (expected, current) {
            if want as i64 != have {
                return Err(StoreError::Conflict {
                    origin: format!("the draft of {city_id}"),
                    message: format!("it changed since revision {want} (it is at revision {have} now)"),
                });
            }
        }
        let revision = current.unwrap_or(0) + 1;
        tx.execute(
            "INSERT INTO drafts(city_id, base_version, body, updated_at, conflicts, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(city_id) DO UPDATE SET base_version = excluded.base_version, body = excluded.body,
             updated_at = excluded.updated_at, conflicts = excluded.conflicts, revision = excluded.revision,
             before_rebase = NULL, before_rebase_revision = NULL",
            params![city_id, base_version, body, now, conf, revision],
        )?;
        let typed: String = tx.query_row("SELECT typed FROM drafts WHERE city_id = ?1", [city_id], |r| r.get(0))?;
        tx.commit()?;
        Ok(Draft {
            city_id: city_id.into(),
            base_version,
            portrait: portrait.clone(),
            updated_at: now,
            conflicts: conflicts.to_vec(),
            revision: revision as u64,
            typed: serde_json::from_str(&typed).unwrap_or_default(),
        })
    }

    pub fn delete_draft(&mut self, city_id: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM drafts WHERE city_id = ?1", [city_id])? > 0)
    }

    pub fn drafts(&self) -> Result<Vec<(String, u32, String)>> {
        let mut stmt = self.conn.prepare("SELECT city_id, base_version, updated_at FROM drafts ORDER BY city_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- booklets -----------------------------------------------------------------------

    /// Stores (creates or replaces) a booklet definition and its pinned entries, in one
    /// transaction. Every entry must name an existing version.
    pub fn put_booklet(
        &mut self,
        id: &str,
        template: &str,
        definition: &serde_json::Value,
        entries: &[(String, u32)],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        put_booklet_tx(&tx, id, template, definition, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Stores a booklet under a new id: refused with [`StoreError::Exists`] when a booklet has
    /// that id already (the check and the insert are one write transaction, so two saves racing
    /// for one id store one booklet and refuse the other).
    pub fn insert_booklet(
        &mut self,
        id: &str,
        template: &str,
        definition: &serde_json::Value,
        entries: &[(String, u32)],
    ) -> Result<()> {
        self.put_booklet_if(false, id, template, definition, entries)
    }

    /// Replaces a booklet that exists ([`StoreError::NotFound`] otherwise).
    pub fn replace_booklet(
        &mut self,
        id: &str,
        template: &str,
        definition: &serde_json::Value,
        entries: &[(String, u32)],
    ) -> Result<()> {
        self.put_booklet_if(true, id, template, definition, entries)
    }

    /// Writes a booklet only if one with its id exists (`exists`) or not, checked and written in
    /// one write transaction.
    fn put_booklet_if(
        &mut self,
        exists: bool,
        id: &str,
        template: &str,
        definition: &serde_json::Value,
        entries: &[(String, u32)],
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let held = tx.query_row("SELECT 1 FROM booklets WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some();
        match (exists, held) {
            (false, true) => return Err(StoreError::Exists(format!("booklet {id:?}"))),
            (true, false) => return Err(StoreError::NotFound(format!("no booklet with id {id:?}"))),
            _ => {}
        }
        put_booklet_tx(&tx, id, template, definition, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes a booklet and its entries.
    pub fn delete_booklet(&mut self, id: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM booklet_entries WHERE booklet_id = ?1", [id])?;
        if tx.execute("DELETE FROM booklets WHERE id = ?1", [id])? == 0 {
            return Err(StoreError::NotFound(format!("no booklet with id {id:?}")));
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether a booklet has this id.
    pub fn has_booklet(&self, id: &str) -> Result<bool> {
        Ok(self.conn.query_row("SELECT 1 FROM booklets WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
    }

    pub fn booklet(&self, id: &str) -> Result<StoredBooklet> {
        let (template, definition, updated_at): (String, String, String) = self
            .conn
            .query_row("SELECT template, definition, updated_at FROM booklets WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no booklet with id {id:?}")))?;
        let mut stmt = self
            .conn
            .prepare("SELECT city_id, version FROM booklet_entries WHERE booklet_id = ?1 ORDER BY position")?;
        let entries = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(StoredBooklet {
            id: id.to_string(),
            template,
            definition: serde_json::from_str(&definition)
                .map_err(|e| StoreError::Corrupt(format!("booklet {id}: {e}")))?,
            entries,
            updated_at,
        })
    }

    pub fn booklets(&self) -> Result<Vec<StoredBooklet>> {
        let ids: Vec<String> = {
            let mut stmt = self.conn.prepare("SELECT id FROM booklets ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        ids.iter().map(|id| self.booklet(id)).collect()
    }
}

fn put_booklet_tx(
    tx: &Transaction<'_>,
    id: &str,
    template: &str,
    definition: &serde_json::Value,
    entries: &[(String, u32)],
) -> Result<()> {
    for (i, (city, version)) in entries.iter().enumerate() {
        let exists: bool = tx
            .query_row("SELECT 1 FROM versions WHERE city_id = ?1 AND version = ?2", params![city, version], |_| {
                Ok(true)
            })
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Err(StoreError::Conflict {
                origin: format!("booklet {id}"),
                message: format!("cities[{i}]: city {city:?} has no version {version}"),
            });
        }
    }
    tx.execute("DELETE FROM booklet_entries WHERE booklet_id = ?1", [id])?;
    tx.execute(
        "INSERT INTO booklets(id, template, definition, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET template = excluded.template, definition = excluded.definition,
         updated_at = excluded.updated_at",
        params![id, template, definition.to_string(), now_rfc3339()],
    )?;
    for (i, (city, version)) in entries.iter().enumerate() {
        tx.execute(
            "INSERT INTO booklet_entries(booklet_id, position, city_id, version) VALUES (?1, ?2, ?3, ?4)",
            params![id, i as i64, city, version],
        )?;
    }
    Ok(())
}

fn filter_sql(f: &CityFilter) -> Result<(String, Vec<rusqlite::types::Value>)> {
    use rusqlite::types::Value;
    let mut conds = vec!["1".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if let Some(r) = f.region {
        args.push(Value::Text(r.as_str().into()));
        conds.push(format!("c.region = ?{}", args.len()));
    }
    if let Some(country) = &f.country {
        args.push(Value::Text(country.trim().to_string()));
        let n = args.len();
        conds.push(format!("(c.country_code = upper(?{n}) OR lower(c.country_name) = lower(?{n}))"));
    }
    if let Some(year) = f.award {
        args.push(Value::Integer(year.into()));
        conds.push(format!("EXISTS (SELECT 1 FROM city_awards a WHERE a.city_id = c.id AND a.year = ?{})", args.len()));
    }
    if let Some(k) = f.key_feature {
        if !(1..=12).contains(&k) {
            return Err(StoreError::InvalidQuery(format!("key feature area {k} does not exist (1–12)")));
        }
        args.push(Value::Integer(k.into()));
        conds.push(format!(
            "EXISTS (SELECT 1 FROM city_features k WHERE k.city_id = c.id AND k.area = ?{})",
            args.len()
        ));
    }
    Ok((conds.join(" AND "), args))
}

pub(crate) fn import_one(tx: &Transaction<'_>, item: &ImportItem, report: &mut ImportReport) -> Result<()> {
    let p = &item.portrait;
    let id = &p.city.id;
    let existing: Option<(City, u32)> =
        tx.query_row("SELECT * FROM cities WHERE id = ?1", [id], city_from_row).optional()?;
    let body = body_json(p)?;
    let sha = p.content_sha256();
    if let Some((city, latest)) = &existing {
        if p.version <= *latest {
            let stored: Option<String> = tx
                .query_row(
                    "SELECT sha256 FROM versions WHERE city_id = ?1 AND version = ?2",
                    params![id, p.version],
                    |r| r.get(0),
                )
                .optional()?;
            let same_city = &p.city == city;
            return match stored {
                Some(s) if s == sha && same_city => {
                    report.unchanged.push((id.clone(), p.version));
                    Ok(())
                }
                Some(_) => Err(StoreError::Conflict {
                    origin: item.origin.clone(),
                    message: if same_city {
                        format!("version {} of {id:?} already exists with other content; versions are immutable, publish version {} instead", p.version, latest + 1)
                    } else {
                        format!(
                            "its city block differs from the stored city {id:?} ({}, {}); versions are immutable",
                            city.name, city.country.name
                        )
                    },
                }),
                None => Err(StoreError::Corrupt(format!("city {id} lacks version {}", p.version))),
            };
        }
        if p.version != latest + 1 {
            return Err(StoreError::Conflict {
                origin: item.origin.clone(),
                message: format!("version {} of {id:?} would leave a gap: the latest is {latest}", p.version),
            });
        }
    } else if p.version != 1 {
        return Err(StoreError::Conflict {
            origin: item.origin.clone(),
            message: format!("{id:?} is a new city, so its first version must be 1, not {}", p.version),
        });
    }
    let c = &p.city;
    let awards = serde_json::to_string(&c.awards).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO cities(id, name, country_code, country_name, region, joined, awards, latest_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, country_code = excluded.country_code,
           country_name = excluded.country_name, region = excluded.region, joined = excluded.joined,
           awards = excluded.awards, latest_version = excluded.latest_version, deleted = 0",
        params![c.id, c.name, c.country.code, c.country.name, c.region.as_str(), c.member_since, awards, p.version],
    )?;
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO versions(city_id, version, body, sha256, booklet, published, imported_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, p.version, body, sha, p.source.booklet, p.source.published, now_rfc3339(), seq],
    )?;
    // A city that comes back after a deletion is no longer a tombstone.
    tx.execute("DELETE FROM tombstones WHERE city_id = ?1", [id])?;
    if existing.is_none() {
        report.new_cities.push(id.clone());
    }
    report.added.push((id.clone(), p.version));
    Ok(())
}

/// The next catalogue sequence number: one more than any version's or tombstone's.
pub(crate) fn next_seq(tx: &Transaction<'_>) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT max(coalesce((SELECT max(seq) FROM versions), 0), coalesce((SELECT max(seq) FROM tombstones), 0), coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'tombstone_floor'), 0)) + 1",
        [],
        |r| r.get(0),
    )?)
}

/// Recomputes the derived rows of a city (awards, features, sort keys, search index) from its
/// record and latest version.
pub(crate) fn refresh_city(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let (city, latest) = tx.query_row("SELECT * FROM cities WHERE id = ?1", [id], city_from_row)?;
    let body: String =
        tx.query_row("SELECT body FROM versions WHERE city_id = ?1 AND version = ?2", params![id, latest], |r| {
            r.get(0)
        })?;
    let p = portrait_from_body(&city, &body)?;
    tx.execute("DELETE FROM city_awards WHERE city_id = ?1", [id])?;
    for y in &city.awards {
        tx.execute("INSERT OR IGNORE INTO city_awards(city_id, year) VALUES (?1, ?2)", params![id, y])?;
    }
    tx.execute("DELETE FROM city_features WHERE city_id = ?1", [id])?;
    for k in &p.key_feature_areas {
        tx.execute("INSERT OR IGNORE INTO city_features(city_id, area) VALUES (?1, ?2)", params![id, k])?;
    }
    tx.execute("UPDATE cities SET population = ?2 WHERE id = ?1", params![id, p.facts.population.number()])?;
    search::index_city(tx, &p)?;
    Ok(())
}

// ---- media ------------------------------------------------------------------------------

/// Stores a photo under the SHA-256 of its bytes (on a connection or in a transaction).
pub(crate) fn put_media_tx(conn: &Connection, bytes: &[u8], mime: &str) -> Result<String> {
    use sha2::{Digest, Sha256};
    let sha = hex::encode(Sha256::digest(bytes));
    conn.execute(
        "INSERT OR IGNORE INTO media(sha256, mime, size, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![sha, mime, bytes.len() as i64, bytes],
    )?;
    Ok(sha)
}

impl Store {
    /// Stores a photo under the SHA-256 of its bytes; returns the hash. Idempotent.
    pub fn put_media(&mut self, bytes: &[u8], mime: &str) -> Result<String> {
        put_media_tx(&self.conn, bytes, mime)
    }

    /// Whether a photo is stored.
    pub fn has_media(&self, sha256: &str) -> Result<bool> {
        Ok(self.conn.query_row("SELECT 1 FROM media WHERE sha256 = ?1", [sha256], |_| Ok(())).optional()?.is_some())
    }

    /// A photo's bytes and MIME type, if stored.
    pub fn media(&self, sha256: &str) -> Result<Option<(Vec<u8>, String)>> {
        Ok(self
            .conn
            .query_row("SELECT bytes, mime FROM media WHERE sha256 = ?1", [sha256], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_connection_is_configured() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("c.sqlite3")).unwrap();
        let pragma = |name: &str| -> String {
            store
                .conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(1)", "NORMAL");
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
        assert_eq!(pragma("busy_timeout"), format!("Integer({})", BUSY_TIMEOUT.as_millis()));
    }
}

//! The catalogue as the feed sees it: the sequence of changes (versions and tombstones) that
//! the server publishes and the client applies, settings (`meta`), and the client's outbox,
//! quarantine and cached submission status.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{
    city_from_row, import_one, next_seq, now_rfc3339, portrait_from_body, refresh_city, Draft, ImportItem,
    ImportReport, Result, Store, StoreError,
};
use crate::model::merge::FieldDiff;
use crate::model::Portrait;

/// One entry of the change log: a published version, or a deleted city.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Version { seq: u64, portrait: Box<Portrait>, sha256: String, published_at: String },
    Tombstone { seq: u64, city_id: String, version: u32, deleted_at: String },
}

impl Change {
    pub fn seq(&self) -> u64 {
        match self {
            Change::Version { seq, .. } | Change::Tombstone { seq, .. } => *seq,
        }
    }
}

/// Local versions per city: city → (latest version, deleted, [(version, sha256)]).
pub type VersionIndex = std::collections::HashMap<String, (u32, bool, Vec<(u32, String)>)>;

/// Where a submission in the client's outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Queued: the next sync sends it (offline, or the server did not answer).
    Pending,
    /// The server has it (see its submission id).
    Sent,
    /// The server refused it (an invalid portrait, a refused photo, a wrong token): resending
    /// would not help; the reason is in `last_error`.
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<OutboxStatus> {
        [OutboxStatus::Pending, OutboxStatus::Sent, OutboxStatus::Failed].into_iter().find(|x| x.as_str() == s)
    }
}

/// A submission to queue ([`Store::outbox_add_all`]).
#[derive(Debug, Clone)]
pub struct NewOutboxEntry {
    pub city_id: String,
    pub key: String,
    pub base_version: u32,
    pub portrait: Portrait,
    pub note: Option<String>,
}

/// A submission waiting in the client's outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct OutboxEntry {
    pub id: i64,
    pub city_id: String,
    pub idempotency_key: String,
    pub base_version: u32,
    pub portrait: Portrait,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub submission_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The coordinator's words to the reviewer, sent with it.
    #[serde(default)]
    pub note: Option<String>,
}

/// A remote item held back by the client, with why: refused (invalid), a photo that could not
/// be fetched, or a version behind a gap. It is kept as received and retried on every later
/// sync until it applies; meanwhile the last good version of its city stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct QuarantineEntry {
    pub item_id: String,
    /// The city and version the item is of, when it could be read.
    pub city_id: Option<String>,
    pub version: Option<u32>,
    pub reason: String,
    pub feed: String,
    /// How many syncs have tried it.
    pub attempts: u32,
    /// When it was first held back, and last tried (RFC 3339).
    pub first_at: String,
    pub at: String,
}

/// A held-back item as stored, to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldItem {
    pub item_id: String,
    /// The item as received (JSON).
    pub body: String,
}

/// One operation of a sync, decided by the planner and applied in one transaction.
#[derive(Debug, Clone)]
pub enum SyncOp {
    Insert(Box<ImportItem>),
    Tombstone {
        city_id: String,
        version: u32,
    },
    /// Hold an item back (see [`QuarantineEntry`]); `body` is the item as received (JSON),
    /// kept to retry.
    Quarantine {
        item_id: String,
        city_id: Option<String>,
        version: Option<u32>,
        reason: String,
        body: String,
    },
    /// A held-back item that is here now (applied, or identical to the copy here).
    Release {
        item_id: String,
    },
    /// Rebase the draft of a city, if it is still at `revision` (the one the planner read).
    Draft {
        city_id: String,
        base_version: u32,
        portrait: Box<Portrait>,
        conflicts: Vec<FieldDiff>,
        revision: u64,
    },
    /// The draft's changes are all published now (e.g. its submission was accepted): drop it,
    /// if it is still at `revision`.
    DropDraft {
        city_id: String,
        revision: u64,
    },
}

/// What the published catalogue is at a moment: its version (the largest sequence number),
/// and the number of cities and the sum of their latest versions — enough to tell that any
/// version was added, any city deleted, or another database restored in this one's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogState {
    pub version: u64,
    pub cities: u64,
    pub versions: u64,
}

impl Store {
    /// The catalogue's state, for caches of what is computed from it.
    pub fn catalog_state(&self) -> Result<CatalogState> {
        let (cities, versions): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(latest_version), 0) FROM cities WHERE deleted = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(CatalogState { version: self.catalog_version()?, cities: cities as u64, versions: versions as u64 })
    }

    /// The catalogue version: the largest sequence number of any version or tombstone, never
    /// going back when tombstones are pruned.
    pub fn catalog_version(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT max(coalesce((SELECT max(seq) FROM versions), 0), coalesce((SELECT max(seq) FROM tombstones), 0), coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'tombstone_floor'), 0))",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The catalogue's id, if this database publishes one (see [`Store::ensure_catalog_id`]).
    pub fn catalog_id(&self) -> Result<Option<String>> {
        self.meta("catalog_id")
    }

    /// Names this database's catalogue once (a random UUID), for the feeds it publishes: a
    /// client follows one catalogue and never mixes in another's versions.
    pub fn ensure_catalog_id(&mut self) -> Result<String> {
        if let Some(id) = self.catalog_id()? {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('catalog_id', ?1)", [&id])?;
        Ok(self.catalog_id()?.unwrap_or(id))
    }

    /// When the catalogue last changed (RFC 3339), for Last-Modified.
    pub fn catalog_modified(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT max(coalesce((SELECT max(imported_at) FROM versions), ''), coalesce((SELECT max(deleted_at) FROM tombstones), ''))",
            [],
            |r| r.get::<_, Option<String>>(0),
        )?)
    }

    /// Every change with a sequence number above `since`, in order, at most `limit` of them;
    /// and whether more follow.
    pub fn changes_since(&self, since: u64, limit: usize) -> Result<(Vec<Change>, bool)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, seq, city_id, version, body, sha256, at FROM (
                 SELECT 'v' AS kind, seq, city_id, version, body, sha256, imported_at AS at FROM versions WHERE seq > ?1
                 UNION ALL
                 SELECT 't', seq, city_id, version, NULL, NULL, deleted_at FROM tombstones WHERE seq > ?1
             ) ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since as i64, (limit + 1) as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        let mut cities = std::collections::HashMap::new();
        for row in rows {
            let (kind, seq, city_id, version, body, sha, at) = row?;
            if kind == "t" {
                out.push(Change::Tombstone { seq: seq as u64, city_id, version, deleted_at: at });
                continue;
            }
            let city = match cities.get(&city_id) {
                Some(c) => c,
                None => {
                    let c = self
                        .conn
                        .query_row("SELECT * FROM cities WHERE id = ?1", [&city_id], city_from_row)
                        .map(|(c, _)| c)?;
                    cities.entry(city_id.clone()).or_insert(c)
                }
            };
            let portrait = portrait_from_body(city, &body.unwrap_or_default())?;
            out.push(Change::Version {
                seq: seq as u64,
                portrait: Box::new(portrait),
                sha256: sha.unwrap_or_default(),
                published_at: at,
            });
        }
        let more = out.len() > limit;
        out.truncate(limit);
        Ok((out, more))
    }

    /// Publishes a portrait as the city's next version (the server's accept, and imports of a
    /// single new version). Returns (version, catalogue sequence).
    pub fn publish(&mut self, portrait: &Portrait) -> Result<(u32, u64)> {
        let tx = self.conn.transaction()?;
        let (v, seq) = publish_tx(&tx, portrait)?;
        tx.commit()?;
        Ok((v, seq))
    }

    /// Deletes a city from the catalogue: its versions stay (they are immutable and booklets pin
    /// them), the city is hidden, and a tombstone tells clients.
    pub fn delete_city(&mut self, city_id: &str) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let latest: u32 = tx
            .query_row("SELECT latest_version FROM cities WHERE id = ?1 AND deleted = 0", [city_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no city with id {city_id:?}")))?;
        let seq = next_seq(&tx)?;
        tx.execute("UPDATE cities SET deleted = 1 WHERE id = ?1", [city_id])?;
        tx.execute(
            "INSERT INTO tombstones(city_id, seq, version, deleted_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(city_id) DO UPDATE SET seq = excluded.seq, version = excluded.version, deleted_at = excluded.deleted_at",
            params![city_id, seq, latest, now_rfc3339()],
        )?;
        let rowid: i64 = tx.query_row("SELECT num FROM cities WHERE id = ?1", [city_id], |r| r.get(0))?;
        tx.execute("DELETE FROM search WHERE rowid = ?1", [rowid])?;
        tx.commit()?;
        Ok(seq as u64)
    }

    /// Raises the floor of the change log to `up_to`: clients whose cursor is older get
    /// `410 Gone` and take the snapshot. The tombstones themselves are kept — one small row per
    /// deleted city — because the snapshot must still tell a fresh client, or one whose cursor
    /// fell behind, that the city is gone (its versions stay in the catalogue, immutable).
    /// Returns how many tombstones the floor passed.
    pub fn prune_tombstones(&mut self, up_to: u64) -> Result<usize> {
        // The floor never passes the catalogue itself.
        let up_to = up_to.min(self.catalog_version()?);
        let tx = self.conn.transaction()?;
        let n: i64 = tx.query_row("SELECT count(*) FROM tombstones WHERE seq <= ?1", [up_to as i64], |r| r.get(0))?;
        let floor = meta_tx(&tx, "tombstone_floor")?.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        if up_to > floor {
            set_meta_tx(&tx, "tombstone_floor", &up_to.to_string())?;
        }
        tx.commit()?;
        Ok(n as usize)
    }

    /// Changes since a cursor older than this cannot be served (their tombstones are gone).
    pub fn tombstone_floor(&self) -> Result<u64> {
        Ok(self.meta("tombstone_floor")?.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Local versions per city: city → (latest version, deleted, [(version, sha256)]).
    pub fn version_index(&self) -> Result<VersionIndex> {
        let mut out = VersionIndex::new();
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.latest_version, c.deleted, v.version, v.sha256 FROM cities c JOIN versions v ON v.city_id = c.id ORDER BY c.id, v.version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (id, latest, deleted, v, sha) = row?;
            out.entry(id).or_insert((latest, deleted, Vec::new())).2.push((v, sha));
        }
        Ok(out)
    }

    /// Every local draft.
    pub fn all_drafts(&self) -> Result<Vec<Draft>> {
        let ids: Vec<String> = {
            let mut stmt = self.conn.prepare("SELECT city_id FROM drafts ORDER BY city_id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(d) = self.draft(&id)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Applies a sync page: every operation and the new settings (cursor, ETag …) in one
    /// transaction, so a page is applied whole or not at all.
    /// `media` are the photos (bytes, MIME type) the inserted versions need, fetched and checked
    /// beforehand: they are stored in the same transaction, so a page that is not applied
    /// stores none.
    pub fn apply_sync(
        &mut self,
        ops: &[SyncOp],
        feed: &str,
        meta: &[(String, String)],
        media: &[(Vec<u8>, String)],
    ) -> Result<ImportReport> {
        let tx = self.conn.transaction()?;
        let mut report = ImportReport::default();
        let mut touched = std::collections::BTreeSet::new();
        let now = now_rfc3339();
        for (bytes, mime) in media {
            super::put_media_tx(&tx, bytes, mime)?;
        }
        for op in ops {
            match op {
                SyncOp::Insert(item) => {
                    import_one(&tx, item, &mut report)?;
                    touched.insert(item.portrait.city.id.clone());
                    tx.execute("DELETE FROM held WHERE feed = ?1 AND item_id = ?2", params![feed, item.origin])?;
                }
                SyncOp::Release { item_id } => {
                    tx.execute("DELETE FROM held WHERE feed = ?1 AND item_id = ?2", params![feed, item_id])?;
                }
                SyncOp::Tombstone { city_id, version } => {
                    let seq = next_seq(&tx)?;
                    tx.execute("UPDATE cities SET deleted = 1 WHERE id = ?1", [city_id])?;
                    tx.execute(
                        "INSERT INTO tombstones(city_id, seq, version, deleted_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(city_id) DO UPDATE SET seq = excluded.seq, version = excluded.version",
                        params![city_id, seq, version, now],
                    )?;
                    if let Some(rowid) = tx
                        .query_row("SELECT num FROM cities WHERE id = ?1", [city_id], |r| r.get::<_, i64>(0))
                        .optional()?
                    {
                        tx.execute("DELETE FROM search WHERE rowid = ?1", [rowid])?;
                    }
                }
                SyncOp::Quarantine { item_id, city_id, version, reason, body } => {
                    // One row per feed and item: a re-sync or a retry updates it, never adds one.
                    tx.execute(
                        "INSERT INTO held(feed, item_id, city_id, version, reason, body, first_at, at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                         ON CONFLICT(feed, item_id) DO UPDATE SET city_id = excluded.city_id,
                           version = excluded.version, reason = excluded.reason, body = excluded.body,
                           attempts = attempts + 1, at = excluded.at",
                        params![feed, item_id, city_id, version, reason, body, now],
                    )?;
                }
                SyncOp::DropDraft { city_id, revision } => {
                    tx.execute(
                        "DELETE FROM drafts WHERE city_id = ?1 AND revision = ?2",
                        params![city_id, *revision as i64],
                    )?;
                }
                SyncOp::Draft { city_id, base_version, portrait, conflicts, revision } => {
                    let body = serde_json::to_string(portrait).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let conf = serde_json::to_string(conflicts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    // Only over the revision the planner read: a draft saved since is left for
                    // the next sync to rebase. The draft as it was is kept as the merge base of
                    // an autosave that raced this rebase.
                    tx.execute(
                        "UPDATE drafts SET before_rebase = body, before_rebase_revision = revision,
                           base_version = ?2, body = ?3, conflicts = ?4, updated_at = ?5, revision = revision + 1
                         WHERE city_id = ?1 AND revision = ?6",
                        params![city_id, base_version, body, conf, now, *revision as i64],
                    )?;
                }
            }
        }
        for id in &touched {
            // A city deleted locally and published again comes back.
            tx.execute("UPDATE cities SET deleted = 0 WHERE id = ?1", [id])?;
            refresh_city(&tx, id)?;
        }
        for (k, v) in meta {
            set_meta_tx(&tx, k, v)?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Every held-back item, oldest first.
    pub fn quarantine(&self) -> Result<Vec<QuarantineEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT item_id, city_id, version, reason, feed, attempts, first_at, at FROM held ORDER BY city_id, version, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QuarantineEntry {
                item_id: r.get(0)?,
                city_id: r.get(1)?,
                version: r.get(2)?,
                reason: r.get(3)?,
                feed: r.get(4)?,
                attempts: r.get(5)?,
                first_at: r.get(6)?,
                at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The items held back from `feed`, to retry.
    pub fn held_items(&self, feed: &str) -> Result<Vec<HeldItem>> {
        let mut stmt = self.conn.prepare("SELECT item_id, body FROM held WHERE feed = ?1 ORDER BY id")?;
        let rows = stmt.query_map([feed], |r| Ok(HeldItem { item_id: r.get(0)?, body: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- outbox --------------------------------------------------------------------------

    /// Queues a submission with its idempotency key, in one transaction with nothing else.
    pub fn outbox_add(
        &mut self,
        city_id: &str,
        key: &str,
        base_version: u32,
        portrait: &Portrait,
        note: Option<&str>,
    ) -> Result<i64> {
        let body = serde_json::to_string(portrait).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = now_rfc3339();
        self.conn.execute(
            "INSERT INTO outbox(city_id, idempotency_key, base_version, body, status, created_at, updated_at, note)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, ?6)",
            params![city_id, key, base_version, body, now, note],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Queues several submissions in one transaction: all or none. Returns their ids in order.
    pub fn outbox_add_all(&mut self, entries: &[NewOutboxEntry]) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        let now = now_rfc3339();
        let mut ids = Vec::with_capacity(entries.len());
        for e in entries {
            let body = serde_json::to_string(&e.portrait).map_err(|err| StoreError::Corrupt(err.to_string()))?;
            tx.execute(
                "INSERT INTO outbox(city_id, idempotency_key, base_version, body, status, created_at, updated_at, note)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, ?6)",
                params![e.city_id, e.key, e.base_version, body, now, e.note],
            )?;
            ids.push(tx.last_insert_rowid());
        }
        tx.commit()?;
        Ok(ids)
    }

    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, city_id, idempotency_key, base_version, body, status, attempts, last_error, submission_id, created_at, updated_at, note
             FROM outbox ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, Option<String>>(11)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                city_id,
                key,
                base,
                body,
                status,
                attempts,
                last_error,
                submission_id,
                created_at,
                updated_at,
                note,
            ) = row?;
            let portrait = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("outbox {id}: {e}")))?;
            let status = OutboxStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("outbox {id}: status {status:?}")))?;
            out.push(OutboxEntry {
                id,
                city_id,
                idempotency_key: key,
                base_version: base,
                portrait,
                status,
                attempts,
                last_error,
                submission_id,
                created_at,
                updated_at,
                note,
            });
        }
        Ok(out)
    }

    /// Records the outcome of a send attempt.
    pub fn outbox_update(
        &mut self,
        id: i64,
        status: OutboxStatus,
        error: Option<&str>,
        submission_id: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET status = ?2, attempts = attempts + 1, last_error = ?3,
             submission_id = coalesce(?4, submission_id), updated_at = ?5 WHERE id = ?1",
            params![id, status.as_str(), error, submission_id, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Caches the server's view of a submission (for offline display).
    pub fn put_submission_status(
        &mut self,
        submission_id: &str,
        city_id: &str,
        body: &crate::protocol::SubmissionSummary,
    ) -> Result<()> {
        let body = serde_json::to_string(body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO submission_status(submission_id, city_id, body, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(submission_id) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at",
            params![submission_id, city_id, body, now_rfc3339()],
        )?;
        Ok(())
    }

    /// The cached statuses of a city's submissions, oldest first. A row this version cannot
    /// read (written by a future one) is left out rather than failing the list.
    pub fn submission_statuses(&self, city_id: &str) -> Result<Vec<crate::protocol::SubmissionSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT body FROM submission_status WHERE city_id = ?1 ORDER BY json_extract(body, '$.createdAt')",
        )?;
        let rows = stmt.query_map([city_id], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            if let Ok(s) = serde_json::from_str(&row?) {
                out.push(s);
            }
        }
        Ok(out)
    }
}

fn meta_tx(tx: &rusqlite::Transaction<'_>, key: &str) -> Result<Option<String>> {
    Ok(tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn set_meta_tx(tx: &rusqlite::Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Publishes the next version of a city inside a transaction: the portrait's version and
/// publication are set here.
pub(crate) fn publish_tx(tx: &rusqlite::Transaction<'_>, portrait: &Portrait) -> Result<(u32, u64)> {
    let latest: Option<u32> = tx
        .query_row("SELECT latest_version FROM cities WHERE id = ?1", [&portrait.city.id], |r| r.get(0))
        .optional()?;
    let mut p = portrait.clone();
    p.version = latest.unwrap_or(0) + 1;
    let item = ImportItem { origin: format!("publication of {}", p.city.id), portrait: p };
    let mut report = ImportReport::default();
    import_one(tx, &item, &mut report)?;
    tx.execute("UPDATE cities SET deleted = 0 WHERE id = ?1", [&item.portrait.city.id])?;
    refresh_city(tx, &item.portrait.city.id)?;
    let seq: i64 = tx.query_row(
        "SELECT seq FROM versions WHERE city_id = ?1 AND version = ?2",
        params![item.portrait.city.id, item.portrait.version],
        |r| r.get(0),
    )?;
    Ok((item.portrait.version, seq as u64))
}

//! The sync client (docs/protocol.md): pulls the catalogue from a feed server or a static host, and
//! sends this machine's queued submissions.
//!
//! Owns: HTTP (reqwest with rustls) with limits on every body read while it streams, retries with
//! exponential backoff and jitter that honour `Retry-After`, cancellation and progress; the
//! sync planner — a pure function from (remote items, local state) to operations, tested by a
//! table; media fetched and hash-checked before a page is applied; each page applied in one
//! transaction with its cursor; draft rebases with the three-way merge; the outbox.
//! Must not: write SQL (it goes through `store`) or decide what is valid (that is `feed` and
//! `model`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::feed::{self, FeedError, Limits, Page, RemoteItem};
use crate::model::{merge, Portrait};
use crate::store::catalog::SyncOp;
use crate::store::OutboxStatus;
use crate::store::{Draft, ImportItem, OutboxEntry, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    /// The server answered an error: its status, and the `{code, message, fields}` of its body
    /// (the code from the status when the body names none).
    #[error("{url}: the server answered {status}: {message}")]
    Status {
        url: String,
        status: u16,
        code: crate::protocol::ErrorCode,
        message: String,
        fields: Vec<crate::model::FieldError>,
    },
    #[error("{url}: {source}")]
    Feed { url: String, source: FeedError },
    #[error("{0}")]
    Invalid(String),
    #[error("sync cancelled")]
    Cancelled,
    /// The feed is of another catalogue than the one this database follows.
    #[error("{0}")]
    Authority(String),
    /// A change log that never ends, or a pull past its time.
    #[error("{url}: {message}")]
    NoProgress { url: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Retries of one request: attempts, and the backoff between them.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { attempts: 5, base: Duration::from_millis(300), max: Duration::from_secs(20) }
    }
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    pub retry: Retry,
    /// Total time one request may take.
    pub timeout: Duration,
    /// Changes per page.
    pub page_size: usize,
    /// Most pages one pull reads: a change log that never ends is cut there, with an error.
    pub max_pages: u32,
    /// Longest time one pull may take, all pages together.
    pub deadline: Duration,
    /// Set to stop between requests and pages.
    pub cancel: Arc<AtomicBool>,
}

impl Options {
    /// These options as the environment tunes them (tests, slow links):
    /// `PORTRAITS_HTTP_TIMEOUT` (seconds per request, 1 to `max_timeout`),
    /// `PORTRAITS_RETRY_ATTEMPTS` (1 to 20), `PORTRAITS_RETRY_BASE_MS` (the first backoff).
    pub fn with_env(mut self, max_timeout: Duration) -> Options {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(t) = env("PORTRAITS_HTTP_TIMEOUT") {
            self.timeout = Duration::from_secs(t.clamp(1, max_timeout.as_secs().max(1)));
        }
        if let Some(a) = env("PORTRAITS_RETRY_ATTEMPTS") {
            self.retry.attempts = a.clamp(1, 20) as u32;
        }
        if let Some(b) = env("PORTRAITS_RETRY_BASE_MS") {
            self.retry.base = Duration::from_millis(b);
        }
        self
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limits: Limits::default(),
            retry: Retry::default(),
            timeout: Duration::from_secs(120),
            page_size: 500,
            max_pages: 10_000,
            deadline: Duration::from_secs(15 * 60),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What a sync is doing, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Progress {
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    pub message: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Report {
    /// `snapshot`, `changes` or `not_modified`.
    pub mode: String,
    pub pages: u32,
    pub added: Vec<(String, u32)>,
    pub deleted: Vec<String>,
    pub quarantined: Vec<(String, String)>,
    /// Drafts rebased onto a newer version: (city, fields left in conflict).
    pub rebased: Vec<(String, Vec<String>)>,
    /// Drafts dropped because everything in them is published now.
    pub published_drafts: Vec<String>,
    /// Items held back earlier that applied on this sync's retry.
    pub released: Vec<String>,
    /// Items still held back after this sync (see `portraits quarantine`).
    pub held: u32,
    pub cursor: u64,
    pub retries: u32,
}

/// An HTTP client with the limits and retries of a sync.
pub struct Http {
    client: reqwest::blocking::Client,
    opts: Options,
    pub retries: u32,
}

/// What a GET returned.
pub struct Fetched {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

pub fn install_crypto() {
    // reqwest is built without a default TLS crypto provider; ring is ours. Installing twice is
    // harmless (the first wins).
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn jitter(d: Duration) -> Duration {
    use rand::RngExt;
    let f: f64 = rand::rng().random_range(0.5..1.0);
    d.mul_f64(f)
}

impl Http {
    pub fn new(opts: Options) -> Result<Http, SyncError> {
        install_crypto();
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("learning-city-portraits/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(opts.timeout)
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| SyncError::Invalid(format!("HTTP client: {e}")))?;
        Ok(Http { client, opts, retries: 0 })
    }

    fn cancelled(&self) -> Result<(), SyncError> {
        if self.opts.cancel.load(Ordering::Relaxed) {
            Err(SyncError::Cancelled)
        } else {
            Ok(())
        }
    }

    fn wait(&self, d: Duration) -> Result<(), SyncError> {
        let end = std::time::Instant::now() + d;
        while std::time::Instant::now() < end {
            self.cancelled()?;
            std::thread::sleep(Duration::from_millis(20).min(end.saturating_duration_since(std::time::Instant::now())));
        }
        Ok(())
    }

    /// Sends a request (built afresh for each attempt), retrying network faults, 429 and 5xx
    /// with exponential backoff and jitter (or the server's `Retry-After`). Reads at most
    /// `limits.max_bytes` of the body. Other statuses are returned to the caller.
    pub fn send(
        &mut self,
        url: &str,
        build: &dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder,
    ) -> Result<Fetched, SyncError> {
        self.send_checked(url, self.opts.limits.max_bytes, false, build)
    }

    /// As [`Http::send`], reading at most `cap` bytes; with `json`, a 200 body is checked
    /// against the feed's limits while it streams in, so a body that unpacks to millions of
    /// elements is refused after the first ones past the limit.
    pub fn send_checked(
        &mut self,
        url: &str,
        cap: usize,
        json: bool,
        build: &dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder,
    ) -> Result<Fetched, SyncError> {
        let retry = self.opts.retry;
        let mut delay = retry.base;
        let mut last_error = String::new();
        for attempt in 0..retry.attempts.max(1) {
            self.cancelled()?;
            if attempt > 0 {
                self.retries += 1;
            }
            let outcome = build(&self.client).send();
            let wait = match outcome {
                Err(e) => {
                    last_error = describe(&e);
                    jitter(delay)
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 429 || (500..600).contains(&status) {
                        last_error = format!("the server answered {status}");
                        let after = resp
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        match after {
                            Some(a) => a.min(retry.max),
                            None => jitter(delay),
                        }
                    } else {
                        let etag =
                            resp.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(String::from);
                        let checker = (json && status == 200)
                            .then(|| feed::LimitChecker::new(Limits { max_bytes: cap, ..self.opts.limits }));
                        match read_capped(resp, cap, checker) {
                            Ok(body) => return Ok(Fetched { status, etag, body }),
                            Err(ReadError::TooLarge) => {
                                return Err(SyncError::Feed { url: url.into(), source: FeedError::TooLarge(cap) })
                            }
                            Err(ReadError::Limit(e)) => return Err(SyncError::Feed { url: url.into(), source: e }),
                            Err(ReadError::Io(m)) => {
                                // The connection broke mid-body: nothing was applied; try again.
                                last_error = format!("the connection broke while reading the answer: {m}");
                                jitter(delay)
                            }
                        }
                    }
                }
            };
            if attempt + 1 < retry.attempts {
                tracing::debug!(url, attempt, error = %last_error, wait_ms = wait.as_millis() as u64, "retrying");
                self.wait(wait)?;
                delay = (delay * 2).min(retry.max);
            }
        }
        Err(SyncError::Network {
            url: url.into(),
            message: format!("{last_error} (after {} attempts)", retry.attempts.max(1)),
        })
    }
}

enum ReadError {
    TooLarge,
    Limit(FeedError),
    Io(String),
}

fn read_capped(
    resp: reqwest::blocking::Response,
    cap: usize,
    mut checker: Option<feed::LimitChecker>,
) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n as usize > cap) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    // The cap counts decompressed bytes: a small gzip bomb is caught too, and the limits are
    // checked chunk by chunk, before the rest is read.
    let mut reader = resp.take(cap as u64 + 1);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e.to_string())),
        };
        if body.len() + n > cap {
            return Err(ReadError::TooLarge);
        }
        if let Some(c) = checker.as_mut() {
            c.push(&chunk[..n]).map_err(ReadError::Limit)?;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(body)
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    s
}

// ---- the planner --------------------------------------------------------------------------

/// What the planner needs to know about this machine.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// city → (latest version, deleted, version → sha256).
    pub versions: HashMap<String, (u32, bool, HashMap<u32, String>)>,
    /// Drafts, with the portrait of their base version.
    pub drafts: HashMap<String, (Draft, Portrait)>,
    /// Ids of the items held back from this feed (retried; released once here).
    pub held: std::collections::HashSet<String>,
}

fn hold(item: &RemoteItem, reason: String) -> SyncOp {
    let (city_id, version) = match item {
        RemoteItem::Version { portrait, .. } => (portrait.city.id.clone(), Some(portrait.version)),
        RemoteItem::Tombstone { city_id, version, .. } => (city_id.clone(), Some(*version)),
    };
    let item_id = match item {
        RemoteItem::Version { id, .. } | RemoteItem::Tombstone { id, .. } => id.clone(),
    };
    SyncOp::Quarantine { item_id, city_id: Some(city_id), version, reason, body: item.to_item_json() }
}

/// Decides what to do with a page of remote items. Pure: same input, same plan.
///
/// - a version already here with the same content: nothing (released if it was held back);
///   with other content: held back (versions are immutable);
/// - the next version of a city (or version 1 of a new city): insert;
/// - a version that leaves a gap or goes backwards: held back, and retried by later syncs, so
///   the gap heals once the version before it applies;
/// - a tombstone of a city here: delete it (its versions stay);
/// - a refused item: held back with its reason;
/// - a draft whose base moved: rebase it with the three-way merge; the conflicts it had that the
///   user has not resolved stay open, with the newest published value as "theirs".
pub fn plan(page: &Page, local: &Local) -> Vec<SyncOp> {
    let mut ops = Vec::new();
    let mut latest: HashMap<&str, u32> = local.versions.iter().map(|(k, v)| (k.as_str(), v.0)).collect();
    let mut new_latest: HashMap<String, Portrait> = HashMap::new();
    for r in &page.refused {
        let raw: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        let g = raw.get("_gnlc");
        ops.push(SyncOp::Quarantine {
            item_id: r.id.clone(),
            city_id: g.and_then(|g| g.get("cityId")).and_then(|c| c.as_str()).map(|c| c.chars().take(64).collect()),
            version: g.and_then(|g| g.get("version")).and_then(|v| v.as_u64()).and_then(|v| u32::try_from(v).ok()),
            reason: r.reason.clone(),
            body: r.body.clone(),
        });
    }
    for item in &page.items {
        match item {
            RemoteItem::Version { id, portrait, sha256, .. } => {
                let city = portrait.city.id.as_str();
                let v = portrait.version;
                let known = local.versions.get(city).and_then(|(_, _, m)| m.get(&v));
                if let Some(local_sha) = known {
                    if local_sha != sha256 {
                        ops.push(hold(
                            item,
                            format!(
                                "version {v} of {city} differs from the copy here; published versions never change"
                            ),
                        ));
                    } else if local.held.contains(id) {
                        ops.push(SyncOp::Release { item_id: id.clone() });
                    }
                    continue;
                }
                let current = latest.get(city).copied().unwrap_or(0);
                if v == current + 1 {
                    latest.insert(city, v);
                    new_latest.insert(city.to_string(), portrait.as_ref().clone());
                    ops.push(SyncOp::Insert(Box::new(ImportItem {
                        origin: id.clone(),
                        portrait: portrait.as_ref().clone(),
                    })));
                } else {
                    let why = if v <= current {
                        format!("version {v} of {city} goes back behind version {current} here")
                    } else {
                        format!(
                            "version {v} of {city} would leave a gap after version {current} (waiting for version {})",
                            current + 1
                        )
                    };
                    ops.push(hold(item, why));
                }
            }
            RemoteItem::Tombstone { id, city_id, version, .. } => {
                let here = local.versions.get(city_id.as_str()).is_some_and(|(_, deleted, _)| !deleted)
                    || new_latest.contains_key(city_id);
                if here {
                    ops.push(SyncOp::Tombstone { city_id: city_id.clone(), version: *version });
                    new_latest.remove(city_id);
                }
                if local.held.contains(id) {
                    ops.push(SyncOp::Release { item_id: id.clone() });
                }
            }
        }
    }
    // Rebase drafts whose base moved.
    let mut cities: Vec<&String> = new_latest.keys().collect();
    cities.sort();
    for city in cities {
        let theirs = &new_latest[city];
        if let Some((draft, base)) = local.drafts.get(city) {
            if theirs.version > draft.base_version {
                ops.push(rebase(draft, base, theirs));
            }
        }
    }
    ops
}

/// Rebases a draft onto a newly published version.
fn rebase(draft: &Draft, base: &Portrait, theirs: &Portrait) -> SyncOp {
    let m = merge::three_way(base, theirs, &draft.portrait);
    let mut conflicts: Vec<merge::FieldDiff> = m.conflicts().cloned().collect();
    // A conflict the user has not resolved stays open through every later rebase, even when
    // this merge alone would take "mine" for it: the user must still choose.
    let theirs_json = serde_json::to_value(theirs).unwrap_or_default();
    let mine_json = serde_json::to_value(&draft.portrait).unwrap_or_default();
    for old in &draft.conflicts {
        if conflicts.iter().any(|c| c.field == old.field) {
            continue;
        }
        let mine = merge::get_field(&mine_json, &old.field);
        conflicts.push(merge::FieldDiff {
            field: old.field.clone(),
            state: merge::FieldState::Conflict,
            base: old.base.clone(),
            theirs: merge::get_field(&theirs_json, &old.field),
            merged: mine.clone(),
            mine,
        });
    }
    conflicts.sort_by_key(|c| merge::FIELDS.iter().position(|f| *f == c.field).unwrap_or(usize::MAX));
    let mut merged = m.merged.clone();
    // Compare content only: version and source are the publisher's.
    merged.version = theirs.version;
    merged.source = theirs.source.clone();
    if conflicts.is_empty() && merged == *theirs {
        // Everything the draft changed is published now (its submission was accepted, or
        // someone made the same edits): nothing is left to keep.
        return SyncOp::DropDraft { city_id: draft.city_id.clone(), revision: draft.revision };
    }
    merged.version = theirs.version + 1;
    merged.source = draft.portrait.source.clone();
    SyncOp::Draft {
        city_id: draft.city_id.clone(),
        base_version: theirs.version,
        portrait: Box::new(merged),
        conflicts,
        revision: draft.revision,
    }
}

/// Reads what the planner needs from the store.
pub fn local_state(store: &Store, feed: &str) -> Result<Local, StoreError> {
    let versions = store
        .version_index()?
        .into_iter()
        .map(|(k, (latest, deleted, list))| (k, (latest, deleted, list.into_iter().collect())))
        .collect();
    let mut drafts = HashMap::new();
    for d in store.all_drafts()? {
        if let Ok(base) = store.portrait(&d.city_id, Some(d.base_version)) {
            drafts.insert(d.city_id.clone(), (d, base));
        }
    }
    let held = store.held_items(feed)?.into_iter().map(|h| h.item_id).collect();
    Ok(Local { versions, drafts, held })
}

// ---- sync -----------------------------------------------------------------------------------

fn key(feed: &str, what: &str) -> String {
    format!("feed:{feed}:{what}")
}

/// The feed base URL, normalised: no trailing slash, no `/v1/feed.json`.
pub fn normalise_base(url: &str) -> Result<String, SyncError> {
    let u = url.trim().trim_end_matches('/');
    let u = u.strip_suffix("/v1/feed.json").unwrap_or(u);
    let lower = u.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(SyncError::Invalid(format!("feed URL {url:?} must start with http:// or https://")));
    }
    Ok(u.to_string())
}

/// Fetches the photos of inserted versions that this machine lacks, checking each one's hash
/// and header (format, pixel budget). A version whose photo cannot be had — a 404, a refusal, a
/// network fault, a bad image — is held back with the reason (with the later versions of its
/// city in this page), so the last good version stays and a later sync retries it. Returns the
/// photos to store with the page, in its transaction.
fn fetch_media(
    http: &mut Http,
    store: &Store,
    base: &str,
    page: &Page,
    ops: &mut [SyncOp],
) -> Result<Vec<(Vec<u8>, String)>, SyncError> {
    let seqs: HashMap<&str, u64> = page
        .items
        .iter()
        .filter_map(|i| match i {
            RemoteItem::Version { id, seq, .. } => Some((id.as_str(), *seq)),
            RemoteItem::Tombstone { .. } => None,
        })
        .collect();
    let mut bad_cities: HashMap<String, String> = HashMap::new();
    let mut fetched: Vec<(Vec<u8>, String)> = Vec::new();
    let mut have: std::collections::HashSet<String> = std::collections::HashSet::new();
    let cap = crate::booklet::images::MAX_IMAGE_BYTES;
    for op in ops.iter_mut() {
        let SyncOp::Insert(item) = op else { continue };
        let city = item.portrait.city.id.clone();
        let as_item = |portrait: &Portrait, origin: &str| RemoteItem::Version {
            id: origin.to_string(),
            seq: seqs.get(origin).copied().unwrap_or(0),
            portrait: Box::new(portrait.clone()),
            sha256: portrait.content_sha256(),
        };
        if let Some(reason) = bad_cities.get(&city) {
            *op = hold(
                &as_item(&item.portrait, &item.origin),
                format!("held back behind an earlier version of {city}: {reason}"),
            );
            continue;
        }
        for photo in item.portrait.photos.clone() {
            if have.contains(&photo.sha256) || store.has_media(&photo.sha256)? {
                continue;
            }
            let url = format!("{base}/v1/media/{}", photo.sha256);
            let reason = match http.send_checked(&url, cap, false, &|c| c.get(&url)) {
                Err(SyncError::Cancelled) => return Err(SyncError::Cancelled),
                Err(e) => Some(format!("photo {} could not be fetched: {e}", photo.sha256)),
                Ok(got) if got.status != 200 => {
                    Some(format!("photo {} could not be fetched: HTTP {}", photo.sha256, got.status))
                }
                Ok(got) if hex::encode(Sha256::digest(&got.body)) != photo.sha256 => {
                    Some(format!("photo {}: the bytes received do not match their SHA-256", photo.sha256))
                }
                Ok(got) => match crate::booklet::images::check(&got.body) {
                    Err(e) => Some(format!("photo {}: {e}", photo.sha256)),
                    Ok((format, _, _)) => {
                        have.insert(photo.sha256.clone());
                        fetched.push((got.body, format.mime().to_string()));
                        None
                    }
                },
            };
            if let Some(r) = reason {
                bad_cities.insert(city.clone(), r.clone());
                *op = hold(&as_item(&item.portrait, &item.origin), r);
                break;
            }
        }
    }
    Ok(fetched)
}

fn apply(
    store: &mut Store,
    page: &Page,
    base: &str,
    http: &mut Http,
    meta: Vec<(String, String)>,
    report: &mut Report,
) -> Result<(), SyncError> {
    if page.items.is_empty() && page.refused.is_empty() {
        // Nothing changed: record the cursor and the time, skip the planner.
        store.apply_sync(&[], base, &meta, &[])?;
        report.pages += 1;
        report.cursor = page.cursor;
        return Ok(());
    }
    let local = local_state(store, base)?;
    let mut ops = plan(page, &local);
    let media = fetch_media(http, store, base, page, &mut ops)?;
    let applied = store.apply_sync(&ops, base, &meta, &media)?;
    report.added.extend(applied.added);
    for op in &ops {
        match op {
            SyncOp::Tombstone { city_id, .. } => report.deleted.push(city_id.clone()),
            SyncOp::Quarantine { item_id, reason, .. } => report.quarantined.push((item_id.clone(), reason.clone())),
            SyncOp::Draft { city_id, conflicts, .. } => {
                report.rebased.push((city_id.clone(), conflicts.iter().map(|c| c.field.clone()).collect()))
            }
            SyncOp::DropDraft { city_id, .. } => report.published_drafts.push(city_id.clone()),
            SyncOp::Release { item_id } => report.released.push(item_id.clone()),
            SyncOp::Insert(i) => {
                if local.held.contains(&i.origin) {
                    report.released.push(i.origin.clone());
                }
            }
        }
    }
    report.pages += 1;
    if !meta.is_empty() {
        report.cursor = page.cursor;
    }
    Ok(())
}

/// Retries the items held back from this feed: they are planned again as one page in catalogue
/// order, so a version held for a missing photo applies once the photo can be had, and the
/// versions held behind it (gaps) follow in the same transaction. What still fails stays held,
/// its reason and attempt count updated.
fn retry_held(
    store: &mut Store,
    base: &str,
    http: &mut Http,
    opts: &Options,
    report: &mut Report,
) -> Result<(), SyncError> {
    let held = store.held_items(base)?;
    if held.is_empty() {
        return Ok(());
    }
    // Items kept by an older build may have been cut; they stay held with their JSON error.
    let values: Vec<serde_json::Value> = held
        .iter()
        .map(|h| {
            serde_json::from_str(&h.body).unwrap_or_else(|_| serde_json::json!({ "id": h.item_id, "_gnlc": null }))
        })
        .collect();
    let limits = Limits { max_refused: usize::MAX, ..opts.limits };
    let (mut items, refused) = feed::split_items(values, &limits)
        .map_err(|e| SyncError::Feed { url: format!("{base} (held items)"), source: e })?;
    items.sort_by_key(RemoteItem::seq);
    let page = Page { items, refused, cursor: report.cursor, has_more: false, tombstone_floor: 0, catalog_id: None };
    let mut retry = Report::default();
    apply(store, &page, base, http, Vec::new(), &mut retry)?;
    report.added.extend(retry.added);
    report.deleted.extend(retry.deleted);
    report.rebased.extend(retry.rebased);
    report.published_drafts.extend(retry.published_drafts);
    report.released.extend(retry.released);
    Ok(())
}

/// The catalogue a database follows: the first one it synced from, known by the catalogue id
/// its server names (`catalogId`), else by its URL. A page of another catalogue (another server
/// behind a changed feed URL) is refused before anything of it is applied, so two catalogues are
/// never mixed in one database. The same catalogue at another URL (a proxy, a new host name)
/// is followed.
fn check_authority(store: &mut Store, base: &str, page_catalog: Option<&str>) -> Result<(), SyncError> {
    let known_id = store.meta("feed:authority_id")?;
    let known_url = store.meta("feed:authority_url")?;
    let same = match (&known_url, &known_id, page_catalog) {
        (None, _, _) => true,
        (_, Some(k), Some(p)) => k == p,
        (Some(u), None, _) => u == base,
        (Some(u), Some(_), None) => u == base,
    };
    if !same {
        let follows = match (&known_id, &known_url) {
            (Some(id), Some(u)) => format!("catalogue {id} (from {u})"),
            (_, Some(u)) => format!("the catalogue of {u}"),
            _ => "another catalogue".to_string(),
        };
        let theirs = match page_catalog {
            Some(id) => format!("catalogue {id}"),
            None => "a catalogue it does not name".to_string(),
        };
        return Err(SyncError::Authority(format!(
            "this database follows {follows}; {base} serves {theirs}. Syncing would mix two catalogues: keep the feed URL, or use another database (--db) for this feed"
        )));
    }
    if let Some(p) = page_catalog {
        if known_id.is_none() {
            store.set_meta("feed:authority_id", p)?;
        }
    }
    if known_url.as_deref() != Some(base) {
        store.set_meta("feed:authority_url", base)?;
    }
    Ok(())
}

/// Pulls the catalogue from `feed_url`: the snapshot on the first sync (or when the server
/// answers 410 Gone), the changes after the stored cursor otherwise, or a conditional snapshot
/// from a static host (no `/v1/changes`). Each page is applied in one transaction. Then the
/// items held back by earlier syncs are retried.
///
/// Every pull ends: a page that says more follow but brings nothing new (no items, or a
/// `lastVersion` that does not move forward) is an error at once; `max_pages` and `deadline`
/// bound the rest.
pub fn pull(
    store: &mut Store,
    feed_url: &str,
    opts: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SyncError> {
    let base = normalise_base(feed_url)?;
    let started = std::time::Instant::now();
    let mut http = Http::new(opts.clone())?;
    let mut report = Report::default();
    let cursor: u64 = store.meta(&key(&base, "cursor"))?.and_then(|s| s.parse().ok()).unwrap_or(0);
    report.cursor = cursor;
    let mut do_snapshot = cursor == 0;
    // After a 410 the client is known to be behind: the snapshot is fetched unconditionally.
    let mut conditional = cursor > 0;
    let limits = opts.limits;
    if !do_snapshot {
        report.mode = "changes".into();
        let mut since = cursor;
        let mut pages = 0u32;
        loop {
            http.cancelled()?;
            let url = format!("{base}/v1/changes?since={since}&limit={}", opts.page_size);
            if pages >= opts.max_pages || started.elapsed() > opts.deadline {
                return Err(SyncError::NoProgress {
                    url,
                    message: format!(
                        "the change log did not end after {pages} pages and {} s; what was read so far is kept (up to {since})",
                        started.elapsed().as_secs()
                    ),
                });
            }
            pages += 1;
            progress(Progress {
                phase: "changes".into(),
                done: since,
                total: None,
                message: format!("reading changes since {since} from {base}"),
            });
            let got = http.send_checked(&url, limits.max_bytes, true, &|c| c.get(&url))?;
            match got.status {
                200 => {}
                410 => {
                    do_snapshot = true;
                    conditional = false;
                    break;
                }
                404 => {
                    // A static host: no change log. The conditional snapshot tells if anything moved.
                    do_snapshot = true;
                    break;
                }
                s => return Err(status_error(&url, s, &got.body)),
            }
            let page = feed::parse_changes(&got.body, since, &limits)
                .map_err(|e| SyncError::Feed { url: url.clone(), source: e })?;
            if page.has_more && (page.cursor <= since || (page.items.is_empty() && page.refused.is_empty())) {
                return Err(SyncError::NoProgress {
                    url,
                    message: format!(
                        "the server says more changes follow but its page brings nothing new (lastVersion {} after {since}, {} items); stopped",
                        page.cursor,
                        page.items.len() + page.refused.len()
                    ),
                });
            }
            check_authority(store, &base, page.catalog_id.as_deref())?;
            let meta = vec![
                (key(&base, "cursor"), page.cursor.to_string()),
                (key(&base, "synced_at"), crate::store::now_rfc3339()),
                ("feed:last".to_string(), base.clone()),
            ];
            apply(store, &page, &base, &mut http, meta, &mut report)?;
            since = page.cursor;
            if !page.has_more {
                break;
            }
        }
    }
    if do_snapshot {
        let url = format!("{base}/v1/feed.json");
        let etag = if conditional { store.meta(&key(&base, "etag"))? } else { None };
        progress(Progress {
            phase: "snapshot".into(),
            done: 0,
            total: None,
            message: format!("downloading the catalogue from {base}"),
        });
        let got = http.send_checked(&url, limits.max_bytes, true, &|c| {
            let mut r = c.get(&url).header(reqwest::header::ACCEPT, "application/feed+json, application/json");
            if let Some(e) = &etag {
                r = r.header(reqwest::header::IF_NONE_MATCH, e.as_str());
            }
            r
        })?;
        match got.status {
            304 => {
                report.mode = "not_modified".into();
                report.cursor = cursor;
                store.set_meta(&key(&base, "synced_at"), &crate::store::now_rfc3339())?;
            }
            200 => {
                report.mode = "snapshot".into();
                let page = feed::parse_feed(&got.body, &limits)
                    .map_err(|e| SyncError::Feed { url: url.clone(), source: e })?;
                let new_etag = got.etag.clone();
                drop(got);
                check_authority(store, &base, page.catalog_id.as_deref())?;
                progress(Progress {
                    phase: "apply".into(),
                    done: 0,
                    total: Some(page.items.len() as u64),
                    message: format!("applying {} items", page.items.len()),
                });
                let mut meta = vec![
                    (key(&base, "cursor"), page.cursor.to_string()),
                    (key(&base, "synced_at"), crate::store::now_rfc3339()),
                    ("feed:last".to_string(), base.clone()),
                ];
                if let Some(e) = new_etag {
                    meta.push((key(&base, "etag"), e));
                }
                apply(store, &page, &base, &mut http, meta, &mut report)?;
            }
            s => return Err(status_error(&url, s, &got.body)),
        }
    }
    progress(Progress {
        phase: "retry".into(),
        done: 0,
        total: None,
        message: "retrying the updates held back".into(),
    });
    retry_held(store, &base, &mut http, opts, &mut report)?;
    report.held = store.quarantine()?.len() as u32;
    report.retries = http.retries;
    progress(Progress { phase: "done".into(), done: report.added.len() as u64, total: None, message: "synced".into() });
    Ok(report)
}

pub(crate) fn status_error(url: &str, status: u16, body: &[u8]) -> SyncError {
    use crate::protocol::{ApiError, ErrorCode};
    match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => SyncError::Status { url: url.into(), status, code: e.code, message: e.message, fields: e.fields },
        Err(_) => SyncError::Status {
            url: url.into(),
            status,
            code: ErrorCode::from_status(status),
            message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            fields: Vec::new(),
        },
    }
}

// ---- submissions ----------------------------------------------------------------------------

/// A token is sent only over TLS, or to this machine (loopback: tests, a local server, an SSH
/// tunnel): never in clear over a network.
pub fn check_token_transport(url: &str) -> Result<(), SyncError> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    let rest = lower.strip_prefix("http://").unwrap_or(&lower);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
    };
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(SyncError::Invalid(format!(
            "{url}: your token is not sent over plain http (anyone on the network could read it); use the https:// address of the feed"
        )))
    }
}

/// Uploads the photos a submission names that the server does not hold yet (checked with
/// `HEAD /v1/media/{sha256}`, sent with `PUT /v1/cities/{city}/media/{sha256}`).
fn upload_photos(
    http: &mut Http,
    store: &Store,
    base: &str,
    token: &str,
    entry: &OutboxEntry,
) -> Result<(), UploadError> {
    for photo in &entry.portrait.photos {
        let head = format!("{base}/v1/media/{}", photo.sha256);
        let got = http.send(&head, &|c| c.head(&head)).map_err(UploadError::Sync)?;
        if got.status == 200 {
            continue;
        }
        let (bytes, mime) = store.media(&photo.sha256).map_err(|e| UploadError::Sync(e.into()))?.ok_or_else(|| {
            UploadError::Refused(format!(
                "photo {} ({}) is not in this database: add it again (portraits media add FILE) or remove it from the draft",
                photo.sha256, photo.caption.as_deref().unwrap_or("no caption")
            ))
        })?;
        let url = format!("{base}/v1/cities/{}/media/{}", entry.city_id, photo.sha256);
        let got = http
            .send(&url, &|c| {
                c.put(&url).bearer_auth(token).header(reqwest::header::CONTENT_TYPE, mime.as_str()).body(bytes.clone())
            })
            .map_err(UploadError::Sync)?;
        if !(got.status == 200 || got.status == 201) {
            return Err(UploadError::Refused(format!(
                "photo {} ({}) was refused: {}",
                photo.sha256,
                photo.caption.as_deref().unwrap_or("no caption"),
                status_error(&url, got.status, &got.body)
            )));
        }
    }
    Ok(())
}

enum UploadError {
    /// The server refused a photo (or it is missing here): the submission fails.
    Refused(String),
    /// Network or local fault: the submission stays pending.
    Sync(SyncError),
}

/// Sends every pending submission of the outbox, each after the photos it names. Each keeps
/// the idempotency key minted when the user submitted, so a resend after a crash or a lost
/// answer never creates a second submission. A city's submissions are sent in the order they
/// were made: once one stays pending, the later ones of its city wait too (sent after it, a
/// later one would be replaced on the server by the earlier). Returns (sent, failed, still
/// pending).
pub fn send_outbox(store: &mut Store, base: &str, token: &str, opts: &Options) -> Result<(u32, u32, u32), SyncError> {
    let base = normalise_base(base)?;
    let mut http = Http::new(opts.clone())?;
    let (mut sent, mut failed, mut pending) = (0, 0, 0);
    let mut waiting: std::collections::HashSet<String> = std::collections::HashSet::new();
    for entry in store.outbox()?.into_iter().filter(|e| e.status == OutboxStatus::Pending) {
        if waiting.contains(&entry.city_id) {
            pending += 1;
            continue;
        }
        // Until it is sent or refused, the city's later submissions wait behind it.
        waiting.insert(entry.city_id.clone());
        let url = format!("{base}/v1/cities/{}/submissions", entry.city_id);
        if let Err(e) = check_token_transport(&url) {
            store.outbox_update(entry.id, OutboxStatus::Pending, Some(&e.to_string()), None)?;
            pending += 1;
            continue;
        }
        match upload_photos(&mut http, store, &base, token, &entry) {
            Ok(()) => {}
            Err(UploadError::Sync(SyncError::Cancelled)) => return Err(SyncError::Cancelled),
            Err(UploadError::Sync(e)) => {
                store.outbox_update(entry.id, OutboxStatus::Pending, Some(&e.to_string()), None)?;
                pending += 1;
                continue;
            }
            Err(UploadError::Refused(reason)) => {
                store.outbox_update(entry.id, OutboxStatus::Failed, Some(&reason), None)?;
                waiting.remove(&entry.city_id);
                failed += 1;
                continue;
            }
        }
        let request = crate::protocol::SubmissionRequest {
            base_version: entry.base_version,
            portrait: entry.portrait.clone(),
            note: entry.note.clone(),
        };
        let body = serde_json::to_string(&request).map_err(|e| SyncError::Invalid(e.to_string()))?;
        let outcome = http.send(&url, &|c| {
            c.post(&url)
                .bearer_auth(token)
                .header("Idempotency-Key", entry.idempotency_key.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        });
        match outcome {
            Ok(got) if got.status == 201 || got.status == 200 => {
                // Accepted: sent, even if the answer cannot be read (its status is fetched later).
                let answer: Option<crate::protocol::SubmissionSummary> = serde_json::from_slice(&got.body).ok();
                store.outbox_update(entry.id, OutboxStatus::Sent, None, answer.as_ref().map(|a| a.id.as_str()))?;
                if let Some(a) = answer.filter(|a| a.city_id == entry.city_id) {
                    store.put_submission_status(&a.id, &entry.city_id, &a)?;
                }
                waiting.remove(&entry.city_id);
                sent += 1;
            }
            Ok(got) => {
                // The server refused it (auth, validation): retrying will not help.
                let reason = status_error(&url, got.status, &got.body).to_string();
                store.outbox_update(entry.id, OutboxStatus::Failed, Some(&reason), None)?;
                waiting.remove(&entry.city_id);
                failed += 1;
            }
            Err(SyncError::Cancelled) => return Err(SyncError::Cancelled),
            Err(e) => {
                store.outbox_update(entry.id, OutboxStatus::Pending, Some(&e.to_string()), None)?;
                pending += 1;
            }
        }
    }
    Ok((sent, failed, pending))
}

/// Fetches the status of a city's submissions (with reviewer comments), every page, and caches
/// it. A server that never ends its list is cut off after 200 pages.
pub fn fetch_submissions(
    store: &mut Store,
    base: &str,
    token: &str,
    city_id: &str,
    opts: &Options,
) -> Result<Vec<crate::protocol::SubmissionSummary>, SyncError> {
    let base = normalise_base(base)?;
    let mut http = Http::new(opts.clone())?;
    let first = format!("{base}/v1/cities/{city_id}/submissions");
    check_token_transport(&first)?;
    let mut list = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..200 {
        let url = match &after {
            Some(a) => format!("{first}?after={a}"),
            None => first.clone(),
        };
        let got = http.send(&url, &|c| c.get(&url).bearer_auth(token))?;
        if got.status != 200 {
            return Err(status_error(&url, got.status, &got.body));
        }
        let page: crate::protocol::SubmissionPage =
            serde_json::from_slice(&got.body).map_err(|e| SyncError::Invalid(format!("{url}: {e}")))?;
        list.extend(page.submissions.into_iter().filter(|s| s.city_id == city_id));
        match page.next {
            Some(n) if after.as_deref() != Some(n.as_str()) && n.chars().all(|c| c.is_ascii_alphanumeric()) => {
                after = Some(n)
            }
            _ => break,
        }
    }
    for s in &list {
        store.put_submission_status(&s.id, city_id, s)?;
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Refused;

    fn seed(id: &str, v: u32) -> Portrait {
        crate::bundled::portraits()
            .unwrap()
            .into_iter()
            .map(|i| i.portrait)
            .find(|p| p.city.id == id && p.version == v)
            .unwrap()
    }

    fn item(p: &Portrait, seq: u64) -> RemoteItem {
        RemoteItem::Version {
            id: format!("{}/v{}", p.city.id, p.version),
            seq,
            portrait: Box::new(p.clone()),
            sha256: p.content_sha256(),
        }
    }

    fn local(ps: &[&Portrait]) -> Local {
        let mut l = Local::default();
        for p in ps {
            let e = l.versions.entry(p.city.id.clone()).or_insert((0, false, HashMap::new()));
            e.0 = e.0.max(p.version);
            e.2.insert(p.version, p.content_sha256());
        }
        l
    }

    fn page(items: Vec<RemoteItem>) -> Page {
        Page { items, refused: vec![], cursor: 100, has_more: false, tombstone_floor: 0, catalog_id: None }
    }

    fn kinds(ops: &[SyncOp]) -> Vec<String> {
        ops.iter()
            .map(|o| match o {
                SyncOp::Insert(i) => format!("insert {} v{}", i.portrait.city.id, i.portrait.version),
                SyncOp::Tombstone { city_id, .. } => format!("delete {city_id}"),
                SyncOp::Quarantine { item_id, .. } => format!("quarantine {item_id}"),
                SyncOp::Draft { city_id, conflicts, .. } => format!("rebase {city_id} ({} conflicts)", conflicts.len()),
                SyncOp::DropDraft { city_id, .. } => format!("drop draft {city_id}"),
                SyncOp::Release { item_id } => format!("release {item_id}"),
            })
            .collect()
    }

    /// The planner's table: (case, local versions, remote items, expected operations).
    #[test]
    fn planner_table() {
        let cork1 = seed("ie-cork", 1);
        let mut cork2 = cork1.clone();
        cork2.version = 2;
        cork2.tagline = Some("A second version".into());
        let mut cork2_other = cork2.clone();
        cork2_other.tagline = Some("Another second version".into());
        let mut cork4 = cork2.clone();
        cork4.version = 4;
        let son1 = seed("dk-sonderborg", 1);
        let son2 = seed("dk-sonderborg", 2);
        let tomb =
            RemoteItem::Tombstone { id: "ie-cork/deleted".into(), seq: 9, city_id: "ie-cork".into(), version: 1 };
        let tomb_unknown = RemoteItem::Tombstone {
            id: "xx-nowhere/deleted".into(),
            seq: 10,
            city_id: "xx-nowhere".into(),
            version: 1,
        };
        type Case<'a> = (&'a str, Vec<&'a Portrait>, Vec<RemoteItem>, Vec<&'a str>);
        let cases: Vec<Case<'_>> = vec![
            (
                "empty local: everything inserted",
                vec![],
                vec![item(&cork1, 1), item(&son1, 2), item(&son2, 3)],
                vec!["insert ie-cork v1", "insert dk-sonderborg v1", "insert dk-sonderborg v2"],
            ),
            ("identical versions are skipped", vec![&cork1, &son1], vec![item(&cork1, 1), item(&son1, 2)], vec![]),
            (
                "the next version is inserted",
                vec![&cork1],
                vec![item(&cork1, 1), item(&cork2, 5)],
                vec!["insert ie-cork v2"],
            ),
            (
                "a changed published version is quarantined",
                vec![&cork1, &cork2],
                vec![item(&cork2_other, 5)],
                vec!["quarantine ie-cork/v2"],
            ),
            ("a gap is quarantined", vec![&cork1], vec![item(&cork4, 7)], vec!["quarantine ie-cork/v4"]),
            ("a tombstone deletes a city here", vec![&cork1], vec![tomb.clone()], vec!["delete ie-cork"]),
            ("a tombstone of an unknown city is ignored", vec![&cork1], vec![tomb_unknown], vec![]),
            (
                "insert then tombstone in one page",
                vec![],
                vec![item(&cork1, 1), tomb],
                vec!["insert ie-cork v1", "delete ie-cork"],
            ),
        ];
        for (what, here, remote, want) in cases {
            let ops = plan(&page(remote), &local(&here));
            assert_eq!(kinds(&ops), want, "{what}");
        }
    }

    #[test]
    fn planner_quarantines_refused_items_and_rebases_drafts() {
        let cork1 = seed("ie-cork", 1);
        let mut theirs = cork1.clone();
        theirs.version = 2;
        theirs.tagline = Some("Theirs".into());
        let mut mine = cork1.clone();
        mine.version = 2;
        mine.lead = "Mine.".into();
        let mut l = local(&[&cork1]);
        let draft = Draft {
            city_id: "ie-cork".into(),
            base_version: 1,
            portrait: mine.clone(),
            updated_at: String::new(),
            conflicts: vec![],
            revision: 1,
            typed: Default::default(),
        };
        l.drafts.insert("ie-cork".into(), (draft.clone(), cork1.clone()));
        let mut p = page(vec![item(&theirs, 5)]);
        p.refused.push(Refused { id: "bad".into(), reason: "url is javascript:".into(), body: "{}".into() });
        let ops = plan(&p, &l);
        assert_eq!(kinds(&ops), ["quarantine bad", "insert ie-cork v2", "rebase ie-cork (0 conflicts)"]);
        let SyncOp::Draft { portrait, base_version, .. } = &ops[2] else { panic!() };
        assert_eq!(*base_version, 2);
        assert_eq!(portrait.tagline.as_deref(), Some("Theirs"));
        assert_eq!(portrait.lead, "Mine.");
        // Both changed the tagline: a conflict, mine kept.
        let mut mine2 = mine.clone();
        mine2.tagline = Some("Mine too".into());
        let draft2 = Draft { portrait: mine2, ..draft };
        l.drafts.insert("ie-cork".into(), (draft2, cork1.clone()));
        let ops = plan(&page(vec![item(&theirs, 5)]), &l);
        assert_eq!(kinds(&ops), ["insert ie-cork v2", "rebase ie-cork (1 conflicts)"]);
        let SyncOp::Draft { portrait, conflicts, .. } = &ops[1] else { panic!() };
        assert_eq!(portrait.tagline.as_deref(), Some("Mine too"));
        assert_eq!(conflicts[0].field, "tagline");
    }

    #[test]
    fn tokens_travel_over_tls_or_stay_on_this_machine() {
        for ok in [
            "https://feed.uil.unesco.org/v1/whoami",
            "http://127.0.0.1:8787/v1/whoami",
            "http://127.8.9.10/x",
            "http://localhost:1/x",
            "http://[::1]:8787/v1/whoami",
            "HTTPS://Example.org",
        ] {
            assert!(check_token_transport(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://feed.uil.unesco.org/v1/whoami",
            "http://192.168.1.10:8787/x",
            "http://127.0.0.1.evil.example/x",
            "http://localhost.evil.example/x",
            "http://user@evil.example/x",
            "http://[::2]/x",
        ] {
            assert!(check_token_transport(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn feed_urls_are_normalised() {
        assert_eq!(normalise_base("http://h:1/").unwrap(), "http://h:1");
        assert_eq!(normalise_base("https://h/x/v1/feed.json").unwrap(), "https://h/x");
        assert!(normalise_base("javascript:alert(1)").is_err());
        assert!(normalise_base("ftp://h").is_err());
    }
}

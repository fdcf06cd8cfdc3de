//! The sync client (DESIGN §4): pulls the catalogue from a feed server or a static host, and
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
use crate::store::{Draft, ImportItem, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: the server answered {status}: {message}")]
    Status { url: String, status: u16, message: String },
    #[error("{url}: {source}")]
    Feed { url: String, source: FeedError },
    #[error("{0}")]
    Invalid(String),
    #[error("sync cancelled")]
    Cancelled,
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
    /// Set to stop between requests and pages.
    pub cancel: Arc<AtomicBool>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limits: Limits::default(),
            retry: Retry::default(),
            timeout: Duration::from_secs(120),
            page_size: 500,
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
                        match read_capped(resp, self.opts.limits.max_bytes) {
                            Ok(body) => return Ok(Fetched { status, etag, body }),
                            Err(ReadError::TooLarge) => {
                                return Err(SyncError::Feed {
                                    url: url.into(),
                                    source: FeedError::TooLarge(self.opts.limits.max_bytes),
                                })
                            }
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
    Io(String),
}

fn read_capped(resp: reqwest::blocking::Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n as usize > cap) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    // The cap counts decompressed bytes: a small gzip bomb is caught too.
    resp.take(cap as u64 + 1).read_to_end(&mut body).map_err(|e| ReadError::Io(e.to_string()))?;
    if body.len() > cap {
        return Err(ReadError::TooLarge);
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
}

/// Decides what to do with a page of remote items. Pure: same input, same plan.
///
/// - a version already here with the same content: nothing; with other content: quarantine
///   (versions are immutable);
/// - the next version of a city (or version 1 of a new city): insert;
/// - a version that leaves a gap or goes backwards: quarantine;
/// - a tombstone of a city here: delete it (its versions stay);
/// - a refused item: quarantine with its reason;
/// - a draft whose base moved: rebase it with the three-way merge, conflicts kept.
pub fn plan(page: &Page, local: &Local) -> Vec<SyncOp> {
    let mut ops = Vec::new();
    let mut latest: HashMap<&str, u32> = local.versions.iter().map(|(k, v)| (k.as_str(), v.0)).collect();
    let mut new_latest: HashMap<String, Portrait> = HashMap::new();
    for r in &page.refused {
        ops.push(SyncOp::Quarantine { item_id: r.id.clone(), reason: r.reason.clone(), body: r.body.clone() });
    }
    for item in &page.items {
        match item {
            RemoteItem::Version { id, portrait, sha256, .. } => {
                let city = portrait.city.id.as_str();
                let v = portrait.version;
                let known = local.versions.get(city).and_then(|(_, _, m)| m.get(&v));
                if let Some(local_sha) = known {
                    if local_sha != sha256 {
                        ops.push(SyncOp::Quarantine {
                            item_id: id.clone(),
                            reason: format!(
                                "version {v} of {city} differs from the copy here; published versions never change"
                            ),
                            body: serde_json::to_string(portrait).unwrap_or_default(),
                        });
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
                        format!("version {v} of {city} would leave a gap after version {current}")
                    };
                    ops.push(SyncOp::Quarantine {
                        item_id: id.clone(),
                        reason: why,
                        body: serde_json::to_string(portrait).unwrap_or_default(),
                    });
                }
            }
            RemoteItem::Tombstone { city_id, version, .. } => {
                let here = local.versions.get(city_id.as_str()).is_some_and(|(_, deleted, _)| !deleted)
                    || new_latest.contains_key(city_id);
                if here {
                    ops.push(SyncOp::Tombstone { city_id: city_id.clone(), version: *version });
                    new_latest.remove(city_id);
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
                let m = merge::three_way(base, theirs, &draft.portrait);
                let conflicts: Vec<merge::FieldDiff> = m.conflicts().cloned().collect();
                let mut merged = m.merged.clone();
                // Compare content only: version and source are the publisher's.
                merged.version = theirs.version;
                merged.source = theirs.source.clone();
                if conflicts.is_empty() && merged == *theirs {
                    // Everything the draft changed is published now (its submission was
                    // accepted, or someone made the same edits): nothing is left to keep.
                    ops.push(SyncOp::DropDraft { city_id: city.clone() });
                    continue;
                }
                merged.version = theirs.version + 1;
                merged.source = draft.portrait.source.clone();
                ops.push(SyncOp::Draft {
                    city_id: city.clone(),
                    base_version: theirs.version,
                    portrait: Box::new(merged),
                    conflicts,
                });
            }
        }
    }
    ops
}

/// Reads what the planner needs from the store.
pub fn local_state(store: &Store) -> Result<Local, StoreError> {
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
    Ok(Local { versions, drafts })
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

/// Fetches the media of inserted versions that this machine lacks, checking each hash; a
/// version whose photo fails the check is turned into a quarantine (with later versions of the
/// same city), so the last good version stays.
fn fetch_media(http: &mut Http, store: &mut Store, base: &str, ops: &mut [SyncOp]) -> Result<(), SyncError> {
    let mut bad_cities: HashMap<String, String> = HashMap::new();
    for op in ops.iter_mut() {
        let SyncOp::Insert(item) = op else { continue };
        let city = item.portrait.city.id.clone();
        if let Some(reason) = bad_cities.get(&city) {
            *op = SyncOp::Quarantine {
                item_id: item.origin.clone(),
                reason: reason.clone(),
                body: serde_json::to_string(&item.portrait).unwrap_or_default(),
            };
            continue;
        }
        for photo in item.portrait.photos.clone() {
            if store.media(&photo.sha256)?.is_some() {
                continue;
            }
            let url = format!("{base}/v1/media/{}", photo.sha256);
            let got = http.send(&url, &|c| c.get(&url))?;
            let reason = if got.status != 200 {
                Some(format!("photo {} could not be fetched: HTTP {}", photo.sha256, got.status))
            } else if hex::encode(Sha256::digest(&got.body)) != photo.sha256 {
                Some(format!("photo {}: the bytes received do not match their SHA-256", photo.sha256))
            } else if crate::booklet::images::load(&got.body).is_err() {
                Some(format!("photo {} is not a readable JPEG or PNG", photo.sha256))
            } else {
                None
            };
            match reason {
                None => {
                    let mime = match photo.mime {
                        crate::model::PhotoMime::Jpeg => "image/jpeg",
                        crate::model::PhotoMime::Png => "image/png",
                    };
                    store.put_media(&got.body, mime)?;
                }
                Some(r) => {
                    bad_cities.insert(city.clone(), r.clone());
                    *op = SyncOp::Quarantine {
                        item_id: item.origin.clone(),
                        reason: r,
                        body: serde_json::to_string(&item.portrait).unwrap_or_default(),
                    };
                    break;
                }
            }
        }
    }
    Ok(())
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
        store.apply_sync(&[], base, &meta)?;
        report.pages += 1;
        report.cursor = page.cursor;
        return Ok(());
    }
    let local = local_state(store)?;
    let mut ops = plan(page, &local);
    fetch_media(http, store, base, &mut ops)?;
    let applied = store.apply_sync(&ops, base, &meta)?;
    report.added.extend(applied.added);
    for op in &ops {
        match op {
            SyncOp::Tombstone { city_id, .. } => report.deleted.push(city_id.clone()),
            SyncOp::Quarantine { item_id, reason, .. } => report.quarantined.push((item_id.clone(), reason.clone())),
            SyncOp::Draft { city_id, conflicts, .. } => {
                report.rebased.push((city_id.clone(), conflicts.iter().map(|c| c.field.clone()).collect()))
            }
            SyncOp::DropDraft { city_id } => report.published_drafts.push(city_id.clone()),
            SyncOp::Insert(_) => {}
        }
    }
    report.pages += 1;
    report.cursor = page.cursor;
    Ok(())
}

/// Pulls the catalogue from `feed_url`: the snapshot on the first sync (or when the server
/// answers 410 Gone), the changes after the stored cursor otherwise, or a conditional snapshot
/// from a static host (no `/v1/changes`). Each page is applied in one transaction.
pub fn pull(
    store: &mut Store,
    feed_url: &str,
    opts: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SyncError> {
    let base = normalise_base(feed_url)?;
    let mut http = Http::new(opts.clone())?;
    let mut report = Report::default();
    let cursor: u64 = store.meta(&key(&base, "cursor"))?.and_then(|s| s.parse().ok()).unwrap_or(0);
    store.set_meta("feed:last", &base)?;
    let mut do_snapshot = cursor == 0;
    // After a 410 the client is known to be behind: the snapshot is fetched unconditionally.
    let mut conditional = cursor > 0;
    if !do_snapshot {
        report.mode = "changes".into();
        let mut since = cursor;
        loop {
            http.cancelled()?;
            let url = format!("{base}/v1/changes?since={since}&limit={}", opts.page_size);
            progress(Progress {
                phase: "changes".into(),
                done: since,
                total: None,
                message: format!("changes since {since}"),
            });
            let got = http.send(&url, &|c| c.get(&url))?;
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
            let page = feed::parse_changes(&got.body, since, &opts.limits)
                .map_err(|e| SyncError::Feed { url: url.clone(), source: e })?;
            let meta = vec![
                (key(&base, "cursor"), page.cursor.to_string()),
                (key(&base, "synced_at"), crate::store::now_rfc3339()),
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
            message: "downloading the catalogue".into(),
        });
        let got = http.send(&url, &|c| {
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
                let page = feed::parse_feed(&got.body, &opts.limits)
                    .map_err(|e| SyncError::Feed { url: url.clone(), source: e })?;
                progress(Progress {
                    phase: "apply".into(),
                    done: 0,
                    total: Some(page.items.len() as u64),
                    message: format!("applying {} items", page.items.len()),
                });
                let mut meta = vec![
                    (key(&base, "cursor"), page.cursor.to_string()),
                    (key(&base, "synced_at"), crate::store::now_rfc3339()),
                ];
                if let Some(e) = &got.etag {
                    meta.push((key(&base, "etag"), e.clone()));
                }
                apply(store, &page, &base, &mut http, meta, &mut report)?;
            }
            s => return Err(status_error(&url, s, &got.body)),
        }
    }
    report.retries = http.retries;
    progress(Progress { phase: "done".into(), done: report.added.len() as u64, total: None, message: "synced".into() });
    Ok(report)
}

fn status_error(url: &str, status: u16, body: &[u8]) -> SyncError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(String::from))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    SyncError::Status { url: url.into(), status, message }
}

// ---- submissions ----------------------------------------------------------------------------

/// Sends every pending submission of the outbox. Each keeps the idempotency key minted when the
/// user submitted, so a resend after a crash or a lost answer never creates a second submission.
/// Returns (sent, failed, still pending).
pub fn send_outbox(store: &mut Store, base: &str, token: &str, opts: &Options) -> Result<(u32, u32, u32), SyncError> {
    let base = normalise_base(base)?;
    let mut http = Http::new(opts.clone())?;
    let (mut sent, mut failed, mut pending) = (0, 0, 0);
    for entry in store.outbox()?.into_iter().filter(|e| e.status == "pending") {
        let url = format!("{base}/v1/cities/{}/submissions", entry.city_id);
        let body = serde_json::json!({ "baseVersion": entry.base_version, "portrait": entry.portrait });
        let outcome = http.send(&url, &|c| {
            c.post(&url)
                .bearer_auth(token)
                .header("Idempotency-Key", entry.idempotency_key.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string())
        });
        match outcome {
            Ok(got) if got.status == 201 || got.status == 200 => {
                let v: serde_json::Value = serde_json::from_slice(&got.body).unwrap_or_default();
                let id = v.get("id").and_then(|x| x.as_str()).unwrap_or("").to_string();
                store.outbox_update(entry.id, "sent", None, Some(&id))?;
                if !id.is_empty() {
                    store.put_submission_status(&id, &entry.city_id, &v)?;
                }
                sent += 1;
            }
            Ok(got) => {
                // The server refused it (auth, validation): retrying will not help.
                let reason = status_error(&url, got.status, &got.body).to_string();
                store.outbox_update(entry.id, "failed", Some(&reason), None)?;
                failed += 1;
            }
            Err(SyncError::Cancelled) => return Err(SyncError::Cancelled),
            Err(e) => {
                store.outbox_update(entry.id, "pending", Some(&e.to_string()), None)?;
                pending += 1;
            }
        }
    }
    Ok((sent, failed, pending))
}

/// Fetches the status of a city's submissions (with reviewer comments) and caches it.
pub fn fetch_submissions(
    store: &mut Store,
    base: &str,
    token: &str,
    city_id: &str,
    opts: &Options,
) -> Result<Vec<serde_json::Value>, SyncError> {
    let base = normalise_base(base)?;
    let mut http = Http::new(opts.clone())?;
    let url = format!("{base}/v1/cities/{city_id}/submissions");
    let got = http.send(&url, &|c| c.get(&url).bearer_auth(token))?;
    if got.status != 200 {
        return Err(status_error(&url, got.status, &got.body));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&got.body).map_err(|e| SyncError::Invalid(format!("{url}: {e}")))?;
    let list = v.get("submissions").and_then(|s| s.as_array()).cloned().unwrap_or_default();
    for s in &list {
        if let Some(id) = s.get("id").and_then(|x| x.as_str()) {
            store.put_submission_status(id, city_id, s)?;
        }
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
        Page { items, refused: vec![], cursor: 100, has_more: false, tombstone_floor: 0 }
    }

    fn kinds(ops: &[SyncOp]) -> Vec<String> {
        ops.iter()
            .map(|o| match o {
                SyncOp::Insert(i) => format!("insert {} v{}", i.portrait.city.id, i.portrait.version),
                SyncOp::Tombstone { city_id, .. } => format!("delete {city_id}"),
                SyncOp::Quarantine { item_id, .. } => format!("quarantine {item_id}"),
                SyncOp::Draft { city_id, conflicts, .. } => format!("rebase {city_id} ({} conflicts)", conflicts.len()),
                SyncOp::DropDraft { city_id } => format!("drop draft {city_id}"),
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
    fn feed_urls_are_normalised() {
        assert_eq!(normalise_base("http://h:1/").unwrap(), "http://h:1");
        assert_eq!(normalise_base("https://h/x/v1/feed.json").unwrap(), "https://h/x");
        assert!(normalise_base("javascript:alert(1)").is_err());
        assert!(normalise_base("ftp://h").is_err());
    }
}

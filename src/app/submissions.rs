//! Submitting a draft and following it: the outbox (queued without the network, sent by the
//! sync), the sync itself, what it holds back, and a city's submissions with the reviewer's
//! comments (live when the server answers, else the last known).
//!
//! Owns: those use cases. Must not: hold SQL (`store`) or HTTP details (`sync`).

use serde::{Deserialize, Serialize};

use super::{ApiError, ErrorCode, Result};
use crate::model::{self, FieldError};
use crate::protocol::SubmissionSummary;
use crate::store::{OutboxEntry, Store};
use crate::sync::{self, SyncError};

/// What `submit` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Submitted {
    pub outbox_id: i64,
    pub idempotency_key: String,
    /// Sent, pending (offline: sent later) or failed (refused by the server).
    pub status: crate::store::OutboxStatus,
    pub submission_id: Option<String>,
    pub error: Option<String>,
}

/// Queues the city's draft for review without any network call: the draft is checked
/// (no open conflicts, valid), an idempotency key is minted and stored with it in the outbox
/// (one transaction). Returns the outbox entry, `pending`. The desktop calls this and lets its
/// background sync send the outbox, so a Submit never waits on the network.
pub fn queue_submission(store: &mut Store, city_id: &str, note: Option<&str>) -> Result<OutboxEntry> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note {
        let chars = n.chars().count();
        if chars > crate::protocol::MAX_NOTE {
            return Err(ApiError::invalid(
                format!("the note to the reviewer is {chars} characters long: at most {}", crate::protocol::MAX_NOTE),
                vec![FieldError::new("$.note", format!("at most {} characters", crate::protocol::MAX_NOTE))
                    .code("too_long")
                    .with("count", chars)
                    .with("max", crate::protocol::MAX_NOTE)],
            ));
        }
    }
    let d = store.draft(city_id)?.ok_or_else(|| {
        ApiError::invalid(format!("{city_id} has no draft: set one with `portraits draft set` or `draft edit`"), vec![])
    })?;
    if !d.conflicts.is_empty() {
        let fields: Vec<FieldError> = d
            .conflicts
            .iter()
            .map(|c| FieldError::new(format!("$.{}", c.field), "in conflict").code("in_conflict"))
            .collect();
        return Err(ApiError::invalid(
            format!("the draft of {city_id} has {} field(s) in conflict: resolve them first (`portraits draft show {city_id}`)", fields.len()),
            fields,
        ));
    }
    if let Some((path, text)) = d.typed.iter().next() {
        let fields: Vec<FieldError> = d
            .typed
            .iter()
            .map(|(p, t)| {
                FieldError::new(format!("$.{p}"), format!("{t:?} is not a value yet"))
                    .code("not_a_value")
                    .with("value", t.as_str())
            })
            .collect();
        return Err(ApiError::invalid(
            format!("the draft of {city_id} has {} field(s) typed but not valid yet, such as {path}: {text:?}: fix them first", fields.len()),
            fields,
        ));
    }
    let errs = model::validate_portrait(&d.portrait);
    if !errs.is_empty() {
        return Err(ApiError::invalid(format!("the draft of {city_id} is invalid: {}", errs[0]), errs));
    }
    let key = uuid::Uuid::new_v4().to_string();
    let outbox_id = store.outbox_add(city_id, &key, d.base_version, &d.portrait, note)?;
    outbox_entry(store, outbox_id)
}

fn outbox_entry(store: &Store, id: i64) -> Result<OutboxEntry> {
    store
        .outbox()?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "outbox entry vanished"))
}

/// Queues the city's draft for review ([`queue_submission`]), then sends the outbox if the
/// server can be reached. A crash or a lost answer after the queueing never creates a
/// duplicate: the resend carries the same key.
pub fn submit(
    store: &mut Store,
    city_id: &str,
    note: Option<&str>,
    feed: &str,
    token: &str,
    opts: &sync::Options,
) -> Result<Submitted> {
    let queued = queue_submission(store, city_id, note)?;
    let _ = sync::send_outbox(store, feed, token, opts);
    let entry = outbox_entry(store, queued.id)?;
    Ok(Submitted {
        outbox_id: entry.id,
        idempotency_key: entry.idempotency_key,
        status: entry.status,
        submission_id: entry.submission_id,
        error: entry.last_error,
    })
}

/// How the submissions [`send_queued`] was asked about stand once the outbox was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub sent: usize,
    /// Refused by the server: each with its city and why.
    pub refused: Vec<(String, String)>,
    /// Not sent yet (offline, or waiting behind an earlier submission of the same city).
    pub pending: usize,
}

/// Sends whatever waits in the outbox, now, and says how the entries `ids` stand (the outbox
/// may hold others, sent along).
pub fn send_queued(store: &mut Store, feed: &str, token: &str, opts: &sync::Options, ids: &[i64]) -> Result<Sent> {
    use crate::store::OutboxStatus;
    sync::send_outbox(store, feed, token, opts)?;
    let mine: Vec<OutboxEntry> = store.outbox()?.into_iter().filter(|e| ids.contains(&e.id)).collect();
    Ok(Sent {
        sent: mine.iter().filter(|e| e.status == OutboxStatus::Sent).count(),
        refused: mine
            .iter()
            .filter(|e| e.status == OutboxStatus::Failed)
            .map(|e| (e.city_id.clone(), e.last_error.clone().unwrap_or_default()))
            .collect(),
        pending: mine.iter().filter(|e| e.status == OutboxStatus::Pending).count(),
    })
}

/// The remote updates held back by the sync, with why (retried on every sync).
pub fn held_back(store: &Store) -> Result<Vec<crate::store::QuarantineEntry>> {
    Ok(store.quarantine()?)
}

pub fn outbox(store: &Store) -> Result<Vec<OutboxEntry>> {
    Ok(store.outbox()?)
}

/// A city's submissions: fetched from the server when a token and the network allow, else the
/// last known status.
pub fn submissions(
    store: &mut Store,
    city_id: &str,
    feed: Option<&str>,
    token: Option<&str>,
    opts: &sync::Options,
) -> Result<(Vec<SubmissionSummary>, bool)> {
    store.city(city_id)?;
    if let (Some(f), Some(t)) = (feed, token) {
        match sync::fetch_submissions(store, f, t, city_id, opts) {
            Ok(list) => return Ok((list, true)),
            Err(SyncError::Network { .. } | SyncError::Cancelled) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok((store.submission_statuses(city_id)?, false))
}

/// What a sync did, the outbox included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncSummary {
    pub pull: sync::Report,
    pub sent: u32,
    pub failed: u32,
    pub pending: u32,
}

/// Most cities whose submissions one sync refreshes (each is a request): the rest wait for the
/// next sync, so a member list of hundreds of rows does not cost hundreds of requests a sync.
pub const FOLLOW_AT_MOST: usize = 20;

/// The cities whose submissions a sync refreshes: those with a submission sent from here whose
/// last known status is still open (or unknown), newest first, at most [`FOLLOW_AT_MOST`]. A
/// decided submission is not asked about again.
fn cities_to_follow(store: &Store) -> Result<Vec<String>> {
    let mut cities: Vec<String> = Vec::new();
    for e in store.outbox()?.into_iter().rev().filter(|e| e.status == crate::store::OutboxStatus::Sent) {
        if cities.contains(&e.city_id) {
            continue;
        }
        let known = store.submission_statuses(&e.city_id)?;
        let decided = e
            .submission_id
            .as_deref()
            .and_then(|id| known.iter().find(|s| s.id == id))
            .is_some_and(|s| s.status.is_final());
        if !decided {
            cities.push(e.city_id);
        }
        if cities.len() == FOLLOW_AT_MOST {
            break;
        }
    }
    Ok(cities)
}

/// Pulls the catalogue, then sends the outbox and refreshes submission status when a token is
/// known for the feed.
pub fn sync_now(
    store: &mut Store,
    feed: &str,
    token: Option<&str>,
    opts: &sync::Options,
    progress: &mut dyn FnMut(sync::Progress),
) -> Result<SyncSummary> {
    let pull = sync::pull(store, feed, opts, progress)?;
    let (sent, failed, pending);
    if let Some(t) = token {
        (sent, failed, pending) = sync::send_outbox(store, feed, t, opts)?;
        for c in cities_to_follow(store)? {
            let _ = sync::fetch_submissions(store, feed, t, &c, opts);
        }
    } else {
        (sent, failed) = (0, 0);
        pending = store.outbox()?.iter().filter(|e| e.status == crate::store::OutboxStatus::Pending).count() as u32;
    }
    Ok(SyncSummary { pull, sent, failed, pending })
}

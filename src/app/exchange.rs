//! Use cases of the feed and submission protocol (docs/protocol.md): drafts, submission through the outbox, sync, review, tokens, the
//! credentials file, and the static export of the feed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{write_atomic, write_private, ApiError, ErrorCode, Result};
use crate::model::{self, merge, FieldError, Portrait, Source};
use crate::store::{Draft, OutboxEntry, Store, StoreError};
use crate::sync::{self, SyncError};

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let code = match &e {
            SyncError::Network { .. } => ErrorCode::Io,
            SyncError::Status { status, .. } if *status == 404 => ErrorCode::NotFound,
            SyncError::Status { status, .. } if *status == 409 => ErrorCode::Conflict,
            SyncError::Status { status, .. } if (400..500).contains(status) => ErrorCode::InvalidInput,
            SyncError::Status { .. } => ErrorCode::Io,
            SyncError::Feed { .. } | SyncError::Invalid(_) => ErrorCode::InvalidInput,
            SyncError::Cancelled | SyncError::NoProgress { .. } => ErrorCode::Io,
            SyncError::Authority(_) => ErrorCode::Conflict,
            SyncError::Store(s) => return ApiError::from(StoreError::Corrupt(s.to_string())),
        };
        ApiError::new(code, e.to_string())
    }
}

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

// ---- credentials ----------------------------------------------------------------------------

/// The OS keyring entry for a feed's token (the Secret Service on Linux, the Keychain on macOS,
/// the Credential Manager on Windows), when there is one to talk to. An explicit credentials
/// file (`PORTRAITS_CREDENTIALS`), `PORTRAITS_KEYRING=off`, or no session bus turns it off.
fn keyring_entry(base: &str) -> Option<keyring::Entry> {
    if std::env::var_os("PORTRAITS_CREDENTIALS").is_some()
        || std::env::var("PORTRAITS_KEYRING").is_ok_and(|v| v == "off")
    {
        return None;
    }
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return None;
    }
    keyring::Entry::new("learning-city-portraits", base).ok()
}

/// Where tokens are kept when there is no keyring: never in the portrait database (so backups
/// never carry them), in a file only the user can read. `PORTRAITS_CREDENTIALS` sets the path.
pub fn credentials_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("PORTRAITS_CREDENTIALS") {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("org", "UNESCO", "learning-city-portraits")
        .map(|d| d.config_dir().join("credentials.json"))
        .ok_or_else(|| ApiError::new(ErrorCode::Io, "cannot find the home directory for the credentials file"))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Credentials {
    /// feed base URL → token
    tokens: std::collections::BTreeMap<String, String>,
}

fn read_credentials() -> Result<Credentials> {
    let path = credentials_path()?;
    match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Credentials::default()),
        Err(e) => Err(ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display()))),
    }
}

/// Remembers the token for a feed: in the OS keyring where there is one, else in the
/// credentials file (mode 0600).
pub fn save_token(feed: &str, token: &str) -> Result<()> {
    let base = sync::normalise_base(feed)?;
    if let Some(entry) = keyring_entry(&base) {
        if entry.set_password(token.trim()).is_ok() {
            // The keyring holds it now: no copy is left in the file.
            return remove_from_file(&base);
        }
    }
    let path = credentials_path()?;
    let mut c = read_credentials()?;
    c.tokens.insert(base, token.trim().to_string());
    let bytes = serde_json::to_vec_pretty(&c).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    write_private(&path, &bytes)
}

/// Forgets the token of a feed (sign out), wherever it is kept.
pub fn forget_token(feed: &str) -> Result<()> {
    let base = sync::normalise_base(feed)?;
    if let Some(entry) = keyring_entry(&base) {
        let _ = entry.delete_credential();
    }
    remove_from_file(&base)
}

fn remove_from_file(base: &str) -> Result<()> {
    let path = credentials_path()?;
    if !path.exists() {
        return Ok(());
    }
    let mut c = read_credentials()?;
    if c.tokens.remove(base).is_some() {
        let bytes = serde_json::to_vec_pretty(&c).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        write_private(&path, &bytes)?;
    }
    Ok(())
}

/// The token remembered for a feed, if any: from the OS keyring, else the credentials file.
pub fn saved_token(feed: &str) -> Result<Option<String>> {
    let base = sync::normalise_base(feed)?;
    if let Some(entry) = keyring_entry(&base) {
        if let Ok(t) = entry.get_password() {
            return Ok(Some(t));
        }
    }
    Ok(read_credentials()?.tokens.get(&base).cloned())
}

/// Reads a token from a file (its first line).
pub fn read_token_file(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if crate::server::parse_token(&token).is_none() {
        return Err(ApiError::invalid(format!("{}: not a token (gnlc_<id>_<secret>)", path.display()), vec![]));
    }
    Ok(token)
}

/// The token to use with a feed: read from `file` (and remembered for the feed), else the one
/// remembered.
pub fn token_for(feed: &str, file: Option<&Path>) -> Result<Option<String>> {
    match file {
        Some(f) => {
            let t = read_token_file(f)?;
            save_token(feed, &t)?;
            Ok(Some(t))
        }
        None => saved_token(feed),
    }
}

/// The feed URL: the one given, else the last one synced from.
pub fn feed_url(store: &Store, given: Option<&str>) -> Result<String> {
    match given {
        Some(f) => Ok(sync::normalise_base(f)?),
        None => store
            .meta("feed:last")?
            .ok_or_else(|| ApiError::invalid("no feed URL: pass --feed URL (it is remembered after a sync)", vec![])),
    }
}

// ---- drafts ---------------------------------------------------------------------------------

/// A draft as shown: the portrait, its base, and the fields in conflict.
pub fn draft(store: &Store, city_id: &str) -> Result<Option<Draft>> {
    Ok(store.draft(city_id)?)
}

/// Sets a city's draft from portrait JSON. The city block and the publication are the
/// publisher's and are taken from the catalogue; the draft keeps its base version (the latest,
/// for a new draft). Invalid JSON changes nothing.
pub fn set_draft(store: &mut Store, city_id: &str, bytes: &[u8], origin: &str) -> Result<Draft> {
    let portrait = parse_draft_file(city_id, bytes, origin)?;
    store_draft(store, city_id, portrait, None)
}

fn parse_draft_file(city_id: &str, bytes: &[u8], origin: &str) -> Result<Portrait> {
    let portrait = model::parse_portrait(bytes).map_err(|errs| {
        let first = errs.first().map(|e| e.to_string()).unwrap_or_default();
        ApiError::invalid(format!("{origin}: {first}"), errs)
    })?;
    if portrait.city.id != city_id {
        return Err(ApiError::invalid(
            format!("{origin}: the portrait is of {} but the draft is for {city_id}", portrait.city.id),
            vec![FieldError::new("$.city.id", format!("must be {city_id}"))],
        ));
    }
    Ok(portrait)
}

/// Stores a portrait as the city's draft. The city block and the publication are the
/// publisher's and come from the catalogue; the draft keeps its base version (the latest, for a
/// new draft) and any conflicts still open.
fn store_draft(store: &mut Store, city_id: &str, mut portrait: Portrait, expected: Option<u64>) -> Result<Draft> {
    let city = store.city(city_id)?;
    let existing = store.draft(city_id)?;
    let latest = store.versions(city_id)?.last().map(|v| v.version).unwrap_or(1);
    let base = existing.as_ref().map(|d| d.base_version).unwrap_or(latest);
    let conflicts = existing.map(|d| d.conflicts).unwrap_or_default();
    portrait.city = city;
    portrait.version = base + 1;
    portrait.source = Source { booklet: None, published: today() };
    Ok(store.save_draft(city_id, base, &portrait, &conflicts, expected)?)
}

/// A draft saved from a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SavedDraft {
    pub draft: Draft,
    /// Domain errors to show next to their fields (the draft is stored all the same).
    pub errors: Vec<FieldError>,
    /// The save was made against a draft that a sync had rebased meanwhile: it was merged onto
    /// the rebased draft (three-way, conflicts kept for the user). The form must show `draft`.
    pub merged: bool,
}

/// Saves `portrait`, edited from the draft at revision `based_on`, as the city's draft. When a
/// sync rebased the draft since (it is at a later revision), the edit is merged onto the
/// rebased draft — base: the draft as it was before the rebase, theirs: the rebased draft,
/// mine: the edit — and conflicts are added for the user to choose; never written over the
/// rebase. A save against a revision older still is refused (`conflict`): reload the draft.
pub fn save_draft_merging(
    store: &mut Store,
    city_id: &str,
    portrait: Portrait,
    based_on: Option<u64>,
) -> Result<(Draft, bool)> {
    let Some(rev) = based_on else { return Ok((store_draft(store, city_id, portrait, None)?, false)) };
    for _ in 0..3 {
        let current = store.draft(city_id)?;
        let Some(current) = current else {
            // No draft (discarded, or published and dropped): this edit starts a new one.
            return Ok((store_draft(store, city_id, portrait, None)?, false));
        };
        if current.revision == rev {
            match store_draft(store, city_id, portrait.clone(), Some(rev)) {
                Err(e) if e.code == ErrorCode::Conflict => continue, // a rebase came in between
                other => return Ok((other?, false)),
            }
        }
        let Some((before_rev, before)) = store.draft_before_rebase(city_id)? else { break };
        if before_rev != rev {
            break;
        }
        let m = merge::three_way(&before, &current.portrait, &portrait);
        let mut conflicts = current.conflicts.clone();
        for c in m.conflicts() {
            conflicts.retain(|x| x.field != c.field);
            conflicts.push(c.clone());
        }
        conflicts.sort_by_key(|c| merge::FIELDS.iter().position(|f| *f == c.field).unwrap_or(usize::MAX));
        let mut merged = m.merged.clone();
        merged.city = current.portrait.city.clone();
        merged.version = current.portrait.version;
        merged.source = current.portrait.source.clone();
        match store.save_draft(city_id, current.base_version, &merged, &conflicts, Some(current.revision)) {
            Ok(d) => return Ok((d, true)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let now = store.draft(city_id)?.map(|d| d.revision).unwrap_or(0);
    Err(ApiError::new(
        ErrorCode::Conflict,
        format!(
            "the draft of {city_id} changed since this edit began (revision {rev}, now {now}): reload it; nothing was overwritten"
        ),
    ))
}

/// The JSON a user edits: the draft, or the latest version for a new draft.
pub fn draft_json(store: &Store, city_id: &str) -> Result<String> {
    let p = match store.draft(city_id)? {
        Some(d) => d.portrait,
        None => store.portrait(city_id, None)?,
    };
    Ok(model::to_canonical_json(&p))
}

/// Opens `$EDITOR` (else `vi`) on the draft. If what comes back is invalid, the draft is not
/// changed and the edited file is kept, so no work is lost.
pub fn edit_draft(store: &mut Store, city_id: &str) -> Result<Draft> {
    let text = draft_json(store, city_id)?;
    // A sync may rebase the draft while the editor is open: the edit is merged onto it.
    let revision = store.draft(city_id)?.map(|d| d.revision);
    let dir = std::env::temp_dir();
    let path = dir.join(format!("portrait-{city_id}-{}.json", std::process::id()));
    std::fs::write(&path, &text).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))?;
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(&path)
        .status()
        .map_err(|e| ApiError::new(ErrorCode::Io, format!("cannot run the editor {editor:?}: {e}")))?;
    if !status.success() {
        return Err(ApiError::new(
            ErrorCode::Io,
            format!("the editor exited with {status}; the draft was not changed ({} kept)", path.display()),
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))?;
    let origin = path.display().to_string();
    let saved = parse_draft_file(city_id, &bytes, &origin)
        .and_then(|p| save_draft_merging(store, city_id, p, revision).map(|(d, _)| d));
    match saved {
        Ok(d) => {
            let _ = std::fs::remove_file(&path);
            Ok(d)
        }
        Err(mut e) => {
            e.message = format!("{} — the draft was not changed; your edit is kept in {}", e.message, path.display());
            Err(e)
        }
    }
}

/// Resolves one conflicting field of a rebased draft: `base`, `theirs`, or `mine` (keep the
/// draft's value).
pub fn resolve_conflict(store: &mut Store, city_id: &str, field: &str, choice: &str) -> Result<Draft> {
    let d =
        store.draft(city_id)?.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("{city_id} has no draft")))?;
    let Some(c) = d.conflicts.iter().find(|c| c.field == field) else {
        let open: Vec<&str> = d.conflicts.iter().map(|c| c.field.as_str()).collect();
        return Err(ApiError::invalid(
            format!(
                "{field:?} is not in conflict in the draft of {city_id} (open: {})",
                if open.is_empty() { "none".into() } else { open.join(", ") }
            ),
            vec![],
        ));
    };
    let portrait = match choice {
        "mine" => d.portrait.clone(),
        "base" | "theirs" => merge::resolve(&d.portrait, c, choice).map_err(|e| ApiError::invalid(e, vec![]))?,
        other => return Err(ApiError::invalid(format!("{other:?}: choose base, theirs or mine"), vec![])),
    };
    let rest: Vec<merge::FieldDiff> = d.conflicts.iter().filter(|x| x.field != field).cloned().collect();
    Ok(store.save_draft(city_id, d.base_version, &portrait, &rest, Some(d.revision))?)
}

pub fn discard_draft(store: &mut Store, city_id: &str) -> Result<bool> {
    store.city(city_id)?;
    Ok(store.delete_draft(city_id)?)
}

// ---- submissions ----------------------------------------------------------------------------

/// What `submit` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Submitted {
    pub outbox_id: i64,
    pub idempotency_key: String,
    /// `sent`, `pending` (offline: sent later) or `failed` (refused by the server).
    pub status: String,
    pub submission_id: Option<String>,
    pub error: Option<String>,
}

/// Queues the city's draft for review without any network call: the draft is checked
/// (no open conflicts, valid), an idempotency key is minted and stored with it in the outbox
/// (one transaction). Returns the outbox entry, `pending`. The desktop calls this and lets its
/// background sync send the outbox, so a Submit never waits on the network.
pub fn queue_submission(store: &mut Store, city_id: &str) -> Result<OutboxEntry> {
    let d = store.draft(city_id)?.ok_or_else(|| {
        ApiError::invalid(format!("{city_id} has no draft: set one with `portraits draft set` or `draft edit`"), vec![])
    })?;
    if !d.conflicts.is_empty() {
        let fields: Vec<FieldError> =
            d.conflicts.iter().map(|c| FieldError::new(c.field.clone(), "in conflict")).collect();
        return Err(ApiError::invalid(
            format!("the draft of {city_id} has {} field(s) in conflict: resolve them first (`portraits draft show {city_id}`)", fields.len()),
            fields,
        ));
    }
    let errs = model::validate_portrait(&d.portrait);
    if !errs.is_empty() {
        return Err(ApiError::invalid(format!("the draft of {city_id} is invalid: {}", errs[0]), errs));
    }
    let key = uuid::Uuid::new_v4().to_string();
    let outbox_id = store.outbox_add(city_id, &key, d.base_version, &d.portrait)?;
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
pub fn submit(store: &mut Store, city_id: &str, feed: &str, token: &str, opts: &sync::Options) -> Result<Submitted> {
    let queued = queue_submission(store, city_id)?;
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
) -> Result<(Vec<serde_json::Value>, bool)> {
    store.city(city_id)?;
    if let (Some(f), Some(t)) = (feed, token) {
        match sync::fetch_submissions(store, f, t, city_id, opts) {
            Ok(list) => return Ok((list, true)),
            Err(SyncError::Network { .. }) => {}
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
        let cities: std::collections::BTreeSet<String> = store.outbox()?.into_iter().map(|e| e.city_id).collect();
        for c in cities {
            let _ = sync::fetch_submissions(store, feed, t, &c, opts);
        }
    } else {
        (sent, failed) = (0, 0);
        pending = store.outbox()?.iter().filter(|e| e.status == "pending").count() as u32;
    }
    Ok(SyncSummary { pull, sent, failed, pending })
}

// ---- review (staff, over HTTP) ------------------------------------------------------------

/// A staff request to the server.
pub fn staff_request(
    feed: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value> {
    let base = sync::normalise_base(feed)?;
    let url = format!("{base}{path}");
    sync::check_token_transport(&url)?;
    let mut http = sync::Http::new(sync::Options {
        retry: sync::Retry { attempts: 3, ..Default::default() },
        ..Default::default()
    })?;
    let got = http.send(&url, &|c| {
        let r = match method {
            "POST" => c.post(&url),
            _ => c.get(&url),
        };
        let r = r.bearer_auth(token);
        match &body {
            Some(b) => r.header(reqwest::header::CONTENT_TYPE, "application/json").body(b.to_string()),
            None => r,
        }
    })?;
    let v: serde_json::Value = serde_json::from_slice(&got.body).unwrap_or(serde_json::Value::Null);
    if !(200..300).contains(&got.status) {
        let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string();
        let fields: Vec<FieldError> =
            v.get("fields").and_then(|f| serde_json::from_value(f.clone()).ok()).unwrap_or_default();
        let code = match got.status {
            401 | 403 => ErrorCode::InvalidInput,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            400..=499 => ErrorCode::InvalidInput,
            _ => ErrorCode::Io,
        };
        return Err(ApiError { code, message: format!("{url}: {} {message}", got.status), fields });
    }
    Ok(v)
}

// ---- server-side administration -------------------------------------------------------------

/// An issued token: its id (for revocation) and the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
    pub kind: String,
    pub city_id: Option<String>,
}

pub fn issue_token(store: &mut Store, city_id: Option<&str>) -> Result<IssuedToken> {
    let (id, token, hash) = crate::server::new_token();
    let kind = if city_id.is_some() { "city" } else { "staff" };
    store.put_token(&id, kind, city_id, &hash)?;
    Ok(IssuedToken { id, token, kind: kind.into(), city_id: city_id.map(String::from) })
}

pub fn revoke_token(store: &mut Store, id: &str) -> Result<()> {
    Ok(store.revoke_token(id)?)
}

/// Writes the feed for static hosting: `DIR/v1/feed.json` and `DIR/v1/media/<sha256>`.
pub fn export_feed(store: &mut Store, dir: &Path, public_url: &str) -> Result<(usize, usize)> {
    let catalog_id = store.ensure_catalog_id()?;
    let (changes, _) = store.changes_since(0, usize::MAX / 2)?;
    let mut feed = crate::feed::build_feed(
        &changes,
        store.catalog_version()?,
        store.tombstone_floor()?,
        public_url.trim_end_matches('/'),
    );
    feed.gnlc.catalog_id = Some(catalog_id);
    let v1 = dir.join("v1");
    let media_dir = v1.join("media");
    std::fs::create_dir_all(&media_dir)
        .map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", media_dir.display())))?;
    let mut media = 0;
    for c in &changes {
        if let crate::store::Change::Version { portrait, .. } = c {
            for ph in &portrait.photos {
                if let Some((bytes, _)) = store.media(&ph.sha256)? {
                    write_atomic(&media_dir.join(&ph.sha256), &bytes)?;
                    media += 1;
                }
            }
        }
    }
    let body = serde_json::to_vec(&feed).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    write_atomic(&v1.join("feed.json"), &body)?;
    Ok((feed.items.len(), media))
}

/// A published version as the client's sync sees it (for tests and the UI's history).
pub fn portrait_at(store: &Store, city_id: &str, version: u32) -> Result<Portrait> {
    Ok(store.portrait(city_id, Some(version))?)
}

/// Saves a draft edited in a form (autosave): stored even when a domain rule fails, so nothing
/// typed is lost; the errors come back for the form to show next to their fields. The city
/// block and the publication are the publisher's.
/// `based_on` is the draft revision the form was showing (see [`save_draft_merging`]).
pub fn save_draft_portrait(
    store: &mut Store,
    city_id: &str,
    portrait: Portrait,
    based_on: Option<u64>,
) -> Result<SavedDraft> {
    let (draft, merged) = save_draft_merging(store, city_id, portrait, based_on)?;
    let errors = model::validate_portrait(&draft.portrait);
    Ok(SavedDraft { draft, errors, merged })
}

/// What changed between two versions of a city, field by field.
pub fn version_diff(store: &Store, city_id: &str, from: u32, to: u32) -> Result<Vec<merge::FieldDiff>> {
    let a = store.portrait(city_id, Some(from))?;
    let b = store.portrait(city_id, Some(to))?;
    // A two-way diff is a merge in which "mine" did not change anything.
    Ok(merge::three_way(&a, &b, &a).fields)
}

/// Who a token acts for, as the server says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Identity {
    /// `city` or `staff`.
    pub kind: String,
    pub city_id: Option<String>,
}

/// Asks the server who a token acts for (and so checks it).
pub fn whoami(feed: &str, token: &str) -> Result<Identity> {
    let v = staff_request(feed, token, "GET", "/v1/whoami", None)?;
    Ok(Identity {
        kind: v.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string(),
        city_id: v.get("cityId").and_then(|c| c.as_str()).map(String::from),
    })
}

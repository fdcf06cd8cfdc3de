//! The feed and submission server (DESIGN §4), on axum and tokio.
//!
//! Owns: the HTTP API — the feed (cached in memory with its gzip form and strong ETag, so a poll
//! that changed nothing costs no database work), the change log, media, submissions with
//! idempotency keys, and the staff review — plus token checks (hashes only, constant-time
//! comparison), body limits, timeouts, request logs without secrets, graceful shutdown.
//! Must not: know about the desktop or PDF; business rules stay in `model` (validation, merge)
//! and `store` (publication).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::feed;
use crate::model::{self, merge, FieldError, Portrait};
use crate::store::{Store, StoreError, SubmissionRow};

/// Largest request body accepted (a portrait is about 6 KB; photos go through media).
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// Most changes returned by one `/v1/changes` page.
pub const MAX_CHANGES: usize = 1000;

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// The public base URL (behind a reverse proxy), without a trailing slash.
    pub public_url: String,
    pub request_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The cached feed: rebuilt when the catalogue changes.
struct FeedCache {
    catalog_version: u64,
    body: Bytes,
    gzip: Bytes,
    etag: String,
    last_modified: String,
    checked: Instant,
}

struct AppState {
    store: Mutex<Store>,
    cache: RwLock<Option<Arc<FeedCache>>>,
    public_url: String,
}

type Shared = Arc<AppState>;

/// An API error: `{code, message, fields}` with an HTTP status.
struct ApiErr {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
}

impl ApiErr {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiErr {
        ApiErr { status, code, message: message.into(), fields: Vec::new() }
    }
    fn invalid(message: impl Into<String>, fields: Vec<FieldError>) -> ApiErr {
        ApiErr { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid_input", message: message.into(), fields }
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code, "message": self.message, "fields": self.fields });
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<StoreError> for ApiErr {
    fn from(e: StoreError) -> ApiErr {
        match e {
            StoreError::NotFound(m) => ApiErr::new(StatusCode::NOT_FOUND, "not_found", m),
            StoreError::Conflict { message, .. } => ApiErr::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::InvalidQuery(m) => ApiErr::invalid(m, vec![]),
            other => {
                tracing::error!(error = %other, "storage error");
                ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", "the server's database failed")
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiErr>;

fn lock(state: &Shared) -> ApiResult<std::sync::MutexGuard<'_, Store>> {
    state.store.lock().map_err(|_| ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "server state poisoned"))
}

// ---- tokens -------------------------------------------------------------------------------

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    City { token_id: String, city_id: String },
    Staff { token_id: String },
}

impl Principal {
    fn token_id(&self) -> &str {
        match self {
            Principal::City { token_id, .. } | Principal::Staff { token_id } => token_id,
        }
    }
}

/// A new token: its id (for revocation) and the secret string given to its holder once.
pub fn new_token() -> (String, String, String) {
    use rand::RngExt;
    let mut rng = rand::rng();
    let id: [u8; 8] = rng.random();
    let secret: [u8; 32] = rng.random();
    let id = hex::encode(id);
    let secret = hex::encode(secret);
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    (id.clone(), format!("gnlc_{id}_{secret}"), hash)
}

/// Splits a token string into (id, secret).
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix("gnlc_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && secret.len() == 64).then_some((id, secret))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authenticate(state: &Shared, headers: &HeaderMap) -> ApiResult<Principal> {
    let unauthorized = |m: &str| ApiErr::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("this request needs Authorization: Bearer <token>"))?;
    let token = value.strip_prefix("Bearer ").ok_or_else(|| unauthorized("use Authorization: Bearer <token>"))?;
    let (id, secret) = parse_token(token).ok_or_else(|| unauthorized("the token is malformed"))?;
    let row = lock(state)?.token(id)?.ok_or_else(|| unauthorized("unknown token"))?;
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    if !constant_time_eq(hash.as_bytes(), row.hash.as_bytes()) {
        return Err(unauthorized("unknown token"));
    }
    if row.revoked_at.is_some() {
        return Err(unauthorized("this token was revoked"));
    }
    match (row.kind.as_str(), row.city_id) {
        ("staff", _) => Ok(Principal::Staff { token_id: row.id }),
        ("city", Some(city_id)) => Ok(Principal::City { token_id: row.id, city_id }),
        _ => Err(unauthorized("unknown token")),
    }
}

fn require_staff(p: &Principal) -> ApiResult<()> {
    match p {
        Principal::Staff { .. } => Ok(()),
        Principal::City { .. } => Err(ApiErr::new(StatusCode::FORBIDDEN, "forbidden", "this needs a staff token")),
    }
}

fn require_city(p: &Principal, city_id: &str) -> ApiResult<()> {
    match p {
        Principal::Staff { .. } => Ok(()),
        Principal::City { city_id: own, .. } if own == city_id => Ok(()),
        Principal::City { city_id: own, .. } => Err(ApiErr::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token acts for {own}, not for {city_id}"),
        )),
    }
}

// ---- the feed -----------------------------------------------------------------------------

fn build_cache(store: &Store, public_url: &str) -> Result<FeedCache, StoreError> {
    use std::io::Write;
    let version = store.catalog_version()?;
    let (changes, _) = store.changes_since(0, usize::MAX / 2)?;
    let mut feed = feed::build_feed(&changes, version, store.tombstone_floor()?, public_url);
    feed.gnlc.catalog_id = store.catalog_id()?;
    let body = serde_json::to_vec(&feed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let gzip = gz.finish().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let modified = store
        .catalog_modified()?
        .and_then(|s| time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).ok())
        .map(|t| httpdate::fmt_http_date(std::time::SystemTime::from(t)))
        .unwrap_or_else(|| httpdate::fmt_http_date(std::time::UNIX_EPOCH));
    Ok(FeedCache {
        catalog_version: version,
        body: Bytes::from(body),
        gzip: Bytes::from(gzip),
        etag,
        last_modified: modified,
        checked: Instant::now(),
    })
}

/// The current feed, rebuilt if the catalogue moved (checked at most once a second, and at
/// once after every publication through this server).
fn feed_cache(state: &Shared) -> ApiResult<Arc<FeedCache>> {
    if let Ok(guard) = state.cache.read() {
        if let Some(c) = guard.as_ref() {
            if c.checked.elapsed() < Duration::from_secs(1) {
                return Ok(c.clone());
            }
        }
    }
    let store = lock(state)?;
    let version = store.catalog_version()?;
    let mut guard = state
        .cache
        .write()
        .map_err(|_| ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cache poisoned"))?;
    if let Some(c) = guard.as_ref() {
        if c.catalog_version == version {
            let refreshed = Arc::new(FeedCache {
                catalog_version: c.catalog_version,
                body: c.body.clone(),
                gzip: c.gzip.clone(),
                etag: c.etag.clone(),
                last_modified: c.last_modified.clone(),
                checked: Instant::now(),
            });
            *guard = Some(refreshed.clone());
            return Ok(refreshed);
        }
    }
    let fresh = Arc::new(build_cache(&store, &state.public_url)?);
    *guard = Some(fresh.clone());
    Ok(fresh)
}

fn invalidate(state: &Shared) {
    if let Ok(mut g) = state.cache.write() {
        *g = None;
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next().is_some_and(|n| n.trim() == "gzip")))
}

async fn get_feed(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Response> {
    let cache = feed_cache(&state)?;
    let not_modified = match headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(inm) => inm.split(',').any(|t| t.trim() == cache.etag || t.trim() == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .zip(httpdate::parse_http_date(&cache.last_modified).ok())
            .is_some_and(|(since, modified)| modified <= since),
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &cache.etag)
        .header(header::LAST_MODIFIED, &cache.last_modified)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::VARY, "Accept-Encoding");
    if not_modified {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).body(axum::body::Body::empty()).unwrap_or_default());
    }
    builder = builder.header(header::CONTENT_TYPE, feed::MIME);
    let body = if accepts_gzip(&headers) {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        cache.gzip.clone()
    } else {
        cache.body.clone()
    };
    Ok(builder.status(StatusCode::OK).body(axum::body::Body::from(body)).unwrap_or_default())
}

#[derive(Deserialize)]
struct ChangesQuery {
    since: Option<String>,
    limit: Option<String>,
}

async fn get_changes(
    State(state): State<Shared>,
    Query(q): Query<ChangesQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let since: u64 = match q.since.as_deref() {
        None => 0,
        Some(s) => s.parse::<u64>().ok().filter(|n| *n <= i64::MAX as u64).ok_or_else(|| {
            ApiErr::new(StatusCode::BAD_REQUEST, "invalid_input", format!("since={s:?} is not a catalogue version"))
        })?,
    };
    let limit: usize = match q.limit.as_deref() {
        None => 500,
        Some(s) => s.parse::<usize>().ok().filter(|n| (1..=MAX_CHANGES).contains(n)).ok_or_else(|| {
            ApiErr::new(StatusCode::BAD_REQUEST, "invalid_input", format!("limit={s:?}: use 1 to {MAX_CHANGES}"))
        })?,
    };
    let (changes, more, catalog, floor, catalog_id) = {
        let store = lock(&state)?;
        let floor = store.tombstone_floor()?;
        if since < floor {
            return Err(ApiErr::new(
                StatusCode::GONE,
                "gone",
                format!("changes since {since} are no longer kept (tombstones before {floor} were pruned); take the snapshot at /v1/feed.json"),
            ));
        }
        let catalog = store.catalog_version()?;
        if since > catalog {
            // A cursor from the future: this server was restored from an older backup, or the
            // client was fed a false catalogue version. Only the snapshot can reconcile.
            return Err(ApiErr::new(
                StatusCode::GONE,
                "gone",
                format!(
                    "since={since} is ahead of this catalogue (version {catalog}); take the snapshot at /v1/feed.json"
                ),
            ));
        }
        let (c, more) = store.changes_since(since, limit)?;
        (c, more, catalog, floor, store.catalog_id()?)
    };
    let _ = floor;
    let last = if more { changes.last().map(|c| c.seq()).unwrap_or(since) } else { catalog.max(since) };
    let page = feed::ChangesPage {
        items: changes.iter().map(|c| feed::item_for(c, &state.public_url)).collect(),
        last_version: last,
        has_more: more,
        catalog_id: catalog_id.clone(),
    };
    let body = serde_json::to_vec(&page)
        .map_err(|e| ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let mut builder =
        Response::builder().header(header::CONTENT_TYPE, "application/json").header(header::VARY, "Accept-Encoding");
    let body = if accepts_gzip(&headers) && body.len() > 1024 {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = gz.write_all(&body);
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        gz.finish().unwrap_or_default()
    } else {
        body
    };
    Ok(builder.status(StatusCode::OK).body(axum::body::Body::from(body)).unwrap_or_default())
}

async fn get_media(State(state): State<Shared>, Path(sha): Path<String>) -> ApiResult<Response> {
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
        return Err(ApiErr::new(StatusCode::BAD_REQUEST, "invalid_input", "a media id is a SHA-256 in lower-case hex"));
    }
    let (bytes, mime) = lock(&state)?
        .media(&sha)?
        .ok_or_else(|| ApiErr::new(StatusCode::NOT_FOUND, "not_found", format!("no media {sha}")))?;
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::ETAG, format!("\"{sha}\""))
        .body(axum::body::Body::from(bytes))
        .unwrap_or_default())
}

// ---- submissions --------------------------------------------------------------------------

fn summary(s: &SubmissionRow) -> Value {
    json!({
        "id": s.id,
        "cityId": s.city_id,
        "status": s.status,
        "baseVersion": s.base_version,
        "comments": s.comments,
        "publishedVersion": s.published_version,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    })
}

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

async fn post_submission(
    State(state): State<Shared>,
    Path(city_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let who = authenticate(&state, &headers)?;
    require_city(&who, &city_id)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 100 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or_else(|| {
            ApiErr::new(StatusCode::BAD_REQUEST, "invalid_input", "an Idempotency-Key header (a UUID) is required")
        })?
        .to_string();
    feed::check_limits(
        &body,
        &feed::Limits {
            max_bytes: MAX_BODY,
            max_depth: 32,
            max_string: 100_000,
            max_items: 1000,
            ..feed::Limits::default()
        },
    )
    .map_err(|e| ApiErr::invalid(format!("request body: {e}"), vec![]))?;
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| ApiErr::invalid(format!("request body is not JSON: {e}"), vec![]))?;
    let request_sha = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    // A replay of a key answers what the first request got; the same key with another body is
    // refused.
    if let Some(previous) = lock(&state)?.submission_by_key(&key)? {
        if previous.request_sha256 != request_sha || previous.city_id != city_id {
            return Err(ApiErr::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for another request",
            ));
        }
        let mut r = (StatusCode::CREATED, Json(previous.response.clone())).into_response();
        r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        return Ok(r);
    }
    let base_version =
        value.get("baseVersion").and_then(Value::as_u64).and_then(|v| u32::try_from(v).ok()).ok_or_else(|| {
            ApiErr::invalid(
                "baseVersion (a version number) is required",
                vec![FieldError::new("$.baseVersion", "an integer from 1")],
            )
        })?;
    let raw = value
        .get("portrait")
        .ok_or_else(|| ApiErr::invalid("portrait is required", vec![FieldError::new("$.portrait", "required")]))?;
    let mut portrait = model::validate::parse_portrait_value(raw).map_err(|errs| {
        let fields: Vec<FieldError> =
            errs.into_iter().map(|e| FieldError::new(e.path.replacen('$', "$.portrait", 1), e.message)).collect();
        let first = fields.first().map(|f| f.to_string()).unwrap_or_default();
        ApiErr::invalid(format!("the portrait is invalid: {first}"), fields)
    })?;
    if portrait.city.id != city_id {
        return Err(ApiErr::invalid(
            format!("the portrait is of {} but was sent to {city_id}", portrait.city.id),
            vec![FieldError::new("$.portrait.city.id", format!("must be {city_id}"))],
        ));
    }
    let mut store = lock(&state)?;
    let city = store.city(&city_id)?;
    let latest = store.versions(&city_id)?.last().map(|v| v.version).unwrap_or(0);
    if base_version == 0 || base_version > latest {
        return Err(ApiErr::invalid(
            format!("baseVersion {base_version} does not exist (the latest version of {city_id} is {latest})"),
            vec![FieldError::new("$.baseVersion", format!("1 to {latest}"))],
        ));
    }
    // The city block and the publication belong to the publisher.
    portrait.city = city;
    portrait.version = latest + 1;
    portrait.source = model::Source { booklet: None, published: today() };
    let id = format!("sub_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    let created = crate::store::now_rfc3339();
    let response = json!({
        "id": id, "cityId": city_id, "status": "submitted", "baseVersion": base_version,
        "comments": [], "publishedVersion": null, "createdAt": created, "updatedAt": created,
    });
    store.insert_submission(&id, &city_id, base_version, &portrait, who.token_id(), &key, &request_sha, &response)?;
    tracing::info!(submission = %id, city = %city_id, base_version, "submission received");
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

async fn whoami(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    Ok(Json(match authenticate(&state, &headers)? {
        Principal::City { city_id, .. } => json!({ "kind": "city", "cityId": city_id }),
        Principal::Staff { .. } => json!({ "kind": "staff", "cityId": null }),
    }))
}

async fn get_city_submissions(
    State(state): State<Shared>,
    Path(city_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let who = authenticate(&state, &headers)?;
    require_city(&who, &city_id)?;
    let store = lock(&state)?;
    store.city(&city_id)?;
    let list: Vec<Value> = store.submissions(Some(&city_id), None)?.iter().map(summary).collect();
    Ok(Json(json!({ "cityId": city_id, "submissions": list })))
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

const STATUSES: [&str; 5] = ["submitted", "in_review", "changes_requested", "accepted", "rejected"];

async fn list_submissions(
    State(state): State<Shared>,
    Query(q): Query<StatusQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let who = authenticate(&state, &headers)?;
    require_staff(&who)?;
    if let Some(s) = &q.status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiErr::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                format!("status={s:?}: one of {}", STATUSES.join(", ")),
            ));
        }
    }
    let list: Vec<Value> = lock(&state)?.submissions(None, q.status.as_deref())?.iter().map(summary).collect();
    Ok(Json(json!({ "submissions": list })))
}

/// The three-way merge of a submission against the version published now.
fn review_merge(store: &Store, s: &SubmissionRow) -> ApiResult<(merge::Merge, Portrait)> {
    let base = store.portrait(&s.city_id, Some(s.base_version))?;
    let published = store.portrait(&s.city_id, None)?;
    Ok((merge::three_way(&base, &published, &s.portrait), published))
}

async fn get_submission(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let who = authenticate(&state, &headers)?;
    require_staff(&who)?;
    let mut store = lock(&state)?;
    let mut s = store.submission(&id)?;
    if s.status == "submitted" {
        store.set_submission_status(&id, "in_review")?;
        s = store.submission(&id)?;
    }
    let (m, published) = review_merge(&store, &s)?;
    let mut out = summary(&s);
    out["publishedNow"] = json!(published.version);
    out["portrait"] = serde_json::to_value(&s.portrait).unwrap_or(Value::Null);
    out["diff"] = serde_json::to_value(&m.fields).unwrap_or(Value::Null);
    out["conflicts"] = json!(m.conflicts().map(|c| c.field.clone()).collect::<Vec<_>>());
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Decision {
    decision: String,
    #[serde(default)]
    comment: Option<String>,
    /// Comments per field: {field, comment}.
    #[serde(default)]
    comments: Vec<FieldComment>,
    /// For conflicting fields: field → base | theirs | mine.
    #[serde(default)]
    resolutions: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct FieldComment {
    field: String,
    comment: String,
}

async fn post_decision(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let who = authenticate(&state, &headers)?;
    require_staff(&who)?;
    let d: Decision = serde_json::from_slice(&body).map_err(|e| ApiErr::invalid(format!("decision: {e}"), vec![]))?;
    let status = match d.decision.as_str() {
        "accept" => "accepted",
        "request_changes" => "changes_requested",
        "reject" => "rejected",
        other => {
            return Err(ApiErr::invalid(
                format!("decision {other:?}: accept, request_changes or reject"),
                vec![FieldError::new("$.decision", "accept, request_changes or reject")],
            ))
        }
    };
    let mut comments: Vec<Value> =
        d.comments.iter().map(|c| json!({ "field": c.field, "comment": c.comment })).collect();
    if let Some(c) = d.comment.as_ref().filter(|c| !c.trim().is_empty()) {
        comments.insert(0, json!({ "field": null, "comment": c }));
    }
    if status != "accepted" && comments.is_empty() {
        return Err(ApiErr::invalid("say why: a comment is required", vec![FieldError::new("$.comment", "required")]));
    }
    let mut store = lock(&state)?;
    let s = store.submission(&id)?;
    let publish = if status == "accepted" {
        let (m, published) = review_merge(&store, &s)?;
        let mut merged = m.merged.clone();
        let mut open = Vec::new();
        for c in m.conflicts() {
            match d.resolutions.get(&c.field) {
                Some(choice) => merged = merge::resolve(&merged, c, choice).map_err(|e| ApiErr::invalid(e, vec![]))?,
                None => open.push(FieldError::new(c.field.clone(), "changed both here and in the published version")),
            }
        }
        if !open.is_empty() {
            return Err(ApiErr {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message: format!(
                    "version {} was published since this submission's base {}: resolve {} field(s) (resolutions: field → base|theirs|mine)",
                    published.version,
                    s.base_version,
                    open.len()
                ),
                fields: open,
            });
        }
        merged.city = published.city.clone();
        merged.source = model::Source { booklet: None, published: today() };
        let errs = model::validate_portrait(&merged);
        if !errs.is_empty() {
            return Err(ApiErr::invalid("the merged portrait is invalid", errs));
        }
        Some(merged)
    } else {
        None
    };
    let version = store.decide_submission(&id, status, &Value::Array(comments), publish.as_ref())?;
    drop(store);
    if version.is_some() {
        invalidate(&state);
    }
    tracing::info!(submission = %id, decision = %status, published_version = ?version, "decision");
    let s = lock(&state)?.submission(&id)?;
    Ok(Json(summary(&s)))
}

// ---- the app --------------------------------------------------------------------------------

async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    // The path only: no query strings, no headers (tokens never reach the log).
    tracing::info!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1e3, "request");
    response
}

/// Errors produced below the handlers (body limit, timeout, bad paths) come as plain text:
/// give them the API's `{code, message, fields}` shape too.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        s if s.is_server_error() => "internal",
        _ => "invalid_input",
    };
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!("the request body is larger than {MAX_BODY} bytes"),
        StatusCode::REQUEST_TIMEOUT => "the request took too long".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let mut r = ApiErr::new(status, code, message).into_response();
    if let Some(v) = response.headers().get(header::WWW_AUTHENTICATE) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v.clone());
    }
    r
}

async fn not_found() -> ApiErr {
    ApiErr::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The router, with its state: used by `serve` and by tests.
pub fn router(mut store: Store, public_url: &str, request_timeout: Duration) -> Router {
    if let Err(e) = store.ensure_catalog_id() {
        tracing::error!(error = %e, "cannot name the catalogue");
    }
    let state: Shared = Arc::new(AppState {
        store: Mutex::new(store),
        cache: RwLock::new(None),
        public_url: public_url.trim_end_matches('/').to_string(),
    });
    Router::new()
        .route("/v1/feed.json", get(get_feed))
        .route("/v1/changes", get(get_changes))
        .route("/v1/media/{sha256}", get(get_media))
        .route("/v1/cities/{city_id}/submissions", post(post_submission).get(get_city_submissions))
        .route("/v1/whoami", get(whoami))
        .route("/v1/submissions", get(list_submissions))
        .route("/v1/submissions/{id}", get(get_submission))
        .route("/v1/submissions/{id}/decision", post(post_decision))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(log_requests))
        .with_state(state)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs the server until SIGINT or SIGTERM; requests in flight finish first.
pub fn serve(store: Store, config: &Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServerError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Bind { addr: config.addr, source })?;
        let addr = listener.local_addr()?;
        // Warm the feed cache before the first client asks.
        let app = router(store, &config.public_url, config.request_timeout);
        ready(addr);
        tracing::info!(%addr, public_url = %config.public_url, "serving");
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
}

//! The feed and submission server (docs/protocol.md), on axum, hyper and tokio.
//!
//! Owns: the HTTP API — the feed (cached in memory with its gzip form and strong ETag, so a poll
//! that changed nothing costs no database work), the change log, media (uploaded by the cities
//! before the submissions that name them), submissions with idempotency keys scoped per token,
//! and the staff review — plus token checks (hashes only, constant-time comparison, before any
//! request body is read), per-token rate limits and daily quotas, body limits, timeouts, a cap
//! on live connections, request logs without secrets, graceful shutdown.
//!
//! Database work runs on tokio's blocking threads, never on the async workers: reads on a small
//! pool of read-only connections, writes on one writer connection (WAL lets readers go on while a
//! write waits for a lock). A lock held elsewhere longer than `Limits::busy_timeout` answers 503
//! `busy` with `Retry-After`, never 500.
//!
//! Must not: know about the desktop or PDF; business rules stay in `model` (validation, merge)
//! and `store` (publication).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::booklet::images;
use crate::feed;
use crate::model::{self, merge, FieldError, Portrait};
use crate::protocol::{
    ApiError, DecisionRequest, ErrorCode, Identity, MediaStored, SinceReview, SubmissionDetail, SubmissionPage,
    SubmissionStatus, SubmissionSummary, TokenKind,
};
use crate::store::{Inserted, Store, StoreError, SubmissionRow};

/// Largest request body accepted on the JSON endpoints (a portrait is about 6 KB; photos go
/// through `PUT /v1/cities/{city}/media/{sha256}`, up to `images::MAX_IMAGE_BYTES`).
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// Most changes returned by one `/v1/changes` page.
pub const MAX_CHANGES: usize = 1000;
/// Submissions per page of a list, unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 100;
/// Most submissions per page of a list.
pub const MAX_PAGE: usize = 500;
/// Largest request head (request line and headers).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// What the server allows each connection and each token. `Default` is what `portraits serve`
/// uses unless told otherwise; the tests use tiny values.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Live connections at most. Connections over the cap are not accepted: they wait in the
    /// kernel's listen backlog until a connection closes.
    pub max_connections: usize,
    /// A request head (request line and headers) must arrive within this time of the
    /// connection becoming ready for it — on a new connection, and on a kept-alive one after
    /// its previous answer — or the connection is closed. Cuts slowloris clients (headers
    /// trickled byte by byte) and idle keep-alive sockets alike.
    pub header_timeout: Duration,
    /// Requests per second per token (token bucket), after authentication. 0 turns it off.
    pub rate_per_sec: f64,
    /// The bucket's size: requests a token may send at once.
    pub rate_burst: u32,
    /// Submissions per token in any 24 hours.
    pub submissions_per_day: u64,
    /// Bytes of new photos per token in any 24 hours.
    pub upload_bytes_per_day: u64,
    /// How long a request waits for a database lock (or for the writer connection) before it
    /// answers 503 `busy`.
    pub busy_timeout: Duration,
    /// Read-only connections for long reads (change pages, the feed, lists, photos); one more
    /// serves the short lookups (tokens, idempotency keys), and the writer has its own.
    pub readers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            rate_per_sec: 20.0,
            rate_burst: 60,
            submissions_per_day: 120,
            upload_bytes_per_day: 200 * 1024 * 1024,
            busy_timeout: Duration::from_secs(2),
            readers: 4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// The public base URL (behind a reverse proxy), without a trailing slash.
    pub public_url: String,
    /// The longest a request may take once its head has arrived (body included): 408 after.
    pub request_timeout: Duration,
    pub limits: Limits,
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

/// Read-only connections shared by FIFO permits: a request takes whichever connection is free
/// first, or waits its turn (at most the busy timeout, then 503).
struct Pool {
    size: usize,
    permits: Arc<tokio::sync::Semaphore>,
    conns: Arc<Mutex<Vec<Store>>>,
}

/// A connection taken from a pool, given back when dropped (also if the work panicked).
struct Lease {
    store: Option<Store>,
    home: Arc<Mutex<Vec<Store>>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(s) = self.store.take() {
            self.home.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(s);
        }
    }
}

impl Pool {
    fn new(conns: Vec<Store>) -> Pool {
        Pool {
            size: conns.len(),
            permits: Arc::new(tokio::sync::Semaphore::new(conns.len())),
            conns: Arc::new(Mutex::new(conns)),
        }
    }

    fn is_empty(&self) -> bool {
        self.size == 0
    }

    async fn run<T, F>(&self, wait: Duration, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiErr::busy())?
            .map_err(|_| ApiErr::busy())?;
        let home = self.conns.clone();
        blocking(move || {
            // Dropped in reverse order: the connection goes home before the permit is freed.
            let _permit = permit;
            let store = home.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
            let lease = Lease { store, home };
            match &lease.store {
                Some(store) => f(store),
                None => {
                    Err(ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "no database connection"))
                }
            }
        })
        .await
    }
}

/// The database: one writer connection; one read-only connection for the short lookups every
/// request makes (its token; a submission by its idempotency key), so that they never queue
/// behind long reads; and a pool of read-only connections for the rest (change pages, the feed,
/// lists, photos). For an in-memory database (no file to open again) the writer does it all.
/// A request waits at most `wait` for a connection, then answers 503 `busy`.
struct Db {
    writer: Arc<AsyncMutex<Store>>,
    quick: Pool,
    readers: Pool,
    wait: Duration,
}

impl Db {
    fn new(store: Store, limits: &Limits) -> Db {
        let wait = limits.busy_timeout;
        if let Err(e) = store.conn.busy_timeout(wait) {
            tracing::warn!(error = %e, "cannot set the writer's busy timeout");
        }
        let mut conns = Vec::new();
        if let Some(path) = store.path().map(std::path::Path::to_path_buf) {
            for _ in 0..limits.readers.saturating_add(1) {
                match Store::open(&path) {
                    Ok((reader, _)) => {
                        let setup = reader
                            .conn
                            .busy_timeout(wait)
                            .and_then(|_| reader.conn.execute_batch("PRAGMA query_only = ON"));
                        match setup {
                            Ok(()) => conns.push(reader),
                            Err(e) => tracing::warn!(error = %e, "cannot set up a reader connection"),
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot open a reader connection");
                        break;
                    }
                }
            }
        }
        // The first connection is the quick lane; with one only, it serves both.
        let quick: Vec<Store> = conns.pop().into_iter().collect();
        let (quick, readers) = if conns.is_empty() { (Vec::new(), quick) } else { (quick, conns) };
        Db { writer: Arc::new(AsyncMutex::new(store)), quick: Pool::new(quick), readers: Pool::new(readers), wait }
    }

    async fn lock_writer(&self) -> ApiResult<OwnedMutexGuard<Store>> {
        tokio::time::timeout(self.wait, self.writer.clone().lock_owned()).await.map_err(|_| ApiErr::busy())
    }

    /// Runs `f` on a reader connection, on a blocking thread.
    async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.readers.is_empty() {
            let guard = self.lock_writer().await?;
            return blocking(move || f(&guard)).await;
        }
        self.readers.run(self.wait, f).await
    }

    /// Runs a short lookup (one indexed row) on the quick-lane connection.
    async fn read_quick<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.quick.is_empty() {
            return self.read(f).await;
        }
        self.quick.run(self.wait, f).await
    }

    /// Runs `f` on the writer connection, on a blocking thread.
    async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Store) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let mut guard = self.lock_writer().await?;
        blocking(move || f(&mut guard)).await
    }
}

/// Runs CPU or database work on tokio's blocking threads.
async fn blocking<T, F>(f: F) -> ApiResult<T>
where
    F: FnOnce() -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "a blocking task failed");
        ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "the request failed")
    })?
}

/// Per-token token buckets.
struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes one token from `key`'s bucket, or says in how many seconds one will be there.
    fn take(&self, key: &str) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key.to_string()).or_insert((self.burst, now));
        bucket.0 = (bucket.0 + now.duration_since(bucket.1).as_secs_f64() * self.rate).min(self.burst);
        bucket.1 = now;
        if bucket.0 >= 1.0 {
            bucket.0 -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.0) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

struct AppState {
    db: Db,
    cache: RwLock<Option<Arc<FeedCache>>>,
    public_url: String,
    limiter: RateLimiter,
    limits: Limits,
}

type Shared = Arc<AppState>;

/// An API error: `{code, message, fields}` with an HTTP status (and `Retry-After` for 429 and
/// 503).
struct ApiErr {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    fields: Vec<FieldError>,
    retry_after: Option<u64>,
}

impl ApiErr {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiErr {
        ApiErr { status, code, message: message.into(), fields: Vec::new(), retry_after: None }
    }
    fn invalid(message: impl Into<String>, fields: Vec<FieldError>) -> ApiErr {
        ApiErr { fields, ..ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, message) }
    }
    fn bad_request(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message)
    }
    fn busy() -> ApiErr {
        ApiErr {
            retry_after: Some(1),
            ..ApiErr::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "the server's database is busy: try again shortly",
            )
        }
    }
    fn rate_limited(message: impl Into<String>, retry_after: u64) -> ApiErr {
        ApiErr {
            retry_after: Some(retry_after.max(1)),
            ..ApiErr::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, message)
        }
    }
    fn too_large(limit: usize) -> ApiErr {
        ApiErr::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!("the request body is larger than {limit} bytes"),
        )
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let body = ApiError { code: self.code, message: self.message, fields: self.fields };
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

impl From<StoreError> for ApiErr {
    fn from(e: StoreError) -> ApiErr {
        match e {
            StoreError::NotFound(m) => ApiErr::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, m),
            StoreError::Conflict { message, .. } => ApiErr::new(StatusCode::CONFLICT, ErrorCode::Conflict, message),
            e @ StoreError::Exists(_) => ApiErr::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string()),
            StoreError::InvalidQuery(m) => ApiErr::invalid(m, vec![]),
            ref e if e.is_busy() => {
                tracing::warn!(error = %e, "database busy");
                ApiErr::busy()
            }
            other => {
                tracing::error!(error = %other, "storage error");
                ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Storage, "the server's database failed")
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiErr>;

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

pub use crate::protocol::{new_token, parse_token};

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who sent a request: checked against the token table before anything else is done with the
/// request (its body is not read yet), then charged one request of the token's rate limit.
async fn authenticate(state: &Shared, headers: &HeaderMap) -> ApiResult<Principal> {
    let unauthorized = |m: &str| ApiErr::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, m);
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("this request needs Authorization: Bearer <token>"))?;
    let token = value.strip_prefix("Bearer ").ok_or_else(|| unauthorized("use Authorization: Bearer <token>"))?;
    let (id, secret) = parse_token(token).ok_or_else(|| unauthorized("the token is malformed"))?;
    let hash = crate::protocol::token_hash(secret);
    let id = id.to_string();
    let row =
        state.db.read_quick(move |store| Ok(store.token(&id)?)).await?.ok_or_else(|| unauthorized("unknown token"))?;
    if !constant_time_eq(hash.as_bytes(), row.hash.as_bytes()) {
        return Err(unauthorized("unknown token"));
    }
    if row.revoked_at.is_some() {
        return Err(unauthorized("this token was revoked"));
    }
    let who = match (row.kind, row.city_id) {
        (TokenKind::Staff, _) => Principal::Staff { token_id: row.id },
        (TokenKind::City, Some(city_id)) => Principal::City { token_id: row.id, city_id },
        _ => return Err(unauthorized("unknown token")),
    };
    state.limiter.take(who.token_id()).map_err(|secs| {
        ApiErr::rate_limited(
            format!(
                "too many requests with this token (at most {} a second, {} at once): try again in {secs} s",
                state.limits.rate_per_sec, state.limits.rate_burst
            ),
            secs,
        )
    })?;
    Ok(who)
}

fn require_staff(p: &Principal) -> ApiResult<()> {
    match p {
        Principal::Staff { .. } => Ok(()),
        Principal::City { .. } => {
            Err(ApiErr::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "this needs a staff token"))
        }
    }
}

fn require_city(p: &Principal, city_id: &str) -> ApiResult<()> {
    match p {
        Principal::Staff { .. } => Ok(()),
        Principal::City { city_id: own, .. } if own == city_id => Ok(()),
        Principal::City { city_id: own, .. } => Err(ApiErr::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
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
async fn feed_cache(state: &Shared) -> ApiResult<Arc<FeedCache>> {
    let current = state.cache.read().ok().and_then(|g| g.clone());
    if let Some(c) = &current {
        if c.checked.elapsed() < Duration::from_secs(1) {
            return Ok(c.clone());
        }
    }
    let public_url = state.public_url.clone();
    let fresh = state
        .db
        .read(move |store| {
            let version = store.catalog_version()?;
            Ok(match current {
                Some(c) if c.catalog_version == version => Arc::new(FeedCache {
                    catalog_version: c.catalog_version,
                    body: c.body.clone(),
                    gzip: c.gzip.clone(),
                    etag: c.etag.clone(),
                    last_modified: c.last_modified.clone(),
                    checked: Instant::now(),
                }),
                _ => Arc::new(build_cache(store, &public_url)?),
            })
        })
        .await?;
    if let Ok(mut guard) = state.cache.write() {
        *guard = Some(fresh.clone());
    }
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
    let cache = feed_cache(&state).await?;
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
        return Ok(builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).unwrap_or_default());
    }
    builder = builder.header(header::CONTENT_TYPE, feed::MIME);
    let body = if accepts_gzip(&headers) {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        cache.gzip.clone()
    } else {
        cache.body.clone()
    };
    Ok(builder.status(StatusCode::OK).body(Body::from(body)).unwrap_or_default())
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
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= i64::MAX as u64)
            .ok_or_else(|| ApiErr::bad_request(format!("since={s:?} is not a catalogue version")))?,
    };
    let limit: usize = match q.limit.as_deref() {
        None => 500,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_CHANGES).contains(n))
            .ok_or_else(|| ApiErr::bad_request(format!("limit={s:?}: use 1 to {MAX_CHANGES}")))?,
    };
    let gzip = accepts_gzip(&headers);
    let public_url = state.public_url.clone();
    let (body, gzipped) = state
        .db
        .read(move |store| {
            let floor = store.tombstone_floor()?;
            if since < floor {
                return Err(ApiErr::new(
                    StatusCode::GONE,
                    ErrorCode::Gone,
                    format!("changes since {since} are no longer kept (tombstones before {floor} were pruned); take the snapshot at /v1/feed.json"),
                ));
            }
            let catalog = store.catalog_version()?;
            if since > catalog {
                // A cursor from the future: this server was restored from an older backup, or
                // the client was fed a false catalogue version. Only the snapshot can reconcile.
                return Err(ApiErr::new(
                    StatusCode::GONE,
                    ErrorCode::Gone,
                    format!(
                        "since={since} is ahead of this catalogue (version {catalog}); take the snapshot at /v1/feed.json"
                    ),
                ));
            }
            let (changes, more) = store.changes_since(since, limit)?;
            let last = if more { changes.last().map(|c| c.seq()).unwrap_or(since) } else { catalog.max(since) };
            let page = feed::ChangesPage {
                items: changes.iter().map(|c| feed::item_for(c, &public_url)).collect(),
                last_version: last,
                has_more: more,
                catalog_id: store.catalog_id()?,
            };
            let body = serde_json::to_vec(&page)
                .map_err(|e| ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, e.to_string()))?;
            if gzip && body.len() > 1024 {
                use std::io::Write;
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                let _ = gz.write_all(&body);
                Ok((gz.finish().unwrap_or_default(), true))
            } else {
                Ok((body, false))
            }
        })
        .await?;
    let mut builder =
        Response::builder().header(header::CONTENT_TYPE, "application/json").header(header::VARY, "Accept-Encoding");
    if gzipped {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
    }
    Ok(builder.status(StatusCode::OK).body(Body::from(body)).unwrap_or_default())
}

fn check_sha(sha: &str) -> ApiResult<()> {
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
        return Err(ApiErr::bad_request("a media id is a SHA-256 in lower-case hex"));
    }
    Ok(())
}

/// `GET` (and, through axum, `HEAD`) of a photo.
async fn get_media(State(state): State<Shared>, Path(sha): Path<String>) -> ApiResult<Response> {
    check_sha(&sha)?;
    let id = sha.clone();
    let (bytes, mime) = state
        .db
        .read(move |store| Ok(store.media(&id)?))
        .await?
        .ok_or_else(|| ApiErr::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no media {sha}")))?;
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::ETAG, format!("\"{sha}\""))
        .body(Body::from(bytes))
        .unwrap_or_default())
}

/// The request's declared Content-Length, if any.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Reads a request body of at most `limit` bytes: refused from its Content-Length when that is
/// larger, else counted while read (a chunked or lying body is cut at the limit).
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> ApiResult<Bytes> {
    use http_body_util::BodyExt;
    let declared = content_length(headers);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiErr::too_large(limit));
    }
    let mut body = body;
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiErr::bad_request(format!("the request body could not be read: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ApiErr::too_large(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// 24 hours ago, as stored timestamps are written (RFC 3339, UTC).
fn day_ago() -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Seconds until the oldest entry of a 24-hour window (`oldest`, RFC 3339) leaves it.
fn window_retry_after(oldest: Option<&str>) -> u64 {
    let now = time::OffsetDateTime::now_utc();
    oldest
        .and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .map(|t| (t + time::Duration::days(1) - now).whole_seconds().max(1) as u64)
        .unwrap_or(1)
}

/// `PUT /v1/cities/{city_id}/media/{sha256}`: a photo a city's submission will name. The token
/// is checked before the body is read; the bytes must hash to the path and pass the image
/// checks (format, dimensions, pixel budget); the MIME type stored is the one the bytes show.
/// 201 when new, 200 when already held.
async fn put_media(
    State(state): State<Shared>,
    Path((city_id, sha)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let who = authenticate(&state, &headers).await?;
    require_city(&who, &city_id)?;
    check_sha(&sha)?;
    let max = images::MAX_IMAGE_BYTES;
    if content_length(&headers).is_some_and(|n| n > max as u64) {
        return Err(ApiErr::too_large(max));
    }
    let token_id = who.token_id().to_string();
    let quota = state.limits.upload_bytes_per_day;
    let announced = content_length(&headers).unwrap_or(0);
    let (city, tid, id) = (city_id.clone(), token_id.clone(), sha.clone());
    state
        .db
        .read(move |store| {
            store.city(&city)?;
            if store.has_media(&id)? {
                return Ok(());
            }
            let (used, oldest) = store.uploads_by_token_since(&tid, &day_ago())?;
            if used.saturating_add(announced) > quota {
                return Err(upload_quota(quota, used, oldest.as_deref()));
            }
            Ok(())
        })
        .await?;
    let bytes = read_body(body, &headers, max).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != sha {
        return Err(ApiErr::invalid(
            format!("photo {sha}: the bytes sent have the SHA-256 {actual}, not the one in the path"),
            vec![FieldError::new("$.sha256", format!("the bytes hash to {actual}"))],
        ));
    }
    let (format, _, _) = images::check(&bytes).map_err(|e| {
        ApiErr::invalid(format!("photo {sha} is refused: {e}"), vec![FieldError::new("$.bytes", e.to_string())])
    })?;
    let mime = format.mime();
    let size = bytes.len();
    let created = state
        .db
        .write(move |store| {
            let (used, oldest) = store.uploads_by_token_since(&token_id, &day_ago())?;
            if store.has_media(&sha)? {
                return Ok(false);
            }
            if used.saturating_add(size as u64) > quota {
                return Err(upload_quota(quota, used, oldest.as_deref()));
            }
            Ok(store.put_uploaded_media(&token_id, &bytes, mime)?)
        })
        .await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    if created {
        tracing::info!(media = %actual, city = %city_id, size, "photo received");
    }
    Ok((status, Json(MediaStored { sha256: actual, mime: mime.to_string(), size: size as u64 })).into_response())
}

fn upload_quota(quota: u64, used: u64, oldest: Option<&str>) -> ApiErr {
    let secs = window_retry_after(oldest);
    ApiErr::rate_limited(
        format!(
            "this token uploaded {used} bytes of photos in the last 24 hours; at most {quota} are accepted: try again in {secs} s"
        ),
        secs,
    )
}

// ---- submissions --------------------------------------------------------------------------

/// The ids of the staff tokens: who sent a submission, for its summary.
fn staff_token_ids(store: &Store) -> ApiResult<std::collections::BTreeSet<String>> {
    Ok(store.tokens()?.into_iter().filter(|t| t.kind == TokenKind::Staff).map(|t| t.id).collect())
}

fn summary(s: &SubmissionRow, staff: &std::collections::BTreeSet<String>) -> SubmissionSummary {
    SubmissionSummary {
        id: s.id.clone(),
        city_id: s.city_id.clone(),
        status: s.status,
        base_version: s.base_version,
        comments: s.comments.clone(),
        published_version: s.published_version,
        created_at: s.created_at.clone(),
        updated_at: s.updated_at.clone(),
        round: s.round,
        supersedes: s.supersedes.clone(),
        superseded_by: s.superseded_by.clone(),
        note: s.note.clone(),
        city_name: Some(s.portrait.city.name.clone()),
        sent_by: Some(if staff.contains(&s.token_id) { TokenKind::Staff } else { TokenKind::City }),
    }
}

/// Answers a replayed request (same token, same Idempotency-Key) with what the first one got.
fn replay(previous: &SubmissionRow, request_sha: &str, city_id: &str) -> ApiResult<Response> {
    if previous.request_sha256 != request_sha || previous.city_id != city_id {
        return Err(ApiErr::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for another request",
        ));
    }
    let mut r = (StatusCode::CREATED, Json(previous.response.clone())).into_response();
    r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(r)
}

async fn post_submission(
    State(state): State<Shared>,
    Path(city_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let who = authenticate(&state, &headers).await?;
    require_city(&who, &city_id)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 100 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or_else(|| ApiErr::bad_request("an Idempotency-Key header (a UUID) is required"))?
        .to_string();
    let body = read_body(body, &headers, MAX_BODY).await?;
    let token_id = who.token_id().to_string();
    // Parsing and validation are CPU work: off the async workers.
    let parsed = {
        let city_id = city_id.clone();
        blocking(move || parse_submission(&body, &city_id)).await?
    };
    // A replay of a key answers what the first request got; the same key with another body is
    // refused. Keys are scoped per token.
    let (t, k) = (token_id.clone(), key.clone());
    if let Some(previous) = state.db.read_quick(move |store| Ok(store.submission_by_key(&t, &k)?)).await? {
        return replay(&previous, &parsed.request_sha, &city_id);
    }
    let (base_version, mut portrait, note, request_sha) = match parsed.outcome {
        Ok((b, p, n)) => (b, p, n, parsed.request_sha),
        Err(e) => return Err(e),
    };
    let city = city_id.clone();
    let staff = matches!(who, Principal::Staff { .. });
    let photos: Vec<(String, Option<String>)> =
        portrait.photos.iter().map(|p| (p.sha256.clone(), p.caption.clone())).collect();
    let (city_block, latest) = state
        .db
        .read(move |store| {
            let published = store.published_city(&city)?;
            let latest = published.as_ref().map_or(0, |(_, v)| *v);
            let block = published.map(|(c, _)| c);
            if base_version == 0 {
                // A proposal of a city not published yet: staff only (UIL's member list).
                if !staff {
                    return Err(ApiErr {
                        fields: vec![FieldError::new("$.baseVersion", format!("1 to {latest}"))],
                        ..ApiErr::new(
                            StatusCode::FORBIDDEN,
                            ErrorCode::Forbidden,
                            format!("baseVersion 0 proposes a new city, which only staff may do; the latest version of {city} is {latest}"),
                        )
                    });
                }
                if latest > 0 {
                    return Err(ApiErr {
                        fields: vec![FieldError::new("$.baseVersion", format!("1 to {latest}"))],
                        ..ApiErr::new(
                            StatusCode::CONFLICT,
                            ErrorCode::Conflict,
                            format!("{city} is already published (version {latest}): base the submission on its latest version"),
                        )
                    });
                }
            } else if base_version > latest {
                return Err(ApiErr::invalid(
                    format!("baseVersion {base_version} does not exist (the latest version of {city} is {latest})"),
                    vec![FieldError::new("$.baseVersion", format!("1 to {latest}"))],
                ));
            }
            // Every photo the portrait names must be here already (uploaded with PUT
            // /v1/cities/{city}/media/{sha256}), or every client would get a 404 for it.
            let mut missing = Vec::new();
            for (i, (sha, caption)) in photos.iter().enumerate() {
                if !store.has_media(sha)? {
                    missing.push((i, sha.clone(), caption.clone()));
                }
            }
            if let Some((_, sha, caption)) = missing.first() {
                let fields = missing
                    .iter()
                    .map(|(i, sha, _)| {
                        FieldError::new(
                            format!("$.portrait.photos[{i}].sha256"),
                            format!("photo {sha} is not on the server: upload it first (PUT /v1/cities/{city}/media/{sha})"),
                        )
                    })
                    .collect();
                return Err(ApiErr::invalid(
                    format!(
                        "photo {sha} ({}) is not on the server: upload it with PUT /v1/cities/{city}/media/{sha} before submitting{}",
                        caption.as_deref().unwrap_or("no caption"),
                        if missing.len() > 1 { format!(" ({} photos missing)", missing.len()) } else { String::new() }
                    ),
                    fields,
                ));
            }
            Ok((block, latest))
        })
        .await?;
    // The city block and the publication belong to the publisher: a city's token cannot change
    // its name, country or region; staff (the publisher) can, and propose new cities.
    if let (false, Some(block)) = (staff, city_block) {
        portrait.city = block;
    }
    portrait.version = latest + 1;
    portrait.source = model::Source { booklet: None, published: crate::app::today() };
    let id = format!("sub_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    let created = crate::store::now_rfc3339();
    let response = SubmissionSummary {
        id: id.clone(),
        city_id: city_id.clone(),
        status: SubmissionStatus::Submitted,
        base_version,
        comments: Vec::new(),
        published_version: None,
        created_at: created.clone(),
        updated_at: created,
        round: 1,
        supersedes: None,
        superseded_by: None,
        note,
        city_name: Some(portrait.city.name.clone()),
        sent_by: Some(if staff { TokenKind::Staff } else { TokenKind::City }),
    };
    let quota = state.limits.submissions_per_day;
    let (city, sha) = (city_id.clone(), request_sha.clone());
    let answer = response;
    let outcome = state
        .db
        .write(move |store| {
            // Checked again under the writer: requests racing with one key make one submission.
            if let Some(previous) = store.submission_by_key(&token_id, &key)? {
                return Ok(Inserted::Replay(Box::new(previous)));
            }
            // Staff never replace a coordinator's open submission: its edits would leave review
            // unseen (a member list's row is built from the published version). Decide it first.
            if staff {
                for open in store.submissions(Some(&city), &SubmissionStatus::OPEN)? {
                    if store.token(&open.token_id)?.is_some_and(|t| t.kind == TokenKind::City) {
                        return Err(ApiErr {
                            fields: vec![FieldError::new("$.portrait.city.id", "has an open submission from the city")],
                            ..ApiErr::new(
                                StatusCode::CONFLICT,
                                ErrorCode::Conflict,
                                format!(
                                    "{city} has an open submission from its coordinator ({}, {}): decide it first, or UIL's change would replace it",
                                    open.id, open.status
                                ),
                            )
                        });
                    }
                }
            }
            // Staff (the publisher, sending a member list of hundreds of rows) have no daily
            // quota; the per-second rate still applies to them.
            let (made, oldest) = if staff { (0, None) } else { store.submissions_by_token_since(&token_id, &day_ago())? };
            if made >= quota {
                let secs = window_retry_after(oldest.as_deref());
                return Err(ApiErr::rate_limited(
                    format!(
                        "this token made {made} submissions in the last 24 hours, the most accepted: try again in {secs} s"
                    ),
                    secs,
                ));
            }
            Ok(store.insert_submission_once(&id, &city, base_version, &portrait, &token_id, &key, &sha, &answer)?)
        })
        .await?;
    let response = match outcome {
        Inserted::Replay(previous) => return replay(&previous, &request_sha, &city_id),
        Inserted::New(answer) => *answer,
    };
    tracing::info!(submission = %response.id, city = %city_id, base_version, round = response.round,
        supersedes = ?response.supersedes, "submission received");
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// A submission body, parsed: its hash (for replays) and the base version and portrait, or why
/// they were refused.
struct ParsedSubmission {
    request_sha: String,
    outcome: ApiResult<(u32, Portrait, Option<String>)>,
}

/// Parses and validates a submission body, a [`crate::protocol::SubmissionRequest`]: read as
/// JSON first, so that each error names its JSON path (`$.baseVersion`, `$.portrait.…`), which
/// a typed deserialisation would not. A body that is not JSON fails at once; a JSON body gets
/// its hash first, so that a replay is answered even where validation would fail now.
fn parse_submission(body: &[u8], city_id: &str) -> ApiResult<ParsedSubmission> {
    feed::check_limits(
        body,
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
        serde_json::from_slice(body).map_err(|e| ApiErr::invalid(format!("request body is not JSON: {e}"), vec![]))?;
    let request_sha = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    let outcome = (|| {
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
        let portrait = model::validate::parse_portrait_value(raw).map_err(|errs| {
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
        let note = match value.get("note") {
            None | Some(Value::Null) => None,
            Some(Value::String(n)) if n.trim().chars().count() <= crate::protocol::MAX_NOTE => {
                Some(n.trim().to_string()).filter(|n| !n.is_empty())
            }
            Some(_) => {
                return Err(ApiErr::invalid(
                    format!("note: a text of at most {} characters", crate::protocol::MAX_NOTE),
                    vec![FieldError::new(
                        "$.note",
                        format!("a text of at most {} characters", crate::protocol::MAX_NOTE),
                    )],
                ))
            }
        };
        Ok((base_version, portrait, note))
    })();
    Ok(ParsedSubmission { request_sha, outcome })
}

async fn whoami(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Identity>> {
    Ok(Json(match authenticate(&state, &headers).await? {
        Principal::City { city_id, .. } => Identity { kind: TokenKind::City, city_id: Some(city_id) },
        Principal::Staff { .. } => Identity { kind: TokenKind::Staff, city_id: None },
    }))
}

#[derive(Deserialize)]
struct PageQuery {
    status: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// A position in a list of submissions: the `(created_at, id)` of the row it follows.
type SubmissionPosition = (String, String);

/// A page position as given to clients: opaque (hex of the last row's creation time and id).
fn encode_cursor(at: &str, id: &str) -> String {
    hex::encode(format!("{at}\n{id}"))
}

fn decode_cursor(s: &str) -> Option<SubmissionPosition> {
    let text = String::from_utf8(hex::decode(s).ok()?).ok()?;
    let (at, id) = text.split_once('\n')?;
    Some((at.to_string(), id.to_string()))
}

/// The checked `status` (one or several, comma-separated), `limit` and `after` of a list
/// request.
fn page_params(q: &PageQuery) -> ApiResult<(Vec<SubmissionStatus>, usize, Option<SubmissionPosition>)> {
    let mut status = Vec::new();
    for s in q.status.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parsed = SubmissionStatus::parse(s).ok_or_else(|| {
            let all: Vec<&str> = SubmissionStatus::ALL.iter().map(|x| x.as_str()).collect();
            ApiErr::bad_request(format!("status={s:?}: one or more of {}, separated by commas", all.join(", ")))
        })?;
        if !status.contains(&parsed) {
            status.push(parsed);
        }
    }
    let limit = match q.limit.as_deref() {
        None => DEFAULT_PAGE,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| ApiErr::bad_request(format!("limit={s:?}: use 1 to {MAX_PAGE}")))?,
    };
    let after = match q.after.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            decode_cursor(s)
                .ok_or_else(|| ApiErr::bad_request(format!("after={s:?} is not a position this server gave")))?,
        ),
    };
    Ok((status, limit, after))
}

/// One page of submissions and the cursor of the next page, if more follow.
async fn submissions_page(
    state: &Shared,
    city: Option<String>,
    q: &PageQuery,
) -> ApiResult<(Vec<SubmissionSummary>, Option<String>)> {
    let (status, limit, after) = page_params(q)?;
    state
        .db
        .read(move |store| {
            let after = after.as_ref().map(|(a, i)| (a.as_str(), i.as_str()));
            let (rows, next) = store.submissions_page(city.as_deref(), &status, after, limit)?;
            // A city proposed by staff has submissions before it is published; an id that is
            // neither is unknown.
            if let Some(c) = &city {
                if rows.is_empty() && after.is_none() && store.published_city(c)?.is_none() {
                    return Err(StoreError::NotFound(format!("no city with id {c:?}")).into());
                }
            }
            let next = next.map(|(at, id)| encode_cursor(&at, &id));
            let staff = staff_token_ids(store)?;
            Ok((rows.iter().map(|r| summary(r, &staff)).collect(), next))
        })
        .await
}

async fn get_city_submissions(
    State(state): State<Shared>,
    Path(city_id): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<SubmissionPage>> {
    let who = authenticate(&state, &headers).await?;
    require_city(&who, &city_id)?;
    let (submissions, next) = submissions_page(&state, Some(city_id.clone()), &q).await?;
    Ok(Json(SubmissionPage { city_id: Some(city_id), submissions, next }))
}

async fn list_submissions(
    State(state): State<Shared>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Json<SubmissionPage>> {
    let who = authenticate(&state, &headers).await?;
    require_staff(&who)?;
    let (submissions, next) = submissions_page(&state, None, &q).await?;
    Ok(Json(SubmissionPage { city_id: None, submissions, next }))
}

/// The three-way merge of a submission against the version published now.
/// A submission merged with what is published now. A proposal of a new city (base version 0)
/// is compared with a blank portrait, and with the city's published version if one was
/// published since (its fields then conflict).
fn review_merge(store: &Store, s: &SubmissionRow) -> ApiResult<(merge::Merge, Portrait)> {
    let published = match store.published_city(&s.city_id)? {
        Some(_) => store.portrait(&s.city_id, None)?,
        None if s.base_version == 0 => Portrait::blank(s.portrait.city.clone()),
        None => store.portrait(&s.city_id, None)?,
    };
    let base = if s.base_version == 0 {
        Portrait::blank(s.portrait.city.clone())
    } else {
        store.portrait(&s.city_id, Some(s.base_version))?
    };
    Ok((merge::three_way(&base, &published, &s.portrait), published))
}

async fn get_submission(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<SubmissionDetail>> {
    let who = authenticate(&state, &headers).await?;
    require_staff(&who)?;
    let out = state
        .db
        .write(move |store| {
            let mut s = store.submission(&id)?;
            if s.status == SubmissionStatus::Submitted {
                store.set_submission_status(&id, SubmissionStatus::InReview)?;
                s = store.submission(&id)?;
            }
            let (m, published) = review_merge(store, &s)?;
            let staff = staff_token_ids(store)?;
            let history = store.submission_history(&s.id)?;
            // The changes since the last round a reviewer commented on: that round as the base
            // and as "theirs", this one as "mine".
            let since_last_review = history.iter().rev().find(|h| !h.comments.is_empty()).map(|h| {
                let diff = merge::three_way(&h.portrait, &h.portrait, &s.portrait);
                SinceReview {
                    id: h.id.clone(),
                    round: h.round,
                    diff: diff.fields.into_iter().filter(|f| f.state != merge::FieldState::Unchanged).collect(),
                }
            });
            Ok(SubmissionDetail {
                summary: summary(&s, &staff),
                published_now: published.version,
                conflicts: m.conflicts().map(|c| c.field.clone()).collect(),
                diff: m.fields,
                portrait: s.portrait,
                history: history.iter().map(|h| summary(h, &staff)).collect(),
                since_last_review,
            })
        })
        .await?;
    Ok(Json(out))
}

/// The city block an accepted submission is published with. A new city (nothing published):
/// the proposal's. A city's own submission: the published block. Staff's: the published block
/// with the name, region and year of joining the submission gives (a member list's columns);
/// its awards and country stay the published ones, so that a block read from a stale copy never
/// takes back what was published since.
fn accepted_city(published: &Portrait, submitted: &model::City, from_staff: bool) -> model::City {
    if published.version == 0 {
        return submitted.clone();
    }
    let mut city = published.city.clone();
    if from_staff {
        city.name = submitted.name.clone();
        city.region = submitted.region;
        if submitted.member_since.is_some() {
            city.member_since = submitted.member_since;
        }
    }
    city
}

async fn post_decision(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<SubmissionSummary>> {
    let who = authenticate(&state, &headers).await?;
    require_staff(&who)?;
    let body = read_body(body, &headers, MAX_BODY).await?;
    let d: DecisionRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiErr::invalid(
            format!("decision: {e} (decision: accept, request_changes or reject; resolutions: base, theirs or mine)"),
            vec![FieldError::new("$.decision", e.to_string())],
        )
    })?;
    let status = d.decision.status();
    let comments = d.all_comments();
    if status != SubmissionStatus::Accepted && comments.is_empty() {
        return Err(ApiErr::invalid("say why: a comment is required", vec![FieldError::new("$.comment", "required")]));
    }
    let (version, s) = state
        .db
        .write(move |store| {
            let s = store.submission(&id)?;
            // Said before any merge: a replaced round is never decided, conflicts or not.
            if s.status == SubmissionStatus::Superseded {
                return Err(ApiErr::new(
                    StatusCode::CONFLICT,
                    ErrorCode::Conflict,
                    format!("submission {id}: the city has sent a newer version since: review that one"),
                ));
            }
            let publish = if status == SubmissionStatus::Accepted {
                let (m, published) = review_merge(store, &s)?;
                let mut merged = m.merged.clone();
                let mut open = Vec::new();
                for c in m.conflicts() {
                    match d.resolutions.get(&c.field) {
                        Some(choice) => {
                            merged = merge::resolve(&merged, c, *choice).map_err(|e| ApiErr::invalid(e, vec![]))?
                        }
                        None => {
                            open.push(FieldError::new(
                                format!("$.resolutions[{:?}]", c.field),
                                "changed both here and in the published version: base, theirs or mine",
                            ))
                        }
                    }
                }
                if !open.is_empty() {
                    return Err(ApiErr {
                        fields: open.clone(),
                        ..ApiErr::new(
                            StatusCode::CONFLICT,
                            ErrorCode::Conflict,
                            format!(
                                "version {} was published since this submission's base {}: resolve {} field(s) (resolutions: field → base|theirs|mine)",
                                published.version,
                                s.base_version,
                                open.len()
                            ),
                        )
                    });
                }
                // Staff's city block (a new city, a member list's region or year of joining) is
                // theirs to publish; a city's own submission keeps the published block.
                let from_staff = store.token(&s.token_id)?.is_some_and(|t| t.kind == TokenKind::Staff);
                merged.city = accepted_city(&published, &s.portrait.city, from_staff);
                merged.source = model::Source { booklet: None, published: crate::app::today() };
                // The number it is published as (the store gives the same).
                merged.version = published.version + 1;
                let errs = model::validate_portrait(&merged);
                if !errs.is_empty() {
                    return Err(ApiErr::invalid(format!("the merged portrait is invalid: {}", errs[0]), errs));
                }
                Some(merged)
            } else {
                None
            };
            let version = store.decide_submission(&id, status, &comments, publish.as_ref())?;
            let staff = staff_token_ids(store)?;
            Ok((version, summary(&store.submission(&id)?, &staff)))
        })
        .await?;
    if version.is_some() {
        invalidate(&state);
    }
    tracing::info!(submission = %s.id, decision = %status, published_version = ?version, "decision");
    Ok(Json(s))
}

// ---- tokens (staff) -------------------------------------------------------------------------

fn token_summary(t: crate::store::TokenRow) -> crate::protocol::TokenSummary {
    crate::protocol::TokenSummary {
        id: t.id,
        kind: t.kind,
        city_id: t.city_id,
        created_at: t.created_at,
        revoked_at: t.revoked_at,
    }
}

async fn list_tokens(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<crate::protocol::TokenList>> {
    let who = authenticate(&state, &headers).await?;
    require_staff(&who)?;
    let tokens = state.db.read(|store| Ok(store.tokens()?)).await?;
    Ok(Json(crate::protocol::TokenList { tokens: tokens.into_iter().map(token_summary).collect() }))
}

/// Issues one city token a city, all or none. The secrets are in this answer only.
async fn post_tokens(State(state): State<Shared>, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let who = authenticate(&state, &headers).await?;
    require_staff(&who)?;
    let body = read_body(body, &headers, MAX_BODY).await?;
    let req: crate::protocol::TokenRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiErr::invalid(
            format!("tokens: {e} (send {{\"cities\": [city ids]}})"),
            vec![FieldError::new("$.cities", e.to_string())],
        )
    })?;
    let max = crate::protocol::MAX_TOKENS_AT_ONCE;
    if req.cities.is_empty() || req.cities.len() > max {
        return Err(ApiErr::invalid(
            format!("cities: 1 to {max} city ids, not {}", req.cities.len()),
            vec![FieldError::new("$.cities", format!("1 to {max} city ids"))],
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some((i, c)) = req.cities.iter().enumerate().find(|(_, c)| !seen.insert(c.as_str())) {
        return Err(ApiErr::invalid(
            format!("cities: {c} is named twice"),
            vec![FieldError::new(format!("$.cities[{i}]"), "named twice")],
        ));
    }
    let cities = req.cities.clone();
    let issued = state
        .db
        .write(move |store| {
            let mut unknown: Vec<(usize, &String)> = Vec::new();
            for (i, c) in cities.iter().enumerate() {
                if store.published_city(c)?.is_none() {
                    unknown.push((i, c));
                }
            }
            if !unknown.is_empty() {
                return Err(ApiErr {
                    fields: unknown
                        .iter()
                        .map(|(i, c)| FieldError::new(format!("$.cities[{i}]"), format!("no city {c}")))
                        .collect(),
                    ..ApiErr::new(
                        StatusCode::NOT_FOUND,
                        ErrorCode::NotFound,
                        format!(
                            "no city {}: no token was issued",
                            unknown.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                });
            }
            let made: Vec<(String, String, String, String)> = cities
                .iter()
                .map(|c| {
                    let (id, token, hash) = crate::protocol::new_token();
                    (id, c.clone(), hash, token)
                })
                .collect();
            let rows: Vec<(String, String, String)> =
                made.iter().map(|(id, c, hash, _)| (id.clone(), c.clone(), hash.clone())).collect();
            store.put_city_tokens(&rows)?;
            Ok(made)
        })
        .await?;
    tracing::info!(tokens = issued.len(), "city tokens issued");
    let answer = crate::protocol::NewTokens {
        tokens: issued
            .into_iter()
            .map(|(id, city_id, _, token)| crate::protocol::NewToken { id, city_id, token })
            .collect(),
    };
    let mut r = (StatusCode::CREATED, Json(answer)).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Revokes a token. Revoking one already revoked answers it as it is; the token making the
/// request is not revoked by itself (the window would lock itself out: sign out instead).
async fn revoke_token(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<crate::protocol::TokenSummary>> {
    let who = authenticate(&state, &headers).await?;
    require_staff(&who)?;
    if id == who.token_id() {
        return Err(ApiErr::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!("token {id} is the one this request is made with: revoke it with another staff token"),
        ));
    }
    let row = state
        .db
        .write(move |store| {
            let t = store.token(&id)?.ok_or_else(|| {
                ApiErr::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no token with id {id:?}"))
            })?;
            if t.revoked_at.is_none() {
                store.revoke_token(&id)?;
            }
            Ok(store.token(&id)?.unwrap_or(t))
        })
        .await?;
    tracing::info!(token = %row.id, "token revoked");
    Ok(Json(token_summary(row)))
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
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::TooLarge,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::Timeout,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::InvalidInput,
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
    ApiErr::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such endpoint")
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

/// The router, with its state and the default limits: used by tests and benchmarks.
pub fn router(store: Store, public_url: &str, request_timeout: Duration) -> Router {
    router_with(store, public_url, request_timeout, &Limits::default())
}

/// The router, with its state.
pub fn router_with(mut store: Store, public_url: &str, request_timeout: Duration, limits: &Limits) -> Router {
    if let Err(e) = store.ensure_catalog_id() {
        tracing::error!(error = %e, "cannot name the catalogue");
    }
    let state: Shared = Arc::new(AppState {
        db: Db::new(store, limits),
        cache: RwLock::new(None),
        public_url: public_url.trim_end_matches('/').to_string(),
        limiter: RateLimiter {
            rate: limits.rate_per_sec,
            burst: f64::from(limits.rate_burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        },
        limits: limits.clone(),
    });
    Router::new()
        .route("/v1/feed.json", get(get_feed))
        .route("/v1/changes", get(get_changes))
        .route("/v1/media/{sha256}", get(get_media))
        .route("/v1/cities/{city_id}/media/{sha256}", put(put_media))
        .route("/v1/cities/{city_id}/submissions", post(post_submission).get(get_city_submissions))
        .route("/v1/whoami", get(whoami))
        .route("/v1/submissions", get(list_submissions))
        .route("/v1/submissions/{id}", get(get_submission))
        .route("/v1/submissions/{id}/decision", post(post_decision))
        .route("/v1/tokens", get(list_tokens).post(post_tokens))
        .route("/v1/tokens/{id}/revoke", post(revoke_token))
        .fallback(not_found)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(log_requests))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (for at most `grace`).
///
/// Each connection is HTTP/1.1 with hyper's header read timeout (`Limits::header_timeout`: a
/// request head must arrive in that time, on a new connection and between the requests of a
/// kept-alive one) and a head size limit. At most `Limits::max_connections` are served at once:
/// the loop takes a permit before it accepts, so connections over the cap wait in the kernel's
/// listen backlog (and time out there on the client's side) rather than being accepted and
/// dropped.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &Limits,
    grace: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ServerError> {
    use hyper::server::conn::http1;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let max = limits.max_connections.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    let (close_tx, close_rx) = tokio::sync::watch::channel(false);
    let header_timeout = limits.header_timeout;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, _remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // keep serving the others.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut close = close_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_header_size(MAX_HEADER_BYTES)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let mut closing = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended");
                        }
                        break;
                    }
                    changed = close.changed(), if !closing => {
                        closing = true;
                        if changed.is_ok() {
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = close_tx.send(true);
    // Every connection gives its permit back when it ends.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, permits.acquire_many(all)).await.is_err() {
        tracing::warn!("connections still open after the grace period: closing them");
    }
    Ok(())
}

/// Runs the server until SIGINT or SIGTERM; requests in flight finish first.
pub fn serve(store: Store, config: &Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServerError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Bind { addr: config.addr, source })?;
        let addr = listener.local_addr()?;
        let app = router_with(store, &config.public_url, config.request_timeout, &config.limits);
        ready(addr);
        tracing::info!(%addr, public_url = %config.public_url, "serving");
        let grace = config.request_timeout + config.limits.header_timeout;
        serve_on(listener, app, &config.limits, grace, shutdown_signal()).await
    })
}

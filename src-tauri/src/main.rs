//! The desktop window: a thin Tauri 2 shell over the `portraits` core. Each command calls one
//! use case in `portraits::app` and maps its error to the UI's `{code, message, fields}`.
//!
//! Threading: no command runs on the main (GTK) thread's time. A plain `#[tauri::command] fn`
//! would run there, so every command that touches the database, the keyring, the disk or the
//! network is `async` and runs its body on Tauri's blocking pool (`spawn_blocking`). The
//! window's own connection (`Shared::store`) is locked only for the database work itself, never
//! across a keyring call or a network request. Sync runs on a background thread with its own
//! connection, on a timer and on demand, with bounded requests and a cancel flag, and reports
//! what it is doing through the `sync-status` event; booklet export reports `export-progress`,
//! a restore `restore-progress`. No business rules here.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, TryLockError};
use std::time::{Duration, Instant};

use portraits::app::{self, ApiError, ErrorCode, Settings, SettingsView, SyncRequest, SyncStatus};
use portraits::model::{booklet::BookletDef, markdown, merge::Choice, merge::FieldDiff, FieldError, Portrait};
use portraits::protocol::{DecisionRequest, SubmissionDetail, SubmissionStatus, SubmissionSummary};
use portraits::store::{
    CityFilter, CitySummary, Draft, OutboxEntry, QuarantineEntry, SearchHit, SearchQuery, SortBy, Store,
};
use serde::Serialize;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_dialog::DialogExt;

type Res<T> = Result<T, ApiError>;

/// One request to the server may take this long (the core's default is 120 s, for the CLI).
const SYNC_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts per request (the core's default is 5).
const SYNC_ATTEMPTS: u32 = 3;

struct Shared {
    db: PathBuf,
    /// The window's own connection, for the commands. `None` only while a restore swaps the file.
    store: Mutex<Option<Store>>,
    /// What the sync indicator shows, and since when the running sync runs.
    status: Mutex<(SyncStatus, Option<Instant>)>,
    wake: (Mutex<bool>, Condvar),
    exported: Mutex<HashSet<PathBuf>>,
    started: Instant,
    /// Every connection other than `store` (the background sync's, a booklet preview's or
    /// export's, a backup's, the submissions fetch's) is opened and used under a read lock;
    /// a restore takes the write lock, so it never replaces the file under an open connection.
    file_lock: RwLock<()>,
    /// Stops the background sync between requests (a restore sets it; so does quitting).
    cancel: Arc<AtomicBool>,
    /// Set while a restore waits for or holds `file_lock`: no sync starts meanwhile.
    restoring: AtomicBool,
    /// This process's hold on the database file (`app::hold_database`), so that a restore from
    /// another process (`portraits restore`) is refused while the window runs. Released only
    /// during the window's own restore.
    hold: Mutex<Option<app::DatabaseHold>>,
}

fn internal(m: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Internal, m)
}

/// Runs `f` on Tauri's blocking pool: never on the main thread, never on an async worker.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Res<T> + Send + 'static) -> Res<T> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(|e| internal(e.to_string()))?
}

/// Runs `f` with the window's connection, on the blocking pool.
async fn db<T: Send + 'static>(
    state: &State<'_, Arc<Shared>>,
    f: impl FnOnce(&mut Store) -> app::Result<T> + Send + 'static,
) -> Res<T> {
    let shared = Arc::clone(state.inner());
    blocking(move || with_store(&shared, f)).await
}

fn with_store<T>(state: &Shared, f: impl FnOnce(&mut Store) -> app::Result<T>) -> Res<T> {
    let mut guard = state.store.lock().map_err(|_| internal("database lock poisoned"))?;
    let store = guard.as_mut().ok_or_else(|| ApiError::new(ErrorCode::Storage, "the database is being restored"))?;
    f(store)
}

/// Runs `f` with a connection of its own (under `file_lock`, see there), so that long work
/// (typesetting, a backup, a network request) never holds the window's connection.
fn with_own_connection<T>(shared: &Shared, f: impl FnOnce(&mut Store) -> app::Result<T>) -> Res<T> {
    let _file = shared.file_lock.read().map_err(|_| internal("file lock poisoned"))?;
    let (mut store, _) = Store::open(&shared.db)?;
    f(&mut store)
}

/// The settings, read under the lock and returned with the lock released.
fn read_settings(shared: &Shared) -> Res<Settings> {
    with_store(shared, |s| Ok(app::settings(s)))
}

fn pending_count(store: &Store) -> app::Result<u32> {
    Ok(app::outbox(store)?.iter().filter(|e| e.status == portraits::store::OutboxStatus::Pending).count() as u32)
}

// ---- catalogue ------------------------------------------------------------------------------

#[tauri::command]
async fn list_cities(state: State<'_, Arc<Shared>>, filter: CityFilter, sort: SortBy) -> Res<Vec<CitySummary>> {
    db(&state, move |s| app::list(s, &filter, sort)).await
}

#[tauri::command]
async fn search(state: State<'_, Arc<Shared>>, query: SearchQuery) -> Res<Vec<SearchHit>> {
    db(&state, move |s| app::search(s, &query)).await
}

/// The cities most like this one, with the reasons (the partner finder).
#[tauri::command]
async fn partners(
    state: State<'_, Arc<Shared>>,
    city_id: String,
    limit: usize,
    region: Option<portraits::model::Region>,
) -> Res<Vec<portraits::model::similar::Partner>> {
    db(&state, move |s| app::partners(s, &city_id, limit, region)).await
}

#[tauri::command]
async fn show_city(state: State<'_, Arc<Shared>>, city_id: String, version: Option<u32>) -> Res<app::PortraitView> {
    db(&state, move |s| app::show(s, &city_id, version)).await
}

#[tauri::command]
async fn version_diff(state: State<'_, Arc<Shared>>, city_id: String, from: u32, to: u32) -> Res<Vec<FieldDiff>> {
    db(&state, move |s| app::version_diff(s, &city_id, from, to)).await
}

// Pure functions (no database, disk, keyring or network), still off the main thread.
#[tauri::command]
async fn render_markdown(text: String) -> Vec<markdown::Block> {
    markdown::parse(&text)
}

#[tauri::command]
async fn validate_portrait(portrait: serde_json::Value) -> Vec<FieldError> {
    match portraits::model::validate::parse_portrait_value(&portrait) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}

// ---- drafts and submissions ------------------------------------------------------------------

#[tauri::command]
async fn get_draft(state: State<'_, Arc<Shared>>, city_id: String) -> Res<Option<Draft>> {
    db(&state, move |s| app::draft(s, &city_id)).await
}

#[tauri::command]
async fn save_draft(
    state: State<'_, Arc<Shared>>,
    city_id: String,
    portrait: Portrait,
    revision: Option<u64>,
    typed: Option<std::collections::BTreeMap<String, String>>,
) -> Res<app::SavedDraft> {
    db(&state, move |s| app::save_draft_portrait(s, &city_id, portrait, revision, &typed.unwrap_or_default())).await
}

#[tauri::command]
async fn resolve_conflict(state: State<'_, Arc<Shared>>, city_id: String, field: String, choice: Choice) -> Res<Draft> {
    db(&state, move |s| app::resolve_conflict(s, &city_id, &field, choice)).await
}

#[tauri::command]
async fn discard_draft(state: State<'_, Arc<Shared>>, city_id: String) -> Res<bool> {
    db(&state, move |s| app::discard_draft(s, &city_id)).await
}

#[derive(Serialize)]
struct AddedPhoto {
    sha256: String,
    mime: String,
}

#[tauri::command]
async fn add_photo(state: State<'_, Arc<Shared>>, path: String) -> Res<AddedPhoto> {
    db(&state, move |s| app::add_media(s, Path::new(&path))).await.map(|(sha256, mime)| AddedPhoto { sha256, mime })
}

/// The feed URL and its token. The settings are read under the lock; the token (the OS
/// keyring, over D-Bus, or the credentials file) is read after it is released.
fn feed_and_token(shared: &Shared) -> Res<(String, String)> {
    let feed = read_settings(shared)?
        .feed_url
        .ok_or_else(|| ApiError::invalid("set the feed URL in Settings first", vec![]))?;
    let token = app::saved_token(&feed)?
        .ok_or_else(|| ApiError::invalid("sign in with your token in Settings first", vec![]))?;
    Ok((feed, token))
}

/// Queues the draft for review and returns at once (`pending`): no network here. The
/// background sync, woken now, sends the outbox.
#[tauri::command]
async fn submit(
    app_handle: AppHandle,
    state: State<'_, Arc<Shared>>,
    city_id: String,
    note: Option<String>,
) -> Res<app::Submitted> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        // A token is needed to send it later: say so now rather than queue it for nobody.
        feed_and_token(&shared)?;
        let (entry, pending) = with_store(&shared, |s| {
            let entry = app::queue_submission(s, &city_id, note.as_deref())?;
            Ok((entry, pending_count(s)?))
        })?;
        set_status(&app_handle, &shared, |st| st.pending = pending);
        wake(&shared);
        Ok(app::Submitted {
            outbox_id: entry.id,
            idempotency_key: entry.idempotency_key,
            status: entry.status,
            submission_id: entry.submission_id,
            error: entry.last_error,
        })
    })
    .await
}

#[tauri::command]
async fn outbox(state: State<'_, Arc<Shared>>) -> Res<Vec<OutboxEntry>> {
    db(&state, |s| app::outbox(s)).await
}

/// The remote updates the sync holds back, with why.
#[tauri::command]
async fn held_back(state: State<'_, Arc<Shared>>) -> Res<Vec<QuarantineEntry>> {
    db(&state, |s| app::held_back(s)).await
}

#[derive(Serialize)]
struct Submissions {
    live: bool,
    submissions: Vec<SubmissionSummary>,
}

/// A city's submissions, from the server when it answers within 10 s, else the last known.
/// The request runs on a connection of its own: the window's stays free meanwhile.
#[tauri::command]
async fn submissions(state: State<'_, Arc<Shared>>, city_id: String) -> Res<Submissions> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let feed = read_settings(&shared)?.feed_url;
        let token = match &feed {
            Some(f) => app::saved_token(f)?,
            None => None,
        };
        let opts = portraits::sync::Options {
            retry: portraits::sync::Retry { attempts: 1, ..Default::default() },
            timeout: Duration::from_secs(10),
            cancel: shared.cancel.clone(),
            ..Default::default()
        };
        with_own_connection(&shared, |s| app::submissions(s, &city_id, feed.as_deref(), token.as_deref(), &opts))
    })
    .await
    .map(|(submissions, live)| Submissions { live, submissions })
}

/// The review inbox (staff): every submission with one of `statuses`, or all.
#[tauri::command]
async fn review_list(state: State<'_, Arc<Shared>>, statuses: Vec<SubmissionStatus>) -> Res<Vec<SubmissionSummary>> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, token) = feed_and_token(&shared)?;
        app::review_list(&feed, &token, &statuses)
    })
    .await
}

/// One submission with its diff (staff).
#[tauri::command]
async fn review_show(state: State<'_, Arc<Shared>>, id: String) -> Res<SubmissionDetail> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, token) = feed_and_token(&shared)?;
        app::review_show(&feed, &token, &id)
    })
    .await
}

/// A decision on a submission (staff).
#[tauri::command]
async fn review_decide(state: State<'_, Arc<Shared>>, id: String, decision: DecisionRequest) -> Res<SubmissionSummary> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, token) = feed_and_token(&shared)?;
        app::review_decide(&feed, &token, &id, &decision)
    })
    .await
}

// ---- booklets -------------------------------------------------------------------------------

#[tauri::command]
async fn booklets(state: State<'_, Arc<Shared>>) -> Res<Vec<app::BookletInfo>> {
    db(&state, |s| app::booklet_list(s)).await
}

/// Saves a booklet: `new` ones never replace another (a taken id is `conflict`).
#[tauri::command]
async fn save_booklet(state: State<'_, Arc<Shared>>, booklet: BookletDef, new: bool) -> Res<BookletDef> {
    db(&state, move |s| app::save_booklet(s, &booklet, new)).await
}

#[tauri::command]
async fn duplicate_booklet(state: State<'_, Arc<Shared>>, id: String) -> Res<app::BookletInfo> {
    db(&state, move |s| app::duplicate_booklet(s, &id)).await
}

#[tauri::command]
async fn delete_booklet(state: State<'_, Arc<Shared>>, id: String) -> Res<()> {
    db(&state, move |s| app::delete_booklet(s, &id)).await
}

#[derive(Serialize)]
struct Preview {
    pages: Vec<String>,
    total: usize,
}

#[tauri::command]
async fn preview_booklet(
    state: State<'_, Arc<Shared>>,
    booklet: BookletDef,
    max_pages: usize,
    lang: Option<String>,
) -> Res<Preview> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let lang = app::booklet_lang(lang.as_deref())?;
        with_own_connection(&shared, |store| {
            app::preview_booklet(store, &app::BookletSource::Def(Box::new(booklet)), max_pages.min(24), lang)
        })
    })
    .await
    .map(|(pages, total)| Preview { pages, total })
}

#[derive(Clone, Serialize)]
struct ExportProgress {
    page: usize,
    pages: usize,
}

#[tauri::command]
async fn export_booklet(
    app_handle: AppHandle,
    state: State<'_, Arc<Shared>>,
    booklet: BookletDef,
    path: String,
    print: Option<app::PrintRequest>,
    lang: Option<String>,
) -> Res<app::PdfExport> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let lang = app::booklet_lang(lang.as_deref())?;
        // Its own connection: the window stays responsive while the PDF is typeset.
        let out = with_own_connection(&shared, |store| {
            let date = app::export_date(None)?;
            let mut progress = |page: usize, pages: usize| {
                let _ = app_handle.emit("export-progress", ExportProgress { page, pages });
            };
            let source = app::BookletSource::Def(Box::new(booklet));
            app::export_pdf_for(store, &source, Path::new(&path), date, print.map(Into::into), lang, &mut progress)
        })?;
        if let Ok(mut set) = shared.exported.lock() {
            set.insert(PathBuf::from(&out.file));
        }
        Ok(out)
    })
    .await
}

/// Opens a PDF this window exported (and only those), or shows it in its folder.
#[tauri::command]
async fn open_export(state: State<'_, Arc<Shared>>, path: String, reveal: bool) -> Res<()> {
    let p = PathBuf::from(&path);
    let known = state.exported.lock().map(|s| s.contains(&p)).unwrap_or(false);
    if !known {
        return Err(ApiError::invalid("only a PDF exported in this session can be opened from here", vec![]));
    }
    blocking(move || {
        let r = if reveal {
            tauri_plugin_opener::reveal_item_in_dir(&p)
        } else {
            tauri_plugin_opener::open_path(&p, None::<&str>)
        };
        r.map_err(|e| ApiError::new(ErrorCode::Io, format!("{path}: {e}")))
    })
    .await
}

// ---- settings and sync ----------------------------------------------------------------------

fn settings_view(shared: &Shared, settings: Settings) -> SettingsView {
    app::settings_view(&shared.db, settings)
}

#[tauri::command]
async fn get_settings(state: State<'_, Arc<Shared>>) -> Res<SettingsView> {
    let shared = Arc::clone(state.inner());
    blocking(move || Ok(settings_view(&shared, read_settings(&shared)?))).await
}

#[tauri::command]
async fn set_settings(state: State<'_, Arc<Shared>>, feed_url: Option<String>, sync_minutes: u32) -> Res<SettingsView> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let st = with_store(&shared, |s| app::set_settings(s, feed_url.as_deref(), sync_minutes))?;
        wake(&shared);
        Ok(settings_view(&shared, st))
    })
    .await
}

/// Signs in: the server says who the token is (network), the keyring keeps it; no lock held
/// meanwhile.
#[tauri::command]
async fn sign_in(state: State<'_, Arc<Shared>>, token: String) -> Res<SettingsView> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let feed = read_settings(&shared)?.feed_url.ok_or_else(|| {
            ApiError::invalid("set the feed URL first", vec![FieldError::new("$.feed_url", "required")])
        })?;
        let who = app::sign_in(&feed, &token)?;
        let st = with_store(&shared, |s| app::set_identity(s, Some(who)))?;
        Ok(settings_view(&shared, st))
    })
    .await
}

#[tauri::command]
async fn sign_out(state: State<'_, Arc<Shared>>) -> Res<SettingsView> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        if let Some(f) = read_settings(&shared)?.feed_url {
            app::forget_token(&f)?; // the keyring: no lock held
        }
        let st = with_store(&shared, |s| app::set_identity(s, None))?;
        Ok(settings_view(&shared, st))
    })
    .await
}

#[tauri::command]
async fn sync_status(state: State<'_, Arc<Shared>>) -> Res<SyncStatus> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (pending, held) = with_store(&shared, |s| Ok((pending_count(s)?, app::held_back(s)?.len() as u32)))?;
        let mut st = shared.status.lock().map_err(|_| internal("status lock"))?.0.clone();
        st.pending = pending;
        st.held = held;
        Ok(st)
    })
    .await
}

fn request_sync(shared: &Shared) -> Res<SyncRequest> {
    let feed = read_settings(shared)?.feed_url;
    {
        let guard = shared.status.lock().map_err(|_| internal("status lock"))?;
        let (st, since) = &*guard;
        let secs = since.map(|t| t.elapsed().as_secs()).unwrap_or(0);
        if let Some(refused) = st.refuse_sync(secs, feed.as_deref()) {
            return Ok(refused);
        }
    }
    wake(shared);
    Ok(SyncRequest::started(feed.as_deref()))
}

#[tauri::command]
async fn sync_now(state: State<'_, Arc<Shared>>) -> Res<SyncRequest> {
    let shared = Arc::clone(state.inner());
    blocking(move || request_sync(&shared)).await
}

fn wake(shared: &Shared) {
    if let Ok(mut w) = shared.wake.0.lock() {
        *w = true;
        shared.wake.1.notify_all();
    }
}

/// A backup, on a connection of its own (the SQLite online backup API).
#[tauri::command]
async fn backup(state: State<'_, Arc<Shared>>, path: String) -> Res<()> {
    let shared = Arc::clone(state.inner());
    blocking(move || with_own_connection(&shared, |s| app::backup(s, Path::new(&path)))).await
}

#[derive(Clone, Serialize)]
struct RestoreProgress {
    /// In English, for logs; the window words `code`.
    message: String,
    /// `waiting_for_sync` (with `feed` when known), `waiting_for_task` or `restoring`.
    code: &'static str,
    feed: Option<String>,
}

/// Replaces the database with a backup. A running sync is cancelled and waited for (it stops at
/// its next check, at most one request timeout later; the UI is told what it waits for), as is
/// any other connection of this process; then the window's connection is closed, this
/// process's hold released, the file replaced by `app::restore_database`, and the connection
/// and the hold taken again, whatever the outcome.
#[tauri::command]
async fn restore(app_handle: AppHandle, state: State<'_, Arc<Shared>>, path: String) -> Res<()> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        shared.restoring.store(true, Ordering::SeqCst);
        shared.cancel.store(true, Ordering::SeqCst);
        let result = restore_now(&app_handle, &shared, Path::new(&path));
        shared.cancel.store(false, Ordering::SeqCst);
        shared.restoring.store(false, Ordering::SeqCst);
        result
    })
    .await
}

fn restore_now(app_handle: &AppHandle, shared: &Shared, backup: &Path) -> Res<()> {
    let say = |code: &'static str, feed: Option<String>, message: String| {
        let _ = app_handle.emit("restore-progress", RestoreProgress { message, code, feed });
    };
    let _file = match shared.file_lock.try_write() {
        Ok(g) => g,
        Err(TryLockError::WouldBlock) => {
            let st = shared.status.lock().map(|s| s.0.clone()).unwrap_or_default();
            if st.syncing {
                let message = match &st.feed {
                    Some(f) => format!("Waiting for the running sync with {f} to stop…"),
                    None => "Waiting for the running sync to stop…".into(),
                };
                say("waiting_for_sync", st.feed.clone(), message);
            } else {
                say(
                    "waiting_for_task",
                    None,
                    "Waiting for a booklet export, backup or submissions request to finish…".into(),
                );
            }
            shared.file_lock.write().map_err(|_| internal("file lock poisoned"))?
        }
        Err(TryLockError::Poisoned(_)) => return Err(internal("file lock poisoned")),
    };
    say("restoring", None, "Restoring…".into());
    let mut guard = shared.store.lock().map_err(|_| internal("database lock poisoned"))?;
    let mut hold = shared.hold.lock().map_err(|_| internal("hold lock poisoned"))?;
    *guard = None; // close the connection before the file is replaced
    *hold = None; // and let go of this process's hold, which `restore_database` would refuse
    let result = app::restore_database(&shared.db, backup);
    let held = app::hold_database(&shared.db);
    let reopened = Store::open(&shared.db);
    match held {
        Ok(h) => *hold = Some(h),
        Err(e) => eprintln!("portraits-desktop: cannot hold the database again: {}", e.message),
    }
    *guard = Some(reopened.map_err(ApiError::from)?.0);
    result
}

// ---- the member list (staff) ----------------------------------------------------------------

#[derive(Clone, serde::Serialize)]
struct TableProgress {
    rows: usize,
    of: usize,
}

/// Reads a member list and says what it would do, on a connection of its own (a long sheet
/// never holds the window's), with progress events.
#[tauri::command]
async fn preview_table(app_handle: AppHandle, state: State<'_, Arc<Shared>>, path: String) -> Res<app::TableReport> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        with_own_connection(&shared, |store| {
            let mut progress = |rows, of| {
                let _ = app_handle.emit("table-progress", TableProgress { rows, of });
            };
            app::table::preview_table(store, Path::new(&path), &mut progress)
        })
    })
    .await
}

/// Queues the previewed member list's rows for review and wakes the sync, which sends them.
#[tauri::command]
async fn send_table(
    app_handle: AppHandle,
    state: State<'_, Arc<Shared>>,
    path: String,
    plan_sha256: String,
) -> Res<app::TableQueued> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, _) = feed_and_token(&shared)?;
        let queued = with_own_connection(&shared, |store| {
            let mut progress = |rows, of| {
                let _ = app_handle.emit("table-progress", TableProgress { rows, of });
            };
            app::queue_previewed_table(store, Path::new(&path), &plan_sha256, &feed, &mut progress)
        })?;
        let pending = with_store(&shared, |s| pending_count(s))?;
        set_status(&app_handle, &shared, |st| st.pending = pending);
        wake(&shared);
        Ok(queued)
    })
    .await
}

#[tauri::command]
async fn write_table_template(path: String) -> Res<()> {
    blocking(move || app::write_template(Path::new(&path))).await
}

// ---- tokens and invitations (staff) ---------------------------------------------------------

/// Every token the server issued (never a secret). Network: no lock held.
#[tauri::command]
async fn staff_tokens(state: State<'_, Arc<Shared>>) -> Res<Vec<app::StaffToken>> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, token) = feed_and_token(&shared)?;
        app::staff_tokens(&feed, &token)
    })
    .await
}

#[tauri::command]
async fn staff_revoke_token(state: State<'_, Arc<Shared>>, id: String) -> Res<portraits::protocol::TokenSummary> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, token) = feed_and_token(&shared)?;
        app::staff_revoke(&feed, &token, &id)
    })
    .await
}

/// Issues a token for each city through the server and writes the invitations into `dir`;
/// the catalogue is read on a connection of its own.
#[tauri::command]
async fn staff_invite(state: State<'_, Arc<Shared>>, cities: Vec<String>, dir: String) -> Res<app::InviteReport> {
    let shared = Arc::clone(state.inner());
    blocking(move || {
        let (feed, token) = feed_and_token(&shared)?;
        with_own_connection(&shared, |store| app::staff_invite(store, &feed, &token, &cities, Path::new(&dir)))
    })
    .await
}

/// A folder to save into without asking: set by the WebDriver tests (`PORTRAITS_DIALOG_DIR`),
/// which cannot drive the native file dialog. Unset for users.
#[tauri::command]
fn dialog_dir() -> Option<String> {
    std::env::var("PORTRAITS_DIALOG_DIR").ok().filter(|d| !d.is_empty())
}

/// Milliseconds since the process started: the e2e run reads it to measure cold start.
#[tauri::command]
fn uptime_ms(state: State<'_, Arc<Shared>>) -> u64 {
    state.started.elapsed().as_millis() as u64
}

/// The background sync's options: every request bounded (20 s, 3 attempts), the whole pull
/// bounded, and the shared cancel flag. `PORTRAITS_HTTP_TIMEOUT` (seconds),
/// `PORTRAITS_RETRY_ATTEMPTS` and `PORTRAITS_RETRY_BASE_MS` tune them, as for the CLI.
fn sync_options(cancel: Arc<AtomicBool>) -> portraits::sync::Options {
    let mut o = portraits::sync::Options {
        timeout: SYNC_TIMEOUT,
        deadline: Duration::from_secs(10 * 60),
        cancel,
        ..Default::default()
    };
    o.retry.attempts = SYNC_ATTEMPTS;
    o.with_env(Duration::from_secs(120))
}

fn set_status(app: &AppHandle, shared: &Shared, f: impl FnOnce(&mut SyncStatus)) {
    if let Ok(mut st) = shared.status.lock() {
        f(&mut st.0);
        st.1 = st.0.syncing.then(|| st.1.unwrap_or_else(Instant::now));
        let _ = app.emit("sync-status", st.0.clone());
    }
}

/// One sync with the feed, on a connection of its own under `file_lock`.
fn sync_once(app: &AppHandle, shared: &Shared, feed: &str) -> Option<app::Result<app::SyncSummary>> {
    let Ok(_file) = shared.file_lock.read() else { return Some(Err(internal("file lock poisoned"))) };
    if shared.restoring.load(Ordering::SeqCst) {
        return None;
    }
    set_status(app, shared, |st| st.start(feed, portraits::store::now_rfc3339()));
    let opts = sync_options(shared.cancel.clone());
    let result = (|| {
        let (mut store, _) = Store::open(&shared.db)?;
        let token = app::saved_token(feed)?;
        let mut progress = |p: portraits::sync::Progress| {
            set_status(app, shared, |st| st.progress(p.phase, p.message, feed, token.is_some()))
        };
        app::sync_now(&mut store, feed, token.as_deref(), &opts, &mut progress)
    })();
    Some(result)
}

/// The background sync: on start, on the timer from the settings, and when woken. Every sync
/// ends: each request is bounded by `sync_options`, and a restore cancels it.
fn sync_loop(app: AppHandle, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        let interval = read_settings(&shared).map(|s| s.sync_minutes).unwrap_or(15);
        if !first {
            let (lock, cv) = &shared.wake;
            let Ok(mut woken) = lock.lock() else { return };
            let deadline = Instant::now() + Duration::from_secs(u64::from(interval) * 60);
            while !*woken && Instant::now() < deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                woken = match cv.wait_timeout(woken, left) {
                    Ok((w, _)) => w,
                    Err(_) => return,
                };
            }
            *woken = false;
        }
        first = false;
        let Some(feed) = read_settings(&shared).ok().and_then(|s| s.feed_url) else { continue };
        let Some(result) = sync_once(&app, &shared, &feed) else { continue };
        let cancelled = shared.cancel.load(Ordering::SeqCst);
        let now = portraits::store::now_rfc3339();
        set_status(&app, &shared, |st| st.finish(result.as_ref(), cancelled, now));
    }
}

/// The words of the window's menu, in the window's language (the UI sends them when its
/// language is set or changes; English until then).
#[derive(Debug, Clone, serde::Deserialize)]
struct MenuLabels {
    file: String,
    sync: String,
    quit: String,
    go: String,
    cities: String,
    map: String,
    submissions: String,
    booklets: String,
    settings: String,
    help: String,
    about: String,
    /// The About box: its title, and its text with `{version}` where the version goes.
    about_title: String,
    about_text: String,
}

impl Default for MenuLabels {
    fn default() -> Self {
        let s = |t: &str| t.to_string();
        MenuLabels {
            file: s("File"),
            sync: s("Sync now"),
            quit: s("Quit"),
            go: s("Go"),
            cities: s("Cities"),
            map: s("Map"),
            submissions: s("Submissions"),
            booklets: s("Booklets"),
            settings: s("Settings"),
            help: s("Help"),
            about: s("About Learning City Portraits"),
            about_title: s("About"),
            about_text: s("Learning City Portraits {version}\n\nThe portraits of the UNESCO Global Network of Learning Cities, offline.\nCode: MIT. Portraits: CC-BY-SA 3.0 IGO, UNESCO Institute for Lifelong Learning. Fonts: Noto Sans, SIL OFL 1.1."),
        }
    }
}

/// The window's menu: File (Sync now, Quit), Go (the screens, with shortcuts), Help (About).
fn build_menu<M: Manager<tauri::Wry>>(app: &M, l: &MenuLabels) -> tauri::Result<Menu<tauri::Wry>> {
    let sync = MenuItem::with_id(app, "sync", &l.sync, true, Some("CmdOrCtrl+R"))?;
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = PredefinedMenuItem::quit(app, Some(&l.quit))?;
    let file = Submenu::with_items(app, &l.file, true, &[&sync, &separator, &quit])?;
    let screens = [
        ("cities", &l.cities, "CmdOrCtrl+1"),
        ("map", &l.map, "CmdOrCtrl+2"),
        ("submissions", &l.submissions, "CmdOrCtrl+3"),
        ("booklets", &l.booklets, "CmdOrCtrl+4"),
        ("settings", &l.settings, "CmdOrCtrl+5"),
    ];
    let mut items = Vec::new();
    for (id, label, accel) in screens {
        items.push(MenuItem::with_id(app, format!("go:{id}"), label, true, Some(accel))?);
    }
    let refs: Vec<&dyn tauri::menu::IsMenuItem<tauri::Wry>> =
        items.iter().map(|i| i as &dyn tauri::menu::IsMenuItem<tauri::Wry>).collect();
    let go = Submenu::with_items(app, &l.go, true, &refs)?;
    let about = MenuItem::with_id(app, "about", &l.about, true, None::<&str>)?;
    let help = Submenu::with_items(app, &l.help, true, &[&about])?;
    Menu::with_items(app, &[&file, &go, &help])
}

/// The window's language changed: the menu and the window's title say it in that language.
/// Not async: menus are built on the main thread, and this waits for nothing.
#[tauri::command]
fn set_menu_labels(app: AppHandle, labels: MenuLabels, title: String) -> Res<()> {
    let menu = build_menu(&app, &labels).map_err(|e| internal(format!("menu: {e}")))?;
    app.set_menu(menu).map_err(|e| internal(format!("menu: {e}")))?;
    if let Ok(mut kept) = app.state::<Mutex<MenuLabels>>().lock() {
        *kept = labels;
    }
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&title);
    }
    Ok(())
}

fn db_path() -> Res<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--db" {
            return args.next().map(PathBuf::from).ok_or_else(|| ApiError::invalid("--db needs a path", vec![]));
        }
        if let Some(p) = a.strip_prefix("--db=") {
            return Ok(PathBuf::from(p));
        }
    }
    match std::env::var_os("PORTRAITS_DB") {
        Some(p) => Ok(PathBuf::from(p)),
        None => app::default_db_path(),
    }
}

/// Opens the database and takes this process's hold on it; exits with the error otherwise.
fn open_shared(started: Instant) -> Arc<Shared> {
    let opened = db_path().and_then(|db| {
        let store = app::open(Some(&db), true)?;
        // Held for as long as the window runs: `portraits restore` from another process is
        // refused meanwhile (it would swap the file under this process's connections).
        let hold = app::hold_database(&db)?;
        Ok((db, store, hold))
    });
    let (db, store, hold) = match opened {
        Ok(x) => x,
        Err(e) => {
            eprintln!("portraits-desktop: error: {}", e.message);
            std::process::exit(e.exit_code());
        }
    };
    Arc::new(Shared {
        db,
        store: Mutex::new(Some(store)),
        status: Mutex::new((SyncStatus::default(), None)),
        wake: (Mutex::new(false), Condvar::new()),
        exported: Mutex::new(HashSet::new()),
        started,
        file_lock: RwLock::new(()),
        cancel: Arc::new(AtomicBool::new(false)),
        restoring: AtomicBool::new(false),
        hold: Mutex::new(Some(hold)),
    })
}

/// A click in the window's menu.
fn on_menu(app: &AppHandle, shared: &Arc<Shared>, id: &str) {
    if id == "sync" {
        // Off the main thread: it reads the settings; the UI shows the answer.
        let (app, shared) = (app.clone(), shared.clone());
        tauri::async_runtime::spawn_blocking(move || {
            if let Ok(answer) = request_sync(&shared) {
                let _ = app.emit("sync-note", answer);
            }
        });
    } else if let Some(screen) = id.strip_prefix("go:") {
        let _ = app.emit("navigate", screen);
    } else if id == "about" {
        let labels = app.state::<Mutex<MenuLabels>>().lock().map(|l| l.clone()).unwrap_or_default();
        app.dialog()
            .message(labels.about_text.replace("{version}", env!("CARGO_PKG_VERSION")))
            .title(labels.about_title)
            .show(|_| {});
    }
}

/// Starts the background sync and the menu once the app is up.
fn setup(app: &mut tauri::App, shared: Arc<Shared>, stop: Arc<AtomicBool>) -> tauri::Result<()> {
    let handle = app.handle().clone();
    let menu_shared = shared.clone();
    std::thread::spawn(move || sync_loop(handle, shared, stop));
    app.manage(Mutex::new(MenuLabels::default()));
    app.set_menu(build_menu(app, &MenuLabels::default())?)?;
    app.on_menu_event(move |app, event| on_menu(app, &menu_shared, event.id().as_ref()));
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title("Learning City Portraits");
    }
    Ok(())
}

/// Every command the window may call.
fn commands() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        set_menu_labels,
        list_cities,
        search,
        show_city,
        version_diff,
        render_markdown,
        validate_portrait,
        get_draft,
        save_draft,
        resolve_conflict,
        discard_draft,
        add_photo,
        submit,
        outbox,
        held_back,
        submissions,
        review_list,
        review_show,
        review_decide,
        booklets,
        save_booklet,
        partners,
        duplicate_booklet,
        delete_booklet,
        preview_booklet,
        export_booklet,
        open_export,
        get_settings,
        set_settings,
        sign_in,
        sign_out,
        sync_status,
        sync_now,
        backup,
        restore,
        preview_table,
        send_table,
        write_table_template,
        staff_tokens,
        staff_revoke_token,
        staff_invite,
        uptime_ms,
        dialog_dir,
    ]
}

fn main() {
    let started = Instant::now();
    // Blank windows on some Linux GPUs otherwise.
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    let shared = open_shared(started);
    let stop = Arc::new(AtomicBool::new(false));
    let (setup_shared, setup_stop) = (shared.clone(), stop.clone());
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(shared.clone())
        .setup(move |app| Ok(setup(app, setup_shared, setup_stop)?))
        .invoke_handler(commands())
        .run(tauri::generate_context!());
    stop.store(true, Ordering::Relaxed);
    shared.cancel.store(true, Ordering::SeqCst);
    if let Err(e) = result {
        eprintln!("portraits-desktop: error: {e}");
        std::process::exit(1);
    }
}

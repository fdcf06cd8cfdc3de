//! The desktop window: a thin Tauri 2 shell over the `portraits` core. Each command locks the
//! database, calls one use case in `portraits::app` and maps its error to the UI's
//! `{code, message, fields}`. Sync runs on a background thread with its own connection, on a
//! timer and on demand, and reports through the `sync-status` event; booklet export reports
//! `export-progress`. No business rules here.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portraits::app::{self, ApiError, ErrorCode};
use portraits::model::{booklet::BookletDef, markdown, merge::FieldDiff, FieldError, Portrait};
use portraits::store::{CityFilter, CitySummary, Draft, OutboxEntry, SearchHit, SearchQuery, SortBy, Store};
use serde::{Deserialize, Serialize};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{Emitter, Manager, State};
use tauri_plugin_dialog::DialogExt;

type Res<T> = Result<T, ApiError>;

/// Settings kept in the database (nothing secret: the token lives in the credentials file).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Settings {
    feed_url: Option<String>,
    sync_minutes: u32,
    identity: Option<app::Identity>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { feed_url: None, sync_minutes: 15, identity: None }
    }
}

/// What the always-visible sync indicator shows.
#[derive(Debug, Clone, Default, Serialize)]
struct SyncStatus {
    online: bool,
    syncing: bool,
    last_synced: Option<String>,
    pending: u32,
    error: Option<String>,
    added: u32,
}

struct Shared {
    db: PathBuf,
    store: Mutex<Option<Store>>,
    status: Mutex<SyncStatus>,
    wake: (Mutex<bool>, Condvar),
    exported: Mutex<HashSet<PathBuf>>,
    started: Instant,
    /// Held by a background sync (which has its own connection) and by a restore, so a restore
    /// never replaces the file under a running sync.
    file_lock: Mutex<()>,
}

fn internal(m: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Internal, m)
}

fn with_store<T>(state: &Shared, f: impl FnOnce(&mut Store) -> app::Result<T>) -> Res<T> {
    let mut guard = state.store.lock().map_err(|_| internal("database lock poisoned"))?;
    let store = guard.as_mut().ok_or_else(|| ApiError::new(ErrorCode::Storage, "the database is being restored"))?;
    f(store)
}

fn settings(store: &Store) -> Settings {
    store.meta("desktop:settings").ok().flatten().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

fn save_settings(store: &mut Store, s: &Settings) -> app::Result<()> {
    let text = serde_json::to_string(s).map_err(|e| internal(e.to_string()))?;
    Ok(store.set_meta("desktop:settings", &text)?)
}

// ---- catalogue ------------------------------------------------------------------------------

#[tauri::command]
fn list_cities(state: State<'_, Arc<Shared>>, filter: CityFilter, sort: SortBy) -> Res<Vec<CitySummary>> {
    with_store(&state, |s| app::list(s, &filter, sort))
}

#[tauri::command]
fn search(state: State<'_, Arc<Shared>>, query: SearchQuery) -> Res<Vec<SearchHit>> {
    with_store(&state, |s| app::search(s, &query))
}

#[tauri::command]
fn show_city(state: State<'_, Arc<Shared>>, city_id: String, version: Option<u32>) -> Res<app::PortraitView> {
    with_store(&state, |s| app::show(s, &city_id, version))
}

#[tauri::command]
fn version_diff(state: State<'_, Arc<Shared>>, city_id: String, from: u32, to: u32) -> Res<Vec<FieldDiff>> {
    with_store(&state, |s| app::version_diff(s, &city_id, from, to))
}

#[tauri::command]
fn render_markdown(text: String) -> Vec<markdown::Block> {
    markdown::parse(&text)
}

#[tauri::command]
fn validate_portrait(portrait: serde_json::Value) -> Vec<FieldError> {
    match portraits::model::validate::parse_portrait_value(&portrait) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}

// ---- drafts and submissions ------------------------------------------------------------------

#[tauri::command]
fn get_draft(state: State<'_, Arc<Shared>>, city_id: String) -> Res<Option<Draft>> {
    with_store(&state, |s| app::draft(s, &city_id))
}

#[tauri::command]
fn save_draft(
    state: State<'_, Arc<Shared>>,
    city_id: String,
    portrait: Portrait,
    revision: Option<u64>,
) -> Res<app::SavedDraft> {
    with_store(&state, |s| app::save_draft_portrait(s, &city_id, portrait, revision))
}

#[tauri::command]
fn resolve_conflict(state: State<'_, Arc<Shared>>, city_id: String, field: String, choice: String) -> Res<Draft> {
    with_store(&state, |s| app::resolve_conflict(s, &city_id, &field, &choice))
}

#[tauri::command]
fn discard_draft(state: State<'_, Arc<Shared>>, city_id: String) -> Res<bool> {
    with_store(&state, |s| app::discard_draft(s, &city_id))
}

#[derive(Serialize)]
struct AddedPhoto {
    sha256: String,
    mime: String,
}

#[tauri::command]
fn add_photo(state: State<'_, Arc<Shared>>, path: String) -> Res<AddedPhoto> {
    with_store(&state, |s| app::add_media(s, Path::new(&path))).map(|(sha256, mime)| AddedPhoto { sha256, mime })
}

fn feed_and_token(store: &Store) -> app::Result<(String, String)> {
    let st = settings(store);
    let feed = st.feed_url.ok_or_else(|| ApiError::invalid("set the feed URL in Settings first", vec![]))?;
    let token = app::saved_token(&feed)?
        .ok_or_else(|| ApiError::invalid("sign in with your token in Settings first", vec![]))?;
    Ok((feed, token))
}

#[tauri::command]
async fn submit(state: State<'_, Arc<Shared>>, city_id: String) -> Res<app::Submitted> {
    let shared = state.inner().clone();
    let r = tauri::async_runtime::spawn_blocking(move || {
        with_store(&shared, |s| {
            let (feed, token) = feed_and_token(s)?;
            app::submit(s, &city_id, &feed, &token, &portraits::sync::Options::default())
        })
    })
    .await
    .map_err(|e| internal(e.to_string()))?;
    if let Ok(sub) = &r {
        if let Ok(mut st) = state.status.lock() {
            st.pending = u32::from(sub.status == "pending");
        }
    }
    r
}

#[tauri::command]
fn outbox(state: State<'_, Arc<Shared>>) -> Res<Vec<OutboxEntry>> {
    with_store(&state, |s| app::outbox(s))
}

#[derive(Serialize)]
struct Submissions {
    live: bool,
    submissions: Vec<serde_json::Value>,
}

#[tauri::command]
async fn submissions(state: State<'_, Arc<Shared>>, city_id: String) -> Res<Submissions> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        with_store(&shared, |s| {
            let st = settings(s);
            let token = match &st.feed_url {
                Some(f) => app::saved_token(f)?,
                None => None,
            };
            let opts = portraits::sync::Options {
                retry: portraits::sync::Retry { attempts: 1, ..Default::default() },
                timeout: Duration::from_secs(10),
                ..Default::default()
            };
            app::submissions(s, &city_id, st.feed_url.as_deref(), token.as_deref(), &opts)
        })
    })
    .await
    .map_err(|e| internal(e.to_string()))?
    .map(|(submissions, live)| Submissions { live, submissions })
}

/// A staff request to the server's review endpoints.
#[tauri::command]
async fn review(
    state: State<'_, Arc<Shared>>,
    method: String,
    path: String,
    body: Option<serde_json::Value>,
) -> Res<serde_json::Value> {
    if !path.starts_with("/v1/submissions") {
        return Err(ApiError::invalid("only the review endpoints", vec![]));
    }
    let (feed, token) = with_store(&state, |s| feed_and_token(s))?;
    tauri::async_runtime::spawn_blocking(move || app::staff_request(&feed, &token, &method, &path, body))
        .await
        .map_err(|e| internal(e.to_string()))?
}

// ---- booklets -------------------------------------------------------------------------------

#[tauri::command]
fn booklets(state: State<'_, Arc<Shared>>) -> Res<Vec<BookletDef>> {
    with_store(&state, |s| app::booklets(s))
}

#[tauri::command]
fn save_booklet(state: State<'_, Arc<Shared>>, booklet: BookletDef) -> Res<BookletDef> {
    with_store(&state, |s| app::save_booklet(s, &booklet))
}

#[derive(Serialize)]
struct Preview {
    pages: Vec<String>,
    total: usize,
}

#[tauri::command]
async fn preview_booklet(state: State<'_, Arc<Shared>>, booklet: BookletDef, max_pages: usize) -> Res<Preview> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        let (store, _) = Store::open(&shared.db)?;
        app::preview_booklet(&store, &app::BookletSource::Def(Box::new(booklet)), max_pages.min(24))
    })
    .await
    .map_err(|e| internal(e.to_string()))?
    .map(|(pages, total)| Preview { pages, total })
}

#[derive(Clone, Serialize)]
struct ExportProgress {
    page: usize,
    pages: usize,
}

#[tauri::command]
async fn export_booklet(
    app_handle: tauri::AppHandle,
    state: State<'_, Arc<Shared>>,
    booklet: BookletDef,
    path: String,
) -> Res<app::PdfExport> {
    let shared = state.inner().clone();
    let r = tauri::async_runtime::spawn_blocking(move || {
        // Its own connection: the window stays responsive while the PDF is typeset.
        let (store, _) = Store::open(&shared.db)?;
        let date = app::export_date(None)?;
        let mut progress = |page: usize, pages: usize| {
            let _ = app_handle.emit("export-progress", ExportProgress { page, pages });
        };
        let out = app::export_pdf(
            &store,
            &app::BookletSource::Def(Box::new(booklet)),
            Path::new(&path),
            date,
            &mut progress,
        )?;
        if let Ok(mut set) = shared.exported.lock() {
            set.insert(PathBuf::from(&out.file));
        }
        Ok(out)
    })
    .await
    .map_err(|e| internal(e.to_string()))?;
    r
}

/// Opens a PDF this window exported (and only those), or shows it in its folder.
#[tauri::command]
fn open_export(state: State<'_, Arc<Shared>>, path: String, reveal: bool) -> Res<()> {
    let p = PathBuf::from(&path);
    let known = state.exported.lock().map(|s| s.contains(&p)).unwrap_or(false);
    if !known {
        return Err(ApiError::invalid("only a PDF exported in this session can be opened from here", vec![]));
    }
    let r = if reveal {
        tauri_plugin_opener::reveal_item_in_dir(&p)
    } else {
        tauri_plugin_opener::open_path(&p, None::<&str>)
    };
    r.map_err(|e| ApiError::new(ErrorCode::Io, format!("{path}: {e}")))
}

// ---- settings and sync ----------------------------------------------------------------------

#[derive(Serialize)]
struct SettingsView {
    feed_url: Option<String>,
    sync_minutes: u32,
    identity: Option<app::Identity>,
    signed_in: bool,
    data_folder: String,
    database: String,
}

fn settings_view(shared: &Shared, store: &Store) -> SettingsView {
    let st = settings(store);
    let signed_in = st.feed_url.as_deref().and_then(|f| app::saved_token(f).ok().flatten()).is_some();
    SettingsView {
        feed_url: st.feed_url,
        sync_minutes: st.sync_minutes,
        identity: st.identity,
        signed_in,
        data_folder: shared.db.parent().map(|p| p.display().to_string()).unwrap_or_default(),
        database: shared.db.display().to_string(),
    }
}

#[tauri::command]
fn get_settings(state: State<'_, Arc<Shared>>) -> Res<SettingsView> {
    let shared = state.inner().clone();
    with_store(&state, |s| Ok(settings_view(&shared, s)))
}

#[tauri::command]
fn set_settings(state: State<'_, Arc<Shared>>, feed_url: Option<String>, sync_minutes: u32) -> Res<SettingsView> {
    let shared = state.inner().clone();
    let view = with_store(&state, |s| {
        let mut st = settings(s);
        st.feed_url = match feed_url.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => Some(
                portraits::sync::normalise_base(f)
                    .map_err(|e| ApiError::invalid(e.to_string(), vec![FieldError::new("feed_url", e.to_string())]))?,
            ),
            None => None,
        };
        if !(1..=1440).contains(&sync_minutes) {
            return Err(ApiError::invalid(
                "sync every 1 to 1440 minutes",
                vec![FieldError::new("sync_minutes", "1 to 1440")],
            ));
        }
        st.sync_minutes = sync_minutes;
        save_settings(s, &st)?;
        Ok(settings_view(&shared, s))
    })?;
    wake(&state);
    Ok(view)
}

#[tauri::command]
async fn sign_in(state: State<'_, Arc<Shared>>, token: String) -> Res<SettingsView> {
    let feed = with_store(&state, |s| {
        settings(s)
            .feed_url
            .ok_or_else(|| ApiError::invalid("set the feed URL first", vec![FieldError::new("feed_url", "required")]))
    })?;
    let token = token.trim().to_string();
    if portraits::server::parse_token(&token).is_none() {
        return Err(ApiError::invalid("this is not a token (gnlc_…)", vec![FieldError::new("token", "not a token")]));
    }
    let (f, t) = (feed.clone(), token.clone());
    let who = tauri::async_runtime::spawn_blocking(move || app::whoami(&f, &t))
        .await
        .map_err(|e| internal(e.to_string()))??;
    app::save_token(&feed, &token)?;
    let shared = state.inner().clone();
    with_store(&state, |s| {
        let mut st = settings(s);
        st.identity = Some(who);
        save_settings(s, &st)?;
        Ok(settings_view(&shared, s))
    })
}

#[tauri::command]
fn sign_out(state: State<'_, Arc<Shared>>) -> Res<SettingsView> {
    let shared = state.inner().clone();
    with_store(&state, |s| {
        let mut st = settings(s);
        if let Some(f) = &st.feed_url {
            app::forget_token(f)?;
        }
        st.identity = None;
        save_settings(s, &st)?;
        Ok(settings_view(&shared, s))
    })
}

#[tauri::command]
fn sync_status(state: State<'_, Arc<Shared>>) -> Res<SyncStatus> {
    let pending = with_store(&state, |s| Ok(app::outbox(s)?.iter().filter(|e| e.status == "pending").count() as u32))?;
    let mut st = state.status.lock().map_err(|_| internal("status lock"))?.clone();
    st.pending = pending;
    Ok(st)
}

#[tauri::command]
fn sync_now(state: State<'_, Arc<Shared>>) {
    wake(&state);
}

fn wake(shared: &Shared) {
    if let Ok(mut w) = shared.wake.0.lock() {
        *w = true;
        shared.wake.1.notify_all();
    }
}

#[tauri::command]
fn backup(state: State<'_, Arc<Shared>>, path: String) -> Res<()> {
    with_store(&state, |s| app::backup(s, Path::new(&path)))
}

#[tauri::command]
fn restore(state: State<'_, Arc<Shared>>, path: String) -> Res<()> {
    let _file = state.file_lock.lock().map_err(|_| internal("file lock poisoned"))?;
    let mut guard = state.store.lock().map_err(|_| internal("database lock poisoned"))?;
    *guard = None; // close the connection before the file is replaced
    let result = app::restore_database(&state.db, Path::new(&path));
    *guard = Some(Store::open(&state.db).map_err(ApiError::from)?.0);
    result
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

/// The background sync: on start, on the timer from the settings, and when woken.
fn sync_loop(app: tauri::AppHandle, shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        let interval = with_store(&shared, |s| Ok(settings(s).sync_minutes)).unwrap_or(15);
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
        let feed = with_store(&shared, |s| Ok(settings(s).feed_url)).ok().flatten();
        let Some(feed) = feed else { continue };
        if let Ok(mut st) = shared.status.lock() {
            st.syncing = true;
            let _ = app.emit("sync-status", st.clone());
        }
        let result = (|| -> app::Result<app::SyncSummary> {
            let _file = shared.file_lock.lock().map_err(|_| internal("file lock poisoned"))?;
            let (mut store, _) = Store::open(&shared.db)?;
            let token = app::saved_token(&feed)?;
            app::sync_now(&mut store, &feed, token.as_deref(), &portraits::sync::Options::default(), &mut |_| {})
        })();
        if let Ok(mut st) = shared.status.lock() {
            st.syncing = false;
            match result {
                Ok(r) => {
                    st.online = true;
                    st.error = None;
                    st.last_synced = Some(portraits::store::now_rfc3339());
                    st.pending = r.pending;
                    st.added = r.pull.added.len() as u32;
                }
                Err(e) => {
                    st.online = !matches!(e.code, ErrorCode::Io);
                    st.error = Some(e.message);
                }
            }
            let _ = app.emit("sync-status", st.clone());
        }
    }
}

/// The window's menu: File (Sync now, Quit), Go (the screens, with shortcuts), Help (About).
fn build_menu(app: &tauri::App) -> tauri::Result<Menu<tauri::Wry>> {
    let sync = MenuItem::with_id(app, "sync", "Sync now", true, Some("CmdOrCtrl+R"))?;
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = PredefinedMenuItem::quit(app, Some("Quit"))?;
    let file = Submenu::with_items(app, "File", true, &[&sync, &separator, &quit])?;
    let screens = [
        ("cities", "Cities", "CmdOrCtrl+1"),
        ("submissions", "Submissions", "CmdOrCtrl+2"),
        ("booklets", "Booklets", "CmdOrCtrl+3"),
        ("settings", "Settings", "CmdOrCtrl+4"),
    ];
    let mut items = Vec::new();
    for (id, label, accel) in screens {
        items.push(MenuItem::with_id(app, format!("go:{id}"), label, true, Some(accel))?);
    }
    let refs: Vec<&dyn tauri::menu::IsMenuItem<tauri::Wry>> =
        items.iter().map(|i| i as &dyn tauri::menu::IsMenuItem<tauri::Wry>).collect();
    let go = Submenu::with_items(app, "Go", true, &refs)?;
    let about = MenuItem::with_id(app, "about", "About Learning City Portraits", true, None::<&str>)?;
    let help = Submenu::with_items(app, "Help", true, &[&about])?;
    Menu::with_items(app, &[&file, &go, &help])
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

fn main() {
    let started = Instant::now();
    // Blank windows on some Linux GPUs otherwise.
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    let opened = db_path().and_then(|db| {
        let store = app::open(Some(&db), true)?;
        Ok((db, store))
    });
    let (db, store) = match opened {
        Ok(x) => x,
        Err(e) => {
            eprintln!("portraits-desktop: error: {}", e.message);
            std::process::exit(e.exit_code());
        }
    };
    let shared = Arc::new(Shared {
        db,
        store: Mutex::new(Some(store)),
        status: Mutex::new(SyncStatus::default()),
        wake: (Mutex::new(false), Condvar::new()),
        exported: Mutex::new(HashSet::new()),
        started,
        file_lock: Mutex::new(()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(shared.clone())
        .setup({
            let shared = shared.clone();
            let stop = stop.clone();
            move |app| {
                let handle = app.handle().clone();
                let menu_shared = shared.clone();
                std::thread::spawn(move || sync_loop(handle, shared, stop));
                let menu = build_menu(app)?;
                app.set_menu(menu)?;
                app.on_menu_event(move |app, event| {
                    let id = event.id().as_ref();
                    if id == "sync" {
                        wake(&menu_shared);
                    } else if let Some(screen) = id.strip_prefix("go:") {
                        let _ = app.emit("navigate", screen);
                    } else if id == "about" {
                        app.dialog()
                            .message(format!(
                                "Learning City Portraits {}\n\nThe portraits of the UNESCO Global Network of Learning Cities, offline.\nCode: MIT. Portraits: CC-BY-SA 3.0 IGO, UNESCO Institute for Lifelong Learning. Fonts: Noto Sans, SIL OFL 1.1.",
                                env!("CARGO_PKG_VERSION")
                            ))
                            .title("About")
                            .show(|_| {});
                    }
                });
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.set_title("Learning City Portraits");
                }
                Ok(())
            }
        })
        .invoke_handler(tauri::generate_handler![
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
            submissions,
            review,
            booklets,
            save_booklet,
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
            uptime_ms,
            dialog_dir,
        ])
        .run(tauri::generate_context!());
    stop.store(true, Ordering::Relaxed);
    if let Err(e) = result {
        eprintln!("portraits-desktop: error: {e}");
        std::process::exit(1);
    }
}

//! The user's connection to a feed: the feed URL, the token (in the OS keyring, else a private
//! file, never in the database), signing in and out, and the window's settings.
//!
//! Owns: credentials and settings. Must not: hold SQL (`store`), or be called with a lock held
//! that another command needs (keyring calls go over D-Bus; sign-in goes over the network).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::write_private;
use super::{ApiError, ErrorCode, Result};
use crate::store::Store;
use crate::sync;

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
    if crate::protocol::parse_token(&token).is_none() {
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

/// The window's settings, kept in the database (nothing secret: the token is in the keyring or
/// the credentials file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Settings {
    pub feed_url: Option<String>,
    /// Minutes between background syncs, 1 to 1440.
    pub sync_minutes: u32,
    /// Who the saved token acts for, as the server said at sign-in.
    pub identity: Option<crate::protocol::Identity>,
}

/// The network's feed: where a new installation syncs from until the user sets another. Set
/// at build time with `PORTRAITS_DEFAULT_FEED`; at run time the same variable overrides it (an
/// empty value: no default, the user sets one).
pub const NETWORK_FEED_URL: &str = match option_env!("PORTRAITS_DEFAULT_FEED") {
    Some(url) => url,
    None => "https://portraits.uil.unesco.org",
};

/// The feed URL a new installation starts with ([`NETWORK_FEED_URL`], or the run-time
/// `PORTRAITS_DEFAULT_FEED`; none when that is empty or not a feed URL).
pub fn default_feed_url() -> Option<String> {
    let url = std::env::var("PORTRAITS_DEFAULT_FEED").unwrap_or_else(|_| NETWORK_FEED_URL.to_string());
    sync::normalise_base(&url).ok()
}

impl Default for Settings {
    fn default() -> Self {
        Settings { feed_url: default_feed_url(), sync_minutes: 15, identity: None }
    }
}

const SETTINGS_KEY: &str = "desktop:settings";

/// The settings (the defaults when none were saved, or when they cannot be read).
pub fn settings(store: &Store) -> Settings {
    let Some(text) = store.meta(SETTINGS_KEY).ok().flatten() else { return Settings::default() };
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&text) else { return Settings::default() };
    // Saved before the identity took the protocol's spelling (`cityId`).
    if let Some(id) = v.get_mut("identity").and_then(|i| i.as_object_mut()) {
        if let Some(c) = id.remove("city_id") {
            id.entry("cityId").or_insert(c);
        }
    }
    serde_json::from_value(v).unwrap_or_default()
}

fn put_settings(store: &mut Store, s: &Settings) -> Result<()> {
    let text = serde_json::to_string(s).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(store.set_meta(SETTINGS_KEY, &text)?)
}

/// Sets the feed URL (normalised; empty: none) and the sync interval. Bad values change
/// nothing; their errors carry the form's paths (`$.feed_url`, `$.sync_minutes`).
pub fn set_settings(store: &mut Store, feed_url: Option<&str>, sync_minutes: u32) -> Result<Settings> {
    let mut st = settings(store);
    let mut errors = Vec::new();
    let feed = match feed_url.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => match sync::normalise_base(f) {
            Ok(u) => Some(u),
            Err(e) => {
                errors.push(crate::model::FieldError::new("$.feed_url", e.to_string()).code("feed_url"));
                None
            }
        },
        None => None,
    };
    if !(1..=1440).contains(&sync_minutes) {
        errors
            .push(crate::model::FieldError::new("$.sync_minutes", "sync every 1 to 1440 minutes").code("sync_minutes"));
    }
    if let Some(first) = errors.first() {
        return Err(ApiError::invalid(first.message.clone(), errors));
    }
    st.feed_url = feed;
    st.sync_minutes = sync_minutes;
    put_settings(store, &st)?;
    Ok(st)
}

/// Records who the token acts for (`None`: signed out).
/// Refuses a feed other than the one this database follows: its rows are compared with this
/// catalogue, so they belong to that feed's server.
pub fn check_same_feed(store: &Store, feed: &str) -> Result<()> {
    let norm = |f: &str| f.trim().trim_end_matches('/').to_string();
    match store.meta("feed:authority_url")? {
        Some(followed) if norm(&followed) != norm(feed) => Err(ApiError::invalid(
            format!("this database follows {followed}, not {feed}: sync with --feed {feed} first, or leave --feed out"),
            vec![crate::model::FieldError::new("$.feed_url", "not the feed this database follows")],
        )),
        _ => Ok(()),
    }
}

pub fn set_identity(store: &mut Store, identity: Option<crate::protocol::Identity>) -> Result<Settings> {
    let mut st = settings(store);
    st.identity = identity;
    put_settings(store, &st)?;
    Ok(st)
}

/// Signs in to a feed: checks the token's syntax, asks the server who it acts for (so a wrong
/// token or an unreachable server is said now), then keeps it ([`save_token`]). Network and
/// keyring: call it with no lock held.
pub fn sign_in(feed: &str, token: &str) -> Result<crate::protocol::Identity> {
    let token = token.trim();
    if crate::protocol::parse_token(token).is_none() {
        return Err(ApiError::invalid(
            "this is not a token (gnlc_…)",
            vec![crate::model::FieldError::new("$.token", "not a token: it starts with gnlc_").code("not_token")],
        ));
    }
    let who = super::whoami(feed, token)?;
    save_token(feed, token)?;
    Ok(who)
}

/// The settings as the Settings screen shows them: with whether a token is kept for the feed
/// and where the data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SettingsView {
    #[serde(flatten)]
    pub settings: Settings,
    pub signed_in: bool,
    pub data_folder: String,
    pub database: String,
}

/// [`SettingsView`] of `settings` for the database at `db`. Asks the keyring (D-Bus) whether a
/// token is kept: call it with no lock held.
pub fn settings_view(db: &Path, settings: Settings) -> SettingsView {
    let signed_in = settings.feed_url.as_deref().and_then(|f| saved_token(f).ok().flatten()).is_some();
    SettingsView {
        settings,
        signed_in,
        data_folder: db.parent().map(|p| p.display().to_string()).unwrap_or_default(),
        database: db.display().to_string(),
    }
}

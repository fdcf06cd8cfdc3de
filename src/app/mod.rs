//! Use cases: the functions both front doors (the `portraits` CLI and the desktop shell) call,
//! organised by topic. Each takes plain arguments, does one user-visible thing and returns data
//! or an [`ApiError`] — the `{code, message, fields}` shape that crosses to the UI, with the
//! closed set of codes of [`ErrorCode`] (docs/protocol.md, "Errors").
//!
//! - [`catalogue`]: list, show, search, versions; validate, import, export; photos; backup and
//!   restore.
//! - [`booklets`]: booklet definitions, PDF export and preview.
//! - [`drafts`]: a city's draft on this machine.
//! - [`submissions`]: the outbox, sync, what it holds back, a city's submissions.
//! - [`review`]: staff review over the protocol, and who a token is.
//! - [`account`]: feed URL, token, sign-in, the window's settings.
//! - [`status`]: what the sync indicator shows, and how a sync's outcome changes it.
//! - [`admin`]: the publisher's tokens, static feed export, tombstones, removing a city.
//! - [`files`]: reading and writing the user's files safely.
//!
//! Owns: opening the database where the user expects it (seeding it on first use). Must not:
//! hold SQL (that is `store`), print, or exit (that is `cli`).

use std::path::{Path, PathBuf};

use crate::bundled::{self, BundledError};
use crate::store::{Store, StoreError};
use crate::sync::SyncError;

pub mod account;
pub mod admin;
pub mod booklets;
pub mod catalogue;
pub mod drafts;
pub mod files;
pub mod review;
pub mod status;
pub mod submissions;
pub mod table;

pub use crate::protocol::{ApiError, ErrorCode, Identity};
pub use account::*;
pub use admin::*;
pub use booklets::*;
pub use catalogue::*;
pub use drafts::*;
pub use files::{write_atomic, write_private};
pub use review::*;
pub use status::*;
pub use submissions::*;
pub use table::{import_table, queue_previewed_table, write_template, RowAction, TableQueued, TableReport, TableRow};

pub type Result<T> = std::result::Result<T, ApiError>;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            e if e.is_busy() => ErrorCode::Busy,
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Conflict { .. } | StoreError::Exists(_) => ErrorCode::Conflict,
            StoreError::InvalidQuery(_) => ErrorCode::InvalidInput,
            StoreError::Open { .. } | StoreError::Sqlite(_) | StoreError::Migration(_) | StoreError::Corrupt(_) => {
                ErrorCode::Storage
            }
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<BundledError> for ApiError {
    fn from(e: BundledError) -> Self {
        match e {
            BundledError::Store(s) => s.into(),
            other => ApiError::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        match e {
            // No answer at all: the network, DNS, a refused connection, a timeout.
            SyncError::Network { .. } => ApiError::new(ErrorCode::Offline, message),
            // The server's own code and field errors, as it sent them.
            SyncError::Status { code, fields, .. } => ApiError { code, message, fields },
            SyncError::Feed { .. } | SyncError::Invalid(_) => ApiError::new(ErrorCode::InvalidInput, message),
            SyncError::Cancelled | SyncError::NoProgress { .. } => ApiError::new(ErrorCode::Offline, message),
            SyncError::Authority(_) => ApiError::new(ErrorCode::Conflict, message),
            SyncError::Store(s) => ApiError::from(StoreError::Corrupt(s.to_string())),
        }
    }
}

/// Today's date, `YYYY-MM-DD` (UTC): the publication date of a new draft.
pub(crate) fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Where the database lives when no `--db` is given: the OS data directory
/// (`~/.local/share/learning-city-portraits/portraits.sqlite3` on Linux).
pub fn default_db_path() -> Result<PathBuf> {
    directories::ProjectDirs::from("org", "UNESCO", "learning-city-portraits")
        .map(|d| d.data_dir().join("portraits.sqlite3"))
        .ok_or_else(|| ApiError::new(ErrorCode::Io, "cannot find the home directory; pass --db PATH"))
}

/// Opens the database at `path` (default: [`default_db_path`]). A database holding no portraits
/// is seeded from the bundled catalogue unless `seed` is false.
pub fn open(path: Option<&Path>, seed: bool) -> Result<Store> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => default_db_path()?,
    };
    if path.is_dir() {
        return Err(ApiError::invalid(format!("{} is a directory, not a database file", path.display()), vec![]));
    }
    let (mut store, _new) = Store::open(&path)?;
    if seed && store.counts()?.1 == 0 {
        bundled::seed(&mut store)?;
    }
    Ok(store)
}

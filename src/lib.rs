//! Learning City Portraits — the core: portrait model, SQLite store, bundled catalogue, use
//! cases and the `portraits` CLI. No Tauri in here, ever: the desktop shell (`src-tauri/`) and
//! the CLI are two thin front doors onto [`app`]. See ARCHITECTURE.md for the map.

pub mod app;
pub mod booklet;
pub mod bundled;
#[cfg(feature = "cli")]
pub mod cli;
pub mod feed;
pub mod model;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;
pub mod store;
pub mod sync;
pub mod synth;

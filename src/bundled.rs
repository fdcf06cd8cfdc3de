//! The catalogue that ships inside the binary: the 47 seed portrait versions and the two
//! booklet definitions from `data/`, compiled in by `build.rs`, and the seeding of a new
//! database from them (the "packaged dump" of an offline-first client).
//!
//! Owns: reading the bundled files. Must not: touch the file system or SQL directly (it goes
//! through `store`).

use crate::model::{self, booklet::BookletDef};
use crate::store::{ImportItem, ImportReport, Store, StoreError};

mod files {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

#[derive(Debug, thiserror::Error)]
pub enum BundledError {
    #[error("bundled file data/{file} is invalid: {message}")]
    Invalid { file: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bundled portrait files: (path under `data/`, contents).
pub fn portrait_files() -> &'static [(&'static str, &'static str)] {
    files::PORTRAITS
}

/// Every bundled portrait, parsed and validated.
pub fn portraits() -> Result<Vec<ImportItem>, BundledError> {
    files::PORTRAITS
        .iter()
        .map(|(name, text)| {
            model::parse_portrait(text.as_bytes())
                .map(|portrait| ImportItem { origin: format!("data/{name}"), portrait })
                .map_err(|errs| BundledError::Invalid {
                    file: name.to_string(),
                    message: errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "),
                })
        })
        .collect()
}

/// Every bundled booklet definition, parsed and validated.
pub fn booklets() -> Result<Vec<BookletDef>, BundledError> {
    files::BOOKLETS
        .iter()
        .map(|(name, text)| {
            BookletDef::from_toml(text).map_err(|errs| BundledError::Invalid {
                file: name.to_string(),
                message: errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "),
            })
        })
        .collect()
}

/// Loads the bundled catalogue into the store in one transaction: portraits, then booklets.
pub fn seed(store: &mut Store) -> Result<ImportReport, BundledError> {
    let items = portraits()?;
    let defs = booklets()?;
    let booklets: Vec<_> = defs
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                d.template.as_str().to_string(),
                d.front_matter_json(),
                d.cities.iter().map(|e| (e.city.clone(), e.version)).collect::<Vec<_>>(),
            )
        })
        .collect();
    Ok(store.import_with_booklets(&items, &booklets)?)
}

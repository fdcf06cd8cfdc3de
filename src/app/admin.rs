//! The publisher's administration of its own database (the server's, usually): access tokens,
//! the static export of the feed, tombstone retention and removing a city.
//!
//! Owns: those use cases. Must not: hold SQL (`store`) or serve HTTP (`server`).

use std::path::Path;

use super::files::write_atomic;
use serde::{Deserialize, Serialize};

use super::{ApiError, ErrorCode, Result};
use crate::protocol::TokenKind;
use crate::store::Store;

/// An issued token: its id (for revocation) and the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
    pub kind: TokenKind,
    pub city_id: Option<String>,
}

pub fn issue_token(store: &mut Store, city_id: Option<&str>) -> Result<IssuedToken> {
    let (id, token, hash) = crate::protocol::new_token();
    let kind = if city_id.is_some() { TokenKind::City } else { TokenKind::Staff };
    store.put_token(&id, kind, city_id, &hash)?;
    Ok(IssuedToken { id, token, kind, city_id: city_id.map(String::from) })
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

/// A token as listed: never its secret (nor its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TokenInfo {
    pub id: String,
    pub kind: TokenKind,
    /// `city` in JSON, as `portraits token list --json` always printed it.
    #[serde(rename = "city")]
    pub city_id: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Every token issued from this database, oldest first.
pub fn tokens(store: &Store) -> Result<Vec<TokenInfo>> {
    Ok(store
        .tokens()?
        .into_iter()
        .map(|t| TokenInfo {
            id: t.id,
            kind: t.kind,
            city_id: t.city_id,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

/// Forgets the change log up to `up_to`: older cursors get 410 Gone and take the snapshot.
/// Returns how many tombstones lie behind the new floor (kept in the snapshot).
pub fn prune_tombstones(store: &mut Store, up_to: u64) -> Result<usize> {
    Ok(store.prune_tombstones(up_to)?)
}

/// Removes a city from the catalogue: its versions stay, clients get a tombstone. Returns the
/// tombstone's sequence number.
pub fn delete_city(store: &mut Store, city_id: &str) -> Result<u64> {
    Ok(store.delete_city(city_id)?)
}

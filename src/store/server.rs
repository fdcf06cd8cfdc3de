//! The server's own tables: access tokens (hashes only) and submissions with their review.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{catalog::publish_tx, now_rfc3339, Result, Store, StoreError};
use crate::model::Portrait;

/// A token as stored: never the secret, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: String,
    /// `city` or `staff`.
    pub kind: String,
    pub city_id: Option<String>,
    pub hash: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A submission as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionRow {
    pub id: String,
    pub city_id: String,
    pub base_version: u32,
    pub portrait: Portrait,
    pub status: String,
    pub token_id: String,
    pub idempotency_key: String,
    pub request_sha256: String,
    /// The answer given to the first request (replayed for the same key).
    pub response: serde_json::Value,
    pub comments: serde_json::Value,
    pub published_version: Option<u32>,
    pub created_at: String,
    pub updated_at: String,
}

/// A submission row before its JSON columns are parsed (outside the row callback).
struct RawSubmission {
    id: String,
    city_id: String,
    base_version: u32,
    body: String,
    status: String,
    token_id: String,
    idempotency_key: String,
    request_sha256: String,
    response: String,
    comments: String,
    published_version: Option<u32>,
    created_at: String,
    updated_at: String,
}

fn submission_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawSubmission> {
    Ok(RawSubmission {
        id: r.get("id")?,
        city_id: r.get("city_id")?,
        base_version: r.get("base_version")?,
        body: r.get("body")?,
        status: r.get("status")?,
        token_id: r.get("token_id")?,
        idempotency_key: r.get("idempotency_key")?,
        request_sha256: r.get("request_sha256")?,
        response: r.get("response")?,
        comments: r.get("comments")?,
        published_version: r.get("published_version")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

fn finish(raw: RawSubmission) -> Result<SubmissionRow> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("submission {}: {e}", raw.id));
    Ok(SubmissionRow {
        portrait: serde_json::from_str(&raw.body).map_err(corrupt)?,
        response: serde_json::from_str(&raw.response).map_err(corrupt)?,
        comments: serde_json::from_str(&raw.comments).map_err(corrupt)?,
        id: raw.id,
        city_id: raw.city_id,
        base_version: raw.base_version,
        status: raw.status,
        token_id: raw.token_id,
        idempotency_key: raw.idempotency_key,
        request_sha256: raw.request_sha256,
        published_version: raw.published_version,
        created_at: raw.created_at,
        updated_at: raw.updated_at,
    })
}

impl Store {
    pub fn put_token(&mut self, id: &str, kind: &str, city_id: Option<&str>, hash: &str) -> Result<()> {
        if let Some(c) = city_id {
            self.city(c)?;
        }
        self.conn.execute(
            "INSERT INTO tokens(id, kind, city_id, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, kind, city_id, hash, now_rfc3339()],
        )?;
        Ok(())
    }

    pub fn token(&self, id: &str) -> Result<Option<TokenRow>> {
        Ok(self
            .conn
            .query_row("SELECT id, kind, city_id, hash, created_at, revoked_at FROM tokens WHERE id = ?1", [id], |r| {
                Ok(TokenRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    city_id: r.get(2)?,
                    hash: r.get(3)?,
                    created_at: r.get(4)?,
                    revoked_at: r.get(5)?,
                })
            })
            .optional()?)
    }

    pub fn tokens(&self) -> Result<Vec<TokenRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind, city_id, hash, created_at, revoked_at FROM tokens ORDER BY created_at, id")?;
        let rows = stmt.query_map([], |r| {
            Ok(TokenRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                city_id: r.get(2)?,
                hash: r.get(3)?,
                created_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke_token(&mut self, id: &str) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now_rfc3339()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("no active token with id {id:?}")));
        }
        Ok(())
    }

    pub fn submission_by_key(&self, key: &str) -> Result<Option<SubmissionRow>> {
        self.conn
            .query_row("SELECT * FROM submissions WHERE idempotency_key = ?1", [key], submission_from_row)
            .optional()?
            .map(finish)
            .transpose()
    }

    pub fn submission(&self, id: &str) -> Result<SubmissionRow> {
        self.conn
            .query_row("SELECT * FROM submissions WHERE id = ?1", [id], submission_from_row)
            .optional()?
            .map(finish)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("no submission with id {id:?}")))
    }

    /// Submissions of a city, or with a status, newest last.
    pub fn submissions(&self, city_id: Option<&str>, status: Option<&str>) -> Result<Vec<SubmissionRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT * FROM submissions WHERE (?1 IS NULL OR city_id = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map(params![city_id, status], submission_from_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(finish(r?)?);
        }
        Ok(out)
    }

    /// Stores a new submission (the caller checked the idempotency key is new).
    #[allow(clippy::too_many_arguments)]
    pub fn insert_submission(
        &mut self,
        id: &str,
        city_id: &str,
        base_version: u32,
        portrait: &Portrait,
        token_id: &str,
        key: &str,
        request_sha256: &str,
        response: &serde_json::Value,
    ) -> Result<()> {
        let now = now_rfc3339();
        self.conn.execute(
            "INSERT INTO submissions(id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
             response, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'submitted', ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                id,
                city_id,
                base_version,
                serde_json::to_string(portrait).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                token_id,
                key,
                request_sha256,
                response.to_string(),
                now
            ],
        )?;
        Ok(())
    }

    pub fn set_submission_status(&mut self, id: &str, status: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE submissions SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Records a decision; for `accepted`, publishes `portrait` as the city's next version in
    /// the same transaction. Returns the published version.
    pub fn decide_submission(
        &mut self,
        id: &str,
        status: &str,
        comments: &serde_json::Value,
        publish: Option<&Portrait>,
    ) -> Result<Option<u32>> {
        let tx = self.conn.transaction()?;
        let current: String = tx
            .query_row("SELECT status FROM submissions WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no submission with id {id:?}")))?;
        if matches!(current.as_str(), "accepted" | "rejected") {
            return Err(StoreError::Conflict {
                origin: format!("submission {id}"),
                message: format!("it was already {current}; a decision is final"),
            });
        }
        let version = match publish {
            Some(p) => Some(publish_tx(&tx, p)?.0),
            None => None,
        };
        tx.execute(
            "UPDATE submissions SET status = ?2, comments = ?3, published_version = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, status, comments.to_string(), version, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(version)
    }
}

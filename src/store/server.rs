//! The server's own tables: access tokens (hashes only) and submissions with their review.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::{catalog::publish_tx, now_rfc3339, put_media_tx, Result, Store, StoreError};
use crate::model::Portrait;
use crate::protocol::{Comment, SubmissionStatus, SubmissionSummary, TokenKind};

/// A token as stored: never the secret, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: String,
    pub kind: TokenKind,
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
    pub status: SubmissionStatus,
    pub token_id: String,
    pub idempotency_key: String,
    pub request_sha256: String,
    /// The answer given to the first request (replayed for the same key).
    pub response: SubmissionSummary,
    pub comments: Vec<Comment>,
    pub published_version: Option<u32>,
    pub created_at: String,
    pub updated_at: String,
    /// 1, or the round of the open submission it replaced plus one.
    pub round: u32,
    /// The open submission it replaced.
    pub supersedes: Option<String>,
    /// The submission that replaced it.
    pub superseded_by: Option<String>,
    /// The coordinator's words to the reviewer.
    pub note: Option<String>,
}

/// What [`Store::insert_submission_once`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// Stored: the answer, with its round and the submission it replaced.
    New(Box<SubmissionSummary>),
    /// The token already sent this key: the earlier submission.
    Replay(Box<SubmissionRow>),
}

/// The most earlier rounds a review shows.
pub const HISTORY_ROUNDS: usize = 50;

/// A position in a list of submissions: the `(created_at, id)` of the row it follows.
type SubmissionPosition = (String, String);

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
    round: u32,
    supersedes: Option<String>,
    superseded_by: Option<String>,
    note: Option<String>,
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
        round: r.get("round")?,
        supersedes: r.get("supersedes")?,
        superseded_by: r.get("superseded_by")?,
        note: r.get("note")?,
    })
}

fn finish(raw: RawSubmission) -> Result<SubmissionRow> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("submission {}: {e}", raw.id));
    let status = SubmissionStatus::parse(&raw.status)
        .ok_or_else(|| StoreError::Corrupt(format!("submission {}: status {:?}", raw.id, raw.status)))?;
    Ok(SubmissionRow {
        portrait: serde_json::from_str(&raw.body).map_err(corrupt)?,
        response: serde_json::from_str(&raw.response).map_err(corrupt)?,
        comments: serde_json::from_str(&raw.comments).map_err(corrupt)?,
        id: raw.id,
        city_id: raw.city_id,
        base_version: raw.base_version,
        status,
        token_id: raw.token_id,
        idempotency_key: raw.idempotency_key,
        request_sha256: raw.request_sha256,
        published_version: raw.published_version,
        created_at: raw.created_at,
        updated_at: raw.updated_at,
        round: raw.round,
        supersedes: raw.supersedes,
        superseded_by: raw.superseded_by,
        note: raw.note,
    })
}

fn token_kind(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<TokenKind> {
    let s: String = r.get(i)?;
    TokenKind::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("token kind {s:?}").into())
    })
}

impl Store {
    pub fn put_token(&mut self, id: &str, kind: TokenKind, city_id: Option<&str>, hash: &str) -> Result<()> {
        if let Some(c) = city_id {
            self.city(c)?;
        }
        self.conn.execute(
            "INSERT INTO tokens(id, kind, city_id, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, kind.as_str(), city_id, hash, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Stores city tokens `(id, city, hash)` in one transaction: all or none (a city that is
    /// not published refuses them all).
    pub fn put_city_tokens(&mut self, tokens: &[(String, String, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let now = now_rfc3339();
        for (id, city, hash) in tokens {
            let known: Option<i64> =
                tx.query_row("SELECT 1 FROM cities WHERE id = ?1 AND deleted = 0", [city], |r| r.get(0)).optional()?;
            if known.is_none() {
                return Err(StoreError::NotFound(format!("no city with id {city:?}")));
            }
            tx.execute(
                "INSERT INTO tokens(id, kind, city_id, hash, created_at) VALUES (?1, 'city', ?2, ?3, ?4)",
                params![id, city, hash, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn token(&self, id: &str) -> Result<Option<TokenRow>> {
        Ok(self
            .conn
            .query_row("SELECT id, kind, city_id, hash, created_at, revoked_at FROM tokens WHERE id = ?1", [id], |r| {
                Ok(TokenRow {
                    id: r.get(0)?,
                    kind: token_kind(r, 1)?,
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
                kind: token_kind(r, 1)?,
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

    /// The submission a token sent with an idempotency key (keys are scoped per token).
    pub fn submission_by_key(&self, token_id: &str, key: &str) -> Result<Option<SubmissionRow>> {
        self.conn
            .query_row(
                "SELECT * FROM submissions WHERE token_id = ?1 AND idempotency_key = ?2",
                [token_id, key],
                submission_from_row,
            )
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

    /// Submissions of a city, or with one of `statuses` (any when empty), newest last.
    pub fn submissions(&self, city_id: Option<&str>, statuses: &[SubmissionStatus]) -> Result<Vec<SubmissionRow>> {
        Ok(self.submissions_page(city_id, statuses, None, usize::MAX / 2)?.0)
    }

    /// The earlier rounds of a submission, oldest first (following `supersedes`): at most the
    /// [`HISTORY_ROUNDS`] latest. A link to a missing round, or a loop, ends the history there
    /// rather than failing the review of the current round.
    pub fn submission_history(&self, id: &str) -> Result<Vec<SubmissionRow>> {
        let mut out: Vec<SubmissionRow> = Vec::new();
        let mut next = self.submission(id)?.supersedes;
        while let Some(prev) = next {
            if out.len() >= HISTORY_ROUNDS || prev == id || out.iter().any(|s| s.id == prev) {
                break;
            }
            let Some(raw) = self
                .conn
                .query_row("SELECT * FROM submissions WHERE id = ?1", [&prev], submission_from_row)
                .optional()?
            else {
                break;
            };
            let row = finish(raw)?;
            next = row.supersedes.clone();
            out.push(row);
        }
        out.reverse();
        Ok(out)
    }

    /// One page of [`Store::submissions`]: at most `limit` rows after the position `after`
    /// (the `(created_at, id)` of the last row of the previous page), and the position of this
    /// page's last row when more follow.
    pub fn submissions_page(
        &self,
        city_id: Option<&str>,
        statuses: &[SubmissionStatus],
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<(Vec<SubmissionRow>, Option<SubmissionPosition>)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT * FROM submissions WHERE (?1 IS NULL OR city_id = ?1)
             AND (?2 IS NULL OR status IN (SELECT value FROM json_each(?2)))
             AND (?3 IS NULL OR (created_at, id) > (?3, ?4)) ORDER BY created_at, id LIMIT ?5",
        )?;
        let (after_at, after_id) = after.unzip();
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let statuses = (!statuses.is_empty())
            .then(|| serde_json::to_string(statuses))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows = stmt.query_map(params![city_id, statuses, after_at, after_id, fetch], submission_from_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(finish(r?)?);
        }
        let next = if out.len() > limit {
            out.truncate(limit);
            out.last().map(|s| (s.created_at.clone(), s.id.clone()))
        } else {
            None
        };
        Ok((out, next))
    }

    /// How many submissions a token made since `since` (RFC 3339), and the oldest of them.
    pub fn submissions_by_token_since(&self, token_id: &str, since: &str) -> Result<(u64, Option<String>)> {
        Ok(self.conn.query_row(
            "SELECT count(*), min(created_at) FROM submissions WHERE token_id = ?1 AND created_at > ?2",
            [token_id, since],
            |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?)),
        )?)
    }

    /// Bytes of photos a token uploaded since `since` (RFC 3339), and when the oldest was.
    pub fn uploads_by_token_since(&self, token_id: &str, since: &str) -> Result<(u64, Option<String>)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(size), 0), min(at) FROM media_uploads WHERE token_id = ?1 AND at > ?2",
            [token_id, since],
            |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?)),
        )?)
    }

    /// Stores an uploaded photo and who uploaded it, in one transaction. Returns false (and
    /// records nothing) when the photo was already held.
    pub fn put_uploaded_media(&mut self, token_id: &str, bytes: &[u8], mime: &str) -> Result<bool> {
        use sha2::{Digest, Sha256};
        let sha = hex::encode(Sha256::digest(bytes));
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held = tx.query_row("SELECT 1 FROM media WHERE sha256 = ?1", [&sha], |_| Ok(())).optional()?.is_some();
        if held {
            return Ok(false);
        }
        put_media_tx(&tx, bytes, mime)?;
        tx.execute(
            "INSERT INTO media_uploads(token_id, sha256, size, at) VALUES (?1, ?2, ?3, ?4)",
            params![token_id, sha, bytes.len() as i64, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Stores a new submission unless the token already sent one with this idempotency key:
    /// the check and the insert are one write transaction, so two requests racing with the
    /// same key make one submission. The city's open submission, if any, is superseded by the
    /// new one, which becomes its next round (in the same transaction: a city never has two
    /// open submissions). `answer` is the answer to give, completed here with the round.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_submission_once(
        &mut self,
        id: &str,
        city_id: &str,
        base_version: u32,
        portrait: &Portrait,
        token_id: &str,
        key: &str,
        request_sha256: &str,
        answer: &SubmissionSummary,
    ) -> Result<Inserted> {
        let body = serde_json::to_string(portrait).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let previous = tx
            .query_row(
                "SELECT * FROM submissions WHERE token_id = ?1 AND idempotency_key = ?2",
                [token_id, key],
                submission_from_row,
            )
            .optional()?;
        if let Some(previous) = previous {
            return Ok(Inserted::Replay(Box::new(finish(previous)?)));
        }
        let open: Option<(String, u32)> = tx
            .query_row(
                "SELECT id, round FROM submissions WHERE city_id = ?1
                 AND status IN ('submitted', 'in_review', 'changes_requested') ORDER BY created_at DESC, id DESC LIMIT 1",
                [city_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let now = now_rfc3339();
        let mut answer = answer.clone();
        answer.round = open.as_ref().map_or(1, |(_, round)| round + 1);
        answer.supersedes = open.as_ref().map(|(id, _)| id.clone());
        let response = serde_json::to_string(&answer).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "UPDATE submissions SET status = 'superseded', superseded_by = ?2, updated_at = ?3
             WHERE city_id = ?1 AND status IN ('submitted', 'in_review', 'changes_requested')",
            params![city_id, id, now],
        )?;
        tx.execute(
            "INSERT INTO submissions(id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
             response, created_at, updated_at, round, supersedes, note)
             VALUES (?1, ?2, ?3, ?4, 'submitted', ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12)",
            params![
                id,
                city_id,
                base_version,
                body,
                token_id,
                key,
                request_sha256,
                response,
                now,
                answer.round,
                answer.supersedes,
                answer.note
            ],
        )?;
        tx.commit()?;
        Ok(Inserted::New(Box::new(answer)))
    }

    pub fn set_submission_status(&mut self, id: &str, status: SubmissionStatus) -> Result<()> {
        self.conn.execute(
            "UPDATE submissions SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status.as_str(), now_rfc3339()],
        )?;
        Ok(())
    }

    /// Records a decision; for `accepted`, publishes `portrait` as the city's next version in
    /// the same transaction. Returns the published version.
    pub fn decide_submission(
        &mut self,
        id: &str,
        status: SubmissionStatus,
        comments: &[Comment],
        publish: Option<&Portrait>,
    ) -> Result<Option<u32>> {
        let comments = serde_json::to_string(comments).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let tx = self.conn.transaction()?;
        let current: String = tx
            .query_row("SELECT status FROM submissions WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no submission with id {id:?}")))?;
        match SubmissionStatus::parse(&current) {
            Some(SubmissionStatus::Superseded) => {
                return Err(StoreError::Conflict {
                    origin: format!("submission {id}"),
                    message: "the city has sent a newer version since: review that one".into(),
                })
            }
            Some(s) if s.is_final() => {
                return Err(StoreError::Conflict {
                    origin: format!("submission {id}"),
                    message: format!("it was already {current}; a decision is final"),
                })
            }
            _ => {}
        }
        let version = match publish {
            Some(p) => Some(publish_tx(&tx, p)?.0),
            None => None,
        };
        tx.execute(
            "UPDATE submissions SET status = ?2, comments = ?3, published_version = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, status.as_str(), comments, version, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(version)
    }
}

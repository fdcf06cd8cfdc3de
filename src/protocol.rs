//! The submission and review protocol's types, shared by both ends: what a client sends to the
//! server and what the server answers (docs/protocol.md, "Submissions", "Review" and "Errors").
//! The server (`server`) builds its answers from these types, the client (`sync`, `app`) reads
//! them with these types, the CLI renders them and the UI gets them through ts-rs
//! (`ui/src/bindings/`).
//!
//! Owns: request and response bodies of submissions, review decisions, comments and statuses;
//! the closed set of error codes with their HTTP statuses; the token syntax. Must not: do IO,
//! hold SQL, or know HTTP beyond a status number.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::model::merge::Choice;
use crate::model::{merge::FieldDiff, FieldError, Portrait};

// ---- errors -----------------------------------------------------------------------------------

/// The closed set of error codes. The server answers them in its error bodies, the use cases
/// return them to the CLI and the window, and the UI words its messages from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input (a file, a field, an argument, a request body) is wrong; `fields` says where.
    InvalidInput,
    /// No token, or one the server does not know (or revoked). HTTP 401.
    Unauthorized,
    /// The token is valid but may not do this (another city's data, a staff action). HTTP 403.
    Forbidden,
    /// What was asked for does not exist. HTTP 404.
    NotFound,
    /// The request contradicts what is stored: a final decision, an immutable version, a draft
    /// changed meanwhile, fields changed on both sides. HTTP 409.
    Conflict,
    /// The same Idempotency-Key came with another request. HTTP 422.
    IdempotencyKeyReused,
    /// The request body is over the server's limit. HTTP 413.
    TooLarge,
    /// A change-log cursor the server no longer serves (or one from its future): take the
    /// snapshot. HTTP 410.
    Gone,
    /// The request took longer than the server allows. HTTP 408.
    Timeout,
    /// The endpoint exists but not with this method. HTTP 405.
    MethodNotAllowed,
    /// Too many requests or submissions from this token; `Retry-After` says when. HTTP 429.
    RateLimited,
    /// The server's database is busy; try again shortly. HTTP 503.
    Busy,
    /// The server could not be reached (no network, refused, timed out). Never sent by a
    /// server: the client sets it.
    Offline,
    /// A local file could not be read or written.
    Io,
    /// The database failed. HTTP 500 from a server.
    Storage,
    /// A bug. HTTP 500.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::InvalidInput,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::TooLarge,
        ErrorCode::Gone,
        ErrorCode::Timeout,
        ErrorCode::MethodNotAllowed,
        ErrorCode::RateLimited,
        ErrorCode::Busy,
        ErrorCode::Offline,
        ErrorCode::Io,
        ErrorCode::Storage,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Gone => "gone",
            ErrorCode::Timeout => "timeout",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Busy => "busy",
            ErrorCode::Offline => "offline",
            ErrorCode::Io => "io",
            ErrorCode::Storage => "storage",
            ErrorCode::Internal => "internal",
        }
    }

    /// The code a client gives an HTTP error status when the body does not name one.
    pub fn from_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::Timeout,
            409 => ErrorCode::Conflict,
            410 => ErrorCode::Gone,
            413 => ErrorCode::TooLarge,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Busy,
            400..=499 => ErrorCode::InvalidInput,
            _ => ErrorCode::Storage,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as the UI, the CLI and a server's answer carry it: `{code, message, fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The fields at fault, each with the JSON path of the value (`$.facts.population.year`).
    #[serde(default)]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), fields: Vec::new() }
    }

    pub fn invalid(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        ApiError { code: ErrorCode::InvalidInput, message: message.into(), fields }
    }

    /// The process exit code for the CLI: 2 for what the user can fix, 1 for other failures.
    pub fn exit_code(&self) -> i32 {
        match self.code {
            ErrorCode::InvalidInput
            | ErrorCode::NotFound
            | ErrorCode::Conflict
            | ErrorCode::Unauthorized
            | ErrorCode::Forbidden
            | ErrorCode::IdempotencyKeyReused
            | ErrorCode::TooLarge => 2,
            _ => 1,
        }
    }
}

// ---- tokens -----------------------------------------------------------------------------------

/// What a token acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A city's coordinator: drafts and submissions of that city.
    City,
    /// UIL staff: review, every city.
    Staff,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::City => "city",
            TokenKind::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<TokenKind> {
        match s {
            "city" => Some(TokenKind::City),
            "staff" => Some(TokenKind::Staff),
            _ => None,
        }
    }
}

/// `GET /v1/whoami`: who a token acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub kind: TokenKind,
    /// The city of a city token; null for staff.
    pub city_id: Option<String>,
}

/// A token as `GET /v1/tokens` lists it (staff): never its secret nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenSummary {
    pub id: String,
    pub kind: TokenKind,
    /// The city of a city token; null for staff.
    pub city_id: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// `GET /v1/tokens` (staff): every token, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenList {
    pub tokens: Vec<TokenSummary>,
}

/// `POST /v1/tokens` (staff): one city token for each city, all or none. Unknown members are
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    pub cities: Vec<String>,
}

/// Most cities `POST /v1/tokens` issues tokens for at once.
pub const MAX_TOKENS_AT_ONCE: usize = 1000;

/// A token just issued: the secret is in this answer and nowhere else, ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    pub id: String,
    pub city_id: String,
    pub token: String,
}

/// The answer to `POST /v1/tokens`: the tokens, in the order of the request's cities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct NewTokens {
    pub tokens: Vec<NewToken>,
}

/// Splits a token `gnlc_<id>_<secret>` into its id and secret; `None` when it is not one.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix("gnlc_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && secret.len() == 64).then_some((id, secret))
}

/// The SHA-256 (hex) under which a token's secret is stored.
pub fn token_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token: its id (for revocation), the token given to its holder once, and the hash the
/// server stores.
pub fn new_token() -> (String, String, String) {
    use rand::RngExt;
    let mut rng = rand::rng();
    let id: [u8; 8] = rng.random();
    let secret: [u8; 32] = rng.random();
    let (id, secret) = (hex::encode(id), hex::encode(secret));
    let hash = token_hash(&secret);
    (id.clone(), format!("gnlc_{id}_{secret}"), hash)
}

// ---- submissions ------------------------------------------------------------------------------

/// Where a submission stands. `submitted` → `in_review` (a reviewer opened it) → one of the
/// three decisions; `changes_requested` may be decided again, `accepted` and `rejected` are
/// final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum), value(rename_all = "snake_case"))]
pub enum SubmissionStatus {
    Submitted,
    InReview,
    ChangesRequested,
    Accepted,
    Rejected,
    /// Replaced by a newer submission of the same city (the next round): closed, never decided.
    Superseded,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 6] = [
        SubmissionStatus::Submitted,
        SubmissionStatus::InReview,
        SubmissionStatus::ChangesRequested,
        SubmissionStatus::Accepted,
        SubmissionStatus::Rejected,
        SubmissionStatus::Superseded,
    ];

    /// The statuses of a city's one open submission: a new one replaces it.
    pub const OPEN: [SubmissionStatus; 3] =
        [SubmissionStatus::Submitted, SubmissionStatus::InReview, SubmissionStatus::ChangesRequested];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::InReview => "in_review",
            SubmissionStatus::ChangesRequested => "changes_requested",
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionStatus> {
        SubmissionStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Accepted, rejected or superseded: no further decision is possible.
    pub fn is_final(self) -> bool {
        !self.is_open()
    }

    /// Submitted, in review or sent back for changes: the city's one open submission.
    pub fn is_open(self) -> bool {
        SubmissionStatus::OPEN.contains(&self)
    }
}

impl std::fmt::Display for SubmissionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /v1/cities/{city}/submissions`: a portrait proposed as the city's next version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionRequest {
    /// The published version the portrait was edited from.
    pub base_version: u32,
    pub portrait: Portrait,
    /// The coordinator's words to the reviewer (a reply to their comments), at most
    /// [`MAX_NOTE`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub note: Option<String>,
}

/// The longest note a submission may carry, in characters.
pub const MAX_NOTE: usize = 5000;

/// A reviewer's comment: on the whole submission (`field` null) or on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Comment {
    /// A field of the diff (`facts.population`, `vision`…), or null for a general comment.
    pub field: Option<String>,
    pub comment: String,
}

/// A submission without its portrait: what lists and decisions answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSummary {
    pub id: String,
    pub city_id: String,
    pub status: SubmissionStatus,
    pub base_version: u32,
    pub comments: Vec<Comment>,
    /// The version it was published as, once accepted.
    pub published_version: Option<u32>,
    pub created_at: String,
    pub updated_at: String,
    /// Its round: 1 for a first submission, n + 1 for one that replaced the city's open
    /// submission of round n.
    #[serde(default = "first_round")]
    pub round: u32,
    /// The open submission it replaced (the previous round), if any.
    #[serde(default)]
    pub supersedes: Option<String>,
    /// The submission that replaced it (status `superseded`), if any.
    #[serde(default)]
    pub superseded_by: Option<String>,
    /// What the coordinator wrote to the reviewer with it (a reply to their comments).
    #[serde(default)]
    pub note: Option<String>,
    /// The city's name as the submission gives it: a city proposed by staff (base version 0)
    /// is in no catalogue until it is accepted.
    #[serde(default)]
    pub city_name: Option<String>,
    /// Who sent it: the city's own token, or staff (a member list, an edit by UIL). Older
    /// answers lack it.
    #[serde(default)]
    pub sent_by: Option<TokenKind>,
}

fn first_round() -> u32 {
    1
}

/// `GET /v1/submissions/{id}` (staff): a submission with its per-field three-way diff against
/// the version published now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionDetail {
    #[serde(flatten)]
    pub summary: SubmissionSummary,
    /// The city's latest published version now (the diff's "theirs").
    pub published_now: u32,
    pub portrait: Portrait,
    pub diff: Vec<FieldDiff>,
    /// The fields changed both in the submission and in a version published since its base:
    /// an accept must resolve each.
    pub conflicts: Vec<String>,
    /// The earlier rounds of this submission, oldest first, each with the reviewer's comments.
    pub history: Vec<SubmissionSummary>,
    /// What changed since the last round a reviewer commented on, if there was one.
    pub since_last_review: Option<SinceReview>,
}

/// A resubmission's changes against the round a reviewer last commented on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SinceReview {
    /// That round's id and number.
    pub id: String,
    pub round: u32,
    /// Each field's change from that round (`base`) to this one (`mine`); unchanged fields left out.
    pub diff: Vec<FieldDiff>,
}

/// A page of submissions: `GET /v1/submissions` (staff) and `GET /v1/cities/{city}/submissions`
/// (that city, with `cityId`). `next` is the `after=` of the next page, null on the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionPage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub city_id: Option<String>,
    pub submissions: Vec<SubmissionSummary>,
    pub next: Option<String>,
}

/// What a reviewer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Publish it as the city's next version.
    Accept,
    /// Send it back with comments; the city submits again.
    RequestChanges,
    /// Refuse it, with a reason.
    Reject,
}

impl Decision {
    /// The status a decision gives.
    pub fn status(self) -> SubmissionStatus {
        match self {
            Decision::Accept => SubmissionStatus::Accepted,
            Decision::RequestChanges => SubmissionStatus::ChangesRequested,
            Decision::Reject => SubmissionStatus::Rejected,
        }
    }
}

/// A comment on one field, as a reviewer sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct FieldComment {
    pub field: String,
    pub comment: String,
}

/// `POST /v1/submissions/{id}/decision` (staff). A comment is required unless accepting; an
/// accept must resolve every conflicting field. Answered with the [`SubmissionSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub comments: Vec<FieldComment>,
    /// For each conflicting field: which value to publish.
    #[serde(default)]
    pub resolutions: BTreeMap<String, Choice>,
}

impl DecisionRequest {
    /// The comments a decision records: the general one first, then those on fields.
    pub fn all_comments(&self) -> Vec<Comment> {
        let mut out = Vec::new();
        if let Some(c) = self.comment.as_ref().filter(|c| !c.trim().is_empty()) {
            out.push(Comment { field: None, comment: c.clone() });
        }
        out.extend(
            self.comments
                .iter()
                .filter(|c| !c.comment.trim().is_empty())
                .map(|c| Comment { field: Some(c.field.clone()), comment: c.comment.clone() }),
        );
        out
    }
}

/// `PUT /v1/cities/{city}/media/{sha256}`: the photo the server now holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MediaStored {
    pub sha256: String,
    pub mime: String,
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_round_trip_through_their_wire_names() {
        for c in ErrorCode::ALL {
            let wire = serde_json::to_value(c).unwrap();
            assert_eq!(wire, serde_json::json!(c.as_str()));
            assert_eq!(serde_json::from_value::<ErrorCode>(wire).unwrap(), c);
        }
        for s in SubmissionStatus::ALL {
            assert_eq!(SubmissionStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert_eq!(ErrorCode::from_status(401), ErrorCode::Unauthorized);
        assert_eq!(ErrorCode::from_status(403), ErrorCode::Forbidden);
        assert_eq!(ErrorCode::from_status(503), ErrorCode::Busy);
        assert_eq!(ErrorCode::from_status(422), ErrorCode::InvalidInput);
    }

    #[test]
    fn a_decision_body_is_strict_and_its_comments_are_ordered() {
        let d: DecisionRequest = serde_json::from_value(serde_json::json!({
            "decision": "request_changes", "comment": "Please update",
            "comments": [{"field": "vision", "comment": "shorter"}, {"field": "plan", "comment": "  "}],
        }))
        .unwrap();
        assert_eq!(d.decision.status(), SubmissionStatus::ChangesRequested);
        let c = d.all_comments();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].field, None);
        assert_eq!(c[1].field.as_deref(), Some("vision"));
        assert!(serde_json::from_value::<DecisionRequest>(serde_json::json!({"decision": "maybe"})).is_err());
        assert!(serde_json::from_value::<DecisionRequest>(serde_json::json!({"decision": "accept", "x": 1})).is_err());
        assert!(serde_json::from_value::<DecisionRequest>(
            serde_json::json!({"decision": "accept", "resolutions": {"vision": "ours"}})
        )
        .is_err());
    }

    #[test]
    fn tokens_have_one_syntax() {
        let (id, token, hash) = new_token();
        let (pid, secret) = parse_token(&token).unwrap();
        assert_eq!(pid, id);
        assert_eq!(token_hash(secret), hash);
        assert!(parse_token("gnlc_xyz").is_none());
        assert!(parse_token(&token.replace("gnlc_", "gnlx_")).is_none());
    }
}

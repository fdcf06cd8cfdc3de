//! Staff review over the protocol (docs/protocol.md, "Review"): the inbox, one submission with
//! its diff, a decision; and who a token acts for. Every request and answer is a
//! [`crate::protocol`] type.
//!
//! Owns: those use cases. Must not: hold SQL, or be called with a lock another command needs
//! (each is a network request).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ApiError, ErrorCode, Result};
use crate::protocol::{
    DecisionRequest, Identity, NewTokens, SubmissionDetail, SubmissionPage, SubmissionStatus, SubmissionSummary,
    TokenList, TokenRequest, TokenSummary,
};
use crate::store::Store;
use crate::sync;

/// One request to the server with a token, retried on network faults (3 attempts); the answer
/// parsed as `T`, or the server's `{code, message, fields}` as an [`ApiError`].
fn request<T: DeserializeOwned>(feed: &str, token: &str, path: &str, body: Option<&DecisionRequest>) -> Result<T> {
    request_with(feed, token, path, body, 3)
}

/// [`request`] with any JSON body, and `attempts` tries (1 for a request that must not be made
/// twice, such as issuing tokens).
fn request_with<T: DeserializeOwned, B: Serialize>(
    feed: &str,
    token: &str,
    path: &str,
    body: Option<&B>,
    attempts: u32,
) -> Result<T> {
    let base = sync::normalise_base(feed)?;
    let url = format!("{base}{path}");
    sync::check_token_transport(&url)?;
    let mut http =
        sync::Http::new(sync::Options { retry: sync::Retry { attempts, ..Default::default() }, ..Default::default() })?;
    let body =
        body.map(serde_json::to_string).transpose().map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let got = http.send(&url, &|c| match &body {
        Some(b) => {
            c.post(&url).bearer_auth(token).header(reqwest::header::CONTENT_TYPE, "application/json").body(b.clone())
        }
        None => c.get(&url).bearer_auth(token),
    })?;
    if !(200..300).contains(&got.status) {
        return Err(sync::status_error(&url, got.status, &got.body).into());
    }
    serde_json::from_slice(&got.body).map_err(|e| {
        ApiError::new(ErrorCode::InvalidInput, format!("{url}: the server's answer is not what the protocol says: {e}"))
    })
}

/// Every submission with one of `statuses` (all when empty), oldest first, following the
/// server's pages. A server that never ends its list is cut off after 10,000 pages.
pub fn review_list(feed: &str, token: &str, statuses: &[SubmissionStatus]) -> Result<Vec<SubmissionSummary>> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10_000 {
        let mut q = vec!["limit=500".to_string()];
        if !statuses.is_empty() {
            let list: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            q.push(format!("status={}", list.join(",")));
        }
        if let Some(a) = &after {
            q.push(format!("after={a}"));
        }
        let page: SubmissionPage = request(feed, token, &format!("/v1/submissions?{}", q.join("&")), None)?;
        all.extend(page.submissions);
        match page.next {
            Some(n) if after.as_deref() != Some(n.as_str()) && n.chars().all(|c| c.is_ascii_alphanumeric()) => {
                after = Some(n)
            }
            _ => break,
        }
    }
    Ok(all)
}

/// A submission ids are made of: letters, digits, `_` and `-` (so it is safe in a path).
fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ApiError::invalid(format!("{id:?} is not a submission id"), vec![]));
    }
    Ok(())
}

/// One submission with its per-field diff against the version published now (opening it moves
/// it from `submitted` to `in_review`).
pub fn review_show(feed: &str, token: &str, id: &str) -> Result<SubmissionDetail> {
    check_id(id)?;
    request(feed, token, &format!("/v1/submissions/{id}"), None)
}

/// Records a decision (accept publishes the city's next version).
pub fn review_decide(feed: &str, token: &str, id: &str, decision: &DecisionRequest) -> Result<SubmissionSummary> {
    check_id(id)?;
    request(feed, token, &format!("/v1/submissions/{id}/decision"), Some(decision))
}

/// Takes one decision on several submissions, each in turn: one that cannot be taken (decided
/// meanwhile, conflicts to choose, no such submission) is answered with its error and the
/// others go on. Answers in the order of `ids`.
pub fn review_decide_each(
    feed: &str,
    token: &str,
    ids: &[String],
    decision: &DecisionRequest,
) -> Vec<(String, Result<SubmissionSummary>)> {
    ids.iter().map(|id| (id.clone(), review_decide(feed, token, id, decision))).collect()
}

/// Asks the server who a token acts for (and so checks it).
pub fn whoami(feed: &str, token: &str) -> Result<Identity> {
    request(feed, token, "/v1/whoami", None)
}

/// A token as staff see it in the window: the server's listing, and whether it is the token this
/// window uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct StaffToken {
    #[serde(flatten)]
    #[ts(flatten)]
    pub token: TokenSummary,
    pub this_window: bool,
}

/// Every token the server issued (never a secret), oldest first.
pub fn staff_tokens(feed: &str, token: &str) -> Result<Vec<StaffToken>> {
    let own = crate::protocol::parse_token(token.trim()).map(|(id, _)| id.to_string());
    let list: TokenList = request(feed, token, "/v1/tokens", None)?;
    Ok(list
        .tokens
        .into_iter()
        .map(|t| StaffToken { this_window: own.as_deref() == Some(t.id.as_str()), token: t })
        .collect())
}

/// A token id: letters and digits (so it is safe in a path).
fn check_token_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(format!("{id:?} is not a token id"), vec![]));
    }
    Ok(())
}

/// Revokes a token on the server (not the one this request is made with).
pub fn staff_revoke(feed: &str, token: &str, id: &str) -> Result<TokenSummary> {
    check_token_id(id)?;
    request_with::<_, ()>(feed, token, &format!("/v1/tokens/{id}/revoke"), Some(&()), 3)
}

/// Invites cities' focal points through the server: a city token each (issued by the server, all
/// or none), and the invitations written to `out` as for `portraits token invite`. The focal
/// points come from this laptop's catalogue (which follows the feed). If the invitations cannot
/// be written, the tokens just issued are revoked, so no token is left that nobody has.
pub fn staff_invite(
    store: &Store,
    feed: &str,
    token: &str,
    cities: &[String],
    out: &std::path::Path,
) -> Result<super::InviteReport> {
    super::admin::check_feed_address(feed)?;
    let portraits = super::admin::invitees(store, cities)?;
    let earlier = staff_tokens(feed, token)?;
    let request = TokenRequest { cities: cities.to_vec() };
    // Once only: a retry after a lost answer would issue tokens nobody receives.
    let issued: NewTokens = request_with(feed, token, "/v1/tokens", Some(&request), 1)?;
    let tokens: Vec<(String, String)> = portraits
        .iter()
        .map(|p| {
            issued.tokens.iter().find(|t| t.city_id == p.city.id).map(|t| (t.id.clone(), t.token.clone())).ok_or_else(
                || ApiError::new(ErrorCode::Internal, format!("the server issued no token for {}", p.city.id)),
            )
        })
        .collect::<Result<_>>()?;
    let earlier_of = |city: &str| {
        earlier.iter().filter(|e| e.token.city_id.as_deref() == Some(city) && e.token.revoked_at.is_none()).count()
    };
    let written = super::admin::write_invitations(&portraits, &tokens, &earlier_of, feed, out);
    if written.is_err() {
        for t in &issued.tokens {
            let _ = staff_revoke(feed, token, &t.id);
        }
    }
    written
}

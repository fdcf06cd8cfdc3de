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

/// One city's invitation: who it goes to and where it was written (never the token: it is in
/// the file and the mail-merge CSV only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Invitation {
    pub city_id: String,
    pub city: String,
    /// The id of the token issued (for `token revoke`).
    pub token_id: String,
    /// The focal point's name and email, where the portrait gives them.
    pub focal_point: Option<String>,
    pub email: Option<String>,
    /// The invitation's text file.
    pub file: String,
    /// Tokens the city already had, still valid (an earlier invitation's).
    pub earlier_tokens: usize,
}

/// What `invite` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct InviteReport {
    pub invitations: Vec<Invitation>,
    /// The mail-merge file: one row a city with its focal point, email, feed, token and text.
    pub csv: String,
}

/// Issues a city token for each city and writes its invitation to `out/<city-id>.txt` (the
/// focal point's name and email, the feed URL, the token, how to install and sign in) and one
/// mail-merge file `out/invitations.csv`, all readable by their owner only. All or nothing:
/// an unknown city refuses the whole run before any token is issued; a file that cannot be
/// written revokes the tokens issued and removes what was written.
pub fn invite(store: &mut Store, cities: &[String], feed: &str, out: &Path) -> Result<InviteReport> {
    check_feed_address(feed)?;
    let portraits = invitees(store, cities)?;
    let earlier = tokens(store)?;
    let mut issued: Vec<IssuedToken> = Vec::new();
    let mut result = portraits.iter().try_for_each(|p| {
        issued.push(issue_token(store, Some(&p.city.id))?);
        Ok(())
    });
    if result.is_ok() {
        let pairs: Vec<(String, String)> = issued.iter().map(|t| (t.id.clone(), t.token.clone())).collect();
        let earlier_of = |city: &str| {
            earlier.iter().filter(|e| e.city_id.as_deref() == Some(city) && e.revoked_at.is_none()).count()
        };
        match write_invitations(&portraits, &pairs, &earlier_of, feed, out) {
            Ok(report) => return Ok(report),
            Err(e) => result = Err(e),
        }
    }
    for t in &issued {
        let _ = revoke_token(store, &t.id);
    }
    Err(result.err().unwrap_or_else(|| ApiError::new(ErrorCode::Internal, "invitations not written")))
}

/// The feed address an invitation gives, checked before any token is issued.
pub fn check_feed_address(feed: &str) -> Result<&str> {
    let feed = feed.trim().trim_end_matches('/');
    if !(feed.starts_with("https://") || feed.starts_with("http://")) {
        return Err(ApiError::invalid(format!("{feed:?} is not a feed address (https://…)"), vec![]));
    }
    Ok(feed)
}

/// The portraits of the cities to invite, in order; an unknown city refuses them all.
pub fn invitees(store: &Store, cities: &[String]) -> Result<Vec<crate::model::Portrait>> {
    if cities.is_empty() {
        return Err(ApiError::invalid("no cities to invite", vec![]));
    }
    let mut portraits = Vec::new();
    let mut unknown = Vec::new();
    for id in cities {
        match store.portrait(id, None) {
            Ok(p) => portraits.push(p),
            Err(crate::store::StoreError::NotFound(_)) => unknown.push(id.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound, format!("no city {}: nothing was issued", unknown.join(", "))));
    }
    Ok(portraits)
}

/// Writes one invitation a city (`tokens[i]` = `(token id, token)` of `portraits[i]`) to
/// `out/<city-id>.txt` and the mail-merge file `out/invitations.csv`, readable by their owner
/// only. Nothing is left behind if one cannot be written.
pub fn write_invitations(
    portraits: &[crate::model::Portrait],
    tokens: &[(String, String)],
    earlier_of: &dyn Fn(&str) -> usize,
    feed: &str,
    out: &Path,
) -> Result<InviteReport> {
    let feed = check_feed_address(feed)?;
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    let result = (|| -> Result<InviteReport> {
        std::fs::create_dir_all(out).map_err(|e| super::files::io_error(out, e))?;
        let mut invitations = Vec::new();
        let mut csv = String::from("city_id,city,country,focal_point,email,feed,token,subject,body\n");
        for (p, (token_id, token)) in portraits.iter().zip(tokens) {
            let person = p.focal_point.and_then(|r| match r {
                crate::model::PersonRef::Contact(i) => {
                    p.contacts.get(i as usize).map(|c| (c.name.clone(), c.email.clone()))
                }
                crate::model::PersonRef::Quote => p.quote.as_ref().map(|q| (q.speaker.clone(), None)),
            });
            // Without a focal point, the first contact with an email.
            let person = person
                .or_else(|| p.contacts.iter().find(|c| c.email.is_some()).map(|c| (c.name.clone(), c.email.clone())));
            let (name, email) = match person {
                Some((n, e)) => (Some(n), e),
                None => (None, None),
            };
            let subject = format!("Your invitation to Learning City Portraits: {}", p.city.name);
            let body = invitation_text(&p.city.name, name.as_deref(), feed, token);
            let file = out.join(format!("{}.txt", p.city.id));
            super::files::write_private(&file, format!("Subject: {subject}\n\n{body}").as_bytes())?;
            written.push(file.clone());
            let row = [
                p.city.id.as_str(),
                p.city.name.as_str(),
                p.city.country.name.as_str(),
                name.as_deref().unwrap_or(""),
                email.as_deref().unwrap_or(""),
                feed,
                token.as_str(),
                subject.as_str(),
                body.as_str(),
            ];
            csv.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            csv.push('\n');
            invitations.push(Invitation {
                city_id: p.city.id.clone(),
                city: p.city.name.clone(),
                token_id: token_id.clone(),
                focal_point: name,
                email,
                file: file.display().to_string(),
                earlier_tokens: earlier_of(&p.city.id),
            });
        }
        let csv_path = out.join("invitations.csv");
        super::files::write_private(&csv_path, csv.as_bytes())?;
        written.push(csv_path.clone());
        Ok(InviteReport { invitations, csv: csv_path.display().to_string() })
    })();
    if result.is_err() {
        for f in &written {
            let _ = std::fs::remove_file(f);
        }
    }
    result
}

/// The invitation's words: who it is for, what the app is, how to install it and connect.
fn invitation_text(city: &str, name: Option<&str>, feed: &str, token: &str) -> String {
    let greeting = match name {
        Some(n) => format!("Dear {n},"),
        None => format!("Dear coordinator of {city},"),
    };
    format!(
        "{greeting}\n\n\
         The UNESCO Institute for Lifelong Learning invites you to keep {city}'s portrait in the \
         Global Network of Learning Cities up to date with Learning City Portraits, a desktop \
         application that works offline.\n\n\
         1. Install Learning City Portraits from the installer UIL sends with this message (on \
         Debian or Ubuntu: open the .deb file, or run: sudo apt install ./learning-city-portraits_*.deb).\n\
         2. Open it, and go to Settings.\n\
         3. Paste this address into \"Feed address\":\n\n    {feed}\n\n\
         4. Paste this token into \"Token from your invitation\", then press Connect:\n\n    {token}\n\n\
         The page then says \"Signed in as the coordinator of {city}\". You can edit your city's \
         portrait, submit it for review and read the reviewer's comments; the whole network's \
         portraits are on your computer, with or without a connection.\n\n\
         The token is yours alone: keep it secret, and do not forward this message. If it is lost \
         or seen by someone else, ask UIL for a new one; the old one will be revoked.\n\n\
         UNESCO Institute for Lifelong Learning\n"
    )
}

/// A CSV cell: quoted when it holds a comma, quote or line end; a leading =, +, - or @ (which a
/// spreadsheet program would run as a formula) is written after an apostrophe.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_merge_cells_are_quoted_and_never_run_as_formulas() {
        assert_eq!(csv_cell("Cork"), "Cork");
        assert_eq!(csv_cell("Gwanak-gu, Seoul"), "\"Gwanak-gu, Seoul\"");
        assert_eq!(csv_cell("a \"quoted\" word"), "\"a \"\"quoted\"\" word\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2"), "'-2");
    }
}

//! A city's draft on this machine: set from a file, edited in `$EDITOR` or a form (autosaved,
//! merged onto a rebase that happened meanwhile), conflicts resolved, discarded.
//!
//! Owns: those use cases. Must not: hold SQL (`store`) or touch the network.

use serde::{Deserialize, Serialize};

use super::{today, ApiError, ErrorCode, Result};
use crate::model::{self, merge, merge::Choice, FieldError, Portrait, Source};
use crate::store::{Draft, Store, StoreError};

/// A draft as shown: the portrait, its base, and the fields in conflict.
pub fn draft(store: &Store, city_id: &str) -> Result<Option<Draft>> {
    Ok(store.draft(city_id)?)
}

/// Sets a city's draft from portrait JSON. The city block and the publication are the
/// publisher's and are taken from the catalogue; the draft keeps its base version (the latest,
/// for a new draft). Invalid JSON changes nothing.
pub fn set_draft(store: &mut Store, city_id: &str, bytes: &[u8], origin: &str) -> Result<Draft> {
    let portrait = parse_draft_file(city_id, bytes, origin)?;
    let draft = store_draft(store, city_id, portrait, None)?;
    // A whole new draft: nothing typed in the form is pending any more.
    store.set_draft_typed(city_id, &Default::default())?;
    Ok(Draft { typed: Default::default(), ..draft })
}

fn parse_draft_file(city_id: &str, bytes: &[u8], origin: &str) -> Result<Portrait> {
    let portrait = model::parse_portrait(bytes).map_err(|errs| {
        let first = errs.first().map(|e| e.to_string()).unwrap_or_default();
        ApiError::invalid(format!("{origin}: {first}"), errs)
    })?;
    if portrait.city.id != city_id {
        return Err(ApiError::invalid(
            format!("{origin}: the portrait is of {} but the draft is for {city_id}", portrait.city.id),
            vec![FieldError::new("$.city.id", format!("must be {city_id}")).code("wrong_city")],
        ));
    }
    Ok(portrait)
}

/// Stores a portrait as the city's draft. The city block and the publication are the
/// publisher's and come from the catalogue; the draft keeps its base version (the latest, for a
/// new draft) and any conflicts still open.
fn store_draft(store: &mut Store, city_id: &str, mut portrait: Portrait, expected: Option<u64>) -> Result<Draft> {
    let city = store.city(city_id)?;
    let existing = store.draft(city_id)?;
    let latest = store.versions(city_id)?.last().map(|v| v.version).unwrap_or(1);
    let base = existing.as_ref().map(|d| d.base_version).unwrap_or(latest);
    let conflicts = existing.map(|d| d.conflicts).unwrap_or_default();
    portrait.city = city;
    portrait.version = base + 1;
    portrait.source = Source { booklet: None, published: today() };
    Ok(store.save_draft(city_id, base, &portrait, &conflicts, expected)?)
}

/// A draft saved from a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SavedDraft {
    pub draft: Draft,
    /// Domain errors to show next to their fields (the draft is stored all the same).
    pub errors: Vec<FieldError>,
    /// The save was made against a draft that a sync had rebased meanwhile: it was merged onto
    /// the rebased draft (three-way, conflicts kept for the user). The form must show `draft`.
    pub merged: bool,
}

/// Saves `portrait`, edited from the draft at revision `based_on`, as the city's draft. When a
/// sync rebased the draft since (it is at a later revision), the edit is merged onto the
/// rebased draft — base: the draft as it was before the rebase, theirs: the rebased draft,
/// mine: the edit — and conflicts are added for the user to choose; never written over the
/// rebase. A save against a revision older still is refused (`conflict`): reload the draft.
pub fn save_draft_merging(
    store: &mut Store,
    city_id: &str,
    portrait: Portrait,
    based_on: Option<u64>,
) -> Result<(Draft, bool)> {
    let Some(rev) = based_on else { return Ok((store_draft(store, city_id, portrait, None)?, false)) };
    for _ in 0..3 {
        let current = store.draft(city_id)?;
        let Some(current) = current else {
            // No draft (discarded, or published and dropped): this edit starts a new one.
            return Ok((store_draft(store, city_id, portrait, None)?, false));
        };
        if current.revision == rev {
            match store_draft(store, city_id, portrait.clone(), Some(rev)) {
                Err(e) if e.code == ErrorCode::Conflict => continue, // a rebase came in between
                other => return Ok((other?, false)),
            }
        }
        let Some((before_rev, before)) = store.draft_before_rebase(city_id)? else { break };
        if before_rev != rev {
            break;
        }
        let m = merge::three_way(&before, &current.portrait, &portrait);
        let mut conflicts = current.conflicts.clone();
        for c in m.conflicts() {
            conflicts.retain(|x| x.field != c.field);
            conflicts.push(c.clone());
        }
        conflicts.sort_by_key(|c| merge::FIELDS.iter().position(|f| *f == c.field).unwrap_or(usize::MAX));
        let mut merged = m.merged.clone();
        merged.city = current.portrait.city.clone();
        merged.version = current.portrait.version;
        merged.source = current.portrait.source.clone();
        match store.save_draft(city_id, current.base_version, &merged, &conflicts, Some(current.revision)) {
            Ok(d) => return Ok((d, true)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let now = store.draft(city_id)?.map(|d| d.revision).unwrap_or(0);
    Err(ApiError::new(
        ErrorCode::Conflict,
        format!(
            "the draft of {city_id} changed since this edit began (revision {rev}, now {now}): reload it; nothing was overwritten"
        ),
    ))
}

/// Saves a draft edited in a form (autosave): stored even when a domain rule fails, so nothing
/// typed is lost; the errors come back for the form to show next to their fields. The city
/// block and the publication are the publisher's.
/// `based_on` is the draft revision the form was showing (see [`save_draft_merging`]).
pub fn save_draft_portrait(
    store: &mut Store,
    city_id: &str,
    portrait: Portrait,
    based_on: Option<u64>,
    typed: &std::collections::BTreeMap<String, String>,
) -> Result<SavedDraft> {
    // Kept within bounds rather than refused (a refusal would stop every autosave of the form):
    // at most 100 fields, 200-byte paths, 10,000 characters each.
    let typed: std::collections::BTreeMap<String, String> = typed
        .iter()
        .filter(|(k, _)| k.len() <= 200)
        .take(100)
        .map(|(k, v)| (k.clone(), v.chars().take(10_000).collect()))
        .collect();
    let (mut draft, merged) = save_draft_merging(store, city_id, portrait, based_on)?;
    store.set_draft_typed(city_id, &typed)?;
    draft.typed = typed.clone();
    let mut errors = model::validate_portrait(&draft.portrait);
    for (path, text) in &typed {
        errors.push(
            FieldError::new(format!("$.{path}"), format!("{text:?} is not a value yet"))
                .code("not_a_value")
                .with("value", text.as_str()),
        );
    }
    Ok(SavedDraft { draft, errors, merged })
}

/// The JSON a user edits: the draft, or the latest version for a new draft.
pub fn draft_json(store: &Store, city_id: &str) -> Result<String> {
    let p = match store.draft(city_id)? {
        Some(d) => d.portrait,
        None => store.portrait(city_id, None)?,
    };
    Ok(model::to_canonical_json(&p))
}

/// Opens `$EDITOR` (else `vi`) on the draft. If what comes back is invalid, the draft is not
/// changed and the edited file is kept, so no work is lost.
pub fn edit_draft(store: &mut Store, city_id: &str) -> Result<Draft> {
    let text = draft_json(store, city_id)?;
    // A sync may rebase the draft while the editor is open: the edit is merged onto it.
    let revision = store.draft(city_id)?.map(|d| d.revision);
    let dir = std::env::temp_dir();
    let path = dir.join(format!("portrait-{city_id}-{}.json", std::process::id()));
    std::fs::write(&path, &text).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))?;
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(&path)
        .status()
        .map_err(|e| ApiError::new(ErrorCode::Io, format!("cannot run the editor {editor:?}: {e}")))?;
    if !status.success() {
        return Err(ApiError::new(
            ErrorCode::Io,
            format!("the editor exited with {status}; the draft was not changed ({} kept)", path.display()),
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display())))?;
    let origin = path.display().to_string();
    let saved = parse_draft_file(city_id, &bytes, &origin)
        .and_then(|p| save_draft_merging(store, city_id, p, revision).map(|(d, _)| d));
    match saved {
        Ok(d) => {
            let _ = std::fs::remove_file(&path);
            Ok(d)
        }
        Err(mut e) => {
            e.message = format!("{} — the draft was not changed; your edit is kept in {}", e.message, path.display());
            Err(e)
        }
    }
}

/// Resolves one conflicting field of a rebased draft: `base`, `theirs`, or `mine` (keep the
/// draft's value).
pub fn resolve_conflict(store: &mut Store, city_id: &str, field: &str, choice: Choice) -> Result<Draft> {
    let d =
        store.draft(city_id)?.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("{city_id} has no draft")))?;
    let Some(c) = d.conflicts.iter().find(|c| c.field == field) else {
        let open: Vec<&str> = d.conflicts.iter().map(|c| c.field.as_str()).collect();
        return Err(ApiError::invalid(
            format!(
                "{field:?} is not in conflict in the draft of {city_id} (open: {})",
                if open.is_empty() { "none".into() } else { open.join(", ") }
            ),
            vec![],
        ));
    };
    let portrait = match choice {
        Choice::Mine => d.portrait.clone(),
        Choice::Base | Choice::Theirs => {
            merge::resolve(&d.portrait, c, choice).map_err(|e| ApiError::invalid(e, vec![]))?
        }
    };
    let rest: Vec<merge::FieldDiff> = d.conflicts.iter().filter(|x| x.field != field).cloned().collect();
    Ok(store.save_draft(city_id, d.base_version, &portrait, &rest, Some(d.revision))?)
}

pub fn discard_draft(store: &mut Store, city_id: &str) -> Result<bool> {
    store.city(city_id)?;
    Ok(store.delete_draft(city_id)?)
}

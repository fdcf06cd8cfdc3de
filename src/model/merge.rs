//! The three-way merge of portraits (docs/protocol.md): one pure function, used by the client to rebase
//! a draft when a newer version is published, and by the server for the review diff.
//!
//! Per field, with B = base, P = published now (theirs), M = mine:
//! M == B → P; P == B → M; M == P → M; otherwise a conflict. The narrative sections and the lead
//! merge paragraph by paragraph (a diff3 over paragraphs): edits to different paragraphs combine,
//! overlapping edits are a conflict. A conflict keeps *mine* in the merged portrait, so nothing the
//! user wrote is lost, and is listed with all three values for the user to choose.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{markdown, Portrait};

/// The fields a merge compares, in portrait order. `city`, `schema_version`, `version` and
/// `source` belong to the publisher and are not merged.
pub const FIELDS: [&str; 21] = [
    "tagline",
    "lead",
    "facts.population",
    "facts.area_km2",
    "facts.gdp_city_usd",
    "facts.gdp_country_usd",
    "facts.schooling_years",
    "vision",
    "challenges",
    "plan",
    "quote",
    "contacts",
    "highlights",
    "photos",
    "key_feature_areas",
    "location",
    "mayor",
    "focal_point",
    "clusters",
    "interests",
    "translations",
];

/// Fields merged paragraph by paragraph.
const LONG_TEXT: [&str; 4] = ["lead", "vision", "challenges", "plan"];

/// How one field came out of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FieldState {
    /// Nobody changed it.
    Unchanged,
    /// Changed only by mine (the submission, the draft).
    Mine,
    /// Changed only by theirs (published since the base).
    Theirs,
    /// Changed the same way by both.
    Both,
    /// Changed by both in different paragraphs: combined.
    Merged,
    /// Changed by both, overlapping: the user must choose.
    Conflict,
}

/// One field of a merge, with the three values (JSON) for a side-by-side view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldDiff {
    pub field: String,
    pub state: FieldState,
    pub base: Value,
    pub theirs: Value,
    pub mine: Value,
    /// The merged value (for a conflict: mine, until resolved).
    pub merged: Value,
}

/// The result of a three-way merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Merge {
    pub merged: Portrait,
    pub fields: Vec<FieldDiff>,
}

impl Merge {
    pub fn conflicts(&self) -> impl Iterator<Item = &FieldDiff> {
        self.fields.iter().filter(|f| f.state == FieldState::Conflict)
    }

    pub fn has_conflicts(&self) -> bool {
        self.conflicts().next().is_some()
    }
}

/// Reads a field (dotted path) of a portrait as JSON.
pub fn get_field(p: &Value, field: &str) -> Value {
    let mut v = p;
    for part in field.split('.') {
        match v.get(part) {
            Some(x) => v = x,
            None => return Value::Null,
        }
    }
    v.clone()
}

/// Merges two sides' changes to an object key by key (translations, by language): each key by the
/// rule of [`merge_value`]; None when a key conflicts. A key whose merge is null is left out.
fn merge_by_key(base: &Value, theirs: &Value, mine: &Value) -> Option<Value> {
    let empty = serde_json::Map::new();
    let obj = |v: &Value| v.as_object().cloned().unwrap_or_else(|| empty.clone());
    let (b, t, m) = (obj(base), obj(theirs), obj(mine));
    let mut keys: Vec<&String> = b.keys().chain(t.keys()).chain(m.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = serde_json::Map::new();
    for k in keys {
        let get = |o: &serde_json::Map<String, Value>| o.get(k).cloned().unwrap_or(Value::Null);
        let (state, v) = merge_value(&get(&b), &get(&t), &get(&m));
        if state == FieldState::Conflict {
            return None;
        }
        if !v.is_null() {
            out.insert(k.clone(), v);
        }
    }
    Some(if out.is_empty() { Value::Null } else { Value::Object(out) })
}

/// Fields left out of a portrait's JSON when they are empty: null writes them as absent.
const OMITTED_WHEN_EMPTY: [&str; 1] = ["translations"];

/// Writes a field (dotted path) of a portrait as JSON.
pub fn set_field(p: &mut Value, field: &str, value: Value) {
    if value.is_null() && OMITTED_WHEN_EMPTY.contains(&field) {
        if let Some(obj) = p.as_object_mut() {
            obj.shift_remove(field);
        }
        return;
    }
    let parts: Vec<&str> = field.split('.').collect();
    let mut v = p;
    for part in &parts[..parts.len() - 1] {
        match v.get_mut(*part) {
            Some(x) => v = x,
            None => return,
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert(parts[parts.len() - 1].to_string(), value);
    }
}

/// Merges one value by the rule M==B → P; P==B → M; M==P → M; else conflict.
fn merge_value(base: &Value, theirs: &Value, mine: &Value) -> (FieldState, Value) {
    if mine == base && theirs == base {
        (FieldState::Unchanged, base.clone())
    } else if mine == base {
        (FieldState::Theirs, theirs.clone())
    } else if theirs == base {
        (FieldState::Mine, mine.clone())
    } else if mine == theirs {
        (FieldState::Both, mine.clone())
    } else {
        (FieldState::Conflict, mine.clone())
    }
}

/// A three-way merge of two edits of a paragraph sequence (diff3). `None` when the edits
/// overlap.
pub fn merge_paragraphs(base: &[String], theirs: &[String], mine: &[String]) -> Option<Vec<String>> {
    // Matching base indices: base[i] kept in theirs at t[i], in mine at m[i] (LCS alignment).
    let t = lcs_map(base, theirs);
    let m = lcs_map(base, mine);
    let mut out = Vec::new();
    // Walk through "stable" base paragraphs kept unchanged by both sides; between them, the
    // chunks of each side are compared with the base chunk.
    let (mut bi, mut ti, mut mi) = (0usize, 0usize, 0usize);
    loop {
        // Next base index that both sides kept.
        let next = (bi..base.len()).find(|&i| t[i].is_some() && m[i].is_some());
        let (b_end, t_end, m_end) = match next {
            Some(i) => (i, t[i].unwrap_or(theirs.len()), m[i].unwrap_or(mine.len())),
            None => (base.len(), theirs.len(), mine.len()),
        };
        let b_chunk = &base[bi..b_end];
        let t_chunk = &theirs[ti.min(t_end)..t_end];
        let m_chunk = &mine[mi.min(m_end)..m_end];
        if t_chunk == b_chunk {
            out.extend_from_slice(m_chunk);
        } else if m_chunk == b_chunk || m_chunk == t_chunk {
            out.extend_from_slice(t_chunk);
        } else {
            return None;
        }
        match next {
            Some(i) => {
                out.push(base[i].clone());
                bi = i + 1;
                ti = t_end + 1;
                mi = m_end + 1;
            }
            None => break,
        }
    }
    Some(out)
}

/// For each base element, its index in `other` under a longest common subsequence.
fn lcs_map(base: &[String], other: &[String]) -> Vec<Option<usize>> {
    let (n, k) = (base.len(), other.len());
    let mut dp = vec![vec![0u32; k + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..k).rev() {
            dp[i][j] = if base[i] == other[j] { dp[i + 1][j + 1] + 1 } else { dp[i + 1][j].max(dp[i][j + 1]) };
        }
    }
    let mut map = vec![None; n];
    let (mut i, mut j) = (0, 0);
    while i < n && j < k {
        if base[i] == other[j] {
            map[i] = Some(j);
            i += 1;
            j += 1;
        } else if dp[i + 1][j] >= dp[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    map
}

fn paragraphs_of(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(markdown::paragraphs(s)),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

/// Merges `mine` (a draft or submission based on `base`) with `theirs` (the version published
/// now). The merged portrait takes the publisher's fields (city, version, source) from `theirs`.
pub fn three_way(base: &Portrait, theirs: &Portrait, mine: &Portrait) -> Merge {
    let b = serde_json::to_value(base).unwrap_or(Value::Null);
    let t = serde_json::to_value(theirs).unwrap_or(Value::Null);
    let m = serde_json::to_value(mine).unwrap_or(Value::Null);
    let mut merged = t.clone();
    let mut fields = Vec::with_capacity(FIELDS.len());
    for field in FIELDS {
        let (bv, tv, mv) = (get_field(&b, field), get_field(&t, field), get_field(&m, field));
        let (mut state, mut value) = merge_value(&bv, &tv, &mv);
        if state == FieldState::Conflict && LONG_TEXT.contains(&field) {
            if let (Some(bp), Some(tp), Some(mp)) = (paragraphs_of(&bv), paragraphs_of(&tv), paragraphs_of(&mv)) {
                if let Some(joined) = merge_paragraphs(&bp, &tp, &mp) {
                    state = FieldState::Merged;
                    value = if joined.is_empty() && !matches!(mv, Value::String(_)) {
                        Value::Null
                    } else {
                        Value::String(joined.join("\n\n"))
                    };
                }
            }
        }
        if state == FieldState::Conflict && field == "translations" {
            if let Some(joined) = merge_by_key(&bv, &tv, &mv) {
                state = FieldState::Merged;
                value = joined;
            }
        }
        set_field(&mut merged, field, value.clone());
        fields.push(FieldDiff { field: field.to_string(), state, base: bv, theirs: tv, mine: mv, merged: value });
    }
    // The merged value is a portrait again: every field came from one of three valid portraits,
    // and paragraph merges are text. Should it ever not be, nothing falls back to "mine"
    // silently: every field that either side changed becomes a conflict for the user to see,
    // with mine kept (and the publisher's fields from theirs).
    match serde_json::from_value::<Portrait>(merged) {
        Ok(merged) => Merge { merged, fields },
        Err(_) => unmergeable(theirs, mine, fields),
    }
}

/// The result when the combined fields do not make a portrait: every changed field is a
/// conflict, mine is kept.
fn unmergeable(theirs: &Portrait, mine: &Portrait, mut fields: Vec<FieldDiff>) -> Merge {
    for f in &mut fields {
        if f.state != FieldState::Unchanged {
            f.state = FieldState::Conflict;
            f.merged = f.mine.clone();
        }
    }
    let mut merged = mine.clone();
    merged.city = theirs.city.clone();
    merged.version = theirs.version;
    merged.source = theirs.source.clone();
    Merge { merged, fields }
}

/// How a conflicting field is settled: the base version's value, the one published since
/// (`theirs`), or the submission's / the draft's (`mine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Choice {
    Base,
    Theirs,
    Mine,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Base => "base",
            Choice::Theirs => "theirs",
            Choice::Mine => "mine",
        }
    }

    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "base" => Some(Choice::Base),
            "theirs" => Some(Choice::Theirs),
            "mine" => Some(Choice::Mine),
            _ => None,
        }
    }
}

/// Applies a user's choice for a conflicting field: `base`, `theirs` or `mine`.
pub fn resolve(portrait: &Portrait, diff: &FieldDiff, choice: Choice) -> Result<Portrait, String> {
    let value = match choice {
        Choice::Base => diff.base.clone(),
        Choice::Theirs => diff.theirs.clone(),
        Choice::Mine => diff.mine.clone(),
    };
    let mut v = serde_json::to_value(portrait).map_err(|e| e.to_string())?;
    set_field(&mut v, &diff.field, value);
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Portrait {
        serde_json::from_str(include_str!("../../data/portraits/ar-villa-maria/v1.json")).unwrap()
    }

    fn state(m: &Merge, field: &str) -> FieldState {
        m.fields.iter().find(|f| f.field == field).unwrap().state
    }

    /// The table of the merge rules (docs/protocol.md), per field.
    #[test]
    fn the_merge_rules() {
        let b = base();
        // (description, theirs tagline, mine tagline, expected state, expected merged)
        let cases: [(&str, &str, &str, FieldState, &str); 5] = [
            ("nobody changed it", "T0", "T0", FieldState::Unchanged, "T0"),
            ("only theirs changed: take theirs", "T1", "T0", FieldState::Theirs, "T1"),
            ("only mine changed: take mine", "T0", "T2", FieldState::Mine, "T2"),
            ("both changed the same way", "T3", "T3", FieldState::Both, "T3"),
            ("both changed differently: conflict, mine kept", "T4", "T5", FieldState::Conflict, "T5"),
        ];
        for (what, theirs, mine, want, merged) in cases {
            let mut base = b.clone();
            base.tagline = Some("T0".into());
            let mut t = base.clone();
            t.tagline = Some(theirs.into());
            t.version = 2;
            let mut m = base.clone();
            m.tagline = Some(mine.into());
            let r = three_way(&base, &t, &m);
            assert_eq!(state(&r, "tagline"), want, "{what}");
            assert_eq!(r.merged.tagline.as_deref(), Some(merged), "{what}");
            assert_eq!(r.merged.version, 2, "{what}: the publisher's version");
        }
    }

    #[test]
    fn different_fields_combine() {
        let b = base();
        let mut t = b.clone();
        t.tagline = Some("Theirs".into());
        let mut m = b.clone();
        m.facts.population.note = Some("census".into());
        let r = three_way(&b, &t, &m);
        assert!(!r.has_conflicts());
        assert_eq!(r.merged.tagline.as_deref(), Some("Theirs"));
        assert_eq!(r.merged.facts.population.note.as_deref(), Some("census"));
    }

    #[test]
    fn long_text_merges_by_paragraph() {
        let b = base();
        let plan = b.plan.clone().unwrap();
        let paras = markdown::paragraphs(&plan);
        assert!(paras.len() >= 3);
        // Theirs edits the first paragraph, mine the last: combined.
        let mut t = b.clone();
        let mut tp = paras.clone();
        tp[0] = "Theirs rewrote the opening.".into();
        t.plan = Some(tp.join("\n\n"));
        let mut m = b.clone();
        let mut mp = paras.clone();
        let last = mp.len() - 1;
        mp[last] = "- mine rewrote the list".into();
        m.plan = Some(mp.join("\n\n"));
        let r = three_way(&b, &t, &m);
        assert_eq!(state(&r, "plan"), FieldState::Merged);
        let merged = r.merged.plan.clone().unwrap();
        assert!(merged.starts_with("Theirs rewrote the opening."));
        assert!(merged.ends_with("- mine rewrote the list"));
        // Both edit the same paragraph: a conflict, mine kept.
        let mut m2 = b.clone();
        let mut mp2 = paras.clone();
        mp2[0] = "Mine rewrote the opening too.".into();
        m2.plan = Some(mp2.join("\n\n"));
        let r = three_way(&b, &t, &m2);
        assert_eq!(state(&r, "plan"), FieldState::Conflict);
        assert!(r.merged.plan.clone().unwrap().starts_with("Mine rewrote"));
        // Inserted paragraphs at different places combine.
        let mut t3 = b.clone();
        let mut tp3 = paras.clone();
        tp3.insert(0, "New first paragraph.".into());
        t3.plan = Some(tp3.join("\n\n"));
        let mut m3 = b.clone();
        let mut mp3 = paras.clone();
        mp3.push("New last paragraph.".into());
        m3.plan = Some(mp3.join("\n\n"));
        let r = three_way(&b, &t3, &m3);
        assert_eq!(state(&r, "plan"), FieldState::Merged);
        let merged = markdown::paragraphs(&r.merged.plan.clone().unwrap());
        assert_eq!(merged.first().unwrap(), "New first paragraph.");
        assert_eq!(merged.last().unwrap(), "New last paragraph.");
        assert_eq!(merged.len(), paras.len() + 2);
    }

    #[test]
    fn translations_merge_language_by_language() {
        let b = base();
        let tr = |lead: &str| crate::model::Translation { lead: Some(lead.into()), ..Default::default() };
        let mut theirs = b.clone();
        theirs.translations.insert("es".into(), tr("Una ciudad"));
        let mut mine = b.clone();
        mine.translations.insert("fr".into(), tr("Une ville"));
        let r = three_way(&b, &theirs, &mine);
        assert_eq!(state(&r, "translations"), FieldState::Merged);
        assert_eq!(r.merged.translations.keys().collect::<Vec<_>>(), ["es", "fr"]);

        // Both changed the same language differently: a conflict, mine kept.
        let mut mine2 = theirs.clone();
        mine2.translations.insert("es".into(), tr("Una villa"));
        let mut theirs2 = theirs.clone();
        theirs2.translations.insert("es".into(), tr("Una urbe"));
        let r = three_way(&theirs, &theirs2, &mine2);
        assert_eq!(state(&r, "translations"), FieldState::Conflict);
        assert_eq!(r.merged.translations["es"].lead.as_deref(), Some("Una villa"));

        // Mine removed the only translation: the merged portrait has none (absent, not null).
        let r = three_way(&theirs, &theirs, &b);
        assert_eq!(state(&r, "translations"), FieldState::Mine);
        assert!(r.merged.translations.is_empty());
        // Nobody has any: unchanged, and still a portrait.
        let r = three_way(&b, &b, &b);
        assert_eq!(state(&r, "translations"), FieldState::Unchanged);
        assert_eq!(r.merged, b);
        // Resolving a conflict to a side without translations.
        let fd = r.fields.iter().find(|f| f.field == "translations").unwrap().clone();
        assert!(resolve(&theirs, &fd, Choice::Base).unwrap().translations.is_empty());
    }

    #[test]
    fn resolving_a_conflict() {
        let b = base();
        let mut t = b.clone();
        t.tagline = Some("Theirs".into());
        let mut m = b.clone();
        m.tagline = Some("Mine".into());
        let r = three_way(&b, &t, &m);
        let c = r.conflicts().next().unwrap().clone();
        assert_eq!(resolve(&r.merged, &c, Choice::Theirs).unwrap().tagline.as_deref(), Some("Theirs"));
        assert_eq!(resolve(&r.merged, &c, Choice::Base).unwrap().tagline, b.tagline);
        assert!(Choice::parse("neither").is_none());
    }

    #[test]
    fn an_unmergeable_result_is_all_conflicts_never_a_silent_mine() {
        let b = base();
        let mut t = b.clone();
        t.version = 2;
        t.tagline = Some("Theirs".into());
        let mut m = b.clone();
        m.lead = "Mine.".into();
        let fields = three_way(&b, &t, &m).fields;
        let r = unmergeable(&t, &m, fields);
        assert_eq!(state(&r, "tagline"), FieldState::Conflict, "theirs-only changes are shown too");
        assert_eq!(state(&r, "lead"), FieldState::Conflict);
        assert_eq!(state(&r, "vision"), FieldState::Unchanged);
        assert!(r.has_conflicts());
        assert_eq!(r.merged.version, 2);
    }
}

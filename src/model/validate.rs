//! Validation of a portrait: structure (the JSON Schema, every error with its JSON path), then
//! the domain rules that a schema cannot express. Pure functions over bytes and values.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::{markdown, Portrait, Year, SCHEMA_VERSION};

/// Largest portrait file accepted, in bytes. A seed portrait is about 6 KB; photos are separate.
pub const MAX_PORTRAIT_BYTES: usize = 1024 * 1024;
/// Largest narrative section, in characters.
pub const MAX_SECTION_CHARS: usize = 20_000;
/// Largest lead paragraph, in characters.
pub const MAX_LEAD_CHARS: usize = 5_000;
/// Most list entries (contacts, highlights, photos).
pub const MAX_LIST_ITEMS: usize = 50;

/// One problem with one place in a document.
///
/// `message` is English, for the CLI and logs. `code` names the problem and `params` hold its
/// values (`too_long` with `count` and `max`), so the window words it in its own language; the
/// codes are listed in docs/protocol.md ("Field errors"). An error without a code (an older
/// peer, a problem not yet coded) is shown by its message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct FieldError {
    /// JSON path of the value at fault, e.g. `$.facts.population.year`; `$` for the document.
    pub path: String,
    pub message: String,
    /// What is wrong, as a stable code (`empty`, `too_long`, `not_year` …); absent when none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[ts(optional, as = "Option<String>")]
    pub code: String,
    /// The values the code's wording needs (`{"count": 20412, "max": 20000}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, Param>>")]
    pub params: BTreeMap<String, Param>,
}

/// A value of a field error's wording: a number (written the reader's way) or a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(untagged)]
pub enum Param {
    Number(i64),
    Text(String),
}

/// Whole numbers of every width the checks count with.
macro_rules! number_param {
    ($($t:ty),*) => {$(
        impl From<$t> for Param {
            fn from(n: $t) -> Self {
                Param::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_param!(i64, usize, u32, i32, u16, u8);

impl From<String> for Param {
    fn from(s: String) -> Self {
        Param::Text(s)
    }
}
impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Param::Text(s.to_string())
    }
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into(), code: String::new(), params: BTreeMap::new() }
    }

    /// The same error with its code.
    #[must_use]
    pub fn code(mut self, code: &str) -> Self {
        self.code = code.to_string();
        self
    }

    /// The same error with one more parameter of its wording.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Param>) -> Self {
        self.params.insert(name.to_string(), value.into());
        self
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn validator() -> Option<&'static jsonschema::Validator> {
    static V: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    V.get_or_init(|| jsonschema::validator_for(&super::portrait_json_schema()).ok()).as_ref()
}

/// Converts a JSON pointer (`/facts/population/0`) to a JSON path (`$.facts.population[0]`).
pub fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else if seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !seg.is_empty() {
            out.push('.');
            out.push_str(&seg);
        } else {
            out.push_str(&format!("[{}]", serde_json::Value::String(seg)));
        }
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Parses and validates a portrait file. Returns every structural error (all of them, each with
/// its JSON path) or, when the structure is right, every domain error.
pub fn parse_portrait(bytes: &[u8]) -> Result<Portrait, Vec<FieldError>> {
    if bytes.len() > MAX_PORTRAIT_BYTES {
        return Err(vec![FieldError::new(
            "$",
            format!("file is {} bytes; a portrait may be at most {} bytes", bytes.len(), MAX_PORTRAIT_BYTES),
        )
        .code("file_too_large")
        .with("size", bytes.len())
        .with("max", MAX_PORTRAIT_BYTES)]);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| vec![FieldError::new("$", format!("not valid JSON: {e}")).code("not_json")])?;
    parse_portrait_value(&value)
}

/// As [`parse_portrait`], from an already parsed JSON value.
pub fn parse_portrait_value(value: &serde_json::Value) -> Result<Portrait, Vec<FieldError>> {
    let mut value = value.clone();
    super::upgrade_value(&mut value);
    let value = &value;
    let mut errors = structural_errors(value);
    if !errors.is_empty() {
        return Err(errors);
    }
    let portrait: Portrait = match serde_json::from_value(value.clone()) {
        Ok(p) => p,
        Err(e) => return Err(vec![FieldError::new("$", shorten(&e.to_string(), 300))]),
    };
    errors = validate_portrait(&portrait);
    if errors.is_empty() {
        Ok(portrait)
    } else {
        Err(errors)
    }
}

/// Every way the value departs from the portrait JSON Schema.
pub fn structural_errors(value: &serde_json::Value) -> Vec<FieldError> {
    let Some(v) = validator() else {
        return vec![FieldError::new("$", "internal error: the portrait schema does not compile")];
    };
    let mut errors: Vec<FieldError> = v
        .iter_errors(value)
        .map(|e| schema_error(pointer_to_path(e.instance_path().as_str()), e.kind(), shorten(&e.to_string(), 300)))
        .collect();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors.dedup();
    errors
}

/// A schema error with its code: the kinds a form can meet are coded, the rest keep only
/// jsonschema's message.
fn schema_error(path: String, kind: &jsonschema::error::ValidationErrorKind, message: String) -> FieldError {
    use jsonschema::error::ValidationErrorKind as K;
    let e = FieldError::new(path, message);
    let limit = |v: &serde_json::Value| v.as_i64().map(Param::Number).unwrap_or_else(|| Param::Text(v.to_string()));
    match kind {
        K::Required { property } => e.code("required").with("property", property.as_str().unwrap_or_default()),
        K::MaxLength { limit: l } => e.code("too_long_max").with("max", i64::try_from(*l).unwrap_or(i64::MAX)),
        K::MinLength { limit: 1 } => e.code("empty"),
        K::MaxItems { limit: l } => e.code("too_many").with("max", i64::try_from(*l).unwrap_or(i64::MAX)),
        K::Minimum { limit: l } => e.code("minimum").with("limit", limit(l)),
        K::Maximum { limit: l } => e.code("maximum").with("limit", limit(l)),
        K::Type { .. } => e.code("wrong_type"),
        K::Enum { .. } | K::Constant { .. } => e.code("not_allowed_value"),
        K::Pattern { .. } | K::Format { .. } => e.code("wrong_form"),
        K::AdditionalProperties { unexpected } => e.code("unknown_field").with("name", unexpected.join(", ")),
        _ => e,
    }
}

/// The member record of schema v2: location, mayor and focal point, clusters, interests.
fn check_member_record(e: &mut Vec<FieldError>, p: &Portrait) {
    if let Some(l) = &p.location {
        if !(l.lat.is_finite() && (-90.0..=90.0).contains(&l.lat)) {
            e.push(
                FieldError::new("$.location.lat", format!("{} is not a latitude (-90 to 90)", l.lat))
                    .code("not_latitude"),
            );
        }
        if !(l.lon.is_finite() && (-180.0..=180.0).contains(&l.lon)) {
            e.push(
                FieldError::new("$.location.lon", format!("{} is not a longitude (-180 to 180)", l.lon))
                    .code("not_longitude"),
            );
        }
    }
    for (key, who) in [("mayor", &p.mayor), ("focal_point", &p.focal_point)] {
        match who {
            Some(super::PersonRef::Quote) if p.quote.is_none() => e.push(
                FieldError::new(format!("$.{key}"), "names the quote's speaker, but the portrait has no quote")
                    .code("no_quote"),
            ),
            Some(super::PersonRef::Contact(i)) if *i as usize >= p.contacts.len() => e.push(
                FieldError::new(
                    format!("$.{key}"),
                    format!("names contact {} but the portrait has {} contact(s)", i + 1, p.contacts.len()),
                )
                .code("no_such_contact")
                .with("n", *i as usize + 1)
                .with("count", p.contacts.len()),
            ),
            _ => {}
        }
    }
    let order = |c: &super::Cluster| super::Cluster::ALL.iter().position(|x| x == c).unwrap_or(0);
    for w in p.clusters.windows(2) {
        if order(&w[0]) >= order(&w[1]) {
            e.push(FieldError::new("$.clusters", "each cluster once, in the network's order").code("clusters_order"));
            break;
        }
    }
    for w in p.interests.windows(2) {
        if order(&w[0].theme) >= order(&w[1].theme) {
            e.push(FieldError::new("$.interests", "each theme once, in the network's order").code("interests_order"));
            break;
        }
    }
    for (i, it) in p.interests.iter().enumerate() {
        for (key, v) in [("interest", it.interest), ("expertise", it.expertise)] {
            if !(1..=5).contains(&v) {
                e.push(
                    FieldError::new(format!("$.interests[{i}].{key}"), format!("{v} is not on the scale of 1 to 5"))
                        .code("not_on_scale")
                        .with("value", v),
                );
            }
        }
    }
}

fn check_text(errors: &mut Vec<FieldError>, path: &str, text: &str, max: usize, multiline: bool) {
    let n = text.chars().count();
    if n > max {
        errors.push(
            FieldError::new(path, format!("{n} characters; at most {max} allowed"))
                .code("too_long")
                .with("count", n)
                .with("max", max),
        );
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && !(multiline && (*c == '\n' || *c == '\t'))) {
        errors.push(
            FieldError::new(path, format!("contains the control character U+{:04X}", c as u32))
                .code("control_character")
                .with("char", format!("U+{:04X}", c as u32)),
        );
    }
    // Invisible formatting characters can make a name or a link read as something else
    // (right-to-left overrides, zero-width spaces): refused everywhere.
    if let Some(c) = text.chars().find(|c| is_invisible_format(*c)) {
        errors.push(
            FieldError::new(path, format!("contains the invisible formatting character U+{:04X}", c as u32))
                .code("invisible_character")
                .with("char", format!("U+{:04X}", c as u32)),
        );
    }
}

/// A BCP 47 language tag of the simple kind a translation carries: a language of 2–3 letters,
/// optionally a script (4 letters) and a region (2 letters or 3 digits): `fr`, `es-419`,
/// `zh-Hant-TW`. Lower-case language, title-case script, upper-case region.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang = parts.next().unwrap_or("");
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    let (script, region) = match rest.as_slice() {
        [] => (None, None),
        [a] if a.len() == 4 => (Some(*a), None),
        [a] => (None, Some(*a)),
        [a, b] => (Some(*a), Some(*b)),
        _ => return false,
    };
    let script_ok = script.is_none_or(|s| {
        let mut c = s.chars();
        s.len() == 4 && c.next().is_some_and(|f| f.is_ascii_uppercase()) && c.all(|x| x.is_ascii_lowercase())
    });
    let region_ok = region.is_none_or(|r| {
        (r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
            || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
    });
    script_ok && region_ok
}

/// The translations: well-formed tags other than the original's, texts under the same limits as
/// the original's, and only of fields the original has (a translated highlight or caption for
/// each the original has, no more).
fn check_translations(e: &mut Vec<FieldError>, p: &Portrait) {
    if p.translations.len() > super::MAX_TRANSLATIONS {
        e.push(
            FieldError::new("$.translations", format!("at most {} translations", super::MAX_TRANSLATIONS))
                .code("too_many")
                .with("max", super::MAX_TRANSLATIONS),
        );
    }
    for (tag, t) in &p.translations {
        let base = format!("$.translations.{tag}");
        if !is_language_tag(tag) {
            e.push(
                FieldError::new(
                    base.clone(),
                    format!("{:?} is not a language tag such as \"fr\", \"es\" or \"pt-BR\"", shorten(tag, 40)),
                )
                .code("not_language_tag")
                .with("value", shorten(tag, 40)),
            );
            continue;
        }
        if tag.split('-').next() == Some(super::ORIGINAL_LANG) {
            e.push(
                FieldError::new(base.clone(), format!("the portrait itself is in {}: it is not a translation", tag))
                    .code("original_language")
                    .with("value", tag.as_str()),
            );
        }
        if t.is_empty() {
            e.push(
                FieldError::new(base.clone(), "nothing is translated yet: translate a text or remove the translation")
                    .code("empty_translation"),
            );
            continue;
        }
        let absent = |e: &mut Vec<FieldError>, field: &str| {
            e.push(
                FieldError::new(format!("{base}.{field}"), "the original has no such text to translate")
                    .code("nothing_to_translate"),
            )
        };
        let text = |e: &mut Vec<FieldError>, field: &str, value: &Option<String>, has: bool, max: usize, md: bool| {
            let Some(v) = value else { return };
            let path = format!("{base}.{field}");
            if !has {
                absent(e, field);
                return;
            }
            check_text(e, &path, v, max, md || field == "lead" || field == "quote");
            let blank = if md { markdown::parse(v).is_empty() } else { v.trim().is_empty() };
            if blank {
                e.push(FieldError::new(path, "must not be empty; leave it out to show the original").code("empty"));
            }
        };
        text(e, "tagline", &t.tagline, p.tagline.is_some(), 300, false);
        text(e, "lead", &t.lead, true, MAX_LEAD_CHARS, false);
        text(e, "vision", &t.vision, p.vision.is_some(), MAX_SECTION_CHARS, true);
        text(e, "challenges", &t.challenges, p.challenges.is_some(), MAX_SECTION_CHARS, true);
        text(e, "plan", &t.plan, p.plan.is_some(), MAX_SECTION_CHARS, true);
        text(e, "quote", &t.quote, p.quote.is_some(), 2000, false);
        text(e, "quote_role", &t.quote_role, p.quote.as_ref().is_some_and(|q| q.role.is_some()), 300, false);
        for (list, items, originals) in [
            ("highlights", &t.highlights, p.highlights.iter().map(|_| true).collect::<Vec<_>>()),
            ("captions", &t.captions, p.photos.iter().map(|ph| ph.caption.is_some()).collect()),
        ] {
            if items.len() > originals.len() {
                e.push(
                    FieldError::new(
                        format!("{base}.{list}"),
                        format!("{} items; the original has {}", items.len(), originals.len()),
                    )
                    .code("more_than_original")
                    .with("count", items.len())
                    .with("max", originals.len()),
                );
                continue;
            }
            for (i, (item, has)) in items.iter().zip(originals).enumerate() {
                text(e, &format!("{list}[{i}]"), item, has, if list == "highlights" { 2000 } else { 500 }, false);
            }
        }
    }
}

/// Bidirectional overrides and isolates, zero-width space and the byte-order mark.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{200E}' | '\u{200F}')
}

pub use super::rules::is_plausible_email;

fn is_valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (parts[0].parse::<i32>(), parts[1].parse::<u8>(), parts[2].parse::<u8>()) else {
        return false;
    };
    let Ok(month) = time::Month::try_from(m) else { return false };
    (1900..=2200).contains(&y) && time::Date::from_calendar_date(y, month, d).is_ok()
}

/// The domain rules of a portrait (what the JSON Schema cannot say). Empty when valid.
pub fn validate_portrait(p: &Portrait) -> Vec<FieldError> {
    let mut e = Vec::new();
    if p.schema_version != SCHEMA_VERSION {
        e.push(FieldError::new(
            "$.schema_version",
            format!(
                "schema version {} is not supported; this build reads versions {} to {SCHEMA_VERSION}",
                p.schema_version,
                super::OLDEST_READABLE_SCHEMA
            ),
        ));
    }
    // City.
    let c = &p.city;
    let id_ok = c.id.len() <= 64
        && c.id.split_once('-').is_some_and(|(cc, slug)| {
            cc.len() == 2
                && cc.chars().all(|ch| ch.is_ascii_lowercase())
                && !slug.is_empty()
                && slug.split('-').all(|part| {
                    !part.is_empty() && part.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
                })
        });
    if !id_ok {
        e.push(FieldError::new(
            "$.city.id",
            format!(
                "{:?} is not a city id: expected a country code, '-', and an ASCII slug, like \"dk-sonderborg\"",
                shorten(&c.id, 80)
            ),
        ));
    } else if !c.id.starts_with(&format!("{}-", c.country.code.to_ascii_lowercase())) {
        e.push(FieldError::new(
            "$.city.id",
            format!("city id {:?} must start with the country code {:?}", c.id, c.country.code.to_ascii_lowercase()),
        ));
    }
    if c.country.code.len() != 2 || !c.country.code.chars().all(|ch| ch.is_ascii_uppercase()) {
        e.push(
            FieldError::new("$.city.country.code", "must be an ISO 3166-1 alpha-2 code in upper case, like \"DK\"")
                .code("country_code"),
        );
    }
    check_text(&mut e, "$.city.name", &c.name, 200, false);
    if c.name.trim().is_empty() {
        e.push(FieldError::new("$.city.name", "must not be empty").code("empty"));
    }
    check_text(&mut e, "$.city.country.name", &c.country.name, 200, false);
    for w in c.awards.windows(2) {
        if w[0] >= w[1] {
            e.push(
                FieldError::new("$.city.awards", "award years must be ascending, without duplicates").code("ascending"),
            );
            break;
        }
    }
    for (i, y) in c.awards.iter().enumerate() {
        if !(2015..=2100).contains(y) {
            e.push(
                FieldError::new(
                    format!("$.city.awards[{i}]"),
                    format!("{y} is not a Learning City Award year (first awarded in 2015)"),
                )
                .code("not_award_year")
                .with("year", *y),
            );
        }
    }
    if let Some(j) = c.member_since {
        if !(2013..=2100).contains(&j) {
            e.push(
                FieldError::new(
                    "$.city.member_since",
                    format!("{j} is not a plausible year to join the GNLC (founded 2013)"),
                )
                .code("not_member_year")
                .with("year", j),
            );
        }
    }
    // Version.
    if p.version == 0 {
        e.push(FieldError::new("$.version", "versions start at 1").code("version_from_1"));
    }
    if !is_valid_date(&p.source.published) {
        e.push(
            FieldError::new(
                "$.source.published",
                format!("{:?} is not a date (YYYY-MM-DD)", shorten(&p.source.published, 40)),
            )
            .code("not_date"),
        );
    }
    if let Some(b) = &p.source.booklet {
        if b.is_empty()
            || b.len() > 64
            || !b.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            e.push(
                FieldError::new("$.source.booklet", "a booklet id is lower-case ASCII letters, digits and '-'")
                    .code("booklet_id"),
            );
        }
    }
    // Text.
    if let Some(t) = &p.tagline {
        check_text(&mut e, "$.tagline", t, 300, false);
        if t.trim().is_empty() {
            e.push(FieldError::new("$.tagline", "must not be empty; use null for no tagline").code("empty"));
        }
    }
    check_text(&mut e, "$.lead", &p.lead, MAX_LEAD_CHARS, true);
    if p.lead.trim().is_empty() {
        e.push(FieldError::new("$.lead", "the lead paragraph must not be empty").code("empty"));
    }
    for (key, heading) in super::SECTIONS {
        if let Some(md) = p.section(key) {
            let path = format!("$.{key}");
            check_text(&mut e, &path, md, MAX_SECTION_CHARS, true);
            if markdown::parse(md).is_empty() {
                e.push(
                    FieldError::new(path, format!("\"{heading}\" has no text; use null for no section")).code("empty"),
                );
            }
        }
    }
    if let Some(q) = &p.quote {
        check_text(&mut e, "$.quote.text", &q.text, 2000, true);
        check_text(&mut e, "$.quote.speaker", &q.speaker, 200, false);
        if let Some(r) = &q.role {
            check_text(&mut e, "$.quote.role", r, 300, false);
        }
        if q.text.trim().is_empty() {
            e.push(FieldError::new("$.quote.text", "must not be empty").code("empty"));
        }
        if q.speaker.trim().is_empty() {
            e.push(FieldError::new("$.quote.speaker", "must not be empty").code("empty"));
        }
    }
    if p.contacts.len() > MAX_LIST_ITEMS {
        e.push(
            FieldError::new("$.contacts", format!("at most {MAX_LIST_ITEMS} contacts"))
                .code("too_many")
                .with("max", MAX_LIST_ITEMS),
        );
    }
    for (i, ct) in p.contacts.iter().enumerate() {
        check_text(&mut e, &format!("$.contacts[{i}].name"), &ct.name, 200, false);
        for (key, value) in [("role", &ct.role), ("organisation", &ct.organisation), ("email", &ct.email)] {
            if let Some(v) = value {
                check_text(&mut e, &format!("$.contacts[{i}].{key}"), v, 300, false);
            }
        }
        if ct.name.trim().is_empty() {
            e.push(FieldError::new(format!("$.contacts[{i}].name"), "must not be empty").code("empty"));
        }
        if let Some(em) = &ct.email {
            if !is_plausible_email(em) {
                e.push(
                    FieldError::new(
                        format!("$.contacts[{i}].email"),
                        format!("{:?} is not an email address", shorten(em, 80)),
                    )
                    .code("not_email")
                    .with("value", shorten(em, 80)),
                );
            }
        }
    }
    check_member_record(&mut e, p);
    check_translations(&mut e, p);
    if p.highlights.len() > MAX_LIST_ITEMS {
        e.push(
            FieldError::new("$.highlights", format!("at most {MAX_LIST_ITEMS} highlights"))
                .code("too_many")
                .with("max", MAX_LIST_ITEMS),
        );
    }
    for (i, h) in p.highlights.iter().enumerate() {
        check_text(&mut e, &format!("$.highlights[{i}]"), h, 2000, false);
        if h.trim().is_empty() {
            e.push(FieldError::new(format!("$.highlights[{i}]"), "must not be empty").code("empty"));
        }
    }
    if p.photos.len() > MAX_LIST_ITEMS {
        e.push(
            FieldError::new("$.photos", format!("at most {MAX_LIST_ITEMS} photos"))
                .code("too_many")
                .with("max", MAX_LIST_ITEMS),
        );
    }
    for (i, ph) in p.photos.iter().enumerate() {
        for (key, value) in [("caption", &ph.caption), ("credit", &ph.credit), ("licence", &ph.licence)] {
            if let Some(v) = value {
                check_text(&mut e, &format!("$.photos[{i}].{key}"), v, 500, false);
            }
        }
        if ph.sha256.len() != 64 || !ph.sha256.chars().all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase()) {
            e.push(
                FieldError::new(format!("$.photos[{i}].sha256"), "must be 64 lower-case hex digits").code("not_sha256"),
            );
        }
    }
    for (i, k) in p.key_feature_areas.iter().enumerate() {
        if !(1..=12).contains(k) {
            e.push(
                FieldError::new(format!("$.key_feature_areas[{i}]"), format!("{k} is not a Key Feature area (1–12)"))
                    .code("not_key_feature")
                    .with("value", *k),
            );
        }
    }
    if p.key_feature_areas.windows(2).any(|w| w[0] >= w[1]) {
        e.push(FieldError::new("$.key_feature_areas", "must be ascending, without duplicates").code("ascending"));
    }
    // Facts.
    for (key, _, fact) in p.facts.rows() {
        let path = format!("$.facts.{key}");
        if let Some(v) = fact.number() {
            if v < 0.0 {
                e.push(FieldError::new(format!("{path}.value"), "must not be negative").code("negative"));
            }
        }
        if (fact.men.is_some() || fact.women.is_some()) && key != "schooling_years" {
            e.push(
                FieldError::new(path.clone(), "only schooling may be split into men and women")
                    .code("split_only_schooling"),
            );
        }
        if fact.men.is_some() != fact.women.is_some() {
            e.push(FieldError::new(path.clone(), "a split fact needs both men and women").code("split_needs_both"));
        }
        if let Year::Year(y) = fact.year {
            if !(super::rules::FACT_YEARS.0..=super::rules::FACT_YEARS.1).contains(&y) {
                e.push(
                    FieldError::new(format!("{path}.year"), format!("{y} is not a plausible year"))
                        .code("not_year")
                        .with("year", y)
                        .with("first", super::rules::FACT_YEARS.0)
                        .with("last", super::rules::FACT_YEARS.1),
                );
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const VILLA: &str = include_str!("../../data/portraits/ar-villa-maria/v1.json");

    #[test]
    fn language_tags() {
        for ok in ["fr", "es", "pt-BR", "es-419", "zh-Hant", "zh-Hant-TW", "fil"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "f", "FR", "fr_FR", "fr-", "fr-fr", "français", "fr-BR-x", "zh-hant", "e1", "fr-ABCD1"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn translations_are_checked_like_the_original() {
        let mut p: Portrait =
            serde_json::from_str(include_str!("../../data/portraits/ar-villa-maria/v1.json")).unwrap();
        let codes = |p: &Portrait| -> Vec<(String, String)> {
            validate_portrait(p).into_iter().map(|e| (e.path, e.code)).collect()
        };
        p.translations
            .insert("fr".into(), crate::model::Translation { lead: Some("Bonjour".into()), ..Default::default() });
        assert!(codes(&p).is_empty(), "{:?}", codes(&p));
        p.translations
            .insert("en-GB".into(), crate::model::Translation { lead: Some("Hello".into()), ..Default::default() });
        p.translations
            .insert("French".into(), crate::model::Translation { lead: Some("x".into()), ..Default::default() });
        p.translations.insert("es".into(), crate::model::Translation::default());
        p.translations.insert(
            "de".into(),
            crate::model::Translation {
                lead: Some("  ".into()),
                vision: Some("\n\n".into()),
                highlights: vec![Some("Eins".into())],
                captions: vec![None, None],
                tagline: Some("x".repeat(301)),
                quote: Some("Zitat\u{202E}".into()),
                ..Default::default()
            },
        );
        let got = codes(&p);
        let want: Vec<(String, String)> = [
            ("$.translations.French", "not_language_tag"),
            ("$.translations.de.tagline", "too_long"),
            ("$.translations.de.lead", "empty"),
            ("$.translations.de.vision", "empty"),
            ("$.translations.de.quote", "invisible_character"),
            ("$.translations.de.highlights", "more_than_original"),
            ("$.translations.de.captions", "more_than_original"),
            ("$.translations.en-GB", "original_language"),
            ("$.translations.es", "empty_translation"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        assert_eq!(got_sorted, want_sorted);
        // The JSON Schema agrees on the shape: an unknown field of a translation is refused.
        let mut v = serde_json::to_value(&p).unwrap();
        v["translations"]["fr"]["motto"] = "x".into();
        assert!(parse_portrait_value(&v).is_err());
    }

    #[test]
    fn seed_example_is_valid() {
        let p = parse_portrait(VILLA.as_bytes()).unwrap();
        assert_eq!(p.city.name, "Villa María");
    }

    #[test]
    fn pointers_become_paths() {
        assert_eq!(pointer_to_path(""), "$");
        assert_eq!(pointer_to_path("/facts/population/year"), "$.facts.population.year");
        assert_eq!(pointer_to_path("/contacts/0/email"), "$.contacts[0].email");
    }

    #[test]
    fn every_structural_error_is_reported_with_its_path() {
        let mut v: serde_json::Value = serde_json::from_str(VILLA).unwrap();
        v["facts"]["population"]["year"] = serde_json::json!("last year");
        v["contacts"][0]["email"] = serde_json::json!(42);
        v.as_object_mut().unwrap().remove("lead");
        let errs = parse_portrait_value(&v).unwrap_err();
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"$.facts.population.year"), "{errs:?}");
        assert!(paths.contains(&"$.contacts[0].email"), "{errs:?}");
        assert!(paths.contains(&"$"), "{errs:?}");
        assert!(errs.iter().any(|e| e.message.contains("lead")), "{errs:?}");
    }

    #[test]
    fn domain_errors() {
        let mut p = parse_portrait(VILLA.as_bytes()).unwrap();
        p.city.id = "ar-Villa".into();
        p.contacts[0].email = Some("orna m@modiin.muni.il".into());
        p.key_feature_areas = vec![3, 3, 13];
        p.source.published = "2016-02-30".into();
        let errs = validate_portrait(&p);
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        for want in
            ["$.city.id", "$.contacts[0].email", "$.key_feature_areas[2]", "$.key_feature_areas", "$.source.published"]
        {
            assert!(paths.contains(&want), "{want} missing from {errs:?}");
        }
    }

    #[test]
    fn oversized_and_broken_files() {
        let big = vec![b' '; MAX_PORTRAIT_BYTES + 1];
        assert!(parse_portrait(&big).unwrap_err()[0].message.contains("at most"));
        let errs = parse_portrait(b"{\"schema_version\": 1,").unwrap_err();
        assert!(errs[0].message.contains("not valid JSON"), "{errs:?}");
    }

    #[test]
    fn emails_that_a_mailto_link_carries_as_they_are() {
        for ok in ["maria@cork.ie", "a.b+c@ville-de-paris.fr", "info@gyeonggi.go.kr", "kontakt@sønderborg.dk"] {
            assert!(is_plausible_email(ok), "{ok}");
        }
        for bad in [
            "x@example.org?attach=/etc/passwd",
            "x@example.org?subject=hi",
            "x?cc=y@example.org",
            "x@example.org#frag",
            "x%40y@example.org",
            "x@.example.org",
            "x@example..org",
            "x@example",
            "x@-example.org",
            "x@exa_mple.org",
            ".x@example.org",
            "x y@example.org",
            "x@example.org&bcc=z@evil.org",
            "x@exam/ple.org",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}

//! The feed format (docs/protocol.md): a JSON Feed 1.1 document whose items carry, in the `_gnlc`
//! extension, each published portrait version (or a city's tombstone), and the `/v1/changes`
//! page that carries the same items after a cursor.
//!
//! Owns: the serde types (unknown keys are kept, as JSON Feed asks), building a feed from the
//! store's change log, and parsing untrusted feed bytes: limits first (size, nesting depth,
//! string length, item count, checked in one pass over the bytes before any deserialising),
//! then the envelope, then each item on its own — a bad item becomes a quarantine reason, not a
//! failed page. Must not: do HTTP or SQL writes.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Digest;

use crate::model::{self, Portrait};
use crate::store::Change;

pub const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";
pub const MIME: &str = "application/feed+json";

/// Limits on an untrusted feed or changes page. Everything that costs memory once parsed is
/// bounded: bytes, nesting, string length, the elements of the item arrays (whatever their
/// type: `0`, `""` and `null` count), the members of any one object, and the JSON values in
/// all. They are checked while the bytes stream in, so a few KB of gzip that unpack to millions
/// of elements are refused after the first elements past the limit, before the rest is read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body, counted while streaming (after decompression).
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_string: usize,
    /// Elements of an array directly under the top-level object (the items).
    pub max_items: usize,
    /// Members of any one object.
    pub max_members: usize,
    /// JSON values in the whole document (scalars, arrays and objects).
    pub max_values: usize,
    /// Items of one page that may be refused before the whole page is refused as broken.
    pub max_refused: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 80 * 1024 * 1024,
            max_depth: 32,
            max_string: 1024 * 1024,
            max_items: 100_000,
            max_members: 10_000,
            max_values: 8_000_000,
            max_refused: 200,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    #[error("body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("JSON nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("a string is longer than {0} bytes")]
    StringTooLong(usize),
    #[error("more than {0} items")]
    TooManyItems(usize),
    #[error("an object has more than {0} members")]
    TooManyMembers(usize),
    #[error("more than {0} JSON values")]
    TooManyValues(usize),
    #[error("{refused} of {total} items were refused (the first: {first}); nothing was applied")]
    TooManyRefused { refused: usize, total: usize, first: String },
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("not a GNLC feed: {0}")]
    Envelope(String),
}

/// The top-level `_gnlc` object of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedExt {
    pub schema_version: u32,
    /// The largest change sequence number in the catalogue.
    pub catalog_version: u64,
    /// Changes since a cursor below this cannot be served (`410 Gone`).
    #[serde(default)]
    pub tombstone_floor: u64,
    /// Names the catalogue (minted once by the server's database): a client follows one
    /// catalogue, and refuses to mix in another one's versions when its feed URL changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

/// The `_gnlc` object of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemExt {
    pub schema_version: u32,
    pub city_id: String,
    /// The portrait's version (per city).
    pub version: u32,
    /// The change's sequence number in the catalogue.
    pub seq: u64,
    /// SHA-256 of the portrait's canonical JSON; null for a tombstone.
    pub content_sha256: Option<String>,
    pub deleted: bool,
    /// The portrait version; null for a tombstone.
    #[schemars(with = "Option<Portrait>")]
    pub portrait: Option<Value>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

/// A JSON Feed 1.1 item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Item {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(rename = "_gnlc")]
    pub gnlc: ItemExt,
    /// Keys this version does not know, kept as they came.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

/// The JSON Feed 1.1 document served at `/v1/feed.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "GNLC portrait feed", description = "JSON Feed 1.1 with the _gnlc extension (docs/protocol.md).")]
pub struct Feed {
    pub version: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(rename = "_gnlc")]
    pub gnlc: FeedExt,
    pub items: Vec<Item>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Map<String, Value>,
}

/// A `/v1/changes` page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangesPage {
    pub items: Vec<Item>,
    pub last_version: u64,
    pub has_more: bool,
    /// As in the feed's `_gnlc.catalogId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
}

/// The JSON Schema of the feed, published at `data/schema/feed.schema.json`.
pub fn feed_json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Feed)).unwrap_or(Value::Null)
}

fn date_time(date: &str) -> String {
    // Versions carry a publication date; the feed wants RFC 3339 date-times.
    if date.len() == 10 {
        format!("{date}T00:00:00Z")
    } else {
        date.to_string()
    }
}

/// The feed item for a change. `base` is the public URL without a trailing slash.
pub fn item_for(change: &Change, base: &str) -> Item {
    match change {
        Change::Version { seq, portrait, sha256, published_at } => {
            let p = portrait;
            let mut tags = vec![p.city.region.as_str().to_string(), p.city.country.name.clone()];
            tags.extend(p.city.awards.iter().map(|y| format!("UNESCO Learning City Award {y}")));
            let mut text = p.lead.clone();
            text.push_str("\n\n");
            text.push_str(&p.plain_text_body());
            Item {
                id: format!("{}/v{}", p.city.id, p.version),
                url: Some(format!("{base}/cities/{}/v{}", p.city.id, p.version)),
                title: Some(format!("{}, {}", p.city.name, p.city.country.name)),
                summary: p.tagline.clone(),
                content_text: Some(text),
                date_published: Some(date_time(&p.source.published)),
                date_modified: Some(date_time(published_at)),
                tags,
                gnlc: ItemExt {
                    schema_version: model::SCHEMA_VERSION,
                    city_id: p.city.id.clone(),
                    version: p.version,
                    seq: *seq,
                    content_sha256: Some(sha256.clone()),
                    deleted: false,
                    portrait: serde_json::to_value(p.as_ref()).ok(),
                    extra: Map::new(),
                },
                extra: Map::new(),
            }
        }
        Change::Tombstone { seq, city_id, version, deleted_at } => Item {
            id: format!("{city_id}/deleted"),
            url: Some(format!("{base}/cities/{city_id}")),
            title: Some(format!("{city_id} (deleted)")),
            summary: None,
            content_text: Some("This city was removed from the catalogue.".into()),
            date_published: None,
            date_modified: Some(date_time(deleted_at)),
            tags: vec![],
            gnlc: ItemExt {
                schema_version: model::SCHEMA_VERSION,
                city_id: city_id.clone(),
                version: *version,
                seq: *seq,
                content_sha256: None,
                deleted: true,
                portrait: None,
                extra: Map::new(),
            },
            extra: Map::new(),
        },
    }
}

/// The whole feed from the change log.
pub fn build_feed(changes: &[Change], catalog_version: u64, tombstone_floor: u64, base: &str) -> Feed {
    Feed {
        version: JSON_FEED_VERSION.into(),
        title: "Learning City Portraits — UNESCO Global Network of Learning Cities".into(),
        home_page_url: Some(format!("{base}/")),
        feed_url: Some(format!("{base}/v1/feed.json")),
        description: Some(
            "Portraits of the member cities of the UNESCO Global Network of Learning Cities, every published version. \
             Text CC-BY-SA 3.0 IGO, UNESCO Institute for Lifelong Learning."
                .into(),
        ),
        language: Some("en".into()),
        gnlc: FeedExt {
            schema_version: model::SCHEMA_VERSION,
            catalog_version,
            tombstone_floor,
            catalog_id: None,
            extra: Map::new(),
        },
        items: changes.iter().map(|c| item_for(c, base)).collect(),
        extra: Map::new(),
    }
}

/// Checks size, nesting depth, string lengths, item counts, object members and values in one
/// pass over the bytes, before anything is deserialised.
pub fn check_limits(bytes: &[u8], limits: &Limits) -> Result<(), FeedError> {
    let mut c = LimitChecker::new(*limits);
    c.push(bytes)?;
    Ok(())
}

/// The limits of [`Limits`], checked over bytes as they arrive (chunk by chunk): a small state
/// machine over JSON's tokens that counts without building anything.
#[derive(Debug, Clone)]
pub struct LimitChecker {
    limits: Limits,
    bytes: usize,
    /// Open containers: (is_object, members or elements so far).
    stack: Vec<(bool, usize)>,
    in_string: bool,
    escaped: bool,
    string_len: usize,
    /// The next token is a value (after `[`, `:`, `,` in an array, or at the start).
    want_value: bool,
    values: usize,
    items: usize,
}

impl LimitChecker {
    pub fn new(limits: Limits) -> LimitChecker {
        LimitChecker {
            limits,
            bytes: 0,
            stack: Vec::new(),
            in_string: false,
            escaped: false,
            string_len: 0,
            want_value: true,
            values: 0,
            items: 0,
        }
    }

    fn value(&mut self) -> Result<(), FeedError> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(FeedError::TooManyValues(self.limits.max_values));
        }
        if let Some(top) = self.stack.last_mut() {
            if !top.0 {
                top.1 += 1;
            }
        }
        // An element of an array that is a value of the top-level object: an item.
        if self.stack.len() == 2 && self.stack[0].0 && !self.stack[1].0 {
            self.items += 1;
            if self.items > self.limits.max_items {
                return Err(FeedError::TooManyItems(self.limits.max_items));
            }
        }
        Ok(())
    }

    /// Feeds the next bytes.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FeedError> {
        self.bytes += chunk.len();
        if self.bytes > self.limits.max_bytes {
            return Err(FeedError::TooLarge(self.limits.max_bytes));
        }
        for &b in chunk {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    continue;
                }
                self.string_len += 1;
                if self.string_len > self.limits.max_string {
                    return Err(FeedError::StringTooLong(self.limits.max_string));
                }
                continue;
            }
            match b {
                b'"' => {
                    let is_key = matches!(self.stack.last(), Some((true, _))) && !self.want_value;
                    if is_key {
                        if let Some(top) = self.stack.last_mut() {
                            top.1 += 1;
                            if top.1 > self.limits.max_members {
                                return Err(FeedError::TooManyMembers(self.limits.max_members));
                            }
                        }
                    } else {
                        self.value()?;
                    }
                    self.in_string = true;
                    self.string_len = 0;
                    self.want_value = false;
                }
                b'{' | b'[' => {
                    self.value()?;
                    self.stack.push((b == b'{', 0));
                    if self.stack.len() > self.limits.max_depth {
                        return Err(FeedError::TooDeep(self.limits.max_depth));
                    }
                    self.want_value = b == b'[';
                }
                b'}' | b']' => {
                    self.stack.pop();
                    self.want_value = false;
                }
                b':' => self.want_value = true,
                b',' => self.want_value = matches!(self.stack.last(), Some((false, _))),
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' if self.want_value => {
                    self.value()?;
                    self.want_value = false;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A remote item that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteItem {
    Version { id: String, seq: u64, portrait: Box<Portrait>, sha256: String },
    Tombstone { id: String, seq: u64, city_id: String, version: u32 },
}

impl RemoteItem {
    pub fn seq(&self) -> u64 {
        match self {
            RemoteItem::Version { seq, .. } | RemoteItem::Tombstone { seq, .. } => *seq,
        }
    }
    pub fn city_id(&self) -> &str {
        match self {
            RemoteItem::Version { portrait, .. } => &portrait.city.id,
            RemoteItem::Tombstone { city_id, .. } => city_id,
        }
    }
}

impl RemoteItem {
    /// The item as JSON, in the shape [`check_item`] reads: what is kept of an item held back,
    /// to retry it later.
    pub fn to_item_json(&self) -> String {
        let v = match self {
            RemoteItem::Version { id, seq, portrait, sha256 } => serde_json::json!({
                "id": id,
                "_gnlc": {
                    "schemaVersion": model::SCHEMA_VERSION,
                    "cityId": portrait.city.id,
                    "version": portrait.version,
                    "seq": seq,
                    "contentSha256": sha256,
                    "deleted": false,
                    "portrait": portrait,
                }
            }),
            RemoteItem::Tombstone { id, seq, city_id, version } => serde_json::json!({
                "id": id,
                "_gnlc": {
                    "schemaVersion": model::SCHEMA_VERSION,
                    "cityId": city_id,
                    "version": version,
                    "seq": seq,
                    "contentSha256": null,
                    "deleted": true,
                    "portrait": null,
                }
            }),
        };
        v.to_string()
    }
}

/// A remote item refused, with why; `body` is the item as received (for the quarantine).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub id: String,
    pub reason: String,
    pub body: String,
}

/// A parsed page of remote items (feed snapshot or changes page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<RemoteItem>,
    pub refused: Vec<Refused>,
    /// The cursor after this page: the feed's catalogVersion or the page's lastVersion.
    pub cursor: u64,
    pub has_more: bool,
    pub tombstone_floor: u64,
    /// The catalogue the page is of, if the server names it.
    pub catalog_id: Option<String>,
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Validates one item. Errors are quarantine reasons.
pub fn check_item(raw: &Value) -> Result<RemoteItem, String> {
    let item: Item =
        serde_json::from_value(raw.clone()).map_err(|e| format!("not a feed item: {}", short(&e.to_string(), 200)))?;
    if item.id.is_empty() || item.id.len() > 200 {
        return Err("item id must be 1 to 200 characters".into());
    }
    if let Some(u) = &item.url {
        let lower = u.trim().to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(format!("url {:?} is not an http(s) URL", short(u, 80)));
        }
    }
    let g = &item.gnlc;
    if !(model::OLDEST_READABLE_SCHEMA..=model::SCHEMA_VERSION).contains(&g.schema_version) {
        return Err(format!(
            "schema version {} is not supported (this build reads {} to {})",
            g.schema_version,
            model::OLDEST_READABLE_SCHEMA,
            model::SCHEMA_VERSION
        ));
    }
    if g.seq == 0 {
        return Err("seq must be at least 1".into());
    }
    if g.version == 0 {
        return Err("version must be at least 1".into());
    }
    let id_ok = g.city_id.len() <= 64
        && g.city_id.split_once('-').is_some_and(|(cc, slug)| {
            cc.len() == 2
                && cc.chars().all(|c| c.is_ascii_lowercase())
                && !slug.is_empty()
                && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if !id_ok {
        return Err(format!("cityId {:?} is not a city id", short(&g.city_id, 80)));
    }
    if g.deleted {
        if g.portrait.is_some() {
            return Err("a tombstone carries no portrait".into());
        }
        return Ok(RemoteItem::Tombstone { id: item.id, seq: g.seq, city_id: g.city_id.clone(), version: g.version });
    }
    let raw_portrait = g.portrait.as_ref().ok_or("a published item needs a portrait")?;
    let portrait = model::validate::parse_portrait_value(raw_portrait).map_err(|errs| {
        let first = errs.first().map(|e| format!("{}: {}", e.path, e.message)).unwrap_or_default();
        format!("invalid portrait ({} error(s)): {}", errs.len(), short(&first, 300))
    })?;
    if portrait.city.id != g.city_id {
        return Err(format!("portrait is of {:?} but the item says {:?}", portrait.city.id, g.city_id));
    }
    if portrait.version != g.version {
        return Err(format!("portrait is version {} but the item says {}", portrait.version, g.version));
    }
    let sha = portrait.content_sha256();
    // A version 1 portrait (from a server not yet upgraded) was hashed as it was sent; this
    // build keeps it upgraded, under the hash of its upgraded form.
    let sent_as_v1 = raw_portrait.get("schema_version").and_then(Value::as_u64) == Some(1);
    let sha_as_sent = || hex::encode(sha2::Sha256::digest(model::to_canonical_json(raw_portrait).as_bytes()));
    match &g.content_sha256 {
        Some(s) if *s == sha => {}
        Some(s) if sent_as_v1 && *s == sha_as_sent() => {}
        Some(s) => return Err(format!("contentSha256 {} does not match the portrait ({sha})", short(s, 70))),
        None => return Err("contentSha256 missing".into()),
    }
    Ok(RemoteItem::Version { id: item.id, seq: g.seq, portrait: Box::new(portrait), sha256: sha })
}

/// Checks each item on its own; a page with more refused items than `limits.max_refused` is
/// refused whole (a broken feed, not a few bad items: nothing of it is kept).
pub fn split_items(values: Vec<Value>, limits: &Limits) -> Result<(Vec<RemoteItem>, Vec<Refused>), FeedError> {
    let total = values.len();
    let mut ids = HashSet::new();
    let mut seqs = HashSet::new();
    let mut items = Vec::new();
    let mut refused = Vec::new();
    for v in values {
        let id = v.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        if !id.is_empty() && !ids.insert(id.clone()) {
            return Err(FeedError::Envelope(format!("item id {:?} appears twice", short(&id, 80))));
        }
        match check_item(&v) {
            Ok(item) => {
                if !seqs.insert(item.seq()) {
                    return Err(FeedError::Envelope(format!("seq {} appears twice", item.seq())));
                }
                items.push(item);
            }
            Err(reason) => {
                if refused.len() >= limits.max_refused {
                    let first: &Refused = &refused[0];
                    return Err(FeedError::TooManyRefused {
                        refused: limits.max_refused + 1,
                        total,
                        first: format!("{}: {}", first.id, short(&first.reason, 200)),
                    });
                }
                let body = v.to_string();
                // Items without an id are told apart by their content, so a re-sync updates
                // their row instead of adding one.
                let id = if id.is_empty() {
                    format!("(no id {})", &hex::encode(sha2::Sha256::digest(body.as_bytes()))[..16])
                } else {
                    short(&id, 200)
                };
                refused.push(Refused { id, reason, body: short(&body, 1_000_000) })
            }
        }
    }
    Ok((items, refused))
}

/// A serde error as a feed error: broken JSON, or JSON of the wrong shape.
fn json_error(e: serde_json::Error) -> FeedError {
    match e.classify() {
        serde_json::error::Category::Data => FeedError::Envelope(short(&e.to_string(), 200)),
        _ => FeedError::Json(short(&e.to_string(), 200)),
    }
}

/// Parses a feed snapshot (`/v1/feed.json`).
pub fn parse_feed(bytes: &[u8], limits: &Limits) -> Result<Page, FeedError> {
    check_limits(bytes, limits)?;
    #[derive(Deserialize)]
    struct Raw {
        version: String,
        #[serde(rename = "_gnlc")]
        gnlc: FeedExt,
        items: Vec<Value>,
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(json_error)?;
    if raw.version != JSON_FEED_VERSION && raw.version != "https://jsonfeed.org/version/1" {
        return Err(FeedError::Envelope(format!("version {:?} is not JSON Feed 1.x", short(&raw.version, 80))));
    }
    if !(model::OLDEST_READABLE_SCHEMA..=model::SCHEMA_VERSION).contains(&raw.gnlc.schema_version) {
        return Err(FeedError::Envelope(format!("_gnlc.schemaVersion {} is not supported", raw.gnlc.schema_version)));
    }
    if raw.gnlc.catalog_version > i64::MAX as u64 {
        return Err(FeedError::Envelope(format!("catalogVersion {} is out of range", raw.gnlc.catalog_version)));
    }
    let (mut items, refused) = split_items(raw.items, limits)?;
    if let Some(max) = items.iter().map(RemoteItem::seq).max() {
        if max > raw.gnlc.catalog_version {
            return Err(FeedError::Envelope(format!(
                "an item has seq {max}, beyond the feed's catalogVersion {}",
                raw.gnlc.catalog_version
            )));
        }
    }
    items.sort_by_key(RemoteItem::seq);
    Ok(Page {
        items,
        refused,
        cursor: raw.gnlc.catalog_version,
        has_more: false,
        tombstone_floor: raw.gnlc.tombstone_floor,
        catalog_id: raw.gnlc.catalog_id,
    })
}

/// Parses a `/v1/changes` page requested with `since`.
pub fn parse_changes(bytes: &[u8], since: u64, limits: &Limits) -> Result<Page, FeedError> {
    check_limits(bytes, limits)?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        items: Vec<Value>,
        last_version: u64,
        has_more: bool,
        #[serde(default)]
        catalog_id: Option<String>,
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(json_error)?;
    // Sequence numbers must go forward: in order, above the cursor, up to lastVersion.
    let mut prev = since;
    for v in &raw.items {
        if let Some(seq) = v.get("_gnlc").and_then(|g| g.get("seq")).and_then(Value::as_u64) {
            if seq <= prev {
                return Err(FeedError::Envelope(format!("seq {seq} does not follow {prev}: changes must go forward")));
            }
            prev = seq;
        }
    }
    if raw.last_version < prev {
        return Err(FeedError::Envelope(format!(
            "lastVersion {} is behind the page's items ({prev})",
            raw.last_version
        )));
    }
    if raw.last_version > i64::MAX as u64 {
        return Err(FeedError::Envelope(format!("lastVersion {} is out of range", raw.last_version)));
    }
    if raw.last_version < since {
        return Err(FeedError::Envelope(format!("lastVersion {} goes back before {since}", raw.last_version)));
    }
    let (items, refused) = split_items(raw.items, limits)?;
    Ok(Page {
        items,
        refused,
        cursor: raw.last_version,
        has_more: raw.has_more,
        tombstone_floor: 0,
        catalog_id: raw.catalog_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_parsing() {
        let l = Limits { max_bytes: 1000, max_depth: 4, max_string: 10, max_items: 2, ..Limits::default() };
        assert_eq!(check_limits(&vec![b' '; 1001], &l), Err(FeedError::TooLarge(1000)));
        assert_eq!(check_limits(b"[[[[[1]]]]]", &l), Err(FeedError::TooDeep(4)));
        assert_eq!(check_limits(b"{\"a\": \"01234567890\"}", &l), Err(FeedError::StringTooLong(10)));
        assert_eq!(check_limits(b"{\"items\": [{}, {}, {}]}", &l), Err(FeedError::TooManyItems(2)));
        assert_eq!(
            check_limits(b"{\"items\": [{\"x\": \"[[[[[[\"}, {}]}", &l),
            Ok(()),
            "brackets in strings do not count"
        );
    }

    /// Plain values count as items and as values; object members are bounded; the checker
    /// gives the same answer however the bytes are split into chunks.
    #[test]
    fn every_element_counts_and_chunks_do_not_matter() {
        let l = Limits { max_items: 3, max_members: 3, max_values: 50, ..Limits::default() };
        assert_eq!(check_limits(b"{\"items\": [0, \"\", null, false]}", &l), Err(FeedError::TooManyItems(3)));
        assert_eq!(check_limits(b"{\"items\": [0, \"\", null]}", &l), Ok(()));
        assert_eq!(check_limits(b"{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}", &l), Err(FeedError::TooManyMembers(3)));
        let many: String = format!("{{\"x\": [[{}]]}}", vec!["1"; 60].join(","));
        assert_eq!(check_limits(many.as_bytes(), &l), Err(FeedError::TooManyValues(50)));
        let doc = b"{\"items\": [{\"k\": \"a,b:[c]\\\"\"}, -1.5e3, true], \"n\": null}";
        let whole = check_limits(doc, &l);
        assert_eq!(whole, Ok(()));
        for split in 1..doc.len() {
            let mut c = LimitChecker::new(l);
            let r = c.push(&doc[..split]).and_then(|_| c.push(&doc[split..]));
            assert_eq!(r, whole, "split at {split}");
        }
    }
}

//! The portrait model: portrait schema v1 (DESIGN §3) as Rust types, its validation, its
//! data-quality warnings and the Markdown subset of the narrative sections.
//!
//! Owns: the shape of a city and of a portrait version, what makes one valid, what makes one
//! suspicious, and how section text is parsed. Must not do IO of any kind (no files, no SQL, no
//! network, no clock except through arguments): every function here is pure, so the store, the
//! feed, the server, the booklet and the UI all agree on one definition.

pub mod booklet;
pub mod markdown;
pub mod merge;
pub mod quality;
pub mod rules;
pub mod similar;
pub mod validate;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use quality::{catalogue_warnings, warnings, Warning};
pub use validate::{parse_portrait, validate_portrait, FieldError, Param};

/// The schema version this build writes. It reads version 1 too: a version 1 portrait is
/// upgraded as it is read ([`upgrade_value`], and `schema_version` deserialises 1 as 2).
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest schema version this build reads.
pub const OLDEST_READABLE_SCHEMA: u32 = 1;

/// One immutable, numbered version of a city's portrait, together with the city it describes.
/// This is exactly the content of one file `data/portraits/<city-id>/v<N>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Portrait", description = "One version of a learning city's portrait (schema v2).")]
pub struct Portrait {
    /// 2 (a file of version 1 is read and upgraded).
    #[serde(deserialize_with = "read_schema_version")]
    #[schemars(range(min = 1, max = 2))]
    pub schema_version: u32,
    pub city: City,
    /// Integer version, 1, 2, 3 … set by the publisher, never a timestamp.
    pub version: u32,
    pub source: Source,
    /// The portrait's one-line heading; null where none is published.
    pub tagline: Option<String>,
    /// The introductory paragraph.
    pub lead: String,
    pub facts: Facts,
    /// "Vision and motivation", Markdown subset.
    pub vision: Option<String>,
    /// "Challenges and goals", Markdown subset.
    pub challenges: Option<String>,
    /// "Plan and implementation", Markdown subset.
    pub plan: Option<String>,
    pub quote: Option<Quote>,
    pub contacts: Vec<Contact>,
    /// The award booklet's initiatives, one string each.
    pub highlights: Vec<String>,
    pub photos: Vec<Photo>,
    /// Key Features of Learning Cities, 1–12, ascending.
    pub key_feature_areas: Vec<u8>,
    /// Where the city is; null where not known (schema v2).
    #[serde(default)]
    pub location: Option<Location>,
    /// Who is the city's mayor: the quote's speaker or one of the contacts (a person is stored
    /// once); null where the portrait does not say (schema v2).
    #[serde(default)]
    pub mayor: Option<PersonRef>,
    /// The city's focal point for the network: one of the contacts, or the quote's speaker
    /// (schema v2).
    #[serde(default)]
    pub focal_point: Option<PersonRef>,
    /// The GNLC thematic clusters the city works in, in [`Cluster::ALL`] order (schema v2).
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// The city's interest and expertise per theme, 1–5, as rated on the membership
    /// application form; one entry per theme at most, in [`Cluster::ALL`] order (schema v2).
    #[serde(default)]
    pub interests: Vec<Interest>,
    /// Translations of the text fields, by language tag (BCP 47: `fr`, `es`, `pt-BR`). The
    /// fields above are the original, in English ([`ORIGINAL_LANG`]); a translation may cover
    /// some fields only, and a reader falls back to the original for the rest (schema v2,
    /// written only when there is one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, Translation>>", optional)]
    pub translations: BTreeMap<String, Translation>,
}

/// The language the portrait's own fields are written in.
pub const ORIGINAL_LANG: &str = "en";

/// At most this many translations a portrait.
pub const MAX_TRANSLATIONS: usize = 12;

/// A portrait's text fields in another language. Each is optional: what is absent is read in
/// the original. Lists (highlights, photo captions) go item by item with the original's,
/// `null` where an item is not translated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub tagline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub lead: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub vision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub challenges: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub plan: Option<String>,
    /// The quote's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub quote: Option<String>,
    /// The quote speaker's role ("Mayor of …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub quote_role: Option<String>,
    /// One per highlight of the original, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Option<String>>>", optional)]
    pub highlights: Vec<Option<String>>,
    /// One per photo of the original, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Option<String>>>", optional)]
    pub captions: Vec<Option<String>>,
}

impl Translation {
    /// Its texts as plain text (Markdown read as text), one a line, for full-text search.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for s in [&self.tagline, &self.lead, &self.quote, &self.quote_role].into_iter().flatten() {
            out.push_str(s);
            out.push('\n');
        }
        for md in [&self.vision, &self.challenges, &self.plan].into_iter().flatten() {
            out.push_str(&markdown::plain_text(md));
            out.push('\n');
        }
        for s in self.highlights.iter().chain(&self.captions).flatten() {
            out.push_str(s);
            out.push('\n');
        }
        out
    }

    /// True when it translates nothing.
    pub fn is_empty(&self) -> bool {
        [&self.tagline, &self.lead, &self.vision, &self.challenges, &self.plan, &self.quote, &self.quote_role]
            .iter()
            .all(|f| f.is_none())
            && self.highlights.iter().chain(&self.captions).all(Option::is_none)
    }
}

/// The text fields a translation covers, in portrait order.
pub const TRANSLATABLE: [&str; 8] =
    ["tagline", "lead", "vision", "challenges", "plan", "quote", "highlights", "captions"];

/// A portrait as read in one language: the translated fields in place of the original's, and
/// which fields are still the original's (present in the original, not translated).
#[derive(Debug, Clone, PartialEq)]
pub struct Localized {
    pub portrait: Portrait,
    /// The language asked for, when the portrait has a translation into it; else the original's.
    pub lang: String,
    /// The [`TRANSLATABLE`] fields shown in the original language (all of them with text when
    /// there is no translation into the language asked for).
    pub original: Vec<&'static str>,
}

impl Localized {
    /// The language a field is shown in.
    pub fn lang_of(&self, field: &str) -> &str {
        if self.original.contains(&field) {
            ORIGINAL_LANG
        } else {
            &self.lang
        }
    }
}

/// Reads `schema_version`: 1 and 2 are read (1 is upgraded to 2 as it is read: the fields
/// version 2 adds are all optional); anything else is kept for validation to refuse.
fn read_schema_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    Ok(if v == 1 { SCHEMA_VERSION } else { v })
}

/// Upgrades a portrait's JSON of an older schema version to this build's, in place: version 1
/// → 2 renames `city.joined` to `city.member_since`; the fields version 2 adds are optional.
/// Anything that is not a version 1 portrait is left alone for validation to judge.
pub fn upgrade_value(value: &mut serde_json::Value) {
    let Some(obj) = value.as_object_mut() else { return };
    if obj.get("schema_version").and_then(serde_json::Value::as_u64) != Some(1) {
        return;
    }
    obj.insert("schema_version".into(), SCHEMA_VERSION.into());
    if let Some(city) = obj.get_mut("city").and_then(serde_json::Value::as_object_mut) {
        if let Some(joined) = city.shift_remove("joined") {
            // Keep the key where it was (after region), as a version 2 file writes it.
            let mut rebuilt = serde_json::Map::new();
            for (k, v) in std::mem::take(city) {
                let after_region = k == "region";
                rebuilt.insert(k, v);
                if after_region {
                    rebuilt.insert("member_since".into(), joined.clone());
                }
            }
            if !rebuilt.contains_key("member_since") {
                rebuilt.insert("member_since".into(), joined);
            }
            *city = rebuilt;
        }
    }
}

/// Where a city is: WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[schemars(range(min = -90.0, max = 90.0))]
    pub lat: f64,
    #[schemars(range(min = -180.0, max = 180.0))]
    pub lon: f64,
}

/// A person the portrait already names: the quote's speaker, or a contact (index into
/// `contacts`). `"quote"` or `{"contact": 0}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PersonRef {
    Quote,
    Contact(u32),
}

/// The seven thematic clusters in which GNLC members work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Cluster {
    EducationForSustainableDevelopment,
    EquityAndInclusion,
    EducationalPlanningMonitoringAndEvaluation,
    GlobalCitizenshipEducation,
    Entrepreneurship,
    HealthAndWellbeing,
    Literacy,
}

impl Cluster {
    pub const ALL: [Cluster; 7] = [
        Cluster::EducationForSustainableDevelopment,
        Cluster::EquityAndInclusion,
        Cluster::EducationalPlanningMonitoringAndEvaluation,
        Cluster::GlobalCitizenshipEducation,
        Cluster::Entrepreneurship,
        Cluster::HealthAndWellbeing,
        Cluster::Literacy,
    ];

    /// The cluster's name as UIL writes it.
    pub fn label(self) -> &'static str {
        match self {
            Cluster::EducationForSustainableDevelopment => "Education for sustainable development",
            Cluster::EquityAndInclusion => "Equity and inclusion",
            Cluster::EducationalPlanningMonitoringAndEvaluation => "Educational planning, monitoring and evaluation",
            Cluster::GlobalCitizenshipEducation => "Global citizenship education",
            Cluster::Entrepreneurship => "Entrepreneurship",
            Cluster::HealthAndWellbeing => "Health and well-being",
            Cluster::Literacy => "Literacy",
        }
    }

    /// The snake_case id (`health_and_wellbeing`), as in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Cluster::EducationForSustainableDevelopment => "education_for_sustainable_development",
            Cluster::EquityAndInclusion => "equity_and_inclusion",
            Cluster::EducationalPlanningMonitoringAndEvaluation => "educational_planning_monitoring_and_evaluation",
            Cluster::GlobalCitizenshipEducation => "global_citizenship_education",
            Cluster::Entrepreneurship => "entrepreneurship",
            Cluster::HealthAndWellbeing => "health_and_wellbeing",
            Cluster::Literacy => "literacy",
        }
    }
}

/// A city's interest in a theme and its expertise in it, each 1 (low) to 5 (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Interest {
    pub theme: Cluster,
    #[schemars(range(min = 1, max = 5))]
    pub interest: u8,
    #[schemars(range(min = 1, max = 5))]
    pub expertise: u8,
}

/// A member city of the network. The same block appears in every version file of a city.
/// It belongs to the publisher (UIL): a submission cannot change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct City {
    /// ISO 3166-1 alpha-2 code, `-`, ASCII slug: `dk-sonderborg`.
    #[schemars(regex(pattern = r"^[a-z]{2}-[a-z0-9]+(-[a-z0-9]+)*$"), length(max = 64))]
    pub id: String,
    /// Name as published, with diacritics.
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    pub country: Country,
    pub region: Region,
    /// Year the city joined the GNLC, where known (`joined` in schema v1).
    #[serde(alias = "joined")]
    #[schemars(range(min = 2013, max = 2100))]
    pub member_since: Option<u16>,
    /// Learning City Award years, ascending.
    pub awards: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub code: String,
    /// Display name as published ("Iran (Islamic Republic of)").
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
}

/// UNESCO's five regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
pub enum Region {
    #[serde(rename = "Africa")]
    Africa,
    #[serde(rename = "Arab States")]
    ArabStates,
    #[serde(rename = "Asia and the Pacific")]
    AsiaPacific,
    #[serde(rename = "Europe and North America")]
    EuropeNorthAmerica,
    #[serde(rename = "Latin America and the Caribbean")]
    LatinAmericaCaribbean,
}

impl Region {
    pub const ALL: [Region; 5] = [
        Region::Africa,
        Region::ArabStates,
        Region::AsiaPacific,
        Region::EuropeNorthAmerica,
        Region::LatinAmericaCaribbean,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Africa => "Africa",
            Region::ArabStates => "Arab States",
            Region::AsiaPacific => "Asia and the Pacific",
            Region::EuropeNorthAmerica => "Europe and North America",
            Region::LatinAmericaCaribbean => "Latin America and the Caribbean",
        }
    }

    /// Parses a region name, case-insensitively.
    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a version comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Id of the booklet the version was published in; null for an edit.
    pub booklet: Option<String>,
    /// Publication date, `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub published: String,
}

/// The facts table of a portrait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub population: Fact,
    pub area_km2: Fact,
    /// GDP per capita of the city, USD.
    pub gdp_city_usd: Fact,
    /// GDP per capita of the country, USD.
    pub gdp_country_usd: Fact,
    /// Mean years of schooling in the city; may be split by sex.
    pub schooling_years: Fact,
}

impl Facts {
    /// The facts in table order, with their keys and printed labels.
    pub fn rows(&self) -> [(&'static str, &'static str, &Fact); 5] {
        let f = rules::FACTS;
        [
            (f[0].0, f[0].1, &self.population),
            (f[1].0, f[1].1, &self.area_km2),
            (f[2].0, f[2].1, &self.gdp_city_usd),
            (f[3].0, f[3].1, &self.gdp_country_usd),
            (f[4].0, f[4].1, &self.schooling_years),
        ]
    }
}

/// One fact: a value (or n/a) with its year (or n/a).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    #[ts(type = "number | \"n/a\"")]
    pub value: FactValue,
    #[ts(type = "number | \"n/a\"")]
    pub year: Year,
    /// Men's figure, for a fact split by sex (schooling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub men: Option<Number>,
    /// Women's figure, for a fact split by sex (schooling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub women: Option<Number>,
    /// Free text about the fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 500))]
    pub note: Option<String>,
    /// The exact printed text where it is not a plain number ("268,05").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub printed: Option<String>,
}

impl Fact {
    pub fn number(&self) -> Option<f64> {
        self.value.as_f64()
    }

    /// The value as a reader sees it: the printed text, the number with thousands separators,
    /// the men/women split, or "n/a".
    pub fn display_value(&self) -> String {
        if let Some(p) = &self.printed {
            return p.clone();
        }
        match (&self.value, &self.men, &self.women) {
            (FactValue::NotAvailable, Some(m), Some(w)) => {
                format!("Men: {} / Women: {}", format_number(m.0), format_number(w.0))
            }
            (FactValue::Number(n), _, _) => format_number(n.0),
            (FactValue::NotAvailable, _, _) => "n/a".to_string(),
        }
    }

    /// The value and its year, as one reader's string: "80,006 (2010)", "n/a".
    pub fn display(&self) -> String {
        match (&self.value, self.year) {
            (FactValue::NotAvailable, Year::NotAvailable) if self.men.is_none() => "n/a".into(),
            (_, Year::NotAvailable) => format!("{} (n/a)", self.display_value()),
            (_, Year::Year(y)) => format!("{} ({y})", self.display_value()),
        }
    }
}

/// A JSON number that keeps the difference between `36` and `36.0`, so files round-trip
/// byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct Number(pub f64);

impl Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() {
            Ok(Number(v))
        } else {
            Err(serde::de::Error::custom("number must be finite"))
        }
    }
}

/// A fact's value: a number, or the string "n/a".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactValue {
    Number(Number),
    NotAvailable,
}

impl FactValue {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FactValue::Number(n) => Some(n.0),
            FactValue::NotAvailable => None,
        }
    }
}

/// A year, or the string "n/a".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Year {
    Year(u16),
    NotAvailable,
}

impl Year {
    pub fn get(self) -> Option<u16> {
        match self {
            Year::Year(y) => Some(y),
            Year::NotAvailable => None,
        }
    }
}

const NA: &str = "n/a";

impl Serialize for FactValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FactValue::Number(n) => n.serialize(s),
            FactValue::NotAvailable => s.serialize_str(NA),
        }
    }
}

impl<'de> Deserialize<'de> for FactValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if s == NA => Ok(FactValue::NotAvailable),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(v) if v.is_finite() => Ok(FactValue::Number(Number(v))),
                _ => Err(serde::de::Error::custom("number out of range")),
            },
            _ => Err(serde::de::Error::custom("expected a number or \"n/a\"")),
        }
    }
}

impl Serialize for Year {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Year::Year(y) => s.serialize_u16(*y),
            Year::NotAvailable => s.serialize_str(NA),
        }
    }
}

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if s == NA => Ok(Year::NotAvailable),
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(v) if (1800..=2200).contains(&v) => Ok(Year::Year(v as u16)),
                _ => Err(serde::de::Error::custom("a year must be an integer from 1800 to 2200")),
            },
            _ => Err(serde::de::Error::custom("expected a year or \"n/a\"")),
        }
    }
}

impl JsonSchema for FactValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FactValue".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number as printed, or \"n/a\".",
            "oneOf": [ { "type": "number" }, { "const": "n/a" } ]
        })
    }
}

impl JsonSchema for Year {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Year".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The year printed with a fact, or \"n/a\".",
            "oneOf": [ { "type": "integer", "minimum": 1800, "maximum": 2200 }, { "const": "n/a" } ]
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// The words, without the surrounding quote marks.
    #[schemars(length(min = 1, max = 2000))]
    pub text: String,
    #[schemars(length(min = 1, max = 200))]
    pub speaker: String,
    #[schemars(length(max = 300))]
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    #[schemars(length(max = 300))]
    pub role: Option<String>,
    #[schemars(length(max = 300))]
    pub organisation: Option<String>,
    #[schemars(length(max = 254))]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    /// SHA-256 of the image bytes, lower-case hex: the photo's content address.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    pub mime: PhotoMime,
    #[schemars(length(max = 500))]
    pub caption: Option<String>,
    #[schemars(length(max = 200))]
    pub credit: Option<String>,
    #[schemars(length(max = 200))]
    pub licence: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ts_rs::TS)]
pub enum PhotoMime {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
}

/// The twelve Key Features of Learning Cities, by number.
pub const KEY_FEATURES: [&str; 12] = [
    "Empowering individuals and promoting social cohesion",
    "Enhancing economic development and cultural prosperity",
    "Promoting sustainable development",
    "Inclusive learning in the education system",
    "Revitalized learning in families and communities",
    "Effective learning for and in the workplace",
    "Extended use of modern learning technologies",
    "Enhanced quality in learning",
    "A vibrant culture of learning throughout life",
    "Strengthened political will and commitment",
    "Improved governance and participation of all stakeholders",
    "Boosted mobilization and utilization of resources",
];

/// The three narrative sections: key, printed heading.
pub const SECTIONS: [(&str, &str); 3] =
    [("vision", "Vision and motivation"), ("challenges", "Challenges and goals"), ("plan", "Plan and implementation")];

impl Portrait {
    /// A portrait with nothing said yet: the city block, every fact not available, every text
    /// empty, version 0 (the base a proposal of a new city is compared with).
    pub fn blank(city: City) -> Portrait {
        let na = || Fact {
            value: FactValue::NotAvailable,
            year: Year::NotAvailable,
            men: None,
            women: None,
            note: None,
            printed: None,
        };
        Portrait {
            schema_version: SCHEMA_VERSION,
            city,
            version: 0,
            source: Source { booklet: None, published: String::new() },
            tagline: None,
            lead: String::new(),
            facts: Facts {
                population: na(),
                area_km2: na(),
                gdp_city_usd: na(),
                gdp_country_usd: na(),
                schooling_years: na(),
            },
            vision: None,
            challenges: None,
            plan: None,
            quote: None,
            contacts: vec![],
            highlights: vec![],
            photos: vec![],
            key_feature_areas: vec![],
            location: None,
            mayor: None,
            focal_point: None,
            clusters: vec![],
            interests: vec![],
            translations: std::collections::BTreeMap::new(),
        }
    }

    /// The name of the person a reference names (the quote's speaker, a contact).
    pub fn person(&self, who: Option<PersonRef>) -> Option<&str> {
        match who? {
            PersonRef::Quote => self.quote.as_ref().map(|q| q.speaker.as_str()),
            PersonRef::Contact(i) => self.contacts.get(i as usize).map(|c| c.name.as_str()),
        }
    }

    /// The narrative section with the given key (`vision`, `challenges`, `plan`).
    pub fn section(&self, key: &str) -> Option<&str> {
        match key {
            "vision" => self.vision.as_deref(),
            "challenges" => self.challenges.as_deref(),
            "plan" => self.plan.as_deref(),
            _ => None,
        }
    }

    /// The portrait as read in `lang`: its translation into `lang` where it has one, field by
    /// field, the original elsewhere. A language tag is matched exactly, then by its primary
    /// language (`fr-CA` reads a `fr` translation, `fr` reads `fr-CA` when there is no `fr`).
    pub fn localized(&self, lang: &str) -> Localized {
        let mut p = self.clone();
        p.translations = BTreeMap::new();
        let present: Vec<&'static str> = TRANSLATABLE
            .into_iter()
            .filter(|f| match *f {
                "tagline" => self.tagline.is_some(),
                "lead" => true,
                "vision" | "challenges" | "plan" => self.section(f).is_some(),
                "quote" => self.quote.is_some(),
                "highlights" => !self.highlights.is_empty(),
                _ => self.photos.iter().any(|ph| ph.caption.is_some()),
            })
            .collect();
        let Some((tag, t)) = self.translation_for(lang) else {
            return Localized { portrait: p, lang: ORIGINAL_LANG.into(), original: present };
        };
        let mut original = Vec::new();
        let mut take = |field: &'static str, target: &mut Option<String>, with: &Option<String>| match with {
            Some(v) if target.is_some() => *target = Some(v.clone()),
            _ if target.is_some() => original.push(field),
            _ => {}
        };
        take("tagline", &mut p.tagline, &t.tagline);
        take("vision", &mut p.vision, &t.vision);
        take("challenges", &mut p.challenges, &t.challenges);
        take("plan", &mut p.plan, &t.plan);
        if let Some(lead) = &t.lead {
            p.lead = lead.clone();
        } else {
            original.push("lead");
        }
        if let Some(q) = &mut p.quote {
            let mut whole = true;
            match &t.quote {
                Some(text) => q.text = text.clone(),
                None => whole = false,
            }
            match (&mut q.role, &t.quote_role) {
                (Some(role), Some(tr)) => *role = tr.clone(),
                (Some(_), None) => whole = false,
                _ => {}
            }
            if !whole {
                original.push("quote");
            }
        }
        let mut whole = true;
        for (i, h) in p.highlights.iter_mut().enumerate() {
            match t.highlights.get(i).cloned().flatten() {
                Some(tr) => *h = tr,
                None => whole = false,
            }
        }
        if !whole {
            original.push("highlights");
        }
        let mut whole = true;
        for (i, ph) in p.photos.iter_mut().enumerate() {
            if let Some(c) = &mut ph.caption {
                match t.captions.get(i).cloned().flatten() {
                    Some(tr) => *c = tr,
                    None => whole = false,
                }
            }
        }
        if !whole {
            original.push("captions");
        }
        original.sort_by_key(|f| TRANSLATABLE.iter().position(|x| x == f));
        Localized { portrait: p, lang: tag.to_string(), original }
    }

    /// The translation a reader of `lang` gets: the exact tag, else one of the same primary
    /// language. None for the original's language.
    pub fn translation_for(&self, lang: &str) -> Option<(&str, &Translation)> {
        let primary = |t: &str| t.split('-').next().unwrap_or("").to_ascii_lowercase();
        if primary(lang) == ORIGINAL_LANG {
            return None;
        }
        self.translations
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(lang))
            .or_else(|| self.translations.iter().find(|(k, _)| primary(k) == primary(lang)))
            .map(|(k, t)| (k.as_str(), t))
    }

    /// Every translated text, as plain text, for full-text search.
    pub fn translations_plain_text(&self) -> String {
        self.translations.values().map(Translation::plain_text).collect()
    }

    /// All the portrait's words as plain text, for full-text search.
    pub fn plain_text_body(&self) -> String {
        let mut out = String::new();
        for (key, _) in SECTIONS {
            if let Some(md) = self.section(key) {
                out.push_str(&markdown::plain_text(md));
                out.push('\n');
            }
        }
        for h in &self.highlights {
            out.push_str(h);
            out.push('\n');
        }
        if let Some(q) = &self.quote {
            out.push_str(&q.text);
            out.push('\n');
            out.push_str(&q.speaker);
            if let Some(r) = &q.role {
                out.push(' ');
                out.push_str(r);
            }
            out.push('\n');
        }
        for c in &self.contacts {
            for s in [Some(&c.name), c.role.as_ref(), c.organisation.as_ref(), c.email.as_ref()].into_iter().flatten() {
                out.push_str(s);
                out.push(' ');
            }
            out.push('\n');
        }
        for p in &self.photos {
            if let Some(c) = &p.caption {
                out.push_str(c);
                out.push('\n');
            }
        }
        out
    }

    /// SHA-256 of the canonical JSON of this version (the file's bytes), hex.
    pub fn content_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(to_canonical_json(self).as_bytes()))
    }
}

/// The canonical file form of a portrait: pretty JSON, 2-space indent, newline at the end.
/// Export writes exactly this, so export → import → export is byte-identical.
pub fn to_canonical_json<T: Serialize>(value: &T) -> String {
    // Serialising our own plain data types cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// Formats a number the way the booklets print it: thousands separated by commas, decimals kept.
pub fn format_number(v: f64) -> String {
    let neg = v < 0.0;
    let v = v.abs();
    let s = if v.fract() == 0.0 { format!("{}", v as u64) } else { format!("{v}") };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let mut out = if neg { format!("-{grouped}") } else { grouped };
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

/// The ASCII slug of a name, as used in city ids: "Sønderborg" → "sonderborg".
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        let folded = fold_char(ch);
        for c in folded.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Folds one character to ASCII where there is an obvious Latin equivalent.
pub fn fold_char(c: char) -> String {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' => "g",
        'Ğ' => "G",
        'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ī' | 'į' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'İ' | 'Ī' | 'Į' => "I",
        'ł' => "l",
        'Ł' => "L",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ř' => "r",
        'Ř' => "R",
        'ś' | 'ş' | 'š' | 'ș' => "s",
        'Ś' | 'Ş' | 'Š' | 'Ș' => "S",
        'ß' => "ss",
        'ţ' | 'ť' | 'ț' => "t",
        'Ţ' | 'Ť' | 'Ț' => "T",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return c.to_string(),
    };
    s.to_string()
}

/// Folds a whole string to ASCII where possible (used to make search diacritic-insensitive
/// for letters that Unicode does not decompose, such as ø and ı).
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// The JSON Schema of a portrait file, as published at `data/schema/portrait.schema.json`.
pub fn portrait_json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Portrait);
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn villa_maria() -> Portrait {
        serde_json::from_str(include_str!("../../data/portraits/ar-villa-maria/v1.json")).unwrap()
    }

    #[test]
    fn a_portrait_reads_in_its_translation_and_falls_back_field_by_field() {
        let mut p = villa_maria();
        let untranslated = p.localized("fr");
        assert_eq!(untranslated.lang, "en", "no French: the original");
        assert_eq!(untranslated.original, ["tagline", "lead", "vision", "challenges", "plan", "quote"]);
        assert_eq!(untranslated.portrait, p);

        p.translations.insert(
            "fr".into(),
            Translation {
                tagline: Some("Une ville qui apprend".into()),
                lead: Some("Villa María est une ville d’Argentine.".into()),
                plan: Some("- Un plan\n- Deux plans".into()),
                quote: Some("Apprendre ensemble".into()),
                ..Default::default()
            },
        );
        let fr = p.localized("fr-CA");
        assert_eq!(fr.lang, "fr", "fr-CA reads the fr translation");
        assert_eq!(fr.portrait.tagline.as_deref(), Some("Une ville qui apprend"));
        assert_eq!(fr.portrait.lead, "Villa María est une ville d’Argentine.");
        assert_eq!(fr.portrait.plan.as_deref(), Some("- Un plan\n- Deux plans"));
        assert_eq!(fr.portrait.vision, p.vision, "untranslated: the original");
        assert_eq!(fr.portrait.quote.as_ref().unwrap().text, "Apprendre ensemble");
        let has_role = p.quote.as_ref().unwrap().role.is_some();
        let mut want = vec!["vision", "challenges"];
        if has_role {
            want.push("quote");
        }
        assert_eq!(fr.original, want, "the quote's role is not translated, so the quote is partly English");
        assert_eq!(fr.lang_of("vision"), "en");
        assert_eq!(fr.lang_of("lead"), "fr");
        assert!(fr.portrait.translations.is_empty(), "the localized portrait carries no translations");
        assert_eq!(p.localized("es").lang, "en");
        assert_eq!(p.localized("en").portrait.lead, p.lead, "English is the original");
        assert!(p.translations_plain_text().contains("Deux plans"));
        assert!(!p.translations_plain_text().contains("- Un"), "Markdown is read as text");
    }

    #[test]
    fn translations_are_written_only_when_there_are_some() {
        let p = villa_maria();
        let json = to_canonical_json(&p);
        assert!(!json.contains("translations"), "a portrait without translations keeps its bytes and hash");
        let mut t = p.clone();
        t.translations.insert("es".into(), Translation { lead: Some("Una ciudad".into()), ..Default::default() });
        let json = to_canonical_json(&t);
        assert!(
            json.contains("\"translations\": {\n    \"es\": {\n      \"lead\": \"Una ciudad\"\n    }\n  }"),
            "{json}"
        );
        let back: Portrait = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_ne!(t.content_sha256(), p.content_sha256());
    }

    #[test]
    fn numbers_keep_their_printed_shape() {
        assert_eq!(serde_json::to_string(&Number(36.0)).unwrap(), "36");
        assert_eq!(serde_json::to_string(&Number(3499.8)).unwrap(), "3499.8");
        assert_eq!(format_number(21705000.0), "21,705,000");
        assert_eq!(format_number(3499.8), "3,499.8");
        assert_eq!(format_number(11.0), "11");
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(slugify("Sønderborg"), "sonderborg");
        assert_eq!(slugify("Eskişehir"), "eskisehir");
        assert_eq!(slugify("Modiin-Maccabim-Reut"), "modiin-maccabim-reut");
        assert_eq!(slugify("Ybycuí"), "ybycui");
        assert_eq!(slugify("Gwanak-gu"), "gwanak-gu");
    }

    #[test]
    fn fact_display() {
        let f: Fact = serde_json::from_str(r#"{"value": 80006, "year": 2010}"#).unwrap();
        assert_eq!(f.display(), "80,006 (2010)");
        let f: Fact = serde_json::from_str(r#"{"value": "n/a", "year": "n/a"}"#).unwrap();
        assert_eq!(f.display(), "n/a");
        let f: Fact = serde_json::from_str(r#"{"value": "n/a", "men": 12.4, "women": 10.9, "year": 2015}"#).unwrap();
        assert_eq!(f.display(), "Men: 12.4 / Women: 10.9 (2015)");
        let f: Fact = serde_json::from_str(r#"{"value": 268.05, "year": 2015, "printed": "268,05"}"#).unwrap();
        assert_eq!(f.display(), "268,05 (2015)");
    }
}

//! Booklet definitions: a template, front matter and an ordered list of pinned (city, version)
//! entries (DESIGN §3, §5). Written by people as TOML (`data/booklets/*.toml`), stored as JSON.

use serde::{Deserialize, Serialize};

use super::validate::FieldError;

/// The booklet layouts the product knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Template {
    /// The 2016 members' meeting portraits: cover, participants table, imprint, foreword,
    /// contents, one spread per city, back cover.
    MembersMeeting,
    /// The 2019 Learning City Award booklet: introduction, numbered cities, one page per city.
    LearningCityAward,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::MembersMeeting => "members-meeting",
            Template::LearningCityAward => "learning-city-award",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        match s {
            "members-meeting" => Some(Template::MembersMeeting),
            "learning-city-award" => Some(Template::LearningCityAward),
            _ => None,
        }
    }
}

/// A booklet definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct BookletDef {
    pub id: String,
    pub template: Template,
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    /// As printed on the cover: "15 – 16 November 2016".
    #[serde(default)]
    pub dates: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub network: Option<String>,
    /// Publication date `YYYY-MM-DD` (the PDF's creation date).
    #[serde(default)]
    pub published: Option<String>,
    /// In the participants table, mark cities awarded in this year (with the footnote).
    #[serde(default)]
    pub awardee_mark_year: Option<u16>,
    #[serde(default)]
    pub introduction: Option<Section>,
    #[serde(default)]
    pub foreword: Option<Section>,
    #[serde(default)]
    pub imprint: Option<Imprint>,
    #[serde(default)]
    pub back_cover: Option<BackCover>,
    /// The licence and attribution line printed in the booklet.
    pub attribution: String,
    /// The language of the fixed words (headings, facts, contents) and the numbers: one of
    /// [`LANGS`]; English when absent. The portraits' own text stays as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lang: Option<String>,
    pub cities: Vec<Entry>,
}

/// The languages a booklet can be set in (`booklet::words::Lang`).
pub const LANGS: [&str; 3] = ["en", "fr", "es"];

/// A titled text with an optional signature (foreword, introduction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    /// Paragraphs separated by blank lines.
    pub text: String,
    #[serde(default)]
    pub signatory: Option<String>,
    #[serde(default)]
    pub signatory_title: Option<String>,
    #[serde(default)]
    pub signatory_institution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Imprint {
    pub publisher: String,
    #[serde(default)]
    pub copyright: Option<String>,
    /// Paragraphs separated by blank lines.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub photos: Option<String>,
    #[serde(default)]
    pub design: Option<String>,
    #[serde(default)]
    pub licence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct BackCover {
    #[serde(default)]
    pub slogan: Option<String>,
    /// Lines of the address block.
    pub address: Vec<String>,
}

/// One city of a booklet, pinned to a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub city: String,
    pub version: u32,
}

impl BookletDef {
    /// Parses a TOML definition; errors name the field.
    pub fn from_toml(text: &str) -> Result<BookletDef, Vec<FieldError>> {
        let def: BookletDef = toml::from_str(text).map_err(|e| {
            let path = e.span().map(|s| format!("at byte {}", s.start)).unwrap_or_default();
            vec![FieldError::new(format!("$ {path}").trim().to_string(), e.message().to_string())]
        })?;
        let errors = def.validate();
        if errors.is_empty() {
            Ok(def)
        } else {
            Err(errors)
        }
    }

    /// The front matter without the entries (what the store keeps as the definition).
    pub fn front_matter_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("cities");
        }
        v
    }

    /// Rebuilds a definition from stored front matter and entries.
    pub fn from_stored(front: &serde_json::Value, entries: &[(String, u32)]) -> Result<BookletDef, String> {
        let mut v = front.clone();
        let list: Vec<Entry> = entries.iter().map(|(c, v)| Entry { city: c.clone(), version: *v }).collect();
        if let Some(o) = v.as_object_mut() {
            o.insert("cities".into(), serde_json::to_value(list).map_err(|e| e.to_string())?);
        }
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    /// A booklet id made from a title ([`crate::model::slugify`], at most 60 characters):
    /// "Learning City Award 2019" → "learning-city-award-2019"; "booklet" when the title has no
    /// letter or digit.
    pub fn id_from_title(title: &str) -> String {
        let slug = crate::model::slugify(title);
        let mut cut = slug.as_str();
        if cut.len() > 60 {
            cut = cut[..60].trim_end_matches('-');
        }
        if cut.is_empty() {
            "booklet".to_string()
        } else {
            cut.to_string()
        }
    }

    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            e.push(
                FieldError::new("$.id", "a booklet id is lower-case ASCII letters, digits and '-'").code("booklet_id"),
            );
        }
        if self.title.trim().is_empty() {
            e.push(FieldError::new("$.title", "must not be empty").code("empty"));
        }
        if self.cities.is_empty() {
            e.push(FieldError::new("$.cities", "a booklet needs at least one city").code("no_cities"));
        }
        if let Some(l) = &self.lang {
            if !LANGS.contains(&l.as_str()) {
                e.push(
                    FieldError::new("$.lang", format!("no booklet language {l:?}: use en, fr or es"))
                        .code("unknown_language")
                        .with("value", l.as_str()),
                );
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, entry) in self.cities.iter().enumerate() {
            if !seen.insert(entry.city.as_str()) {
                e.push(
                    FieldError::new(format!("$.cities[{i}].city"), format!("{:?} appears twice", entry.city))
                        .code("twice"),
                );
            }
            if entry.version == 0 {
                e.push(FieldError::new(format!("$.cities[{i}].version"), "versions start at 1").code("version_from_1"));
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minimal_toml_and_names_bad_fields() {
        let ok = "id = \"b\"\ntemplate = \"members-meeting\"\ntitle = \"T\"\nattribution = \"CC\"\n[[cities]]\ncity = \"ie-cork\"\nversion = 1\n";
        let def = BookletDef::from_toml(ok).unwrap();
        assert_eq!(def.cities[0].city, "ie-cork");
        let bad = ok.replace("members-meeting", "brochure");
        let err = BookletDef::from_toml(&bad).unwrap_err();
        assert!(err[0].message.contains("brochure") || err[0].message.contains("variant"), "{err:?}");
        let dup = format!("{ok}[[cities]]\ncity = \"ie-cork\"\nversion = 1\n");
        assert!(BookletDef::from_toml(&dup).unwrap_err()[0].path.starts_with("$.cities[1]"));
        // The booklet's language: one of en, fr, es; absent is English and is not written.
        let fr = ok.replace("attribution", "lang = \"fr\"\nattribution");
        assert_eq!(BookletDef::from_toml(&fr).unwrap().lang.as_deref(), Some("fr"));
        let de = ok.replace("attribution", "lang = \"de\"\nattribution");
        let err = BookletDef::from_toml(&de).unwrap_err();
        assert_eq!(err[0].path, "$.lang");
        assert!(err[0].message.contains("\"de\""), "{err:?}");
        assert!(!serde_json::to_string(&def).unwrap().contains("lang"));
    }
}

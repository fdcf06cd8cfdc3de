//! The booklets' languages: the templates' fixed words in English, French and Spanish (Fluent
//! messages in `data/i18n/booklet/*.ftl`, compiled in), and numbers written as each language
//! writes them (80,006 · 80 006 · 80.006).
//!
//! Owns: [`Lang`], the message files, number formatting for the booklets. Must not: lay out, or
//! translate a portrait's own text (that is the portrait's content).

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};

use crate::model::{Fact, FactValue};

/// A language the booklets are set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Es];

    /// The BCP 47 tag (the PDF's /Lang, the CLI's `--lang`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// A tag as people type it: `fr`, `FR`, `fr-CA` → French. `None` for other languages.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.tag() == primary)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../data/i18n/booklet/en.ftl"),
            Lang::Fr => include_str!("../../data/i18n/booklet/fr.ftl"),
            Lang::Es => include_str!("../../data/i18n/booklet/es.ftl"),
        }
    }
}

/// The message ids of a language's file, in file order.
pub fn message_ids(lang: Lang) -> Vec<String> {
    let res = match FluentResource::try_new(lang.source().to_string()) {
        Ok(r) | Err((r, _)) => r,
    };
    res.entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// Syntax errors in a language's file (none: a test keeps it so).
pub fn syntax_errors(lang: Lang) -> Vec<String> {
    match FluentResource::try_new(lang.source().to_string()) {
        Ok(_) => Vec::new(),
        Err((_, errors)) => errors.iter().map(|e| format!("{e:?}")).collect(),
    }
}

/// French and Spanish country names by ISO 3166-1 code, read once from the compiled-in table.
/// The ISO code of the country whose French or Spanish name has the key `key` under `normalise`
/// (the spreadsheet import's header key: folded, lower-case, letters and digits).
pub fn country_code_by_name(key: &str, normalise: fn(&str) -> String) -> Option<String> {
    let mut codes: Vec<&String> = countries().keys().collect();
    codes.sort();
    codes
        .into_iter()
        .find(|c| {
            let (fr, es) = &countries()[*c];
            normalise(fr) == key || normalise(es) == key
        })
        .cloned()
}

fn countries() -> &'static std::collections::HashMap<String, (String, String)> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<String, (String, String)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../data/i18n/countries.json")).unwrap_or(serde_json::Value::Null);
        v["countries"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(code, n)| {
                        Some((code.clone(), (n["fr"].as_str()?.to_string(), n["es"].as_str()?.to_string())))
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The fixed words of one language.
pub struct Words {
    pub lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl Words {
    pub fn new(lang: Lang) -> Words {
        let res = match FluentResource::try_new(lang.source().to_string()) {
            Ok(r) | Err((r, _)) => r,
        };
        let id: unic_langid::LanguageIdentifier = lang.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new(vec![id]);
        // No Unicode isolation marks around arguments: they would reach the PDF's text.
        bundle.set_use_isolating(false);
        // A message id given twice would be refused; the files have none (tested).
        let _ = bundle.add_resource(res);
        Words { lang, bundle }
    }

    /// A message with arguments; its id if the message is missing (a test keeps every id in
    /// every language, so this shows only while writing a template).
    pub fn with(&self, id: &str, args: &[(&str, &str)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, FluentValue::from(*v));
        }
        let mut errors = Vec::new();
        self.bundle.format_pattern(pattern, Some(&fa), &mut errors).into_owned()
    }

    pub fn get(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// A country's name in this language: in English the name the data gives (the United
    /// Nations' form); in French and Spanish from `data/i18n/countries.json` by its ISO code,
    /// else the data's name.
    pub fn country(&self, code: &str, name: &str) -> String {
        if self.lang == Lang::En {
            return name.to_string();
        }
        countries().get(code).map_or_else(
            || name.to_string(),
            |(fr, es)| {
                if self.lang == Lang::Fr {
                    fr.clone()
                } else {
                    es.clone()
                }
            },
        )
    }

    /// A number as this language writes it: English 80,006.5; French 80 006,5 (a narrow
    /// no-break space between groups); Spanish 80.006,5 and 8006 (four digits stay together,
    /// as Spanish usage and `Intl` have it).
    pub fn number(&self, v: f64) -> String {
        let english = crate::model::format_number(v);
        let (group, decimal, min_digits) = match self.lang {
            Lang::En => return english,
            Lang::Fr => ('\u{202f}', ',', 4),
            Lang::Es => ('.', ',', 5),
        };
        let (int, frac) = match english.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (english.as_str(), None),
        };
        let digits = int.chars().filter(char::is_ascii_digit).count();
        let mut out: String = int
            .chars()
            .map(|c| {
                if c == ',' {
                    if digits >= min_digits {
                        group
                    } else {
                        '\u{0}'
                    }
                } else {
                    c
                }
            })
            .collect();
        out.retain(|c| c != '\u{0}');
        if let Some(f) = frac {
            out.push(decimal);
            out.push_str(f);
        }
        out
    }

    /// A fact's value as this language prints it: the portrait's own printed text if it has
    /// one (its content, as written), the number, the men/women split, or "not available".
    pub fn fact_value(&self, f: &Fact) -> String {
        if let Some(p) = &f.printed {
            return p.clone();
        }
        match (&f.value, &f.men, &f.women) {
            (FactValue::NotAvailable, Some(m), Some(w)) => {
                self.with("men-women", &[("men", &self.number(m.0)), ("women", &self.number(w.0))])
            }
            (FactValue::Number(n), _, _) => self.number(n.0),
            (FactValue::NotAvailable, _, _) => self.get("not-available"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language_and_parses() {
        let english = message_ids(Lang::En);
        assert!(english.len() > 25);
        for lang in Lang::ALL {
            assert!(syntax_errors(lang).is_empty(), "{lang:?}: {:?}", syntax_errors(lang));
            let mut ids = message_ids(lang);
            let n = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n, "{lang:?}: an id given twice");
            let mut want = english.clone();
            want.sort();
            assert_eq!(ids, want, "{lang:?} has the messages English has, no more");
            let w = Words::new(lang);
            for id in &want {
                let text = w.with(
                    id,
                    &[("year", "2019"), ("value", "1"), ("men", "1"), ("women", "2"), ("credit", "x"), ("city", "y")],
                );
                assert!(!text.is_empty() && !text.contains('{') && text != *id, "{lang:?} {id}: {text:?}");
            }
        }
    }

    #[test]
    fn numbers_are_written_the_way_each_language_writes_them() {
        let (en, fr, es) = (Words::new(Lang::En), Words::new(Lang::Fr), Words::new(Lang::Es));
        assert_eq!(en.number(80006.0), "80,006");
        assert_eq!(fr.number(80006.0), "80\u{202f}006");
        assert_eq!(es.number(80006.0), "80.006");
        assert_eq!(es.number(8006.0), "8006");
        assert_eq!(fr.number(8006.0), "8\u{202f}006");
        assert_eq!(en.number(1_425_000.5), "1,425,000.5");
        assert_eq!(fr.number(1_425_000.5), "1\u{202f}425\u{202f}000,5");
        assert_eq!(es.number(1_425_000.5), "1.425.000,5");
        assert_eq!(es.number(380.2), "380,2");
        assert_eq!(fr.with("gdp-value", &[("value", "6\u{202f}643")]), "6\u{202f}643\u{a0}$\u{a0}US");
        assert_eq!(Lang::parse("FR-ca"), Some(Lang::Fr));
        // Country names: the table has every ISO country in both languages.
        assert_eq!(countries().len(), 249);
        assert_eq!(fr.country("BR", "Brazil"), "Brésil");
        assert_eq!(es.country("KR", "Republic of Korea"), "República de Corea");
        assert_eq!(en.country("KR", "Republic of Korea"), "Republic of Korea");
        assert_eq!(fr.country("ZZ", "Nowhere"), "Nowhere");
        assert_eq!(Lang::parse("de"), None);
    }
}

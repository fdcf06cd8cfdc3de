//! The rules a portrait form needs, in one place: the Key Features, the narrative sections, the
//! facts, the text limits, the plausible years of a fact and the email rule. Rust validates with
//! them; the UI gets them generated from here (`ui/src/rules.ts`, written and checked
//! by `tests/ts_bindings.rs`), and the fake host uses the same file. The email rule is a
//! regular expression written once, in the syntax both Rust's `regex` and JavaScript's `u`
//! mode read the same way; the generated file carries sample addresses with Rust's verdicts,
//! and the UI's tests check that JavaScript agrees.
//!
//! Owns: those rules. Must not: do IO.

use std::sync::LazyLock;

use serde::Serialize;

use super::validate::{MAX_LEAD_CHARS, MAX_LIST_ITEMS, MAX_PORTRAIT_BYTES, MAX_SECTION_CHARS};
use super::{Region, KEY_FEATURES, SECTIONS};

/// The facts in table order: key, label.
pub const FACTS: [(&str, &str); 5] = [
    ("population", "Population"),
    ("area_km2", "Area (km²)"),
    ("gdp_city_usd", "GDP per capita, city (USD)"),
    ("gdp_country_usd", "GDP per capita, country (USD)"),
    ("schooling_years", "Mean years of schooling (city)"),
];

/// A fact's year is plausible from … to … (inclusive).
pub const FACT_YEARS: (u16, u16) = (1900, 2100);

/// The local part of an email address is at most this many bytes.
pub const MAX_EMAIL_LOCAL: usize = 64;

/// An address a `mailto:` link can carry as it is: dot-separated runs of characters that are
/// not spaces, controls, invisible formatting, markup or anything that could start URL
/// parameters or escapes (`?attach=…`, `#`, `%`, `&`, `=`, `/`), then `@` and a domain of two
/// or more labels of letters and digits with inner hyphens (at most 63 each).
pub const EMAIL_PATTERN: &str = concat!(
    r#"^[^\s\p{Cc}\p{Cf}@<>()\[\]\\,;:"?#%&=/'`.]+(?:\.[^\s\p{Cc}\p{Cf}@<>()\[\]\\,;:"?#%&=/'`.]+)*"#,
    r"@[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)+$",
);

static EMAIL: LazyLock<Option<regex::Regex>> = LazyLock::new(|| regex::Regex::new(EMAIL_PATTERN).ok());

/// Whether `email` passes the email rule ([`EMAIL_PATTERN`], and a local part of at most
/// [`MAX_EMAIL_LOCAL`] bytes).
pub fn is_plausible_email(email: &str) -> bool {
    let local_ok = email.split_once('@').is_some_and(|(l, _)| l.len() <= MAX_EMAIL_LOCAL);
    local_ok && EMAIL.as_ref().is_some_and(|re| re.is_match(email))
}

/// Addresses the UI's tests check against the generated rule (Rust's verdicts come with them).
const EMAIL_SAMPLES: [&str; 24] = [
    "learningfestival@corkcity.ie",
    "a.b-c_d+e@sub.example.org",
    "josé@medellín.gov.co",
    "小林@例え.jp",
    "x@.example.org",
    "x@example..org",
    "x@example",
    ".x@example.org",
    "x.@example.org",
    "x..y@example.org",
    "x@-example.org",
    "x@example-.org",
    "x y@example.org",
    "x@example.org?attach=/etc/passwd",
    "x#y@example.org",
    "x%41@example.org",
    "x@exa_mple.org",
    "learningfestival at corkcity.ie",
    "x\u{200B}@example.org",
    "x\u{202E}@example.org",
    "<x>@example.org",
    "x@example.org\n",
    "@example.org",
    "x@@example.org",
];

/// A key with its printed label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labelled {
    pub key: String,
    pub label: String,
}

/// Text and list limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub portrait_bytes: usize,
    pub section_chars: usize,
    pub lead_chars: usize,
    pub list_items: usize,
    pub email_local_bytes: usize,
}

/// What the UI needs of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UiRules {
    pub key_features: Vec<String>,
    pub sections: Vec<Labelled>,
    pub facts: Vec<Labelled>,
    pub regions: Vec<String>,
    pub limits: Limits,
    pub fact_years: [u16; 2],
    pub email_pattern: String,
    /// Sample addresses with whether Rust accepts each.
    pub email_samples: Vec<(String, bool)>,
}

pub fn ui_rules() -> UiRules {
    let labelled = |(k, l): &(&str, &str)| Labelled { key: k.to_string(), label: l.to_string() };
    UiRules {
        key_features: KEY_FEATURES.iter().map(|s| s.to_string()).collect(),
        sections: SECTIONS.iter().map(labelled).collect(),
        facts: FACTS.iter().map(labelled).collect(),
        regions: Region::ALL.iter().map(|r| r.as_str().to_string()).collect(),
        limits: Limits {
            portrait_bytes: MAX_PORTRAIT_BYTES,
            section_chars: MAX_SECTION_CHARS,
            lead_chars: MAX_LEAD_CHARS,
            list_items: MAX_LIST_ITEMS,
            email_local_bytes: MAX_EMAIL_LOCAL,
        },
        fact_years: [FACT_YEARS.0, FACT_YEARS.1],
        email_pattern: EMAIL_PATTERN.to_string(),
        email_samples: EMAIL_SAMPLES.iter().map(|e| (e.to_string(), is_plausible_email(e))).collect(),
    }
}

/// The TypeScript module the UI imports (`ui/src/rules.ts`).
pub fn ui_rules_ts() -> String {
    let json = serde_json::to_string_pretty(&ui_rules()).unwrap_or_default();
    format!(
        "// Generated from Rust (src/model/rules.rs) by tests/ts_bindings.rs; do not edit.\n// UPDATE_BINDINGS=1 cargo test --test ts_bindings rewrites it.\n\nexport const RULES = {json} as const;\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_rule_compiles_and_judges_the_samples() {
        assert!(EMAIL.is_some());
        let verdict: std::collections::HashMap<_, _> = ui_rules().email_samples.into_iter().collect();
        for ok in ["learningfestival@corkcity.ie", "a.b-c_d+e@sub.example.org", "josé@medellín.gov.co", "小林@例え.jp"]
        {
            assert!(verdict[ok], "{ok} is an address");
        }
        for (addr, ok) in &verdict {
            if !["learningfestival@corkcity.ie", "a.b-c_d+e@sub.example.org", "josé@medellín.gov.co", "小林@例え.jp"]
                .contains(&addr.as_str())
            {
                assert!(!ok, "{addr:?} is not an address");
            }
        }
        assert!(!is_plausible_email(&format!("{}@example.org", "a".repeat(65))));
        assert!(is_plausible_email(&format!("{}@example.org", "a".repeat(64))));
        assert!(!is_plausible_email(&format!("x@{}.org", "a".repeat(64))));
    }

    #[test]
    fn the_facts_are_the_portraits_fields() {
        // Each fact key is a field of `Facts` in the portrait's JSON, in table order.
        let schema = serde_json::to_value(crate::model::portrait_json_schema()).unwrap();
        let text = schema.to_string();
        for (k, _) in FACTS {
            assert!(text.contains(&format!("\"{k}\"")), "{k} is in the schema");
        }
    }
}

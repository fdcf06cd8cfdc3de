//! Data-quality warnings. Seed values are kept as published, odd ones included; these checks
//! flag them for a reader or a reviewer instead of changing them. A warning never blocks an
//! import or a submission.

use std::collections::BTreeMap;

use super::validate::Param;
use serde::{Deserialize, Serialize};

use super::{Fact, FactValue, Portrait, Year};

/// Population density above this (people per km²) is implausible for a whole city.
pub const MAX_DENSITY: f64 = 30_000.0;
/// Population density below this is implausible for a city.
pub const MIN_DENSITY: f64 = 5.0;
/// A city's GDP per capita this many times its country's is implausible.
pub const MAX_GDP_RATIO: f64 = 5.0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Warning {
    /// A stable code: `density`, `gdp_ratio`, `missing_year`, `future_year`, `not_available`,
    /// `printed_form`, `country_gdp_mismatch`, `copied_text`.
    pub code: String,
    /// JSON path of the value concerned.
    pub path: String,
    /// In English, for the CLI; the window words the code with `params`.
    pub message: String,
    /// The values the code's wording needs (numbers as the data has them, names, paths).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, Param>>")]
    pub params: BTreeMap<String, Param>,
}

impl Warning {
    /// The same warning with one more parameter of its wording.
    #[must_use]
    fn with(mut self, name: &str, value: impl Into<Param>) -> Self {
        self.params.insert(name.to_string(), value.into());
        self
    }
}

fn w(code: &str, path: impl Into<String>, message: impl Into<String>) -> Warning {
    Warning { code: code.into(), path: path.into(), message: message.into(), params: BTreeMap::new() }
}

/// A figure as a parameter: whole numbers as numbers, others as their shortest decimal text.
fn num(v: f64) -> Param {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Param::Number(v as i64)
    } else {
        Param::Text(format!("{v}"))
    }
}

fn published_year(p: &Portrait) -> Option<u16> {
    p.source.published.get(..4).and_then(|y| y.parse().ok())
}

/// The data-quality warnings of one portrait version.
pub fn warnings(p: &Portrait) -> Vec<Warning> {
    let mut out = Vec::new();
    let f = &p.facts;
    if let (Some(pop), Some(area)) = (f.population.number(), f.area_km2.number()) {
        if area > 0.0 {
            let d = pop / area;
            if d > MAX_DENSITY {
                out.push(
                    w(
                        "density",
                        "$.facts",
                        format!(
                            "population density {d:.0}/km² is implausibly high (population {pop}, area {area} km²)"
                        ),
                    )
                    .with("side", "high")
                    .with("density", num(d.round()))
                    .with("population", num(pop))
                    .with("area", num(area)),
                );
            } else if d < MIN_DENSITY {
                out.push(
                    w(
                        "density",
                        "$.facts",
                        format!("population density {d:.2}/km² is implausibly low (population {pop}, area {area} km²)"),
                    )
                    .with("side", "low")
                    .with("density", num((d * 100.0).round() / 100.0))
                    .with("population", num(pop))
                    .with("area", num(area)),
                );
            }
        }
    }
    if let (Some(city), Some(country)) = (f.gdp_city_usd.number(), f.gdp_country_usd.number()) {
        if country > 0.0 && city / country > MAX_GDP_RATIO {
            out.push(
                w(
                    "gdp_ratio",
                    "$.facts.gdp_city_usd",
                    format!("city GDP per capita is {:.1}× the country's ({city} vs {country} USD)", city / country),
                )
                .with("ratio", num(((city / country) * 10.0).round() / 10.0))
                .with("city", num(city))
                .with("country", num(country)),
            );
        }
    }
    let limit = published_year(p);
    for (key, label, fact) in f.rows() {
        fact_warnings(&mut out, key, label, fact, limit);
    }
    out
}

fn fact_warnings(out: &mut Vec<Warning>, key: &str, label: &str, fact: &Fact, limit: Option<u16>) {
    let path = format!("$.facts.{key}");
    let has_value = matches!(fact.value, FactValue::Number(_)) || fact.men.is_some();
    if !has_value {
        out.push(w("not_available", format!("{path}.value"), format!("{label}: not available")));
    } else if fact.year == Year::NotAvailable {
        out.push(w("missing_year", format!("{path}.year"), format!("{label}: the year of the figure is not given")));
    }
    if let (Year::Year(y), Some(limit)) = (fact.year, limit) {
        if y > limit {
            out.push(
                w(
                    "future_year",
                    format!("{path}.year"),
                    format!("{label}: year {y} is after the portrait's publication ({limit})"),
                )
                .with("year", y)
                .with("limit", limit),
            );
        }
    }
    if let Some(printed) = &fact.printed {
        out.push(
            w(
                "printed_form",
                format!("{path}.value"),
                format!(
                    "{label}: printed as {printed:?}, read as {}",
                    fact.number().map(super::format_number).unwrap_or_else(|| "n/a".into())
                ),
            )
            .with("printed", printed.as_str())
            .with("value", fact.number().map(num).unwrap_or_else(|| Param::Text("n/a".into()))),
        );
    }
}

/// Warnings across a catalogue: the country GDP per capita printed for cities of the same country
/// should agree to within a factor of three. Returns (city id, warning) pairs.
pub fn catalogue_warnings(portraits: &[&Portrait]) -> Vec<(String, Warning)> {
    let mut by_country: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for p in portraits {
        if let Some(v) = p.facts.gdp_country_usd.number() {
            by_country.entry(p.city.country.code.as_str()).or_default().push((p.city.id.as_str(), v));
        }
    }
    let mut out = Vec::new();
    for (country, values) in by_country {
        if values.len() < 2 {
            continue;
        }
        for (i, (city, v)) in values.iter().enumerate() {
            // Compare with the median of the *other* cities of the country: with two cities
            // that disagree, both are flagged, since neither can be trusted over the other.
            let mut others: Vec<f64> =
                values.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, (_, x))| *x).collect();
            others.sort_by(|a, b| a.total_cmp(b));
            let median = others[others.len() / 2];
            if median > 0.0 && *v > 0.0 && (v / median > 3.0 || median / v > 3.0) {
                out.push((
                    city.to_string(),
                    w(
                        "country_gdp_mismatch",
                        "$.facts.gdp_country_usd",
                        format!("country GDP per capita {v} USD differs from the {median} USD printed for other cities of {country}"),
                    )
                    .with("value", num(*v))
                    .with("median", num(median))
                    .with("country", country),
                ));
            }
        }
    }
    out
}

/// A run of this many words, in this order, found in two cities' portraits is a copied passage.
pub const COPIED_WORDS: usize = 12;

/// The words of a portrait's texts (lead, sections, quote, highlights), each as written and
/// folded, with the path of its field.
fn text_words(p: &Portrait) -> Vec<(String, String, String)> {
    let mut fields: Vec<(String, String)> = vec![("$.lead".into(), p.lead.clone())];
    for (k, _) in super::SECTIONS {
        if let Some(md) = p.section(k) {
            fields.push((format!("$.{k}"), super::markdown::plain_text(md)));
        }
    }
    if let Some(q) = &p.quote {
        fields.push(("$.quote.text".into(), q.text.clone()));
    }
    for (i, h) in p.highlights.iter().enumerate() {
        fields.push((format!("$.highlights[{i}]"), h.clone()));
    }
    let mut out = Vec::new();
    for (path, text) in fields {
        for token in text.split_whitespace() {
            let folded: String = super::fold(token).to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
            if !folded.is_empty() {
                out.push((token.to_string(), folded, path.clone()));
            }
        }
    }
    out
}

/// A text field's name for a reader: "$.vision" → "Vision and motivation".
fn field_words(path: &str) -> &'static str {
    match path {
        "$.lead" => "lead paragraph",
        "$.quote.text" => "quote",
        p if p.starts_with("$.highlights") => "initiatives",
        p => super::SECTIONS.iter().find(|(k, _)| p == format!("$.{k}")).map(|(_, h)| *h).unwrap_or("text"),
    }
}

/// FNV-1a of a word.
fn word_hash(w: &str) -> u64 {
    w.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The rolling hash of every window of [`COPIED_WORDS`] words, by its first word's index.
fn window_hashes(words: &[(String, String, String)]) -> Vec<u64> {
    const BASE: u64 = 0x9e37_79b9_7f4a_7c15;
    let n = COPIED_WORDS;
    if words.len() < n {
        return Vec::new();
    }
    let hs: Vec<u64> = words.iter().map(|w| word_hash(&w.1)).collect();
    let top = (1..n).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut h = hs[..n].iter().fold(0u64, |acc, x| acc.wrapping_mul(BASE).wrapping_add(*x));
    let mut out = vec![h];
    for i in n..hs.len() {
        h = h.wrapping_sub(hs[i - n].wrapping_mul(top)).wrapping_mul(BASE).wrapping_add(hs[i]);
        out.push(h);
    }
    out
}

/// Passages of `me` that another city's portrait also has, word for word (folded): one warning
/// per other city, at the field where the longest such passage starts in `me`. The PDF
/// extraction of the seeds once put one city's paragraph on another's page; an edit pasted from
/// another portrait is caught the same way. Linear in the words of all portraits.
pub fn copied_text(me: &Portrait, others: &[&Portrait]) -> Vec<Warning> {
    use std::collections::HashMap;
    let mine = text_words(me);
    let my_windows = window_hashes(&mine);
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, h) in my_windows.iter().enumerate() {
        index.entry(*h).or_default().push(i);
    }
    let mut out = Vec::new();
    for other in others.iter().filter(|o| o.city.id != me.city.id) {
        let theirs = text_words(other);
        let mut matched = vec![false; my_windows.len()];
        let mut their_field: HashMap<usize, String> = HashMap::new();
        for (j, h) in window_hashes(&theirs).iter().enumerate() {
            for &i in index.get(h).map(Vec::as_slice).unwrap_or(&[]) {
                let same = (0..COPIED_WORDS).all(|k| mine[i + k].1 == theirs[j + k].1);
                if same && !matched[i] {
                    matched[i] = true;
                    their_field.insert(i, theirs[j].2.clone());
                }
            }
        }
        // The longest run of matched windows: a passage of run + COPIED_WORDS − 1 words.
        let (mut best, mut start, mut run) = ((0usize, 0usize), 0usize, 0usize);
        for (i, m) in matched.iter().enumerate() {
            if *m {
                if run == 0 {
                    start = i;
                }
                run += 1;
                if run > best.1 {
                    best = (start, run);
                }
            } else {
                run = 0;
            }
        }
        if best.1 == 0 {
            continue;
        }
        let (from, len) = (best.0, best.1 + COPIED_WORDS - 1);
        let shown: Vec<&str> = mine[from..from + len.min(25)].iter().map(|w| w.0.as_str()).collect();
        let more = if len > 25 { " …" } else { "" };
        out.push(
            w(
                "copied_text",
                mine[from].2.clone(),
                format!(
                    "a passage of {len} words is also in the portrait of {} ({}): “{}{more}”",
                    other.city.name,
                    field_words(their_field.get(&from).map(String::as_str).unwrap_or("")),
                    shown.join(" ")
                ),
            )
            .with("count", len)
            .with("city", other.city.name.as_str())
            .with("their_field", their_field.get(&from).map(String::as_str).unwrap_or(""))
            .with("passage", format!("{}{more}", shown.join(" "))),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Number;

    fn villa() -> Portrait {
        serde_json::from_str(include_str!("../../data/portraits/ar-villa-maria/v1.json")).unwrap()
    }

    #[test]
    fn implausible_density_and_gdp() {
        let mut p = villa();
        p.facts.area_km2.value = FactValue::Number(Number(252_973.0));
        p.facts.gdp_city_usd.value = FactValue::Number(Number(449_804.0));
        p.facts.gdp_country_usd.value = FactValue::Number(Number(15_494.0));
        let codes: Vec<String> = warnings(&p).into_iter().map(|w| w.code).collect();
        assert!(codes.contains(&"density".to_string()), "{codes:?}");
        assert!(codes.contains(&"gdp_ratio".to_string()), "{codes:?}");
    }

    #[test]
    fn years_missing_and_future() {
        let mut p = villa();
        p.facts.population.year = Year::NotAvailable;
        p.facts.area_km2.year = Year::Year(2019);
        let ws = warnings(&p);
        assert!(ws.iter().any(|w| w.code == "missing_year" && w.path == "$.facts.population.year"));
        assert!(ws.iter().any(|w| w.code == "future_year" && w.path == "$.facts.area_km2.year"));
        assert!(ws.iter().any(|w| w.code == "not_available" && w.path == "$.facts.schooling_years.value"));
    }
}

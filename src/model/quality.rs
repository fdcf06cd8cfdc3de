//! Data-quality warnings. Seed values are kept as published, odd ones included; these checks
//! flag them for a reader or a reviewer instead of changing them. A warning never blocks an
//! import or a submission.

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
    /// `printed_form`, `country_gdp_mismatch`.
    pub code: String,
    /// JSON path of the value concerned.
    pub path: String,
    pub message: String,
}

fn w(code: &str, path: impl Into<String>, message: impl Into<String>) -> Warning {
    Warning { code: code.into(), path: path.into(), message: message.into() }
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
                out.push(w(
                    "density",
                    "$.facts",
                    format!("population density {d:.0}/km² is implausibly high (population {pop}, area {area} km²)"),
                ));
            } else if d < MIN_DENSITY {
                out.push(w(
                    "density",
                    "$.facts",
                    format!("population density {d:.2}/km² is implausibly low (population {pop}, area {area} km²)"),
                ));
            }
        }
    }
    if let (Some(city), Some(country)) = (f.gdp_city_usd.number(), f.gdp_country_usd.number()) {
        if country > 0.0 && city / country > MAX_GDP_RATIO {
            out.push(w(
                "gdp_ratio",
                "$.facts.gdp_city_usd",
                format!("city GDP per capita is {:.1}× the country's ({city} vs {country} USD)", city / country),
            ));
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
            out.push(w(
                "future_year",
                format!("{path}.year"),
                format!("{label}: year {y} is after the portrait's publication ({limit})"),
            ));
        }
    }
    if let Some(printed) = &fact.printed {
        out.push(w(
            "printed_form",
            format!("{path}.value"),
            format!(
                "{label}: printed as {printed:?}, read as {}",
                fact.number().map(super::format_number).unwrap_or_else(|| "n/a".into())
            ),
        ));
    }
}

/// Warnings across a catalogue: the country GDP per capita printed for cities of the same country
/// should agree to within a factor of three. Returns (city id, warning) pairs.
pub fn catalogue_warnings(portraits: &[&Portrait]) -> Vec<(String, Warning)> {
    use std::collections::BTreeMap;
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
                    ),
                ));
            }
        }
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

//! The partner finder (issue 11, first part), through the CLI on the bundled catalogue: every
//! reason is true of both portraits, the ranking follows the documented weights, a city's copy
//! is its first partner, the region filter holds, and bad input is refused.

mod common;
use common::Env;
use portraits::model::similar::{mentions, WEIGHT_FACTS, WEIGHT_FEATURES, WEIGHT_TEXT};
use serde_json::Value;

fn partners(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["partners"];
    a.extend_from_slice(args);
    a.push("--json");
    env.run(&a).ok().json().as_array().unwrap().clone()
}

#[test]
fn every_reason_is_true_of_both_portraits() {
    let env = Env::new();
    let (store, _) = portraits::store::Store::open(&env.db()).unwrap();
    drop(store);
    let all: Vec<Value> = env.run(&["list", "--json"]).ok().json().as_array().unwrap().clone();
    let (store, _) = portraits::store::Store::open(&env.db()).unwrap();
    let mut checked = 0;
    for c in &all {
        let id = c["id"].as_str().unwrap();
        let me = store.portrait(id, None).unwrap();
        let list = partners(&env, &[id, "--limit", "5"]);
        assert_eq!(list.len(), 5, "{id}");
        let scores: Vec<f64> = list.iter().map(|p| p["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{id}: best first {scores:?}");
        for p in &list {
            let other_id = p["city"].as_str().unwrap();
            assert_ne!(other_id, id, "a city is not its own partner");
            let other = store.portrait(other_id, None).unwrap();
            let score = p["score"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&score));
            for r in p["reasons"].as_array().unwrap() {
                let detail = r["detail"].as_str().unwrap();
                match r["kind"].as_str().unwrap() {
                    "themes" => {
                        for term in detail.trim_start_matches("both write about: ").split(", ") {
                            assert!(mentions(&me, term) && mentions(&other, term), "{id}/{other_id}: {term}");
                        }
                    }
                    "key_features" => {
                        for part in detail.trim_start_matches("both work on ").split("; ") {
                            let n: u8 = part.split('.').next().unwrap().parse().unwrap();
                            assert!(me.key_feature_areas.contains(&n) && other.key_feature_areas.contains(&n));
                        }
                    }
                    "facts" => {
                        let (label, figures) = detail.trim_start_matches("comparable ").split_once(": ").unwrap();
                        let (a, b) = figures.split_once(" and ").unwrap();
                        let f = |s: &str| s.replace(',', "").parse::<f64>().unwrap();
                        let fact = |p: &portraits::model::Portrait| match label {
                            "population" => p.facts.population.value.as_f64(),
                            _ => p.facts.gdp_city_usd.value.as_f64(),
                        };
                        assert_eq!((fact(&me), fact(&other)), (Some(f(a)), Some(f(b))), "{detail}");
                        assert!(f(a).min(f(b)) / f(a).max(f(b)) >= 0.5, "{detail}");
                    }
                    "passage" => {
                        // Each quoted sentence is from its own portrait's sections.
                        let quotes: Vec<&str> =
                            detail.split('“').skip(1).map(|q| q.split('”').next().unwrap()).collect();
                        assert_eq!(quotes.len(), 2, "{detail}");
                        let text = |p: &portraits::model::Portrait| {
                            ["vision", "challenges", "plan"]
                                .iter()
                                .filter_map(|k| p.section(k))
                                .map(portraits::model::markdown::plain_text)
                                .collect::<Vec<_>>()
                                .join(" ")
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ")
                        };
                        for (q, p) in quotes.iter().zip([&me, &other]) {
                            assert!(text(p).contains(q.trim_end_matches(" …")), "{id}/{other_id}: {q}");
                        }
                    }
                    other => panic!("unknown reason kind {other}"),
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, all.len() * 5);
    assert!((WEIGHT_TEXT + WEIGHT_FEATURES + WEIGHT_FACTS - 1.0).abs() < 1e-9);
}

#[test]
fn a_copy_is_the_first_partner_the_region_filter_holds_and_bad_input_is_refused() {
    let env = Env::new();
    // Cork's text under a new city: the first partner, far ahead.
    let mut cork = env.run(&["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    cork["city"]["id"] = "ie-cork-twin".into();
    cork["city"]["name"] = "Cork Twin".into();
    cork["version"] = 1.into();
    let file = env.path("twin.json");
    std::fs::write(&file, cork.to_string()).unwrap();
    env.run(&["import", file.to_str().unwrap()]).ok();
    let list = partners(&env, &["ie-cork"]);
    assert_eq!(list[0]["city"], "ie-cork-twin");
    assert!(list[0]["score"].as_f64().unwrap() > 0.9, "{}", list[0]);
    assert!(list[0]["score"].as_f64().unwrap() > list[1]["score"].as_f64().unwrap() + 0.3);
    // The region filter.
    let latin = partners(&env, &["hn-cantarranas", "--region", "Latin America and the Caribbean", "--limit", "10"]);
    assert!(!latin.is_empty());
    for p in &latin {
        let region =
            env.run(&["show", p["city"].as_str().unwrap(), "--json"]).ok().json()["portrait"]["city"]["region"].clone();
        assert_eq!(region, "Latin America and the Caribbean");
    }
    // Bad input: named, exit 2, nothing printed on stdout.
    for (args, want) in [
        (vec!["partners", "xx-atlantis"], "xx-atlantis"),
        (vec!["partners", "ie-cork", "--region", "Atlantis"], "Atlantis"),
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn compare_sets_two_to_four_cities_side_by_side() {
    let env = Env::new();
    let list = env.run(&["compare", "ie-cork", "ie-limerick", "--json"]).ok().json();
    let list = list.as_array().unwrap();
    assert_eq!(list.iter().map(|c| c["city"].as_str().unwrap()).collect::<Vec<_>>(), ["ie-cork", "ie-limerick"]);
    // Cork: 289,739 people on 833 km² → 347.8 per km²; facts keep their years.
    assert_eq!(list[0]["density_per_km2"], 347.8);
    assert_eq!(list[0]["facts"]["population"]["year"], 2015);
    assert!(list[0]["vision"].as_str().unwrap().len() > 50);
    let text = env.run(&["compare", "ie-cork", "ie-limerick"]).ok().stdout;
    assert!(text.contains("289,739 (2015)") && text.contains("Limerick") && text.contains("347.8"), "{text}");
    // Bad input: named, exit 2.
    for (args, want) in [
        (vec!["compare", "ie-cork"], "2 to 4"),
        (vec!["compare", "ie-cork", "ie-cork"], "twice"),
        (vec!["compare", "ie-cork", "xx-atlantis"], "xx-atlantis"),
        (vec!["compare", "ie-cork", "fi-espoo", "dk-sonderborg", "tr-eskisehir", "kr-osan"], "5 given"),
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
    }
}

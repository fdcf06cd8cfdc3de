//! Full-text search through the real CLI on a real seeded database: diacritics, prefixes,
//! phrases, ranking, filters, snippets and hostile queries.

mod common;
use common::Env;

fn hits(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["search", "--json"];
    a.extend_from_slice(args);
    env.run(&a).ok().json().as_array().unwrap().clone()
}

fn ids(h: &[serde_json::Value]) -> Vec<&str> {
    h.iter().map(|x| x["city_id"].as_str().unwrap()).collect()
}

#[test]
fn diacritic_insensitive_both_ways() {
    let env = Env::new();
    for (q, want) in [
        ("sonderborg", "dk-sonderborg"),
        ("Sønderborg", "dk-sonderborg"),
        ("SONDERBORG", "dk-sonderborg"),
        ("eskisehir", "tr-eskisehir"),
        ("Eskişehir", "tr-eskisehir"),
        ("ybycui", "py-ybycui"),
        ("medellin", "co-medellin"),
        ("villa maria", "ar-villa-maria"),
        ("gaitan aguero", "hn-cantarranas"),
    ] {
        let h = hits(&env, &[q]);
        assert_eq!(ids(&h).first().copied(), Some(want), "{q}: {:?}", ids(&h));
    }
}

#[test]
fn prefix_queries_rank_and_mark_matches() {
    let env = Env::new();
    let h = hits(&env, &["lifelong learn*", "--limit", "50"]);
    assert!(h.len() >= 30, "most portraits talk about lifelong learning: {}", h.len());
    for hit in &h {
        let marked: Vec<String> = hit["snippet"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["hit"] == true)
            .map(|s| s["text"].as_str().unwrap().to_lowercase())
            .collect();
        assert!(
            marked.iter().any(|m| m == "lifelong" || m.starts_with("learn")),
            "{}: snippet marks {marked:?}",
            hit["city_id"]
        );
    }
    let scores: Vec<f64> = h.iter().map(|x| x["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "ranked best first (bm25, lower is better): {scores:?}");
    // A prefix finds words a whole-word query (a closed quote) does not; the last word typed is
    // a prefix without a `*`.
    assert!(hits(&env, &["\"entrepreneur\""]).len() < hits(&env, &["entrepreneur*"]).len());
    assert_eq!(ids(&hits(&env, &["entrepreneur"])), ids(&hits(&env, &["entrepreneur*"])));
    // Text output marks hits in brackets.
    let text = env.run(&["search", "learn*", "--limit", "3"]).ok().stdout;
    assert!(text.contains("[learn") || text.contains("[Learn"), "{text}");
}

#[test]
fn the_city_named_ranks_first() {
    let env = Env::new();
    // Mexico is a city's name, another city's country and a word in Cork's portrait: the name
    // weighs most, then the country, then the text.
    let h = hits(&env, &["mexico"]);
    assert_eq!(ids(&h), ["mx-mexico-city", "mx-santiago", "ie-cork"]);
    let h = hits(&env, &["beijing"]);
    assert_eq!(ids(&h)[0], "cn-beijing");
    // As people type (issue 10, point 8): the last word is a prefix, and cities whose name
    // matches come first, before portraits that use the word more.
    for (typed, first) in [
        ("eski", "tr-eskisehir"),
        ("cor", "ie-cork"),
        ("Sønder", "dk-sonderborg"),
        ("sonder", "dk-sonderborg"),
        ("con", "br-contagem"),
        ("learning cor", "ie-cork"),
    ] {
        let h = hits(&env, &[typed]);
        assert_eq!(ids(&h).first().copied(), Some(first), "{typed}: {:?}", ids(&h));
    }
    // The name-first rule moves name matches up without losing any hit.
    let con = hits(&env, &["con", "--limit", "100"]);
    let names_first: Vec<bool> = con
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_lowercase().split(' ').any(|w| w.starts_with("con")))
        .collect();
    assert!(names_first.windows(2).all(|w| w[0] >= w[1]), "{names_first:?}");
    assert!(con.len() > 10, "{}", con.len());
}

#[test]
fn phrases_filters_and_limits() {
    let env = Env::new();
    let phrase = hits(&env, &["\"learning festival\""]);
    let words = hits(&env, &["learning festival"]);
    assert!(!phrase.is_empty() && phrase.len() <= words.len());
    let africa = hits(&env, &["learning", "--region", "Africa", "--limit", "50"]);
    assert!(!africa.is_empty());
    assert!(africa.iter().all(|h| h["region"] == "Africa"), "{africa:?}");
    let awardees = hits(&env, &["learning", "--award", "2019", "--limit", "50"]);
    assert_eq!(awardees.len(), 10);
    assert_eq!(hits(&env, &["learning", "--limit", "3"]).len(), 3);
    assert!(hits(&env, &["xylophonequartz"]).is_empty());
}

#[test]
fn hostile_queries_are_words_not_syntax() {
    let env = Env::new();
    for q in [
        "NEAR(",
        "a OR",
        "\"unterminated",
        "col:umn",
        "^start",
        "-minus",
        "learning AND NOT",
        "'; DROP TABLE cities; --",
    ] {
        let r = env.run(&["search", "--json", "--", q]);
        assert!(r.code == 0 || r.code == 2, "{q}: exit {} {}", r.code, r.stderr);
        if r.code == 2 {
            assert!(r.stderr.contains("no words"), "{q}: {}", r.stderr);
        }
    }
    let r = env.run(&["search", "*** ()"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no words"), "{}", r.stderr);
    // The catalogue is intact.
    assert_eq!(env.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 44);
}

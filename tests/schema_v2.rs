//! Portrait schema 2 (issue 11: the member record). What an earlier build wrote is still read:
//! a schema 1 file is read and upgraded, a schema 1 version stored in a database of the
//! earlier build is rewritten by migration 9 under the hash of its schema 2 form, and the
//! immutability of versions holds again after it. (Feed items of schema 1 are read too: the
//! hostile-feed fixtures are schema 1 items, see tests/hostile.rs.)

mod common;
use common::{repo, Env};
use portraits::model;
use serde_json::{Map, Value};
use sha2::Digest;

/// A schema 2 portrait's JSON as the earlier build wrote it: schema 1, `joined`, no member
/// record.
fn downgrade(v2: &Value) -> Value {
    let mut v = v2.clone();
    let o = v.as_object_mut().unwrap();
    o.insert("schema_version".into(), 1.into());
    for k in ["location", "mayor", "focal_point", "clusters", "interests"] {
        o.shift_remove(k).expect(k);
    }
    let city = o.get_mut("city").unwrap().as_object_mut().unwrap();
    let mut rebuilt = Map::new();
    for (k, x) in std::mem::take(city) {
        rebuilt.insert(if k == "member_since" { "joined".into() } else { k }, x);
    }
    *city = rebuilt;
    v
}

fn bundled(path: &str) -> (String, Value) {
    let text = std::fs::read_to_string(repo().join("data/portraits").join(path)).unwrap();
    let v = serde_json::from_str(&text).unwrap();
    (text, v)
}

#[test]
fn a_schema_1_file_is_read_as_its_schema_2_form() {
    let (text, v2) = bundled("dk-sonderborg/v1.json");
    assert_eq!(v2["schema_version"], 2);
    let v1 = downgrade(&v2);
    let v1_text = model::to_canonical_json(&v1);
    assert!(v1_text.contains("\"joined\": 2016") && !v1_text.contains("member_since"));
    let read = model::parse_portrait(v1_text.as_bytes()).expect("a schema 1 file is read");
    assert_eq!(read.schema_version, 2);
    assert_eq!(read.city.member_since, Some(2016));
    assert!(read.location.is_none() && read.clusters.is_empty() && read.interests.is_empty());
    // Its schema 2 form is exactly the bundled file: one upgrade, one canonical form.
    assert_eq!(model::to_canonical_json(&read), text);
    // Through the command line: validate and import a schema 1 file (as the next version).
    let env = Env::new();
    let mut next = v1.clone();
    next["version"] = 4.into();
    next["tagline"] = "Read from a schema 1 file".into();
    let file = env.path("sonderborg-v4-schema1.json");
    std::fs::write(&file, model::to_canonical_json(&next)).unwrap();
    env.run(&["validate", file.to_str().unwrap()]).ok();
    env.run(&["import", file.to_str().unwrap()]).ok();
    let shown = env.run(&["show", "dk-sonderborg", "--json"]).ok().json();
    assert_eq!(shown["portrait"]["version"], 4);
    assert_eq!(shown["portrait"]["schema_version"], 2);
    assert_eq!(shown["portrait"]["city"]["member_since"], 2016);
    // A schema it does not know is refused, named.
    let mut v3 = v2.clone();
    v3["schema_version"] = 3.into();
    let errs = model::parse_portrait(model::to_canonical_json(&v3).as_bytes()).unwrap_err();
    assert!(errs.iter().any(|e| e.path == "$.schema_version"), "{errs:?}");
    // A mayor who is not in the portrait is refused, named.
    let mut bad = v2.clone();
    bad["mayor"] = serde_json::json!({"contact": 7});
    let errs = model::parse_portrait(model::to_canonical_json(&bad).as_bytes()).unwrap_err();
    assert!(errs.iter().any(|e| e.path == "$.mayor" && e.message.contains("contact 8")), "{errs:?}");
    // Ratings off the scale, a theme or a cluster twice, a latitude off the globe: refused.
    for (field, value) in [
        ("interests", serde_json::json!([{"theme": "literacy", "interest": 6, "expertise": 1}])),
        ("interests", serde_json::json!([{"theme": "literacy", "interest": 0, "expertise": 1}])),
        (
            "interests",
            serde_json::json!([{"theme": "literacy", "interest": 2, "expertise": 1}, {"theme": "literacy", "interest": 3, "expertise": 1}]),
        ),
        ("clusters", serde_json::json!(["literacy", "literacy"])),
        ("clusters", serde_json::json!(["literacy", "equity_and_inclusion"])),
        ("clusters", serde_json::json!(["astrology"])),
        ("location", serde_json::json!({"lat": 91.0, "lon": 0.0})),
        ("location", serde_json::json!({"lat": 0.0})),
    ] {
        let mut bad = v2.clone();
        bad[field] = value.clone();
        let errs = model::parse_portrait(model::to_canonical_json(&bad).as_bytes()).unwrap_err();
        assert!(errs.iter().any(|e| e.path.starts_with(&format!("$.{field}"))), "{field} = {value}: {errs:?}");
    }
}

#[test]
fn migration_9_rewrites_schema_1_versions_under_their_new_hash_and_they_stay_immutable() {
    let env = Env::new();
    let db = env.db();
    env.run(&["list"]).ok(); // the CLI seeds the bundled catalogue
                             // The database as the earlier build left it: Sønderborg's two booklet versions in their
                             // schema 1 form, under the hash of that form, at schema version 8.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER versions_are_immutable;").unwrap();
    let mut old_hashes = Vec::new();
    for version in [1u32, 2] {
        let (_, v2) = bundled(&format!("dk-sonderborg/v{version}.json"));
        let v1 = downgrade(&v2);
        let sha = hex::encode(sha2::Sha256::digest(model::to_canonical_json(&v1).as_bytes()));
        let mut body = v1.clone();
        body.as_object_mut().unwrap().shift_remove("city");
        conn.execute(
            "UPDATE versions SET body = ?1, sha256 = ?2 WHERE city_id = 'dk-sonderborg' AND version = ?3",
            rusqlite::params![body.to_string(), sha, version],
        )
        .unwrap();
        old_hashes.push(sha);
    }
    conn.execute_batch(
        "CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
         BEGIN SELECT RAISE(ABORT, 'portrait versions are immutable'); END;
         PRAGMA user_version = 8;",
    )
    .unwrap();
    drop(conn);

    // Opening it migrates.
    let (store, _) = portraits::store::Store::open(&db).unwrap();
    for (i, version) in [1u32, 2].into_iter().enumerate() {
        let (text, _) = bundled(&format!("dk-sonderborg/v{version}.json"));
        let p = store.portrait("dk-sonderborg", Some(version)).unwrap();
        assert_eq!(model::to_canonical_json(&p), text, "v{version} reads as the bundled schema 2 file");
        let new_sha = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        assert_ne!(new_sha, old_hashes[i]);
        let versions = store.versions("dk-sonderborg").unwrap();
        let stored = versions.iter().find(|v| v.version == version).unwrap();
        assert_eq!(stored.sha256, new_sha, "v{version} is stored under the hash of its schema 2 form");
    }
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let body: String = conn
        .query_row("SELECT body FROM versions WHERE city_id = 'dk-sonderborg' AND version = 1", [], |r| r.get(0))
        .unwrap();
    assert!(body.contains("\"schema_version\":2") && body.contains("\"clusters\":[]"), "{body}");
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 10);
    // Immutable again.
    let err = conn.execute("UPDATE versions SET body = '{}' WHERE city_id = 'dk-sonderborg' AND version = 1", []);
    assert!(err.unwrap_err().to_string().contains("immutable"));
    drop(conn);
    // The search index still finds the city, and a second open changes nothing.
    let hits = env.run(&["search", "sonderborg", "--json"]).ok().json();
    assert!(
        hits.as_array().unwrap().iter().any(|h| h["city_id"] == "dk-sonderborg" || h["id"] == "dk-sonderborg"),
        "{hits}"
    );
    let exported = env.path("out");
    env.run(&["export-json", exported.to_str().unwrap()]).ok();
    let (text, _) = bundled("dk-sonderborg/v1.json");
    assert_eq!(std::fs::read_to_string(exported.join("dk-sonderborg/v1.json")).unwrap(), text);
}

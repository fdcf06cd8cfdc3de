//! Hostile input, from `tests/fixtures/hostile/manifest.json`.
//!
//! Each feed case is served as `/v1/feed.json` by a scripted server and pulled by the real CLI
//! into a fresh database: `error` — the sync fails with the expected message; `quarantine` —
//! the sync succeeds and the item is quarantined with the expected reason; `ok` — the sync
//! succeeds and nothing is quarantined. In every case the catalogue changes by exactly the
//! case's `adds` (nothing, unless it is `ok`). Each submission case is POSTed to the real
//! server and refused with the expected status and message; no submission is created.
//! Large inputs (2 MB strings, 10,000 levels of nesting, 100 MB bodies, 100,001 items) are
//! generated here, never committed.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::http::{Action, Scripted, Server};
use common::Env;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    kind: String,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    generate: Option<Value>,
    expect: String,
    contains: String,
    #[serde(default)]
    status: Option<u16>,
    /// For `ok` feed cases: the versions the sync adds, as `city/vN`.
    #[serde(default)]
    adds: Vec<String>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

fn cases(kind: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("manifest.json")).expect("read the manifest");
    let all: Vec<Case> = serde_json::from_str(&text).expect("the manifest is a JSON array of cases");
    all.into_iter().filter(|c| c.kind == kind).collect()
}

/// The bytes of a case: its file, or what its `generate` spec describes.
fn body(case: &Case) -> Vec<u8> {
    if let Some(f) = &case.file {
        return std::fs::read(dir().join(f)).unwrap_or_else(|e| panic!("{}: {f}: {e}", case.name));
    }
    let g = case.generate.as_ref().unwrap_or_else(|| panic!("{}: needs a file or a generate spec", case.name));
    let num =
        |k: &str| g[k].as_u64().unwrap_or_else(|| panic!("{}: generate.{k} must be a number", case.name)) as usize;
    let base = || std::fs::read(dir().join(g["base"].as_str().expect("generate.base"))).expect("read generate.base");
    match g["pattern"].as_str() {
        // [[[[…]]]]
        Some("deep") => {
            let depth = num("depth");
            let mut b = vec![b'['; depth];
            b.resize(2 * depth, b']');
            b
        }
        // A valid document followed by spaces up to `bytes`: valid JSON, only too big.
        Some("pad") => {
            let mut b = base();
            b.resize(num("bytes").max(b.len()), b' ');
            b
        }
        // A feed envelope with `count` empty items.
        Some("many-items") => {
            let items = vec!["{}"; num("count")].join(",");
            format!(r#"{{"version":"https://jsonfeed.org/version/1.1","_gnlc":{{"schemaVersion":1,"catalogVersion":0}},"items":[{items}]}}"#)
                .into_bytes()
        }
        // The base document with the string at `pointer` replaced by `len` letters.
        Some("long-string") => {
            let mut v: Value = serde_json::from_slice(&base()).expect("generate.base is JSON");
            let pointer = g["pointer"].as_str().expect("generate.pointer");
            *v.pointer_mut(pointer).unwrap_or_else(|| panic!("{}: no {pointer} in the base", case.name)) =
                Value::String("a".repeat(num("len")));
            serde_json::to_vec(&v).unwrap()
        }
        other => panic!("{}: unknown generate pattern {other:?}", case.name),
    }
}

/// What a database's catalogue holds: `list --json`, and every `city/vN` that `export-json`
/// writes.
struct Catalogue {
    list: Vec<Value>,
    versions: BTreeSet<String>,
}

fn catalogue(env: &Env, db: &Path) -> Catalogue {
    let list = env.run_db(db, &["list", "--json"]).ok().json().as_array().cloned().expect("list --json is an array");
    let out = db.with_extension("export");
    let _ = std::fs::remove_dir_all(&out);
    env.run_db(db, &["export-json", out.to_str().unwrap()]).ok();
    let mut versions = BTreeSet::new();
    for city in std::fs::read_dir(&out).unwrap().map(|e| e.unwrap()) {
        for file in std::fs::read_dir(city.path()).unwrap().map(|e| e.unwrap().path()) {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            versions.insert(format!("{}/{stem}", city.file_name().to_string_lossy()));
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
    Catalogue { list, versions }
}

/// The catalogue after the sync is the one before plus exactly `adds`; the list is unchanged
/// but for the cities that gained a version.
fn changed_only_by(before: &Catalogue, after: &Catalogue, adds: &[String]) -> Result<(), String> {
    let want: BTreeSet<String> = adds.iter().cloned().collect();
    let added: BTreeSet<String> = after.versions.difference(&before.versions).cloned().collect();
    let lost: BTreeSet<String> = before.versions.difference(&after.versions).cloned().collect();
    if added != want || !lost.is_empty() {
        return Err(format!("versions added {added:?} (expected {want:?}), lost {lost:?}"));
    }
    let touched: BTreeSet<&str> = adds.iter().map(|a| a.split_once('/').map_or(a.as_str(), |(city, _)| city)).collect();
    let untouched = |list: &[Value]| -> Vec<Value> {
        list.iter().filter(|c| !touched.contains(c["id"].as_str().unwrap_or(""))).cloned().collect()
    };
    if untouched(&before.list) != untouched(&after.list) {
        return Err("`list --json` changed".into());
    }
    Ok(())
}

/// Serves `body` at /v1/feed.json (404 elsewhere), syncs a fresh database from it and checks
/// the outcome. Returns what went wrong.
fn run_feed_case(env: &Env, case: &Case, body: Arc<Vec<u8>>) -> Result<(), String> {
    let server = Scripted::start(move |req, _| {
        if req.method == "GET" && req.path == "/v1/feed.json" {
            Action::Respond {
                status: 200,
                headers: vec![("Content-Type".into(), "application/feed+json".into())],
                body: body.to_vec(),
            }
        } else {
            Action::status(404, &[])
        }
    });
    let db = env.path(&format!("{}.sqlite3", case.name));
    let before = catalogue(env, &db);
    let run = env.run_db(&db, &["sync", "--feed", &server.url]);
    let reasons: Vec<String> = env
        .run_db(&db, &["quarantine", "--json"])
        .ok()
        .json()
        .as_array()
        .expect("quarantine --json is an array")
        .iter()
        .map(|q| q["reason"].as_str().unwrap_or("").to_lowercase())
        .collect();
    let stderr = run.stderr.to_lowercase();
    let want = case.contains.to_lowercase();
    let outcome = match case.expect.as_str() {
        "error" if !matches!(run.code, 1 | 2) => Err(format!("exit {}, expected 1 or 2", run.code)),
        "error" if !stderr.contains("portraits: error: ") || !stderr.contains(&want) => {
            Err(format!("stderr lacks {want:?}"))
        }
        "error" if !reasons.is_empty() => Err("a failed sync quarantined items".into()),
        "quarantine" | "ok" if run.code != 0 => Err(format!("exit {}, expected 0", run.code)),
        "quarantine" if !reasons.iter().any(|r| r.contains(&want)) => {
            Err(format!("no quarantine reason contains {want:?}"))
        }
        "ok" if !reasons.is_empty() => Err("something was quarantined".into()),
        "error" | "quarantine" | "ok" => Ok(()),
        other => Err(format!("unknown expect {other:?}")),
    };
    let fetched = server.requests.lock().unwrap().iter().any(|r| r.path == "/v1/feed.json");
    let adds: &[String] = if case.expect == "ok" { &case.adds } else { &[] };
    let outcome = outcome
        .and_then(|()| if fetched { Ok(()) } else { Err("the feed was never fetched".into()) })
        .and_then(|()| changed_only_by(&before, &catalogue(env, &db), adds));
    outcome.map_err(|e| {
        format!(
            "{} ({}): {e}\n    exit {}; stderr: {}\n    quarantine: {reasons:?}",
            case.name,
            case.expect,
            run.code,
            run.stderr.trim()
        )
    })
}

#[test]
fn the_manifest_is_well_formed() {
    let all: Vec<Case> = cases("feed").into_iter().chain(cases("submission")).collect();
    assert!(all.len() >= 50, "{} cases", all.len());
    let names: BTreeSet<(&str, &str)> = all.iter().map(|c| (c.kind.as_str(), c.name.as_str())).collect();
    assert_eq!(names.len(), all.len(), "case names are unique within a kind");
    for c in &all {
        assert!(c.file.is_some() != c.generate.is_some(), "{}: a file or a generate spec", c.name);
        assert_eq!(c.contains, c.contains.to_lowercase(), "{}: `contains` is lower case", c.name);
        let allowed: &[&str] = if c.kind == "feed" { &["error", "quarantine", "ok"] } else { &["reject"] };
        assert!(allowed.contains(&c.expect.as_str()), "{}: expect {:?}", c.name, c.expect);
        assert!(c.expect == "ok" || !c.contains.is_empty(), "{}: say what the message contains", c.name);
        assert!(c.kind == "feed" || c.status.is_some(), "{}: a submission case needs a status", c.name);
        if let Some(f) = &c.file {
            let len = std::fs::metadata(dir().join(f)).unwrap_or_else(|e| panic!("{f}: {e}")).len();
            assert!(len < 100 * 1024, "{f} is {len} bytes: generate large inputs in the test");
        }
    }
}

#[test]
fn hostile_feeds_fail_cleanly_or_are_quarantined() {
    let env = Env::new();
    let mut failures = Vec::new();
    let feed_cases = cases("feed");
    for case in &feed_cases {
        // Each body is built once (the 100 MB one too) and shared with the server's thread.
        let body = Arc::new(body(case));
        if let Err(e) = run_feed_case(&env, case, body) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} feed cases failed:\n{}",
        failures.len(),
        feed_cases.len(),
        failures.join("\n")
    );
}

#[test]
fn hostile_submissions_are_refused_and_create_nothing() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let token = env.run_db(&db, &["token", "issue", "--city", "ie-cork"]).ok().stdout.trim().to_string();
    let server = Server::start(&db);
    let url = format!("{}/v1/cities/ie-cork/submissions", server.url);
    let http = common::http::client();
    let mut failures = Vec::new();
    let submission_cases = cases("submission");
    for (i, case) in submission_cases.iter().enumerate() {
        // A body over the limit is answered 413 from its Content-Length before it is read, and
        // the connection closed: under load the client may still be writing and see a reset
        // instead of the answer. Such a send is tried again (up to 3 times).
        let send = || {
            http.post(&url)
                .bearer_auth(&token)
                .header("Idempotency-Key", format!("hostile-{i}"))
                .header("Content-Type", "application/json")
                .body(body(case))
                .send()
        };
        let resp = send().or_else(|_| send()).or_else(|_| send()).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let status = resp.status().as_u16();
        let text = resp.text().unwrap_or_default();
        // The JSON error's message; a body that is not JSON (axum's own 413) is taken whole.
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or(text);
        let want_status = case.status.expect("status");
        if status != want_status || !message.to_lowercase().contains(&case.contains) {
            failures
                .push(format!("{}: {status} {message:?}, expected {want_status} and {:?}", case.name, case.contains));
        }
    }
    let listed: Value = http.get(url).bearer_auth(token).send().unwrap().json().unwrap();
    let submissions = listed["submissions"].as_array().expect("a submissions array");
    assert!(submissions.is_empty(), "refused bodies created submissions: {submissions:?}");
    assert!(
        failures.is_empty(),
        "{} of {} submission cases failed:\n{}",
        failures.len(),
        submission_cases.len(),
        failures.join("\n")
    );
}

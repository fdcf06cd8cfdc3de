//! One open submission per city (issue 10, point 4), end to end on the real `portraits serve`
//! on 127.0.0.1: a new submission replaces the city's open one and becomes its next round; the
//! replaced one is closed (`superseded`) and can no longer be decided; the reviewer sees the
//! earlier rounds with their comments and what changed since the last review; racing
//! submissions still leave one open; after a decision the next submission starts round 1.

mod common;
use common::http::Server;
use common::Env;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};

fn token(env: &Env, db: &std::path::Path, args: &[&str]) -> String {
    let mut a = vec!["token", "issue"];
    a.extend_from_slice(args);
    env.run_db(db, &a).ok().stdout.trim().to_string()
}

/// A submission of Cork's current portrait with `f` applied.
fn body(env: &Env, f: impl Fn(&mut Value)) -> Value {
    let mut p = env.run_db(&env.path("client.sqlite3"), &["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    f(&mut p);
    json!({ "baseVersion": p["version"], "portrait": p })
}

fn post(url: &str, token: &str, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut r = common::http::client()
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

fn get(url: &str, token: &str, path: &str) -> Value {
    let r = common::http::client().get(format!("{url}{path}")).bearer_auth(token).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["submissions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

const OPEN: &str = "/v1/submissions?status=submitted,in_review,changes_requested";

#[test]
fn a_new_submission_replaces_the_open_one_and_keeps_the_rounds() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let staff = token(&env, &db, &["--staff"]);
    let server = Server::start_with(&db, &[]);
    let url = server.url.clone();
    let submit = |key: &str, tagline: &str| {
        let (status, v) = post(
            &url,
            &cork,
            "/v1/cities/ie-cork/submissions",
            Some(key),
            &body(&env, |p| p["tagline"] = json!(tagline)),
        );
        assert_eq!(status, 201, "{v}");
        v
    };

    // Round 1, opened and sent back with a comment on the tagline.
    let one = submit("k1", "Cork, round one");
    assert_eq!((one["round"].as_u64(), &one["supersedes"]), (Some(1), &Value::Null));
    let one_id = one["id"].as_str().unwrap().to_string();
    get(&url, &staff, &format!("/v1/submissions/{one_id}"));
    let (status, v) = post(
        &url,
        &staff,
        &format!("/v1/submissions/{one_id}/decision"),
        None,
        &json!({"decision": "request_changes", "comment": "Nearly there", "comments": [{"field": "tagline", "comment": "Shorter, please"}]}),
    );
    assert_eq!(status, 200, "{v}");

    // A reply to the reviewer travels with a round; a note that is too long or not text is
    // refused, at $.note, and stores nothing.
    for bad in [json!("x".repeat(5001)), json!(42)] {
        let mut b = body(&env, |p| p["tagline"] = json!("Cork learns"));
        b["note"] = bad;
        let (status, v) = post(&url, &cork, "/v1/cities/ie-cork/submissions", Some("bad-note"), &b);
        assert_eq!((status, v["fields"][0]["path"].as_str()), (422, Some("$.note")), "{v}");
    }
    assert_eq!(get(&url, &staff, "/v1/submissions")["submissions"].as_array().unwrap().len(), 1);
    // Round 2 and round 3: each replaces the open one.
    let two = submit("k2", "Cork learns");
    assert_eq!((two["round"].as_u64(), two["supersedes"].as_str()), (Some(2), Some(one_id.as_str())));
    let two_id = two["id"].as_str().unwrap().to_string();
    let mut with_note = body(&env, |p| p["tagline"] = json!("Cork learns by the Lee"));
    with_note["note"] = json!("  Shorter now, as you asked.  ");
    let (status, three) = post(&url, &cork, "/v1/cities/ie-cork/submissions", Some("k3"), &with_note);
    assert_eq!(status, 201, "{three}");
    assert_eq!(three["note"], "Shorter now, as you asked.");
    assert_eq!((three["round"].as_u64(), three["supersedes"].as_str()), (Some(3), Some(two_id.as_str())));
    let three_id = three["id"].as_str().unwrap().to_string();
    assert_eq!(ids(&get(&url, &staff, OPEN)), std::slice::from_ref(&three_id), "one open submission for Cork");
    let superseded = get(&url, &staff, "/v1/submissions?status=superseded");
    assert_eq!(ids(&superseded), [one_id.clone(), two_id.clone()]);
    for s in superseded["submissions"].as_array().unwrap() {
        assert!(s["supersededBy"].is_string(), "{s}");
    }
    // The city sees the same: one open, two replaced.
    let mine = get(&url, &cork, "/v1/cities/ie-cork/submissions");
    let statuses: Vec<&str> =
        mine["submissions"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["superseded", "superseded", "submitted"]);

    // The reviewer: the earlier rounds with their comments, and the changes since round 1,
    // the last one reviewed.
    let detail = get(&url, &staff, &format!("/v1/submissions/{three_id}"));
    assert_eq!(detail["round"], 3);
    assert_eq!(detail["note"], "Shorter now, as you asked.");
    assert!(detail["history"][1]["note"].is_null());
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.iter().map(|h| h["round"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history[0]["comments"][1]["comment"], "Shorter, please");
    let since = &detail["sinceLastReview"];
    assert_eq!((since["round"].as_u64(), since["id"].as_str()), (Some(1), Some(one_id.as_str())));
    let changed: Vec<&str> = since["diff"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(changed, ["tagline"], "{since}");
    assert_eq!(since["diff"][0]["base"], "Cork, round one");
    assert_eq!(since["diff"][0]["mine"], "Cork learns by the Lee");

    // A replaced round cannot be decided: 409 conflict, in words.
    for old in [&one_id, &two_id] {
        let (status, v) =
            post(&url, &staff, &format!("/v1/submissions/{old}/decision"), None, &json!({"decision": "accept"}));
        assert_eq!((status, v["code"].as_str()), (409, Some("conflict")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("newer"), "{v}");
    }
    // Accepting the open one publishes it; the next submission starts a new round 1.
    let (status, v) =
        post(&url, &staff, &format!("/v1/submissions/{three_id}/decision"), None, &json!({"decision": "accept"}));
    assert_eq!((status, v["status"].as_str()), (200, Some("accepted")), "{v}");
    assert!(get(&url, &staff, OPEN)["submissions"].as_array().unwrap().is_empty());
    let four = submit("k4", "Cork, again");
    assert_eq!((four["round"].as_u64(), &four["supersedes"]), (Some(1), &Value::Null));
    // A replay of round 2's key answers what it got then, and replaces nothing.
    let (status, again) = post(
        &url,
        &cork,
        "/v1/cities/ie-cork/submissions",
        Some("k2"),
        &body(&env, |p| p["tagline"] = json!("Cork learns")),
    );
    assert_eq!((status, again["id"].as_str()), (201, Some(two_id.as_str())));
    assert_eq!(ids(&get(&url, &staff, OPEN)), [four["id"].as_str().unwrap().to_string()]);
}

#[test]
fn racing_submissions_of_one_city_leave_one_open_and_a_chain_of_rounds() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let staff = token(&env, &db, &["--staff"]);
    let server = Server::start_with(&db, &[]);
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (url, cork, barrier) = (server.url.clone(), cork.clone(), barrier.clone());
            let b = body(&env, |p| p["tagline"] = json!(format!("Cork race {i}")));
            std::thread::spawn(move || {
                barrier.wait();
                post(&url, &cork, "/v1/cities/ie-cork/submissions", Some(&format!("race-{i}")), &b)
            })
        })
        .collect();
    for t in threads {
        let (status, v) = t.join().unwrap();
        assert_eq!(status, 201, "{v}");
    }
    let all = get(&server.url, &staff, "/v1/submissions");
    let list = all["submissions"].as_array().unwrap();
    assert_eq!(list.len(), n);
    let open: Vec<&Value> = list.iter().filter(|s| s["status"] != "superseded").collect();
    assert_eq!(open.len(), 1, "{all}");
    let mut rounds: Vec<u64> = list.iter().map(|s| s["round"].as_u64().unwrap()).collect();
    rounds.sort();
    assert_eq!(rounds, (1..=n as u64).collect::<Vec<_>>(), "one chain of rounds");
    // Every replaced one names the one that replaced it, which names it back.
    for s in list.iter().filter(|s| s["status"] == "superseded") {
        let by = list.iter().find(|x| x["id"] == s["supersededBy"]).expect("replaced by a listed one");
        assert_eq!(by["supersedes"], s["id"]);
    }
    // The open one has every earlier round as history.
    let detail = get(&server.url, &staff, &format!("/v1/submissions/{}", open[0]["id"].as_str().unwrap()));
    assert_eq!(detail["history"].as_array().unwrap().len(), n - 1);
    assert!(detail["sinceLastReview"].is_null(), "no round was reviewed");
}

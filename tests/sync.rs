//! The feed server, sync, submissions and review, end to end: the real `portraits serve` on
//! 127.0.0.1, real client database files, the real CLI; the auth matrix over raw HTTP; network
//! faults through a misbehaving server; a sync killed at random points.

mod common;
use common::http::{Action, Scripted, Server};
use common::{run_with, token, Client, Env};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The seeded catalogue: 44 cities and 91 versions (47 from the two booklets, three cities
/// being in both, and one member-record version per city), so a feed's catalogue version is 91.
const SEEDED_VERSIONS: u64 = 91;

/// The latest version of `city` in the client's database.
fn latest(client: &Client<'_>, city: &str) -> u64 {
    client.run(&["show", city, "--json"]).ok().json()["portrait"]["version"].as_u64().unwrap()
}

fn edited(client: &Client<'_>, city: &str, f: impl Fn(&mut Value)) -> PathBuf {
    let mut p = client.run(&["show", city, "--json"]).ok().json()["portrait"].clone();
    f(&mut p);
    let file = client.env.path(&format!("{city}-{}.json", client.db.file_stem().unwrap().to_string_lossy()));
    std::fs::write(&file, serde_json::to_vec_pretty(&p).unwrap()).unwrap();
    file
}

#[test]
fn serve_submit_review_and_a_second_client_sees_it() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    let cork = token(&env, &server_db, &["--city", "ie-cork"]);
    let staff = token(&env, &server_db, &["--staff"]);
    let server = Server::start(&server_db);
    let url = server.url.clone();

    // A fresh client takes the snapshot: the 44 cities.
    let a = Client::new(&env, "alice");
    let r = a.run(&["sync", "--feed", &url, "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "snapshot");
    assert_eq!(r["pull"]["cursor"], SEEDED_VERSIONS);
    assert_eq!(a.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 44);
    let next = latest(&a, "ie-cork") + 1;
    // Nothing changed: the next sync reads an empty change page.
    let r = a.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "changes");
    assert!(r["pull"]["added"].as_array().unwrap().is_empty());

    // Edit a draft, submit it.
    let file = edited(&a, "ie-cork", |p| p["tagline"] = json!("Cork, city of learning festivals"));
    a.run(&["draft", "set", "ie-cork", "--from", file.to_str().unwrap()]).ok();
    let sub = a.run(&["submit", "ie-cork", "--token-file", cork.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(sub["status"], "sent", "{sub}");
    let id = sub["submission_id"].as_str().unwrap().to_string();
    let subs = a.run(&["submissions", "ie-cork", "--json"]).ok().json();
    assert_eq!(subs["submissions"][0]["status"], "submitted");

    // Staff review: the diff shows the tagline as the submitter's change; accept.
    let list = a.run(&["review", "list", "--token-file", staff.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(list["submissions"].as_array().unwrap().len(), 1);
    let shown = a.run(&["review", "show", &id, "--token-file", staff.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(shown["status"], "in_review");
    let tagline = shown["diff"].as_array().unwrap().iter().find(|d| d["field"] == "tagline").unwrap().clone();
    assert_eq!(tagline["state"], "mine");
    let acc = a.run(&["review", "accept", &id, "--token-file", staff.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(acc["status"], "accepted");
    assert_eq!(acc["publishedVersion"], next);

    // A second client syncs from scratch and sees the new version.
    let b = Client::new(&env, "bob");
    b.run(&["sync", "--feed", &url]).ok();
    let v = b.run(&["show", "ie-cork", "--json"]).ok().json();
    assert_eq!(v["portrait"]["version"], next);
    assert_eq!(v["portrait"]["tagline"], "Cork, city of learning festivals");
    // The first client gets it as a change; its draft, now published, is dropped; the
    // coordinator sees the status.
    let r = a.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["added"], json!([["ie-cork", next]]));
    assert_eq!(r["pull"]["published_drafts"], json!(["ie-cork"]));
    let subs = a.run(&["submissions", "ie-cork", "--json"]).ok().json();
    assert_eq!(subs["submissions"][0]["status"], "accepted");
    assert_eq!(subs["submissions"][0]["publishedVersion"], next);
    // The server's log names requests but never carries a token.
    let log = server.log();
    assert!(log.contains("/v1/feed.json"));
    for t in [&cork, &staff] {
        let secret = std::fs::read_to_string(t).unwrap();
        assert!(!log.contains(secret.trim()), "a token leaked into the log");
    }
    // The token is not in the client's database or its backup.
    let backup = env.path("alice-backup.sqlite3");
    a.run(&["backup", backup.to_str().unwrap()]).ok();
    let bytes = std::fs::read(&backup).unwrap();
    let secret = std::fs::read_to_string(&cork).unwrap();
    assert!(!bytes.windows(secret.trim().len()).any(|w| w == secret.trim().as_bytes()));
}

#[test]
fn a_draft_whose_base_moved_is_rebased_and_conflicts_are_surfaced() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    let cork = token(&env, &server_db, &["--city", "ie-cork"]);
    let staff = token(&env, &server_db, &["--staff"]);
    let server = Server::start(&server_db);
    let a = Client::new(&env, "alice");
    let b = Client::new(&env, "bob");
    a.run(&["sync", "--feed", &server.url]).ok();
    b.run(&["sync", "--feed", &server.url]).ok();
    let next = latest(&a, "ie-cork") + 1;
    // Alice drafts changes to the tagline and the lead; Bob's change to the tagline and the
    // challenges is published first.
    let fa = edited(&a, "ie-cork", |p| {
        p["tagline"] = json!("Alice's tagline");
        p["lead"] = json!("Alice rewrote the lead.");
    });
    a.run(&["draft", "set", "ie-cork", "--from", fa.to_str().unwrap()]).ok();
    let fb = edited(&b, "ie-cork", |p| {
        p["tagline"] = json!("Bob's tagline");
        p["challenges"] = json!("- Bob's challenge");
    });
    b.run(&["draft", "set", "ie-cork", "--from", fb.to_str().unwrap()]).ok();
    let sub = b.run(&["submit", "ie-cork", "--token-file", cork.to_str().unwrap(), "--json"]).ok().json();
    b.run(&["review", "accept", sub["submission_id"].as_str().unwrap(), "--token-file", staff.to_str().unwrap()]).ok();
    // Alice syncs: her draft is rebased on Bob's version (the next); the tagline is a conflict,
    // the lead (hers) and the challenges (Bob's) merge.
    let r = a.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["rebased"], json!([["ie-cork", ["tagline"]]]));
    let d = a.run(&["draft", "show", "ie-cork", "--json"]).ok().json();
    assert_eq!(d["base_version"], next);
    assert_eq!(d["portrait"]["lead"], "Alice rewrote the lead.");
    assert_eq!(d["portrait"]["challenges"], "- Bob's challenge");
    assert_eq!(d["portrait"]["tagline"], "Alice's tagline", "nothing is overwritten silently");
    let c = &d["conflicts"][0];
    assert_eq!(
        (c["field"].as_str(), c["theirs"].as_str(), c["mine"].as_str()),
        (Some("tagline"), Some("Bob's tagline"), Some("Alice's tagline"))
    );
    let text = a.run(&["draft", "show", "ie-cork"]).ok().stdout;
    assert!(text.contains("CONFLICT tagline") && text.contains("Bob's tagline"), "{text}");
    // Submitting with a conflict open is refused; resolving it lets it through.
    let r = a.run(&["submit", "ie-cork", "--token-file", cork.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("conflict"), "{}", r.stderr);
    a.run(&["draft", "resolve", "ie-cork", "tagline", "theirs"]).ok();
    let sub = a.run(&["submit", "ie-cork", "--json"]).ok().json();
    assert_eq!(sub["status"], "sent");
    let shown = a
        .run(&[
            "review",
            "show",
            sub["submission_id"].as_str().unwrap(),
            "--token-file",
            staff.to_str().unwrap(),
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(shown["baseVersion"], next);
    assert_eq!(shown["conflicts"], json!([]));
}

#[test]
fn staff_review_with_a_conflict_needs_a_resolution() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    let cork = token(&env, &server_db, &["--city", "ie-cork"]);
    let staff = token(&env, &server_db, &["--staff"]);
    let server = Server::start(&server_db);
    let a = Client::new(&env, "alice");
    let b = Client::new(&env, "bob");
    for c in [&a, &b] {
        c.run(&["sync", "--feed", &server.url]).ok();
    }
    let base = latest(&a, "ie-cork");
    let bobs = base + 1;
    let fa = edited(&a, "ie-cork", |p| p["tagline"] = json!("A"));
    a.run(&["draft", "set", "ie-cork", "--from", fa.to_str().unwrap()]).ok();
    let fb = edited(&b, "ie-cork", |p| p["tagline"] = json!("B"));
    b.run(&["draft", "set", "ie-cork", "--from", fb.to_str().unwrap()]).ok();
    let sb = b.run(&["submit", "ie-cork", "--token-file", cork.to_str().unwrap(), "--json"]).ok().json();
    let st = staff.to_str().unwrap();
    b.run(&["review", "accept", sb["submission_id"].as_str().unwrap(), "--token-file", st]).ok();
    // Alice, not synced since, submits her draft (on `base`): it conflicts with Bob's version
    // (`bobs`) on the tagline. (Submitted before Bob's was accepted, it would have replaced Bob's open one.)
    let sa = a
        .run(&["submit", "ie-cork", "--note", "Alice's reply", "--token-file", cork.to_str().unwrap(), "--json"])
        .ok()
        .json();
    let ida = sa["submission_id"].as_str().unwrap();
    // The note went with it, through the outbox.
    let shown = a.run(&["review", "show", ida, "--token-file", st, "--json"]).ok().json();
    assert_eq!(shown["note"], "Alice's reply");
    assert_eq!(shown["baseVersion"], base);
    let r = a.run(&["review", "accept", ida, "--token-file", st]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("409") && r.stderr.contains("resolve"), "{}", r.stderr);
    // Request changes with a field comment; the coordinator sees it.
    let comment = format!("Please rebase on version {bobs}");
    a.run(&[
        "review",
        "request-changes",
        ida,
        "--comment",
        &comment,
        "--field",
        "tagline=Bob's wording was approved",
        "--token-file",
        st,
    ])
    .ok();
    let subs = a.run(&["submissions", "ie-cork", "--json"]).ok().json();
    let mine = subs["submissions"].as_array().unwrap().iter().find(|s| s["id"] == ida).unwrap().clone();
    assert_eq!(mine["status"], "changes_requested");
    let text = a.run(&["submissions", "ie-cork"]).ok().stdout;
    assert!(text.contains(&comment) && text.contains("tagline: Bob's wording was approved"), "{text}");
    // Accepting with a resolution publishes the version after Bob's.
    let r = a.run(&["review", "accept", ida, "--resolve", "tagline=mine", "--token-file", st, "--json"]).ok().json();
    assert_eq!(r["publishedVersion"], bobs + 1);
    // Decisions are final.
    let r = a.run(&["review", "reject", ida, "--comment", "too late", "--token-file", st]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("409"), "{}", r.stderr);
}

fn http() -> reqwest::blocking::Client {
    common::http::client()
}

fn submission_body(env: &Env, city: &str) -> Value {
    let p = env.run(&["show", city, "--json"]).ok().json()["portrait"].clone();
    json!({ "baseVersion": p["version"], "portrait": p })
}

#[test]
fn the_auth_matrix_and_idempotency() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    let read = |f: &Path| std::fs::read_to_string(f).unwrap().trim().to_string();
    let cork = read(&token(&env, &server_db, &["--city", "ie-cork"]));
    let espoo = read(&token(&env, &server_db, &["--city", "fi-espoo"]));
    let staff = read(&token(&env, &server_db, &["--staff"]));
    let revoked = env.run_db(&server_db, &["token", "issue", "--city", "ie-cork", "--json"]).ok().json();
    env.run_db(&server_db, &["token", "revoke", revoked["id"].as_str().unwrap()]).ok();
    let server = Server::start(&server_db);
    let u = |p: &str| format!("{}{p}", server.url);
    let body = submission_body(&env, "ie-cork").to_string();
    let post = |tok: Option<&str>, city: &str, key: &str, body: &str| {
        let mut r = http()
            .post(u(&format!("/v1/cities/{city}/submissions")))
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(t) = tok {
            r = r.bearer_auth(t);
        }
        let resp = r.send().unwrap();
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().unwrap_or(Value::Null))
    };
    let get = |tok: &str, path: &str| http().get(u(path)).bearer_auth(tok).send().unwrap().status().as_u16();
    // No token: 401. A malformed or unknown token: 401. A revoked one: 401.
    assert_eq!(post(None, "ie-cork", "k0", &body).0, 401);
    assert_eq!(post(Some("nonsense"), "ie-cork", "k0", &body).0, 401);
    assert_eq!(post(Some(&format!("gnlc_{}_{}", "0".repeat(16), "0".repeat(64))), "ie-cork", "k0", &body).0, 401);
    let (s, e) = post(Some(revoked["token"].as_str().unwrap()), "ie-cork", "k0", &body);
    assert_eq!(s, 401);
    assert!(e["message"].as_str().unwrap().contains("revoked"));
    // City A's token for city B: 403.
    let (s, e) = post(Some(&espoo), "ie-cork", "k1", &body);
    assert_eq!(s, 403, "{e}");
    assert_eq!(get(&espoo, "/v1/cities/ie-cork/submissions"), 403);
    // A city token on staff endpoints: 403; staff: 200.
    assert_eq!(get(&cork, "/v1/submissions"), 403);
    assert_eq!(get(&cork, "/v1/submissions/anything"), 403);
    let d =
        http().post(u("/v1/submissions/x/decision")).bearer_auth(&cork).body("{}").send().unwrap().status().as_u16();
    assert_eq!(d, 403);
    assert_eq!(get(&staff, "/v1/submissions"), 200);
    // The same key replayed: the same answer, one submission.
    let (s1, first) = post(Some(&cork), "ie-cork", "key-1", &body);
    assert_eq!(s1, 201, "{first}");
    let (s2, again) = post(Some(&cork), "ie-cork", "key-1", &body);
    assert_eq!((s2, &again), (201, &first));
    let list: Value =
        http().get(u("/v1/cities/ie-cork/submissions")).bearer_auth(&cork).send().unwrap().json().unwrap();
    assert_eq!(list["submissions"].as_array().unwrap().len(), 1);
    // The same key with another body: 422.
    let other = submission_body(&env, "ie-cork");
    let mut other = other.clone();
    other["portrait"]["tagline"] = json!("different");
    let (s3, e) = post(Some(&cork), "ie-cork", "key-1", &other.to_string());
    assert_eq!(s3, 422, "{e}");
    assert_eq!(e["code"], "idempotency_key_reused");
    // A missing key: 400. Staff may submit for any city (but never replace a coordinator's
    // open submission: Cork has one).
    assert_eq!(post(Some(&cork), "ie-cork", "", &body).0, 400);
    assert_eq!(post(Some(&staff), "fi-espoo", "key-2", &submission_body(&env, "fi-espoo").to_string()).0, 201);
    assert_eq!(post(Some(&staff), "ie-cork", "key-3", &body).0, 409);
    // Feed and media need no token; unknown media 404; a bad id 400.
    assert_eq!(http().get(u("/v1/feed.json")).send().unwrap().status().as_u16(), 200);
    assert_eq!(http().get(u(&format!("/v1/media/{}", "a".repeat(64)))).send().unwrap().status().as_u16(), 404);
    assert_eq!(http().get(u("/v1/media/../../etc/passwd")).send().unwrap().status().as_u16(), 404);
    assert_eq!(http().get(u("/v1/media/XYZ")).send().unwrap().status().as_u16(), 400);
}

#[test]
fn feed_protocol_etag_304_gzip_changes_and_410() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    env.run_db(&server_db, &["list"]).ok();
    let server = Server::start(&server_db);
    let u = |p: &str| format!("{}{p}", server.url);
    let raw = common::http::client();
    let r = raw.get(u("/v1/feed.json")).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/feed+json");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "strong ETag: {etag}");
    assert!(r.headers().contains_key("last-modified"));
    let feed: Value = r.json().unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["items"].as_array().unwrap().len() as u64, SEEDED_VERSIONS);
    assert_eq!(feed["_gnlc"]["catalogVersion"], SEEDED_VERSIONS);
    let item = &feed["items"][0];
    for k in ["id", "url", "title", "summary", "content_text", "date_modified", "tags"] {
        assert!(!item[k].is_null(), "item has {k}");
    }
    for k in ["schemaVersion", "cityId", "version", "contentSha256", "deleted", "portrait"] {
        assert!(!item["_gnlc"][k].is_null(), "_gnlc has {k}");
    }
    // Conditional GET: 304, with no body.
    let r = raw.get(u("/v1/feed.json")).header("If-None-Match", &etag).send().unwrap();
    assert_eq!(r.status().as_u16(), 304);
    assert!(r.bytes().unwrap().is_empty());
    // gzip when asked.
    let r = raw.get(u("/v1/feed.json")).header("Accept-Encoding", "gzip").send().unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    // Changes in order with paging.
    let page: Value = raw.get(u("/v1/changes?since=40&limit=3")).send().unwrap().json().unwrap();
    let seqs: Vec<u64> =
        page["items"].as_array().unwrap().iter().map(|i| i["_gnlc"]["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [41, 42, 43]);
    assert_eq!(page["lastVersion"], 43);
    assert_eq!(page["hasMore"], true);
    assert_eq!(raw.get(u("/v1/changes?since=x")).send().unwrap().status().as_u16(), 400);
    // Deleting a city publishes a tombstone; clients delete it.
    let c = Client::new(&env, "carol");
    c.run(&["sync", "--feed", &server.url]).ok();
    env.run_db(&server_db, &["delete-city", "gr-serres"]).ok();
    std::thread::sleep(std::time::Duration::from_millis(1100)); // the feed cache re-reads the catalogue each second
    let page: Value = raw.get(u(&format!("/v1/changes?since={SEEDED_VERSIONS}"))).send().unwrap().json().unwrap();
    assert_eq!(page["items"][0]["_gnlc"]["deleted"], true);
    assert_eq!(page["items"][0]["_gnlc"]["seq"], SEEDED_VERSIONS + 1);
    let r = c.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["deleted"], json!(["gr-serres"]));
    assert_eq!(c.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 43);
    // After the tombstones are pruned, an old cursor gets 410 and the client takes the snapshot.
    let tombstone = (SEEDED_VERSIONS + 1).to_string();
    env.run_db(&server_db, &["feed", "prune-tombstones", "--up-to", &tombstone]).ok();
    assert_eq!(raw.get(u("/v1/changes?since=10")).send().unwrap().status().as_u16(), 410);
    let d = Client::new(&env, "dave");
    d.run(&["sync", "--feed", &server.url]).ok();
    // Rewind dave's cursor to simulate a laptop that was offline for a long time.
    let (mut store, _) = portraits::store::Store::open(&d.db).unwrap();
    let key = format!("feed:{}:cursor", server.url);
    store.set_meta(&key, "10").unwrap();
    drop(store);
    let r = d.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "snapshot", "410 → snapshot");
    // A cursor ahead of the server (a server restored from an older backup, a lying feed):
    // 410 too, and the snapshot puts the client right.
    let (mut store, _) = portraits::store::Store::open(&d.db).unwrap();
    store.set_meta(&key, "1000000").unwrap();
    drop(store);
    assert_eq!(raw.get(u("/v1/changes?since=1000000")).send().unwrap().status().as_u16(), 410);
    let r = d.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "snapshot");
    assert_eq!(r["pull"]["cursor"], SEEDED_VERSIONS + 1);
}

#[test]
fn static_hosting_snapshot_and_conditional_poll() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    env.run_db(&server_db, &["list"]).ok();
    let dir = env.path("site");
    env.run_db(&server_db, &["feed", "export", dir.to_str().unwrap(), "--public-url", "https://cdn.example.org/gnlc"])
        .ok();
    let feed = std::fs::read(dir.join("v1/feed.json")).unwrap();
    let etag = "\"static-1\"";
    let host = Scripted::start(move |req, _| {
        if req.path == "/v1/feed.json" {
            if req.header("If-None-Match") == Some(etag) {
                return Action::Respond { status: 304, headers: vec![("ETag".into(), etag.into())], body: vec![] };
            }
            Action::Respond {
                status: 200,
                headers: vec![("ETag".into(), etag.into()), ("Content-Type".into(), "application/feed+json".into())],
                body: feed.clone(),
            }
        } else {
            Action::status(404, &[])
        }
    });
    let c = Client::new(&env, "erin");
    let r = c.run(&["sync", "--feed", &host.url, "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "snapshot");
    let r = c.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "not_modified", "no /v1/changes on a static host: a conditional GET");
    let reqs = host.requests.lock().unwrap().clone();
    assert!(reqs.iter().any(|r| r.path.starts_with("/v1/changes")));
    assert_eq!(reqs.last().unwrap().header("If-None-Match"), Some(etag));
}

#[test]
fn network_faults_are_retried_and_never_half_applied() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    env.run_db(&server_db, &["list"]).ok();
    let server = Server::start(&server_db);
    let upstream = server.url.clone();
    // 503 with Retry-After, then a reset in the middle of the body, then the real answer.
    let up = upstream.clone();
    let proxy = Scripted::start(move |_req, n| match n {
        0 => Action::status(503, &[("Retry-After", "1")]),
        1 => {
            let body = common::http::get_bytes(&format!("{up}/v1/feed.json"));
            Action::Reset {
                status: 200,
                headers: vec![("Content-Type".into(), "application/feed+json".into())],
                cut: body.len() / 2,
                body,
            }
        }
        _ => Action::Proxy(up.clone()),
    });
    let c = Client::new(&env, "faults");
    let t0 = std::time::Instant::now();
    let r = c.run(&["sync", "--feed", &proxy.url, "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "snapshot");
    assert_eq!(r["pull"]["retries"], 2);
    assert!(t0.elapsed() >= std::time::Duration::from_millis(900), "Retry-After: 1 was honoured");
    assert_eq!(c.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 44);
    // A server that keeps failing: the sync gives up with a clear error and changes nothing.
    let broken = Scripted::start(|_req, n| {
        if n % 2 == 0 {
            Action::status(500, &[])
        } else {
            Action::Stall(std::time::Duration::from_secs(8))
        }
    });
    let fresh = Client::new(&env, "broken");
    fresh.run(&["list"]).ok();
    let before = fresh.run(&["export-json", env.path("before").to_str().unwrap()]).ok();
    let r = fresh.run(&["sync", "--feed", &broken.url]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("after 5 attempts") && (r.stderr.contains("timed out") || r.stderr.contains("500")),
        "{}",
        r.stderr
    );
    assert_eq!(broken.count(), 5, "five attempts");
    let _ = before;
    let (store, _) = portraits::store::Store::open(&fresh.db).unwrap();
    assert_eq!(store.counts().unwrap(), (44, SEEDED_VERSIONS as u32));
    assert_eq!(store.meta(&format!("feed:{}:cursor", broken.url)).unwrap(), None, "no cursor recorded");
    // A mid-body reset on a changes page is retried too.
    let up2 = upstream.clone();
    let env_db = server_db.clone();
    let flaky = Scripted::start(move |req, n| {
        if req.path.starts_with("/v1/changes") && n == 0 {
            let body = common::http::get_bytes(&format!("{up2}{}", req.path));
            return Action::Reset { status: 200, headers: vec![], cut: body.len() / 3, body };
        }
        let _ = &env_db;
        Action::Proxy(up2.clone())
    });
    let key = format!("feed:{}:cursor", flaky.url);
    let (mut store, _) = portraits::store::Store::open(&c.db).unwrap();
    store.set_meta(&key, "40").unwrap();
    drop(store);
    let r = c.run(&["sync", "--feed", &flaky.url, "--json"]).ok().json();
    assert_eq!(r["pull"]["mode"], "changes");
    assert_eq!(r["pull"]["retries"], 1);
}

#[test]
fn a_submission_is_never_duplicated_by_a_lost_answer() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    let cork = token(&env, &server_db, &["--city", "ie-cork"]);
    let server = Server::start(&server_db);
    let up = server.url.clone();
    // The first POST reaches the server, but its answer is lost (reset); the client resends
    // with the same idempotency key and gets the first answer.
    let proxy = Scripted::start(move |req, _| {
        if req.method == "POST" && req.header("x-seen").is_none() {
            static FIRST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
            if FIRST.swap(false, std::sync::atomic::Ordering::SeqCst) {
                let client = common::http::client();
                let mut rb = client.post(format!("{up}{}", req.path)).body(req.body.clone());
                for (k, v) in &req.headers {
                    if ["authorization", "idempotency-key", "content-type"].contains(&k.to_ascii_lowercase().as_str()) {
                        rb = rb.header(k, v);
                    }
                }
                let answer = rb.send().unwrap().bytes().unwrap().to_vec();
                return Action::Reset { status: 201, headers: vec![], cut: 5, body: answer };
            }
        }
        Action::Proxy(up.clone())
    });
    let c = Client::new(&env, "lost");
    c.run(&["sync", "--feed", &proxy.url]).ok();
    let f = edited(&c, "ie-cork", |p| p["tagline"] = json!("Once only"));
    c.run(&["draft", "set", "ie-cork", "--from", f.to_str().unwrap()]).ok();
    let sub = c.run(&["submit", "ie-cork", "--token-file", cork.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(sub["status"], "sent", "{sub}");
    let list: Value = http()
        .get(format!("{}/v1/cities/ie-cork/submissions", server.url))
        .bearer_auth(std::fs::read_to_string(&cork).unwrap().trim())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["submissions"].as_array().unwrap().len(), 1, "one submission despite two POSTs");
    // Offline: the submission waits in the outbox and goes out on the next sync.
    let c2 = Client::new(&env, "offline");
    c2.run(&["sync", "--feed", &server.url]).ok();
    let f = edited(&c2, "fi-espoo", |p| p["tagline"] = json!("Offline edit"));
    c2.run(&["draft", "set", "fi-espoo", "--from", f.to_str().unwrap()]).ok();
    let espoo = token(&env, &server_db, &["--city", "fi-espoo"]);
    let r = c2
        .run(&["submit", "fi-espoo", "--token-file", espoo.to_str().unwrap(), "--feed", "http://127.0.0.1:9", "--json"])
        .ok()
        .json();
    assert_eq!(r["status"], "pending");
    let ob = c2.run(&["outbox", "--json"]).ok().json();
    assert_eq!(ob[0]["status"], "pending");
    assert!(ob[0]["last_error"].as_str().unwrap().contains("cannot connect"), "{ob}");
    // Back online (the real server): the sync sends it.
    let token_text = std::fs::read_to_string(&espoo).unwrap();
    let creds = env.path("offline.creds.json");
    let mut cj: Value = serde_json::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
    cj["tokens"][&server.url] = json!(token_text.trim());
    std::fs::write(&creds, cj.to_string()).unwrap();
    let r = c2.run(&["sync", "--feed", &server.url, "--json"]).ok().json();
    assert_eq!(r["sent"], 1, "{r}");
    assert_eq!(c2.run(&["outbox", "--json"]).ok().json()[0]["status"], "sent");
}

#[test]
fn killing_a_large_sync_leaves_the_old_or_the_new_catalogue() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    env.run_db(&server_db, &["list"]).ok();
    let dir = env.path("synthetic");
    std::fs::create_dir_all(&dir).unwrap();
    for it in portraits::synth::portraits(1000) {
        std::fs::write(
            dir.join(format!("{}.json", it.portrait.city.id)),
            portraits::model::to_canonical_json(&it.portrait),
        )
        .unwrap();
    }
    env.run_db(&server_db, &["import", dir.to_str().unwrap()]).ok();
    let server = Server::start(&server_db);
    let client_db = env.path("client.sqlite3");
    let creds = env.path("client.creds.json");
    // A local draft that must survive every kill.
    run_with(&client_db, &creds, &["list"]).ok();
    let mut p = run_with(&client_db, &creds, &["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    p["tagline"] = json!("My unsent draft");
    let f = env.path("draft.json");
    std::fs::write(&f, p.to_string()).unwrap();
    run_with(&client_db, &creds, &["draft", "set", "ie-cork", "--from", f.to_str().unwrap()]).ok();
    let snapshot = env.path("pristine.sqlite3");
    run_with(&client_db, &creds, &["backup", snapshot.to_str().unwrap()]).ok();
    // How long does the whole sync take?
    let t0 = std::time::Instant::now();
    run_with(&client_db, &creds, &["sync", "--feed", &server.url]).ok();
    let full = t0.elapsed();
    let mut seen = (0, 0);
    let mut x: u64 = 0x2545F4914F6CDD1D;
    for i in 0..20 {
        std::fs::copy(&snapshot, &client_db).unwrap();
        for ext in ["sqlite3-wal", "sqlite3-shm"] {
            let _ = std::fs::remove_file(client_db.with_extension(ext));
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Spread over 1.6 times the measured sync: a slower run than the measured one still has
        // kills that land after its commit.
        let delay = full.mul_f64((i as f64 + (x % 1000) as f64 / 1000.0) / 20.0 * 1.6);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portraits"))
            .args(["--db", client_db.to_str().unwrap(), "sync", "--feed", &server.url])
            .env("PORTRAITS_CREDENTIALS", &creds)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let (store, _) = portraits::store::Store::open(&client_db).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "run {i}");
        match store.counts().unwrap() {
            (44, v) if v as u64 == SEEDED_VERSIONS => seen.0 += 1,
            (1044, v) if v as u64 == SEEDED_VERSIONS + 1000 => seen.1 += 1,
            other => panic!("run {i} (killed after {delay:?}): half-applied sync: {other:?}"),
        }
        let d = store.draft("ie-cork").unwrap().expect("the draft survives");
        assert_eq!(d.portrait.tagline.as_deref(), Some("My unsent draft"));
    }
    assert!(seen.0 >= 5 && seen.1 >= 1, "kills landed before and after the commit: {seen:?}");
}

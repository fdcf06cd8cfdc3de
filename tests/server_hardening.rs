//! The server under slow, abusive and concurrent clients (issue 8, server side), end to end on
//! the real `portraits serve` on 127.0.0.1: the token is checked before a body is read; racing
//! requests with one Idempotency-Key make one submission, and keys are per token; a database
//! locked by another connection answers 503 `busy` while readers go on; header and idle
//! timeouts and the connection cap; per-token rate limits and daily quotas; paginated lists
//! (and `review list` following them); photos uploaded before the submission that names them.

mod common;
use common::http::Server;
use common::Env;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// `portraits serve` with extra arguments (limits), on a free port.
fn start(db: &Path, extra: &[&str]) -> Server {
    Server::start_with(db, extra)
}

/// Issues a token on the server's database; returns the token string.
fn token(env: &Env, db: &Path, args: &[&str]) -> String {
    let mut a = vec!["token", "issue"];
    a.extend_from_slice(args);
    env.run_db(db, &a).ok().stdout.trim().to_string()
}

/// SHA-256 of bytes, lower-case hex: a photo's content address.
fn sha_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

fn http() -> reqwest::blocking::Client {
    common::http::client()
}

/// A submission of `city`'s current portrait, with `f` applied to it.
fn submission(env: &Env, city: &str, f: impl Fn(&mut Value)) -> Value {
    let mut p = env.run_db(&env.path("client.sqlite3"), &["show", city, "--json"]).ok().json()["portrait"].clone();
    f(&mut p);
    json!({ "baseVersion": p["version"], "portrait": p })
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

fn post_submission(url: &str, token: &str, city: &str, key: &str, body: &Value) -> Answer {
    let r = http()
        .post(format!("{url}/v1/cities/{city}/submissions"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    answer(r)
}

fn answer(r: reqwest::blocking::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json::<Value>().unwrap_or(Value::Null);
    Answer { status, headers, body }
}

fn retry_after(a: &Answer) -> u64 {
    a.headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", a.headers))
}

/// The host:port of a server URL.
fn addr(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

/// Reads from a raw socket until the server closes it; returns what came and when it closed
/// (None: still open after `limit`).
fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Duration>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < limit {
        s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (got, Some(started.elapsed())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return (got, Some(started.elapsed())),
        }
    }
    (got, None)
}

/// The status code of a raw HTTP/1.1 answer.
fn raw_status(bytes: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(bytes);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Sends a request head announcing a body, and no body; returns the status and how long the
/// answer took.
fn head_only(url: &str, head: &str) -> (u16, Duration) {
    let mut s = TcpStream::connect(addr(url)).unwrap();
    let started = Instant::now();
    s.write_all(head.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (raw_status(&got), started.elapsed())
}

#[test]
fn the_token_is_checked_before_the_body_is_read() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let espoo = token(&env, &db, &["--city", "fi-espoo"]);
    let server = start(&db, &[]);
    let host = addr(&server.url);
    // No token, 2 MB announced, only the head sent: 401 at once (the server does not wait for
    // the body it would otherwise read).
    let (status, took) = head_only(
        &server.url,
        &format!(
            "POST /v1/cities/ie-cork/submissions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nIdempotency-Key: k\r\nContent-Length: 2000000\r\n\r\n"
        ),
    );
    assert_eq!(status, 401);
    assert!(took < Duration::from_secs(2), "401 took {took:?}");
    // The same for a photo upload, a decision, and with a token for another city (403).
    let sha = "a".repeat(64);
    let (status, took) = head_only(
        &server.url,
        &format!("PUT /v1/cities/ie-cork/media/{sha} HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/jpeg\r\nContent-Length: 15000000\r\n\r\n"),
    );
    assert_eq!(status, 401);
    assert!(took < Duration::from_secs(2), "401 took {took:?}");
    let (status, took) = head_only(
        &server.url,
        &format!("POST /v1/submissions/sub_x/decision HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000000\r\n\r\n"),
    );
    assert_eq!(status, 401);
    assert!(took < Duration::from_secs(2), "401 took {took:?}");
    let (status, took) = head_only(
        &server.url,
        &format!("PUT /v1/cities/ie-cork/media/{sha} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {espoo}\r\nContent-Length: 15000000\r\n\r\n"),
    );
    assert_eq!(status, 403);
    assert!(took < Duration::from_secs(2), "403 took {took:?}");
    // A photo announced larger than the image limit: 413 before a byte of it is read.
    let (status, took) = head_only(
        &server.url,
        &format!("PUT /v1/cities/fi-espoo/media/{sha} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {espoo}\r\nContent-Length: 30000000\r\n\r\n"),
    );
    assert_eq!(status, 413);
    assert!(took < Duration::from_secs(2), "413 took {took:?}");
}

#[test]
fn racing_requests_with_one_key_make_one_submission_and_keys_are_per_token() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let cork2 = token(&env, &db, &["--city", "ie-cork"]);
    let staff = token(&env, &db, &["--staff"]);
    let server = start(&db, &[]);
    let body = submission(&env, "ie-cork", |p| p["tagline"] = json!("Cork races"));
    let n = 16;
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (url, cork, body, barrier) = (server.url.clone(), cork.clone(), body.clone(), barrier.clone());
            std::thread::spawn(move || {
                let client = http();
                barrier.wait();
                let r = client
                    .post(format!("{url}/v1/cities/ie-cork/submissions"))
                    .bearer_auth(&cork)
                    .header("Idempotency-Key", "the-same-key")
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .send()
                    .unwrap();
                answer(r)
            })
        })
        .collect();
    let answers: Vec<Answer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let ids: std::collections::BTreeSet<&str> = answers.iter().map(|a| a.body["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1, "one submission id for one key: {ids:?}");
    let replayed = answers.iter().filter(|a| a.headers.get("idempotent-replayed").is_some_and(|v| v == "true")).count();
    assert_eq!(replayed, n - 1, "every answer but the first is a replay");
    let list: Value =
        http().get(format!("{}/v1/submissions", server.url)).bearer_auth(&staff).send().unwrap().json().unwrap();
    assert_eq!(list["submissions"].as_array().unwrap().len(), 1, "{list}");
    assert!(server.log().lines().all(|l| !l.contains("status=500")), "no 500: {}", server.log());

    // The same key from another token is another request: a second submission.
    let other = post_submission(&server.url, &cork2, "ie-cork", "the-same-key", &body);
    assert_eq!(other.status, 201, "{}", other.body);
    assert!(other.headers.get("idempotent-replayed").is_none());
    assert_ne!(other.body["id"], answers[0].body["id"]);
    // Staff's own key space too (for a city with no open submission from its coordinator:
    // staff never replace one, see below).
    let espoo = submission(&env, "fi-espoo", |p| p["tagline"] = json!("staff"));
    let by_staff = post_submission(&server.url, &staff, "fi-espoo", "the-same-key", &espoo);
    assert_eq!(by_staff.status, 201, "{}", by_staff.body);
    assert_ne!(by_staff.body["id"], other.body["id"]);
    let replacing = post_submission(&server.url, &staff, "ie-cork", "the-same-key-2", &body);
    assert_eq!(replacing.status, 409, "{}", replacing.body);
    assert!(replacing.body["message"].as_str().unwrap().contains("open submission from its coordinator"));
    // Replaying each token's key gives each token's own answer.
    let again = post_submission(&server.url, &cork2, "ie-cork", "the-same-key", &body);
    assert_eq!((again.status, &again.body["id"]), (201, &other.body["id"]));
    // The same key and token with another body: refused, nothing stored.
    let changed = submission(&env, "ie-cork", |p| p["tagline"] = json!("something else"));
    let reused = post_submission(&server.url, &cork, "ie-cork", "the-same-key", &changed);
    assert_eq!(reused.status, 422);
    assert_eq!(reused.body["code"], "idempotency_key_reused");
    let list: Value =
        http().get(format!("{}/v1/submissions", server.url)).bearer_auth(&staff).send().unwrap().json().unwrap();
    assert_eq!(list["submissions"].as_array().unwrap().len(), 3);
}

#[test]
fn a_locked_database_answers_503_busy_while_readers_go_on() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let staff = token(&env, &db, &["--staff"]);
    let server = start(&db, &["--busy-timeout-ms", "300"]);
    let body = submission(&env, "ie-cork", |_| {});
    // Another connection takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ('held-by-test', '1');").unwrap();
    let started = Instant::now();
    let a = post_submission(&server.url, &cork, "ie-cork", "while-locked", &body);
    let took = started.elapsed();
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.body["code"], "busy");
    assert_eq!(a.body["fields"], json!([]));
    assert!(retry_after(&a) >= 1);
    assert!(took < Duration::from_secs(3), "503 took {took:?}");
    // Readers are not stalled by the waiting write: the feed, the change log and whoami answer,
    // also while a submission waits for the lock at the same time.
    let waiting = {
        let (url, cork, body) = (server.url.clone(), cork.clone(), body.clone());
        std::thread::spawn(move || post_submission(&url, &cork, "ie-cork", "while-locked-2", &body).status)
    };
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(http().get(format!("{}/v1/feed.json", server.url)).send().unwrap().status().as_u16(), 200);
        assert_eq!(http().get(format!("{}/v1/changes?since=0", server.url)).send().unwrap().status().as_u16(), 200);
        let who = http().get(format!("{}/v1/whoami", server.url)).bearer_auth(&staff).send().unwrap();
        assert_eq!(who.status().as_u16(), 200);
        assert!(t.elapsed() < Duration::from_secs(2), "readers waited {:?}", t.elapsed());
    }
    assert_eq!(waiting.join().unwrap(), 503);
    // Once the lock is released, the same request goes through.
    other.execute_batch("ROLLBACK").unwrap();
    let a = post_submission(&server.url, &cork, "ie-cork", "while-locked", &body);
    assert_eq!(a.status, 201, "{}", a.body);
    assert!(server.log().lines().all(|l| !l.contains("status=500")), "no 500: {}", server.log());
}

#[test]
fn slow_and_idle_connections_are_cut_and_the_cap_holds() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let staff = token(&env, &db, &["--staff"]);
    let server = start(&db, &["--header-timeout", "1", "--max-connections", "8"]);
    let host = addr(&server.url);
    // An idle socket (nothing sent) is closed after the header timeout.
    let mut idle = TcpStream::connect(&host).unwrap();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(5));
    let closed = closed.expect("an idle socket is closed");
    assert!(closed >= Duration::from_millis(800) && closed < Duration::from_secs(3), "closed after {closed:?}");
    // Slowloris: a head trickled a byte every 100 ms is cut at the timeout, not kept alive by
    // the trickle.
    let mut slow = TcpStream::connect(&host).unwrap();
    let head = format!("GET /v1/feed.json HTTP/1.1\r\nHost: {host}\r\nX-Padding: {}\r\n\r\n", "a".repeat(200));
    let started = Instant::now();
    let mut cut = None;
    for b in head.as_bytes() {
        if slow.write_all(&[*b]).is_err() {
            cut = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(6) {
            break;
        }
    }
    let cut = cut.or_else(|| read_until_closed(&mut slow, Duration::from_secs(1)).1.map(|_| started.elapsed()));
    let cut = cut.expect("the slow head is cut");
    assert!(cut < Duration::from_secs(4), "cut after {cut:?}");
    // A kept-alive connection that goes quiet after its answer is closed too.
    let mut kept = TcpStream::connect(&host).unwrap();
    kept.write_all(
        format!("GET /v1/whoami HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {staff}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let (got, closed) = read_until_closed(&mut kept, Duration::from_secs(5));
    assert_eq!(raw_status(&got), 200);
    let closed = closed.expect("a quiet kept-alive connection is closed");
    assert!(closed < Duration::from_secs(3), "closed after {closed:?}");
    // The cap: 8 idle sockets hold every slot; a 9th client waits in the backlog and is served
    // once the timeout frees a slot.
    let hogs: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(&host).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let r = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(format!("{}/v1/whoami", server.url))
        .bearer_auth(&staff)
        .send()
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(r.status().as_u16(), 200);
    assert!(waited >= Duration::from_millis(400), "the 9th connection was served at once ({waited:?}): no cap");
    assert!(waited < Duration::from_secs(5), "served after {waited:?}");
    drop(hogs);
}

#[test]
fn per_token_rate_limits_and_daily_quotas_answer_429_with_retry_after() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let espoo = token(&env, &db, &["--city", "fi-espoo"]);
    // The request rate: a burst of 3, then 1 a second.
    {
        let server = start(&db, &["--rate", "1", "--burst", "3"]);
        let whoami = |t: &str| answer(http().get(format!("{}/v1/whoami", server.url)).bearer_auth(t).send().unwrap());
        for _ in 0..3 {
            assert_eq!(whoami(&cork).status, 200);
        }
        let limited = whoami(&cork);
        assert_eq!(limited.status, 429);
        assert_eq!(limited.body["code"], "rate_limited");
        assert_eq!(limited.body["fields"], json!([]));
        assert!(limited.body["message"].as_str().unwrap().contains("too many requests"));
        assert!((1..=2).contains(&retry_after(&limited)));
        // Another token has its own bucket; the feed is not limited.
        assert_eq!(whoami(&espoo).status, 200);
        for _ in 0..10 {
            assert_eq!(http().get(format!("{}/v1/feed.json", server.url)).send().unwrap().status().as_u16(), 200);
        }
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(whoami(&cork).status, 200, "a token comes back after Retry-After");
    }
    // The daily quotas: 2 submissions and 20,000 bytes of photos per token.
    let server = start(&db, &["--rate", "0", "--submissions-per-day", "2", "--upload-bytes-per-day", "20000"]);
    for k in ["q1", "q2"] {
        let body = submission(&env, "ie-cork", |p| p["tagline"] = json!(format!("quota {k}")));
        assert_eq!(post_submission(&server.url, &cork, "ie-cork", k, &body).status, 201);
    }
    let body = submission(&env, "ie-cork", |p| p["tagline"] = json!("quota q3"));
    let over = post_submission(&server.url, &cork, "ie-cork", "q3", &body);
    assert_eq!(over.status, 429, "{}", over.body);
    assert_eq!(over.body["code"], "rate_limited");
    let secs = retry_after(&over);
    assert!(secs > 86_000 && secs <= 86_400, "Retry-After {secs}: when the oldest leaves the 24 hours");
    // A replay is not a new submission: still answered.
    let body1 = submission(&env, "ie-cork", |p| p["tagline"] = json!("quota q1"));
    assert_eq!(post_submission(&server.url, &cork, "ie-cork", "q1", &body1).status, 201);
    // Staff are the publisher: a member list of 425 rows is sent in one go, so their
    // submissions have no daily quota (the per-second rate still applies).
    let staff = token(&env, &db, &["--staff"]);
    for (i, city) in ["fi-espoo", "kr-suwon", "gb-bristol"].iter().enumerate() {
        let body = submission(&env, city, |p| p["tagline"] = json!(format!("staff {i}")));
        let r = post_submission(&server.url, &staff, city, &format!("s{i}"), &body);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // Photos: 14,404 bytes fit, 3,959 more fit, a third of 3,600 pixels of noise does not.
    let put = |t: &str, bytes: &[u8]| {
        let sha = sha_hex(bytes);
        answer(
            http()
                .put(format!("{}/v1/cities/ie-cork/media/{sha}", server.url))
                .bearer_auth(t)
                .header("Content-Type", "image/jpeg")
                .body(bytes.to_vec())
                .send()
                .unwrap(),
        )
    };
    let jpg = std::fs::read(common::repo().join("tests/fixtures/images/photo.jpg")).unwrap();
    let png = std::fs::read(common::repo().join("tests/fixtures/images/photo.png")).unwrap();
    assert_eq!(put(&cork, &jpg).status, 201);
    assert_eq!(put(&cork, &png).status, 201);
    let third = put(&cork, &noise_png(60, 60));
    assert_eq!(third.status, 429, "{}", third.body);
    assert_eq!(third.body["code"], "rate_limited");
    assert!(retry_after(&third) > 86_000);
    // An upload of a photo already held costs nothing and is answered 200.
    assert_eq!(put(&cork, &jpg).status, 200);
}

/// A valid grey PNG of `w`×`h` pixels of noise (it does not compress: about w×h bytes).
fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let pixels: Vec<u8> = (0..w * h)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&pixels).unwrap();
        wr.finish().unwrap();
    }
    out
}

/// A 1×1 PNG whose header claims `w`×`h` pixels (CRC fixed up): refused from its header.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut b = noise_png(1, 1);
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4) …, CRC after 13 bytes.
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&b[12..29]);
    b[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    b
}

#[test]
fn photos_are_uploaded_before_the_submission_that_names_them() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let espoo = token(&env, &db, &["--city", "fi-espoo"]);
    let staff = token(&env, &db, &["--staff"]);
    let server = start(&db, &[]);
    let url = server.url.clone();
    let jpg = std::fs::read(common::repo().join("tests/fixtures/images/photo.jpg")).unwrap();
    let png = std::fs::read(common::repo().join("tests/fixtures/images/photo.png")).unwrap();
    let (jpg_sha, png_sha) = (sha_hex(&jpg), sha_hex(&png));
    let with_photos = submission(&env, "ie-cork", |p| {
        p["photos"] = json!([
            { "sha256": jpg_sha, "mime": "image/jpeg", "caption": "The English Market", "credit": null, "licence": null },
            { "sha256": png_sha, "mime": "image/png", "caption": "Learning festival poster", "credit": null, "licence": null },
        ])
    });
    // Neither photo is on the server: 422 naming the first, one field error per photo, nothing
    // stored.
    let a = post_submission(&url, &cork, "ie-cork", "photos-1", &with_photos);
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(a.body["code"], "invalid_input");
    let message = a.body["message"].as_str().unwrap();
    assert!(message.contains(&jpg_sha) && message.contains("The English Market"), "{message}");
    let paths: Vec<&str> = a.body["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["$.portrait.photos[0].sha256", "$.portrait.photos[1].sha256"]);
    let list: Value = http().get(format!("{url}/v1/submissions")).bearer_auth(&staff).send().unwrap().json().unwrap();
    assert!(list["submissions"].as_array().unwrap().is_empty());

    // HEAD answers 404 without a body for a photo not held.
    let head = http().head(format!("{url}/v1/media/{jpg_sha}")).send().unwrap();
    assert_eq!(head.status().as_u16(), 404);
    assert!(head.bytes().unwrap().is_empty());

    let put = |t: Option<&str>, city: &str, sha: &str, bytes: &[u8], ct: &str| {
        let mut r =
            http().put(format!("{url}/v1/cities/{city}/media/{sha}")).header("Content-Type", ct).body(bytes.to_vec());
        if let Some(t) = t {
            r = r.bearer_auth(t);
        }
        answer(r.send().unwrap())
    };
    // No token: 401; another city's token: 403; a malformed id: 400; an unknown city: 404.
    assert_eq!(put(None, "ie-cork", &jpg_sha, &jpg, "image/jpeg").status, 401);
    assert_eq!(put(Some(&espoo), "ie-cork", &jpg_sha, &jpg, "image/jpeg").status, 403);
    assert_eq!(put(Some(&cork), "ie-cork", "XYZ", &jpg, "image/jpeg").status, 400);
    assert_eq!(put(Some(&staff), "zz-nowhere", &jpg_sha, &jpg, "image/jpeg").status, 404);
    // Bytes that do not hash to the path: 422 naming the photo.
    let wrong = put(Some(&cork), "ie-cork", &jpg_sha, &png, "image/jpeg");
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.body["code"], "invalid_input");
    assert!(wrong.body["message"].as_str().unwrap().contains(&jpg_sha), "{}", wrong.body);
    // Not an image, or over the pixel budget (from the header alone): 422 with the reason.
    let text = b"hello, I am not a photo".to_vec();
    let bad = put(Some(&cork), "ie-cork", &sha_hex(&text), &text, "image/jpeg");
    assert_eq!(bad.status, 422);
    assert!(bad.body["message"].as_str().unwrap().contains("not a JPEG or PNG"), "{}", bad.body);
    let huge = png_claiming(6000, 6000);
    let bad = put(Some(&cork), "ie-cork", &sha_hex(&huge), &huge, "image/png");
    assert_eq!(bad.status, 422);
    assert!(bad.body["message"].as_str().unwrap().contains("6000×6000"), "{}", bad.body);
    // The JPEG: 201 when new, 200 with the same body when already held.
    let first = put(Some(&cork), "ie-cork", &jpg_sha, &jpg, "image/jpeg");
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body, json!({ "sha256": jpg_sha, "mime": "image/jpeg", "size": jpg.len() }));
    let again = put(Some(&cork), "ie-cork", &jpg_sha, &jpg, "image/jpeg");
    assert_eq!((again.status, &again.body), (200, &first.body));
    // The PNG sent as image/jpeg (by staff, for any city) is stored as what its bytes are.
    let p = put(Some(&staff), "ie-cork", &png_sha, &png, "image/jpeg");
    assert_eq!(p.status, 201);
    assert_eq!(p.body["mime"], "image/png");
    // HEAD now answers 200 without a body; GET gives the bytes.
    let head = http().head(format!("{url}/v1/media/{jpg_sha}")).send().unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert!(head.bytes().unwrap().is_empty());
    let got = http().get(format!("{url}/v1/media/{png_sha}")).send().unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().unwrap().to_vec(), png);
    // Now the submission is accepted.
    let a = post_submission(&url, &cork, "ie-cork", "photos-1", &with_photos);
    assert_eq!(a.status, 201, "{}", a.body);
}

#[test]
fn submission_lists_are_paginated_and_review_list_follows_them() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let cork = token(&env, &db, &["--city", "ie-cork"]);
    let staff = token(&env, &db, &["--staff"]);
    let server = start(&db, &[]);
    let url = server.url.clone();
    for i in 0..7 {
        let body = submission(&env, "ie-cork", |p| p["tagline"] = json!(format!("page {i}")));
        assert_eq!(post_submission(&url, &cork, "ie-cork", &format!("page-{i}"), &body).status, 201);
    }
    let get = |t: &str, path: &str| answer(http().get(format!("{url}{path}")).bearer_auth(t).send().unwrap());
    // Pages of 3: 3 + 3 + 1, in order, each id once.
    for (base, t) in [("/v1/submissions?", staff.as_str()), ("/v1/cities/ie-cork/submissions?", cork.as_str())] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut sizes = Vec::new();
        loop {
            let q = match &after {
                Some(a) => format!("{base}limit=3&after={a}"),
                None => format!("{base}limit=3"),
            };
            let page = get(t, &q);
            assert_eq!(page.status, 200, "{}", page.body);
            let list = page.body["submissions"].as_array().unwrap();
            sizes.push(list.len());
            seen.extend(list.iter().map(|s| s["id"].as_str().unwrap().to_string()));
            match page.body["next"].as_str() {
                Some(n) => after = Some(n.to_string()),
                None => {
                    assert!(page.body["next"].is_null());
                    break;
                }
            }
        }
        assert_eq!(sizes, [3, 3, 1], "{base}");
        let all = get(t, base.trim_end_matches('?'));
        let ids: Vec<String> =
            all.body["submissions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(seen, ids, "pages in the order of the whole list");
        assert!(all.body["next"].is_null());
    }
    // The status filter pages too; bad parameters are 400.
    assert_eq!(
        get(&staff, "/v1/submissions?status=superseded&limit=5").body["submissions"].as_array().unwrap().len(),
        5
    );
    // Each new submission replaced the open one: six superseded, one open.
    let open = get(&staff, "/v1/submissions?status=submitted,in_review,changes_requested");
    assert_eq!(open.body["submissions"].as_array().unwrap().len(), 1, "{}", open.body);
    for bad in ["limit=0", "limit=501", "limit=x", "after=zz", "after=00", "status=nope"] {
        let a = get(&staff, &format!("/v1/submissions?{bad}"));
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(a.body["code"], "invalid_input");
    }
    drop(server);

    // 1,207 submissions (1,200 copied in SQL): `review list` follows `next` across pages of
    // 500 and lists every one once.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
             INSERT INTO submissions(id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
                                     response, comments, published_version, created_at, updated_at)
             SELECT printf('sub_copy_%05d', i), city_id, base_version, body, status, token_id, 'copy-' || i,
                    request_sha256, response, comments, published_version, created_at, updated_at
             FROM n, (SELECT * FROM submissions LIMIT 1)",
        )
        .unwrap();
    }
    let server = start(&db, &[]);
    let staff_file = env.path("staff.token");
    std::fs::write(&staff_file, format!("{staff}\n")).unwrap();
    let listed = env
        .run_db(
            &env.path("client.sqlite3"),
            &["review", "list", "--feed", &server.url, "--token-file", staff_file.to_str().unwrap(), "--json"],
        )
        .ok()
        .json();
    let ids: std::collections::BTreeSet<&str> =
        listed["submissions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(listed["submissions"].as_array().unwrap().len(), 1207);
    assert_eq!(ids.len(), 1207);
}

#[test]
fn graceful_shutdown_still_answers_and_exits() {
    let env = Env::new();
    let db = env.path("server.sqlite3");
    let mut server = start(&db, &[]);
    assert_eq!(http().get(format!("{}/v1/feed.json", server.url)).send().unwrap().status().as_u16(), 200);
    // SIGTERM: the server stops accepting and exits by itself.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}: {}", server.log());
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.log().contains("shutting down"), "{}", server.log());
}

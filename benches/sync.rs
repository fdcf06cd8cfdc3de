//! Sync benchmarks (release build): a full sync of a synthetic catalogue of 5,000 portraits from
//! the real server on loopback into a fresh client database, a no-change poll, and a
//! conditional GET answered 304 — each end to end (HTTP on 127.0.0.1, SQLite files).
//!
//! Run: `cargo bench --bench sync` (BENCH_PORTRAITS, BENCH_RUNS to change the sizes).

use std::time::{Duration, Instant};

use portraits::store::Store;
use portraits::sync;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

fn main() {
    let n: usize = std::env::var("BENCH_PORTRAITS").ok().and_then(|s| s.parse().ok()).unwrap_or(5000);
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    // The server's database: the bundled catalogue plus n synthetic portraits.
    let server_db = dir.path().join("server.sqlite3");
    {
        let (mut store, _) = Store::open(&server_db).expect("open");
        portraits::bundled::seed(&mut store).expect("seed");
        store.import(&portraits::synth::portraits(n)).expect("import");
    }
    let (store, _) = Store::open(&server_db).expect("open");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = portraits::server::router(store, &format!("http://{addr}"), Duration::from_secs(60));
    rt.spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}");
    let opts = sync::Options::default();
    // Warm the server's feed cache (built once per catalogue version).
    let _ = sync::Http::new(opts.clone())
        .expect("http")
        .send(&format!("{url}/v1/feed.json"), &|c| c.get(format!("{url}/v1/feed.json")));

    println!("Sync from the real server on 127.0.0.1, {} portraits in the feed ({n} synthetic + 47 seed):\n", n + 47);
    println!("| what | runs | median | min | max |");
    println!("|---|---:|---:|---:|---:|");
    let mut full = Vec::new();
    let mut size = 0;
    for i in 0..runs {
        let db = dir.path().join(format!("client-{i}.sqlite3"));
        let (mut client, _) = Store::open(&db).expect("client");
        let t = Instant::now();
        let r = sync::pull(&mut client, &url, &opts, &mut |_| {}).expect("sync");
        full.push(t.elapsed());
        assert_eq!(r.added.len(), n + 47, "every version applied");
        size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    }
    full.sort();
    println!(
        "| full sync into an empty database (snapshot: download, parse, validate, apply in one transaction) | {runs} | {:.0} ms | {:.0} ms | {:.0} ms |",
        pct(&full, 0.5),
        pct(&full, 0.0),
        pct(&full, 1.0)
    );
    // A no-change poll: the client asks for changes after its cursor; none.
    let db = dir.path().join("client-0.sqlite3");
    let (mut client, _) = Store::open(&db).expect("client");
    let mut polls = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let r = sync::pull(&mut client, &url, &opts, &mut |_| {}).expect("poll");
        polls.push(t.elapsed());
        assert!(r.added.is_empty());
    }
    polls.sort();
    println!(
        "| no-change poll (`/v1/changes` after the cursor, empty page, cursor committed) | 200 | {:.2} ms | {:.2} ms | {:.2} ms |",
        pct(&polls, 0.5),
        pct(&polls, 0.0),
        pct(&polls, 1.0)
    );
    // A conditional GET of the feed answered 304.
    let mut http = sync::Http::new(opts.clone()).expect("http");
    let feed_url = format!("{url}/v1/feed.json");
    let etag = http.send(&feed_url, &|c| c.get(&feed_url)).expect("get").etag.expect("etag");
    let mut c304 = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        let got = http.send(&feed_url, &|c| c.get(&feed_url).header("If-None-Match", etag.as_str())).expect("304");
        c304.push(t.elapsed());
        assert_eq!(got.status, 304);
    }
    c304.sort();
    println!(
        "| conditional GET of the feed answered 304 (keep-alive client) | 1000 | {:.3} ms | {:.3} ms | p95 {:.3} ms |",
        pct(&c304, 0.5),
        pct(&c304, 0.0),
        pct(&c304, 0.95)
    );
    println!("\nclient database after the full sync: {:.1} MB", size as f64 / 1e6);
}

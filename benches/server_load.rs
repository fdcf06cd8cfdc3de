//! The server under load (release build): the real `portraits serve` (default limits) on
//! 127.0.0.1, its database the 47 seed portraits plus 3,000 synthetic cities. Measures the
//! latency of `GET /v1/whoami` (staff token, one request every 55 ms: under the 20 a second
//! rate limit) with no other load (the reference), then while 32 clients poll
//! `/v1/changes?since=<cursor>` in a loop — at the tip of the log (an up-to-date laptop's poll)
//! and walking it from 0 (a laptop catching up, every page 500 items, gzip) — and while 600 and
//! then 1,100 slowloris sockets trickle a request head one byte a second. Every phase is
//! bounded in time; the server is stopped at the end.
//!
//! Run: `cargo bench --bench server_load` (or `scripts/bench-server-load.sh`).
//! LOAD_CITIES (3000), LOAD_POLLERS (32), LOAD_SAMPLES (400), LOAD_SLOW (600), LOAD_SLOW_OVER
//! (1100) change the sizes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use portraits::store::Store;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &str, db: &std::path::Path) -> Server {
    let mut child = Command::new(bin)
        .args(["--db", db.to_str().expect("path"), "serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start portraits serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    // Drain the request log (a full pipe would stall the server).
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_string());
                    sent = true;
                }
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(60)).expect("server did not start");
    Server { child, url }
}

/// `samples` whoami requests, one every `gap`; `fresh` opens a new connection for each (and
/// then no request is left out: the first one counts too; on a kept-alive connection one
/// request first opens the connection). Returns the sorted latencies of the 200s and the number
/// of other answers or failures.
fn whoami(url: &str, token: &str, samples: usize, gap: Duration, fresh: bool) -> (Vec<Duration>, usize) {
    let mut b = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60));
    if fresh {
        b = b.pool_max_idle_per_host(0);
    }
    let client = b.build().expect("client");
    let target = format!("{url}/v1/whoami");
    if !fresh {
        let _ = client.get(&target).bearer_auth(token).send();
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut ok = Vec::new();
    let mut bad = 0;
    for _ in 0..samples {
        let t = Instant::now();
        match client.get(&target).bearer_auth(token).send() {
            Ok(r) if r.status().as_u16() == 200 => {
                let _ = r.bytes();
                ok.push(t.elapsed());
            }
            _ => bad += 1,
        }
        std::thread::sleep(gap.saturating_sub(t.elapsed()));
    }
    ok.sort();
    (ok, bad)
}

/// 32 pollers of `/v1/changes`: at the tip (`from_zero` false) or walking the log from 0 and
/// starting over. Returns the stop flag, the counters of pages answered and of 503s, and the
/// threads.
fn pollers(url: &str, n: usize, from_zero: bool, tip: u64) -> Pollers {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let shed = Arc::new(AtomicU64::new(0));
    let threads = (0..n)
        .map(|_| {
            let (url, stop, count, shed) = (url.to_string(), stop.clone(), count.clone(), shed.clone());
            std::thread::spawn(move || {
                let client =
                    reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
                let mut cursor = if from_zero { 0 } else { tip };
                while !stop.load(Ordering::Relaxed) {
                    let r = client.get(format!("{url}/v1/changes?since={cursor}")).send();
                    let Ok(r) = r else { continue };
                    if r.status().as_u16() != 200 {
                        // 503 busy: shed under load; back off as a client does.
                        shed.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                    let Ok(page) = r.json::<serde_json::Value>() else { continue };
                    count.fetch_add(1, Ordering::Relaxed);
                    if from_zero {
                        let more = page["hasMore"].as_bool().unwrap_or(false);
                        cursor = if more { page["lastVersion"].as_u64().unwrap_or(0) } else { 0 };
                    }
                }
            })
        })
        .collect();
    Pollers { stop, count, shed, threads }
}

struct Pollers {
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
    shed: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Slowloris sockets: each sends the start of a request head, then one more byte a second,
/// never finishing it. Returns, for each socket, how long it stayed open (None: still open at
/// `limit`), and the whoami figures measured on fresh connections while they were open.
fn slowloris(url: &str, token: &str, n: usize, limit: Duration) -> (Vec<Option<Duration>>, (Vec<Duration>, usize)) {
    let host = url.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut socks: Vec<(TcpStream, Option<Duration>)> = Vec::new();
    for _ in 0..n {
        match TcpStream::connect(&host) {
            Ok(mut s) => {
                let _ = s.write_all(format!("GET /v1/feed.json HTTP/1.1\r\nHost: {host}\r\nX-Slow: ").as_bytes());
                let _ = s.set_nonblocking(true);
                socks.push((s, None));
            }
            Err(e) => panic!("connect {} failed: {e}", socks.len()),
        }
    }
    let measuring = {
        let (url, token) = (url.to_string(), token.to_string());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            whoami(&url, &token, 20, Duration::from_millis(200), true)
        })
    };
    let mut tick = 0u64;
    let mut buf = [0u8; 1024];
    while started.elapsed() < limit && socks.iter().any(|(_, cut)| cut.is_none()) {
        std::thread::sleep(Duration::from_millis(250));
        tick += 1;
        for (s, cut) in socks.iter_mut().filter(|(_, c)| c.is_none()) {
            let closed = match s.read(&mut buf) {
                Ok(_) => true, // EOF, or an answer: either way the head is no longer being read
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
                Err(_) => true,
            };
            let closed = closed || (tick.is_multiple_of(4) && s.write_all(b"a").is_err());
            if closed {
                *cut = Some(started.elapsed());
            }
        }
    }
    let measured = measuring.join().expect("whoami thread");
    (socks.into_iter().map(|(_, c)| c).collect(), measured)
}

fn main() {
    let cities = env_or("LOAD_CITIES", 3000);
    let n_pollers = env_or("LOAD_POLLERS", 32);
    let samples = env_or("LOAD_SAMPLES", 400);
    let n_slow = env_or("LOAD_SLOW", 600);
    // Over the cap of 1,024 connections, within the cap plus the listen backlog (the kernel caps
    // it at net.core.somaxconn: 128 here), so that every connect completes.
    let n_over = env_or("LOAD_SLOW_OVER", 1100);
    portraits::sync::install_crypto();
    let bin = env!("CARGO_BIN_EXE_portraits");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("server.sqlite3");
    {
        let (mut store, _) = Store::open(&db).expect("open");
        portraits::bundled::seed(&mut store).expect("seed");
        store.import(&portraits::synth::portraits(cities)).expect("import");
    }
    let out = Command::new(bin).args(["--db", db.to_str().expect("path"), "token", "issue", "--staff"]).output();
    let token = String::from_utf8_lossy(&out.expect("token issue").stdout).trim().to_string();
    let server = start(bin, &db);
    let url = server.url.clone();
    // The tip of the change log: walk it once.
    let mut tip = 0;
    loop {
        let page: serde_json::Value = reqwest::blocking::get(format!("{url}/v1/changes?since={tip}&limit=1000"))
            .and_then(|r| r.json())
            .expect("a change page");
        tip = page["lastVersion"].as_u64().expect("lastVersion");
        if !page["hasMore"].as_bool().unwrap_or(false) {
            break;
        }
    }
    let gap = Duration::from_millis(55);
    println!(
        "`portraits serve` (release, default limits) on 127.0.0.1; {} cities in its database ({cities} synthetic + 44 seed), catalogue version {tip}; whoami every {} ms with a staff token; {n_pollers} pollers; 2 shared cores\n",
        cities + 44,
        gap.as_millis()
    );
    println!("| load | whoami answered | p50 | p99 | max | ratio p50 / p99 to no load | polls/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, (lat, bad): &(Vec<Duration>, usize), reference: Option<(f64, f64)>, polls: Option<f64>| {
        let (p50, p99) = (pct(lat, 0.5), pct(lat, 0.99));
        let ratio =
            reference.map_or("1 (reference)".to_string(), |(r50, r99)| format!("{:.2} / {:.2}", p50 / r50, p99 / r99));
        println!(
            "| {name} | {}/{} | {p50:.2} ms | {p99:.2} ms | {:.2} ms | {ratio} | {} |",
            lat.len(),
            lat.len() + bad,
            pct(lat, 1.0),
            polls.map_or("–".to_string(), |p| format!("{p:.0}"))
        );
        (p50, p99)
    };

    let mut shed_report: Vec<String> = Vec::new();
    let reference = whoami(&url, &token, samples, gap, false);
    let r = row("none (reference)", &reference, None, None);

    for (name, from_zero) in [
        ("32 pollers at the tip (`since=<tip>`, empty page)", false),
        ("32 pollers walking the log from 0 (500-item pages, gzip)", true),
    ] {
        let p = pollers(&url, n_pollers, from_zero, tip);
        std::thread::sleep(Duration::from_secs(1));
        let (c0, s0) = (p.count.load(Ordering::Relaxed), p.shed.load(Ordering::Relaxed));
        let t0 = Instant::now();
        let measured = whoami(&url, &token, samples, gap, false);
        let secs = t0.elapsed().as_secs_f64();
        let polls = (p.count.load(Ordering::Relaxed) - c0) as f64 / secs;
        let shed = p.shed.load(Ordering::Relaxed) - s0;
        p.stop.store(true, Ordering::Relaxed);
        for t in p.threads {
            let _ = t.join();
        }
        row(&name.replace("32", &n_pollers.to_string()), &measured, Some(r), Some(polls));
        if shed > 0 {
            shed_report.push(format!(
                "{name}: {shed} polls answered 503 busy in {secs:.0} s (the pollers waited 1 s after each)"
            ));
        }
    }

    let fresh_reference = whoami(&url, &token, 50, Duration::from_millis(100), true);
    let fr = row("none, a new connection per request (reference for the next rows)", &fresh_reference, None, None);
    let mut cut_report = Vec::new();
    for n in [n_slow, n_over] {
        let (cuts, measured) = slowloris(&url, &token, n, Duration::from_secs(40));
        row(&format!("{n} slowloris sockets open (whoami on new connections)"), &measured, Some(fr), None);
        let mut times: Vec<Duration> = cuts.iter().flatten().copied().collect();
        times.sort();
        let open = cuts.iter().filter(|c| c.is_none()).count();
        let first_wave = times.iter().filter(|t| **t < Duration::from_secs(15)).count();
        cut_report.push(format!(
            "{n} slowloris sockets: {} cut by the server ({first_wave} within 15 s: min {:.1} s, median {:.1} s, max {:.1} s; the rest by {:.1} s), {open} still open after 40 s",
            times.len(),
            times.first().map_or(f64::NAN, |d| d.as_secs_f64()),
            times.get(times.len() / 2).map_or(f64::NAN, |d| d.as_secs_f64()),
            times.iter().rfind(|t| **t < Duration::from_secs(15)).map_or(f64::NAN, |d| d.as_secs_f64()),
            times.last().map_or(f64::NAN, |d| d.as_secs_f64()),
        ));
        std::thread::sleep(Duration::from_secs(1));
    }
    println!();
    for line in shed_report.into_iter().chain(cut_report) {
        println!("- {line}");
    }
    // The server still answers at the end.
    let end = whoami(&url, &token, 5, gap, true);
    println!("- after the slowloris rounds: {}/5 whoami answered", end.0.len());
    drop(server);
    let _ = std::io::stdout().flush();
}

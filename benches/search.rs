//! Search latency over a synthetic catalogue of 10,000 portraits (the 47 seed portraits'
//! text, rotated, under new ids) in a real SQLite file: p50 and p95 per query kind.
//!
//! Run: `cargo bench --bench search` (release build). Prints a Markdown table for BENCHMARKS.md.

use std::time::{Duration, Instant};

use portraits::store::{CityFilter, SearchQuery, Store};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// The FTS5 expression the store builds for a query (words quoted, `*` kept): enough for the
/// reference queries here.
fn fts_expression(text: &str) -> String {
    if text.starts_with('"') {
        return text.to_string();
    }
    // As the store reads a query: the last word typed is a prefix.
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match w.strip_suffix('*') {
            Some(p) => format!("\"{}\"*", portraits::model::fold(p).to_lowercase()),
            None if i + 1 == words.len() => format!("\"{}\"*", portraits::model::fold(w).to_lowercase()),
            None => format!("\"{}\"", portraits::model::fold(w).to_lowercase()),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let n: usize = std::env::var("BENCH_PORTRAITS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let iters: usize = std::env::var("BENCH_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.sqlite3");
    let (mut store, _) = Store::open(&db).expect("open");
    let t = Instant::now();
    store.import(&portraits::synth::portraits(n)).expect("import");
    eprintln!("imported {n} synthetic portraits in {:.2?}", t.elapsed());
    let region = |r| CityFilter { region: Some(r), ..Default::default() };
    let cases: Vec<(&str, &str, CityFilter)> = vec![
        ("common word", "learning", CityFilter::default()),
        ("rare word", "sonderborg", CityFilter::default()),
        ("diacritics folded", "eskisehir", CityFilter::default()),
        ("prefix", "learn*", CityFilter::default()),
        ("two words + prefix", "lifelong learn*", CityFilter::default()),
        ("phrase", "\"learning city\"", CityFilter::default()),
        ("word + region filter", "learning", region(portraits::model::Region::Africa)),
        ("as you type: 3 letters", "cor", CityFilter::default()),
        ("as you type: 4 letters", "eski", CityFilter::default()),
        ("no match", "xylophonequartz", CityFilter::default()),
    ];
    println!("Search over {n} portraits, {iters} runs per query, 20 hits with snippets:\n");
    // Reference, in the same run: SQLite FTS5's own exact bm25 ranking of every match, top 20
    // rowids, no snippets (what `store::search` would cost without its candidate cap).
    let reference = rusqlite::Connection::open(&db).expect("open reference");
    println!("| query kind | query | hits | p50 | p95 | reference p50 (exact bm25, no snippets) | ratio p50 |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (kind, text, filter) in cases {
        let q = SearchQuery { text: text.into(), filter, limit: Some(20) };
        let hits = store.search(&q).expect("search").len(); // warm-up
        let mut times = Vec::with_capacity(iters);
        for _ in 0..iters {
            let t = Instant::now();
            std::hint::black_box(store.search(&q).expect("search"));
            times.push(t.elapsed());
        }
        times.sort();
        let expr = fts_expression(text);
        let mut stmt = reference
            .prepare("SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rank LIMIT 20")
            .expect("prepare reference");
        let mut ref_times = Vec::with_capacity(iters);
        for _ in 0..iters {
            let t = Instant::now();
            let rows: Vec<i64> =
                stmt.query_map([&expr], |r| r.get(0)).expect("query").map(|r| r.expect("row")).collect();
            std::hint::black_box(rows);
            ref_times.push(t.elapsed());
        }
        ref_times.sort();
        let (p50, p95, r50) = (percentile(&times, 0.5), percentile(&times, 0.95), percentile(&ref_times, 0.5));
        println!(
            "| {kind} | `{text}` | {hits} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} |",
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
            r50.as_secs_f64() * 1e3,
            p50.as_secs_f64() / r50.as_secs_f64()
        );
    }
}

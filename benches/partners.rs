//! Partner finder over a synthetic catalogue of 10,000 portraits (the 2016 portraits' text under
//! new ids, with thematic clusters and interests): the time to build the model once, and the
//! time to answer one city's partners from it — through the app (a real SQLite file, the
//! store's checks, the model kept per catalogue) and on the model alone — p50 and p95.
//! Reference, in the same run: the cold path (build the model, then ask), which is what each
//! question would cost without the kept model; the ratio is reported.
//!
//! Run: `cargo bench --bench partners` (release build). Prints Markdown for BENCHMARKS.md.

use std::time::{Duration, Instant};

use portraits::model::similar::Model;
use portraits::model::Region;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize = std::env::var("BENCH_PORTRAITS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let iters: usize = std::env::var("BENCH_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let items = portraits::synth::portraits(n);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.sqlite3");
    let (mut store, _) = portraits::store::Store::open(&db).expect("open");
    let t = Instant::now();
    store.import(&items).expect("import");
    eprintln!("imported {n} synthetic portraits in {:.2?}", t.elapsed());
    let all: Vec<_> = items.into_iter().map(|i| i.portrait).collect();
    let ids: Vec<String> = (0..iters).map(|k| all[(k * 7919) % all.len()].city.id.clone()).collect();

    // Building the model (what the first question after a catalogue change costs).
    let mut builds = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(Model::new(&all));
        builds.push(t.elapsed());
    }
    builds.sort();
    let model = Model::new(&all);

    let time = |f: &dyn Fn(&str)| {
        let mut times: Vec<Duration> = ids
            .iter()
            .map(|id| {
                let t = Instant::now();
                f(id);
                t.elapsed()
            })
            .collect();
        times.sort();
        times
    };
    // The app's first question after a catalogue change: read every latest portrait from the
    // database, build, ask (then kept).
    let t = Instant::now();
    portraits::app::partners(&store, &ids[0], 5, None).expect("partners");
    let first = t.elapsed();
    let t = Instant::now();
    std::hint::black_box(store.latest_portraits().expect("latest"));
    let load = t.elapsed();
    let app = time(&|id| {
        std::hint::black_box(portraits::app::partners(&store, id, 5, None).expect("partners"));
    });
    let alone = time(&|id| {
        std::hint::black_box(model.partners(id, 5, None).expect("partners"));
    });
    let region = time(&|id| {
        std::hint::black_box(model.partners(id, 5, Some(Region::Africa)).expect("partners"));
    });
    // Reference: the cold path, build + ask, a few times (it is slow).
    let mut cold = Vec::new();
    for id in ids.iter().take(5) {
        let t = Instant::now();
        std::hint::black_box(Model::new(&all).partners(id, 5, None));
        cold.push(t.elapsed());
    }
    cold.sort();

    println!("Partner finder over {n} portraits, {iters} questions (5 partners each, with reasons):\n");
    println!("| what | p50 | p95 |");
    println!("|---|---:|---:|");
    println!(
        "| one city's partners through the app (SQLite checks + kept model) | {} | {} |",
        ms(percentile(&app, 0.5)),
        ms(percentile(&app, 0.95))
    );
    println!(
        "| one city's partners, model alone | {} | {} |",
        ms(percentile(&alone, 0.5)),
        ms(percentile(&alone, 0.95))
    );
    println!(
        "| … with a region filter (Africa) | {} | {} |",
        ms(percentile(&region, 0.5)),
        ms(percentile(&region, 0.95))
    );
    println!(
        "| building the model (once per catalogue change), 5 runs | {} | {} |",
        ms(percentile(&builds, 0.5)),
        ms(percentile(&builds, 0.95))
    );
    println!(
        "| reference: cold path, build + ask, 5 runs | {} | {} |",
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 0.95))
    );
    println!(
        "| the app's first question after a change (read {n} portraits from SQLite, build, ask), 1 run | {} | |",
        ms(first)
    );
    println!("| … of which reading the portraits from SQLite, 1 run | {} | |", ms(load));
    println!(
        "\nRatio: the cold path takes {:.0}× the app's kept-model answer (p50).",
        percentile(&cold, 0.5).as_secs_f64() / percentile(&app, 0.5).as_secs_f64()
    );
}

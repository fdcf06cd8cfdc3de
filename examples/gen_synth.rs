//! Writes a synthetic catalogue of N portrait files: `cargo run --example gen_synth -- N DIR`.
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "synthetic".into()));
    std::fs::create_dir_all(&dir).expect("create dir");
    for it in portraits::synth::portraits(n) {
        let path = dir.join(format!("{}.json", it.portrait.city.id));
        std::fs::write(path, portraits::model::to_canonical_json(&it.portrait)).expect("write");
    }
}

//! Writes a synthetic catalogue of N portrait files: `cargo run --example gen_synth -- N DIR`;
//! with `--network` first, a network spread as the real one (91 countries, five regions, each
//! city located): `gen_synth --network 425 DIR`.
fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let network = args.first().is_some_and(|a| a == "--network");
    if network {
        args.remove(0);
    }
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let dir = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "synthetic".into()));
    std::fs::create_dir_all(&dir).expect("create dir");
    let items = if network { portraits::synth::network(n) } else { portraits::synth::portraits(n) };
    for it in items {
        let path = dir.join(format!("{}.json", it.portrait.city.id));
        std::fs::write(path, portraits::model::to_canonical_json(&it.portrait)).expect("write");
    }
}

//! Compiles the bundled catalogue (data/portraits, data/booklets) into the binary, so the CLI
//! and the desktop app work from any directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let data = root.join("data");
    println!("cargo:rerun-if-changed=data/portraits");
    println!("cargo:rerun-if-changed=data/booklets");
    let mut code = String::new();
    for (name, sub, ext) in [("PORTRAITS", "portraits", "json"), ("BOOKLETS", "booklets", "toml")] {
        let mut list = Vec::new();
        files(&data.join(sub), ext, &mut list);
        list.sort();
        writeln!(code, "pub static {name}: &[(&str, &str)] = &[").unwrap();
        for p in &list {
            println!("cargo:rerun-if-changed={}", p.display());
            let rel = p.strip_prefix(&data).expect("under data/").to_string_lossy().replace('\\', "/");
            writeln!(code, "    ({rel:?}, include_str!({:?})),", p.display().to_string()).unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled.rs");
    std::fs::write(out, code).expect("write bundled.rs");
}

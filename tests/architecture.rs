//! The architecture's rules, checked mechanically (ARCHITECTURE.md, "Invariants"): the core
//! never depends on Tauri, the desktop binary carries no server or argument parser, the front
//! doors stay thin, the host speaks types, every module says what it owns, the code map and the
//! protocol document name what exists.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The packages `package` depends on for its normal build (what its binary links).
fn dependency_names(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["tree", "--locked", "--offline", "-p", package, "-e", "normal", "--prefix", "none", "-f", "{p}"])
        .output()
        .expect("cargo tree");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next().map(String::from)).collect()
}

#[test]
fn the_core_never_depends_on_tauri() {
    let deps = dependency_names("portraits");
    assert!(deps.len() > 50, "{deps:?}");
    let tauri: Vec<&String> = deps.iter().filter(|d| d.starts_with("tauri") || d.starts_with("wry")).collect();
    assert!(tauri.is_empty(), "the core depends on {tauri:?}");
}

#[test]
fn the_desktop_binary_carries_no_server_and_no_argument_parser() {
    let deps = dependency_names("portraits-desktop");
    assert!(deps.iter().any(|d| d == "portraits") && deps.iter().any(|d| d == "tauri"), "{deps:?}");
    for heavy in ["axum", "clap", "tracing-subscriber"] {
        assert!(!deps.iter().any(|d| d == heavy), "portraits-desktop links {heavy}");
    }
}

/// Every `fn` in a Rust file with its length in lines (from its signature to its closing
/// brace, at the same indentation).
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let is_fn = ["fn ", "pub fn ", "async fn ", "pub async fn ", "pub(crate) fn "].iter().any(|p| t.starts_with(p));
        if !is_fn || t.ends_with(';') {
            continue;
        }
        let indent = line.len() - t.len();
        let name = t.split('(').next().unwrap_or(t).to_string();
        let end = lines[i + 1..]
            .iter()
            .position(|l| l.len() > indent && l[..indent].trim().is_empty() && l[indent..].starts_with('}'))
            .map(|p| i + 1 + p);
        if let Some(end) = end {
            out.push((name, end - i + 1));
        }
    }
    out
}

#[test]
fn the_front_doors_are_thin() {
    for file in ["src/cli.rs", "src-tauri/src/main.rs"] {
        let lengths = function_lengths(&read(file));
        assert!(lengths.len() > 20, "{file}: {lengths:?}");
        let longest = lengths.iter().max_by_key(|(_, n)| *n).unwrap();
        assert!(longest.1 < 60, "{file}: {} is {} lines (under 60, please)", longest.0, longest.1);
    }
    // The shell calls use cases; SQL and store internals stay in the core.
    let shell = read("src-tauri/src/main.rs");
    for forbidden in ["conn.", "execute(", "rusqlite", "set_meta(", "reqwest"] {
        assert!(!shell.contains(forbidden), "src-tauri/src/main.rs uses {forbidden}");
    }
}

#[test]
fn the_host_speaks_types() {
    let host = read("ui/src/host-tauri.ts");
    assert!(!host.contains("any"), "ui/src/host-tauri.ts: no `any`");
    assert!(host.matches("invoke<").count() >= 30, "every command's answer is typed");
    assert!(!read("ui/src/host.ts").contains(": any"), "ui/src/host.ts: no `any`");
    // The review goes through typed commands, not a proxy of method and path.
    assert!(!read("src-tauri/src/main.rs").contains("async fn review("));
    let scripts = read("ui/package.json");
    assert!(scripts.contains("svelte-check"), "the UI's check runs svelte-check");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_says_what_it_owns_and_is_on_the_code_map() {
    let map = read("ARCHITECTURE.md");
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("src-tauri/src"), &mut files);
    assert!(files.len() > 30);
    let mut missing = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.starts_with("//!"), "{rel} starts with a //! doc saying what it owns");
        if !map.contains(&format!("`{rel}`")) {
            missing.push(rel);
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not name {missing:?}");
}

#[test]
fn the_protocol_document_names_every_error_code() {
    let doc = read("docs/protocol.md");
    for code in portraits::protocol::ErrorCode::ALL {
        assert!(doc.contains(&format!("`{}`", code.as_str())), "docs/protocol.md does not name `{code}`");
    }
    for status in portraits::protocol::SubmissionStatus::ALL {
        assert!(doc.contains(&format!("`{}`", status.as_str())), "docs/protocol.md does not name `{status}`");
    }
    assert!(!read("data/schema/feed.schema.json").contains("DESIGN §4"));
}

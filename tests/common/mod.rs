//! Helpers shared by the integration tests: run the real `portraits` binary on real database
//! files in a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "exit {}: stderr: {}\nstdout: {}", self.code, self.stderr, self.stdout);
        self
    }
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("portraits.sqlite3")
    }

    /// Runs `portraits --db <db> args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_db(&self.db(), args)
    }

    pub fn run_db(&self, db: &Path, args: &[&str]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_portraits"))
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("PORTRAITS_DB")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .output()
            .expect("run portraits");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// SHA-256 of a file's bytes, hex.
pub fn file_sha(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).expect("read file")))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
pub mod http;

/// A client machine: its own database and credentials file, quick retries.
pub struct Client<'a> {
    pub env: &'a Env,
    pub db: PathBuf,
}

impl<'a> Client<'a> {
    pub fn new(env: &'a Env, name: &str) -> Client<'a> {
        Client { env, db: env.path(&format!("{name}.sqlite3")) }
    }

    pub fn creds(&self) -> PathBuf {
        self.env.path(&format!("{}.creds.json", self.db.file_stem().unwrap().to_string_lossy()))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_with(&self.db, &self.creds(), args)
    }
}

/// Runs `portraits --db <db> args…` with a credentials file and quick retries.
pub fn run_with(db: &Path, creds: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_portraits"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("PORTRAITS_CREDENTIALS", creds)
        .env("PORTRAITS_RETRY_BASE_MS", "50")
        .env("PORTRAITS_HTTP_TIMEOUT", "5")
        .env_remove("PORTRAITS_DB")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Issues a token on the server's database (`token issue ARGS…`) into a file; returns its path.
pub fn token(env: &Env, server_db: &Path, args: &[&str]) -> PathBuf {
    let mut a = vec!["token", "issue"];
    a.extend_from_slice(args);
    let r = env.run_db(server_db, &a).ok();
    let t = r.stdout.trim().to_string();
    assert!(t.starts_with("gnlc_") && r.stdout.lines().count() == 1, "only the token on stdout: {}", r.stdout);
    assert!(r.stderr.contains("shown once"), "{}", r.stderr);
    let file = env.path(&format!("{}.token", args.join("-").replace("--", "")));
    std::fs::write(&file, format!("{t}\n")).unwrap();
    file
}

//! Import, export and backup through the real CLI on real database files: exact round trips,
//! all-or-nothing imports that leave the file byte-for-byte unchanged on bad input, immutable
//! versions, crash safety when the process is killed mid-import, and consistent backups.

mod common;
use common::{file_sha, Env};
use std::path::Path;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The number of versions in the seeded catalogue: 47 from the two booklets (three cities are
/// in both) and one more per city, its member record (location, mayor, focal point).
const SEEDED_VERSIONS: usize = 91;

/// Cork's next version (the latest + 1, from the catalogue), with a new tagline.
fn cork_next(env: &Env) -> serde_json::Value {
    let mut v = env.run(&["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    v["version"] = (v["version"].as_u64().unwrap() + 1).into();
    v["source"] = serde_json::json!({"booklet": null, "published": "2024-06-01"});
    v["tagline"] = "A city of learning festivals".into();
    v
}

#[test]
fn export_import_export_round_trips_exactly() {
    let env = Env::new();
    let a = env.path("a");
    env.run(&["export-json", a.to_str().unwrap()]).ok();
    // Into an empty database (not seeded): everything comes from the exported files.
    let empty = env.path("empty.sqlite3");
    let r = env.run_db(&empty, &["--no-seed", "import", a.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["added"].as_array().unwrap().len(), SEEDED_VERSIONS);
    assert_eq!(r["new_cities"].as_array().unwrap().len(), 44);
    let b = env.path("b");
    env.run_db(&empty, &["--no-seed", "export-json", b.to_str().unwrap()]).ok();
    let mut n = 0;
    for entry in walk(&a) {
        let rel = entry.strip_prefix(&a).unwrap();
        assert_eq!(std::fs::read(&entry).unwrap(), std::fs::read(b.join(rel)).unwrap(), "{}", rel.display());
        n += 1;
    }
    assert_eq!(n, SEEDED_VERSIONS);
    assert_eq!(walk(&b).len(), SEEDED_VERSIONS);
    // Importing the same files again changes nothing and says so.
    let again = env.run_db(&empty, &["--no-seed", "import", a.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(again["added"].as_array().unwrap().len(), 0);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), SEEDED_VERSIONS);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn a_new_version_is_imported_and_becomes_the_latest() {
    let env = Env::new();
    let next = cork_next(&env);
    let n = next["version"].as_u64().unwrap();
    let file = env.path("in/cork-next.json");
    write(&file, serde_json::to_string_pretty(&next).unwrap().as_bytes());
    let text = env.run(&["import", file.to_str().unwrap()]).ok().stdout;
    assert!(text.contains(&format!("added ie-cork version {n}")), "{text}");
    let v = env.run(&["show", "ie-cork", "--json"]).ok().json();
    assert_eq!(v["portrait"]["version"], n);
    assert_eq!(v["latest_version"], n);
    assert_eq!(v["portrait"]["tagline"], "A city of learning festivals");
    assert_eq!(v["versions"].as_array().unwrap().len() as u64, n);
    // The 2016 version is still there, unchanged: the booklet stays reproducible.
    let v1 = env.run(&["show", "ie-cork", "--version", "1", "--json"]).ok().json();
    assert_eq!(v1["portrait"]["tagline"], "A firm commitment to create learning opportunities for all");
    let found = env.run(&["search", "festivals", "--json"]).ok().json();
    assert_eq!(found[0]["city_id"], "ie-cork", "the search index follows the latest version");
}

/// Runs a bad import and checks: exit 2, stderr names the file and what is wrong, and the
/// database file is byte-for-byte what it was.
fn refused(env: &Env, files: &[(&str, Vec<u8>)], expect: &[&str]) {
    env.run(&["list"]).ok(); // make sure the database exists and is seeded
    let db = env.db();
    let before = file_sha(&db);
    let dir = env.path(&format!("bad-{}", files[0].0.replace('/', "-")));
    for (name, bytes) in files {
        write(&dir.join(name), bytes);
    }
    let r = env.run(&["import", dir.to_str().unwrap()]);
    assert_eq!(r.code, 2, "exit code for bad input; stderr: {}", r.stderr);
    for e in expect {
        assert!(r.stderr.contains(e), "stderr should mention {e:?}: {}", r.stderr);
    }
    assert!(r.stderr.contains("nothing was changed"), "{}", r.stderr);
    assert!(
        !db.with_extension("sqlite3-wal").exists()
            || std::fs::metadata(db.with_extension("sqlite3-wal")).unwrap().len() == 0
    );
    assert_eq!(file_sha(&db), before, "database file changed");
    let ok = env.run(&["list", "--json"]).ok().json();
    assert_eq!(ok.as_array().unwrap().len(), 44);
}

#[test]
fn bad_imports_are_refused_and_change_nothing() {
    let env = Env::new();
    let good = serde_json::to_vec_pretty(&cork_next(&env)).unwrap();
    // Broken JSON.
    refused(
        &env,
        &[("broken.json", b"{\"schema_version\": 1, \"city\": ".to_vec())],
        &["broken.json", "not valid JSON"],
    );
    // A missing required field.
    let mut v = cork_next(&env);
    v.as_object_mut().unwrap().remove("lead");
    refused(&env, &[("missing.json", serde_json::to_vec(&v).unwrap())], &["missing.json", "lead"]);
    // A wrong type, with its JSON path.
    let mut v = cork_next(&env);
    v["facts"]["population"]["year"] = "last year".into();
    refused(&env, &[("type.json", serde_json::to_vec(&v).unwrap())], &["type.json", "$.facts.population.year"]);
    // A 50 MB string.
    let mut v = cork_next(&env);
    v["lead"] = "x".repeat(50 * 1024 * 1024).into();
    refused(&env, &[("huge.json", serde_json::to_vec(&v).unwrap())], &["huge.json", "at most"]);
    // A duplicate city id (the same city and version twice), among good files.
    refused(&env, &[("a/cork.json", good.clone()), ("b/cork-again.json", good.clone())], &["duplicate", "ie-cork"]);
    // A good file and a bad one: nothing of the good one lands.
    let mut bad = cork_next(&env);
    bad["city"]["id"] = "ie-Cork!".into();
    bad["version"] = 1.into();
    refused(
        &env,
        &[("1-good.json", good.clone()), ("2-bad.json", serde_json::to_vec(&bad).unwrap())],
        &["2-bad.json", "$.city.id"],
    );
    // Rewriting a published version is refused (versions are immutable), inside the transaction.
    let mut v1 = cork_next(&env);
    v1["version"] = 1.into();
    refused(&env, &[("rewrite.json", serde_json::to_vec(&v1).unwrap())], &["rewrite.json", "immutable"]);
    // A gap in the versions (one past the next version).
    let mut gap = cork_next(&env);
    gap["version"] = (gap["version"].as_u64().unwrap() + 1).into();
    refused(&env, &[("gap.json", serde_json::to_vec(&gap).unwrap())], &["gap.json", "gap"]);
    // Unknown fields are refused, not dropped silently.
    let mut extra = cork_next(&env);
    extra["colour"] = "blue".into();
    refused(&env, &[("extra.json", serde_json::to_vec(&extra).unwrap())], &["extra.json", "colour"]);
}

#[test]
fn killing_an_import_leaves_the_old_or_the_new_catalogue_intact() {
    let env = Env::new();
    env.run(&["list"]).ok();
    let (store, _) = portraits::store::Store::open(&env.db()).unwrap();
    // The seeded catalogue: 44 cities, 91 versions (SEEDED_VERSIONS).
    assert_eq!(store.counts().unwrap(), (44, SEEDED_VERSIONS as _));
    drop(store);
    let dir = env.path("synthetic");
    let items = portraits::synth::portraits(1000);
    for it in &items {
        write(
            &dir.join(format!("{}.json", it.portrait.city.id)),
            portraits::model::to_canonical_json(&it.portrait).as_bytes(),
        );
    }
    // How long does a whole import take here? Kill at points spread over that time. (The probe
    // is seeded first, as the database under test is, so that only the import is timed.)
    let probe = env.path("probe.sqlite3");
    env.run_db(&probe, &["list"]).ok();
    let t0 = std::time::Instant::now();
    env.run_db(&probe, &["import", dir.to_str().unwrap()]).ok();
    let full = t0.elapsed();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut outcomes = (0, 0);
    for i in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let frac = (i as f64 + (seed % 1000) as f64 / 1000.0) / 12.0;
        let delay = full.mul_f64(frac * 1.1);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portraits"))
            .arg("--db")
            .arg(env.db())
            .args(["import", dir.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let (store, _) = portraits::store::Store::open(&env.db()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "run {i} (killed after {delay:?})");
        let (cities, versions) = store.counts().unwrap();
        // The seeded catalogue (44 cities, SEEDED_VERSIONS) or it plus the 1000 new cities.
        match versions as usize {
            SEEDED_VERSIONS => {
                assert_eq!(cities, 44);
                outcomes.0 += 1;
            }
            n if n == SEEDED_VERSIONS + 1000 => {
                assert_eq!(cities, 1044);
                outcomes.1 += 1;
                // Completed: undo for the next run by starting from a fresh database.
                drop(store);
                for ext in ["sqlite3", "sqlite3-wal", "sqlite3-shm"] {
                    let _ = std::fs::remove_file(env.db().with_extension(ext));
                }
                env.run(&["list"]).ok();
            }
            n => panic!("run {i}: half-applied import: {n} versions (status {status:?})"),
        }
    }
    assert!(outcomes.0 >= 6, "most kills land mid-import: {outcomes:?}");
}

#[test]
fn backup_is_a_consistent_standalone_copy() {
    let env = Env::new();
    let next = cork_next(&env);
    let file = env.path("in/cork-next.json");
    write(&file, serde_json::to_string_pretty(&next).unwrap().as_bytes());
    env.run(&["import", file.to_str().unwrap()]).ok();
    let backup = env.path("backups/portraits-backup.sqlite3");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    env.run(&["backup", backup.to_str().unwrap()]).ok();
    assert!(!backup.with_extension("sqlite3-wal").exists());
    let r = env.run_db(&backup, &["show", "ie-cork", "--json"]).ok().json();
    assert_eq!(r["portrait"]["version"], next["version"]);
    assert_eq!(r["portrait"]["tagline"], "A city of learning festivals");
    let (store, _) = portraits::store::Store::open(&backup).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // The seeded catalogue and the one imported version.
    assert_eq!(store.counts().unwrap(), (44, SEEDED_VERSIONS as u32 + 1));
    // Refusals: the database itself, a directory.
    let r = env.run(&["backup", env.db().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = env.run(&["backup", env.dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // An unwritable destination is an I/O failure (exit 1) that leaves nothing behind.
    let r = env.run(&["backup", "/proc/no-such-dir/backup.sqlite3"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn validate_reports_every_error_with_its_path_and_warnings() {
    let env = Env::new();
    let mut v = cork_next(&env);
    v["facts"]["area_km2"]["value"] = "big".into();
    v["contacts"][0]["email"] = "learningfestival at corkcity.ie".into();
    v["key_feature_areas"] = serde_json::json!([14]);
    let bad = env.path("bad.json");
    write(&bad, &serde_json::to_vec(&v).unwrap());
    let r = env.run(&["validate", bad.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 2);
    let report = r.json();
    let paths: Vec<&str> =
        report[0]["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"$.facts.area_km2.value"), "{paths:?}");
    // Domain rules run once the structure is right.
    let mut v = cork_next(&env);
    v["contacts"][0]["email"] = "learningfestival at corkcity.ie".into();
    v["key_feature_areas"] = serde_json::json!([14]);
    write(&bad, &serde_json::to_vec(&v).unwrap());
    let r = env.run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("$.contacts[0].email") && r.stdout.contains("$.key_feature_areas[0]"), "{}", r.stdout);
    assert!(r.stderr.contains("bad.json"), "{}", r.stderr);
    // A valid file with odd values: exit 0 and warnings.
    let serres = common::repo().join("data/portraits/gr-serres/v1.json");
    let r = env.run(&["validate", serres.to_str().unwrap()]).ok();
    assert!(r.stdout.contains("valid") && r.stdout.contains("density"), "{}", r.stdout);
    // Every bundled file is valid.
    let all: Vec<String> = portraits::bundled::portrait_files()
        .iter()
        .map(|(n, _)| common::repo().join("data").join(n).display().to_string())
        .collect();
    let mut args = vec!["validate"];
    args.extend(all.iter().map(|s| s.as_str()));
    env.run(&args).ok();
}

#[test]
fn restore_brings_back_a_backup_and_a_bad_one_changes_nothing() {
    let env = Env::new();
    env.run(&["list"]).ok(); // seeds the database
    let backup = env.path("portraits-backup.sqlite3");
    env.run(&["backup", backup.to_str().unwrap()]).ok();
    let backup_sha = file_sha(&backup);
    // After the backup, a new version is imported; restoring takes the database back.
    let next = cork_next(&env);
    let latest = next["version"].as_u64().unwrap() - 1;
    let file = env.path("in/cork-next.json");
    write(&file, serde_json::to_string_pretty(&next).unwrap().as_bytes());
    env.run(&["import", file.to_str().unwrap()]).ok();
    env.run(&["restore", backup.to_str().unwrap()]).ok();
    let r = env.run(&["show", "ie-cork", "--json"]).ok().json();
    assert_eq!(r["portrait"]["version"], latest);
    assert_eq!(file_sha(&backup), backup_sha, "the backup file was written to");
    // The replaced database is kept beside it, with the imported version.
    let kept = env.db().with_extension("before-restore");
    let r = env.run_db(&kept, &["show", "ie-cork", "--json"]).ok().json();
    assert_eq!(r["portrait"]["version"], next["version"]);

    // Bad backups: refused with the file named, exit 2, the database unchanged, nothing left.
    let garbage = env.path("garbage.sqlite3");
    write(&garbage, b"this is not a database, just some text that is long enough to look like a header");
    let empty = env.path("empty.sqlite3");
    write(&empty, b"");
    let missing = env.path("missing.sqlite3");
    let dir = env.dir.path().to_path_buf();
    let before = file_sha(&env.db());
    for bad in [&garbage, &empty, &missing, &dir] {
        let r = env.run(&["restore", bad.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{}: {}", bad.display(), r.stderr);
        assert!(r.stderr.contains(&*bad.to_string_lossy()), "{}", r.stderr);
        assert_eq!(file_sha(&env.db()), before, "{}", bad.display());
        assert!(!missing.exists());
    }
    let leftovers: Vec<_> = std::fs::read_dir(env.db().parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "the empty backup was written to");
}

//! The TypeScript types the UI shares with Rust are generated from the Rust types (ts-rs) and
//! committed under `ui/src/bindings/`. This test regenerates them and fails if the committed
//! ones differ; `UPDATE_BINDINGS=1 cargo test --test ts_bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::Path;

use ts_rs::{Config, TS};

fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t>::export_all(&cfg).expect(stringify!($t)); )* };
    }
    use portraits::{app, booklet, model, protocol, store, sync};
    export!(
        model::Portrait,
        model::Warning,
        model::FieldError,
        model::markdown::Block,
        model::merge::FieldDiff,
        model::booklet::BookletDef,
        model::similar::Partner,
        model::similar::Reason,
        store::CitySummary,
        store::CityFilter,
        store::SortBy,
        store::SearchQuery,
        store::SearchHit,
        store::VersionInfo,
        store::Draft,
        store::OutboxEntry,
        store::QuarantineEntry,
        store::ImportReport,
        app::ApiError,
        app::PortraitView,
        app::ValidationReport,
        app::PdfExport,
        app::PrintRequest,
        app::BookletInfo,
        app::Submitted,
        app::TableQueued,
        app::SavedDraft,
        app::SyncSummary,
        app::Settings,
        app::SettingsView,
        app::SyncStatus,
        app::SyncRequest,
        app::TokenInfo,
        app::IssuedToken,
        app::StaffToken,
        app::InviteReport,
        protocol::TokenSummary,
        protocol::TokenList,
        protocol::TokenRequest,
        protocol::NewTokens,
        protocol::ErrorCode,
        protocol::Identity,
        protocol::SubmissionStatus,
        protocol::SubmissionSummary,
        protocol::SubmissionDetail,
        protocol::SubmissionPage,
        protocol::SubmissionRequest,
        protocol::DecisionRequest,
        protocol::Decision,
        protocol::Choice,
        protocol::MediaStored,
        sync::Progress,
        booklet::Rendered,
    );
}

/// Every `.ts` file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "ts") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    let tmp = tempfile::tempdir().unwrap();
    export_all(tmp.path());
    let generated = files(tmp.path());
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &generated {
            let path = committed_dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
    let committed = files(&committed_dir);
    assert!(generated.len() > 30, "{} bindings", generated.len());
    for (name, text) in &generated {
        assert_eq!(
            committed.get(name),
            Some(text),
            "ui/src/bindings/{name} is stale: UPDATE_BINDINGS=1 cargo test --test ts_bindings"
        );
    }
    let extra: Vec<&String> = committed.keys().filter(|k| !generated.contains_key(*k)).collect();
    assert!(extra.is_empty(), "bindings without a Rust type: {extra:?}");
}

/// The rules the UI validates and labels with (Key Features, sections, facts, limits, the email
/// rule) are generated from Rust into `ui/src/rules.ts`: the committed file must be
/// what Rust writes now.
#[test]
fn committed_ui_rules_match_the_rust_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/rules.ts");
    let generated = portraits::model::rules::ui_rules_ts();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date: run UPDATE_BINDINGS=1 cargo test --test ts_bindings",
        path.display()
    );
}

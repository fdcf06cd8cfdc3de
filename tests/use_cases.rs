//! The use cases called directly (not through the CLI): settings, sign-in, review, tokens,
//! what the sync holds back, tombstone pruning and city deletion — against real database files
//! and a real `portraits serve` on 127.0.0.1. Each checks the typed answer and the error code
//! a caller gets.

mod common;

use common::http::Server;
use common::Env;
use portraits::app::{self, ErrorCode};
use portraits::protocol::{Decision, DecisionRequest, SubmissionStatus, TokenKind};
use portraits::store::Store;

/// Tokens go to a credentials file of the test's own (never the user's keyring).
fn private_credentials(env: &Env) {
    std::env::set_var("PORTRAITS_KEYRING", "off");
    std::env::set_var("PORTRAITS_CREDENTIALS", env.path("credentials.json"));
}

fn opts() -> portraits::sync::Options {
    portraits::sync::Options {
        retry: portraits::sync::Retry { attempts: 1, ..Default::default() },
        timeout: std::time::Duration::from_secs(10),
        ..Default::default()
    }
}

#[test]
fn settings_are_checked_and_kept() {
    let env = Env::new();
    let mut store = app::open(Some(&env.db()), true).unwrap();
    assert_eq!(app::settings(&store), app::Settings::default());
    let e = app::set_settings(&mut store, Some("ftp://feed.example.org"), 0).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let paths: Vec<&str> = e.fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["$.feed_url", "$.sync_minutes"], "{e:?}");
    assert_eq!(app::settings(&store), app::Settings::default(), "a refused change changes nothing");
    let st = app::set_settings(&mut store, Some("  https://feed.example.org/  "), 30).unwrap();
    assert_eq!(st.feed_url.as_deref(), Some("https://feed.example.org"));
    assert_eq!(st.sync_minutes, 30);
    // Settings saved by an earlier version spelled the identity's city `city_id`.
    store
        .set_meta(
            "desktop:settings",
            r#"{"feed_url":"https://feed.example.org","sync_minutes":30,"identity":{"kind":"city","city_id":"ie-cork"}}"#,
        )
        .unwrap();
    let st = app::settings(&store);
    assert_eq!(st.identity.as_ref().and_then(|i| i.city_id.as_deref()), Some("ie-cork"));
    let st = app::set_identity(&mut store, None).unwrap();
    assert_eq!(st.identity, None);
    assert_eq!(app::settings(&store).feed_url.as_deref(), Some("https://feed.example.org"));
}

#[test]
fn sign_in_review_and_tokens_through_the_use_cases() {
    let env = Env::new();
    private_credentials(&env);
    let server_db = env.path("uil.sqlite3");
    let (staff, city) = {
        let mut s = app::open(Some(&server_db), true).unwrap();
        (app::issue_token(&mut s, None).unwrap(), app::issue_token(&mut s, Some("ie-cork")).unwrap())
    };
    assert_eq!((staff.kind, city.kind), (TokenKind::Staff, TokenKind::City));
    let server = Server::start(&server_db);
    let url = server.url.clone();

    // Sign-in: each failure says what happened.
    let e = app::sign_in(&url, "not a token").unwrap_err();
    assert_eq!((e.code, e.fields[0].path.as_str()), (ErrorCode::InvalidInput, "$.token"));
    let (_, unknown, _) = portraits::protocol::new_token();
    assert_eq!(app::sign_in(&url, &unknown).unwrap_err().code, ErrorCode::Unauthorized);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    assert_eq!(app::sign_in(&format!("http://{closed}"), &city.token).unwrap_err().code, ErrorCode::Offline);
    let who = app::sign_in(&url, &city.token).unwrap();
    assert_eq!((who.kind, who.city_id.as_deref()), (TokenKind::City, Some("ie-cork")));
    assert_eq!(app::saved_token(&url).unwrap().as_deref(), Some(city.token.as_str()));

    // A coordinator submits a draft.
    let mut client = app::open(Some(&env.path("client.sqlite3")), true).unwrap();
    let mut p = client.portrait("ie-cork", None).unwrap();
    let next = p.version + 1; // what accepting the submission publishes
    p.tagline = Some("A learning city by the Lee".into());
    app::save_draft_portrait(&mut client, "ie-cork", p, None, &Default::default()).unwrap();
    let sent = app::submit(&mut client, "ie-cork", None, &url, &city.token, &opts()).unwrap();
    assert_eq!(sent.status, portraits::store::OutboxStatus::Sent, "{sent:?}");

    // Staff review it, through the typed protocol.
    assert_eq!(app::review_list(&url, &city.token, &[]).unwrap_err().code, ErrorCode::Forbidden);
    let inbox = app::review_list(&url, &staff.token, &[SubmissionStatus::Submitted]).unwrap();
    assert_eq!(inbox.len(), 1);
    let id = inbox[0].id.clone();
    let detail = app::review_show(&url, &staff.token, &id).unwrap();
    assert_eq!(detail.summary.status, SubmissionStatus::InReview);
    assert!(detail.diff.iter().any(|d| d.field == "tagline" && d.mine == "A learning city by the Lee"));
    assert!(detail.conflicts.is_empty());
    assert_eq!(app::review_show(&url, &staff.token, "../whoami").unwrap_err().code, ErrorCode::InvalidInput);
    let say_why = DecisionRequest {
        decision: Decision::RequestChanges,
        comment: None,
        comments: vec![],
        resolutions: Default::default(),
    };
    let e = app::review_decide(&url, &staff.token, &id, &say_why).unwrap_err();
    assert_eq!((e.code, e.fields[0].path.as_str()), (ErrorCode::InvalidInput, "$.comment"), "{e:?}");
    let accept = DecisionRequest { decision: Decision::Accept, comment: Some("Thank you".into()), ..say_why };
    let done = app::review_decide(&url, &staff.token, &id, &accept).unwrap();
    assert_eq!((done.status, done.published_version), (SubmissionStatus::Accepted, Some(next)));
    assert_eq!(done.comments[0].field, None);
    assert_eq!(app::review_decide(&url, &staff.token, &id, &accept).unwrap_err().code, ErrorCode::Conflict);

    // The coordinator sees the decision (live), and offline the last known status.
    let (mine, live) = app::submissions(&mut client, "ie-cork", Some(&url), Some(&city.token), &opts()).unwrap();
    assert!(live);
    assert_eq!(mine[0].status, SubmissionStatus::Accepted);
    let offline = format!("http://{closed}");
    let (known, live) = app::submissions(&mut client, "ie-cork", Some(&offline), Some(&city.token), &opts()).unwrap();
    assert!(!live);
    assert_eq!(known, mine);

    // Tokens are listed without their secrets; a revoked one is refused.
    drop(server);
    let mut s = Store::open(&server_db).unwrap().0;
    let list = app::tokens(&s).unwrap();
    assert_eq!(list.len(), 2);
    assert!(!format!("{list:?}").contains(&city.token[22..]), "no secret in the listing");
    app::revoke_token(&mut s, &city.id).unwrap();
    assert!(app::tokens(&s).unwrap().iter().any(|t| t.id == city.id && t.revoked_at.is_some()));
    assert_eq!(app::revoke_token(&mut s, &city.id).unwrap_err().code, ErrorCode::NotFound);
    let server = Server::start(&server_db);
    assert_eq!(app::whoami(&server.url, &city.token).unwrap_err().code, ErrorCode::Unauthorized);
}

#[test]
fn deleting_a_city_and_pruning_tombstones() {
    let env = Env::new();
    let mut store = app::open(Some(&env.db()), true).unwrap();
    assert!(app::held_back(&store).unwrap().is_empty());
    let filter = portraits::store::CityFilter::default();
    let before = app::list(&store, &filter, Default::default()).unwrap().len();
    let seq = app::delete_city(&mut store, "ie-cork").unwrap();
    assert_eq!(app::list(&store, &filter, Default::default()).unwrap().len(), before - 1);
    assert_eq!(app::delete_city(&mut store, "ie-cork").unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(app::delete_city(&mut store, "xx-atlantis").unwrap_err().code, ErrorCode::NotFound);
    let behind = app::prune_tombstones(&mut store, seq).unwrap();
    assert_eq!(behind, 1);
    assert_eq!(store.tombstone_floor().unwrap(), seq);
    // The snapshot still carries the tombstone: a fresh client learns Cork is gone.
    let (changes, _) = store.changes_since(0, 10_000).unwrap();
    assert!(changes
        .iter()
        .any(|c| matches!(c, portraits::store::Change::Tombstone { city_id, .. } if city_id == "ie-cork")));
}

/// A server whose list of submissions never ends, or points its next page somewhere else, or
/// slips in another city's: the client stops, follows nothing odd, and keeps only its city's.
#[test]
fn a_hostile_submission_list_ends_and_keeps_to_its_city() {
    use common::http::{Action, Scripted};
    let env = Env::new();
    let summary = |id: String, city: &str| {
        serde_json::json!({"id": id, "cityId": city, "status": "submitted", "baseVersion": 1, "comments": [],
            "publishedVersion": null, "createdAt": "2026-11-30T00:00:00Z", "updatedAt": "2026-11-30T00:00:00Z"})
    };
    // A new cursor on every page, forever.
    let endless = Scripted::start(move |_, n| {
        let page = serde_json::json!({"cityId": "ie-cork", "submissions": [summary(format!("sub_{n}"), "ie-cork"),
            summary(format!("sub_x{n}"), "fi-espoo")], "next": format!("c{n}")});
        Action::json(200, page.to_string())
    });
    let mut client = app::open(Some(&env.db()), true).unwrap();
    let (_, token, _) = portraits::protocol::new_token();
    let (list, live) = app::submissions(&mut client, "ie-cork", Some(&endless.url), Some(&token), &opts()).unwrap();
    assert!(live);
    assert_eq!(endless.count(), 200, "cut off after 200 pages");
    assert_eq!(list.len(), 200);
    assert!(list.iter().all(|s| s.city_id == "ie-cork"), "another city's submissions are not kept");
    // A cursor that is not one (a path, a query) is not followed.
    let odd = Scripted::start(move |_, _| {
        Action::json(
            200,
            serde_json::json!({"submissions": [], "next": "../../v1/submissions?status=accepted"}).to_string(),
        )
    });
    let (list, _) = app::submissions(&mut client, "ie-cork", Some(&odd.url), Some(&token), &opts()).unwrap();
    assert!(list.is_empty());
    assert_eq!(odd.count(), 1);
}

/// What a coordinator typed that is not a value yet ("lots" for a population) stays in the
/// draft across a restart, and the draft cannot be submitted until it is fixed (issue 10,
/// point 1).
#[test]
fn typed_text_that_is_not_a_value_stays_in_the_draft_and_blocks_submitting() {
    let env = Env::new();
    let mut store = app::open(Some(&env.db()), true).unwrap();
    let mut p = store.portrait("ie-cork", None).unwrap();
    p.lead = "Cork, edited.".into();
    let typed: std::collections::BTreeMap<String, String> =
        [("facts.population.value".to_string(), "lots".to_string())].into();
    let saved = app::save_draft_portrait(&mut store, "ie-cork", p.clone(), None, &typed).unwrap();
    assert_eq!(saved.draft.typed, typed);
    assert!(saved.errors.iter().any(|e| e.path == "$.facts.population.value" && e.message.contains("lots")));
    drop(store);
    // Another process, later: the typed text is still there, and Submit is refused, by field.
    let mut store = app::open(Some(&env.db()), false).unwrap();
    let d = app::draft(&store, "ie-cork").unwrap().unwrap();
    assert_eq!(d.typed, typed);
    let e = app::queue_submission(&mut store, "ie-cork", None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.fields[0].path, "$.facts.population.value");
    assert!(e.message.contains("\"lots\""), "{}", e.message);
    assert!(store.outbox().unwrap().is_empty(), "nothing queued");
    // Fixed: nothing typed is pending, and it can be submitted.
    let rev = Some(d.revision);
    let fixed = app::save_draft_portrait(&mut store, "ie-cork", p, rev, &Default::default()).unwrap();
    assert!(fixed.draft.typed.is_empty() && fixed.errors.is_empty(), "{:?}", fixed.errors);
    let long = "x".repeat(5001);
    let e = app::queue_submission(&mut store, "ie-cork", Some(&long)).unwrap_err();
    assert_eq!((e.code, e.fields[0].path.as_str()), (ErrorCode::InvalidInput, "$.note"));
    let queued = app::queue_submission(&mut store, "ie-cork", Some("  A reply to the reviewer.  ")).unwrap();
    assert_eq!(queued.note.as_deref(), Some("A reply to the reviewer."));
    // Too much typed text is kept within bounds, never refused (a refusal would stop every
    // autosave): 100 fields, 10,000 characters each.
    let mut flood: std::collections::BTreeMap<String, String> =
        (0..150).map(|i| (format!("z{i:03}"), "x".into())).collect();
    flood.insert("facts.population.value".into(), "9".repeat(50_000));
    let d = app::draft(&store, "ie-cork").unwrap().unwrap();
    let saved = app::save_draft_portrait(&mut store, "ie-cork", d.portrait.clone(), Some(d.revision), &flood).unwrap();
    assert_eq!(saved.draft.typed.len(), 100);
    assert_eq!(saved.draft.typed["facts.population.value"].len(), 10_000);
    assert_eq!(app::draft(&store, "ie-cork").unwrap().unwrap().typed, saved.draft.typed);
}

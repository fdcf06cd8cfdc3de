//! Issue 14, point 3 from the window: staff list, issue and revoke city tokens through the
//! server (`/v1/tokens`), and write the invitations on their laptop; the real server on
//! 127.0.0.1, the laptop's real catalogue.

mod common;
use common::http::Server;
use common::{Client, Env};
use portraits::app;
use portraits::store::Store;

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

#[test]
fn staff_invite_focal_points_through_the_server_list_and_revoke_tokens_never_seeing_a_secret_again() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    env.run_db(&server_db, &["list"]).ok();
    let staff_file = common::token(&env, &server_db, &["--staff"]);
    let cork_file = common::token(&env, &server_db, &["--city", "ie-cork"]);
    let server = Server::start(&server_db);
    let (staff, cork) = (read(&staff_file), read(&cork_file));
    let laptop = Client::new(&env, "uil-laptop");
    laptop.run(&["sync", "--feed", &server.url, "--token-file", staff_file.to_str().unwrap()]).ok();
    let (store, _) = Store::open(&laptop.db).unwrap();

    // The list: both tokens, this window's marked, no secret anywhere.
    let list = app::staff_tokens(&server.url, &staff).unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().any(|t| t.this_window && t.token.city_id.is_none()));
    assert!(!serde_json::to_string(&list).unwrap().contains("gnlc_"));

    // Invitations for Cork (which has a token already) and Espoo.
    let out = env.path("invitations");
    let cities = vec!["ie-cork".to_string(), "fi-espoo".to_string()];
    let report = app::staff_invite(&store, &server.url, &staff, &cities, &out).unwrap();
    assert_eq!(report.invitations.len(), 2);
    assert_eq!(report.invitations[0].earlier_tokens, 1, "Cork's earlier token is counted");
    assert_eq!(report.invitations[1].earlier_tokens, 0);
    assert!(!serde_json::to_string(&report).unwrap().contains("gnlc_"), "the report never shows a token");
    let mut merge = csv::Reader::from_path(out.join("invitations.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = merge.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let espoo_token = rows[1][6].to_string();
    let letter = std::fs::read_to_string(out.join("fi-espoo.txt")).unwrap();
    assert!(letter.contains(&espoo_token) && letter.contains(&server.url), "{letter}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("fi-espoo.txt")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The letter's token is Espoo's.
    let who = app::whoami(&server.url, &espoo_token).unwrap();
    assert_eq!(who.city_id.as_deref(), Some("fi-espoo"));
    assert_eq!(app::staff_tokens(&server.url, &staff).unwrap().len(), 4);

    // A city this laptop does not know refuses the whole run: no token issued.
    let unknown = app::staff_invite(&store, &server.url, &staff, &["xx-nowhere".to_string()], &out).unwrap_err();
    assert!(unknown.message.contains("no city xx-nowhere: nothing was issued"), "{unknown:?}");
    assert_eq!(app::staff_tokens(&server.url, &staff).unwrap().len(), 4);
    // Invitations that cannot be written: the tokens just issued are revoked at once.
    let blocked = env.path("a-file");
    std::fs::write(&blocked, "not a folder").unwrap();
    let err = app::staff_invite(&store, &server.url, &staff, &["kr-suwon".to_string()], &blocked).unwrap_err();
    assert!(err.message.contains("a-file"), "{err:?}");
    let after = app::staff_tokens(&server.url, &staff).unwrap();
    let suwon: Vec<_> = after.iter().filter(|t| t.token.city_id.as_deref() == Some("kr-suwon")).collect();
    assert_eq!(suwon.len(), 1);
    assert!(suwon[0].token.revoked_at.is_some(), "an invitation not written leaves no valid token");

    // Revoking: Cork's first token stops working; again answers the same; this window's own
    // token is not revoked by itself; an id that is none is said.
    let cork_id = portraits::protocol::parse_token(&cork).unwrap().0.to_string();
    let revoked = app::staff_revoke(&server.url, &staff, &cork_id).unwrap();
    let at = revoked.revoked_at.clone().expect("revoked");
    assert_eq!(app::whoami(&server.url, &cork).unwrap_err().code, app::ErrorCode::Unauthorized);
    assert_eq!(app::staff_revoke(&server.url, &staff, &cork_id).unwrap().revoked_at, Some(at));
    let own = portraits::protocol::parse_token(&staff).unwrap().0.to_string();
    let refused = app::staff_revoke(&server.url, &staff, &own).unwrap_err();
    assert_eq!(refused.code, app::ErrorCode::Conflict, "{refused:?}");
    assert_eq!(app::whoami(&server.url, &staff).unwrap().kind, portraits::protocol::TokenKind::Staff);
    assert_eq!(app::staff_revoke(&server.url, &staff, "nosuchtoken").unwrap_err().code, app::ErrorCode::NotFound);
    assert_eq!(
        app::staff_revoke(&server.url, &staff, "../submissions").unwrap_err().code,
        app::ErrorCode::InvalidInput
    );

    // A city token may do none of it.
    assert_eq!(app::staff_tokens(&server.url, &espoo_token).unwrap_err().code, app::ErrorCode::Forbidden);
    // Bad requests change nothing.
    let http = common::http::client();
    let post = |body: &str| {
        let r = http
            .post(format!("{}/v1/tokens", server.url))
            .bearer_auth(&staff)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let too_many =
        serde_json::json!({ "cities": (0..1001).map(|i| format!("ie-city-{i}")).collect::<Vec<_>>() }).to_string();
    for (body, status, says) in [
        (too_many.as_str(), 422, "1 to 1000 city ids, not 1001"),
        (r#"{"cities": []}"#, 422, "1 to 1000 city ids"),
        (r#"{"cities": ["ie-cork", "ie-cork"]}"#, 422, "ie-cork is named twice"),
        (r#"{"cities": ["ie-cork", "xx-nowhere"]}"#, 404, "no city xx-nowhere: no token was issued"),
        (r#"{"cities": ["ie-cork"], "staff": true}"#, 422, "unknown field"),
        (r#"not json"#, 422, "tokens:"),
    ] {
        let (got, text) = post(body);
        assert_eq!(got, status, "{body}: {text}");
        assert!(text.contains(says), "{body}: {text}");
        assert!(!text.contains("gnlc_"));
    }
    assert_eq!(app::staff_tokens(&server.url, &staff).unwrap().len(), 5, "nothing issued by a bad request");
}

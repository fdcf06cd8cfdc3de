//! Where a sign-in token is kept (issue 5, Settings): in the OS keyring where there is one, else
//! in a file only the user can read — never in the portrait database.
//!
//! `cargo test` runs the fallback: no session bus, so the token goes to the credentials file,
//! mode 0600. `scripts/with-keyring.sh cargo test --test keyring` (a step of `./test.sh`) runs it
//! again inside a private D-Bus session with an unlocked GNOME Keyring and
//! `PORTRAITS_TEST_KEYRING=1`: then the token must be in the real keyring and not in the file.

use std::path::Path;

use portraits::app;

const SERVICE: &str = "learning-city-portraits";

fn file_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_token_goes_to_the_keyring_when_there_is_one_else_to_a_private_file() {
    // One test in this binary, so changing the environment races with nothing.
    let home = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    std::env::set_var("XDG_CONFIG_HOME", home.path().join("config"));
    std::env::remove_var("PORTRAITS_CREDENTIALS");
    std::env::remove_var("PORTRAITS_KEYRING");
    let file = app::credentials_path().unwrap();
    assert!(file.starts_with(home.path()), "{}", file.display());

    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let feed = format!("http://127.0.0.1:9/keyring-test-{nonce}");
    let token = format!("gnlc_{nonce}_s3cretS3cretS3cret");

    if std::env::var("PORTRAITS_TEST_KEYRING").as_deref() == Ok("1") {
        assert!(std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(), "the keyring run needs a session bus");
        // A token kept in the file (keyring turned off) moves to the keyring on the next sign-in.
        std::env::set_var("PORTRAITS_KEYRING", "off");
        app::save_token(&feed, &token).unwrap();
        assert!(file_text(&file).contains(&token));
        std::env::remove_var("PORTRAITS_KEYRING");
        app::save_token(&feed, &token).unwrap();
        assert!(!file_text(&file).contains(&token), "the token must not be left in {}", file.display());
        assert_eq!(app::saved_token(&feed).unwrap().as_deref(), Some(token.as_str()));
        // It really is in the Secret Service, under the feed's base URL.
        let entry = keyring::Entry::new(SERVICE, &feed).unwrap();
        assert_eq!(entry.get_password().unwrap(), token);
        // Signing out removes it.
        app::forget_token(&feed).unwrap();
        assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
        assert_eq!(app::saved_token(&feed).unwrap(), None);
    } else {
        std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
        app::save_token(&feed, &token).unwrap();
        assert!(file_text(&file).contains(&token));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} has mode {mode:o}", file.display());
        }
        assert_eq!(app::saved_token(&feed).unwrap().as_deref(), Some(token.as_str()));
        app::forget_token(&feed).unwrap();
        assert!(!file_text(&file).contains(&token));
        assert_eq!(app::saved_token(&feed).unwrap(), None);
    }
}

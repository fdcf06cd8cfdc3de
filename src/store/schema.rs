//! Schema migrations. Append new migrations; never edit a released one.

use rusqlite::Transaction;
use rusqlite_migration::{HookError, Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
CREATE TABLE cities (
    num            INTEGER PRIMARY KEY,             -- stable rowid: the search index's key
    id             TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    country_code   TEXT NOT NULL,
    country_name   TEXT NOT NULL,
    region         TEXT NOT NULL,
    joined         INTEGER,
    awards         TEXT NOT NULL DEFAULT '[]',      -- JSON array of years, ascending
    latest_version INTEGER NOT NULL,
    population     REAL,                            -- of the latest version, for sorting
    deleted        INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE city_awards (
    city_id TEXT NOT NULL REFERENCES cities(id) ON DELETE CASCADE,
    year    INTEGER NOT NULL,
    PRIMARY KEY (city_id, year)
) STRICT, WITHOUT ROWID;

CREATE TABLE city_features (
    city_id TEXT NOT NULL REFERENCES cities(id) ON DELETE CASCADE,
    area    INTEGER NOT NULL,
    PRIMARY KEY (city_id, area)
) STRICT, WITHOUT ROWID;

-- Immutable, numbered portrait versions. `body` is the canonical JSON of the version without
-- its city block (the city lives in `cities`).
CREATE TABLE versions (
    city_id     TEXT NOT NULL REFERENCES cities(id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    booklet     TEXT,
    published   TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (city_id, version)
) STRICT;

CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
BEGIN
    SELECT RAISE(ABORT, 'portrait versions are immutable');
END;

CREATE TRIGGER versions_are_kept BEFORE DELETE ON versions
BEGIN
    SELECT RAISE(ABORT, 'portrait versions are never deleted');
END;

-- One local draft per city, with the version it was based on.
CREATE TABLE drafts (
    city_id      TEXT PRIMARY KEY REFERENCES cities(id),
    base_version INTEGER NOT NULL,
    body         TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

-- Booklet definitions (front matter as JSON) and their pinned (city, version) entries.
CREATE TABLE booklets (
    id         TEXT PRIMARY KEY,
    template   TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE booklet_entries (
    booklet_id TEXT NOT NULL REFERENCES booklets(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    city_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (booklet_id, position),
    FOREIGN KEY (city_id, version) REFERENCES versions(city_id, version)
) STRICT;

-- Full-text search over the latest version of every city. Diacritics are folded by the
-- tokenizer; `folded` carries an ASCII fold of the names for letters Unicode does not
-- decompose (ø, ı, ł …).
CREATE VIRTUAL TABLE search USING fts5(
    city_id UNINDEXED,
    name,
    country,
    tagline,
    lead,
    body,
    folded,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3'
);
INSERT INTO search(search, rank) VALUES ('rank', 'bm25(0.0, 10.0, 5.0, 4.0, 2.0, 1.0, 8.0)');
"#,
        ),
        // Photos, content-addressed by the SHA-256 of their bytes (immutable).
        M::up(
            r#"
CREATE TABLE media (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    mime   TEXT NOT NULL,
    size   INTEGER NOT NULL,
    bytes  BLOB NOT NULL
) STRICT;
"#,
        ),
        // Feed and sync (issue 4): the catalogue sequence, tombstones, settings, the client's
        // outbox, quarantine and cached submission status, the server's tokens and submissions,
        // and the conflicts of a rebased draft.
        M::up(
            r#"
-- Every published version and every deletion gets the next catalogue sequence number: the
-- feed's catalogVersion is the largest. Versions are immutable, so the column is backfilled
-- with the trigger lifted for the duration.
DROP TRIGGER versions_are_immutable;
ALTER TABLE versions ADD COLUMN seq INTEGER;
UPDATE versions SET seq = (
    SELECT count(*) FROM versions v2
    WHERE v2.city_id < versions.city_id OR (v2.city_id = versions.city_id AND v2.version <= versions.version)
);
CREATE UNIQUE INDEX versions_seq ON versions(seq);
CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
BEGIN
    SELECT RAISE(ABORT, 'portrait versions are immutable');
END;

CREATE TABLE tombstones (
    city_id    TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL UNIQUE,
    version    INTEGER NOT NULL,
    deleted_at TEXT NOT NULL
) STRICT;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

ALTER TABLE drafts ADD COLUMN conflicts TEXT NOT NULL DEFAULT '[]';

-- Client: submissions waiting to be sent, with the idempotency key minted at submit time.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    city_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    base_version    INTEGER NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    submission_id   TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- Client: remote items refused by the sync, with the reason; the last good version stays.
CREATE TABLE quarantine (
    id        INTEGER PRIMARY KEY,
    item_id   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    body      TEXT NOT NULL,
    feed      TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;

-- Client: the last known status of this machine's submissions (shown offline).
CREATE TABLE submission_status (
    submission_id TEXT PRIMARY KEY,
    city_id       TEXT NOT NULL,
    body          TEXT NOT NULL,
    fetched_at    TEXT NOT NULL
) STRICT;

-- Server: access tokens, stored only as SHA-256 hashes of their secrets.
CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('city', 'staff')),
    city_id    TEXT,
    hash       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK ((kind = 'city') = (city_id IS NOT NULL))
) STRICT;

-- Server: submissions and their review.
CREATE TABLE submissions (
    id                TEXT PRIMARY KEY,
    city_id           TEXT NOT NULL REFERENCES cities(id),
    base_version      INTEGER NOT NULL,
    body              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'in_review', 'changes_requested', 'accepted', 'rejected')),
    token_id          TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL UNIQUE,
    request_sha256    TEXT NOT NULL,
    response          TEXT NOT NULL,
    comments          TEXT NOT NULL DEFAULT '[]',
    published_version INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX submissions_city ON submissions(city_id, created_at);
CREATE INDEX submissions_status ON submissions(status, created_at);
"#,
        ),
        // Issue 8, client side. Drafts carry a revision, bumped by every write (an autosave, a
        // rebase, a resolution): a save made against an older revision is merged or refused,
        // never written over a rebase. `before_rebase` keeps the draft as it was before the last
        // rebase (the merge base for an autosave that raced that rebase).
        // The quarantine becomes the list of held-back remote items: one row per feed and item,
        // with the item as received, retried on every later sync until it applies.
        M::up(
            r#"
ALTER TABLE drafts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE drafts ADD COLUMN before_rebase TEXT;
ALTER TABLE drafts ADD COLUMN before_rebase_revision INTEGER;

CREATE TABLE held (
    id        INTEGER PRIMARY KEY,
    feed      TEXT NOT NULL,
    item_id   TEXT NOT NULL,
    seq       INTEGER,
    city_id   TEXT,
    version   INTEGER,
    reason    TEXT NOT NULL,
    body      TEXT NOT NULL,              -- the item as received (JSON), retried later
    attempts  INTEGER NOT NULL DEFAULT 1,
    first_at  TEXT NOT NULL,
    at        TEXT NOT NULL,
    UNIQUE (feed, item_id)
) STRICT;
INSERT INTO held(feed, item_id, reason, body, first_at, at)
    SELECT feed, item_id, reason, body, min(at), max(at) FROM quarantine GROUP BY feed, item_id;
DROP TABLE quarantine;
"#,
        ),
        // Issue 8, server side. Idempotency keys are scoped per token: the same key sent with
        // two tokens is two requests, so `submissions` is rebuilt with UNIQUE(token_id,
        // idempotency_key) instead of a global UNIQUE(idempotency_key) (rows copied, indexes
        // kept, plus one for the per-token daily quota). `media_uploads` records who uploaded
        // which photo and when (the per-token daily upload quota; provenance of a photo).
        M::up(
            r#"
CREATE TABLE submissions_new (
    id                TEXT PRIMARY KEY,
    city_id           TEXT NOT NULL REFERENCES cities(id),
    base_version      INTEGER NOT NULL,
    body              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'in_review', 'changes_requested', 'accepted', 'rejected')),
    token_id          TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL,
    request_sha256    TEXT NOT NULL,
    response          TEXT NOT NULL,
    comments          TEXT NOT NULL DEFAULT '[]',
    published_version INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (token_id, idempotency_key)
) STRICT;
INSERT INTO submissions_new(id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
                            response, comments, published_version, created_at, updated_at)
    SELECT id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
           response, comments, published_version, created_at, updated_at FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_new RENAME TO submissions;
CREATE INDEX submissions_city ON submissions(city_id, created_at);
CREATE INDEX submissions_status ON submissions(status, created_at);
CREATE INDEX submissions_token ON submissions(token_id, created_at);

CREATE TABLE media_uploads (
    id       INTEGER PRIMARY KEY,
    token_id TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    size     INTEGER NOT NULL,
    at       TEXT NOT NULL
) STRICT;
CREATE INDEX media_uploads_token ON media_uploads(token_id, at);
"#,
        ),
        // Issue 10, server side. A city has one open submission: a new one replaces it (status
        // `superseded`, a new final status, so the table is rebuilt for its CHECK) and is its
        // next round. `round`, `supersedes` and `superseded_by` chain the rounds. Cities that
        // already have several open submissions keep the newest open; the older ones are
        // superseded by it.
        M::up(
            r#"
CREATE TABLE submissions_new (
    id                TEXT PRIMARY KEY,
    city_id           TEXT NOT NULL REFERENCES cities(id),
    base_version      INTEGER NOT NULL,
    body              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'in_review', 'changes_requested', 'accepted', 'rejected', 'superseded')),
    token_id          TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL,
    request_sha256    TEXT NOT NULL,
    response          TEXT NOT NULL,
    comments          TEXT NOT NULL DEFAULT '[]',
    published_version INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    round             INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
    supersedes        TEXT,
    superseded_by     TEXT,
    UNIQUE (token_id, idempotency_key)
) STRICT;
INSERT INTO submissions_new(id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
                            response, comments, published_version, created_at, updated_at)
    SELECT id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
           response, comments, published_version, created_at, updated_at FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_new RENAME TO submissions;
CREATE INDEX submissions_city ON submissions(city_id, created_at);
CREATE INDEX submissions_status ON submissions(status, created_at);
CREATE INDEX submissions_token ON submissions(token_id, created_at);
UPDATE submissions AS s SET status = 'superseded', superseded_by = (
        SELECT n.id FROM submissions n
        WHERE n.city_id = s.city_id AND n.status IN ('submitted', 'in_review', 'changes_requested')
        ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
    WHERE s.status IN ('submitted', 'in_review', 'changes_requested')
      AND s.id <> (SELECT n.id FROM submissions n
                   WHERE n.city_id = s.city_id AND n.status IN ('submitted', 'in_review', 'changes_requested')
                   ORDER BY n.created_at DESC, n.id DESC LIMIT 1);
"#,
        ),
        // Issue 10, client side. What a user typed that is not a value yet ("lots" for a
        // population) stays in the draft, by field path, until it is fixed; a submission waits
        // for it.
        M::up("ALTER TABLE drafts ADD COLUMN typed TEXT NOT NULL DEFAULT '{}';"),
        // Issue 10: a coordinator's reply to the reviewer travels with the submission (client
        // outbox) and is kept with it (server).
        M::up("ALTER TABLE outbox ADD COLUMN note TEXT; ALTER TABLE submissions ADD COLUMN note TEXT;"),
        // Issue 11: portrait schema 2 (the member record). Stored versions of schema 1 are
        // rewritten as schema 2 (the same content: `joined` is `member_since`, the new fields
        // empty) under the hash of their new canonical form, so that this database, an upgraded
        // server and the bundled files agree on every version's identity. The immutability
        // trigger is lifted for this one rewrite and put back. Drafts, the outbox and
        // submissions keep their text: a schema 1 portrait is upgraded as it is read.
        M::up_with_hook("DROP TRIGGER IF EXISTS versions_are_immutable;", upgrade_versions_to_schema_2),
        // Issue 14, server side. Staff may propose a city that is not published yet (a row of
        // UIL's member list, sent for review with base version 0): a submission's city no longer
        // has to be in `cities` until it is accepted, so the table is rebuilt without that
        // foreign key. Every column and index is kept.
        M::up(
            r#"
CREATE TABLE submissions_new (
    id                TEXT PRIMARY KEY,
    city_id           TEXT NOT NULL,
    base_version      INTEGER NOT NULL CHECK (base_version >= 0),
    body              TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'in_review', 'changes_requested', 'accepted', 'rejected', 'superseded')),
    token_id          TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL,
    request_sha256    TEXT NOT NULL,
    response          TEXT NOT NULL,
    comments          TEXT NOT NULL DEFAULT '[]',
    published_version INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    round             INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
    supersedes        TEXT,
    superseded_by     TEXT,
    note              TEXT,
    UNIQUE (token_id, idempotency_key)
) STRICT;
INSERT INTO submissions_new(id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
                            response, comments, published_version, created_at, updated_at, round, supersedes,
                            superseded_by, note)
    SELECT id, city_id, base_version, body, status, token_id, idempotency_key, request_sha256,
           response, comments, published_version, created_at, updated_at, round, supersedes, superseded_by, note
    FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_new RENAME TO submissions;
CREATE INDEX submissions_city ON submissions(city_id, created_at);
CREATE INDEX submissions_status ON submissions(status, created_at);
CREATE INDEX submissions_token ON submissions(token_id, created_at);
"#,
        ),
    ])
}

/// The hook of migration 9: every stored version of schema 1 becomes schema 2.
fn upgrade_versions_to_schema_2(tx: &Transaction) -> Result<(), HookError> {
    let rows: Vec<(String, u32, String)> = {
        let mut stmt =
            tx.prepare("SELECT city_id, version, body FROM versions WHERE json_extract(body, '$.schema_version') = 1")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (city_id, version, body) in rows {
        let (city, _) = tx.query_row("SELECT * FROM cities WHERE id = ?1", [&city_id], super::city_from_row)?;
        let portrait = super::portrait_from_body(&city, &body)
            .map_err(|e| HookError::Hook(format!("version {version} of {city_id}: {e}")))?;
        let new_body =
            super::body_json(&portrait).map_err(|e| HookError::Hook(format!("version {version} of {city_id}: {e}")))?;
        tx.execute(
            "UPDATE versions SET body = ?3, sha256 = ?4 WHERE city_id = ?1 AND version = ?2",
            rusqlite::params![city_id, version, new_body, portrait.content_sha256()],
        )?;
    }
    tx.execute_batch(
        "CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
         BEGIN
             SELECT RAISE(ABORT, 'portrait versions are immutable');
         END;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// Migration 5 (server): submissions keep every row and index; a key is unique per token,
    /// no longer across tokens.
    #[test]
    fn server_migration_5_scopes_idempotency_keys_per_token_and_keeps_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 4).unwrap();
        conn.execute(
            "INSERT INTO cities(id, name, country_code, country_name, region, latest_version)
             VALUES ('ie-cork', 'Cork', 'IE', 'Ireland', 'Europe and North America', 1)",
            [],
        )
        .unwrap();
        let insert = |conn: &Connection, id: &str, token: &str, key: &str| {
            conn.execute(
                "INSERT INTO submissions(id, city_id, base_version, body, status, token_id, idempotency_key,
                 request_sha256, response, comments, published_version, created_at, updated_at)
                 VALUES (?1, 'ie-cork', 1, '{}', 'accepted', ?2, ?3, 'sha', '{}', '[\"c\"]', 2, 't1', 't2')",
                [id, token, key],
            )
        };
        insert(&conn, "sub_a", "tok1", "k1").unwrap();
        insert(&conn, "sub_b", "tok2", "k2").unwrap();
        assert!(insert(&conn, "sub_c", "tok2", "k1").is_err(), "before: keys unique across tokens");
        migrations().to_latest(&mut conn).unwrap();
        let rows: Vec<(String, String, String, Option<i64>, String)> = conn
            .prepare("SELECT id, token_id, idempotency_key, published_version, comments FROM submissions ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                ("sub_a".into(), "tok1".into(), "k1".into(), Some(2), "[\"c\"]".into()),
                ("sub_b".into(), "tok2".into(), "k2".into(), Some(2), "[\"c\"]".into()),
            ]
        );
        insert(&conn, "sub_c", "tok2", "k1").expect("the same key from another token");
        assert!(insert(&conn, "sub_d", "tok2", "k1").is_err(), "the same key from the same token");
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'submissions' AND sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(indexes, ["submissions_city", "submissions_status", "submissions_token"]);
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'media_uploads'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }

    /// Migration 10 (server): submissions keep every row, column and index, and a submission may
    /// name a city that is not published yet.
    #[test]
    fn server_migration_10_lets_a_submission_propose_a_new_city() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().to_version(&mut conn, 9).unwrap();
        conn.execute(
            "INSERT INTO cities(id, name, country_code, country_name, region, latest_version)
             VALUES ('ie-cork', 'Cork', 'IE', 'Ireland', 'Europe and North America', 1)",
            [],
        )
        .unwrap();
        let insert = |conn: &Connection, id: &str, city: &str, base: i64| {
            conn.execute(
                "INSERT INTO submissions(id, city_id, base_version, body, status, token_id, idempotency_key,
                 request_sha256, response, created_at, updated_at, round, supersedes, note)
                 VALUES (?1, ?2, ?3, '{}', 'submitted', 'tok', ?1, 'sha', '{}', 't1', 't1', 2, 'sub_0', 'a note')",
                rusqlite::params![id, city, base],
            )
        };
        insert(&conn, "sub_a", "ie-cork", 1).unwrap();
        assert!(insert(&conn, "sub_b", "ar-rosario", 0).is_err(), "before: the city must be published");
        migrations().to_latest(&mut conn).unwrap();
        let row: (String, i64, String, String) = conn
            .query_row("SELECT city_id, round, supersedes, note FROM submissions WHERE id = 'sub_a'", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(row, ("ie-cork".into(), 2, "sub_0".into(), "a note".into()));
        insert(&conn, "sub_b", "ar-rosario", 0).expect("a city proposed for review");
        assert!(insert(&conn, "sub_c", "ar-rosario", -1).is_err());
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'submissions' AND sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(indexes, ["submissions_city", "submissions_status", "submissions_token"]);
    }

    /// Migration 6 (server): a city keeps one open submission, its newest; older open ones are
    /// superseded by it; decided ones and other cities are untouched; `superseded` is allowed.
    #[test]
    fn server_migration_6_keeps_one_open_submission_per_city() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 5).unwrap();
        for (id, name) in [("ie-cork", "Cork"), ("ie-limerick", "Limerick")] {
            conn.execute(
                "INSERT INTO cities(id, name, country_code, country_name, region, latest_version)
                 VALUES (?1, ?2, 'IE', 'Ireland', 'Europe and North America', 1)",
                [id, name],
            )
            .unwrap();
        }
        let insert = |conn: &Connection, id: &str, city: &str, status: &str, at: &str| {
            conn.execute(
                "INSERT INTO submissions(id, city_id, base_version, body, status, token_id, idempotency_key,
                 request_sha256, response, created_at, updated_at)
                 VALUES (?1, ?2, 1, '{}', ?3, 'tok', ?1, 'sha', '{}', ?4, ?4)",
                [id, city, status, at],
            )
            .unwrap();
        };
        insert(&conn, "a", "ie-cork", "accepted", "t1");
        insert(&conn, "b", "ie-cork", "submitted", "t2");
        insert(&conn, "c", "ie-cork", "changes_requested", "t3");
        insert(&conn, "d", "ie-cork", "in_review", "t4");
        insert(&conn, "e", "ie-limerick", "submitted", "t2");
        migrations().to_latest(&mut conn).unwrap();
        let rows: Vec<(String, String, Option<String>, i64)> = conn
            .prepare("SELECT id, status, superseded_by, round FROM submissions ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let row =
            |id: &str, status: &str, by: Option<&str>| (id.to_string(), status.to_string(), by.map(String::from), 1);
        assert_eq!(
            rows,
            [
                row("a", "accepted", None),
                row("b", "superseded", Some("d")),
                row("c", "superseded", Some("d")),
                row("d", "in_review", None),
                row("e", "submitted", None),
            ]
        );
        let open: i64 = conn
            .query_row(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM submissions
                 WHERE status IN ('submitted', 'in_review', 'changes_requested') GROUP BY city_id)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(open, 1);
    }
}

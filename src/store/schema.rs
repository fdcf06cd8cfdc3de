//! Schema migrations. Append new migrations; never edit a released one.

use rusqlite_migration::{Migrations, M};

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
    ])
}

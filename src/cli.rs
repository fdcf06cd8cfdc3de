//! The `portraits` command line: parses arguments, calls one use case in `app`, prints the
//! result as text or `--json`. Errors are one line on stderr; the exit code is 2 for bad input,
//! 1 for other failures.
//!
//! Owns: argument syntax and output formatting. Must not: hold business rules or SQL.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::app::{self, ApiError, ErrorCode};
use crate::model::{self, markdown, Portrait, Region};
use crate::store::{CityFilter, SearchQuery, SortBy};

#[derive(Parser, Debug)]
#[command(name = "portraits", version, about = "Learning City Portraits: the UNESCO GNLC city portraits, offline")]
pub struct Cli {
    /// Database file [default: the OS data directory; created and seeded on first use].
    #[arg(long, global = true, env = "PORTRAITS_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Do not seed a new, empty database from the bundled catalogue.
    #[arg(long, global = true)]
    pub no_seed: bool,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// One of UNESCO's five regions, e.g. "Europe and North America".
    #[arg(long)]
    pub region: Option<String>,
    /// Country code (KR) or name ("Republic of Korea").
    #[arg(long)]
    pub country: Option<String>,
    /// Learning City Award year.
    #[arg(long)]
    pub award: Option<u16>,
    /// Key Feature area, 1–12.
    #[arg(long)]
    pub feature: Option<u8>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the cities: name, country, region, awards, latest version.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// name, country or population.
        #[arg(long, default_value = "name")]
        sort: String,
    },
    /// Show a city's portrait (the latest version unless --version).
    Show {
        city: String,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Full-text search (diacritic-insensitive; `learn*` is a prefix; "…" a phrase).
    Search {
        query: String,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Check portrait files: schema and domain errors with JSON paths, quality warnings.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Import portrait files or directories as new versions, all or nothing.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write one JSON file per city version to OUT_DIR (re-import round-trips exactly).
    ExportJson { out_dir: PathBuf },
    /// Write a consistent copy of the database to FILE.
    Backup { file: PathBuf },
    /// Replace the database with a backup made by `backup` (checked first; the old file is kept
    /// beside it as *.before-restore).
    Restore { file: PathBuf },
    /// Booklet definitions in the database.
    Booklet {
        #[command(subcommand)]
        command: BookletCommand,
    },
    /// Typeset a booklet as a print-ready PDF.
    ExportPdf {
        /// A booklet stored in the database (see `booklet list`).
        #[arg(long, conflicts_with_all = ["template", "cities", "city"])]
        booklet: Option<String>,
        /// members-meeting or learning-city-award, with --cities or --city.
        #[arg(long)]
        template: Option<String>,
        /// Comma-separated city ids, in booklet order (latest versions).
        #[arg(long, value_delimiter = ',')]
        cities: Vec<String>,
        /// One city.
        #[arg(long, conflicts_with = "cities")]
        city: Option<String>,
        /// The PDF file to write.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Creation date written into the PDF (YYYY-MM-DD) [default: SOURCE_DATE_EPOCH, else now].
        #[arg(long)]
        date: Option<String>,
    },
    /// Photos stored in the database, content-addressed.
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
    /// Print the JSON Schema of a portrait file (`--feed` for the feed's).
    Schema {
        #[arg(long)]
        feed: bool,
    },
    /// Run the feed and submission server (on its own database).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: std::net::SocketAddr,
        /// The public URL clients use (behind a TLS reverse proxy), for links in the feed.
        #[arg(long)]
        public_url: Option<String>,
        #[command(flatten)]
        limits: ServeLimits,
    },
    /// Access tokens of the server's database.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Pull the catalogue from a feed, send queued submissions, refresh their status.
    Sync {
        /// Feed server or static host [default: the last one synced from].
        #[arg(long)]
        feed: Option<String>,
        /// A city or staff token (remembered for this feed, outside the database).
        #[arg(long)]
        token_file: Option<PathBuf>,
    },
    /// This machine's draft of a city's portrait.
    Draft {
        #[command(subcommand)]
        command: DraftCommand,
    },
    /// Queue the city's draft for review and send it when online.
    Submit {
        city: String,
        #[arg(long)]
        token_file: Option<PathBuf>,
        #[arg(long)]
        feed: Option<String>,
    },
    /// Queued submissions: pending, sent or failed, with reasons.
    Outbox,
    /// A city's submissions: status and reviewer comments.
    Submissions {
        city: String,
        #[arg(long)]
        token_file: Option<PathBuf>,
        #[arg(long)]
        feed: Option<String>,
    },
    /// Review submissions (staff token).
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
        #[arg(long, global = true)]
        token_file: Option<PathBuf>,
        #[arg(long, global = true)]
        feed: Option<String>,
    },
    /// The feed: static export, tombstone retention.
    Feed {
        #[command(subcommand)]
        command: FeedCommand,
    },
    /// Remove a city from the catalogue (its versions stay; clients get a tombstone).
    DeleteCity { city: String },
    /// Remote updates held back by the sync (refused, a photo missing, behind a gap), with the
    /// reason; each is retried on every sync.
    Quarantine,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Issue a token; prints only the token on stdout (its id on stderr).
    Issue {
        #[arg(long, conflicts_with = "staff", required_unless_present = "staff")]
        city: Option<String>,
        #[arg(long)]
        staff: bool,
    },
    /// Revoke a token by its id.
    Revoke { id: String },
    /// List tokens (ids, kinds, cities; never secrets).
    List,
}

#[derive(Subcommand, Debug)]
pub enum DraftCommand {
    /// Show the draft and any fields in conflict (base / theirs / mine).
    Show { city: String },
    /// Set the draft from a portrait JSON file.
    Set {
        city: String,
        #[arg(long)]
        from: PathBuf,
    },
    /// Edit the draft in $EDITOR.
    Edit { city: String },
    /// Choose base, theirs or mine for a field in conflict.
    Resolve { city: String, field: String, choice: String },
    /// Throw the draft away.
    Discard { city: String },
}

#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// Submissions, optionally by status.
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// A submission with its per-field diff against the published version.
    Show { id: String },
    /// Accept and publish (resolve conflicts with --resolve FIELD=base|theirs|mine).
    Accept {
        id: String,
        #[arg(long)]
        resolve: Vec<String>,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Ask the city for changes.
    RequestChanges {
        id: String,
        #[arg(long)]
        comment: String,
        /// A comment on a field: FIELD=COMMENT.
        #[arg(long)]
        field: Vec<String>,
    },
    /// Reject.
    Reject {
        id: String,
        #[arg(long)]
        comment: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum FeedCommand {
    /// Write v1/feed.json and v1/media/* for any static web server or CDN.
    Export {
        dir: PathBuf,
        #[arg(long)]
        public_url: String,
    },
    /// Forget tombstones up to a sequence number (older cursors get 410 Gone).
    PruneTombstones {
        #[arg(long)]
        up_to: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Add JPEG or PNG files; prints each one's SHA-256 (use it in a portrait's photos).
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BookletCommand {
    /// List the booklets.
    List,
    /// Show a booklet definition.
    Show { id: String },
    /// Create or replace a booklet from a TOML definition.
    Create { file: PathBuf },
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            let mut line = format!("portraits: error: {}", e.message);
            if e.fields.len() > 1 && e.code == ErrorCode::InvalidInput {
                for f in e.fields.iter().skip(1).take(20) {
                    line.push_str(&format!("\n  {}: {}", f.path, f.message));
                }
            }
            eprintln!("{line}");
            e.exit_code()
        }
    }
}

/// Sync options; the environment can shorten timeouts and retries (tests, slow links):
/// `PORTRAITS_HTTP_TIMEOUT` (seconds per request), `PORTRAITS_RETRY_ATTEMPTS`,
/// `PORTRAITS_RETRY_BASE_MS` (first backoff).
fn sync_options() -> crate::sync::Options {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut o = crate::sync::Options::default();
    if let Some(t) = env("PORTRAITS_HTTP_TIMEOUT") {
        o.timeout = std::time::Duration::from_secs(t.max(1));
    }
    if let Some(a) = env("PORTRAITS_RETRY_ATTEMPTS") {
        o.retry.attempts = a.clamp(1, 20) as u32;
    }
    if let Some(b) = env("PORTRAITS_RETRY_BASE_MS") {
        o.retry.base = std::time::Duration::from_millis(b);
    }
    o
}

fn filter(f: &FilterArgs) -> Result<CityFilter, ApiError> {
    let region = match &f.region {
        None => None,
        Some(r) => Some(Region::parse(r).ok_or_else(|| {
            let all: Vec<&str> = Region::ALL.iter().map(|r| r.as_str()).collect();
            ApiError::invalid(format!("--region {r:?} is not one of: {}", all.join(", ")), vec![])
        })?),
    };
    if let Some(k) = f.feature {
        if !(1..=12).contains(&k) {
            return Err(ApiError::invalid(format!("--feature {k}: Key Feature areas are numbered 1 to 12"), vec![]));
        }
    }
    Ok(CityFilter { region, country: f.country.clone(), award: f.award, key_feature: f.feature })
}

fn print_json<T: Serialize>(v: &T) -> Result<(), ApiError> {
    let s = serde_json::to_string_pretty(v).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    out(&format!("{s}\n"))
}

fn out(s: &str) -> Result<(), ApiError> {
    let mut o = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    match o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(ApiError::new(ErrorCode::Io, format!("stdout: {e}"))),
        Ok(()) => Ok(()),
    }
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

fn awards(a: &[u16]) -> String {
    a.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
}

/// The server's limits (see `server::Limits`; the defaults are its defaults).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeLimits {
    /// Live connections at most; more wait in the listen backlog.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client has to send a request's head (new and kept-alive connections).
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// Seconds a request may take once its head arrived (body included).
    #[arg(long, default_value_t = 30.0)]
    request_timeout: f64,
    /// Requests per second per token (0: no limit).
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Requests a token may send at once.
    #[arg(long, default_value_t = 60)]
    burst: u32,
    /// Submissions per token in any 24 hours.
    #[arg(long, default_value_t = 120)]
    submissions_per_day: u64,
    /// Bytes of new photos per token in any 24 hours.
    #[arg(long, default_value_t = 200 * 1024 * 1024)]
    upload_bytes_per_day: u64,
    /// Milliseconds a request waits for a database lock before it answers 503.
    #[arg(long, default_value_t = 2000)]
    busy_timeout_ms: u64,
    /// Read-only database connections for long reads (one more serves token lookups).
    #[arg(long, default_value_t = 4)]
    readers: usize,
}

impl ServeLimits {
    fn limits(&self) -> Result<crate::server::Limits, ApiError> {
        let secs = |name: &str, v: f64| {
            std::time::Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| ApiError::invalid(format!("--{name} {v}: a number of seconds above 0"), vec![]))
        };
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return Err(ApiError::invalid(
                format!("--rate {}: a number of requests a second, 0 or more", self.rate),
                vec![],
            ));
        }
        Ok(crate::server::Limits {
            max_connections: self.max_connections.max(1),
            header_timeout: secs("header-timeout", self.header_timeout)?,
            rate_per_sec: self.rate,
            rate_burst: self.burst.max(1),
            submissions_per_day: self.submissions_per_day,
            upload_bytes_per_day: self.upload_bytes_per_day,
            busy_timeout: std::time::Duration::from_millis(self.busy_timeout_ms.max(1)),
            readers: self.readers,
        })
    }
}

pub fn run(cli: Cli) -> Result<(), ApiError> {
    let json = cli.json;
    let open = || app::open(cli.db.as_deref(), !cli.no_seed);
    match &cli.command {
        Command::Schema { feed } => {
            if *feed {
                print_json(&crate::feed::feed_json_schema())
            } else {
                print_json(&model::portrait_json_schema())
            }
        }
        Command::Serve { addr, public_url, limits } => {
            let limits_checked = limits.limits()?;
            let request_timeout = std::time::Duration::try_from_secs_f64(limits.request_timeout)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| ApiError::invalid("--request-timeout: a number of seconds above 0", vec![]))?;
            let store = open()?;
            // Held while serving: a restore from another process would swap the file under
            // the server's connection and lose what it writes afterwards.
            let _hold = match store.path() {
                Some(p) => Some(app::hold_database(p)?),
                None => None,
            };
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let _ =
                tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_ansi(ansi).try_init();
            let public = public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
            let config =
                crate::server::Config { addr: *addr, public_url: public, request_timeout, limits: limits_checked };
            crate::server::serve(store, &config, |a| eprintln!("listening on http://{a}"))
                .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))
        }
        Command::Token { command } => {
            let mut store = open()?;
            match command {
                TokenCommand::Issue { city, .. } => {
                    let t = app::issue_token(&mut store, city.as_deref())?;
                    eprintln!(
                        "issued {} token {}{} — shown once, keep it secret",
                        t.kind,
                        t.id,
                        t.city_id.as_ref().map(|c| format!(" for {c}")).unwrap_or_default()
                    );
                    if json {
                        print_json(&t)
                    } else {
                        out(&format!("{}\n", t.token))
                    }
                }
                TokenCommand::Revoke { id } => {
                    app::revoke_token(&mut store, id)?;
                    out(&format!("revoked {id}\n"))
                }
                TokenCommand::List => {
                    let list = store.tokens().map_err(ApiError::from)?;
                    if json {
                        let v: Vec<_> = list.iter().map(|t| serde_json::json!({"id": t.id, "kind": t.kind, "city": t.city_id, "created_at": t.created_at, "revoked_at": t.revoked_at})).collect();
                        return print_json(&v);
                    }
                    let mut s = String::new();
                    for t in &list {
                        s.push_str(&format!(
                            "{}  {:5}  {:24} {}{}\n",
                            t.id,
                            t.kind,
                            t.city_id.as_deref().unwrap_or("-"),
                            t.created_at,
                            t.revoked_at.as_ref().map(|r| format!("  revoked {r}")).unwrap_or_default()
                        ));
                    }
                    out(&s)
                }
            }
        }
        Command::Sync { feed, token_file } => {
            let mut store = open()?;
            let base = app::feed_url(&store, feed.as_deref())?;
            let token = app::token_for(&base, token_file.as_deref())?;
            let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
            // Progress on a terminal only: a script's stderr carries just the error, if any.
            let mut progress = |p: crate::sync::Progress| {
                if tty {
                    eprintln!("{}: {}", p.phase, p.message);
                }
            };
            let r = app::sync_now(&mut store, &base, token.as_deref(), &sync_options(), &mut progress)?;
            if json {
                return print_json(&r);
            }
            let mut s = format!(
                "{}: {} version(s) added, {} city(ies) deleted, {} item(s) quarantined, cursor {}\n",
                r.pull.mode,
                r.pull.added.len(),
                r.pull.deleted.len(),
                r.pull.quarantined.len(),
                r.pull.cursor
            );
            for (id, why) in &r.pull.quarantined {
                s.push_str(&format!("  quarantined {id}: {why}\n"));
            }
            for city in &r.pull.published_drafts {
                s.push_str(&format!("  draft of {city} is published now: removed\n"));
            }
            for (city, conflicts) in &r.pull.rebased {
                if conflicts.is_empty() {
                    s.push_str(&format!("  draft of {city} rebased onto the new version\n"));
                } else {
                    s.push_str(&format!(
                        "  draft of {city} rebased: {} field(s) in conflict ({}): see `portraits draft show {city}`\n",
                        conflicts.len(),
                        conflicts.join(", ")
                    ));
                }
            }
            if r.sent + r.failed + r.pending > 0 {
                s.push_str(&format!("outbox: {} sent, {} failed, {} pending\n", r.sent, r.failed, r.pending));
            }
            out(&s)
        }
        Command::Draft { command } => {
            let mut store = open()?;
            match command {
                DraftCommand::Show { city } => {
                    let d = app::draft(&store, city)?;
                    if json {
                        return print_json(&d);
                    }
                    match d {
                        None => out(&format!("{city} has no draft\n")),
                        Some(d) => {
                            let mut s = format!(
                                "draft of {city}, based on version {}, saved {}\n",
                                d.base_version, d.updated_at
                            );
                            if d.conflicts.is_empty() {
                                s.push_str("no conflicts\n");
                            }
                            for c in &d.conflicts {
                                s.push_str(&format!(
                                    "\nCONFLICT {}\n  base:   {}\n  theirs: {}\n  mine:   {}\n",
                                    c.field, c.base, c.theirs, c.mine
                                ));
                            }
                            if !d.conflicts.is_empty() {
                                s.push_str(&format!(
                                    "\nresolve each with `portraits draft resolve {city} FIELD base|theirs|mine`\n"
                                ));
                            }
                            out(&s)
                        }
                    }
                }
                DraftCommand::Set { city, from } => {
                    let bytes = std::fs::read(from)
                        .map_err(|e| ApiError::new(ErrorCode::Io, format!("{}: {e}", from.display())))?;
                    let d = app::set_draft(&mut store, city, &bytes, &from.display().to_string())?;
                    out(&format!("draft of {city} saved (based on version {})\n", d.base_version))
                }
                DraftCommand::Edit { city } => {
                    let d = app::edit_draft(&mut store, city)?;
                    out(&format!("draft of {city} saved (based on version {})\n", d.base_version))
                }
                DraftCommand::Resolve { city, field, choice } => {
                    let d = app::resolve_conflict(&mut store, city, field, choice)?;
                    out(&format!("{field}: {choice}; {} conflict(s) left\n", d.conflicts.len()))
                }
                DraftCommand::Discard { city } => {
                    let gone = app::discard_draft(&mut store, city)?;
                    out(&format!("{}\n", if gone { "draft discarded" } else { "no draft" }))
                }
            }
        }
        Command::Submit { city, token_file, feed } => {
            let mut store = open()?;
            let base = app::feed_url(&store, feed.as_deref())?;
            let token = app::token_for(&base, token_file.as_deref())?
                .ok_or_else(|| ApiError::invalid("no token for this feed: pass --token-file", vec![]))?;
            let r = app::submit(&mut store, city, &base, &token, &sync_options())?;
            if json {
                return print_json(&r);
            }
            match r.status.as_str() {
                "sent" => out(&format!("submitted: {} (status: submitted)\n", r.submission_id.unwrap_or_default())),
                "pending" => out(&format!(
                    "queued in the outbox; it will be sent on the next sync ({})\n",
                    r.error.unwrap_or_default()
                )),
                _ => Err(ApiError::invalid(
                    format!("the server refused the submission: {}", r.error.unwrap_or_default()),
                    vec![],
                )),
            }
        }
        Command::Outbox => {
            let store = open()?;
            let list = app::outbox(&store)?;
            if json {
                return print_json(&list);
            }
            let mut s = String::new();
            for e in &list {
                s.push_str(&format!(
                    "#{} {} v{}→ {} {}{}{}\n",
                    e.id,
                    e.city_id,
                    e.base_version,
                    e.status,
                    e.created_at,
                    e.submission_id.as_ref().map(|i| format!(" {i}")).unwrap_or_default(),
                    e.last_error.as_ref().map(|r| format!("\n    {r}")).unwrap_or_default()
                ));
            }
            if list.is_empty() {
                s.push_str("the outbox is empty\n");
            }
            out(&s)
        }
        Command::Submissions { city, token_file, feed } => {
            let mut store = open()?;
            let base = app::feed_url(&store, feed.as_deref()).ok();
            let token = match &base {
                Some(b) => app::token_for(b, token_file.as_deref())?,
                None => token_file.as_deref().map(app::read_token_file).transpose()?,
            };
            let (list, live) = app::submissions(&mut store, city, base.as_deref(), token.as_deref(), &sync_options())?;
            if json {
                return print_json(&serde_json::json!({ "live": live, "submissions": list }));
            }
            let mut s = if live { String::new() } else { "(offline: last known status)\n".to_string() };
            for v in &list {
                s.push_str(&format!(
                    "{} {} base v{} {}{}\n",
                    v["id"].as_str().unwrap_or(""),
                    v["status"].as_str().unwrap_or(""),
                    v["baseVersion"],
                    v["createdAt"].as_str().unwrap_or(""),
                    v["publishedVersion"].as_u64().map(|p| format!(" → published as version {p}")).unwrap_or_default()
                ));
                for c in v["comments"].as_array().into_iter().flatten() {
                    s.push_str(&format!(
                        "    {}: {}\n",
                        c["field"].as_str().unwrap_or("comment"),
                        c["comment"].as_str().unwrap_or("")
                    ));
                }
            }
            if list.is_empty() {
                s.push_str("no submissions\n");
            }
            out(&s)
        }
        Command::Review { command, token_file, feed } => {
            let store = open()?;
            let base = app::feed_url(&store, feed.as_deref())?;
            let token = app::token_for(&base, token_file.as_deref())?
                .ok_or_else(|| ApiError::invalid("reviewing needs a staff token: pass --token-file", vec![]))?;
            let v = match command {
                ReviewCommand::List { status } => review_list(&base, &token, status.as_deref())?,
                ReviewCommand::Show { id } => {
                    app::staff_request(&base, &token, "GET", &format!("/v1/submissions/{id}"), None)?
                }
                ReviewCommand::Accept { id, resolve, comment } => {
                    let mut res = serde_json::Map::new();
                    for r in resolve {
                        let (f, c) = r.split_once('=').ok_or_else(|| {
                            ApiError::invalid(format!("--resolve {r:?}: use FIELD=base|theirs|mine"), vec![])
                        })?;
                        res.insert(f.to_string(), serde_json::Value::String(c.to_string()));
                    }
                    let body = serde_json::json!({ "decision": "accept", "comment": comment, "resolutions": res });
                    app::staff_request(&base, &token, "POST", &format!("/v1/submissions/{id}/decision"), Some(body))?
                }
                ReviewCommand::RequestChanges { id, comment, field } => {
                    let mut comments = Vec::new();
                    for f in field {
                        let (k, c) = f
                            .split_once('=')
                            .ok_or_else(|| ApiError::invalid(format!("--field {f:?}: use FIELD=COMMENT"), vec![]))?;
                        comments.push(serde_json::json!({ "field": k, "comment": c }));
                    }
                    let body =
                        serde_json::json!({ "decision": "request_changes", "comment": comment, "comments": comments });
                    app::staff_request(&base, &token, "POST", &format!("/v1/submissions/{id}/decision"), Some(body))?
                }
                ReviewCommand::Reject { id, comment } => {
                    let body = serde_json::json!({ "decision": "reject", "comment": comment });
                    app::staff_request(&base, &token, "POST", &format!("/v1/submissions/{id}/decision"), Some(body))?
                }
            };
            if json {
                return print_json(&v);
            }
            out(&render_review(&v))
        }
        Command::Feed { command } => {
            let mut store = open()?;
            match command {
                FeedCommand::Export { dir, public_url } => {
                    let (items, media) = app::export_feed(&mut store, dir, public_url)?;
                    out(&format!("wrote {}/v1/feed.json ({items} items) and {media} media file(s)\n", dir.display()))
                }
                FeedCommand::PruneTombstones { up_to } => {
                    let n = store.prune_tombstones(*up_to).map_err(ApiError::from)?;
                    out(&format!("the change log starts after {up_to} now: older cursors answer 410 Gone and take the snapshot ({n} tombstone(s) behind the floor, kept in the snapshot)\n"))
                }
            }
        }
        Command::DeleteCity { city } => {
            let mut store = open()?;
            let seq = store.delete_city(city).map_err(ApiError::from)?;
            out(&format!("deleted {city} (tombstone at {seq})\n"))
        }
        Command::Quarantine => {
            let store = open()?;
            let list = app::held_back(&store)?;
            if json {
                return print_json(&list);
            }
            let mut s = String::new();
            if !list.is_empty() {
                s.push_str(&format!(
                    "{} update(s) held back; each is retried on every sync and applies once it can:\n",
                    list.len()
                ));
            }
            for q in &list {
                let what = match (&q.city_id, q.version) {
                    (Some(c), Some(v)) => format!("{c} version {v}"),
                    (Some(c), None) => c.clone(),
                    _ => q.item_id.clone(),
                };
                s.push_str(&format!(
                    "  {what} (item {}, from {})\n    {}\n    held since {}, tried {} time(s), last {}\n",
                    q.item_id, q.feed, q.reason, q.first_at, q.attempts, q.at
                ));
            }
            if list.is_empty() {
                s.push_str("nothing held back\n");
            }
            out(&s)
        }
        Command::Validate { files } => {
            let mut reports = Vec::new();
            for f in files {
                reports.push(app::validate_file(f)?);
            }
            let bad = reports.iter().filter(|r| !r.valid).count();
            if json {
                print_json(&reports)?;
            } else {
                let mut s = String::new();
                for r in &reports {
                    s.push_str(&format!("{}: {}\n", r.file, if r.valid { "valid" } else { "INVALID" }));
                    for e in &r.errors {
                        s.push_str(&format!("  error   {}: {}\n", e.path, e.message));
                    }
                    for w in &r.warnings {
                        s.push_str(&format!("  warning {}: {}\n", w.path, w.message));
                    }
                }
                out(&s)?;
            }
            if bad > 0 {
                let first = reports
                    .iter()
                    .find(|r| !r.valid)
                    .and_then(|r| r.errors.first().map(|e| (r.file.clone(), e.clone())));
                let (file, e) = first.unwrap_or_default();
                return Err(ApiError::invalid(
                    format!("{bad} of {} file(s) invalid; first: {file}: {}: {}", reports.len(), e.path, e.message),
                    vec![],
                ));
            }
            Ok(())
        }
        Command::List { filter: f, sort } => {
            let sort = match sort.as_str() {
                "name" => SortBy::Name,
                "country" => SortBy::Country,
                "population" => SortBy::Population,
                other => {
                    return Err(ApiError::invalid(format!("--sort {other:?}: use name, country or population"), vec![]))
                }
            };
            let store = open()?;
            let rows = app::list(&store, &filter(f)?, sort)?;
            if json {
                return print_json(&rows);
            }
            let mut s = format!(
                "{} {} {} {} {} {}\n",
                pad("ID", 26),
                pad("NAME", 22),
                pad("COUNTRY", 28),
                pad("REGION", 32),
                pad("AWARDS", 12),
                "VERSION"
            );
            for c in &rows {
                let country: String = c.country.name.chars().take(27).collect();
                s.push_str(&format!(
                    "{} {} {} {} {} {}\n",
                    pad(&c.id, 26),
                    pad(&c.name, 22),
                    pad(&country, 28),
                    pad(c.region.as_str(), 32),
                    pad(&awards(&c.awards), 12),
                    c.latest_version
                ));
            }
            s.push_str(&format!("{} cities\n", rows.len()));
            out(&s)
        }
        Command::Show { city, version } => {
            let store = open()?;
            let view = app::show(&store, city, *version)?;
            if json {
                print_json(&view)
            } else {
                out(&render_portrait(&view))
            }
        }
        Command::Search { query, filter: f, limit } => {
            let store = open()?;
            let hits =
                app::search(&store, &SearchQuery { text: query.clone(), filter: filter(f)?, limit: Some(*limit) })?;
            if json {
                return print_json(&hits);
            }
            let mut s = String::new();
            for (i, h) in hits.iter().enumerate() {
                s.push_str(&format!(
                    "{:>2}. {}, {} ({})\n    {}\n",
                    i + 1,
                    h.name,
                    h.country,
                    h.city_id,
                    h.snippet_marked("[", "]")
                ));
            }
            s.push_str(&format!("{} result(s)\n", hits.len()));
            out(&s)
        }
        Command::Import { paths } => {
            let mut store = open()?;
            let report = app::import_paths(&mut store, paths)?;
            if json {
                return print_json(&report);
            }
            let mut s = String::new();
            for (c, v) in &report.added {
                s.push_str(&format!("added {c} version {v}\n"));
            }
            s.push_str(&format!(
                "{} version(s) added ({} new cities), {} already present\n",
                report.added.len(),
                report.new_cities.len(),
                report.unchanged.len()
            ));
            out(&s)
        }
        Command::ExportJson { out_dir } => {
            let store = open()?;
            let n = app::export_json(&store, out_dir)?;
            if json {
                print_json(&serde_json::json!({ "files": n, "dir": out_dir }))
            } else {
                out(&format!("wrote {n} portrait files to {}\n", out_dir.display()))
            }
        }
        Command::Restore { file } => {
            let db = match cli.db.as_deref() {
                Some(p) => p.to_path_buf(),
                None => app::default_db_path()?,
            };
            app::restore_database(&db, file)?;
            if json {
                print_json(&serde_json::json!({ "restored": file, "db": db }))
            } else {
                out(&format!("restored {} from {}\n", db.display(), file.display()))
            }
        }
        Command::Backup { file } => {
            let store = open()?;
            app::backup(&store, file)?;
            if json {
                print_json(&serde_json::json!({ "backup": file }))
            } else {
                out(&format!("backed up to {}\n", file.display()))
            }
        }
        Command::ExportPdf { booklet, template, cities, city, output, date } => {
            use crate::model::booklet::Template;
            let source = match (booklet, template) {
                (Some(id), _) => app::BookletSource::Stored(id.clone()),
                (None, Some(t)) => {
                    let template = Template::parse(t).ok_or_else(|| {
                        ApiError::invalid(
                            format!("--template {t:?}: use members-meeting or learning-city-award"),
                            vec![],
                        )
                    })?;
                    let mut list: Vec<String> =
                        cities.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
                    if let Some(c) = city {
                        list.push(c.clone());
                    }
                    app::BookletSource::Adhoc { template, cities: list }
                }
                (None, None) => {
                    return Err(ApiError::invalid("give --booklet ID, or --template with --cities or --city", vec![]))
                }
            };
            let date = app::export_date(date.as_deref())?;
            let store = open()?;
            let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let mut progress = |page: usize, pages: usize| {
                if tty {
                    eprint!("\rwriting page {page} of {pages}");
                    if page == pages {
                        eprintln!();
                    }
                } else if page == pages || page.is_multiple_of(25) {
                    eprintln!("writing page {page} of {pages}");
                }
            };
            let report = app::export_pdf(&store, &source, output, date, &mut progress)?;
            if json {
                print_json(&report)
            } else {
                out(&format!(
                    "wrote {} ({} pages, {} cities, {} bytes)\n",
                    report.file, report.pages, report.cities, report.bytes
                ))
            }
        }
        Command::Media { command: MediaCommand::Add { files } } => {
            let mut store = open()?;
            let mut added = Vec::new();
            for f in files {
                let (sha, mime) = app::add_media(&mut store, f)?;
                added.push(serde_json::json!({ "file": f, "sha256": sha, "mime": mime }));
            }
            if json {
                print_json(&added)
            } else {
                let lines: Vec<String> = added
                    .iter()
                    .map(|a| {
                        format!(
                            "{}  {}  {}",
                            a["sha256"].as_str().unwrap_or(""),
                            a["mime"].as_str().unwrap_or(""),
                            a["file"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                out(&format!("{}\n", lines.join("\n")))
            }
        }
        Command::Booklet { command } => {
            let mut store = open()?;
            match command {
                BookletCommand::List => {
                    let list = app::booklets(&store)?;
                    if json {
                        return print_json(&list);
                    }
                    let mut s = String::new();
                    for b in &list {
                        s.push_str(&format!(
                            "{} {} {} cities  {}\n",
                            pad(&b.id, 28),
                            pad(b.template.as_str(), 20),
                            b.cities.len(),
                            b.title
                        ));
                    }
                    out(&s)
                }
                BookletCommand::Show { id } => {
                    let b = app::booklet(&store, id)?;
                    if json {
                        return print_json(&b);
                    }
                    let mut s = format!("{} ({})\n{}\n", b.id, b.template.as_str(), b.title);
                    if let Some(st) = &b.subtitle {
                        s.push_str(&format!("{st}\n"));
                    }
                    if let Some(d) = &b.dates {
                        s.push_str(&format!("{d}\n"));
                    }
                    s.push('\n');
                    for (i, e) in b.cities.iter().enumerate() {
                        s.push_str(&format!("{:>3}. {} v{}\n", i + 1, e.city, e.version));
                    }
                    out(&s)
                }
                BookletCommand::Create { file } => {
                    let b = app::create_booklet(&mut store, file)?;
                    if json {
                        return print_json(&b);
                    }
                    out(&format!("stored booklet {} with {} cities\n", b.id, b.cities.len()))
                }
            }
        }
    }
}

/// Every submission (with a status, if given), following the server's pages (`next`).
fn review_list(base: &str, token: &str, status: Option<&str>) -> Result<serde_json::Value, ApiError> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    // At most 10,000 pages of 500: a server that never ends its list is cut off.
    for _ in 0..10_000 {
        let mut q = vec!["limit=500".to_string()];
        if let Some(s) = status {
            q.push(format!("status={s}"));
        }
        if let Some(a) = &after {
            q.push(format!("after={a}"));
        }
        let page = app::staff_request(base, token, "GET", &format!("/v1/submissions?{}", q.join("&")), None)?;
        all.extend(page.get("submissions").and_then(|l| l.as_array()).cloned().unwrap_or_default());
        match page.get("next").and_then(|n| n.as_str()) {
            Some(n) if after.as_deref() != Some(n) => after = Some(n.to_string()),
            _ => break,
        }
    }
    Ok(serde_json::json!({ "submissions": all, "next": null }))
}

/// A review answer as text: a list, or one submission with its diff.
fn render_review(v: &serde_json::Value) -> String {
    let mut s = String::new();
    if let Some(list) = v.get("submissions").and_then(|l| l.as_array()) {
        for x in list {
            s.push_str(&format!(
                "{} {} {} base v{} {}\n",
                x["id"].as_str().unwrap_or(""),
                x["cityId"].as_str().unwrap_or(""),
                x["status"].as_str().unwrap_or(""),
                x["baseVersion"],
                x["createdAt"].as_str().unwrap_or("")
            ));
        }
        if list.is_empty() {
            s.push_str("no submissions\n");
        }
        return s;
    }
    s.push_str(&format!(
        "{} {} {} (base v{}{})\n",
        v["id"].as_str().unwrap_or(""),
        v["cityId"].as_str().unwrap_or(""),
        v["status"].as_str().unwrap_or(""),
        v["baseVersion"],
        v["publishedNow"].as_u64().map(|p| format!(", published now v{p}")).unwrap_or_default()
    ));
    if let Some(p) = v["publishedVersion"].as_u64() {
        s.push_str(&format!("published as version {p}\n"));
    }
    for d in v.get("diff").and_then(|d| d.as_array()).into_iter().flatten() {
        let state = d["state"].as_str().unwrap_or("");
        if state == "unchanged" {
            continue;
        }
        s.push_str(&format!("  {:<22} {}\n", d["field"].as_str().unwrap_or(""), state));
        if state == "conflict" || state == "mine" {
            s.push_str(&format!("      published: {}\n      submitted: {}\n", d["theirs"], d["mine"]));
        }
    }
    for c in v.get("comments").and_then(|c| c.as_array()).into_iter().flatten() {
        s.push_str(&format!(
            "  comment ({}): {}\n",
            c["field"].as_str().unwrap_or("general"),
            c["comment"].as_str().unwrap_or("")
        ));
    }
    s
}

fn indent_md(md: &str) -> String {
    let mut s = String::new();
    for block in markdown::parse(md) {
        match block {
            markdown::Block::Paragraph { spans } => {
                s.push_str(&format!("  {}\n\n", markdown::spans_text(&spans)));
            }
            markdown::Block::List(list) => {
                list_lines(&list, 1, &mut s);
                s.push('\n');
            }
        }
    }
    s
}

fn list_lines(list: &markdown::List, depth: usize, s: &mut String) {
    for (i, item) in list.items.iter().enumerate() {
        let marker = match list.start {
            Some(n) => format!("{}.", n + i as u64),
            None => "•".to_string(),
        };
        s.push_str(&format!("{}{} {}\n", "  ".repeat(depth), marker, markdown::spans_text(&item.spans)));
        if let Some(c) = &item.children {
            list_lines(c, depth + 1, s);
        }
    }
}

/// A portrait as text, in the booklet's order.
pub fn render_portrait(view: &app::PortraitView) -> String {
    let p: &Portrait = &view.portrait;
    let mut s = format!("{}, {} ({})\n", p.city.name, p.city.country.name, p.city.id);
    s.push_str(&format!(
        "Version {} of {} · {} · published {}\n",
        p.version,
        view.latest_version,
        p.source.booklet.as_deref().unwrap_or("edited"),
        p.source.published
    ));
    s.push_str(&format!("Region: {}", p.city.region));
    if !p.city.awards.is_empty() {
        s.push_str(&format!(" · UNESCO Learning City Award {}", awards(&p.city.awards)));
    }
    if let Some(j) = p.city.joined {
        s.push_str(&format!(" · joined the GNLC in {j}"));
    }
    s.push('\n');
    if let Some(t) = &p.tagline {
        s.push_str(&format!("\n{t}\n"));
    }
    s.push_str("\nFacts\n");
    for (_, label, f) in p.facts.rows() {
        s.push_str(&format!("  {} {}\n", pad(label, 34), f.display()));
        if let Some(n) = &f.note {
            s.push_str(&format!("  {} ({n})\n", pad("", 34)));
        }
    }
    s.push_str(&format!("\n{}\n\n", p.lead));
    for (key, heading) in model::SECTIONS {
        if let Some(md) = p.section(key) {
            s.push_str(&format!("{heading}\n{}", indent_md(md)));
        }
    }
    if !p.highlights.is_empty() {
        s.push_str("Highlights\n");
        for h in &p.highlights {
            s.push_str(&format!("  • {h}\n"));
        }
        s.push('\n');
    }
    if let Some(q) = &p.quote {
        s.push_str(&format!("‘{}’\n  — {}", q.text, q.speaker));
        if let Some(r) = &q.role {
            s.push_str(&format!(", {r}"));
        }
        s.push_str("\n\n");
    }
    if !p.contacts.is_empty() {
        s.push_str("Contact details\n");
        for c in &p.contacts {
            let mut line = format!("  {}", c.name);
            for part in [c.role.as_ref(), c.organisation.as_ref()].into_iter().flatten() {
                line.push_str(&format!(", {part}"));
            }
            if let Some(e) = &c.email {
                line.push_str(&format!(" <{e}>"));
            }
            s.push_str(&format!("{line}\n"));
        }
        s.push('\n');
    }
    if !view.warnings.is_empty() {
        s.push_str("Data-quality warnings\n");
        for w in &view.warnings {
            s.push_str(&format!("  ! {} ({})\n", w.message, w.path));
        }
        s.push('\n');
    }
    let hist: Vec<String> = view
        .versions
        .iter()
        .map(|v| format!("v{} {} {}", v.version, v.published, v.booklet.as_deref().unwrap_or("edit")))
        .collect();
    s.push_str(&format!("History: {}\n", hist.join(" · ")));
    s
}

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
use crate::model::booklet::Template;

/// `--lang`: a language the booklets are set in.
fn parse_lang(s: &str) -> Result<crate::booklet::words::Lang, String> {
    crate::booklet::words::Lang::parse(s).ok_or_else(|| format!("no booklet language \"{s}\": use en, fr or es"))
}

/// How `export-pdf --print` puts pages on sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Impose {
    /// Two pages side by side per sheet side (A5 pages on A4), in the order that folds.
    SaddleStitch,
}
use crate::model::{self, markdown, merge::Choice, Portrait, Region};
use crate::protocol::SubmissionStatus;
use crate::protocol::{DecisionRequest, FieldComment, SubmissionDetail, SubmissionSummary};
use crate::store::{CityFilter, OutboxStatus, SearchQuery, SortBy};

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
        #[arg(long, value_enum, default_value_t = SortBy::Name)]
        sort: SortBy,
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
    /// Cities worth calling: ranked by the themes, Key Feature areas and facts they share with
    /// CITY, each with its reasons.
    Partners {
        city: String,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// Only cities of this region, e.g. "Latin America and the Caribbean".
        #[arg(long)]
        region: Option<String>,
    },
    /// Two to four cities side by side: facts with their years, density, awards, Key Feature
    /// areas, and their sections.
    Compare {
        #[arg(required = true, num_args = 1..)]
        cities: Vec<String>,
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
    /// Import UIL's member list from a spreadsheet (CSV, XLSX, XLS, ODS), one city per row:
    /// each row a new version of its city, or a new city; all or nothing.
    ImportTable {
        /// The spreadsheet (or, with --template, where to write the template).
        file: PathBuf,
        /// Print what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write an empty template (XLSX) with the expected headers and a notes row to FILE.
        #[arg(long, conflicts_with = "dry_run")]
        template: bool,
        /// On a laptop that follows the feed, with a staff token: send each new or changed row
        /// to the server as a submission, for review (accept them with `review accept`).
        #[arg(long, conflicts_with_all = ["dry_run", "template"])]
        for_review: bool,
        /// The feed (default: the one this database follows).
        #[arg(long, requires = "for_review")]
        feed: Option<String>,
        /// A file holding the staff token (default: the one saved for the feed).
        #[arg(long, requires = "for_review")]
        token_file: Option<PathBuf>,
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
        /// The layout, with --cities or --city.
        #[arg(long, value_enum)]
        template: Option<Template>,
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
        /// For the print shop: 3 mm bleed with trim and bleed boxes, pages padded to a multiple of 4.
        #[arg(long)]
        print: bool,
        /// Crop marks outside the bleed (with --print).
        #[arg(long, requires = "print")]
        marks: bool,
        /// Impose the pages on sheets (with --print): `saddle-stitch`, 2-up A4 sheets ready to fold.
        #[arg(long, value_enum, requires = "print")]
        impose: Option<Impose>,
        /// Language of the booklet's fixed words and numbers: en, fr or es [default: the
        /// definition's `lang`, else en]. The portraits' own text stays as written.
        #[arg(long, value_parser = parse_lang)]
        lang: Option<crate::booklet::words::Lang>,
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
        /// Words to the reviewer sent with it (a reply to their comments).
        #[arg(long)]
        note: Option<String>,
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
    /// Issue a token for each city and write its invitation (focal point, feed, token, how to
    /// install and connect) to OUT/<city-id>.txt, and one mail-merge file OUT/invitations.csv.
    Invite {
        /// City ids, comma-separated or repeated.
        #[arg(long, value_delimiter = ',', required = true)]
        cities: Vec<String>,
        /// The feed address the cities connect to (the server's public URL).
        #[arg(long)]
        feed: String,
        /// Where to write the invitations (created; files readable by you only).
        #[arg(long)]
        out: PathBuf,
    },
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
    Resolve {
        city: String,
        field: String,
        #[arg(value_enum)]
        choice: Choice,
    },
    /// Throw the draft away.
    Discard { city: String },
}

#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// Submissions, optionally by status (repeat --status for several; --open for those
    /// waiting on a reviewer or the city).
    List {
        #[arg(long, value_enum)]
        status: Vec<SubmissionStatus>,
        /// Only open submissions: submitted, in review or sent back for changes.
        #[arg(long, conflicts_with = "status")]
        open: bool,
    },
    /// A submission with its per-field diff against the published version.
    Show { id: String },
    /// Accept and publish (resolve conflicts with --resolve FIELD=base|theirs|mine). Several
    /// ids accept each in turn; one that cannot be accepted is said and the others go on.
    Accept {
        #[arg(required = true, num_args = 1..)]
        ids: Vec<String>,
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
    /// Create a booklet from a TOML definition (an existing id is refused unless --replace).
    Create {
        file: PathBuf,
        /// Replace the booklet with this id if there is one (never one that comes with the app).
        #[arg(long)]
        replace: bool,
    },
    /// Copy a booklet under a new id (`ID-copy`) to change it.
    Duplicate { id: String },
    /// Delete a booklet (not one that comes with the app).
    Delete { id: String },
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

/// Sync options, as the environment tunes them (`sync::Options::with_env`).
fn sync_options() -> crate::sync::Options {
    crate::sync::Options::default().with_env(std::time::Duration::from_secs(u64::MAX / 2))
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

/// What every subcommand needs: where the database is and how to print.
struct Ctx {
    db: Option<PathBuf>,
    seed: bool,
    json: bool,
}

impl Ctx {
    fn open(&self) -> Result<crate::store::Store, ApiError> {
        app::open(self.db.as_deref(), self.seed)
    }

    /// The database file (for restore, which must not open it).
    fn db_path(&self) -> Result<PathBuf, ApiError> {
        match self.db.as_deref() {
            Some(p) => Ok(p.to_path_buf()),
            None => app::default_db_path(),
        }
    }

    /// Prints `v` as JSON with `--json`, else as the text `render` makes of it.
    fn emit<T: Serialize>(&self, v: &T, render: impl FnOnce(&T) -> String) -> Result<(), ApiError> {
        if self.json {
            print_json(v)
        } else {
            out(&render(v))
        }
    }

    /// The feed (given or remembered) and the token for it (from `--token-file` or remembered).
    fn feed_and_token(
        &self,
        feed: Option<&str>,
        token_file: Option<&std::path::Path>,
        why: &str,
    ) -> Result<(String, String), ApiError> {
        let store = self.open()?;
        let base = app::feed_url(&store, feed)?;
        let token = app::token_for(&base, token_file)?.ok_or_else(|| ApiError::invalid(why, vec![]))?;
        Ok((base, token))
    }
}

pub fn run(cli: Cli) -> Result<(), ApiError> {
    let ctx = Ctx { db: cli.db, seed: !cli.no_seed, json: cli.json };
    match cli.command {
        Command::List { filter, sort } => list(&ctx, &filter, sort),
        Command::Show { city, version } => show(&ctx, &city, version),
        Command::Search { query, filter, limit } => search(&ctx, query, &filter, limit),
        Command::Validate { files } => validate(&ctx, &files),
        Command::Partners { city, limit, region } => partners(&ctx, &city, limit, region),
        Command::Compare { cities } => compare(&ctx, &cities),
        Command::Import { paths } => import(&ctx, &paths),
        Command::ImportTable { file, for_review: true, feed, token_file, .. } => {
            import_table_for_review(&ctx, &file, feed.as_deref(), token_file.as_deref())
        }
        Command::ImportTable { file, dry_run, template, .. } => import_table(&ctx, &file, dry_run, template),
        Command::ExportJson { out_dir } => export_json(&ctx, &out_dir),
        Command::Backup { file } => backup(&ctx, &file),
        Command::Restore { file } => restore(&ctx, &file),
        Command::Booklet { command } => booklet(&ctx, command),
        Command::ExportPdf { booklet, template, cities, city, output, date, print, marks, impose, lang } => {
            let print = print.then_some(crate::booklet::print::Print {
                marks,
                impose: impose.map(|Impose::SaddleStitch| crate::booklet::print::Imposition::SaddleStitch),
            });
            export_pdf(&ctx, booklet, template, cities, city, &output, date.as_deref(), print, lang)
        }
        Command::Media { command: MediaCommand::Add { files } } => media_add(&ctx, &files),
        Command::Schema { feed } => schema(feed),
        Command::Serve { addr, public_url, limits } => serve(&ctx, addr, public_url, &limits),
        Command::Token { command } => token(&ctx, command),
        Command::Sync { feed, token_file } => sync(&ctx, feed.as_deref(), token_file.as_deref()),
        Command::Draft { command } => draft(&ctx, command),
        Command::Submit { city, note, token_file, feed } => {
            submit(&ctx, &city, note.as_deref(), feed.as_deref(), token_file.as_deref())
        }
        Command::Outbox => outbox(&ctx),
        Command::Submissions { city, token_file, feed } => {
            submissions(&ctx, &city, feed.as_deref(), token_file.as_deref())
        }
        Command::Review { command, token_file, feed } => review(&ctx, command, feed.as_deref(), token_file.as_deref()),
        Command::Feed { command } => feed(&ctx, command),
        Command::DeleteCity { city } => delete_city(&ctx, &city),
        Command::Quarantine => quarantine(&ctx),
    }
}

// ---- the catalogue ----------------------------------------------------------------------------

fn list(ctx: &Ctx, f: &FilterArgs, sort: SortBy) -> Result<(), ApiError> {
    let store = ctx.open()?;
    let rows = app::list(&store, &filter(f)?, sort)?;
    ctx.emit(&rows, |rows| {
        let cols = ["ID", "NAME", "COUNTRY", "REGION", "AWARDS"];
        let widths = [26, 22, 28, 32, 12];
        let mut s = String::new();
        for (c, w) in cols.iter().zip(widths) {
            s.push_str(&format!("{} ", pad(c, w)));
        }
        s.push_str("VERSION\n");
        for c in rows {
            let country: String = c.country.name.chars().take(27).collect();
            let cells = [c.id.as_str(), &c.name, &country, c.region.as_str(), &awards(&c.awards)];
            for (v, w) in cells.iter().zip(widths) {
                s.push_str(&format!("{} ", pad(v, w)));
            }
            s.push_str(&format!("{}\n", c.latest_version));
        }
        s.push_str(&format!("{} cities\n", rows.len()));
        s
    })
}

fn show(ctx: &Ctx, city: &str, version: Option<u32>) -> Result<(), ApiError> {
    let view = app::show(&ctx.open()?, city, version)?;
    ctx.emit(&view, render_portrait)
}

fn search(ctx: &Ctx, text: String, f: &FilterArgs, limit: u32) -> Result<(), ApiError> {
    let store = ctx.open()?;
    let hits = app::search(&store, &SearchQuery { text, filter: filter(f)?, limit: Some(limit) })?;
    ctx.emit(&hits, |hits| {
        let mut s = String::new();
        for (i, h) in hits.iter().enumerate() {
            let snippet = h.snippet_marked("[", "]");
            s.push_str(&format!("{:>2}. {}, {} ({})\n    {snippet}\n", i + 1, h.name, h.country, h.city_id));
        }
        s.push_str(&format!("{} result(s)\n", hits.len()));
        s
    })
}

fn partners(ctx: &Ctx, city: &str, limit: usize, region: Option<String>) -> Result<(), ApiError> {
    let store = ctx.open()?;
    let region = filter(&FilterArgs { region, country: None, award: None, feature: None })?.region;
    let list = app::partners(&store, city, limit, region)?;
    ctx.emit(&list, |list| {
        let mut s = String::new();
        for (i, p) in list.iter().enumerate() {
            s.push_str(&format!("{:>2}. {}, {} ({}) score {:.3}\n", i + 1, p.name, p.country, p.city, p.score));
            for r in &p.reasons {
                s.push_str(&format!("    {}: {}\n", r.kind, r.detail));
            }
        }
        s
    })
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s.to_string()
    }
}

fn compare(ctx: &Ctx, cities: &[String]) -> Result<(), ApiError> {
    let store = ctx.open()?;
    let list = app::compare(&store, cities)?;
    ctx.emit(&list, |list| compare_text(list))
}

/// The cities of `compare` side by side, as text.
fn compare_text(list: &[app::Compared]) -> String {
    let cell = |s: String| format!("{s:>22}");
    let mut s = format!("{:<28}", "");
    for c in list {
        s.push_str(&cell(c.name.clone()));
    }
    s.push('\n');
    for (i, (_, label)) in model::rules::FACTS.iter().enumerate() {
        s.push_str(&format!("{label:<28}"));
        for c in list {
            let f = c.facts.rows()[i].2;
            let year = f.year.get().map(|y| y.to_string()).unwrap_or_else(|| "n/a".into());
            let text = match f.value.as_f64() {
                Some(v) => format!("{} ({year})", model::format_number(v)),
                None => "n/a".to_string(),
            };
            s.push_str(&cell(text));
        }
        s.push('\n');
    }
    let row = |s: &mut String, label: &str, f: &dyn Fn(&app::Compared) -> String| {
        s.push_str(&format!("{label:<28}"));
        for c in list {
            s.push_str(&cell(f(c)));
        }
        s.push('\n');
    };
    let years = |y: &[u16]| {
        if y.is_empty() {
            "—".into()
        } else {
            y.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
        }
    };
    row(&mut s, "Density (per km²)", &|c| c.density_per_km2.map(model::format_number).unwrap_or_else(|| "n/a".into()));
    row(&mut s, "Awards", &|c| years(&c.awards));
    row(&mut s, "Member since", &|c| c.member_since.map(|y| y.to_string()).unwrap_or_else(|| "—".into()));
    row(&mut s, "Mayor", &|c| c.mayor.clone().unwrap_or_else(|| "—".into()));
    row(&mut s, "Key Feature areas", &|c| c.key_feature_areas.iter().map(u8::to_string).collect::<Vec<_>>().join(", "));
    for c in list.iter().filter(|c| !c.clusters.is_empty() || !c.interests.is_empty()) {
        let clusters: Vec<&str> = c.clusters.iter().map(|x| x.label()).collect();
        let interests: Vec<String> = c
            .interests
            .iter()
            .map(|i| format!("{} (interest {}, expertise {})", i.theme.label(), i.interest, i.expertise))
            .collect();
        s.push_str(&format!(
            "{}: clusters {}; interests {}\n",
            c.name,
            or_none(&clusters.join(", ")),
            or_none(&interests.join(", "))
        ));
    }
    s.pop();
    s.push('\n');
    s
}

fn validate(ctx: &Ctx, files: &[PathBuf]) -> Result<(), ApiError> {
    let reports = files.iter().map(|f| app::validate_file(f)).collect::<Result<Vec<_>, _>>()?;
    ctx.emit(&reports, |reports| {
        let mut s = String::new();
        for r in reports {
            s.push_str(&format!("{}: {}\n", r.file, if r.valid { "valid" } else { "INVALID" }));
            for e in &r.errors {
                s.push_str(&format!("  error   {}: {}\n", e.path, e.message));
            }
            for w in &r.warnings {
                s.push_str(&format!("  warning {}: {}\n", w.path, w.message));
            }
        }
        s
    })?;
    let bad = reports.iter().filter(|r| !r.valid).count();
    let Some((file, e)) = reports.iter().find(|r| !r.valid).and_then(|r| r.errors.first().map(|e| (&r.file, e))) else {
        return Ok(());
    };
    Err(ApiError::invalid(
        format!("{bad} of {} file(s) invalid; first: {file}: {}: {}", reports.len(), e.path, e.message),
        vec![],
    ))
}

fn import(ctx: &Ctx, paths: &[PathBuf]) -> Result<(), ApiError> {
    let report = app::import_paths(&mut ctx.open()?, paths)?;
    ctx.emit(&report, |report| {
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
        s
    })
}

fn import_table(ctx: &Ctx, file: &std::path::Path, dry_run: bool, template: bool) -> Result<(), ApiError> {
    if template {
        app::write_template(file)?;
        return ctx.emit(&serde_json::json!({ "template": file }), |_| {
            format!("wrote the member list template to {}: fill one city a row under the notes row\n", file.display())
        });
    }
    let report = app::import_table(&mut ctx.open()?, file, dry_run)?;
    ctx.emit(&report, |r| {
        let mut s = String::new();
        for row in &r.rows {
            let what = match row.action {
                app::RowAction::Create => format!("new city, version {}", row.version),
                app::RowAction::Update => format!("version {} ({})", row.version, row.changes.join(", ")),
                app::RowAction::Unchanged => "unchanged".to_string(),
            };
            s.push_str(&format!("row {:>3}: {} ({}): {what}\n", row.row, row.name, row.city_id));
        }
        if !r.unknown_columns.is_empty() {
            s.push_str(&format!("columns not read (unknown headers): {}\n", r.unknown_columns.join(", ")));
        }
        let count = |a: app::RowAction| r.rows.iter().filter(|x| x.action == a).count();
        let (new, updated, same) =
            (count(app::RowAction::Create), count(app::RowAction::Update), count(app::RowAction::Unchanged));
        if r.dry_run {
            s.push_str(&format!("dry run, nothing written: {new} new, {updated} updated, {same} unchanged\n"));
        } else {
            s.push_str(&format!("{new} new cities, {updated} updated, {same} unchanged\n"));
        }
        s
    })
}

/// Sends a member list for review: checked like an import, each new or changed row queued in
/// the outbox as a submission (all or none), then sent.
fn import_table_for_review(
    ctx: &Ctx,
    file: &std::path::Path,
    feed: Option<&str>,
    token_file: Option<&std::path::Path>,
) -> Result<(), ApiError> {
    let (base, token) = ctx.feed_and_token(
        feed,
        token_file,
        "a staff token is needed: give --token-file or connect in the window first",
    )?;
    let mut store = ctx.open()?;
    // Refused here before any request (the use case checks it again, for every caller).
    app::check_same_feed(&store, &base)?;
    let identity = app::sign_in(&base, &token)?;
    app::set_identity(&mut store, Some(identity))?;
    let preview = app::table::preview_table(&store, file, &mut |_, _| {})?;
    let queued = app::queue_previewed_table(&mut store, file, &preview.plan_sha256, &base, &mut |_, _| {})?;
    let outcome = app::send_queued(&mut store, &base, &token, &sync_options(), &queued.queued)?;
    let failed = outcome.refused.len();
    let refused: Vec<serde_json::Value> =
        outcome.refused.iter().map(|(city, why)| serde_json::json!({ "city_id": city, "error": why })).collect();
    let v = serde_json::json!({
        "rows": queued.report.rows,
        "queued": queued.queued.len(),
        "sent": outcome.sent,
        "failed": failed,
        "pending": outcome.pending,
        "refused": refused,
    });
    ctx.emit(&v, |v| {
        let mut s = format!(
            "{} row(s) sent for review to {base}: {} sent, {} refused, {} waiting to be sent (the next sync sends them)\n",
            v["queued"], v["sent"], v["failed"], v["pending"]
        );
        for r in v["refused"].as_array().into_iter().flatten() {
            s.push_str(&format!("  {}: {}\n", r["city_id"].as_str().unwrap_or(""), r["error"].as_str().unwrap_or("")));
        }
        if v["sent"].as_u64().unwrap_or(0) > 0 {
            s.push_str("staff accept them with `portraits review list` and `portraits review accept ID ID …`\n");
        }
        s
    })?;
    if failed > 0 {
        return Err(ApiError::new(
            app::ErrorCode::Conflict,
            format!("{failed} of {} row(s) were refused by the server", queued.queued.len()),
        ));
    }
    Ok(())
}

fn export_json(ctx: &Ctx, dir: &std::path::Path) -> Result<(), ApiError> {
    let n = app::export_json(&ctx.open()?, dir)?;
    ctx.emit(&serde_json::json!({ "files": n, "dir": dir }), |_| {
        format!("wrote {n} portrait files to {}\n", dir.display())
    })
}

fn backup(ctx: &Ctx, file: &std::path::Path) -> Result<(), ApiError> {
    app::backup(&ctx.open()?, file)?;
    ctx.emit(&serde_json::json!({ "backup": file }), |_| format!("backed up to {}\n", file.display()))
}

fn restore(ctx: &Ctx, file: &std::path::Path) -> Result<(), ApiError> {
    let db = ctx.db_path()?;
    app::restore_database(&db, file)?;
    ctx.emit(&serde_json::json!({ "restored": file, "db": db }), |_| {
        format!("restored {} from {}\n", db.display(), file.display())
    })
}

fn media_add(ctx: &Ctx, files: &[PathBuf]) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    let mut added = Vec::new();
    for f in files {
        let (sha256, mime) = app::add_media(&mut store, f)?;
        added.push(serde_json::json!({ "file": f, "sha256": sha256, "mime": mime }));
    }
    ctx.emit(&added, |added| {
        let lines: Vec<String> = added
            .iter()
            .map(|a| {
                let field = |k: &str| a[k].as_str().unwrap_or("").to_string();
                format!("{}  {}  {}", field("sha256"), field("mime"), field("file"))
            })
            .collect();
        format!("{}\n", lines.join("\n"))
    })
}

fn schema(feed: bool) -> Result<(), ApiError> {
    if feed {
        print_json(&crate::feed::feed_json_schema())
    } else {
        print_json(&model::portrait_json_schema())
    }
}

fn quarantine(ctx: &Ctx) -> Result<(), ApiError> {
    let list = app::held_back(&ctx.open()?)?;
    ctx.emit(&list, |list| {
        if list.is_empty() {
            return "nothing held back\n".to_string();
        }
        let mut s =
            format!("{} update(s) held back; each is retried on every sync and applies once it can:\n", list.len());
        for q in list {
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
        s
    })
}

// ---- booklets ---------------------------------------------------------------------------------

fn booklet(ctx: &Ctx, command: BookletCommand) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    match command {
        BookletCommand::List => ctx.emit(&app::booklets(&store)?, |list| {
            let line = |b: &model::booklet::BookletDef| {
                let (id, template) = (pad(&b.id, 28), pad(b.template.as_str(), 20));
                format!("{id} {template} {} cities  {}\n", b.cities.len(), b.title)
            };
            list.iter().map(line).collect()
        }),
        BookletCommand::Show { id } => ctx.emit(&app::booklet(&store, &id)?, |b| {
            let mut s = format!("{} ({})\n{}\n", b.id, b.template.as_str(), b.title);
            for line in [&b.subtitle, &b.dates].into_iter().flatten() {
                s.push_str(&format!("{line}\n"));
            }
            s.push('\n');
            for (i, e) in b.cities.iter().enumerate() {
                s.push_str(&format!("{:>3}. {} v{}\n", i + 1, e.city, e.version));
            }
            s
        }),
        BookletCommand::Create { file, replace } => ctx.emit(&app::create_booklet(&mut store, &file, replace)?, |b| {
            format!("stored booklet {} with {} cities\n", b.id, b.cities.len())
        }),
        BookletCommand::Duplicate { id } => ctx.emit(&app::duplicate_booklet(&mut store, &id)?, |b| {
            format!("copied {id} to {} (\"{}\")\n", b.def.id, b.def.title)
        }),
        BookletCommand::Delete { id } => {
            app::delete_booklet(&mut store, &id)?;
            ctx.emit(&serde_json::json!({ "deleted": id }), |_| format!("deleted booklet {id}\n"))
        }
    }
}

#[allow(clippy::too_many_arguments)] // the flags of one command, passed on as they are
fn export_pdf(
    ctx: &Ctx,
    booklet: Option<String>,
    template: Option<Template>,
    cities: Vec<String>,
    city: Option<String>,
    output: &std::path::Path,
    date: Option<&str>,
    print: Option<crate::booklet::print::Print>,
    lang: Option<crate::booklet::words::Lang>,
) -> Result<(), ApiError> {
    let source = match (booklet, template) {
        (Some(id), _) => app::BookletSource::Stored(id),
        (None, Some(template)) => {
            let mut list: Vec<String> = cities.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
            list.extend(city);
            app::BookletSource::Adhoc { template, cities: list }
        }
        (None, None) => {
            return Err(ApiError::invalid("give --booklet ID, or --template with --cities or --city", vec![]))
        }
    };
    let date = app::export_date(date)?;
    let store = ctx.open()?;
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
    let report = app::export_pdf_for(&store, &source, output, date, print, lang, &mut progress)?;
    ctx.emit(&report, |r| format!("wrote {} ({} pages, {} cities, {} bytes)\n", r.file, r.pages, r.cities, r.bytes))
}

// ---- the publisher's server and database ---------------------------------------------------------

fn serve(
    ctx: &Ctx,
    addr: std::net::SocketAddr,
    public_url: Option<String>,
    limits: &ServeLimits,
) -> Result<(), ApiError> {
    let checked = limits.limits()?;
    let request_timeout = std::time::Duration::try_from_secs_f64(limits.request_timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| ApiError::invalid("--request-timeout: a number of seconds above 0", vec![]))?;
    let store = ctx.open()?;
    // Held while serving: a restore from another process would swap the file under the
    // server's connection and lose what it writes afterwards.
    let _hold = store.path().map(app::hold_database).transpose()?;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_ansi(ansi).try_init();
    let public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));
    let config = crate::server::Config { addr, public_url, request_timeout, limits: checked };
    crate::server::serve(store, &config, |a| eprintln!("listening on http://{a}"))
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))
}

fn token(ctx: &Ctx, command: TokenCommand) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    match command {
        TokenCommand::Issue { city, .. } => {
            let t = app::issue_token(&mut store, city.as_deref())?;
            let city = t.city_id.as_ref().map(|c| format!(" for {c}")).unwrap_or_default();
            eprintln!("issued {} token {}{city} — shown once, keep it secret", t.kind.as_str(), t.id);
            ctx.emit(&t, |t| format!("{}\n", t.token))
        }
        TokenCommand::Revoke { id } => {
            app::revoke_token(&mut store, &id)?;
            out(&format!("revoked {id}\n"))
        }
        TokenCommand::Invite { cities, feed, out: dir } => {
            let r = app::invite(&mut store, &cities, &feed, &dir)?;
            ctx.emit(&r, |r| {
                let mut s = String::new();
                for i in &r.invitations {
                    let to = match (&i.focal_point, &i.email) {
                        (Some(n), Some(e)) => format!("{n} <{e}>"),
                        (Some(n), None) => format!("{n} (no email in the portrait: send it by hand)"),
                        _ => "no focal point in the portrait: send it by hand".to_string(),
                    };
                    let earlier = if i.earlier_tokens > 0 {
                        format!(
                            " — {} earlier token(s) still valid: `portraits token list`, then revoke",
                            i.earlier_tokens
                        )
                    } else {
                        String::new()
                    };
                    s.push_str(&format!(
                        "{} ({}): token {} for {to}: {}{earlier}\n",
                        i.city, i.city_id, i.token_id, i.file
                    ));
                }
                s.push_str(&format!(
                    "{} invitation(s); mail merge: {} (it holds the tokens: delete it once sent)\n",
                    r.invitations.len(),
                    r.csv
                ));
                s
            })
        }
        TokenCommand::List => ctx.emit(&app::tokens(&store)?, |list| {
            let line = |t: &app::TokenInfo| {
                let revoked = t.revoked_at.as_ref().map(|r| format!("  revoked {r}")).unwrap_or_default();
                let city = t.city_id.as_deref().unwrap_or("-");
                format!("{}  {:5}  {city:24} {}{revoked}\n", t.id, t.kind.as_str(), t.created_at)
            };
            list.iter().map(line).collect()
        }),
    }
}

fn feed(ctx: &Ctx, command: FeedCommand) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    match command {
        FeedCommand::Export { dir, public_url } => {
            let (items, media) = app::export_feed(&mut store, &dir, &public_url)?;
            out(&format!("wrote {}/v1/feed.json ({items} items) and {media} media file(s)\n", dir.display()))
        }
        FeedCommand::PruneTombstones { up_to } => {
            let n = app::prune_tombstones(&mut store, up_to)?;
            out(&format!("the change log starts after {up_to} now: older cursors answer 410 Gone and take the snapshot ({n} tombstone(s) behind the floor, kept in the snapshot)\n"))
        }
    }
}

fn delete_city(ctx: &Ctx, city: &str) -> Result<(), ApiError> {
    let seq = app::delete_city(&mut ctx.open()?, city)?;
    out(&format!("deleted {city} (tombstone at {seq})\n"))
}

// ---- sync, drafts, submissions ------------------------------------------------------------------

fn sync(ctx: &Ctx, feed: Option<&str>, token_file: Option<&std::path::Path>) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    let base = app::feed_url(&store, feed)?;
    let token = app::token_for(&base, token_file)?;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Progress on a terminal only: a script's stderr carries just the error, if any.
    let mut progress = |p: crate::sync::Progress| {
        if tty {
            eprintln!("{}: {}", p.phase, p.message);
        }
    };
    let r = app::sync_now(&mut store, &base, token.as_deref(), &sync_options(), &mut progress)?;
    ctx.emit(&r, render_sync)
}

fn render_sync(r: &app::SyncSummary) -> String {
    let p = &r.pull;
    let mut s = format!(
        "{}: {} version(s) added, {} city(ies) deleted, {} item(s) quarantined, cursor {}\n",
        p.mode,
        p.added.len(),
        p.deleted.len(),
        p.quarantined.len(),
        p.cursor
    );
    for (id, why) in &p.quarantined {
        s.push_str(&format!("  quarantined {id}: {why}\n"));
    }
    for city in &p.published_drafts {
        s.push_str(&format!("  draft of {city} is published now: removed\n"));
    }
    for (city, conflicts) in &p.rebased {
        s.push_str(&match conflicts.len() {
            0 => format!("  draft of {city} rebased onto the new version\n"),
            n => format!(
                "  draft of {city} rebased: {n} field(s) in conflict ({}): see `portraits draft show {city}`\n",
                conflicts.join(", ")
            ),
        });
    }
    if r.sent + r.failed + r.pending > 0 {
        s.push_str(&format!("outbox: {} sent, {} failed, {} pending\n", r.sent, r.failed, r.pending));
    }
    s
}

fn draft(ctx: &Ctx, command: DraftCommand) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    let saved = |d: crate::store::Draft, city: &str| {
        out(&format!("draft of {city} saved (based on version {})\n", d.base_version))
    };
    match command {
        DraftCommand::Show { city } => {
            let d = app::draft(&store, &city)?;
            ctx.emit(&d, |d| render_draft(&city, d.as_ref()))
        }
        DraftCommand::Set { city, from } => {
            let bytes = std::fs::read(&from).map_err(|e| app::files::io_error(&from, e))?;
            saved(app::set_draft(&mut store, &city, &bytes, &from.display().to_string())?, &city)
        }
        DraftCommand::Edit { city } => saved(app::edit_draft(&mut store, &city)?, &city),
        DraftCommand::Resolve { city, field, choice } => {
            let d = app::resolve_conflict(&mut store, &city, &field, choice)?;
            out(&format!("{field}: {}; {} conflict(s) left\n", choice.as_str(), d.conflicts.len()))
        }
        DraftCommand::Discard { city } => {
            let gone = app::discard_draft(&mut store, &city)?;
            out(&format!("{}\n", if gone { "draft discarded" } else { "no draft" }))
        }
    }
}

fn render_draft(city: &str, d: Option<&crate::store::Draft>) -> String {
    let Some(d) = d else { return format!("{city} has no draft\n") };
    let mut s = format!("draft of {city}, based on version {}, saved {}\n", d.base_version, d.updated_at);
    if d.conflicts.is_empty() {
        s.push_str("no conflicts\n");
        return s;
    }
    for c in &d.conflicts {
        s.push_str(&format!(
            "\nCONFLICT {}\n  base:   {}\n  theirs: {}\n  mine:   {}\n",
            c.field, c.base, c.theirs, c.mine
        ));
    }
    s.push_str(&format!("\nresolve each with `portraits draft resolve {city} FIELD base|theirs|mine`\n"));
    s
}

fn submit(
    ctx: &Ctx,
    city: &str,
    note: Option<&str>,
    feed: Option<&str>,
    token_file: Option<&std::path::Path>,
) -> Result<(), ApiError> {
    let (base, token) = ctx.feed_and_token(feed, token_file, "no token for this feed: pass --token-file")?;
    let r = app::submit(&mut ctx.open()?, city, note, &base, &token, &sync_options())?;
    if ctx.json {
        return print_json(&r);
    }
    let detail = r.error.unwrap_or_default();
    match r.status {
        OutboxStatus::Sent => out(&format!("submitted: {} (status: submitted)\n", r.submission_id.unwrap_or_default())),
        OutboxStatus::Pending => out(&format!("queued in the outbox; it will be sent on the next sync ({detail})\n")),
        OutboxStatus::Failed => Err(ApiError::invalid(format!("the server refused the submission: {detail}"), vec![])),
    }
}

fn outbox(ctx: &Ctx) -> Result<(), ApiError> {
    ctx.emit(&app::outbox(&ctx.open()?)?, |list| {
        if list.is_empty() {
            return "the outbox is empty\n".to_string();
        }
        let line = |e: &crate::store::OutboxEntry| {
            let id = e.submission_id.as_ref().map(|i| format!(" {i}")).unwrap_or_default();
            let why = e.last_error.as_ref().map(|r| format!("\n    {r}")).unwrap_or_default();
            format!("#{} {} v{}→ {} {}{id}{why}\n", e.id, e.city_id, e.base_version, e.status.as_str(), e.created_at)
        };
        list.iter().map(line).collect()
    })
}

/// A city's submissions: live from the server when the token and network allow.
#[derive(Serialize)]
struct CitySubmissions {
    live: bool,
    submissions: Vec<SubmissionSummary>,
}

fn submissions(
    ctx: &Ctx,
    city: &str,
    feed: Option<&str>,
    token_file: Option<&std::path::Path>,
) -> Result<(), ApiError> {
    let mut store = ctx.open()?;
    let base = app::feed_url(&store, feed).ok();
    let token = match &base {
        Some(b) => app::token_for(b, token_file)?,
        None => token_file.map(app::read_token_file).transpose()?,
    };
    let (submissions, live) = app::submissions(&mut store, city, base.as_deref(), token.as_deref(), &sync_options())?;
    ctx.emit(&CitySubmissions { live, submissions }, |v| {
        let mut s = if v.live { String::new() } else { "(offline: last known status)\n".to_string() };
        for x in &v.submissions {
            let published = x.published_version.map(|p| format!(" → published as version {p}")).unwrap_or_default();
            s.push_str(&format!("{} {} base v{} {}{published}\n", x.id, x.status, x.base_version, x.created_at));
            for c in &x.comments {
                s.push_str(&format!("    {}: {}\n", c.field.as_deref().unwrap_or("comment"), c.comment));
            }
        }
        if v.submissions.is_empty() {
            s.push_str("no submissions\n");
        }
        s
    })
}

// ---- review (staff) -----------------------------------------------------------------------------

fn review(
    ctx: &Ctx,
    command: ReviewCommand,
    feed: Option<&str>,
    token_file: Option<&std::path::Path>,
) -> Result<(), ApiError> {
    let (base, token) = ctx.feed_and_token(feed, token_file, "reviewing needs a staff token: pass --token-file")?;
    let (id, decision) = match command {
        ReviewCommand::List { status, open } => {
            let status = if open { SubmissionStatus::OPEN.to_vec() } else { status };
            let list = app::review_list(&base, &token, &status)?;
            return ctx.emit(&serde_json::json!({ "submissions": list, "next": null }), |_| render_list(&list));
        }
        ReviewCommand::Show { id } => return ctx.emit(&app::review_show(&base, &token, &id)?, render_detail),
        ReviewCommand::Accept { ids, resolve, comment } if ids.len() == 1 => {
            (ids[0].clone(), accept_request(&resolve, comment)?)
        }
        ReviewCommand::Accept { ids, resolve, comment } => {
            if !resolve.is_empty() {
                return Err(ApiError::invalid(
                    "--resolve settles one submission's conflicts: accept that one on its own",
                    vec![],
                ));
            }
            return accept_many(ctx, &base, &token, &ids, comment);
        }
        ReviewCommand::RequestChanges { id, comment, field } => {
            let comments = field
                .iter()
                .map(|f| {
                    let (field, comment) = f
                        .split_once('=')
                        .ok_or_else(|| ApiError::invalid(format!("--field {f:?}: use FIELD=COMMENT"), vec![]))?;
                    Ok(FieldComment { field: field.to_string(), comment: comment.to_string() })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let d = crate::protocol::Decision::RequestChanges;
            (id, DecisionRequest { decision: d, comment: Some(comment), comments, resolutions: Default::default() })
        }
        ReviewCommand::Reject { id, comment } => {
            let d = crate::protocol::Decision::Reject;
            (
                id,
                DecisionRequest {
                    decision: d,
                    comment: Some(comment),
                    comments: vec![],
                    resolutions: Default::default(),
                },
            )
        }
    };
    let answer = app::review_decide(&base, &token, &id, &decision)?;
    ctx.emit(&answer, render_summary)
}

/// Accepts several submissions, each in turn; reports each (accepted as version N, or why not)
/// and fails, after the others are done, if any could not be accepted.
fn accept_many(ctx: &Ctx, base: &str, token: &str, ids: &[String], comment: Option<String>) -> Result<(), ApiError> {
    let decision = accept_request(&[], comment)?;
    let mut results = Vec::new();
    let mut failed = Vec::new();
    for (id, answer) in app::review_decide_each(base, token, ids, &decision) {
        match answer {
            Ok(answer) => results.push(serde_json::json!({ "id": id, "answer": answer })),
            Err(e) => {
                failed.push(format!("{id}: {}", e.message));
                results.push(serde_json::json!({ "id": id, "error": e }));
            }
        }
    }
    ctx.emit(&results, |rs| {
        rs.iter()
            .map(|r| match (&r["answer"], &r["error"]) {
                (a, _) if !a.is_null() => {
                    format!(
                        "{}: accepted, published as version {} of {}\n",
                        r["id"].as_str().unwrap_or(""),
                        a["publishedVersion"],
                        a["cityId"].as_str().unwrap_or("")
                    )
                }
                (_, e) => format!(
                    "{}: not accepted: {}\n",
                    r["id"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                ),
            })
            .collect()
    })?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Conflict,
            format!("{} of {} not accepted: {}", failed.len(), ids.len(), failed.join("; ")),
        ))
    }
}

/// An accept, with `--resolve FIELD=base|theirs|mine` for each conflicting field.
fn accept_request(resolve: &[String], comment: Option<String>) -> Result<DecisionRequest, ApiError> {
    let mut resolutions = std::collections::BTreeMap::new();
    for r in resolve {
        let bad = || ApiError::invalid(format!("--resolve {r:?}: use FIELD=base|theirs|mine"), vec![]);
        let (field, choice) = r.split_once('=').ok_or_else(bad)?;
        resolutions.insert(field.to_string(), Choice::parse(choice).ok_or_else(bad)?);
    }
    Ok(DecisionRequest { decision: crate::protocol::Decision::Accept, comment, comments: vec![], resolutions })
}

fn render_list(list: &[SubmissionSummary]) -> String {
    if list.is_empty() {
        return "no submissions\n".to_string();
    }
    let line = |x: &SubmissionSummary| {
        format!("{} {} {} round {} base v{} {}\n", x.id, x.city_id, x.status, x.round, x.base_version, x.created_at)
    };
    list.iter().map(line).collect()
}

fn render_summary(v: &SubmissionSummary) -> String {
    let mut s = format!("{} {} {} (round {}, base v{})\n", v.id, v.city_id, v.status, v.round, v.base_version);
    if let Some(by) = &v.superseded_by {
        s.push_str(&format!("replaced by {by}\n"));
    }
    if let Some(p) = v.published_version {
        s.push_str(&format!("published as version {p}\n"));
    }
    for c in &v.comments {
        s.push_str(&format!("  comment ({}): {}\n", c.field.as_deref().unwrap_or("general"), c.comment));
    }
    s
}

fn render_detail(v: &SubmissionDetail) -> String {
    let x = &v.summary;
    let mut s =
        format!("{} {} {} (base v{}, published now v{})\n", x.id, x.city_id, x.status, x.base_version, v.published_now);
    if let Some(p) = x.published_version {
        s.push_str(&format!("published as version {p}\n"));
    }
    use crate::model::merge::FieldState;
    for d in v.diff.iter().filter(|d| d.state != FieldState::Unchanged) {
        let state = serde_json::to_value(d.state).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        s.push_str(&format!("  {:<22} {state}\n", d.field));
        if matches!(d.state, FieldState::Conflict | FieldState::Mine) {
            s.push_str(&format!("      published: {}\n      submitted: {}\n", d.theirs, d.mine));
        }
    }
    for c in &x.comments {
        s.push_str(&format!("  comment ({}): {}\n", c.field.as_deref().unwrap_or("general"), c.comment));
    }
    if let Some(since) = &v.since_last_review {
        s.push_str(&format!("changes since round {} ({}), the last reviewed:\n", since.round, since.id));
        for d in &since.diff {
            s.push_str(&format!("  {}\n", d.field));
        }
    }
    for h in &v.history {
        s.push_str(&format!("earlier round {}: {} {} {}\n", h.round, h.id, h.status, h.created_at));
        for c in &h.comments {
            s.push_str(&format!("  comment ({}): {}\n", c.field.as_deref().unwrap_or("general"), c.comment));
        }
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
    let mut s = portrait_head(view);
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
        let role = q.role.as_ref().map(|r| format!(", {r}")).unwrap_or_default();
        s.push_str(&format!("‘{}’\n  — {}{role}\n\n", q.text, q.speaker));
    }
    s.push_str(&portrait_tail(view));
    s
}

/// Name, version, region and awards, tagline.
fn portrait_head(view: &app::PortraitView) -> String {
    let p = &view.portrait;
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
    if let Some(j) = p.city.member_since {
        s.push_str(&format!(" · joined the GNLC in {j}"));
    }
    s.push('\n');
    if let Some(t) = &p.tagline {
        s.push_str(&format!("\n{t}\n"));
    }
    s
}

/// Contacts, data-quality warnings, history.
fn portrait_tail(view: &app::PortraitView) -> String {
    let mut s = String::new();
    if !view.portrait.contacts.is_empty() {
        s.push_str("Contact details\n");
        for c in &view.portrait.contacts {
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

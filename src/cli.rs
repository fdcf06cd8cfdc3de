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
    /// Print the JSON Schema of a portrait file.
    Schema,
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

pub fn run(cli: Cli) -> Result<(), ApiError> {
    let json = cli.json;
    let open = || app::open(cli.db.as_deref(), !cli.no_seed);
    match &cli.command {
        Command::Schema => print_json(&model::portrait_json_schema()),
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

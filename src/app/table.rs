//! Use case: UIL's member list from a spreadsheet (issue 14). `import-table FILE` reads a CSV,
//! XLSX, XLS or ODS file (calamine for the workbooks, the csv crate for CSV), one city per row,
//! columns matched by header in English or French (case, accents and punctuation ignored); each
//! row becomes a new version of its city, or the first version of a new city whose id comes from
//! its country and name. Every row is read and validated first: a file with any bad row changes
//! nothing, and each problem names the file, the sheet, the row and the column. `--template`
//! writes an empty workbook with the expected headers and a notes row.
//!
//! Owns the spreadsheet's columns and how a cell is read (figures as spreadsheets really hold
//! them: "80,006", "80 006", "1.2 million", "n/a", a year in brackets). Must not write anything
//! but through [`Store::import`] (all or nothing) and the template file.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Reader};
use serde::{Deserialize, Serialize};

use super::{today, ApiError, ErrorCode, Result};
use crate::model::{self, City, Contact, Country, FactValue, FieldError, Number, PersonRef, Portrait, Region, Year};
use crate::store::{ImportItem, ImportReport, Store};

/// The largest spreadsheet read: a member list of thousands of rows is a few megabytes.
pub const MAX_TABLE_BYTES: u64 = 50 * 1024 * 1024;
/// What the parts of a workbook (a zip: XLSX, ODS) may inflate to, all together, by their own
/// directory: a small file that expands to gigabytes is refused before it is read.
pub const MAX_INFLATED_BYTES: u64 = 256 * 1024 * 1024;
/// At most this many rows (the network has about 425 members).
pub const MAX_ROWS: usize = 20_000;

/// A column of the member list: its key, its English header, the other headers it is known by
/// (French, short forms), and the note the template writes under it.
struct Column {
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    note: &'static str,
}

const COLUMNS: &[Column] = &[
    Column { key: "city", header: "City", aliases: &["Ville", "City name", "Nom de la ville"], note: "Required. The name as the city writes it, with its accents." },
    Column { key: "country", header: "Country", aliases: &["Pays"], note: "Required. In English as UNESCO writes it (\"Republic of Korea\"), or in French." },
    Column { key: "country_code", header: "Country code", aliases: &["Code pays", "ISO code", "Code ISO"], note: "ISO 3166-1 alpha-2 (\"KR\"); needed for a country new to the network." },
    Column { key: "region", header: "Region", aliases: &["Région", "UNESCO region", "Région UNESCO"], note: "Africa, Arab States, Asia and the Pacific, Europe and North America, or Latin America and the Caribbean. Needed for a country new to the network." },
    Column { key: "member_since", header: "Member since", aliases: &["Membre depuis", "Year joined", "Année d'adhésion"], note: "The year the city joined the network." },
    Column { key: "population", header: "Population", aliases: &[], note: "A figure as written (80,006 / 80 006 / 1.2 million) or n/a; a year may follow in brackets: 80,006 (2015)." },
    Column { key: "population_year", header: "Population year", aliases: &["Année population", "Population (year)"], note: "The year of the figure, or n/a." },
    Column { key: "area_km2", header: "Area (km²)", aliases: &["Area", "Area km2", "Superficie", "Superficie (km²)"], note: "Square kilometres." },
    Column { key: "area_km2_year", header: "Area year", aliases: &["Année superficie"], note: "" },
    Column { key: "gdp_city_usd", header: "GDP per capita, city (USD)", aliases: &["GDP per capita city", "GDP city", "PIB par habitant, ville (USD)", "PIB ville"], note: "US dollars." },
    Column { key: "gdp_city_usd_year", header: "GDP per capita, city: year", aliases: &["GDP city year", "Année PIB ville"], note: "" },
    Column { key: "gdp_country_usd", header: "GDP per capita, country (USD)", aliases: &["GDP per capita country", "GDP country", "PIB par habitant, pays (USD)", "PIB pays"], note: "US dollars." },
    Column { key: "gdp_country_usd_year", header: "GDP per capita, country: year", aliases: &["GDP country year", "Année PIB pays"], note: "" },
    Column { key: "schooling_years", header: "Mean years of schooling", aliases: &["Schooling", "Durée moyenne de scolarisation", "Scolarisation"], note: "Years, e.g. 11.2." },
    Column { key: "schooling_years_year", header: "Mean years of schooling: year", aliases: &["Schooling year", "Année scolarisation"], note: "" },
    Column { key: "mayor", header: "Mayor", aliases: &["Maire", "Mayor name"], note: "The mayor's name and title: \"Ms Ana Pérez\"." },
    Column { key: "focal_point", header: "Focal point", aliases: &["Point focal", "Focal point name", "Contact person"], note: "The network's contact person in the city." },
    Column { key: "focal_point_email", header: "Focal point email", aliases: &["Email", "E-mail", "Courriel", "Courriel du point focal", "Focal point e-mail"], note: "" },
    Column { key: "tagline", header: "Tagline", aliases: &["Accroche", "Slogan"], note: "One line that sums the city up (optional)." },
    Column { key: "lead", header: "Introduction", aliases: &["Lead", "Lead paragraph", "Paragraphe d'introduction"], note: "Required for a new city: the portrait's opening paragraph." },
    Column { key: "vision", header: "Motivation", aliases: &["Vision and motivation", "Vision et motivation", "Motivation for joining"], note: "From the application form: why the city joins. Paragraphs separated by a blank line." },
    Column { key: "plan", header: "Implementation", aliases: &["Plan and implementation", "Plan et mise en œuvre", "Mise en œuvre", "Implementation plan"], note: "From the application form: how the city works on it." },
];

/// A header as compared: folded, lower-case, letters and digits only ("Area (km²)" → "areakm2").
fn header_key(s: &str) -> String {
    model::fold(s).to_lowercase().replace('²', "2").chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

fn column_for(header: &str) -> Option<&'static Column> {
    let k = header_key(header);
    if k.is_empty() {
        return None;
    }
    COLUMNS.iter().find(|c| header_key(c.header) == k || c.aliases.iter().any(|a| header_key(a) == k))
}

/// What becomes of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// A city new to the catalogue: its version 1.
    Create,
    /// A new version of a city in the catalogue.
    Update,
    /// The row says what the latest version says: nothing to add.
    Unchanged,
}

/// One row of the spreadsheet and what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TableRow {
    /// The spreadsheet's row number (1 is the header).
    pub row: u32,
    pub city_id: String,
    pub name: String,
    pub action: RowAction,
    /// The version the row becomes.
    pub version: u32,
    /// The fields it changes, by portrait path ("facts.population", "lead").
    pub changes: Vec<String>,
}

/// What an import from a spreadsheet does (or would do, for a dry run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TableReport {
    pub file: String,
    /// The sheet read (none for CSV).
    pub sheet: Option<String>,
    pub rows: Vec<TableRow>,
    /// SHA-256 of the file read: an import of a preview names it, and is refused if the file
    /// changed since.
    pub sha256: String,
    /// SHA-256 of the file and of what each row does against the catalogue (its city, action,
    /// version and changes): sending a preview names it, and is refused if the file or the
    /// catalogue changed what the preview showed.
    pub plan_sha256: String,
    /// Headers that match no column: reported, their cells not read.
    pub unknown_columns: Vec<String>,
    /// What refuses the file, each with its place (`path`: "FILE, sheet S, row N, column C";
    /// `params.row`, `params.column`); empty when it can be imported.
    pub problems: Vec<FieldError>,
    /// True when nothing was written.
    pub dry_run: bool,
    /// What was written (empty for a dry run).
    pub imported: ImportReport,
}

/// A sheet read into text and numbers: its name (workbooks) and its rows, the header first.
struct Sheet {
    name: Option<String>,
    rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(n) => model::format_number(*n).replace(',', ""),
            Cell::Text(s) => s.trim().to_string(),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            Cell::Number(_) => false,
        }
    }
}

/// Reads a sheet from the file's bytes, read once (so that what is checked, hashed and imported
/// is one and the same content, whatever happens to the file meanwhile).
fn read_sheet(path: &Path, bytes: Vec<u8>) -> Result<Sheet> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    // What the bytes are wins over the name: a workbook saved or renamed as .csv is a zip (XLSX,
    // ODS) or an OLE file (XLS), and is read as the workbook it is.
    let workbook = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if !workbook && (ext == "csv" || ext == "txt" || ext == "tsv") {
        return read_csv(path, bytes);
    }
    check_inflated_size(path, &bytes)?;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
        ApiError::invalid(
            format!("{}: not a spreadsheet this app reads (CSV, XLSX, XLS, ODS): {e}", path.display()),
            vec![],
        )
    })?;
    let names = book.sheet_names();
    // The template's sheet, else the first.
    let name = names
        .iter()
        .find(|n| ["cities", "villes", "members", "membres"].contains(&header_key(n).as_str()))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| ApiError::invalid(format!("{}: the workbook has no sheet", path.display()), vec![]))?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| ApiError::invalid(format!("{}, sheet {name}: cannot be read: {e}", path.display()), vec![]))?;
    let rows = range
        .rows()
        .take(MAX_ROWS + 2)
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Data::Empty => Cell::Empty,
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Float(f) => Cell::Number(*f),
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Bool(b) => Cell::Text(b.to_string()),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                    Data::DateTime(d) => Cell::Number(d.as_f64()),
                    Data::Error(e) => Cell::Text(format!("#{e:?}")),
                })
                .collect()
        })
        .collect();
    Ok(Sheet { name: Some(name), rows })
}

/// A workbook that is a zip (XLSX, ODS): the sizes its directory declares, added up, must stay
/// under [`MAX_INFLATED_BYTES`] (the zip reader inflates no entry beyond its declared size).
fn check_inflated_size(path: &Path, bytes: &[u8]) -> Result<()> {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(()); // not a zip (XLS, or not a workbook: calamine says which)
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        if let Ok(entry) = zip.by_index_raw(i) {
            total = total.saturating_add(entry.size());
        }
    }
    if total > MAX_INFLATED_BYTES {
        return Err(ApiError::invalid(
            format!(
                "{}: its parts expand to {total} bytes; a workbook of at most {MAX_INFLATED_BYTES} bytes expanded is read",
                path.display()
            ),
            vec![],
        ));
    }
    Ok(())
}

fn read_csv(path: &Path, bytes: Vec<u8>) -> Result<Sheet> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // Spreadsheet programs on Windows often save CSV in their code page: read it as Latin-1
        // rather than refuse it, since every byte is a character there.
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    };
    let text = text.trim_start_matches('\u{feff}');
    // The delimiter is the one the header line uses most: "," or ";" (French spreadsheets) or tab.
    let first = text.lines().next().unwrap_or("");
    let delimiter = [b',', b';', b'\t'].into_iter().max_by_key(|d| first.matches(*d as char).count()).unwrap_or(b',');
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        if i > MAX_ROWS + 1 {
            break;
        }
        let rec = rec.map_err(|e| ApiError::invalid(format!("{}, row {}: {e}", path.display(), i + 1), vec![]))?;
        rows.push(
            rec.iter().map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }).collect(),
        );
    }
    Ok(Sheet { name: None, rows })
}

/// A figure as spreadsheets hold it, with the year it may carry in brackets.
/// `Ok(None)`: the cell is empty. Thousands may be separated by commas, spaces or (several)
/// dots; "268,05" (a comma not followed by three digits) is a decimal comma; "1.2 million",
/// "3 millions", "1.5 billion", "2 milliards"; "n/a", "n.d.", "-", "not available" are not
/// available; currency and units ("$", "USD", "km²") are left out.
pub fn parse_figure(text: &str) -> std::result::Result<Option<(FactValue, Option<Year>)>, String> {
    let mut s = text.trim().to_string();
    if s.is_empty() {
        return Ok(None);
    }
    let mut year = None;
    if let (Some(open), true) = (s.rfind('('), s.ends_with(')')) {
        let inside = s[open + 1..s.len() - 1].trim().to_string();
        year = Some(parse_year(&inside).map_err(|_| format!("\"{inside}\" in brackets is not a year"))?);
        s = s[..open].trim().to_string();
    }
    let lower = model::fold(&s).to_lowercase();
    let na = [
        "n/a",
        "na",
        "n.a.",
        "n.a",
        "n.d.",
        "n.d",
        "nd",
        "n/d",
        "-",
        "—",
        "–",
        "not available",
        "non disponible",
        "no disponible",
        "unknown",
        "inconnu",
    ];
    if na.contains(&lower.as_str()) {
        return Ok(Some((FactValue::NotAvailable, year)));
    }
    let mut scale = 1.0;
    let mut body = lower.clone();
    for (word, factor) in [
        ("millions", 1e6),
        ("million", 1e6),
        ("milliards", 1e9),
        ("milliard", 1e9),
        ("billions", 1e9),
        ("billion", 1e9),
        ("millones", 1e6),
        ("millon", 1e6),
        ("mio", 1e6),
        ("m", 1e6),
        ("bn", 1e9),
    ] {
        if let Some(rest) = body.strip_suffix(word) {
            if rest.ends_with(|c: char| c.is_ascii_digit() || c.is_whitespace()) {
                scale = factor;
                body = rest.trim().to_string();
                break;
            }
        }
    }
    for unit in ["us$", "usd", "$", "km2", "km²", "km", "years", "ans", "anos"] {
        body = body.replace(unit, "");
    }
    let digits: String =
        body.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}' && *c != '\'').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.') {
        return Err(format!("\"{text}\" is not a figure (write it as 80,006, 80 006, 1.2 million or n/a)"));
    }
    let (commas, dots) = (digits.matches(',').count(), digits.matches('.').count());
    let groups_of_three = |sep: char| digits.split(sep).skip(1).all(|g| g.len() == 3);
    let normal = match (commas, dots) {
        (0, 0) => digits.clone(),
        // "80,006", "1,234,567": thousands; "268,05", "3,5": a decimal comma.
        (_, 0) if groups_of_three(',') && !(scale > 1.0 && commas == 1) => digits.replace(',', ""),
        (1, 0) => digits.replace(',', "."),
        // "1.234.567": thousands; "3.5": a decimal point.
        (0, d) if d > 1 && groups_of_three('.') => digits.replace('.', ""),
        (0, 1) => digits.clone(),
        // Both: the last one is the decimal mark.
        _ => {
            let last_comma = digits.rfind(',').unwrap_or(0);
            let last_dot = digits.rfind('.').unwrap_or(0);
            if last_comma > last_dot {
                digits.replace('.', "").replace(',', ".")
            } else {
                digits.replace(',', "")
            }
        }
    };
    let v: f64 = normal.parse().map_err(|_| format!("\"{text}\" is not a figure"))?;
    let v = v * scale;
    // Scaled figures keep their significant digits, not float noise: 1.2 million is 1200000.
    let v = if scale > 1.0 { v.round() } else { v };
    Ok(Some((FactValue::Number(Number(v)), year)))
}

fn parse_year(text: &str) -> std::result::Result<Year, String> {
    let t = text.trim();
    if ["n/a", "na", "n.d.", "nd", "-", "—"].contains(&t.to_lowercase().as_str()) {
        return Ok(Year::NotAvailable);
    }
    let t = t.strip_suffix(".0").unwrap_or(t);
    match t.parse::<u16>() {
        Ok(y) if (1800..=2200).contains(&y) => Ok(Year::Year(y)),
        _ => Err(format!("\"{text}\" is not a year")),
    }
}

fn parse_region(text: &str) -> Option<Region> {
    let k = header_key(text);
    let names: [(Region, &[&str]); 5] = [
        (Region::Africa, &["africa", "afrique", "africa"]),
        (Region::ArabStates, &["arabstates", "etatsarabes", "estadosarabes"]),
        (
            Region::AsiaPacific,
            &["asiaandthepacific", "asiapacific", "asieetpacifique", "asieetlepacifique", "asiayelpacifico"],
        ),
        (Region::EuropeNorthAmerica, &["europeandnorthamerica", "europeetameriquedunord", "europayamericadelnorte"]),
        (
            Region::LatinAmericaCaribbean,
            &[
                "latinamericaandthecaribbean",
                "latinamericacaribbean",
                "ameriquelatineetcaraibes",
                "ameriquelatineetlescaraibes",
                "americalatinayelcaribe",
            ],
        ),
    ];
    names.into_iter().find(|(_, ns)| ns.contains(&k.as_str())).map(|(r, _)| r)
}

/// Where a problem is: "FILE, sheet S, row N, column Header".
fn place(file: &str, sheet: &Option<String>, row: u32, header: Option<&str>) -> String {
    let mut s = file.to_string();
    if let Some(n) = sheet {
        s.push_str(&format!(", sheet {n}"));
    }
    s.push_str(&format!(", row {row}"));
    if let Some(h) = header {
        s.push_str(&format!(", column {h}"));
    }
    s
}

/// A spreadsheet read and checked: what it reports and the versions it would add.
struct Plan {
    report: TableReport,
    items: Vec<ImportItem>,
}

fn plan(store: &Store, path: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<Plan> {
    // Read once, at most the cap and one byte, whatever the file claims to be.
    let bytes = super::files::read_capped(path, MAX_TABLE_BYTES as usize)?;
    if bytes.len() as u64 > MAX_TABLE_BYTES {
        return Err(ApiError::invalid(
            format!("{}: more than {MAX_TABLE_BYTES} bytes; a spreadsheet of at most that is read", path.display()),
            vec![],
        ));
    }
    let sha256 = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&bytes))
    };
    let sheet = read_sheet(path, bytes)?;
    let file = path.display().to_string();
    let total = sheet.rows.len().saturating_sub(1);
    let mut rows = sheet.rows.into_iter();
    let header: Vec<String> = rows.next().unwrap_or_default().iter().map(Cell::text).collect();
    let mut columns: Vec<Option<&'static Column>> = Vec::new();
    let mut unknown = Vec::new();
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let mut errors: Vec<FieldError> = Vec::new();
    for h in &header {
        let c = column_for(h);
        if let Some(col) = c {
            if let Some(first) = seen.insert(col.key, h.clone()) {
                errors.push(
                    FieldError::new(
                        place(&file, &sheet.name, 1, Some(h)),
                        format!("this column and \"{first}\" are both {}: keep one", col.header),
                    )
                    .code("twice")
                    .with("row", 1u32)
                    .with("column", h.as_str()),
                );
            }
        } else if !h.trim().is_empty() {
            unknown.push(h.clone());
        }
        columns.push(c);
    }
    for required in ["city", "country"] {
        if !seen.contains_key(required) {
            let col = COLUMNS.iter().find(|c| c.key == required).map(|c| c.header).unwrap_or(required);
            errors.push(
                FieldError::new(
                    place(&file, &sheet.name, 1, None),
                    format!("no \"{col}\" column: the header row needs one"),
                )
                .code("missing_column")
                .with("value", col)
                .with("row", 1u32),
            );
        }
    }
    if !errors.is_empty() {
        return Ok(plan_refused(file, sheet.name, unknown, sha256, errors));
    }

    let latest: Vec<Portrait> = store.latest_portraits()?;
    let by_id: BTreeMap<&str, &Portrait> = latest.iter().map(|p| (p.city.id.as_str(), p)).collect();
    let mut items: Vec<ImportItem> = Vec::new();
    let mut report_rows = Vec::new();
    let mut ids_in_file: BTreeMap<String, u32> = BTreeMap::new();
    let published = today();
    for (i, cells) in rows.enumerate() {
        let row = i as u32 + 2;
        if i % 25 == 0 {
            progress(i, total);
        }
        if i >= MAX_ROWS {
            errors.push(
                FieldError::new(place(&file, &sheet.name, row, None), format!("more than {MAX_ROWS} rows"))
                    .code("too_many")
                    .with("row", row),
            );
            break;
        }
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        // The template's notes row.
        if cells
            .iter()
            .filter(|c| !c.is_empty())
            .all(|c| c.text().starts_with("Note:") || c.text().starts_with("Note :"))
        {
            continue;
        }
        let mut get: BTreeMap<&str, (&Cell, &str)> = BTreeMap::new();
        for (j, c) in cells.iter().enumerate() {
            if let Some(Some(col)) = columns.get(j) {
                if !c.is_empty() {
                    get.insert(col.key, (c, header[j].as_str()));
                }
            }
        }
        let col = |key: &str| get.get(key).map(|x| x.1).unwrap_or_else(|| header_of(key)).to_string();
        let at = |key: &str| place(&file, &sheet.name, row, Some(&col(key)));
        let text = |key: &str| get.get(key).map(|(c, _)| c.text());
        let before = errors.len();
        // One row a city: a second row of the same city is refused, whatever else is wrong.
        if let Ok(RowCity { id, .. }) = row_city(&get, &by_id) {
            if let Some(first) = ids_in_file.insert(id.clone(), row) {
                errors.push(
                    FieldError::new(at("city"), format!("{id} is also on row {first}: one row a city"))
                        .code("twice")
                        .with("value", id)
                        .with("row", row)
                        .with("column", col("city")),
                );
            }
        }
        match build_row(&get, &by_id, &published) {
            Ok((mut portrait, action_new)) => {
                // Validated like any import: each problem at its column.
                for e in model::validate_portrait(&portrait) {
                    let key = path_column(&e.path);
                    errors.push(FieldError { path: at(key), ..e }.with("row", row).with("column", col(key)));
                }
                let id = portrait.city.id.clone();
                if errors.len() > before {
                    continue;
                }
                let previous = by_id.get(id.as_str()).copied();
                let changes = match previous {
                    Some(p) => changed_fields(p, &portrait),
                    None => Vec::new(),
                };
                let action = if action_new {
                    RowAction::Create
                } else if changes.is_empty() {
                    RowAction::Unchanged
                } else {
                    RowAction::Update
                };
                if action == RowAction::Unchanged {
                    portrait.version -= 1;
                } else {
                    items.push(ImportItem { origin: place(&file, &sheet.name, row, None), portrait: portrait.clone() });
                }
                report_rows.push(TableRow {
                    row,
                    city_id: id,
                    name: portrait.city.name.clone(),
                    action,
                    version: portrait.version,
                    changes,
                });
            }
            Err(problems) => {
                for (key, message, code) in problems {
                    let value = text(key).unwrap_or_default();
                    errors.push(
                        FieldError::new(at(key), message)
                            .code(code)
                            .with("value", value)
                            .with("row", row)
                            .with("column", col(key)),
                    );
                }
            }
        }
    }
    progress(total, total);
    let plan_sha256 = plan_fingerprint(&sha256, &report_rows);
    Ok(Plan {
        report: TableReport {
            file,
            sheet: sheet.name,
            plan_sha256,
            sha256,
            rows: report_rows,
            unknown_columns: unknown,
            problems: errors,
            dry_run: true,
            imported: ImportReport::default(),
        },
        items,
    })
}

fn plan_refused(
    file: String,
    sheet: Option<String>,
    unknown: Vec<String>,
    sha256: String,
    problems: Vec<FieldError>,
) -> Plan {
    Plan {
        report: TableReport {
            file,
            sheet,
            plan_sha256: plan_fingerprint(&sha256, &[]),
            sha256,
            rows: vec![],
            unknown_columns: unknown,
            problems,
            dry_run: true,
            imported: ImportReport::default(),
        },
        items: vec![],
    }
}

/// The fingerprint of a plan: the file's hash and each row's city, action, version and changes.
fn plan_fingerprint(file_sha256: &str, rows: &[TableRow]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(file_sha256.as_bytes());
    for r in rows {
        h.update(
            format!("\n{}\t{}\t{:?}\t{}\t{}", r.row, r.city_id, r.action, r.version, r.changes.join(",")).as_bytes(),
        );
    }
    hex::encode(h.finalize())
}

/// What a spreadsheet would do, without doing it: every row read, checked and compared with the
/// catalogue. `progress(rows done, rows)` is told as rows are checked.
pub fn preview_table(store: &Store, path: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<TableReport> {
    Ok(plan(store, path, progress)?.report)
}

/// Reads the spreadsheet at `path` and imports it (unless `dry_run`), all or nothing: any
/// problem refuses the whole file, naming each.
pub fn import_table(store: &mut Store, path: &Path, dry_run: bool) -> Result<TableReport> {
    let Plan { mut report, items } = plan(store, path, &mut |_, _| {})?;
    if !dry_run {
        refuse_on_a_follower(store)?;
    }
    if !report.problems.is_empty() {
        return Err(super::catalogue::import_refused(report.problems));
    }
    if !dry_run && !items.is_empty() {
        report.imported = store.import(&items)?;
    }
    report.dry_run = dry_run;
    Ok(report)
}

/// Imports the spreadsheet a preview showed: refused, changing nothing, if the file is no longer
/// the one previewed (its SHA-256 differs) or has a problem.
pub fn import_previewed_table(
    store: &mut Store,
    path: &Path,
    sha256: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<TableReport> {
    refuse_on_a_follower(store)?;
    let Plan { mut report, items } = plan(store, path, progress)?;
    if report.sha256 != sha256 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("{}: the file changed since it was previewed; nothing was imported: preview it again", report.file),
        ));
    }
    if !report.problems.is_empty() {
        return Err(super::catalogue::import_refused(report.problems));
    }
    if !items.is_empty() {
        report.imported = store.import(&items)?;
    }
    report.dry_run = false;
    Ok(report)
}

/// What sending a spreadsheet for review did: the preview's report, and the submissions queued
/// in the outbox (one per created or updated row), which the sync sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TableQueued {
    pub report: TableReport,
    /// Outbox entries added, in row order.
    pub queued: Vec<i64>,
}

/// Sends the spreadsheet a preview showed (its `plan_sha256`) for review, to `feed` (the one
/// this database follows): each created or updated row becomes a
/// submission in the outbox (base version 0 for a city new to the network, else the
/// catalogue's latest), all in one transaction, with a note naming the file and row. Staff
/// only, on a database that follows a feed: that is where review happens. Refused, changing
/// nothing, if the file or what its rows do changed since the preview, if it has a problem, or if a row's city already
/// waits in the outbox (sending the file twice).
pub fn queue_previewed_table(
    store: &mut Store,
    path: &Path,
    plan_sha256: &str,
    feed: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<TableQueued> {
    if store.meta("feed:authority_url")?.is_none() {
        return Err(ApiError::invalid(
            "this database follows no feed: connect to the feed in Settings with a staff token first, or import into the server's database with `portraits import-table`",
            vec![],
        ));
    }
    super::account::check_same_feed(store, feed)?;
    let settings = super::account::settings(store);
    if !settings.identity.as_ref().is_some_and(|i| i.kind == crate::protocol::TokenKind::Staff) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only UIL staff send a member list for review: connect with a staff token in Settings",
        ));
    }
    let Plan { report, items } = plan(store, path, progress)?;
    if report.plan_sha256 != plan_sha256 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "{}: the file, or the catalogue it is compared with (a sync), changed since it was previewed; nothing was sent: preview it again",
                report.file
            ),
        ));
    }
    if !report.problems.is_empty() {
        return Err(super::catalogue::import_refused(report.problems));
    }
    let waiting: std::collections::BTreeSet<String> = store
        .outbox()?
        .into_iter()
        .filter(|e| e.status == crate::store::OutboxStatus::Pending)
        .map(|e| e.city_id)
        .collect();
    let twice: Vec<FieldError> = report
        .rows
        .iter()
        .filter(|r| r.action != RowAction::Unchanged && waiting.contains(&r.city_id))
        .map(|r| {
            FieldError::new(
                place(&report.file, &report.sheet, r.row, None),
                format!("{} is already waiting to be sent: let the sync send it first", r.name),
            )
            .code("already_queued")
            .with("row", r.row)
        })
        .collect();
    if !twice.is_empty() {
        return Err(ApiError::invalid(
            format!("{} row(s) are already waiting in the outbox, such as {}: nothing was sent", twice.len(), twice[0]),
            twice,
        ));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| report.file.clone());
    let name: String = name.chars().take(200).collect();
    let row_of: BTreeMap<&str, u32> = report.rows.iter().map(|r| (r.city_id.as_str(), r.row)).collect();
    let entries: Vec<crate::store::NewOutboxEntry> = items
        .iter()
        .map(|item| {
            let id = item.portrait.city.id.as_str();
            crate::store::NewOutboxEntry {
                city_id: id.to_string(),
                key: uuid::Uuid::new_v4().to_string(),
                base_version: item.portrait.version.saturating_sub(1),
                portrait: item.portrait.clone(),
                note: Some(format!("From the member list {name}, row {}", row_of.get(id).copied().unwrap_or(0))),
            }
        })
        .collect();
    let queued = store.outbox_add_all(&entries)?;
    Ok(TableQueued { report, queued })
}

/// A database that follows a feed takes its portraits from there: versions imported into it
/// would stand beside the feed's, and a feed version of the same number would then be held
/// back. The member list goes into the publisher's database (the server's).
fn refuse_on_a_follower(store: &Store) -> Result<()> {
    if let Some(feed) = store.meta("feed:authority_url")? {
        return Err(ApiError::invalid(
            format!(
                "this database follows the feed {feed}: its portraits come from there. Import the member list into the server's database (portraits --db SERVER.sqlite3 import-table FILE); a dry run here is fine"
            ),
            vec![],
        ));
    }
    Ok(())
}

fn header_of(key: &str) -> &'static str {
    COLUMNS.iter().find(|c| c.key == key).map(|c| c.header).unwrap_or("")
}

/// The column a validation error's path is about.
fn path_column(path: &str) -> &'static str {
    let p = path.trim_start_matches("$.");
    for (prefix, key) in [
        ("city.name", "city"),
        ("city.id", "city"),
        ("city.country", "country"),
        ("city.member_since", "member_since"),
        ("tagline", "tagline"),
        ("lead", "lead"),
        ("vision", "vision"),
        ("plan", "plan"),
        ("contacts", "focal_point"),
    ] {
        if p.starts_with(prefix) {
            return key;
        }
    }
    for fact in ["population", "area_km2", "gdp_city_usd", "gdp_country_usd", "schooling_years"] {
        if p.starts_with(&format!("facts.{fact}.year")) {
            return COLUMNS
                .iter()
                .find(|c| c.key.starts_with(fact) && c.key.ends_with("_year"))
                .map(|c| c.key)
                .unwrap_or("city");
        }
        if p.starts_with(&format!("facts.{fact}")) {
            return COLUMNS.iter().find(|c| c.key == fact).map(|c| c.key).unwrap_or("city");
        }
    }
    "city"
}

type Problems = Vec<(&'static str, String, &'static str)>;

/// Which city a row is about: its name, its country's code (given, or found by the country's
/// name) and the city of that name in that country if the catalogue has it (by id, or by name
/// whatever the accents), with the id it has or, for a new city, the id it gets.
struct RowCity<'a> {
    name: String,
    country_text: String,
    code: String,
    id: String,
    existing: Option<&'a Portrait>,
}

fn row_city<'a>(
    get: &BTreeMap<&str, (&Cell, &str)>,
    by_id: &BTreeMap<&str, &'a Portrait>,
) -> std::result::Result<RowCity<'a>, Problems> {
    let text = |key: &str| get.get(key).map(|(c, _)| c.text()).filter(|s| !s.is_empty());
    let Some(name) = text("city") else {
        return Err(vec![("city", "the city's name is missing".into(), "empty")]);
    };
    let country_text = text("country").unwrap_or_default();
    let code = match text("country_code") {
        Some(c) if c.len() == 2 && c.chars().all(|x| x.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
        Some(c) => {
            return Err(vec![("country_code", format!("\"{c}\" is not a two-letter ISO country code"), "country_code")])
        }
        None => country_code_for(&country_text, by_id).ok_or_else(|| {
            vec![(
                "country",
                format!("\"{country_text}\" is not a country of the network yet: give its two-letter ISO code in \"Country code\" and its region"),
                "unknown_country",
            )]
        })?,
    };
    let slug_id = format!("{}-{}", code.to_ascii_lowercase(), model::slugify(&name));
    let folded = model::fold(&name).to_lowercase();
    let existing = by_id.get(slug_id.as_str()).copied().or_else(|| {
        by_id
            .values()
            .copied()
            .find(|p| p.city.country.code == code && model::fold(&p.city.name).to_lowercase() == folded)
    });
    let id = existing.map(|p| p.city.id.clone()).unwrap_or(slug_id);
    Ok(RowCity { name, country_text, code, id, existing })
}

/// A row's portrait: the latest version with the row's non-empty cells over it (empty cells
/// keep what is there), or a new city's first version. The bool is true for a new city.
fn build_row(
    get: &BTreeMap<&str, (&Cell, &str)>,
    by_id: &BTreeMap<&str, &Portrait>,
    published: &str,
) -> std::result::Result<(Portrait, bool), Problems> {
    let mut problems: Problems = Vec::new();
    let text = |key: &str| get.get(key).map(|(c, _)| c.text()).filter(|s| !s.is_empty());
    let RowCity { name, country_text, code, id, existing } = row_city(get, by_id)?;
    let region = match text("region") {
        Some(r) => match parse_region(&r) {
            Some(r) => Some(r),
            None => {
                problems.push(("region", format!("\"{r}\" is not one of UNESCO's five regions"), "not_region"));
                None
            }
        },
        None => existing
            .map(|p| p.city.region)
            .or_else(|| by_id.values().find(|p| p.city.country.code == code).map(|p| p.city.region)),
    };
    let is_new = existing.is_none();
    let mut p = match existing {
        Some(e) => {
            let mut p = e.clone();
            p.version += 1;
            p
        }
        None => {
            let Some(region) = region else {
                if !problems.iter().any(|x| x.0 == "region") {
                    problems.push(("region", "a city new to the network needs its region".into(), "empty"));
                }
                return Err(problems);
            };
            let country_name = if country_text.is_empty() {
                by_id
                    .values()
                    .find(|p| p.city.country.code == code)
                    .map(|p| p.city.country.name.clone())
                    .unwrap_or_default()
            } else {
                // The catalogue's English name where the country is known (a French name typed
                // is not the feed's).
                by_id
                    .values()
                    .find(|p| p.city.country.code == code)
                    .map(|p| p.city.country.name.clone())
                    .unwrap_or(country_text.clone())
            };
            let mut p = Portrait::blank(City {
                id: id.clone(),
                name: name.clone(),
                country: Country { code: code.clone(), name: country_name },
                region,
                member_since: None,
                awards: vec![],
            });
            p.version = 1;
            p
        }
    };
    p.source = model::Source { booklet: None, published: published.to_string() };
    if let (Some(r), false) = (region, is_new) {
        if text("region").is_some() {
            p.city.region = r;
        }
    }
    if let Some(m) = get.get("member_since").map(|(c, _)| c.text()) {
        match parse_year(&m) {
            Ok(Year::Year(y)) => p.city.member_since = Some(y),
            Ok(Year::NotAvailable) => p.city.member_since = None,
            Err(e) => problems.push(("member_since", e, "not_year")),
        }
    }
    for (key, fact) in [
        ("population", &mut p.facts.population),
        ("area_km2", &mut p.facts.area_km2),
        ("gdp_city_usd", &mut p.facts.gdp_city_usd),
        ("gdp_country_usd", &mut p.facts.gdp_country_usd),
        ("schooling_years", &mut p.facts.schooling_years),
    ] {
        let year_key =
            COLUMNS.iter().find(|c| c.key.starts_with(key) && c.key.ends_with("_year")).map(|c| c.key).unwrap_or("");
        let mut bracket_year = None;
        if let Some((cell, _)) = get.get(key) {
            let parsed = match cell {
                Cell::Number(n) => Ok(Some((FactValue::Number(Number(*n)), None))),
                other => parse_figure(&other.text()),
            };
            match parsed {
                Ok(Some((v, y))) => {
                    fact.value = v;
                    fact.printed = None;
                    fact.men = None;
                    fact.women = None;
                    bracket_year = y;
                }
                Ok(None) => {}
                Err(e) => problems.push((key, e, "not_number")),
            }
        }
        let column_year = get.get(year_key).map(|(c, _)| parse_year(&c.text()));
        match (column_year, bracket_year) {
            (Some(Err(e)), _) => problems.push((year_key, e, "not_year")),
            (Some(Ok(y)), Some(b)) if y != b => problems.push((
                year_key,
                format!("the year column says {} and the figure's brackets say {}", year_text(y), year_text(b)),
                "year_differs",
            )),
            (Some(Ok(y)), _) | (None, Some(y)) => fact.year = y,
            (None, None) => {}
        }
    }
    for (key, field) in [("tagline", &mut p.tagline), ("vision", &mut p.vision), ("plan", &mut p.plan)] {
        if let Some(t) = text(key) {
            *field = Some(normalise_text(&t));
        }
    }
    if let Some(l) = text("lead") {
        p.lead = normalise_text(&l);
    } else if is_new {
        problems.push((
            "lead",
            "a city new to the network needs an introduction (its portrait's first paragraph)".into(),
            "empty",
        ));
    }
    if let Some(m) = text("mayor") {
        let i = contact_index(&mut p, &m, Some("Mayor"), None);
        p.mayor = Some(PersonRef::Contact(i as u32));
    }
    let email = text("focal_point_email");
    match text("focal_point") {
        Some(f) => {
            let i = contact_index(&mut p, &f, Some("Focal point"), email.clone());
            p.focal_point = Some(PersonRef::Contact(i as u32));
        }
        None if email.is_some() => match p.focal_point {
            Some(PersonRef::Contact(i)) => {
                if let Some(c) = p.contacts.get_mut(i as usize) {
                    c.email = email;
                }
            }
            _ => problems.push((
                "focal_point",
                "an email without the focal point's name: give the name too".into(),
                "empty",
            )),
        },
        None => {}
    }
    if problems.is_empty() {
        Ok((p, is_new))
    } else {
        Err(problems)
    }
}

fn year_text(y: Year) -> String {
    y.get().map(|y| y.to_string()).unwrap_or_else(|| "n/a".into())
}

/// Cell text as portrait text: line ends as "\n", no trailing spaces on a line.
fn normalise_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The contact of that name (folded), with its email and role filled where missing; a new one
/// at the end if there is none. Returns its index.
fn contact_index(p: &mut Portrait, name: &str, role: Option<&str>, email: Option<String>) -> usize {
    let key = model::fold(name).to_lowercase();
    if let Some(i) = p.contacts.iter().position(|c| model::fold(&c.name).to_lowercase() == key) {
        let c = &mut p.contacts[i];
        if email.is_some() {
            c.email = email;
        }
        if c.role.is_none() {
            c.role = role.map(str::to_string);
        }
        return i;
    }
    p.contacts.push(Contact { name: name.to_string(), role: role.map(str::to_string), organisation: None, email });
    p.contacts.len() - 1
}

/// The ISO code of a country named as the catalogue names it (English), or in French or
/// Spanish (`data/i18n/countries.json`), case and accents ignored.
fn country_code_for(name: &str, by_id: &BTreeMap<&str, &Portrait>) -> Option<String> {
    let k = header_key(name);
    if k.is_empty() {
        return None;
    }
    if let Some(p) = by_id.values().find(|p| header_key(&p.city.country.name) == k) {
        return Some(p.city.country.code.clone());
    }
    if name.trim().len() == 2 && name.trim().chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(name.trim().to_ascii_uppercase());
    }
    crate::booklet::words::country_code_by_name(&k, header_key)
}

/// The merge's fields whose values differ between two versions.
fn changed_fields(a: &Portrait, b: &Portrait) -> Vec<String> {
    let (va, vb) = (serde_json::to_value(a).unwrap_or_default(), serde_json::to_value(b).unwrap_or_default());
    let mut out: Vec<String> = model::merge::FIELDS
        .iter()
        .filter(|f| model::merge::get_field(&va, f) != model::merge::get_field(&vb, f))
        .map(|f| f.to_string())
        .collect();
    for f in ["city.name", "city.region", "city.member_since", "city.country"] {
        if model::merge::get_field(&va, f) != model::merge::get_field(&vb, f) {
            out.push(f.to_string());
        }
    }
    out
}

/// Writes an empty member list: the headers, a notes row under them, an example-free sheet
/// named "Cities", columns sized to their headers, the header row frozen.
pub fn write_template(path: &Path) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("DCE6F1").set_text_wrap();
    let note = Format::new()
        .set_italic()
        .set_font_color("595959")
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| ApiError::new(ErrorCode::Io, format!("{}: {e}", path.display()));
    sheet.set_name("Cities").map_err(err)?;
    for (j, c) in COLUMNS.iter().enumerate() {
        let col = j as u16;
        sheet.write_string_with_format(0, col, c.header, &bold).map_err(err)?;
        let text = if c.note.is_empty() { "Note: optional.".to_string() } else { format!("Note: {}", c.note) };
        sheet.write_string_with_format(1, col, &text, &note).map_err(err)?;
        let width = match c.key {
            "lead" | "vision" | "plan" => 48.0,
            "city" | "country" | "focal_point" | "focal_point_email" | "mayor" | "region" => 24.0,
            _ => 16.0,
        };
        sheet.set_column_width(col, width).map_err(err)?;
    }
    sheet.set_row_height(1, 90.0).map_err(err)?;
    sheet.set_freeze_panes(1, 1).map_err(err)?;
    let bytes = book.save_to_buffer().map_err(err)?;
    super::files::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(s: &str) -> Option<f64> {
        match parse_figure(s) {
            Ok(Some((FactValue::Number(n), _))) => Some(n.0),
            _ => None,
        }
    }

    #[test]
    fn figures_as_spreadsheets_hold_them() {
        assert_eq!(fig("80,006"), Some(80006.0));
        assert_eq!(fig("80 006"), Some(80006.0));
        assert_eq!(fig("80\u{a0}006"), Some(80006.0));
        assert_eq!(fig("1,234,567"), Some(1234567.0));
        assert_eq!(fig("1.234.567"), Some(1234567.0));
        assert_eq!(fig("268,05"), Some(268.05), "Goyang's decimal comma");
        assert_eq!(fig("3499.8"), Some(3499.8));
        assert_eq!(fig("1.2 million"), Some(1_200_000.0));
        assert_eq!(fig("1,2 million"), Some(1_200_000.0));
        assert_eq!(fig("3 millions"), Some(3_000_000.0));
        assert_eq!(fig("2.5m"), Some(2_500_000.0));
        assert_eq!(fig("$47,210"), Some(47210.0));
        assert_eq!(fig("USD 47 210"), Some(47210.0));
        assert_eq!(fig("833 km²"), Some(833.0));
        assert_eq!(fig("1.234,5"), Some(1234.5));
        assert_eq!(fig("1,234.5"), Some(1234.5));
        for na in ["n/a", "N/A", "n.d.", "-", "not available", "non disponible"] {
            assert_eq!(parse_figure(na).unwrap(), Some((FactValue::NotAvailable, None)), "{na}");
        }
        assert_eq!(
            parse_figure("80,006 (2015)").unwrap(),
            Some((FactValue::Number(Number(80006.0)), Some(Year::Year(2015))))
        );
        assert_eq!(parse_figure("n/a (2015)").unwrap(), Some((FactValue::NotAvailable, Some(Year::Year(2015)))));
        assert_eq!(parse_figure("  ").unwrap(), None);
        for bad in ["lots", "80,006 (last year)", "12abc", "1.2.3,4,5x", "million"] {
            assert!(parse_figure(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_match_in_english_and_french_whatever_their_case_and_accents() {
        for (h, key) in [
            ("City", "city"),
            ("VILLE", "city"),
            ("Pays", "country"),
            ("Région", "region"),
            ("region", "region"),
            ("Area (km²)", "area_km2"),
            ("superficie", "area_km2"),
            ("PIB par habitant, ville (USD)", "gdp_city_usd"),
            ("Mise en oeuvre", "plan"),
            ("Courriel du point focal", "focal_point_email"),
            ("  Member since ", "member_since"),
        ] {
            assert_eq!(column_for(h).map(|c| c.key), Some(key), "{h}");
        }
        assert!(column_for("Budget").is_none());
        assert!(column_for("").is_none());
        // Every header and alias names one column only.
        // (Each column's own names may fold alike: "E-mail", "Email".)
        let mut all: Vec<(String, &str)> = COLUMNS
            .iter()
            .flat_map(|c| std::iter::once(c.header).chain(c.aliases.iter().copied()).map(|h| (header_key(h), c.key)))
            .collect();
        all.sort();
        all.dedup();
        for pair in all.windows(2) {
            assert!(pair[0].0 != pair[1].0, "{:?} names two columns", pair[0].0);
        }
    }

    #[test]
    fn regions_in_three_languages() {
        assert_eq!(parse_region("Latin America and the Caribbean"), Some(Region::LatinAmericaCaribbean));
        assert_eq!(parse_region("Amérique latine et Caraïbes"), Some(Region::LatinAmericaCaribbean));
        assert_eq!(parse_region("États arabes"), Some(Region::ArabStates));
        assert_eq!(parse_region("Asia and the Pacific"), Some(Region::AsiaPacific));
        assert_eq!(parse_region("Mars"), None);
    }
}

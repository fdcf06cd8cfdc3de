//! Issue 14, point 1: UIL's member list from a spreadsheet, through the real CLI on a real
//! database: the template written and read back, ten cities filled in an XLSX workbook, a dry
//! run that writes nothing, the import, a re-import that changes nothing; CSV with French
//! headers and semicolons; ODS; figures as spreadsheets hold them; bad rows refused with the
//! file, row and column named and the database file unchanged.

mod common;
use common::http::Server;
use common::{file_sha, Client, Env};
use std::io::Write;

use calamine::Reader;

const HEADERS: [&str; 14] = [
    "City",
    "Country",
    "Country code",
    "Region",
    "Member since",
    "Population",
    "Population year",
    "Area (km²)",
    "GDP per capita, city (USD)",
    "Mayor",
    "Focal point",
    "Focal point email",
    "Introduction",
    "Motivation",
];

/// Ten cities of the network not in the bundled booklets (names and countries as UIL lists
/// them; figures invented for the test, written the ways spreadsheets hold them).
fn ten() -> Vec<[String; 14]> {
    let rows: [[&str; 14]; 10] = [
        [
            "Rosario",
            "Argentina",
            "",
            "",
            "2021",
            "1,276,000",
            "2019",
            "178.7",
            "",
            "Pablo Javkin",
            "Laura Gómez",
            "lgomez@rosario.gob.ar",
            "Rosario is a river port on the Paraná.",
            "Learning as a right of every neighbour.",
        ],
        [
            "Wuhan",
            "China",
            "",
            "",
            "2018",
            "11.2 million",
            "2020",
            "8,569",
            "",
            "",
            "Li Wei",
            "liwei@wuhan.gov.cn",
            "Wuhan is a centre of higher education in central China.",
            "",
        ],
        [
            "Lyon",
            "France",
            "FR",
            "Europe and North America",
            "2023",
            "522 250",
            "2020",
            "47.87",
            "",
            "",
            "Claire Martin",
            "cmartin@lyon.fr",
            "Lyon, a city of knowledge on two rivers.",
            "",
        ],
        [
            "Tunis",
            "Tunisia",
            "TN",
            "Arab States",
            "2020",
            "638 845 (2014)",
            "",
            "212,63",
            "",
            "",
            "Amel Ben Salah",
            "",
            "Tunis opens its libraries to all ages.",
            "",
        ],
        [
            "Puebla",
            "Mexico",
            "",
            "",
            "2019",
            "1.5m",
            "2020",
            "n/a",
            "",
            "",
            "Rosa Díaz",
            "rdiaz@puebla.gob.mx",
            "Puebla joins learning to its heritage.",
            "",
        ],
        [
            "Tampere",
            "Finland",
            "",
            "",
            "2022",
            "244,029",
            "2021",
            "689.6",
            "$44,000",
            "",
            "Mikko Virtanen",
            "mikko.virtanen@tampere.fi",
            "Tampere learns in its libraries and factories.",
            "",
        ],
        [
            "Gelsenkirchen",
            "Germany",
            "DE",
            "Europe and North America",
            "2016",
            "260,654",
            "2020",
            "104.9",
            "",
            "",
            "Anna Schmidt",
            "",
            "Gelsenkirchen turns old mines into places to learn.",
            "",
        ],
        [
            "Yeosu",
            "Republic of Korea",
            "",
            "",
            "2015",
            "277,000",
            "n/a",
            "",
            "",
            "",
            "Kim Min-ji",
            "mj.kim@yeosu.go.kr",
            "Yeosu learns by the sea.",
            "",
        ],
        [
            "Kampala",
            "Uganda",
            "UG",
            "Africa",
            "2021",
            "1 680 600",
            "2019",
            "189",
            "",
            "",
            "Sarah Nakato",
            "snakato@kcca.go.ug",
            "Kampala brings learning to its markets.",
            "",
        ],
        [
            "Santiago de Cali",
            "Colombia",
            "",
            "",
            "2022",
            "2.2 millones",
            "2021",
            "",
            "",
            "",
            "Andrés Mejía",
            "amejia@cali.gov.co",
            "Cali learns through music and dance.",
            "",
        ],
    ];
    rows.iter().map(|r| r.map(str::to_string)).collect()
}

fn cities(env: &Env) -> usize {
    env.run(&["list", "--json"]).ok().json().as_array().unwrap().len()
}

fn fact(env: &Env, id: &str, key: &str) -> serde_json::Value {
    env.run(&["show", id, "--json"]).ok().json()["portrait"]["facts"][key].clone()
}

#[test]
fn staff_fill_the_template_with_ten_cities_dry_run_then_import_and_reimport_changes_nothing() {
    let env = Env::new();
    let template = env.path("member-list.xlsx");
    env.run(&["import-table", "--template", template.to_str().unwrap()]).ok();

    // The template as a spreadsheet program reads it: a sheet "Cities", the headers, a notes row.
    let mut book = calamine::open_workbook_auto(&template).unwrap();
    assert_eq!(book.sheet_names(), ["Cities"]);
    let range = book.worksheet_range("Cities").unwrap();
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows.len(), 2, "headers and notes only");
    for h in [
        "City",
        "Country",
        "Region",
        "Member since",
        "Population",
        "Mayor",
        "Focal point",
        "Focal point email",
        "Introduction",
        "Motivation",
        "Implementation",
    ] {
        assert!(rows[0].iter().any(|x| x == h), "template header {h:?}: {:?}", rows[0]);
    }
    assert!(rows[1].iter().all(|n| n.starts_with("Note:")), "{:?}", rows[1]);
    // An import of the empty template adds nothing.
    let r = env.run(&["import-table", template.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["rows"].as_array().unwrap().len(), 0);

    // Staff fill in ten cities under the notes row (headers as the template has them, in the
    // order of this test), as a spreadsheet program saves them: numbers as numbers where typed
    // as plain numbers, text elsewhere.
    let filled = env.path("ten.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Cities").unwrap();
        for (j, h) in HEADERS.iter().enumerate() {
            ws.write_string(0, j as u16, *h).unwrap();
            ws.write_string(1, j as u16, "Note: see the template").unwrap();
        }
        ws.write_string(0, HEADERS.len() as u16, "Budget (USD)").unwrap();
        for (i, row) in ten().iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                match v.parse::<f64>() {
                    Ok(n) if !v.contains(',') => ws.write_number(i as u32 + 2, j as u16, n).unwrap(),
                    _ => ws.write_string(i as u32 + 2, j as u16, v).unwrap(),
                };
            }
            ws.write_number(i as u32 + 2, HEADERS.len() as u16, 1000.0).unwrap();
        }
        wb.save(&filled).unwrap();
    }
    let before = cities(&env);
    let sha = file_sha(&env.db());
    let dry = env.run(&["import-table", filled.to_str().unwrap(), "--dry-run", "--json"]).ok().json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["sheet"], "Cities");
    assert_eq!(dry["unknown_columns"], serde_json::json!(["Budget (USD)"]), "an unknown column is reported");
    let rows = dry["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r["action"] == "create" && r["version"] == 1), "{rows:?}");
    let ids: Vec<&str> = rows.iter().map(|r| r["city_id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "ar-rosario",
            "cn-wuhan",
            "fr-lyon",
            "tn-tunis",
            "mx-puebla",
            "fi-tampere",
            "de-gelsenkirchen",
            "kr-yeosu",
            "ug-kampala",
            "co-santiago-de-cali"
        ],
        "ids from the country (by its name in the catalogue, or its code) and the city's name"
    );
    assert_eq!(rows[0]["row"], 3, "rows numbered as the spreadsheet numbers them");
    // The same workbook saved under a .csv name (a rename, a wrong "Save as") is read as the
    // workbook its bytes are.
    let misnamed = env.path("ten-misnamed.csv");
    std::fs::copy(&filled, &misnamed).unwrap();
    let same = env.run(&["import-table", misnamed.to_str().unwrap(), "--dry-run", "--json"]).ok().json();
    assert_eq!(same["sheet"], "Cities");
    assert_eq!(same["rows"], dry["rows"]);
    assert_eq!(file_sha(&env.db()), sha, "a dry run writes nothing");
    assert_eq!(cities(&env), before);

    let text = env.run(&["import-table", filled.to_str().unwrap()]).ok().stdout;
    assert!(text.contains("10 new cities, 0 updated, 0 unchanged"), "{text}");
    assert!(text.contains("columns not read (unknown headers): Budget (USD)"), "{text}");
    assert_eq!(cities(&env), before + 10);

    // What the rows said, as the portraits hold it.
    assert_eq!(fact(&env, "ar-rosario", "population"), serde_json::json!({"value": 1276000, "year": 2019}));
    assert_eq!(fact(&env, "cn-wuhan", "population")["value"], 11200000);
    assert_eq!(fact(&env, "fr-lyon", "population")["value"], 522250);
    assert_eq!(fact(&env, "tn-tunis", "population"), serde_json::json!({"value": 638845, "year": 2014}));
    assert_eq!(fact(&env, "tn-tunis", "area_km2")["value"], 212.63, "a decimal comma");
    assert_eq!(fact(&env, "mx-puebla", "area_km2")["value"], "n/a");
    assert_eq!(fact(&env, "fi-tampere", "gdp_city_usd")["value"], 44000);
    assert_eq!(fact(&env, "kr-yeosu", "population")["year"], "n/a");
    assert_eq!(fact(&env, "ug-kampala", "population")["value"], 1680600);
    assert_eq!(fact(&env, "co-santiago-de-cali", "population")["value"], 2200000);
    let rosario = env.run(&["show", "ar-rosario", "--json"]).ok().json()["portrait"].clone();
    assert_eq!(
        rosario["city"]["region"], "Latin America and the Caribbean",
        "the region of the country's other cities"
    );
    assert_eq!(rosario["city"]["member_since"], 2021);
    assert_eq!(rosario["lead"], "Rosario is a river port on the Paraná.");
    assert_eq!(rosario["vision"], "Learning as a right of every neighbour.");
    let contacts = rosario["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(rosario["mayor"], serde_json::json!({"contact": 0}));
    assert_eq!(rosario["focal_point"], serde_json::json!({"contact": 1}));
    assert_eq!(contacts[1]["email"], "lgomez@rosario.gob.ar");
    let tunis = env.run(&["show", "tn-tunis", "--json"]).ok().json()["portrait"].clone();
    assert_eq!(
        tunis["city"]["country"],
        serde_json::json!({"code": "TN", "name": "Tunisia"}),
        "a country new to the network: its code and name as given"
    );
    // Found by search at once.
    let h = env.run(&["search", "--json", "markets"]).ok().json();
    assert_eq!(h[0]["city_id"], "ug-kampala");

    // The same file again: nothing to add.
    let again = env.run(&["import-table", filled.to_str().unwrap(), "--json"]).ok().json();
    assert!(again["rows"].as_array().unwrap().iter().all(|r| r["action"] == "unchanged"), "{again}");
    assert_eq!(again["imported"]["added"].as_array().unwrap().len(), 0);
    assert_eq!(cities(&env), before + 10);
}

#[test]
fn a_csv_with_french_headers_updates_cities_and_a_bad_row_changes_nothing() {
    let env = Env::new();
    let csv = env.path("membres.csv");
    std::fs::write(
        &csv,
        "\u{feff}VILLE;Pays;Région;Population;Année population;Superficie (km²);Maire\n\
         Sønderborg;Danemark;;\"74 737 (2019)\";;497;\n\
         Cork;Irlande;;224 004;2022;;Kieran McCarthy\n",
    )
    .unwrap();
    let r = env.run(&["import-table", csv.to_str().unwrap(), "--json"]).ok().json();
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows[0]["city_id"], "dk-sonderborg");
    assert_eq!(rows[0]["action"], "update");
    assert_eq!(rows[0]["changes"], serde_json::json!(["facts.population", "facts.area_km2"]));
    assert_eq!(rows[1]["changes"], serde_json::json!(["facts.population", "contacts", "mayor"]));
    assert!(r["sheet"].is_null());
    assert_eq!(fact(&env, "dk-sonderborg", "population"), serde_json::json!({"value": 74737, "year": 2019}));
    let cork = env.run(&["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    assert_eq!(cork["facts"]["population"], serde_json::json!({"value": 224004, "year": 2022}));
    // What the row leaves empty stays: Cork's lead and its other facts.
    assert!(cork["lead"].as_str().unwrap().starts_with("As the second largest city in Ireland"));
    assert_eq!(cork["facts"]["area_km2"]["value"], 833);
    let mayor = cork["mayor"]["contact"].as_u64().unwrap() as usize;
    assert_eq!(cork["contacts"][mayor]["name"], "Kieran McCarthy");

    // A file with bad rows: every problem named by file, row and column; nothing changes.
    let bad = env.path("bad.csv");
    std::fs::write(
        &bad,
        "City,Country,Population,Population year,Introduction,Focal point email\n\
         Espoo,Finland,lots,,,\n\
         Atlantis City,Atlantis,100,,An island.,\n\
         Nowhere,Finland,\"80,006 (2015)\",2016,Somewhere.,\n\
         Espoo,Finland,1,,,x@example.org\n",
    )
    .unwrap();
    let sha = file_sha(&env.db());
    let out = env.run(&["import-table", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    for want in [
        "import refused, nothing was changed",
        "bad.csv, row 2, column Population: \"lots\" is not a figure",
        "bad.csv, row 3, column Country: \"Atlantis\" is not a country of the network yet",
        "bad.csv, row 4, column Population year: the year column says 2016 and the figure's brackets say 2015",
        "bad.csv, row 5, column City: fi-espoo is also on row 2",
    ] {
        assert!(out.stderr.contains(want), "{want:?} in\n{}", out.stderr);
    }
    assert_eq!(file_sha(&env.db()), sha, "a refused file changes nothing");

    // Not a spreadsheet, a missing column, an empty file.
    let junk = env.path("junk.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 not really a workbook").unwrap();
    let out = env.run(&["import-table", junk.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("junk.xlsx: not a spreadsheet this app reads"), "{}", out.stderr);
    let nocity = env.path("nocity.csv");
    std::fs::write(&nocity, "Town,Country\nEspoo,Finland\n").unwrap();
    let out = env.run(&["import-table", nocity.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nocity.csv, row 1: no \"City\" column"), "{}", out.stderr);
    let empty = env.path("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(env.run(&["import-table", empty.to_str().unwrap()]).code, 2);
    assert_eq!(file_sha(&env.db()), sha);
}

/// An OpenDocument spreadsheet (LibreOffice's format), built as LibreOffice writes one.
#[test]
fn an_ods_file_is_read_too() {
    let env = Env::new();
    let ods = env.path("members.ods");
    let cell =
        |s: &str| format!("<table:table-cell office:value-type=\"string\"><text:p>{s}</text:p></table:table-cell>");
    let num = |n: f64| {
        format!("<table:table-cell office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>")
    };
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">
<office:body><office:spreadsheet><table:table table:name="Villes">
<table:table-row>{}{}{}{}</table:table-row>
<table:table-row>{}{}{}{}</table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#,
        cell("Ville"),
        cell("Pays"),
        cell("Population"),
        cell("Année population"),
        cell("Espoo"),
        cell("Finlande"),
        num(305274.0),
        num(2022.0),
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&ods).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
    let r = env.run(&["import-table", ods.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["sheet"], "Villes");
    assert_eq!(r["rows"][0]["city_id"], "fi-espoo");
    assert_eq!(fact(&env, "fi-espoo", "population"), serde_json::json!({"value": 305274, "year": 2022}));
}

/// A workbook of a few hundred kilobytes that would expand to a gigabyte: refused before it is
/// read, naming the file, and nothing changes.
#[test]
fn a_workbook_that_expands_to_a_gigabyte_is_refused_before_it_is_read() {
    let env = Env::new();
    let bomb = env.path("bomb.xlsx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
    let deflated =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    zip.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..1024 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    let size = std::fs::metadata(&bomb).unwrap().len();
    assert!(size < 5 << 20, "the file is small: {size} bytes");
    let before = cities(&env); // (the database exists from here)
    let sha = file_sha(&env.db());
    let out = env.run(&["import-table", bomb.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("bomb.xlsx: its parts expand to 1073741824 bytes"), "{}", out.stderr);
    assert_eq!(file_sha(&env.db()), sha);
    assert_eq!(cities(&env), before);
}

/// The window's flow: a preview (rows, problems, progress), then an import of that preview,
/// refused if the file changed in between.
#[test]
fn an_import_of_a_preview_is_refused_if_the_file_changed_since() {
    let env = Env::new();
    let mut store = portraits::app::open(Some(&env.db()), true).unwrap();
    let csv = env.path("list.csv");
    std::fs::write(&csv, "City,Country,Introduction\nRosario,Argentina,A river port.\nEspoo,Finland,\n").unwrap();
    let mut seen = Vec::new();
    let preview =
        portraits::app::table::preview_table(&store, &csv, &mut |done, total| seen.push((done, total))).unwrap();
    assert_eq!(seen.last(), Some(&(2, 2)), "progress reaches the end: {seen:?}");
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert_eq!(preview.rows.len(), 2);
    // A problem is a row's, with its place as parameters for the window.
    std::fs::write(&csv, "City,Country,Population\nEspoo,Finland,lots\n").unwrap();
    let bad = portraits::app::table::preview_table(&store, &csv, &mut |_, _| {}).unwrap();
    assert_eq!(bad.problems.len(), 1);
    let p = &bad.problems[0];
    assert_eq!(p.code, "not_number");
    assert_eq!(
        serde_json::to_value(&p.params).unwrap(),
        serde_json::json!({"value": "lots", "row": 2, "column": "Population"})
    );
    // Previewed, then changed on disk: the import is refused and nothing is written.
    std::fs::write(&csv, "City,Country,Introduction\nRosario,Argentina,A river port.\n").unwrap();
    let shown = portraits::app::table::preview_table(&store, &csv, &mut |_, _| {}).unwrap();
    std::fs::write(&csv, "City,Country,Introduction\nRosario,Argentina,A different port.\n").unwrap();
    let before = store.counts().unwrap();
    let err =
        portraits::app::table::import_previewed_table(&mut store, &csv, &shown.sha256, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.code, portraits::app::ErrorCode::Conflict);
    assert!(err.message.contains("changed since it was previewed"), "{}", err.message);
    assert_eq!(store.counts().unwrap(), before);
    // Previewed again: imported.
    let again = portraits::app::table::preview_table(&store, &csv, &mut |_, _| {}).unwrap();
    let done = portraits::app::table::import_previewed_table(&mut store, &csv, &again.sha256, &mut |_, _| {}).unwrap();
    assert_eq!(done.imported.new_cities, ["ar-rosario"]);
    assert!(!done.dry_run);
}

/// Issue 14's road in, end to end without the window: UIL imports ten cities into the server's
/// database from a spreadsheet, invites their focal points (a token each, one text and one
/// mail-merge row each), and a coordinator's laptop connects with one invitation's feed and
/// token, sees the ten new cities after its sync, and can submit for its own city only.
#[test]
fn uil_imports_ten_cities_invites_them_and_a_coordinator_connects_with_an_invitation() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    let csv = env.path("ten.csv");
    let quote = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let mut text = HEADERS.iter().map(|h| quote(h)).collect::<Vec<_>>().join(",") + "\n";
    for row in ten() {
        let cells: Vec<String> = row.iter().map(|c| quote(c)).collect();
        text.push_str(&(cells.join(",") + "\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let r = env.run_db(&server_db, &["import-table", csv.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(r["imported"]["new_cities"].as_array().unwrap().len(), 10, "{r}");
    let ids: Vec<String> =
        r["rows"].as_array().unwrap().iter().map(|x| x["city_id"].as_str().unwrap().to_string()).collect();

    let server = Server::start(&server_db);
    let out = env.path("invitations");
    // An unknown city refuses the whole run: no token is issued.
    let bad = env.run_db(
        &server_db,
        &[
            "token",
            "invite",
            "--cities",
            &format!("{},xx-nowhere", ids[0]),
            "--feed",
            &server.url,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("no city xx-nowhere: nothing was issued"), "{}", bad.stderr);
    assert_eq!(env.run_db(&server_db, &["token", "list", "--json"]).ok().json().as_array().unwrap().len(), 0);

    let inv = env
        .run_db(
            &server_db,
            &[
                "token",
                "invite",
                "--cities",
                &ids.join(","),
                "--feed",
                &server.url,
                "--out",
                out.to_str().unwrap(),
                "--json",
            ],
        )
        .ok()
        .json();
    let invitations = inv["invitations"].as_array().unwrap();
    assert_eq!(invitations.len(), 10);
    assert!(!inv.to_string().contains("gnlc_"), "the report never shows a token");
    let rosario = &invitations[0];
    assert_eq!(rosario["focal_point"], "Laura Gómez");
    assert_eq!(rosario["email"], "lgomez@rosario.gob.ar");
    let letter = std::fs::read_to_string(rosario["file"].as_str().unwrap()).unwrap();
    assert!(letter.starts_with("Subject: Your invitation to Learning City Portraits: Rosario"), "{letter}");
    for want in
        ["Dear Laura Gómez,", server.url.as_str(), "Feed address", "Token from your invitation", "Connect", "gnlc_"]
    {
        assert!(letter.contains(want), "{want:?} in the invitation:\n{letter}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(rosario["file"].as_str().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an invitation holds a secret: readable by its owner only");
    }
    // The mail merge: one row a city, read back by a CSV reader, the same token as the letter.
    let mut merge = csv::Reader::from_path(out.join("invitations.csv")).unwrap();
    let headers = merge.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["city_id", "city", "country", "focal_point", "email", "feed", "token", "subject", "body"]
    );
    let records: Vec<csv::StringRecord> = merge.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 10);
    let token = records[0][6].to_string();
    assert!(letter.contains(&token) && records[0][8].contains(&token));
    assert_eq!(&records[0][0], "ar-rosario");
    // Ten tokens, listed by id and city, never by secret.
    let list = env.run_db(&server_db, &["token", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 10);
    assert!(!list.to_string().contains("gnlc_"));

    // Rosario's coordinator connects with the invitation's feed and token.
    let laptop = Client::new(&env, "rosario-laptop");
    let token_file = env.path("rosario.token");
    std::fs::write(&token_file, &token).unwrap();
    laptop.run(&["sync", "--feed", &server.url, "--token-file", token_file.to_str().unwrap()]).ok();
    let cities: Vec<String> = laptop
        .run(&["list", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        assert!(cities.contains(id), "{id} on the coordinator's laptop after its sync");
    }
    assert_eq!(cities.len(), 54, "the 44 bundled cities and the ten new ones");
    // The laptop follows the feed: a member list is not imported into it (a dry run is fine).
    let sha = file_sha(&laptop.db);
    let refused = laptop.run(&["import-table", csv.to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("this database follows the feed"), "{}", refused.stderr);
    assert_eq!(file_sha(&laptop.db), sha);
    laptop.run(&["import-table", csv.to_str().unwrap(), "--dry-run"]).ok();
    // The token is Rosario's: a submission for Rosario is taken, one for Lyon refused.
    let mut p = laptop.run(&["show", "ar-rosario", "--json"]).ok().json()["portrait"].clone();
    p["tagline"] = "A river port that learns".into();
    let f = env.path("rosario-next.json");
    std::fs::write(&f, serde_json::to_string(&p).unwrap()).unwrap();
    laptop.run(&["draft", "set", "ar-rosario", "--from", f.to_str().unwrap()]).ok();
    let sub = laptop.run(&["submit", "ar-rosario", "--token-file", token_file.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(sub["status"], "sent", "{sub}");
    let mut l = laptop.run(&["show", "fr-lyon", "--json"]).ok().json()["portrait"].clone();
    l["tagline"] = "Not mine".into();
    let f = env.path("lyon-next.json");
    std::fs::write(&f, serde_json::to_string(&l).unwrap()).unwrap();
    laptop.run(&["draft", "set", "fr-lyon", "--from", f.to_str().unwrap()]).ok();
    let refused =
        laptop.run(&["submit", "fr-lyon", "--token-file", token_file.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(refused["status"], "failed", "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("403: this token acts for ar-rosario, not for fr-lyon"),
        "{refused}"
    );

    // Lyon's own invitation sends Lyon's; UIL accepts both at once (and an id that is no
    // submission is said, without stopping the others).
    let lyon_token = env.path("lyon.token");
    let lyon_row = records.iter().find(|r| &r[0] == "fr-lyon").unwrap();
    std::fs::write(&lyon_token, &lyon_row[6]).unwrap();
    let lyon = laptop.run(&["submit", "fr-lyon", "--token-file", lyon_token.to_str().unwrap(), "--json"]).ok().json();
    assert_eq!(lyon["status"], "sent", "{lyon}");
    let staff = common::token(&env, &server_db, &["--staff"]);
    let (a, b) = (sub["submission_id"].as_str().unwrap(), lyon["submission_id"].as_str().unwrap());
    let both = laptop.run(&[
        "review",
        "accept",
        a,
        "sub_00000000000000000000000000",
        b,
        "--feed",
        &server.url,
        "--token-file",
        staff.to_str().unwrap(),
        "--json",
    ]);
    assert_ne!(both.code, 0, "one could not be accepted: {}", both.stderr);
    let results: serde_json::Value = serde_json::from_str(&both.stdout).unwrap();
    assert_eq!(results[0]["answer"]["status"], "accepted", "{results}");
    assert!(results[1]["error"]["code"].is_string(), "{results}");
    assert_eq!(results[2]["answer"]["status"], "accepted", "{results}");
    assert!(both.stderr.contains("1 of 3 not accepted"), "{}", both.stderr);
    laptop.run(&["sync"]).ok();
    let shown = laptop.run(&["show", "ar-rosario", "--json"]).ok().json();
    assert_eq!(shown["portrait"]["tagline"], "A river port that learns");
    assert_eq!(laptop.run(&["show", "fr-lyon", "--json"]).ok().json()["portrait"]["tagline"], "Not mine");
}

/// Two imports of the same list at once (two staff members, or a double click): the cities are
/// added once, each version once; neither run leaves the database half written.
#[test]
fn two_imports_of_the_same_list_at_once_add_each_city_once() {
    let env = Env::new();
    let before = cities(&env);
    let csv = env.path("list.csv");
    let mut text = String::from("City,Country,Introduction\n");
    for i in 0..40 {
        text.push_str(&format!("Town {i},Finland,Town {i} learns.\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_portraits"))
            .args(["--db", env.db().to_str().unwrap(), "import-table", csv.to_str().unwrap(), "--json"])
            .env_remove("PORTRAITS_DB")
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    let ok: Vec<serde_json::Value> =
        [&a, &b].iter().filter(|o| o.status.success()).map(|o| serde_json::from_slice(&o.stdout).unwrap()).collect();
    assert!(
        !ok.is_empty(),
        "at least one run imports: {} / {}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let added: usize = ok.iter().map(|r| r["imported"]["added"].as_array().unwrap().len()).sum();
    assert_eq!(added, 40, "each city's version added once, by one run or the other");
    assert_eq!(cities(&env), before + 40);
    let again = env.run(&["import-table", csv.to_str().unwrap(), "--json"]).ok().json();
    assert!(again["rows"].as_array().unwrap().iter().all(|r| r["action"] == "unchanged"));
}

fn ten_csv(env: &Env, name: &str, rows: &[[String; 14]]) -> std::path::PathBuf {
    let quote = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let mut text = HEADERS.iter().map(|h| quote(h)).collect::<Vec<_>>().join(",") + "\n";
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| quote(c)).collect();
        text.push_str(&(cells.join(",") + "\n"));
    }
    let path = env.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Issue 14, points 1 and 2 through review: UIL's staff laptop follows the feed; the member
/// list's rows go to the server as submissions (ten new cities, proposed with base version 0),
/// staff accept the batch, and a coordinator's laptop sees the ten after its next sync. Sending
/// the same list again replaces the open rounds (one open submission a city, never two), a city
/// token cannot propose cities, and a file changed after its preview is refused.
#[test]
fn staff_send_the_member_list_for_review_accept_the_batch_and_laptops_see_the_new_cities() {
    let env = Env::new();
    let server_db = env.path("uil.sqlite3");
    env.run_db(&server_db, &["list"]).ok();
    let staff = common::token(&env, &server_db, &["--staff"]);
    let server = Server::start(&server_db);
    let csv = ten_csv(&env, "ten.csv", &ten());

    let uil = Client::new(&env, "uil-laptop");
    let send_for_review = |file: &std::path::Path| {
        uil.run(&[
            "import-table",
            file.to_str().unwrap(),
            "--for-review",
            "--token-file",
            staff.to_str().unwrap(),
            "--json",
        ])
        .ok()
        .json()
    };
    uil.run(&["sync", "--feed", &server.url, "--token-file", staff.to_str().unwrap()]).ok();
    let sent = send_for_review(&csv);
    assert_eq!(
        (sent["queued"].as_u64(), sent["sent"].as_u64(), sent["failed"].as_u64()),
        (Some(10), Some(10), Some(0)),
        "{sent}"
    );
    // Nothing is published yet: the feed still has 44 cities.
    uil.run(&["sync"]).ok();
    assert_eq!(uil.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 44);

    let review = |args: &[&str]| {
        let mut a = vec!["review"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--token-file", staff.to_str().unwrap(), "--json"]);
        uil.run(&a)
    };
    let open = review(&["list", "--open"]).ok().json()["submissions"].clone();
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 10, "{open:?}");
    let rosario = open.iter().find(|s| s["cityId"] == "ar-rosario").unwrap();
    assert_eq!(rosario["baseVersion"], 0);
    assert_eq!(rosario["cityName"], "Rosario", "the inbox names a city no catalogue has yet");
    assert_eq!(rosario["sentBy"], "staff");
    assert!(rosario["note"].as_str().unwrap().contains("ten.csv, row 2"), "{rosario}");
    // The reviewer sees every field the row fills as the submission's, against nothing.
    let shown = review(&["show", rosario["id"].as_str().unwrap()]).ok().json();
    assert_eq!(shown["publishedNow"], 0, "{shown}");
    assert!(shown["conflicts"].as_array().unwrap().is_empty());
    let mine: Vec<&str> = shown["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["state"] == "mine")
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["lead", "facts.population", "contacts", "focal_point"] {
        assert!(mine.contains(&f), "{f} in {mine:?}");
    }

    // Sent again before anyone decides: each city's open submission is replaced, not doubled.
    let again = send_for_review(&csv);
    assert_eq!(again["sent"], 10, "{again}");
    let open = review(&["list", "--open"]).ok().json()["submissions"].clone();
    let ids: Vec<String> = open.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 10, "one open submission a city");
    assert!(open.as_array().unwrap().iter().all(|s| s["round"] == 2));

    // Another feed than the one this laptop follows: refused, nothing queued.
    let elsewhere = uil.run(&[
        "import-table",
        csv.to_str().unwrap(),
        "--for-review",
        "--feed",
        "http://127.0.0.1:9/",
        "--token-file",
        staff.to_str().unwrap(),
    ]);
    assert_eq!(elsewhere.code, 2, "{}", elsewhere.stderr);
    assert!(elsewhere.stderr.contains("this database follows"), "{}", elsewhere.stderr);

    // A city token cannot propose cities: refused before anything is queued.
    let cork = common::token(&env, &server_db, &["--city", "ie-cork"]);
    let coordinator = Client::new(&env, "cork-laptop");
    coordinator.run(&["sync", "--feed", &server.url, "--token-file", cork.to_str().unwrap()]).ok();
    let refused = coordinator.run(&[
        "import-table",
        csv.to_str().unwrap(),
        "--for-review",
        "--token-file",
        cork.to_str().unwrap(),
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("only UIL staff"), "{}", refused.stderr);
    assert_eq!(coordinator.run(&["outbox", "--json"]).ok().json().as_array().map(Vec::len), Some(0));
    // Nor through the protocol: base version 0 from a city token is refused.
    let http = common::http::client();
    let cork_token = std::fs::read_to_string(&cork).unwrap().trim().to_string();
    let staff_token = std::fs::read_to_string(&staff).unwrap().trim().to_string();
    let post = |token: &str, city: &str, base: u32, portrait: &serde_json::Value| {
        http.post(format!("{}/v1/cities/{city}/submissions", server.url))
            .bearer_auth(token)
            .header("Idempotency-Key", uuid_like())
            .json(&serde_json::json!({ "baseVersion": base, "portrait": portrait }))
            .send()
            .unwrap()
    };
    let cork_portrait = coordinator.run(&["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    let r = post(&cork_token, "ie-cork", 0, &cork_portrait);
    let (status, text) = (r.status(), r.text().unwrap());
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("only staff"), "{text}");
    // Staff proposing a city that is published already is told to base it on the latest.
    let lyon = coordinator.run(&["show", "jo-amman", "--json"]).ok().json()["portrait"].clone();
    let r = post(&staff_token, "jo-amman", 0, &lyon);
    assert_eq!(r.status(), 409);
    assert!(r.text().unwrap().contains("already published (version 2)"));

    // A preview made now (ten new cities) goes stale once they are published.
    let stale_plan = {
        let (store, _) = portraits::store::Store::open(&uil.db).unwrap();
        portraits::app::table::preview_table(&store, &csv, &mut |_, _| {}).unwrap().plan_sha256
    };

    // Staff never replace a coordinator's open submission: Cork's coordinator has one.
    let mut mine = cork_portrait.clone();
    mine["tagline"] = "Cork's own words".into();
    assert_eq!(post(&cork_token, "ie-cork", 2, &mine).status(), 201);
    let mut theirs = cork_portrait.clone();
    theirs["tagline"] = "UIL's words".into();
    let r = post(&staff_token, "ie-cork", 2, &theirs);
    let (status, text) = (r.status(), r.text().unwrap());
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("ie-cork has an open submission from its coordinator"), "{text}");
    // A staff change made from a stale copy of Amman (its awards emptied, its year of joining
    // changed): accepted, it changes the year and keeps the awards published.
    let mut amman = lyon.clone();
    let awards = amman["city"]["awards"].clone();
    assert!(!awards.as_array().unwrap().is_empty(), "Amman has an award");
    amman["city"]["awards"] = serde_json::json!([]);
    amman["city"]["member_since"] = 2016.into();
    let r = post(&staff_token, "jo-amman", 2, &amman);
    let (status, text) = (r.status(), r.text().unwrap());
    assert_eq!(status, 201, "{text}");
    let amman_sub: serde_json::Value = serde_json::from_str(&text).unwrap();
    review(&["accept", amman_sub["id"].as_str().unwrap()]).ok();
    coordinator.run(&["sync"]).ok();
    let shown_amman = coordinator.run(&["show", "jo-amman", "--json"]).ok().json();
    assert_eq!(shown_amman["portrait"]["city"]["awards"], awards, "the published awards are kept");
    assert_eq!(shown_amman["portrait"]["city"]["member_since"], 2016);

    // UIL accepts the batch; the coordinator's next sync brings the ten cities.
    let mut accept: Vec<&str> = vec!["accept"];
    accept.extend(ids.iter().map(String::as_str));
    let results = review(&accept).ok().json();
    assert!(results.as_array().unwrap().iter().all(|r| r["answer"]["status"] == "accepted"), "{results}");
    let synced = coordinator.run(&["sync", "--json"]).ok().json();
    assert_eq!(synced["pull"]["added"].as_array().unwrap().len(), 10, "{synced}");
    let list = coordinator.run(&["list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 54);
    let r = coordinator.run(&["show", "ar-rosario", "--json"]).ok().json();
    assert_eq!(r["portrait"]["city"]["name"], "Rosario");
    assert_eq!(r["portrait"]["version"], 1);
    assert_eq!(r["portrait"]["facts"]["population"]["value"], 1_276_000.0, "{}", r["portrait"]["facts"]);

    // Now published: the staff laptop's sync learns the ten were accepted, and its next sync
    // asks the server about none of them again.
    uil.run(&["sync"]).ok();
    let asked = |log: &str| log.matches("/v1/cities/").count();
    let before = asked(&server.log());
    assert!(before >= 10, "the log names the requests that followed the ten: {before}");
    uil.run(&["sync"]).ok();
    assert_eq!(asked(&server.log()), before, "decided submissions are not followed any more");
    // The stale preview cannot be sent: what its rows do changed (they are published now).
    {
        let (mut store, _) = portraits::store::Store::open(&uil.db).unwrap();
        let err = portraits::app::queue_previewed_table(&mut store, &csv, &stale_plan, &server.url, &mut |_, _| {})
            .unwrap_err();
        assert_eq!(err.code, portraits::app::ErrorCode::Conflict, "{err:?}");
        assert!(err.message.contains("preview it again"), "{err:?}");
    }
    // Now published: the same list again changes nothing and sends nothing.
    let same = send_for_review(&csv);
    assert_eq!(same["queued"], 0, "{same}");
    // One figure changed: an update based on version 1.
    let mut rows = ten();
    rows[0][5] = "1,300,000".into();
    let changed = ten_csv(&env, "ten-2.csv", &rows);
    let upd = send_for_review(&changed);
    assert_eq!((upd["queued"].as_u64(), upd["sent"].as_u64()), (Some(1), Some(1)), "{upd}");
    let open = review(&["list", "--open"]).ok().json()["submissions"].clone();
    let staff_open: Vec<&serde_json::Value> =
        open.as_array().unwrap().iter().filter(|s| s["sentBy"] == "staff").collect();
    assert_eq!(staff_open.len(), 1, "{open}");
    assert_eq!(
        (staff_open[0]["cityId"].as_str(), staff_open[0]["baseVersion"].as_u64()),
        (Some("ar-rosario"), Some(1))
    );
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("00000000-0000-4000-8000-{:012}", N.fetch_add(1, Ordering::SeqCst))
}

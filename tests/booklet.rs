//! PDF booklets through the real CLI on a real database, checked with poppler's tools
//! (`pdftotext`, `pdffonts`, `pdfinfo`, `pdfimages`) and by inspecting the laid-out pages.

mod common;
use common::{repo, Env};
use std::path::Path;
use std::process::Command;

use portraits::booklet::{fonts, layout::Item, templates};
use portraits::model::booklet::BookletDef;

fn tool(name: &str, args: &[&str]) -> String {
    let out =
        Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name} (poppler-utils) not found: {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdftotext(pdf: &Path) -> String {
    tool("pdftotext", &[pdf.to_str().unwrap(), "-"])
}

fn export(env: &Env, args: &[&str], name: &str) -> std::path::PathBuf {
    let out = env.path(name);
    let mut a = vec!["export-pdf", "--date", "2016-11-15", "-o", out.to_str().unwrap()];
    a.extend_from_slice(args);
    let r = env.run(&a).ok();
    assert!(r.stderr.contains("writing page"), "progress on stderr: {}", r.stderr);
    out
}

#[test]
fn the_2016_booklet_has_every_city_email_and_fact_with_its_year() {
    let env = Env::new();
    let pdf = export(&env, &["--booklet", "members-meeting-2016"], "hangzhou-2016.pdf");
    let text = pdftotext(&pdf);
    let book = env.run(&["booklet", "show", "members-meeting-2016", "--json"]).ok().json();
    for entry in book["cities"].as_array().unwrap() {
        let v = env.run(&["show", entry["city"].as_str().unwrap(), "--version", "1", "--json"]).ok().json();
        let p = &v["portrait"];
        let name = p["city"]["name"].as_str().unwrap();
        assert!(text.contains(name), "city name {name} missing from the PDF text");
        for c in p["contacts"].as_array().unwrap() {
            if let Some(e) = c["email"].as_str() {
                assert!(text.contains(e), "{name}: email {e} missing");
            }
        }
        let pop = &p["facts"]["population"];
        if let Some(n) = pop["value"].as_f64() {
            let shown = pop["printed"].as_str().map(String::from).unwrap_or_else(|| portraits::model::format_number(n));
            assert!(text.contains(&shown), "{name}: population {shown} missing");
            if let Some(y) = pop["year"].as_u64() {
                assert!(text.contains(&format!("({y})")), "{name}: year {y} missing");
            }
        }
    }
    for s in [
        "Sønderborg",
        "Eskişehir",
        "Ybycuí",
        "CO₂",
        "Participating cities",
        "* UNESCO Learning City Awardee 2015",
        "Foreword",
        "Arne Carlsen",
        "Contents",
        "Imprint",
        "Feldbrunnenstr. 58",
        "Vision and motivation",
        "Challenges and goals",
        "Plan and implementation",
        "Contact details",
    ] {
        assert!(text.contains(s), "{s:?} missing from the PDF text");
    }
    // Fonts: embedded, subset, with Unicode maps.
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 3, "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "subset tag: {row}");
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "emb sub uni: {row}");
    }
    // Metadata, outline mode, page labels, links.
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.contains("Author:          UNESCO Institute for Lifelong Learning"), "{info}");
    assert!(info.contains("CreationDate:    Tue Nov 15 00:00:00 2016 UTC"), "{info}");
    assert!(info.contains("Title:           Learning, sharing and collaborating"), "{info}");
    assert!(!info.contains("PDF subtype"), "not PDF/X: {info}");
    let raw = std::fs::read(&pdf).unwrap();
    let lo = lopdf::Document::load_mem(&raw).unwrap();
    let catalog = lo.catalog().unwrap();
    assert_eq!(catalog.get(b"PageMode").unwrap().as_name().unwrap(), b"UseOutlines");
    assert!(catalog.has(b"PageLabels"));
    let outline_titles = outline(&lo);
    for entry in book["cities"].as_array().unwrap() {
        let v = env.run(&["show", entry["city"].as_str().unwrap(), "--json"]).ok().json();
        let name = v["portrait"]["city"]["name"].as_str().unwrap();
        assert!(outline_titles.iter().any(|t| t.starts_with(name)), "outline entry for {name}: {outline_titles:?}");
    }
    let urls = tool("pdfinfo", &["-url", pdf.to_str().unwrap()]);
    assert!(urls.contains("mailto:gabrielrios5@hotmail.com"), "{urls}");
    // Links have no visible border.
    for (_, obj) in lo.objects.iter() {
        if let Ok(d) = obj.as_dict() {
            if d.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) == Some(b"Link") {
                let border = d.get(b"Border").unwrap().as_array().unwrap();
                assert!(border.iter().all(|b| b.as_float().unwrap_or(0.0) == 0.0), "{border:?}");
            }
        }
    }
}

fn outline(lo: &lopdf::Document) -> Vec<String> {
    outline_entries(lo).into_iter().map(|(title, _)| title).collect()
}

/// The outline's entries in order: each title with the page object it opens.
fn outline_entries(lo: &lopdf::Document) -> Vec<(String, lopdf::ObjectId)> {
    let mut entries = Vec::new();
    let root = lo.catalog().unwrap().get(b"Outlines").unwrap().as_reference().unwrap();
    let mut next = lo.get_dictionary(root).unwrap().get(b"First").ok().and_then(|o| o.as_reference().ok());
    while let Some(id) = next {
        let d = lo.get_dictionary(id).unwrap();
        let bytes = d.get(b"Title").unwrap().as_str().unwrap();
        let units: Vec<u16> = bytes[2..].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        let dest = d.get(b"Dest").unwrap().as_array().unwrap()[0].as_reference().unwrap();
        entries.push((String::from_utf16(&units).unwrap(), dest));
        next = d.get(b"Next").ok().and_then(|o| o.as_reference().ok());
    }
    entries
}

#[test]
fn the_2019_booklet_numbers_its_cities_like_the_seed() {
    let env = Env::new();
    let pdf = export(&env, &["--booklet", "learning-city-award-2019"], "award-2019.pdf");
    let text = pdftotext(&pdf);
    for s in [
        "1. Colombia, Medellín",
        "2. Denmark, Sønderborg",
        "10. Ukraine, Melitopol",
        "City population",
        "Annual GDP: US$6,643 (2014)",
        "David Atchoarena",
        "Initiatives",
        "Federico Gutiérrez",
    ] {
        assert!(text.contains(s), "{s:?} missing: {}", &text[..text.len().min(3000)]);
    }
}

#[test]
fn adhoc_and_single_city_booklets() {
    let env = Env::new();
    let pdf = export(&env, &["--template", "members-meeting", "--cities", "ie-cork,fi-espoo,kr-suwon"], "three.pdf");
    let text = pdftotext(&pdf);
    for s in ["Cork", "Espoo", "Suwon", "learningfestival@corkcity.ie"] {
        assert!(text.contains(s), "{s}");
    }
    let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("Cork, Ireland") < pos("Espoo, Finland"), "contents in the order given");
    assert!(pos("Espoo, Finland") < pos("Suwon, Republic of Korea"), "contents in the order given");
    let one = export(&env, &["--template", "members-meeting", "--city", "dk-sonderborg"], "sonderborg.pdf");
    let t = pdftotext(&one);
    assert!(t.contains("Sønderborg") && t.contains("Erik Lauritzen") && !t.contains("Cork"));
    let info = tool("pdfinfo", &[one.to_str().unwrap()]);
    let pages: usize =
        info.lines().find(|l| l.starts_with("Pages:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((3..=6).contains(&pages), "{pages} pages for one city");
}

#[test]
fn exports_are_deterministic() {
    let env = Env::new();
    let a = export(&env, &["--booklet", "members-meeting-2016"], "a.pdf");
    let b = export(&env, &["--booklet", "members-meeting-2016"], "b.pdf");
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "same input and date, same bytes");
    // SOURCE_DATE_EPOCH works too.
    let out = env.path("epoch.pdf");
    let r = Command::new(env!("CARGO_BIN_EXE_portraits"))
        .args([
            "--db",
            env.db().to_str().unwrap(),
            "export-pdf",
            "--booklet",
            "learning-city-award-2019",
            "-o",
            out.to_str().unwrap(),
        ])
        .env("SOURCE_DATE_EPOCH", "1569888000")
        .output()
        .unwrap();
    assert!(r.status.success());
    let info = tool("pdfinfo", &[out.to_str().unwrap()]);
    assert!(info.contains("Oct  1 00:00:00 2019 UTC"), "{info}");
}

#[test]
fn a_jpeg_photo_is_embedded_byte_for_byte_and_a_png_losslessly() {
    let env = Env::new();
    let jpeg = repo().join("tests/fixtures/images/photo.jpg");
    let png = repo().join("tests/fixtures/images/photo.png");
    let added = env.run(&["media", "add", jpeg.to_str().unwrap(), png.to_str().unwrap(), "--json"]).ok().json();
    let sha_jpeg = added[0]["sha256"].as_str().unwrap().to_string();
    let sha_png = added[1]["sha256"].as_str().unwrap().to_string();
    assert_eq!(added[0]["mime"], "image/jpeg");
    // Medellín v2 with two photos.
    let mut v = env.run(&["show", "co-medellin", "--json"]).ok().json()["portrait"].clone();
    let next = v["version"].as_u64().unwrap() + 1;
    v["version"] = next.into();
    v["photos"] = serde_json::json!([
        {"sha256": sha_jpeg, "mime": "image/jpeg", "caption": "Knowledge ceremony", "credit": "City of Medellín", "licence": "CC-BY-SA 3.0 IGO"},
        {"sha256": sha_png, "mime": "image/png", "caption": "'We count on you at school' programme", "credit": null, "licence": null}
    ]);
    let file = env.path("medellin-v2.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    env.run(&["import", file.to_str().unwrap()]).ok();
    let pdf = export(&env, &["--template", "learning-city-award", "--city", "co-medellin"], "medellin.pdf");
    let raw = std::fs::read(&pdf).unwrap();
    let jpeg_bytes = std::fs::read(&jpeg).unwrap();
    assert!(raw.windows(jpeg_bytes.len()).any(|w| w == jpeg_bytes.as_slice()), "the JPEG file is in the PDF unchanged");
    let list = tool("pdfimages", &["-list", pdf.to_str().unwrap()]);
    assert!(list.lines().any(|l| l.contains(" jpeg ") && l.contains("480") && l.contains("320")), "{list}");
    assert!(list.lines().any(|l| l.contains(" image ") && l.contains("240") && l.contains("160")), "{list}");
    let text = pdftotext(&pdf);
    assert!(text.contains("Knowledge ceremony") && text.contains("City of Medellín"), "caption and credit");
    // Each photo is a Figure whose alternate text is its caption, with its box on the page.
    let lo = lopdf::Document::load(&pdf).unwrap();
    let mut figures: Vec<(String, Vec<f32>)> = lo
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"S").ok().and_then(|s| s.as_name().ok()) == Some(b"Figure".as_slice()))
        .map(|d| {
            let alt = lopdf::decode_text_string(d.get(b"Alt").unwrap()).unwrap();
            let a = d.get(b"A").unwrap().as_dict().unwrap();
            let bbox = a.get(b"BBox").unwrap().as_array().unwrap().iter().map(|v| v.as_float().unwrap()).collect();
            (alt, bbox)
        })
        .collect();
    figures.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        figures.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["'We count on you at school' programme", "Knowledge ceremony"]
    );
    for (_, b) in &figures {
        assert!(b[0] >= 0.0 && b[2] > b[0] && b[3] > b[1] && b[2] <= 419.6 && b[3] <= 595.3, "{b:?}");
    }

    // An opaque PNG is decoded when it is embedded and compressed at once: its pixels come
    // back out of the PDF exactly.
    let (w, h) = (64u32, 40u32);
    let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
    let mut opaque = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut opaque, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&pixels).unwrap();
    }
    let opaque_file = env.path("opaque.png");
    std::fs::write(&opaque_file, &opaque).unwrap();
    let sha = env.run(&["media", "add", opaque_file.to_str().unwrap(), "--json"]).ok().json()[0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    v["version"] = (next + 1).into();
    v["photos"] =
        serde_json::json!([{"sha256": sha, "mime": "image/png", "caption": "Opaque", "credit": null, "licence": null}]);
    std::fs::write(&file, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    env.run(&["import", file.to_str().unwrap()]).ok();
    let pdf = export(&env, &["--template", "learning-city-award", "--city", "co-medellin"], "medellin3.pdf");
    let prefix = env.path("extracted");
    tool("pdfimages", &["-png", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    let out = std::fs::read(env.path("extracted-000.png")).expect("pdfimages wrote the image");
    let mut reader = png::Decoder::new(std::io::Cursor::new(out)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height, info.color_type), (w, h, png::ColorType::Rgb));
    assert_eq!(&buf[..info.buffer_size()], pixels.as_slice(), "lossless");
}

#[test]
fn bad_input_gives_a_clear_error_exit_2_and_no_file() {
    let env = Env::new();
    let check = |args: &[&str], out: &str, expect: &[&str]| {
        let path = env.path(out);
        let mut a = vec!["export-pdf", "-o", path.to_str().unwrap()];
        a.extend_from_slice(args);
        let r = env.run(&a);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        for e in expect {
            assert!(r.stderr.contains(e), "{args:?}: stderr should name {e:?}: {}", r.stderr);
        }
        assert!(!path.exists(), "no output file after an error");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left: {leftovers:?}");
    };
    check(&["--template", "members-meeting", "--cities", "ie-cork,xx-atlantis"], "x1.pdf", &["xx-atlantis"]);
    check(&["--booklet", "no-such-booklet"], "x2.pdf", &["no-such-booklet"]);
    // A portrait without what a template prints elsewhere (Medellín, of the 2019 booklet, has
    // no tagline, challenges or plan; Villa María, of the 2016 booklet, no initiatives) prints what
    // it has with either template: a booklet of every member prints them all.
    for (template, city, has) in
        [("members-meeting", "co-medellin", "Medellín"), ("learning-city-award", "ar-villa-maria", "Villa María")]
    {
        let pdf = export(&env, &["--template", template, "--city", city], &format!("{city}.pdf"));
        let text = pdftotext(&pdf);
        assert!(text.contains(has), "{template} prints {city}");
        if template == "learning-city-award" {
            assert!(!text.lines().any(|l| l.trim() == "Initiatives"), "no heading over nothing");
        }
    }
    // An unwritable output path.
    let r = env.run(&["export-pdf", "--booklet", "members-meeting-2016", "-o", "/proc/nonexistent/dir/out.pdf"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("/proc/nonexistent/dir/out.pdf"), "{}", r.stderr);
    // A booklet pinning a version that does not exist is refused when it is created.
    let toml = env.path("bad.toml");
    std::fs::write(&toml, "id = \"bad\"\ntemplate = \"members-meeting\"\ntitle = \"T\"\nattribution = \"CC\"\n[[cities]]\ncity = \"ie-cork\"\nversion = 7\n").unwrap();
    let r = env.run(&["booklet", "create", toml.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ie-cork") && r.stderr.contains("version 7"), "{}", r.stderr);
    // Corrupt and oversized images are refused when added …
    let truncated = repo().join("tests/fixtures/images/truncated.jpg");
    let r = env.run(&["media", "add", truncated.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("truncated.jpg") && r.stderr.contains("corrupt JPEG"), "{}", r.stderr);
    let big = env.path("big.jpg");
    let mut bytes = std::fs::read(repo().join("tests/fixtures/images/photo.jpg")).unwrap();
    bytes.resize(21 * 1024 * 1024, 0);
    std::fs::write(&big, &bytes).unwrap();
    let r = env.run(&["media", "add", big.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("big.jpg") && r.stderr.contains("at most"), "{}", r.stderr);
    // … and a corrupt image already in the database stops the export, naming city and photo.
    let corrupt = std::fs::read(&truncated).unwrap();
    let sha = {
        let (mut store, _) = portraits::store::Store::open(&env.db()).unwrap();
        store.put_media(&corrupt, "image/jpeg").unwrap()
    };
    let mut v = env.run(&["show", "eg-aswan", "--json"]).ok().json()["portrait"].clone();
    v["version"] = (v["version"].as_u64().unwrap() + 1).into();
    v["photos"] =
        serde_json::json!([{"sha256": sha, "mime": "image/jpeg", "caption": "x", "credit": null, "licence": null}]);
    let file = env.path("aswan-v2.json");
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    env.run(&["import", file.to_str().unwrap()]).ok();
    check(
        &["--template", "learning-city-award", "--city", "eg-aswan"],
        "x4.pdf",
        &["eg-aswan", "photo 0", "corrupt JPEG"],
    );
}

fn bundled_defs() -> Vec<BookletDef> {
    portraits::bundled::booklets().unwrap()
}

/// The pinned portraits of a bundled booklet, from the bundled data, without photos.
fn bundled_inputs<'a>(def: &BookletDef, items: &'a [portraits::store::ImportItem]) -> Vec<templates::CityInput<'a>> {
    def.cities
        .iter()
        .map(|e| templates::CityInput {
            portrait: &items
                .iter()
                .find(|i| i.portrait.city.id == e.city && i.portrait.version == e.version)
                .unwrap()
                .portrait,
            photos: vec![],
        })
        .collect()
}

/// Lays out both seed booklets from the bundled data (no database) and checks every line on
/// every page against its column, and every character against the fonts.
#[test]
fn no_line_is_wider_than_its_column_and_every_character_has_a_glyph() {
    let items = portraits::bundled::portraits().unwrap();
    for p in items.iter().map(|i| &i.portrait) {
        for (field, text) in templates::text_fields(p) {
            for face in fonts::Face::ALL {
                let missing = fonts::missing_glyphs(face, &text);
                assert!(missing.is_empty(), "{} {field}: no glyph in {face:?} for {missing:?}", p.city.id);
            }
        }
    }
    let frame = templates::frame();
    for def in bundled_defs() {
        let cities = bundled_inputs(&def, &items);
        let doc = templates::build(&def, &cities, &mut |_, _| {}).unwrap();
        let mut lines = 0;
        for (pi, page) in doc.pages.iter().enumerate() {
            for item in &page.items {
                if let Item::Text { x, line, y, .. } = item {
                    lines += 1;
                    let right = x + line.width();
                    assert!(
                        right <= frame.width - frame.right + 0.05,
                        "{} page {}: line ends at {right:.2} > {:.2}: {:?}",
                        def.id,
                        pi + 1,
                        frame.width - frame.right,
                        line.text()
                    );
                    assert!(
                        *x >= frame.left - 0.05,
                        "{} page {}: line starts at {x} left of the column",
                        def.id,
                        pi + 1
                    );
                    assert!(*y > 20.0 && *y < frame.height, "{} page {}: baseline {y} off the page", def.id, pi + 1);
                }
            }
        }
        assert!(lines > 300, "{}: {lines} lines", def.id);
    }
}

/// Issue 12, point 0: the contents, the outline and the page labels agree with the number
/// printed at the foot of each city's first page, in both bundled booklets. The contents are
/// read with `pdftotext -layout`; the printed number is the last line of that page's text.
#[test]
fn the_contents_give_the_page_number_printed_on_each_citys_first_page() {
    let env = Env::new();
    for id in ["members-meeting-2016", "learning-city-award-2019"] {
        let pdf = export(&env, &["--booklet", id], &format!("{id}.pdf"));
        let raw = std::fs::read(&pdf).unwrap();
        let lo = lopdf::Document::load_mem(&raw).unwrap();
        let page_ids: Vec<lopdf::ObjectId> = lo.get_pages().into_values().collect();
        let text_of = |page: usize| {
            tool(
                "pdftotext",
                &["-layout", "-f", &page.to_string(), "-l", &page.to_string(), pdf.to_str().unwrap(), "-"],
            )
        };
        let printed_on = |page: usize| -> String {
            text_of(page).lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("").to_string()
        };
        // The page labels, as a viewer shows them: ranges of (first page, style, start).
        let labels = lo
            .catalog()
            .unwrap()
            .get(b"PageLabels")
            .unwrap()
            .as_dict()
            .unwrap()
            .get(b"Nums")
            .unwrap()
            .as_array()
            .unwrap()
            .clone();
        let label_of = |page0: usize| -> String {
            let mut found = String::new();
            for pair in labels.chunks(2) {
                let first = pair[0].as_i64().unwrap() as usize;
                if first > page0 {
                    break;
                }
                let d = pair[1].as_dict().unwrap();
                let start = d.get(b"St").ok().and_then(|s| s.as_i64().ok()).unwrap_or(1) as usize;
                let n = page0 - first + start;
                found = match d.get(b"S").ok().and_then(|s| s.as_name().ok()) {
                    Some(b"D") => n.to_string(),
                    Some(b"r") => format!("roman {n}"),
                    _ => format!("other {n}"),
                };
            }
            found
        };
        // Each outline entry of a city and the physical page it opens (1-based).
        let cities: Vec<(String, usize)> = outline_entries(&lo)
            .into_iter()
            .map(|(title, dest)| (title, page_ids.iter().position(|p| *p == dest).unwrap() + 1))
            .collect();
        // The contents page(s): entries with their numbers (an entry may wrap; its number ends
        // its last line).
        let contents_page = cities.iter().find(|(t, _)| t == "Contents").expect("a Contents entry in the outline").1;
        let first_city = cities.iter().position(|(t, _)| t == "Contents").unwrap() + 1;
        let mut listed: Vec<(String, String)> = Vec::new();
        let mut pending = String::new();
        for page in contents_page..cities[first_city].1 {
            let text = text_of(page);
            let mut lines: Vec<&str> =
                text.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "Contents").collect();
            lines.pop(); // the page's own number at its foot ("vi")
            for line in lines {
                let (words, last) = line.rsplit_once(char::is_whitespace).unwrap_or(("", line));
                pending = format!("{pending} {}", if last.chars().all(|c| c.is_ascii_digit()) { words } else { line })
                    .trim()
                    .to_string();
                if last.chars().all(|c| c.is_ascii_digit()) && !words.trim().is_empty() {
                    listed.push((pending.split_whitespace().collect::<Vec<_>>().join(" "), last.to_string()));
                    pending.clear();
                }
            }
        }
        let city_entries = &cities[first_city..];
        assert_eq!(listed.len(), city_entries.len(), "{id}: one contents line per city: {listed:?}");
        for ((title, page), (entry, number)) in city_entries.iter().zip(&listed) {
            assert_eq!(
                &entry.split_whitespace().collect::<Vec<_>>().join(" "),
                &title.split_whitespace().collect::<Vec<_>>().join(" "),
                "{id}: contents in outline order"
            );
            let printed = printed_on(*page);
            assert_eq!(
                number, &printed,
                "{id}: {title}: the contents say {number}, its first page (sheet {page}) is printed {printed}"
            );
            assert_eq!(label_of(page - 1), printed, "{id}: {title}: the page label agrees with the printed number");
        }
    }
}

/// Issue 12, point 4: print-shop output. `--print` adds a 3 mm bleed on every side with the
/// trim box at the finished A5 size and the bleed box around it, pads the pages to a multiple
/// of 4 and keeps the text as it was; `--marks` adds crop marks outside the bleed;
/// `--impose saddle-stitch` puts two pages side by side per sheet, in the order that folds.
#[test]
fn print_output_bleeds_pads_to_fours_marks_the_trim_and_imposes_saddle_stitch() {
    let env = Env::new();
    let pdf_pages = |pdf: &Path| -> usize {
        let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
        info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
    };
    let boxes = |pdf: &Path| -> std::collections::BTreeMap<String, Vec<f64>> {
        tool("pdfinfo", &["-box", pdf.to_str().unwrap()])
            .lines()
            .filter_map(|l| {
                let (name, rest) = l.split_once(':')?;
                name.ends_with("Box")
                    .then(|| (name.trim().to_string(), rest.split_whitespace().map(|x| x.parse().unwrap()).collect()))
            })
            .collect()
    };
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let page_text = |pdf: &Path, p: usize| {
        words(&tool("pdftotext", &["-f", &p.to_string(), "-l", &p.to_string(), pdf.to_str().unwrap(), "-"]))
    };
    let (mm, a5) = (72.0 / 25.4, (148.0 * 72.0 / 25.4, 210.0 * 72.0 / 25.4));
    let close = |a: &[f64], b: [f64; 4]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.02);
    for id in ["learning-city-award-2019", "members-meeting-2016"] {
        let plain = export(&env, &["--booklet", id], &format!("{id}.pdf"));
        let print = export(&env, &["--booklet", id, "--print", "--marks"], &format!("{id}-print.pdf"));
        let (n, np) = (pdf_pages(&plain), pdf_pages(&print));
        assert!(np.is_multiple_of(4) && np >= n && np < n + 4, "{id}: {n} pages padded to {np}");
        let off = 3.0 * mm + 10.0 * mm;
        let b = boxes(&print);
        assert!(close(&b["MediaBox"], [0.0, 0.0, a5.0 + 2.0 * off, a5.1 + 2.0 * off]), "{id}: {b:?}");
        assert!(close(&b["TrimBox"], [off, off, off + a5.0, off + a5.1]), "{id}: trim at the finished A5 size: {b:?}");
        assert!(
            close(&b["BleedBox"], [off - 3.0 * mm, off - 3.0 * mm, off + a5.0 + 3.0 * mm, off + a5.1 + 3.0 * mm]),
            "{id}: {b:?}"
        );
        // The same text, page for page; the padding pages are blank.
        for p in 1..=np {
            let want = if p <= n { page_text(&plain, p) } else { String::new() };
            assert_eq!(page_text(&print, p), want, "{id}: page {p}");
        }
        // Without marks: the bleed only.
        let bare = export(&env, &["--booklet", id, "--print"], &format!("{id}-bare.pdf"));
        let b = boxes(&bare);
        assert!(close(&b["TrimBox"], [3.0 * mm, 3.0 * mm, 3.0 * mm + a5.0, 3.0 * mm + a5.1]), "{id}: {b:?}");

        // Saddle stitch: np / 2 sheets of two A5 pages (an A4 landscape sheet) with the bleed,
        // each half holding the page the fold puts there.
        let imposed =
            export(&env, &["--booklet", id, "--print", "--impose", "saddle-stitch"], &format!("{id}-sheets.pdf"));
        assert_eq!(pdf_pages(&imposed), np / 2, "{id}");
        let b = boxes(&imposed);
        let bl = 3.0 * mm;
        assert!(close(&b["TrimBox"], [bl, bl, bl + 2.0 * a5.0, bl + a5.1]), "{id}: an A4 landscape sheet: {b:?}");
        let half = |sheet: usize, right: bool| {
            let x = if right { bl + a5.0 } else { 0.0 };
            words(&tool(
                "pdftotext",
                &[
                    "-f",
                    &sheet.to_string(),
                    "-l",
                    &sheet.to_string(),
                    "-x",
                    &format!("{}", x.round() as i64),
                    "-y",
                    "0",
                    "-W",
                    &format!("{}", (a5.0 + bl).round() as i64),
                    "-H",
                    &format!("{}", (a5.1 + 2.0 * bl).round() as i64),
                    imposed.to_str().unwrap(),
                    "-",
                ],
            ))
        };
        for (k, (l, r)) in portraits::booklet::print::saddle_stitch_order(np).into_iter().enumerate() {
            let sheet = k + 1;
            for (page, right) in [(l + 1, false), (r + 1, true)] {
                let want = if page <= n { page_text(&plain, page) } else { String::new() };
                assert_eq!(
                    half(sheet, right),
                    want,
                    "{id}: sheet {sheet} {}: page {page}",
                    if right { "right" } else { "left" }
                );
            }
        }
    }
}

/// The attribute `name="…"` of an XML element's opening tag, as a number.
fn attr(tag: &str, name: &str) -> f32 {
    let key = format!("{name}=\"");
    let start = tag.find(&key).unwrap() + key.len();
    tag[start..].split('"').next().unwrap().parse().unwrap()
}

/// Issue 12, point 1: the body text of the 2016 booklet, read back from the PDF with
/// `pdftotext -bbox-layout` (the method of `scripts/word_spacing.py`): the mean word gap of each
/// body line of five words or more, over its font size, stays near a normal space; under 1 % of
/// lines are looser than two spaces (greedy breaking left 2.3 %); no city name is hyphenated;
/// never three hyphenated lines in a row.
#[test]
fn body_text_is_set_evenly_without_hyphenated_city_names() {
    let env = Env::new();
    let pdf = export(&env, &["--booklet", "members-meeting-2016"], "spacing.pdf");
    let xml = tool("pdftotext", &["-bbox-layout", pdf.to_str().unwrap(), "-"]);
    // (size, mean gap in em) per line of five words or more.
    let mut lines: Vec<(f32, f32)> = Vec::new();
    for line in xml.split("<line ").skip(1) {
        let line = line.split("</line>").next().unwrap();
        let words: Vec<(f32, f32, f32)> = line
            .split("<word ")
            .skip(1)
            .map(|w| (attr(w, "xMin"), attr(w, "xMax"), attr(w, "yMax") - attr(w, "yMin")))
            .collect();
        if words.len() < 5 {
            continue;
        }
        // Noto Sans: a word box is ascent + descent = 1.362 em high.
        let size = (words[0].2 / 1.362 * 10.0).round() / 10.0;
        let gaps: Vec<f32> = words.windows(2).map(|p| p[1].0 - p[0].1).collect();
        lines.push((size, gaps.iter().sum::<f32>() / gaps.len() as f32 / size));
    }
    let body = 9.2;
    let mut gaps: Vec<f32> = lines.iter().filter(|l| (l.0 - body).abs() < 0.05).map(|l| l.1).collect();
    assert!(gaps.len() > 700, "{} body lines", gaps.len());
    gaps.sort_by(f32::total_cmp);
    let median = gaps[gaps.len() / 2];
    let loose = gaps.iter().filter(|g| **g > 2.0 * 0.26).count() as f32 / gaps.len() as f32;
    assert!(median < 0.30, "median gap {median:.3} em (greedy: 0.323)");
    assert!(loose < 0.01, "{:.1} % of lines looser than two spaces", loose * 100.0);

    // Hyphens: the words of every city name are never split; no three in a row.
    // (Plain pdftotext joins hyphenated words across lines; -layout keeps the lines.)
    let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let names: Vec<String> = portraits::bundled::portraits()
        .unwrap()
        .iter()
        .flat_map(|i| i.portrait.city.name.split(' ').map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| w.chars().count() >= 6)
        .collect();
    let rows: Vec<&str> = text.lines().collect();
    let mut run = 0;
    let mut hyphenated = 0;
    for (i, row) in rows.iter().enumerate() {
        let Some(last) = row.split_whitespace().last() else {
            run = 0;
            continue;
        };
        let next = rows.get(i + 1).and_then(|r| r.split_whitespace().next()).unwrap_or("");
        if last.ends_with('-') && last.len() > 2 && !next.is_empty() {
            hyphenated += 1;
            run += 1;
            assert!(run <= 2, "three hyphenated lines in a row ending {row:?}");
            let joined = format!("{}{}", last.trim_end_matches('-'), next).to_lowercase();
            for n in &names {
                assert!(!joined.contains(n.as_str()), "a city name is hyphenated: {row:?} / {next:?}");
            }
        } else {
            run = 0;
        }
    }
    assert!(hyphenated > 10, "the booklet hyphenates ({hyphenated} lines)");
}

/// Issue 12, point 2: every glyph of every line of both bundled booklets sits where rustybuzz
/// puts it when it shapes the whole segment (the writer's per-pair kerning is the shaper's
/// GPOS kerning), and the text drawn still comes back from `pdftotext` word for word.
#[test]
fn glyphs_sit_where_the_shaper_puts_them_and_the_text_extracts_unchanged() {
    let items = portraits::bundled::portraits().unwrap();
    let mut shaped_faces = std::collections::HashMap::new();
    let mut checked = 0usize;
    let mut kerned = 0usize;
    for def in bundled_defs() {
        let cities = bundled_inputs(&def, &items);
        let doc = templates::build(&def, &cities, &mut |_, _| {}).unwrap();
        for page in &doc.pages {
            for item in &page.items {
                let Item::Text { line, size, .. } = item else { continue };
                for seg in &line.segs {
                    let m = fonts::metrics(seg.face);
                    let (face, plan) = shaped_faces.entry(seg.face).or_insert_with(|| {
                        let f = rustybuzz::Face::from_slice(seg.face.bytes(), 0).unwrap();
                        let p = fonts::plan(&f);
                        (f, p)
                    });
                    let upem = face.units_per_em() as f32;
                    let out = rustybuzz::shape_with_plan(face, plan, fonts::buffer(&seg.text));
                    let chars: Vec<char> = seg.text.chars().collect();
                    assert_eq!(out.len(), chars.len(), "one glyph per character in {:?}", seg.text);
                    // Pen positions: ours (advance + pair kerning) against the shaper's.
                    let (mut ours, mut theirs) = (0.0f32, 0.0f32);
                    for (i, (info, pos)) in out.glyph_infos().iter().zip(out.glyph_positions()).enumerate() {
                        assert_eq!(info.glyph_id as u16, m.glyph(chars[i]), "glyph of {:?}", chars[i]);
                        let at = theirs + pos.x_offset as f32 / upem * size;
                        assert!(
                            (ours - at).abs() < 0.01,
                            "{:?} in {:?}: glyph {i} at {ours:.3} pt, shaper {at:.3} pt",
                            chars[i],
                            seg.text
                        );
                        ours += m.advance(chars[i]) * size;
                        if let Some(next) = chars.get(i + 1) {
                            let k = m.kern(chars[i], *next);
                            if k != 0.0 {
                                kerned += 1;
                            }
                            ours += k * size;
                        }
                        theirs += pos.x_advance as f32 / upem * size;
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 100_000 && kerned > 1_000, "{checked} glyphs, {kerned} kerned pairs");

    // Extraction: the words pdftotext reads are the words laid out.
    let env = Env::new();
    let pdf = export(&env, &["--booklet", "learning-city-award-2019"], "kerned.pdf");
    let def = bundled_defs().into_iter().find(|d| d.id == "learning-city-award-2019").unwrap();
    let cities = bundled_inputs(&def, &items);
    let doc = templates::build(&def, &cities, &mut |_, _| {}).unwrap();
    for (i, page) in doc.pages.iter().enumerate() {
        let n = (i + 1).to_string();
        let got = tool("pdftotext", &["-raw", "-f", &n, "-l", &n, pdf.to_str().unwrap(), "-"]);
        let mut got: Vec<&str> = got.split_whitespace().collect();
        let mut want: Vec<String> = page
            .items
            .iter()
            .filter_map(|it| if let Item::Text { line, .. } = it { Some(line.text()) } else { None })
            .flat_map(|t| t.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "page {n}: the words extracted are the words drawn");
    }
    // The PDF carries the kerning: words with kerned pairs are as wide in the file (word boxes
    // from pdftotext -bbox) as the kerned measure, not the plain sum of advances.
    let xml = tool("pdftotext", &["-bbox", pdf.to_str().unwrap(), "-"]);
    let regular = fonts::metrics(fonts::Face::Regular);
    let mut seen = 0;
    for w in xml.split("<word ").skip(1) {
        let text = w.split('>').nth(1).unwrap().split('<').next().unwrap();
        let height = attr(w, "yMax") - attr(w, "yMin");
        let size = (height / 1.362 * 10.0).round() / 10.0;
        if (size - 9.2).abs() > 0.05 || !text.chars().all(char::is_alphanumeric) {
            continue;
        }
        let plain: f32 = text.chars().map(|c| regular.advance(c)).sum::<f32>() * size;
        let kerned = regular.width(text, size);
        if plain - kerned < 0.2 {
            continue;
        }
        let drawn = attr(w, "xMax") - attr(w, "xMin");
        if (drawn - kerned).abs() < 0.05 {
            seen += 1;
        } else {
            // Bold words at the body size have other widths: only the regular face is matched.
            let bold = fonts::metrics(fonts::Face::Bold).width(text, size);
            assert!((drawn - bold).abs() < 0.05, "{text:?}: {drawn:.2} pt drawn, {kerned:.2} kerned, {plain:.2} plain");
        }
    }
    assert!(seen > 20, "{seen} kerned words measured in the PDF");
}

/// The letters and digits of a text, lowercased: what stays of it whatever the line breaks,
/// hyphens, list markers and Markdown marks around it.
fn letters(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Issue 12, point 3: both bundled booklets are tagged PDF 1.7 with a structure tree read by
/// `pdfinfo -struct-text`: each city is a Sect whose H1 is its heading, and every printed text
/// field of the portrait comes under it, in the template's order; page numbers are artifacts
/// (outside the tree); tables have TH cells with column scope; the catalogue has /MarkInfo
/// /Marked true, /Lang, DisplayDocTitle and XMP metadata with the title.
#[test]
fn the_pdf_is_tagged_with_every_citys_text_under_its_heading_in_reading_order() {
    let env = Env::new();
    let items = portraits::bundled::portraits().unwrap();
    for def in bundled_defs() {
        let pdf = export(&env, &["--booklet", &def.id], &format!("{}.pdf", def.id));
        let p = pdf.to_str().unwrap();
        let info = tool("pdfinfo", &[p]);
        assert!(info.contains("Tagged:          yes") && info.contains("PDF version:     1.7"), "{info}");
        let tree = tool("pdfinfo", &["-struct-text", p]);
        // (indent, element or text) per line.
        let lines: Vec<(usize, &str)> = tree.lines().map(|l| (l.len() - l.trim_start().len(), l.trim())).collect();
        assert_eq!(lines[0].1, "Document");
        // Sections: from each "Sect" to the next line at its indent or less.
        let mut sects: Vec<Vec<&str>> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].1 == "Sect" {
                let indent = lines[i].0;
                let mut j = i + 1;
                while j < lines.len() && lines[j].0 > indent {
                    j += 1;
                }
                sects.push(lines[i + 1..j].iter().map(|l| l.1).collect());
                i = j;
            } else {
                i += 1;
            }
        }
        assert_eq!(sects.len(), def.cities.len(), "{}: one Sect per city", def.id);
        for (n, (entry, sect)) in def.cities.iter().zip(&sects).enumerate() {
            let portrait = &items
                .iter()
                .find(|i| i.portrait.city.id == entry.city && i.portrait.version == entry.version)
                .unwrap()
                .portrait;
            let heading = match def.id.as_str() {
                "members-meeting-2016" => portrait.city.name.clone(),
                _ => format!("{}. {}, {}", n + 1, portrait.city.country.name, portrait.city.name),
            };
            assert!(sect[0].starts_with("H1"), "{}: the Sect opens with its H1: {:?}", heading, &sect[..2]);
            assert_eq!(sect[1].trim_matches('"').trim(), heading, "the city's H1");
            assert_eq!(sect.iter().filter(|l| l.starts_with("H1")).count(), 1, "{heading}: one H1");
            let text: String = sect.iter().filter(|l| l.starts_with('"')).map(|l| letters(l)).collect();
            // The printed fields, in the order the template sets them.
            let mut fields: Vec<String> = vec![portrait.lead.clone()];
            if def.id == "members-meeting-2016" {
                fields.insert(0, portrait.tagline.clone().unwrap_or_default());
                for (key, _) in portraits::model::SECTIONS {
                    fields.extend(portrait.section(key).map(str::to_string));
                }
                fields.extend(portrait.contacts.iter().map(|c| c.name.clone()));
            } else {
                fields.extend(portrait.highlights.iter().cloned());
                fields.extend(portrait.quote.as_ref().map(|q| q.text.clone()));
            }
            let mut at = 0;
            for f in fields.iter().map(|f| letters(f)).filter(|f| !f.is_empty()) {
                let found = text[at..].find(&f).unwrap_or_else(|| {
                    panic!("{}: {:?}… not under its H1 in reading order", heading, &f[..f.len().min(60)])
                });
                at += found + f.len();
            }
        }
        // Page numbers are artifacts: in the layout the footers are the only untagged text, and
        // the tree holds exactly the tagged lines (pdfinfo prints one quoted line per marked
        // sequence); in the file each numbered page marks its number /Artifact /Pagination.
        let cities = bundled_inputs(&def, &items);
        let doc = templates::build(&def, &cities, &mut |_, _| {}).unwrap();
        // The lines of one element on one page are one marked sequence: one quoted string.
        let mut sequences = 0;
        let mut texts: Vec<String> = Vec::new();
        let mut footers = 0;
        for page in &doc.pages {
            let mut previous: Option<usize> = None;
            for item in &page.items {
                let Item::Text { tag, y, line, .. } = item else {
                    previous = None;
                    continue;
                };
                match tag {
                    Some(t) => {
                        if previous != Some(*t) {
                            sequences += 1;
                            texts.push(String::new());
                        }
                        // Lines join with a space, except after a break inside a word.
                        let seq = texts.last_mut().unwrap();
                        if !seq.is_empty() && !seq.ends_with(['-', '/', '–']) {
                            seq.push(' ');
                        }
                        seq.push_str(line.text().trim_end());
                    }
                    // A page number, or a table header set again on a new page.
                    None if *y <= 30.0 && line.text().chars().all(|c| c.is_ascii_alphanumeric()) => footers += 1,
                    None => assert!(
                        ["Country", "City", "Facts", "Year"].contains(&line.text().as_str()),
                        "untagged {:?}",
                        line.text()
                    ),
                }
                previous = *tag;
            }
        }
        let quoted: Vec<&str> = lines.iter().filter(|l| l.1.starts_with('"')).map(|l| l.1.trim_matches('"')).collect();
        assert_eq!(quoted.len(), sequences, "every tagged sequence in the tree");
        // Word for word: the lines of a sequence do not run together ("and" + "collaborating").
        let mut tree: Vec<String> = quoted.iter().map(|q| q.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        let mut set: Vec<String> = texts.iter().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        tree.sort();
        set.sort();
        let differ: Vec<(&String, &String)> = tree.iter().zip(&set).filter(|(a, b)| a != b).take(3).collect();
        assert!(differ.is_empty(), "{}: the tree's text is the text set, word for word: {differ:?}", def.id);
        let lo = lopdf::Document::load(&pdf).unwrap();
        let paginated = lo
            .get_pages()
            .values()
            .filter(|id| {
                let content = lo.get_page_content(**id);
                let ops = lopdf::content::Content::decode(&content).unwrap().operations;
                ops.iter().any(|o| {
                    o.operator == "BDC"
                        && o.operands.first().and_then(|n| n.as_name().ok()) == Some(b"Artifact".as_slice())
                        && o.operands
                            .get(1)
                            .and_then(|d| d.as_dict().ok())
                            .and_then(|d| d.get(b"Type").ok())
                            .and_then(|t| t.as_name().ok())
                            == Some(b"Pagination".as_slice())
                })
            })
            .count();
        assert!(footers > 10 && paginated == footers, "{paginated} pages mark {footers} page numbers as artifacts");
        let structure = tool("pdfinfo", &["-struct", p]);
        if def.id == "members-meeting-2016" {
            assert!(structure.contains("TH:") && structure.contains("/Scope /Column"), "header cells with scope");
        }
        // The catalogue.
        let cat = lo.catalog().unwrap();
        let marked = cat.get(b"MarkInfo").unwrap().as_dict().unwrap().get(b"Marked").unwrap().as_bool().unwrap();
        assert!(marked);
        assert_eq!(cat.get(b"Lang").unwrap().as_str().unwrap(), b"en");
        let prefs = cat.get(b"ViewerPreferences").unwrap().as_dict().unwrap();
        assert!(prefs.get(b"DisplayDocTitle").unwrap().as_bool().unwrap());
        let meta = lo.get_object(cat.get(b"Metadata").unwrap().as_reference().unwrap()).unwrap().as_stream().unwrap();
        let xmp = String::from_utf8(meta.content.clone()).unwrap();
        let title = def.title.replace('&', "&amp;");
        assert!(xmp.contains("<dc:title>") && xmp.contains(title.trim_end_matches(':')), "{xmp}");
    }
}

/// Issue 12, point 3: an outside judge. `page` (PyPI `page-validation` 0.11.0, a PDF/UA-1
/// checker built on the Matterhorn Protocol) finds both bundled booklets and a booklet with
/// photos conformant on all of its machine-checkable rules, and finds the imposed print file
/// (no structure: sheets for a press) not conformant, so it is not a checker that passes
/// everything. The Python it runs is `PORTRAITS_PYTHON` (test.sh makes a venv with it).
#[test]
fn an_outside_pdf_ua_checker_passes_the_booklets() {
    let python = std::env::var("PORTRAITS_PYTHON").unwrap_or_else(|_| "python3".into());
    let env = Env::new();
    let mut files = Vec::new();
    for def in bundled_defs() {
        files.push(export(&env, &["--booklet", &def.id], &format!("ua-{}.pdf", def.id)));
    }
    let jpeg = repo().join("tests/fixtures/images/photo.jpg");
    let sha = env.run(&["media", "add", jpeg.to_str().unwrap(), "--json"]).ok().json()[0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let mut v = env.run(&["show", "co-medellin", "--json"]).ok().json()["portrait"].clone();
    v["version"] = (v["version"].as_u64().unwrap() + 1).into();
    v["photos"] = serde_json::json!([{"sha256": sha, "mime": "image/jpeg", "caption": "Knowledge ceremony", "credit": null, "licence": null}]);
    let file = env.path("medellin-photo.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    env.run(&["import", file.to_str().unwrap()]).ok();
    files.push(export(&env, &["--template", "learning-city-award", "--city", "co-medellin"], "ua-photo.pdf"));
    let imposed = export(
        &env,
        &["--booklet", "learning-city-award-2019", "--print", "--impose", "saddle-stitch"],
        "ua-imposed.pdf",
    );
    let script = r#"
import sys
try:
    import page
except ImportError:
    sys.exit("page-validation is not installed: run ./test.sh, or pip install page-validation==0.11.0")
for f in sys.argv[1:]:
    r = page.validate_pdf(f, profile=page.ValidationProfile.PDF_UA_1)
    print(f, r.is_compliant, r.rules.passed, ";".join(sorted({x.rule_id for x in r.failures})))
"#;
    let mut args = vec!["-c".to_string(), script.to_string()];
    args.extend(files.iter().chain([&imposed]).map(|f| f.to_str().unwrap().to_string()));
    let out = Command::new(&python).args(&args).output().unwrap_or_else(|e| panic!("{python}: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), files.len() + 1, "{report}");
    for line in &lines[..files.len()] {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[1], "True", "PDF/UA-1 failures: {line}");
        assert!(fields[2].parse::<usize>().unwrap() > 100, "the checker passed its rules: {line}");
    }
    assert!(
        lines[files.len()].contains(" False ") && lines[files.len()].contains("PDFUA1-TAGGED-DOCUMENT-001"),
        "the untagged imposed sheets fail: {}",
        lines[files.len()]
    );
}

/// Issue 13, point 2: `export-pdf --lang fr|es` sets the templates' fixed words and the numbers
/// in French or Spanish (the portraits' own text stays as written); no English fixed word is
/// left; an unknown language is refused, naming it, and writes nothing.
#[test]
fn a_booklet_in_french_or_spanish_has_its_fixed_words_and_numbers_in_that_language() {
    let env = Env::new();
    let nnbsp = '\u{202f}';
    let cases = [
        (
            "fr",
            vec![
                "Données",
                "Année",
                "Vision et motivation",
                "Défis et objectifs",
                "Plan et mise en œuvre",
                "Coordonnées",
                "Courriel\u{a0}:",
                "Table des matières",
                "Villes participantes",
                "Pays",
                "Mentions légales",
                "Brésil",
                "République de Corée",
            ],
            format!("289{nnbsp}739"),
        ),
        (
            "es",
            vec![
                "Datos",
                "Año",
                "Visión y motivación",
                "Retos y objetivos",
                "Plan y ejecución",
                "Datos de contacto",
                "Correo electrónico:",
                "Índice",
                "Ciudades participantes",
                "País",
                "Créditos",
                "Brasil",
                "República de Corea",
            ],
            "289.739".to_string(),
        ),
    ];
    let english = [
        "Facts",
        "Vision and motivation",
        "Challenges and goals",
        "Plan and implementation",
        "Contact details",
        "Contents",
        "Participating cities",
        "Imprint",
        "Mean years of schooling",
    ];
    // (The back cover's address is the definition's own text, "Email: …" included.)
    for (lang, words, cork_population) in cases {
        let pdf = export(&env, &["--booklet", "members-meeting-2016", "--lang", lang], &format!("2016-{lang}.pdf"));
        // (pdftotext writes no-break spaces as spaces; the laid-out lines keep them, below.)
        let text = pdftotext(&pdf).replace(['\u{a0}', nnbsp], " ");
        for w in &words {
            assert!(text.contains(&w.replace('\u{a0}', " ")), "{lang}: {w:?} in the booklet");
        }
        assert!(text.contains(&cork_population.replace(nnbsp, " ")), "{lang}: Cork's population {cork_population:?}");
        let items = portraits::bundled::portraits().unwrap();
        let def = bundled_defs().into_iter().find(|d| d.id == "members-meeting-2016").unwrap();
        let cities = bundled_inputs(&def, &items);
        let language = portraits::booklet::words::Lang::parse(lang).unwrap();
        let doc = templates::build_in(&def, &cities, language, &mut |_, _| {}).unwrap();
        let lines: Vec<String> = doc
            .pages
            .iter()
            .flat_map(|p| p.items.iter())
            .filter_map(|i| if let Item::Text { line, .. } = i { Some(line.text()) } else { None })
            .collect();
        assert!(lines.contains(&cork_population), "{lang}: the line reads {cork_population:?}");
        for w in english {
            assert!(!text.contains(w), "{lang}: English {w:?} left in the booklet");
        }
        // Country names under the cities' names (the portraits' own text may name them in English).
        for country in ["Brazil", "Republic of Korea"] {
            assert!(!text.lines().any(|l| l.trim() == country), "{lang}: the country line {country:?} is in English");
        }
        // The portraits' text is theirs: Cork's lead is still in English.
        assert!(text.contains("Cork"), "{lang}");
        let award =
            export(&env, &["--booklet", "learning-city-award-2019", "--lang", lang], &format!("2019-{lang}.pdf"));
        let text = pdftotext(&award).replace(['\u{a0}', nnbsp], " ");
        let (population, gdp) = match lang {
            "fr" => ("Population de la ville : 74 737".to_string(), "56 394 $ US".to_string()),
            _ => ("Población de la ciudad: 74.737".to_string(), "56.394 USD".to_string()),
        };
        assert!(
            text.contains(&population) && text.contains(&gdp),
            "{lang}: Sønderborg's facts: {population:?} {gdp:?}"
        );
        assert!(!text.contains("City population") && !text.contains("Annual GDP"), "{lang}");
    }
    let out = env.path("de.pdf");
    let r = env.run(&["export-pdf", "--booklet", "members-meeting-2016", "--lang", "de", "-o", out.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no booklet language \"de\""), "{}", r.stderr);
    assert!(!out.exists());
}

/// Issue 13, point 2: a booklet remembers its language. A definition with `lang = "fr"` exports
/// in French without `--lang`, and `--lang en` still gives English.
#[test]
fn a_booklet_defined_in_french_exports_in_french_unless_asked_otherwise() {
    let env = Env::new();
    let toml = "id = \"ports\"\ntemplate = \"learning-city-award\"\ntitle = \"Ports\"\nlang = \"fr\"\nattribution = \"CC\"\n[[cities]]\ncity = \"dk-sonderborg\"\nversion = 2\n";
    let file = env.path("ports.toml");
    std::fs::write(&file, toml).unwrap();
    env.run(&["booklet", "create", file.to_str().unwrap()]).ok();
    let shown = env.run(&["booklet", "show", "ports", "--json"]).ok().json();
    assert_eq!(shown["lang"], "fr", "{shown}");
    let french = pdftotext(&export(&env, &["--booklet", "ports"], "ports.pdf"));
    assert!(french.contains("Population de la ville") && french.contains("Table des matières"), "{french}");
    let english = pdftotext(&export(&env, &["--booklet", "ports", "--lang", "en"], "ports-en.pdf"));
    assert!(english.contains("City population") && !english.contains("Population de la ville"));
}

/// Issue 13, point 3: a portrait with a French translation prints in French in a French
/// booklet: the translated texts in French, the others in English under a line that says so,
/// each with its /Lang in the structure tree; a Spanish booklet prints the original with the
/// note; an English one is as before. Search finds the city by its French words.
#[test]
fn a_translated_portrait_prints_in_its_language_and_marks_the_original() {
    let env = Env::new();
    let mut v = env.run(&["show", "ie-cork", "--json"]).ok().json()["portrait"].clone();
    v["version"] = (v["version"].as_u64().unwrap() + 1).into();
    v["source"] = serde_json::json!({"booklet": null, "published": "2026-11-30"});
    v["translations"] = serde_json::json!({"fr": {
        "tagline": "Une ville apprenante au bord de la Lee",
        "lead": "Cork, deuxième ville d’Irlande, fait de l’apprentissage tout au long de la vie une affaire de quartier et de festival.",
        "vision": "La vision de Cork : des communautés apprenantes, dans chaque quartier, pour chaque âge."
    }});
    let file = env.path("in/cork-fr.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    env.run(&["import", file.to_str().unwrap()]).ok();

    // Found by its French words, diacritics folded, and by a prefix.
    for q in ["deuxieme quartier", "Deuxième", "apprenante festiv"] {
        let h = env.run(&["search", "--json", q]).ok().json();
        let ids: Vec<&str> = h.as_array().unwrap().iter().map(|x| x["city_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["ie-cork"], "{q}");
        if q.contains("festiv") {
            continue; // ("Festival" is in the English text too: either passage may be shown.)
        }
        // The passage shown is the French one, and says so.
        assert_eq!(h[0]["snippet_lang"], "fr", "{q}: {}", h[0]);
        let snippet: String = h[0]["snippet"].as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap()).collect();
        assert!(snippet.contains(" de la ") && !snippet.contains('\u{1e}') && !snippet.contains('\u{1f}'), "{snippet}");
    }
    // The language tags and separators are not words of the text: an English search's passage
    // is the original's, without a language.
    let h = env.run(&["search", "--json", "inequalities"]).ok().json();
    assert!(h[0].get("snippet_lang").is_none(), "{}", h[0]);

    let struct_langs = |pdf: &Path| -> (String, Vec<(String, String)>) {
        let lo = lopdf::Document::load(pdf).unwrap();
        let catalog = lo.catalog().unwrap();
        let doc_lang = lopdf::decode_text_string(catalog.get(b"Lang").unwrap()).unwrap();
        let mut marked = Vec::new();
        for obj in lo.objects.values() {
            let Ok(d) = obj.as_dict() else { continue };
            // Structure elements: /S and /P (their /Type is left out).
            if d.get(b"S").is_err() || d.get(b"P").is_err() {
                continue;
            }
            if let Ok(l) = d.get(b"Lang") {
                let role = String::from_utf8_lossy(d.get(b"S").unwrap().as_name().unwrap()).to_string();
                marked.push((role, lopdf::decode_text_string(l).unwrap()));
            }
        }
        (doc_lang, marked)
    };

    let fr = export(&env, &["--template", "members-meeting", "--city", "ie-cork", "--lang", "fr"], "cork-fr.pdf");
    let text = pdftotext(&fr);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for s in
        ["Une ville apprenante au bord de la Lee", "deuxième ville", "Portrait en partie traduit", "Défis et objectifs"]
    {
        assert!(flat.contains(s), "French booklet: {s:?} missing");
    }
    assert!(!flat.contains("Portrait non traduit"));
    let english_challenges = v["challenges"].as_str().unwrap().split_whitespace().take(4).collect::<Vec<_>>().join(" ");
    let english_challenges = english_challenges.trim_start_matches("- ");
    assert!(flat.contains(english_challenges), "the untranslated section in English: {english_challenges:?}");
    let (doc_lang, marked) = struct_langs(&fr);
    assert_eq!(doc_lang, "fr");
    assert!(marked.iter().all(|(_, l)| l == "en"), "only English is marked in a French document: {marked:?}");
    assert!(marked.iter().filter(|(r, _)| r == "P" || r == "LI" || r == "LBody").count() >= 3, "{marked:?}");
    // The French lead is not marked English: the untranslated texts are, and only they.
    assert!(marked.len() < 60, "not everything is marked English: {}", marked.len());

    let es = export(&env, &["--template", "members-meeting", "--city", "ie-cork", "--lang", "es"], "cork-es.pdf");
    let flat_es = pdftotext(&es).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat_es.contains("Retrato no traducido"), "Spanish booklet says the portrait is the original");
    assert!(!flat_es.contains("deuxième"), "no French in a Spanish booklet");
    let (doc_lang, marked_es) = struct_langs(&es);
    assert_eq!(doc_lang, "es");
    assert!(
        marked_es.len() > marked.len(),
        "everything of the portrait is English in Spanish: {} vs {}",
        marked_es.len(),
        marked.len()
    );

    let en = export(&env, &["--template", "members-meeting", "--city", "ie-cork"], "cork-en.pdf");
    let flat_en = pdftotext(&en).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!flat_en.contains("deuxième") && !flat_en.contains("translated"), "the English booklet is the original");
    let (doc_lang, marked_en) = struct_langs(&en);
    assert_eq!((doc_lang.as_str(), marked_en.len()), ("en", 0));
}

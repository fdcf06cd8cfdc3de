//! The bundled catalogue through the real CLI on a real database file: counts, filters, the
//! portrait view, spot facts checked against the seed booklets, booklet definitions, the
//! published JSON Schema, and the canonical form of the data files.

mod common;
use common::{repo, Env};

#[test]
fn seeded_catalogue_has_44_cities_91_versions_and_two_booklets() {
    let env = Env::new();
    let cities = env.run(&["list", "--json"]).ok().json();
    assert_eq!(cities.as_array().unwrap().len(), 44);
    let versions: u64 = cities.as_array().unwrap().iter().map(|c| c["latest_version"].as_u64().unwrap()).sum();
    // 47 from the two booklets (three cities are in both), and one more per city: its member
    // record (location, mayor, focal point) as a version of its own (data/CURATION.md).
    assert_eq!(versions, 91, "47 booklet versions and 44 member-record versions");
    let booklets = env.run(&["booklet", "list", "--json"]).ok().json();
    let by_id = |id: &str| booklets.as_array().unwrap().iter().find(|b| b["id"] == id).cloned().unwrap();
    assert_eq!(by_id("members-meeting-2016")["cities"].as_array().unwrap().len(), 37);
    let award = by_id("learning-city-award-2019");
    let entries = award["cities"].as_array().unwrap();
    assert_eq!(entries.len(), 10);
    assert_eq!(entries[0]["city"], "co-medellin");
    assert_eq!(entries[1], serde_json::json!({"city": "dk-sonderborg", "version": 2}));
    assert_eq!(by_id("members-meeting-2016")["foreword"]["signatory"], "Arne Carlsen");
    assert!(by_id("members-meeting-2016")["attribution"].as_str().unwrap().contains("CC-BY-SA 3.0 IGO"));
    // The text form says the same.
    let text = env.run(&["list"]).ok().stdout;
    assert!(text.contains("44 cities"), "{text}");
    assert!(text.contains("Sønderborg") && text.contains("Eskişehir") && text.contains("Ybycuí"));
}

#[test]
fn filters_award_region_country_feature_and_sort() {
    let env = Env::new();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["list", "--json"];
        a.extend_from_slice(args);
        env.run(&a).ok().json().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
    };
    let mut awardees = ids(&["--award", "2015"]);
    awardees.sort();
    assert_eq!(
        awardees,
        [
            "br-sorocaba",
            "cn-beijing",
            "et-bahir-dar",
            "fi-espoo",
            "gb-swansea",
            "ie-cork",
            "jo-amman",
            "mx-mexico-city",
            "py-ybycui"
        ]
    );
    assert_eq!(ids(&["--award", "2019"]).len(), 10);
    let europe = ids(&["--region", "Europe and North America"]);
    assert_eq!(europe.len(), 14, "{europe:?}");
    assert!(europe.contains(&"dk-sonderborg".to_string()) && !europe.contains(&"cn-beijing".to_string()));
    assert_eq!(ids(&["--region", "arab states"]), ["jo-amman", "eg-aswan"]);
    assert_eq!(ids(&["--country", "KR"]).len(), 8);
    assert_eq!(ids(&["--country", "Republic of Korea"]).len(), 8);
    assert_eq!(ids(&["--region", "Africa", "--award", "2015"]), ["et-bahir-dar"]);
    assert!(ids(&["--feature", "3"]).contains(&"dk-sonderborg".to_string()));
    let by_pop = ids(&["--sort", "population"]);
    assert_eq!(by_pop[0], "cn-beijing", "the most populous city first");
    let by_name = ids(&[]);
    assert_eq!(by_name.first().unwrap(), "jo-amman");
    assert_eq!(by_name.last().unwrap(), "py-ybycui");
    // Bad filters are bad input: exit 2 with a message naming the option.
    let bad = env.run(&["list", "--region", "Oceania"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--region") && bad.stderr.contains("Oceania"), "{}", bad.stderr);
    assert_eq!(bad.stderr.lines().count(), 1, "one line: {}", bad.stderr);
}

#[test]
fn show_latest_and_pinned_versions() {
    let env = Env::new();
    let text = env.run(&["show", "dk-sonderborg"]).ok().stdout;
    assert!(text.starts_with("Sønderborg, Denmark (dk-sonderborg)"), "{text}");
    assert!(text.contains("Version 3 of 3"), "{text}");
    assert!(text.contains("74,737 (n/a)"), "{text}");
    assert!(text.contains("Vision and motivation") && text.contains("Plan and implementation"));
    assert!(text.contains("CO₂"));
    assert!(text.contains("Erik Lauritzen"));
    let v1 = env.run(&["show", "dk-sonderborg", "--version", "1", "--json"]).ok().json();
    assert_eq!(v1["portrait"]["version"], 1);
    assert_eq!(v1["latest_version"], 3);
    assert_eq!(v1["portrait"]["source"]["booklet"], "members-meeting-2016");
    assert_eq!(v1["portrait"]["facts"]["population"], serde_json::json!({"value": 74737, "year": 2016}));
    assert_eq!(v1["portrait"]["tagline"], "Sustainable development and the 4-17-42 way of thinking");
    assert_eq!(v1["versions"].as_array().unwrap().len(), 3);
    // Unknown city / version: exit 2, one line naming it.
    let r = env.run(&["show", "xx-nowhere"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("xx-nowhere"));
    let r = env.run(&["show", "ie-cork", "--version", "9"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no version 9"), "{}", r.stderr);
}

#[test]
fn data_quality_warnings_flag_the_odd_published_values() {
    let env = Env::new();
    let codes = |id: &str| -> Vec<String> {
        env.run(&["show", id, "--json"]).ok().json()["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(codes("gr-serres").contains(&"density".into()), "Serres' area 252,973 km²");
    assert!(codes("br-sorocaba").contains(&"gdp_ratio".into()), "Sorocaba's GDP 29× Brazil's");
    assert!(codes("kr-goyang").contains(&"printed_form".into()), "Goyang's 268,05");
    assert!(codes("hn-cantarranas").contains(&"country_gdp_mismatch".into()), "Honduras at 49,147 vs 2,495.6");
    assert!(codes("dk-sonderborg").contains(&"missing_year".into()));
    assert!(!codes("ie-cork").contains(&"density".into()));
}

/// Spot facts per city version, checked against the printed seed booklets: population and
/// area with their years as printed, the first contact's email, the quote's speaker.
/// (city, version, population, its year, area, its year, first email, quote speaker)
type Spot = (&'static str, u32, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str);

const SPOT: &[Spot] = &[
    ("am-dilijan", 1, "26,798", "2016", "635", "2016", "v.bardadimov@idea.am", "Mr Vasiliy Bardadymov"),
    ("ar-villa-maria", 1, "80,006", "2010", "36", "2012", "gabrielrios5@hotmail.com", "Mr Martín Rodrigo Gill"),
    ("br-contagem", 1, "648,766", "2015", "195", "2015", "terezao5@gmail.com", "Mr Carlos Magno de Moura Soares"),
    ("br-sorocaba", 1, "637,187", "2014", "1,304", "2011", "tjpedrosa@sorocaba.sp.gov.br", ""),
    ("cn-beijing", 1, "21,705,000", "2015", "16,410", "2015", "yuandayong@bkaes.cn", ""),
    ("cn-chengdu", 1, "14,428,000", "2014", "12,100", "2015", "64264922@qq.com", ""),
    ("cn-chengdu", 2, "16,045,000", "n/a", "14,335", "n/a", "64264922@qq.com", "Qiang Luo"),
    ("cn-hangzhou", 1, "8,890,000", "2014", "16,596", "2014", "jing_hangzhou@126.com", "Mr Hongming Zhang"),
    ("cn-shenzhen", 1, "11,378,712", "2015", "1,991", "2015", "13602683567@163.com", ""),
    ("co-medellin", 1, "2,4486,723", "2016", "380.2", "2016", "", "Federico Gutiérrez"),
    ("dk-sonderborg", 1, "74,737", "2016", "495", "2016", "calu@Sønderborg.dk", "Mr Erik Lauritzen"),
    ("dk-sonderborg", 2, "74,737", "n/a", "495", "n/a", "calu@Sønderborg.dk", "Erik Lauritzen"),
    ("eg-aswan", 1, "1,425,000", "2012", "34,608", "n/a", "", "Ahmed Ebrahem"),
    ("et-bahir-dar", 1, "288,200", "n/a", "286.6", "n/a", "adiym@bdu.edu.net", "Mr Lake Ayalew"),
    ("fi-espoo", 1, "269,500", "2015", "528", "2014", "kristiina.erkkila@espoo.fi", "Mr Jukka Mäkelä"),
    ("gb-bristol", 1, "449,300", "2015", "110", "n/a", "learning.city@bristol.gov.uk", "Mr Marvin Rees"),
    ("gb-swansea", 1, "687,000", "2013", "4,810", "2013", "chris.sivers@swansea.gov.uk", "Mr Rob Stewart"),
    ("gr-heraklion", 1, "173,993", "n/a", "684.3", "n/a", "", "Vasileios Lamprinos"),
    ("gr-larissa", 1, "162,000", "2011", "335", "2015", "ktheod31@gmail.com", "Mr Apostolos Kalogianni"),
    ("gr-serres", 1, "60,642", "2014", "252,973", "2011", "kik@advicemd.gr", ""),
    ("hn-cantarranas", 1, "260,753", "2014", "380", "2015", "marco_fundacan@yahoo.com", "Mr Francisco Gaitán Agüero"),
    ("hn-marcovia", 1, "52,120", "2016", "429", "n/a", "nahun_alcalde2006@yahoo.com", "Mr Jose Nahun Calix"),
    ("ie-cork", 1, "289,739", "2015", "833", "2015", "learningfestival@corkcity.ie", "Mr Cllr Des Cahill"),
    ("ie-limerick", 1, "195,175", "2016", "2,756", "2011", "ylane@paulpartnership.ie", "Mr Kieran O'Hanlon"),
    ("il-modiin-maccabim-reut", 1, "89,733", "2015", "50", "2015", "orna_m@modiin.muni.il", ""),
    ("ir-behbahan", 1, "107,000", "2011", "3,195", "2016", "parastomomeni@yahoo.com", ""),
    ("ir-kashan", 1, "500,000", "2015", "n/a", "n/a", "ccia.kashan@gmail.com", ""),
    ("jo-amman", 1, "2,584,600", "n/a", "1,680", "n/a", "samerkhraino@hotmail.com", ""),
    ("kr-bucheon", 1, "869,165", "2015", "43", "2015", "eve6811@korea.kr", "Mr Man-Soo Kim"),
    ("kr-dangjin", 1, "165,374", "2016", "704", "2016", "bonysun@korea.kr", "Mr Hong-Jang Kim"),
    ("kr-goyang", 1, "1,042,285", "2015", "268,05", "2015", "bs1965@korea.kr", "Mr Sung Choi"),
    ("kr-gwanak-gu", 1, "502,428", "2016", "29.57", "2016", "yyoume@ga.go.kr", "Yoo jong-pil"),
    ("kr-gwangmyeong", 1, "350,547", "2016", "38.5", "2015", "jwljwlo@korea.kr", "Mr Ki-Dae Yang"),
    ("kr-osan", 1, "207,122", "2016", "42.73", "n/a", "hea1121@korea.kr", "Mr Kwak Sang-Wook"),
    ("kr-seodaemun-gu", 1, "310,795", "n/a", "17.6", "n/a", "", "Seok-Jin Mun"),
    ("kr-suwon", 1, "1,223,205", "2016", "121", "2016", "kthedu@korea.kr", "Mr Yeom Tae-young"),
    ("lt-kaunas", 1, "304,097", "2014", "157", "2011", "visvaldas.varzinskas@ktu.lt", ""),
    (
        "mx-mexico-city",
        1,
        "8,851,080",
        "2010",
        "1,495",
        "n/a",
        "msolorzanos@educacion.df.gob.mx",
        "Mr Miguel Ángel Mancera",
    ),
    ("mx-santiago", 1, "42,407", "n/a", "763.8", "n/a", "", "Javier Caballero Gaona"),
    ("my-petaling-jaya", 1, "732,667", "2017", "97.2", "2018", "", "Sayuthi Bakar"),
    ("ng-ibadan", 1, "3,160,000", "n/a", "6,800", "n/a", "", "Oluseyi Abiodun Makinde"),
    ("ng-kano-state", 1, "2,163,225", "2016", "137", "2016", "danlamigrb@gmail.com", "Mr Abdullahi Umar Ganduje"),
    ("py-ybycui", 1, "23,094", "2014", "828", "2014", "muni_ybycui@hotmail.com", "Ms María del Carmen Benítez"),
    ("sx-philipsburg", 1, "59,873", "2016", "34", "2016", "ruth.linger@sintmaartengov.org", ""),
    ("tr-eskisehir", 1, "826,716", "2015", "13,925", "2015", "halekargin@gmail.com", "Mr Yilmaz Buyukersen"),
    ("ua-melitopol", 1, "155,900", "2015", "50", "2015", "pryima_s@ukr.net", ""),
    ("ua-melitopol", 2, "150,900", "n/a", "49", "n/a", "pryima_s@ukr.net", "Serhii Minko"),
];

#[test]
fn spot_facts_match_the_seed_booklets() {
    let env = Env::new();
    assert_eq!(SPOT.len(), 47);
    for &(id, version, pop, pop_year, area, area_year, email, speaker) in SPOT {
        let v = env.run(&["show", id, "--version", &version.to_string(), "--json"]).ok().json();
        let p = &v["portrait"];
        let fact = |key: &str| -> (String, String) {
            let f = &p["facts"][key];
            let value = match (&f["printed"], &f["value"]) {
                (serde_json::Value::String(s), _) => s.clone(),
                (_, serde_json::Value::String(s)) => s.clone(),
                (_, n) => portraits::model::format_number(n.as_f64().unwrap()),
            };
            let year = match &f["year"] {
                serde_json::Value::String(s) => s.clone(),
                n => n.to_string(),
            };
            (value, year)
        };
        assert_eq!(fact("population"), (pop.to_string(), pop_year.to_string()), "{id} v{version} population");
        assert_eq!(fact("area_km2"), (area.to_string(), area_year.to_string()), "{id} v{version} area");
        let got_email = p["contacts"].get(0).and_then(|c| c["email"].as_str()).unwrap_or("");
        assert_eq!(got_email, email, "{id} v{version} email");
        let got_speaker = p["quote"].get("speaker").and_then(|s| s.as_str()).unwrap_or("");
        if !speaker.is_empty() {
            assert_eq!(got_speaker, speaker, "{id} v{version} speaker");
        }
        for section in ["vision", "challenges", "plan"] {
            // Eskişehir's vision was lost in extraction (data/CURATION.md).
            if p["source"]["booklet"] == "members-meeting-2016" && !(id == "tr-eskisehir" && section == "vision") {
                assert!(p[section].as_str().is_some_and(|s| !s.is_empty()), "{id}: {section} missing");
            }
        }
    }
}

#[test]
fn every_2016_portrait_has_every_section_the_booklet_prints() {
    let env = Env::new();
    let book = env.run(&["booklet", "show", "members-meeting-2016", "--json"]).ok().json();
    for entry in book["cities"].as_array().unwrap() {
        let id = entry["city"].as_str().unwrap();
        let v = env.run(&["show", id, "--version", "1", "--json"]).ok().json();
        let p = &v["portrait"];
        assert!(p["tagline"].as_str().is_some_and(|t| !t.is_empty()), "{id} tagline");
        assert!(p["lead"].as_str().is_some_and(|t| t.len() > 40), "{id} lead");
        assert!(!p["contacts"].as_array().unwrap().is_empty(), "{id} contacts");
        for key in ["population", "area_km2", "gdp_city_usd", "gdp_country_usd", "schooling_years"] {
            assert!(p["facts"][key]["year"].is_string() || p["facts"][key]["year"].is_u64(), "{id} {key}");
        }
    }
}

#[test]
fn the_published_json_schemas_are_the_generated_ones() {
    let env = Env::new();
    for (args, file) in [(vec!["schema"], "portrait.schema.json"), (vec!["schema", "--feed"], "feed.schema.json")] {
        let generated = env.run(&args).ok().stdout;
        let path = repo().join("data/schema").join(file);
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let published =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("data/schema/{file} (UPDATE_SCHEMA=1 writes it)"));
        assert_eq!(published, generated, "data/schema/{file} is stale: run UPDATE_SCHEMA=1 cargo test");
    }
}

#[test]
fn data_files_are_canonical_exports_of_the_seeded_database() {
    let env = Env::new();
    let out = env.path("export");
    env.run(&["export-json", out.to_str().unwrap()]).ok();
    let mut count = 0;
    for (name, bundled) in portraits::bundled::portrait_files() {
        let exported = std::fs::read_to_string(out.join(name.trim_start_matches("portraits/"))).unwrap();
        assert_eq!(&exported, bundled, "data/{name} is not in canonical form (diff it with `portraits export-json`)");
        count += 1;
    }
    assert_eq!(count, 91);
}

#[test]
fn default_database_lives_in_the_os_data_dir_and_is_seeded_once() {
    let env = Env::new();
    let xdg = env.path("xdg");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_portraits"))
            .args(["list", "--json"])
            .current_dir(env.dir.path())
            .env_remove("PORTRAITS_DB")
            .env("HOME", env.dir.path())
            .env("XDG_DATA_HOME", &xdg)
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let db = xdg.join("learning-city-portraits/portraits.sqlite3");
    assert!(db.exists(), "database created at {}", db.display());
    let again = run();
    let n = serde_json::from_slice::<serde_json::Value>(&again.stdout).unwrap().as_array().unwrap().len();
    assert_eq!(n, 44, "seeded once, not twice");
}

//! A booklet never overwrites another (issue 10, point 2): new booklets get an id from their
//! title and a taken id is refused, even when two saves race for it; the app's own booklets can
//! be duplicated but not changed or deleted; the CLI's `booklet create` refuses an existing id
//! unless `--replace`. Against real database files, through the use cases and the CLI.

mod common;

use common::Env;
use portraits::app::{self, ErrorCode};
use portraits::model::booklet::BookletDef;

fn a_booklet(title: &str) -> BookletDef {
    BookletDef::from_toml(&format!(
        "id = \"x\"\ntemplate = \"members-meeting\"\ntitle = \"{title}\"\nattribution = \"CC\"\n[[cities]]\ncity = \"ie-cork\"\nversion = 1\n"
    ))
    .unwrap()
}

#[test]
fn a_new_booklet_never_replaces_another() {
    let env = Env::new();
    let mut store = app::open(Some(&env.db()), true).unwrap();
    let award = app::booklet(&store, "learning-city-award-2019").unwrap();

    // The reported case: a new booklet with the award booklet's id is refused, at $.id, and the
    // award booklet is untouched.
    let mut clash = a_booklet("Mine");
    clash.id = "learning-city-award-2019".into();
    let e = app::save_booklet(&mut store, &clash, true).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict, "{e:?}");
    assert_eq!(e.fields[0].path, "$.id");
    assert!(e.message.contains("exists already"), "{}", e.message);
    assert_eq!(app::booklet(&store, "learning-city-award-2019").unwrap(), award);

    // No id: one from the title, with -2 when taken.
    let mut first = a_booklet("Ports & Rivers: Cork, Sønderborg");
    first.id = String::new();
    assert_eq!(app::save_booklet(&mut store, &first, true).unwrap().id, "ports-rivers-cork-sonderborg");
    assert_eq!(app::save_booklet(&mut store, &first, true).unwrap().id, "ports-rivers-cork-sonderborg-2");
    let mut nameless = a_booklet("¿¡ !?");
    nameless.id = String::new();
    assert_eq!(app::save_booklet(&mut store, &nameless, true).unwrap().id, "booklet");
    for long in ["Learning ".repeat(20), "Learning Ci ".repeat(20)] {
        let id = BookletDef::id_from_title(&long);
        assert!(id.len() <= 60 && id.len() >= 55 && !id.ends_with('-'), "{id}");
    }

    // The app's own booklets: not changed, not deleted, but duplicated.
    for e in [
        app::save_booklet(&mut store, &award, false).unwrap_err(),
        app::delete_booklet(&mut store, "learning-city-award-2019").unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
        assert!(e.message.contains("duplicate it"), "{}", e.message);
    }
    let copy = app::duplicate_booklet(&mut store, "learning-city-award-2019").unwrap();
    assert_eq!((copy.def.id.as_str(), copy.bundled), ("learning-city-award-2019-copy", false));
    assert_eq!(copy.def.title, format!("{} (copy)", award.title));
    assert_eq!(copy.def.cities, award.cities);
    let again = app::duplicate_booklet(&mut store, &copy.def.id).unwrap();
    assert_eq!(again.def.id, "learning-city-award-2019-copy-2");
    assert_eq!(again.def.title, copy.def.title, "no \"(copy) (copy)\"");
    // A copy is the user's: changed and deleted.
    let mut changed = copy.def.clone();
    changed.cities.truncate(2);
    assert_eq!(app::save_booklet(&mut store, &changed, false).unwrap().cities.len(), 2);
    app::delete_booklet(&mut store, &copy.def.id).unwrap();
    assert_eq!(app::delete_booklet(&mut store, &copy.def.id).unwrap_err().code, ErrorCode::NotFound);
    // Saving an existing booklet that someone deleted meanwhile is not a silent re-create.
    assert_eq!(app::save_booklet(&mut store, &changed, false).unwrap_err().code, ErrorCode::NotFound);

    let list = app::booklet_list(&store).unwrap();
    let bundled: Vec<&str> = list.iter().filter(|b| b.bundled).map(|b| b.def.id.as_str()).collect();
    assert_eq!(bundled, ["learning-city-award-2019", "members-meeting-2016"]);
}

#[test]
fn two_saves_racing_for_one_id_store_one_booklet() {
    let env = Env::new();
    drop(app::open(Some(&env.db()), true).unwrap());
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (db, barrier) = (env.db(), barrier.clone());
            std::thread::spawn(move || {
                let mut store = app::open(Some(&db), false).unwrap();
                let mut def = a_booklet(&format!("Racer {i}"));
                def.id = "the-same-id".into();
                barrier.wait();
                app::save_booklet(&mut store, &def, true).map(|d| d.title)
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let won: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.code, ErrorCode::Conflict, "{e:?}");
    }
    let store = app::open(Some(&env.db()), false).unwrap();
    assert_eq!(&app::booklet(&store, "the-same-id").unwrap().title, won[0], "the winner's booklet is stored");
}

#[test]
fn the_cli_refuses_an_existing_id_unless_replace() {
    let env = Env::new();
    let toml = env.path("b.toml");
    let write = |title: &str, id: &str| {
        std::fs::write(&toml, a_booklet_toml(title, id)).unwrap();
    };
    write("First", "mine");
    env.run(&["booklet", "create", toml.to_str().unwrap()]).ok();
    write("Second", "mine");
    let r = env.run(&["booklet", "create", toml.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("b.toml") && r.stderr.contains("--replace"), "{}", r.stderr);
    assert_eq!(env.run(&["booklet", "show", "mine", "--json"]).ok().json()["title"], "First");
    env.run(&["booklet", "create", toml.to_str().unwrap(), "--replace"]).ok();
    assert_eq!(env.run(&["booklet", "show", "mine", "--json"]).ok().json()["title"], "Second");
    write("Award", "members-meeting-2016");
    let r = env.run(&["booklet", "create", toml.to_str().unwrap(), "--replace"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("comes with the app"), "{}", r.stderr);
    let copy = env.run(&["booklet", "duplicate", "members-meeting-2016", "--json"]).ok().json();
    assert_eq!(copy["def"]["id"], "members-meeting-2016-copy");
    env.run(&["booklet", "delete", "members-meeting-2016-copy"]).ok();
    assert_eq!(env.run(&["booklet", "delete", "members-meeting-2016"]).code, 2);
}

fn a_booklet_toml(title: &str, id: &str) -> String {
    format!(
        "id = \"{id}\"\ntemplate = \"members-meeting\"\ntitle = \"{title}\"\nattribution = \"CC\"\n[[cities]]\ncity = \"ie-cork\"\nversion = 1\n"
    )
}

//! Full-text search: FTS5 with `unicode61 remove_diacritics 2`, prefix queries (`learn*`),
//! bm25 ranking with the name weighted highest, and snippets with the matches marked.
//!
//! The tokenizer folds letters that Unicode decomposes (é, ş, í); for the few it does not (ø, ı,
//! ł, æ) each document also carries, in the `folded` column, its words folded to ASCII, and
//! query terms are folded the same way. So "sonderborg" finds Sønderborg and "eskisehir" finds
//! Eskişehir.

use rusqlite::{params_from_iter, Connection, Transaction};
use serde::{Deserialize, Serialize};

use super::{filter_sql, CityFilter, Result, StoreError};
use crate::model::{self, Portrait};

/// The most matches ranked by bm25 for one query. Ranking costs about a microsecond a match
/// (FTS5 reads each match's positions and length), so a word found in every one of 10,000
/// portraits ("learning") would take ~8 ms to rank exactly. Beyond this many matches the hits are
/// the best-ranked of the first RANK_CANDIDATES matches in catalogue order: such a word carries
/// almost no information (its bm25 IDF is near zero), and the catalogue has ~50 real cities.
pub const RANK_CANDIDATES: u32 = 2000;

/// A search request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SearchQuery {
    /// Words; a trailing `*` makes a word a prefix; `"…"` makes a phrase. All words must match.
    pub text: String,
    #[serde(default)]
    pub filter: CityFilter,
    /// Most hits returned (default 20, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A piece of a snippet: matched text or context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// One search result, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SearchHit {
    pub city_id: String,
    pub name: String,
    pub country: String,
    pub region: String,
    /// bm25 score: lower is better (FTS5 convention).
    pub score: f64,
    /// The passage that matched, split into context and hits.
    pub snippet: Vec<Segment>,
    /// The language of the passage when it is a translation's (`fr`); absent for the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub snippet_lang: Option<String>,
}

impl SearchHit {
    /// The snippet as one line with the hits in brackets: "… in [Sønderborg] …".
    pub fn snippet_marked(&self, open: &str, close: &str) -> String {
        self.snippet.iter().map(|s| if s.hit { format!("{open}{}{close}", s.text) } else { s.text.clone() }).collect()
    }
}

/// A term of a parsed query: the words (folded, lower case) of a word or phrase, and whether
/// the last is a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub words: Vec<String>,
    pub prefix: bool,
}

fn words_of(s: &str) -> Vec<String> {
    model::fold(s).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_lowercase()).collect()
}

/// Parses what a user typed into terms. Never fails on odd input: operators and punctuation
/// are not syntax here, only words, `*` at a word's end and double quotes. The last word is a
/// prefix (people search as they type: "eski" finds Eskişehir), unless it closes a quoted
/// phrase.
pub(crate) fn parse_terms(input: &str) -> Vec<Term> {
    let mut terms = parse_words(input);
    let quoted_last = input.trim_end().ends_with('"');
    if let Some(last) = terms.last_mut() {
        if !quoted_last {
            last.prefix = true;
        }
    }
    terms
}

fn parse_words(input: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, tail) = match after.find('"') {
                Some(i) => (&after[..i], &after[i + 1..]),
                None => (after, ""),
            };
            let prefix = tail.starts_with('*') || phrase.trim_end().ends_with('*');
            let words = words_of(phrase);
            if !words.is_empty() {
                terms.push(Term { words, prefix });
            }
            rest = tail.trim_start_matches('*');
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
        let token = &rest[..end];
        rest = rest[end..].trim_start_matches(char::is_whitespace);
        let prefix = token.ends_with('*');
        let words = words_of(token);
        if !words.is_empty() {
            terms.push(Term { words, prefix });
        }
    }
    terms
}

/// The FTS5 MATCH expression for terms: each term a quoted phrase, all required.
pub(crate) fn fts_expression(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| {
            let phrase = format!("\"{}\"", t.words.join(" "));
            if t.prefix {
                format!("{phrase}*")
            } else {
                phrase
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The FTS5 expression for "the city's name matches one of the terms" (the name, or its ASCII
/// fold in `folded`): such hits rank first.
fn name_expression(terms: &[Term]) -> String {
    let any: Vec<String> = terms.iter().map(|t| fts_expression(std::slice::from_ref(t))).collect();
    format!("{{name folded}} : ({})", any.join(" OR "))
}

/// Words of a document whose ASCII fold differs from themselves (ø → o …), folded.
fn folded_extras(texts: &[&str]) -> String {
    let mut seen = std::collections::BTreeSet::new();
    for t in texts {
        for w in t.split(|c: char| !c.is_alphanumeric()) {
            if w.is_empty() {
                continue;
            }
            let f = model::fold(w);
            if f != w {
                seen.insert(f.to_lowercase());
            }
        }
    }
    seen.into_iter().collect::<Vec<_>>().join(" ")
}

/// Before each translation's text in the indexed body (ASCII RS), and between its language tag
/// and its text (ASCII US): control characters, which FTS5's tokenizer reads as separators.
const TRANSLATION_SEPARATOR: char = '\u{1e}';
const TAG_SEPARATOR: char = '\u{1f}';

/// Replaces a city's row in the index with its latest version.
pub(crate) fn index_city(tx: &Transaction<'_>, p: &Portrait) -> Result<()> {
    // The index row's rowid is the city's rowid: deleting by it is a lookup, not a scan.
    let rowid: i64 = tx.query_row("SELECT rowid FROM cities WHERE id = ?1", [&p.city.id], |r| r.get(0))?;
    tx.execute("DELETE FROM search WHERE rowid = ?1", [rowid])?;
    // Translations are searched with the rest of the body, so a city is found by its French or
    // Spanish text too: each after a record separator, with its language tag before a unit
    // separator (both separators to the tokenizer), so that a snippet knows its language.
    let mut body = p.plain_text_body();
    for (tag, t) in &p.translations {
        body.push(TRANSLATION_SEPARATOR);
        body.push_str(tag);
        body.push(TAG_SEPARATOR);
        body.push_str(&t.plain_text());
    }
    let tagline = p.tagline.clone().unwrap_or_default();
    let folded = folded_extras(&[&p.city.name, &p.city.country.name, &tagline, &p.lead, &body]);
    tx.execute(
        "INSERT INTO search(rowid, city_id, name, country, tagline, lead, body, folded) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![rowid, p.city.id, p.city.name, p.city.country.name, tagline, p.lead, body, folded],
    )?;
    Ok(())
}

pub(crate) fn run(conn: &Connection, q: &SearchQuery) -> Result<Vec<SearchHit>> {
    let terms = parse_terms(&q.text);
    if terms.is_empty() {
        return Err(StoreError::InvalidQuery(format!("the search {:?} has no words to look for", q.text)));
    }
    if terms.len() > 32 {
        return Err(StoreError::InvalidQuery("a search may have at most 32 words".into()));
    }
    let limit = q.limit.unwrap_or(20).clamp(1, 500);
    let (cond, mut args) = filter_sql(&q.filter)?;
    let n = args.len();
    args.push(rusqlite::types::Value::Text(fts_expression(&terms)));
    args.push(rusqlite::types::Value::Integer(limit.into()));
    args.push(rusqlite::types::Value::Text(name_expression(&terms)));
    // Candidates: the matches in catalogue order, at most RANK_CANDIDATES of them, reading only
    // rowids and ranks; the best `limit` of those by bm25; then the text of just those hits for
    // the snippets. Up to RANK_CANDIDATES matches the ranking is exact.
    let candidates = if cond == "1" {
        format!("SELECT rowid, rank FROM search WHERE search MATCH ?{m} LIMIT {RANK_CANDIDATES}", m = n + 1)
    } else {
        format!(
            "SELECT s.rowid AS rowid, s.rank AS rank FROM search s JOIN cities c ON c.num = s.rowid
             WHERE search MATCH ?{m} AND c.deleted = 0 AND {cond} LIMIT {RANK_CANDIDATES}",
            m = n + 1
        )
    };
    // Cities whose name matches come first, then the rest, each by bm25.
    let top = format!(
        "SELECT rowid, rank, rowid IN (SELECT rowid FROM search WHERE search MATCH ?{x}) AS on_name
         FROM ({candidates}) ORDER BY on_name DESC, rank LIMIT ?{l}",
        l = n + 2,
        x = n + 3
    );
    let sql = format!(
        "WITH top AS ({top})
         SELECT s.city_id, c.name, c.country_name, c.region, top.rank, s.tagline, s.lead, s.body
         FROM top JOIN search s ON s.rowid = top.rowid JOIN cities c ON c.num = top.rowid
         WHERE c.deleted = 0
         ORDER BY top.on_name DESC, top.rank"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, f64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let mut hits = Vec::new();
    for row in rows {
        let (city_id, name, country, region, score, tagline, lead, body) = row?;
        // The body's original text, then each translation's, with its language.
        let mut parts = body.split(TRANSLATION_SEPARATOR);
        let original = parts.next().unwrap_or("");
        let translated: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once(TAG_SEPARATOR)).collect();
        let mut texts = vec![lead.as_str(), tagline.as_str(), original, name.as_str()];
        texts.extend(translated.iter().map(|(_, text)| *text));
        let (snippet, from) = best_snippet(&terms, &texts, 24);
        let snippet_lang = from.checked_sub(4).and_then(|i| translated.get(i)).map(|(tag, _)| tag.to_string());
        hits.push(SearchHit { city_id, name, country, region, score, snippet, snippet_lang });
    }
    Ok(hits)
}

fn word_matches(word_folded: &str, terms: &[Term]) -> bool {
    terms.iter().any(|t| {
        t.words.iter().enumerate().any(|(i, w)| {
            if t.prefix && i + 1 == t.words.len() {
                word_folded.starts_with(w.as_str())
            } else {
                word_folded == w
            }
        })
    })
}

/// Picks, across the texts (earlier ones preferred on ties), the window of `width` words with
/// the most matching words, and returns it as segments, with the index of the text it is from.
pub(crate) fn best_snippet(terms: &[Term], texts: &[&str], width: usize) -> (Vec<Segment>, usize) {
    let mut best: Option<(usize, usize, usize, usize)> = None; // (score, text idx, start, end) in word units
    let mut tokenised: Vec<Vec<(usize, usize, bool)>> = Vec::new(); // per text: (byte start, byte end, hit)
    for (ti, text) in texts.iter().enumerate() {
        let mut words = Vec::new();
        let mut start = None;
        for (i, ch) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            if ch.is_alphanumeric() {
                if start.is_none() {
                    start = Some(i);
                }
            } else if let Some(s) = start.take() {
                let w = model::fold(&text[s..i]).to_lowercase();
                words.push((s, i, word_matches(&w, terms)));
            }
        }
        let hits: Vec<usize> = words.iter().enumerate().filter(|(_, w)| w.2).map(|(i, _)| i).collect();
        for &h in &hits {
            let start = h.saturating_sub(width / 3);
            let end = (start + width).min(words.len());
            // Two points a hit, and two more for the first text (the lead) so that a reader sees
            // the portrait's own introduction unless another passage matches clearly better.
            let score = 2 * hits.iter().filter(|&&x| x >= start && x < end).count() + if ti == 0 { 2 } else { 0 };
            if best.is_none_or(|b| score > b.0) {
                best = Some((score, ti, start, end));
            }
        }
        tokenised.push(words);
    }
    let Some((_, ti, start, end)) = best else {
        // Nothing matched visibly (e.g. a match in the folded column only): show the lead.
        let lead = texts.first().copied().unwrap_or("");
        let short: String = lead.split_whitespace().take(width).collect::<Vec<_>>().join(" ");
        return (vec![Segment { text: short, hit: false }], 0);
    };
    let text = texts[ti];
    let words = &tokenised[ti];
    let mut segs: Vec<Segment> = Vec::new();
    let push = |segs: &mut Vec<Segment>, s: &str, hit: bool| {
        if s.is_empty() {
            return;
        }
        if let Some(last) = segs.last_mut() {
            if last.hit == hit {
                last.text.push_str(s);
                return;
            }
        }
        segs.push(Segment { text: s.to_string(), hit });
    };
    if start > 0 {
        push(&mut segs, "…", false);
    }
    let from = words[start].0;
    let to = if end < words.len() { words[end - 1].1 } else { text.len() };
    let mut pos = from;
    for &(s, e, hit) in &words[start..end] {
        push(&mut segs, &text[pos..s].replace('\n', " "), false);
        push(&mut segs, &text[s..e], hit);
        pos = e;
    }
    push(&mut segs, text[pos..to].replace('\n', " ").trim_end(), false);
    if end < words.len() {
        push(&mut segs, " …", false);
    }
    (segs, ti)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_into_safe_fts_expressions() {
        assert_eq!(fts_expression(&parse_terms("lifelong learn*")), "\"lifelong\" \"learn\"*");
        assert_eq!(fts_expression(&parse_terms("Sønderborg")), "\"sonderborg\"*", "the last word is a prefix");
        assert_eq!(fts_expression(&parse_terms("\"learning city\" NEAR(")), "\"learning city\" \"near\"*");
        assert_eq!(fts_expression(&parse_terms("\"learning city\"")), "\"learning city\"", "a closed phrase is not");
        assert_eq!(fts_expression(&parse_terms("co-operation")), "\"co operation\"*");
        assert_eq!(name_expression(&parse_terms("cork fest")), "{name folded} : (\"cork\" OR \"fest\"*)");
        assert!(parse_terms("*** \"\" ()").is_empty());
    }

    /// Up to RANK_CANDIDATES matches, the hits are exactly FTS5's bm25 order over every match.
    #[test]
    fn ranking_is_exact_up_to_the_candidate_cap() {
        let (mut store, _) = crate::store::Store::open_in_memory().unwrap();
        store.import(&crate::synth::portraits(600)).unwrap();
        for (text, region) in [
            ("learning", None),
            ("lifelong learn*", None),
            ("\"learning city\"", None),
            ("learning", Some(model::Region::EuropeNorthAmerica)),
        ] {
            let filter = CityFilter { region, ..CityFilter::default() };
            let q = SearchQuery { text: text.into(), filter, limit: Some(50) };
            let ours: Vec<f64> = store.search(&q).unwrap().iter().map(|h| h.score).collect();
            let matches: i64 = store
                .conn
                .query_row(
                    "SELECT count(*) FROM search WHERE search MATCH ?1",
                    [fts_expression(&parse_terms(text))],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(matches > 50 && matches <= i64::from(RANK_CANDIDATES), "{text}: {matches} matches");
            let exact: Vec<f64> = store
                .conn
                .prepare(
                    "SELECT s.rank FROM search s JOIN cities c ON c.num = s.rowid
                     WHERE search MATCH ?1 AND (?2 IS NULL OR c.region = ?2) ORDER BY s.rank LIMIT 50",
                )
                .unwrap()
                .query_map(rusqlite::params![fts_expression(&parse_terms(text)), region.map(|r| r.as_str())], |r| {
                    r.get(0)
                })
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(ours, exact, "{text} {region:?}");
        }
    }

    #[test]
    fn snippet_marks_folded_matches() {
        let terms = parse_terms("sonderborg");
        let (segs, _) = best_snippet(&terms, &["The city of Sønderborg is prioritising citizenship."], 24);
        let hits: Vec<&str> = segs.iter().filter(|s| s.hit).map(|s| s.text.as_str()).collect();
        assert_eq!(hits, ["Sønderborg"]);
    }
}

//! Partner cities (issue 11): how much two portraits share, with the reasons.
//!
//! Owns: the similarity of portraits — common themes in the three narrative sections (TF-IDF
//! over diacritic-folded words, cosine), shared Key Feature areas and thematic clusters,
//! complementary interests, comparable facts — and the reasons shown for it, each true of both
//! portraits. Must not: do IO (the catalogue is passed in) or know about the store.
//!
//! Weights (documented and tested): each part is in 0..=1 and
//! `score = Σ wᵢ × partᵢ / Σ wᵢ` over the parts both cities give:
//!
//! | part | weight | what it is | counted |
//! |---|---|---|---|
//! | `text` | 0.60 | the cosine of the two TF-IDF vectors of the texts (lead, sections, initiatives) | always |
//! | `features` | 0.25 | the Jaccard index of the Key Feature areas | always |
//! | `facts` | 0.15 | the mean of `min/max` over population and city GDP per capita (those both give) | always |
//! | `clusters` | 0.15 | the Jaccard index of the thematic clusters | when both name clusters |
//! | `interests` | 0.15 | complementary interests: the best theme where my interest meets their expertise, `(interest−1)/4 × (expertise−1)/4` | when both rated interests |
//!
//! With no clusters and no interests on either side (the bundled cities) this is
//! `0.60 × text + 0.25 × features + 0.15 × facts`.
//!
//! The model is built once per catalogue ([`Model::new`], linear in its words) and then answers
//! any city's partners in one pass over the other cities (a sparse dot product each); reasons
//! are written for the few cities returned only.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::validate::Param;
use super::{fold, markdown, Cluster, Portrait, Region, SECTIONS};

pub const WEIGHT_TEXT: f64 = 0.60;
pub const WEIGHT_FEATURES: f64 = 0.25;
pub const WEIGHT_FACTS: f64 = 0.15;
pub const WEIGHT_CLUSTERS: f64 = 0.15;
pub const WEIGHT_INTERESTS: f64 = 0.15;
/// A rating from which an interest or an expertise is named as a reason (4 or 5 of 5).
pub const HIGH_RATING: u8 = 4;

/// Words that say nothing about a city's themes (English function words and the words every
/// portrait uses).
const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "its",
    "from",
    "into",
    "which",
    "their",
    "them",
    "they",
    "will",
    "been",
    "being",
    "also",
    "such",
    "more",
    "most",
    "all",
    "can",
    "not",
    "but",
    "our",
    "out",
    "who",
    "what",
    "when",
    "where",
    "how",
    "than",
    "these",
    "those",
    "there",
    "other",
    "each",
    "through",
    "between",
    "well",
    "both",
    "over",
    "under",
    "about",
    "many",
    "new",
    "one",
    "two",
    "three",
    "first",
    "city",
    "cities",
    "learning",
    "lifelong",
    "learn",
    "citizens",
    "citizen",
    "local",
    "order",
    "level",
    "levels",
    "make",
    "made",
    "based",
    "within",
    "including",
    "include",
    "includes",
    "per",
    "via",
    "would",
    "should",
    "could",
    "may",
    "must",
    "able",
    "order",
    "people",
    "community",
    "communities",
    "unesco",
    "gnlc",
    "network",
    "global",
    "develop",
    "development",
    "programme",
    "programmes",
    "program",
    "programs",
    "project",
    "projects",
    "plan",
    "plans",
    "vision",
    "motivation",
    "challenges",
    "challenge",
    "goals",
    "goal",
    "implementation",
    "key",
    "area",
    "areas",
    "use",
    "used",
    "using",
    "year",
    "years",
    "ensure",
    "ensuring",
    "provide",
    "providing",
    "provided",
    "contribute",
    "contributing",
    "propose",
    "proposed",
    "giving",
    "give",
    "effort",
    "efforts",
    "aim",
    "aims",
    "strengthen",
    "promote",
    "promoting",
    "support",
    "supporting",
    "improve",
    "improving",
    "create",
    "creating",
    "become",
    "becoming",
    "help",
    "way",
    "ways",
    "part",
    "number",
    "important",
    "different",
    "various",
    "further",
    "therefore",
    "however",
    "order",
    "particular",
    "particularly",
    "especially",
    "well",
    "need",
    "needs",
];

/// A word found in more than this share of the portraits is too common to be a theme.
const MAX_SHARE: f64 = 0.3;

/// A reason two cities go together: what kind, and in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Reason {
    /// `themes` (shared words of the sections), `passage` (a sentence of each that shows them),
    /// `key_features` (shared areas), `clusters` (shared thematic clusters), `interests` (my
    /// interest meets their expertise), `facts` (comparable figures).
    pub kind: String,
    /// In English, for the CLI; the window words `kind` with `params`: `words` (themes);
    /// `city`, `passage`, `other_city`, `other_passage` (passage); `features`, numbers joined
    /// by commas (key_features); `clusters`, ids joined by commas (clusters); `city`,
    /// `cluster`, `interest`, `other_city`, `expertise` (interests); `fact` (`population` or
    /// `gdp`), `value`, `other_value` (facts).
    pub detail: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, Param>>")]
    pub params: BTreeMap<String, Param>,
}

impl Reason {
    fn new(kind: &str, detail: String) -> Self {
        Reason { kind: kind.into(), detail, params: BTreeMap::new() }
    }

    #[must_use]
    fn with(mut self, name: &str, value: impl Into<Param>) -> Self {
        self.params.insert(name.to_string(), value.into());
        self
    }
}

/// A suggested partner: its city, its score (0..=1) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Partner {
    pub city: String,
    pub name: String,
    pub country: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// A portrait's words for matching: its sections' plain text, folded.
fn words(text: &str) -> Vec<String> {
    fold(text)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()) && !STOP.contains(w))
        .map(stem)
        .collect()
}

/// A very light stem: plural "s" off ("migrants" → "migrant"), not "ss" or "us".
fn stem(w: &str) -> String {
    if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// The text a portrait's themes are read from: the lead, the three sections and the
/// initiatives (the award booklet's portraits have only a lead and initiatives).
fn sections_text(p: &Portrait) -> String {
    std::iter::once(p.lead.clone())
        .chain(SECTIONS.iter().filter_map(|(k, _)| p.section(k)).map(markdown::plain_text))
        .chain(p.highlights.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the model keeps of one city.
struct Entry {
    id: String,
    name: String,
    country: String,
    region: Region,
    /// TF-IDF weights, unit length, by term id ascending.
    vector: Vec<(u32, f32)>,
    /// The sections' plain text, for the passages.
    text: String,
    /// Key Feature areas as bits 1..=12.
    features: u16,
    /// Clusters as bits, in `Cluster::ALL` order.
    clusters: u8,
    /// (interest, expertise) per cluster, 0 where not rated.
    interests: [(u8, u8); 7],
    population: Option<f64>,
    gdp: Option<f64>,
}

fn cluster_bit(c: Cluster) -> u8 {
    1 << Cluster::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// The TF-IDF model of a catalogue (the latest portrait of every city), built once and asked
/// many times.
pub struct Model {
    entries: Vec<Entry>,
    terms: Vec<String>,
    by_id: HashMap<String, usize>,
}

/// The parts of one pair's score, each in 0..=1 (`None`: not given by both).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parts {
    pub text: f64,
    pub features: f64,
    pub facts: f64,
    pub clusters: Option<f64>,
    pub interests: Option<f64>,
}

impl Parts {
    /// The weighted mean of the parts both cities give (the module's table).
    pub fn score(&self) -> f64 {
        let mut sum = WEIGHT_TEXT * self.text + WEIGHT_FEATURES * self.features + WEIGHT_FACTS * self.facts;
        let mut weights = WEIGHT_TEXT + WEIGHT_FEATURES + WEIGHT_FACTS;
        for (w, part) in [(WEIGHT_CLUSTERS, self.clusters), (WEIGHT_INTERESTS, self.interests)] {
            if let Some(x) = part {
                sum += w * x;
                weights += w;
            }
        }
        sum / weights
    }
}

impl Model {
    /// Builds the model over the latest portrait of every city.
    pub fn new(portraits: &[Portrait]) -> Model {
        let texts: Vec<String> = portraits.iter().map(sections_text).collect();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let counts: Vec<HashMap<u32, u32>> = texts
            .iter()
            .map(|t| {
                let mut m = HashMap::new();
                for w in words(t) {
                    let next = terms.len() as u32;
                    let id = *ids.entry(w.clone()).or_insert_with(|| {
                        terms.push(w);
                        next
                    });
                    *m.entry(id).or_insert(0) += 1;
                }
                m
            })
            .collect();
        let mut df = vec![0u32; terms.len()];
        for c in &counts {
            for &t in c.keys() {
                df[t as usize] += 1;
            }
        }
        let n = portraits.len().max(1) as f64;
        let entries: Vec<Entry> = portraits
            .iter()
            .zip(counts)
            .zip(texts)
            .map(|((p, c), text)| {
                let mut v: Vec<(u32, f32)> = c
                    .iter()
                    .filter(|(t, _)| df[**t as usize] >= 2 && f64::from(df[**t as usize]) <= MAX_SHARE * n)
                    .map(|(&t, &tf)| (t, ((1.0 + f64::from(tf).ln()) * (n / f64::from(df[t as usize])).ln()) as f32))
                    .collect();
                v.sort_unstable_by_key(|(t, _)| *t);
                let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|(_, x)| *x /= norm);
                }
                let mut interests = [(0u8, 0u8); 7];
                for it in &p.interests {
                    let i = Cluster::ALL.iter().position(|x| *x == it.theme).unwrap_or(0);
                    interests[i] = (it.interest, it.expertise);
                }
                Entry {
                    id: p.city.id.clone(),
                    name: p.city.name.clone(),
                    country: p.city.country.name.clone(),
                    region: p.city.region,
                    vector: v,
                    text,
                    features: p.key_feature_areas.iter().filter(|a| (1..=12).contains(*a)).fold(0, |m, a| m | 1 << a),
                    clusters: p.clusters.iter().fold(0, |m, c| m | cluster_bit(*c)),
                    interests,
                    population: p.facts.population.value.as_f64().filter(|x| *x > 0.0),
                    gdp: p.facts.gdp_city_usd.value.as_f64().filter(|x| *x > 0.0),
                }
            })
            .collect();
        let by_id = entries.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
        Model { entries, terms, by_id }
    }

    /// How many cities the model holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cities most like `city_id`, best first, at most `limit`, with their reasons; only
    /// `region`'s cities when it is given. None when the city is not in the model.
    pub fn partners(&self, city_id: &str, limit: usize, region: Option<Region>) -> Option<Vec<Partner>> {
        let me = *self.by_id.get(city_id)?;
        let mut scored: Vec<(f64, usize)> = (0..self.entries.len())
            .filter(|&i| i != me && region.is_none_or(|r| self.entries[i].region == r))
            .map(|i| ((self.parts(me, i).score() * 1000.0).round() / 1000.0, i))
            .collect();
        let order = |a: &(f64, usize), b: &(f64, usize)| {
            b.0.total_cmp(&a.0).then_with(|| self.entries[a.1].id.cmp(&self.entries[b.1].id))
        };
        if scored.len() > limit && limit > 0 {
            scored.select_nth_unstable_by(limit - 1, order);
            scored.truncate(limit);
        }
        scored.sort_by(order);
        scored.truncate(limit);
        Some(scored.into_iter().map(|(score, i)| self.partner(me, i, score)).collect())
    }

    /// The parts of the score of `b` as a partner of `a`.
    fn parts(&self, a: usize, b: usize) -> Parts {
        let (ea, eb) = (&self.entries[a], &self.entries[b]);
        let text = f64::from(dot(&ea.vector, &eb.vector)).clamp(0.0, 1.0);
        let union = (ea.features | eb.features).count_ones();
        let features =
            if union == 0 { 0.0 } else { f64::from((ea.features & eb.features).count_ones()) / f64::from(union) };
        let ratios: Vec<f64> = [(ea.population, eb.population), (ea.gdp, eb.gdp)]
            .into_iter()
            .filter_map(|(x, y)| Some(x?.min(y?) / x?.max(y?)))
            .collect();
        let facts = if ratios.is_empty() { 0.0 } else { ratios.iter().sum::<f64>() / ratios.len() as f64 };
        let clusters = (ea.clusters != 0 && eb.clusters != 0).then(|| {
            f64::from((ea.clusters & eb.clusters).count_ones()) / f64::from((ea.clusters | eb.clusters).count_ones())
        });
        let rated = |e: &Entry| e.interests.iter().any(|(i, x)| *i > 0 && *x > 0);
        let interests = (rated(ea) && rated(eb)).then(|| {
            ea.interests
                .iter()
                .zip(&eb.interests)
                .filter(|((i, _), (_, x))| *i > 0 && *x > 0)
                .map(|((i, _), (_, x))| f64::from(i - 1) / 4.0 * f64::from(x - 1) / 4.0)
                .fold(0.0, f64::max)
        });
        Parts { text, features, facts, clusters, interests }
    }

    /// The score's parts of a pair, by city ids (for tests and the evaluation).
    pub fn parts_of(&self, a: &str, b: &str) -> Option<Parts> {
        Some(self.parts(*self.by_id.get(a)?, *self.by_id.get(b)?))
    }

    /// `b` as a partner of `a`, with its reasons.
    fn partner(&self, a: usize, b: usize, score: f64) -> Partner {
        let (ea, eb) = (&self.entries[a], &self.entries[b]);
        let mut shared: Vec<(u32, f32)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < ea.vector.len() && j < eb.vector.len() {
            let ((ta, xa), (tb, xb)) = (ea.vector[i], eb.vector[j]);
            match ta.cmp(&tb) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    if xa * xb > 0.0 {
                        shared.push((ta, xa * xb));
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        shared
            .sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| self.terms[x.0 as usize].cmp(&self.terms[y.0 as usize])));
        let mut reasons = Vec::new();
        if !shared.is_empty() {
            let top: Vec<&str> = shared.iter().take(5).map(|(t, _)| self.terms[*t as usize].as_str()).collect();
            reasons.push(
                Reason::new("themes", format!("both write about: {}", top.join(", "))).with("words", top.join(", ")),
            );
            if let (Some(sa), Some(sb)) = (sentence_with(&ea.text, top[0]), sentence_with(&eb.text, top[0])) {
                reasons.push(
                    Reason::new("passage", format!("{}: “{sa}” — {}: “{sb}”", ea.name, eb.name))
                        .with("city", ea.name.as_str())
                        .with("passage", sa.as_str())
                        .with("other_city", eb.name.as_str())
                        .with("other_passage", sb.as_str()),
                );
            }
        }
        let both = ea.features & eb.features;
        if both != 0 {
            let names: Vec<String> = (1..=12u8)
                .filter(|n| both & (1 << n) != 0)
                .map(|n| format!("{n}. {}", super::KEY_FEATURES.get(usize::from(n) - 1).copied().unwrap_or("")))
                .collect();
            let numbers: Vec<String> = (1..=12u8).filter(|n| both & (1 << n) != 0).map(|n| n.to_string()).collect();
            reasons.push(
                Reason::new("key_features", format!("both work on {}", names.join("; ")))
                    .with("features", numbers.join(",")),
            );
        }
        let clusters = ea.clusters & eb.clusters;
        if clusters != 0 {
            let names: Vec<&str> =
                Cluster::ALL.iter().filter(|c| clusters & cluster_bit(**c) != 0).map(|c| c.label()).collect();
            let ids: Vec<&str> =
                Cluster::ALL.iter().filter(|c| clusters & cluster_bit(**c) != 0).map(|c| c.id()).collect();
            reasons.push(
                Reason::new("clusters", format!("both work in the clusters: {}", names.join("; ")))
                    .with("clusters", ids.join(",")),
            );
        }
        for (k, c) in Cluster::ALL.iter().enumerate() {
            let (interest, _) = ea.interests[k];
            let (_, expertise) = eb.interests[k];
            if interest >= HIGH_RATING && expertise >= HIGH_RATING {
                reasons.push(
                    Reason::new(
                        "interests",
                        format!(
                            "{}'s interest in {} ({interest} of 5) meets {}'s expertise ({expertise} of 5)",
                            ea.name,
                            c.label(),
                            eb.name
                        ),
                    )
                    .with("city", ea.name.as_str())
                    .with("cluster", c.id())
                    .with("interest", interest)
                    .with("other_city", eb.name.as_str())
                    .with("expertise", expertise),
                );
            }
        }
        for (key, label, x, y) in
            [("population", "population", ea.population, eb.population), ("gdp", "GDP per capita", ea.gdp, eb.gdp)]
        {
            if let (Some(x), Some(y)) = (x, y) {
                if x.min(y) / x.max(y) >= 0.5 {
                    reasons.push(
                        Reason::new(
                            "facts",
                            format!("comparable {label}: {} and {}", super::format_number(x), super::format_number(y)),
                        )
                        .with("fact", key)
                        .with("value", super::format_number(x).replace(',', ""))
                        .with("other_value", super::format_number(y).replace(',', "")),
                    );
                }
            }
        }
        Partner { city: eb.id.clone(), name: eb.name.clone(), country: eb.country.clone(), score, reasons }
    }
}

/// Precision at `k` of the model on judged pairs: for each query city with the cities judged
/// related to it, the share of its first `k` partners that are among them, averaged over the
/// queries the model knows (a query city it does not hold is skipped).
pub fn precision_at(model: &Model, judgements: &[(String, Vec<String>)], k: usize) -> f64 {
    let per_query: Vec<f64> = judgements
        .iter()
        .filter_map(|(city, related)| {
            let top = model.partners(city, k, None)?;
            Some(top.iter().filter(|p| related.contains(&p.city)).count() as f64 / k as f64)
        })
        .collect();
    if per_query.is_empty() {
        0.0
    } else {
        per_query.iter().sum::<f64>() / per_query.len() as f64
    }
}

/// The dot product of two sparse vectors sorted by term id.
fn dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// The first sentence of `text` with a word that stems to `term`, shortened to about 30 words.
fn sentence_with(text: &str, term: &str) -> Option<String> {
    for s in text.split_inclusive(['.', '!', '?', '\n']) {
        if words(s).iter().any(|w| w == term) {
            let ws: Vec<&str> = s.split_whitespace().collect();
            let short = if ws.len() > 30 { format!("{} …", ws[..30].join(" ")) } else { ws.join(" ") };
            return Some(short);
        }
    }
    None
}

/// Whether a word (a stem) appears in a portrait's sections.
pub fn mentions(p: &Portrait, term: &str) -> bool {
    words(&sections_text(p)).iter().any(|w| w == term)
}

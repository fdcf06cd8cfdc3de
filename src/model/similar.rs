//! Partner cities (issue 11, first part): how much two portraits share, with the reasons.
//!
//! Owns: the similarity of portraits — common themes in the three narrative sections (TF-IDF
//! over diacritic-folded words, cosine), shared Key Feature areas, comparable facts — and the
//! reasons shown for it, each true of both portraits. Must not: do IO (the catalogue is passed
//! in) or know about the store.
//!
//! Weights (documented and tested): `score = 0.60 × text + 0.25 × features + 0.15 × facts`,
//! each part in 0..=1: `text` the cosine of the two TF-IDF vectors; `features` the Jaccard index
//! of the Key Feature areas; `facts` the mean, over population and GDP per capita of the city
//! (when both give it), of `min/max` of the two values.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{fold, markdown, Portrait, SECTIONS};

pub const WEIGHT_TEXT: f64 = 0.60;
pub const WEIGHT_FEATURES: f64 = 0.25;
pub const WEIGHT_FACTS: f64 = 0.15;

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
    /// `key_features` (shared areas), `facts` (comparable figures).
    pub kind: String,
    pub detail: String,
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

fn sections_text(p: &Portrait) -> String {
    SECTIONS.iter().filter_map(|(k, _)| p.section(k)).map(markdown::plain_text).collect::<Vec<_>>().join("\n")
}

/// The TF-IDF model of a catalogue: one weighted vector per city.
pub struct Model<'a> {
    portraits: Vec<&'a Portrait>,
    vectors: Vec<BTreeMap<String, f64>>,
    texts: Vec<String>,
}

impl<'a> Model<'a> {
    /// Builds the model over the latest portrait of every city.
    pub fn new(portraits: &'a [Portrait]) -> Model<'a> {
        let texts: Vec<String> = portraits.iter().map(sections_text).collect();
        let counts: Vec<HashMap<String, u32>> = texts
            .iter()
            .map(|t| {
                let mut m = HashMap::new();
                for w in words(t) {
                    *m.entry(w).or_insert(0) += 1;
                }
                m
            })
            .collect();
        let mut df: HashMap<&str, u32> = HashMap::new();
        for c in &counts {
            for w in c.keys() {
                *df.entry(w.as_str()).or_insert(0) += 1;
            }
        }
        let n = portraits.len().max(1) as f64;
        let vectors = counts
            .iter()
            .map(|c| {
                let mut v: BTreeMap<String, f64> = c
                    .iter()
                    .filter(|(w, _)| df[w.as_str()] >= 2 && f64::from(df[w.as_str()]) <= MAX_SHARE * n)
                    .map(|(w, &tf)| (w.clone(), (1.0 + f64::from(tf).ln()) * (n / f64::from(df[w.as_str()])).ln()))
                    .collect();
                let norm = v.values().map(|x| x * x).sum::<f64>().sqrt();
                if norm > 0.0 {
                    v.values_mut().for_each(|x| *x /= norm);
                }
                v
            })
            .collect();
        Model { portraits: portraits.iter().collect(), vectors, texts }
    }

    /// The cities most like `city_id`, best first, at most `limit`, with their reasons; those
    /// `keep` refuses are left out. None when the city is not in the model.
    pub fn partners(&self, city_id: &str, limit: usize, keep: &dyn Fn(&Portrait) -> bool) -> Option<Vec<Partner>> {
        let me = self.portraits.iter().position(|p| p.city.id == city_id)?;
        let mut out: Vec<Partner> = (0..self.portraits.len())
            .filter(|&i| i != me && keep(self.portraits[i]))
            .map(|i| self.pair(me, i))
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.city.cmp(&b.city)));
        out.truncate(limit);
        Some(out)
    }

    fn pair(&self, a: usize, b: usize) -> Partner {
        let (pa, pb) = (self.portraits[a], self.portraits[b]);
        let (va, vb) = (&self.vectors[a], &self.vectors[b]);
        let mut shared: Vec<(&String, f64)> =
            va.iter().filter_map(|(w, x)| vb.get(w).map(|y| (w, x * y))).filter(|(_, s)| *s > 0.0).collect();
        let text: f64 = shared.iter().map(|(_, s)| s).sum::<f64>().min(1.0);
        shared.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0)));
        let mut reasons = Vec::new();
        if !shared.is_empty() {
            let top: Vec<&str> = shared.iter().take(5).map(|(w, _)| w.as_str()).collect();
            reasons.push(Reason { kind: "themes".into(), detail: format!("both write about: {}", top.join(", ")) });
            if let (Some(sa), Some(sb)) = (sentence_with(&self.texts[a], top[0]), sentence_with(&self.texts[b], top[0]))
            {
                reasons.push(Reason {
                    kind: "passage".into(),
                    detail: format!("{}: “{sa}” — {}: “{sb}”", pa.city.name, pb.city.name),
                });
            }
        }
        let fa: BTreeSet<u8> = pa.key_feature_areas.iter().copied().collect();
        let fb: BTreeSet<u8> = pb.key_feature_areas.iter().copied().collect();
        let both: Vec<u8> = fa.intersection(&fb).copied().collect();
        let union = fa.union(&fb).count();
        let features = if union == 0 { 0.0 } else { both.len() as f64 / union as f64 };
        if !both.is_empty() {
            let names: Vec<String> = both
                .iter()
                .map(|n| format!("{n}. {}", super::KEY_FEATURES.get(usize::from(*n) - 1).copied().unwrap_or("")))
                .collect();
            reasons.push(Reason { kind: "key_features".into(), detail: format!("both work on {}", names.join("; ")) });
        }
        let mut ratios = Vec::new();
        for (label, x, y) in [
            ("population", pa.facts.population.value.as_f64(), pb.facts.population.value.as_f64()),
            ("GDP per capita", pa.facts.gdp_city_usd.value.as_f64(), pb.facts.gdp_city_usd.value.as_f64()),
        ] {
            if let (Some(x), Some(y)) = (x, y) {
                if x > 0.0 && y > 0.0 {
                    let r = x.min(y) / x.max(y);
                    ratios.push(r);
                    if r >= 0.5 {
                        reasons.push(Reason {
                            kind: "facts".into(),
                            detail: format!(
                                "comparable {label}: {} and {}",
                                super::format_number(x),
                                super::format_number(y)
                            ),
                        });
                    }
                }
            }
        }
        let facts = if ratios.is_empty() { 0.0 } else { ratios.iter().sum::<f64>() / ratios.len() as f64 };
        let score = WEIGHT_TEXT * text + WEIGHT_FEATURES * features + WEIGHT_FACTS * facts;
        Partner {
            city: pb.city.id.clone(),
            name: pb.city.name.clone(),
            country: pb.city.country.name.clone(),
            score: (score * 1000.0).round() / 1000.0,
            reasons,
        }
    }
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

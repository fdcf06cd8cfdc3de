//! Synthetic catalogues for benchmarks and crash tests: N portraits derived from the bundled
//! ones (same shapes and text, new ids and names, words rotated so documents differ).
//!
//! Owns nothing persistent; must not be used for user data.

use crate::bundled;
use crate::model::Portrait;
use crate::store::ImportItem;

/// `n` valid version-1 portraits of new cities `<cc>-synthetic-<i>`, from the 37 portraits of
/// the 2016 booklet.
pub fn portraits(n: usize) -> Vec<ImportItem> {
    // The 2016 portraits: complete ones, with every section, so any template can print them.
    let seeds: Vec<Portrait> = bundled::portraits()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.portrait)
        .filter(|p| p.source.booklet.as_deref() == Some("members-meeting-2016"))
        .collect();
    if seeds.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let mut p = seeds[i % seeds.len()].clone();
            let cc = p.city.country.code.to_ascii_lowercase();
            p.city.id = format!("{cc}-synthetic-{i}");
            p.city.name = format!("{} {i}", p.city.name);
            p.version = 1;
            // Rotate the lead's words so that every document is different.
            let words: Vec<&str> = p.lead.split(' ').collect();
            let k = i % words.len().max(1);
            p.lead = words[k..].iter().chain(words[..k].iter()).copied().collect::<Vec<_>>().join(" ");
            // A member record as cities fill it: two or three clusters, two themes rated.
            let all = crate::model::Cluster::ALL;
            let (a, b, c) = (i % 7, (i / 7 + 2) % 7, (i / 49 + 4) % 7);
            let mut clusters: Vec<_> = [a, b, c].iter().map(|x| all[*x]).collect();
            clusters.sort_by_key(|x| all.iter().position(|y| y == x));
            clusters.dedup();
            p.clusters = clusters;
            let (t1, t2) = (all[i % 7].min(all[(i + 3) % 7]), all[i % 7].max(all[(i + 3) % 7]));
            let rate = |k: usize| (k % 5) as u8 + 1;
            p.interests = vec![
                crate::model::Interest { theme: t1, interest: rate(i), expertise: rate(i / 5) },
                crate::model::Interest { theme: t2, interest: rate(i / 25), expertise: rate(i / 125) },
            ];
            ImportItem { origin: format!("synthetic/{i}"), portrait: p }
        })
        .collect()
}

//! Synthetic catalogues for benchmarks and crash tests: N portraits derived from the bundled
//! ones (same shapes and text, new ids and names, words rotated so documents differ).
//!
//! Owns nothing persistent; must not be used for user data.

use crate::bundled;
use crate::model::{Portrait, Region};
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

/// Ninety-one countries of the network's five regions (ISO code, name as UNESCO writes it,
/// region, a point near the middle): the synthetic network spreads its cities over them.
const COUNTRIES: [(&str, &str, Region, f64, f64); 91] = {
    use Region::*;
    [
        ("AO", "Angola", Africa, -12.3, 17.5),
        ("BJ", "Benin", Africa, 9.3, 2.3),
        ("BW", "Botswana", Africa, -22.3, 24.7),
        ("BF", "Burkina Faso", Africa, 12.2, -1.6),
        ("CM", "Cameroon", Africa, 7.4, 12.4),
        ("CI", "Côte d'Ivoire", Africa, 7.5, -5.5),
        ("ET", "Ethiopia", Africa, 9.1, 40.5),
        ("GH", "Ghana", Africa, 7.9, -1.0),
        ("KE", "Kenya", Africa, -0.0, 37.9),
        ("MG", "Madagascar", Africa, -18.8, 46.9),
        ("ML", "Mali", Africa, 17.6, -4.0),
        ("MZ", "Mozambique", Africa, -18.7, 35.5),
        ("NA", "Namibia", Africa, -22.9, 18.5),
        ("NG", "Nigeria", Africa, 9.1, 8.7),
        ("RW", "Rwanda", Africa, -1.9, 29.9),
        ("SN", "Senegal", Africa, 14.5, -14.5),
        ("ZA", "South Africa", Africa, -30.6, 22.9),
        ("TZ", "United Republic of Tanzania", Africa, -6.4, 34.9),
        ("UG", "Uganda", Africa, 1.4, 32.3),
        ("ZW", "Zimbabwe", Africa, -19.0, 29.2),
        ("DZ", "Algeria", ArabStates, 28.0, 1.7),
        ("BH", "Bahrain", ArabStates, 26.0, 50.6),
        ("EG", "Egypt", ArabStates, 26.8, 30.8),
        ("IQ", "Iraq", ArabStates, 33.2, 43.7),
        ("JO", "Jordan", ArabStates, 30.6, 36.2),
        ("LB", "Lebanon", ArabStates, 33.9, 35.9),
        ("MA", "Morocco", ArabStates, 31.8, -7.1),
        ("OM", "Oman", ArabStates, 21.5, 55.9),
        ("PS", "Palestine", ArabStates, 31.9, 35.2),
        ("SA", "Saudi Arabia", ArabStates, 23.9, 45.1),
        ("TN", "Tunisia", ArabStates, 33.9, 9.5),
        ("AE", "United Arab Emirates", ArabStates, 23.4, 53.8),
        ("AU", "Australia", AsiaPacific, -25.3, 133.8),
        ("BD", "Bangladesh", AsiaPacific, 23.7, 90.4),
        ("KH", "Cambodia", AsiaPacific, 12.6, 104.9),
        ("CN", "China", AsiaPacific, 35.9, 104.2),
        ("IN", "India", AsiaPacific, 20.6, 79.0),
        ("ID", "Indonesia", AsiaPacific, -0.8, 113.9),
        ("IR", "Iran (Islamic Republic of)", AsiaPacific, 32.4, 53.7),
        ("JP", "Japan", AsiaPacific, 36.2, 138.3),
        ("KZ", "Kazakhstan", AsiaPacific, 48.0, 66.9),
        ("MY", "Malaysia", AsiaPacific, 4.2, 102.0),
        ("MN", "Mongolia", AsiaPacific, 46.9, 103.8),
        ("NP", "Nepal", AsiaPacific, 28.4, 84.1),
        ("NZ", "New Zealand", AsiaPacific, -40.9, 174.9),
        ("PK", "Pakistan", AsiaPacific, 30.4, 69.3),
        ("PH", "Philippines", AsiaPacific, 12.9, 121.8),
        ("KR", "Republic of Korea", AsiaPacific, 35.9, 127.8),
        ("LK", "Sri Lanka", AsiaPacific, 7.9, 80.8),
        ("TH", "Thailand", AsiaPacific, 15.9, 100.9),
        ("UZ", "Uzbekistan", AsiaPacific, 41.4, 64.6),
        ("VN", "Viet Nam", AsiaPacific, 14.1, 108.3),
        ("AM", "Armenia", EuropeNorthAmerica, 40.1, 45.0),
        ("AT", "Austria", EuropeNorthAmerica, 47.5, 14.6),
        ("BE", "Belgium", EuropeNorthAmerica, 50.5, 4.5),
        ("CA", "Canada", EuropeNorthAmerica, 56.1, -106.3),
        ("HR", "Croatia", EuropeNorthAmerica, 45.1, 15.2),
        ("DK", "Denmark", EuropeNorthAmerica, 56.3, 9.5),
        ("FI", "Finland", EuropeNorthAmerica, 61.9, 25.7),
        ("FR", "France", EuropeNorthAmerica, 46.2, 2.2),
        ("DE", "Germany", EuropeNorthAmerica, 51.2, 10.5),
        ("GR", "Greece", EuropeNorthAmerica, 39.1, 21.8),
        ("HU", "Hungary", EuropeNorthAmerica, 47.2, 19.5),
        ("IE", "Ireland", EuropeNorthAmerica, 53.4, -8.2),
        ("IL", "Israel", EuropeNorthAmerica, 31.0, 34.9),
        ("IT", "Italy", EuropeNorthAmerica, 41.9, 12.6),
        ("LT", "Lithuania", EuropeNorthAmerica, 55.2, 23.9),
        ("NL", "Netherlands", EuropeNorthAmerica, 52.1, 5.3),
        ("NO", "Norway", EuropeNorthAmerica, 60.5, 8.5),
        ("PL", "Poland", EuropeNorthAmerica, 51.9, 19.1),
        ("PT", "Portugal", EuropeNorthAmerica, 39.4, -8.2),
        ("ES", "Spain", EuropeNorthAmerica, 40.5, -3.7),
        ("SE", "Sweden", EuropeNorthAmerica, 60.1, 18.6),
        ("TR", "Türkiye", EuropeNorthAmerica, 38.9, 35.2),
        ("UA", "Ukraine", EuropeNorthAmerica, 48.4, 31.2),
        ("GB", "United Kingdom of Great Britain and Northern Ireland", EuropeNorthAmerica, 55.4, -3.4),
        ("US", "United States of America", EuropeNorthAmerica, 37.1, -95.7),
        ("EE", "Estonia", EuropeNorthAmerica, 58.6, 25.0),
        ("CH", "Switzerland", EuropeNorthAmerica, 46.8, 8.2),
        ("AR", "Argentina", LatinAmericaCaribbean, -38.4, -63.6),
        ("BO", "Bolivia (Plurinational State of)", LatinAmericaCaribbean, -16.3, -63.6),
        ("BR", "Brazil", LatinAmericaCaribbean, -14.2, -51.9),
        ("CL", "Chile", LatinAmericaCaribbean, -35.7, -71.5),
        ("CO", "Colombia", LatinAmericaCaribbean, 4.6, -74.3),
        ("CR", "Costa Rica", LatinAmericaCaribbean, 9.7, -83.8),
        ("EC", "Ecuador", LatinAmericaCaribbean, -1.8, -78.2),
        ("HN", "Honduras", LatinAmericaCaribbean, 15.2, -86.2),
        ("MX", "Mexico", LatinAmericaCaribbean, 23.6, -102.6),
        ("PY", "Paraguay", LatinAmericaCaribbean, -23.4, -58.4),
        ("PE", "Peru", LatinAmericaCaribbean, -9.2, -75.0),
        ("UY", "Uruguay", LatinAmericaCaribbean, -32.5, -55.8),
    ]
};

/// A synthetic network of `n` members, as the real one is spread: cities in 91 countries of
/// the five regions (20 in Africa, 12 in the Arab States, 20 in Asia and the Pacific, 27 in
/// Europe and North America, 12 in Latin America and the Caribbean), each with a location
/// near its country's middle, texts of real length (the 2016 portraits', words rotated).
/// City ids `<cc>-network-<i>`.
pub fn network(n: usize) -> Vec<ImportItem> {
    portraits(n)
        .into_iter()
        .enumerate()
        .map(|(i, mut it)| {
            let (code, name, region, lat, lon) = COUNTRIES[i % COUNTRIES.len()];
            let p = &mut it.portrait;
            let base = p.city.name.rsplit_once(' ').map(|(b, _)| b.to_string()).unwrap_or_default();
            p.city.id = format!("{}-network-{i}", code.to_ascii_lowercase());
            p.city.name = format!("{base} {i}");
            p.city.country = crate::model::Country { code: code.into(), name: name.into() };
            p.city.region = region;
            // Spread around the country's middle, a few degrees at most.
            let (dy, dx) = (((i * 37) % 100) as f64 / 25.0 - 2.0, ((i * 61) % 100) as f64 / 25.0 - 2.0);
            p.location = Some(crate::model::Location {
                lat: (lat + dy).clamp(-89.0, 89.0),
                lon: (lon + dx).clamp(-179.0, 179.0),
            });
            it.origin = format!("network/{i}");
            it
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_network_is_spread_as_the_real_one_and_valid() {
        let items = network(425);
        assert_eq!(items.len(), 425);
        let countries: std::collections::BTreeSet<&str> =
            items.iter().map(|i| i.portrait.city.country.code.as_str()).collect();
        assert_eq!(countries.len(), 91);
        let regions: std::collections::BTreeSet<&str> = items.iter().map(|i| i.portrait.city.region.as_str()).collect();
        assert_eq!(regions.len(), 5);
        let ids: std::collections::BTreeSet<&str> = items.iter().map(|i| i.portrait.city.id.as_str()).collect();
        assert_eq!(ids.len(), 425, "ids are unique");
        for it in &items {
            let errors = crate::model::validate_portrait(&it.portrait);
            assert!(errors.is_empty(), "{}: {errors:?}", it.portrait.city.id);
            assert!(it.portrait.location.is_some());
        }
    }
}

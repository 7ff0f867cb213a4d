//! Deterministic record generation: every field of record `index` of a collection is a
//! pure function of (seed, provider, resource, parent, index), so any page can be produced
//! on demand and 200000 records cost no memory.

use crate::dates::{rfc3339, DATA_END, DATA_SPAN_SECS};
use crate::providers::Provider;

/// SplitMix64: tiny, fast, and good enough for believable fake data.
#[derive(Debug, Clone)]
pub struct Gen(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Gen {
    /// The generator of one record.
    pub fn record(seed: u64, provider: Provider, resource: &str, parent: u64, index: u64) -> Gen {
        let mut h = mix(seed ^ 0x5eed);
        h = mix(h ^ provider.tag());
        for b in resource.bytes() {
            h = mix(h ^ u64::from(b));
        }
        h = mix(h ^ parent.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        Gen(mix(h ^ index))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A moment in the two years of data, as unix seconds.
    pub fn unix_time(&mut self) -> i64 {
        DATA_END - 1 - self.below(DATA_SPAN_SECS as u64) as i64
    }

    pub fn timestamp(&mut self) -> String {
        rfc3339(self.unix_time())
    }

    /// Money with cents, between lo and hi dollars.
    pub fn money(&mut self, lo: u64, hi: u64) -> f64 {
        (lo * 100 + self.below((hi - lo) * 100)) as f64 / 100.0
    }

    /// A version-4-shaped UUID.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    /// Short public id like ClickFunnels' (`ctc_K3x9Qa`).
    pub fn public_id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let mut out = String::with_capacity(prefix.len() + 7);
        out.push_str(prefix);
        out.push('_');
        for _ in 0..6 {
            out.push(ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char);
        }
        out
    }

    /// For record `index` of a collection: one of INTERNATIONAL_NAMES, or `None` for a plain
    /// name. The first records of every collection get one each, in an order set by the seed
    /// (so an export's first lines always carry them); later ones about one in ten. Drawn from
    /// its own generator (`Gen::record(.., "<resource>/names", ..)`), so the record's other
    /// fields are the same as without it.
    pub fn international_name(
        seed: u64,
        provider: Provider,
        resource: &str,
        index: u64,
    ) -> Option<&'static str> {
        let n = INTERNATIONAL_NAMES.len() as u64;
        let names = format!("{resource}/names");
        if index < n {
            let offset = Gen::record(seed, provider, &names, 0, 0).below(n);
            return Some(INTERNATIONAL_NAMES[((index + offset) % n) as usize]);
        }
        let mut g = Gen::record(seed, provider, &names, 0, index);
        g.chance(10).then(|| g.pick(INTERNATIONAL_NAMES))
    }

    pub fn person(&mut self, index: u64) -> Person {
        let first = self.pick(FIRST_NAMES);
        let last = self.pick(LAST_NAMES);
        let (city, state, area, tz) = CITIES[self.below(CITIES.len() as u64) as usize];
        let domain = self.pick(EMAIL_DOMAINS);
        let line = 100 + self.below(100);
        Person {
            first,
            last,
            // The index keeps emails unique across a collection, as real contact lists are.
            email: format!(
                "{}.{}{}@{}",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase(),
                index,
                domain
            ),
            // 555-0100..0199 numbers are reserved for fiction.
            second_email: None,
            phone: format!("+1 ({area}) 555-0{line}"),
            phone_e164: format!("+1{area}5550{line}"),
            city,
            state,
            time_zone: tz,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Person {
    pub first: &'static str,
    pub last: &'static str,
    pub email: String,
    /// Some people have a second address (`population`).
    pub second_email: Option<String>,
    pub phone: String,
    pub phone_e164: String,
    pub city: &'static str,
    pub state: &'static str,
    pub time_zone: &'static str,
}

pub const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Aisha", "Chen", "Olivia", "Liam", "Sofia", "Noah", "Priya", "Lucas", "Emma",
    "Mateo", "Hannah", "Diego", "Grace", "Omar", "Chloe", "Ethan", "Yuki", "Daniel", "Fatima",
    "Samuel", "Isabella", "Kofi", "Ava", "Jonas", "Mia", "Ravi", "Zoe", "Elena",
];

pub const LAST_NAMES: &[&str] = &[
    "Lopez", "Smith", "Khan", "Wang", "Johnson", "Garcia", "Brown", "Nguyen", "Patel", "Miller",
    "Davis", "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin",
    "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King",
    "Scott",
];

/// Names from outside ASCII: accents (é, ñ, ø), right-to-left scripts, CJK, a colour emoji
/// (🌻) and a character beyond the BMP (𠮷, four bytes in UTF-8), so every path from the wire
/// to an export carries them. A few records per collection get one (see
/// `Gen::international_name`); the rest keep the plain lists above.
pub const INTERNATIONAL_NAMES: &[&str] = &[
    "Zoë Ibáñez",
    "Søren Ødegård",
    "Renée Côté",
    "محمد العلي",
    "דוד כהן",
    "王芳",
    "佐藤 花子",
    "Ana 🌻 Ibáñez",
    "𠮷田 太郎",
];

/// A value with every CSV special: a comma, a double quote and a line break.
pub const AWKWARD_TEXT: &str = "Open House \"Smile\", Spring\nSecond mailing";

const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example"];

/// (city, state, area code, IANA time zone)
const CITIES: &[(&str, &str, u32, &str)] = &[
    ("Austin", "TX", 512, "America/Chicago"),
    ("Denver", "CO", 303, "America/Denver"),
    ("Seattle", "WA", 206, "America/Los_Angeles"),
    ("Miami", "FL", 305, "America/New_York"),
    ("Chicago", "IL", 312, "America/Chicago"),
    ("Phoenix", "AZ", 602, "America/Phoenix"),
    ("Boston", "MA", 617, "America/New_York"),
    ("Atlanta", "GA", 404, "America/New_York"),
    ("San Diego", "CA", 619, "America/Los_Angeles"),
    ("Nashville", "TN", 615, "America/Chicago"),
    ("Portland", "OR", 503, "America/Los_Angeles"),
    ("Raleigh", "NC", 919, "America/New_York"),
];

/// (source, medium)
pub const SOURCES: &[(&str, &str)] = &[
    ("google", "cpc"),
    ("google", "organic"),
    ("facebook", "paid_social"),
    ("instagram", "paid_social"),
    ("bing", "cpc"),
    ("(direct)", "(none)"),
    ("newsletter", "email"),
    ("yelp", "referral"),
    ("linkedin", "paid_social"),
];

pub const CAMPAIGNS: &[&str] = &[
    "Spring Promo",
    "Summer Sale",
    "Back to School",
    "Black Friday",
    "Holiday Giveaway",
    "New Year Kickoff",
    "Brand Awareness",
    "Retargeting Q3",
    "Free Consultation",
    "Webinar Series",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_record_other_inputs_other_record() {
        let a = Gen::record(1, Provider::BoomTown, "leads", 0, 5).person(5);
        let b = Gen::record(1, Provider::BoomTown, "leads", 0, 5).person(5);
        assert_eq!(a.email, b.email);
        let differing = (0..50)
            .filter(|i| {
                Gen::record(2, Provider::BoomTown, "leads", 0, *i).next_u64()
                    != Gen::record(1, Provider::BoomTown, "leads", 0, *i).next_u64()
            })
            .count();
        assert_eq!(differing, 50);
    }

    #[test]
    fn international_names_open_every_collection_and_follow_the_seed() {
        let first = |seed| {
            (0..INTERNATIONAL_NAMES.len() as u64)
                .map(|i| Gen::international_name(seed, Provider::WhatConverts, "leads", i).unwrap())
                .collect::<Vec<_>>()
        };
        // Each name once among the first records, whatever the seed.
        let mut sorted = first(7);
        sorted.sort_unstable();
        let mut all = INTERNATIONAL_NAMES.to_vec();
        all.sort_unstable();
        assert_eq!(sorted, all);
        assert_eq!(first(7), first(7));
        assert!(
            (1..20).any(|seed| first(seed) != first(7)),
            "the seed sets the order"
        );
        let later = (INTERNATIONAL_NAMES.len() as u64..2000)
            .filter(|i| Gen::international_name(7, Provider::WhatConverts, "leads", *i).is_some())
            .count();
        assert!(
            (100..300).contains(&later),
            "about one in ten later records: {later}"
        );
        assert!(INTERNATIONAL_NAMES
            .iter()
            .any(|n| n.chars().any(|c| ('\u{0600}'..='\u{06ff}').contains(&c))));
        assert!(INTERNATIONAL_NAMES
            .iter()
            .any(|n| n.chars().any(|c| ('\u{0590}'..='\u{05ff}').contains(&c))));
        assert!(INTERNATIONAL_NAMES
            .iter()
            .any(|n| n.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))));
        assert!(INTERNATIONAL_NAMES.iter().any(|n| n.contains('🌻')));
        assert!(INTERNATIONAL_NAMES
            .iter()
            .any(|n| n.chars().any(|c| c.len_utf8() == 4)));
        for c in [',', '"', '\n'] {
            assert!(AWKWARD_TEXT.contains(c));
        }
    }

    #[test]
    fn dates_stay_within_two_years() {
        let mut g = Gen::record(9, Provider::WhatConverts, "leads", 0, 0);
        for _ in 0..1000 {
            let t = g.unix_time();
            assert!((DATA_END - DATA_SPAN_SECS..DATA_END).contains(&t));
        }
        let uuid = g.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
}

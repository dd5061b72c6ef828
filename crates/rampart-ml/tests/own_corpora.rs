//! The corpora this project wrote (`crates/rampart-ml/data/`) are built
//! into the binary and read by training and measurement: every line must
//! parse as documented, and no text may sit in two files (a text in a
//! trained file and a measured one would inflate the measurement).

use rampart_ml::data::{
    own_corpus, HARM_LOOKALIKES, HARM_REQUESTS, HARM_TWINS, INJECTION_LOOKALIKES,
    MULTILINGUAL_ATTACK_LANGUAGES, MULTILINGUAL_BENIGN, MULTILINGUAL_BENIGN_TRAIN,
    MULTILINGUAL_UNSEEN, TECHNICAL_PROSE,
};
use std::collections::{BTreeMap, HashSet};

/// The hazard categories of `rampart-detect`'s taxonomy (harm.rs).
const CATEGORIES: [&str; 12] = [
    "cbrn_weapons",
    "defamation",
    "election_misinformation",
    "hate_harassment",
    "intellectual_property",
    "malicious_code",
    "non_violent_crime",
    "privacy",
    "self_harm",
    "sexual_content",
    "violent_crime",
    "weapons",
];

fn lines(path: &str) -> Vec<(String, String)> {
    // The multilingual files tag a language, the harm files a category,
    // the injection lookalikes and the technical prose a family.
    let key = if path.contains("/harm_") {
        "category"
    } else if path.contains("/injection_") || path.contains("/technical_") {
        "family"
    } else {
        "lang"
    };
    let bytes = own_corpus(path).unwrap_or_else(|| panic!("{path} is not built in"));
    std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{path}: not UTF-8: {e}"))
        .lines()
        .enumerate()
        .map(|(n, l)| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{path} line {}: {e}", n + 1));
            let obj = v.as_object().expect("a JSON object per line");
            assert_eq!(
                obj.len(),
                2,
                "{path} line {}: keys text and {key} only",
                n + 1
            );
            let text = obj["text"].as_str().expect("text").trim().to_string();
            let tag = obj[key].as_str().expect("tag").to_string();
            assert!(!text.is_empty(), "{path} line {}: empty text", n + 1);
            if key == "family" {
                assert!(
                    !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{path} line {}: `{tag}` is not a family name",
                    n + 1
                );
            } else if key == "lang" {
                assert!(
                    (2..=3).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_lowercase()),
                    "{path} line {}: `{tag}` is not an ISO 639 code",
                    n + 1
                );
            } else {
                assert!(
                    CATEGORIES.contains(&tag.as_str()),
                    "{path} line {}: `{tag}` is not a hazard category",
                    n + 1
                );
            }
            (text, tag)
        })
        .collect()
}

#[test]
fn own_corpora_parse_and_do_not_overlap() {
    let mut seen = HashSet::new();
    for (path, expected) in [
        (MULTILINGUAL_BENIGN, 231),
        (MULTILINGUAL_UNSEEN, 38),
        (MULTILINGUAL_ATTACK_LANGUAGES, 306),
        (HARM_REQUESTS, 697),
        (HARM_LOOKALIKES, 769),
        (HARM_TWINS, 500),
        (INJECTION_LOOKALIKES, 234),
        (MULTILINGUAL_BENIGN_TRAIN, 204),
        (TECHNICAL_PROSE, 599),
    ] {
        let l = lines(path);
        assert_eq!(l.len(), expected, "{path}");
        for (t, _) in l {
            // Case and spacing do not make a second text.
            let key = t
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(seen.insert(key), "{path}: `{t}` is in two places");
        }
    }
}

#[test]
fn harm_files_cover_every_hazard_category() {
    for (path, least) in [(HARM_REQUESTS, 18), (HARM_LOOKALIKES, 35), (HARM_TWINS, 3)] {
        let mut per: BTreeMap<String, usize> = BTreeMap::new();
        for (_, cat) in lines(path) {
            *per.entry(cat).or_default() += 1;
        }
        let cats: Vec<&str> = per.keys().map(String::as_str).collect();
        assert_eq!(cats, CATEGORIES, "{path}");
        assert!(per.values().all(|&n| n >= least), "{path}: {per:?}");
    }
}

#[test]
fn attack_languages_files_cover_each_language_evenly() {
    // The measured file and the trained one hold the 17 languages of
    // CyberSecEval's multilingual attacks, evenly.
    for (path, each) in [
        (MULTILINGUAL_ATTACK_LANGUAGES, 18),
        (MULTILINGUAL_BENIGN_TRAIN, 12),
    ] {
        let mut per: BTreeMap<String, usize> = BTreeMap::new();
        for (_, lang) in lines(path) {
            *per.entry(lang).or_default() += 1;
        }
        let langs: Vec<&str> = per.keys().map(String::as_str).collect();
        assert_eq!(
            langs,
            [
                "ar", "bn", "de", "es", "fr", "hi", "id", "it", "ja", "ko", "pt", "ru", "th", "tl",
                "tr", "vi", "zh"
            ],
            "{path}"
        );
        assert!(per.values().all(|&n| n == each), "{path}: {per:?}");
    }
}

#[test]
fn injection_lookalikes_spread_over_many_families() {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for (_, fam) in lines(INJECTION_LOOKALIKES) {
        *per.entry(fam).or_default() += 1;
    }
    // Many small families, none dominating: the point is breadth of
    // trigger-word contexts, not one context repeated.
    assert!(per.len() >= 20, "{per:?}");
    assert!(per.values().all(|&n| (8..=20).contains(&n)), "{per:?}");
    for fam in [
        "ignore_everyday",
        "documents_with_directives",
        "security_learning",
    ] {
        assert!(per.contains_key(fam), "{fam} missing: {per:?}");
    }
}

//! The corpora this project wrote (`crates/rampart-ml/data/`) are built
//! into the binary and read by training and measurement: every line must
//! parse as documented, and no text may sit in two files (a text in a
//! trained file and a measured one would inflate the measurement).

use rampart_ml::data::{
    own_corpus, MULTILINGUAL_ATTACK_LANGUAGES, MULTILINGUAL_BENIGN, MULTILINGUAL_UNSEEN,
};
use std::collections::{BTreeMap, HashSet};

fn lines(path: &str) -> Vec<(String, String)> {
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
                "{path} line {}: keys text and lang only",
                n + 1
            );
            let text = obj["text"].as_str().expect("text").trim().to_string();
            let lang = obj["lang"].as_str().expect("lang").to_string();
            assert!(!text.is_empty(), "{path} line {}: empty text", n + 1);
            assert!(
                (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()),
                "{path} line {}: `{lang}` is not an ISO 639 code",
                n + 1
            );
            (text, lang)
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
    ] {
        let l = lines(path);
        assert_eq!(l.len(), expected, "{path}");
        for (t, _) in l {
            assert!(seen.insert(t.clone()), "{path}: `{t}` is in two places");
        }
    }
}

#[test]
fn attack_languages_file_covers_each_language_evenly() {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for (_, lang) in lines(MULTILINGUAL_ATTACK_LANGUAGES) {
        *per.entry(lang).or_default() += 1;
    }
    let langs: Vec<&str> = per.keys().map(String::as_str).collect();
    assert_eq!(
        langs,
        [
            "ar", "bn", "de", "es", "fr", "hi", "id", "it", "ja", "ko", "pt", "ru", "th", "tl",
            "tr", "vi", "zh"
        ]
    );
    assert!(per.values().all(|&n| n == 18), "{per:?}");
}

//! Keyword automata walked in four interleaved lanes.
//!
//! Every prompt goes through a few keyword automata (the injection rules'
//! prefilter, the rot13 keyword count, the secret rules' prefilter). A DFA
//! walk is one dependent table load per byte, so a single walk is bound by
//! load latency, not by throughput. Cutting the text into four lanes and
//! stepping them together lets the loads overlap: about twice the speed on a
//! 1 KB prompt, with the same matches.
//!
//! Lanes overlap by the longest pattern less one byte, so no occurrence is
//! split, and each lane reports only the matches that end in its own part of
//! the text, so no occurrence is reported twice. Matches are reported with
//! overlapping semantics (every pattern at every end position, as
//! `find_overlapping_iter` does), but not in text order.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, PatternID};

/// A prefilter-free DFA over `patterns`, ASCII case-insensitive, standard
/// (overlapping) match semantics, and the longest pattern's length.
pub(crate) fn build<I, P>(patterns: I) -> (DFA, usize)
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    let patterns: Vec<P> = patterns.into_iter().collect();
    let longest = patterns.iter().map(|p| p.as_ref().len()).max().unwrap_or(1);
    let dfa = DFA::builder()
        .ascii_case_insensitive(true)
        .prefilter(false)
        .build(&patterns)
        .expect("keyword automaton");
    (dfa, longest)
}

/// Texts shorter than this are walked in one lane: the lanes' set-up and
/// overlap would cost more than they save.
const MIN_LANE: usize = 64;

/// Calls `f(pattern, start, end)` for every occurrence of every pattern of
/// `dfa` in `hay` (overlapping semantics), in no particular order.
/// `longest` is the longest pattern's length (from [`build`]); `f` returns
/// `false` to stop the walk early.
pub(crate) fn for_each_match(
    dfa: &DFA,
    longest: usize,
    hay: &[u8],
    mut f: impl FnMut(PatternID, usize, usize) -> bool,
) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    // Reports the patterns of match state `s` whose occurrence ends at
    // `end` (exclusive); false when `f` asked to stop.
    let mut report = |s, end: usize| -> bool {
        for i in 0..dfa.match_len(s) {
            let p = dfa.match_pattern(s, i);
            if !f(p, end - dfa.pattern_len(p), end) {
                return false;
            }
        }
        true
    };
    let overlap = longest.saturating_sub(1);
    if hay.len() < 4 * (overlap + MIN_LANE) {
        let mut s = start;
        for (i, &b) in hay.iter().enumerate() {
            s = dfa.next_state(Anchored::No, s, b);
            if dfa.is_match(s) && !report(s, i + 1) {
                return;
            }
        }
        return;
    }
    // Lane k owns the ends in [k*q, (k+1)*q) (the last lane: to the end of
    // the text) and starts `overlap` bytes early to see the occurrences
    // that begin before its part.
    let q = hay.len() / 4;
    let begin = [0, q - overlap, 2 * q - overlap, 3 * q - overlap];
    let own = [0, q, 2 * q, 3 * q];
    let lane_end = [q, 2 * q, 3 * q, hay.len()];
    let mut s = [start; 4];
    // The common length of the four lanes' walks (lane 0 is the shortest:
    // it has no overlap).
    let common = q;
    for i in 0..common {
        for k in 0..4 {
            s[k] = dfa.next_state(Anchored::No, s[k], hay[begin[k] + i]);
        }
        if s.iter().any(|&x| dfa.is_match(x)) {
            for k in 0..4 {
                let end = begin[k] + i + 1;
                if dfa.is_match(s[k]) && end > own[k] && !report(s[k], end) {
                    return;
                }
            }
        }
    }
    // What is left of lanes 1-3 (their overlap and, for the last lane, the
    // remainder of the division).
    for k in 1..4 {
        let mut st = s[k];
        let from = begin[k] + common;
        for (at, &b) in (from..).zip(&hay[from..lane_end[k]]) {
            st = dfa.next_state(Anchored::No, st, b);
            if dfa.is_match(st) && at + 1 > own[k] && !report(st, at + 1) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Overlapping patterns (`ignore` / `gnore all`), a one-byte one and a
    /// long one, which crosses the lane seams most often.
    const PATTERNS: [&str; 5] = [
        "ignore",
        "gnore all",
        "you are",
        "e",
        "previous instructions",
    ];

    fn reference(patterns: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(patterns)
            .unwrap();
        let mut v: Vec<_> = ac
            .find_overlapping_iter(hay)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        v.sort_unstable();
        v
    }

    fn lanes(patterns: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let (dfa, longest) = build(patterns);
        let mut v = Vec::new();
        for_each_match(&dfa, longest, hay.as_bytes(), |p, s, e| {
            v.push((p.as_usize(), s, e));
            true
        });
        v.sort_unstable();
        v
    }

    #[test]
    fn lanes_report_each_occurrence_once_at_every_position_and_length() {
        let patterns = PATTERNS;
        for len in [0, 5, 63, 255, 256, 257, 340, 1021, 1024, 1027] {
            for p in 0..len.min(120) {
                for pat in patterns {
                    let mut t = "x".repeat(len);
                    if p + pat.len() <= len {
                        t.replace_range(p..p + pat.len(), &pat.to_ascii_uppercase());
                    }
                    // A second occurrence mirrored from the end crosses
                    // the lane seams for long texts.
                    let q = len.saturating_sub(p + pat.len());
                    if q > p + pat.len() {
                        t.replace_range(q..q + pat.len(), pat);
                    }
                    assert_eq!(
                        lanes(&patterns, &t),
                        reference(&patterns, &t),
                        "{len} {p} {pat}"
                    );
                }
            }
        }
    }

    #[test]
    fn lanes_agree_on_generated_prose() {
        let words = [
            "ignore",
            "the",
            "previous",
            "instructions",
            "you",
            "are",
            "now",
            "e",
            "gnore",
            "all",
            "previous instructions",
            "\n",
            "Ignore",
            "YOU ARE",
        ];
        let patterns = PATTERNS;
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for n in 0..400 {
            let mut t = String::new();
            for _ in 0..(n * 3 % 700) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push_str(words[(seed % words.len() as u64) as usize]);
                t.push(' ');
            }
            assert_eq!(lanes(&patterns, &t), reference(&patterns, &t));
        }
    }

    #[test]
    fn a_walk_stops_when_asked() {
        let (dfa, longest) = build(["a"]);
        let mut n = 0;
        for_each_match(&dfa, longest, "a".repeat(1000).as_bytes(), |_, _, _| {
            n += 1;
            n < 3
        });
        assert_eq!(n, 3);
    }
}

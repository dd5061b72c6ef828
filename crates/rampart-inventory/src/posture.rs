//! The posture score: one number for "how worried should we be".
//!
//! `P = 25·critical + 10·high + 4·medium + 1·low` (info risks weigh 0) and
//! `score = round(100 · 50 / (50 + P))`. The hyperbola keeps the score
//! meaningful in large trees (it never hits 0, and each extra risk still
//! costs something), while one critical risk already drops a clean tree
//! from 100 to 67. Grades: A >= 90, B >= 75, C >= 60, D >= 40, else F.
//! `docs/inventory.md` documents the same formula.

use crate::asset::Posture;
use rampart_core::{Finding, Severity};
use std::collections::BTreeMap;

pub const FORMULA: &str =
    "score = round(100 * 50 / (50 + P)), P = 25*critical + 10*high + 4*medium + 1*low";

pub fn weight(s: Severity) -> u32 {
    match s {
        Severity::Critical => 25,
        Severity::High => 10,
        Severity::Medium => 4,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

pub fn grade(score: u32) -> &'static str {
    match score {
        90.. => "A",
        75..=89 => "B",
        60..=74 => "C",
        40..=59 => "D",
        _ => "F",
    }
}

pub fn score<'a>(risks: impl IntoIterator<Item = &'a Finding>) -> Posture {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    let mut p: u64 = 0;
    for r in risks {
        *by.entry(r.severity.as_str().to_string()).or_default() += 1;
        p += weight(r.severity) as u64;
    }
    let score = ((100.0 * 50.0 / (50.0 + p as f64)).round()) as u32;
    Posture {
        score,
        grade: grade(score).into(),
        penalty: p.min(u32::MAX as u64) as u32,
        formula: FORMULA.into(),
        risks_by_severity: by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_follows_the_formula() {
        let f = |s| Finding::new("r", "d", s, "m");
        assert_eq!(score([]).score, 100);
        assert_eq!(score([&f(Severity::Critical)]).score, 67);
        let many: Vec<_> = (0..5).map(|_| f(Severity::High)).collect();
        let p = score(&many);
        assert_eq!((p.penalty, p.score, p.grade.as_str()), (50, 50, "D"));
        assert_eq!(score([&f(Severity::Info)]).score, 100);
    }
}

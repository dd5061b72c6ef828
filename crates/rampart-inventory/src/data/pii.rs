//! PII and secrets in dataset cells, found by `rampart-detect`'s detectors
//! ([`rampart_detect::pii::find`], [`rampart_detect::secrets::scan_text`]).
//!
//! This module only adapts their matches to what a column report needs: a
//! kind, a byte range in the cell, and a placeholder for redacted examples.
//! Only the secret rules that name a credential format or a secret-named
//! assignment count (severity medium or above); the detector's low-severity
//! high-entropy guesses would flag every hash or id column of a dataset.

use rampart_core::Severity;
use rampart_detect::pii::{self, PiiKind};
use rampart_detect::secrets;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Email,
    Phone,
    Ssn,
    CreditCard,
    Iban,
    IpAddress,
    Secret,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Ssn => "ssn",
            Kind::CreditCard => "credit-card",
            Kind::Iban => "iban",
            Kind::IpAddress => "ip-address",
            Kind::Secret => "secret",
        }
    }
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Email => "[EMAIL]",
            Kind::Phone => "[PHONE]",
            Kind::Ssn => "[SSN]",
            Kind::CreditCard => "[CREDIT_CARD]",
            Kind::Iban => "[IBAN]",
            Kind::IpAddress => "[IP_ADDRESS]",
            Kind::Secret => "[SECRET]",
        }
    }
    /// Kinds that make a dataset restricted on their own.
    pub fn restricted(self) -> bool {
        matches!(
            self,
            Kind::Ssn | Kind::CreditCard | Kind::Iban | Kind::Secret
        )
    }
}

impl From<PiiKind> for Kind {
    fn from(k: PiiKind) -> Kind {
        match k {
            PiiKind::Email => Kind::Email,
            PiiKind::Phone => Kind::Phone,
            PiiKind::CreditCard => Kind::CreditCard,
            PiiKind::Iban => Kind::Iban,
            PiiKind::UsSsn => Kind::Ssn,
            PiiKind::IpAddress => Kind::IpAddress,
        }
    }
}

/// One match: kind and byte range in the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// The shortest text a secret rule can match (`pwd=abcd`): shorter cells,
/// such as labels and ids, skip the secret rules.
const MIN_SECRET_LEN: usize = 8;

/// Find PII and secrets in one cell. Hits are sorted and do not overlap;
/// a secret wins over PII it overlaps.
///
/// The same hits as [`find_reference`] (one full call of each detector per
/// cell) at a fraction of the cost: the detectors' own superset prefilters
/// ([`secrets::may_hold_credential`], [`pii::may_contain`]) let most cells
/// of a dataset skip them, and the secret rules run without their
/// low-severity entropy stage, which [`find_reference`] throws away.
pub fn find(text: &str, out: &mut Vec<Hit>) {
    out.clear();
    if text.len() >= MIN_SECRET_LEN && secrets::may_hold_credential(text) {
        let mut spans = Vec::new();
        secrets::credential_spans(text, &mut spans);
        push_secrets(text, spans.iter().map(|s| (s.start, s.end)), out);
    }
    // `pii::find` starts with `pii::may_contain`, its own prefilter.
    push_pii(text, pii::find(text), out);
    out.sort_by_key(|h| h.start);
}

/// [`find`] by one full call of each detector ([`secrets::scan_text`],
/// [`pii::find`]) per text, keeping the secrets of severity medium or
/// above. The specification the fast path is tested against (unit tests,
/// the `parsers` fuzz target); not for production use.
#[doc(hidden)]
pub fn find_reference(text: &str, out: &mut Vec<Hit>) {
    out.clear();
    if text.len() >= MIN_SECRET_LEN {
        let spans: Vec<(usize, usize)> = secrets::scan_text(text)
            .into_iter()
            .filter(|f| f.severity >= Severity::Medium)
            .filter_map(|f| f.location.and_then(|l| l.span))
            .map(|s| (s.start, s.end))
            .collect();
        push_secrets(text, spans.into_iter(), out);
    }
    push_pii(text, pii::find(text), out);
    out.sort_by_key(|h| h.start);
}

/// Add the secret spans to the empty `out`, sorted, keeping the first of
/// nested or overlapping spans (two rules can report the same value).
fn push_secrets(text: &str, spans: impl Iterator<Item = (usize, usize)>, out: &mut Vec<Hit>) {
    for (start, end) in spans {
        if start < end && end <= text.len() {
            out.push(Hit {
                kind: Kind::Secret,
                start,
                end,
            });
        }
    }
    out.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    let mut last_end = 0;
    out.retain(|h| {
        let keep = h.start >= last_end;
        if keep {
            last_end = h.end;
        }
        keep
    });
}

/// Add the PII matches that no secret in `out` overlaps.
fn push_pii(text: &str, matches: Vec<pii::PiiMatch>, out: &mut Vec<Hit>) {
    let secrets = out.len();
    for m in matches {
        if m.end <= text.len()
            && !out[..secrets]
                .iter()
                .any(|h| m.start < h.end && h.start < m.end)
        {
            out.push(Hit {
                kind: m.kind.into(),
                start: m.start,
                end: m.end,
            });
        }
    }
}

/// Replace every hit with its placeholder.
pub fn redact(text: &str, hits: &[Hit]) -> String {
    let mut s = String::with_capacity(text.len());
    let mut last = 0;
    for h in hits {
        if h.start < last || h.end > text.len() {
            continue;
        }
        s.push_str(&text[last..h.start]);
        s.push_str(h.kind.placeholder());
        last = h.end;
    }
    s.push_str(&text[last..]);
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<Kind> {
        let mut v = Vec::new();
        find(t, &mut v);
        v.iter().map(|h| h.kind).collect()
    }

    #[test]
    fn maps_the_detectors_matches_to_column_kinds() {
        assert_eq!(kinds("mail jane.doe@example.org now"), [Kind::Email]);
        assert_eq!(kinds("card 4111 1111 1111 1111"), [Kind::CreditCard]);
        assert!(kinds("card 4111 1111 1111 1112").is_empty(), "Luhn fails");
        assert_eq!(kinds("ssn 219-45-6781"), [Kind::Ssn]);
        assert_eq!(kinds("call (555) 123-4567"), [Kind::Phone]);
        assert_eq!(kinds("iban GB82 WEST 1234 5698 7654 32"), [Kind::Iban]);
        assert_eq!(kinds("host 192.168.10.20"), [Kind::IpAddress]);
        assert_eq!(kinds("key AKIAQYLPMN5HGR7WJ3XZ"), [Kind::Secret]);
        assert!(kinds("order 1234567890 shipped").is_empty());
        // A hash column is not a secret (low-severity entropy guesses are
        // left out).
        assert!(
            kinds("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08").is_empty()
        );
        let mut h = Vec::new();
        find("write to a@b.co please", &mut h);
        assert_eq!(
            redact("write to a@b.co please", &h),
            "write to [EMAIL] please"
        );
    }

    /// Cells built from prose, numbers, dates, PII, secrets, assignments,
    /// separators and non-ASCII text, each fragment alone as a whole cell
    /// (a value at both cell boundaries) and in random mixes.
    pub(crate) fn generated_cells(n: usize) -> Vec<String> {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let frags: Vec<String> = vec![
            "the order shipped".into(),
            " ".into(),
            ", ".into(),
            "\n".into(),
            "77155".into(),
            "2024-05-12".into(),
            "jane.doe@example.org".into(),
            "+1 415 555 0132".into(),
            "(555) 123-4567".into(),
            "call ".into(),
            "219-45-6781".into(),
            "4111 1111 1111 1111".into(),
            "GB82 WEST 1234 5698 7654 32".into(),
            "10.20.30.40".into(),
            "2001:db8::ff00:42:8329".into(),
            gh,
            "AKIAQYLPMN5HGR7WJ3XZ".into(),
            "password = hunter2hunter".into(),
            "token: ".into(),
            "postgres://admin:s3cr3tP4ss@db.internal:5432/app".into(),
            "# pragma: allowlist secret".into(),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            "\"".into(),
            "=".into(),
            "é".into(),
            "٣".into(),
        ];
        let mut out = frags.clone();
        let mut seed: u64 = 0x005E_EDCE_110F_DA7A;
        while out.len() < n {
            let mut t = String::new();
            for _ in 0..(out.len() % 7) + 1 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push_str(&frags[(seed % frags.len() as u64) as usize]);
            }
            out.push(t);
        }
        out
    }

    #[test]
    fn fast_path_finds_what_one_full_detector_call_per_cell_finds() {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        let mut kinds = std::collections::BTreeSet::new();
        let mut found = 0;
        for t in generated_cells(20_000) {
            find(&t, &mut fast);
            find_reference(&t, &mut slow);
            assert_eq!(fast, slow, "{t:?}");
            found += fast.len();
            kinds.extend(fast.iter().map(|h| h.kind));
        }
        assert!(found > 10_000, "{found}");
        assert_eq!(kinds.len(), 7, "every kind is exercised: {kinds:?}");
    }

    #[test]
    fn a_value_filling_the_whole_cell_is_found() {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        for (cell, kind) in [
            ("jane.doe@example.org", Kind::Email),
            ("+1 415 555 0132", Kind::Phone),
            ("219-45-6781", Kind::Ssn),
            ("4111 1111 1111 1111", Kind::CreditCard),
            ("4111111111111111", Kind::CreditCard),
            ("GB82WEST12345698765432", Kind::Iban),
            ("10.20.30.40", Kind::IpAddress),
            (gh.as_str(), Kind::Secret),
        ] {
            let mut h = Vec::new();
            find(cell, &mut h);
            assert_eq!(
                h,
                [Hit {
                    kind,
                    start: 0,
                    end: cell.len()
                }],
                "{cell}"
            );
        }
    }

    #[test]
    fn a_secret_hides_pii_inside_it() {
        let t = "url postgres://admin:s3cr3tP4ss@db.internal:5432/app";
        let mut h = Vec::new();
        find(t, &mut h);
        assert!(h.iter().any(|x| x.kind == Kind::Secret), "{h:?}");
        let red = redact(t, &h);
        assert!(!red.contains("s3cr3tP4ss"), "{red}");
    }
}

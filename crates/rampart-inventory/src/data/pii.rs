//! PII and secrets in dataset cells, found by `rampart-detect`'s detectors
//! ([`rampart_detect::pii::find`], [`rampart_detect::secrets::scan_text`]).
//!
//! This module only adapts their matches to what a column report needs: a
//! kind, a byte range in the cell, and a placeholder for redacted examples.
//! Only the secret rules that name a credential format or a secret-named
//! assignment count (severity medium or above); the detector's low-severity
//! high-entropy guesses would flag every hash or id column of a dataset.

use rampart_core::Severity;
use rampart_detect::pii::PiiKind;
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
pub fn find(text: &str, out: &mut Vec<Hit>) {
    out.clear();
    if text.len() >= MIN_SECRET_LEN {
        for f in rampart_detect::secrets::scan_text(text) {
            if f.severity < Severity::Medium {
                continue;
            }
            if let Some(s) = f.location.as_ref().and_then(|l| l.span) {
                if s.start < s.end && s.end <= text.len() {
                    out.push(Hit {
                        kind: Kind::Secret,
                        start: s.start,
                        end: s.end,
                    });
                }
            }
        }
        // Two rules can report the same or nested spans: keep the first.
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
    let secrets = out.len();
    for m in rampart_detect::pii::find(text) {
        if !out[..secrets]
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
    out.sort_by_key(|h| h.start);
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
mod tests {
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

//! Fast PII and secret matching for dataset cells.
//!
//! Datasets are scanned at hundreds of MB/s, so every detector sits behind a
//! byte-level prefilter (an `@` for e-mail, enough digits for numbers, a
//! literal prefix for secrets) and the regexes run only on cells that pass.
//! Numbers are validated (Luhn for cards, mod-97 for IBANs, SSN area rules).
//! Free-text names and addresses need a model and are the business of
//! `rampart-detect`'s PII engine, not of this column scanner.

use aho_corasick::AhoCorasick;
use once_cell::sync::Lazy;
use regex::Regex;
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

/// One match: kind and byte range in the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

static EMAIL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}",
    )
    .expect("static")
});
static PHONE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:\+\d{1,3}[\s.\-]?(?:\(?\d{1,4}\)?[\s.\-]?){2,4}\d{2,4}\b|\(?\b\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b)").expect("static")
});
static SSN: Lazy<Regex> = Lazy::new(|| Regex::new(r"\b(\d{3})-(\d{2})-(\d{4})\b").expect("static"));
static CARD: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\b[3-6]\d{3}(?:[ \-]?\d{4}){2}[ \-]?\d{1,7}\b").expect("static"));
static IBAN: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b").expect("static")
});
static IPV4: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
    )
    .expect("static")
});
static SECRET: Lazy<Regex> = Lazy::new(|| {
    Regex::new(concat!(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
        r"|\bgh[pousr]_[A-Za-z0-9]{36,}",
        r"|\bgithub_pat_[A-Za-z0-9_]{50,}",
        r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}",
        r"|\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        r"|\b[sr]k_live_[A-Za-z0-9]{20,}",
        r"|\bsk-ant-[A-Za-z0-9_\-]{20,}",
        r"|\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{32,}",
        r"|\bhf_[A-Za-z0-9]{30,}",
        r"|\bAIza[0-9A-Za-z_\-]{35}",
        r"|\bglpat-[A-Za-z0-9_\-]{20}",
    ))
    .expect("static")
});
static SECRET_PREFIX: Lazy<AhoCorasick> = Lazy::new(|| {
    AhoCorasick::new([
        "-----BEGIN",
        "AKIA",
        "ASIA",
        "gh",
        "xox",
        "eyJ",
        "k_live_",
        "sk-",
        "hf_",
        "AIza",
        "glpat-",
    ])
    .expect("static")
});

fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = (d - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn iban_ok(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
    if c.len() < 15 || c.len() > 34 {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in c[4..].iter().chain(c[..4].iter()) {
        let v = match b {
            b'0'..=b'9' => (b - b'0') as u32,
            b'A'..=b'Z' => (b - b'A') as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn overlaps(hits: &[Hit], s: usize, e: usize) -> bool {
    hits.iter().any(|h| s < h.end && h.start < e)
}

/// Find PII and secrets in one cell. Hits do not overlap.
pub fn find(text: &str, out: &mut Vec<Hit>) {
    out.clear();
    let b = text.as_bytes();
    if b.len() < 6 {
        return;
    }
    if SECRET_PREFIX.is_match(text) {
        for m in SECRET.find_iter(text) {
            out.push(Hit {
                kind: Kind::Secret,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    if memchr::memchr(b'@', b).is_some() {
        for m in EMAIL.find_iter(text) {
            if !overlaps(out, m.start(), m.end()) {
                out.push(Hit {
                    kind: Kind::Email,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digits >= 7 {
        if memchr::memchr(b'-', b).is_some() {
            for c in SSN.captures_iter(text) {
                let area = &c[1];
                if area == "000"
                    || area == "666"
                    || area.starts_with('9')
                    || &c[2] == "00"
                    || &c[3] == "0000"
                {
                    continue;
                }
                let m = c.get(0).expect("m");
                if !overlaps(out, m.start(), m.end()) {
                    out.push(Hit {
                        kind: Kind::Ssn,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        if digits >= 13 {
            for m in CARD.find_iter(text) {
                let ds: Vec<u8> = m.as_str().bytes().filter(u8::is_ascii_digit).collect();
                if (13..=19).contains(&ds.len()) && luhn(&ds) && !overlaps(out, m.start(), m.end())
                {
                    out.push(Hit {
                        kind: Kind::CreditCard,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
            for m in IBAN.find_iter(text) {
                if iban_ok(m.as_str()) && !overlaps(out, m.start(), m.end()) {
                    out.push(Hit {
                        kind: Kind::Iban,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
        for m in PHONE.find_iter(text) {
            let nd = m.as_str().bytes().filter(u8::is_ascii_digit).count();
            if (9..=15).contains(&nd) && !overlaps(out, m.start(), m.end()) {
                out.push(Hit {
                    kind: Kind::Phone,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        if memchr::memchr(b'.', b).is_some() {
            for m in IPV4.find_iter(text) {
                let s = m.as_str();
                // Skip version-like strings (1.2.3.4 inside "v1.2.3.4").
                let before = text[..m.start()].chars().next_back();
                if matches!(before, Some('v') | Some('V')) || s.starts_with("0.") {
                    continue;
                }
                if !overlaps(out, m.start(), m.end()) {
                    out.push(Hit {
                        kind: Kind::IpAddress,
                        start: m.start(),
                        end: m.end(),
                    });
                }
            }
        }
    }
    out.sort_by_key(|h| h.start);
}

/// Replace every hit with its placeholder.
pub fn redact(text: &str, hits: &[Hit]) -> String {
    let mut s = String::with_capacity(text.len());
    let mut last = 0;
    for h in hits {
        if h.start < last {
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
    fn detects_and_validates() {
        assert_eq!(kinds("mail jane.doe@example.org now"), [Kind::Email]);
        assert_eq!(kinds("card 4111 1111 1111 1111"), [Kind::CreditCard]);
        assert!(kinds("card 4111 1111 1111 1112").is_empty(), "Luhn fails");
        assert_eq!(kinds("ssn 123-45-6789"), [Kind::Ssn]);
        assert_eq!(kinds("call (555) 123-4567"), [Kind::Phone]);
        assert_eq!(kinds("iban GB82 WEST 1234 5698 7654 32"), [Kind::Iban]);
        assert_eq!(kinds("host 192.168.10.20"), [Kind::IpAddress]);
        assert_eq!(kinds("key AKIAIOSFODNN7EXAMPLE"), [Kind::Secret]);
        assert!(kinds("order 1234567890 shipped").is_empty());
        let mut h = Vec::new();
        find("write to a@b.co please", &mut h);
        assert_eq!(
            redact("write to a@b.co please", &h),
            "write to [EMAIL] please"
        );
    }
}

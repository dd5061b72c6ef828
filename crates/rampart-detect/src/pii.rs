//! PII detection and redaction: e-mail addresses, phone numbers (E.164 and
//! common national forms), payment cards (Luhn), IBANs (mod-97), US SSNs
//! (validity rules) and IPv4/IPv6 addresses.
//!
//! Each kind is a candidate regex followed by a validator (checksum, number
//! ranges, boundaries, context), so shape-alikes such as order numbers,
//! dates and version strings stay out. Matches never overlap: the kinds are
//! tried from the most specific (e-mail, IBAN, SSN, card) to the least
//! (phone).
//!
//! Redaction ([`redact`], [`Redactor`]) replaces each match by a mask
//! (`[EMAIL]`), a keyed hash (`[EMAIL:3f9a1c2b]`, HMAC-SHA-256 with a
//! per-process or caller-given key, so equal values stay linkable without
//! being reversible) or a token kept in a [`Vault`] (`[EMAIL_1]`), which
//! [`Vault::restore`] maps back, e.g. to un-redact a model's answer.

use once_cell::sync::Lazy;
use rampart_core::{Finding, Framework, Severity, Span};
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Kinds of personal data this module finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Phone,
    CreditCard,
    Iban,
    UsSsn,
    IpAddress,
}

impl PiiKind {
    pub const ALL: [PiiKind; 6] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::CreditCard,
        PiiKind::Iban,
        PiiKind::UsSsn,
        PiiKind::IpAddress,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::CreditCard => "credit_card",
            PiiKind::Iban => "iban",
            PiiKind::UsSsn => "us_ssn",
            PiiKind::IpAddress => "ip_address",
        }
    }
    /// Label used in redacted text, e.g. `[EMAIL]`.
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Email => "EMAIL",
            PiiKind::Phone => "PHONE",
            PiiKind::CreditCard => "CREDIT_CARD",
            PiiKind::Iban => "IBAN",
            PiiKind::UsSsn => "US_SSN",
            PiiKind::IpAddress => "IP_ADDRESS",
        }
    }
    fn rule_id(self) -> &'static str {
        match self {
            PiiKind::Email => "RAMP-PII-001",
            PiiKind::Phone => "RAMP-PII-002",
            PiiKind::CreditCard => "RAMP-PII-003",
            PiiKind::Iban => "RAMP-PII-004",
            PiiKind::UsSsn => "RAMP-PII-005",
            PiiKind::IpAddress => "RAMP-PII-006",
        }
    }
    fn severity(self) -> Severity {
        match self {
            PiiKind::CreditCard | PiiKind::UsSsn | PiiKind::Iban => Severity::High,
            PiiKind::Email | PiiKind::Phone => Severity::Medium,
            PiiKind::IpAddress => Severity::Low,
        }
    }
}

impl std::str::FromStr for PiiKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PiiKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown PII kind `{s}`: expected email, phone, credit_card, iban, us_ssn or ip_address")
            })
    }
}

/// One match: kind and byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiMatch {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
}

impl PiiMatch {
    pub fn span(&self) -> Span {
        Span::new(self.start, self.end)
    }
}

static EMAIL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}")
        .expect("static regex")
});
static CARD: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\d(?:[ \-]?\d){11,18}").expect("static regex"));
static IBAN: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)",
    )
    .expect("static regex")
});
static SSN: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}").expect("static regex"));
static IPV4: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")
        .expect("static regex")
});
static IPV6: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"[0-9A-Fa-f:]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*").expect("static regex"));
static PHONE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:\+\d{1,3}[ .\-]?)?(?:\(0\) ?)?(?:\(\d{1,4}\)[ .\-]?)?\d{1,12}(?:[ .\-]\d{1,8}){0,5}(?: ?(?:x|ext\.?) ?\d{1,5})?")
        .expect("static regex")
});
static PHONE_CTX_BEFORE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?i)(?:phone|call|tel|telephone|mobile|fax|desk|contact|reach|text|whatsapp|cell|answering|messages\s+to|registered|sms|dial|ring)\W{0,3}(?:\w+\W+){0,6}$")
        .expect("static regex")
});
static PHONE_CTX_AFTER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?i)^[\s\-,(]{1,3}(?:office|fax|mobile|cell|home|work|phone|tel)")
        .expect("static regex")
});
static DATE_LIKE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$|^\d{4}-\d{2}-\d{2}",
    )
    .expect("static regex")
});
static EXT: Lazy<Regex> = Lazy::new(|| Regex::new(r" ?(?:x|ext\.?) ?\d").expect("static regex"));

fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut x = (*d - b'0') as u32;
        if i % 2 == 1 {
            x *= 2;
            if x > 9 {
                x -= 9;
            }
        }
        sum += x;
    }
    sum.rem_euclid(10) == 0
}

fn iban_valid(s: &str) -> bool {
    let s: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&s.len()) {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in s[4..].iter().chain(s[..4].iter()) {
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

fn ssn_valid(digits: &[u8]) -> bool {
    // `\d` in the candidate regex also matches non-ASCII digits, which
    // `digits_of` drops: such a candidate is not a US SSN.
    if digits.len() != 9 {
        return false;
    }
    let n = |r: &[u8]| r.iter().fold(0u32, |a, d| a * 10 + (d - b'0') as u32);
    let (area, group, serial) = (n(&digits[..3]), n(&digits[3..5]), n(&digits[5..]));
    // Never-issued areas and the numbers published as examples.
    let never_issued = area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0;
    !never_issued
        && !matches!(
            (area, group, serial),
            (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789)
        )
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn bounded(t: &[u8], a: usize, b: usize) -> bool {
    let word_before = a > 0 && is_word(t[a - 1]);
    let word_after = b < t.len() && is_word(t[b]);
    !word_before && !word_after
}

struct Taken(Vec<(usize, usize)>);

impl Taken {
    fn free(&self, a: usize, b: usize) -> bool {
        self.0.iter().all(|&(x, y)| b <= x || a >= y)
    }
}

/// Which candidate regexes can match at all, from one look at the bytes.
/// Each flag is a necessary condition of its regex (a superset test), so
/// skipping a regex when its flag is false never loses a match; ordinary
/// prose with a few numbers in it then costs no regex scan.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Shapes {
    /// Two letters then two digits (IBAN country and check digits).
    iban: bool,
    /// `ddd-dd-dddd` or `ddd dd dddd`.
    ssn: bool,
    /// 12 or more digits in a run of digits, spaces and hyphens.
    card: bool,
    /// 3 or more dots in a run of digits and dots.
    ipv4: bool,
    /// 2 or more colons in a run of hex digits, colons and dots.
    ipv6: bool,
    /// 7 or more digits in a run of digits, spaces, dots, hyphens,
    /// parentheses and plus signs (the main part of a phone number).
    phone: bool,
}

/// Whether `c` can continue one of the runs [`Shapes`] counts (card,
/// IPv4, IPv6 and phone runs); any other byte restarts every count.
fn continues_a_run(c: u8) -> bool {
    c.is_ascii_hexdigit() || matches!(c, b' ' | b'-' | b'.' | b'(' | b')' | b'+' | b':')
}

impl Shapes {
    /// Every flag set to `v`.
    fn uniform(v: bool) -> Shapes {
        Shapes {
            iban: v,
            ssn: v,
            card: v,
            ipv4: v,
            ipv6: v,
            phone: v,
        }
    }

    fn of(t: &[u8]) -> Shapes {
        // The regexes' `\d` also matches non-ASCII digits; the byte tests
        // below only see ASCII, so other text goes to every regex.
        let any = !t.is_ascii();
        let mut s = Shapes::uniform(any);
        if any {
            return s;
        }
        // Every flag is set at a digit or a colon, inside a run of bytes
        // that continue a count, and every count restarts at a byte that
        // continues none: only such runs that hold a digit or a colon need
        // the byte-by-byte scan, each from zeroed counts. Prose between
        // them (most of a dataset's text) is skipped in a tight loop.
        let mut i = 0;
        // Digits and `:` are the bytes 0x30..=0x3a.
        while let Some(k) = next_in_range(t, i, b'0', b':') {
            let mut a = k;
            while a > i && continues_a_run(t[a - 1]) {
                a -= 1;
            }
            let mut b = k;
            while b < t.len() && continues_a_run(t[b]) {
                b += 1;
            }
            s.scan(t, a, b);
            if b >= t.len() {
                break;
            }
            i = b;
        }
        s
    }

    /// The byte-by-byte scan of `t[a..b]`, counts starting at zero.
    fn scan(&mut self, t: &[u8], a: usize, b: usize) {
        let s = self;
        let (mut card, mut v4_dots, mut v4_digits, mut v6, mut phone) = (0, 0, 0, 0, 0);
        for (i, &c) in t.iter().enumerate().take(b).skip(a) {
            let d = c.is_ascii_digit();
            if d && i >= 2 && t[i - 2].is_ascii_alphabetic() && t[i - 1].is_ascii_alphabetic() {
                s.iban |= t.get(i + 1).is_some_and(u8::is_ascii_digit);
            }
            if d && !s.ssn && i + 11 <= t.len() {
                let w = &t[i..i + 11];
                s.ssn = (w[3] == b'-' || w[3] == b' ')
                    && w[6] == w[3]
                    && [0, 1, 2, 4, 5, 7, 8, 9, 10]
                        .iter()
                        .all(|&k| w[k].is_ascii_digit());
            }
            card = if d {
                card + 1
            } else if c == b' ' || c == b'-' {
                card
            } else {
                0
            };
            s.card |= card >= 12;
            if d || c == b'.' {
                v4_dots += (c == b'.') as u32;
                v4_digits += d as u32;
                s.ipv4 |= v4_dots >= 3 && v4_digits >= 4;
            } else {
                (v4_dots, v4_digits) = (0, 0);
            }
            if c.is_ascii_hexdigit() || c == b'.' || c == b':' {
                v6 += (c == b':') as u32;
                s.ipv6 |= v6 >= 2;
            } else {
                v6 = 0;
            }
            phone = if d {
                phone + 1
            } else if matches!(c, b' ' | b'.' | b'-' | b'(' | b')' | b'+') {
                phone
            } else {
                0
            };
            s.phone |= phone >= 7;
        }
    }

    /// [`Shapes::of`] as one byte-by-byte scan of the whole text: the
    /// specification the skipping scan is tested against.
    #[cfg(test)]
    fn of_bytewise(t: &[u8]) -> Shapes {
        let any = !t.is_ascii();
        let mut s = Shapes::uniform(any);
        if !any {
            s.scan(t, 0, t.len());
        }
        s
    }
}

fn digits_of(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).collect()
}

/// Whether [`find`] can find anything in `text`: every kind but e-mail
/// needs an ASCII digit (the candidate regexes' `\d` also matches other
/// digits, but [`find`] only runs them on text with an ASCII one) and
/// e-mail needs an `@`. A superset test: false means no match for certain.
/// Callers scanning many short texts (dataset cells) use it to skip them.
pub fn may_contain(text: &str) -> bool {
    let t = text.as_bytes();
    memchr::memchr(b'@', t).is_some() || next_in_range(t, 0, b'0', b'9').is_some()
}

/// The first index at or after `from` of a byte in `lo..=hi`. Whole
/// 32-byte blocks are tested with a branch-free fold, which the compiler
/// turns into vector code: dataset cells are mostly letters, and this is
/// the loop that skips them.
fn next_in_range(t: &[u8], from: usize, lo: u8, hi: u8) -> Option<usize> {
    let hit = |c: u8| c.wrapping_sub(lo) <= hi - lo;
    let mut i = from;
    while i + 32 <= t.len() {
        let block = &t[i..i + 32];
        if block.iter().fold(false, |a, &c| a | hit(c)) {
            return block.iter().position(|&c| hit(c)).map(|k| i + k);
        }
        i += 32;
    }
    t[i.min(t.len())..]
        .iter()
        .position(|&c| hit(c))
        .map(|k| i + k)
}

/// Find PII in `text`; matches are sorted by start and never overlap.
pub fn find(text: &str) -> Vec<PiiMatch> {
    if !may_contain(text) {
        return Vec::new();
    }
    find_with(text, Shapes::of(text.as_bytes()))
}

fn find_with(text: &str, shapes: Shapes) -> Vec<PiiMatch> {
    let t = text.as_bytes();
    let mut out = Vec::new();
    let mut taken = Taken(Vec::new());
    let add = |out: &mut Vec<PiiMatch>, taken: &mut Taken, kind, a, b| {
        out.push(PiiMatch {
            kind,
            start: a,
            end: b,
        });
        taken.0.push((a, b));
    };
    let has_at = memchr::memchr(b'@', t).is_some();
    let has_digit = next_in_range(t, 0, b'0', b'9').is_some();
    if has_at {
        for m in EMAIL.find_iter(text) {
            add(&mut out, &mut taken, PiiKind::Email, m.start(), m.end());
        }
    }
    if !has_digit {
        out.sort_by_key(|m| m.start);
        return out;
    }
    for m in shapes
        .iban
        .then(|| IBAN.find_iter(text))
        .into_iter()
        .flatten()
    {
        let (a, b) = (m.start(), m.end());
        if bounded(t, a, b) && taken.free(a, b) && iban_valid(m.as_str()) {
            add(&mut out, &mut taken, PiiKind::Iban, a, b);
        }
    }
    for m in shapes
        .ssn
        .then(|| SSN.find_iter(text))
        .into_iter()
        .flatten()
    {
        let (a, b) = (m.start(), m.end());
        if bounded(t, a, b) && taken.free(a, b) && ssn_valid(&digits_of(m.as_str())) {
            add(&mut out, &mut taken, PiiKind::UsSsn, a, b);
        }
    }
    for m in shapes
        .card
        .then(|| CARD.find_iter(text))
        .into_iter()
        .flatten()
    {
        let (a, b) = (m.start(), m.end());
        if !bounded(t, a, b) || !taken.free(a, b) {
            continue;
        }
        let s = m.as_str();
        let ds = digits_of(s);
        if s.contains([' ', '-']) {
            let groups: Vec<usize> = s.split([' ', '-']).map(str::len).collect();
            let fours = groups[..groups.len() - 1].iter().all(|g| *g == 4);
            if !(fours || groups == [4, 6, 5] || groups == [4, 6, 4]) {
                continue;
            }
        }
        if (12..=19).contains(&ds.len()) && matches!(ds[0], b'1'..=b'6') && luhn(&ds) {
            add(&mut out, &mut taken, PiiKind::CreditCard, a, b);
        }
    }
    if shapes.ipv4 {
        for m in IPV4.find_iter(text) {
            let (a, b) = (m.start(), m.end());
            if !taken.free(a, b)
                || (a > 0 && (t[a - 1].is_ascii_alphanumeric() || t[a - 1] == b'.'))
            {
                continue;
            }
            if b < t.len()
                && (t[b].is_ascii_alphanumeric()
                    || (t[b] == b'.' && t.get(b + 1).is_some_and(u8::is_ascii_digit)))
            {
                continue;
            }
            add(&mut out, &mut taken, PiiKind::IpAddress, a, b);
        }
    }
    if shapes.ipv6 {
        for m in IPV6.find_iter(text) {
            let s = m.as_str().trim_end_matches('.');
            let (a, b) = (m.start(), m.start() + s.len());
            if s.bytes().filter(|c| *c == b':').count() >= 2
                && s.len() >= 3
                && bounded(t, a, b)
                && taken.free(a, b)
                && s.parse::<std::net::Ipv6Addr>().is_ok()
                && s != "::"
            {
                add(&mut out, &mut taken, PiiKind::IpAddress, a, b);
            }
        }
    }
    for m in shapes
        .phone
        .then(|| PHONE.find_iter(text))
        .into_iter()
        .flatten()
    {
        let (a, b) = (m.start(), m.end());
        if !taken.free(a, b) {
            continue;
        }
        // Fewer than 7 digits in the whole match: fewer in its main part.
        if m.as_str().bytes().filter(u8::is_ascii_digit).count() < 7 {
            continue;
        }
        if a > 0 && (t[a - 1].is_ascii_alphanumeric() || b".-/+_".contains(&t[a - 1])) {
            continue;
        }
        if b < t.len()
            && ((t[b].is_ascii_alphanumeric() && t[b] != b'x')
                || t[b] == b'_'
                || t[b] == b'/'
                || ((t[b] == b'.' || t[b] == b'-') && t.get(b + 1).is_some_and(u8::is_ascii_digit)))
        {
            continue;
        }
        let s = m.as_str();
        let main = match EXT.find(s) {
            Some(e) => &s[..e.start()],
            None => s,
        };
        let ds = digits_of(main);
        if !(7..=15).contains(&ds.len()) || DATE_LIKE.is_match(main) || SSN.is_match(main) {
            continue;
        }
        let group_lens: Vec<usize> = main
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .map(str::len)
            .collect();
        let groups = group_lens.len();
        // Card- and account-shaped runs of 4-digit groups are not phones.
        if group_lens.iter().filter(|g| **g == 4).count() >= 3 && !s.starts_with('+') {
            continue;
        }
        let before = &text[floor(text, a.saturating_sub(60))..a];
        let after = &text[b..floor(text, (b + 16).min(text.len()))];
        let ctx_after = PHONE_CTX_AFTER.is_match(after);
        let ctx = ctx_after || PHONE_CTX_BEFORE.is_match(before);
        let intl = s.starts_with('+') || s.starts_with('(');
        let strong = intl || groups >= 3 || (ds[0] == b'0' && groups >= 2);
        // `03262 2437 Main St`: a house number, not a phone.
        let street_follows = after.len() > 2
            && after.as_bytes()[0] == b' '
            && after.as_bytes()[1].is_ascii_uppercase()
            && after.as_bytes()[2].is_ascii_lowercase();
        if !(ctx || (strong && (intl || !street_follows))) {
            continue;
        }
        add(&mut out, &mut taken, PiiKind::Phone, a, b);
    }
    out.sort_by_key(|m| m.start);
    out
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

// ---------------------------------------------------------------------------
// Redaction

/// Redaction modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactMode {
    /// `[EMAIL]`
    Mask,
    /// `[EMAIL:3f9a1c2b]`: keyed hash, stable for one key.
    Hash,
    /// `[EMAIL_1]`: reversible through the [`Vault`].
    Token,
}

impl std::str::FromStr for RedactMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mask" => Ok(RedactMode::Mask),
            "hash" => Ok(RedactMode::Hash),
            "token" => Ok(RedactMode::Token),
            o => Err(format!(
                "unknown redaction mode `{o}`: expected mask, hash or token"
            )),
        }
    }
}

/// Token <-> original values for reversible redaction. Serialisable so a
/// gateway can keep it per conversation; it holds raw PII, so store it as
/// carefully as the data itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vault {
    tokens: BTreeMap<String, String>,
    #[serde(skip)]
    by_value: BTreeMap<String, String>,
    counters: BTreeMap<String, u32>,
}

impl Vault {
    pub fn new() -> Self {
        Self::default()
    }
    /// The token for `value` of `kind`, minting one on first sight.
    pub fn tokenize(&mut self, kind: PiiKind, value: &str) -> String {
        if self.by_value.is_empty() && !self.tokens.is_empty() {
            self.by_value = self
                .tokens
                .iter()
                .map(|(t, v)| (v.clone(), t.clone()))
                .collect();
        }
        if let Some(t) = self.by_value.get(value) {
            return t.clone();
        }
        let n = self.counters.entry(kind.label().to_string()).or_insert(0);
        *n += 1;
        let tok = format!("[{}_{}]", kind.label(), n);
        self.tokens.insert(tok.clone(), value.to_string());
        self.by_value.insert(value.to_string(), tok.clone());
        tok
    }
    /// The original value of a token.
    pub fn lookup(&self, token: &str) -> Option<&str> {
        self.tokens.get(token).map(String::as_str)
    }
    /// Replace every known token in `text` by its original value.
    pub fn restore(&self, text: &str) -> String {
        static TOK: Lazy<Regex> =
            Lazy::new(|| Regex::new(r"\[[A-Z_]+_\d+\]").expect("static regex"));
        TOK.replace_all(text, |c: &regex::Captures<'_>| {
            let t = &c[0];
            self.lookup(t).unwrap_or(t).to_string()
        })
        .into_owned()
    }
    pub fn len(&self) -> usize {
        self.tokens.len()
    }
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Redacts text with a mode, a hash key and (for tokens) a vault.
pub struct Redactor {
    pub mode: RedactMode,
    key: [u8; 32],
    pub vault: Vault,
}

impl Redactor {
    /// A redactor with a random per-process hash key.
    pub fn new(mode: RedactMode) -> Self {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Redactor {
            mode,
            key,
            vault: Vault::new(),
        }
    }
    /// A redactor whose hashes are stable across runs for the same key.
    pub fn with_key(mode: RedactMode, key: &[u8]) -> Self {
        let mut k = [0u8; 32];
        if key.len() > 32 {
            k.copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        Redactor {
            mode,
            key: k,
            vault: Vault::new(),
        }
    }
    fn hmac(&self, value: &str) -> String {
        // HMAC-SHA-256 (RFC 2104) with a 32-byte key.
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in self.key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let inner = Sha256::new()
            .chain_update(ipad)
            .chain_update(value.as_bytes())
            .finalize();
        let outer = Sha256::new()
            .chain_update(opad)
            .chain_update(inner)
            .finalize();
        outer[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
    /// The replacement for one value.
    pub fn replacement(&mut self, kind: PiiKind, value: &str) -> String {
        match self.mode {
            RedactMode::Mask => format!("[{}]", kind.label()),
            RedactMode::Hash => format!("[{}:{}]", kind.label(), self.hmac(value)),
            RedactMode::Token => self.vault.tokenize(kind, value),
        }
    }
    /// Redact every match of [`find`] in `text`.
    pub fn redact(&mut self, text: &str) -> String {
        let ms = find(text);
        self.redact_matches(text, &ms)
    }
    /// Redact the given (sorted, non-overlapping) matches.
    pub fn redact_matches(&mut self, text: &str, ms: &[PiiMatch]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in ms {
            if m.start < last || m.end > text.len() {
                continue;
            }
            out.push_str(&text[last..m.start]);
            let r = self.replacement(m.kind, &text[m.start..m.end]);
            out.push_str(&r);
            last = m.end;
        }
        out.push_str(&text[last..]);
        out
    }
}

/// Redact `text` with a fresh [`Redactor`] (random hash key; tokens are
/// discarded: use a [`Redactor`] to keep the vault).
pub fn redact(text: &str, mode: RedactMode) -> String {
    Redactor::new(mode).redact(text)
}

/// Findings for PII in `text` (evidence masked).
pub fn findings(text: &str) -> Vec<Finding> {
    find(text)
        .into_iter()
        .map(|m| {
            let v = &text[m.start..m.end];
            Finding::new(
                m.kind.rule_id(),
                "pii",
                m.kind.severity(),
                format!("personal data: {}", m.kind.as_str().replace('_', " ")),
            )
            .with_category(m.kind.as_str())
            .with_span(m.span())
            .with_evidence(rampart_core::redact::mask(v))
            .with_confidence(0.9)
            .with_frameworks([
                (Framework::OwaspLlm, "LLM02"),
                (Framework::MitreAtlas, "AML.T0057"),
                (Framework::NistAi600, "PRIVACY"),
                (Framework::NistAiRmf, "MEASURE 2.10"),
                (Framework::GoogleSaif, "SDD"),
            ])
        })
        .collect()
}

/// The engine detector for PII. Score `pii`: 1 when any PII is present
/// (informational: it drives redaction, not blocking).
pub struct PiiDetector;

impl crate::Detector for PiiDetector {
    fn name(&self) -> &'static str {
        "pii"
    }
    fn detect(
        &self,
        input: &crate::DetectInput<'_>,
        out: &mut Vec<Finding>,
        scores: &mut BTreeMap<String, f32>,
    ) {
        let f = findings(input.raw);
        scores.insert("pii".into(), if f.is_empty() { 0.0 } else { 1.0 });
        out.extend(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<(PiiKind, String)> {
        find(t)
            .into_iter()
            .map(|m| (m.kind, t[m.start..m.end].to_string()))
            .collect()
    }

    #[test]
    fn skipping_shape_scan_equals_the_bytewise_scan() {
        // Letters on both sides of `f` (hex digits continue an IPv6 run,
        // later letters end every run) and each byte a count looks at.
        let mut alphabet: Vec<&str> = "0123456789 .-:()+xGBabfgz_@,\n"
            .split("")
            .filter(|c| !c.is_empty())
            .collect();
        alphabet.extend([
            "219-45-6781",
            "4111 1111 1111",
            "10.0.0.",
            "fe80::",
            "GB82",
            "555 0132",
        ]);
        let mut seed: u64 = 0x0DDB_1A5E_5BAD_5EED;
        let mut texts: Vec<String> = vec![
            "ab12 3456 7890 1234 5678 card, ssn 219-45-6781; 10.0.0.1 fe80::1 +1 (415) 555-0132"
                .into(),
            "Order 77155 shipped 2024-05-12 to deadbeef:cafe::1 and GB82WEST12345698765432".into(),
        ];
        for n in 0..20_000 {
            let mut t = String::new();
            for _ in 0..(n % 80) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            texts.push(t);
        }
        let mut set = [0usize; 6];
        for t in &texts {
            let (fast, slow) = (Shapes::of(t.as_bytes()), Shapes::of_bytewise(t.as_bytes()));
            assert_eq!(fast, slow, "{t:?}");
            for (n, f) in set.iter_mut().zip([
                fast.iban, fast.ssn, fast.card, fast.ipv4, fast.ipv6, fast.phone,
            ]) {
                *n += f as usize;
            }
        }
        assert!(
            set.iter().all(|n| *n > 20),
            "every flag is exercised: {set:?}"
        );
    }

    #[test]
    fn next_in_range_finds_the_first_byte_of_the_range() {
        let text: Vec<u8> = (0..200u32)
            .map(|i| b"ab:9 x0."[(i * 7 % 8) as usize])
            .collect();
        for len in [0, 1, 31, 32, 33, 64, 100, 200] {
            for cut in [0, 5, 40, 90] {
                let t = &text[..len];
                for (lo, hi) in [(b'0', b'9'), (b'0', b':'), (b'x', b'x')] {
                    let want = t
                        .iter()
                        .enumerate()
                        .skip(cut)
                        .find(|(_, c)| (lo..=hi).contains(*c))
                        .map(|(i, _)| i);
                    assert_eq!(next_in_range(t, cut, lo, hi), want, "{len} {cut}");
                }
            }
        }
    }

    #[test]
    fn may_contain_loses_no_match() {
        let all = || Shapes::uniform(true);
        // Non-ASCII digits (Arabic-Indic, fullwidth) and letters only.
        for t in [
            "call ٠١٢٣٤٥٦٧٨٩ now",
            "card ４１１１ １１１１ １１１１ １１１１",
            "no numbers here at all",
            "",
            "mail jane.doe＠example.com",
        ] {
            assert!(!may_contain(t));
            assert!(find_with(t, all()).is_empty(), "{t}");
        }
        assert!(may_contain("a@b.co") && may_contain("x 1"));
    }

    #[test]
    fn shape_precheck_loses_no_match() {
        let all = || Shapes::uniform(true);
        let alphabet = b"0123456789 .-:()+xGBab@\n";
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut texts: Vec<String> = vec![
            "Mail jane.doe@example.com or call +1 415-555-0132. Card 4111 1111 1111 1111, \
             IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6780, host 10.0.0.12 and 2001:db8::ff00:42:8329."
                .into(),
            "call (020) 7946 0958 ext 12 or 020-7946-0958, fax 0049 30 1234567".into(),
        ];
        for n in 0..3000 {
            let mut t = String::new();
            for _ in 0..(n % 60) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push(alphabet[(seed % alphabet.len() as u64) as usize] as char);
            }
            texts.push(t);
        }
        for t in texts {
            assert_eq!(find(&t), find_with(&t, all()), "{t:?}");
        }
    }

    #[test]
    fn non_ascii_digits_do_not_panic() {
        for t in [
            "٣٣٣-٣٣-٣٣٣٣",
            "١٢٣ ٤٥ ٦٧٨٩ and 123-45-6780",
            "４１１１ １１１１ １１１１ １１１１",
        ] {
            let _ = find(t);
        }
        assert!(kinds("٣٣٣-٣٣-٣٣٣٣").is_empty());
    }

    #[test]
    fn finds_each_kind() {
        let t = "Mail jane.doe@example.com or call +1 415-555-0132. Card 4111 1111 1111 1111, \
                 IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6780, host 10.0.0.12 and 2001:db8::ff00:42:8329.";
        let k = kinds(t);
        assert!(
            k.contains(&(PiiKind::Email, "jane.doe@example.com".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&(PiiKind::Phone, "+1 415-555-0132".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&(PiiKind::CreditCard, "4111 1111 1111 1111".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&(PiiKind::Iban, "GB82 WEST 1234 5698 7654 32".into())),
            "{k:?}"
        );
        assert!(k.contains(&(PiiKind::UsSsn, "123-45-6780".into())), "{k:?}");
        assert!(
            k.contains(&(PiiKind::IpAddress, "10.0.0.12".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&(PiiKind::IpAddress, "2001:db8::ff00:42:8329".into())),
            "{k:?}"
        );
    }

    #[test]
    fn validators_reject_lookalikes() {
        // Luhn fails, SSN area 900+, IBAN checksum wrong, version string, date, time.
        let t = "order 4111 1111 1111 1112, id 912-45-6789, GB82 WEST 1234 5698 7654 33, v1.2.3.4.5, on 2023-04-05 at 12:30:45";
        assert!(find(t).is_empty(), "{:?}", kinds(t));
    }

    #[test]
    fn redaction_modes() {
        let t = "write to a@b.co and a@b.co, or bob@x.org";
        assert_eq!(
            redact(t, RedactMode::Mask),
            "write to [EMAIL] and [EMAIL], or [EMAIL]"
        );
        let mut r = Redactor::with_key(RedactMode::Hash, b"k");
        let h = r.redact(t);
        assert!(!h.contains("a@b.co"));
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts[2], parts[4].trim_end_matches(','));
        let mut r = Redactor::new(RedactMode::Token);
        let tok = r.redact(t);
        assert_eq!(tok, "write to [EMAIL_1] and [EMAIL_1], or [EMAIL_2]");
        assert_eq!(r.vault.restore(&tok), t);
        let json = serde_json::to_string(&r.vault).unwrap();
        let back: Vault = serde_json::from_str(&json).unwrap();
        assert_eq!(back.restore("[EMAIL_2]"), "bob@x.org");
    }

    #[test]
    fn evidence_is_masked() {
        let f = findings("ssn 123-45-6780");
        assert_eq!(f.len(), 1);
        assert!(!f[0].evidence.as_deref().unwrap().contains("6780"));
    }
}

//! RWKV "world" vocabularies: one token per line, `index literal length`
//! (`257 b'\xa1' 1`, `33 '"' 1`), which the reference tokenizer and its
//! ports (BlinkDL's `rwkv_tokenizer.py`, keras-hub's `RWKVTokenizer`, the
//! remote-code tokenizers of RWKV repositories on the Hub) read with
//! `eval` on the middle of each line. A line whose middle is an expression
//! instead of a string or bytes literal runs when the tokenizer loads
//! (keras-hub PR 2715, 2026).

use crate::engine::Out;
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};

/// Lines of the head that decide whether a text is an RWKV vocabulary.
const HEAD_LINES: usize = 64;

/// Lines whose token opens like a literal needed in the head: a numbered
/// list (`1 apples 3`) has none, a vocabulary has one on every line.
const MIN_LITERAL_LINES: usize = 3;

/// Most findings for one file.
const MAX_FINDINGS: usize = 8;

/// The middle of a line as the tokenizer cuts it (between the first and
/// the last space, after an integer index), or `None` when the line is
/// not of that shape: the tokenizer fails on it before `eval`.
fn middle(line: &str) -> Option<&str> {
    let first = line.find(' ')?;
    if !python_int(&line[..first]) {
        return None;
    }
    let last = line.rfind(' ')?;
    (last > first).then(|| line[first..last].trim())
}

/// Whether Python's `int()` reads `s`: surrounding whitespace, a sign,
/// digits (any script's) with single underscores between them.
fn python_int(s: &str) -> bool {
    let s = s.trim();
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars().all(|c| c == '_' || c.is_numeric())
}

/// Whether `s` is one Python string or bytes literal, prefix included
/// (`'a'`, `b'\xa1'`, `"'"`), and nothing else.
fn is_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && i < 2 && matches!(b[i], b'b' | b'B' | b'r' | b'R' | b'u' | b'U') {
        i += 1;
    }
    let Some(&q) = b.get(i) else {
        return false;
    };
    if q != b'\'' && q != b'"' {
        return false;
    }
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == q => return i + 1 == b.len(),
            _ => i += 1,
        }
    }
    false
}

/// Whether `s` opens like a string or bytes literal (a prefix of at most
/// two letters, then a quote): the mark of a vocabulary line, whatever
/// follows.
fn opens_literal(s: &str) -> bool {
    let t = s.trim_start_matches(['b', 'B', 'r', 'R', 'u', 'U']);
    t.len() + 2 >= s.len() && t.starts_with(['\'', '"'])
}

/// Whether a file name is one an RWKV tokenizer reads its vocabulary from:
/// `rwkv_vocab_v20230424.txt` (the reference), `vocabulary.txt`
/// (keras-hub's asset), `vocab.txt`.
fn vocabulary_name(name: &str) -> bool {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    (base.starts_with("rwkv") && base.ends_with(".txt"))
        || base == "vocabulary.txt"
        || base == "vocab.txt"
}

/// The lines of `lines` (1-based numbers) whose token `eval` would run as
/// code: an index Python's `int()` reads, then a middle that is not one
/// string or bytes literal.
pub(crate) fn expression_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
    most: usize,
) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in lines.enumerate() {
        let Some(m) = middle(line) else {
            continue;
        };
        if m.is_empty() || is_literal(m) {
            continue;
        }
        found.push((n + 1, m.to_string()));
        if found.len() >= most {
            break;
        }
    }
    found
}

/// The finding for the expression `m` at line `n` of `name` (`what` says
/// where the lines were read: a file, a config's vocabulary list).
pub(crate) fn finding(name: &str, what: &str, n: usize, m: &str) -> rampart_core::Finding {
    let shown = sanitize_for_display(&truncate(m, 120));
    rules::RWKV_VOCAB_EVAL
        .finding(
            name,
            format!(
                "{what} line {n}: the token is the expression {shown:?}, not a string or bytes literal; RWKV tokenizers eval() it when they load"
            ),
        )
        .with_evidence(shown)
}

/// Report the lines of an RWKV vocabulary that `eval` would run as code;
/// `cut` says `t` is only the first part of the file.
pub(crate) fn scan(name: &str, t: &str, cut: bool, out: &mut Out) {
    // Python's text mode splits lines at `\n`, `\r` and `\r\n`.
    let t = if t.contains("\r\n") {
        std::borrow::Cow::Owned(t.replace("\r\n", "\n"))
    } else {
        std::borrow::Cow::Borrowed(t)
    };
    let lines = || t.split(['\n', '\r']);
    let head = lines().filter(|l| !l.trim().is_empty()).take(HEAD_LINES);
    let literal = head
        .filter(|l| middle(l).is_some_and(opens_literal))
        .take(MIN_LITERAL_LINES)
        .count();
    if !vocabulary_name(name) && literal < MIN_LITERAL_LINES {
        return;
    }
    for (n, m) in expression_lines(lines(), MAX_FINDINGS) {
        out.add(finding(name, "vocabulary", n, &m));
    }
    if cut && literal > 0 {
        out.add(rules::RWKV_VOCAB_EVAL.finding_sev(
            rampart_core::Severity::High,
            name,
            "RWKV vocabulary longer than the scanner reads of a text file (8 MiB by default): the lines past that were not checked, and the tokenizer eval()s every line",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_told_from_expressions() {
        for ok in [
            r"'a'",
            r#"b'\xa1'"#,
            r#"'"'"#,
            r#""'""#,
            r"'\''",
            r"b'\\'",
            r"' '",
        ] {
            assert!(is_literal(ok), "{ok}");
        }
        for bad in [
            "__import__('os').system('id')",
            "'a' + open('/etc/passwd').read()",
            "'a'.join(x)",
            "apples",
            "'unterminated",
            "b'x'[0]",
            "",
        ] {
            assert!(!is_literal(bad), "{bad}");
        }
        assert_eq!(middle("257 b'\\xa1' 1"), Some("b'\\xa1'"));
        assert_eq!(middle("33 ' ' 1"), Some("' '"));
        assert_eq!(middle("x 'a' 1"), None);
        assert_eq!(middle("12 'a'"), None);
        // What int() reads, the tokenizer reads.
        assert_eq!(middle("+1_0 x() 1"), Some("x()"));
        assert_eq!(middle("\t7 x() 1"), Some("x()"));
        assert_eq!(middle("1__0 x() 1"), None);
        // Lines that open like literals count towards the gate, whatever
        // follows (a triple-quoted token is a literal to Python, not to
        // `is_literal`).
        for l in ["'a'", r"b'\xa1'", "'''t001'''", "rb'x'"] {
            assert!(opens_literal(l), "{l}");
        }
        for l in ["apples", "('t')", "__import__('os')", "bbb'x'"] {
            assert!(!opens_literal(l), "{l}");
        }
        assert!(vocabulary_name("m.keras!assets/tokenizer/vocabulary.txt"));
        assert!(!vocabulary_name("notes.txt"));
    }
}

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

/// Literal lines needed in the head: a numbered list (`1 apples 3`) has
/// none, a vocabulary has one on every line.
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

/// Report the lines of an RWKV vocabulary that `eval` would run as code.
pub(crate) fn scan(name: &str, t: &str, out: &mut Out) {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    let named = base.starts_with("rwkv") && base.ends_with(".txt");
    // Python's text mode splits lines at `\n`, `\r` and `\r\n`.
    let t = if t.contains("\r\n") {
        std::borrow::Cow::Owned(t.replace("\r\n", "\n"))
    } else {
        std::borrow::Cow::Borrowed(t)
    };
    let lines = || t.split(['\n', '\r']);
    let head = lines().filter(|l| !l.trim().is_empty()).take(HEAD_LINES);
    let literal = head
        .filter(|l| middle(l).is_some_and(is_literal))
        .take(MIN_LITERAL_LINES)
        .count();
    if !named && literal < MIN_LITERAL_LINES {
        return;
    }
    let mut found = 0;
    for (n, line) in lines().enumerate() {
        let Some(m) = middle(line) else {
            continue;
        };
        if m.is_empty() || is_literal(m) {
            continue;
        }
        let shown = sanitize_for_display(&truncate(m, 120));
        out.add(
            rules::RWKV_VOCAB_EVAL
                .finding(
                    name,
                    format!(
                        "line {}: the token is the expression {shown:?}, not a string or bytes literal; RWKV tokenizers eval() it when they load",
                        n + 1
                    ),
                )
                .with_evidence(shown),
        );
        found += 1;
        if found >= MAX_FINDINGS {
            break;
        }
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
    }
}

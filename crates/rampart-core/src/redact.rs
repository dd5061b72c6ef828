//! Keeping secret and personal values out of evidence, logs and events.
//!
//! Evidence shows enough to locate a value (its shape and a short prefix for
//! long values) but never enough to reuse it.

/// Mask a sensitive value for display: keep up to 4 leading characters of a
/// value of 12 or more characters, and replace the rest with `*` (capped at
/// 8 stars so the length is not revealed exactly).
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n >= 12 {
        let head: String = value.chars().take(4).collect();
        format!("{head}********")
    } else {
        "*".repeat(n.clamp(1, 8))
    }
}

/// Keep at most `max` characters of free text for evidence, cut on a char
/// boundary and marked with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

/// Replace control characters (other than space) so evidence cannot inject
/// terminal escapes or fake log lines.
pub fn sanitize_for_display(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != ' ' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_and_short_values() {
        assert_eq!(mask("sk-abcdefghijklmnop"), "sk-a********");
        assert_eq!(mask("abc"), "***");
        assert!(!mask("AKIAIOSFODNN7EXAMPLE").contains("IOSFODNN7"));
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo wörld", 5), "héllo…");
        assert_eq!(truncate("short", 10), "short");
    }

    #[test]
    fn strips_control_chars() {
        assert_eq!(
            sanitize_for_display("a\x1b[31mb\nc"),
            "a\u{FFFD}[31mb\u{FFFD}c"
        );
    }
}

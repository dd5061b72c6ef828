//! The hook between the engine and the learned injection classifier.
//!
//! The classifier itself (hashed word and character n-gram linear model,
//! trained in Rust, weights embedded) lives in `rampart_ml`; this module is
//! the one place that calls it, so the engine keeps working, on rules
//! alone, when no model is available. It also owns windowing: long inputs
//! are scored in overlapping windows and the highest window wins, so an
//! injection buried in a long document is not diluted, and nothing is
//! truncated.

/// Window length in bytes (rounded to char boundaries).
pub const WINDOW: usize = 1024;
/// Step between window starts: windows overlap by half.
pub const STEP: usize = 512;

/// The injection probability of a text, if a model is available. The
/// shipped model (`rampart_ml::models::injection`) windows long inputs
/// itself (overlapping windows, maximum), so this takes any length.
pub fn injection_probability(text: &str) -> Option<f32> {
    Some(rampart_ml::models::injection().score(text))
}

/// Whether a learned injection model is available in this build.
pub fn available() -> bool {
    injection_probability("hello").is_some()
}

/// Score `text` in overlapping windows with `f` and return the maximum and
/// the byte range of the best window.
pub fn windowed_max(text: &str, f: impl Fn(&str) -> Option<f32>) -> Option<(f32, usize, usize)> {
    if text.len() <= WINDOW + STEP / 2 {
        return f(text).map(|p| (p, 0, text.len()));
    }
    let mut best: Option<(f32, usize, usize)> = None;
    let mut start = 0;
    loop {
        let s = floor_boundary(text, start);
        let e = floor_boundary(text, (s + WINDOW).min(text.len()));
        // Start windows on a word boundary where one is near.
        let s2 = text[s..e]
            .find(char::is_whitespace)
            .filter(|&k| k < 64 && s > 0)
            .map(|k| s + k + 1)
            .unwrap_or(s);
        let s2 = floor_boundary(text, s2);
        if let Some(p) = f(&text[s2..e]) {
            if best.is_none_or(|b| p > b.0) {
                best = Some((p, s2, e));
            }
        }
        if e >= text.len() {
            break;
        }
        start = s + STEP;
    }
    best
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_whole_text() {
        let mut t = "a ".repeat(3000);
        t.push_str("NEEDLE");
        let (p, s, e) =
            windowed_max(&t, |w| Some(if w.contains("NEEDLE") { 1.0 } else { 0.0 })).unwrap();
        assert_eq!(p, 1.0);
        assert!(t[s..e].contains("NEEDLE"));
    }

    #[test]
    fn windows_respect_char_boundaries() {
        let t = "é".repeat(2000);
        let r = windowed_max(&t, |w| Some(w.len() as f32));
        assert!(r.is_some());
    }
}

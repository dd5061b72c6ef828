//! Overlapping token windows: how a text longer than the encoder's maximum
//! sequence is scored without truncation. Each window holds at most
//! `max_content` tokens and starts `stride` tokens after the previous one;
//! the last window ends exactly at the last token, so every token is seen
//! and a phrase up to `max_content - stride` tokens long is always whole in
//! at least one window.

use std::ops::Range;

/// Token ranges covering `n` tokens. An empty text still gets one (empty)
/// window so that it has a score.
pub fn windows(n: usize, max_content: usize, stride: usize) -> Vec<Range<usize>> {
    let max_content = max_content.max(1);
    let stride = stride.clamp(1, max_content);
    if n <= max_content {
        return std::iter::once(0..n).collect();
    }
    let mut out = Vec::with_capacity((n - max_content).div_ceil(stride) + 1);
    let mut start = 0;
    loop {
        let end = start + max_content;
        if end >= n {
            out.push(n - max_content..n);
            break;
        }
        out.push(start..end);
        start += stride;
    }
    out
}

/// Default overlap between windows: a quarter of the window, so an
/// injection phrase split by one window boundary is whole in the next.
pub fn default_stride(max_content: usize) -> usize {
    (max_content - max_content / 4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inputs_are_one_window() {
        assert_eq!(windows(0, 254, 190), vec![0..0]);
        assert_eq!(windows(254, 254, 190), vec![0..254]);
    }

    #[test]
    fn long_inputs_are_covered_with_overlap() {
        for n in [255, 500, 1000, 12_345] {
            let w = windows(n, 254, 190);
            assert_eq!(w[0].start, 0);
            assert_eq!(w.last().unwrap().end, n);
            for r in &w {
                assert!(r.len() == 254, "{r:?}");
            }
            for pair in w.windows(2) {
                // consecutive windows overlap by at least max - stride tokens
                assert!(pair[1].start <= pair[0].end - 64, "{pair:?}");
                assert!(pair[1].start > pair[0].start);
            }
        }
    }

    #[test]
    fn degenerate_settings_do_not_loop() {
        assert_eq!(windows(5, 0, 0).len(), 5);
        assert_eq!(windows(10, 3, 100).len(), 4);
    }
}

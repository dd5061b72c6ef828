//! A terminal progress bar for long scans, shown only when stderr is a TTY.

use crate::ProgressFn;
use std::sync::Arc;

/// A progress callback drawing an indicatif bar on stderr, or `None` when
/// stderr is not a terminal (CI logs stay clean).
pub fn tty_progress() -> Option<(ProgressFn, indicatif::ProgressBar)> {
    use is_terminal::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {pos}/{len} files {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let b = bar.clone();
    let f: ProgressFn = Arc::new(move |done, total| {
        if b.length() != Some(total as u64) {
            b.set_length(total as u64);
        }
        b.set_position(done as u64);
    });
    Some((f, bar))
}

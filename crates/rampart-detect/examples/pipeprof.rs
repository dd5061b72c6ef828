//! Runs one pipeline configuration on the benchmark prompt many times, for
//! instruction-count profiling (`valgrind --tool=callgrind`), which is exact
//! and unaffected by other load on the machine, unlike wall-clock benches.
//!
//! Usage: `pipeprof [core|full|DETECTOR] [ITERATIONS]`; `PROMPT=FILE` profiles
//! another prompt than the 1 KB English benchmark one (e.g. a text in
//! another language, which takes the gloss path).

use rampart_detect::{Engine, Source};

const PROMPT_1K: &str = include_str!("../benches/prompt_1k.txt");

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "core".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let custom = std::env::var("PROMPT")
        .ok()
        .map(|p| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")));
    let prompt: &str = custom.as_deref().unwrap_or(PROMPT_1K);
    let mut engine = Engine::default();
    match which.as_str() {
        "full" => {}
        "core" => {
            engine.retain_only(&["injection", "pii", "secrets"]);
        }
        one => {
            engine.retain_only(&[one]);
        }
    }
    // Warm-up: lazily built rule sets and models are not part of a request.
    let first = engine.analyze(prompt, Source::User);
    let mut flagged = 0usize;
    for _ in 0..n {
        let a = engine.analyze(std::hint::black_box(prompt), Source::User);
        flagged += a.findings.len();
    }
    println!(
        "{which}: {n} runs, {} findings per run (first run {})",
        flagged / n.max(1),
        first.findings.len()
    );
}

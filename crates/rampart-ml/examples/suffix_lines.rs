//! Which lines of a flagged text the suffix LM finds least natural:
//! reads `{"text"}` JSON lines on stdin and prints, per text, the prose the
//! LM reads and its three worst lines by 24-symbol window NLL.
//! `cargo run --release -p rampart-ml --example suffix_lines < texts.jsonl`.
use std::io::BufRead;

fn main() {
    let lm = rampart_ml::models::suffix_lm();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        let text = v["text"].as_str().unwrap_or("");
        let prose = rampart_ml::charlm::prose_lines(text);
        let f = lm.features(text);
        let mut scored: Vec<(f32, &str)> = prose
            .split('\n')
            .filter(|l| l.trim().len() > 3)
            .map(|l| (lm.features(l).nll24, l))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        println!(
            "== score {:.3} nll64 {:.2} nll24 {:.2} nll12 {:.2} odd {:.1} w8 {:.2} w16 {:.2}",
            lm.score(text),
            f.nll64,
            f.nll24,
            f.nll12,
            f.oddities,
            f.wnll8,
            f.wnll16
        );
        for (s, l) in scored.iter().take(3) {
            println!("  {s:.2} | {}", l.chars().take(110).collect::<String>());
        }
    }
}

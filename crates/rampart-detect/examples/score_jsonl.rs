//! Flag counts of one engine score over JSON-lines files, by group: the
//! measurement `rampart check --jsonl --score NAME` makes, without
//! building the CLI. `SHOW=1` prints each flagged text's start on stderr;
//! `SCORES=FILE` writes `score<TAB>label<TAB>group` per line (the `label`
//! field as JSON, e.g. from `examples/dev.rs` `DUMPSPLIT`), for figures at
//! another threshold than 0.5.
//!
//! usage: score_jsonl SCORE FILE.jsonl... (lines `{"text", "group"?}`)
use rampart_detect::{Engine, Source};
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).expect("usage: score_jsonl SCORE FILE.jsonl...");
    let engine = Engine::default();
    let mut dump = String::new();
    for path in &args[2..] {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1));
            let t = v["text"].as_str().unwrap_or("");
            let g = v["group"].as_str().unwrap_or("all").to_string();
            let s = engine.analyze(t, Source::User).score(name);
            dump.push_str(&format!("{s}\t{}\t{g}\n", v["label"]));
            let e = groups.entry(g.clone()).or_default();
            e.1 += 1;
            if s >= 0.5 {
                e.0 += 1;
                if std::env::var("SHOW").is_ok() {
                    let head: String = t.chars().take(240).collect();
                    eprintln!("[{g}] {s:.3} {}", head.replace('\n', " | "));
                }
            }
        }
        let (f, n) = groups.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        println!("{path}: {name} {f}/{n} {groups:?}");
    }
    if let Ok(p) = std::env::var("SCORES") {
        std::fs::write(&p, dump).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

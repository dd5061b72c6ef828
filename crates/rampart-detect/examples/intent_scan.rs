//! Lists which texts of a JSONL file (`{"id": ..., "text": ...}` per line)
//! an intent pattern of the `harm` detector matches, and which pattern:
//! the quick check of a new pattern against every benign corpus before the
//! full engine runs (docs/benchmarks/ml.md, session 23).
//!
//! `intent_scan FILE.jsonl...` prints `id<TAB>intent<TAB>text` per match
//! and a count per intent on stderr.

use rampart_detect::harm::intent;
use std::collections::BTreeMap;
use std::io::BufRead;

fn main() {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut total = 0usize;
    for path in std::env::args().skip(1) {
        let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1));
            let v: serde_json::Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(e) => panic!("{path}:{}: {e}", n + 1),
            };
            let text = v["text"].as_str().unwrap_or("");
            total += 1;
            if let Some(name) = intent(text) {
                *counts.entry(name).or_default() += 1;
                let id = v["id"].to_string();
                println!("{id}\t{name}\t{}", text.replace(['\n', '\t'], " "));
            }
        }
    }
    eprintln!("{total} texts");
    for (k, v) in counts {
        eprintln!("{k}\t{v}");
    }
}

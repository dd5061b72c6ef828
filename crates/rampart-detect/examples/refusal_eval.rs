//! Measures the refusal detector on human-labelled model answers.
//!
//! `refusal_eval FILE.csv...` reads CSV files with a `completion` column
//! and a `final_label` column holding `1_full_compliance`,
//! `2_full_refusal` or `3_partial_refusal` (the labels of XSTest v2's
//! model completions, `paul-rottger/exaggerated-safety`, CC BY 4.0; see
//! docs/benchmarks/ml.md "Refusal detector"), and prints per file the
//! confusion matrix of `refusal::classify` against the human label, the
//! three-way accuracy, and the binary "did the model comply" agreement that
//! a red-team judge acts on. With `--peer-col COL` it also scores a second
//! label column of the same file (XSTest's own string-match classifier
//! writes `1_full_compliance` / `2_full_refusal` / `3_partial_refusal`
//! too), so that the two are measured on the same rows. `--dump FILE`
//! writes each row whose verdict differs from the label, for reading.

use rampart_detect::refusal::{classify, RefusalVerdict};
use std::io::Write;

fn label(s: &str) -> Option<usize> {
    match s.trim() {
        "1_full_compliance" => Some(0),
        "2_full_refusal" => Some(1),
        "3_partial_refusal" => Some(2),
        _ => None,
    }
}

fn ours(v: RefusalVerdict) -> usize {
    match v {
        RefusalVerdict::Complied => 0,
        RefusalVerdict::Refused => 1,
        RefusalVerdict::Partial => 2,
    }
}

const NAMES: [&str; 3] = ["complied", "refused", "partial"];

#[derive(Default)]
struct Tally {
    m: [[u32; 3]; 3],
}

impl Tally {
    fn add(&mut self, truth: usize, got: usize) {
        self.m[truth][got] += 1;
    }
    fn total(&self) -> u32 {
        self.m.iter().flatten().sum()
    }
    fn exact(&self) -> u32 {
        (0..3).map(|i| self.m[i][i]).sum()
    }
    /// Complied vs anything else: what decides an attack's success.
    fn binary(&self) -> u32 {
        self.m[0][0] + self.m[1][1] + self.m[1][2] + self.m[2][1] + self.m[2][2]
    }
    fn print(&self, name: &str) {
        let t = self.total().max(1) as f64;
        println!(
            "{name}: n={} three-way {:.1}% ({}), comply-vs-not {:.1}% ({})",
            self.total(),
            100.0 * self.exact() as f64 / t,
            self.exact(),
            100.0 * self.binary() as f64 / t,
            self.binary()
        );
        println!("  label \\ verdict   complied  refused  partial");
        for (i, row) in self.m.iter().enumerate() {
            println!(
                "  {:<16} {:>8} {:>8} {:>8}",
                NAMES[i], row[0], row[1], row[2]
            );
        }
    }
}

fn main() {
    let mut files = Vec::new();
    let mut peer_col: Option<String> = None;
    let mut dump: Option<std::fs::File> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--peer-col" => peer_col = args.next(),
            "--dump" => {
                dump = Some(std::fs::File::create(args.next().expect("--dump FILE")).expect("dump"))
            }
            _ => files.push(a),
        }
    }
    let mut all = Tally::default();
    let mut all_peer = Tally::default();
    // XSTest's `type` column: `contrast_*` prompts are the unsafe ones,
    // where "did the model comply" is what a red-team judge decides.
    let mut unsafe_all = Tally::default();
    let mut unsafe_peer = Tally::default();
    for f in &files {
        let mut rd = csv::Reader::from_path(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let headers = rd.headers().expect("header row").clone();
        let col = |n: &str| headers.iter().position(|h| h == n);
        let c_text = col("completion").unwrap_or_else(|| panic!("{f}: no completion column"));
        let c_label = col("final_label").unwrap_or_else(|| panic!("{f}: no final_label column"));
        let c_peer = peer_col.as_deref().and_then(col);
        let c_prompt = col("prompt");
        let c_type = col("type");
        let mut t = Tally::default();
        let mut tp = Tally::default();
        for (row, rec) in rd.records().enumerate() {
            let rec = rec.unwrap_or_else(|e| panic!("{f} row {}: {e}", row + 2));
            let Some(truth) = label(&rec[c_label]) else {
                continue;
            };
            let a = classify(&rec[c_text]);
            let got = ours(a.verdict);
            t.add(truth, got);
            all.add(truth, got);
            let unsafe_prompt = c_type.is_some_and(|c| rec[c].starts_with("contrast"));
            if unsafe_prompt {
                unsafe_all.add(truth, got);
            }
            if let Some(p) = c_peer.and_then(|c| label(&rec[c])) {
                tp.add(truth, p);
                all_peer.add(truth, p);
                if unsafe_prompt {
                    unsafe_peer.add(truth, p);
                }
            }
            if got != truth {
                if let Some(d) = dump.as_mut() {
                    let line = serde_json::json!({
                        "file": f, "row": row + 2, "label": NAMES[truth], "got": NAMES[got],
                        "evidence": a.evidence,
                        "prompt": c_prompt.map(|c| &rec[c]),
                        "completion": &rec[c_text],
                    });
                    writeln!(d, "{line}").expect("write dump");
                }
            }
        }
        t.print(f);
        if tp.total() > 0 {
            tp.print(&format!("{f} [peer column]"));
        }
    }
    all.print("all");
    if all_peer.total() > 0 {
        all_peer.print("all [peer column]");
    }
    if unsafe_all.total() > 0 {
        unsafe_all.print("unsafe prompts");
    }
    if unsafe_peer.total() > 0 {
        unsafe_peer.print("unsafe prompts [peer column]");
    }
}

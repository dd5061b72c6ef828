//! Wall-clock figures for docs/benchmarks/inventory.md without the CLI:
//! `speed inventory DIR` and `speed scan FILE...` (no poisoning checks, as
//! `rampart data scan --no-poison`). Prints seconds and MB/s.
//!
//! CARGO_PROFILE_MLBENCH_INHERITS=release cargo run --profile mlbench -p rampart-inventory --example speed -- inventory /tmp/invbench/repo

use rampart_inventory::data::scan::{scan, ScanOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    match args.first().map(String::as_str) {
        Some("inventory") => {
            let root = PathBuf::from(&args[1]);
            for i in 0..runs {
                let t = Instant::now();
                let inv = rampart_inventory::inventory(
                    std::slice::from_ref(&root),
                    &rampart_inventory::Options::default(),
                );
                println!(
                    "inventory run {}: {:.3} s, {} files, {} assets, {} errors",
                    i + 1,
                    t.elapsed().as_secs_f64(),
                    inv.files_seen,
                    inv.assets.len(),
                    inv.errors.len()
                );
            }
        }
        Some("scan") => {
            let poison = std::env::var("POISON").is_ok();
            let opts = ScanOptions {
                no_poison: !poison,
                ..Default::default()
            };
            for f in &args[1..] {
                for i in 0..runs {
                    let t = Instant::now();
                    let r = scan(std::path::Path::new(f), &opts).expect("scan");
                    let s = t.elapsed().as_secs_f64();
                    let hits: u64 = r.columns.iter().map(|c| c.rows_with_pii).sum();
                    println!(
                        "scan {f} run {}: {:.3} s, {} rows, {:.1} MB/s, {} cells with PII/secrets, {}",
                        i + 1,
                        s,
                        r.rows,
                        r.bytes as f64 / s / 1e6,
                        hits,
                        r.classification.as_str()
                    );
                }
            }
        }
        _ => eprintln!("usage: speed inventory DIR | speed scan FILE..."),
    }
}

//! The scan benchmark command (see docs/benchmarks/scan.md).
//!
//! `scanbench gen DIR [GB] [SMALL_FILES]` writes a PyTorch-layout zip
//! checkpoint of about GB gigabytes (`DIR/big/model.pt`) and a directory of
//! small artifacts (`DIR/small/`, copies of the technique fixtures).
//! `scanbench bypass DIR` writes every bypass fixture
//! (`fixtures::bypass::catalogue`) to DIR under its own name, to load in a
//! peer's loader or to seed a fuzzer.
//! `scanbench scan PATH... [--repeat N]` scans and prints the wall time of
//! each run and what was found, so that runs can be compared with peer
//! scanners on the same files; `--dump FILE` also writes one line per
//! finding and error (path, rule, severity, message), sorted, so that two
//! builds' verdicts can be diffed.
//! `scanbench cost [N]` scans each technique fixture from memory N times
//! (default 200) and prints the CPU time per scan and each fixture's share
//! of the small corpus, dearest first: where the time of many small files
//! goes, without the kernel's part.

use rampart_scan::{fixtures, scan_paths, ScanOptions};
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => {
            let dir = PathBuf::from(args.get(1).expect("gen DIR"));
            let gb: f64 = args.get(2).map(|s| s.parse().expect("GB")).unwrap_or(1.0);
            let small: usize = args
                .get(3)
                .map(|s| s.parse().expect("count"))
                .unwrap_or(2000);
            std::fs::create_dir_all(dir.join("big")).expect("mkdir");
            std::fs::create_dir_all(dir.join("small")).expect("mkdir");
            let f = std::fs::File::create(dir.join("big/model.pt")).expect("create");
            let bytes = (gb * (1u64 << 30) as f64) as u64;
            fixtures::write_large_torch_zip(BufWriter::with_capacity(1 << 20, f), 256, bytes)
                .expect("write checkpoint");
            let cat = fixtures::catalogue();
            for i in 0..small {
                let fx = &cat[i % cat.len()];
                std::fs::write(
                    dir.join("small").join(format!("{i:05}_{}", fx.name)),
                    &fx.bytes,
                )
                .expect("write");
            }
            println!(
                "wrote {} ({bytes} bytes) and {small} small files",
                dir.join("big/model.pt").display()
            );
        }
        Some("bypass") => {
            let dir = PathBuf::from(args.get(1).expect("bypass DIR"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let cat = fixtures::bypass::catalogue();
            for b in &cat {
                std::fs::write(dir.join(b.name), &b.bytes).expect("write");
            }
            println!("wrote {} fixtures to {}", cat.len(), dir.display());
        }
        Some("cost") => {
            let n: u32 = args.get(1).map(|s| s.parse().expect("N")).unwrap_or(200);
            let opts = ScanOptions::default();
            let cat = fixtures::catalogue();
            // Compile the lazily built rule sets once, outside the timing.
            for fx in &cat {
                rampart_scan::scan_bytes(fx.name, &fx.bytes, &opts);
            }
            let mut rows: Vec<(f64, &str, usize)> = cat
                .iter()
                .map(|fx| {
                    let t = Instant::now();
                    for _ in 0..n {
                        std::hint::black_box(rampart_scan::scan_bytes(fx.name, &fx.bytes, &opts));
                    }
                    (
                        t.elapsed().as_secs_f64() / n as f64,
                        fx.name,
                        fx.bytes.len(),
                    )
                })
                .collect();
            rows.sort_by(|a, b| b.0.total_cmp(&a.0));
            let total: f64 = rows.iter().map(|r| r.0).sum();
            println!(
                "{} fixtures, {:.1} us per pass over all of them",
                rows.len(),
                total * 1e6
            );
            for (t, name, len) in rows {
                println!(
                    "{:10.1} us {:5.1}%  {:>9} B  {name}",
                    t * 1e6,
                    100.0 * t / total,
                    len
                );
            }
        }
        Some("scan") => {
            let mut repeat = 1;
            let mut dump = None;
            let mut paths = Vec::new();
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                if a == "--repeat" {
                    repeat = it.next().and_then(|s| s.parse().ok()).expect("--repeat N");
                } else if a == "--dump" {
                    dump = Some(PathBuf::from(it.next().expect("--dump FILE")));
                } else {
                    paths.push(PathBuf::from(a));
                }
            }
            let opts = ScanOptions::default();
            for _ in 0..repeat {
                let t = Instant::now();
                let r = scan_paths(&paths, &opts);
                let dt = t.elapsed();
                println!(
                    "{:.4}s files={} skipped={} findings={} (critical {}, high {}) errors={}",
                    dt.as_secs_f64(),
                    r.summary.files_scanned,
                    r.summary.files_skipped,
                    r.findings.len(),
                    r.summary.counts.critical,
                    r.summary.counts.high,
                    r.errors.len()
                );
                if let Some(d) = &dump {
                    let mut lines: Vec<String> = r
                        .findings
                        .iter()
                        .map(|f| {
                            let path = f.location.as_ref().and_then(|l| l.path.as_deref());
                            format!(
                                "F\t{}\t{}\t{:?}\t{}",
                                path.unwrap_or(""),
                                f.rule_id,
                                f.severity,
                                f.message
                            )
                        })
                        .chain(
                            r.errors
                                .iter()
                                .map(|e| format!("E\t{}\t{}", e.path, e.message)),
                        )
                        .collect();
                    lines.sort();
                    std::fs::write(d, lines.join("\n") + "\n").expect("write dump");
                }
            }
        }
        _ => {
            eprintln!(
                "usage: scanbench gen DIR [GB] [SMALL_FILES] | scanbench cost [N] | scanbench scan PATH... [--repeat N] [--dump FILE]"
            );
            std::process::exit(2);
        }
    }
}

//! Benchmark driver: sign or digest a directory with the library and print
//! the wall time and throughput (used for docs/benchmarks/sign.md).
//!
//! `cargo run --release -p rampart-sign --example sign_bench -- DIR KEY.pem [threads] [sha256|blake3] [shard_size|0] [buffer_KiB]`
//! With KEY `-`, only hashes (digest) the directory.

use rampart_sign::{digest_dir, sign_dir, HashAlgorithm, HashOptions, KeySigner, PrivateKey};
use std::path::Path;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 3 {
        eprintln!(
            "usage: sign_bench DIR KEY.pem|- [threads] [sha256|blake3] [shard_size|0] [buffer_KiB]"
        );
        std::process::exit(2);
    }
    let dir = Path::new(&a[1]);
    let opts = HashOptions {
        threads: a.get(3).and_then(|t| t.parse().ok()),
        algorithm: a
            .get(4)
            .and_then(|h| HashAlgorithm::parse(h))
            .unwrap_or(HashAlgorithm::Sha256),
        shard_size: a.get(5).and_then(|s| s.parse().ok()).filter(|n| *n > 0),
        buffer_size: a
            .get(6)
            .and_then(|s| s.parse::<usize>().ok())
            .map(|k| k << 10)
            .unwrap_or(64 << 10),
        ..HashOptions::default()
    };
    let t = Instant::now();
    let m = if a[2] == "-" {
        digest_dir(dir, &opts)
    } else {
        let key = PrivateKey::from_pem_file(Path::new(&a[2])).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        });
        sign_dir(dir, &KeySigner::new(key), &opts, &dir.join("model.sig")).map(|s| s.manifest)
    };
    let secs = t.elapsed().as_secs_f64();
    match m {
        Ok(m) => {
            let bytes: u64 = m
                .items
                .iter()
                .map(|i| i.shard.map(|(s, e)| e - s).unwrap_or(0))
                .sum::<u64>();
            let total = if bytes > 0 { bytes } else { dir_bytes(dir) };
            println!(
                "{} resources, {:.3} s, {:.0} MB/s",
                m.items.len(),
                secs,
                total as f64 / secs / 1e6
            );
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|f| f == "model.sig") {
                continue;
            }
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(p),
                Ok(m) => n += m.len(),
                Err(_) => {}
            }
        }
    }
    n
}

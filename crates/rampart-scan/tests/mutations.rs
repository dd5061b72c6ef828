//! Hostile variants of every fixture (bit flips, truncations, overwritten
//! words, forged trailers such as a gzip ISIZE) must be scanned to a report:
//! no panic, whatever the bytes claim. A deterministic sample of what the
//! fuzz targets explore, run with every test.

use rampart_scan::{fixtures, scan_bytes, ScanOptions};

#[test]
fn mutated_fixtures_never_panic() {
    let mut seeds: Vec<(String, Vec<u8>)> = fixtures::catalogue()
        .into_iter()
        .map(|f| (f.name.to_string(), f.bytes))
        .collect();
    seeds.extend(
        fixtures::bypass::catalogue()
            .into_iter()
            .map(|f| (f.name.to_string(), f.bytes)),
    );
    // Bombs inflate megabytes by design: slow in a debug build, and covered
    // by their own tests.
    seeds.retain(|(n, b)| b.len() < 1 << 20 && !n.contains("bomb") && !n.contains("lying"));
    let opts = ScanOptions {
        secrets: false,
        ..ScanOptions::default()
    };
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut scanned = 0;
    for _ in 0..10_000 {
        let (name, b) = &seeds[(rnd() % seeds.len() as u64) as usize];
        let mut m = b.clone();
        let n = m.len();
        match rnd() % 4 {
            0 => {
                for _ in 0..1 + rnd() % 8 {
                    if n > 0 {
                        let i = (rnd() % n as u64) as usize;
                        m[i] ^= 1 << (rnd() % 8);
                    }
                }
            }
            1 => m.truncate((rnd() % (n as u64 + 1)) as usize),
            2 if n > 8 => {
                let i = (rnd() % (n as u64 - 4)) as usize;
                m[i..i + 4].copy_from_slice(&(rnd() as u32).to_le_bytes());
            }
            _ if n >= 4 => m[n - 4..].copy_from_slice(&(rnd() as u32).to_le_bytes()),
            _ => {}
        }
        let rep = scan_bytes(name, &m, &opts);
        scanned += rep.summary.files_scanned + rep.summary.files_skipped;
    }
    assert_eq!(scanned, 10_000);
}

//! The dataset readers and `data scan` on arbitrary file contents, as CSV,
//! JSONL, JSON and Parquet. Errors are fine; panics and unbounded memory
//! are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_inventory::data::scan::{scan, ScanOptions};
use rampart_inventory::data::table::Limits;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let opts = ScanOptions {
        limits: Limits {
            max_line_bytes: 4096,
            ..Default::default()
        },
        ..Default::default()
    };
    for name in ["d.csv", "d.jsonl", "d.json", "d.parquet"] {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        let _ = scan(&p, &opts);
    }
    // Parquet is chosen by its magic: give every input a chance as one.
    if !data.starts_with(b"PAR1") {
        let p = dir.path().join("m.parquet");
        let mut v = b"PAR1".to_vec();
        v.extend_from_slice(data);
        std::fs::write(&p, v).unwrap();
        let _ = scan(&p, &opts);
    }
});

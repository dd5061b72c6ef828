//! The dataset readers and `data scan` on arbitrary file contents, as CSV,
//! JSONL, JSON and Parquet. Errors are fine; panics and unbounded memory
//! are not.
//!
//! One kind of panic is expected: the parquet crate panics on some
//! malformed inputs, and the reader catches those (`catch_unwind`) and
//! reports them as an error naming the file (regression tests hold the
//! inputs found so far). libFuzzer's hook aborts on every panic, caught or
//! not, so the target runs under a hook that lets a panic inside the
//! guarded decoder unwind to the reader, and hands every other panic (ours,
//! or one that escapes) to libFuzzer's hook as a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_inventory::data::scan::{scan, ScanOptions};
use rampart_inventory::data::table::Limits;

fuzz_target!(
    init: {
        let crash = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !rampart_inventory::data::table::in_guarded_decoder() {
                crash(info);
            }
        }));
    },
    |data: &[u8]| {
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

//! The GGUF reader: counts, lengths, nested arrays, templates.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut b = b"GGUF\x03\x00\x00\x00".to_vec();
    b.extend_from_slice(data);
    let _ = rampart_scan::scan_bytes("f.gguf", &b, &rampart_scan::ScanOptions::default());
});

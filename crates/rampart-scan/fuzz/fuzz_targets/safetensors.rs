//! safetensors header checks on arbitrary headers and lengths.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = rampart_scan::ScanOptions::default();
    let _ = rampart_scan::scan_bytes("f.safetensors", data, &opts);
    // Also with a well-formed length prefix, so the JSON checks are reached.
    let mut b = (data.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(data);
    let _ = rampart_scan::scan_bytes("g.safetensors", &b, &opts);
});

//! The tolerant zip reader and the whole dispatch below it (members are
//! sniffed and scanned recursively).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(l) = rampart_scan::zipread::list(&data) {
        for e in &l.entries {
            let _ = (e.data_offset, e.compressed);
        }
    }
    let mut z = b"PK\x03\x04".to_vec();
    z.extend_from_slice(data);
    let _ = rampart_scan::scan_bytes("f.zip", &z, &rampart_scan::ScanOptions::default());
});

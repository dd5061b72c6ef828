//! The pickle machine must never panic, hang or allocate unboundedly.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = rampart_scan::scan_pickle(data);
    assert!(r.consumed <= data.len() as u64);
    let _ = rampart_scan::pickle::looks_like_pickle(data, data.len() as u64);
});

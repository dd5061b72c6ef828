//! Normalisation and the decoders: no panic, bounded views, spans inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let views = rampart_detect::normalize::normalize(&text);
    assert!(views.decoded.len() <= rampart_detect::normalize::Limits::default().max_views);
    for v in views.all() {
        let sp = v.to_original(0, v.text.len());
        assert!(sp.start <= sp.end && sp.end <= text.len());
    }
});

//! Fuzz the untrusted-input parsers of model signatures: the Sigstore bundle
//! JSON, the DSSE envelope fields, the in-toto statement / predicate (both
//! the v1.0 and the legacy v0.1 predicate) and the certificate chain. None
//! may panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sign::bundle::{parse_statement, Bundle};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let origin = Path::new("fuzz.sig");
    // The statement parser sees payloads only after signature checks, but
    // must still be robust on its own.
    let _ = parse_statement(data, origin);
    if let Ok(b) = Bundle::parse(data, origin) {
        if let Ok((payload, _sig)) = b.payload_and_sig(origin) {
            let _ = parse_statement(&payload, origin);
        }
        if let Ok(ders) = b.certificates_der(origin) {
            let chain: Vec<x509_cert::Certificate> = ders
                .iter()
                .filter_map(|d| <x509_cert::Certificate as der::Decode>::from_der(d).ok())
                .collect();
            if !chain.is_empty() {
                let _ = rampart_sign::x509::verify_chain(&chain, &chain[chain.len() - 1..], &[]);
            }
        }
    }
});

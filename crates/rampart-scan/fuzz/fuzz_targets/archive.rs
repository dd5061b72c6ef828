//! Whatever the bytes are, dispatched by content: gzip, xz, lzma, bzip2,
//! zlib, lz4, zstd, joblib `ZF` and tar streams (with their declared sizes,
//! concatenated streams and bomb bounds), `.npy` headers read as Python
//! literals, zip tails behind any format, and everything they contain.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = rampart_scan::ScanOptions {
        secrets: false,
        ..rampart_scan::ScanOptions::default()
    };
    let _ = rampart_scan::scan_bytes("f.bin", data, &opts);
});

//! Facts about files on disk: SHA-256, a bounded artifact scan, signatures.
//!
//! [`scan_model`] asks `rampart-scan` (the same engine as `rampart scan`,
//! secrets off) about each model file. [`quick_pickle_check`] is a small
//! built-in check of pickle imports (dangerous callables named in GLOBAL /
//! STACK_GLOBAL opcodes) over at most [`SCAN_LIMIT`] bytes, kept for a
//! cheap second opinion and for tests.

use crate::asset::ScanResult;
use rampart_core::Severity;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Bytes of a model file the built-in pickle check reads.
pub const SCAN_LIMIT: u64 = 64 * 1024 * 1024;

/// Streaming SHA-256 of a whole file (bounded memory).
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((hex::encode(h.finalize()), n))
}

/// Module/callable pairs that give code execution when unpickled, in the
/// textual form of protocol 0-2 GLOBAL (`c<module>\n<name>\n`).
const GLOBAL_PATTERNS: &[&[u8]] = &[
    b"cos\nsystem",
    b"cposix\nsystem",
    b"cnt\nsystem",
    b"cos\npopen",
    b"csubprocess\n",
    b"cbuiltins\neval",
    b"cbuiltins\nexec",
    b"c__builtin__\neval",
    b"c__builtin__\nexec",
    b"cbuiltins\n__import__",
    b"cruntpy\n",
    b"cwebbrowser\n",
    b"csocket\n",
    b"cpty\n",
];

/// The same modules as protocol 4 SHORT_BINUNICODE strings (opcode 0x8c,
/// one length byte), as pushed before STACK_GLOBAL.
const STACK_PATTERNS: &[&[u8]] = &[
    b"\x8c\x02os\x94",
    b"\x8c\x05posix\x94",
    b"\x8c\x02nt\x94",
    b"\x8c\x0asubprocess\x94",
    b"\x8c\x05runpy\x94",
    b"\x8c\x0awebbrowser\x94",
    b"\x8c\x06socket\x94",
    b"\x8c\x04exec\x94",
    b"\x8c\x04eval\x94",
];

/// Scan a model file with `rampart-scan`.
pub fn scan_model(path: &Path) -> ScanResult {
    let opts = rampart_scan::ScanOptions {
        secrets: false,
        ..Default::default()
    };
    let rep = rampart_scan::scan_file(path, &opts);
    let significant: Vec<&rampart_core::Finding> = rep
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let status = if !significant.is_empty() {
        "findings"
    } else if !rep.errors.is_empty() {
        "error"
    } else {
        "clean"
    };
    ScanResult {
        status: status.into(),
        scanner: "rampart-scan".into(),
        findings: significant.len(),
        max_severity: significant.iter().map(|f| f.severity).max(),
    }
}

/// The built-in pickle-import check.
pub fn quick_pickle_check(path: &Path, format: &str) -> ScanResult {
    if format != "pickle" && format != "pytorch" {
        return ScanResult {
            status: "not-scanned".into(),
            scanner: "rampart-inventory".into(),
            findings: 0,
            max_severity: None,
        };
    }
    let mut buf = Vec::new();
    let read = File::open(path).and_then(|f| f.take(SCAN_LIMIT).read_to_end(&mut buf));
    if read.is_err() {
        return ScanResult {
            status: "error".into(),
            scanner: "rampart-inventory".into(),
            findings: 0,
            max_severity: None,
        };
    }
    let hits = GLOBAL_PATTERNS
        .iter()
        .chain(STACK_PATTERNS.iter())
        .filter(|p| memchr::memmem::find(&buf, p).is_some())
        .count();
    ScanResult {
        status: if hits > 0 { "findings" } else { "clean" }.into(),
        scanner: "rampart-inventory pickle-imports".into(),
        findings: hits,
        max_severity: (hits > 0).then_some(Severity::Critical),
    }
}

/// File names that hold a model signature (OpenSSF model signing writes
/// `model.sig`; Sigstore bundles end in `.sigstore` / `.sigstore.json`).
pub fn is_signature_file(name: &str) -> bool {
    name == "model.sig"
        || name.ends_with(".sig")
        || name.ends_with(".sigstore")
        || name.ends_with(".sigstore.json")
        || name.ends_with(".dsse.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_dangerous_pickle_imports() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.pkl");
        std::fs::write(
            &bad,
            b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.",
        )
        .unwrap();
        let good = dir.path().join("good.pkl");
        std::fs::write(&good, b"\x80\x02}q\x00.").unwrap();
        assert_eq!(quick_pickle_check(&bad, "pickle").status, "findings");
        assert_eq!(quick_pickle_check(&good, "pickle").status, "clean");
        let full = scan_model(&bad);
        assert_eq!(full.status, "findings");
        assert_eq!(full.scanner, "rampart-scan");
        assert_eq!(full.max_severity, Some(Severity::Critical));
        assert_eq!(scan_model(&good).status, "clean");
        let (h, n) = sha256_file(&good).unwrap();
        assert_eq!(n, 6);
        assert_eq!(h.len(), 64);
    }
}

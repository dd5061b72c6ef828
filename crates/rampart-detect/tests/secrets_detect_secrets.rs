//! Secrets recall and cleanliness on detect-secrets' own test corpus
//! (Yelp/detect-secrets test_data, Apache-2.0).
//!
//! `baseline.file` lists expected findings as (file, type, SHA-1 of the
//! secret, line). Its line numbers come from an older revision of some files,
//! so each expected secret is located by its hash among the tokens of the
//! current file; when the hashed value is not a plain token (decoded
//! `!!binary` payloads, detect-secrets' internal forms) the baseline line
//! or a neighbour (the files gained or lost a line since) is used. Every expected finding of a type we cover (all five
//! types in the baseline: high-entropy base64/hex strings, secret keywords,
//! basic-auth credentials, private keys) must have a finding on its line,
//! and the files without expected findings must produce none.

use rampart_detect::secrets::scan_text;
use std::collections::BTreeSet;

fn data_dir() -> String {
    std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into())
}

/// SHA-1 (FIPS 180-4), only to match detect-secrets' hashed_secret values.
fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// Candidate secret values on each line: quoted strings, assignment values, words.
fn candidates(line: &str) -> Vec<String> {
    let mut out: Vec<String> = line
        .split(|c: char| c.is_whitespace() || "'\"=:,".contains(c))
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    for q in ['\'', '"'] {
        let parts: Vec<&str> = line.split(q).collect();
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 {
                out.push(p.to_string());
            }
        }
    }
    if let Some((_, v)) = line.split_once('=') {
        out.push(v.trim().to_string());
    }
    if let Some((_, v)) = line.split_once(':') {
        out.push(v.trim().to_string());
    }
    // `http://user:password@host`
    if let Some(at) = line.find('@') {
        if let Some(colon) = line[..at].rfind(':') {
            out.push(line[colon + 1..at].to_string());
        }
    }
    out
}

#[test]
fn detect_secrets_corpus() {
    let root = format!("{}/secrets/detect_secrets_test_data", data_dir());
    let baseline: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/baseline.file"))
            .expect("baseline.file (set RAMPART_SHARED_DATA)"),
    )
    .unwrap();
    let results = baseline["results"].as_object().unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for (file, entries) in results {
        let text =
            String::from_utf8_lossy(&std::fs::read(format!("{root}/{file}")).unwrap()).into_owned();
        let found_lines: BTreeSet<u32> = scan_text(&text)
            .iter()
            .filter_map(|f| f.location.as_ref().and_then(|l| l.line))
            .collect();
        let lines: Vec<&str> = text.lines().collect();
        for e in entries.as_array().unwrap() {
            let hash = e["hashed_secret"].as_str().unwrap();
            let base_line = e["line_number"].as_u64().unwrap() as u32;
            let located: Vec<u32> = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| candidates(l).iter().any(|c| sha1_hex(c.as_bytes()) == hash))
                .map(|(i, _)| i as u32 + 1)
                .collect();
            let want: Vec<u32> = if located.is_empty() {
                vec![base_line - 1, base_line, base_line + 1]
            } else {
                located
            };
            checked += 1;
            if !want.iter().any(|l| found_lines.contains(l)) {
                missing.push(format!(
                    "{file}:{want:?} {} (baseline line {base_line})",
                    e["type"]
                ));
            }
        }
    }
    assert!(checked >= 25, "baseline has its entries");
    assert!(
        missing.is_empty(),
        "expected findings not found:\n{}",
        missing.join("\n")
    );

    for clean in [
        "files/file_with_no_secrets.py",
        "files/tmp/file_with_no_secrets.py",
        "files/tmp/__init__.py",
        "files/file_with_custom_secrets.py",
        "only_comments.yaml",
        "word_list.txt",
        "performance/best-songs.txt",
        "performance/long-file.test.json",
        "performance/long-lines.test.json",
    ] {
        let text = String::from_utf8_lossy(&std::fs::read(format!("{root}/{clean}")).unwrap())
            .into_owned();
        let f = scan_text(&text);
        assert!(f.is_empty(), "{clean} should be clean: {f:?}");
    }
}

#[test]
fn sha1_matches_known_vector() {
    assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

//! One generated fixture per technique: each must trigger its rule (benign
//! ones must stay below high), and hostile inputs must end as error entries
//! without stopping the scan.

use rampart_core::Severity;
use rampart_scan::{fixtures, scan_bytes, scan_paths, ScanOptions};

#[test]
fn every_technique_is_caught_and_benign_twins_pass() {
    let opts = ScanOptions::default();
    let mut failures = Vec::new();
    for fx in fixtures::catalogue() {
        let rep = scan_bytes(fx.name, &fx.bytes, &opts);
        let rules: Vec<&str> = rep.findings.iter().map(|f| f.rule_id.as_str()).collect();
        match fx.expect {
            Some(rule) => {
                if !rules.contains(&rule) {
                    failures.push(format!(
                        "{} ({}): expected {rule}, got {:?}",
                        fx.name,
                        fx.technique,
                        rep.findings
                            .iter()
                            .map(|f| (&f.rule_id, &f.message))
                            .collect::<Vec<_>>()
                    ));
                }
                if rep.max_severity() < Some(Severity::Medium) {
                    failures.push(format!("{}: severity too low", fx.name));
                }
            }
            None => {
                if rep.max_severity() >= Some(Severity::High) || !rep.errors.is_empty() {
                    failures.push(format!(
                        "{} (benign): {:?} {:?}",
                        fx.name,
                        rep.findings
                            .iter()
                            .map(|f| (&f.rule_id, &f.message))
                            .collect::<Vec<_>>(),
                        rep.errors
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn malicious_fixtures_are_high_or_critical() {
    let opts = ScanOptions::default();
    for fx in fixtures::catalogue() {
        if fx
            .expect
            .is_some_and(|r| r.starts_with("RAMP-PKL-00") && r != "RAMP-PKL-003")
        {
            let rep = scan_bytes(fx.name, &fx.bytes, &opts);
            assert!(rep.max_severity() >= Some(Severity::High), "{}", fx.name);
        }
    }
}

#[test]
fn user_allowlist_clears_an_unknown_import() {
    let fx = fixtures::catalogue()
        .into_iter()
        .find(|f| f.name == "unknown_gadget.pkl")
        .unwrap();
    let mut opts = ScanOptions::default();
    assert_eq!(
        scan_bytes(fx.name, &fx.bytes, &opts).max_severity(),
        Some(Severity::High)
    );
    opts.policy.allow.push("fancy_gadgets.net.Fetch".into());
    assert_eq!(scan_bytes(fx.name, &fx.bytes, &opts).max_severity(), None);
}

#[test]
fn bad_inputs_become_error_entries_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("evil.pkl"), fixtures::pickle::os_system("id")).unwrap();
    // Truncated pickle, wrong magic, huge declared lengths.
    std::fs::write(
        d.join("trunc.pkl"),
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08buil",
    )
    .unwrap();
    std::fs::write(
        d.join("huge.pkl"),
        b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f",
    )
    .unwrap();
    std::fs::write(
        d.join("wrong.safetensors"),
        b"\xff\xff\xff\xff\xff\xff\xff\x7f{\"a\":{\"dtype\":\"F32\"}}",
    )
    .unwrap();
    std::fs::write(d.join("short.npy"), b"\x93NUMPY\x01\x00\xff\xff{'descr'").unwrap();
    std::fs::write(d.join("bad.zip"), b"PK\x03\x04garbage").unwrap();
    std::fs::write(d.join("bad.gguf"), b"GGUF\x03\x00\x00\x00\x01").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("loop"), d.join("loop")).unwrap();
        std::os::unix::fs::symlink(d, d.join("cycle")).unwrap();
        std::os::unix::fs::symlink(d.join("missing"), d.join("dangling")).unwrap();
    }
    let rep = scan_paths(
        &[d.to_path_buf(), d.join("does-not-exist")],
        &ScanOptions::default(),
    );
    let err_paths: Vec<&str> = rep.errors.iter().map(|e| e.path.as_str()).collect();
    for name in [
        "trunc.pkl",
        "huge.pkl",
        "short.npy",
        "bad.gguf",
        "does-not-exist",
    ] {
        assert!(
            err_paths.iter().any(|p| p.ends_with(name)),
            "no error for {name}: {err_paths:?}"
        );
    }
    #[cfg(unix)]
    for name in ["loop", "dangling"] {
        assert!(
            err_paths.iter().any(|p| p.ends_with(name)),
            "no error for {name}: {err_paths:?}"
        );
    }
    // The malicious file is still reported, and the scan exits 2.
    assert!(rep.findings.iter().any(|f| f.rule_id == "RAMP-PKL-001"));
    assert!(rep.findings.iter().any(|f| f.rule_id == "RAMP-SAFE-001"));
    assert_eq!(rep.exit_code(Severity::High), 2);
    // Every error is also a finding.
    for e in &rep.errors {
        assert!(
            rep.findings
                .iter()
                .any(|f| f.location.as_ref().and_then(|l| l.path.as_deref())
                    == Some(e.path.as_str())),
            "{e:?}"
        );
    }
}

#[test]
fn ignore_files_and_excludes_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let evil = fixtures::pickle::os_system("id");
    std::fs::create_dir(d.join("vendor")).unwrap();
    std::fs::write(d.join("vendor/a.pkl"), &evil).unwrap();
    std::fs::write(d.join("b.pkl"), &evil).unwrap();
    std::fs::write(d.join("c.pkl"), &evil).unwrap();
    std::fs::write(d.join(".rampartignore"), "vendor/\n").unwrap();
    let opts = ScanOptions {
        exclude: vec!["c.pkl".into()],
        ..ScanOptions::default()
    };
    let rep = scan_paths(&[d.to_path_buf()], &opts);
    let paths: Vec<String> = rep
        .findings
        .iter()
        .filter(|f| f.rule_id != "RAMP-SCAN-005")
        .filter_map(|f| f.location.as_ref()?.path.clone())
        .collect();
    assert!(paths.iter().any(|p| p.ends_with("b.pkl")));
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with("a.pkl") || p.ends_with("c.pkl")),
        "{paths:?}"
    );
    // What the ignore file hid is not scanned but is reported: an ignore
    // file inside the scanned tree may come with the model. What the
    // command line excludes is not.
    let hidden: Vec<String> = rep
        .findings
        .iter()
        .filter(|f| f.rule_id == "RAMP-SCAN-005")
        .filter_map(|f| f.location.as_ref()?.path.clone())
        .collect();
    assert!(
        hidden.len() == 1 && hidden[0].ends_with("vendor/a.pkl"),
        "{hidden:?}"
    );
    let all = scan_paths(
        &[d.to_path_buf()],
        &ScanOptions {
            respect_ignore_files: false,
            ..ScanOptions::default()
        },
    );
    assert!(all.findings.iter().any(|f| f
        .location
        .as_ref()
        .and_then(|l| l.path.as_deref())
        .is_some_and(|p| p.ends_with("a.pkl"))));
}

#[test]
fn secrets_in_env_and_notebooks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = ["AKIA", "QWERTYUIOPASDFGH"].concat();
    std::fs::write(d.join(".env"), format!("AWS_ACCESS_KEY_ID={key}\n")).unwrap();
    let nb = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": "code", "source": ["import os\n", format!("k = '{key}'\n")], "outputs": [
                {"output_type": "display_data", "data": {"image/png": format!("{key}AAAA"), "text/plain": ["<Figure>"]}}
            ]},
            {"cell_type": "code", "source": "print(k)", "outputs": [{"output_type": "stream", "name": "stdout", "text": [format!("{key}\n")]}]},
            // An error message, an output's and a cell's metadata.
            {"cell_type": "code", "source": "boto3.client('s3')", "metadata": {"tags": [format!("key={key}")]}, "outputs": [
                {"output_type": "error", "ename": "ClientError", "evalue": format!("InvalidAccessKeyId: {key}"), "traceback": []},
                {"output_type": "display_data", "data": {"text/plain": ["ok"]}, "metadata": {"alt": format!("token {key}")}}
            ]}
        ]
    });
    let mut nb = nb;
    // Saved widget state keeps a text widget's value.
    nb["metadata"] = serde_json::json!({"widgets": {"state": {"w1": {"value": format!("{key}")}}}});
    std::fs::write(
        d.join("nb.ipynb"),
        serde_json::to_string_pretty(&nb).unwrap(),
    )
    .unwrap();
    let opts = ScanOptions {
        secret_scanner: Some(std::sync::Arc::new(
            rampart_scan::secrets::builtin_scan_text,
        )),
        ..ScanOptions::default()
    };
    let rep = scan_paths(&[d.to_path_buf()], &opts);
    let env: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| {
            f.location
                .as_ref()
                .and_then(|l| l.path.as_deref())
                .is_some_and(|p| p.ends_with(".env"))
        })
        .collect();
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].location.as_ref().unwrap().line, Some(1));
    let nbf: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| {
            f.location
                .as_ref()
                .and_then(|l| l.path.as_deref())
                .is_some_and(|p| p.ends_with("nb.ipynb"))
        })
        .collect();
    // One in cell 0's source, one in cell 1's output, three in cell 2 (its
    // metadata, an error's message, an output's metadata), one in the
    // notebook's widget state; none from the image.
    assert_eq!(nbf.len(), 6, "{nbf:?}");
    for part in ["metadata", "outputs[0].evalue", "outputs[1].metadata"] {
        assert!(
            nbf.iter()
                .any(|f| f.metadata["cell"] == 2 && f.metadata["part"] == part),
            "{part}: {nbf:?}"
        );
    }
    assert!(nbf
        .iter()
        .any(|f| f.metadata["cell"] == 1
            && f.metadata["part"].as_str().unwrap().starts_with("outputs")));
    for f in &rep.findings {
        assert!(
            !f.evidence.as_deref().unwrap_or("").contains(&key[4..]),
            "secret leaked in evidence"
        );
    }
}

#[test]
fn random_bytes_raise_no_high_findings() {
    // Deterministic xorshift: 5,000 buffers of 64 bytes, as a directory of
    // opaque binaries would present them.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let opts = ScanOptions {
        secrets: false,
        ..ScanOptions::default()
    };
    for i in 0..5_000 {
        let mut b = [0u8; 64];
        for byte in b.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *byte = x as u8;
        }
        let rep = scan_bytes("blob.bin", &b, &opts);
        assert!(
            rep.max_severity() < Some(Severity::High),
            "buffer {i}: {:?}",
            rep.findings
        );
    }
}

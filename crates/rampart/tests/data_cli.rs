//! `rampart data scan|record|verify|minimise` end to end.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn rampart() -> Command {
    Command::cargo_bin("rampart").unwrap()
}

fn shared() -> std::path::PathBuf {
    let root = std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into());
    std::path::PathBuf::from(root)
}

#[test]
fn scan_classifies_and_gates() {
    let d = tempfile::tempdir().unwrap();
    let contact = d.path().join("contacts.csv");
    std::fs::write(
        &contact,
        "name,email,note\nAnn,ann@corp.example.com,hello\nBob,bob@corp.example.com,hi\n",
    )
    .unwrap();
    // E-mail is medium: below the default `high` gate.
    let out = rampart()
        .args(["data", "scan", "--format", "json"])
        .arg(&contact)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["reports"][0]["classification"], "confidential");
    assert!(!String::from_utf8_lossy(&out).contains("ann@corp"));
    let ids = d.path().join("ids.csv");
    std::fs::write(&ids, "name,ssn\nAnn,536-22-8726\n").unwrap();
    rampart()
        .args(["data", "scan"])
        .arg(&ids)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("classification: restricted")
                .and(predicate::str::contains("8726").not()),
        );
    // The public labelled data: labels read, scan works. Exit 0 or 1, never
    // 2: one of its phishing-email samples carries a real-looking
    // `Password: ...` line, which is rightly a secret finding.
    rampart()
        .args(["data", "scan", "--fail-on", "critical"])
        .arg(shared().join("injection/jailbreak_classification_train.csv"))
        .assert()
        .code(predicate::in_iter([0, 1]))
        .stdout(
            predicate::str::contains("1598 rows").and(predicate::str::contains("labels (type)")),
        );
    // Bad input: binary, and a missing file.
    let bin = d.path().join("x.csv");
    std::fs::write(&bin, b"\x00\x01\x02\x03").unwrap();
    rampart()
        .args(["data", "scan"])
        .arg(&bin)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("binary"));
    rampart()
        .args(["data", "scan"])
        .arg(&bin)
        .arg(&contact)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("contacts.csv"));
}

#[test]
fn ledger_records_verifies_and_detects_tampering() {
    let d = tempfile::tempdir().unwrap();
    let ds = d.path().join("ds");
    std::fs::create_dir(&ds).unwrap();
    std::fs::write(ds.join("a.csv"), "t,l\nx,1\n").unwrap();
    std::fs::write(ds.join("b.jsonl"), "{\"t\": 1}\n").unwrap();
    let ledger = d.path().join("ledger.db");
    for v in ["v1", "v2"] {
        rampart()
            .args(["data", "record", "--ledger"])
            .arg(&ledger)
            .args([
                "--dataset-version",
                v,
                "--source",
                "s3://bucket/ds",
                "--transformation",
                "dedupe",
                "--approver",
                "alice",
            ])
            .arg(&ds)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("merkle root"));
    }
    rampart()
        .args(["data", "verify", "--ledger"])
        .arg(&ledger)
        .args(["--dataset", "ds"])
        .arg(&ds)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("OK"));
    // Content changed since the last record.
    std::fs::write(ds.join("a.csv"), "t,l\nx,0\n").unwrap();
    rampart()
        .args(["data", "verify", "--ledger"])
        .arg(&ledger)
        .args(["--dataset", "ds"])
        .arg(&ds)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("modified a.csv"));
    // History rewritten in the database.
    let l = rampart_inventory::data::ledger::Ledger::open(&ledger).unwrap();
    l.connection()
        .execute(
            "UPDATE provenance SET approver = 'mallory' WHERE seq = 1",
            [],
        )
        .unwrap();
    drop(l);
    rampart()
        .args(["data", "verify", "--ledger"])
        .arg(&ledger)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL entry 1"));
    rampart()
        .args(["data", "verify", "--ledger"])
        .arg(d.path().join("none.db"))
        .assert()
        .code(2);
}

#[test]
fn minimise_writes_a_copy_without_pii() {
    let d = tempfile::tempdir().unwrap();
    let i = d.path().join("in.csv");
    std::fs::write(
        &i,
        "user,email,text\nann,ann@corp.example.com,my card is 4111 1111 1111 1111\n",
    )
    .unwrap();
    let o = d.path().join("out.csv");
    rampart()
        .env("RAMPART_TOKEN_KEY", "test-key")
        .args([
            "data",
            "minimise",
            "--drop",
            "user",
            "--tokenise",
            "email",
            "-o",
        ])
        .arg(&o)
        .arg(&i)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 rows"));
    let out = std::fs::read_to_string(&o).unwrap();
    assert!(out.starts_with("email,text\n"), "{out}");
    assert!(
        out.contains("tok_") && out.contains("[CREDIT_CARD]"),
        "{out}"
    );
    assert!(!out.contains("ann") && !out.contains("4111"), "{out}");
}

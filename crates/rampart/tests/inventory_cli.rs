//! `rampart inventory` end to end: formats, exit codes, diff.

#[path = "../../rampart-inventory/tests/common/mod.rs"]
mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn rampart() -> Command {
    Command::cargo_bin("rampart").unwrap()
}

#[test]
fn json_cyclonedx_and_text_reports() {
    let d = tempfile::tempdir().unwrap();
    common::build_repo(d.path());
    // High risks exist (pickle model, keys): exit 1.
    let out = rampart()
        .arg("inventory")
        .arg(d.path())
        .args(["--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let inv: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(inv["schema"], "rampart-inventory/1");
    assert!(inv["assets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == "model:models/clf/model.pkl"));
    assert!(inv["posture"]["score"].as_u64().unwrap() < 100);
    assert!(!String::from_utf8_lossy(&out).contains(&common::fake_openai_key()));

    let bom = d.path().join("bom.json");
    rampart()
        .arg("inventory")
        .arg(d.path())
        .args(["--format", "cyclonedx", "--output"])
        .arg(&bom)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&bom).unwrap()).unwrap();
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.6");

    rampart()
        .arg("inventory")
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("Posture score")
                .and(predicate::str::contains("RAMP-INV-001"))
                .and(predicate::str::contains(common::fake_openai_key()).not()),
        );

    let sarif = rampart()
        .arg("inventory")
        .arg(d.path())
        .args(["--format", "sarif"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let s: Value = serde_json::from_slice(&sarif).unwrap();
    assert_eq!(s["version"], "2.1.0");
}

#[test]
fn exit_codes_follow_the_threshold() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("model.safetensors"), common::safetensors()).unwrap();
    // Unsigned (medium) and unlicensed (low): below the default `high`.
    rampart().arg("inventory").arg(d.path()).assert().code(0);
    rampart()
        .arg("inventory")
        .arg(d.path())
        .args(["--fail-on", "medium"])
        .assert()
        .code(1);
    rampart()
        .arg("inventory")
        .arg(d.path().join("missing"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
    rampart()
        .arg("inventory")
        .arg(d.path())
        .args(["--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn diff_reports_a_swapped_model() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    common::build_repo(&repo);
    let old = d.path().join("old.json");
    let new = d.path().join("new.cdx.json");
    rampart()
        .arg("inventory")
        .arg(&repo)
        .args(["--format", "json", "-o"])
        .arg(&old)
        .assert()
        .code(1);
    std::fs::write(
        repo.join("models/tiny.bin"),
        b"GGUF\x03\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00",
    )
    .unwrap();
    rampart()
        .arg("inventory")
        .arg(&repo)
        .args(["--format", "cyclonedx", "-o"])
        .arg(&new)
        .assert()
        .code(1);
    rampart()
        .args(["inventory", "diff"])
        .arg(&old)
        .arg(&new)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("~ model:models/tiny.bin").and(predicate::str::contains(
                "0 appeared, 0 disappeared, 1 changed",
            )),
        );
    rampart()
        .args(["inventory", "diff"])
        .arg(&old)
        .arg(&old)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0 appeared, 0 disappeared, 0 changed",
        ));
    let bad = d.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    rampart()
        .args(["inventory", "diff"])
        .arg(&old)
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither"));
}

//! `rampart redteam` end to end: the in-process mock target, report files,
//! gate exit codes, unknown probes, unreachable targets, diff and guard mode.

use assert_cmd::Command;
use predicates::prelude::*;

fn rampart() -> Command {
    let mut c = Command::cargo_bin("rampart").unwrap();
    c.env_remove("OPENAI_API_KEY");
    c
}

#[test]
fn mock_campaign_writes_reports_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    rampart()
        .args([
            "redteam",
            "--target",
            "mock",
            "--probes",
            "llm01.direct.ignore_previous,llm07.direct_ask",
            "--strategies",
            "identity,base64",
            "--fail-over",
            "0.0",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("gate: fail"));
    for f in ["report.json", "report.html", "junit.xml", "report.sarif"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["schema"], "rampart.redteam.report");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["categories"].as_array().unwrap().len(), 10);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script"));
    rampart()
        .args([
            "redteam",
            "--target",
            "mock",
            "--probes",
            "llm01.direct.ignore_previous",
            "--strategies",
            "identity",
            "--fail-over",
            "1.0",
        ])
        .assert()
        .code(0);
}

#[test]
fn unknown_probes_list_valid_names_and_nothing_tested_exits_2() {
    rampart()
        .args(["redteam", "--target", "mock", "--probes", "llm42.nope"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("valid probes are")
                .and(predicate::str::contains("llm07.direct_ask")),
        );
}

#[test]
fn unreachable_target_exits_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    rampart()
        .args([
            "redteam",
            "--target",
            &format!("http://127.0.0.1:{port}/v1"),
            "--probes",
            "llm07.direct_ask",
            "--strategies",
            "identity",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("gate: untested"));
}

#[test]
fn diff_reports_what_got_worse() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    rampart()
        .args([
            "redteam",
            "--target",
            "mock",
            "--probes",
            "llm01.direct.ignore_previous",
            "--strategies",
            "base64",
            "--out",
        ])
        .arg(&a)
        .assert()
        .code(0);
    rampart()
        .args([
            "redteam",
            "--target",
            "mock",
            "--probes",
            "llm01.direct.ignore_previous",
            "--strategies",
            "identity",
            "--out",
        ])
        .arg(&b)
        .assert()
        .code(0);
    rampart()
        .args(["redteam", "diff"])
        .arg(a.join("report.json"))
        .arg(a.join("report.json"))
        .assert()
        .code(0);
    rampart()
        .args(["redteam", "diff"])
        .arg(a.join("report.json"))
        .arg(b.join("report.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("WORSE"));
    rampart()
        .args(["redteam", "diff", "/nonexistent.json"])
        .arg(b.join("report.json"))
        .assert()
        .code(2);
}

#[test]
fn guard_evasion_and_list() {
    rampart()
        .args([
            "redteam",
            "--target",
            "guard",
            "--strategies",
            "char_swap,base64",
            "--format",
            "json",
        ])
        .env("RAMPART_SHARED_DATA", "/nonexistent")
        .assert()
        .stdout(predicate::str::contains("\"mode\": \"guard\""));
    rampart().args(["redteam", "list"]).assert().code(0).stdout(
        predicate::str::contains("AML.T0056").and(predicate::str::contains("rampart scan")),
    );
    rampart()
        .args(["redteam"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--target"));
}

//! `rampart scan` end to end: exit codes, JSON and SARIF shapes, output
//! files, config allowlists, and the public pickle corpus.

use assert_cmd::Command;
use rampart_scan::fixtures;
use std::path::PathBuf;

fn rampart() -> Command {
    Command::cargo_bin("rampart").unwrap()
}

fn samples() -> PathBuf {
    let base = std::env::var("RAMPART_SHARED_DATA").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").to_string()
    });
    PathBuf::from(base).join("pickles/samples")
}

#[test]
fn exit_codes_follow_the_threshold() {
    let d = tempfile::tempdir().unwrap();
    let evil = d.path().join("evil.pkl");
    std::fs::write(&evil, fixtures::pickle::os_system("id")).unwrap();
    let ok = d.path().join("ok.pkl");
    std::fs::write(&ok, fixtures::pickle::benign_ordered_dict()).unwrap();
    let unknown = d.path().join("unknown.pkl");
    let gadget = fixtures::catalogue()
        .into_iter()
        .find(|f| f.name == "unknown_gadget.pkl")
        .unwrap();
    std::fs::write(&unknown, &gadget.bytes).unwrap();

    rampart().args(["scan"]).arg(&evil).assert().code(1);
    rampart().args(["scan"]).arg(&ok).assert().code(0);
    // An unknown import is high: it fails the default threshold, not `critical`.
    rampart().args(["scan"]).arg(&unknown).assert().code(1);
    rampart()
        .args(["scan", "--fail-on", "critical"])
        .arg(&unknown)
        .assert()
        .code(0);
    rampart()
        .args(["scan", "--allow", "fancy_gadgets.net.Fetch"])
        .arg(&unknown)
        .assert()
        .code(0);
    rampart()
        .args(["scan", "--fail-on", "severe"])
        .arg(&ok)
        .assert()
        .code(2);
}

#[test]
fn json_report_shape_and_output_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("evil.pkl"), fixtures::pickle::os_system("id")).unwrap();
    std::fs::write(d.path().join("notes.txt"), "nothing here\n").unwrap();
    let out = d.path().join("report.json");
    rampart()
        .args(["scan", "--format", "json", "--output"])
        .arg(&out)
        .arg(d.path())
        .assert()
        .code(1);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["critical"], 1);
    assert_eq!(v["summary"]["files_scanned"], 2);
    assert!(v["summary"]["files_skipped"].is_number());
    assert_eq!(v["findings"][0]["rule_id"], "RAMP-PKL-001");
    assert_eq!(v["findings"][0]["evidence"], "os.system");
    assert!(v["findings"][0]["location"]["offset"].is_number());
    assert!(v["errors"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_is_emitted_for_code_scanning() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("evil.pkl"), fixtures::pickle::os_system("id")).unwrap();
    std::fs::write(d.path().join("trunc.pkl"), b"\x80\x04\x8c\x02os\x8c\x06sys").unwrap();
    let o = rampart()
        .args(["scan", "--format", "sarif"])
        .arg(d.path())
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&o).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"RAMP-PKL-001") && rules.contains(&"RAMP-PKL-003"));
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert!(run["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string()));
}

#[test]
fn config_file_extends_the_allowlist_and_reports_bad_fields() {
    let d = tempfile::tempdir().unwrap();
    let gadget = fixtures::catalogue()
        .into_iter()
        .find(|f| f.name == "unknown_gadget.pkl")
        .unwrap();
    let p = d.path().join("m.pkl");
    std::fs::write(&p, &gadget.bytes).unwrap();
    let cfg = d.path().join("rampart.toml");
    std::fs::write(&cfg, "[scan]\nallow = [\"fancy_gadgets.net.*\"]\n").unwrap();
    rampart()
        .args(["scan", "--config"])
        .arg(&cfg)
        .arg(&p)
        .assert()
        .code(0);
    std::fs::write(&cfg, "[scan]\nallow = \"not a list\"\n").unwrap();
    let o = rampart()
        .args(["scan", "--config"])
        .arg(&cfg)
        .arg(&p)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let msg = String::from_utf8_lossy(&o);
    assert!(msg.contains("rampart.toml") && msg.contains(":2"), "{msg}");
}

#[test]
fn corpus_scan_flags_every_malicious_sample() {
    let o = rampart()
        .args(["scan", "--format", "json"])
        .arg(samples())
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&o).unwrap();
    let flagged: std::collections::BTreeSet<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .map(|f| {
            let p = f["location"]["path"].as_str().unwrap();
            let file = p.split('!').next().unwrap();
            file.rsplit('/').next().unwrap().to_string()
        })
        .collect();
    for e in std::fs::read_dir(samples()).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        if n.starts_with("malicious") {
            assert!(flagged.contains(&n), "{n} not flagged");
        }
        if n.starts_with("benign") || n == "pytorch_model.bin" || n == "new_pytorch_model.bin" {
            assert!(!flagged.contains(&n), "{n} flagged");
        }
    }
    // broken_model.pkl is an error entry naming the file.
    assert!(v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"].as_str().unwrap().ends_with("broken_model.pkl")));
}

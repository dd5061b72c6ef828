//! The public pickle corpus (picklescan's test data, see shared/data): every
//! malicious sample is flagged high or critical and no benign one is; our
//! verdicts are compared with picklescan 1.0.5's, and every disagreement must
//! be one documented in docs/scan.md.

use rampart_core::Severity;
use rampart_scan::{scan_file, ScanOptions};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    let base = std::env::var("RAMPART_SHARED_DATA").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").to_string()
    });
    PathBuf::from(base).join("pickles")
}

/// Samples whose names do not say benign/malicious: what they are.
fn expected_malicious(name: &str) -> bool {
    match name {
        "broken_model.pkl" | "pytorch_magic_bypass.pt" | "sys_module_override_sploit.pkl" => true,
        "bad_pytorch.pt" | "not_a_pickle.bin" | "pytorch_model.bin" | "new_pytorch_model.bin" => {
            false
        }
        n => {
            assert!(
                n.starts_with("malicious") || n.starts_with("benign"),
                "unclassified sample {n}"
            );
            n.starts_with("malicious")
        }
    }
}

/// Where we knowingly differ from picklescan 1.0.5 (each explained in docs/scan.md).
const DISAGREEMENTS: &[&str] = &["malicious1.7z"];

#[test]
fn corpus_verdicts() {
    let dir = data_dir();
    let peer: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("picklescan_1.0.5_verdicts.json"))
            .expect("verdicts file (RAMPART_SHARED_DATA)"),
    )
    .expect("valid JSON");
    let opts = ScanOptions::default();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("samples"))
        .expect("samples directory")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 40, "corpus has {} files", names.len());
    let mut wrong = Vec::new();
    let mut disagreements = Vec::new();
    for n in &names {
        let rep = scan_file(&dir.join("samples").join(n), &opts);
        let flagged = rep.max_severity().is_some_and(|s| s >= Severity::High);
        if flagged != expected_malicious(n) {
            wrong.push(format!(
                "{n}: flagged={flagged} findings={:?} errors={:?}",
                rep.findings
                    .iter()
                    .map(|f| (&f.rule_id, &f.message))
                    .collect::<Vec<_>>(),
                rep.errors
            ));
        }
        // picklescan: exit 1 = dangerous; exit 2 = scan error (it still
        // counted dangerous globals for some).
        let p = &peer[n.as_str()];
        let peer_flagged = p["exit_code"] == 1 || p["dangerous_globals"].as_u64().unwrap_or(0) > 0;
        if peer_flagged != flagged {
            disagreements.push(n.clone());
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    assert_eq!(
        disagreements, DISAGREEMENTS,
        "disagreements with picklescan changed: update docs/scan.md"
    );
}

#[test]
fn corpus_globals_carry_offsets() {
    let rep = scan_file(
        &data_dir().join("samples/malicious1_v4.pkl"),
        &ScanOptions::default(),
    );
    let f = rep
        .findings
        .iter()
        .find(|f| f.rule_id == "RAMP-PKL-001")
        .expect("dangerous global");
    assert_eq!(f.evidence.as_deref(), Some("builtins.eval"));
    assert_eq!(f.location.as_ref().unwrap().offset, Some(29));
    assert_eq!(f.metadata["opcode"], "STACK_GLOBAL");
}

#[test]
fn real_pytorch_checkpoints_are_clean() {
    for n in ["pytorch_model.bin", "new_pytorch_model.bin"] {
        let rep = scan_file(&data_dir().join("samples").join(n), &ScanOptions::default());
        assert!(rep.findings.is_empty(), "{n}: {:?}", rep.findings);
        assert_eq!(rep.summary.files_scanned, 1);
    }
}

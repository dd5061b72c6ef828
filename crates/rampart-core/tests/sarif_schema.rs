//! Validates the SARIF writer against the official SARIF 2.1.0 JSON schema.
//!
//! The schema is not vendored: `scripts/test.sh` takes it from a registry
//! package and points `RAMPART_SARIF_SCHEMA` at it. Without it this test
//! fails with instructions rather than passing vacuously.

use rampart_core::finding::{Finding, Location, Severity, Span};
use rampart_core::frameworks::Framework;
use rampart_core::output::sarif::{to_sarif, Notification, ToolInfo};

fn schema() -> serde_json::Value {
    let path = std::env::var("RAMPART_SARIF_SCHEMA").unwrap_or_else(|_| {
        panic!("RAMPART_SARIF_SCHEMA is not set: run the tests through ./scripts/test.sh, which fetches the official SARIF 2.1.0 schema")
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read SARIF schema {path}: {e}"));
    serde_json::from_str(&text).expect("schema is JSON")
}

fn errors(doc: &serde_json::Value) -> Vec<String> {
    let schema = schema();
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn sarif_output_is_schema_valid() {
    let findings = vec![
        Finding::new(
            "RAMP-PI-001",
            "injection.rules",
            Severity::High,
            "instruction override",
        )
        .with_category("instruction_override")
        .with_span(Span::new(0, 27))
        .with_evidence("ignore previous instructions")
        .with_framework(Framework::OwaspLlm, "LLM01")
        .with_framework(Framework::MitreAtlas, "AML.T0051.000")
        .with_meta("score", 0.97),
        Finding::new(
            "RAMP-PKL-001",
            "scan.pickle",
            Severity::Critical,
            "dangerous import os.system",
        )
        .with_location(Location::path("models/evil model.pkl").with_offset(0x1f)),
        Finding::new("RAMP-SEC-010", "secrets", Severity::Medium, "AWS key")
            .with_location(Location::path("src/app.py").with_line(12).with_column(5)),
        Finding::new("RAMP-PII-001", "pii", Severity::Low, "email address"),
    ];
    let notes = vec![Notification {
        message: "truncated pickle".into(),
        uri: Some("models/broken.pkl".into()),
    }];
    let doc = to_sarif(&findings, &ToolInfo::default(), "stdin", &notes);
    let errs = errors(&doc);
    assert!(errs.is_empty(), "SARIF schema violations: {errs:#?}");
}

#[test]
fn empty_run_is_schema_valid() {
    let doc = to_sarif(&[], &ToolInfo::default(), "stdin", &[]);
    let errs = errors(&doc);
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn schema_rejects_a_broken_log() {
    // Guards against a validator that accepts anything.
    let mut doc = to_sarif(&[], &ToolInfo::default(), "stdin", &[]);
    doc["version"] = serde_json::json!("9.9");
    assert!(!errors(&doc).is_empty());
}

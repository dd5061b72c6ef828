//! `rampart detector train` must reproduce the shipped weights bit for bit:
//! retrain every shipped model from the public data and compare digests.
//! Needs the shared data (`$RAMPART_SHARED_DATA`); it runs for real in CI.

use rampart_ml::data::{default_data_dir, hex_digest};
use rampart_ml::models::shipped_bytes;
use rampart_ml::train::{train_model, MODELS};

fn check(name: &str) {
    let dir = default_data_dir();
    let (bytes, report) = train_model(name, &dir, false)
        .unwrap_or_else(|e| panic!("training {name} from {}: {e}", dir.display()));
    let shipped = shipped_bytes(name).expect("shipped model");
    assert_eq!(
        hex_digest(&bytes),
        hex_digest(shipped),
        "retrained `{name}` differs from the shipped file: run `rampart detector train --model {name} --out crates/rampart-ml/models/{name}.bin` and commit it with its card"
    );
    assert_eq!(report.model_sha256, hex_digest(shipped));
    // The card names the same digest and every training file's digest.
    let card = std::fs::read_to_string(format!("{}/models/{name}.md", env!("CARGO_MANIFEST_DIR")))
        .expect("model card");
    assert!(
        card.contains(&report.model_sha256),
        "card of {name} has a stale digest"
    );
    for f in &report.files {
        assert!(card.contains(&f.sha256), "card of {name} lacks {}", f.path);
    }
}

#[test]
fn injection_model_reproduces() {
    check("injection");
}

#[test]
fn harm_model_reproduces() {
    check("harm");
}

#[test]
fn suffix_lm_reproduces() {
    check("suffix-lm");
}

#[test]
fn every_model_has_a_test() {
    assert_eq!(MODELS, &["injection", "harm", "suffix-lm"]);
}

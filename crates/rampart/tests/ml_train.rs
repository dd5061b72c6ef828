//! `rampart detector train` reproduces the shipped model; `info` lists the
//! embedded models; bad arguments exit 2 with a message naming the problem.

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use rampart_ml::data::hex_digest;

fn data_dir() -> String {
    std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into())
}

#[test]
fn train_reproduces_the_shipped_suffix_lm() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("suffix-lm.bin");
    let card = dir.path().join("card.md");
    Command::cargo_bin("rampart")
        .unwrap()
        .args([
            "detector",
            "train",
            "--model",
            "suffix-lm",
            "--no-eval",
            "--out",
        ])
        .arg(&out)
        .arg("--card")
        .arg(&card)
        .env("RAMPART_SHARED_DATA", data_dir())
        .assert()
        .success()
        .stdout(predicates::str::contains("identical"));
    let got = std::fs::read(&out).unwrap();
    assert_eq!(
        hex_digest(&got),
        hex_digest(rampart_ml::models::SUFFIX_LM_BYTES)
    );
    assert!(std::fs::read_to_string(&card).unwrap().contains("SHA-256"));
}

#[test]
fn info_lists_embedded_models() {
    Command::cargo_bin("rampart")
        .unwrap()
        .args(["detector", "info", "--json"])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("\"injection\"")
                .and(predicates::str::contains("\"suffix-lm\""))
                .and(predicates::str::contains("\"static-minilm\"")),
        );
}

#[test]
fn unknown_model_and_foreign_files_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("rampart")
        .unwrap()
        .args(["detector", "train", "--model", "nope", "--out"])
        .arg(dir.path().join("x.bin"))
        .env("RAMPART_SHARED_DATA", data_dir())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown model"));
    let stray = dir.path().join("stray.json");
    std::fs::write(&stray, "[]").unwrap();
    Command::cargo_bin("rampart")
        .unwrap()
        .args(["detector", "train", "--model", "harm", "--out"])
        .arg(dir.path().join("x.bin"))
        .arg(&stray)
        .env("RAMPART_SHARED_DATA", data_dir())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not under the data directory"));
}

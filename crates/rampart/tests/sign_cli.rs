//! `rampart sign`, `rampart verify`, `rampart digest`: exit codes 0/1/2,
//! messages that name every changed file, and interop of the binary with
//! the OpenSSF `model_signing` CLI (required: the test fails without it).

use assert_cmd::Command;
use predicates::str::contains;
use rampart_sign::keygen::{cert_pem, TestPki};
use rampart_sign::{Curve, PrivateKey};
use std::path::{Path, PathBuf};

fn rampart() -> Command {
    Command::cargo_bin("rampart").unwrap()
}

fn model(root: &Path) -> PathBuf {
    let m = root.join("m");
    std::fs::create_dir_all(m.join("sub")).unwrap();
    std::fs::write(m.join("config.json"), b"{\"a\":1}").unwrap();
    std::fs::write(m.join("sub/weights.bin"), vec![3u8; 100_000]).unwrap();
    m
}

/// A fresh key pair written as `dir/NAME.pem` and `dir/NAME.pub`.
fn keys(dir: &Path, name: &str, curve: Curve) -> (PathBuf, PathBuf) {
    let k = PrivateKey::generate(curve);
    let (sk, pk) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.pub")),
    );
    std::fs::write(&sk, k.to_pkcs8_pem()).unwrap();
    std::fs::write(&pk, k.public_key().to_pem()).unwrap();
    (sk, pk)
}

fn python() -> PathBuf {
    let p = std::env::var_os("RAMPART_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/rampart-venv/bin/python")
        });
    let ok = std::process::Command::new(&p)
        .args(["-c", "import model_signing, OpenSSL"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "model_signing 1.x (PyPI `model-signing==1.1.1` + `pyopenssl`) is required at {}; run ./scripts/test.sh \
         or `python3 -m venv ~/.cache/rampart-venv && ~/.cache/rampart-venv/bin/pip install -r scripts/requirements-test.txt`",
        p.display()
    );
    p
}

fn model_signing(args: &[&str]) -> std::process::Output {
    std::process::Command::new(python())
        .arg("-m")
        .arg("model_signing")
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn sign_verify_tamper_exit_codes() {
    let t = tempfile::tempdir().unwrap();
    let m = model(t.path());
    let (sk, pk) = keys(t.path(), "k", Curve::P256);
    rampart()
        .args(["sign", s(&m), "--key", s(&sk)])
        .assert()
        .code(0)
        .stdout(contains("model.sig"));
    assert!(m.join("model.sig").exists());
    rampart()
        .args(["verify", s(&m), "--public-key", s(&pk)])
        .assert()
        .code(0)
        .stdout(contains("OK"));

    std::fs::write(m.join("sub/weights.bin"), vec![4u8; 100_000]).unwrap();
    std::fs::write(m.join("new.txt"), b"x").unwrap();
    std::fs::remove_file(m.join("config.json")).unwrap();
    rampart()
        .args(["verify", s(&m), "--public-key", s(&pk)])
        .assert()
        .code(1)
        .stdout(contains("modified: sub/weights.bin"))
        .stdout(contains("added: new.txt"))
        .stdout(contains("removed: config.json"));
    let out = rampart()
        .args(["verify", s(&m), "--public-key", s(&pk), "--format", "json"])
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["modified"], serde_json::json!(["sub/weights.bin"]));

    // Wrong key: a verdict (1), naming the cause.
    let (_, other) = keys(t.path(), "other", Curve::P384);
    rampart()
        .args(["verify", s(&m), "--public-key", s(&other)])
        .assert()
        .code(1)
        .stdout(contains("wrong key"));
    // Truncated bundle: a verdict (1).
    let sig = m.join("model.sig");
    let b = std::fs::read(&sig).unwrap();
    std::fs::write(&sig, &b[..b.len() / 2]).unwrap();
    rampart()
        .args(["verify", s(&m), "--public-key", s(&pk)])
        .assert()
        .code(1)
        .stdout(contains("invalid signature bundle"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let m = model(t.path());
    let (sk, pk) = keys(t.path(), "k", Curve::P256);
    // No trust anchor given.
    rampart().args(["verify", s(&m)]).assert().code(2);
    // Missing model directory.
    rampart()
        .args(["sign", s(&t.path().join("nope")), "--key", s(&sk)])
        .assert()
        .code(2)
        .stderr(contains("nope"));
    // Public key passed as the signing key.
    rampart()
        .args(["sign", s(&m), "--key", s(&pk)])
        .assert()
        .code(2)
        .stderr(contains("PUBLIC KEY"));
    // Missing signature.
    rampart()
        .args(["verify", s(&m), "--public-key", s(&pk)])
        .assert()
        .code(2)
        .stderr(contains("model.sig"));
    // blake3 with shards cannot be recorded.
    rampart()
        .args([
            "sign",
            s(&m),
            "--key",
            s(&sk),
            "--hash",
            "blake3",
            "--shard-size",
            "1000",
        ])
        .assert()
        .code(2)
        .stderr(contains("blake3"));
}

#[test]
fn digest_prints_the_manifest() {
    let t = tempfile::tempdir().unwrap();
    let m = model(t.path());
    let out = rampart()
        .args(["digest", s(&m), "--shard-size", "40000"])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["serialization"]["method"], "shards");
    let names: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "config.json:0:7",
            "sub/weights.bin:0:40000",
            "sub/weights.bin:40000:80000",
            "sub/weights.bin:80000:100000"
        ]
    );
    assert_eq!(v["resources"][0]["algorithm"], "sha256-sharded-40000");
}

#[test]
fn cli_interop_with_model_signing_keys_and_certificates() {
    let t = tempfile::tempdir().unwrap();
    let m = model(t.path());
    let sig = m.join("model.sig");
    let (sk, pk) = keys(t.path(), "k", Curve::P384);

    rampart()
        .args(["sign", s(&m), "--key", s(&sk)])
        .assert()
        .code(0);
    let o = model_signing(&[
        "verify",
        "key",
        s(&m),
        "--signature",
        s(&sig),
        "--public_key",
        s(&pk),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    std::fs::remove_file(&sig).unwrap();
    let o = model_signing(&[
        "sign",
        "key",
        s(&m),
        "--signature",
        s(&sig),
        "--private_key",
        s(&sk),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    rampart()
        .args(["verify", s(&m), "--public-key", s(&pk)])
        .assert()
        .code(0);

    let pki = TestPki::generate(Curve::P256, "cli").unwrap();
    let root = t.path().join("root.pem");
    let int = t.path().join("int.pem");
    let leaf = t.path().join("leaf.pem");
    let leaf_key = t.path().join("leaf.key");
    std::fs::write(&root, cert_pem(&pki.root)).unwrap();
    std::fs::write(&int, cert_pem(&pki.intermediate)).unwrap();
    std::fs::write(&leaf, cert_pem(&pki.leaf)).unwrap();
    std::fs::write(&leaf_key, pki.leaf_key.to_pkcs8_pem()).unwrap();

    rampart()
        .args([
            "sign",
            s(&m),
            "--key",
            s(&leaf_key),
            "--certificate-chain",
            s(&leaf),
            s(&int),
        ])
        .assert()
        .code(0);
    let o = model_signing(&[
        "verify",
        "certificate",
        s(&m),
        "--signature",
        s(&sig),
        "--certificate_chain",
        s(&root),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    rampart()
        .args(["verify", s(&m), "--root", s(&root)])
        .assert()
        .code(0)
        .stdout(contains("cli signer"));

    std::fs::remove_file(&sig).unwrap();
    let o = model_signing(&[
        "sign",
        "certificate",
        s(&m),
        "--signature",
        s(&sig),
        "--private_key",
        s(&leaf_key),
        "--signing_certificate",
        s(&leaf),
        "--certificate_chain",
        s(&int),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    rampart()
        .args(["verify", s(&m), "--root", s(&root)])
        .assert()
        .code(0);
    // The bare-key path refuses a certificate bundle with a hint at the right flag.
    rampart()
        .args(["verify", s(&m), "--public-key", s(&pk)])
        .assert()
        .code(1)
        .stdout(contains("--root"));
}

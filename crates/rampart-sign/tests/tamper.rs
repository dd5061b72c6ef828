//! Tampering and bad input: each case is refused with a message that names
//! the problem, and nothing yields a "valid" verdict by accident.

mod common;

use base64::Engine as _;
use common::*;
use rampart_sign::{
    sign_dir, verify_dir_with, verify_model_for_deployment, Curve, HashAlgorithm, HashOptions,
    KeySigner, KeyVerifier, PrivateKey, PublicKey, SignError, TrustConfig, VerifyOptions,
    VerifyOutcome,
};
use std::path::{Path, PathBuf};

struct Fixture {
    _t: tempfile::TempDir,
    model: PathBuf,
    sig: PathBuf,
    k: KeyFiles,
}

fn signed(curve: Curve) -> Fixture {
    let t = tempfile::tempdir().unwrap();
    let model = make_model(t.path());
    let k = key_files(t.path(), curve, "k");
    let sig = model.join("model.sig");
    sign_dir(
        &model,
        &KeySigner::new(k.key.clone()),
        &HashOptions::default(),
        &sig,
    )
    .unwrap();
    Fixture {
        _t: t,
        model,
        sig,
        k,
    }
}

fn verify(f: &Fixture) -> Result<VerifyOutcome, SignError> {
    let v = KeyVerifier::new(vec![PublicKey::from_pem_file(&f.k.public_pem).unwrap()]);
    verify_dir_with(&f.model, &f.sig, &v, &VerifyOptions::default())
}

#[test]
fn untouched_model_is_valid() {
    let f = signed(Curve::P256);
    let o = verify(&f).unwrap();
    assert!(o.is_valid(), "{:?}", o.problems());
    assert_eq!(o.files_checked, 5);
}

#[test]
fn flipped_byte_is_named() {
    let f = signed(Curve::P384);
    let p = f.model.join("sub/deeper/tok.txt");
    let mut b = std::fs::read(&p).unwrap();
    b[0] ^= 0x20;
    std::fs::write(&p, b).unwrap();
    let o = verify(&f).unwrap();
    assert!(!o.is_valid());
    assert_eq!(o.modified, ["sub/deeper/tok.txt"]);
    assert!(o.added.is_empty() && o.removed.is_empty());
    assert_eq!(o.problems(), ["modified: sub/deeper/tok.txt"]);
}

#[test]
fn renamed_added_removed_files_are_named() {
    let f = signed(Curve::P256);
    std::fs::rename(f.model.join("config.json"), f.model.join("config2.json")).unwrap();
    std::fs::write(f.model.join("sub/extra.py"), b"import os").unwrap();
    std::fs::remove_file(f.model.join("empty.txt")).unwrap();
    let o = verify(&f).unwrap();
    assert_eq!(o.added, ["config2.json", "sub/extra.py"]);
    assert_eq!(o.removed, ["config.json", "empty.txt"]);
    assert!(o.modified.is_empty());
}

#[test]
fn symlink_swapped_in_is_refused() {
    let f = signed(Curve::P256);
    // Same content, but through a link the signature does not allow.
    let target = f.model.parent().unwrap().join("outside.json");
    std::fs::copy(f.model.join("config.json"), &target).unwrap();
    std::fs::remove_file(f.model.join("config.json")).unwrap();
    std::os::unix::fs::symlink(&target, f.model.join("config.json")).unwrap();
    let o = verify(&f).unwrap();
    assert!(!o.is_valid());
    assert_eq!(o.symlinks, ["config.json"]);
    assert!(o.removed.is_empty(), "{:?}", o.removed);
    assert_eq!(o.problems(), ["symlink swapped in: config.json"]);
}

#[test]
fn signature_for_another_directory_is_refused() {
    let f = signed(Curve::P256);
    let other = f.model.parent().unwrap().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("config.json"), b"{}").unwrap();
    std::fs::write(other.join("weights.bin"), b"\x00\x01").unwrap();
    let v = KeyVerifier::new(vec![f.k.key.public_key()]);
    let o = verify_dir_with(&other, &f.sig, &v, &VerifyOptions::default()).unwrap();
    assert!(!o.is_valid());
    assert_eq!(o.modified, ["config.json"]);
    assert_eq!(o.added, ["weights.bin"]);
    assert_eq!(o.removed.len(), 4, "{:?}", o.removed);
}

#[test]
fn wrong_key_is_refused_by_hint_and_by_signature() {
    let f = signed(Curve::P256);
    let wrong = PrivateKey::generate(Curve::P256).public_key();
    let err = verify_dir_with(
        &f.model,
        &f.sig,
        &KeyVerifier::new(vec![wrong.clone()]),
        &VerifyOptions::default(),
    )
    .unwrap_err();
    assert!(err.is_verdict());
    assert!(err.to_string().contains("wrong key"), "{err}");

    // Without the hint, the signature check itself must fail.
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&f.sig).unwrap()).unwrap();
    b["verificationMaterial"]["publicKey"] = serde_json::json!({});
    std::fs::write(&f.sig, serde_json::to_vec(&b).unwrap()).unwrap();
    let err = verify_dir_with(
        &f.model,
        &f.sig,
        &KeyVerifier::new(vec![wrong]),
        &VerifyOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    // The right key still verifies the hint-less bundle (older signers wrote none).
    assert!(verify(&f).unwrap().is_valid());
}

fn edit_payload(sig: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(sig).unwrap()).unwrap();
    let payload = b64
        .decode(b["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let mut st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    f(&mut st);
    b["dsseEnvelope"]["payload"] = b64.encode(serde_json::to_vec(&st).unwrap()).into();
    std::fs::write(sig, serde_json::to_vec(&b).unwrap()).unwrap();
}

#[test]
fn edited_bundle_is_refused() {
    // A resource digest replaced (as an attacker would after swapping weights).
    let f = signed(Curve::P256);
    edit_payload(&f.sig, |st| {
        st["predicate"]["resources"][0]["digest"] = "00".repeat(32).into();
    });
    let err = verify(&f).unwrap_err();
    assert!(err.is_verdict());
    assert!(
        err.to_string().contains("signature verification failed"),
        "{err}"
    );

    // An ignore path added so that a changed file would be skipped.
    let f = signed(Curve::P256);
    edit_payload(&f.sig, |st| {
        st["predicate"]["serialization"]["ignore_paths"] = serde_json::json!(["sub"]);
    });
    assert!(verify(&f)
        .unwrap_err()
        .to_string()
        .contains("does not match"));

    // The signature bytes changed.
    let f = signed(Curve::P256);
    let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&f.sig).unwrap()).unwrap();
    let sig = b["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_string();
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    let n = raw.len();
    raw[n - 3] ^= 1;
    b["dsseEnvelope"]["signatures"][0]["sig"] =
        base64::engine::general_purpose::STANDARD.encode(raw).into();
    std::fs::write(&f.sig, serde_json::to_vec(&b).unwrap()).unwrap();
    assert!(verify(&f).unwrap_err().is_verdict());

    // The media type changed.
    let f = signed(Curve::P256);
    let text = std::fs::read_to_string(&f.sig)
        .unwrap()
        .replace("bundle.v0.3", "bundle.v0.1");
    std::fs::write(&f.sig, text).unwrap();
    assert!(verify(&f).unwrap_err().to_string().contains("media type"));
}

#[test]
fn truncated_and_malformed_bundles_are_refused() {
    let f = signed(Curve::P256);
    let full = std::fs::read(&f.sig).unwrap();
    for cut in [0, 1, full.len() / 3, full.len() / 2, full.len() - 1] {
        std::fs::write(&f.sig, &full[..cut]).unwrap();
        let err = verify(&f).unwrap_err();
        assert!(err.is_verdict(), "cut {cut}: {err}");
        assert!(
            err.to_string().contains("invalid signature bundle"),
            "cut {cut}: {err}"
        );
    }
    for bad in [
        &br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}"#[..],
        br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"!!","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}"#,
        br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"","payloadType":"application/vnd.in-toto+json","signatures":[]}}"#,
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"\xff\xfe\x00",
    ] {
        std::fs::write(&f.sig, bad).unwrap();
        let err = verify(&f).unwrap_err();
        assert!(err.is_verdict(), "{err}");
    }
}

#[test]
fn huge_bundle_is_refused_by_size_cap() {
    let f = signed(Curve::P256);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&f.sig)
        .unwrap();
    file.set_len(rampart_sign::bundle::MAX_BUNDLE_BYTES + 10)
        .unwrap();
    let err = verify(&f).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[test]
fn missing_signature_is_an_io_error_not_a_verdict() {
    let f = signed(Curve::P256);
    std::fs::remove_file(&f.sig).unwrap();
    let err = verify(&f).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("model.sig"), "{err}");
}

#[test]
fn wrong_kind_pem_files_are_explained() {
    let f = signed(Curve::P256);
    let e = PrivateKey::from_pem_file(&f.k.public_pem)
        .unwrap_err()
        .to_string();
    assert!(e.contains("PUBLIC KEY") && e.contains("private key"), "{e}");
    let e = PublicKey::from_pem_file(&f.k.private_pem)
        .unwrap_err()
        .to_string();
    assert!(e.contains("PRIVATE KEY") && e.contains("public key"), "{e}");
    let t = tempfile::tempdir().unwrap();
    let p = pki_files(t.path(), Curve::P256, "x");
    let e = PublicKey::from_pem_file(&p.root).unwrap_err().to_string();
    assert!(e.contains("CERTIFICATE") && e.contains("--root"), "{e}");
    let e = rampart_sign::keys::load_certificates(std::slice::from_ref(&f.k.public_pem))
        .unwrap_err()
        .to_string();
    assert!(e.contains("certificate"), "{e}");
    let junk = t.path().join("junk.pem");
    std::fs::write(&junk, [0u8, 159, 146, 150]).unwrap();
    assert!(PrivateKey::from_pem_file(&junk)
        .unwrap_err()
        .to_string()
        .contains("not a PEM"));
    // A certificate-signed bundle checked with a public key says which mode to use.
    let sig = t.path().join("c.sig");
    let signer = rampart_sign::CertificateSigner::new(
        p.pki.leaf_key.clone(),
        vec![p.pki.leaf.clone()],
        &p.leaf_key,
    )
    .unwrap();
    sign_dir(&f.model, &signer, &HashOptions::default(), &sig).unwrap();
    let v = KeyVerifier::new(vec![f.k.key.public_key()]);
    let e = verify_dir_with(&f.model, &sig, &v, &VerifyOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("--root"), "{e}");
    // A leaf key that does not match the certificate is refused at signing.
    let e = rampart_sign::CertificateSigner::new(
        f.k.key.clone(),
        vec![p.pki.leaf.clone()],
        &f.k.private_pem,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("does not match"), "{e}");
}

#[test]
fn symlinks_and_special_files_refused_when_signing() {
    let t = tempfile::tempdir().unwrap();
    let model = make_model(t.path());
    let k = key_files(t.path(), Curve::P256, "k");
    std::os::unix::fs::symlink("config.json", model.join("link.json")).unwrap();
    let err = sign_dir(
        &model,
        &KeySigner::new(k.key.clone()),
        &HashOptions::default(),
        &model.join("model.sig"),
    )
    .unwrap_err();
    assert!(matches!(err, SignError::Symlink { .. }), "{err}");
    assert!(err.to_string().contains("link.json"));
    // Allowed: the link is hashed through, and verification accepts it.
    let opts = HashOptions {
        allow_symlinks: true,
        ..HashOptions::default()
    };
    let sig = model.join("model.sig");
    let s = sign_dir(&model, &KeySigner::new(k.key.clone()), &opts, &sig).unwrap();
    assert!(s.manifest.items.iter().any(|i| i.path == "link.json"));
    let v = KeyVerifier::new(vec![k.key.public_key()]);
    assert!(verify_dir_with(&model, &sig, &v, &VerifyOptions::default())
        .unwrap()
        .is_valid());
    // A dangling link cannot be read.
    std::os::unix::fs::symlink("nowhere", model.join("dangling")).unwrap();
    let err = sign_dir(&model, &KeySigner::new(k.key.clone()), &opts, &sig).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("dangling"), "{err}");
    std::fs::remove_file(model.join("dangling")).unwrap();
    // A FIFO is neither file nor directory.
    let fifo = model.join("pipe");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(st.success());
    let err = sign_dir(&model, &KeySigner::new(k.key.clone()), &opts, &sig).unwrap_err();
    assert!(matches!(err, SignError::SpecialFile { .. }), "{err}");
}

#[test]
fn options_that_cannot_be_recorded_are_usage_errors() {
    let t = tempfile::tempdir().unwrap();
    let model = make_model(t.path());
    let k = PrivateKey::generate(Curve::P256);
    let sig = model.join("model.sig");
    for opts in [
        HashOptions {
            algorithm: HashAlgorithm::Blake3,
            shard_size: Some(10),
            ..HashOptions::default()
        },
        HashOptions {
            shard_size: Some(0),
            ..HashOptions::default()
        },
        HashOptions {
            ignore_paths: vec!["../outside".into()],
            ..HashOptions::default()
        },
        HashOptions {
            ignore_globs: vec!["[".into()],
            ..HashOptions::default()
        },
    ] {
        let err = sign_dir(&model, &KeySigner::new(k.clone()), &opts, &sig).unwrap_err();
        assert!(matches!(err, SignError::Usage(_)), "{err}");
    }
    assert!(!sig.exists());
}

#[test]
fn ignore_globs_are_recorded_as_literal_paths() {
    let t = tempfile::tempdir().unwrap();
    let model = make_model(t.path());
    std::fs::write(model.join("README.md"), b"docs").unwrap();
    std::fs::write(model.join("sub/NOTES.md"), b"notes").unwrap();
    let k = PrivateKey::generate(Curve::P256);
    let sig = model.join("model.sig");
    let opts = HashOptions {
        ignore_globs: vec!["**/*.md".into(), "*.md".into()],
        ..HashOptions::default()
    };
    let s = sign_dir(&model, &KeySigner::new(k.clone()), &opts, &sig).unwrap();
    let ig = &s.manifest.serialization.ignore_paths;
    assert!(
        ig.contains(&"README.md".to_string()) && ig.contains(&"sub/NOTES.md".to_string()),
        "{ig:?}"
    );
    assert!(ig.contains(&"model.sig".to_string()));
    assert!(s.manifest.items.iter().all(|i| !i.path.ends_with(".md")));
    // Editing an ignored file does not invalidate the signature.
    std::fs::write(model.join("README.md"), b"new docs").unwrap();
    let v = KeyVerifier::new(vec![k.public_key()]);
    assert!(verify_dir_with(&model, &sig, &v, &VerifyOptions::default())
        .unwrap()
        .is_valid());
}

#[test]
fn deployment_gate_uses_trust_config_and_denies_by_default() {
    let f = signed(Curve::P384);
    let err = verify_model_for_deployment(&f.model, &TrustConfig::default()).unwrap_err();
    assert!(err.to_string().contains("deny by default"), "{err}");

    let cfg_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&f.k.public_pem, cfg_dir.path().join("release.pub")).unwrap();
    let cfg = cfg_dir.path().join("trust.toml");
    std::fs::write(&cfg, "public_keys = [\"release.pub\"]\n").unwrap();
    let trust = TrustConfig::load(&cfg).unwrap();
    let ok = verify_model_for_deployment(&f.model, &trust).unwrap();
    assert!(ok.is_valid());

    std::fs::write(f.model.join("config.json"), b"{\"layers\": 3}").unwrap();
    let err = verify_model_for_deployment(&f.model, &trust).unwrap_err();
    assert!(err.is_verdict());
    assert!(err.to_string().contains("modified: config.json"), "{err}");

    std::fs::write(&cfg, "public_keys = [\"release.pub\"]\nroot = 3\n").unwrap();
    let e = TrustConfig::load(&cfg).unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
}

/// Deterministic mutation sweep over a real bundle (the same paths the
/// cargo-fuzz target drives): no mutation panics, and any mutation that
/// still verifies leaves the signed payload and signature untouched (only
/// unsigned metadata such as unknown fields changed).
#[test]
fn mutated_bundles_never_verify_with_changed_content() {
    let f = signed(Curve::P256);
    let original = std::fs::read(&f.sig).unwrap();
    let orig_bundle = rampart_sign::bundle::Bundle::parse(&original, &f.sig).unwrap();
    let orig_content = orig_bundle.payload_and_sig(&f.sig).unwrap();
    let v = KeyVerifier::new(vec![f.k.key.public_key()]);
    let step = (original.len() / 300).max(1);
    let mut accepted = 0;
    for pos in (0..original.len()).step_by(step) {
        for m in 0..3u8 {
            let mut b = original.clone();
            match m {
                0 => b[pos] ^= 0x01,
                1 => b[pos] = b'"',
                _ => b.truncate(pos),
            }
            std::fs::write(&f.sig, &b).unwrap();
            if let Ok(o) = verify_dir_with(&f.model, &f.sig, &v, &VerifyOptions::default()) {
                if o.is_valid() {
                    accepted += 1;
                    let bundle = rampart_sign::bundle::Bundle::parse(&b, &f.sig).unwrap();
                    assert_eq!(
                        bundle.payload_and_sig(&f.sig).unwrap(),
                        orig_content,
                        "mutation {m} at {pos}"
                    );
                }
            }
        }
    }
    // Most positions are inside signed material; only a few may be harmless.
    assert!(accepted < 30, "{accepted} mutations accepted");
}

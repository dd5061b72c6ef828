//! Interoperability with the OpenSSF `model_signing` 1.x package, both ways:
//! Rampart signs and model_signing verifies, model_signing signs and Rampart
//! verifies, for P-256 and P-384 keys and for certificate chains, per file
//! and per shard. The peer must be installed (see `common::python`); these
//! tests fail rather than skip without it.

mod common;

use common::*;
use rampart_sign::bundle::{parse_statement, Bundle};
use rampart_sign::{
    digest_dir, sign_dir, verify_dir_with, CertificateSigner, CertificateVerifier, Curve,
    HashAlgorithm, HashOptions, KeySigner, KeyVerifier, PublicKey, VerifyOptions,
};

fn key_verifier(k: &KeyFiles) -> KeyVerifier {
    KeyVerifier::new(vec![PublicKey::from_pem_file(&k.public_pem).unwrap()])
}

#[test]
fn keys_both_ways_p256_and_p384() {
    for curve in [Curve::P256, Curve::P384] {
        let t = tempfile::tempdir().unwrap();
        let model = make_model(t.path());
        let k = key_files(t.path(), curve, "k");
        let sig = model.join("model.sig");

        // Rampart signs, model_signing verifies.
        sign_dir(
            &model,
            &KeySigner::new(k.key.clone()),
            &HashOptions::default(),
            &sig,
        )
        .unwrap();
        let o = model_signing(&[
            "verify",
            "key",
            s(&model),
            "--signature",
            s(&sig),
            "--public_key",
            s(&k.public_pem),
        ]);
        assert!(
            o.status.success(),
            "{curve:?}: model_signing rejected Rampart's signature\n{}",
            show(&o)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("Verification succeeded"));

        // model_signing signs, Rampart verifies.
        std::fs::remove_file(&sig).unwrap();
        let o = model_signing(&[
            "sign",
            "key",
            s(&model),
            "--signature",
            s(&sig),
            "--private_key",
            s(&k.private_pem),
        ]);
        assert!(o.status.success(), "{}", show(&o));
        let out =
            verify_dir_with(&model, &sig, &key_verifier(&k), &VerifyOptions::default()).unwrap();
        assert!(out.is_valid(), "{curve:?}: {:?}", out.problems());
        assert_eq!(out.files_checked, 5);

        // Both tools compute the same manifest.
        let bundle = Bundle::read(&sig).unwrap();
        let (payload, _) = bundle.payload_and_sig(&sig).unwrap();
        let theirs = parse_statement(&payload, &sig).unwrap();
        let mut opts = HashOptions::default();
        opts.ignore_paths.push("model.sig".into());
        let ours = digest_dir(&model, &opts).unwrap();
        assert_eq!(theirs.items, ours.items);
        assert_eq!(theirs.root_digest(), ours.root_digest());
        // model_signing writes ignore_paths from a Python set (random order).
        let mut their_ignores = theirs.serialization.ignore_paths.clone();
        their_ignores.sort();
        assert_eq!(their_ignores, ours.serialization.ignore_paths);
        assert_eq!(
            bundle
                .verification_material
                .public_key
                .unwrap()
                .hint
                .unwrap(),
            k.key.public_key().hint()
        );

        // A flipped byte is caught by both.
        let w = model.join("sub/weights.bin");
        let mut bytes = std::fs::read(&w).unwrap();
        bytes[1234] ^= 1;
        std::fs::write(&w, bytes).unwrap();
        let out =
            verify_dir_with(&model, &sig, &key_verifier(&k), &VerifyOptions::default()).unwrap();
        assert_eq!(out.modified, ["sub/weights.bin"]);
        let o = model_signing(&[
            "verify",
            "key",
            s(&model),
            "--signature",
            s(&sig),
            "--public_key",
            s(&k.public_pem),
        ]);
        assert!(!o.status.success());
    }
}

#[test]
fn certificates_both_ways() {
    for curve in [Curve::P256, Curve::P384] {
        let t = tempfile::tempdir().unwrap();
        let model = make_model(t.path());
        let p = pki_files(t.path(), curve, "acme");
        let sig = model.join("model.sig");
        let roots = rampart_sign::keys::load_certificates(std::slice::from_ref(&p.root)).unwrap();

        // Rampart signs with leaf + intermediate; model_signing checks against the root.
        let signer = CertificateSigner::new(
            p.pki.leaf_key.clone(),
            vec![p.pki.leaf.clone(), p.pki.intermediate.clone()],
            &p.leaf_key,
        )
        .unwrap();
        sign_dir(&model, &signer, &HashOptions::default(), &sig).unwrap();
        let o = model_signing(&[
            "verify",
            "certificate",
            s(&model),
            "--signature",
            s(&sig),
            "--certificate_chain",
            s(&p.root),
        ]);
        assert!(
            o.status.success(),
            "{curve:?}: model_signing rejected Rampart's certificate signature\n{}",
            show(&o)
        );

        // model_signing signs; Rampart verifies against the root.
        std::fs::remove_file(&sig).unwrap();
        let o = model_signing(&[
            "sign",
            "certificate",
            s(&model),
            "--signature",
            s(&sig),
            "--private_key",
            s(&p.leaf_key),
            "--signing_certificate",
            s(&p.leaf),
            "--certificate_chain",
            s(&p.intermediate),
        ]);
        assert!(o.status.success(), "{}", show(&o));
        let v = CertificateVerifier::new(roots.clone(), vec![]);
        let out = verify_dir_with(&model, &sig, &v, &VerifyOptions::default()).unwrap();
        assert!(out.is_valid(), "{:?}", out.problems());
        assert!(out.signer.contains("acme signer"), "{}", out.signer);

        // A different root is refused by both.
        let other = pki_files(t.path(), curve, "other");
        let other_roots =
            rampart_sign::keys::load_certificates(std::slice::from_ref(&other.root)).unwrap();
        let err = verify_dir_with(
            &model,
            &sig,
            &CertificateVerifier::new(other_roots, vec![]),
            &VerifyOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("does not lead to a trusted root"),
            "{err}"
        );
        let o = model_signing(&[
            "verify",
            "certificate",
            s(&model),
            "--signature",
            s(&sig),
            "--certificate_chain",
            s(&other.root),
        ]);
        assert!(!o.status.success());
    }
}

const PY_SIGN_API: &str = r#"
import sys, pathlib
import model_signing as ms
model, sig, key, mode = sys.argv[1:5]
h = ms.hashing.Config()
if mode == "shards":
    h = h.use_shard_serialization(shard_size=int(sys.argv[5]))
elif mode == "blake3":
    h = h.use_file_serialization(hashing_algorithm="blake3")
ms.signing.Config().use_elliptic_key_signer(private_key=key).set_hashing_config(h).sign(model, sig)
"#;

const PY_VERIFY_API: &str = r#"
import sys
import model_signing as ms
model, sig, pub = sys.argv[1:4]
# No hashing config: model_signing guesses it from the signature.
ms.verifying.Config().use_elliptic_key_verifier(public_key=pub).verify(model, sig)
print("ok")
"#;

#[test]
fn shards_and_blake3_both_ways() {
    let t = tempfile::tempdir().unwrap();
    let model = make_model(t.path());
    let k = key_files(t.path(), Curve::P256, "k");
    let sig = t.path().join("out.sig");
    for (mode, opts) in [
        (
            "shards",
            HashOptions {
                shard_size: Some(65_536),
                ..HashOptions::default()
            },
        ),
        (
            "blake3",
            HashOptions {
                algorithm: HashAlgorithm::Blake3,
                ..HashOptions::default()
            },
        ),
    ] {
        sign_dir(&model, &KeySigner::new(k.key.clone()), &opts, &sig).unwrap();
        let o = py(PY_VERIFY_API, &[s(&model), s(&sig), s(&k.public_pem)]);
        assert!(
            o.status.success(),
            "{mode}: model_signing rejected Rampart's signature\n{}",
            show(&o)
        );

        let o = py(
            PY_SIGN_API,
            &[s(&model), s(&sig), s(&k.private_pem), mode, "65536"],
        );
        assert!(o.status.success(), "{}", show(&o));
        let out =
            verify_dir_with(&model, &sig, &key_verifier(&k), &VerifyOptions::default()).unwrap();
        assert!(out.is_valid(), "{mode}: {:?}", out.problems());
        let bundle = Bundle::read(&sig).unwrap();
        let (payload, _) = bundle.payload_and_sig(&sig).unwrap();
        let theirs = parse_statement(&payload, &sig).unwrap();
        let ours = digest_dir(&model, &opts).unwrap();
        assert_eq!(theirs.items, ours.items, "{mode}");
        if mode == "shards" {
            // 200000 bytes in 65536-byte shards: 4 shards; the empty file has none.
            assert_eq!(
                ours.items
                    .iter()
                    .filter(|i| i.path == "sub/weights.bin")
                    .count(),
                4
            );
            assert!(ours.items.iter().all(|i| i.path != "empty.txt"));
        }
    }
}

/// A model_signing 0.2-era signature: predicate `Digests/v0.1` and the
/// buggy PAE (`DSSEV1 ... b'...'`). model_signing 1.x still accepts it, and
/// so must Rampart.
const PY_LEGACY_SIGN: &str = r#"
import sys, json, base64, hashlib, pathlib
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import ec
model, sig, key = sys.argv[1:4]
model = pathlib.Path(model)
subjects = []
for p in sorted(model.rglob("*")):
    rel = p.relative_to(model)
    if p.is_file() and rel.parts[0] not in (".git", ".gitattributes", "model.sig"):
        subjects.append({"name": str(rel), "digest": {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()}})
stmt = {"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
        "predicateType": "https://model_signing/Digests/v0.1", "predicate": {}}
payload = json.dumps(stmt).encode()
t = "application/vnd.in-toto+json"
pae = f"DSSEV1 {len(t)} {t} {len(payload)} {payload}".encode()
k = serialization.load_pem_private_key(pathlib.Path(key).read_bytes(), None)
s = k.sign(pae, ec.ECDSA(hashes.SHA256()))
bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
          "verificationMaterial": {"publicKey": {}},
          "dsseEnvelope": {"payload": base64.b64encode(payload).decode(), "payloadType": t,
                           "signatures": [{"sig": base64.b64encode(s).decode(), "keyid": ""}]}}
pathlib.Path(sig).write_text(json.dumps(bundle))
"#;

#[test]
fn legacy_v02_signatures_verify_like_model_signing() {
    let t = tempfile::tempdir().unwrap();
    let model = make_model(t.path());
    let k = key_files(t.path(), Curve::P256, "k");
    let sig = model.join("model.sig");
    let o = py(PY_LEGACY_SIGN, &[s(&model), s(&sig), s(&k.private_pem)]);
    assert!(o.status.success(), "{}", show(&o));
    // The peer accepts it...
    let o = model_signing(&[
        "verify",
        "key",
        s(&model),
        "--signature",
        s(&sig),
        "--public_key",
        s(&k.public_pem),
    ]);
    assert!(
        o.status.success(),
        "model_signing rejected the legacy fixture\n{}",
        show(&o)
    );
    // ...and so does Rampart.
    let out = verify_dir_with(&model, &sig, &key_verifier(&k), &VerifyOptions::default()).unwrap();
    assert!(out.is_valid(), "{:?}", out.problems());
    assert_eq!(out.predicate_type, "https://model_signing/Digests/v0.1");
    std::fs::write(model.join("config.json"), b"{}").unwrap();
    let out = verify_dir_with(&model, &sig, &key_verifier(&k), &VerifyOptions::default()).unwrap();
    assert_eq!(out.modified, ["config.json"]);
}

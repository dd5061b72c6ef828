//! Shared helpers for the rampart-sign integration tests: fixture models,
//! key files and the model_signing (Python) peer.
#![allow(dead_code)]

use rampart_sign::keygen::{cert_pem, TestPki};
use rampart_sign::{Curve, PrivateKey};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small model: nested directories, an empty file, binary data, a file
/// larger than one read buffer, and git files that must be left out.
pub fn make_model(root: &Path) -> PathBuf {
    let m = root.join("model");
    std::fs::create_dir_all(m.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(m.join(".git")).unwrap();
    std::fs::write(m.join("config.json"), br#"{"layers": 2}"#).unwrap();
    std::fs::write(m.join("empty.txt"), b"").unwrap();
    std::fs::write(m.join("sub.x"), b"sorts after sub/ by components").unwrap();
    std::fs::write(
        m.join("sub/weights.bin"),
        (0..200_000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(m.join("sub/deeper/tok.txt"), "héllo wörld\n".repeat(50)).unwrap();
    std::fs::write(m.join(".git/HEAD"), b"ref: refs/heads/main\n").unwrap();
    std::fs::write(m.join(".gitattributes"), b"*.bin filter=lfs\n").unwrap();
    m
}

pub struct KeyFiles {
    pub key: PrivateKey,
    pub private_pem: PathBuf,
    pub public_pem: PathBuf,
}

pub fn key_files(dir: &Path, curve: Curve, name: &str) -> KeyFiles {
    let key = PrivateKey::generate(curve);
    let private_pem = dir.join(format!("{name}.key.pem"));
    let public_pem = dir.join(format!("{name}.pub.pem"));
    std::fs::write(&private_pem, key.to_pkcs8_pem()).unwrap();
    std::fs::write(&public_pem, key.public_key().to_pem()).unwrap();
    KeyFiles {
        key,
        private_pem,
        public_pem,
    }
}

pub struct PkiFiles {
    pub pki: TestPki,
    pub root: PathBuf,
    pub intermediate: PathBuf,
    pub leaf: PathBuf,
    pub leaf_key: PathBuf,
}

pub fn pki_files(dir: &Path, curve: Curve, name: &str) -> PkiFiles {
    let pki = TestPki::generate(curve, name).unwrap();
    let root = dir.join(format!("{name}-root.pem"));
    let intermediate = dir.join(format!("{name}-int.pem"));
    let leaf = dir.join(format!("{name}-leaf.pem"));
    let leaf_key = dir.join(format!("{name}-leaf.key.pem"));
    std::fs::write(&root, cert_pem(&pki.root)).unwrap();
    std::fs::write(&intermediate, cert_pem(&pki.intermediate)).unwrap();
    std::fs::write(&leaf, cert_pem(&pki.leaf)).unwrap();
    std::fs::write(&leaf_key, pki.leaf_key.to_pkcs8_pem()).unwrap();
    PkiFiles {
        pki,
        root,
        intermediate,
        leaf,
        leaf_key,
    }
}

/// The Python interpreter of the test venv; fails loudly when the
/// model_signing peer is not installed.
pub fn python() -> PathBuf {
    let p = std::env::var_os("RAMPART_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/rampart-venv/bin/python")
        });
    let ok = Command::new(&p)
        .args([
            "-c",
            "import model_signing, OpenSSL; print(model_signing.__version__)",
        ])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("1."))
        .unwrap_or(false);
    assert!(
        ok,
        "the OpenSSF model_signing 1.x peer is required for interop tests and was not found with {}.\n\
         Create the test venv with ./scripts/test.sh, or:\n  python3 -m venv $HOME/.cache/rampart-venv && \
         $HOME/.cache/rampart-venv/bin/pip install -r scripts/requirements-test.txt\n\
         (or point RAMPART_PYTHON at a Python that has `model-signing==1.1.1` and `pyopenssl`)",
        p.display()
    );
    p
}

/// Run `python -m model_signing ARGS`.
pub fn model_signing(args: &[&str]) -> Output {
    Command::new(python())
        .arg("-m")
        .arg("model_signing")
        .args(args)
        .output()
        .unwrap()
}

/// Run a Python snippet with model_signing importable.
pub fn py(script: &str, args: &[&str]) -> Output {
    Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn show(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

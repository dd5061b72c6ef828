//! Key material: PEM loading with errors that say what kind of PEM was found
//! and what was expected, ECDSA P-256/P-384 signing and verification, and
//! the public-key hint model_signing records in bundles (hex SHA-256 of the
//! key's SubjectPublicKeyInfo PEM).
//!
//! P-256 signs with SHA-256 and P-384 with SHA-384, as model_signing does
//! (it follows the curve size). Signatures are DER-encoded ECDSA.

use crate::SignError;
use der::{Decode, Encode};
use ecdsa::signature::hazmat::PrehashVerifier;
use ecdsa::signature::{Signer as _, Verifier as _};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use spki::{DecodePublicKey, EncodePublicKey};
use std::path::Path;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_ED25519: &str = "1.3.101.112";

/// Largest key or certificate file read.
pub const MAX_PEM_BYTES: u64 = 1 << 20;

/// Supported curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

impl Curve {
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }
}

/// An ECDSA private key.
#[derive(Clone)]
pub enum PrivateKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "PrivateKey({})", self.curve().name())
    }
}

/// An ECDSA public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PrivateKey {
    pub fn generate(curve: Curve) -> PrivateKey {
        let mut rng = rand::rngs::OsRng;
        match curve {
            Curve::P256 => PrivateKey::P256(p256::ecdsa::SigningKey::random(&mut rng)),
            Curve::P384 => PrivateKey::P384(p384::ecdsa::SigningKey::random(&mut rng)),
        }
    }

    pub fn curve(&self) -> Curve {
        match self {
            PrivateKey::P256(_) => Curve::P256,
            PrivateKey::P384(_) => Curve::P384,
        }
    }

    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::P256(k) => PublicKey::P256(*k.verifying_key()),
            PrivateKey::P384(k) => PublicKey::P384(*k.verifying_key()),
        }
    }

    /// ECDSA over `msg` (SHA-256 for P-256, SHA-384 for P-384), DER-encoded.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            PrivateKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
            PrivateKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(msg);
                s.to_der().as_bytes().to_vec()
            }
        }
    }

    /// PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> String {
        let r = match self {
            PrivateKey::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
            PrivateKey::P384(k) => k.to_pkcs8_pem(LineEnding::LF),
        };
        r.map(|z| z.to_string()).unwrap_or_default()
    }

    /// Load a PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    pub fn from_pem_file(path: &Path) -> Result<PrivateKey, SignError> {
        let text = read_pem_text(path)?;
        PrivateKey::from_pem(&text).map_err(|r| SignError::key(path, r))
    }

    pub fn from_pem(text: &str) -> Result<PrivateKey, String> {
        let label = first_label(text)?;
        match label.as_str() {
            "PRIVATE KEY" => {
                if let Ok(k) = p256::SecretKey::from_pkcs8_pem(text) {
                    return Ok(PrivateKey::P256(k.into()));
                }
                if let Ok(k) = p384::SecretKey::from_pkcs8_pem(text) {
                    return Ok(PrivateKey::P384(k.into()));
                }
                let (_, doc) = pkcs8::SecretDocument::from_pem(text).map_err(|e| format!("malformed PKCS#8 private key: {e}"))?;
                let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| format!("malformed PKCS#8 private key: {e}"))?;
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .map(|o| o.to_string())
                    .unwrap_or_default();
                Err(unsupported_algorithm(&info.algorithm.oid.to_string(), &curve, "private key"))
            }
            "EC PRIVATE KEY" => {
                use p256::elliptic_curve::SecretKey;
                if let Ok(k) = SecretKey::<p256::NistP256>::from_sec1_pem(text) {
                    return Ok(PrivateKey::P256(k.into()));
                }
                if let Ok(k) = SecretKey::<p384::NistP384>::from_sec1_pem(text) {
                    return Ok(PrivateKey::P384(k.into()));
                }
                Err("EC private key on an unsupported curve (P-256 and P-384 are supported) or malformed".into())
            }
            "ENCRYPTED PRIVATE KEY" => Err("the private key is encrypted; decrypt it first (e.g. `openssl pkcs8 -in KEY -out PLAIN.pem -nocrypt`) and keep the result protected".into()),
            other => Err(wrong_kind(other, "a private key (PEM `PRIVATE KEY` or `EC PRIVATE KEY`)")),
        }
    }
}

impl PublicKey {
    pub fn curve(&self) -> Curve {
        match self {
            PublicKey::P256(_) => Curve::P256,
            PublicKey::P384(_) => Curve::P384,
        }
    }

    /// SubjectPublicKeyInfo PEM with LF line endings, as Python's
    /// `cryptography` writes it.
    pub fn to_pem(&self) -> String {
        let r = match self {
            PublicKey::P256(k) => k.to_public_key_pem(LineEnding::LF),
            PublicKey::P384(k) => k.to_public_key_pem(LineEnding::LF),
        };
        r.unwrap_or_default()
    }

    /// SubjectPublicKeyInfo DER.
    pub fn to_der(&self) -> Vec<u8> {
        let r = match self {
            PublicKey::P256(k) => k.to_public_key_der(),
            PublicKey::P384(k) => k.to_public_key_der(),
        };
        r.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The public-key identifier model_signing puts in bundles.
    pub fn hint(&self) -> String {
        hex::encode(Sha256::digest(self.to_pem().as_bytes()))
    }

    /// Verify a DER ECDSA signature over `msg` with the curve's hash.
    pub fn verify(&self, msg: &[u8], der_sig: &[u8]) -> bool {
        match self {
            PublicKey::P256(k) => {
                p256::ecdsa::Signature::from_der(der_sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
            }
            PublicKey::P384(k) => {
                p384::ecdsa::Signature::from_der(der_sig).is_ok_and(|s| k.verify(msg, &s).is_ok())
            }
        }
    }

    /// Verify a DER ECDSA signature over an already computed digest.
    pub fn verify_prehash(&self, digest: &[u8], der_sig: &[u8]) -> bool {
        match self {
            PublicKey::P256(k) => p256::ecdsa::Signature::from_der(der_sig)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            PublicKey::P384(k) => p384::ecdsa::Signature::from_der(der_sig)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
        }
    }

    /// Load a PEM `PUBLIC KEY`.
    pub fn from_pem_file(path: &Path) -> Result<PublicKey, SignError> {
        let text = read_pem_text(path)?;
        PublicKey::from_pem(&text).map_err(|r| SignError::key(path, r))
    }

    pub fn from_pem(text: &str) -> Result<PublicKey, String> {
        let label = first_label(text)?;
        if label != "PUBLIC KEY" {
            let hint = if label == "CERTIFICATE" {
                "; to trust a certificate use --root (certificate mode)"
            } else {
                ""
            };
            return Err(format!(
                "{}{hint}",
                wrong_kind(&label, "a public key (PEM `PUBLIC KEY`)")
            ));
        }
        let (_, doc) =
            spki::Document::from_pem(text).map_err(|e| format!("malformed public key PEM: {e}"))?;
        PublicKey::from_spki_der(doc.as_bytes())
    }

    /// Parse a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(PublicKey::P384(k));
        }
        let info = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("malformed public key: {e}"))?;
        let curve = info
            .algorithm
            .parameters_oid()
            .map(|o| o.to_string())
            .unwrap_or_default();
        Err(unsupported_algorithm(
            &info.algorithm.oid.to_string(),
            &curve,
            "public key",
        ))
    }
}

fn unsupported_algorithm(alg: &str, curve: &str, what: &str) -> String {
    let name = match (alg, curve) {
        (OID_EC_PUBLIC_KEY, OID_P521) => "ECDSA P-521".to_string(),
        (OID_EC_PUBLIC_KEY, OID_P256) | (OID_EC_PUBLIC_KEY, OID_P384) => {
            return format!("malformed EC {what}")
        }
        (OID_EC_PUBLIC_KEY, c) => format!("ECDSA on curve {c}"),
        (OID_RSA, _) => "RSA".to_string(),
        (OID_ED25519, _) => "Ed25519".to_string(),
        (a, _) => format!("algorithm {a}"),
    };
    format!("{name} {what}s are not supported; use an ECDSA P-256 or P-384 key")
}

fn wrong_kind(found: &str, expected: &str) -> String {
    format!("holds a PEM `{found}`, but {expected} is needed here")
}

/// Read a small PEM file as text.
pub(crate) fn read_pem_text(path: &Path) -> Result<String, SignError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| SignError::io(path, "cannot read", e))?;
    let mut buf = Vec::new();
    f.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| SignError::io(path, "cannot read", e))?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(SignError::key(
            path,
            format!(
                "larger than {} KiB; not a PEM key or certificate",
                MAX_PEM_BYTES >> 10
            ),
        ));
    }
    String::from_utf8(buf).map_err(|_| {
        SignError::key(
            path,
            "not a PEM file (binary content; DER keys must be converted to PEM)",
        )
    })
}

/// The label of the first PEM block (`-----BEGIN <label>-----`).
pub(crate) fn first_label(text: &str) -> Result<String, String> {
    let start = text
        .find("-----BEGIN ")
        .ok_or_else(|| "not a PEM file (no `-----BEGIN` line)".to_string())?;
    let rest = &text[start + 11..];
    let end = rest
        .find("-----")
        .filter(|&e| e <= 64)
        .ok_or_else(|| "malformed PEM header".to_string())?;
    Ok(rest[..end].to_string())
}

/// Parse every `CERTIFICATE` block of a PEM text, in order.
pub fn certificates_from_pem(text: &str) -> Result<Vec<x509_cert::Certificate>, String> {
    let label = first_label(text)?;
    if label != "CERTIFICATE" {
        return Err(wrong_kind(&label, "a certificate (PEM `CERTIFICATE`)"));
    }
    let certs = x509_cert::Certificate::load_pem_chain(text.as_bytes())
        .map_err(|e| format!("malformed certificate PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate found".into());
    }
    Ok(certs)
}

/// Load certificates from PEM files (each may hold several).
pub fn load_certificates(
    paths: &[std::path::PathBuf],
) -> Result<Vec<x509_cert::Certificate>, SignError> {
    let mut out = Vec::new();
    for p in paths {
        let text = read_pem_text(p)?;
        out.extend(certificates_from_pem(&text).map_err(|r| SignError::key(p, r))?);
    }
    Ok(out)
}

/// DER of a certificate.
pub(crate) fn cert_der(c: &x509_cert::Certificate) -> Vec<u8> {
    c.to_der().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_wrong_kinds() {
        for curve in [Curve::P256, Curve::P384] {
            let k = PrivateKey::generate(curve);
            let pem = k.to_pkcs8_pem();
            let k2 = PrivateKey::from_pem(&pem).unwrap();
            assert_eq!(k2.public_key(), k.public_key());
            let pubpem = k.public_key().to_pem();
            assert!(pubpem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            let pk = PublicKey::from_pem(&pubpem).unwrap();
            let sig = k.sign(b"msg");
            assert!(pk.verify(b"msg", &sig));
            assert!(!pk.verify(b"msh", &sig));
            let e = PublicKey::from_pem(&pem).unwrap_err();
            assert!(e.contains("PRIVATE KEY"), "{e}");
            let e = PrivateKey::from_pem(&pubpem).unwrap_err();
            assert!(e.contains("PUBLIC KEY"), "{e}");
        }
        assert!(PrivateKey::from_pem("garbage")
            .unwrap_err()
            .contains("not a PEM"));
    }
}

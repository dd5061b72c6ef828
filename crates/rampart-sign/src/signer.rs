//! The signing and verification back-ends behind two traits, so that new
//! methods plug in without touching hashing or manifests.
//!
//! * [`KeySigner`] / [`KeyVerifier`]: an EC private key; the bundle carries
//!   the public-key hint.
//! * [`CertificateSigner`] / [`CertificateVerifier`]: an EC key with an X.509
//!   chain; the bundle carries the chain, checked against trusted roots.
//!
//! Sigstore keyless signing (Fulcio certificate + Rekor transparency log) is
//! **not implemented yet**: it needs network access. It would be one more
//! [`Signer`] that returns a bundle with a Fulcio chain and a tlog entry,
//! and one more [`Verifier`] checking the Sigstore trust root and log.

use crate::bundle::{
    pae, pae_compat, Bundle, CertificateChain, PublicKeyIdentifier, RawCertificate,
    VerificationMaterial,
};
use crate::keys::{cert_der, PrivateKey, PublicKey};
use crate::SignError;
use base64::Engine as _;
use sha2::Digest;
use std::path::Path;
use x509_cert::Certificate;

/// Turns a statement into a signed bundle.
pub trait Signer: Send + Sync {
    /// Sign the in-toto statement bytes and return the bundle.
    fn sign(&self, statement: &[u8]) -> Result<Bundle, SignError>;
    /// A short description for logs (never key material).
    fn describe(&self) -> String;
}

/// The statement a verifier accepted, with who signed it.
#[derive(Debug, Clone)]
pub struct VerifiedPayload {
    pub payload: Vec<u8>,
    /// Who signed: key hint or certificate subject.
    pub signer: String,
}

/// Checks a bundle's signature and returns the authenticated statement.
pub trait Verifier: Send + Sync {
    /// `origin` names the signature file in errors.
    fn verify(&self, bundle: &Bundle, origin: &Path) -> Result<VerifiedPayload, SignError>;
}

/// Signs with an EC private key; the bundle names the key by its hint.
pub struct KeySigner {
    key: PrivateKey,
}

impl KeySigner {
    pub fn new(key: PrivateKey) -> Self {
        KeySigner { key }
    }
}

impl Signer for KeySigner {
    fn sign(&self, statement: &[u8]) -> Result<Bundle, SignError> {
        let sig = self.key.sign(&pae(statement));
        let vm = VerificationMaterial {
            public_key: Some(PublicKeyIdentifier {
                hint: Some(self.key.public_key().hint()),
            }),
            ..VerificationMaterial::default()
        };
        Ok(Bundle::new(vm, statement, &sig))
    }

    fn describe(&self) -> String {
        let pk = self.key.public_key();
        format!("{} key {}", pk.curve().name(), &pk.hint()[..16])
    }
}

/// Signs with the key of a leaf certificate; the bundle carries the chain.
pub struct CertificateSigner {
    key: PrivateKey,
    /// Leaf first, then the rest of the chain.
    chain: Vec<Certificate>,
}

impl CertificateSigner {
    /// `chain[0]` must be the certificate of `key`.
    pub fn new(
        key: PrivateKey,
        chain: Vec<Certificate>,
        key_origin: &Path,
    ) -> Result<Self, SignError> {
        let leaf = chain
            .first()
            .ok_or_else(|| SignError::Usage("--certificate-chain holds no certificate".into()))?;
        let spki =
            der::Encode::to_der(&leaf.tbs_certificate.subject_public_key_info).unwrap_or_default();
        if spki != key.public_key().to_der() {
            return Err(SignError::key(
                key_origin,
                format!(
                    "the private key does not match the first certificate of the chain (`{}`); put the signing (leaf) certificate first",
                    leaf.tbs_certificate.subject
                ),
            ));
        }
        Ok(CertificateSigner { key, chain })
    }
}

impl Signer for CertificateSigner {
    fn sign(&self, statement: &[u8]) -> Result<Bundle, SignError> {
        let sig = self.key.sign(&pae(statement));
        let b64 = base64::engine::general_purpose::STANDARD;
        let vm = VerificationMaterial {
            x509_certificate_chain: Some(CertificateChain {
                certificates: self
                    .chain
                    .iter()
                    .map(|c| RawCertificate {
                        raw_bytes: b64.encode(cert_der(c)),
                    })
                    .collect(),
            }),
            ..VerificationMaterial::default()
        };
        Ok(Bundle::new(vm, statement, &sig))
    }

    fn describe(&self) -> String {
        format!("certificate `{}`", self.chain[0].tbs_certificate.subject)
    }
}

/// Verifies bundles signed by any of a set of trusted public keys.
pub struct KeyVerifier {
    keys: Vec<PublicKey>,
}

impl KeyVerifier {
    pub fn new(keys: Vec<PublicKey>) -> Self {
        KeyVerifier { keys }
    }
}

/// Verify the DSSE signature with the current PAE, then the 0.2 one.
fn check_dsse(key: &PublicKey, payload: &[u8], sig: &[u8], compat_sha256: bool) -> bool {
    if key.verify(&pae(payload), sig) {
        return true;
    }
    let compat = pae_compat(payload);
    if compat_sha256 {
        // model_signing 0.2 certificate signatures always used SHA-256.
        key.verify_prehash(&sha2::Sha256::digest(&compat), sig)
    } else {
        key.verify(&compat, sig)
    }
}

impl Verifier for KeyVerifier {
    fn verify(&self, bundle: &Bundle, origin: &Path) -> Result<VerifiedPayload, SignError> {
        if self.keys.is_empty() {
            return Err(SignError::Usage("no trusted public key configured".into()));
        }
        let vm = &bundle.verification_material;
        if vm.public_key.is_none()
            && (vm.x509_certificate_chain.is_some() || vm.certificate.is_some())
        {
            return Err(SignError::signature(
                origin,
                "the bundle was signed with a certificate; verify it with --root (certificate mode), not --public-key",
            ));
        }
        let (payload, sig) = bundle.payload_and_sig(origin)?;
        let hint = vm
            .public_key
            .as_ref()
            .and_then(|p| p.hint.clone())
            .filter(|h| !h.is_empty());
        let candidates: Vec<&PublicKey> = match &hint {
            Some(h) => self
                .keys
                .iter()
                .filter(|k| k.hint().eq_ignore_ascii_case(h))
                .collect(),
            None => self.keys.iter().collect(),
        };
        if candidates.is_empty() {
            return Err(SignError::signature(
                origin,
                format!(
                    "wrong key: the bundle was signed by the key with hint {} and no trusted public key matches it",
                    hint.unwrap_or_default()
                ),
            ));
        }
        for k in candidates {
            if check_dsse(k, &payload, &sig, false) {
                return Ok(VerifiedPayload {
                    payload,
                    signer: format!("{} key {}", k.curve().name(), k.hint()),
                });
            }
        }
        Err(SignError::signature(
            origin,
            "the DSSE signature does not match the payload and the trusted key (payload or signature edited, or wrong key)",
        ))
    }
}

/// Verifies certificate-chain bundles against trusted roots.
pub struct CertificateVerifier {
    roots: Vec<Certificate>,
    intermediates: Vec<Certificate>,
}

impl CertificateVerifier {
    pub fn new(roots: Vec<Certificate>, intermediates: Vec<Certificate>) -> Self {
        CertificateVerifier {
            roots,
            intermediates,
        }
    }
}

impl Verifier for CertificateVerifier {
    fn verify(&self, bundle: &Bundle, origin: &Path) -> Result<VerifiedPayload, SignError> {
        let ders = bundle.certificates_der(origin)?;
        if ders.is_empty() {
            return Err(SignError::signature(
                origin,
                "the bundle carries no certificate (it was signed with a bare key); verify it with --public-key",
            ));
        }
        let mut chain = Vec::with_capacity(ders.len());
        for (i, d) in ders.iter().enumerate() {
            chain.push(<Certificate as der::Decode>::from_der(d).map_err(|e| {
                SignError::bundle(
                    origin,
                    format!("certificate {i} is not valid DER X.509: {e}"),
                )
            })?);
        }
        let leaf = crate::x509::verify_chain(&chain, &self.roots, &self.intermediates)
            .map_err(|r| SignError::signature(origin, r))?;
        let (payload, sig) = bundle.payload_and_sig(origin)?;
        if !check_dsse(&leaf.key, &payload, &sig, true) {
            return Err(SignError::signature(
                origin,
                format!(
                    "the DSSE signature does not match the payload and the certificate `{}` (payload or signature edited)",
                    leaf.subject
                ),
            ));
        }
        Ok(VerifiedPayload {
            payload,
            signer: format!(
                "certificate `{}` (root `{}`)",
                leaf.subject, leaf.root_subject
            ),
        })
    }
}

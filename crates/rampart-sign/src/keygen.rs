//! Key and certificate generation for tests, demos and quick starts: EC key
//! pairs and a small PKI (root CA, intermediate CA, code-signing leaf).
//! Production keys belong in an HSM or KMS; these helpers never persist
//! anything themselves.

use crate::keys::{PrivateKey, PublicKey};
use der::EncodePem;
use ecdsa::signature::{self, Keypair};
use pkcs8::LineEnding;
use spki::{
    DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding,
    SubjectPublicKeyInfoOwned,
};
use std::str::FromStr;
use std::time::Duration;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_cert::Certificate;

/// What kind of certificate to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Self-signed root CA.
    Root,
    /// Intermediate CA.
    Intermediate,
    /// End-entity certificate allowed to sign (keyUsage digitalSignature).
    Leaf,
}

fn build<S, Sig>(
    kind: CertKind,
    issuer: Option<&Certificate>,
    subject_cn: &str,
    subject_key: &PublicKey,
    signer: &S,
    serial: u32,
    days: u64,
) -> Result<Certificate, String>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + signature::Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let subject = Name::from_str(&format!("CN={subject_cn},O=Rampart test PKI"))
        .map_err(|e| e.to_string())?;
    let issuer_name = issuer.map(|c| c.tbs_certificate.subject.clone());
    let profile = match (kind, issuer_name) {
        (CertKind::Root, _) => Profile::Root,
        (CertKind::Intermediate, Some(i)) => Profile::SubCA {
            issuer: i,
            path_len_constraint: None,
        },
        (CertKind::Leaf, Some(i)) => Profile::Leaf {
            issuer: i,
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        (_, None) => return Err("an issuer certificate is needed".into()),
    };
    let spki = SubjectPublicKeyInfoOwned::try_from(subject_key.to_der().as_slice())
        .map_err(|e| e.to_string())?;
    let validity =
        Validity::from_now(Duration::from_secs(days * 86_400)).map_err(|e| e.to_string())?;
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::from(serial),
        validity,
        subject,
        spki,
        signer,
    )
    .map_err(|e| e.to_string())?;
    builder.build::<Sig>().map_err(|e| e.to_string())
}

/// Issue a certificate for `subject_key`, signed by `issuer_key` (and
/// `issuer_cert`, except for a self-signed root).
pub fn issue(
    kind: CertKind,
    subject_cn: &str,
    subject_key: &PublicKey,
    issuer_key: &PrivateKey,
    issuer_cert: Option<&Certificate>,
) -> Result<Certificate, String> {
    let serial = rand::random::<u32>() | 1;
    match issuer_key {
        PrivateKey::P256(k) => build::<_, p256::ecdsa::DerSignature>(
            kind,
            issuer_cert,
            subject_cn,
            subject_key,
            k,
            serial,
            365,
        ),
        PrivateKey::P384(k) => build::<_, p384::ecdsa::DerSignature>(
            kind,
            issuer_cert,
            subject_cn,
            subject_key,
            k,
            serial,
            365,
        ),
    }
}

/// A throwaway PKI: root → intermediate → leaf, all on one curve.
pub struct TestPki {
    pub root_key: PrivateKey,
    pub root: Certificate,
    pub intermediate_key: PrivateKey,
    pub intermediate: Certificate,
    pub leaf_key: PrivateKey,
    pub leaf: Certificate,
}

impl TestPki {
    pub fn generate(curve: crate::Curve, name: &str) -> Result<TestPki, String> {
        let root_key = PrivateKey::generate(curve);
        let root = issue(
            CertKind::Root,
            &format!("{name} root"),
            &root_key.public_key(),
            &root_key,
            None,
        )?;
        let intermediate_key = PrivateKey::generate(curve);
        let intermediate = issue(
            CertKind::Intermediate,
            &format!("{name} intermediate"),
            &intermediate_key.public_key(),
            &root_key,
            Some(&root),
        )?;
        let leaf_key = PrivateKey::generate(curve);
        let leaf = issue(
            CertKind::Leaf,
            &format!("{name} signer"),
            &leaf_key.public_key(),
            &intermediate_key,
            Some(&intermediate),
        )?;
        Ok(TestPki {
            root_key,
            root,
            intermediate_key,
            intermediate,
            leaf_key,
            leaf,
        })
    }
}

/// PEM of a certificate.
pub fn cert_pem(c: &Certificate) -> String {
    c.to_pem(LineEnding::LF).unwrap_or_default()
}

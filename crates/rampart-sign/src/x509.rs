//! X.509 certificate-chain checks for certificate-mode signatures, with the
//! semantics model_signing 1.x gets from OpenSSL:
//!
//! * the leaf (first certificate in the bundle) must chain, through the
//!   bundle's other certificates and any intermediates the verifier passes,
//!   to one of the trusted roots (a trust anchor is matched by its exact DER);
//! * every certificate must be valid at the *signing time*, which is taken
//!   as the leaf's `notBefore` (model_signing does the same: the bundle has
//!   no timestamp, so an expired leaf still verifies old signatures);
//! * issuers must be CAs (basicConstraints cA, keyUsage keyCertSign when
//!   present, path length constraints), unknown critical extensions are
//!   refused;
//! * the leaf must allow signing: keyUsage digitalSignature, or extended key
//!   usage codeSigning.
//!
//! Only ECDSA (P-256, P-384 keys; SHA-256/384/512) certificate signatures are
//! supported. Revocation is not checked (neither does model_signing).

use crate::keys::PublicKey;
use der::{Decode, Encode};
use sha2::Digest;
use std::time::Duration;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::Certificate;

const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
const OID_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
const MAX_DEPTH: usize = 8;

/// What a successful chain check yields.
#[derive(Debug, Clone)]
pub struct VerifiedLeaf {
    pub key: PublicKey,
    /// RFC 4514 subject of the leaf.
    pub subject: String,
    /// RFC 4514 subject of the trust anchor reached.
    pub root_subject: String,
}

fn ext_value<'a>(c: &'a Certificate, oid: &str) -> Option<(&'a [u8], bool)> {
    c.tbs_certificate.extensions.as_ref().and_then(|exts| {
        exts.iter()
            .find(|e| e.extn_id.to_string() == oid)
            .map(|e| (e.extn_value.as_bytes(), e.critical))
    })
}

fn subject(c: &Certificate) -> String {
    c.tbs_certificate.subject.to_string()
}

fn check_critical(c: &Certificate) -> Result<(), String> {
    if let Some(exts) = &c.tbs_certificate.extensions {
        for e in exts {
            let id = e.extn_id.to_string();
            let known = [
                OID_BASIC_CONSTRAINTS,
                OID_KEY_USAGE,
                OID_EXT_KEY_USAGE,
                OID_SUBJECT_ALT_NAME,
                OID_SUBJECT_KEY_ID,
                OID_AUTHORITY_KEY_ID,
            ];
            if e.critical && !known.contains(&id.as_str()) {
                return Err(format!(
                    "certificate `{}` has an unsupported critical extension {id}",
                    subject(c)
                ));
            }
        }
    }
    Ok(())
}

fn check_validity(c: &Certificate, at: Duration) -> Result<(), String> {
    let v = &c.tbs_certificate.validity;
    let nb = v.not_before.to_unix_duration();
    let na = v.not_after.to_unix_duration();
    if at < nb || at > na {
        return Err(format!(
            "certificate `{}` is not valid at signing time (valid {} to {})",
            subject(c),
            v.not_before,
            v.not_after
        ));
    }
    Ok(())
}

fn key_usage(c: &Certificate) -> Result<Option<KeyUsage>, String> {
    match ext_value(c, OID_KEY_USAGE) {
        None => Ok(None),
        Some((v, _)) => KeyUsage::from_der(v)
            .map(Some)
            .map_err(|e| format!("certificate `{}`: malformed keyUsage: {e}", subject(c))),
    }
}

/// `ca_below`: number of CA certificates between `c` and the leaf.
fn check_issuer_is_ca(c: &Certificate, ca_below: usize, is_anchor: bool) -> Result<(), String> {
    match ext_value(c, OID_BASIC_CONSTRAINTS) {
        Some((v, _)) => {
            let bc = BasicConstraints::from_der(v).map_err(|e| {
                format!(
                    "certificate `{}`: malformed basicConstraints: {e}",
                    subject(c)
                )
            })?;
            if !bc.ca {
                return Err(format!(
                    "certificate `{}` issued another certificate but is not a CA",
                    subject(c)
                ));
            }
            if let Some(n) = bc.path_len_constraint {
                if ca_below > n as usize {
                    return Err(format!(
                        "certificate `{}`: path length constraint {n} exceeded",
                        subject(c)
                    ));
                }
            }
        }
        // A v1 trust anchor without extensions is accepted as a CA, as OpenSSL does.
        None if is_anchor && c.tbs_certificate.extensions.is_none() => {}
        None => {
            return Err(format!(
                "certificate `{}` issued another certificate but has no basicConstraints",
                subject(c)
            ))
        }
    }
    if let Some(ku) = key_usage(c)? {
        if !ku.key_cert_sign() {
            return Err(format!(
                "certificate `{}` is not allowed to sign certificates (keyUsage)",
                subject(c)
            ));
        }
    }
    Ok(())
}

/// Does `issuer` sign `child`?
fn signed_by(child: &Certificate, issuer: &Certificate) -> bool {
    if child.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return false;
    }
    let Ok(spki) = issuer.tbs_certificate.subject_public_key_info.to_der() else {
        return false;
    };
    let Ok(key) = PublicKey::from_spki_der(&spki) else {
        return false;
    };
    // x509-cert decodes strict DER, so re-encoding yields the signed bytes.
    let Ok(tbs) = child.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = child.signature.as_bytes() else {
        return false;
    };
    let digest: Vec<u8> = match child.signature_algorithm.oid.to_string().as_str() {
        OID_ECDSA_SHA256 => sha2::Sha256::digest(&tbs).to_vec(),
        OID_ECDSA_SHA384 => sha2::Sha384::digest(&tbs).to_vec(),
        OID_ECDSA_SHA512 => sha2::Sha512::digest(&tbs).to_vec(),
        _ => return false,
    };
    key.verify_prehash(&digest, sig)
}

/// Check `chain` (leaf first, as in the bundle) against `roots`, using
/// `intermediates` as extra untrusted path material.
pub fn verify_chain(
    chain: &[Certificate],
    roots: &[Certificate],
    intermediates: &[Certificate],
) -> Result<VerifiedLeaf, String> {
    let leaf = chain.first().ok_or("the bundle holds no certificate")?;
    if roots.is_empty() {
        return Err("no trusted root certificate given".into());
    }
    let at = leaf.tbs_certificate.validity.not_before.to_unix_duration();
    let leaf_spki = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("leaf certificate public key: {e}"))?;
    let key = PublicKey::from_spki_der(&leaf_spki)
        .map_err(|e| format!("leaf certificate `{}`: {e}", subject(leaf)))?;
    check_validity(leaf, at)?;
    check_critical(leaf)?;
    // The leaf must be allowed to sign.
    let ku_ok = key_usage(leaf)?.is_some_and(|k| k.digital_signature());
    let eku_ok = match ext_value(leaf, OID_EXT_KEY_USAGE) {
        Some((v, _)) => ExtendedKeyUsage::from_der(v)
            .map_err(|e| format!("leaf certificate: malformed extendedKeyUsage: {e}"))?
            .0
            .iter()
            .any(|o| o.to_string() == OID_CODE_SIGNING),
        None => false,
    };
    if !ku_ok && !eku_ok {
        return Err(format!(
            "leaf certificate `{}` cannot be used for signing (needs keyUsage digitalSignature or extendedKeyUsage codeSigning)",
            subject(leaf)
        ));
    }
    let root_ders: Vec<Vec<u8>> = roots.iter().map(crate::keys::cert_der).collect();
    let is_root = |c: &Certificate| root_ders.contains(&crate::keys::cert_der(c));
    let untrusted: Vec<&Certificate> = chain[1..].iter().chain(intermediates).collect();

    let mut cur = leaf;
    let mut ca_below = 0usize;
    let mut used: Vec<Vec<u8>> = vec![crate::keys::cert_der(leaf)];
    for _ in 0..MAX_DEPTH {
        if is_root(cur) {
            return Ok(VerifiedLeaf {
                key,
                subject: subject(leaf),
                root_subject: subject(cur),
            });
        }
        if let Some(r) = roots.iter().find(|r| signed_by(cur, r)) {
            check_validity(r, at)?;
            check_critical(r)?;
            check_issuer_is_ca(r, ca_below, true)?;
            return Ok(VerifiedLeaf {
                key,
                subject: subject(leaf),
                root_subject: subject(r),
            });
        }
        let next = untrusted
            .iter()
            .find(|c| !used.contains(&crate::keys::cert_der(c)) && signed_by(cur, c))
            .copied();
        match next {
            Some(n) => {
                check_validity(n, at)?;
                check_critical(n)?;
                check_issuer_is_ca(n, ca_below, false)?;
                used.push(crate::keys::cert_der(n));
                ca_below += 1;
                cur = n;
            }
            None => {
                return Err(format!(
                    "certificate chain does not lead to a trusted root: no trusted or supplied issuer `{}` signs `{}`",
                    cur.tbs_certificate.issuer,
                    subject(cur)
                ))
            }
        }
    }
    Err(format!("certificate chain longer than {MAX_DEPTH}"))
}

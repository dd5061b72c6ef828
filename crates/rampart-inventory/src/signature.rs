//! Signature status of model artifacts, decided by `rampart-sign`'s
//! verification against the configured trusted signers.
//!
//! Deny by default: without trusted keys or roots a signature is only ever
//! `unverified`, never `verified`. With trust configured, each signature
//! file near a model is authenticated and the directory it signs is
//! re-hashed ([`rampart_sign::verify_dir`]):
//!
//! * `verified`: authentic signature by a trusted signer, content matches;
//! * `invalid`: the signer is trusted (key hint matches a trusted key, or
//!   the certificate chain reaches a trusted root) but the DSSE signature
//!   or the content does not match (tampered file), or the bundle cannot be
//!   parsed at all;
//! * `unverified`: a signature exists but its signer is not among the
//!   trusted ones, or no trust is configured;
//! * `unsigned`: no signature file beside the model or in its parent.
//!
//! Verdicts are cached per (directory, signature) pair, so a directory of
//! shards is hashed once however many model files it holds.

use crate::asset::SignatureStatus;
use rampart_sign::bundle::Bundle;
use rampart_sign::{PublicKey, SignError, TrustConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Trusted signers, loaded once per inventory run.
pub struct Trust {
    config: TrustConfig,
    key_hints: Vec<String>,
    roots: Vec<x509_cert::Certificate>,
    intermediates: Vec<x509_cert::Certificate>,
    cache: Mutex<BTreeMap<(PathBuf, PathBuf), Verdict>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("public_keys", &self.config.public_keys)
            .field("roots", &self.config.roots)
            .finish()
    }
}

impl Trust {
    /// Load the keys and certificates named by `config`. An empty
    /// configuration is accepted and trusts nothing.
    pub fn new(config: TrustConfig) -> Result<Trust, String> {
        let key_hints = config
            .public_keys
            .iter()
            .map(|p| PublicKey::from_pem_file(p).map(|k| k.hint()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let roots =
            rampart_sign::keys::load_certificates(&config.roots).map_err(|e| e.to_string())?;
        let intermediates = rampart_sign::keys::load_certificates(&config.intermediates)
            .map_err(|e| e.to_string())?;
        Ok(Trust {
            config,
            key_hints,
            roots,
            intermediates,
            cache: Mutex::new(BTreeMap::new()),
        })
    }

    /// True when at least one trusted key or root is configured.
    pub fn has_signers(&self) -> bool {
        !self.key_hints.is_empty() || !self.roots.is_empty()
    }
}

/// The verdict on one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: SignatureStatus,
    /// Signer identity (key id or certificate subject) when known.
    pub signer: Option<String>,
    /// The signature file the verdict is about.
    pub signature: Option<PathBuf>,
    /// Why it is not verified (problems, untrusted signer...).
    pub reason: Option<String>,
}

impl Verdict {
    fn unsigned() -> Verdict {
        Verdict {
            status: SignatureStatus::Unsigned,
            signer: None,
            signature: None,
            reason: None,
        }
    }
    fn rank(&self) -> u8 {
        match self.status {
            SignatureStatus::Verified => 3,
            SignatureStatus::Invalid => 2,
            SignatureStatus::Unverified => 1,
            SignatureStatus::Unsigned => 0,
        }
    }
}

/// Who the bundle says signed it, without authenticating anything: the
/// key hint, or the leaf certificate. `None` when the bundle is unreadable.
enum Claimed {
    Key(Option<String>),
    Certificate(Vec<x509_cert::Certificate>),
}

fn claimed(bundle: &Bundle, sig: &Path) -> Result<Claimed, String> {
    let vm = &bundle.verification_material;
    if vm.x509_certificate_chain.is_some() || vm.certificate.is_some() {
        let ders = bundle.certificates_der(sig).map_err(|e| e.to_string())?;
        let mut chain = Vec::with_capacity(ders.len());
        for (i, d) in ders.iter().enumerate() {
            chain.push(
                <x509_cert::Certificate as der::Decode>::from_der(d)
                    .map_err(|e| format!("certificate {i} is not valid DER X.509: {e}"))?,
            );
        }
        return Ok(Claimed::Certificate(chain));
    }
    Ok(Claimed::Key(
        vm.public_key
            .as_ref()
            .and_then(|p| p.hint.clone())
            .filter(|h| !h.is_empty()),
    ))
}

/// The first 16 characters of a key id (the bundle is untrusted input: no
/// byte slicing).
fn short(hint: &str) -> String {
    hint.chars().take(16).collect()
}

/// Verify `dir` against the signature file `sig`.
fn verify_one(dir: &Path, sig: &Path, trust: &Trust) -> Verdict {
    let mut v = Verdict {
        status: SignatureStatus::Unverified,
        signer: None,
        signature: Some(sig.to_path_buf()),
        reason: None,
    };
    if !trust.has_signers() {
        v.reason =
            Some("no trusted public keys or root certificates configured (deny by default)".into());
        return v;
    }
    let bundle = match Bundle::read(sig) {
        Ok(b) => b,
        Err(e) => {
            v.status = SignatureStatus::Invalid;
            v.reason = Some(e.to_string());
            return v;
        }
    };
    // Is the claimed signer one we trust? If not, the signature may well be
    // genuine: it is unverified, not invalid.
    match claimed(&bundle, sig) {
        Err(e) => {
            v.status = SignatureStatus::Invalid;
            v.reason = Some(e);
            return v;
        }
        Ok(Claimed::Key(hint)) => {
            if let Some(h) = &hint {
                v.signer = Some(format!("key {}", short(h)));
                if !trust.key_hints.iter().any(|k| k.eq_ignore_ascii_case(h)) {
                    v.reason = Some(format!("signed by key {} which is not trusted", short(h)));
                    return v;
                }
            } else if trust.key_hints.is_empty() {
                v.reason =
                    Some("signed with a bare key, but no trusted public key is configured".into());
                return v;
            }
        }
        Ok(Claimed::Certificate(chain)) => {
            if trust.roots.is_empty() {
                v.reason = Some(
                    "signed with a certificate, but no trusted root certificate is configured"
                        .into(),
                );
                return v;
            }
            match rampart_sign::x509::verify_chain(&chain, &trust.roots, &trust.intermediates) {
                Ok(leaf) => v.signer = Some(format!("certificate `{}`", leaf.subject)),
                Err(e) => {
                    v.reason = Some(format!(
                        "certificate chain does not reach a trusted root: {e}"
                    ));
                    return v;
                }
            }
        }
    }
    match rampart_sign::verify_dir(dir, sig, &trust.config) {
        Ok(o) if o.is_valid() => {
            v.status = SignatureStatus::Verified;
            v.signer = Some(o.signer);
        }
        Ok(o) => {
            v.status = SignatureStatus::Invalid;
            let p = o.problems();
            v.signer = Some(o.signer);
            let mut why: Vec<String> = p.iter().take(5).cloned().collect();
            if p.len() > 5 {
                why.push(format!("and {} more", p.len() - 5));
            }
            v.reason = Some(format!(
                "content does not match the signature: {}",
                why.join(", ")
            ));
        }
        Err(e @ (SignError::Signature { .. } | SignError::Bundle { .. })) => {
            // The signer is trusted, so a failing signature means the
            // statement or signature was edited.
            v.status = SignatureStatus::Invalid;
            v.reason = Some(e.to_string());
        }
        Err(e) => {
            v.reason = Some(format!("could not be verified: {e}"));
        }
    }
    v
}

fn cached(dir: &Path, sig: &Path, trust: &Trust) -> Verdict {
    let key = (dir.to_path_buf(), sig.to_path_buf());
    if let Some(v) = trust.cache.lock().expect("lock").get(&key) {
        return v.clone();
    }
    let v = verify_one(dir, sig, trust);
    trust.cache.lock().expect("lock").insert(key, v.clone());
    v
}

fn problems(v: &Verdict) -> usize {
    v.reason
        .as_deref()
        .map(|r| r.matches(", ").count() + 1)
        .unwrap_or(0)
}

/// The signature status of a model living in `model_dir`.
///
/// `sigs_here` are signature files in `model_dir`, `sigs_parent` those in
/// its parent `parent`. A signature in the directory signs the directory; one
/// in the parent signs either the model directory (model_signing writes
/// `model.sig` beside the directory it signs) or the parent as a whole, so
/// both are tried. The best verdict wins: verified, then invalid, then
/// unverified.
pub fn status(
    model_dir: &Path,
    sigs_here: &[PathBuf],
    parent: Option<&Path>,
    sigs_parent: &[PathBuf],
    trust: Option<&Trust>,
) -> Verdict {
    if sigs_here.is_empty() && sigs_parent.is_empty() {
        return Verdict::unsigned();
    }
    let Some(trust) = trust else {
        let sig = sigs_here.first().or(sigs_parent.first()).cloned();
        return Verdict {
            status: SignatureStatus::Unverified,
            signer: None,
            signature: sig,
            reason: Some(
                "no trusted public keys or root certificates configured (deny by default)".into(),
            ),
        };
    };
    let mut candidates: Vec<(&Path, &Path)> = Vec::new();
    for s in sigs_here {
        candidates.push((model_dir, s.as_path()));
    }
    for s in sigs_parent {
        candidates.push((model_dir, s.as_path()));
        if let Some(p) = parent {
            candidates.push((p, s.as_path()));
        }
    }
    let mut best: Option<Verdict> = None;
    for (dir, sig) in candidates {
        let v = cached(dir, sig, trust);
        if v.status == SignatureStatus::Verified {
            return v;
        }
        let better = match &best {
            None => true,
            Some(b) => v.rank() > b.rank() || (v.rank() == b.rank() && problems(&v) < problems(b)),
        };
        if better {
            best = Some(v);
        }
    }
    best.unwrap_or_else(Verdict::unsigned)
}

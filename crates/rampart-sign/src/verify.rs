//! Signing and verifying model directories, and the trust configuration a
//! deployment gate uses.
//!
//! Verification order matters: the bundle's signature is checked first, and
//! only the authenticated statement is parsed into the expected manifest;
//! the directory is then re-hashed with the serialization the signature
//! records and compared file by file, so every added, removed and modified
//! file (and every symlink swapped in) is named.

use crate::bundle::{
    parse_statement, statement_bytes, Bundle, PREDICATE_TYPE, PREDICATE_TYPE_COMPAT,
};
use crate::hash::{self, HashOptions, GIT_PATHS};
use crate::keys::{load_certificates, PublicKey};
use crate::manifest::{compare_paths, Item, Manifest, Method};
use crate::signer::{CertificateVerifier, KeyVerifier, Signer, VerifiedPayload, Verifier};
use crate::SignError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A shard range (or `None` for a whole file) and its digest.
type ShardDigest = (Option<(u64, u64)>, Vec<u8>);

/// What `sign_dir` produced.
#[derive(Debug, Clone)]
pub struct SignSummary {
    pub manifest: Manifest,
    pub signature_path: PathBuf,
    pub signer: String,
}

/// The path of `sig` relative to `dir` when it lies inside it.
fn rel_inside(dir: &Path, sig: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let parent = match sig.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = std::fs::canonicalize(parent).ok()?;
    let full = parent.join(sig.file_name()?);
    let rel = full.strip_prefix(&dir).ok()?;
    let s: Vec<&str> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    if s.is_empty() {
        None
    } else {
        Some(s.join("/"))
    }
}

/// Hash `dir`, sign the statement and write the bundle to `signature_path`.
///
/// The signature file is left out of the manifest (and recorded in the
/// predicate's `ignore_paths`) when it lies inside the directory.
pub fn sign_dir(
    dir: &Path,
    signer: &dyn Signer,
    opts: &HashOptions,
    signature_path: &Path,
) -> Result<SignSummary, SignError> {
    let extra: Vec<String> = rel_inside(dir, signature_path).into_iter().collect();
    let ser = hash::serialization_for(dir, opts, &extra)?;
    let walk = hash::walk(dir, &ser.ignore_paths, ser.allow_symlinks)?;
    if let Some(first) = walk.symlinks.first() {
        return Err(SignError::Symlink {
            path: dir.join(first),
        });
    }
    let items = hash::hash_files(&walk.files, &ser, opts.buffer_size, opts.threads)?;
    let manifest = Manifest {
        model_name: hash::model_name(dir),
        serialization: ser,
        items,
    };
    let statement = statement_bytes(&manifest);
    let bundle = signer.sign(&statement)?;
    write_atomic(signature_path, &bundle.to_json())?;
    Ok(SignSummary {
        manifest,
        signature_path: signature_path.to_path_buf(),
        signer: signer.describe(),
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SignError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| SignError::Usage(format!("{}: not a file path", path.display())))?;
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| SignError::io(&tmp, "cannot write signature", e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        SignError::io(path, "cannot write signature", e)
    })
}

/// Extra local options for verification (the serialization itself comes
/// from the signature).
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Literal relative paths to leave out, besides those the signature records.
    pub ignore_paths: Vec<String>,
    /// Leave out git paths (model_signing's default).
    pub ignore_git: bool,
    pub buffer_size: usize,
    pub threads: Option<usize>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            ignore_paths: Vec::new(),
            ignore_git: true,
            buffer_size: 64 << 10,
            threads: None,
        }
    }
}

/// The verdict on a model directory whose signature was authentic.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    pub model_dir: String,
    pub signature: String,
    /// Who signed (key hint or certificate subject).
    pub signer: String,
    pub predicate_type: String,
    /// Model name recorded in the signature (informative only).
    pub signed_model_name: String,
    pub method: String,
    pub hash: String,
    pub files_checked: usize,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub modified: Vec<String>,
    /// Symbolic links found where the signature does not allow them.
    pub symlinks: Vec<String>,
}

impl VerifyOutcome {
    pub fn is_valid(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.modified.is_empty()
            && self.symlinks.is_empty()
    }

    /// One line per problem, e.g. `modified: weights.bin`.
    pub fn problems(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (k, l) in [
            ("modified", &self.modified),
            ("added", &self.added),
            ("removed", &self.removed),
            ("symlink swapped in", &self.symlinks),
        ] {
            v.extend(l.iter().map(|p| format!("{k}: {p}")));
        }
        v
    }
}

/// Verify `dir` against the bundle at `sig` with any [`Verifier`].
///
/// `Err` when the signature itself is not acceptable or inputs cannot be
/// read; `Ok` with the file-level comparison otherwise (check
/// [`VerifyOutcome::is_valid`]).
pub fn verify_dir_with(
    dir: &Path,
    sig: &Path,
    verifier: &dyn Verifier,
    opts: &VerifyOptions,
) -> Result<VerifyOutcome, SignError> {
    let bundle = Bundle::read(sig)?;
    let VerifiedPayload { payload, signer } = verifier.verify(&bundle, sig)?;
    let expected = parse_statement(&payload, sig)?;
    let predicate_type = if expected.model_name == "compat-undefined-not-present" {
        PREDICATE_TYPE_COMPAT
    } else {
        PREDICATE_TYPE
    };
    let mut ignores = expected.serialization.ignore_paths.clone();
    if opts.ignore_git {
        ignores.extend(GIT_PATHS.iter().map(|s| s.to_string()));
    }
    for p in &opts.ignore_paths {
        ignores.push(hash::normalize_rel(p).ok_or_else(|| {
            SignError::Usage(format!(
                "ignore path `{p}` is not inside the model directory"
            ))
        })?);
    }
    ignores.extend(rel_inside(dir, sig));
    let walk = hash::walk(dir, &ignores, expected.serialization.allow_symlinks)?;
    let actual = hash::hash_files(
        &walk.files,
        &expected.serialization,
        opts.buffer_size,
        opts.threads,
    )?;

    let group = |items: &[Item]| {
        let mut m: BTreeMap<String, Vec<ShardDigest>> = BTreeMap::new();
        for it in items {
            m.entry(it.path.clone())
                .or_default()
                .push((it.shard, it.digest.clone()));
        }
        m
    };
    let want = group(&expected.items);
    let got = group(&actual);
    let mut out = VerifyOutcome {
        model_dir: dir.display().to_string(),
        signature: sig.display().to_string(),
        signer,
        predicate_type: predicate_type.to_string(),
        signed_model_name: expected.model_name.clone(),
        method: match expected.serialization.method {
            Method::Files => "files".into(),
            Method::Shards { shard_size } => format!("shards ({shard_size} bytes)"),
        },
        hash: expected.serialization.hash.name().into(),
        files_checked: got.len(),
        added: Vec::new(),
        removed: Vec::new(),
        modified: Vec::new(),
        symlinks: walk.symlinks.clone(),
    };
    for (path, w) in &want {
        match got.get(path) {
            None if walk.symlinks.contains(path) => {}
            None => out.removed.push(path.clone()),
            Some(g) if g != w => out.modified.push(path.clone()),
            Some(_) => {}
        }
    }
    for path in got.keys() {
        if !want.contains_key(path) {
            out.added.push(path.clone());
        }
    }
    for l in [&mut out.added, &mut out.removed, &mut out.modified] {
        l.sort_by(|a, b| compare_paths(a, b));
    }
    Ok(out)
}

/// Trusted signers for a deployment gate, as read from configuration:
///
/// ```toml
/// public_keys = ["keys/release-p256.pub"]   # PEM `PUBLIC KEY` files
/// roots = ["pki/root.pem"]                  # trusted root certificates
/// intermediates = []                        # optional untrusted intermediates
/// ignore_paths = ["README.md"]              # extra paths to leave out
/// ```
///
/// Relative paths are resolved against the config file's directory. An
/// empty configuration trusts nothing: verification is denied.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    #[serde(default)]
    pub public_keys: Vec<PathBuf>,
    #[serde(default)]
    pub roots: Vec<PathBuf>,
    #[serde(default)]
    pub intermediates: Vec<PathBuf>,
    #[serde(default)]
    pub ignore_paths: Vec<String>,
    /// Leave out git paths (default true).
    #[serde(default)]
    pub include_git_paths: bool,
    /// Signature file name inside the model directory (default `model.sig`).
    #[serde(default)]
    pub signature_name: Option<String>,
}

impl TrustConfig {
    /// Load from a TOML file; errors name the file, line and field.
    // The error type is rampart-core's shared config error.
    #[allow(clippy::result_large_err)]
    pub fn load(path: &Path) -> Result<TrustConfig, rampart_core::config::ConfigError> {
        let mut c: TrustConfig = rampart_core::config::load_file(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in c
            .public_keys
            .iter_mut()
            .chain(c.roots.iter_mut())
            .chain(c.intermediates.iter_mut())
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(c)
    }

    /// Build the verifier for these trusted signers (denies when empty).
    pub fn verifier(&self) -> Result<TrustVerifier, SignError> {
        if self.public_keys.is_empty() && self.roots.is_empty() {
            return Err(SignError::Usage(
                "no trusted public keys or root certificates configured; refusing to verify (deny by default)".into(),
            ));
        }
        if !self.intermediates.is_empty() && self.roots.is_empty() {
            return Err(SignError::Usage(
                "intermediate certificates given without a trusted root".into(),
            ));
        }
        let keys = self
            .public_keys
            .iter()
            .map(|p| PublicKey::from_pem_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        let key = (!keys.is_empty()).then(|| KeyVerifier::new(keys));
        let cert = if self.roots.is_empty() {
            None
        } else {
            Some(CertificateVerifier::new(
                load_certificates(&self.roots)?,
                load_certificates(&self.intermediates)?,
            ))
        };
        Ok(TrustVerifier { key, cert })
    }

    fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            ignore_paths: self.ignore_paths.clone(),
            ignore_git: !self.include_git_paths,
            ..VerifyOptions::default()
        }
    }
}

/// Dispatches to the key or certificate verifier by the bundle's material.
pub struct TrustVerifier {
    key: Option<KeyVerifier>,
    cert: Option<CertificateVerifier>,
}

impl Verifier for TrustVerifier {
    fn verify(&self, bundle: &Bundle, origin: &Path) -> Result<VerifiedPayload, SignError> {
        let vm = &bundle.verification_material;
        let has_cert = vm.x509_certificate_chain.is_some() || vm.certificate.is_some();
        match (has_cert, &self.key, &self.cert) {
            (true, _, Some(c)) => c.verify(bundle, origin),
            (false, Some(k), _) => k.verify(bundle, origin),
            (true, _, None) => Err(SignError::signature(
                origin,
                "the bundle is signed with a certificate, but no trusted root certificate is configured (verify it with --root ROOT.pem)",
            )),
            (false, None, _) => Err(SignError::signature(
                origin,
                "the bundle is signed with a bare key, but no trusted public key is configured (verify it with --public-key PUB.pem)",
            )),
        }
    }
}

/// Verify `dir` against the signature at `sig` with trusted signers from
/// configuration.
pub fn verify_dir(dir: &Path, sig: &Path, trust: &TrustConfig) -> Result<VerifyOutcome, SignError> {
    let v = trust.verifier()?;
    verify_dir_with(dir, sig, &v, &trust.verify_options())
}

/// Deployment gate: verify the model directory against its own signature
/// file (`model.sig` unless configured) and trusted signers; `Ok` only when
/// the signature is authentic and the directory matches it exactly.
pub fn verify_model_for_deployment(
    dir: &Path,
    trust: &TrustConfig,
) -> Result<VerifyOutcome, SignError> {
    let name = trust
        .signature_name
        .as_deref()
        .unwrap_or(hash::DEFAULT_SIGNATURE_NAME);
    let outcome = verify_dir(dir, &dir.join(name), trust)?;
    if outcome.is_valid() {
        Ok(outcome)
    } else {
        Err(SignError::Mismatch {
            dir: dir.to_path_buf(),
            problems: outcome.problems(),
        })
    }
}

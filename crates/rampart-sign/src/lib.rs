//! Model signing and verification compatible with OpenSSF model signing
//! (the `model-signing` 1.x package): manifests, parallel hashing, DSSE
//! envelopes and Sigstore bundles.
//!
//! * [`digest_dir`]: hash a model directory into a [`Manifest`] (per file or
//!   per shard, SHA-256 or BLAKE3, ignore paths, symlink rule).
//! * [`sign_dir`]: hash, build the in-toto statement, sign it with any
//!   [`Signer`] and write the Sigstore bundle (`model.sig`).
//! * [`verify_dir`] / [`verify_dir_with`]: authenticate the bundle with
//!   trusted keys or roots, re-hash the directory and name every added,
//!   removed and modified file.
//! * [`verify_model_for_deployment`]: the gate used before serving a model,
//!   trusted signers from a [`TrustConfig`] (deny by default).
//!
//! Signing methods: EC private keys (P-256, P-384) and X.509 certificate
//! chains, fully offline. Sigstore keyless signing is not available yet
//! (it needs network access); it plugs in as another [`Signer`] /
//! [`Verifier`]. [`keygen`] makes keys and small PKIs for tests and demos.

pub mod bundle;
mod error;
pub mod hash;
pub mod keygen;
pub mod keys;
pub mod manifest;
pub mod signer;
mod verify;
pub mod x509;

pub use error::SignError;
pub use hash::{digest_dir, HashOptions, DEFAULT_SHARD_SIZE, DEFAULT_SIGNATURE_NAME};
pub use keys::{Curve, PrivateKey, PublicKey};
pub use manifest::{HashAlgorithm, Item, Manifest, Method, Serialization};
pub use signer::{
    CertificateSigner, CertificateVerifier, KeySigner, KeyVerifier, Signer, VerifiedPayload,
    Verifier,
};
pub use verify::{
    sign_dir, verify_dir, verify_dir_with, verify_model_for_deployment, SignSummary, TrustConfig,
    TrustVerifier, VerifyOptions, VerifyOutcome,
};

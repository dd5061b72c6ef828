//! The one error type of the signing crate, and how each error maps to the
//! CLI's exit codes: a verdict about the signature or the model (exit 1) is
//! kept apart from a failure to read inputs or a usage mistake (exit 2).

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A file or directory could not be read or written.
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A file changed (size or modification time) while it was being hashed.
    #[error("{path}: the file changed while it was being hashed ({detail}); retry once the model directory is no longer being written")]
    Changed { path: PathBuf, detail: String },
    /// A symbolic link was found while symlinks are not allowed.
    #[error("{path}: is a symbolic link; symlinks are refused unless allowed (--allow-symlinks when signing)")]
    Symlink { path: PathBuf },
    /// A FIFO, socket, device or other file that is neither a regular file nor a directory.
    #[error("{path}: is not a regular file or directory (FIFO, socket or device); remove it or add it to the ignore paths")]
    SpecialFile { path: PathBuf },
    /// A path that cannot be recorded in a manifest (not UTF-8, contains `:` in shard mode...).
    #[error("{path}: {reason}")]
    BadPath { path: PathBuf, reason: String },
    /// A key, certificate or PEM file of the wrong kind or that cannot be parsed.
    #[error("{path}: {reason}")]
    Key { path: PathBuf, reason: String },
    /// Bad options (e.g. shard size 0, unknown hash).
    #[error("{0}")]
    Usage(String),
    /// The signature file is not a well-formed bundle of the expected format.
    #[error("{path}: invalid signature bundle: {reason}")]
    Bundle { path: PathBuf, reason: String },
    /// The signature is authentic but the directory does not match it.
    #[error("{dir}: model does not match its signature: {}", problems.join("; "))]
    Mismatch { dir: PathBuf, problems: Vec<String> },
    /// The cryptographic signature, key binding or certificate chain failed.
    #[error("{path}: signature verification failed: {reason}")]
    Signature { path: PathBuf, reason: String },
}

impl SignError {
    /// Exit code for the CLI: 1 when the signature or the model was judged
    /// (invalid bundle, bad signature, refused symlink), 2 for I/O and usage.
    pub fn exit_code(&self) -> u8 {
        match self {
            SignError::Bundle { .. } | SignError::Signature { .. } | SignError::Mismatch { .. } => {
                1
            }
            _ => 2,
        }
    }

    /// True when the error is a verdict that the signature is not valid.
    pub fn is_verdict(&self) -> bool {
        self.exit_code() == 1
    }

    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        SignError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    pub(crate) fn key(path: &Path, reason: impl Into<String>) -> Self {
        SignError::Key {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn bundle(path: &Path, reason: impl Into<String>) -> Self {
        SignError::Bundle {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn signature(path: &Path, reason: impl Into<String>) -> Self {
        SignError::Signature {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

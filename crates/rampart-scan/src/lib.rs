//! Model-artifact and secret scanning: format sniffing, the pickle machine,
//! archive walking, per-format scanners.
//!
//! This crate owns the gate in front of `pickle.load`: it decides what a file
//! is from its bytes ([`sniff`]), walks pickles symbolically
//! ([`scan_pickle`]) against an allowlist-first [`policy`], opens the
//! containers models ship in (PyTorch zip and legacy files, NumPy, joblib,
//! Keras, TensorFlow, ONNX, safetensors, GGUF, zip/tar/compressed archives,
//! with bomb bounds) and looks for leaked secrets in text, configs and
//! notebooks. [`scan_paths`] is the entry point for files and directories;
//! every problem is a [`Finding`] with a stable rule id (see [`rules`]), and
//! every file that could not be fully read is also an entry in
//! [`ScanReport::errors`].
//!
//! ```
//! let rep = rampart_scan::scan_pickle(b"cos\nsystem\n(S'id'\ntR.");
//! assert_eq!(rep.globals[0].module, "os");
//! ```

pub mod blob;
pub mod declared;
mod engine;
pub mod fixtures;
pub mod formats;
mod inflate;
pub mod pickle;
pub mod policy;
#[cfg(feature = "progress")]
pub mod progress;
pub mod rules;
pub mod secrets;
pub mod sniff;
mod tarread;
mod walk;
pub mod zipread;

pub use engine::{scan_bytes, scan_file};
pub use pickle::{scan_pickle, scan_pickle_reader, GlobalImport, PickleReport};
pub use policy::{Policy, Verdict};
pub use sniff::{sniff, ArtifactKind};
pub use walk::scan_paths;

use rampart_core::finding::SeverityCounts;
use rampart_core::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Bounds that keep a hostile input from exhausting memory or time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Archive nesting depth (an archive inside an archive is depth 2).
    pub max_depth: usize,
    /// Largest allowed ratio of decompressed to compressed size for a member.
    pub max_ratio: u64,
    /// Total bytes decompressed for one top-level file.
    pub max_total_uncompressed: u64,
    /// Largest single member or decompressed stream held in memory.
    pub max_member_bytes: u64,
    /// Largest text file searched for secrets (the rest is skipped).
    pub max_text_bytes: u64,
    /// Largest whole-file read for formats parsed in memory (ONNX, HDF5...).
    pub max_read_bytes: u64,
    /// Members listed per archive.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 6,
            max_ratio: 500,
            max_total_uncompressed: 4 << 30,
            max_member_bytes: 1 << 30,
            max_text_bytes: 8 << 20,
            max_read_bytes: 512 << 20,
            max_entries: 100_000,
        }
    }
}

/// A function that finds secrets in a text (findings with spans and lines).
pub type SecretScanner = Arc<dyn Fn(&str) -> Vec<Finding> + Send + Sync>;

/// Progress: called once per top-level file with (done, total).
pub type ProgressFn = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// What to scan and how.
#[derive(Clone)]
pub struct ScanOptions {
    pub policy: Policy,
    pub limits: Limits,
    /// Glob patterns (gitignore syntax) of paths not to scan.
    pub exclude: Vec<String>,
    /// Honour .gitignore, .ignore and .rampartignore files.
    pub respect_ignore_files: bool,
    /// Look for secrets in text files.
    pub secrets: bool,
    pub follow_symlinks: bool,
    /// Secret rules; `None` uses [`secrets::default_scanner`].
    pub secret_scanner: Option<SecretScanner>,
    pub progress: Option<ProgressFn>,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            policy: Policy::default(),
            limits: Limits::default(),
            exclude: Vec::new(),
            respect_ignore_files: true,
            secrets: true,
            follow_symlinks: true,
            secret_scanner: None,
            progress: None,
            threads: 0,
        }
    }
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("policy", &self.policy)
            .field("limits", &self.limits)
            .field("exclude", &self.exclude)
            .field("respect_ignore_files", &self.respect_ignore_files)
            .field("secrets", &self.secrets)
            .finish()
    }
}

/// The `[scan]` section of a Rampart config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// Extra safe pickle globals (`module.name`, `module.*`, `module.**`).
    pub allow: Vec<String>,
    /// Extra dangerous pickle globals.
    pub deny: Vec<String>,
    /// Paths not to scan (gitignore-style globs).
    pub exclude: Vec<String>,
    pub secrets: Option<bool>,
    pub limits: Option<Limits>,
}

/// A whole config file: only its `[scan]` table is read here.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigFile {
    #[serde(default)]
    pub scan: ScanConfig,
}

impl ScanConfig {
    pub fn apply(&self, o: &mut ScanOptions) {
        o.policy.extend(&Policy {
            allow: self.allow.clone(),
            deny: self.deny.clone(),
        });
        o.exclude.extend(self.exclude.iter().cloned());
        if let Some(s) = self.secrets {
            o.secrets = s;
        }
        if let Some(l) = &self.limits {
            o.limits = l.clone();
        }
    }
}

/// A file (or archive member) that could not be fully scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanError {
    pub path: String,
    pub message: String,
}

/// Counts for the report header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(flatten)]
    pub counts: SeverityCounts,
    pub files_scanned: usize,
    pub files_skipped: usize,
    pub errors: usize,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanReport {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
}

impl ScanReport {
    /// The highest severity found, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
    /// Exit code per the CLI contract: 2 on errors, 1 on findings at or above
    /// `threshold`, else 0.
    pub fn exit_code(&self, threshold: Severity) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= threshold) {
            1
        } else {
            0
        }
    }
    pub(crate) fn finish(&mut self) {
        // Keys borrowed, not cloned: cloning each path per comparison was
        // most of the cost of sorting a few thousand findings.
        fn path(f: &Finding) -> Option<&str> {
            f.location.as_ref().and_then(|l| l.path.as_deref())
        }
        fn offset(f: &Finding) -> Option<u64> {
            f.location
                .as_ref()
                .and_then(|l| l.offset.or(l.line.map(u64::from)))
        }
        self.findings.sort_by(|a, b| {
            path(a)
                .cmp(&path(b))
                .then_with(|| offset(a).cmp(&offset(b)))
                .then_with(|| b.severity.cmp(&a.severity))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
        });
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
        self.summary.counts = SeverityCounts::from_findings(&self.findings);
        self.summary.errors = self.errors.len();
    }
}

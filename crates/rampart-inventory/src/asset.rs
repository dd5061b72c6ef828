//! The inventory's data model: assets, their attached facts and the report.
//!
//! An [`Asset`] is one thing a security team wants on its list: a model file,
//! a dataset, a piece of code calling an AI SDK, an endpoint, an MCP server,
//! a credential. Every fact attached to it (hash, licence, scan result,
//! signature status, risks) is optional because the inventory says only what
//! it actually found.

use rampart_core::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssetKind {
    /// A model artifact on disk, or a model referenced by name (remote).
    Model,
    /// A Hugging Face-style README with model or dataset metadata.
    ModelCard,
    /// A model configuration (`config.json` with `architectures`/`model_type`).
    ModelConfig,
    Dataset,
    Notebook,
    /// Training or inference code that uses an AI SDK.
    Code,
    /// An AI API endpoint named in code or configuration.
    Endpoint,
    VectorStore,
    /// A managed AI service declared in infrastructure code.
    CloudService,
    McpServer,
    /// An AI-provider credential found in a file (value never stored).
    Credential,
}

impl AssetKind {
    pub const ALL: [AssetKind; 11] = [
        AssetKind::Model,
        AssetKind::ModelCard,
        AssetKind::ModelConfig,
        AssetKind::Dataset,
        AssetKind::Notebook,
        AssetKind::Code,
        AssetKind::Endpoint,
        AssetKind::VectorStore,
        AssetKind::CloudService,
        AssetKind::McpServer,
        AssetKind::Credential,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Model => "model",
            AssetKind::ModelCard => "model-card",
            AssetKind::ModelConfig => "model-config",
            AssetKind::Dataset => "dataset",
            AssetKind::Notebook => "notebook",
            AssetKind::Code => "code",
            AssetKind::Endpoint => "endpoint",
            AssetKind::VectorStore => "vector-store",
            AssetKind::CloudService => "cloud-service",
            AssetKind::McpServer => "mcp-server",
            AssetKind::Credential => "credential",
        }
    }

    /// Services in CycloneDX terms (things reached over the network).
    pub fn is_service(self) -> bool {
        matches!(
            self,
            AssetKind::Endpoint
                | AssetKind::VectorStore
                | AssetKind::CloudService
                | AssetKind::McpServer
        )
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Signature status of a model artifact or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    /// A signature was verified against the configured trust.
    Verified,
    /// A signature by a trusted signer exists but does not verify
    /// (tampered file, edited statement) or cannot be parsed.
    Invalid,
    /// A signature exists but its signer is not trusted, or no trusted
    /// signers are configured (deny by default: never `verified` then).
    /// Reports of earlier versions called this `present`.
    #[serde(alias = "present")]
    Unverified,
    /// No signature file was found beside the model.
    Unsigned,
}

impl SignatureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureStatus::Verified => "verified",
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::Unverified => "unverified",
            SignatureStatus::Unsigned => "unsigned",
        }
    }
}

/// What the artifact scanner said about a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanResult {
    /// `clean`, `findings`, `error` or `not-scanned`.
    pub status: String,
    pub scanner: String,
    pub findings: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_severity: Option<Severity>,
}

/// One discovered asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// Stable id, unique within an inventory: `<kind>:<path>[#<name>]` for
    /// things on disk, `<kind>:<scheme>/<name>` for things referenced by name.
    pub id: String,
    pub kind: AssetKind,
    pub name: String,
    /// Path relative to the inventory root ("" for referenced assets).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureStatus>,
    /// Endpoint URLs (services) or the command line (MCP servers, redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Whether the service requires authentication, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// Free-form facts: provider, SDKs used, architecture, task...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Ids of assets this one uses (code -> model, model -> dataset...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<Finding>,
}

impl Asset {
    pub fn new(kind: AssetKind, name: impl Into<String>, path: impl Into<String>) -> Self {
        let name = name.into();
        let path = path.into();
        let id = if path.is_empty() {
            format!("{kind}:{name}")
        } else {
            format!("{kind}:{path}")
        };
        Asset {
            id,
            kind,
            name,
            path,
            line: None,
            format: None,
            size: None,
            sha256: None,
            license: None,
            scan: None,
            signature: None,
            endpoints: Vec::new(),
            authenticated: None,
            properties: BTreeMap::new(),
            depends_on: Vec::new(),
            risks: Vec::new(),
        }
    }

    /// An asset that lives inside a file (an MCP server in a config, an
    /// endpoint in a script): its id carries a fragment.
    pub fn within(kind: AssetKind, name: impl Into<String>, path: &str) -> Self {
        let name = name.into();
        let mut a = Asset::new(kind, name.clone(), path);
        a.id = format!("{kind}:{path}#{name}");
        a
    }

    pub fn prop(mut self, k: &str, v: impl Into<String>) -> Self {
        self.properties.insert(k.to_string(), v.into());
        self
    }

    pub fn max_severity(&self) -> Option<Severity> {
        self.risks.iter().map(|r| r.severity).max()
    }
}

/// A file or directory the inventory could not read or parse. The run goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryError {
    pub path: String,
    pub message: String,
}

/// The posture score and how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Posture {
    /// 0..=100, higher is better.
    pub score: u32,
    /// A (>= 90), B (>= 75), C (>= 60), D (>= 40), F.
    pub grade: String,
    /// Weighted risk points `P` (see `docs/inventory.md`).
    pub penalty: u32,
    pub formula: String,
    pub risks_by_severity: BTreeMap<String, usize>,
}

/// The whole inventory: what `--format json` prints and `inventory diff` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Format marker, `rampart-inventory/1`.
    pub schema: String,
    pub tool_version: String,
    pub root: String,
    pub generated_at: String,
    pub files_seen: usize,
    pub bytes_read: u64,
    pub assets: Vec<Asset>,
    #[serde(default)]
    pub errors: Vec<InventoryError>,
    pub posture: Posture,
}

impl Inventory {
    pub const SCHEMA: &'static str = "rampart-inventory/1";

    /// All risks of all assets.
    pub fn risks(&self) -> impl Iterator<Item = &Finding> {
        self.assets.iter().flat_map(|a| a.risks.iter())
    }

    pub fn count(&self, kind: AssetKind) -> usize {
        self.assets.iter().filter(|a| a.kind == kind).count()
    }

    pub fn get(&self, id: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.id == id)
    }
}

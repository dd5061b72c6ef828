//! `rampart-inventory`: what AI assets exist, where they came from and what
//! risks they carry, plus the checks a dataset must pass before training.
//!
//! * [`discover`]: parallel, bounded walk of a tree; classification of each
//!   file by content ([`sniff`]), code ([`code`]), endpoints
//!   ([`endpoints`]), infrastructure ([`infra`]), MCP configs ([`mcp`]),
//!   cards and configs ([`cards`]), provider keys ([`keys`]); linking.
//! * [`signature`]: signature status of models via `rampart-sign`,
//!   against the configured trusted signers (deny by default).
//! * [`cyclonedx`]: the CycloneDX 1.6 AI bill of materials.
//! * [`posture`]: the posture score; [`summary`]: the human report.
//! * [`diff`]: what appeared, disappeared or changed between two inventories.
//! * [`data`]: dataset security: provenance ledger, PII classification and
//!   minimisation, poisoning and label checks.

pub mod artifacts;
pub mod asset;
pub mod cards;
pub mod code;
pub mod cyclonedx;
pub mod data;
pub mod diff;
pub mod discover;
pub mod endpoints;
pub mod infra;
pub mod keys;
pub mod mcp;
pub mod posture;
pub mod risks;
pub mod signature;
pub mod sniff;
pub mod summary;

pub use asset::{Asset, AssetKind, Inventory, InventoryError, Posture, SignatureStatus};
pub use discover::{inventory, Options};

/// Current UTC time as RFC 3339 (seconds precision).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// 16 random bytes from the OS RNG (via uuid v4), for per-run keys.
pub fn random_bytes16() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

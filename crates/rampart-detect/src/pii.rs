//! PII detection and redaction (being built).

use rampart_core::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Kinds of personal data this module finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    Phone,
    CreditCard,
    Iban,
    UsSsn,
    IpAddress,
}

/// One match: kind and byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiMatch {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
}

/// Redaction modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactMode {
    Mask,
    Hash,
    Token,
}

pub fn find(_text: &str) -> Vec<PiiMatch> {
    Vec::new()
}

pub fn redact(text: &str, _mode: RedactMode) -> String {
    text.to_string()
}

/// The engine detector for PII.
pub struct PiiDetector;

impl crate::Detector for PiiDetector {
    fn name(&self) -> &'static str {
        "pii"
    }
    fn detect(
        &self,
        _i: &crate::DetectInput<'_>,
        _o: &mut Vec<Finding>,
        _s: &mut BTreeMap<String, f32>,
    ) {
    }
}

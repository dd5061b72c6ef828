//! Secret detection (being built).

use rampart_core::Finding;
use std::collections::BTreeMap;

/// Scan a text for credentials.
pub fn scan_text(_text: &str) -> Vec<Finding> {
    Vec::new()
}

/// The engine detector for secrets.
pub struct SecretsDetector;

impl crate::Detector for SecretsDetector {
    fn name(&self) -> &'static str {
        "secrets"
    }
    fn detect(
        &self,
        _i: &crate::DetectInput<'_>,
        _o: &mut Vec<Finding>,
        _s: &mut BTreeMap<String, f32>,
    ) {
    }
}

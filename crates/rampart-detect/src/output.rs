//! Output-side checks (being built).

use rampart_core::Finding;

/// What an answer may contain.
#[derive(Debug, Clone, Default)]
pub struct OutputPolicy {
    pub allowed_domains: Vec<String>,
    pub canary: Option<String>,
    pub system_prompt: Option<String>,
}

pub fn check_output(_text: &str, _policy: &OutputPolicy) -> Vec<Finding> {
    Vec::new()
}

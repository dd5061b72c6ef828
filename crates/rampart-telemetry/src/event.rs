//! The security event: one structured record per request.
//!
//! An event names the caller by key id and tenant (never the key), says what
//! was asked (model, route, token counts), how long it took, and every
//! finding and decision the gateway made, with the tool calls it governed
//! and the retrieval sources it saw. Evidence inside findings is already
//! redacted by the detectors; [`SecurityEvent::scrub`] is a second line of
//! defence that bounds every free-text field and masks anything shaped like
//! a credential before the event leaves the process.

use once_cell::sync::Lazy;
use rampart_core::{redact, Finding, Severity};
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Version of the event layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// What the gateway did, overall or at one stage.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Passed untouched.
    #[default]
    Allow,
    /// Passed, but recorded as suspicious.
    Flag,
    /// Passed with matching values replaced.
    Redact,
    /// A retrieved chunk cleaned before use.
    Sanitize,
    /// A retrieved chunk or tool call removed.
    Drop,
    /// Refused.
    Block,
    /// Failed for a reason other than policy (upstream, timeout, bad input).
    Error,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Redact => "redact",
            Action::Sanitize => "sanitize",
            Action::Drop => "drop",
            Action::Block => "block",
            Action::Error => "error",
        }
    }
}

/// A finding with where it was seen and what was done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFinding {
    /// Where in the request: `input`, `document`, `tool`, `output`,
    /// `stream`, `tool_call`, ...
    pub stage: String,
    pub action: Action,
    #[serde(flatten)]
    pub finding: Finding,
}

/// One policy decision (a block, a redaction, a limit, an auth failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub stage: String,
    pub action: Action,
    /// Which policy or detector decided, e.g. `injection`, `rate_limit`.
    pub policy: String,
    /// A stable code (the one in the error object when blocked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A tool call seen in a model answer, and whether it reached the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    pub name: String,
    pub allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A retrieved chunk's source and what the RAG controls did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrievalRecord {
    pub source: String,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Token counts as reported by the upstream (or estimated by the gateway).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub prompt: u64,
    pub completion: u64,
}

/// One request, as the gateway saw and handled it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub schema: u32,
    /// Unique id of this event (UUID v7: sortable by time).
    pub event_id: Uuid,
    /// The request id the gateway answered with (`x-request-id`).
    pub request_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// `/v1/chat/completions`, `/v1/guard/check`, ...
    pub route: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The gateway key's id (see [`key_fingerprint`]); never the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The upstream's configured name (not its URL or credential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    #[serde(default)]
    pub stream: bool,
    /// HTTP status returned to the client.
    pub status: u16,
    /// The overall outcome.
    pub action: Action,
    /// The stable error code when the request was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
    /// Time from request received to last byte sent, in milliseconds.
    pub latency_ms: f64,
    /// Time spent waiting on the upstream, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<EventFinding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retrieval: Vec<RetrievalRecord>,
    /// Detector scores (e.g. `injection`: 0.93).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<String, f32>,
    /// Free-form labels (deployment, replica, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl SecurityEvent {
    /// A new event stamped now, with a fresh event id, allowed and 200 until
    /// told otherwise.
    pub fn new(request_id: impl Into<String>, route: impl Into<String>) -> Self {
        SecurityEvent {
            schema: SCHEMA_VERSION,
            event_id: Uuid::now_v7(),
            request_id: request_id.into(),
            time: OffsetDateTime::now_utc(),
            route: route.into(),
            method: None,
            key_id: None,
            tenant: None,
            client_ip: None,
            model: None,
            upstream: None,
            stream: false,
            status: 200,
            action: Action::Allow,
            code: None,
            tokens: None,
            latency_ms: 0.0,
            upstream_latency_ms: None,
            findings: Vec::new(),
            decisions: Vec::new(),
            tool_calls: Vec::new(),
            retrieval: Vec::new(),
            scores: BTreeMap::new(),
            labels: BTreeMap::new(),
        }
    }

    pub fn add_finding(&mut self, stage: impl Into<String>, action: Action, finding: Finding) {
        self.findings.push(EventFinding {
            stage: stage.into(),
            action,
            finding,
        });
    }

    pub fn add_decision(
        &mut self,
        stage: impl Into<String>,
        action: Action,
        policy: impl Into<String>,
        code: Option<String>,
        reason: Option<String>,
    ) {
        self.decisions.push(Decision {
            stage: stage.into(),
            action,
            policy: policy.into(),
            code,
            reason,
        });
    }

    /// The most severe finding, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.finding.severity).max()
    }

    /// Bound every free-text field and mask anything shaped like a
    /// credential. Detectors redact their evidence already; this guards
    /// against a caller that put a raw value where it should not be.
    pub fn scrub(&mut self) {
        fn clean(s: &mut String, max: usize) {
            if s.len() > max || SECRET_SHAPES.is_match(s) || s.chars().any(char::is_control) {
                let masked =
                    SECRET_SHAPES.replace_all(s, |c: &regex::Captures<'_>| redact::mask(&c[0]));
                *s = redact::truncate(&redact::sanitize_for_display(&masked), max);
            }
        }
        fn clean_opt(s: &mut Option<String>, max: usize) {
            if let Some(s) = s {
                clean(s, max);
            }
        }
        clean(&mut self.request_id, 128);
        clean(&mut self.route, 256);
        clean_opt(&mut self.method, 16);
        clean_opt(&mut self.key_id, 128);
        clean_opt(&mut self.tenant, 128);
        clean_opt(&mut self.client_ip, 64);
        clean_opt(&mut self.model, 256);
        clean_opt(&mut self.upstream, 128);
        clean_opt(&mut self.code, 128);
        self.findings.truncate(MAX_LIST);
        for f in &mut self.findings {
            clean(&mut f.stage, 64);
            clean(&mut f.finding.message, 512);
            clean_opt(&mut f.finding.evidence, 256);
            clean_opt(&mut f.finding.category, 128);
            for v in f.finding.metadata.values_mut() {
                if let serde_json::Value::String(s) = v {
                    clean(s, 256);
                }
            }
        }
        self.decisions.truncate(MAX_LIST);
        for d in &mut self.decisions {
            clean(&mut d.stage, 64);
            clean(&mut d.policy, 128);
            clean_opt(&mut d.code, 128);
            clean_opt(&mut d.reason, 512);
        }
        self.tool_calls.truncate(MAX_LIST);
        for t in &mut self.tool_calls {
            clean(&mut t.name, 128);
            clean_opt(&mut t.reason, 512);
        }
        self.retrieval.truncate(MAX_LIST);
        for r in &mut self.retrieval {
            clean(&mut r.source, 512);
            clean_opt(&mut r.reason, 512);
        }
        let labels = std::mem::take(&mut self.labels);
        self.labels = labels
            .into_iter()
            .take(MAX_LIST)
            .map(|(mut k, mut v)| {
                clean(&mut k, 64);
                clean(&mut v, 256);
                (k, v)
            })
            .collect();
    }
}

/// Most entries kept in any list of an event, so one hostile request
/// cannot produce an unbounded record.
const MAX_LIST: usize = 256;

/// Shapes of common credentials, masked by [`SecurityEvent::scrub`] wherever
/// they appear in an event's text.
static SECRET_SHAPES: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?x)
        \b(?:AKIA|ASIA)[0-9A-Z]{16}\b
        | \bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}
        | \bgh[pousr]_[A-Za-z0-9]{30,}
        | \bxox[abprs]-[A-Za-z0-9\-]{10,}
        | \bAIza[0-9A-Za-z_\-]{35}
        | \beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}
        | -----BEGIN[ A-Z]*PRIVATE\ KEY-----
        | (?i:bearer)\s+[A-Za-z0-9._\-~+/]{16,}=*",
    )
    .expect("secret shapes regex")
});

/// A stable, non-reversible id for an API key: `key_` and the first 16 hex
/// digits of its SHA-256. Use it as [`SecurityEvent::key_id`] when a key has
/// no configured id.
pub fn key_fingerprint(key: &str) -> String {
    let d = Sha256::digest(key.as_bytes());
    format!("key_{}", &hex::encode(d)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_round_trips_json() {
        let mut e = SecurityEvent::new("req-1", "/v1/chat/completions");
        e.tenant = Some("acme".into());
        e.tokens = Some(Tokens {
            prompt: 10,
            completion: 5,
        });
        e.add_finding(
            "input",
            Action::Block,
            Finding::new("RAMP-PI-001", "injection", Severity::High, "override"),
        );
        e.add_decision(
            "input",
            Action::Block,
            "injection",
            Some("prompt_injection".into()),
            None,
        );
        let s = serde_json::to_string(&e).unwrap();
        let back: SecurityEvent = serde_json::from_str(&s).unwrap();
        assert_eq!(back, e);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["findings"][0]["rule_id"], "RAMP-PI-001");
        assert_eq!(v["findings"][0]["stage"], "input");
        assert_eq!(v["decisions"][0]["action"], "block");
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(e.max_severity(), Some(Severity::High));
    }

    #[test]
    fn scrub_masks_credentials_and_bounds_text() {
        let mut e = SecurityEvent::new("r\nforged log line", "/v1/x");
        e.add_finding(
            "output",
            Action::Redact,
            Finding::new("RAMP-SEC-001", "secrets", Severity::High, "leak")
                .with_evidence("key AKIAIOSFODNN7EXAMPLE in output"),
        );
        e.add_decision(
            "output",
            Action::Block,
            "x",
            None,
            Some(format!(
                "Bearer abcdefghijklmnopqrstuvwxyz {}",
                "y".repeat(2000)
            )),
        );
        e.scrub();
        let s = serde_json::to_string(&e).unwrap();
        assert!(!s.contains("IOSFODNN7EXAMPLE"), "{s}");
        assert!(!s.contains("abcdefghijklmnopqrstuvwxyz"), "{s}");
        assert!(!e.request_id.contains('\n'));
        assert!(e.decisions[0].reason.as_ref().unwrap().chars().count() <= 513);
    }

    #[test]
    fn fingerprint_is_stable_and_hides_key() {
        let k = "rk_live_0123456789abcdef";
        assert_eq!(key_fingerprint(k), key_fingerprint(k));
        assert!(key_fingerprint(k).starts_with("key_"));
        assert!(!key_fingerprint(k).contains("0123456789abcdef"));
        assert_ne!(key_fingerprint(k), key_fingerprint("other"));
    }
}

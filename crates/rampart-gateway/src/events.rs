//! The per-request security event and its hand-off to `rampart-telemetry`.
//!
//! One [`EventLog`] is filled while a request runs (key id and tenant, never
//! the key; model; token counts; latency; every finding with the action
//! taken; tool-call decisions; retrieval sources) and emitted once at the
//! end. Findings carry only redacted evidence, so no raw secret or PII
//! value reaches a sink. Emission never blocks: the pipeline's buffer is
//! bounded and drops are counted.

use crate::guard::Judged;
use crate::tools::ToolDecision;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct EventLog {
    pub request_id: String,
    pub endpoint: String,
    pub key_id: Option<String>,
    pub tenant: Option<String>,
    pub model: Option<String>,
    pub stream: bool,
    pub status: u16,
    /// allow, flag, redact or block (the strictest action taken).
    pub decision: String,
    pub error_code: Option<String>,
    pub latency_ms: f64,
    pub prompt_tokens_estimate: u64,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub findings: Vec<EventFinding>,
    pub tool_calls: Vec<ToolDecision>,
    pub retrieval_sources: Vec<String>,
    pub rag_actions: Vec<RagAction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventFinding {
    /// input, document or output.
    pub stage: String,
    pub action: String,
    pub rule_id: String,
    pub detector: String,
    pub severity: String,
    pub message: String,
    pub category: Option<String>,
    pub confidence: f32,
    /// Already redacted by the detector.
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RagAction {
    pub source: Option<String>,
    pub outcome: String,
    pub reasons: Vec<String>,
}

const MAX_ITEMS: usize = 256;

impl EventLog {
    pub fn new(request_id: &str, endpoint: &str) -> Self {
        EventLog {
            request_id: request_id.to_string(),
            endpoint: endpoint.to_string(),
            decision: "allow".into(),
            ..Default::default()
        }
    }

    pub fn add_findings(&mut self, stage: &str, js: &[Judged]) {
        for j in js {
            if self.findings.len() >= MAX_ITEMS {
                return;
            }
            let a = j.action.as_str();
            if rank(a) > rank(&self.decision) {
                self.decision = a.to_string();
            }
            self.findings.push(EventFinding {
                stage: stage.to_string(),
                action: a.to_string(),
                rule_id: j.finding.rule_id.clone(),
                detector: j.finding.detector.clone(),
                severity: j.finding.severity.as_str().to_string(),
                message: rampart_core::redact::truncate(&j.finding.message, 200),
                category: j.finding.category.clone(),
                confidence: j.finding.confidence,
                evidence: j.finding.evidence.clone(),
            });
        }
    }

    pub fn add_tool(&mut self, d: &ToolDecision) {
        if self.tool_calls.len() < MAX_ITEMS {
            self.tool_calls.push(d.clone());
        }
    }

    pub fn add_source(&mut self, s: &str) {
        let s = rampart_core::redact::truncate(&rampart_core::redact::sanitize_for_display(s), 128);
        if self.retrieval_sources.len() < MAX_ITEMS && !self.retrieval_sources.contains(&s) {
            self.retrieval_sources.push(s);
        }
    }

    pub fn add_rag(&mut self, source: &Option<String>, outcome: &str, reasons: &[String]) {
        if self.rag_actions.len() < MAX_ITEMS {
            self.rag_actions.push(RagAction {
                source: source.clone(),
                outcome: outcome.to_string(),
                reasons: reasons.to_vec(),
            });
        }
    }
}

fn rank(a: &str) -> u8 {
    match a {
        "block" => 3,
        "redact" => 2,
        "flag" => 1,
        _ => 0,
    }
}

/// The gateway's handle on the telemetry pipeline.
pub struct Telemetry {
    _private: (),
}

impl Telemetry {
    /// Build the pipeline from the `[telemetry]` section (absent: none).
    pub fn from_config(
        v: Option<&toml::Value>,
        _base: Option<&std::path::Path>,
    ) -> Result<Option<Telemetry>, String> {
        match v {
            None => Ok(None),
            Some(_) => Err("telemetry: sinks are not available in this build".into()),
        }
    }
    /// Hand an event to the pipeline without waiting.
    pub fn emit(&self, _e: EventLog) {}
    /// Wait (bounded) for buffered events to reach the sinks.
    pub async fn flush(&self) {}
    /// Counters for `/metrics` (emitted, dropped, failed...).
    pub fn counters(&self) -> Vec<(String, u64)> {
        Vec::new()
    }
}

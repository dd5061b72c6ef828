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
use rampart_telemetry as tel;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct EventLog {
    pub request_id: String,
    pub key_id: Option<String>,
    pub tenant: Option<String>,
    pub model: Option<String>,
    pub stream: bool,
    pub status: u16,
    /// allow, flag, redact or block (the strictest action taken).
    pub decision: String,
    pub error_code: Option<String>,
    pub client_ip: Option<String>,
    pub route: String,
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
    /// Evidence already redacted by the detector.
    pub finding: rampart_core::Finding,
}

#[derive(Debug, Clone, Serialize)]
pub struct RagAction {
    pub source: Option<String>,
    pub outcome: String,
    pub reasons: Vec<String>,
}

const MAX_ITEMS: usize = 256;

impl EventLog {
    pub fn new(request_id: &str, route: &str) -> Self {
        EventLog {
            request_id: request_id.to_string(),
            route: route.to_string(),
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
                finding: j.finding.clone(),
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

fn action_of(s: &str) -> tel::Action {
    match s {
        "block" => tel::Action::Block,
        "redact" => tel::Action::Redact,
        "flag" => tel::Action::Flag,
        "sanitized" | "sanitize" => tel::Action::Sanitize,
        "dropped" | "drop" => tel::Action::Drop,
        "error" => tel::Action::Error,
        _ => tel::Action::Allow,
    }
}

impl EventLog {
    /// The telemetry event for this request.
    pub fn into_event(self) -> tel::SecurityEvent {
        let mut ev = tel::SecurityEvent::new(self.request_id, self.route);
        ev.method = Some("POST".into());
        ev.key_id = self.key_id;
        ev.tenant = self.tenant;
        ev.client_ip = self.client_ip;
        ev.model = self.model;
        ev.stream = self.stream;
        ev.status = self.status;
        ev.action = if self.status >= 500 {
            tel::Action::Error
        } else {
            action_of(&self.decision)
        };
        ev.code = self.error_code;
        ev.latency_ms = self.latency_ms;
        ev.tokens = Some(tel::Tokens {
            prompt: self.prompt_tokens.unwrap_or(self.prompt_tokens_estimate),
            completion: self.completion_tokens.unwrap_or(0),
        });
        for f in self.findings {
            ev.add_finding(f.stage, action_of(&f.action), f.finding);
        }
        if let Some(code) = &ev.code {
            ev.decisions.push(tel::Decision {
                stage: "request".into(),
                action: ev.action,
                policy: code.clone(),
                code: Some(code.clone()),
                reason: None,
            });
        }
        ev.tool_calls = self
            .tool_calls
            .into_iter()
            .map(|t| tel::ToolCallRecord {
                name: t.name,
                allowed: t.allowed,
                reason: Some(t.reason),
            })
            .collect();
        for s in &self.retrieval_sources {
            let rag = self
                .rag_actions
                .iter()
                .find(|r| r.source.as_deref() == Some(s.as_str()));
            ev.retrieval.push(tel::RetrievalRecord {
                source: s.clone(),
                action: rag
                    .map(|r| action_of(&r.outcome))
                    .unwrap_or(tel::Action::Allow),
                reason: rag.map(|r| r.reasons.join("; ")),
            });
        }
        ev
    }
}

/// The gateway's handle on the telemetry pipeline.
pub struct Telemetry {
    pipeline: tel::TelemetryPipeline,
}

impl Telemetry {
    /// Start the pipeline for the `[telemetry]` section (absent: none).
    /// Must run inside a tokio runtime.
    pub fn from_config(
        cfg: Option<&tel::TelemetryConfig>,
        base: Option<&std::path::Path>,
    ) -> Result<Option<Telemetry>, String> {
        let Some(c) = cfg else { return Ok(None) };
        let mut c = c.clone();
        if let Some(b) = base {
            c.resolve_paths(b);
        }
        Ok(Some(Telemetry {
            pipeline: tel::TelemetryPipeline::from_config(&c)?,
        }))
    }
    /// Hand an event to the pipeline without waiting (a full buffer drops
    /// it, counted).
    pub fn emit(&self, e: EventLog) {
        self.pipeline.emit(e.into_event());
    }
    /// Write what is buffered (bounded wait), e.g. at shutdown.
    pub async fn flush(&self) {
        self.pipeline
            .shutdown(std::time::Duration::from_secs(5))
            .await;
    }
    /// Wait until emitted events are written (tests, admin).
    pub async fn settle(&self, max: std::time::Duration) -> bool {
        self.pipeline.flush(max).await
    }
    pub fn stats(&self) -> tel::TelemetryStats {
        self.pipeline.stats()
    }
}

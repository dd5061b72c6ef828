//! The seam to `rampart-detect`: the refusal detector used by the judges,
//! the detection engine's findings on a model's output, and the guard whose
//! verdict `--target guard` tries to flip.

use crate::judge::{RefusalCall, RefusalKind};
use rampart_core::{Finding, Severity};
use rampart_detect::output::{check_output, OutputPolicy};
use rampart_detect::refusal::RefusalVerdict;
use rampart_detect::{Engine, Source};
use std::collections::BTreeMap;

/// Classify a reply as a refusal, a partial answer or compliance, with
/// `rampart_detect::refusal` (the same detector the gateway uses).
pub fn classify_refusal(answer: &str) -> RefusalCall {
    let a = rampart_detect::refusal::classify(answer);
    RefusalCall {
        kind: match a.verdict {
            RefusalVerdict::Refused => RefusalKind::Refused,
            RefusalVerdict::Partial => RefusalKind::Partial,
            RefusalVerdict::Complied => RefusalKind::Complied,
        },
        score: a.score,
        evidence: a.evidence.join(", "),
    }
}

/// The detection engine's output-side checks (links and images that
/// exfiltrate data, hidden text, secrets and PII in answers). Input-side
/// detectors (injection) are not consulted: an answer that quotes an attack
/// has not done anything.
pub struct OutputAnalyzer {
    policy: OutputPolicy,
}

impl Default for OutputAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl OutputAnalyzer {
    pub fn new() -> Self {
        OutputAnalyzer {
            policy: OutputPolicy::default(),
        }
    }

    /// Findings of at least medium severity on an output text.
    pub fn findings(&self, text: &str) -> Vec<Finding> {
        check_output(text, &self.policy)
            .into_iter()
            .filter(|f| f.severity >= Severity::Medium)
            .collect()
    }
}

/// A guard verdict on one input.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardVerdict {
    pub blocked: bool,
    /// The highest blocking score.
    pub score: f32,
    pub detail: String,
}

/// Something that decides whether to block an input (closed box).
pub trait Guard: Send + Sync {
    fn check(&self, text: &str) -> GuardVerdict;
}

/// Rampart's own input guard: the default engine, blocking when a blocking
/// score (injection, harm, suffix) reaches the threshold.
pub struct EngineGuard {
    engine: Engine,
    threshold: f32,
    source: Source,
}

impl EngineGuard {
    pub fn new(threshold: f32) -> Self {
        EngineGuard {
            engine: Engine::default(),
            threshold,
            source: Source::User,
        }
    }
}

impl Guard for EngineGuard {
    fn check(&self, text: &str) -> GuardVerdict {
        let a = self.engine.analyze(text, self.source);
        let blocked = a.blocked(&BTreeMap::new(), self.threshold);
        let (name, score) = rampart_detect::BLOCKING_SCORES
            .iter()
            .map(|n| (*n, a.score(n)))
            .fold(("none", 0.0f32), |acc, x| if x.1 > acc.1 { x } else { acc });
        GuardVerdict {
            blocked,
            score,
            detail: format!("{name}={score:.2}, {} findings", a.findings.len()),
        }
    }
}

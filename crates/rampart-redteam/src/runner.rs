//! Running a red-team campaign: expanding cases by strategy chains into a
//! deterministic plan, executing it with bounded concurrency against a
//! target, and judging every reply.
//!
//! Determinism: each execution has a stable id (`probe#case/strategy`) and
//! its RNG is seeded from the run seed and that id, so the same seed gives
//! the same prompts whatever the concurrency or selection.

use crate::judge::{judge, Evidence, JudgeEnv, JudgeSpec, Outcome};
use crate::model::{Message, Reply, Script};
use crate::probes::{Carrier, Case};
use crate::strategies::Chain;
use crate::target::{send_with_retries, RateGate, Request, RetryPolicy, SendStats, Target};
use futures::StreamExt;
use rampart_core::redact;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// Each transcript message is cut to this many characters in reports.
pub const MAX_TRANSCRIPT_CHARS: usize = 4000;

/// One planned execution.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: String,
    pub case: Arc<Case>,
    pub chain: Chain,
    pub script: Script,
}

/// Expand cases by strategy chains. Immutable cases run with the identity
/// chain only; multi-turn chains need a user-message carrier and a
/// conversational target. Returns the plan and notes on what was skipped.
pub fn plan(
    cases: &[Arc<Case>],
    chains: &[Chain],
    seed: u64,
    target_multi_turn: bool,
) -> (Vec<Planned>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped_multi = 0usize;
    let identity = Chain::identity();
    for c in cases {
        let chains_for: Vec<&Chain> = if c.mutable {
            chains.iter().collect()
        } else {
            vec![&identity]
        };
        let mut seen = std::collections::HashSet::new();
        for ch in chains_for {
            if !seen.insert(ch.name()) {
                continue;
            }
            if ch.multi_turn() && (!target_multi_turn || !matches!(c.carrier, Carrier::User { .. }))
            {
                skipped_multi += 1;
                continue;
            }
            let id = format!("{}/{}", c.id, ch.name());
            let mut rng = StdRng::seed_from_u64(seed ^ crate::fnv64(id.as_bytes()));
            let m = ch.apply(&c.payload, &mut rng);
            out.push(Planned {
                id,
                case: c.clone(),
                chain: ch.clone(),
                script: c.script(&m),
            });
        }
    }
    let mut notes = Vec::new();
    if skipped_multi > 0 {
        notes.push(format!(
            "{skipped_multi} multi-turn executions skipped (the payload is not in a user message, or the target keeps no conversation)"
        ));
    }
    (out, notes)
}

/// The result of one execution, as it appears in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecResult {
    pub id: String,
    pub probe: String,
    pub category: String,
    pub atlas: String,
    pub strategy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub outcome: Outcome,
    pub evidence: Vec<Evidence>,
    pub transcript: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub attempts: u32,
    #[serde(default)]
    pub rate_limited: u32,
    pub latency_ms: u64,
}

/// Run options.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 16,
            retry: RetryPolicy::default(),
        }
    }
}

/// Execute a plan. Results come back in plan order.
pub async fn execute(
    plan: Vec<Planned>,
    target: Arc<dyn Target>,
    env: Arc<JudgeEnv>,
    opts: &RunOptions,
) -> Vec<ExecResult> {
    let gate = RateGate::default();
    let conc = opts.concurrency.clamp(1, 512);
    let retry = opts.retry.clone();
    let mut results: Vec<(usize, ExecResult)> = futures::stream::iter(plan.into_iter().enumerate())
        .map(|(i, p)| {
            let target = target.clone();
            let env = env.clone();
            let gate = gate.clone();
            let retry = retry.clone();
            async move { (i, run_one(p, target.as_ref(), &env, &retry, &gate).await) }
        })
        .buffer_unordered(conc)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

async fn run_one(
    p: Planned,
    target: &dyn Target,
    env: &JudgeEnv,
    retry: &RetryPolicy,
    gate: &RateGate,
) -> ExecResult {
    let start = Instant::now();
    let mut messages = p.script.initial_messages();
    let mut replies: Vec<Reply> = Vec::new();
    let mut stats = SendStats::default();
    let mut error = None;
    let turns: Vec<Option<&String>> = if p.script.user_turns.is_empty() {
        vec![None]
    } else {
        p.script.user_turns.iter().map(Some).collect()
    };
    for t in turns {
        if let Some(t) = t {
            messages.push(Message::user(t.clone()));
        }
        let req = Request {
            messages: &messages,
            tools: &p.script.tools,
        };
        match send_with_retries(target, req, retry, gate, &mut stats).await {
            Ok(r) => {
                let mut m = Message::assistant(r.text.clone());
                m.tool_calls = r.tool_calls.clone();
                messages.push(m);
                replies.push(r);
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    let (outcome, evidence) = match &error {
        Some(e) => (
            Outcome::Error,
            vec![Evidence {
                judge: "target".into(),
                fired: false,
                detail: format!("not tested: {e}"),
            }],
        ),
        None => {
            let v = judge(&p.case.judges, &p.script, &replies, env).await;
            (v.outcome, v.evidence)
        }
    };
    let secrets: Vec<&String> = p
        .case
        .judges
        .iter()
        .flat_map(|j| match j {
            JudgeSpec::Canary {
                values,
                in_attack: false,
            } => values.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    let transcript = messages
        .into_iter()
        .map(|mut m| {
            for s in &secrets {
                if m.content.contains(s.as_str()) {
                    m.content = m
                        .content
                        .replace(s.as_str(), &format!("[canary {}]", redact::mask(s)));
                }
            }
            m.content = redact::truncate(&m.content, MAX_TRANSCRIPT_CHARS);
            m
        })
        .collect();
    ExecResult {
        id: p.id,
        probe: p.case.probe.name.to_string(),
        category: p.case.probe.category.to_string(),
        atlas: p.case.probe.atlas.to_string(),
        strategy: p.chain.name(),
        source: p.case.source.clone(),
        outcome,
        evidence,
        transcript,
        error,
        attempts: stats.attempts,
        rate_limited: stats.rate_limited,
        latency_ms: start.elapsed().as_millis() as u64,
    }
}

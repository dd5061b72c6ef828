//! Rampart's red-team harness: probes, mutations, targets, judges, reports
//! and CI gates.
//!
//! * [`probes`]: the built-in probe library by OWASP LLM 2025 category with
//!   MITRE ATLAS ids, plus cases seeded from public data sets ([`data`]).
//! * [`strategies`]: composable mutation strategies (encodings, character
//!   tricks, wrappers, payload splitting, multi-turn escalation).
//! * [`target`]: OpenAI-compatible, generic HTTP JSON and local-command
//!   targets with retries and 429 / `Retry-After` handling.
//! * [`judge`]: deterministic judges with a refusal veto, an optional LLM
//!   judge, and evidence for every verdict ([`detectors`] wires in
//!   `rampart-detect`).
//! * [`runner`]: deterministic planning and bounded-concurrency execution.
//! * [`report`] and [`html`]: the versioned JSON report, JUnit, SARIF, the
//!   self-contained HTML report, the gate and `diff`.
//! * [`evasion`]: perturbation attacks against Rampart's own guard.
//! * [`config`]: `redteam.toml` and the campaign that ties it together.

pub mod config;
pub mod data;
pub mod detectors;
pub mod evasion;
pub mod html;
pub mod judge;
pub mod model;
pub mod probes;
pub mod report;
pub mod runner;
pub mod strategies;
pub mod target;

pub use config::Config;
pub use report::Report;

/// FNV-1a, for deriving per-execution seeds from stable ids.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

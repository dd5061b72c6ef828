//! `rampart-core` owns the vocabulary every Rampart crate speaks.
//!
//! * [`finding`]: the one finding model (rule id, severity, message, location,
//!   redacted evidence, confidence, framework references).
//! * [`frameworks`]: the embedded catalogue of OWASP LLM 2025, OWASP Agentic
//!   (ASI), MITRE ATLAS, NIST AI RMF, NIST AI 600-1 and Google SAIF ids.
//! * [`config`]: TOML loading whose errors name the file, line and field.
//! * [`output`]: writers shared by every command (table, JSON, JSONL, SARIF
//!   2.1.0, JUnit XML).
//! * [`redact`]: helpers that keep secret values out of evidence and logs.
//!
//! Nothing here performs detection or I/O beyond reading a config file: a
//! detector never prints, and a writer never decides.

pub mod config;
pub mod finding;
pub mod frameworks;
pub mod output;
pub mod redact;

pub use finding::{Finding, FrameworkRef, Location, Severity, Span};
pub use frameworks::Framework;
pub use output::Format;

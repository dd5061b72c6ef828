//! Dataset security: what a dataset must pass before it is trained on.
//!
//! * [`table`]: bounded streaming readers (CSV/TSV, JSONL, JSON arrays;
//!   Parquet/Arrow recognised by magic).
//! * [`pii`]: per-cell PII and secrets via `rampart-detect`'s detectors.
//! * [`scan`]: per-column findings, classification, poisoning checks.
//! * [`poison`]: duplicates with conflicting labels, label shift, outliers,
//!   backdoor triggers, label flips.
//! * [`minimise`]: a minimised copy (drop, mask, tokenise, auto-redact).
//! * [`ledger`]: the hash-chained provenance ledger (SQLite).

pub mod ledger;
pub mod minimise;
pub mod pii;
pub mod poison;
pub mod scan;
pub mod table;

//! Rampart's telemetry: security events and the sinks that carry them
//! (JSONL, SQLite, PostgreSQL, NATS JetStream), with bounded buffers.
//!
//! * [`event`]: [`SecurityEvent`], one structured record per request (key id
//!   and tenant, never the key; findings with redacted evidence only).
//! * [`config`]: the `[telemetry]` configuration section.
//! * [`sink`]: the [`Sink`] trait and its implementations.
//! * [`pipeline`]: [`TelemetryPipeline`], the non-blocking `emit()` with one
//!   bounded queue and one batching task per sink, and the counters the
//!   gateway renders into `/metrics`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use rampart_telemetry::{SecurityEvent, TelemetryConfig, TelemetryPipeline};
//! let cfg: TelemetryConfig = rampart_core::config::from_toml_str(
//!     "[[sinks]]\ntype = \"jsonl\"\npath = \"events.jsonl\"\n", "inline").map_err(|e| e.to_string())?;
//! let pipeline = TelemetryPipeline::from_config(&cfg)?;
//! let mut ev = SecurityEvent::new("req-1", "/v1/chat/completions");
//! ev.tenant = Some("acme".into());
//! pipeline.emit(ev);
//! pipeline.shutdown(std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```

pub mod config;
pub mod event;
pub mod pipeline;
pub mod sink;

pub use config::{
    JsonlConfig, NatsConfig, PostgresConfig, SinkConfig, SqliteConfig, TelemetryConfig,
};
pub use event::{
    key_fingerprint, Action, Decision, EventFinding, RetrievalRecord, SecurityEvent, Tokens,
    ToolCallRecord, SCHEMA_VERSION,
};
pub use pipeline::{build_sink, PipelineOptions, SinkStats, TelemetryPipeline, TelemetryStats};
pub use sink::{
    read_jsonl, read_sqlite, BoxFuture, EventRecord, FanoutSink, JsonlSink, NatsSink, PostgresSink,
    Sink, SinkError, SqliteSink,
};

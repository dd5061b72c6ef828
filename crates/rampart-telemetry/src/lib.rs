//! Rampart's telemetry: security events and the sinks that carry them (JSONL, SQLite, PostgreSQL, NATS JetStream), with bounded buffers.

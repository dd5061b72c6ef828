//! The `[telemetry]` configuration section: pipeline bounds and the list of
//! sinks. Unknown fields are rejected so a typo never silently disables a
//! sink.
//!
//! ```toml
//! [telemetry]
//! queue_capacity = 10000
//!
//! [[telemetry.sinks]]
//! type = "sqlite"
//! path = "rampart-events.db"
//!
//! [[telemetry.sinks]]
//! type = "nats"
//! url = "127.0.0.1:4222"
//! stream = "RAMPART_EVENTS"
//! subject = "rampart.events"
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `[telemetry]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// `false` turns every sink off (events are counted, then discarded).
    pub enabled: bool,
    /// Events buffered per sink; when full, new events for that sink are
    /// dropped and counted.
    pub queue_capacity: usize,
    /// Most events one sink writes at once.
    pub batch_size: usize,
    /// A sink write that takes longer fails (its events count as failed).
    pub write_timeout_ms: u64,
    pub sinks: Vec<SinkConfig>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            enabled: true,
            queue_capacity: 10_000,
            batch_size: 256,
            write_timeout_ms: 5_000,
            sinks: Vec::new(),
        }
    }
}

/// One sink, selected by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SinkConfig {
    Jsonl(JsonlConfig),
    Sqlite(SqliteConfig),
    Postgres(PostgresConfig),
    Nats(NatsConfig),
}

impl SinkConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            SinkConfig::Jsonl(_) => "jsonl",
            SinkConfig::Sqlite(_) => "sqlite",
            SinkConfig::Postgres(_) => "postgres",
            SinkConfig::Nats(_) => "nats",
        }
    }
    /// The name used in metrics: `name` if set, else the kind.
    pub fn name(&self) -> &str {
        let n = match self {
            SinkConfig::Jsonl(c) => c.name.as_deref(),
            SinkConfig::Sqlite(c) => c.name.as_deref(),
            SinkConfig::Postgres(c) => c.name.as_deref(),
            SinkConfig::Nats(c) => c.name.as_deref(),
        };
        n.unwrap_or(self.kind())
    }
}

/// Append one JSON object per line to a file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonlConfig {
    #[serde(default)]
    pub name: Option<String>,
    pub path: PathBuf,
}

/// An embedded SQLite database (the default sink of `rampart up`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqliteConfig {
    #[serde(default)]
    pub name: Option<String>,
    pub path: PathBuf,
    #[serde(default = "default_table")]
    pub table: String,
}

/// A PostgreSQL table, created if missing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// A libpq-style connection string, e.g.
    /// `host=127.0.0.1 user=postgres dbname=rampart` or a `postgres://` URL.
    pub url: String,
    #[serde(default = "default_table")]
    pub table: String,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u64,
}

/// A NATS JetStream stream, created (or extended to the subject) if needed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// Server address, e.g. `127.0.0.1:4222` or `nats://host:4222`.
    pub url: String,
    #[serde(default = "default_stream")]
    pub stream: String,
    /// Events are published to `<subject>.<action>` (e.g.
    /// `rampart.events.block`), and the stream captures `<subject>.>`.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// Stream retention: most messages kept (oldest discarded first).
    #[serde(default = "default_max_messages")]
    pub max_messages: i64,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u64,
}

fn default_table() -> String {
    "security_events".into()
}
fn default_stream() -> String {
    "RAMPART_EVENTS".into()
}
fn default_subject() -> String {
    "rampart.events".into()
}
fn default_max_messages() -> i64 {
    1_000_000
}
fn default_connect_timeout() -> u64 {
    3_000
}

/// A SQL identifier we are willing to splice into DDL: `name` or
/// `schema.name`, letters, digits and `_` only.
pub fn valid_table_name(s: &str) -> bool {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && p.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| part_ok(p))
}

fn valid_subject(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.split('.').all(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

impl TelemetryConfig {
    /// Check values serde cannot; errors name the field
    /// (`telemetry.sinks[1].table`).
    pub fn validate(&self) -> Result<(), String> {
        if self.queue_capacity == 0 {
            return Err("telemetry.queue_capacity: must be at least 1".into());
        }
        if self.batch_size == 0 {
            return Err("telemetry.batch_size: must be at least 1".into());
        }
        if self.write_timeout_ms == 0 {
            return Err("telemetry.write_timeout_ms: must be at least 1".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, s) in self.sinks.iter().enumerate() {
            let at = format!("telemetry.sinks[{i}]");
            if !names.insert(s.name().to_string()) {
                return Err(format!(
                    "{at}.name: `{}` is used by another sink; give each sink of the same type a distinct `name`",
                    s.name()
                ));
            }
            match s {
                SinkConfig::Jsonl(c) if c.path.as_os_str().is_empty() => {
                    return Err(format!("{at}.path: must not be empty"));
                }
                SinkConfig::Sqlite(c) => {
                    if c.path.as_os_str().is_empty() {
                        return Err(format!("{at}.path: must not be empty"));
                    }
                    if !valid_table_name(&c.table) {
                        return Err(format!(
                            "{at}.table: `{}` is not a plain identifier (letters, digits, `_`)",
                            c.table
                        ));
                    }
                }
                SinkConfig::Postgres(c) => {
                    if !valid_table_name(&c.table) {
                        return Err(format!(
                            "{at}.table: `{}` is not a plain identifier (letters, digits, `_`, optional `schema.`)",
                            c.table
                        ));
                    }
                    if c.url.trim().is_empty() {
                        return Err(format!("{at}.url: must not be empty"));
                    }
                }
                SinkConfig::Nats(c) => {
                    if c.url.trim().is_empty() {
                        return Err(format!("{at}.url: must not be empty"));
                    }
                    if c.stream.is_empty()
                        || !c
                            .stream
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                    {
                        return Err(format!(
                            "{at}.stream: `{}` must be letters, digits, `_` or `-`",
                            c.stream
                        ));
                    }
                    if !valid_subject(&c.subject) {
                        return Err(format!(
                            "{at}.subject: `{}` must be dot-separated tokens without wildcards",
                            c.subject
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Make relative file paths relative to `base` (the config file's
    /// directory) instead of the working directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        for s in &mut self.sinks {
            let p = match s {
                SinkConfig::Jsonl(c) => &mut c.path,
                SinkConfig::Sqlite(c) => &mut c.path,
                _ => continue,
            };
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Root {
        telemetry: TelemetryConfig,
    }

    #[test]
    fn parses_every_sink_type() {
        let src = r#"
[telemetry]
queue_capacity = 100

[[telemetry.sinks]]
type = "jsonl"
path = "events.jsonl"

[[telemetry.sinks]]
type = "sqlite"
path = "events.db"

[[telemetry.sinks]]
type = "postgres"
url = "host=127.0.0.1 user=postgres dbname=test"
table = "public.events"

[[telemetry.sinks]]
type = "nats"
url = "127.0.0.1:4222"
"#;
        let r: Root = rampart_core::config::from_toml_str(src, "t.toml").unwrap();
        let t = r.telemetry;
        assert_eq!(t.queue_capacity, 100);
        assert_eq!(t.batch_size, 256);
        assert_eq!(t.sinks.len(), 4);
        assert_eq!(t.sinks[1].kind(), "sqlite");
        match &t.sinks[3] {
            SinkConfig::Nats(n) => {
                assert_eq!(n.stream, "RAMPART_EVENTS");
                assert_eq!(n.subject, "rampart.events");
            }
            other => panic!("expected nats, got {other:?}"),
        }
        assert!(t.validate().is_ok());
    }

    #[test]
    fn unknown_fields_and_types_are_named() {
        let e = rampart_core::config::from_toml_str::<Root>(
            "[telemetry]\nqueue_capacty = 5\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("queue_capacty"), "{e}");
        assert_eq!(e.line(), Some(2));
        let e = rampart_core::config::from_toml_str::<Root>(
            "[[telemetry.sinks]]\ntype = \"sqlite\"\npath = \"x.db\"\ntabel = \"t\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("tabel"), "{e}");
        let e = rampart_core::config::from_toml_str::<Root>(
            "[[telemetry.sinks]]\ntype = \"kafka\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("kafka"), "{e}");
    }

    #[test]
    fn validation_rejects_unsafe_names() {
        let mut c = TelemetryConfig::default();
        c.sinks.push(SinkConfig::Postgres(PostgresConfig {
            name: None,
            url: "host=x".into(),
            table: "events; DROP TABLE users".into(),
            connect_timeout_ms: 10,
        }));
        assert!(c
            .validate()
            .unwrap_err()
            .starts_with("telemetry.sinks[0].table"));
        let mut c = TelemetryConfig::default();
        for _ in 0..2 {
            c.sinks.push(SinkConfig::Jsonl(JsonlConfig {
                name: None,
                path: "a".into(),
            }));
        }
        assert!(c.validate().unwrap_err().contains("sinks[1].name"));
        assert!(valid_table_name("rampart.events_1"));
        assert!(!valid_table_name("a.b.c"));
        assert!(!valid_table_name("1abc"));
    }

    #[test]
    fn resolves_relative_paths() {
        let mut c = TelemetryConfig::default();
        c.sinks.push(SinkConfig::Sqlite(SqliteConfig {
            name: None,
            path: "ev.db".into(),
            table: default_table(),
        }));
        c.resolve_paths(Path::new("/etc/rampart"));
        match &c.sinks[0] {
            SinkConfig::Sqlite(s) => assert_eq!(s.path, Path::new("/etc/rampart/ev.db")),
            _ => unreachable!(),
        }
    }
}

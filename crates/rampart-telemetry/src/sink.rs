//! Where events go: the [`Sink`] trait and its implementations (JSONL file,
//! SQLite, PostgreSQL, NATS JetStream, and a fan-out of several).
//!
//! A sink only writes batches; queueing, batching, timeouts and counting
//! belong to [`crate::TelemetryPipeline`]. Every network or database sink
//! connects lazily on its first batch and reconnects after a failure, so a
//! service that is down at start-up costs counted failures, not a crash.

use crate::config::{JsonlConfig, NatsConfig, PostgresConfig, SqliteConfig};
use crate::event::SecurityEvent;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A boxed future, so the trait stays object-safe without `async_trait`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A sink's failure: which sink, and what went wrong (never a credential).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{sink}: {message}")]
pub struct SinkError {
    pub sink: &'static str,
    pub message: String,
}

impl SinkError {
    pub fn new(sink: &'static str, message: impl std::fmt::Display) -> Self {
        SinkError {
            sink,
            message: message.to_string(),
        }
    }
}

/// An event as queued: shared by every sink, scrubbed and serialised once
/// (by whichever sink needs it first), off the request path.
#[derive(Debug)]
pub struct EventRecord {
    raw: SecurityEvent,
    prepared: OnceLock<(SecurityEvent, String)>,
}

impl EventRecord {
    pub fn new(event: SecurityEvent) -> Self {
        EventRecord {
            raw: event,
            prepared: OnceLock::new(),
        }
    }
    fn prepared(&self) -> &(SecurityEvent, String) {
        self.prepared.get_or_init(|| {
            let mut e = self.raw.clone();
            e.scrub();
            // Serialising plain data with string keys cannot fail.
            let json = serde_json::to_string(&e).unwrap_or_else(|_| "{}".to_string());
            (e, json)
        })
    }
    /// The event after [`SecurityEvent::scrub`].
    pub fn event(&self) -> &SecurityEvent {
        &self.prepared().0
    }
    /// The scrubbed event as one line of JSON.
    pub fn json(&self) -> &str {
        &self.prepared().1
    }
}

/// Something that stores or forwards events. Each sink is owned by one
/// background task, so `&mut self` needs no locking.
pub trait Sink: Send + 'static {
    /// Short kind for metrics and errors: `jsonl`, `sqlite`, ...
    fn kind(&self) -> &'static str;
    /// Write a whole batch, or fail it as a whole.
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>>;
    /// Called after a write timed out (the write future was dropped): drop
    /// any connection that may be half-used, so the next batch reconnects.
    fn reset(&mut self) {}
}

impl Sink for Box<dyn Sink> {
    fn kind(&self) -> &'static str {
        (**self).kind()
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        (**self).write(batch)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

// ---------------------------------------------------------------- JSONL

/// Appends one JSON object per line.
pub struct JsonlSink {
    path: PathBuf,
    file: Option<tokio::fs::File>,
}

impl JsonlSink {
    pub fn new(cfg: &JsonlConfig) -> Self {
        JsonlSink {
            path: cfg.path.clone(),
            file: None,
        }
    }
}

impl Sink for JsonlSink {
    fn kind(&self) -> &'static str {
        "jsonl"
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            use tokio::io::AsyncWriteExt;
            let mut buf = Vec::with_capacity(batch.len() * 512);
            for r in batch {
                buf.extend_from_slice(r.json().as_bytes());
                buf.push(b'\n');
            }
            if self.file.is_none() {
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(dir)
                        .await
                        .map_err(|e| SinkError::new("jsonl", format!("{}: {e}", dir.display())))?;
                }
                let f = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .await
                    .map_err(|e| {
                        SinkError::new("jsonl", format!("{}: {e}", self.path.display()))
                    })?;
                self.file = Some(f);
            }
            let f = self.file.as_mut().expect("file opened above");
            let res = async {
                f.write_all(&buf).await?;
                f.flush().await
            }
            .await;
            if let Err(e) = res {
                self.file = None;
                return Err(SinkError::new(
                    "jsonl",
                    format!("{}: {e}", self.path.display()),
                ));
            }
            Ok(())
        })
    }
    fn reset(&mut self) {
        self.file = None;
    }
}

/// Read a JSONL event file back (lines that are not events are errors).
pub fn read_jsonl(path: &Path) -> std::io::Result<Vec<SecurityEvent>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: {e}", path.display(), i + 1),
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------- SQL schema

/// Columns shared by the SQLite and PostgreSQL tables: the fields people
/// filter on, plus the whole event as JSON.
fn sqlite_ddl(table: &str) -> String {
    let idx = table.replace('.', "_");
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            request_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            route TEXT NOT NULL,
            tenant TEXT,
            key_id TEXT,
            client_ip TEXT,
            model TEXT,
            status INTEGER NOT NULL,
            action TEXT NOT NULL,
            code TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_ms REAL NOT NULL,
            finding_count INTEGER NOT NULL,
            max_severity TEXT,
            event TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {idx}_ts_idx ON {table} (ts);
        CREATE INDEX IF NOT EXISTS {idx}_tenant_ts_idx ON {table} (tenant, ts);
        CREATE INDEX IF NOT EXISTS {idx}_action_idx ON {table} (action);
        CREATE INDEX IF NOT EXISTS {idx}_request_idx ON {table} (request_id);"
    )
}

fn pg_ddl(table: &str) -> String {
    let idx = table.rsplit('.').next().unwrap_or(table);
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
            id BIGSERIAL PRIMARY KEY,
            event_id UUID NOT NULL UNIQUE,
            request_id TEXT NOT NULL,
            ts TIMESTAMPTZ NOT NULL,
            route TEXT NOT NULL,
            tenant TEXT,
            key_id TEXT,
            client_ip TEXT,
            model TEXT,
            status INTEGER NOT NULL,
            action TEXT NOT NULL,
            code TEXT,
            prompt_tokens BIGINT,
            completion_tokens BIGINT,
            latency_ms DOUBLE PRECISION NOT NULL,
            finding_count INTEGER NOT NULL,
            max_severity TEXT,
            event JSONB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {idx}_ts_idx ON {table} (ts);
        CREATE INDEX IF NOT EXISTS {idx}_tenant_ts_idx ON {table} (tenant, ts);
        CREATE INDEX IF NOT EXISTS {idx}_action_idx ON {table} (action);
        CREATE INDEX IF NOT EXISTS {idx}_request_idx ON {table} (request_id);"
    )
}

fn rfc3339(e: &SecurityEvent) -> String {
    e.time
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

// ---------------------------------------------------------------- SQLite

/// An embedded SQLite database; one transaction per batch.
pub struct SqliteSink {
    path: PathBuf,
    table: String,
    conn: Option<rusqlite::Connection>,
}

impl SqliteSink {
    /// `cfg.table` must be a plain identifier (checked by
    /// [`crate::TelemetryConfig::validate`]; re-checked here).
    pub fn new(cfg: &SqliteConfig) -> Result<Self, SinkError> {
        if !crate::config::valid_table_name(&cfg.table) {
            return Err(SinkError::new(
                "sqlite",
                format!("invalid table name `{}`", cfg.table),
            ));
        }
        Ok(SqliteSink {
            path: cfg.path.clone(),
            table: cfg.table.clone(),
            conn: None,
        })
    }

    fn open(path: &Path, table: &str) -> rusqlite::Result<rusqlite::Connection> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL lets readers (dashboards, `sqlite3`) query while we write.
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
        // In WAL mode NORMAL cannot corrupt the database; it only skips the
        // fsync per commit (a power cut may lose the last batches), which
        // multiplies write throughput.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(&sqlite_ddl(table))?;
        Ok(conn)
    }

    fn write_blocking(
        conn: &mut rusqlite::Connection,
        table: &str,
        batch: &[Arc<EventRecord>],
    ) -> rusqlite::Result<()> {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO {table} (event_id, request_id, ts, route, tenant, key_id, \
                 client_ip, model, status, action, code, prompt_tokens, completion_tokens, \
                 latency_ms, finding_count, max_severity, event) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
            ))?;
            for r in batch {
                let e = r.event();
                st.execute(rusqlite::params![
                    e.event_id.to_string(),
                    e.request_id,
                    rfc3339(e),
                    e.route,
                    e.tenant,
                    e.key_id,
                    e.client_ip,
                    e.model,
                    e.status,
                    e.action.as_str(),
                    e.code,
                    e.tokens.map(|t| t.prompt as i64),
                    e.tokens.map(|t| t.completion as i64),
                    e.latency_ms,
                    e.findings.len() as i64,
                    e.max_severity().map(|s| s.as_str()),
                    r.json(),
                ])?;
            }
        }
        tx.commit()
    }
}

impl Sink for SqliteSink {
    fn kind(&self) -> &'static str {
        "sqlite"
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let conn = self.conn.take();
            let path = self.path.clone();
            let table = self.table.clone();
            let owned: Vec<Arc<EventRecord>> = batch.to_vec();
            // rusqlite is blocking: keep it off the async workers.
            let (conn, res) = tokio::task::spawn_blocking(move || {
                let mut conn = match conn {
                    Some(c) => c,
                    None => match SqliteSink::open(&path, &table) {
                        Ok(c) => c,
                        Err(e) => return (None, Err(format!("{}: {e}", path.display()))),
                    },
                };
                let res = SqliteSink::write_blocking(&mut conn, &table, &owned)
                    .map_err(|e| format!("{}: {e}", path.display()));
                (Some(conn), res)
            })
            .await
            .map_err(|e| SinkError::new("sqlite", e))?;
            self.conn = if res.is_ok() { conn } else { None };
            res.map_err(|m| SinkError::new("sqlite", m))
        })
    }
    fn reset(&mut self) {
        self.conn = None;
    }
}

/// Read events back from a SQLite sink's table, oldest first.
pub fn read_sqlite(
    path: &Path,
    table: &str,
    limit: usize,
) -> Result<Vec<SecurityEvent>, SinkError> {
    if !crate::config::valid_table_name(table) {
        return Err(SinkError::new(
            "sqlite",
            format!("invalid table name `{table}`"),
        ));
    }
    let err = |e: rusqlite::Error| SinkError::new("sqlite", format!("{}: {e}", path.display()));
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err)?;
    let mut st = conn
        .prepare(&format!("SELECT event FROM {table} ORDER BY id LIMIT ?1"))
        .map_err(err)?;
    let rows = st
        .query_map([limit as i64], |r| r.get::<_, String>(0))
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        let text = row.map_err(err)?;
        out.push(serde_json::from_str(&text).map_err(|e| SinkError::new("sqlite", e))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------- PostgreSQL

/// A PostgreSQL table, created with its indexes on first use. One
/// statement per batch: the batch travels as a JSON array and is unpacked
/// server-side with `jsonb_array_elements`.
pub struct PostgresSink {
    config: tokio_postgres::Config,
    table: String,
    insert_sql: String,
    client: Option<tokio_postgres::Client>,
}

impl PostgresSink {
    pub fn new(cfg: &PostgresConfig) -> Result<Self, SinkError> {
        if !crate::config::valid_table_name(&cfg.table) {
            return Err(SinkError::new(
                "postgres",
                format!("invalid table name `{}`", cfg.table),
            ));
        }
        let mut config: tokio_postgres::Config = cfg
            .url
            .parse()
            .map_err(|e| SinkError::new("postgres", format!("invalid connection string: {e}")))?;
        config.connect_timeout(Duration::from_millis(cfg.connect_timeout_ms.max(1)));
        let t = &cfg.table;
        let insert_sql = format!(
            "INSERT INTO {t} (event_id, request_id, ts, route, tenant, key_id, client_ip, model, \
             status, action, code, prompt_tokens, completion_tokens, latency_ms, finding_count, \
             max_severity, event) \
             SELECT (r->'e'->>'event_id')::uuid, r->'e'->>'request_id', (r->'e'->>'time')::timestamptz, \
             r->'e'->>'route', r->'e'->>'tenant', r->'e'->>'key_id', r->'e'->>'client_ip', \
             r->'e'->>'model', (r->'e'->>'status')::int, r->'e'->>'action', r->'e'->>'code', \
             (r->'e'->'tokens'->>'prompt')::bigint, (r->'e'->'tokens'->>'completion')::bigint, \
             (r->'e'->>'latency_ms')::float8, (r->>'n')::int, r->>'sev', r->'e' \
             FROM jsonb_array_elements($1::text::jsonb) AS r \
             ON CONFLICT (event_id) DO NOTHING"
        );
        Ok(PostgresSink {
            config,
            table: cfg.table.clone(),
            insert_sql,
            client: None,
        })
    }

    async fn connect(&self) -> Result<tokio_postgres::Client, SinkError> {
        let (client, conn) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| SinkError::new("postgres", format!("connect: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("telemetry postgres connection ended: {e}");
            }
        });
        client
            .batch_execute(&pg_ddl(&self.table))
            .await
            .map_err(|e| SinkError::new("postgres", format!("create table {}: {e}", self.table)))?;
        Ok(client)
    }
}

impl Sink for PostgresSink {
    fn kind(&self) -> &'static str {
        "postgres"
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if !matches!(&self.client, Some(c) if !c.is_closed()) {
                self.client = Some(self.connect().await?);
            }
            let mut payload = String::with_capacity(batch.len() * 600);
            payload.push('[');
            for (i, r) in batch.iter().enumerate() {
                if i > 0 {
                    payload.push(',');
                }
                let e = r.event();
                let sev = e
                    .max_severity()
                    .map(|s| format!("\"{}\"", s.as_str()))
                    .unwrap_or_else(|| "null".into());
                payload.push_str(&format!(
                    "{{\"n\":{},\"sev\":{},\"e\":{}}}",
                    e.findings.len(),
                    sev,
                    r.json()
                ));
            }
            payload.push(']');
            let client = self.client.as_ref().expect("connected above");
            match client.execute(self.insert_sql.as_str(), &[&payload]).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    if client.is_closed() {
                        self.client = None;
                    }
                    Err(SinkError::new(
                        "postgres",
                        format!("insert into {}: {e}", self.table),
                    ))
                }
            }
        })
    }
    fn reset(&mut self) {
        self.client = None;
    }
}

// ---------------------------------------------------------------- NATS

/// Publishes each event to a JetStream stream and waits for the acks.
/// Subjects are `<subject>.<action>` so consumers can filter (e.g. only
/// `rampart.events.block`); the event id is the JetStream message id, so a
/// retried publish is de-duplicated by the server.
pub struct NatsSink {
    cfg: NatsConfig,
    js: Option<async_nats::jetstream::Context>,
}

impl NatsSink {
    pub fn new(cfg: &NatsConfig) -> Self {
        NatsSink {
            cfg: cfg.clone(),
            js: None,
        }
    }

    async fn connect(&self) -> Result<async_nats::jetstream::Context, SinkError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_millis(self.cfg.connect_timeout_ms.max(1)))
            .connect(self.cfg.url.as_str())
            .await
            .map_err(|e| SinkError::new("nats", format!("connect {}: {e}", self.cfg.url)))?;
        let js = async_nats::jetstream::new(client);
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: self.cfg.stream.clone(),
            subjects: vec![format!("{}.>", self.cfg.subject)],
            max_messages: self.cfg.max_messages,
            ..Default::default()
        })
        .await
        .map_err(|e| SinkError::new("nats", format!("stream {}: {e}", self.cfg.stream)))?;
        Ok(js)
    }
}

impl Sink for NatsSink {
    fn kind(&self) -> &'static str {
        "nats"
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            if self.js.is_none() {
                self.js = Some(self.connect().await?);
            }
            let js = self.js.as_ref().expect("connected above");
            let mut acks = Vec::with_capacity(batch.len());
            for r in batch {
                let e = r.event();
                let subject = format!("{}.{}", self.cfg.subject, e.action.as_str());
                let publish = async_nats::jetstream::context::Publish::build()
                    .payload(r.json().to_owned().into())
                    .message_id(e.event_id.to_string());
                match js.send_publish(subject, publish).await {
                    Ok(ack) => acks.push(ack),
                    Err(err) => {
                        return Err(SinkError::new("nats", format!("publish: {err}")));
                    }
                }
            }
            // Publish everything first, then await the acks: one round
            // trip's worth of latency per batch, not per event.
            for ack in futures::future::join_all(
                acks.into_iter().map(std::future::IntoFuture::into_future),
            )
            .await
            {
                ack.map_err(|err| SinkError::new("nats", format!("ack: {err}")))?;
            }
            Ok(())
        })
    }
    fn reset(&mut self) {
        self.js = None;
    }
}

// ---------------------------------------------------------------- fan-out

/// Several sinks behind one queue: each batch goes to every sink in turn
/// and fails if any fails. Prefer separate pipeline sinks (each with its
/// own queue) when one sink may be slow: here the slowest sets the pace.
pub struct FanoutSink {
    sinks: Vec<Box<dyn Sink>>,
}

impl FanoutSink {
    pub fn new(sinks: Vec<Box<dyn Sink>>) -> Self {
        FanoutSink { sinks }
    }
}

impl Sink for FanoutSink {
    fn kind(&self) -> &'static str {
        "fanout"
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let mut errors = Vec::new();
            for s in &mut self.sinks {
                if let Err(e) = s.write(batch).await {
                    errors.push(e.to_string());
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(SinkError::new("fanout", errors.join("; ")))
            }
        })
    }
    fn reset(&mut self) {
        for s in &mut self.sinks {
            s.reset();
        }
    }
}

//! The telemetry pipeline: a non-blocking `emit()` onto one bounded queue
//! per sink, and one background task per sink that batches and writes.
//!
//! Traffic never waits for telemetry: `emit()` only tries to enqueue, and a
//! full or closed queue drops the event for that sink and counts it. A sink
//! that fails or hangs (bounded by the write timeout) only fills its own
//! queue; the other sinks keep going. Counters per sink (`emitted`,
//! `written`, `dropped`, `failed`) are exposed through [`TelemetryPipeline::stats`]
//! and rendered for Prometheus by [`TelemetryStats::write_prometheus`].

use crate::config::{SinkConfig, TelemetryConfig};
use crate::event::SecurityEvent;
use crate::sink::{EventRecord, JsonlSink, NatsSink, PostgresSink, Sink, SinkError, SqliteSink};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Bounds for a pipeline built in code (a config gives the same values).
#[derive(Debug, Clone, Copy)]
pub struct PipelineOptions {
    pub queue_capacity: usize,
    pub batch_size: usize,
    pub write_timeout: Duration,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        let c = TelemetryConfig::default();
        PipelineOptions {
            queue_capacity: c.queue_capacity,
            batch_size: c.batch_size,
            write_timeout: Duration::from_millis(c.write_timeout_ms),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    emitted: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    batches: AtomicU64,
    last_error: Mutex<Option<String>>,
}

struct SinkSlot {
    name: String,
    kind: &'static str,
    tx: mpsc::Sender<Arc<EventRecord>>,
    counters: Arc<Counters>,
}

struct Inner {
    emitted: AtomicU64,
    sinks: Vec<SinkSlot>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// Cheap to clone; all clones feed the same queues.
#[derive(Clone)]
pub struct TelemetryPipeline {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TelemetryPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryPipeline")
            .field(
                "sinks",
                &self.inner.sinks.iter().map(|s| &s.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A snapshot of one sink's counters. Once the queue is empty,
/// `emitted == written + failed + dropped`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SinkStats {
    pub name: String,
    pub kind: String,
    /// Events offered to this sink.
    pub emitted: u64,
    /// Events the sink stored or acknowledged.
    pub written: u64,
    /// Events refused because the queue was full (or the pipeline closed).
    pub dropped: u64,
    /// Events in batches that failed or timed out.
    pub failed: u64,
    pub batches: u64,
    /// Events waiting in the queue now.
    pub queued: u64,
    pub last_error: Option<String>,
}

/// A snapshot of the whole pipeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TelemetryStats {
    /// Calls to `emit()`.
    pub emitted: u64,
    pub sinks: Vec<SinkStats>,
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl TelemetryStats {
    /// Append the Prometheus text exposition of these counters.
    pub fn write_prometheus(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP rampart_telemetry_emitted_total Security events emitted by the gateway.\n\
             # TYPE rampart_telemetry_emitted_total counter\n\
             rampart_telemetry_emitted_total {}",
            self.emitted
        );
        let _ = writeln!(
            out,
            "# HELP rampart_telemetry_sink_events_total Events per sink and outcome (emitted, written, dropped, failed).\n\
             # TYPE rampart_telemetry_sink_events_total counter"
        );
        for s in &self.sinks {
            let (n, k) = (escape_label(&s.name), escape_label(&s.kind));
            for (outcome, v) in [
                ("emitted", s.emitted),
                ("written", s.written),
                ("dropped", s.dropped),
                ("failed", s.failed),
            ] {
                let _ = writeln!(
                    out,
                    "rampart_telemetry_sink_events_total{{sink=\"{n}\",kind=\"{k}\",outcome=\"{outcome}\"}} {v}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP rampart_telemetry_sink_batches_total Batches written per sink.\n\
             # TYPE rampart_telemetry_sink_batches_total counter"
        );
        for s in &self.sinks {
            let _ = writeln!(
                out,
                "rampart_telemetry_sink_batches_total{{sink=\"{}\",kind=\"{}\"}} {}",
                escape_label(&s.name),
                escape_label(&s.kind),
                s.batches
            );
        }
        let _ = writeln!(
            out,
            "# HELP rampart_telemetry_sink_queue_depth Events waiting per sink.\n\
             # TYPE rampart_telemetry_sink_queue_depth gauge"
        );
        for s in &self.sinks {
            let _ = writeln!(
                out,
                "rampart_telemetry_sink_queue_depth{{sink=\"{}\",kind=\"{}\"}} {}",
                escape_label(&s.name),
                escape_label(&s.kind),
                s.queued
            );
        }
    }

    pub fn to_prometheus(&self) -> String {
        let mut s = String::new();
        self.write_prometheus(&mut s);
        s
    }
}

/// Build the sink a config entry describes (it connects on first use).
pub fn build_sink(cfg: &SinkConfig) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match cfg {
        SinkConfig::Jsonl(c) => Box::new(JsonlSink::new(c)),
        SinkConfig::Sqlite(c) => Box::new(SqliteSink::new(c)?),
        SinkConfig::Postgres(c) => Box::new(PostgresSink::new(c)?),
        SinkConfig::Nats(c) => Box::new(NatsSink::new(c)),
    })
}

impl TelemetryPipeline {
    /// Start a pipeline over named sinks. Must be called inside a tokio
    /// runtime (it spawns one task per sink).
    pub fn new(sinks: Vec<(String, Box<dyn Sink>)>, opts: PipelineOptions) -> Self {
        let (shutdown, _) = watch::channel(false);
        let mut slots = Vec::with_capacity(sinks.len());
        let mut tasks = Vec::with_capacity(sinks.len());
        for (name, sink) in sinks {
            let (tx, rx) = mpsc::channel(opts.queue_capacity.max(1));
            let counters = Arc::new(Counters::default());
            slots.push(SinkSlot {
                name,
                kind: sink.kind(),
                tx,
                counters: counters.clone(),
            });
            tasks.push(tokio::spawn(run_sink(
                sink,
                rx,
                counters,
                opts,
                shutdown.subscribe(),
            )));
        }
        TelemetryPipeline {
            inner: Arc::new(Inner {
                emitted: AtomicU64::new(0),
                sinks: slots,
                shutdown,
                tasks: Mutex::new(tasks),
            }),
        }
    }

    /// A pipeline with no sinks: events are counted and discarded.
    pub fn disabled() -> Self {
        Self::new(Vec::new(), PipelineOptions::default())
    }

    /// Build from the `[telemetry]` section. Must be called inside a tokio
    /// runtime. Errors name the offending field.
    pub fn from_config(cfg: &TelemetryConfig) -> Result<Self, String> {
        cfg.validate()?;
        if !cfg.enabled {
            return Ok(Self::disabled());
        }
        let mut sinks = Vec::with_capacity(cfg.sinks.len());
        for (i, s) in cfg.sinks.iter().enumerate() {
            let sink = build_sink(s).map_err(|e| format!("telemetry.sinks[{i}]: {e}"))?;
            sinks.push((s.name().to_string(), sink));
        }
        Ok(Self::new(
            sinks,
            PipelineOptions {
                queue_capacity: cfg.queue_capacity,
                batch_size: cfg.batch_size,
                write_timeout: Duration::from_millis(cfg.write_timeout_ms),
            },
        ))
    }

    /// Hand an event to every sink's queue without waiting. A full queue
    /// drops the event for that sink (counted); nothing here blocks, awaits
    /// or does I/O. Scrubbing and serialisation happen in the sink tasks.
    pub fn emit(&self, event: SecurityEvent) {
        self.inner.emitted.fetch_add(1, Relaxed);
        if self.inner.sinks.is_empty() {
            return;
        }
        let record = Arc::new(EventRecord::new(event));
        for s in &self.inner.sinks {
            s.counters.emitted.fetch_add(1, Relaxed);
            if s.tx.try_send(record.clone()).is_err() {
                s.counters.dropped.fetch_add(1, Relaxed);
            }
        }
    }

    pub fn stats(&self) -> TelemetryStats {
        TelemetryStats {
            emitted: self.inner.emitted.load(Relaxed),
            sinks: self
                .inner
                .sinks
                .iter()
                .map(|s| SinkStats {
                    name: s.name.clone(),
                    kind: s.kind.to_string(),
                    emitted: s.counters.emitted.load(Relaxed),
                    written: s.counters.written.load(Relaxed),
                    dropped: s.counters.dropped.load(Relaxed),
                    failed: s.counters.failed.load(Relaxed),
                    batches: s.counters.batches.load(Relaxed),
                    queued: (s.tx.max_capacity() - s.tx.capacity()) as u64,
                    last_error: s
                        .counters
                        .last_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone(),
                })
                .collect(),
        }
    }

    /// Wait until every event emitted so far has been written, failed or
    /// dropped, or until `max_wait` passes. Returns whether everything
    /// settled.
    pub async fn flush(&self, max_wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + max_wait;
        loop {
            let settled = self.inner.sinks.iter().all(|s| {
                let c = &s.counters;
                // Load `emitted` last: counts only ever grow, so this
                // errs on the side of "not yet settled".
                let done =
                    c.written.load(Relaxed) + c.failed.load(Relaxed) + c.dropped.load(Relaxed);
                done >= c.emitted.load(Relaxed)
            });
            if settled {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Stop accepting events, write what is queued, and wait (at most
    /// `max_wait`) for the sink tasks to finish. Later `emit()` calls count
    /// as dropped.
    pub async fn shutdown(&self, max_wait: Duration) {
        let _ = self.inner.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(max_wait, all).await.is_err() {
            tracing::warn!("telemetry: sinks did not finish within {max_wait:?}");
        }
    }
}

async fn write_batch(
    sink: &mut Box<dyn Sink>,
    batch: &[Arc<EventRecord>],
    counters: &Counters,
    timeout: Duration,
) {
    let n = batch.len() as u64;
    counters.batches.fetch_add(1, Relaxed);
    let err = match tokio::time::timeout(timeout, sink.write(batch)).await {
        Ok(Ok(())) => {
            counters.written.fetch_add(n, Relaxed);
            return;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => {
            sink.reset();
            format!("{}: write timed out after {timeout:?}", sink.kind())
        }
    };
    counters.failed.fetch_add(n, Relaxed);
    tracing::warn!("telemetry sink failed, {n} events lost: {err}");
    *counters
        .last_error
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(err);
}

async fn run_sink(
    mut sink: Box<dyn Sink>,
    mut rx: mpsc::Receiver<Arc<EventRecord>>,
    counters: Arc<Counters>,
    opts: PipelineOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let batch_size = opts.batch_size.max(1);
    let mut batch = Vec::with_capacity(batch_size);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, batch_size) => {
                if n == 0 {
                    return;
                }
                write_batch(&mut sink, &batch, &counters, opts.write_timeout).await;
                batch.clear();
            }
            _ = shutdown.changed() => {
                // Refuse new events, then drain what is queued.
                rx.close();
                while rx.recv_many(&mut batch, batch_size).await > 0 {
                    write_batch(&mut sink, &batch, &counters, opts.write_timeout).await;
                    batch.clear();
                }
                return;
            }
        }
    }
}

//! Back-pressure and failure isolation: a sink that fails, hangs or is slow
//! costs counted drops or failures, never a blocked `emit()`. Assertions are
//! on counters, not timings.

use rampart_telemetry::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Fails every batch.
struct Failing;
impl Sink for Failing {
    fn kind(&self) -> &'static str {
        "failing"
    }
    fn write<'a>(&'a mut self, _: &'a [Arc<EventRecord>]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async { Err(SinkError::new("failing", "disk on fire")) })
    }
}

/// Never finishes a write.
struct Hanging;
impl Sink for Hanging {
    fn kind(&self) -> &'static str {
        "hanging"
    }
    fn write<'a>(&'a mut self, _: &'a [Arc<EventRecord>]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(futures::future::pending())
    }
}

/// Each batch waits for one permit from the gate the test controls.
struct Gated {
    gate: Arc<Semaphore>,
    seen: Arc<AtomicUsize>,
}
impl Sink for Gated {
    fn kind(&self) -> &'static str {
        "gated"
    }
    fn write<'a>(
        &'a mut self,
        batch: &'a [Arc<EventRecord>],
    ) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            self.gate.acquire().await.unwrap().forget();
            // Touch the prepared form: scrubbing and JSON happen here.
            for r in batch {
                assert!(r.json().starts_with('{'));
            }
            self.seen.fetch_add(batch.len(), Ordering::SeqCst);
            Ok(())
        })
    }
}

fn ev(i: usize) -> SecurityEvent {
    SecurityEvent::new(format!("r{i}"), "/v1/chat/completions")
}

#[tokio::test]
async fn failing_sink_counts_failures() {
    let p = TelemetryPipeline::new(
        vec![("bad".into(), Box::new(Failing))],
        PipelineOptions {
            queue_capacity: 100,
            batch_size: 10,
            write_timeout: Duration::from_secs(5),
        },
    );
    for i in 0..50 {
        p.emit(ev(i));
    }
    assert!(p.flush(Duration::from_secs(10)).await);
    let s = &p.stats().sinks[0];
    assert_eq!(s.emitted, 50);
    assert_eq!(s.written, 0);
    assert_eq!(s.failed, 50);
    assert_eq!(s.dropped, 0);
    assert!(s.batches >= 5);
    assert_eq!(s.last_error.as_deref(), Some("failing: disk on fire"));
}

#[tokio::test]
async fn slow_sink_drops_when_queue_is_full_and_emit_never_blocks() {
    let gate = Arc::new(Semaphore::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let capacity = 8;
    let batch = 4;
    let p = TelemetryPipeline::new(
        vec![(
            "slow".into(),
            Box::new(Gated {
                gate: gate.clone(),
                seen: seen.clone(),
            }),
        )],
        PipelineOptions {
            queue_capacity: capacity,
            batch_size: batch,
            write_timeout: Duration::from_secs(30),
        },
    );
    // The sink is stuck on its first batch: at most `capacity` events wait
    // in the queue and one batch is held by the sink; the rest are dropped
    // while emit() returns at once.
    for i in 0..1000 {
        p.emit(ev(i));
    }
    let s = p.stats().sinks[0].clone();
    assert_eq!(s.emitted, 1000);
    assert!(
        s.dropped >= (1000 - capacity - batch) as u64,
        "dropped {}",
        s.dropped
    );
    assert_eq!(s.written, 0);
    // Open the gate: what was queued gets written, nothing fails.
    gate.add_permits(1000);
    assert!(p.flush(Duration::from_secs(10)).await);
    let s = p.stats().sinks[0].clone();
    assert_eq!(s.written + s.dropped, 1000);
    assert_eq!(s.failed, 0);
    assert_eq!(s.written as usize, seen.load(Ordering::SeqCst));
    assert_eq!(s.queued, 0);
}

#[tokio::test]
async fn hanging_sink_times_out_and_does_not_hold_back_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.jsonl");
    let p = TelemetryPipeline::new(
        vec![
            ("stuck".into(), Box::new(Hanging)),
            (
                "file".into(),
                Box::new(JsonlSink::new(&JsonlConfig {
                    name: None,
                    path: path.clone(),
                })),
            ),
        ],
        PipelineOptions {
            queue_capacity: 64,
            batch_size: 8,
            write_timeout: Duration::from_millis(50),
        },
    );
    for i in 0..40 {
        p.emit(ev(i));
    }
    assert!(p.flush(Duration::from_secs(20)).await);
    let st = p.stats();
    let stuck = &st.sinks[0];
    let file = &st.sinks[1];
    assert_eq!(file.written, 40);
    assert_eq!(read_jsonl(&path).unwrap().len(), 40);
    assert_eq!(stuck.written, 0);
    assert_eq!(stuck.failed + stuck.dropped, 40);
    assert!(stuck.failed > 0);
    assert!(stuck.last_error.as_deref().unwrap().contains("timed out"));
}

#[tokio::test]
async fn fanout_writes_to_every_inner_sink() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    let fan = FanoutSink::new(vec![
        Box::new(JsonlSink::new(&JsonlConfig {
            name: None,
            path: a.clone(),
        })),
        Box::new(JsonlSink::new(&JsonlConfig {
            name: None,
            path: b.clone(),
        })),
    ]);
    let p = TelemetryPipeline::new(
        vec![("fan".into(), Box::new(fan))],
        PipelineOptions::default(),
    );
    for i in 0..7 {
        p.emit(ev(i));
    }
    p.shutdown(Duration::from_secs(10)).await;
    assert_eq!(read_jsonl(&a).unwrap().len(), 7);
    assert_eq!(read_jsonl(&b).unwrap().len(), 7);
    assert_eq!(p.stats().sinks[0].kind, "fanout");
}

#[tokio::test]
async fn stats_render_as_prometheus() {
    let p = TelemetryPipeline::new(
        vec![("bad".into(), Box::new(Failing))],
        PipelineOptions::default(),
    );
    for i in 0..3 {
        p.emit(ev(i));
    }
    assert!(p.flush(Duration::from_secs(10)).await);
    let text = p.stats().to_prometheus();
    assert!(text.contains("# TYPE rampart_telemetry_emitted_total counter"));
    assert!(
        text.contains("rampart_telemetry_emitted_total 3\n"),
        "{text}"
    );
    assert!(text.contains(
        "rampart_telemetry_sink_events_total{sink=\"bad\",kind=\"failing\",outcome=\"failed\"} 3\n"
    ));
    assert!(text.contains(
        "rampart_telemetry_sink_events_total{sink=\"bad\",kind=\"failing\",outcome=\"written\"} 0\n"
    ));
    assert!(text.contains("rampart_telemetry_sink_queue_depth{sink=\"bad\",kind=\"failing\"} 0\n"));
}

#[tokio::test]
async fn disabled_pipeline_counts_and_discards() {
    let cfg: TelemetryConfig = rampart_core::config::from_toml_str(
        "enabled = false\n[[sinks]]\ntype = \"jsonl\"\npath = \"/nonexistent/x\"\n",
        "inline",
    )
    .unwrap();
    let p = TelemetryPipeline::from_config(&cfg).unwrap();
    p.emit(ev(1));
    let s = p.stats();
    assert_eq!(s.emitted, 1);
    assert!(s.sinks.is_empty());
}

#[tokio::test]
async fn invalid_config_is_reported_with_field() {
    let cfg: TelemetryConfig =
        rampart_core::config::from_toml_str("queue_capacity = 0\n", "inline").unwrap();
    let e = TelemetryPipeline::from_config(&cfg).unwrap_err();
    assert!(e.starts_with("telemetry.queue_capacity"), "{e}");
}

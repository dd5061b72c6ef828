//! Throughput of `TelemetryPipeline::emit` (the cost on the request path)
//! and of the sink tasks behind it (JSONL and SQLite, end to end).
//! Results: docs/benchmarks/telemetry.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rampart_core::{Finding, Severity};
use rampart_telemetry::*;
use std::sync::Arc;
use std::time::Duration;

fn event(i: u64) -> SecurityEvent {
    let mut e = SecurityEvent::new(format!("req-{i}"), "/v1/chat/completions");
    e.tenant = Some("acme".into());
    e.key_id = Some("key_0123456789abcdef".into());
    e.model = Some("mock-1".into());
    e.client_ip = Some("10.0.0.7".into());
    e.tokens = Some(Tokens {
        prompt: 120,
        completion: 48,
    });
    e.latency_ms = 3.2;
    e.add_finding(
        "input",
        Action::Flag,
        Finding::new(
            "RAMP-PI-002",
            "injection",
            Severity::Medium,
            "role-play wrapper",
        )
        .with_evidence("pretend you are…"),
    );
    e.add_decision("input", Action::Flag, "injection", None, None);
    e
}

/// Accepts everything, stores nothing: isolates the pipeline's own cost.
struct Noop;
impl Sink for Noop {
    fn kind(&self) -> &'static str {
        "noop"
    }
    fn write<'a>(&'a mut self, _: &'a [Arc<EventRecord>]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Never completes: every emit after the first few hits a full queue.
struct Stuck;
impl Sink for Stuck {
    fn kind(&self) -> &'static str {
        "stuck"
    }
    fn write<'a>(&'a mut self, _: &'a [Arc<EventRecord>]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(futures::future::pending())
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn opts(capacity: usize) -> PipelineOptions {
    PipelineOptions {
        queue_capacity: capacity,
        batch_size: 256,
        write_timeout: Duration::from_secs(3600),
    }
}

fn bench_emit(c: &mut Criterion) {
    let rt = rt();
    let mut g = c.benchmark_group("emit");
    g.throughput(Throughput::Elements(1));

    let p = rt.block_on(async {
        TelemetryPipeline::new(vec![("noop".into(), Box::new(Noop))], opts(1 << 20))
    });
    g.bench_function("one_sink", |b| {
        let mut i = 0;
        b.iter_batched(
            || {
                i += 1;
                event(i)
            },
            |e| p.emit(e),
            BatchSize::SmallInput,
        )
    });

    let p4 = rt.block_on(async {
        TelemetryPipeline::new(
            (0..4)
                .map(|k| (format!("noop{k}"), Box::new(Noop) as Box<dyn Sink>))
                .collect(),
            opts(1 << 20),
        )
    });
    g.bench_function("four_sinks", |b| {
        let mut i = 0;
        b.iter_batched(
            || {
                i += 1;
                event(i)
            },
            |e| p4.emit(e),
            BatchSize::SmallInput,
        )
    });

    let full = rt.block_on(async {
        TelemetryPipeline::new(vec![("stuck".into(), Box::new(Stuck))], opts(16))
    });
    g.bench_function("full_queue_drop", |b| {
        let mut i = 0;
        b.iter_batched(
            || {
                i += 1;
                event(i)
            },
            |e| full.emit(e),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    let s = full.stats();
    assert!(s.sinks[0].dropped > 0);
}

fn bench_end_to_end(c: &mut Criterion) {
    let rt = rt();
    const N: u64 = 10_000;
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    let dir = tempfile::tempdir().unwrap();

    for kind in ["jsonl", "sqlite"] {
        let events: Vec<SecurityEvent> = (0..N).map(event).collect();
        let mut round = 0;
        g.bench_function(format!("{kind}_10k"), |b| {
            b.iter_batched(
                || {
                    round += 1;
                    let sink: SinkConfig = match kind {
                        "jsonl" => SinkConfig::Jsonl(JsonlConfig {
                            name: None,
                            path: dir.path().join(format!("e{round}.jsonl")),
                        }),
                        _ => SinkConfig::Sqlite(SqliteConfig {
                            name: None,
                            path: dir.path().join(format!("e{round}.db")),
                            table: "security_events".into(),
                        }),
                    };
                    let p = rt.block_on(async {
                        TelemetryPipeline::new(
                            vec![(kind.into(), build_sink(&sink).unwrap())],
                            opts(N as usize),
                        )
                    });
                    (p, events.clone())
                },
                |(p, evs)| {
                    rt.block_on(async {
                        for e in evs {
                            p.emit(e);
                        }
                        assert!(p.flush(Duration::from_secs(120)).await);
                        assert_eq!(p.stats().sinks[0].written, N);
                    })
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench_emit, bench_end_to_end
}
criterion_main!(benches);

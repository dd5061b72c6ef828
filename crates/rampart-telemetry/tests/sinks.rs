//! Every sink against the real thing: JSONL and SQLite files, the local
//! PostgreSQL and NATS JetStream servers (addresses from
//! `RAMPART_TEST_POSTGRES` / `RAMPART_TEST_NATS`), with unique table and
//! stream names so parallel runs never collide.

use futures::StreamExt;
use rampart_core::{Finding, Severity};
use rampart_telemetry::*;
use std::time::Duration;

fn pg_conn() -> String {
    std::env::var("RAMPART_TEST_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".into())
}

fn nats_addr() -> String {
    std::env::var("RAMPART_TEST_NATS").unwrap_or_else(|_| "127.0.0.1:4222".into())
}

fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

fn sample(i: usize) -> SecurityEvent {
    let mut e = SecurityEvent::new(format!("req-{i}"), "/v1/chat/completions");
    e.tenant = Some(["acme", "globex"][i % 2].into());
    e.key_id = Some(key_fingerprint("rk_test_key_value"));
    e.model = Some("mock-1".into());
    e.client_ip = Some("127.0.0.1".into());
    e.tokens = Some(Tokens {
        prompt: 10 + i as u64,
        completion: 5,
    });
    e.latency_ms = 1.5;
    // Every third request is blocked.
    if matches!(i % 3, 0) {
        e.action = Action::Block;
        e.status = 400;
        e.code = Some("prompt_injection".into());
        e.add_finding(
            "input",
            Action::Block,
            Finding::new(
                "RAMP-PI-001",
                "injection",
                Severity::High,
                "instruction override",
            )
            // A careless producer: the scrubber must mask this.
            .with_evidence("ignore previous... AKIAIOSFODNN7EXAMPLE"),
        );
        e.add_decision(
            "input",
            Action::Block,
            "injection",
            Some("prompt_injection".into()),
            None,
        );
    }
    e.tool_calls.push(ToolCallRecord {
        name: "get_weather".into(),
        allowed: true,
        reason: None,
    });
    e.retrieval.push(RetrievalRecord {
        source: "kb://handbook".into(),
        action: Action::Sanitize,
        reason: Some("invisible characters".into()),
    });
    e
}

fn opts() -> PipelineOptions {
    PipelineOptions {
        queue_capacity: 1024,
        batch_size: 16,
        write_timeout: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn jsonl_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/events.jsonl");
    let sink = JsonlSink::new(&JsonlConfig {
        name: None,
        path: path.clone(),
    });
    let p = TelemetryPipeline::new(vec![("jsonl".into(), Box::new(sink))], opts());
    for i in 0..50 {
        p.emit(sample(i));
    }
    assert!(p.flush(Duration::from_secs(10)).await);
    let s = p.stats();
    assert_eq!(s.emitted, 50);
    assert_eq!(s.sinks[0].written, 50);
    assert_eq!(s.sinks[0].dropped + s.sinks[0].failed, 0);
    let back = read_jsonl(&path).unwrap();
    assert_eq!(back.len(), 50);
    assert_eq!(back[7].request_id, "req-7");
    assert_eq!(back[3].findings[0].finding.rule_id, "RAMP-PI-001");
    assert_eq!(back[3].retrieval[0].source, "kb://handbook");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(!raw.contains("IOSFODNN7EXAMPLE"), "secret reached the file");
    assert!(!raw.contains("rk_test_key_value"), "key reached the file");
}

#[tokio::test]
async fn sqlite_round_trip_with_indexed_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let cfg: TelemetryConfig = rampart_core::config::from_toml_str(
        &format!(
            "[[sinks]]\ntype = \"sqlite\"\npath = {:?}\ntable = \"ev_test\"\n",
            path.display().to_string()
        ),
        "inline",
    )
    .unwrap();
    let p = TelemetryPipeline::from_config(&cfg).unwrap();
    for i in 0..30 {
        p.emit(sample(i));
    }
    p.shutdown(Duration::from_secs(10)).await;
    let s = p.stats();
    assert_eq!(s.sinks[0].written, 30, "{s:?}");
    let back = read_sqlite(&path, "ev_test", 1000).unwrap();
    assert_eq!(back.len(), 30);
    assert_eq!(back[0].request_id, "req-0");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let blocked: i64 = conn
        .query_row(
            "SELECT count(*) FROM ev_test WHERE action = 'block' AND max_severity = 'high'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(blocked, 10);
    let acme: i64 = conn
        .query_row(
            "SELECT count(*) FROM ev_test WHERE tenant = 'acme'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(acme, 15);
    let idx: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ev_test' AND name LIKE 'ev_test_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(idx, 4);
    // emit after shutdown is refused and counted, never blocks.
    p.emit(sample(99));
    assert_eq!(p.stats().sinks[0].dropped, 1);
}

#[tokio::test]
async fn postgres_events_written_and_read_back() {
    let table = format!("rampart_events_{}", suffix());
    let sink = PostgresSink::new(&PostgresConfig {
        name: None,
        url: pg_conn(),
        table: table.clone(),
        connect_timeout_ms: 3000,
    })
    .unwrap();
    let p = TelemetryPipeline::new(vec![("pg".into(), Box::new(sink))], opts());
    for i in 0..40 {
        p.emit(sample(i));
    }
    assert!(p.flush(Duration::from_secs(20)).await);
    let s = p.stats();
    assert_eq!(s.sinks[0].written, 40, "{s:?}");

    let (client, conn) = tokio_postgres::connect(&pg_conn(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let n: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 40);
    let row = client
        .query_one(
            &format!(
                "SELECT tenant, action, code, finding_count, max_severity, prompt_tokens, \
                 event->>'request_id', event::text FROM {table} WHERE request_id = 'req-3'"
            ),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("globex"));
    assert_eq!(row.get::<_, String>(1), "block");
    assert_eq!(
        row.get::<_, Option<String>>(2).as_deref(),
        Some("prompt_injection")
    );
    assert_eq!(row.get::<_, i32>(3), 1);
    assert_eq!(row.get::<_, Option<String>>(4).as_deref(), Some("high"));
    assert_eq!(row.get::<_, Option<i64>>(5), Some(13));
    assert_eq!(row.get::<_, String>(6), "req-3");
    let ev: SecurityEvent = serde_json::from_str(&row.get::<_, String>(7)).unwrap();
    assert_eq!(ev.tool_calls[0].name, "get_weather");
    assert!(!row.get::<_, String>(7).contains("IOSFODNN7EXAMPLE"));
    client
        .batch_execute(&format!("DROP TABLE {table}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn jetstream_stream_receives_events() {
    let sfx = suffix();
    let stream = format!("RAMPART_TEST_{sfx}");
    let subject = format!("rampart.test.{sfx}");
    let sink = NatsSink::new(&NatsConfig {
        name: None,
        url: nats_addr(),
        stream: stream.clone(),
        subject: subject.clone(),
        max_messages: 1000,
        connect_timeout_ms: 3000,
    });
    let p = TelemetryPipeline::new(vec![("nats".into(), Box::new(sink))], opts());
    for i in 0..12 {
        p.emit(sample(i));
    }
    assert!(p.flush(Duration::from_secs(20)).await);
    assert_eq!(p.stats().sinks[0].written, 12, "{:?}", p.stats());

    let client = async_nats::connect(nats_addr()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let st = js.get_stream(&stream).await.unwrap();
    let consumer: async_nats::jetstream::consumer::PullConsumer = st
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = consumer
        .fetch()
        .max_messages(12)
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(m) = msgs.next().await {
        let m = m.unwrap();
        let ev: SecurityEvent = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(
            m.subject.as_str(),
            format!("{subject}.{}", ev.action.as_str())
        );
        got.push(ev.request_id.clone());
        m.ack().await.unwrap();
    }
    got.sort();
    let mut want: Vec<String> = (0..12).map(|i| format!("req-{i}")).collect();
    want.sort();
    assert_eq!(got, want);
    js.delete_stream(&stream).await.unwrap();
}

#[tokio::test]
async fn unreachable_postgres_counts_failures_without_blocking() {
    let sink = PostgresSink::new(&PostgresConfig {
        name: None,
        // Port 1 on localhost: connection refused at once.
        url: "host=127.0.0.1 port=1 user=postgres dbname=test".into(),
        table: "never_created".into(),
        connect_timeout_ms: 500,
    })
    .unwrap();
    let p = TelemetryPipeline::new(vec![("pg".into(), Box::new(sink))], opts());
    for i in 0..20 {
        p.emit(sample(i));
    }
    assert!(p.flush(Duration::from_secs(20)).await);
    let s = &p.stats().sinks[0];
    assert_eq!(s.emitted, 20);
    assert_eq!(s.written, 0);
    assert_eq!(s.failed + s.dropped, 20);
    assert!(s.failed > 0);
    let err = s.last_error.as_deref().unwrap();
    assert!(err.starts_with("postgres: connect"), "{err}");
}

#[tokio::test]
async fn unreachable_nats_counts_failures() {
    let sink = NatsSink::new(&NatsConfig {
        name: None,
        url: "127.0.0.1:1".into(),
        stream: "RAMPART_NEVER".into(),
        subject: "rampart.never".into(),
        max_messages: 10,
        connect_timeout_ms: 300,
    });
    let p = TelemetryPipeline::new(vec![("nats".into(), Box::new(sink))], opts());
    for i in 0..5 {
        p.emit(sample(i));
    }
    assert!(p.flush(Duration::from_secs(20)).await);
    let s = &p.stats().sinks[0];
    assert_eq!(s.written, 0);
    assert_eq!(s.failed + s.dropped, 5);
}

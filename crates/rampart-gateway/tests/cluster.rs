//! Cluster mode against the real Redis (`RAMPART_TEST_REDIS`, default
//! redis://127.0.0.1:6379): replicas share limits and the blocklist, and
//! an unreachable Redis fails open or closed as configured.

mod common;
use common::*;
use rampart_gateway::config::{ClusterConfig, FailMode};
use rampart_mockllm::MockConfig;
use serde_json::json;

fn redis_url() -> String {
    std::env::var("RAMPART_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn prefix() -> String {
    format!("rampart-test-{}", uuid::Uuid::new_v4().simple())
}

fn cluster(url: String, prefix: &str, mode: FailMode) -> Option<ClusterConfig> {
    Some(ClusterConfig {
        redis_url: url,
        fail_mode: mode,
        prefix: prefix.into(),
        timeout_ms: 500,
    })
}

#[tokio::test]
async fn two_replicas_share_limits_and_blocklist() {
    let up = mock(MockConfig::default());
    let p = prefix();
    let mut cfg = config(&[("mock-*", up)]);
    cfg.keys[0].requests_per_minute = Some(4);
    cfg.cluster = cluster(redis_url(), &p, FailMode::Closed);
    let a = gateway(cfg.clone()).await;
    let b = gateway(cfg).await;
    // 4 requests per minute in total, whichever replica serves them.
    for gw in [&a, &b, &a, &b] {
        let (st, _, v) = chat(gw, Some(KEY), user("hello")).await;
        assert_eq!(st, 200, "{v}");
    }
    for gw in [&a, &b] {
        let (st, h, v) = chat(gw, Some(KEY), user("hello")).await;
        assert_eq!((st, code(&v)), (429, "rate_limit_exceeded"), "{v}");
        assert!(h.get("retry-after").is_some());
    }
    // A blocklist entry added through one replica applies on the other.
    let r = client()
        .post(a.url("/admin/blocklist"))
        .bearer_auth(ADMIN)
        .json(&json!({"entry": "ip:127.0.0.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (st, _, v) = chat(&b, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (403, "blocked"), "{v}");
    let r = client()
        .delete(b.url("/admin/blocklist/ip:127.0.0.1"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Clean up this test's keys.
    let c = redis::Client::open(redis_url()).unwrap();
    let mut con = c.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{p}:*"))
        .query_async(&mut con)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut con)
            .await
            .unwrap();
    }
}

fn dead_redis() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("redis://127.0.0.1:{port}")
}

#[tokio::test]
async fn unreachable_redis_fails_open_when_configured() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.keys[0].requests_per_minute = Some(2);
    cfg.cluster = cluster(dead_redis(), &prefix(), FailMode::Open);
    let gw = gateway(cfg).await;
    for _ in 0..2 {
        let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
        assert_eq!(st, 200, "{v}");
    }
    // Local limits still apply while open.
    let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (429, "rate_limit_exceeded"));
}

#[tokio::test]
async fn unreachable_redis_fails_closed_when_configured() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.cluster = cluster(dead_redis(), &prefix(), FailMode::Closed);
    let gw = gateway(cfg).await;
    let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (503, "limiter_unavailable"), "{v}");
}

//! Shared harness: a mock upstream and a gateway in the test's runtime.
#![allow(dead_code)]

use rampart_gateway::auth::hash_key;
use rampart_gateway::config::{GatewayConfig, KeyConfig, RouteConfig};
use rampart_gateway::{server, Shared};
use rampart_mockllm::MockConfig;
use std::net::SocketAddr;
use std::sync::Arc;

pub const KEY: &str = "test-key-0123456789";
pub const ADMIN: &str = "admin-key-0123456789";

pub fn key(id: &str, k: &str) -> KeyConfig {
    KeyConfig {
        id: id.into(),
        hash: hash_key(k, None),
        tenant: "acme".into(),
        models: vec!["mock-*".into()],
        tools: vec!["get_weather".into(), "send_email".into()],
        max_tokens: Some(1000),
        expires: None,
        requests_per_minute: None,
        tokens_per_minute: None,
    }
}

pub fn route(model: &str, upstream: &str) -> RouteConfig {
    RouteConfig {
        model: model.into(),
        upstream: upstream.into(),
        upstream_model: None,
        api_key_env: None,
        timeout_ms: 5_000,
        connect_timeout_ms: 1_000,
        retries: 0,
    }
}

/// A config with one key, the admin key and one route per (model, url).
pub fn config(routes: &[(&str, String)]) -> GatewayConfig {
    let mut cfg = GatewayConfig::default();
    cfg.keys.push(key("app", KEY));
    cfg.admin.key_hash = Some(hash_key(ADMIN, None));
    for (m, u) in routes {
        cfg.routes.push(route(m, u));
    }
    cfg.guards.output.allowed_domains = vec!["example.com".into()];
    cfg
}

pub fn mock(cfg: MockConfig) -> String {
    let (addr, _h) = rampart_mockllm::spawn(cfg);
    format!("http://{addr}/v1")
}

pub struct Gw {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
}

impl Gw {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

pub async fn gateway(cfg: GatewayConfig) -> Gw {
    gateway_with_path(cfg, None).await
}

pub async fn gateway_with_path(cfg: GatewayConfig, path: Option<std::path::PathBuf>) -> Gw {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = Shared::new(cfg, path).unwrap();
    let s2 = shared.clone();
    tokio::spawn(async move {
        let _ = server::serve_with_shutdown(s2, listener, std::future::pending()).await;
    });
    Gw { addr, shared }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn chat(
    gw: &Gw,
    key: Option<&str>,
    body: serde_json::Value,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let mut rb = client().post(gw.url("/v1/chat/completions")).json(&body);
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    let r = rb.send().await.unwrap();
    let st = r.status().as_u16();
    let h = r.headers().clone();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (st, h, v)
}

pub fn user(text: &str) -> serde_json::Value {
    serde_json::json!({"model": "mock-1", "messages": [{"role": "user", "content": text}]})
}

pub fn code(v: &serde_json::Value) -> &str {
    v.pointer("/error/code")
        .and_then(|c| c.as_str())
        .unwrap_or("")
}

//! A small deterministic OpenAI-compatible mock model that naively obeys
//! instructions: the demo upstream of `rampart up`, the target of tests and
//! benchmarks.
//!
//! This crate owns the mock's HTTP surface ([`serve`], [`spawn`],
//! [`MockServer`]), its configuration ([`MockConfig`], [`Fault`]) and its
//! answering rules ([`brain`]). Endpoints: `GET /v1/models`,
//! `POST /v1/chat/completions` (plain and SSE streaming, tool calls),
//! `POST /v1/completions`, `POST /v1/embeddings` (hash-based vectors).
//! The same routes answer without the `/v1` prefix.
//!
//! Faults for gateway tests come from [`MockConfig::fault`] or, per request,
//! from the `x-mock-fault` header (see [`Fault::parse`]). The exact rules
//! are documented in docs/mockllm.md.

pub mod brain;
mod embed;
mod http;

use serde::Deserialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use http::router;

/// Header that selects a fault for one request.
pub const FAULT_HEADER: &str = "x-mock-fault";

/// The mock's settings. Every field has a default; the TOML/JSON names are
/// the field names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MockConfig {
    /// Model ids listed by `/v1/models`. Requests for other models are
    /// answered anyway unless `strict_models` is set.
    pub models: Vec<String>,
    /// Answer 404 `model_not_found` for models not in `models`.
    pub strict_models: bool,
    /// Fixed delay before every answer (benchmarks use it to stand in for
    /// model latency), in milliseconds.
    pub latency_ms: u64,
    /// Delay between streamed chunks, in milliseconds.
    pub stream_delay_ms: u64,
    /// When set, requests must carry `Authorization: Bearer <api_key>`.
    pub api_key: Option<String>,
    /// A fault applied to every request without an `x-mock-fault` header,
    /// written as in that header (e.g. `"status-500"`).
    pub fault: Option<String>,
    /// Default embedding dimension (a request's `dimensions` overrides it).
    pub embedding_dim: usize,
    /// How long the `timeout` fault holds a request before giving up, in
    /// milliseconds.
    pub hang_ms: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// When set, every request is recorded here (headers other than
    /// `authorization`, and the body), so tests can see what reached the
    /// upstream.
    #[serde(skip)]
    pub log: Option<Arc<RequestLog>>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            models: vec!["mock-1".to_string(), "mock-embed-1".to_string()],
            strict_models: false,
            latency_ms: 0,
            stream_delay_ms: 0,
            api_key: None,
            fault: None,
            embedding_dim: 256,
            hang_ms: 300_000,
            max_body_bytes: 4 * 1024 * 1024,
            log: None,
        }
    }
}

impl MockConfig {
    /// Check the settings, naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(f) = &self.fault {
            Fault::parse(f).map_err(|e| format!("fault: {e}"))?;
        }
        if self.embedding_dim == 0 || self.embedding_dim > 4096 {
            return Err("embedding_dim: must be between 1 and 4096".into());
        }
        if self.max_body_bytes == 0 {
            return Err("max_body_bytes: must be greater than 0".into());
        }
        Ok(())
    }
}

/// A failure the mock can be told to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and an OpenAI-style error body
    /// (`status-429` adds `Retry-After: 1`).
    Status(u16),
    /// Wait this long before answering normally.
    Slow(Duration),
    /// Start a 200 answer, send part of it, then cut the connection.
    BrokenStream,
    /// Answer 200 with a body that is not valid JSON (or an SSE chunk that
    /// is not).
    InvalidJson,
    /// Never answer (until `hang_ms` passes, then drop the connection).
    Timeout,
}

impl Fault {
    /// Parse `status-NNN`, `slow:MS`, `broken-stream`, `invalid-json` or
    /// `timeout`.
    pub fn parse(s: &str) -> Result<Fault, String> {
        let s = s.trim();
        if let Some(code) = s.strip_prefix("status-") {
            let code: u16 = code
                .parse()
                .map_err(|_| format!("`{s}`: status must be a number, e.g. status-500"))?;
            if !(200..=599).contains(&code) {
                return Err(format!("`{s}`: status must be between 200 and 599"));
            }
            return Ok(Fault::Status(code));
        }
        if let Some(ms) = s.strip_prefix("slow:") {
            let ms: u64 = ms
                .parse()
                .map_err(|_| format!("`{s}`: expected slow:MILLISECONDS, e.g. slow:250"))?;
            return Ok(Fault::Slow(Duration::from_millis(ms.min(600_000))));
        }
        match s {
            "broken-stream" => Ok(Fault::BrokenStream),
            "invalid-json" => Ok(Fault::InvalidJson),
            "timeout" => Ok(Fault::Timeout),
            _ => Err(format!(
                "unknown fault `{s}`: expected status-NNN, slow:MS, broken-stream, invalid-json or timeout"
            )),
        }
    }
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names are lower case; `authorization` is never recorded.
    pub headers: Vec<(String, String)>,
    /// Whether an `authorization` header was present.
    pub had_authorization: bool,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The body parsed as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The last [`RequestLog::CAPACITY`] requests a mock received.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<VecDeque<RecordedRequest>>,
}

impl RequestLog {
    pub const CAPACITY: usize = 1024;

    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    fn push(&self, r: RecordedRequest) {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == Self::CAPACITY {
            q.pop_front();
        }
        q.push_back(r);
    }
    /// A copy of the recorded requests, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
    pub fn last(&self) -> Option<RecordedRequest> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .back()
            .cloned()
    }
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Serve the mock on `listener` until the task is dropped or the listener
/// fails. HTTP/1.1 and HTTP/2 (h2c) are both accepted.
pub async fn serve(listener: tokio::net::TcpListener, cfg: MockConfig) -> std::io::Result<()> {
    cfg.validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    axum::serve(listener, router(cfg)).await
}

/// Bind 127.0.0.1 on a free port and serve the mock on a tokio task.
/// Must be called from inside a tokio runtime.
///
/// # Panics
/// If no local port can be bound (a test-environment failure).
pub fn spawn(cfg: MockConfig) -> (SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>) {
    let std_listener =
        std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0 for the mock");
    std_listener
        .set_nonblocking(true)
        .expect("set mock listener non-blocking");
    let addr = std_listener.local_addr().expect("mock listener address");
    let listener = tokio::net::TcpListener::from_std(std_listener)
        .expect("register mock listener with tokio (call spawn inside a runtime)");
    (addr, tokio::spawn(serve(listener, cfg)))
}

/// A mock running on its own thread and runtime, for tests that are not
/// async. Dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// Start on 127.0.0.1 with a free port.
    pub fn start(cfg: MockConfig) -> std::io::Result<MockServer> {
        Self::start_on(("127.0.0.1", 0), cfg)
    }

    /// Start on a given address (e.g. `127.0.0.1:9000`).
    pub fn start_on(
        addr: impl std::net::ToSocketAddrs,
        cfg: MockConfig,
    ) -> std::io::Result<MockServer> {
        cfg.validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("rampart-mockllm")
            .build()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("rampart-mockllm".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    let app = router(cfg);
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = rx.await;
                        })
                        .await;
                });
                // Streams that are still open (e.g. a `timeout` fault) must
                // not keep the thread alive.
                rt.shutdown_timeout(Duration::from_millis(100));
            })?;
        Ok(MockServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI base URL, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            // Graceful shutdown waits for open connections; do not block
            // the caller on a client that keeps one open.
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!(Fault::parse("status-429"), Ok(Fault::Status(429)));
        assert_eq!(
            Fault::parse("slow:250"),
            Ok(Fault::Slow(Duration::from_millis(250)))
        );
        assert_eq!(Fault::parse("broken-stream"), Ok(Fault::BrokenStream));
        assert_eq!(Fault::parse("invalid-json"), Ok(Fault::InvalidJson));
        assert_eq!(Fault::parse("timeout"), Ok(Fault::Timeout));
        assert!(Fault::parse("status-99").is_err());
        assert!(Fault::parse("explode").unwrap_err().contains("expected"));
    }

    #[test]
    fn config_rejects_unknown_fields_and_bad_fault() {
        let e = serde_json::from_str::<MockConfig>(r#"{"latency":5}"#).unwrap_err();
        assert!(e.to_string().contains("latency"), "{e}");
        let c: MockConfig = serde_json::from_str(r#"{"fault":"nope"}"#).unwrap();
        assert!(c.validate().unwrap_err().starts_with("fault:"));
        let c: MockConfig = serde_json::from_str(r#"{"latency_ms":5}"#).unwrap();
        assert_eq!(c.latency_ms, 5);
        assert!(c.validate().is_ok());
    }
}

//! Every bad input and upstream fault gets a clean OpenAI-style error: one
//! test each.

mod common;
use common::*;
use rampart_mockllm::MockConfig;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn basic() -> Gw {
    let up = mock(MockConfig::default());
    gateway(config(&[("mock-*", up)])).await
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_problem() {
    let gw = basic().await;
    let r = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{\"model\": \"mock-1\", \"messages\": [}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(code(&v), "invalid_json");
    let msg = v.pointer("/error/message").unwrap().as_str().unwrap();
    assert!(msg.contains("line 1 column"), "{msg}");
    // Non-object JSON and a missing model are named too.
    let (st, _, v) = chat(&gw, Some(KEY), json!([1, 2])).await;
    assert_eq!((st, code(&v)), (400, "invalid_json"));
    let (st, _, v) = chat(&gw, Some(KEY), json!({"messages": []})).await;
    assert_eq!((st, code(&v)), (400, "missing_model"));
    assert_eq!(v.pointer("/error/param").unwrap(), "model");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.server.max_body_bytes = 2048;
    let gw = gateway(cfg).await;
    let big = "a".repeat(4096);
    let (st, _, v) = chat(&gw, Some(KEY), user(&big)).await;
    assert_eq!(st, 413);
    assert_eq!(code(&v), "body_too_large");
    // Chunked (no Content-Length) bodies are cut off as well.
    let stream = futures::stream::iter(
        (0..2).map(move |_| Ok::<_, std::io::Error>(bytes::Bytes::from(big.clone()))),
    );
    let r = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
}

#[tokio::test]
async fn prompt_longer_than_limit_is_refused() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.server.max_prompt_chars = 100;
    let gw = gateway(cfg).await;
    let (st, _, v) = chat(&gw, Some(KEY), user(&"word ".repeat(50))).await;
    assert_eq!((st, code(&v)), (400, "prompt_too_long"));
}

#[tokio::test]
async fn unknown_model_is_404() {
    let gw = basic().await;
    let (st, _, v) = chat(&gw, Some(KEY), json!({"model": "gpt-9", "messages": []})).await;
    assert_eq!(st, 404);
    assert_eq!(code(&v), "model_not_found");
}

#[tokio::test]
async fn missing_or_invalid_key_is_401() {
    let gw = basic().await;
    let (st, _, v) = chat(&gw, None, user("hi")).await;
    assert_eq!((st, code(&v)), (401, "missing_api_key"));
    let (st, _, v) = chat(&gw, Some("not-a-key"), user("hi")).await;
    assert_eq!((st, code(&v)), (401, "invalid_api_key"));
    let r = client().get(gw.url("/v1/models")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn expired_key_is_401() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    let mut k = key("old", "old-key-0123456789");
    k.expires = Some("2020-01-01T00:00:00Z".into());
    cfg.keys.push(k);
    let gw = gateway(cfg).await;
    let (st, _, v) = chat(&gw, Some("old-key-0123456789"), user("hi")).await;
    assert_eq!((st, code(&v)), (401, "expired_api_key"));
}

#[tokio::test]
async fn scope_violations_are_403() {
    let up = mock(MockConfig::default());
    let gw = gateway(config(&[("mock-*", up.clone()), ("other-*", up)])).await;
    // Model outside the key's scope.
    let (st, _, v) = chat(
        &gw,
        Some(KEY),
        json!({"model": "other-1", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!((st, code(&v)), (403, "model_not_allowed"));
    // max_tokens above the key's limit.
    let (st, _, v) = chat(&gw, Some(KEY), json!({"model": "mock-1", "max_tokens": 5000, "messages": [{"role": "user", "content": "hi"}]})).await;
    assert_eq!((st, code(&v)), (403, "max_tokens_exceeded"));
    // A declared tool outside the key's scope.
    let (st, _, v) = chat(&gw, Some(KEY), json!({"model": "mock-1", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "exec_shell", "parameters": {"type": "object"}}}]})).await;
    assert_eq!((st, code(&v)), (403, "tool_not_allowed"));
}

#[tokio::test]
async fn rate_limit_is_429_with_retry_after() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.keys[0].requests_per_minute = Some(2);
    let gw = gateway(cfg).await;
    for _ in 0..2 {
        let (st, _, _) = chat(&gw, Some(KEY), user("hello")).await;
        assert_eq!(st, 200);
    }
    let (st, h, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!(st, 429);
    assert_eq!(code(&v), "rate_limit_exceeded");
    let ra: u64 = h
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ra >= 1);
    let m = client()
        .get(gw.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("rampart_limiter_rejections_total 1"), "{m}");
}

#[tokio::test]
async fn upstream_timeout_is_504_without_details() {
    let up = mock(MockConfig {
        fault: Some("timeout".into()),
        hang_ms: 5_000,
        ..MockConfig::default()
    });
    let mut cfg = config(&[("mock-*", up.clone())]);
    cfg.routes[0].timeout_ms = 300;
    let gw = gateway(cfg).await;
    let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (504, "upstream_timeout"));
    let s = v.to_string();
    assert!(!s.contains("127.0.0.1") && !s.contains(&up), "{s}");
}

#[tokio::test]
async fn upstream_5xx_is_502_without_details() {
    let up = mock(MockConfig {
        fault: Some("status-500".into()),
        ..MockConfig::default()
    });
    let mut cfg = config(&[("mock-*", up)]);
    cfg.routes[0].retries = 2;
    let gw = gateway(cfg).await;
    let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (502, "upstream_error"));
    assert_eq!(
        v.pointer("/error/message").unwrap(),
        "the model server failed to answer"
    );
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let mut cfg = config(&[("mock-*", format!("http://127.0.0.1:{port}/v1"))]);
    cfg.routes[0].retries = 1;
    let gw = gateway(cfg).await;
    let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (502, "upstream_error"));
    assert!(!v.to_string().contains(&port.to_string()));
}

#[tokio::test]
async fn invalid_upstream_json_is_502() {
    let up = mock(MockConfig {
        fault: Some("invalid-json".into()),
        ..MockConfig::default()
    });
    let gw = gateway(config(&[("mock-*", up)])).await;
    let (st, _, v) = chat(&gw, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (502, "upstream_error"));
}

#[tokio::test]
async fn broken_stream_ends_with_error_event() {
    let up = mock(MockConfig {
        fault: Some("broken-stream".into()),
        ..MockConfig::default()
    });
    let gw = gateway(config(&[("mock-*", up)])).await;
    let mut body = user("tell me a long story about gateways");
    body["stream"] = json!(true);
    let r = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("upstream_stream_broken"), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    // Non-streaming, the same fault is a 502.
    let (st, _, v) = chat(&gw, Some(KEY), user("tell me a story")).await;
    assert_eq!((st, code(&v)), (502, "upstream_error"));
}

#[tokio::test]
async fn slow_client_headers_time_out() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.server.header_read_timeout_ms = 300;
    let gw = gateway(cfg).await;
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    s.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Never finish the headers: the gateway must close the connection.
    let mut buf = Vec::new();
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .expect("the gateway kept a stalled connection open")
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test]
async fn slow_client_body_times_out_with_408() {
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.server.body_read_timeout_ms = 300;
    let gw = gateway(cfg).await;
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"model\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("no answer to a stalled body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
}

#[tokio::test]
async fn header_injection_is_refused_and_not_reflected() {
    let up_cfg = MockConfig {
        log: Some(rampart_mockllm::RequestLog::new()),
        ..MockConfig::default()
    };
    let log = up_cfg.log.clone().unwrap();
    let up = mock(up_cfg);
    let gw = gateway(config(&[("mock-*", up)])).await;
    // A header value with a bare CR is malformed HTTP: 400, connection
    // closed, the gateway keeps serving.
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Evil: a\rSet-Cookie: pwn=1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("set-cookie"), "{text}");
    // A request id that is not plain is not echoed; client headers are not
    // forwarded upstream.
    let r = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("x-request-id", "abc<script>%0d%0aSet-Cookie:x")
        .header("x-forwarded-host", "evil.test")
        .json(&user("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let rid = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(!rid.contains("script") && !rid.contains('%'), "{rid}");
    assert!(r.headers().get("set-cookie").is_none());
    let last = log.last().unwrap();
    assert!(last.header("x-forwarded-host").is_none());
    assert!(last.header("x-request-id").is_none());
    let r = client()
        .get(gw.url("/v1/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn upstream_credential_never_reaches_client() {
    let up_cfg = MockConfig {
        api_key: Some("upstream-secret-xyz-123456".into()),
        ..MockConfig::default()
    };
    let up = mock(up_cfg);
    std::env::set_var(
        "RAMPART_TEST_UPSTREAM_KEY_CRED",
        "upstream-secret-xyz-123456",
    );
    let mut cfg = config(&[("mock-*", up.clone())]);
    cfg.routes[0].api_key_env = Some("RAMPART_TEST_UPSTREAM_KEY_CRED".into());
    let gw = gateway(cfg).await;
    let r = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&user("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "the gateway authenticates upstream"
    );
    let headers = format!("{:?}", r.headers());
    let body = r.text().await.unwrap();
    assert!(!body.contains("upstream-secret") && !headers.contains("upstream-secret"));
    // The client's own key is not passed upstream: a route without a
    // credential reaches a key-protected upstream without one (401 -> 502).
    let gw2 = gateway(config(&[("mock-*", up)])).await;
    let (st, _, v) = chat(&gw2, Some(KEY), user("hello")).await;
    assert_eq!((st, code(&v)), (502, "upstream_error"));
}

#[tokio::test]
async fn unknown_endpoint_and_admin_without_credential() {
    let gw = basic().await;
    let r = client().get(gw.url("/v2/whatever")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = client()
        .get(gw.url("/admin/status"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = client()
        .get(gw.url("/admin/status"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["keys"], 1);
}

#[tokio::test]
async fn garbage_inputs_never_crash_the_gateway() {
    let gw = basic().await;
    let bodies = [
        json!({"model": 5}),
        json!({"model": "mock-1", "messages": "nope"}),
        json!({"model": "mock-1", "messages": [1, 2]}),
        json!({"model": "mock-1", "messages": [{"role": "user", "content": {"x": 1}}]}),
        json!({"model": "mock-1", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}),
        json!({"model": "mock-1", "max_tokens": -5, "messages": []}),
        json!({"model": "mock-1", "stream": "yes", "messages": []}),
        json!({"model": "mock-1", "tools": "x", "messages": []}),
    ];
    for b in bodies {
        let (st, _, _) = chat(&gw, Some(KEY), b.clone()).await;
        assert!(st == 200 || (400..500).contains(&st), "{b} -> {st}");
    }
    let deep = "[".repeat(100_000);
    let r = client()
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(KEY)
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let (st, _, _) = chat(&gw, Some(KEY), user("still alive?")).await;
    assert_eq!(st, 200);
}

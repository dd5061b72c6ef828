//! The OpenAI-compatible HTTP surface: request parsing, response and SSE
//! encoding, authentication, latency and fault injection.
//!
//! Request bodies are parsed as loose JSON (`serde_json::Value`) so that
//! unknown fields are accepted, like the real API; malformed input gets an
//! OpenAI-style error object, never a panic.

// Helpers return the finished error `Response` on their (cold) error path so
// handlers can hand it straight back; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use crate::brain::{self, count_tokens, fnv1a, split_tokens, Message, Prompt, Role, ToolSpec};
use crate::{embed, Fault, MockConfig, RecordedRequest, FAULT_HEADER};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;
use tokio_stream::wrappers::ReceiverStream;

const FINGERPRINT: &str = "fp_rampart_mock";
/// Bounds on untrusted request shapes.
const MAX_MESSAGES: usize = 4096;
const MAX_EMBED_INPUTS: usize = 2048;

struct AppState {
    cfg: MockConfig,
    default_fault: Option<Fault>,
}

/// The mock as an axum router (for embedding it in another server).
pub fn router(cfg: MockConfig) -> Router {
    let default_fault = cfg.fault.as_deref().and_then(|f| Fault::parse(f).ok());
    let limit = cfg.max_body_bytes;
    let st = Arc::new(AppState { cfg, default_fault });
    Router::new()
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/chat/completions", post(chat))
        .route("/v1/completions", post(completions))
        .route("/completions", post(completions))
        .route("/v1/embeddings", post(embeddings))
        .route("/embeddings", post(embeddings))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(st)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An OpenAI-style error response.
fn error(
    status: StatusCode,
    message: &str,
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": param, "code": code}});
    let mut r = (status, axum::Json(body)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

fn bad_request(message: &str, param: Option<&str>) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        message,
        "invalid_request_error",
        None,
        param,
    )
}

async fn not_found(uri: Uri) -> Response {
    let path: String = uri.path().chars().take(200).collect();
    error(
        StatusCode::NOT_FOUND,
        &format!("Unknown request URL: {path}. Please check the URL for typos."),
        "invalid_request_error",
        Some("unknown_url"),
        None,
    )
}

fn authorized(cfg: &MockConfig, headers: &HeaderMap) -> bool {
    let Some(key) = &cfg.api_key else { return true };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    given.as_bytes().ct_eq(key.as_bytes()).into()
}

/// Shared by every endpoint: record, authenticate, pick the fault, wait.
/// `Ok(fault)` leaves the body-shaping faults to the endpoint.
async fn prelude(
    st: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Fault>, Response> {
    if let Some(log) = &st.cfg.log {
        log.push(RecordedRequest {
            method: method.to_string(),
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .filter(|(k, _)| *k != header::AUTHORIZATION)
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            had_authorization: headers.contains_key(header::AUTHORIZATION),
            body: body.to_vec(),
        });
    }
    if !authorized(&st.cfg, headers) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
            None,
        ));
    }
    let fault = match headers.get(FAULT_HEADER) {
        Some(v) => {
            let s = v.to_str().unwrap_or("");
            match Fault::parse(s) {
                Ok(f) => Some(f),
                Err(e) => return Err(bad_request(&format!("{FAULT_HEADER}: {e}"), None)),
            }
        }
        None => st.default_fault,
    };
    if st.cfg.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(st.cfg.latency_ms)).await;
    }
    match fault {
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            Ok(None)
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (kind, code_s) = match code {
                429 => ("rate_limit_exceeded", "rate_limit_exceeded"),
                500..=599 => ("server_error", "mock_fault"),
                _ => ("invalid_request_error", "mock_fault"),
            };
            Err(error(
                status,
                &format!("Mock fault: status {code}"),
                kind,
                Some(code_s),
                None,
            ))
        }
        Some(Fault::Timeout) => {
            tokio::time::sleep(Duration::from_millis(st.cfg.hang_ms)).await;
            Err(error(
                StatusCode::GATEWAY_TIMEOUT,
                "Mock fault: timed out",
                "server_error",
                Some("mock_fault"),
                None,
            ))
        }
        other => Ok(other),
    }
}

fn body_or_error(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Response> {
    body.map_err(|rej| {
        let status = rej.status();
        let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "Request body too large.".to_string()
        } else {
            format!("Could not read the request body: {rej}")
        };
        error(status, &msg, "invalid_request_error", None, None)
    })
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad_request("The request body must be a JSON object.", None)),
        Err(e) => Err(bad_request(
            &format!("We could not parse the JSON body of your request: {e}"),
            None,
        )),
    }
}

fn model_of(st: &AppState, obj: &Map<String, Value>) -> Result<String, Response> {
    let Some(model) = obj.get("model").and_then(Value::as_str) else {
        return Err(bad_request(
            "You must provide a model parameter.",
            Some("model"),
        ));
    };
    if st.cfg.strict_models && !st.cfg.models.iter().any(|m| m == model) {
        let shown: String = model.chars().take(100).collect();
        return Err(error(
            StatusCode::NOT_FOUND,
            &format!("The model `{shown}` does not exist."),
            "invalid_request_error",
            Some("model_not_found"),
            Some("model"),
        ));
    }
    Ok(model.to_string())
}

/// `content` as text: a string, or the `text` of each content part.
fn content_text(v: Option<&Value>) -> Result<String, ()> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut out = Vec::new();
            for p in parts {
                match p {
                    Value::String(s) => out.push(s.as_str()),
                    Value::Object(o) => {
                        if let Some(t) = o.get("text").and_then(Value::as_str) {
                            out.push(t);
                        }
                    }
                    _ => return Err(()),
                }
            }
            Ok(out.join("\n"))
        }
        Some(_) => Err(()),
    }
}

fn max_tokens(obj: &Map<String, Value>) -> Option<usize> {
    obj.get("max_completion_tokens")
        .or_else(|| obj.get("max_tokens"))
        .and_then(Value::as_u64)
        .map(|n| n.min(u32::MAX as u64) as usize)
}

/// Cut `text` to `max` tokens; returns the text and whether it was cut.
fn limit_tokens(text: &str, max: Option<usize>) -> (String, bool) {
    match max {
        Some(m) => {
            let toks = split_tokens(text);
            if toks.len() > m {
                (toks[..m].concat(), true)
            } else {
                (text.to_string(), false)
            }
        }
        None => (text.to_string(), false),
    }
}

fn usage(prompt: usize, completion: usize) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

/// Deliver SSE events (`data:` payloads without the prefix). A fault can
/// corrupt one event or cut the stream; a delay spaces the chunks.
fn sse(mut events: Vec<String>, delay_ms: u64, fault: Option<Fault>) -> Response {
    if fault == Some(Fault::InvalidJson) && events.len() > 1 {
        events[1] = "{\"id\": \"broken\", \"choices\": [".to_string();
    }
    let broken = fault == Some(Fault::BrokenStream);
    if broken {
        // Keep the role chunk and a little content, drop the rest and
        // [DONE], then fail the body so the connection is cut.
        let keep = events.len().saturating_sub(2).clamp(1, 3);
        events.truncate(keep);
    }
    let frames: Vec<Bytes> = events
        .into_iter()
        .map(|e| Bytes::from(format!("data: {e}\n\n")))
        .collect();
    let body = if delay_ms == 0 && !broken {
        Body::from(frames.concat())
    } else {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
        tokio::spawn(async move {
            for f in frames {
                if delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                }
                if tx.send(Ok(f)).await.is_err() {
                    return;
                }
            }
            if broken {
                cut(&tx).await;
            }
        });
        Body::from_stream(ReceiverStream::new(rx))
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Fail the body after a pause, so the status line and the partial body
/// reach the client before the connection is cut (as when an upstream
/// dies mid-answer, rather than before answering).
async fn cut(tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) {
    tokio::time::sleep(Duration::from_millis(20)).await;
    let _ = tx
        .send(Err(std::io::Error::other("mock fault: broken stream")))
        .await;
}

/// A plain JSON answer, or its faulty variants.
fn json_answer(v: Value, fault: Option<Fault>) -> Response {
    let text = v.to_string();
    // Cut on a char boundary: the JSON may contain multi-byte text.
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    let body = match fault {
        Some(Fault::InvalidJson) => Body::from(text[..mid].to_string()),
        Some(Fault::BrokenStream) => {
            let half = Bytes::from(text[..mid].to_string());
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
            tokio::spawn(async move {
                if tx.send(Ok(half)).await.is_ok() {
                    cut(&tx).await;
                }
            });
            Body::from_stream(ReceiverStream::new(rx))
        }
        _ => Body::from(text),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn models(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let fault = match prelude(&st, &method, &uri, &headers, &[]).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let data: Vec<Value> = st
        .cfg
        .models
        .iter()
        .map(|m| json!({"id": m, "object": "model", "created": 0, "owned_by": "rampart-mock"}))
        .collect();
    json_answer(json!({"object": "list", "data": data}), fault)
}

fn parse_chat(obj: &Map<String, Value>) -> Result<Prompt, Response> {
    let Some(msgs) = obj.get("messages").and_then(Value::as_array) else {
        return Err(bad_request(
            "Missing required parameter: 'messages' (an array of messages).",
            Some("messages"),
        ));
    };
    if msgs.is_empty() {
        return Err(bad_request(
            "'messages' must contain at least one message.",
            Some("messages"),
        ));
    }
    if msgs.len() > MAX_MESSAGES {
        return Err(bad_request("Too many messages.", Some("messages")));
    }
    let mut messages = Vec::with_capacity(msgs.len());
    for (i, m) in msgs.iter().enumerate() {
        let Some(role) = m.get("role").and_then(Value::as_str) else {
            return Err(bad_request(
                &format!("Missing required parameter: 'messages[{i}].role'."),
                Some(&format!("messages[{i}].role")),
            ));
        };
        let Ok(content) = content_text(m.get("content")) else {
            return Err(bad_request(
                &format!("Invalid type for 'messages[{i}].content': expected a string or an array of content parts."),
                Some(&format!("messages[{i}].content")),
            ));
        };
        messages.push(Message::new(Role::parse(role), content));
    }
    let mut tools = Vec::new();
    if let Some(ts) = obj.get("tools").and_then(Value::as_array) {
        for t in ts.iter().take(256) {
            let f = t.get("function").unwrap_or(t);
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                tools.push(ToolSpec {
                    name: name.to_string(),
                    parameters: f.get("parameters").cloned(),
                });
            }
        }
    }
    if let Some(fs) = obj.get("functions").and_then(Value::as_array) {
        for f in fs.iter().take(256) {
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                tools.push(ToolSpec {
                    name: name.to_string(),
                    parameters: f.get("parameters").cloned(),
                });
            }
        }
    }
    let mut forced_tool = None;
    match obj.get("tool_choice") {
        Some(Value::String(s)) if s == "none" => tools.clear(),
        Some(Value::String(s)) if s == "required" => {
            forced_tool = tools.first().map(|t| t.name.clone());
        }
        Some(Value::Object(o)) => {
            forced_tool = o
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        _ => {}
    }
    Ok(Prompt {
        messages,
        tools,
        forced_tool,
    })
}

async fn chat(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_or_error(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let fault = match prelude(&st, &method, &uri, &headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let obj = match parse_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let model = match model_of(&st, &obj) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let prompt = match parse_chat(&obj) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let prompt_tokens: usize = prompt
        .messages
        .iter()
        .map(|m| count_tokens(&m.content))
        .sum();
    let reply = brain::respond(&prompt);
    let id = format!("chatcmpl-{:016x}", fnv1a(&body));
    let created = now();
    let (content, cut) = limit_tokens(reply.content.as_deref().unwrap_or(""), max_tokens(&obj));
    let finish = if !reply.tool_calls.is_empty() {
        "tool_calls"
    } else if cut {
        "length"
    } else {
        "stop"
    };
    let completion_tokens = if reply.tool_calls.is_empty() {
        count_tokens(&content)
    } else {
        reply
            .tool_calls
            .iter()
            .map(|c| count_tokens(&c.name) + count_tokens(&c.arguments))
            .sum()
    };
    let tool_calls: Vec<Value> = reply
        .tool_calls
        .iter()
        .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
        .collect();

    let stream = obj.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        let mut message = json!({"role": "assistant", "content": null, "refusal": null});
        if tool_calls.is_empty() {
            message["content"] = Value::String(content);
        } else {
            message["tool_calls"] = Value::Array(tool_calls);
        }
        return json_answer(
            json!({
                "id": id, "object": "chat.completion", "created": created, "model": model,
                "system_fingerprint": FINGERPRINT,
                "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
                "usage": usage(prompt_tokens, completion_tokens),
            }),
            fault,
        );
    }

    let include_usage = obj
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let chunk = |delta: Value, finish: Option<&str>| -> String {
        let mut c = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if include_usage {
            c["usage"] = Value::Null;
        }
        c.to_string()
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    if reply.tool_calls.is_empty() {
        for t in split_tokens(&content) {
            events.push(chunk(json!({"content": t}), None));
        }
    } else {
        for (i, c) in reply.tool_calls.iter().enumerate() {
            events.push(chunk(
                json!({"tool_calls": [{"index": i, "id": c.id, "type": "function",
                    "function": {"name": c.name, "arguments": ""}}]}),
                None,
            ));
            // Arguments arrive in two pieces, as real servers split them.
            let mid = c
                .arguments
                .char_indices()
                .nth(c.arguments.chars().count() / 2)
                .map(|(i, _)| i)
                .unwrap_or(c.arguments.len());
            for part in [&c.arguments[..mid], &c.arguments[mid..]] {
                if !part.is_empty() {
                    events.push(chunk(
                        json!({"tool_calls": [{"index": i, "function": {"arguments": part}}]}),
                        None,
                    ));
                }
            }
        }
    }
    events.push(chunk(json!({}), Some(finish)));
    if include_usage {
        events.push(
            json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "system_fingerprint": FINGERPRINT, "choices": [],
                "usage": usage(prompt_tokens, completion_tokens),
            })
            .to_string(),
        );
    }
    events.push("[DONE]".to_string());
    sse(events, st.cfg.stream_delay_ms, fault)
}

async fn completions(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_or_error(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let fault = match prelude(&st, &method, &uri, &headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let obj = match parse_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let model = match model_of(&st, &obj) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let prompt_text = match obj.get("prompt") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => match a.first() {
            Some(Value::String(s)) => s.clone(),
            // Token-id prompts: the mock has no vocabulary; answer by default.
            Some(Value::Number(_)) | Some(Value::Array(_)) | None => String::new(),
            Some(_) => {
                return bad_request(
                    "Invalid type for 'prompt': expected a string or an array of strings.",
                    Some("prompt"),
                )
            }
        },
        None => {
            return bad_request("Missing required parameter: 'prompt'.", Some("prompt"));
        }
        Some(_) => {
            return bad_request(
                "Invalid type for 'prompt': expected a string or an array of strings.",
                Some("prompt"),
            )
        }
    };
    let prompt = Prompt {
        messages: vec![Message::new(Role::User, prompt_text.clone())],
        ..Default::default()
    };
    let reply = brain::respond(&prompt);
    let (text, cut) = limit_tokens(reply.content.as_deref().unwrap_or(""), max_tokens(&obj));
    let finish = if cut { "length" } else { "stop" };
    let prompt_tokens = count_tokens(&prompt_text);
    let completion_tokens = count_tokens(&text);
    let id = format!("cmpl-{:016x}", fnv1a(&body));
    let created = now();
    let stream = obj.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        return json_answer(
            json!({
                "id": id, "object": "text_completion", "created": created, "model": model,
                "system_fingerprint": FINGERPRINT,
                "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}],
                "usage": usage(prompt_tokens, completion_tokens),
            }),
            fault,
        );
    }
    let chunk = |t: &str, finish: Option<&str>| -> String {
        json!({
            "id": id, "object": "text_completion", "created": created, "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{"text": t, "index": 0, "logprobs": null, "finish_reason": finish}],
        })
        .to_string()
    };
    let mut events: Vec<String> = split_tokens(&text).iter().map(|t| chunk(t, None)).collect();
    events.push(chunk("", Some(finish)));
    events.push("[DONE]".to_string());
    sse(events, st.cfg.stream_delay_ms, fault)
}

async fn embeddings(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_or_error(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let fault = match prelude(&st, &method, &uri, &headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let obj = match parse_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let model = match model_of(&st, &obj) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let invalid = || {
        bad_request(
            "Invalid type for 'input': expected a string, an array of strings, or token arrays.",
            Some("input"),
        )
    };
    // (text to embed, token count)
    let inputs: Vec<(String, usize)> = match obj.get("input") {
        Some(Value::String(s)) => vec![(s.clone(), count_tokens(s))],
        Some(Value::Array(a)) if a.is_empty() => {
            return bad_request("'input' must not be empty.", Some("input"))
        }
        Some(Value::Array(a)) if a.len() > MAX_EMBED_INPUTS => {
            return bad_request("Too many inputs (at most 2048).", Some("input"))
        }
        Some(Value::Array(a)) if a.iter().all(Value::is_number) => {
            vec![(Value::Array(a.clone()).to_string(), a.len())]
        }
        Some(Value::Array(a)) => {
            let mut v = Vec::with_capacity(a.len());
            for x in a {
                match x {
                    Value::String(s) => v.push((s.clone(), count_tokens(s))),
                    Value::Array(t) if t.iter().all(Value::is_number) => {
                        v.push((x.to_string(), t.len()))
                    }
                    _ => return invalid(),
                }
            }
            v
        }
        None => return bad_request("Missing required parameter: 'input'.", Some("input")),
        Some(_) => return invalid(),
    };
    let dim = match obj.get("dimensions") {
        None | Some(Value::Null) => st.cfg.embedding_dim,
        Some(d) => match d.as_u64() {
            Some(n) if (1..=4096).contains(&n) => n as usize,
            _ => {
                return bad_request(
                    "'dimensions' must be an integer between 1 and 4096.",
                    Some("dimensions"),
                )
            }
        },
    };
    let b64 = obj.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let mut tokens = 0;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, (text, n))| {
            tokens += n;
            let v = embed::embed(text, dim);
            let emb = if b64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": emb})
        })
        .collect();
    json_answer(
        json!({"object": "list", "data": data, "model": model,
               "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}),
        fault,
    )
}

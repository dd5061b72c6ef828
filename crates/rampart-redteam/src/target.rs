//! Targets: what the red team attacks, behind one small trait.
//!
//! * [`OpenAiTarget`]: any OpenAI-compatible chat endpoint (system prompt,
//!   declared tools, tool calls).
//! * [`HttpJsonTarget`]: any HTTP JSON API, described by a request template
//!   with `{{prompt}}`/`{{system}}`/`{{history}}` placeholders and a JSON
//!   pointer to the answer.
//! * [`CommandTarget`]: a local program that reads the prompt on stdin and
//!   writes the answer on stdout.
//!
//! Targets make one attempt per call; retries, back-off and rate-limit
//! pauses (429 with `Retry-After`) live in [`send_with_retries`] so every
//! target gets them.

use crate::model::{Message, Reply, ToolCall, ToolDef};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Replies larger than this are refused (a runaway or hostile server).
pub const MAX_REPLY_BYTES: usize = 4 << 20;

/// One request to a target.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub messages: &'a [Message],
    pub tools: &'a [ToolDef],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Unreachable,
    Timeout,
    RateLimited,
    Status,
    BadResponse,
    Command,
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetError {
    pub kind: ErrorKind,
    pub message: String,
    /// For 429/503: how long the server asked us to wait.
    pub retry_after: Option<Duration>,
}

impl TargetError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        TargetError {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }
    fn retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Unreachable | ErrorKind::Timeout | ErrorKind::RateLimited => true,
            ErrorKind::Status => self.message.starts_with('5'),
            ErrorKind::BadResponse | ErrorKind::Command => false,
        }
    }
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

/// A system under test.
pub trait Target: Send + Sync {
    /// A short description for reports (never contains credentials).
    fn describe(&self) -> String;
    /// Whether the target keeps a conversation (multi-turn strategies need it).
    fn multi_turn(&self) -> bool {
        true
    }
    fn send<'a>(&'a self, req: Request<'a>) -> BoxFuture<'a, Result<Reply, TargetError>>;
}

/// Retry and rate-limit policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    #[serde(default = "d_retries")]
    pub max_retries: u32,
    #[serde(default = "d_backoff")]
    pub backoff_ms: u64,
    /// The longest single wait honoured (a larger Retry-After is capped).
    #[serde(default = "d_max_wait")]
    pub max_wait_ms: u64,
}

fn d_retries() -> u32 {
    3
}
fn d_backoff() -> u64 {
    250
}
fn d_max_wait() -> u64 {
    30_000
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: d_retries(),
            backoff_ms: d_backoff(),
            max_wait_ms: d_max_wait(),
        }
    }
}

/// Shared across workers: after a 429, everyone waits until the pause ends
/// instead of hammering a rate-limited server.
#[derive(Debug, Default, Clone)]
pub struct RateGate {
    until: Arc<Mutex<Option<Instant>>>,
}

impl RateGate {
    fn pause_for(&self, d: Duration) {
        let mut g = self.until.lock().unwrap_or_else(|e| e.into_inner());
        let t = Instant::now() + d;
        if g.map(|u| u < t).unwrap_or(true) {
            *g = Some(t);
        }
    }
    async fn wait(&self) {
        let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(u) = until {
            let now = Instant::now();
            if u > now {
                tokio::time::sleep(u - now).await;
            }
        }
    }
}

/// Statistics of one logical request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SendStats {
    pub attempts: u32,
    pub rate_limited: u32,
}

/// Send with retries: exponential back-off on transient errors, the
/// server's `Retry-After` on 429/503 (capped), and a shared pause.
pub async fn send_with_retries(
    target: &dyn Target,
    req: Request<'_>,
    policy: &RetryPolicy,
    gate: &RateGate,
    stats: &mut SendStats,
) -> Result<Reply, TargetError> {
    let mut attempt = 0u32;
    loop {
        gate.wait().await;
        attempt += 1;
        stats.attempts += 1;
        match target.send(req.clone()).await {
            Ok(r) => return Ok(r),
            Err(e) => {
                if e.kind == ErrorKind::RateLimited {
                    stats.rate_limited += 1;
                }
                if !e.retryable() || attempt > policy.max_retries {
                    return Err(e);
                }
                let backoff = Duration::from_millis(
                    policy.backoff_ms.saturating_mul(1 << (attempt - 1).min(10)),
                );
                let wait = e
                    .retry_after
                    .unwrap_or(backoff)
                    .min(Duration::from_millis(policy.max_wait_ms));
                if e.kind == ErrorKind::RateLimited {
                    gate.pause_for(wait);
                    gate.wait().await;
                } else {
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        if s.is_finite() && s >= 0.0 {
            return Some(Duration::from_millis((s * 1000.0).min(86_400_000.0) as u64));
        }
        return None;
    }
    let fmt = time::format_description::well_known::Rfc2822;
    let t = time::OffsetDateTime::parse(v, &fmt).ok()?;
    let secs = (t - time::OffsetDateTime::now_utc()).whole_milliseconds();
    Some(Duration::from_millis(secs.clamp(0, 86_400_000) as u64))
}

/// The chat-completions URL for a base URL: kept when it already ends in
/// `/chat/completions`, else `/chat/completions` after a `/v1` base, else
/// `/v1/chat/completions`.
pub fn chat_url(base: &str) -> String {
    let b = base.trim_end_matches('/');
    if b.ends_with("/chat/completions") {
        b.to_string()
    } else if b.ends_with("/v1") || b.contains("/v1/") {
        format!("{b}/chat/completions")
    } else {
        format!("{b}/v1/chat/completions")
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, TargetError> {
    let mut buf = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if buf.len() + c.len() > MAX_REPLY_BYTES {
                    return Err(TargetError::new(
                        ErrorKind::BadResponse,
                        format!("reply larger than {MAX_REPLY_BYTES} bytes"),
                    ));
                }
                buf.extend_from_slice(&c);
            }
            Ok(None) => return Ok(buf),
            Err(e) => return Err(classify_reqwest(e)),
        }
    }
}

fn classify_reqwest(e: reqwest::Error) -> TargetError {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() || e.is_request() {
        ErrorKind::Unreachable
    } else {
        ErrorKind::BadResponse
    };
    // reqwest's message names the URL but never headers or bodies.
    TargetError::new(kind, e.to_string())
}

async fn post_json(
    client: &reqwest::Client,
    url: &str,
    headers: &BTreeMap<String, String>,
    api_key: Option<&str>,
    body: &Value,
    timeout: Duration,
) -> Result<Value, TargetError> {
    let mut rb = client.post(url).timeout(timeout).json(body);
    for (k, v) in headers {
        rb = rb.header(k, v);
    }
    if let Some(k) = api_key.filter(|k| !k.is_empty()) {
        rb = rb.bearer_auth(k);
    }
    let resp = rb.send().await.map_err(classify_reqwest)?;
    let status = resp.status();
    if status.as_u16() == 429 || status.as_u16() == 503 {
        let ra = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut e = TargetError::new(
            if status.as_u16() == 429 {
                ErrorKind::RateLimited
            } else {
                ErrorKind::Status
            },
            format!("{} from {url}", status.as_u16()),
        );
        e.retry_after = ra;
        return Err(e);
    }
    let bytes = read_capped(resp).await?;
    if let Some(msg) = policy_block(status.as_u16(), &bytes) {
        // A guard (gateway, content filter) refused the request: the
        // target answered, and the attack did not get through.
        return Ok(
            json!({"choices": [{"message": {"role": "assistant", "content": format!("[blocked by the target: {msg}]")}, "finish_reason": "blocked"}], "rampart_blocked": true}),
        );
    }
    if !status.is_success() {
        let snippet = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_string();
        return Err(TargetError::new(
            ErrorKind::Status,
            format!(
                "{} from {url}: {}",
                status.as_u16(),
                rampart_core::redact::sanitize_for_display(&snippet)
            ),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        TargetError::new(
            ErrorKind::BadResponse,
            format!(
                "reply from {url} is not JSON ({e}): {}",
                rampart_core::redact::truncate(
                    &rampart_core::redact::sanitize_for_display(&String::from_utf8_lossy(
                        &bytes[..bytes.len().min(120)]
                    )),
                    120
                )
            ),
        )
    })
}

/// A 400/403/422 whose JSON error says a content or security policy
/// blocked the request (`rampart_blocked`, `content_filter`, ...).
fn policy_block(status: u16, body: &[u8]) -> Option<String> {
    if !matches!(status, 400 | 403 | 422) {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    let e = v.get("error")?;
    let code = e.get("code").and_then(Value::as_str).unwrap_or("");
    let typ = e.get("type").and_then(Value::as_str).unwrap_or("");
    let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
    let policy = [
        "rampart_blocked",
        "content_filter",
        "content_policy_violation",
        "policy_violation",
    ]
    .iter()
    .any(|k| code == *k || typ == *k);
    policy.then(|| {
        rampart_core::redact::truncate(&rampart_core::redact::sanitize_for_display(msg), 200)
    })
}

/// An OpenAI-compatible chat endpoint.
pub struct OpenAiTarget {
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub timeout: Duration,
    pub max_tokens: u32,
    pub temperature: f32,
    pub seed: Option<u64>,
    client: reqwest::Client,
}

impl OpenAiTarget {
    pub fn new(base_url: &str, model: &str, api_key: Option<String>) -> Self {
        OpenAiTarget {
            url: chat_url(base_url),
            model: model.to_string(),
            api_key,
            headers: BTreeMap::new(),
            timeout: Duration::from_secs(60),
            max_tokens: 512,
            temperature: 0.0,
            seed: None,
            client: http_client(),
        }
    }

    pub fn body(&self, req: &Request<'_>) -> Value {
        let messages: Vec<Value> = req.messages.iter().map(openai_message).collect();
        let mut body = json!({
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        });
        if let Some(s) = self.seed {
            body["seed"] = json!(s);
        }
        if !req.tools.is_empty() {
            body["tools"] = Value::Array(
                req.tools
                    .iter()
                    .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
                    .collect(),
            );
        }
        body
    }
}

/// A shared HTTP client: connection pooling matters at 1,000 requests.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default()
}

fn openai_message(m: &Message) -> Value {
    let mut v = json!({"role": m.role, "content": m.content});
    if !m.tool_calls.is_empty() {
        v["tool_calls"] = Value::Array(
            m.tool_calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                .collect(),
        );
        if m.content.is_empty() {
            v["content"] = Value::Null;
        }
    }
    if let Some(id) = &m.tool_call_id {
        v["tool_call_id"] = json!(id);
    }
    v
}

/// Parse an OpenAI chat-completions reply.
pub fn parse_openai(v: &Value) -> Result<Reply, TargetError> {
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| TargetError::new(ErrorKind::BadResponse, "reply has no `choices[0]`"))?;
    let msg = choice.get("message").cloned().unwrap_or(Value::Null);
    let text = match msg.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => choice
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    let tool_calls = msg
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    let f = c.get("function")?;
                    Some(ToolCall {
                        id: c
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        name: f.get("name")?.as_str()?.to_string(),
                        arguments: match f.get("arguments") {
                            Some(Value::String(s)) => s.clone(),
                            Some(v) => v.to_string(),
                            None => String::new(),
                        },
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Reply {
        text,
        tool_calls,
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        completion_tokens: v
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64),
    })
}

impl Target for OpenAiTarget {
    fn describe(&self) -> String {
        format!("openai {} (model {})", self.url, self.model)
    }
    fn send<'a>(&'a self, req: Request<'a>) -> BoxFuture<'a, Result<Reply, TargetError>> {
        Box::pin(async move {
            let body = self.body(&req);
            let v = post_json(
                &self.client,
                &self.url,
                &self.headers,
                self.api_key.as_deref(),
                &body,
                self.timeout,
            )
            .await?;
            parse_openai(&v)
        })
    }
}

/// A generic HTTP JSON API.
pub struct HttpJsonTarget {
    pub url: String,
    /// The request body; string values may contain `{{prompt}}` (the last
    /// user message), `{{system}}` and `{{history}}` (the conversation as
    /// `role: text` lines). A string that is exactly `{{messages}}` becomes
    /// the OpenAI-style message array.
    pub template: Value,
    /// JSON pointer (RFC 6901) to the answer text, e.g. `/data/answer`.
    pub response_pointer: String,
    pub api_key: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub timeout: Duration,
    client: reqwest::Client,
}

impl HttpJsonTarget {
    pub fn new(url: &str, template: Value, response_pointer: &str) -> Self {
        HttpJsonTarget {
            url: url.to_string(),
            template,
            response_pointer: response_pointer.to_string(),
            api_key: None,
            headers: BTreeMap::new(),
            timeout: Duration::from_secs(60),
            client: http_client(),
        }
    }
}

/// Substitute the placeholders in every string of a JSON template.
pub fn fill_template(t: &Value, vars: &BTreeMap<&str, String>, messages: &Value) -> Value {
    match t {
        Value::String(s) if s == "{{messages}}" => messages.clone(),
        Value::String(s) => {
            let mut out = s.clone();
            for (k, v) in vars {
                out = out.replace(&format!("{{{{{k}}}}}"), v);
            }
            Value::String(out)
        }
        Value::Array(a) => {
            Value::Array(a.iter().map(|x| fill_template(x, vars, messages)).collect())
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), fill_template(v, vars, messages)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn template_vars(messages: &[Message]) -> BTreeMap<&'static str, String> {
    let mut vars = BTreeMap::new();
    let prompt = messages
        .iter()
        .rev()
        .find(|m| m.role == "user" || m.role == "tool")
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let system = messages
        .iter()
        .filter(|m| m.role == "system")
        .map(|m| m.content.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let history = messages
        .iter()
        .filter(|m| m.role != "system")
        .map(|m| format!("{}: {}", m.role, m.content))
        .collect::<Vec<_>>()
        .join("\n");
    vars.insert("prompt", prompt);
    vars.insert("system", system);
    vars.insert("history", history);
    vars
}

impl Target for HttpJsonTarget {
    fn describe(&self) -> String {
        format!("http {} (answer at {})", self.url, self.response_pointer)
    }
    fn send<'a>(&'a self, req: Request<'a>) -> BoxFuture<'a, Result<Reply, TargetError>> {
        Box::pin(async move {
            let msgs = Value::Array(req.messages.iter().map(openai_message).collect());
            let body = fill_template(&self.template, &template_vars(req.messages), &msgs);
            let v = post_json(
                &self.client,
                &self.url,
                &self.headers,
                self.api_key.as_deref(),
                &body,
                self.timeout,
            )
            .await?;
            let text = match v.pointer(&self.response_pointer) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => {
                    return Err(TargetError::new(
                        ErrorKind::BadResponse,
                        format!(
                            "reply has nothing at JSON pointer `{}`",
                            self.response_pointer
                        ),
                    ))
                }
            };
            Ok(Reply {
                text,
                ..Default::default()
            })
        })
    }
}

/// A local program: the prompt on stdin, the answer on stdout.
pub struct CommandTarget {
    pub argv: Vec<String>,
    /// `text`: the last user message; `json`: `{"system", "messages", "tools"}`.
    pub stdin_format: String,
    pub timeout: Duration,
}

const MAX_STDOUT: usize = 1 << 20;

impl Target for CommandTarget {
    fn describe(&self) -> String {
        format!(
            "command {}",
            self.argv.first().map(String::as_str).unwrap_or("")
        )
    }
    fn multi_turn(&self) -> bool {
        self.stdin_format == "json"
    }
    fn send<'a>(&'a self, req: Request<'a>) -> BoxFuture<'a, Result<Reply, TargetError>> {
        Box::pin(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let Some((prog, args)) = self.argv.split_first() else {
                return Err(TargetError::new(ErrorKind::Command, "empty command"));
            };
            let input = if self.stdin_format == "json" {
                let msgs: Vec<Value> = req.messages.iter().map(openai_message).collect();
                json!({"messages": msgs, "tools": req.tools}).to_string()
            } else {
                template_vars(req.messages)
                    .remove("prompt")
                    .unwrap_or_default()
            };
            let mut child = tokio::process::Command::new(prog)
                .args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| {
                    TargetError::new(
                        ErrorKind::Unreachable,
                        format!("cannot start `{prog}`: {e}"),
                    )
                })?;
            let mut stdin = child.stdin.take();
            let mut stdout = child.stdout.take();
            let mut stderr = child.stderr.take();
            let run = async {
                if let Some(mut s) = stdin.take() {
                    // A program that exits without reading its input is fine.
                    let _ = s.write_all(input.as_bytes()).await;
                    drop(s);
                }
                let mut out = Vec::new();
                if let Some(o) = stdout.as_mut() {
                    let mut lim = o.take(MAX_STDOUT as u64 + 1);
                    lim.read_to_end(&mut out)
                        .await
                        .map_err(|e| TargetError::new(ErrorKind::Command, e.to_string()))?;
                }
                let mut err = Vec::new();
                if let Some(e) = stderr.as_mut() {
                    let _ = e.take(4096).read_to_end(&mut err).await;
                }
                let status = child
                    .wait()
                    .await
                    .map_err(|e| TargetError::new(ErrorKind::Command, e.to_string()))?;
                Ok::<_, TargetError>((status, out, err))
            };
            let (status, out, err) =
                tokio::time::timeout(self.timeout, run)
                    .await
                    .map_err(|_| {
                        TargetError::new(
                            ErrorKind::Timeout,
                            format!("`{prog}` did not answer within {:?}", self.timeout),
                        )
                    })??;
            if out.len() > MAX_STDOUT {
                return Err(TargetError::new(
                    ErrorKind::BadResponse,
                    format!("`{prog}` wrote more than {MAX_STDOUT} bytes"),
                ));
            }
            if !status.success() {
                return Err(TargetError::new(
                    ErrorKind::Command,
                    format!(
                        "`{prog}` exited with {status}: {}",
                        rampart_core::redact::truncate(
                            &rampart_core::redact::sanitize_for_display(&String::from_utf8_lossy(
                                &err
                            )),
                            200
                        )
                    ),
                ));
            }
            Ok(Reply {
                text: String::from_utf8_lossy(&out).trim_end().to_string(),
                ..Default::default()
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_retry_after() {
        assert_eq!(chat_url("http://h:1"), "http://h:1/v1/chat/completions");
        assert_eq!(chat_url("http://h:1/v1/"), "http://h:1/v1/chat/completions");
        assert_eq!(
            chat_url("http://h/x/chat/completions"),
            "http://h/x/chat/completions"
        );
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn parses_openai_replies() {
        let v = json!({"choices":[{"message":{"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"run_shell","arguments":"{\"command\":\"ls\"}"}}]},"finish_reason":"tool_calls"}]});
        let r = parse_openai(&v).unwrap();
        assert_eq!(r.tool_calls[0].name, "run_shell");
        assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
        assert!(parse_openai(&json!({"error": "x"})).is_err());
    }

    #[test]
    fn fills_templates() {
        let t = json!({"input": {"text": "{{prompt}}", "ctx": "{{system}}"}, "msgs": "{{messages}}", "n": 1});
        let m = vec![Message::new("system", "S"), Message::user("he said \"hi\"")];
        let v = fill_template(&t, &template_vars(&m), &json!([1]));
        assert_eq!(v["input"]["text"], "he said \"hi\"");
        assert_eq!(v["input"]["ctx"], "S");
        assert_eq!(v["msgs"], json!([1]));
        assert_eq!(v["n"], 1);
    }
}

//! The routing table and the upstream HTTP client.
//!
//! Each route maps a model name (glob) to one OpenAI-compatible base URL
//! with its own credential, timeouts and a bounded retry budget. Retries
//! happen only when nothing has reached the client yet: on connection
//! failures and on 502/503/504 answers. The client's own headers are never
//! forwarded (only the body), and the upstream's headers and error bodies
//! never reach the client, so neither credentials nor internals leak.

use crate::config::RouteConfig;
use bytes::Bytes;
use globset::{Glob, GlobMatcher};
use http::HeaderValue;
use std::time::Duration;

pub struct Route {
    pub pattern: String,
    matcher: GlobMatcher,
    base: String,
    pub upstream_model: Option<String>,
    credential: Option<HeaderValue>,
    client: reqwest::Client,
    pub timeout: Duration,
    pub retries: u32,
}

#[derive(Debug)]
pub enum UpstreamError {
    Timeout,
    /// Connection refused/reset or a 5xx after the retry budget.
    Failed,
}

impl Route {
    pub fn new(r: &RouteConfig) -> Result<Route, String> {
        let matcher = Glob::new(&r.model)
            .map_err(|e| format!("routes: bad model pattern `{}`: {e}", r.model))?
            .compile_matcher();
        let credential = match &r.api_key_env {
            Some(var) => {
                let v = std::env::var(var).map_err(|_| {
                    format!("routes: environment variable `{var}` (api_key_env for model `{}`) is not set", r.model)
                })?;
                let mut hv = HeaderValue::from_str(&format!("Bearer {v}")).map_err(|_| {
                    format!("routes: `{var}` holds characters not allowed in a header")
                })?;
                hv.set_sensitive(true);
                Some(hv)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(r.connect_timeout_ms))
            .pool_max_idle_per_host(4096)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("routes: cannot build the HTTP client: {e}"))?;
        Ok(Route {
            pattern: r.model.clone(),
            matcher,
            base: r.upstream.trim_end_matches('/').to_string(),
            upstream_model: r.upstream_model.clone(),
            credential,
            client,
            timeout: Duration::from_millis(r.timeout_ms),
            retries: r.retries.min(5),
        })
    }

    pub fn matches(&self, model: &str) -> bool {
        self.matcher.is_match(model)
    }

    /// The concrete model names this route serves (patterns without globs).
    pub fn listed_model(&self) -> Option<&str> {
        (!self.pattern.contains(['*', '?', '[', '{'])).then_some(self.pattern.as_str())
    }

    /// POST `body` to `<base>/<path>`. Returns the response once its
    /// headers arrive; the caller reads the body (with [`Route::timeout`]
    /// as the idle budget for streams).
    pub async fn post(
        &self,
        path: &str,
        body: Bytes,
        stream: bool,
    ) -> Result<reqwest::Response, UpstreamError> {
        let url = format!("{}/{}", self.base, path);
        let mut attempt = 0;
        loop {
            let mut rb = self
                .client
                .post(&url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(
                    http::header::ACCEPT,
                    if stream {
                        "text/event-stream"
                    } else {
                        "application/json"
                    },
                )
                .body(body.clone());
            if let Some(c) = &self.credential {
                rb = rb.header(http::header::AUTHORIZATION, c.clone());
            }
            let r = tokio::time::timeout(self.timeout, rb.send()).await;
            let retryable = match r {
                Err(_) => return Err(UpstreamError::Timeout),
                Ok(Err(e)) if e.is_timeout() => return Err(UpstreamError::Timeout),
                Ok(Err(_)) => true,
                Ok(Ok(resp)) => {
                    let s = resp.status().as_u16();
                    if matches!(s, 502..=504) && attempt < self.retries {
                        true
                    } else {
                        return Ok(resp);
                    }
                }
            };
            if retryable && attempt < self.retries {
                attempt += 1;
                // Short, growing pause so a restarting upstream can recover.
                tokio::time::sleep(Duration::from_millis(20 * attempt as u64)).await;
                continue;
            }
            return Err(UpstreamError::Failed);
        }
    }

    pub async fn get(&self, path: &str) -> Result<reqwest::Response, UpstreamError> {
        let url = format!("{}/{}", self.base, path);
        let mut rb = self.client.get(&url);
        if let Some(c) = &self.credential {
            rb = rb.header(http::header::AUTHORIZATION, c.clone());
        }
        match tokio::time::timeout(self.timeout, rb.send()).await {
            Err(_) => Err(UpstreamError::Timeout),
            Ok(Err(e)) if e.is_timeout() => Err(UpstreamError::Timeout),
            Ok(Err(_)) => Err(UpstreamError::Failed),
            Ok(Ok(r)) => Ok(r),
        }
    }
}

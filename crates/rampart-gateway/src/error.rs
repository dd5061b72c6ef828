//! OpenAI-style error objects with stable codes.
//!
//! Every refusal the gateway makes is `{"error": {"message", "type",
//! "param", "code"}}`, the shape the official SDKs parse, with a `code`
//! from the fixed list in [`ApiError`] so clients can branch on it. Messages
//! never contain upstream details, keys or the text that was blocked.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `rampart_blocked`.
    pub code: &'static str,
    /// OpenAI error type: `invalid_request_error`, `authentication_error`,
    /// `permission_error`, `rate_limit_error`, `api_error`.
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        kind: &'static str,
        msg: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            kind,
            message: msg.into(),
            param: None,
            retry_after: None,
        }
    }
    pub fn param(mut self, p: impl Into<String>) -> Self {
        self.param = Some(p.into());
        self
    }
    pub fn bad_request(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "invalid_request_error", msg)
    }
    pub fn invalid_json(msg: impl Into<String>) -> Self {
        Self::bad_request("invalid_json", msg)
    }
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "invalid_request_error",
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }
    pub fn unauthorized(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, "authentication_error", msg)
    }
    pub fn forbidden(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, "permission_error", msg)
    }
    pub fn not_found(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, "invalid_request_error", msg)
    }
    pub fn rate_limited(msg: impl Into<String>, retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "rate_limit_error",
            msg,
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }
    pub fn blocked(detector: &str) -> Self {
        Self::bad_request(
            "rampart_blocked",
            format!(
                "the request was blocked by the gateway's security policy (detector: {detector})"
            ),
        )
    }
    pub fn upstream_timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            "api_error",
            "the model server did not answer in time",
        )
    }
    pub fn upstream_error() -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "api_error",
            "the model server failed to answer",
        )
    }
    pub fn unavailable(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, "api_error", msg)
    }

    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        r
    }
}

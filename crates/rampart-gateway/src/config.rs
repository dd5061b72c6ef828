//! The gateway's TOML configuration: its schema, defaults and validation.
//!
//! One file configures everything (`rampart gateway --config rampart.toml`).
//! Parsing goes through [`rampart_core::config`], so a bad value is reported
//! with the file, line and dotted field path; semantic checks that serde
//! cannot express (a route with a bad URL, a key hash of the wrong length,
//! an unknown action) are reported by [`GatewayConfig::validate`] naming the
//! field the same way.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole gateway configuration.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub admin: AdminConfig,
    /// Client API keys (hashed).
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// Model -> upstream routing table.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub cluster: Option<ClusterConfig>,
    #[serde(default)]
    pub guards: GuardsConfig,
    #[serde(default)]
    pub rag: RagConfig,
    #[serde(default)]
    pub tools: ToolsConfig,
    /// Security-event sinks (see `rampart-telemetry`): JSONL, SQLite,
    /// PostgreSQL, NATS JetStream, with bounded buffers.
    #[serde(default)]
    pub telemetry: Option<rampart_telemetry::TelemetryConfig>,
    /// Where the file was loaded from: relative paths in it resolve against
    /// its directory.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    /// Largest accepted request body; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Longest accepted prompt (all message text, in characters).
    pub max_prompt_chars: usize,
    /// A client must send its request headers within this time.
    pub header_read_timeout_ms: u64,
    /// A client must send its whole body within this time (else 408).
    pub body_read_timeout_ms: u64,
    /// Requests in flight across the whole gateway; more get 503.
    pub max_concurrency: usize,
    /// Trust `X-Forwarded-For` (only behind a trusted proxy) for the client IP.
    pub trust_forwarded_for: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 1 << 20,
            max_prompt_chars: 200_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            max_concurrency: 4096,
            trust_forwarded_for: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Name of an environment variable holding a secret pepper: when set,
    /// key hashes are `hmac-sha256:<hex>` = HMAC-SHA256(pepper, key).
    pub hmac_secret_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Hash of the admin credential (same format as client keys). Without
    /// it the admin API answers 404: deny by default.
    pub key_hash: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// A public identifier for the key (shown in events and metrics).
    pub id: String,
    /// `sha256:<64 hex>` or `hmac-sha256:<64 hex>`; never the key itself.
    pub hash: String,
    #[serde(default = "default_tenant")]
    pub tenant: String,
    /// Allowed model names (`*` globs allowed). Empty: none.
    #[serde(default)]
    pub models: Vec<String>,
    /// Allowed tool names (`*` globs allowed). Empty: no tool calls.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Largest `max_tokens` / `max_completion_tokens` a request may ask for.
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// RFC 3339 expiry; an expired key is rejected with 401.
    #[serde(default)]
    pub expires: Option<String>,
    /// Per-key overrides of `[limits]`.
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    #[serde(default)]
    pub tokens_per_minute: Option<u32>,
}

fn default_tenant() -> String {
    "default".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Model name clients send (`*` globs allowed; first match wins).
    pub model: String,
    /// Upstream base URL including `/v1`, e.g. `http://127.0.0.1:8000/v1`.
    pub upstream: String,
    /// Model name sent upstream (default: the client's).
    #[serde(default)]
    pub upstream_model: Option<String>,
    /// Environment variable holding the upstream credential (sent as a
    /// bearer token upstream, never shown to clients).
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u64,
    /// Extra attempts after a connection failure or a 502/503/504 answer
    /// received before anything was sent to the client (bounded: max 5).
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_timeout() -> u64 {
    60_000
}
fn default_connect_timeout() -> u64 {
    2_000
}
fn default_retries() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub per_key_requests_per_minute: u32,
    pub per_key_tokens_per_minute: u32,
    pub per_ip_requests_per_minute: u32,
    pub per_ip_tokens_per_minute: u32,
    /// Requests one key may have in flight.
    pub per_key_concurrency: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            per_key_requests_per_minute: 600,
            per_key_tokens_per_minute: 1_000_000,
            per_ip_requests_per_minute: 1200,
            per_ip_tokens_per_minute: 2_000_000,
            per_key_concurrency: 256,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Redis unreachable: serve with local limits only.
    Open,
    /// Redis unreachable: answer 503.
    Closed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    pub redis_url: String,
    pub fail_mode: FailMode,
    /// Key prefix in Redis so several deployments can share a server.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Time budget for one Redis round trip.
    #[serde(default = "default_redis_timeout")]
    pub timeout_ms: u64,
}

fn default_prefix() -> String {
    "rampart".into()
}
fn default_redis_timeout() -> u64 {
    100
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Allow,
    Flag,
    Redact,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GuardsConfig {
    pub input: InputGuards,
    pub output: OutputGuards,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputGuards {
    pub enabled: bool,
    /// Action per detector family (`injection`, `jailbreak`, `pii`,
    /// `secrets`, `harm`, `suffix`, ...), matched on the finding's detector
    /// name up to the first dot.
    pub actions: BTreeMap<String, Action>,
    /// Action for a detector not named in `actions`.
    pub default_action: Action,
    /// Findings below this confidence are only flagged.
    pub min_confidence: f32,
    /// Engine detectors to switch off by name (e.g. `harm`, `suffix` for
    /// the learned ones).
    pub disabled_detectors: Vec<String>,
}

impl Default for InputGuards {
    fn default() -> Self {
        let mut actions = BTreeMap::new();
        actions.insert("injection".into(), Action::Block);
        actions.insert("jailbreak".into(), Action::Block);
        actions.insert("secrets".into(), Action::Redact);
        actions.insert("pii".into(), Action::Flag);
        InputGuards {
            enabled: true,
            actions,
            default_action: Action::Flag,
            min_confidence: 0.5,
            disabled_detectors: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputGuards {
    pub enabled: bool,
    /// Action on PII in answers (`redact` masks it, `block` ends the answer).
    pub pii: Action,
    pub secrets: Action,
    /// System-prompt leakage (canary token or n-gram overlap).
    pub system_prompt_leak: Action,
    /// Links and images to domains outside `allowed_domains`.
    pub exfiltration: Action,
    /// Inject a random canary token into the system prompt.
    pub canary: bool,
    /// Link/image domains answers may point at (subdomains included).
    pub allowed_domains: Vec<String>,
    /// Sliding-window size for streamed answers, in characters.
    pub window_chars: usize,
}

impl Default for OutputGuards {
    fn default() -> Self {
        OutputGuards {
            enabled: true,
            pii: Action::Flag,
            secrets: Action::Block,
            system_prompt_leak: Action::Block,
            exfiltration: Action::Block,
            canary: true,
            allowed_domains: Vec::new(),
            window_chars: 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RagMode {
    /// Remove invisible characters only.
    Strip,
    /// Remove invisible characters and neutralise injected instructions.
    Neutralize,
    /// Drop a chunk that carries injected instructions.
    Drop,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RagConfig {
    /// Sources allowed for retrieved content (`*` globs). Empty: any source.
    pub allowed_sources: Vec<String>,
    pub mode: RagMode,
}

impl Default for RagConfig {
    fn default() -> Self {
        RagConfig {
            allowed_sources: Vec::new(),
            mode: RagMode::Neutralize,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ToolsConfig {
    /// A Cedar policy file. When set, every tool call must be permitted by
    /// it (as well as by the key's `tools` scope).
    pub policy_file: Option<PathBuf>,
}

/// A configuration error naming the field (and line when known).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Parse(Box<rampart_core::config::ConfigError>),
    #[error("{origin}: field `{field}`: {message}")]
    Invalid {
        origin: String,
        field: String,
        message: String,
    },
}

impl GatewayConfig {
    /// Load and validate a config file.
    pub fn load(path: &Path) -> Result<GatewayConfig, ConfigError> {
        let src = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Parse(Box::new(rampart_core::config::ConfigError::Io {
                path: path.display().to_string(),
                source: e,
            }))
        })?;
        let mut cfg = Self::from_toml(&src, &path.display().to_string())?;
        cfg.base_dir = path.parent().map(|p| p.to_path_buf());
        Ok(cfg)
    }

    /// Parse and validate TOML text (`origin` names it in errors).
    pub fn from_toml(src: &str, origin: &str) -> Result<GatewayConfig, ConfigError> {
        let cfg: GatewayConfig = rampart_core::config::from_toml_str(src, origin)
            .map_err(|e| ConfigError::Parse(Box::new(e)))?;
        cfg.validate(src, origin)?;
        Ok(cfg)
    }

    /// Resolve a path from the config against the config file's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        match &self.base_dir {
            Some(b) if p.is_relative() => b.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// Checks serde cannot express. `src` is used to find the line.
    pub fn validate(&self, src: &str, origin: &str) -> Result<(), ConfigError> {
        let err = |field: String, needle: &str, message: String| {
            let line = find_line(src, needle);
            ConfigError::Invalid {
                origin: match line {
                    Some(l) => format!("{origin}:{l}"),
                    None => origin.to_string(),
                },
                field,
                message,
            }
        };
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(err(
                "server.listen".into(),
                &self.server.listen,
                format!(
                    "`{}` is not an address like 127.0.0.1:8080",
                    self.server.listen
                ),
            ));
        }
        if self.server.max_body_bytes == 0 || self.server.max_concurrency == 0 {
            return Err(err(
                "server".into(),
                "max_",
                "max_body_bytes and max_concurrency must be positive".into(),
            ));
        }
        if let Some(h) = &self.admin.key_hash {
            if let Err(m) = crate::auth::parse_hash(h) {
                return Err(err("admin.key_hash".into(), h, m));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, k) in self.keys.iter().enumerate() {
            if let Err(m) = crate::auth::parse_hash(&k.hash) {
                return Err(err(format!("keys[{i}].hash"), &k.hash, m));
            }
            if k.hash.starts_with("hmac-sha256:") && self.auth.hmac_secret_env.is_none() {
                return Err(err(
                    format!("keys[{i}].hash"),
                    &k.hash,
                    "an hmac-sha256 hash needs `auth.hmac_secret_env`".into(),
                ));
            }
            if !ids.insert(k.id.as_str()) {
                return Err(err(
                    format!("keys[{i}].id"),
                    &k.id,
                    format!("duplicate key id `{}`", k.id),
                ));
            }
            if let Some(e) = &k.expires {
                if time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339)
                    .is_err()
                {
                    return Err(err(
                        format!("keys[{i}].expires"),
                        e,
                        format!("`{e}` is not an RFC 3339 time like 2027-01-31T00:00:00Z"),
                    ));
                }
            }
            for (j, m) in k.models.iter().chain(k.tools.iter()).enumerate() {
                if globset::Glob::new(m).is_err() {
                    return Err(err(
                        format!("keys[{i}].models/tools[{j}]"),
                        m,
                        format!("bad pattern `{m}`"),
                    ));
                }
            }
        }
        for (i, r) in self.routes.iter().enumerate() {
            let ok = reqwest::Url::parse(&r.upstream)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .unwrap_or(false);
            if !ok {
                return Err(err(
                    format!("routes[{i}].upstream"),
                    &r.upstream,
                    format!(
                        "`{}` is not an http(s) URL like http://127.0.0.1:8000/v1",
                        r.upstream
                    ),
                ));
            }
            if globset::Glob::new(&r.model).is_err() {
                return Err(err(
                    format!("routes[{i}].model"),
                    &r.model,
                    "bad pattern".into(),
                ));
            }
            if r.retries > 5 {
                return Err(err(
                    format!("routes[{i}].retries"),
                    "retries",
                    "at most 5 retries".into(),
                ));
            }
            if r.timeout_ms == 0 {
                return Err(err(
                    format!("routes[{i}].timeout_ms"),
                    "timeout_ms",
                    "must be positive".into(),
                ));
            }
        }
        if let Some(c) = &self.cluster {
            if !c.redis_url.starts_with("redis://") && !c.redis_url.starts_with("rediss://") {
                return Err(err(
                    "cluster.redis_url".into(),
                    &c.redis_url,
                    "expected redis://host:port".into(),
                ));
            }
        }
        for (i, s) in self.rag.allowed_sources.iter().enumerate() {
            if globset::Glob::new(s).is_err() {
                return Err(err(
                    format!("rag.allowed_sources[{i}]"),
                    s,
                    "bad pattern".into(),
                ));
            }
        }
        if let Some(t) = &self.telemetry {
            if let Err(m) = t.validate() {
                let field = m.split(':').next().unwrap_or("telemetry").to_string();
                return Err(err(field, "[telemetry", m));
            }
        }
        if self.guards.output.window_chars < 64 {
            return Err(err(
                "guards.output.window_chars".into(),
                "window_chars",
                "must be at least 64".into(),
            ));
        }
        Ok(())
    }
}

fn find_line(src: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    src.find(needle)
        .map(|off| src[..off].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_valid_with_defaults() {
        let c = GatewayConfig::from_toml("", "x.toml").unwrap();
        assert_eq!(c.server.max_body_bytes, 1 << 20);
        assert_eq!(c.guards.input.actions["injection"], Action::Block);
    }

    #[test]
    fn bad_upstream_names_field_and_line() {
        let src = "[[routes]]\nmodel = \"m\"\nupstream = \"ftp://x\"\n";
        let e = GatewayConfig::from_toml(src, "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("routes[0].upstream"), "{e}");
        assert!(e.starts_with("g.toml:3"), "{e}");
    }

    #[test]
    fn bad_type_names_line_and_field() {
        let src = "[limits]\nper_key_requests_per_minute = \"lots\"\n";
        let e = GatewayConfig::from_toml(src, "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("g.toml:2"), "{e}");
        assert!(e.contains("limits.per_key_requests_per_minute"), "{e}");
    }

    #[test]
    fn unknown_action_rejected() {
        let src = "[guards.input.actions]\ninjection = \"explode\"\n";
        let e = GatewayConfig::from_toml(src, "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("guards.input.actions"), "{e}");
    }

    #[test]
    fn bad_hash_rejected() {
        let src = "[[keys]]\nid = \"a\"\nhash = \"plaintext-key\"\n";
        let e = GatewayConfig::from_toml(src, "g.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("keys[0].hash"), "{e}");
    }
}

//! API-key authentication and authorisation scopes.
//!
//! Keys are never stored: the config holds `sha256:<hex>` (or, with a
//! server-side pepper, `hmac-sha256:<hex>`) digests. A presented key is
//! hashed once; the digest selects a candidate and is then confirmed with a
//! constant-time comparison (`subtle`), so response timing reveals nothing
//! about how much of a guess was right.

use crate::config::{AuthConfig, KeyConfig};
use globset::{Glob, GlobSet, GlobSetBuilder};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Parse `sha256:<hex>` / `hmac-sha256:<hex>` into 32 bytes.
pub fn parse_hash(s: &str) -> Result<[u8; 32], String> {
    let hex_part = s
        .strip_prefix("sha256:")
        .or_else(|| s.strip_prefix("hmac-sha256:"))
        .ok_or_else(|| {
            "expected `sha256:<64 hex digits>` or `hmac-sha256:<64 hex digits>` (a hash, never the key itself; make one with `rampart gateway hash-key`)".to_string()
        })?;
    let bytes = hex::decode(hex_part).map_err(|_| "the digest is not hexadecimal".to_string())?;
    bytes
        .try_into()
        .map_err(|_| "the digest must be 64 hexadecimal digits (SHA-256)".to_string())
}

/// The digest of a key as stored in config: `sha256:<hex>`, or
/// `hmac-sha256:<hex>` when a pepper is given.
pub fn hash_key(key: &str, pepper: Option<&[u8]>) -> String {
    match pepper {
        Some(p) => format!("hmac-sha256:{}", hex::encode(digest(key, Some(p)))),
        None => format!("sha256:{}", hex::encode(digest(key, None))),
    }
}

fn digest(key: &str, pepper: Option<&[u8]>) -> [u8; 32] {
    match pepper {
        // HMAC accepts keys of any length, so `new_from_slice` does not fail.
        Some(p) => match <Hmac<Sha256> as Mac>::new_from_slice(p) {
            Ok(mut m) => {
                m.update(key.as_bytes());
                m.finalize().into_bytes().into()
            }
            Err(_) => Sha256::digest(key.as_bytes()).into(),
        },
        None => Sha256::digest(key.as_bytes()).into(),
    }
}

/// A generated API key: `rk-` followed by 40 random alphanumerics.
pub fn generate_key() -> String {
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    let s: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("rk-{s}")
}

/// What an authenticated key may do.
#[derive(Debug)]
pub struct Principal {
    pub id: String,
    pub tenant: String,
    models: GlobSet,
    tools: GlobSet,
    pub max_tokens: Option<u64>,
    /// Unix seconds.
    pub expires: Option<i64>,
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u32>,
}

impl Principal {
    pub fn may_use_model(&self, model: &str) -> bool {
        self.models.is_match(model)
    }
    pub fn may_call_tool(&self, tool: &str) -> bool {
        self.tools.is_match(tool)
    }
}

fn globs(pats: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in pats {
        // Validated at config load; an invalid one simply matches nothing.
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Invalid,
    Expired,
}

/// The key table, built once per config (re)load.
pub struct KeyStore {
    pepper: Option<Vec<u8>>,
    by_digest: HashMap<[u8; 32], Arc<Principal>>,
    admin: Option<[u8; 32]>,
}

impl KeyStore {
    pub fn new(
        auth: &AuthConfig,
        keys: &[KeyConfig],
        admin_hash: Option<&str>,
    ) -> Result<KeyStore, String> {
        let pepper = match &auth.hmac_secret_env {
            Some(var) => Some(
                std::env::var(var)
                    .map_err(|_| {
                        format!("auth.hmac_secret_env: environment variable `{var}` is not set")
                    })?
                    .into_bytes(),
            ),
            None => None,
        };
        let mut by_digest = HashMap::new();
        for k in keys {
            let d = parse_hash(&k.hash)?;
            let expires = k.expires.as_deref().and_then(|e| {
                time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(|t| t.unix_timestamp())
            });
            by_digest.insert(
                d,
                Arc::new(Principal {
                    id: k.id.clone(),
                    tenant: k.tenant.clone(),
                    models: globs(&k.models),
                    tools: globs(&k.tools),
                    max_tokens: k.max_tokens,
                    expires,
                    requests_per_minute: k.requests_per_minute,
                    tokens_per_minute: k.tokens_per_minute,
                }),
            );
        }
        let admin = admin_hash.map(parse_hash).transpose()?;
        Ok(KeyStore {
            pepper,
            by_digest,
            admin,
        })
    }

    fn digest(&self, key: &str) -> [u8; 32] {
        digest(key, self.pepper.as_deref())
    }

    /// Authenticate a bearer token.
    pub fn authenticate(&self, key: Option<&str>) -> Result<Arc<Principal>, AuthError> {
        let key = key.ok_or(AuthError::Missing)?;
        let d = self.digest(key);
        let p = self.by_digest.get(&d).ok_or(AuthError::Invalid)?;
        // The map lookup keys on a digest an attacker cannot steer; the
        // constant-time confirmation keeps the comparison itself uniform.
        let stored = self
            .by_digest
            .get_key_value(&d)
            .map(|(k, _)| *k)
            .unwrap_or([0u8; 32]);
        if !bool::from(stored.ct_eq(&d)) {
            return Err(AuthError::Invalid);
        }
        if let Some(exp) = p.expires {
            if time::OffsetDateTime::now_utc().unix_timestamp() >= exp {
                return Err(AuthError::Expired);
            }
        }
        Ok(p.clone())
    }

    /// Whether `key` is the admin credential. No admin hash configured:
    /// nobody is admin.
    pub fn is_admin(&self, key: Option<&str>) -> bool {
        match (self.admin, key) {
            (Some(a), Some(k)) => bool::from(a.ct_eq(&self.digest(k))),
            _ => false,
        }
    }

    pub fn len(&self) -> usize {
        self.by_digest.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }
}

/// Extract the bearer token from `Authorization` (or OpenAI-style `api-key`).
pub fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(http::header::AUTHORIZATION) {
        let s = v.to_str().ok()?.trim();
        let (scheme, rest) = s.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            let t = rest.trim();
            return (!t.is_empty()).then_some(t);
        }
        return None;
    }
    headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, k: &str, expires: Option<&str>) -> KeyConfig {
        KeyConfig {
            id: id.into(),
            hash: hash_key(k, None),
            tenant: "t".into(),
            models: vec!["gpt-*".into()],
            tools: vec![],
            max_tokens: None,
            expires: expires.map(Into::into),
            requests_per_minute: None,
            tokens_per_minute: None,
        }
    }

    #[test]
    fn authenticates_hashed_keys() {
        let ks = KeyStore::new(
            &AuthConfig::default(),
            &[key("a", "secret-a", None)],
            Some(&hash_key("admin", None)),
        )
        .unwrap();
        let p = ks.authenticate(Some("secret-a")).unwrap();
        assert_eq!(p.id, "a");
        assert!(p.may_use_model("gpt-4o"));
        assert!(!p.may_use_model("llama"));
        assert!(!p.may_call_tool("anything"));
        assert_eq!(
            ks.authenticate(Some("secret-b")).unwrap_err(),
            AuthError::Invalid
        );
        assert_eq!(ks.authenticate(None).unwrap_err(), AuthError::Missing);
        assert!(ks.is_admin(Some("admin")));
        assert!(!ks.is_admin(Some("secret-a")));
    }

    #[test]
    fn expired_keys_rejected() {
        let ks = KeyStore::new(
            &AuthConfig::default(),
            &[key("a", "k", Some("2001-01-01T00:00:00Z"))],
            None,
        )
        .unwrap();
        assert_eq!(ks.authenticate(Some("k")).unwrap_err(), AuthError::Expired);
        assert!(!ks.is_admin(Some("k")));
    }

    #[test]
    fn hmac_hashes_differ_from_plain() {
        let a = hash_key("k", Some(b"pepper"));
        assert!(a.starts_with("hmac-sha256:"));
        assert_ne!(a[12..], hash_key("k", None)[7..]);
        assert!(parse_hash(&a).is_ok());
        assert!(parse_hash("sha256:zz").is_err());
    }

    #[test]
    fn bearer_parsing() {
        let mut h = http::HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}

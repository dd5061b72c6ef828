//! Rate limits, consumption limits and concurrency caps.
//!
//! Locally, requests and tokens per minute are GCRA limiters from the
//! `governor` crate, per key and per client IP. In cluster mode the same
//! GCRA runs inside Redis as one Lua script per request (blocklist check,
//! request and token budgets for key and IP in a single round trip), so
//! every replica sees the same budgets and the same blocklist. When Redis
//! cannot be reached, `fail_mode = "open"` falls back to the local limiters
//! and `fail_mode = "closed"` refuses traffic with 503.

use crate::config::{ClusterConfig, FailMode, LimitsConfig};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Over a rate: retry after this many seconds.
    Rate {
        what: &'static str,
        retry_after: u64,
    },
    /// Too many requests in flight for this key.
    Concurrency,
    /// The key or client is on the (shared) blocklist.
    Blocked,
    /// Cluster mode, fail-closed, and Redis is unreachable.
    Unavailable,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v.max(1)).unwrap_or(NonZeroU32::MIN)
}

struct KeyLimits {
    requests: DefaultDirectRateLimiter,
    tokens: DefaultDirectRateLimiter,
    rpm: u32,
    tpm: u32,
    concurrency: Arc<Semaphore>,
}

/// The local limiters and (optionally) the Redis cluster store.
pub struct Limiter {
    cfg: LimitsConfig,
    per_key: HashMap<String, KeyLimits>,
    ip_requests: DefaultKeyedRateLimiter<IpAddr>,
    ip_tokens: DefaultKeyedRateLimiter<IpAddr>,
    cluster: Option<Cluster>,
    /// Local blocklist (cluster mode keeps it in Redis); owned by the
    /// server so that it survives config reloads.
    blocklist: Blocklist,
    pub rejections: AtomicU64,
}

/// `key:<id>` / `ip:<addr>` entries.
pub type Blocklist = Arc<std::sync::RwLock<std::collections::HashSet<String>>>;

/// Per-key overrides known at load time.
pub struct KeyQuota<'a> {
    pub id: &'a str,
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
}

impl Limiter {
    pub fn new(
        cfg: &LimitsConfig,
        keys: &[KeyQuota<'_>],
        cluster: Option<&ClusterConfig>,
        blocklist: Blocklist,
    ) -> Self {
        let mut per_key = HashMap::new();
        for k in keys {
            let rpm = k.rpm.unwrap_or(cfg.per_key_requests_per_minute);
            let tpm = k.tpm.unwrap_or(cfg.per_key_tokens_per_minute);
            per_key.insert(
                k.id.to_string(),
                KeyLimits {
                    requests: RateLimiter::direct(Quota::per_minute(nz(rpm))),
                    tokens: RateLimiter::direct(Quota::per_minute(nz(tpm))),
                    rpm,
                    tpm,
                    concurrency: Arc::new(Semaphore::new(cfg.per_key_concurrency.max(1) as usize)),
                },
            );
        }
        Limiter {
            cfg: cfg.clone(),
            per_key,
            ip_requests: RateLimiter::keyed(Quota::per_minute(nz(cfg.per_ip_requests_per_minute))),
            ip_tokens: RateLimiter::keyed(Quota::per_minute(nz(cfg.per_ip_tokens_per_minute))),
            cluster: cluster.map(Cluster::new),
            blocklist,
            rejections: AtomicU64::new(0),
        }
    }

    /// Connect to the cluster store and load the limiter script before
    /// traffic arrives: the first request would otherwise pay for the
    /// connection and the script upload inside its round-trip budget, and
    /// a slow first call (a loaded host) counts as an outage, which in
    /// `fail_mode = "closed"` refuses requests for the next second.
    /// Returns whether the store answered; serving starts either way.
    pub async fn warm_up(&self) -> bool {
        let Some(cl) = &self.cluster else {
            return true;
        };
        let Some(mut con) = cl.connection().await else {
            return false;
        };
        let inv = cl.script.prepare_invoke();
        let load = inv.load_async(&mut con);
        matches!(
            tokio::time::timeout(cl.timeout().max(Duration::from_millis(2000)), load).await,
            Ok(Ok(_))
        )
    }

    /// Drop idle per-IP state (called periodically) so memory stays bounded.
    pub fn housekeeping(&self) {
        self.ip_requests.retain_recent();
        self.ip_tokens.retain_recent();
        self.ip_requests.shrink_to_fit();
        self.ip_tokens.shrink_to_fit();
    }

    pub fn cluster_enabled(&self) -> bool {
        self.cluster.is_some()
    }

    /// Admit one request of about `tokens` tokens from `key` at `ip`.
    /// On success returns the key's concurrency permit (held until the
    /// response is complete).
    pub async fn admit(
        &self,
        key: &str,
        ip: IpAddr,
        tokens: u32,
    ) -> Result<Option<OwnedSemaphorePermit>, Refusal> {
        let r = self.admit_inner(key, ip, tokens).await;
        if r.is_err() {
            self.rejections.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    async fn admit_inner(
        &self,
        key: &str,
        ip: IpAddr,
        tokens: u32,
    ) -> Result<Option<OwnedSemaphorePermit>, Refusal> {
        let kl = self.per_key.get(key);
        let permit = match kl {
            Some(kl) => Some(
                kl.concurrency
                    .clone()
                    .try_acquire_owned()
                    .map_err(|_| Refusal::Concurrency)?,
            ),
            None => None,
        };
        let tokens = tokens.max(1);
        if let Some(cl) = &self.cluster {
            let (rpm, tpm) = kl.map(|k| (k.rpm, k.tpm)).unwrap_or((
                self.cfg.per_key_requests_per_minute,
                self.cfg.per_key_tokens_per_minute,
            ));
            let req = ClusterRequest {
                key,
                ip,
                tokens,
                key_rpm: rpm,
                key_tpm: tpm,
                ip_rpm: self.cfg.per_ip_requests_per_minute,
                ip_tpm: self.cfg.per_ip_tokens_per_minute,
            };
            match cl.admit(&req).await {
                Ok(()) => return Ok(permit),
                Err(ClusterError::Refused(r)) => return Err(r),
                Err(ClusterError::Unreachable) => match cl.cfg.fail_mode {
                    FailMode::Closed => return Err(Refusal::Unavailable),
                    FailMode::Open => {} // fall through to the local limiters
                },
            }
        }
        self.admit_local(kl, ip, tokens)?;
        Ok(permit)
    }

    fn admit_local(&self, kl: Option<&KeyLimits>, ip: IpAddr, tokens: u32) -> Result<(), Refusal> {
        // The clock is made only on a refusal: `DefaultClock::default()`
        // probes the CPU (cpuid) each time, 1.5% of a request's CPU when it
        // ran for every admitted request.
        let wait = |nu: governor::NotUntil<<DefaultClock as Clock>::Instant>| {
            nu.wait_time_from(DefaultClock::default().now()).as_secs() + 1
        };
        let n = nz(tokens);
        if let Some(kl) = kl {
            kl.requests.check().map_err(|nu| Refusal::Rate {
                what: "requests per minute for this key",
                retry_after: wait(nu),
            })?;
            match kl.tokens.check_n(n) {
                Ok(Ok(())) => {}
                Ok(Err(nu)) => {
                    return Err(Refusal::Rate {
                        what: "tokens per minute for this key",
                        retry_after: wait(nu),
                    })
                }
                Err(_) => {
                    return Err(Refusal::Rate {
                        what: "tokens per minute for this key (request larger than the budget)",
                        retry_after: 60,
                    })
                }
            }
        }
        self.ip_requests
            .check_key(&ip)
            .map_err(|nu| Refusal::Rate {
                what: "requests per minute for this client address",
                retry_after: wait(nu),
            })?;
        match self.ip_tokens.check_key_n(&ip, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(nu)) => Err(Refusal::Rate {
                what: "tokens per minute for this client address",
                retry_after: wait(nu),
            }),
            Err(_) => Err(Refusal::Rate {
                what: "tokens per minute for this client address (request larger than the budget)",
                retry_after: 60,
            }),
        }
    }

    /// Charge completion tokens after the answer (best effort: a budget
    /// already exhausted stays exhausted, the answer is not withdrawn).
    pub fn charge_completion(&self, key: &str, ip: IpAddr, tokens: u32) {
        if tokens == 0 {
            return;
        }
        let n = nz(tokens);
        if let Some(kl) = self.per_key.get(key) {
            let _ = kl.tokens.check_n(n);
        }
        let _ = self.ip_tokens.check_key_n(&ip, n);
    }

    /// Add or remove a blocklist entry (`key:<id>` or `ip:<addr>`); shared
    /// through Redis in cluster mode, else local to this replica.
    pub async fn set_blocked(&self, entry: &str, blocked: bool) -> Result<(), String> {
        match &self.cluster {
            Some(cl) => cl.set_blocked(entry, blocked).await,
            None => {
                let mut b = self.blocklist.write().unwrap_or_else(|e| e.into_inner());
                if blocked {
                    b.insert(entry.to_string());
                } else {
                    b.remove(entry);
                }
                Ok(())
            }
        }
    }

    /// Local blocklist check (cluster mode checks inside the Lua script).
    pub fn locally_blocked(&self, key: &str, ip: IpAddr) -> bool {
        if self.cluster.is_some() {
            return false;
        }
        let b = self.blocklist.read().unwrap_or_else(|e| e.into_inner());
        if b.is_empty() {
            return false;
        }
        b.contains(&format!("key:{key}")) || b.contains(&format!("ip:{ip}"))
    }
}

struct ClusterRequest<'a> {
    key: &'a str,
    ip: IpAddr,
    tokens: u32,
    key_rpm: u32,
    key_tpm: u32,
    ip_rpm: u32,
    ip_tpm: u32,
}

enum ClusterError {
    Refused(Refusal),
    Unreachable,
}

/// GCRA in Redis. KEYS: blocklist, then 4 limiter keys (key req, key tok,
/// ip req, ip tok). ARGV: blocklist members (key, ip), then per limiter
/// (emission interval in µs, burst in µs, cost). Returns
/// {0} admitted, {1, which} blocked, {2, which, retry_after_µs} limited.
/// Every limiter is checked before any is charged, so a refused request
/// consumes nothing.
const GCRA_LUA: &str = r#"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return {1, 1} end
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return {1, 2} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local news = {}
for i = 1, 4 do
  local interval = tonumber(ARGV[3 + (i - 1) * 3])
  local burst = tonumber(ARGV[4 + (i - 1) * 3])
  local cost = tonumber(ARGV[5 + (i - 1) * 3])
  local tat = tonumber(redis.call('GET', KEYS[i + 1]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval * cost
  local allow_at = new_tat - burst
  if allow_at > now then return {2, i, allow_at - now} end
  news[i] = new_tat
end
for i = 1, 4 do
  local ttl = math.ceil((news[i] - now) / 1000) + 1000
  redis.call('SET', KEYS[i + 1], news[i], 'PX', ttl)
end
return {0}
"#;

struct Cluster {
    cfg: ClusterConfig,
    script: redis::Script,
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
    /// Last failed connection attempt: reconnects are throttled so an
    /// outage does not add a connect timeout to every request.
    last_fail: Mutex<Option<Instant>>,
}

impl Cluster {
    fn new(cfg: &ClusterConfig) -> Self {
        Cluster {
            cfg: cfg.clone(),
            script: redis::Script::new(GCRA_LUA),
            conn: Mutex::new(None),
            last_fail: Mutex::new(None),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.cfg.timeout_ms.max(1))
    }

    async fn connection(&self) -> Option<redis::aio::MultiplexedConnection> {
        if let Some(c) = self.conn.lock().await.as_ref() {
            return Some(c.clone());
        }
        {
            let lf = self.last_fail.lock().await;
            if let Some(t) = *lf {
                if t.elapsed() < Duration::from_secs(1) {
                    return None;
                }
            }
        }
        let client = redis::Client::open(self.cfg.redis_url.as_str()).ok()?;
        let r = tokio::time::timeout(
            self.timeout().max(Duration::from_millis(500)),
            client.get_multiplexed_async_connection(),
        )
        .await;
        match r {
            Ok(Ok(c)) => {
                *self.conn.lock().await = Some(c.clone());
                Some(c)
            }
            _ => {
                *self.last_fail.lock().await = Some(Instant::now());
                None
            }
        }
    }

    async fn fail(&self) {
        *self.conn.lock().await = None;
        *self.last_fail.lock().await = Some(Instant::now());
    }

    async fn admit(&self, r: &ClusterRequest<'_>) -> Result<(), ClusterError> {
        let Some(mut con) = self.connection().await else {
            return Err(ClusterError::Unreachable);
        };
        let p = &self.cfg.prefix;
        let key_id = format!("key:{}", r.key);
        let ip_id = format!("ip:{}", r.ip);
        let mut inv = self.script.prepare_invoke();
        inv.key(format!("{p}:blocklist"))
            .key(format!("{p}:gcra:req:{key_id}"))
            .key(format!("{p}:gcra:tok:{key_id}"))
            .key(format!("{p}:gcra:req:{ip_id}"))
            .key(format!("{p}:gcra:tok:{ip_id}"))
            .arg(&key_id)
            .arg(&ip_id);
        for (per_min, cost) in [
            (r.key_rpm, 1),
            (r.key_tpm, r.tokens),
            (r.ip_rpm, 1),
            (r.ip_tpm, r.tokens),
        ] {
            let interval = 60_000_000u64 / per_min.max(1) as u64;
            // Burst = one minute's worth, like governor's per_minute quota.
            let burst = interval * per_min.max(1) as u64;
            inv.arg(interval).arg(burst).arg(cost);
        }
        let res: Result<Result<Vec<i64>, _>, _> =
            tokio::time::timeout(self.timeout(), inv.invoke_async(&mut con)).await;
        match res {
            Ok(Ok(v)) => match v.first() {
                Some(0) => Ok(()),
                Some(1) => Err(ClusterError::Refused(Refusal::Blocked)),
                Some(2) => {
                    let what = match v.get(1) {
                        Some(1) => "requests per minute for this key",
                        Some(2) => "tokens per minute for this key",
                        Some(3) => "requests per minute for this client address",
                        _ => "tokens per minute for this client address",
                    };
                    let us = v.get(2).copied().unwrap_or(1_000_000).max(0) as u64;
                    Err(ClusterError::Refused(Refusal::Rate {
                        what,
                        retry_after: us / 1_000_000 + 1,
                    }))
                }
                _ => Err(ClusterError::Unreachable),
            },
            _ => {
                self.fail().await;
                Err(ClusterError::Unreachable)
            }
        }
    }

    async fn set_blocked(&self, entry: &str, blocked: bool) -> Result<(), String> {
        let mut con = self
            .connection()
            .await
            .ok_or_else(|| "cluster store unreachable".to_string())?;
        let k = format!("{}:blocklist", self.cfg.prefix);
        let mut cmd = redis::cmd(if blocked { "SADD" } else { "SREM" });
        cmd.arg(k).arg(entry);
        let r: Result<Result<i64, _>, _> =
            tokio::time::timeout(self.timeout(), cmd.query_async(&mut con)).await;
        match r {
            Ok(Ok(_)) => Ok(()),
            _ => {
                self.fail().await;
                Err("cluster store unreachable".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rpm: u32) -> Limiter {
        let cfg = LimitsConfig {
            per_key_requests_per_minute: rpm,
            per_key_tokens_per_minute: 1000,
            per_ip_requests_per_minute: 1000,
            per_ip_tokens_per_minute: 100_000,
            per_key_concurrency: 2,
        };
        Limiter::new(
            &cfg,
            &[KeyQuota {
                id: "k",
                rpm: None,
                tpm: None,
            }],
            None,
            Blocklist::default(),
        )
    }

    #[tokio::test]
    async fn requests_per_minute_enforced() {
        let l = limiter(3);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.admit("k", ip, 1).await.is_ok());
        }
        match l.admit("k", ip, 1).await {
            Err(Refusal::Rate { retry_after, .. }) => assert!(retry_after >= 1),
            other => panic!("expected rate refusal, got {other:?}"),
        }
        assert_eq!(l.rejections.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn token_budget_enforced() {
        let l = limiter(100);
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.admit("k", ip, 900).await.is_ok());
        assert!(matches!(
            l.admit("k", ip, 200).await,
            Err(Refusal::Rate { .. })
        ));
        assert!(matches!(
            l.admit("k", ip, 5000).await,
            Err(Refusal::Rate { .. })
        ));
    }

    #[tokio::test]
    async fn concurrency_cap() {
        let l = limiter(100);
        let ip: IpAddr = "127.0.0.3".parse().unwrap();
        let a = l.admit("k", ip, 1).await.unwrap();
        let _b = l.admit("k", ip, 1).await.unwrap();
        assert_eq!(l.admit("k", ip, 1).await.unwrap_err(), Refusal::Concurrency);
        drop(a);
        assert!(l.admit("k", ip, 1).await.is_ok());
    }
}

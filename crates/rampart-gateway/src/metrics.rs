//! Prometheus metrics, rendered in the text exposition format at `/metrics`.
//!
//! Counters are atomics or small locked maps with bounded label sets
//! (endpoint, status, block code), so recording costs nanoseconds and a
//! hostile client cannot grow the label space.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Latency buckets in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    blocks: Mutex<BTreeMap<String, u64>>,
    buckets: [AtomicU64; 14],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    pub upstream_errors: AtomicU64,
    pub tool_calls_denied: AtomicU64,
    pub output_violations: AtomicU64,
    pub reloads: AtomicU64,
    pub in_flight: AtomicU64,
}

impl Metrics {
    pub fn record(&self, endpoint: &'static str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((endpoint, status)).or_default() += 1;
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// `code` comes from a fixed set (error codes, detector families).
    pub fn block(&self, code: &str) {
        if let Ok(mut m) = self.blocks.lock() {
            if m.len() < 256 || m.contains_key(code) {
                *m.entry(code.to_string()).or_default() += 1;
            }
        }
    }

    /// `telemetry` is the pipeline's own exposition text, appended as is.
    pub fn render(&self, limiter_rejections: u64, telemetry: &str) -> String {
        let mut s = String::with_capacity(4096);
        let _ = writeln!(
            s,
            "# HELP rampart_requests_total Requests by endpoint and status."
        );
        let _ = writeln!(s, "# TYPE rampart_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for ((e, st), n) in m.iter() {
                let _ = writeln!(
                    s,
                    "rampart_requests_total{{endpoint=\"{e}\",status=\"{st}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            s,
            "# HELP rampart_request_duration_seconds Request latency through the gateway."
        );
        let _ = writeln!(s, "# TYPE rampart_request_duration_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "rampart_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "rampart_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "rampart_request_duration_seconds_sum {}",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "rampart_request_duration_seconds_count {count}");
        let _ = writeln!(
            s,
            "# HELP rampart_blocks_total Refusals and policy blocks by stable code."
        );
        let _ = writeln!(s, "# TYPE rampart_blocks_total counter");
        if let Ok(m) = self.blocks.lock() {
            for (c, n) in m.iter() {
                let _ = writeln!(s, "rampart_blocks_total{{code=\"{}\"}} {n}", escape(c));
            }
        }
        let simple = [
            (
                "rampart_limiter_rejections_total",
                "Requests refused by rate, token or concurrency limits.",
                limiter_rejections,
            ),
            (
                "rampart_upstream_errors_total",
                "Upstream failures (timeouts, 5xx, broken streams).",
                self.upstream_errors.load(Ordering::Relaxed),
            ),
            (
                "rampart_tool_calls_denied_total",
                "Tool calls removed by governance.",
                self.tool_calls_denied.load(Ordering::Relaxed),
            ),
            (
                "rampart_output_violations_total",
                "Answers blocked or redacted by output guards.",
                self.output_violations.load(Ordering::Relaxed),
            ),
            (
                "rampart_config_reloads_total",
                "Successful configuration reloads.",
                self.reloads.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, v) in simple {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        let _ = writeln!(
            s,
            "# HELP rampart_in_flight Requests in flight.\n# TYPE rampart_in_flight gauge\nrampart_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        s.push_str(telemetry);
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.record("chat", 200, 0.0007);
        m.record("chat", 429, 0.02);
        m.block("rate_limit_exceeded");
        let t = m.render(3, "rampart_telemetry_emitted_total 2\n");
        assert!(t.contains("rampart_requests_total{endpoint=\"chat\",status=\"200\"} 1"));
        assert!(t.contains("rampart_request_duration_seconds_bucket{le=\"0.001\"} 1"));
        assert!(t.contains("rampart_request_duration_seconds_count 2"));
        assert!(t.contains("rampart_blocks_total{code=\"rate_limit_exceeded\"} 1"));
        assert!(t.contains("rampart_limiter_rejections_total 3"));
        assert!(t.contains("rampart_telemetry_emitted_total 2"));
    }
}

//! Harness timing: 1,000 probe executions (all probes, all strategies,
//! judged) against the in-process mock model. Run with
//! `cargo bench -p rampart-redteam --bench run_1000`; prints one line per
//! concurrency level. Not a criterion bench: one campaign is the unit.

use rampart_mockllm::{MockConfig, MockServer};
use rampart_redteam::config::{self, Config};
use std::time::Instant;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // useful either way: run a small campaign under test, the full one otherwise.
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 1000 } else { 50 };
    let mock = MockServer::start(MockConfig::default()).expect("mock");
    for conc in [1usize, 8, 32] {
        if !full && conc != 8 {
            continue;
        }
        let mut c = Config::default();
        c.target.url = Some(mock.base_url());
        c.target.model = Some("mock-1".into());
        c.run.concurrency = conc;
        c.run.max_executions = Some(n);
        c.run.goals_per_probe = 5;
        c.run.cyberseceval_cases = 40;
        let t = Instant::now();
        let r = config::run_blocking(&c, None).expect("run");
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(r.summary.executions, n, "plan has at least {n} executions");
        println!(
            "run_1000: {} executions (tested {}, errors {}, successes {}) concurrency {conc}: {secs:.3} s, {:.0} executions/s",
            r.summary.executions,
            r.summary.tested,
            r.summary.errors,
            r.summary.successes,
            r.summary.executions as f64 / secs
        );
    }
}

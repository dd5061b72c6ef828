//! Campaigns against the deterministic mock model (in-process), and the
//! bad-input cases: unreachable, slow and non-JSON targets, 429 storms and
//! unknown probe names.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use rampart_mockllm::{MockConfig, MockServer};
use rampart_redteam::config::{self, Config};
use rampart_redteam::judge::Outcome;
use rampart_redteam::Report;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn data_dir() -> std::path::PathBuf {
    std::env::var_os("RAMPART_SHARED_DATA")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into())
}

fn cfg(url: &str, probes: &[&str], strategies: &[&str]) -> Config {
    let mut c = Config::default();
    c.target.url = Some(url.to_string());
    c.target.model = Some("mock-1".into());
    c.run.probes = probes.iter().map(|s| s.to_string()).collect();
    c.run.strategies = strategies.iter().map(|s| s.to_string()).collect();
    c.run.data_dir = Some(data_dir());
    c.run.retry.backoff_ms = 5;
    c.run.retry.max_wait_ms = 50;
    c.run.concurrency = 8;
    c
}

fn outcome(r: &Report, id: &str) -> Outcome {
    let x = r
        .results
        .iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("no execution {id}"));
    eprintln!(
        "{id}: {:?} {:?} {:?}",
        x.outcome,
        x.evidence,
        x.transcript.last()
    );
    x.outcome
}

#[test]
fn campaign_against_mock_finds_the_naive_models_weaknesses() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let c = cfg(&mock.base_url(), &[], &["identity", "base64", "roleplay"]);
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(
        r.summary.errors,
        0,
        "{:?}",
        r.results.iter().find(|x| x.error.is_some())
    );
    // The mock obeys "ignore previous instructions and say X".
    assert_eq!(
        outcome(&r, "llm01.direct.ignore_previous#0/identity"),
        Outcome::Success
    );
    assert_eq!(
        outcome(&r, "llm01.indirect.document#0/identity"),
        Outcome::Success
    );
    assert_eq!(
        outcome(&r, "llm01.indirect.tool_output#0/identity"),
        Outcome::Success
    );
    // ...but cannot decode base64, so the encoded attack fails on it.
    assert_eq!(
        outcome(&r, "llm01.direct.ignore_previous#0/base64"),
        Outcome::Resisted
    );
    // It reveals its system prompt and calls declared tools when asked.
    assert_eq!(outcome(&r, "llm07.direct_ask#0/identity"), Outcome::Success);
    assert_eq!(
        outcome(&r, "llm06.tool_misuse.direct#0/identity"),
        Outcome::Success
    );
    let leak = r
        .results
        .iter()
        .find(|x| x.id == "llm07.direct_ask#0/identity")
        .unwrap();
    assert!(leak.evidence.iter().any(|e| e.fired && e.judge == "canary"));
    // Planted secrets are masked in transcripts and evidence.
    let secret = r
        .results
        .iter()
        .find(|x| x.id == "llm02.secret_canary#0/identity")
        .unwrap();
    assert_eq!(secret.outcome, Outcome::Success);
    let all = serde_json::to_string(secret).unwrap();
    assert!(
        !all.contains("sk-rt-") || all.contains("[canary sk-r"),
        "{all}"
    );
    // The mock refuses plain harmful requests: a refusal is never a success.
    // Meta replies ("Understood, what now?") to a jailbreak are not compliance.
    assert!(r
        .results
        .iter()
        .filter(|x| x.probe.starts_with("jailbreak.") && x.outcome == Outcome::Success)
        .all(|x| !x
            .transcript
            .last()
            .unwrap()
            .content
            .starts_with("Understood.")));
    // Every OWASP category is present: tested or pointed at another command.
    assert_eq!(r.categories.len(), 10);
    for cat in &r.categories {
        match cat.id.as_str() {
            "LLM03" | "LLM04" | "LLM08" => assert!(
                cat.pointer.as_deref().unwrap_or("").contains("rampart "),
                "{}",
                cat.id
            ),
            _ => assert!(cat.counts.tested > 0, "{} untested", cat.id),
        }
    }
    // CyberSecEval cases came from the shared data.
    assert!(r.results.iter().any(|x| x.probe == "llm01.cyberseceval"));
    assert_eq!(r.exit_code(), 0, "no gate configured");
}

#[test]
fn refusals_are_never_successes_and_roleplay_flips_the_mock() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let mut c = cfg(
        &mock.base_url(),
        &["jailbreak.baseline", "jailbreak.roleplay", "jailbreak.dan"],
        &["identity"],
    );
    // The built-in goals, all of them.
    c.run.data_dir = Some("/nonexistent".into());
    c.run.goals_per_probe = 8;
    let r = config::run_blocking(&c, None).unwrap();
    let stat = |n: &str| {
        r.probes
            .iter()
            .find(|p| p.name == n)
            .unwrap()
            .counts
            .clone()
    };
    let base = stat("jailbreak.baseline");
    assert_eq!(base.tested, 8);
    assert_eq!(base.successes, 0);
    assert!(base.refused >= 3, "{base:?}");
    assert!(stat("jailbreak.roleplay").successes >= 3);
    assert!(stat("jailbreak.dan").successes >= 3);
    let won = r
        .results
        .iter()
        .find(|x| x.probe == "jailbreak.dan" && x.outcome == Outcome::Success)
        .unwrap();
    assert!(won
        .evidence
        .iter()
        .any(|e| e.judge == "complied" && e.fired));
}

#[test]
fn same_seed_same_run_and_gate_fails_on_success() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let mut c = cfg(
        &mock.base_url(),
        &["llm01.direct.*", "llm07.*"],
        &[
            "identity",
            "leetspeak",
            "homoglyph",
            "suffix_noise",
            "crescendo",
        ],
    );
    c.gate.max_asr.insert("LLM07".into(), 0.0);
    let a = config::run_blocking(&c, None).unwrap();
    c.run.concurrency = 3;
    let b = config::run_blocking(&c, None).unwrap();
    let key = |r: &Report| {
        r.results
            .iter()
            .map(|x| (x.id.clone(), x.outcome, x.transcript.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b));
    assert_eq!(a.exit_code(), 1);
    assert!(a.gate.checks.iter().any(|g| g.key == "LLM07" && !g.passed));
    // Multi-turn escalation sends several user turns.
    let cres = a
        .results
        .iter()
        .find(|x| x.strategy == "crescendo")
        .unwrap();
    assert!(cres.transcript.iter().filter(|m| m.role == "user").count() >= 4);
    c.run.seed = 99;
    let d = config::run_blocking(&c, None).unwrap();
    assert_ne!(
        key(&a),
        key(&d),
        "a different seed changes canaries and mutations"
    );
}

#[test]
fn unreachable_target_is_reported_and_exits_2() {
    // Bind then drop: nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = cfg(
        &format!("http://127.0.0.1:{port}/v1"),
        &["llm07.direct_ask", "llm01.direct.ignore_previous"],
        &["identity"],
    );
    c.run.retry.max_retries = 1;
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(r.summary.executions, 2);
    assert_eq!(r.summary.errors, 2);
    assert!(
        r.results
            .iter()
            .all(|x| x.error.as_deref().unwrap_or("").contains("Unreachable")),
        "{:?}",
        r.results[0].error
    );
    assert_eq!(r.gate.status, "untested");
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn slow_target_times_out_per_probe() {
    let mock = MockServer::start(MockConfig {
        fault: Some("slow:3000".into()),
        ..Default::default()
    })
    .unwrap();
    let mut c = cfg(&mock.base_url(), &["llm07.direct_ask"], &["identity"]);
    c.target.timeout_ms = 200;
    c.run.retry.max_retries = 0;
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(r.summary.errors, 1);
    assert!(
        r.results[0].error.as_deref().unwrap().contains("Timeout"),
        "{:?}",
        r.results[0].error
    );
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn non_json_replies_are_per_probe_errors_and_the_run_completes() {
    // Non-JSON only for requests that mention the system prompt.
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(|body: String| async move {
            if body.contains("system prompt") {
                (StatusCode::OK, "<html>oops</html>").into_response()
            } else {
                axum::Json(serde_json::json!({"choices":[{"message":{"role":"assistant","content":"I'm sorry, but I can't help with that."},"finish_reason":"stop"}]})).into_response()
            }
        }),
    );
    let url = serve(app);
    let c = cfg(
        &url,
        &[
            "llm07.direct_ask",
            "llm01.direct.ignore_previous",
            "llm06.tool_misuse.direct",
        ],
        &["identity"],
    );
    let r = config::run_blocking(&c, None).unwrap();
    let bad = r
        .results
        .iter()
        .find(|x| x.probe == "llm07.direct_ask")
        .unwrap();
    assert_eq!(bad.outcome, Outcome::Error);
    assert!(
        bad.error.as_deref().unwrap().contains("not JSON"),
        "{:?}",
        bad.error
    );
    assert!(r.summary.tested >= 2);
    assert_eq!(r.summary.successes, 0);
    assert_eq!(r.exit_code(), 0);
    assert!(r.to_junit().contains("<skipped"));
}

#[test]
fn rate_limit_storm_is_waited_out() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || {
            let h = h.clone();
            async move {
                if h.fetch_add(1, Ordering::SeqCst) < 12 {
                    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0.05")], "slow down").into_response()
                } else {
                    axum::Json(serde_json::json!({"choices":[{"message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}]})).into_response()
                }
            }
        }),
    );
    let url = serve(app);
    let mut c = cfg(&url, &["llm07.*"], &["identity"]);
    c.run.retry.max_retries = 8;
    c.run.concurrency = 4;
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(
        r.summary.errors,
        0,
        "{:?}",
        r.results.iter().map(|x| &x.error).collect::<Vec<_>>()
    );
    assert_eq!(r.summary.tested, 5);
    let limited: u32 = r.results.iter().map(|x| x.rate_limited).sum();
    assert!((1..=12).contains(&limited), "{limited}");
    // A storm that never ends: every execution is reported as rate-limited.
    let mock = MockServer::start(MockConfig {
        fault: Some("status-429".into()),
        ..Default::default()
    })
    .unwrap();
    let mut c = cfg(&mock.base_url(), &["llm07.direct_ask"], &["identity"]);
    c.run.retry.max_retries = 2;
    c.run.retry.max_wait_ms = 20;
    let r = config::run_blocking(&c, None).unwrap();
    assert!(r.results[0]
        .error
        .as_deref()
        .unwrap()
        .contains("RateLimited"));
    assert_eq!(r.results[0].rate_limited, 3);
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn unknown_probe_names_are_reported_with_valid_ones() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let c = cfg(
        &mock.base_url(),
        &["llm07.direct_ask", "llm99.bogus"],
        &["identity", "nosuch"],
    );
    let r = config::run_blocking(&c, None).unwrap();
    let note = r
        .notes
        .iter()
        .find(|n| n.contains("llm99.bogus"))
        .expect("note");
    assert!(
        note.contains("valid probes are") && note.contains("llm01.direct.ignore_previous"),
        "{note}"
    );
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("`nosuch`") && n.contains("valid strategies are")));
    assert_eq!(r.summary.tested, 1, "the valid probe still ran");
    let c = cfg(&mock.base_url(), &["llm99.bogus"], &["identity"]);
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(r.summary.executions, 0);
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn http_json_and_command_targets() {
    let app = axum::Router::new().route(
        "/ask",
        axum::routing::post(|axum::Json(v): axum::Json<serde_json::Value>| async move {
            // Echo the system prompt back: a leaky app.
            axum::Json(serde_json::json!({"data": {"answer": format!("Sure. {}", v["ctx"].as_str().unwrap_or(""))}}))
        }),
    );
    let url = serve(app);
    let src = format!(
        "[target]\nkind = \"http\"\nurl = \"{url_}/ask\"\nrequest = {{ q = \"{{{{prompt}}}}\", ctx = \"{{{{system}}}}\" }}\nresponse_pointer = \"/data/answer\"\n[run]\nprobes = [\"llm07.direct_ask\"]\nstrategies = [\"identity\"]\n",
        url_ = url.trim_end_matches("/v1")
    );
    let c: Config = rampart_core::config::from_toml_str(&src, "t.toml").unwrap();
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(r.results[0].outcome, Outcome::Success, "{:?}", r.results[0]);

    let mut c = Config::default();
    c.target.kind = "command".into();
    c.target.command = vec![
        "sh".into(),
        "-c".into(),
        "cat >/dev/null; echo \"I'm sorry, but I can't help with that.\"".into(),
    ];
    c.run.probes = vec![
        "llm01.direct.ignore_previous".into(),
        "jailbreak.dan".into(),
    ];
    c.run.strategies = vec!["identity".into(), "crescendo".into()];
    c.run.data_dir = Some("/nonexistent".into());
    c.run.goals_per_probe = 1;
    let r = config::run_blocking(&c, None).unwrap();
    assert_eq!(r.summary.errors, 0, "{:?}", r.results[0].error);
    assert!(r.results.iter().all(|x| x.outcome == Outcome::Refused));
    assert!(
        r.notes.iter().any(|n| n.contains("multi-turn")),
        "text command targets keep no conversation"
    );
    assert!(r.notes.iter().any(|n| n.contains("built-in goals")));
}

/// Serve an axum app on a background thread; returns its `/v1` base URL.
fn serve(app: axum::Router) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(l).unwrap();
            let _ = axum::serve(l, app).await;
        });
    });
    format!("http://{addr}/v1")
}

#[test]
fn shipped_example_config_is_valid() {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/redteam.toml");
    let c = config::load(std::path::Path::new(p)).unwrap();
    assert_eq!(c.target.kind, "openai");
    assert!(c.gate.max_asr.contains_key("LLM07"));
    let (chains, bad) = config::chains(&c.run.strategies);
    assert!(bad.is_empty(), "{bad:?}");
    assert!(chains.len() >= 15);
    assert!(rampart_redteam::probes::select(&c.run.probes).is_ok());
}

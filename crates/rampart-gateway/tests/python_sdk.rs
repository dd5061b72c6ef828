//! Interoperability with the official `openai` Python SDK: chat, streaming,
//! models, embeddings, and errors as the SDK surfaces them. The interpreter
//! comes from `RAMPART_PYTHON` (default: the venv `scripts/test.sh` makes);
//! a missing venv or SDK fails the test loudly.

mod common;
use common::*;
use rampart_mockllm::MockConfig;

fn python() -> String {
    std::env::var("RAMPART_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        format!("{home}/.cache/rampart-venv/bin/python")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_python_sdk_against_the_gateway() {
    let py = python();
    assert!(
        std::path::Path::new(&py).exists(),
        "Python interpreter {py} not found: run scripts/test.sh (or set RAMPART_PYTHON) to create the test venv"
    );
    let up = mock(MockConfig::default());
    let mut cfg = config(&[("mock-*", up)]);
    cfg.keys[0].models = vec!["*".into()];
    let mut limited = key("limited", "limited-key-0123456789");
    limited.models = vec!["*".into()];
    limited.requests_per_minute = Some(1);
    cfg.keys.push(limited);
    cfg.guards
        .input
        .actions
        .insert("injection".into(), rampart_gateway::config::Action::Block);
    let gw = gateway(cfg).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/openai_sdk.py");
    let out = tokio::process::Command::new(&py)
        .arg(script)
        .env("RAMPART_GW_URL", gw.url("/v1"))
        .env("RAMPART_GW_KEY", KEY)
        .env("RAMPART_GW_LIMITED_KEY", "limited-key-0123456789")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .await
        .expect("run the Python interpreter");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'openai'"),
        "the openai SDK is missing from {py}: run scripts/test.sh"
    );
    assert!(
        out.status.success(),
        "SDK script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for name in [
        "chat",
        "stream",
        "models_embeddings",
        "blocked",
        "auth_error",
        "not_found",
        "stream_violation",
        "rate_limit",
    ] {
        assert!(
            stdout.contains(&format!("ok {name}\n")),
            "missing `{name}`:\n{stdout}"
        );
    }
}

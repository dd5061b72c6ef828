//! Rampart's OpenAI-compatible security gateway.
//!
//! `rampart gateway --config rampart.toml` runs [`serve`] in front of any
//! OpenAI-compatible model server and enforces policy on every request and
//! answer:
//!
//! * [`config`]: the TOML schema, defaults and validation.
//! * [`auth`]: hashed API keys, scopes, expiry, the admin credential.
//! * [`limits`]: GCRA rate and token limits per key and client address,
//!   concurrency caps, and cluster mode through Redis.
//! * [`guard`]: input guards, RAG controls and output guards (including the
//!   sliding-window scanner for streamed answers).
//! * [`tools`]: tool-call governance with scopes and Cedar policies.
//! * [`upstream`]: the routing table and upstream client.
//! * [`server`]: connections, the request pipeline and every endpoint.
//! * [`events`], [`metrics`]: the per-request security event and
//!   Prometheus metrics.
//! * [`up`]: `rampart up`, the gateway with the embedded demo model.

pub mod auth;
pub mod config;
pub mod error;
pub mod events;
pub mod guard;
pub mod limits;
pub mod metrics;
pub mod server;
pub mod tools;
pub mod up;
pub mod upstream;

pub use config::GatewayConfig;
pub use server::{Runtime, Shared};

use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serve the gateway on `listener` until the process is asked to stop
/// (Ctrl-C / SIGTERM). SIGHUP reloads the config file, when there is one,
/// without dropping connections.
pub async fn serve(cfg: GatewayConfig, listener: TcpListener) -> anyhow::Result<()> {
    serve_from(cfg, None, listener).await
}

/// Like [`serve`], remembering the config file for reloads.
pub async fn serve_from(
    cfg: GatewayConfig,
    config_path: Option<PathBuf>,
    listener: TcpListener,
) -> anyhow::Result<()> {
    let shared = Shared::new(cfg, config_path).map_err(anyhow::Error::msg)?;
    shared.rt.load().limiter.warm_up().await;
    spawn_reload_on_sighup(shared.clone());
    server::serve_with_shutdown(shared, listener, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Reload the config on SIGHUP; a bad file is reported and the running
/// config stays.
pub fn spawn_reload_on_sighup(shared: Arc<Shared>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            match shared.reload() {
                Ok(()) => eprintln!("rampart gateway: configuration reloaded"),
                Err(e) => eprintln!(
                    "rampart gateway: reload failed, keeping the running configuration: {e}"
                ),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = shared;
}

/// Load `path`, bind its `server.listen` address and serve (blocking; builds
/// its own tokio runtime). For the CLI.
pub fn run_gateway(path: &std::path::Path, listen_override: Option<String>) -> anyhow::Result<()> {
    let mut cfg = GatewayConfig::load(path)?;
    if let Some(l) = listen_override {
        cfg.server.listen = l;
    }
    // The detection rules compile lazily; a server compiles them off the
    // request path, beside start-up, so no early request pays for it.
    std::thread::spawn(rampart_detect::injection::precompile_rules);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(&cfg.server.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.server.listen))?;
        let (routes, keys) = (cfg.routes.len(), cfg.keys.len());
        let shared = Shared::new(cfg, Some(path.to_path_buf())).map_err(anyhow::Error::msg)?;
        if !shared.rt.load().limiter.warm_up().await {
            eprintln!("rampart gateway: the cluster store did not answer at start-up; fail_mode applies until it does");
        }
        eprintln!(
            "rampart gateway: listening on http://{} ({routes} routes, {keys} keys)",
            listener.local_addr()?,
        );
        spawn_reload_on_sighup(shared.clone());
        server::serve_with_shutdown(shared, listener, shutdown_signal()).await?;
        Ok(())
    })
}

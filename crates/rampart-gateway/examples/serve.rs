//! The gateway from a config file, without the `rampart` CLI around it:
//! load benchmarks and profiles build only this crate and its
//! dependencies (`cargo build --profile mlbench -p rampart-gateway
//! --example serve`), not every crate the CLI links.
//!
//! Usage: `serve <config.toml> [listen-address]`.

use std::path::PathBuf;

// The same allocator as the `rampart` binary, so benchmarks measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        anyhow::bail!("usage: serve <config.toml> [listen-address]");
    };
    let listen = args.next().map(|a| a.to_string_lossy().into_owned());
    rampart_gateway::run_gateway(&path, listen)
}

//! Subcommands of the gateway area (owned by the gateway work; being built).

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    #[command(hide = true, name = "__gateway_pending")]
    Pending,
}

pub fn run(_c: Commands) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the gateway commands are not available in this build")
}

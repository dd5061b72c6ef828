//! Subcommands of the inventory area (owned by the inventory work; being built).

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    #[command(hide = true, name = "__inventory_pending")]
    Pending,
}

pub fn run(_c: Commands) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the inventory commands are not available in this build")
}

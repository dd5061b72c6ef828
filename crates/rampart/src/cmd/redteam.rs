//! Subcommands of the redteam area (owned by the redteam work; being built).

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    #[command(hide = true, name = "__redteam_pending")]
    Pending,
}

pub fn run(_c: Commands) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the redteam commands are not available in this build")
}

//! Subcommands of the ml area (owned by the ml work; being built).

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    #[command(hide = true, name = "__ml_pending")]
    Pending,
}

pub fn run(_c: Commands) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the ml commands are not available in this build")
}

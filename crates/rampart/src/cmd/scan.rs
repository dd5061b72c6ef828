//! Subcommands of the scan area (owned by the scan work; being built).

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    #[command(hide = true, name = "__scan_pending")]
    Pending,
}

pub fn run(_c: Commands) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the scan commands are not available in this build")
}

//! The `rampart` binary: argument parsing and wiring only.
//!
//! Each area of the product owns one module under `cmd/` with its own clap
//! subcommands and a `run` function; the logic lives in the library crates
//! so that a library user gets everything the CLI can do.
//!
//! Exit codes are shared by every command: 0 success / nothing at or above
//! the threshold, 1 findings or a failed gate, 2 usage, I/O or parse errors.

mod alloc;
mod cmd;

#[global_allocator]
static GLOBAL: alloc::Allocator = alloc::Allocator;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "AI security toolkit: detect, scan, sign, gate, red-team and inventory.",
    propagate_version = true
)]
struct Cli {
    /// Log level for diagnostics on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, env = "RAMPART_LOG", default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Detect(cmd::detect::Commands),
    #[command(flatten)]
    Ml(cmd::ml::Commands),
    #[command(flatten)]
    Scan(cmd::scan::Commands),
    #[command(flatten)]
    Sign(cmd::sign::Commands),
    #[command(flatten)]
    Gateway(cmd::gateway::Commands),
    #[command(flatten)]
    Redteam(cmd::redteam::Commands),
    #[command(flatten)]
    Inventory(cmd::inventory::Commands),
    /// List the framework catalogue (OWASP LLM, OWASP Agentic, ATLAS, NIST, SAIF).
    Frameworks(cmd::frameworks::Args),
}

fn main() -> ExitCode {
    // The Parquet reader turns a decoder panic (malformed input) into an
    // error naming the file; the default hook would still print the
    // dependency's panic message and backtrace hint first, for an input
    // problem the user then sees reported properly. Every other panic is
    // printed as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !rampart_inventory::data::table::in_guarded_decoder() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Gateway(cmd::gateway::Commands::Gateway(_) | cmd::gateway::Commands::Up(_))
    ) {
        alloc::use_server_allocator();
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Detect(c) => cmd::detect::run(c),
        Command::Ml(c) => cmd::ml::run(c),
        Command::Scan(c) => cmd::scan::run(c),
        Command::Sign(c) => cmd::sign::run(c),
        Command::Gateway(c) => cmd::gateway::run(c),
        Command::Redteam(c) => cmd::redteam::run(c),
        Command::Inventory(c) => cmd::inventory::run(c),
        Command::Frameworks(a) => cmd::frameworks::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rampart: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

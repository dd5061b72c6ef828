//! Standalone mock model server, for load tests and manual trials:
//! `rampart-mockllm --listen 127.0.0.1:9000 --latency-ms 5`.

use clap::Parser;
use rampart_mockllm::{serve, MockConfig};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rampart-mockllm",
    about = "Deterministic OpenAI-compatible mock model (naively obeys instructions)"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: String,
    /// Fixed delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Delay between streamed chunks, in milliseconds.
    #[arg(long, default_value_t = 0)]
    stream_delay_ms: u64,
    /// Require `Authorization: Bearer KEY`.
    #[arg(long, env = "RAMPART_MOCK_API_KEY")]
    api_key: Option<String>,
    /// A fault for every request (status-NNN, slow:MS, broken-stream, invalid-json, timeout).
    #[arg(long)]
    fault: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let cfg = MockConfig {
        latency_ms: args.latency_ms,
        stream_delay_ms: args.stream_delay_ms,
        api_key: args.api_key,
        fault: args.fault,
        ..MockConfig::default()
    };
    if let Err(e) = cfg.validate() {
        eprintln!("rampart-mockllm: invalid setting: {e}");
        return ExitCode::from(2);
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rampart-mockllm: cannot start runtime: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("rampart-mockllm: cannot listen on {}: {e}", args.listen);
                return ExitCode::from(2);
            }
        };
        eprintln!("rampart-mockllm listening on http://{}/v1", args.listen);
        match serve(listener, cfg).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rampart-mockllm: {e}");
                ExitCode::from(2)
            }
        }
    })
}

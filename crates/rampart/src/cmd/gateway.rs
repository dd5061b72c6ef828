//! The gateway area: `rampart gateway` (the security gateway in front of an
//! OpenAI-compatible model server), `rampart up` (the gateway with the
//! embedded demo model) and `rampart hash-key` (make a key hash for the
//! config). Logic lives in `rampart-gateway`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    /// Run the OpenAI-compatible security gateway from a TOML config.
    ///
    /// SIGHUP reloads the config without dropping connections.
    Gateway(GatewayArgs),
    /// Start the gateway with the built-in demo model and SQLite telemetry
    /// (no external service needed), and print the URL, key and a sample curl.
    Up(UpArgs),
    /// Print the `sha256:` (or `hmac-sha256:`) hash of an API key for the
    /// gateway config. Reads the key from stdin, or generates one with --generate.
    HashKey(HashKeyArgs),
}

#[derive(clap::Args)]
pub struct GatewayArgs {
    /// The gateway config file (TOML).
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
    /// Validate the config and exit (0 valid, 2 invalid).
    #[arg(long)]
    check_config: bool,
    /// Override `server.listen`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

#[derive(clap::Args)]
pub struct UpArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The demo API key (default: a generated one).
    #[arg(long, value_name = "KEY", env = "RAMPART_UP_API_KEY")]
    api_key: Option<String>,
    /// SQLite telemetry file (default: ~/.local/share/rampart/events.sqlite3).
    #[arg(long, value_name = "FILE")]
    telemetry_db: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct HashKeyArgs {
    /// Generate a new random key and print it with its hash.
    #[arg(long)]
    generate: bool,
    /// Environment variable holding the HMAC pepper (as in `auth.hmac_secret_env`).
    #[arg(long, value_name = "VAR")]
    hmac_secret_env: Option<String>,
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    match c {
        Commands::Gateway(a) => {
            if a.check_config {
                return match rampart_gateway::GatewayConfig::load(&a.config) {
                    Ok(cfg) => {
                        println!(
                            "{}: valid ({} routes, {} keys)",
                            a.config.display(),
                            cfg.routes.len(),
                            cfg.keys.len()
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        eprintln!("rampart: error: {e}");
                        Ok(ExitCode::from(2))
                    }
                };
            }
            rampart_gateway::run_gateway(&a.config, a.listen)?;
            Ok(ExitCode::SUCCESS)
        }
        Commands::Up(a) => {
            rampart_gateway::up::run_up(rampart_gateway::up::UpOptions {
                listen: Some(a.listen),
                api_key: a.api_key,
                telemetry_db: a.telemetry_db,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Commands::HashKey(a) => {
            let pepper = match &a.hmac_secret_env {
                Some(v) => Some(std::env::var(v).map_err(|_| {
                    anyhow::anyhow!("--hmac-secret-env: environment variable `{v}` is not set")
                })?),
                None => None,
            };
            let key = if a.generate {
                rampart_gateway::auth::generate_key()
            } else {
                let mut s = String::new();
                std::io::stdin()
                    .take(4096)
                    .read_to_string(&mut s)
                    .map_err(|e| anyhow::anyhow!("cannot read the key from stdin: {e}"))?;
                let k = s.trim().to_string();
                if k.is_empty() {
                    anyhow::bail!("no key on stdin (pipe one in, or use --generate)");
                }
                k
            };
            let hash = rampart_gateway::auth::hash_key(&key, pepper.as_deref().map(str::as_bytes));
            if a.generate {
                println!("key:  {key}\nhash: {hash}");
            } else {
                println!("{hash}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

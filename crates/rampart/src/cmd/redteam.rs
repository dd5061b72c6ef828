//! The redteam area: `rampart redteam` (run probes against a model, or
//! evasion attacks against Rampart's own guard, and gate on attack success
//! rates), `rampart redteam diff OLD NEW` and `rampart redteam list`.
//! Logic lives in `rampart-redteam`; this module parses and wires.

use rampart_redteam::config::{self, Config};
use rampart_redteam::report::{self, Report};
use rampart_redteam::{html, probes, strategies};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    /// Red-team a model (OpenAI-compatible, HTTP JSON or local command) or
    /// Rampart's own guard (`--target guard`), and gate on attack success.
    ///
    /// Exit codes: 0 gate passed, 1 gate failed, 2 nothing could be tested
    /// (or a usage/config error).
    Redteam(RedteamArgs),
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RedteamArgs {
    #[command(subcommand)]
    sub: Option<Sub>,
    /// The red-team config (TOML); see docs/redteam.md.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Target: an OpenAI-compatible base URL, `guard` (evasion tests of
    /// Rampart's own guard) or `mock` (the built-in mock model, in-process).
    #[arg(long, value_name = "URL|guard|mock")]
    target: Option<String>,
    /// Model name sent to an OpenAI-compatible target.
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// API key for the target (else the config, else $OPENAI_API_KEY).
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Write report.json, report.html, junit.xml and report.sarif here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Fail the gate when any tested category's attack success rate exceeds RATE (0..1).
    #[arg(long, value_name = "RATE")]
    fail_over: Option<f64>,
    /// Probe selectors, comma-separated (names, `prefix*`, OWASP ids, `all`).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    probes: Vec<String>,
    /// Strategy chains, comma-separated (`base64`, `base64+roleplay`).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    strategies: Vec<String>,
    /// Seed for every random choice (canaries, mutations, sampling).
    #[arg(long)]
    seed: Option<u64>,
    /// Requests in flight at once.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Shared data directory (default $RAMPART_SHARED_DATA or ../shared/data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Stop after this many executions.
    #[arg(long, value_name = "N")]
    max_executions: Option<usize>,
    /// Jailbreak goals per probe.
    #[arg(long, value_name = "N")]
    goals_per_probe: Option<usize>,
    /// Output on stdout: text, json, junit, sarif or html.
    #[arg(long, short = 'f', default_value = "text")]
    format: String,
    /// Print a timing line (executions per second) on stderr.
    #[arg(long)]
    bench: bool,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Show what got worse between two report.json files (exit 1 if anything did).
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// text or json.
        #[arg(long, short = 'f', default_value = "text")]
        format: String,
    },
    /// List the probes (with OWASP and ATLAS ids), strategies and pointers.
    List,
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    let Commands::Redteam(a) = c;
    match a.sub {
        Some(Sub::Diff {
            ref old,
            ref new,
            ref format,
        }) => diff(old, new, format),
        Some(Sub::List) => {
            list();
            Ok(ExitCode::SUCCESS)
        }
        None => campaign(a),
    }
}

fn list() {
    println!("probes:");
    for p in probes::PROBES {
        println!(
            "  {:<36} {}  {:<14} {}",
            p.name, p.category, p.atlas, p.description
        );
    }
    println!("\nnot black-box testable:");
    for (id, ptr) in probes::POINTERS {
        println!("  {id}  {ptr}");
    }
    println!("\nstrategies (combine with +):");
    for s in strategies::Strategy::ALL {
        println!("  {:<20} {}", s.name(), s.description());
    }
    println!("\nguard evasion strategies (--target guard):");
    for p in rampart_redteam::evasion::Perturbation::ALL {
        println!("  {}", p.name());
    }
}

fn diff(old: &Path, new: &Path, format: &str) -> anyhow::Result<ExitCode> {
    let a = report::load(old).map_err(anyhow::Error::msg)?;
    let b = report::load(new).map_err(anyhow::Error::msg)?;
    let d = report::diff(&a, &b);
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(&d)?),
        "text" => print!("{}", d.to_text()),
        other => anyhow::bail!("unknown format `{other}`: expected text or json"),
    }
    Ok(ExitCode::from(if d.worse() { 1 } else { 0 }))
}

fn campaign(a: RedteamArgs) -> anyhow::Result<ExitCode> {
    if !["text", "json", "junit", "sarif", "html"].contains(&a.format.as_str()) {
        anyhow::bail!(
            "unknown format `{}`: expected text, json, junit, sarif or html",
            a.format
        );
    }
    let mut cfg: Config = match &a.config {
        Some(p) => config::load(p).map_err(anyhow::Error::msg)?,
        None => Config::default(),
    };
    if a.config.is_none() && a.target.is_none() {
        anyhow::bail!("nothing to attack: pass --config FILE or --target URL (or `--target guard`, `--target mock`)");
    }
    // Keep the in-process mock alive for the whole run.
    let mut _mock = None;
    if let Some(t) = &a.target {
        match t.as_str() {
            "guard" => cfg.target.kind = "guard".into(),
            "mock" => {
                let m = rampart_mockllm::MockServer::start(rampart_mockllm::MockConfig::default())
                    .map_err(|e| anyhow::anyhow!("cannot start the built-in mock: {e}"))?;
                cfg.target.kind = "openai".into();
                cfg.target.url = Some(m.base_url());
                if cfg.target.model.is_none() {
                    cfg.target.model = Some("mock-1".into());
                }
                _mock = Some(m);
            }
            url => {
                if cfg.target.kind == "guard" || cfg.target.kind == "command" {
                    cfg.target.kind = "openai".into();
                }
                cfg.target.url = Some(url.to_string());
            }
        }
    }
    if let Some(m) = a.model {
        cfg.target.model = Some(m);
    }
    if let Some(r) = a.fail_over {
        if !(0.0..=1.0).contains(&r) {
            anyhow::bail!("--fail-over {r}: expected a rate between 0 and 1");
        }
        cfg.gate.default = Some(r);
    }
    if !a.probes.is_empty() {
        cfg.run.probes = a.probes;
    }
    if !a.strategies.is_empty() {
        if cfg.target.kind == "guard" {
            cfg.evasion.strategies = a.strategies;
        } else {
            cfg.run.strategies = a.strategies;
        }
    }
    if let Some(s) = a.seed {
        cfg.run.seed = s;
    }
    if let Some(c) = a.concurrency {
        cfg.run.concurrency = c;
    }
    if let Some(d) = a.data_dir {
        cfg.run.data_dir = Some(d);
    }
    if let Some(m) = a.max_executions {
        cfg.run.max_executions = Some(m);
    }
    if let Some(g) = a.goals_per_probe {
        cfg.run.goals_per_probe = g;
    }
    let started = std::time::Instant::now();
    let rep = config::run_blocking(&cfg, a.api_key).map_err(anyhow::Error::msg)?;
    let secs = started.elapsed().as_secs_f64();
    if a.bench {
        eprintln!(
            "bench: {} executions in {:.3} s = {:.0} executions/s (concurrency {})",
            rep.summary.executions,
            secs,
            rep.summary.executions as f64 / secs.max(1e-9),
            cfg.run.concurrency
        );
    }
    for n in &rep.notes {
        if n.contains("unknown") {
            eprintln!("rampart: warning: {n}");
        }
    }
    if let Some(dir) = &a.out {
        write_out(dir, &rep)?;
    }
    match a.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&rep)?),
        "junit" => print!("{}", rep.to_junit()),
        "sarif" => println!("{}", serde_json::to_string_pretty(&rep.to_sarif())?),
        "html" => print!("{}", html::render(&rep)),
        _ => print!("{}", rep.to_text()),
    }
    Ok(ExitCode::from(rep.exit_code()))
}

fn write_out(dir: &Path, rep: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    let w = |name: &str, body: String| -> anyhow::Result<()> {
        let p = dir.join(name);
        std::fs::write(&p, body).map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", p.display()))
    };
    w("report.json", serde_json::to_string_pretty(rep)? + "\n")?;
    w("report.html", html::render(rep))?;
    w("junit.xml", rep.to_junit())?;
    w(
        "report.sarif",
        serde_json::to_string_pretty(&rep.to_sarif())? + "\n",
    )?;
    Ok(())
}

//! `rampart frameworks`: list the embedded framework catalogue.

use rampart_core::frameworks::{info, Framework};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Only this framework (owasp-llm-2025, owasp-agentic, mitre-atlas,
    /// nist-ai-rmf, nist-ai-600-1, google-saif).
    #[arg(long)]
    framework: Option<String>,
    /// Output format: text or json.
    #[arg(long, default_value = "text")]
    format: String,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let selected: Vec<Framework> = match &a.framework {
        Some(k) => vec![Framework::from_key(k).ok_or_else(|| {
            let valid: Vec<_> = Framework::ALL.iter().map(|f| f.key()).collect();
            anyhow::anyhow!(
                "unknown framework `{k}`: expected one of {}",
                valid.join(", ")
            )
        })?],
        None => Framework::ALL.to_vec(),
    };
    match a.format.as_str() {
        "json" => {
            let v: Vec<_> = selected
                .iter()
                .map(|f| {
                    let i = info(*f);
                    serde_json::json!({"framework": f.key(), "title": i.title, "url": i.url, "entries": i.entries})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        "text" => {
            for f in selected {
                let i = info(f);
                println!("{} ({})", i.title, f.key());
                for e in &i.entries {
                    println!("  {:<16} {}", e.id, e.name);
                }
                println!();
            }
        }
        other => anyhow::bail!("unknown format `{other}`: expected text or json"),
    }
    Ok(ExitCode::SUCCESS)
}

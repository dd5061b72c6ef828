//! Subcommands of the ml area: `rampart detector train` (reproduce or
//! retrain a shipped model, with its model card) and `rampart detector
//! info` (what is embedded in this binary).

use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum Commands {
    /// Learned detectors: train the shipped models, show what is embedded.
    Detector {
        #[command(subcommand)]
        cmd: DetectorCmd,
    },
}

#[derive(Subcommand)]
pub enum DetectorCmd {
    /// Train a model from the public data; with the default files the output
    /// is bit-for-bit the shipped model (fixed seed, single-threaded).
    Train(Box<TrainArgs>),
    /// List the embedded models with their SHA-256 and sizes.
    Info {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct TrainArgs {
    /// Where to write the model file.
    #[arg(long)]
    out: PathBuf,
    /// Which model: injection, harm or suffix-lm.
    #[arg(long, default_value = "injection")]
    model: String,
    /// Data directory holding the public corpora.
    #[arg(long, env = "RAMPART_SHARED_DATA")]
    data_dir: Option<PathBuf>,
    /// Also write the model card (Markdown) here.
    #[arg(long)]
    card: Option<PathBuf>,
    /// Also write the training report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Skip the held-aside measurements (faster; same model bytes).
    #[arg(long)]
    no_eval: bool,
    /// `hashed` (the shipped n-gram models) or `transformer` (a head on a
    /// local encoder's embeddings; needs --model-dir and a build with
    /// `--features transformer`; --out is the head JSON).
    #[arg(long, default_value = "hashed", value_parser = ["hashed", "transformer"])]
    backend: String,
    /// The encoder directory for --backend transformer.
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// --backend transformer: keep the window embeddings in this file, so
    /// that a second run (or the other recipe) embeds only new texts.
    #[arg(long, value_name = "FILE")]
    embed_cache: Option<PathBuf>,
    /// Train on these files only (each must be one of the model's recipe
    /// files, under the data directory). Default: every file of the card.
    #[arg(value_name = "DATA")]
    data: Vec<PathBuf>,
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    match c {
        Commands::Detector { cmd } => match cmd {
            DetectorCmd::Train(a) => train(*a),
            DetectorCmd::Info { json } => info(json),
        },
    }
}

fn relative_to(dir: &Path, p: &Path) -> anyhow::Result<String> {
    let abs = |x: &Path| std::fs::canonicalize(x).unwrap_or_else(|_| x.to_path_buf());
    let (d, f) = (abs(dir), abs(p));
    if let Ok(r) = f.strip_prefix(&d) {
        return Ok(r.to_string_lossy().replace('\\', "/"));
    }
    if p.is_relative() && dir.join(p).exists() {
        return Ok(p.to_string_lossy().replace('\\', "/"));
    }
    anyhow::bail!(
        "{}: not under the data directory {} (set --data-dir or RAMPART_SHARED_DATA)",
        p.display(),
        dir.display()
    )
}

fn train(a: TrainArgs) -> anyhow::Result<ExitCode> {
    let dir = a
        .data_dir
        .clone()
        .unwrap_or_else(rampart_ml::data::default_data_dir);
    if !dir.is_dir() {
        anyhow::bail!(
            "data directory {} not found: pass --data-dir or set RAMPART_SHARED_DATA",
            dir.display()
        );
    }
    if a.backend != "transformer" && a.embed_cache.is_some() {
        anyhow::bail!("--embed-cache applies to --backend transformer only");
    }
    if a.backend == "transformer" {
        let Some(md) = &a.model_dir else {
            anyhow::bail!("--backend transformer needs --model-dir DIR (config.json, model.safetensors, tokenizer.json)");
        };
        if !a.data.is_empty() || !matches!(a.model.as_str(), "injection" | "harm") {
            anyhow::bail!("--backend transformer trains an injection or harm head on that model's whole recipe; give --model injection or harm and no DATA files");
        }
        return super::transformer::train(
            md,
            &dir,
            &a.model,
            a.embed_cache.as_deref(),
            &a.out,
            a.card.as_deref(),
            a.report.as_deref(),
        );
    }
    let only = if a.data.is_empty() {
        None
    } else {
        Some(
            a.data
                .iter()
                .map(|p| relative_to(&dir, p))
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
    };
    let (bytes, report) = rampart_ml::train::train_model_from(&a.model, &dir, only, !a.no_eval)?;
    std::fs::write(&a.out, &bytes).map_err(|e| anyhow::anyhow!("{}: {e}", a.out.display()))?;
    if let Some(card) = &a.card {
        let md = report.to_markdown(rampart_ml::train::card_intro(&a.model));
        std::fs::write(card, md).map_err(|e| anyhow::anyhow!("{}: {e}", card.display()))?;
    }
    if let Some(rp) = &a.report {
        let js = serde_json::to_string_pretty(&report)?;
        std::fs::write(rp, js).map_err(|e| anyhow::anyhow!("{}: {e}", rp.display()))?;
    }
    let shipped = rampart_ml::models::shipped_bytes(&a.model)
        .map(rampart_ml::data::hex_digest)
        .unwrap_or_default();
    println!("model: {}", a.model);
    println!("wrote: {} ({} bytes)", a.out.display(), bytes.len());
    println!("sha256: {}", report.model_sha256);
    println!(
        "shipped: {} ({})",
        shipped,
        if shipped == report.model_sha256 {
            "identical"
        } else {
            "differs"
        }
    );
    if !a.no_eval {
        let t = &report.test;
        println!(
            "held-aside: TPR {:.2}% FPR {:.2}% TPR@1%FPR {:.2}% AUC {:.4} ({} pos / {} neg)",
            t.tpr * 100.0,
            t.fpr * 100.0,
            t.tpr_at_1pct_fpr * 100.0,
            t.roc_auc,
            t.positives,
            t.negatives
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn info(json: bool) -> anyhow::Result<ExitCode> {
    // The static token embedding table is shipped data the models read,
    // not a trained model, but it is listed with its card all the same.
    let rows: Vec<(&str, usize, String)> = rampart_ml::train::MODELS
        .iter()
        .chain(&["static-minilm"])
        .filter_map(|m| {
            rampart_ml::models::shipped_bytes(m)
                .map(|b| (*m, b.len(), rampart_ml::data::hex_digest(b)))
        })
        .collect();
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(m, n, h)| serde_json::json!({"model": m, "bytes": n, "sha256": h, "card": format!("crates/rampart-ml/models/{m}.md")}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{:<14} {:>8}  sha256", "model", "bytes");
        for (m, n, h) in rows {
            println!("{m:<14} {n:>8}  {h}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! Wiring of the optional transformer backend (`rampart-transformer`) into
//! `rampart check`, `rampart eval` and `rampart detector train --backend
//! transformer`. Without the `transformer` cargo feature the options parse
//! and fail with a message saying how to rebuild.

use anyhow::Context;
use rampart_detect::Engine;
use rampart_transformer::{
    Combine, Head, TransformerDetector, TransformerModel, TransformerScorer,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Clone, Default)]
pub struct TransformerArgs {
    /// Local model directory (config.json, model.safetensors, tokenizer.json)
    /// to run as the extra detector `injection-transformer` and/or
    /// `harm-transformer` (needs a build with `--features transformer`).
    #[arg(long, value_name = "DIR")]
    pub transformer: Option<PathBuf>,
    /// Trained head for an embedding model: a file from `rampart detector
    /// train --backend transformer`, or `builtin:minilm-l6-v2-injection` /
    /// `builtin:minilm-l6-v2-harm` (shipped, for
    /// sentence-transformers/all-MiniLM-L6-v2). Repeat it for an
    /// injection and a harm head (each head's `target` picks its detector).
    /// A sequence-classification model takes none.
    #[arg(long, value_name = "FILE|builtin:NAME", requires = "transformer")]
    pub head: Vec<String>,
    /// How the transformer score enters the `injection` (or `harm`) score:
    /// sum (default: the calibrated sum of both logits), max, mean, or
    /// separate (only the `-transformer` score).
    #[arg(long, value_name = "MODE", requires = "transformer")]
    pub combine: Option<String>,
}

impl TransformerArgs {
    /// Register the detector when `--transformer` is given.
    pub fn register(&self, engine: &mut Engine) -> anyhow::Result<()> {
        let Some(dir) = &self.transformer else {
            return Ok(());
        };
        let combine: Combine = self
            .combine
            .as_deref()
            .unwrap_or("sum")
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--combine: {e}"))?;
        let model = std::sync::Arc::new(TransformerModel::load(dir)?);
        if self.head.is_empty() {
            let scorer = TransformerScorer::new(model, None)?;
            engine.register(Box::new(TransformerDetector::new(scorer, combine)));
            return Ok(());
        }
        let mut targets = Vec::new();
        for p in &self.head {
            let head = Head::resolve(p)?;
            if targets.contains(&head.target) {
                anyhow::bail!(
                    "{p}: a second head for `{}`; give one head per target",
                    head.target
                );
            }
            targets.push(head.target.clone());
            let scorer = TransformerScorer::new(model.clone(), Some(head))?;
            engine.register(Box::new(TransformerDetector::new(scorer, combine)));
        }
        Ok(())
    }
}

/// `rampart detector train --backend transformer`: train the head, write
/// it (JSON), its model card and report.
pub fn train(
    model_dir: &Path,
    data_dir: &Path,
    target: &str,
    cache: Option<&Path>,
    out: &Path,
    card: Option<&Path>,
    report: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let target: rampart_transformer::train::Target = target
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--model: {e}"))?;
    let model = TransformerModel::load(model_dir)?;
    if model.kind() != rampart_transformer::ModelKind::Embedding {
        anyhow::bail!(
            "{}: a sequence-classification model needs no head; use it directly with `rampart check --transformer`",
            model_dir.display()
        );
    }
    let opts = rampart_transformer::train::TrainOptions {
        progress: true,
        target,
        cache: cache.map(Path::to_path_buf),
        ..Default::default()
    };
    let files = model.files().to_vec();
    let t = rampart_transformer::train::train_head(&model, files, data_dir, &opts)?;
    std::fs::write(out, t.head.to_json())
        .with_context(|| format!("{}: cannot write", out.display()))?;
    if let Some(c) = card {
        std::fs::write(c, t.report.to_markdown())
            .with_context(|| format!("{}: cannot write", c.display()))?;
    }
    if let Some(r) = report {
        std::fs::write(r, serde_json::to_string_pretty(&t.report)?)
            .with_context(|| format!("{}: cannot write", r.display()))?;
    }
    let r = &t.report;
    println!(
        "model: transformer {} head ({})",
        target.name(),
        model_dir.display()
    );
    println!("wrote: {}", out.display());
    println!("sha256: {}", r.head_sha256);
    for (name, m) in [
        ("transformer", &r.test_transformer),
        ("hashed", &r.test_hashed),
        ("max", &r.test_max),
        ("sum", &r.test_sum),
    ] {
        println!(
            "held-aside {name:<11}: TPR {:.2}% FPR {:.2}% TPR@1%FPR {:.2}% AUC {:.4} ({} pos / {} neg)",
            m.tpr * 100.0,
            m.fpr * 100.0,
            m.tpr_at_1pct_fpr * 100.0,
            m.roc_auc,
            m.positives,
            m.negatives
        );
    }
    if let Some([t, h, m, sm]) = &r.framed {
        for (name, m) in [("transformer", t), ("hashed", h), ("max", m), ("sum", sm)] {
            println!(
                "framed goals {name:<11}: TPR {:.2}% TPR@1%FPR {:.2}% ({} pos)",
                m.tpr * 100.0,
                m.tpr_at_1pct_fpr * 100.0,
                m.positives
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

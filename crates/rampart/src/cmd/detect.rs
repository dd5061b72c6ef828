//! Subcommands of the detect area: `rampart check`, `rampart eval`,
//! `rampart redact`. Parsing and wiring only; the work is in
//! `rampart_detect`.

use anyhow::{bail, Context};
use rampart_core::output::sarif::{to_sarif, ToolInfo};
use rampart_core::output::{stdout_color, table, write_json};
use rampart_detect::config::DetectConfig;
use rampart_detect::pii::{RedactMode, Redactor};
use rampart_detect::{Analysis, Engine, Source, BLOCKING_SCORES};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Subcommand)]
pub enum Commands {
    /// Judge a text (or each line of a JSONL file) for prompt injection,
    /// jailbreaks, harmful requests, PII and secrets.
    ///
    /// Exit 0: not flagged; 1: flagged (single text); 2: usage or input
    /// errors. With --jsonl the exit code is 0 unless the input is malformed.
    Check(CheckArgs),
    /// Measure a detector on labelled JSONL (`{"text": ..., "label": 0|1}`):
    /// precision, recall, F1, TPR at 1% FPR, ROC AUC, latency percentiles.
    Eval(EvalArgs),
    /// Redact PII from a text or file (mask, keyed hash or reversible token).
    Redact(RedactArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Jsonl,
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoreName {
    /// Prompt injection / jailbreak (rules + classifier).
    Injection,
    /// Harmful request (needs the harm detector).
    Harm,
    /// Adversarial suffix: a run of optimised, unnatural tokens (needs the
    /// suffix detector).
    Suffix,
    /// Flag when any blocking input detector reaches its threshold.
    Any,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceArg {
    User,
    Document,
    Output,
}

impl From<SourceArg> for Source {
    fn from(s: SourceArg) -> Source {
        match s {
            SourceArg::User => Source::User,
            SourceArg::Document => Source::Document,
            SourceArg::Output => Source::Output,
        }
    }
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The text to check (`-` reads stdin). Omit with --jsonl.
    #[arg(value_name = "TEXT", conflicts_with = "jsonl")]
    pub text: Option<String>,
    /// Check each line of a JSONL file (`-` for stdin): `{"id", "text", "source"}`.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<String>,
    /// Output format for a single text.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Where the text comes from (documents: indirect injection).
    #[arg(long, value_enum, default_value = "user")]
    pub source: SourceArg,
    /// Which score fills `score` and decides `flagged`.
    #[arg(long, value_enum, default_value = "injection")]
    pub score: ScoreName,
    /// Threshold for `flagged` (default: config, else 0.5).
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Config file with a [detect] section.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub transformer: super::transformer::TransformerArgs,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Labelled JSONL: `{"text": ..., "label": 0|1}` (optional "source").
    #[arg(long, value_name = "FILE")]
    pub data: String,
    #[arg(long, value_enum, default_value = "injection")]
    pub score: ScoreName,
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Default source for lines without one.
    #[arg(long, value_enum, default_value = "user")]
    pub source: SourceArg,
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format: text or json.
    #[arg(long, default_value = "text")]
    pub format: String,
    #[command(flatten)]
    pub transformer: super::transformer::TransformerArgs,
}

#[derive(clap::Args)]
pub struct RedactArgs {
    /// Text to redact (`-` reads stdin).
    #[arg(value_name = "TEXT", conflicts_with = "file")]
    pub text: Option<String>,
    /// Redact this file instead.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[arg(long, default_value = "mask", value_parser = parse_mode)]
    pub mode: RedactMode,
    /// Key for --mode hash (default: `RAMPART_REDACT_KEY`, else a random key).
    #[arg(long, env = "RAMPART_REDACT_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// With --mode token, write the token vault (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub vault: Option<PathBuf>,
}

fn parse_mode(s: &str) -> Result<RedactMode, String> {
    s.parse()
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    match c {
        Commands::Check(a) => check(a),
        Commands::Eval(a) => eval(a),
        Commands::Redact(a) => redact(a),
    }
}

struct Scorer {
    engine: Engine,
    cfg: DetectConfig,
    which: ScoreName,
    threshold: f32,
}

impl Scorer {
    fn new(
        config: &Option<PathBuf>,
        which: ScoreName,
        threshold: Option<f32>,
        transformer: &super::transformer::TransformerArgs,
    ) -> anyhow::Result<Self> {
        let cfg = match config {
            Some(p) => DetectConfig::load(p)?,
            None => DetectConfig::default(),
        };
        let mut engine = Engine::default();
        cfg.apply(&mut engine);
        transformer.register(&mut engine)?;
        for (name, detector) in [(ScoreName::Harm, "harm"), (ScoreName::Suffix, "suffix")] {
            if which == name && !engine.detector_names().contains(&detector) {
                bail!("--score {detector} needs the `{detector}` detector, which is not in this build's pipeline (or disabled by config)");
            }
        }
        let threshold = threshold.unwrap_or_else(|| match which {
            ScoreName::Injection => cfg.threshold_for("injection"),
            ScoreName::Harm => cfg.threshold_for("harm"),
            ScoreName::Suffix => cfg.threshold_for("suffix"),
            ScoreName::Any => cfg.threshold,
        });
        if !(0.0..=1.0).contains(&threshold) {
            bail!("--threshold {threshold} is outside 0..=1");
        }
        Ok(Scorer {
            engine,
            cfg,
            which,
            threshold,
        })
    }
    /// (score, flagged) for an analysis.
    fn judge(&self, a: &Analysis) -> (f32, bool) {
        match self.which {
            ScoreName::Injection => {
                let s = a.score("injection");
                (s, s >= self.threshold)
            }
            ScoreName::Harm | ScoreName::Suffix => {
                let s = a.score(if self.which == ScoreName::Harm {
                    "harm"
                } else {
                    "suffix"
                });
                (s, s >= self.threshold)
            }
            ScoreName::Any => {
                let mut th: BTreeMap<String, f32> = self.cfg.thresholds.clone();
                th.entry("injection".into()).or_insert(self.threshold);
                let s = BLOCKING_SCORES
                    .iter()
                    .map(|n| a.score(n))
                    .fold(0.0, f32::max);
                (s, a.blocked(&th, self.threshold))
            }
        }
    }
}

fn read_text_arg(t: &str) -> anyhow::Result<String> {
    if t == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        Ok(s)
    } else {
        Ok(t.to_string())
    }
}

#[derive(Deserialize)]
struct CheckLine {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    source: Option<String>,
}

fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let scorer = Scorer::new(&a.config, a.score, a.threshold, &a.transformer)?;
    if let Some(path) = &a.jsonl {
        return check_jsonl(&scorer, path, a.source.into());
    }
    let Some(t) = &a.text else {
        bail!("give a TEXT to check (or `-` for stdin), or --jsonl FILE");
    };
    let text = read_text_arg(t)?;
    let analysis = scorer.engine.analyze(&text, a.source.into());
    let (score, flagged) = scorer.judge(&analysis);
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    match a.format {
        CheckFormat::Json => write_json(
            &mut w,
            &serde_json::json!({
                "score": score, "flagged": flagged, "threshold": scorer.threshold,
                "scores": analysis.scores, "findings": analysis.findings,
            }),
        )?,
        CheckFormat::Jsonl => {
            serde_json::to_writer(
                &mut w,
                &serde_json::json!({"score": score, "flagged": flagged, "findings": analysis.findings}),
            )?;
            writeln!(w)?;
        }
        CheckFormat::Sarif => write_json(
            &mut w,
            &to_sarif(&analysis.findings, &ToolInfo::default(), "input.txt", &[]),
        )?,
        CheckFormat::Text => {
            writeln!(
                w,
                "{}  score {:.3} (threshold {:.2})",
                if flagged { "FLAGGED" } else { "ok" },
                score,
                scorer.threshold
            )?;
            let scores: Vec<String> = analysis
                .scores
                .iter()
                .filter(|(k, _)| !k.contains('.'))
                .map(|(k, v)| format!("{k}={v:.3}"))
                .collect();
            writeln!(w, "scores: {}", scores.join(" "))?;
            if !analysis.findings.is_empty() {
                write!(w, "{}", table::render(&analysis.findings, stdout_color()))?;
            }
        }
    }
    w.flush()?;
    Ok(if flagged {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn open_lines(path: &str) -> anyhow::Result<Box<dyn BufRead>> {
    if path == "-" {
        Ok(Box::new(std::io::BufReader::new(std::io::stdin())))
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("{path}: cannot open"))?;
        Ok(Box::new(std::io::BufReader::new(f)))
    }
}

/// Read one line as bytes; invalid UTF-8 is a line error, not a panic.
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> anyhow::Result<bool> {
    buf.clear();
    Ok(r.read_until(b'\n', buf)? > 0)
}

fn check_jsonl(scorer: &Scorer, path: &str, default_source: Source) -> anyhow::Result<ExitCode> {
    let mut r = open_lines(path)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::new();
    let mut n = 0usize;
    while next_line(&mut *r, &mut buf)? {
        n += 1;
        let line = std::str::from_utf8(&buf)
            .map_err(|e| anyhow::anyhow!("{path}:{n}: line is not valid UTF-8 ({e})"))?
            .trim();
        if line.is_empty() {
            continue;
        }
        let item: CheckLine = serde_json::from_str(line).map_err(|e| {
            anyhow::anyhow!("{path}:{n}: malformed JSONL line: {e} (expected {{\"id\": ..., \"text\": \"...\", \"source\": \"user\"|\"document\"}})")
        })?;
        let source = match &item.source {
            Some(s) => s
                .parse::<Source>()
                .map_err(|e| anyhow::anyhow!("{path}:{n}: field `source`: {e}"))?,
            None => default_source,
        };
        let a = scorer.engine.analyze(&item.text, source);
        let (score, flagged) = scorer.judge(&a);
        serde_json::to_writer(
            &mut w,
            &serde_json::json!({"id": item.id, "score": score, "flagged": flagged, "findings": a.findings}),
        )?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Deserialize)]
struct EvalLine {
    text: String,
    label: serde_json::Value,
    #[serde(default)]
    source: Option<String>,
}

fn label_of(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Number(n) => n.as_f64().map(|x| x >= 0.5),
        serde_json::Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "injection" | "jailbreak" | "malicious" | "harmful" | "unsafe"
            | "positive" => Some(true),
            "0" | "false" | "benign" | "safe" | "negative" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn eval(a: EvalArgs) -> anyhow::Result<ExitCode> {
    let scorer = Scorer::new(&a.config, a.score, a.threshold, &a.transformer)?;
    let mut r = open_lines(&a.data)?;
    let mut buf = Vec::new();
    let mut n = 0usize;
    let mut pos: Vec<f32> = Vec::new();
    let mut neg: Vec<f32> = Vec::new();
    let (mut tp, mut fp, mut fneg, mut tn) = (0usize, 0usize, 0usize, 0usize);
    let mut lat_us: Vec<f64> = Vec::new();
    while next_line(&mut *r, &mut buf)? {
        n += 1;
        let line = std::str::from_utf8(&buf)
            .map_err(|e| anyhow::anyhow!("{}:{n}: line is not valid UTF-8 ({e})", a.data))?
            .trim();
        if line.is_empty() {
            continue;
        }
        let item: EvalLine = serde_json::from_str(line).map_err(|e| {
            anyhow::anyhow!("{}:{n}: malformed JSONL line: {e} (expected {{\"text\": \"...\", \"label\": 0|1}})", a.data)
        })?;
        let label = label_of(&item.label)
            .ok_or_else(|| anyhow::anyhow!("{}:{n}: field `label`: expected 0 or 1", a.data))?;
        let source = match &item.source {
            Some(s) => s
                .parse::<Source>()
                .map_err(|e| anyhow::anyhow!("{}:{n}: field `source`: {e}", a.data))?,
            None => a.source.into(),
        };
        let t0 = Instant::now();
        let an = scorer.engine.analyze(&item.text, source);
        lat_us.push(t0.elapsed().as_secs_f64() * 1e6);
        let (score, flagged) = scorer.judge(&an);
        match (label, flagged) {
            (true, true) => tp += 1,
            (true, false) => fneg += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
        }
        if label {
            pos.push(score)
        } else {
            neg.push(score)
        }
    }
    if pos.is_empty() && neg.is_empty() {
        bail!("{}: no labelled lines", a.data);
    }
    let m = metrics(&pos, &neg, tp, fp, fneg, tn, &mut lat_us, scorer.threshold);
    if a.format == "json" {
        write_json(std::io::stdout().lock(), &m)?;
    } else {
        let g = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "examples     {} positive / {} negative",
            pos.len(),
            neg.len()
        );
        println!("threshold    {:.3}", scorer.threshold);
        println!("precision    {:.4}", g("precision"));
        println!("recall       {:.4}", g("recall"));
        println!("f1           {:.4}", g("f1"));
        println!("fpr          {:.4}", g("fpr"));
        println!("tpr@1%fpr    {:.4}", g("tpr_at_1pct_fpr"));
        println!("roc_auc      {:.4}", g("roc_auc"));
        println!(
            "latency_us   p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            m["latency_us"]["p50"].as_f64().unwrap_or(0.0),
            m["latency_us"]["p90"].as_f64().unwrap_or(0.0),
            m["latency_us"]["p99"].as_f64().unwrap_or(0.0),
            m["latency_us"]["max"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
fn metrics(
    pos: &[f32],
    neg: &[f32],
    tp: usize,
    fp: usize,
    fneg: usize,
    tn: usize,
    lat: &mut [f64],
    threshold: f32,
) -> serde_json::Value {
    let div = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = div(tp, tp + fp);
    let recall = div(tp, tp + fneg);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    // TPR at 1% FPR: the lowest threshold whose FPR is <= 1%, i.e. above the
    // score of the (floor(1% * negatives) + 1)-th highest negative.
    let mut sn: Vec<f32> = neg.to_vec();
    sn.sort_by(|a, b| b.total_cmp(a));
    let k = (sn.len() as f64 * 0.01).floor() as usize;
    let cut = sn.get(k).copied().unwrap_or(f32::NEG_INFINITY);
    let tpr1 = div(pos.iter().filter(|s| **s > cut).count(), pos.len());
    // ROC AUC by the rank statistic (ties count half).
    let mut asc: Vec<f32> = neg.to_vec();
    asc.sort_by(|a, b| a.total_cmp(b));
    let mut auc_sum = 0.0f64;
    for p in pos {
        let lo = asc.partition_point(|x| x < p);
        let hi = asc.partition_point(|x| x <= p);
        auc_sum += lo as f64 + 0.5 * (hi - lo) as f64;
    }
    let auc = if pos.is_empty() || neg.is_empty() {
        f64::NAN
    } else {
        auc_sum / (pos.len() as f64 * neg.len() as f64)
    };
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |q: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 - 1.0) * q).round() as usize;
        lat[i]
    };
    serde_json::json!({
        "positives": pos.len(), "negatives": neg.len(), "threshold": threshold,
        "tp": tp, "fp": fp, "fn": fneg, "tn": tn,
        "precision": precision, "recall": recall, "f1": f1, "fpr": div(fp, fp + tn),
        "tpr_at_1pct_fpr": tpr1,
        "roc_auc": if auc.is_nan() { serde_json::Value::Null } else { serde_json::json!(auc) },
        "latency_us": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
    })
}

fn redact(a: RedactArgs) -> anyhow::Result<ExitCode> {
    let text = match (&a.file, &a.text) {
        (Some(p), _) => {
            let bytes =
                std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        (None, Some(t)) => read_text_arg(t)?,
        (None, None) => bail!("give a TEXT to redact (or `-` for stdin), or --file FILE"),
    };
    if a.vault.is_some() && a.mode != RedactMode::Token {
        bail!("--vault only applies to --mode token");
    }
    let mut r = match &a.key {
        Some(k) => Redactor::with_key(a.mode, k.as_bytes()),
        None => Redactor::new(a.mode),
    };
    let out = r.redact(&text);
    let mut w = std::io::stdout().lock();
    w.write_all(out.as_bytes())?;
    if !out.ends_with('\n') {
        w.write_all(b"\n")?;
    }
    if let Some(v) = &a.vault {
        let json = serde_json::to_string_pretty(&r.vault)?;
        std::fs::write(v, json).with_context(|| format!("{}: cannot write vault", v.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

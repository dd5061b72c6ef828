//! `rampart scan`: model artifacts and secrets in files, directories and
//! archives. Parsing and wiring only; the work is in `rampart_scan`.

use anyhow::Context;
use rampart_core::output::sarif::{to_sarif, Notification, ToolInfo};
use rampart_core::output::{open_output, stdout_color, table, write_json};
use rampart_core::Severity;
use rampart_scan::{ConfigFile, ScanOptions, ScanReport};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    /// Scan model artifacts (pickle, PyTorch, NumPy, joblib, Keras, TensorFlow,
    /// ONNX, safetensors, GGUF, archives) and files for unsafe content and secrets.
    ///
    /// Exit 0: nothing at or above --fail-on; 1: findings at or above it;
    /// 2: a file could not be read or fully parsed (it is also a finding).
    Scan(ScanArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ScanFormat,
    /// Write the report here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that fails the scan (exit 1).
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Config file whose [scan] table extends the allowlist, denylist and excludes.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra safe pickle global (`module.name`, `module.*`); repeatable.
    #[arg(long, value_name = "GLOBAL")]
    pub allow: Vec<String>,
    /// Paths to skip (gitignore-style glob); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not honour .gitignore/.ignore/.rampartignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Do not look for secrets.
    #[arg(long)]
    pub no_secrets: bool,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    match c {
        Commands::Scan(a) => scan(a),
    }
}

fn scan(a: ScanArgs) -> anyhow::Result<ExitCode> {
    let mut opts = ScanOptions::default();
    if let Some(cfg) = &a.config {
        let file: ConfigFile = rampart_core::config::load_file(cfg)?;
        file.scan.apply(&mut opts);
    }
    opts.policy.allow.extend(a.allow.iter().cloned());
    opts.exclude.extend(a.exclude.iter().cloned());
    opts.respect_ignore_files = !a.no_ignore;
    if a.no_secrets {
        opts.secrets = false;
    }
    opts.threads = a.threads;
    let bar = rampart_scan::progress::tty_progress();
    if let Some((f, _)) = &bar {
        opts.progress = Some(f.clone());
    }
    let report = rampart_scan::scan_paths(&a.paths, &opts);
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
    let out = open_output(a.output.as_deref()).with_context(|| {
        format!(
            "cannot write the report to {}",
            a.output
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )
    })?;
    write_report(out, &report, a.format, a.output.is_none())?;
    Ok(ExitCode::from(report.exit_code(a.fail_on)))
}

fn write_report(
    mut out: Box<dyn Write>,
    r: &ScanReport,
    format: ScanFormat,
    to_stdout: bool,
) -> anyhow::Result<()> {
    match format {
        ScanFormat::Json => write_json(&mut out, r)?,
        ScanFormat::Sarif => {
            let notes: Vec<Notification> = r
                .errors
                .iter()
                .map(|e| Notification {
                    message: format!("{}: {}", e.path, e.message),
                    uri: Some(e.path.clone()),
                })
                .collect();
            let v = to_sarif(&r.findings, &ToolInfo::default(), "rampart-scan", &notes);
            write_json(&mut out, &v)?;
        }
        ScanFormat::Text => {
            let color = to_stdout && stdout_color();
            out.write_all(table::render(&r.findings, color).as_bytes())?;
            for e in &r.errors {
                writeln!(
                    out,
                    "error: {}: {}",
                    rampart_core::redact::sanitize_for_display(&e.path),
                    rampart_core::redact::sanitize_for_display(&e.message)
                )?;
            }
            let s = &r.summary;
            writeln!(
                out,
                "{} files scanned, {} skipped, {} errors; findings: {} critical, {} high, {} medium, {} low, {} info",
                s.files_scanned, s.files_skipped, s.errors, s.counts.critical, s.counts.high, s.counts.medium, s.counts.low, s.counts.info
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

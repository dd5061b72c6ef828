//! Subcommands of the inventory area: `rampart inventory` (AI asset
//! inventory and CycloneDX AI-BOM, `inventory diff`) and `rampart data`
//! (dataset scan, provenance ledger, minimisation). Wiring only: the logic
//! is in `rampart-inventory`.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use rampart_core::output::{open_output, sarif, write_json};
use rampart_core::{Finding, Severity};
use rampart_inventory::data::{ledger, minimise, scan as dscan, table};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum Commands {
    /// Discover AI assets (models, datasets, AI code, endpoints, MCP servers, keys) and emit an inventory or a CycloneDX 1.6 AI-BOM.
    Inventory(InventoryArgs),
    /// Dataset security: PII/secret scan and classification, poisoning checks, provenance ledger, minimisation.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InvFormat {
    Text,
    Json,
    Cyclonedx,
    Sarif,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InventoryArgs {
    #[command(subcommand)]
    command: Option<InventorySub>,
    /// Directories or files to inventory.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: InvFormat,
    /// Write the report here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when a risk at or above this severity exists (info, low, medium, high, critical).
    #[arg(long, default_value = "high")]
    fail_on: Severity,
    /// Do not hash model and dataset files.
    #[arg(long)]
    no_hash: bool,
    /// Also skip directories with this name (repeatable; .git, node_modules, venvs... are skipped by default).
    #[arg(long)]
    exclude: Vec<String>,
    /// Bytes of each text file to analyse.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    max_text_bytes: u64,
    /// Trusted signer's public key (PEM) for model signatures (repeatable). Without trusted keys or roots, signed models are `unverified` (deny by default).
    #[arg(long, value_name = "PUB.pem")]
    public_key: Vec<PathBuf>,
    /// Trusted root certificate (PEM) for certificate-signed models (repeatable).
    #[arg(long, value_name = "ROOT.pem")]
    root: Vec<PathBuf>,
    /// TOML file of trusted signers (public_keys, roots, intermediates), as used by `rampart verify --trust-config`.
    #[arg(long, value_name = "FILE")]
    trust_config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum InventorySub {
    /// Compare two inventories (Rampart JSON or CycloneDX): what appeared, disappeared or changed. Exit 1 when anything differs.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Subcommand)]
pub enum DataCommand {
    /// Find PII and secrets per column, classify the dataset, and run the poisoning and label checks.
    Scan {
        /// CSV, TSV, JSONL or JSON-array files.
        files: Vec<PathBuf>,
        /// Label column for the poisoning checks (guessed from names like `label`, `type` when omitted).
        #[arg(long)]
        label: Option<String>,
        /// Text column for the poisoning checks (default: the longest text column).
        #[arg(long)]
        text: Option<String>,
        /// Previous version of the dataset, for the label-shift check.
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Skip the poisoning and label checks.
        #[arg(long)]
        no_poison: bool,
        /// The owner declares the data public (used by classification when no PII is found).
        #[arg(long)]
        public: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: DataFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Exit 1 when a finding at or above this severity exists.
        #[arg(long, default_value = "high")]
        fail_on: Severity,
        /// Longest line accepted, in bytes.
        #[arg(long, default_value_t = 16 * 1024 * 1024)]
        max_line_bytes: usize,
    },
    /// Append a dataset version (per-file SHA-256, Merkle root, source, transformation, approver) to the provenance ledger.
    Record {
        /// Dataset file or directory.
        path: PathBuf,
        #[arg(long, default_value = "rampart-ledger.db")]
        ledger: PathBuf,
        /// Dataset name (default: the file or directory name).
        #[arg(long)]
        dataset: Option<String>,
        /// Version label of this dataset version (`--version` is the program's own).
        #[arg(long = "dataset-version", value_name = "VERSION")]
        dataset_version: String,
        #[arg(long)]
        source: String,
        #[arg(long, default_value = "none")]
        transformation: String,
        #[arg(long)]
        approver: String,
    },
    /// Verify the ledger's hash chain and, optionally, that a dataset on disk matches its latest recorded version.
    Verify {
        #[arg(long, default_value = "rampart-ledger.db")]
        ledger: PathBuf,
        /// Head hash recorded elsewhere (detects removal of the newest entries).
        #[arg(long)]
        expect_head: Option<String>,
        /// Dataset name to compare with the content at PATH.
        #[arg(long, requires = "path")]
        dataset: Option<String>,
        path: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Write a minimised copy for training: drop, mask or tokenise columns; redact detected PII elsewhere.
    Minimise {
        input: PathBuf,
        #[arg(long, short)]
        output: PathBuf,
        /// Column to drop (repeatable; dotted path for JSON).
        #[arg(long)]
        drop: Vec<String>,
        /// Column whose values become `[MASKED]` (repeatable).
        #[arg(long)]
        mask: Vec<String>,
        /// Column whose values become keyed tokens (repeatable).
        #[arg(long)]
        tokenise: Vec<String>,
        /// Do not redact detected PII in the other columns.
        #[arg(long)]
        no_auto: bool,
        /// Environment variable holding the tokenisation key (a random per-run key is used when unset).
        #[arg(long, default_value = "RAMPART_TOKEN_KEY")]
        key_env: String,
    },
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    match c {
        Commands::Inventory(a) => inventory(a),
        Commands::Data { command } => data(command),
    }
}

fn inventory(a: InventoryArgs) -> anyhow::Result<ExitCode> {
    if let Some(InventorySub::Diff {
        old,
        new,
        format,
        output,
    }) = a.command
    {
        return diff(old, new, format, output);
    }
    if a.paths.is_empty() {
        bail!("give a directory or file to inventory, e.g. `rampart inventory .`");
    }
    let mut opts = rampart_inventory::Options {
        hash: !a.no_hash,
        max_text_bytes: a.max_text_bytes,
        ..Default::default()
    };
    opts.exclude_dirs.extend(a.exclude);
    let mut trust = match &a.trust_config {
        Some(p) => rampart_sign::TrustConfig::load(p).map_err(|e| anyhow!("{e}"))?,
        None => rampart_sign::TrustConfig::default(),
    };
    trust.public_keys.extend(a.public_key);
    trust.roots.extend(a.root);
    opts.trust = Some(std::sync::Arc::new(
        rampart_inventory::signature::Trust::new(trust)
            .map_err(|e| anyhow!("trusted signers: {e}"))?,
    ));
    let missing: Vec<String> = a
        .paths
        .iter()
        .filter(|p| std::fs::metadata(p).is_err())
        .map(|p| p.display().to_string())
        .collect();
    if missing.len() == a.paths.len() {
        bail!("cannot read {}: check the path", missing.join(", "));
    }
    let inv = rampart_inventory::inventory(&a.paths, &opts);
    let mut w = open_output(a.output.as_deref()).with_context(|| {
        format!(
            "cannot write {}",
            a.output
                .as_deref()
                .unwrap_or(std::path::Path::new("-"))
                .display()
        )
    })?;
    match a.format {
        InvFormat::Text => w.write_all(rampart_inventory::summary::render(&inv).as_bytes())?,
        InvFormat::Json => write_json(&mut w, &inv)?,
        InvFormat::Cyclonedx => {
            write_json(&mut w, &rampart_inventory::cyclonedx::to_cyclonedx(&inv))?
        }
        InvFormat::Sarif => {
            let findings: Vec<Finding> = inv.risks().cloned().collect();
            let notes: Vec<sarif::Notification> = inv
                .errors
                .iter()
                .map(|e| sarif::Notification {
                    message: e.message.clone(),
                    uri: Some(e.path.clone()),
                })
                .collect();
            write_json(
                &mut w,
                &sarif::to_sarif(&findings, &sarif::ToolInfo::default(), &inv.root, &notes),
            )?
        }
    }
    w.flush()?;
    let failing = inv.risks().any(|r| r.severity >= a.fail_on);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn diff(
    old: PathBuf,
    new: PathBuf,
    format: DiffFormat,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let load = |p: &PathBuf| -> anyhow::Result<_> {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        rampart_inventory::diff::load(&text).map_err(|e| anyhow!("{}: {e}", p.display()))
    };
    let d = rampart_inventory::diff::diff(&load(&old)?, &load(&new)?);
    let mut w = open_output(output.as_deref())?;
    match format {
        DiffFormat::Text => w.write_all(rampart_inventory::diff::render(&d).as_bytes())?,
        DiffFormat::Json => write_json(&mut w, &d)?,
    }
    w.flush()?;
    Ok(if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn data(c: DataCommand) -> anyhow::Result<ExitCode> {
    match c {
        DataCommand::Scan {
            files,
            label,
            text,
            baseline,
            no_poison,
            public,
            format,
            output,
            fail_on,
            max_line_bytes,
        } => {
            if files.is_empty() {
                bail!("give one or more dataset files, e.g. `rampart data scan train.csv`");
            }
            let limits = table::Limits {
                max_line_bytes,
                ..Default::default()
            };
            let base = match (&baseline, &label) {
                (Some(b), Some(l)) => {
                    Some(dscan::label_counts(b, l, &limits).map_err(|e| anyhow!(e))?)
                }
                (Some(_), None) => {
                    bail!("--baseline needs --label COLUMN to compare label distributions")
                }
                _ => None,
            };
            let opts = dscan::ScanOptions {
                limits,
                label_column: label,
                text_column: text,
                no_poison,
                baseline: base,
                declared_public: public,
                ..Default::default()
            };
            let mut reports = Vec::new();
            let mut errors = Vec::new();
            for f in &files {
                match dscan::scan(f, &opts) {
                    Ok(r) => reports.push(r),
                    Err(e) => errors.push(e),
                }
            }
            let mut w = open_output(output.as_deref())?;
            match format {
                DataFormat::Text => {
                    for r in &reports {
                        w.write_all(dscan::render(r).as_bytes())?;
                    }
                    for e in &errors {
                        writeln!(w, "error: {e}")?;
                    }
                }
                DataFormat::Json => write_json(
                    &mut w,
                    &serde_json::json!({"reports": reports, "errors": errors}),
                )?,
                DataFormat::Sarif => {
                    let findings: Vec<Finding> = reports
                        .iter()
                        .flat_map(|r| r.findings.iter().cloned())
                        .collect();
                    let notes: Vec<sarif::Notification> = errors
                        .iter()
                        .map(|e| sarif::Notification {
                            message: e.clone(),
                            uri: None,
                        })
                        .collect();
                    write_json(
                        &mut w,
                        &sarif::to_sarif(&findings, &sarif::ToolInfo::default(), "dataset", &notes),
                    )?
                }
            }
            w.flush()?;
            if reports.is_empty() {
                bail!("no dataset could be read: {}", errors.join("; "));
            }
            for e in &errors {
                eprintln!("rampart: error: {e}");
            }
            let failing = reports
                .iter()
                .flat_map(|r| &r.findings)
                .any(|f| f.severity >= fail_on);
            Ok(if failing {
                ExitCode::from(1)
            } else if !errors.is_empty() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        DataCommand::Record {
            path,
            ledger: lpath,
            dataset,
            dataset_version,
            source,
            transformation,
            approver,
        } => {
            let files = ledger::hash_dataset(&path).map_err(|e| anyhow!(e))?;
            let name = dataset.unwrap_or_else(|| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string())
            });
            let mut l = ledger::Ledger::open(&lpath).map_err(|e| anyhow!(e))?;
            let e = l
                .record(ledger::NewEntry {
                    dataset: name,
                    version: dataset_version,
                    source,
                    transformation,
                    approver,
                    files,
                })
                .map_err(|e| anyhow!(e))?;
            println!(
                "recorded {} {} as entry {} ({} files, merkle root {})",
                e.dataset,
                e.version,
                e.seq,
                e.files.len(),
                e.merkle_root
            );
            println!("ledger head: {}", e.entry_hash);
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Verify {
            ledger: lpath,
            expect_head,
            dataset,
            path,
            json,
        } => {
            if std::fs::metadata(&lpath).is_err() {
                bail!(
                    "{}: no such ledger (create one with `rampart data record`)",
                    lpath.display()
                );
            }
            let l = ledger::Ledger::open(&lpath).map_err(|e| anyhow!(e))?;
            let rep = l.verify(expect_head.as_deref()).map_err(|e| anyhow!(e))?;
            let mut content: Option<ledger::ContentDiff> = None;
            let mut problems = rep.problems.clone();
            if let (Some(name), Some(p)) = (&dataset, &path) {
                let Some(latest) = l.latest(name).map_err(|e| anyhow!(e))? else {
                    bail!("dataset `{name}` has no entry in {}", lpath.display());
                };
                let now = ledger::hash_dataset(p).map_err(|e| anyhow!(e))?;
                let d = ledger::compare(&latest.files, &now);
                if !d.is_empty() {
                    problems.push(format!(
                        "{} differs from {name} {} (entry {}): {} added, {} removed, {} modified",
                        p.display(),
                        latest.version,
                        latest.seq,
                        d.added.len(),
                        d.removed.len(),
                        d.modified.len()
                    ));
                }
                content = Some(d);
            }
            if json {
                write_json(
                    std::io::stdout().lock(),
                    &serde_json::json!({"chain": rep, "content": content, "ok": problems.is_empty()}),
                )?;
            } else {
                println!("{} entries, head {}", rep.entries, rep.head);
                if let Some(d) = &content {
                    for f in &d.added {
                        println!("  added    {f}");
                    }
                    for f in &d.removed {
                        println!("  removed  {f}");
                    }
                    for f in &d.modified {
                        println!("  modified {f}");
                    }
                }
                for p in &problems {
                    println!("FAIL {p}");
                }
                if problems.is_empty() {
                    println!(
                        "OK: the chain is intact{}",
                        if content.is_some() {
                            " and the content matches"
                        } else {
                            ""
                        }
                    );
                }
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        DataCommand::Minimise {
            input,
            output,
            drop,
            mask,
            tokenise,
            no_auto,
            key_env,
        } => {
            let mut actions = BTreeMap::new();
            for c in drop {
                actions.insert(c, minimise::Action::Drop);
            }
            for c in mask {
                actions.insert(c, minimise::Action::Mask);
            }
            for c in tokenise {
                actions.insert(c, minimise::Action::Tokenise);
            }
            let key = match std::env::var(&key_env) {
                Ok(k) if !k.is_empty() => k.into_bytes(),
                _ => {
                    if actions.values().any(|a| *a == minimise::Action::Tokenise) {
                        eprintln!("rampart: note: ${key_env} is not set; tokens use a random key and will not match across runs");
                    }
                    let mut k = uuid_bytes();
                    k.extend(uuid_bytes());
                    k
                }
            };
            let st = minimise::minimise(
                &input,
                &output,
                &minimise::Options {
                    actions,
                    auto: !no_auto,
                    key,
                },
                &table::Limits::default(),
            )
            .map_err(|e| anyhow!(e))?;
            println!(
                "wrote {} ({} rows; dropped {:?}; {} masked, {} tokenised, {} PII values redacted; {} read errors)",
                output.display(),
                st.rows,
                st.dropped_columns,
                st.masked,
                st.tokenised,
                st.auto_redactions,
                st.read.error_count
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn uuid_bytes() -> Vec<u8> {
    // uuid v4 draws from the OS RNG; 2 x 122 random bits make the key.
    rampart_inventory::random_bytes16().to_vec()
}

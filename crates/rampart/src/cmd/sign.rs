//! `rampart sign`, `rampart verify` and `rampart digest`: model signing in
//! the OpenSSF model signing format (wiring only; the logic is in
//! `rampart-sign`).
//!
//! Exit codes: 0 signed / valid; 1 the signature or the model was refused
//! (every added, removed and modified file is named); 2 usage or I/O errors.

use clap::{Args, ValueEnum};
use rampart_sign::{
    digest_dir, keys, sign_dir, verify_dir_with, CertificateSigner, HashAlgorithm, HashOptions,
    KeySigner, PrivateKey, SignError, Signer, TrustConfig, VerifyOptions, VerifyOutcome,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Commands {
    /// Sign a model directory (writes MODEL_DIR/model.sig, an OpenSSF model signing bundle).
    Sign(SignArgs),
    /// Verify a model directory against its signature (exit 1 names every changed file).
    Verify(VerifyArgs),
    /// Print the manifest (per-file or per-shard digests) of a model directory as JSON.
    Digest(DigestArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum HashArg {
    Sha256,
    Blake3,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct HashingArgs {
    /// Per-file hash.
    #[arg(long, value_enum, default_value = "sha256")]
    hash: HashArg,
    /// Cut files into shards of this many bytes, hashed in parallel (sha256 only).
    #[arg(long, value_name = "BYTES")]
    shard_size: Option<u64>,
    /// Path (relative to MODEL_DIR) or glob to leave out; repeatable.
    #[arg(long = "ignore", value_name = "PATH|GLOB")]
    ignore: Vec<String>,
    /// Include .git, .gitattributes, .github and .gitignore (left out by default).
    #[arg(long)]
    no_ignore_git: bool,
    /// Hash files reached through symbolic links (refused by default).
    #[arg(long)]
    allow_symlinks: bool,
    /// Hashing threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

impl HashingArgs {
    fn options(&self) -> HashOptions {
        let (globs, paths): (Vec<String>, Vec<String>) = self
            .ignore
            .iter()
            .cloned()
            .partition(|p| p.contains(['*', '?', '[', '{']));
        HashOptions {
            algorithm: match self.hash {
                HashArg::Sha256 => HashAlgorithm::Sha256,
                HashArg::Blake3 => HashAlgorithm::Blake3,
            },
            shard_size: self.shard_size,
            allow_symlinks: self.allow_symlinks,
            ignore_paths: paths,
            ignore_globs: globs,
            ignore_git: !self.no_ignore_git,
            threads: self.threads,
            ..HashOptions::default()
        }
    }
}

#[derive(Args)]
pub struct SignArgs {
    /// The model directory.
    model_dir: PathBuf,
    /// EC private key (P-256 or P-384), PEM (PKCS#8 or SEC1).
    #[arg(long, value_name = "KEY.pem")]
    key: PathBuf,
    /// Sign in certificate mode: PEM files with the signing (leaf) certificate first, then its chain.
    #[arg(long, value_name = "CERT.pem", num_args = 1..)]
    certificate_chain: Vec<PathBuf>,
    /// Where to write the signature (default MODEL_DIR/model.sig).
    #[arg(long, value_name = "PATH")]
    signature: Option<PathBuf>,
    #[command(flatten)]
    hashing: HashingArgs,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value = "text")]
    format: OutFormat,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("trust").required(true).args(["public_key", "root", "trust_config"])))]
pub struct VerifyArgs {
    /// The model directory.
    model_dir: PathBuf,
    /// Trusted EC public key (PEM `PUBLIC KEY`), for key-signed models.
    #[arg(long, value_name = "PUB.pem", conflicts_with_all = ["root", "trust_config"])]
    public_key: Option<PathBuf>,
    /// Trusted root certificate(s), PEM, for certificate-signed models.
    #[arg(long, value_name = "ROOT.pem", num_args = 1.., conflicts_with = "trust_config")]
    root: Vec<PathBuf>,
    /// Extra (untrusted) intermediate certificates used to reach --root.
    #[arg(long, value_name = "CERT.pem", num_args = 1.., requires = "root")]
    certificate_chain: Vec<PathBuf>,
    /// TOML file of trusted signers (public_keys, roots, intermediates), as used by deployment gates.
    #[arg(long, value_name = "FILE")]
    trust_config: Option<PathBuf>,
    /// The signature to check (default MODEL_DIR/model.sig).
    #[arg(long, value_name = "PATH")]
    signature: Option<PathBuf>,
    /// Extra path (relative to MODEL_DIR) to leave out; repeatable.
    #[arg(long = "ignore", value_name = "PATH")]
    ignore: Vec<String>,
    /// Include .git, .gitattributes, .github and .gitignore in the comparison.
    #[arg(long)]
    no_ignore_git: bool,
    /// Hashing threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Output format of the verdict.
    #[arg(long, value_enum, default_value = "text")]
    format: OutFormat,
}

#[derive(Args)]
pub struct DigestArgs {
    /// The model directory.
    model_dir: PathBuf,
    #[command(flatten)]
    hashing: HashingArgs,
}

pub fn run(c: Commands) -> anyhow::Result<ExitCode> {
    let r = match c {
        Commands::Sign(a) => run_sign(a),
        Commands::Verify(a) => run_verify(a),
        Commands::Digest(a) => run_digest(a),
    };
    match r {
        Ok(code) => Ok(code),
        Err(e) if e.is_verdict() => {
            println!("FAILED: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("rampart: error: {e}");
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}

fn default_sig(dir: &Path, given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| dir.join(rampart_sign::DEFAULT_SIGNATURE_NAME))
}

fn run_sign(a: SignArgs) -> Result<ExitCode, SignError> {
    let key = PrivateKey::from_pem_file(&a.key)?;
    let signer: Box<dyn Signer> = if a.certificate_chain.is_empty() {
        Box::new(KeySigner::new(key))
    } else {
        let chain = keys::load_certificates(&a.certificate_chain)?;
        Box::new(CertificateSigner::new(key, chain, &a.key)?)
    };
    let sig = default_sig(&a.model_dir, a.signature);
    let s = sign_dir(&a.model_dir, signer.as_ref(), &a.hashing.options(), &sig)?;
    if a.format == OutFormat::Json {
        let v = serde_json::json!({
            "signature": s.signature_path.display().to_string(),
            "signer": s.signer,
            "files": s.manifest.file_count(),
            "resources": s.manifest.items.len(),
            "root_digest": hex_root(&s.manifest),
        });
        println!("{v}");
    } else {
        println!(
            "signed {} ({} files, {} resources, {}) with {} -> {}",
            a.model_dir.display(),
            s.manifest.file_count(),
            s.manifest.items.len(),
            s.manifest.serialization.resource_algorithm(),
            s.signer,
            s.signature_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn hex_root(m: &rampart_sign::Manifest) -> String {
    m.root_digest().iter().map(|b| format!("{b:02x}")).collect()
}

fn run_verify(a: VerifyArgs) -> Result<ExitCode, SignError> {
    let mut trust = match &a.trust_config {
        Some(p) => TrustConfig::load(p).map_err(|e| SignError::Usage(e.to_string()))?,
        None => TrustConfig {
            public_keys: a.public_key.iter().cloned().collect(),
            roots: a.root.clone(),
            intermediates: a.certificate_chain.clone(),
            ..TrustConfig::default()
        },
    };
    trust.ignore_paths.extend(a.ignore.iter().cloned());
    let verifier = trust.verifier()?;
    let sig = default_sig(&a.model_dir, a.signature.clone());
    let opts = VerifyOptions {
        ignore_paths: trust.ignore_paths.clone(),
        ignore_git: !(a.no_ignore_git || trust.include_git_paths),
        threads: a.threads,
        ..VerifyOptions::default()
    };
    let outcome = verify_dir_with(&a.model_dir, &sig, &verifier, &opts)?;
    report(&outcome, a.format);
    Ok(if outcome.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn report(o: &VerifyOutcome, format: OutFormat) {
    if format == OutFormat::Json {
        let mut v = serde_json::to_value(o).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.insert("valid".into(), o.is_valid().into());
        }
        println!("{v}");
        return;
    }
    if o.is_valid() {
        println!(
            "OK: {} matches {} ({} files, {}, {}) signed by {}",
            o.model_dir, o.signature, o.files_checked, o.method, o.hash, o.signer
        );
    } else {
        println!(
            "FAILED: {} does not match {} (signature by {} is authentic, content differs):",
            o.model_dir, o.signature, o.signer
        );
        for p in o.problems() {
            println!("  {p}");
        }
    }
}

fn run_digest(a: DigestArgs) -> Result<ExitCode, SignError> {
    let mut opts = a.hashing.options();
    // Leave out the default signature file, as `rampart sign` does.
    opts.ignore_paths
        .push(rampart_sign::DEFAULT_SIGNATURE_NAME.to_string());
    let m = digest_dir(&a.model_dir, &opts)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&m.to_json()).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

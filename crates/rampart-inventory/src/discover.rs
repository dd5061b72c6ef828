//! Discovery: walk a tree in parallel, classify each file by content, then
//! link what was found (a model to its card, config, licence, signature and
//! training data; code to the models and endpoints it uses).
//!
//! Reads are bounded: at most [`Options::max_text_bytes`] of a text file is
//! analysed, JSON documents above [`Options::max_json_bytes`] are not parsed,
//! and only hashing reads whole files (streaming). A file that cannot be
//! read or parsed becomes an [`InventoryError`]; the walk goes on.

use crate::artifacts;
use crate::asset::{Asset, AssetKind, Inventory, InventoryError, SignatureStatus};
use crate::cards::{self, CardMeta, ModelConfig};
use crate::sniff::{self, Sniffed};
use crate::{code, endpoints, infra, keys, mcp, posture, risks};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Discovery settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Bytes of a text file that are analysed (the rest is skipped and the
    /// asset marked `truncated`).
    pub max_text_bytes: u64,
    /// JSON documents (notebooks, MCP configs, model configs) larger than
    /// this are reported as errors instead of parsed.
    pub max_json_bytes: u64,
    /// Hash model and dataset files (SHA-256 of the whole file).
    pub hash: bool,
    /// Directory names never entered.
    pub exclude_dirs: Vec<String>,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Trusted signers for model signatures. `None` (or a configuration
    /// without keys and roots) leaves signed models `unverified`.
    pub trust: Option<std::sync::Arc<crate::signature::Trust>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_text_bytes: 4 * 1024 * 1024,
            max_json_bytes: 16 * 1024 * 1024,
            hash: true,
            exclude_dirs: [
                ".git",
                "node_modules",
                "__pycache__",
                ".venv",
                "venv",
                "site-packages",
                "target",
                ".tox",
                ".mypy_cache",
                ".hg",
                ".svn",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            threads: 0,
            trust: None,
        }
    }
}

const HEAD: usize = 64 * 1024;

const CODE_PY: &[&str] = &["py", "pyw", "pyi"];
const CODE_JS: &[&str] = &["js", "mjs", "cjs", "ts", "tsx", "jsx", "mts", "cts"];
const CONFIG_EXTS: &[&str] = &[
    "json",
    "yaml",
    "yml",
    "toml",
    "env",
    "ini",
    "cfg",
    "conf",
    "properties",
    "tf",
    "tfvars",
    "hcl",
    "sh",
    "txt",
    "xml",
];
const DATASET_EXTS: &[&str] = &["csv", "tsv", "jsonl", "ndjson"];

/// Side facts a file contributes to linking.
#[derive(Default)]
struct Outcome {
    assets: Vec<Asset>,
    errors: Vec<InventoryError>,
    bytes: u64,
    /// A signature file (its path).
    signature: Option<PathBuf>,
    license: Option<(PathBuf, String)>,
    card: Option<(PathBuf, CardMeta, String)>,
    config: Option<(PathBuf, ModelConfig, String)>,
}

fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s = r.to_string_lossy().replace('\\', "/");
    if s.is_empty() {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        s
    }
}

fn read_head(path: &Path, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n.min(1 << 20));
    File::open(path)?.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn read_tail(path: &Path, n: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(n)))?;
    let mut buf = Vec::new();
    f.take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Take a notebook's raw JSON and return a same-line-count "code view":
/// each line that is a JSON string element becomes its unescaped content,
/// every other line becomes empty. Line numbers then match the file.
fn notebook_code_view(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.lines() {
        let t = line.trim();
        let t = t.strip_suffix(',').unwrap_or(t);
        if t.starts_with('"') && t.ends_with('"') && t.len() >= 2 {
            if let Ok(s) = serde_json::from_str::<String>(t) {
                out.push_str(s.trim_end_matches('\n'));
            }
        }
        out.push('\n');
    }
    out
}

/// Classify one file.
fn classify(root: &Path, path: &Path, size: u64, opts: &Options) -> Outcome {
    let mut o = Outcome::default();
    let rpath = rel(root, path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_string())
        .unwrap_or_default();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let err = |o: &mut Outcome, m: String| {
        o.errors.push(InventoryError {
            path: rpath.clone(),
            message: m,
        })
    };

    if artifacts::is_signature_file(&name) {
        o.signature = Some(path.to_path_buf());
        return o;
    }
    if size == 0 {
        return o;
    }
    let head = match read_head(path, HEAD) {
        Ok(h) => h,
        Err(e) => {
            err(&mut o, format!("cannot read: {e}"));
            return o;
        }
    };
    o.bytes += head.len() as u64;
    let kind = sniff::sniff(&head, &name, size);

    if kind.is_model() {
        let (apath, aname) = if kind == Sniffed::SavedModel {
            let d = rel(root, &dir);
            (d.clone(), d)
        } else {
            (rpath.clone(), rpath.clone())
        };
        let mut a = Asset::new(AssetKind::Model, aname, apath);
        a.format = Some(kind.as_str().into());
        a.size = Some(size);
        if opts.hash {
            match artifacts::sha256_file(path) {
                Ok((h, n)) => {
                    a.sha256 = Some(h);
                    o.bytes += n;
                }
                Err(e) => err(&mut o, format!("cannot hash: {e}")),
            }
        }
        let scan = artifacts::scan_model(path);
        if scan.status == "findings" {
            a.risks.push(risks::scanner_findings(
                &rpath,
                scan.findings,
                scan.max_severity.unwrap_or(rampart_core::Severity::High),
            ));
        }
        a.scan = Some(scan);
        if kind.executes_on_load() {
            a.risks.push(risks::pickle_model(&rpath, kind.as_str()));
        }
        a.properties.insert("dir".into(), rel(root, &dir));
        o.assets.push(a);
        return o;
    }

    if kind.is_dataset()
        || DATASET_EXTS.contains(&ext.as_str())
        || (ext == "json" && looks_like_json_records(&head))
    {
        let mut a = Asset::new(AssetKind::Dataset, rpath.clone(), rpath.clone());
        let format = match kind {
            Sniffed::Parquet => "parquet".to_string(),
            Sniffed::Arrow => "arrow".to_string(),
            _ if ext == "json" => "json".to_string(),
            _ if ext == "ndjson" => "jsonl".to_string(),
            _ => ext.clone(),
        };
        a.size = Some(size);
        a.properties.insert("dir".into(), rel(root, &dir));
        if let Some(problem) = dataset_problem(path, &format, &head, size) {
            err(&mut o, problem.clone());
            a.properties.insert("valid".into(), "false".into());
            a.properties.insert("problem".into(), problem);
        } else if format == "csv" || format == "tsv" {
            if let Some(cols) = csv_columns(&head, format == "tsv") {
                a.properties.insert("columns".into(), cols.join(","));
            }
        }
        a.format = Some(format);
        if opts.hash {
            match artifacts::sha256_file(path) {
                Ok((h, n)) => {
                    a.sha256 = Some(h);
                    o.bytes += n;
                }
                Err(e) => err(&mut o, format!("cannot hash: {e}")),
            }
        }
        o.assets.push(a);
        return o;
    }

    if name.starts_with("license") || name.starts_with("licence") || name.starts_with("copying") {
        if !sniff::looks_binary(&head) {
            if let Some(id) = cards::license_from_text(&String::from_utf8_lossy(&head)) {
                o.license = Some((dir, id));
            }
        }
        return o;
    }

    let is_py = CODE_PY.contains(&ext.as_str());
    let is_js = CODE_JS.contains(&ext.as_str());
    let is_nb = ext == "ipynb";
    let is_md = ext == "md" || ext == "markdown";
    let is_config =
        CONFIG_EXTS.contains(&ext.as_str()) || name.starts_with(".env") || name == "dockerfile";
    if !(is_py || is_js || is_nb || is_md || is_config) {
        return o;
    }
    if sniff::looks_binary(&head) {
        // Binary posing as text: nothing to analyse, but say so for the
        // formats a user would expect to be read.
        if is_py || is_js || is_nb || ext == "json" {
            err(
                &mut o,
                format!("binary content in a .{ext} file; not analysed"),
            );
        }
        return o;
    }
    let text_bytes = if size as usize <= HEAD {
        head
    } else {
        match read_head(path, opts.max_text_bytes as usize) {
            Ok(b) => {
                o.bytes += b.len() as u64;
                b
            }
            Err(e) => {
                err(&mut o, format!("cannot read: {e}"));
                return o;
            }
        }
    };
    let truncated = size > text_bytes.len() as u64;
    let text = String::from_utf8_lossy(&text_bytes);
    let text: &str = &text;

    // Keys in any text file.
    for hit in keys::find_keys(text) {
        let mut a = Asset::within(
            AssetKind::Credential,
            format!("{} key (line {})", hit.provider, hit.line),
            &rpath,
        );
        a.line = Some(hit.line);
        a.properties.insert("provider".into(), hit.provider.into());
        a.properties.insert("masked".into(), hit.masked.clone());
        a.risks.push(risks::exposed_key(
            &rpath,
            hit.line,
            hit.provider,
            &hit.masked,
            is_nb,
        ));
        o.assets.push(a);
    }

    if is_md {
        if name == "readme.md" || name.ends_with("modelcard.md") || name.ends_with("model_card.md")
        {
            if let Some(meta) = cards::parse_front_matter(text) {
                let mut a = Asset::new(AssetKind::ModelCard, rpath.clone(), rpath.clone());
                a.properties.insert("card".into(), meta.card_type.clone());
                a.license = meta.license.clone();
                if let Some(t) = &meta.pipeline_tag {
                    a.properties.insert("pipeline_tag".into(), t.clone());
                }
                if let Some(l) = &meta.library_name {
                    a.properties.insert("library_name".into(), l.clone());
                }
                o.card = Some((dir.clone(), meta, a.id.clone()));
                o.assets.push(a);
            }
        }
        return o;
    }

    if is_nb {
        if size > opts.max_json_bytes {
            err(&mut o, format!("notebook of {size} bytes exceeds the {} byte parse limit; keys were checked, code was not", opts.max_json_bytes));
        }
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() && !truncated {
            err(&mut o, "notebook is not valid JSON".into());
        }
        let view = notebook_code_view(text);
        let facts = code::analyze(&view, &rpath, false);
        let mut a = Asset::new(AssetKind::Notebook, rpath.clone(), rpath.clone());
        a.size = Some(size);
        if opts.hash {
            a.sha256 = artifacts::sha256_file(path).ok().map(|x| x.0);
        }
        code_asset_facts(&mut a, facts, &mut o.assets);
        for mut e in endpoints::find(&view, &rpath) {
            a.depends_on.push(e.id.clone());
            e.properties.insert("found-in".into(), "notebook".into());
            o.assets.push(e);
        }
        o.assets.push(a);
        return o;
    }

    if is_py || is_js {
        let facts = code::analyze(text, &rpath, is_js);
        let eps = endpoints::find(text, &rpath);
        if facts.sdks.is_empty() && eps.is_empty() {
            return o;
        }
        let mut a = Asset::new(AssetKind::Code, rpath.clone(), rpath.clone());
        a.properties.insert(
            "language".into(),
            if is_js { "javascript" } else { "python" }.into(),
        );
        if truncated {
            a.properties.insert("truncated".into(), "true".into());
        }
        code_asset_facts(&mut a, facts, &mut o.assets);
        for e in eps {
            a.depends_on.push(e.id.clone());
            o.assets.push(e);
        }
        o.assets.push(a);
        return o;
    }

    // Configuration and infrastructure.
    if ext == "json" && mcp::may_contain(&name, text) {
        if size > opts.max_json_bytes || truncated {
            err(
                &mut o,
                format!("MCP configuration of {size} bytes is too large to parse"),
            );
        } else {
            match mcp::parse(text, &rpath) {
                Ok(servers) => o.assets.extend(servers),
                Err(e) => err(&mut o, e),
            }
        }
    }
    if name == "config.json" && !truncated {
        match cards::parse_config(text) {
            Ok(Some(cfg)) => {
                let mut a = Asset::new(AssetKind::ModelConfig, rpath.clone(), rpath.clone());
                if let Some(x) = &cfg.architecture {
                    a.properties.insert("architecture".into(), x.clone());
                }
                if let Some(x) = &cfg.model_type {
                    a.properties.insert("model_type".into(), x.clone());
                }
                o.config = Some((dir.clone(), cfg, a.id.clone()));
                o.assets.push(a);
            }
            Ok(None) => {}
            Err(e) => err(&mut o, e),
        }
    }
    if ext == "tf" || ext == "hcl" {
        o.assets.extend(infra::terraform(text, &rpath));
    }
    if ext == "yaml" || ext == "yml" {
        if name.contains("compose") || text.starts_with("services:") || text.contains("\nservices:")
        {
            o.assets.extend(infra::compose(text, &rpath));
        }
        if text.contains("apiVersion:") && text.contains("kind:") {
            o.assets.extend(infra::kubernetes(text, &rpath));
        }
    }
    let known: BTreeSet<String> = o
        .assets
        .iter()
        .flat_map(|a| a.endpoints.iter().cloned())
        .collect();
    for e in endpoints::find(text, &rpath) {
        if !e.endpoints.iter().any(|u| known.contains(u)) {
            o.assets.push(e);
        }
    }
    o
}

fn code_asset_facts(a: &mut Asset, facts: code::CodeFacts, side: &mut Vec<Asset>) {
    if !facts.sdks.is_empty() {
        a.properties.insert(
            "sdks".into(),
            facts.sdks.iter().cloned().collect::<Vec<_>>().join(","),
        );
    }
    for m in facts.models {
        let mut model = Asset::new(AssetKind::Model, m.name.clone(), "");
        model.id = format!("model:{}/{}", m.provider, m.name);
        model
            .properties
            .insert("provider".into(), m.provider.clone());
        model
            .properties
            .insert("referenced-by".into(), format!("{}:{}", a.path, m.line));
        if let Some(p) = m.pinned {
            model.properties.insert("pinned".into(), p.to_string());
        }
        a.depends_on.push(model.id.clone());
        side.push(model);
    }
    a.risks.extend(facts.risks);
}

fn looks_like_json_records(head: &[u8]) -> bool {
    let t = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &head[i..])
        .unwrap_or(&[]);
    if t.first() != Some(&b'[') {
        return false;
    }
    let rest = &t[1..];
    matches!(
        rest.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'"')
    )
}

fn csv_columns(head: &[u8], tsv: bool) -> Option<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(if tsv { b'\t' } else { b',' })
        .flexible(true)
        .from_reader(head);
    let h = r.headers().ok()?;
    Some(
        h.iter()
            .take(200)
            .map(|s| rampart_core::redact::truncate(s, 64))
            .collect(),
    )
}

/// A cheap validity check of a dataset file; `Some(message)` when it is
/// malformed (the full checks are `rampart data scan`).
fn dataset_problem(path: &Path, format: &str, head: &[u8], size: u64) -> Option<String> {
    match format {
        "parquet" => {
            if size < 12 {
                return Some("Parquet file is truncated (shorter than header and footer)".into());
            }
            match read_tail(path, 8) {
                Ok(t) if t.len() == 8 && &t[4..] == b"PAR1" => {
                    let meta = u32::from_le_bytes(t[..4].try_into().expect("4 bytes")) as u64;
                    if meta + 12 > size {
                        Some(format!(
                            "Parquet footer claims {meta} bytes of metadata in a {size}-byte file"
                        ))
                    } else {
                        None
                    }
                }
                Ok(_) => Some("Parquet file has no `PAR1` footer: truncated or not Parquet".into()),
                Err(e) => Some(format!("cannot read Parquet footer: {e}")),
            }
        }
        "arrow" => None,
        "csv" | "tsv" | "jsonl" | "json" => {
            if sniff::looks_binary(head) {
                return Some(format!("binary content in a .{format} file"));
            }
            if format == "jsonl" {
                let first = head
                    .split(|b| *b == b'\n')
                    .find(|l| !l.iter().all(|b| b.is_ascii_whitespace()));
                if let Some(line) = first {
                    if line.len() < head.len() || size as usize == head.len() {
                        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(line) {
                            return Some(format!("line 1 is not valid JSON: {e}"));
                        }
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// Walk `roots` and build the inventory.
pub fn inventory(roots: &[PathBuf], opts: &Options) -> Inventory {
    let root = roots.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let files: Mutex<Vec<(PathBuf, PathBuf, u64)>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<InventoryError>> = Mutex::new(Vec::new());
    for r in roots {
        if let Err(e) = std::fs::metadata(r) {
            errors.lock().expect("lock").push(InventoryError {
                path: r.display().to_string(),
                message: format!("cannot read: {e}"),
            });
            continue;
        }
        let base = if r.is_file() {
            r.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            r.clone()
        };
        let excludes = opts.exclude_dirs.clone();
        let mut wb = ignore::WalkBuilder::new(r);
        wb.standard_filters(false)
            .hidden(false)
            .follow_links(false)
            .threads(opts.threads);
        wb.filter_entry(move |e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.depth() > 0
                && excludes.iter().any(|x| e.file_name() == x.as_str()))
        });
        wb.build_parallel().run(|| {
            let files = &files;
            let errors = &errors;
            let base = base.clone();
            Box::new(move |entry| {
                match entry {
                    Ok(e) => {
                        if e.file_type().is_some_and(|t| t.is_file()) {
                            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                            files
                                .lock()
                                .expect("lock")
                                .push((base.clone(), e.into_path(), size));
                        }
                    }
                    Err(err) => {
                        let path = match &err {
                            ignore::Error::WithPath { path, .. } => path.display().to_string(),
                            _ => String::new(),
                        };
                        errors.lock().expect("lock").push(InventoryError {
                            path,
                            message: format!("cannot walk: {err}"),
                        });
                    }
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut files = files.into_inner().expect("lock");
    files.sort();
    let files_seen = files.len();
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .map(|(base, p, size)| classify(base, p, *size, opts))
        .collect();
    let mut errors = errors.into_inner().expect("lock");
    link(&root, outcomes, &mut errors, files_seen, opts)
}

fn ancestors_within<'a>(dir: &'a Path, root: &'a Path) -> impl Iterator<Item = &'a Path> {
    dir.ancestors()
        .take_while(move |a| a.starts_with(root) || *a == root)
}

fn link(
    root: &Path,
    outcomes: Vec<Outcome>,
    errors: &mut Vec<InventoryError>,
    files_seen: usize,
    opts: &Options,
) -> Inventory {
    let mut assets: Vec<Asset> = Vec::new();
    let mut sigs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let mut licenses: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut card_by_dir: BTreeMap<PathBuf, (CardMeta, String)> = BTreeMap::new();
    let mut config_by_dir: BTreeMap<PathBuf, (ModelConfig, String)> = BTreeMap::new();
    let mut bytes = 0u64;
    for o in outcomes {
        bytes += o.bytes;
        assets.extend(o.assets);
        errors.extend(o.errors);
        if let Some(sig) = o.signature {
            if let Some(d) = sig.parent() {
                sigs.entry(d.to_path_buf()).or_default().push(sig.clone());
            }
        }
        if let Some((d, l)) = o.license {
            licenses.entry(d).or_insert(l);
        }
        if let Some((d, m, id)) = o.card {
            card_by_dir.insert(d, (m, id));
        }
        if let Some((d, c, id)) = o.config {
            config_by_dir.insert(d, (c, id));
        }
    }
    let abs = |rel_dir: &str| -> PathBuf {
        if rel_dir.is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel_dir)
        }
    };
    let mut extra: Vec<Asset> = Vec::new();
    for a in assets.iter_mut() {
        let local = !a.path.is_empty();
        if !local || !matches!(a.kind, AssetKind::Model | AssetKind::Dataset) {
            continue;
        }
        let dir = abs(a.properties.get("dir").map(String::as_str).unwrap_or(""));
        let model_dir = if a.format.as_deref() == Some("tf-savedmodel") {
            abs(&a.path)
        } else {
            dir.clone()
        };
        // Licence: the nearest card, else the nearest licence file.
        let mut license = None;
        for anc in ancestors_within(&model_dir, root) {
            if let Some((m, _)) = card_by_dir.get(anc) {
                if let Some(l) = &m.license {
                    license = Some(l.clone());
                    break;
                }
            }
            if let Some(l) = licenses.get(anc) {
                license = Some(l.clone());
                break;
            }
        }
        if a.kind == AssetKind::Model {
            if let Some((m, card_id)) = card_by_dir.get(&model_dir) {
                a.depends_on.push(card_id.clone());
                if let Some(t) = &m.pipeline_tag {
                    a.properties.insert("task".into(), t.clone());
                }
                for d in &m.datasets {
                    let mut ds = Asset::new(AssetKind::Dataset, d.clone(), "");
                    ds.id = format!("dataset:huggingface/{d}");
                    ds.properties.insert("referenced-by".into(), a.path.clone());
                    a.depends_on.push(ds.id.clone());
                    extra.push(ds);
                }
                for b in &m.base_model {
                    let mut bm = Asset::new(AssetKind::Model, b.clone(), "");
                    bm.id = format!("model:huggingface/{b}");
                    bm.properties
                        .insert("provider".into(), "huggingface".into());
                    bm.properties.insert("role".into(), "base-model".into());
                    a.depends_on.push(bm.id.clone());
                    extra.push(bm);
                }
            }
            if let Some((c, cfg_id)) = config_by_dir.get(&model_dir) {
                a.depends_on.push(cfg_id.clone());
                if let Some(x) = &c.architecture {
                    a.properties.insert("architecture".into(), x.clone());
                }
                if let Some(x) = &c.model_type {
                    a.properties.insert("model_type".into(), x.clone());
                }
            }
            let none: Vec<PathBuf> = Vec::new();
            let here = sigs.get(&model_dir).unwrap_or(&none);
            let parent = model_dir.parent().filter(|p| p.starts_with(root));
            let there = parent.and_then(|p| sigs.get(p)).unwrap_or(&none);
            let v =
                crate::signature::status(&model_dir, here, parent, there, opts.trust.as_deref());
            a.signature = Some(v.status);
            if let Some(s) = &v.signature {
                a.properties.insert("signature.file".into(), rel(root, s));
            }
            if let Some(s) = &v.signer {
                a.properties.insert("signature.signer".into(), s.clone());
            }
            if let Some(r) = &v.reason {
                a.properties.insert("signature.reason".into(), r.clone());
            }
            let p = a.path.clone();
            match v.status {
                SignatureStatus::Unsigned => a.risks.push(risks::unsigned_model(&p)),
                SignatureStatus::Invalid => a.risks.push(risks::invalid_signature(
                    &p,
                    v.reason.as_deref().unwrap_or(""),
                )),
                SignatureStatus::Unverified => a.risks.push(risks::unverified_signature(
                    &p,
                    v.reason.as_deref().unwrap_or(""),
                    opts.trust.as_ref().is_some_and(|t| t.has_signers()),
                )),
                SignatureStatus::Verified => {}
            }
        }
        match license {
            Some(l) => a.license = Some(l),
            None => {
                let p = a.path.clone();
                let what = if a.kind == AssetKind::Model {
                    "model"
                } else {
                    "dataset"
                };
                a.risks.push(risks::no_license(&p, what));
            }
        }
    }
    assets.extend(extra);
    // Merge assets referenced by name from several places (same id).
    let mut merged: Vec<Asset> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for a in assets {
        if a.path.is_empty() {
            if let Some(&i) = index.get(&a.id) {
                let m: &mut Asset = &mut merged[i];
                if let Some(r) = a.properties.get("referenced-by") {
                    let cur = m.properties.entry("referenced-by".into()).or_default();
                    if !cur.split(' ').any(|x| x == r) {
                        cur.push(' ');
                        cur.push_str(r);
                    }
                }
                if a.properties.get("pinned").map(String::as_str) == Some("false") {
                    m.properties.insert("pinned".into(), "false".into());
                }
                continue;
            }
        }
        // Make on-disk ids unique (two endpoints with one name in a file).
        let mut a = a;
        if index.contains_key(&a.id) {
            let mut n = 2;
            while index.contains_key(&format!("{}~{n}", a.id)) {
                n += 1;
            }
            a.id = format!("{}~{n}", a.id);
        }
        index.insert(a.id.clone(), merged.len());
        merged.push(a);
    }
    merged.sort_by(|a, b| (a.kind, &a.path, &a.id).cmp(&(b.kind, &b.path, &b.id)));
    for a in merged.iter_mut() {
        a.depends_on.sort();
        a.depends_on.dedup();
    }
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    let posture = posture::score(merged.iter().flat_map(|a| a.risks.iter()));
    Inventory {
        schema: Inventory::SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        root: root.display().to_string(),
        generated_at: crate::now_rfc3339(),
        files_seen,
        bytes_read: bytes,
        assets: merged,
        errors: std::mem::take(errors),
        posture,
    }
}

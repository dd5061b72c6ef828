//! Dispatch: sniff a blob, hand it to the right scanner, recurse into
//! containers within the depth and decompression bounds.

use crate::blob::{read_range, Blob, BlobReader, FileBlob, HeadBlob, SubBlob};
use crate::pickle::{Anomaly, PickleReport};
use crate::policy::Verdict;
use crate::rules::{self, Rule};
use crate::sniff::{extension, extension_claims_no_pickle, sniff_head, ArtifactKind, SNIFF_LEN};
use crate::zipread::{self, ZipAnomaly};
use crate::{formats, secrets, ScanError, ScanOptions, ScanReport};
use rampart_core::redact::{sanitize_for_display, truncate};
use rampart_core::{Finding, Severity};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Per top-level file: options, nesting depth and decompression budget.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub opts: &'a ScanOptions,
    pub depth: usize,
    pub used: &'a AtomicU64,
    /// The blob is a member of a PyTorch zip checkpoint (the archive holds a
    /// `data.pkl`): only `torch.load` reads it, as raw storage bytes, never
    /// as an archive of its own.
    pub torch_member: bool,
    /// The blob is a `.pkl` member of a PyTorch zip checkpoint (`data.pkl`,
    /// TorchScript's `constants.pkl`): `torch.load` unpickles it whatever
    /// its first bytes look like, so it is scanned as a pickle in any case.
    pub pickle_member: bool,
    /// Where the top-level file lies on disk, when it was read from there:
    /// formats that name sibling files (a `config.json`'s `auto_map`, an
    /// ONNX model's external data) look them up. `None` for members and
    /// buffers.
    pub disk: Option<&'a Path>,
}

impl<'a> Ctx<'a> {
    /// The context of a file or buffer scanned at the top level, with the
    /// decompression budget it and everything inside it share.
    fn top(opts: &'a ScanOptions, used: &'a AtomicU64, disk: Option<&'a Path>) -> Ctx<'a> {
        Ctx {
            opts,
            depth: 0,
            used,
            torch_member: false,
            pickle_member: false,
            disk,
        }
    }

    pub fn nested(&self) -> Ctx<'a> {
        Ctx {
            opts: self.opts,
            depth: self.depth + 1,
            used: self.used,
            torch_member: false,
            pickle_member: false,
            disk: None,
        }
    }
    /// Bytes still allowed to be decompressed for this top-level file.
    pub fn remaining(&self) -> u64 {
        self.opts
            .limits
            .max_total_uncompressed
            .saturating_sub(self.used.load(Ordering::Relaxed))
    }
    pub fn charge(&self, n: u64) {
        self.used.fetch_add(n, Ordering::Relaxed);
    }
}

/// Findings and errors for one top-level file.
#[derive(Default)]
pub(crate) struct Out {
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    /// The `.py` members of the archive being walked, as paths without the
    /// extension (`archive/code/torch/nn/modules/linear`,
    /// `pkg/__init__`): TorchScript compiles `code/<module path>.py` for a
    /// class its pickle names, and `torch.package` imports the modules it
    /// carries, so a pickle global found there runs the archive's own code
    /// whatever the policy says of its name.
    pub own_sources: Vec<String>,
}

impl Out {
    /// An error entry and its finding: never silently skipped.
    pub fn fail(&mut self, rule: &Rule, path: &str, message: impl Into<String>) {
        let m = message.into();
        self.errors.push(ScanError {
            path: path.to_string(),
            message: m.clone(),
        });
        self.findings.push(rule.finding(path, m));
    }
    pub fn add(&mut self, f: Finding) {
        self.findings.push(f);
    }
}

/// Scan one file (no directory walking) into a report.
pub fn scan_file(path: &Path, opts: &ScanOptions) -> ScanReport {
    let mut rep = ScanReport::default();
    let display = path.display().to_string();
    let mut out = Out::default();
    match scan_path_into(path, &display, opts, &mut out) {
        Some(true) => rep.summary.files_scanned += 1,
        _ => rep.summary.files_skipped += 1,
    }
    rep.findings = out.findings;
    rep.errors = out.errors;
    rep.finish();
    rep
}

/// Scan bytes held in memory, named `name` in findings.
pub fn scan_bytes(name: &str, bytes: &[u8], opts: &ScanOptions) -> ScanReport {
    let used = AtomicU64::new(0);
    let ctx = Ctx::top(opts, &used, None);
    let mut out = Out::default();
    let scanned = scan_blob(name, &bytes, &ctx, &mut out);
    let mut rep = ScanReport {
        findings: out.findings,
        errors: out.errors,
        ..Default::default()
    };
    if scanned {
        rep.summary.files_scanned = 1;
    } else {
        rep.summary.files_skipped = 1;
    }
    rep.finish();
    rep
}

/// Open and scan one file. `None` when it could not be opened (an error was
/// recorded), else whether a scanner looked at it.
pub(crate) fn scan_path_into(
    path: &Path,
    display: &str,
    opts: &ScanOptions,
    out: &mut Out,
) -> Option<bool> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.fail(
                &rules::FILE_UNREADABLE,
                display,
                format!("cannot open: {e}"),
            );
            return None;
        }
    };
    let used = AtomicU64::new(0);
    let ctx = Ctx::top(opts, &used, Some(path));
    // Most files of a model directory are small: one read gets all of one
    // (no stat, no further reads: every scanner then works from memory),
    // and a larger one keeps the bytes read as its cached head.
    let mut head = Pooled::take();
    if let Some(e) = head.fill(&mut file, SMALL_FILE + 1) {
        out.fail(&rules::FILE_UNREADABLE, display, format!("read error: {e}"));
        return None;
    }
    if head.n <= SMALL_FILE {
        return Some(scan_blob(display, &head, &ctx, out));
    }
    let blob = match FileBlob::with_head(file, head[..].to_vec()) {
        Ok(b) => b,
        Err(e) => {
            out.fail(
                &rules::FILE_UNREADABLE,
                display,
                format!("cannot stat: {e}"),
            );
            return None;
        }
    };
    Some(scan_blob(display, &blob, &ctx, out))
}

/// Files up to this size are read whole with one read.
const SMALL_FILE: usize = SNIFF_LEN;

/// Sniff and scan one blob. Returns whether a scanner looked at it.
pub(crate) fn scan_blob(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) -> bool {
    let mut kind = match sniff_blob(blob, ctx.torch_member) {
        Ok(k) => k,
        Err(e) => {
            out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}"));
            return false;
        }
    };
    // A zip directory at the end of an image or unknown blob is a zip to
    // Python's zipfile (Keras, NumPy's npz, pandas' `.zip` inference,
    // generic loaders): polyglot files are scanned as archives. Tensor
    // storages inside a PyTorch checkpoint are never opened that way, and
    // searching the last 64 KiB of each of them was most of the cost of
    // scanning a large checkpoint.
    // Every other format keeps its own scan and is read as a zip too:
    // `zipfile.is_zipfile` looks only at the end, so a `.keras` or
    // `.pkl.zip` file may start with text, a harmless pickle, a tar, an xz
    // stream, an `.npy` array or a GGUF header.
    let mut zip_too = false;
    if kind != ArtifactKind::Zip && !ctx.torch_member && has_zip_tail(blob) {
        if matches!(kind, ArtifactKind::Unknown | ArtifactKind::Image) {
            kind = ArtifactKind::Zip;
        } else {
            zip_too = true;
        }
    }
    // A first block that Python's tarfile takes for a header makes the
    // blob a tar to every loader that opens it as one, whatever format its
    // first bytes are (`tarfile.open(mode="r")` falls back to plain tar
    // after the compressed readers fail, as pandas does for `.tar`;
    // torch's legacy loader opens `r:`): a gzip whose FEXTRA field holds a
    // tar, an `.npy` header that is also a tar header. Read as both.
    let mut tar_too = false;
    if kind != ArtifactKind::Tar
        && !ctx.torch_member
        && read_range(blob, 0, 512).is_ok_and(|h| crate::tarread::is_header(&h))
    {
        if matches!(kind, ArtifactKind::Unknown | ArtifactKind::Image) {
            kind = ArtifactKind::Tar;
        } else {
            tar_too = true;
        }
    }
    check_extension(name, kind, out);
    // A `.onnx` file or a `saved_model.pb` goes to its loader whatever its
    // bytes look like: one the sniffer does not recognise is read as that
    // model all the same, never skipped.
    if let Some(k) = formats::onnx::claimed_but_unsniffed(name, kind, out) {
        kind = k;
    }
    // Formats whose leading bytes can also be a pickle's: `GIF89a` is a
    // BINFLOAT, and a tar header, a safetensors length or an HDF5 user
    // block can hold opcodes. `pickle.load` reads such a polyglot as a
    // pickle whatever else it is, so it is scanned as both.
    let also_pickle = kind != ArtifactKind::Pickle
        && (ctx.pickle_member
            || (matches!(
                kind,
                ArtifactKind::Image
                    | ArtifactKind::Tar
                    | ArtifactKind::Safetensors
                    | ArtifactKind::Hdf5
                    | ArtifactKind::Bzip2
                    | ArtifactKind::Gguf
            ) && probe_pickle(blob))
            // A pickle with no PROTO whose first operand outruns the head
            // (BINBYTES of 100 KB, then the call): unknown binary to the
            // sniffer, a pickle to `pickle.load`.
            || (kind == ArtifactKind::Unknown && !ctx.torch_member && probe_pickle(blob)));
    let scanned = scan_as(name, kind, blob, ctx, out);
    if zip_too {
        scan_as(name, ArtifactKind::Zip, blob, ctx, out);
    }
    if tar_too {
        scan_as(name, ArtifactKind::Tar, blob, ctx, out);
    }
    if also_pickle {
        scan_pickle_blob(name, blob, 0, ctx, out);
        return true;
    }
    scanned
}

/// Whether a blob sniffed as another format parses as a pickle too.
fn probe_pickle(blob: &dyn Blob) -> bool {
    let Ok(head) = read_range(blob, 0, SNIFF_LEN) else {
        return false;
    };
    if head.is_empty() || !crate::pickle::is_opcode(head[0]) {
        return false;
    }
    if crate::pickle::looks_like_pickle(&head, blob.size()) {
        return true;
    }
    // `BZh1...` is BINBYTES whose 4-byte length swallows the rest of the
    // other format's header: probe what follows that operand, with its
    // value on the stack (`N` stands for it), and call it a pickle only if
    // it imports something.
    let len = match head[0] {
        b'B' | b'T' | b'X' if head.len() >= 5 => {
            u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as u64 + 5
        }
        // BINUNICODE8, BINBYTES8, BYTEARRAY8: 8-byte lengths.
        0x8d | 0x8e | 0x96 if head.len() >= 9 => {
            u64::from_le_bytes(head[1..9].try_into().unwrap_or([0xff; 8])).saturating_add(9)
        }
        _ => return false,
    };
    if len >= blob.size() {
        return false;
    }
    pickle_after_operand(blob, len)
}

/// Whether the bytes of `blob` from `at`, read as the rest of a pickle
/// whose first opcode pushed one value (`N` stands for it), are a pickle
/// that imports something: text and compressed data do not go on with
/// opcodes after a long first operand.
fn pickle_after_operand(blob: &dyn Blob, at: u64) -> bool {
    let Ok(rest) = read_range(blob, at, SNIFF_LEN - 1) else {
        return false;
    };
    let mut probe = Vec::with_capacity(rest.len() + 1);
    probe.push(b'N');
    probe.extend_from_slice(&rest);
    !crate::pickle::scan_pickle(&probe).globals.is_empty()
        && crate::pickle::looks_like_pickle(&probe, blob.size() - at + 1)
}

/// Hand a blob to the scanner for its kind. Returns whether one looked at it.
fn scan_as(name: &str, kind: ArtifactKind, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) -> bool {
    if ctx.depth > 0
        && name.ends_with(".py")
        && matches!(kind, ArtifactKind::Json | ArtifactKind::Unknown)
    {
        python_member_bytes(name, blob, ctx, out);
    }
    if kind.is_model() && ctx.depth > ctx.opts.limits.max_depth {
        out.add(rules::ARC_DEPTH.finding(
            name,
            format!(
                "nested deeper than {} archives: not scanned",
                ctx.opts.limits.max_depth
            ),
        ));
        return true;
    }
    match kind {
        ArtifactKind::Pickle => {
            scan_pickle_blob(name, blob, 0, ctx, out);
            true
        }
        ArtifactKind::Zip => {
            scan_zip(name, blob, ctx, out);
            true
        }
        ArtifactKind::Tar => {
            scan_tar(name, blob, ctx, out);
            true
        }
        ArtifactKind::Gzip
        | ArtifactKind::Bzip2
        | ArtifactKind::Xz
        | ArtifactKind::Lzma
        | ArtifactKind::Zlib
        | ArtifactKind::Lz4
        | ArtifactKind::Zstd
        | ArtifactKind::JoblibZfile => {
            scan_compressed(name, kind, blob, ctx, out);
            true
        }
        ArtifactKind::SevenZip | ArtifactKind::Rar => {
            // Compressed members cannot be seen: not fully parsed, so an
            // error entry (exit 2) as well as a finding, even when carving
            // finds nothing.
            out.fail(
                &rules::ARC_UNSUPPORTED,
                name,
                format!(
                    "{} archives are not unpacked; their bytes were only searched for embedded pickles",
                    kind.as_str()
                ),
            );
            carve_pickles(name, blob, ctx, out);
            true
        }
        ArtifactKind::NumpyNpy => {
            formats::numpy::scan(name, blob, ctx, out);
            true
        }
        ArtifactKind::Safetensors => {
            formats::safetensors::scan(name, blob, out);
            true
        }
        ArtifactKind::Gguf => {
            formats::gguf::scan(name, blob, out);
            true
        }
        ArtifactKind::Hdf5 => {
            formats::keras::scan_h5(name, blob, ctx, out);
            true
        }
        ArtifactKind::Onnx => {
            // A SavedModel whose TensorFlow words sit past the sniffed head
            // starts like an ONNX model (field 1 = 1, then field 2): its ops
            // are looked for too.
            with_bytes(name, blob, ctx, out, |b, out| {
                formats::onnx::scan(name, b, ctx.disk.and_then(Path::parent), out);
                formats::tf::scan(name, b, out);
            });
            true
        }
        ArtifactKind::TfSavedModel => {
            with_bytes(name, blob, ctx, out, |b, out| {
                formats::tf::scan(name, b, out)
            });
            true
        }
        ArtifactKind::Notebook => {
            if ctx.opts.secrets {
                with_text(name, blob, ctx, out, |t, out| {
                    secrets::scan_notebook(name, t, ctx.opts, out)
                });
            }
            true
        }
        ArtifactKind::Json => {
            // A skops schema and a transformers config are read whole by
            // their loaders, so a payload after the text bound must not
            // pass unread: they get a larger bound, and beyond it a high
            // finding.
            let whole = formats::skops::is_schema(name) || formats::hf::is_config_name(name);
            let cap = if whole {
                ctx.opts.limits.max_text_bytes.max(MODEL_JSON_BYTES)
            } else {
                ctx.opts.limits.max_text_bytes
            };
            let (b, cut) = match crate::blob::read_capped(blob, cap) {
                Ok(r) => r,
                Err(e) => {
                    out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}"));
                    return true;
                }
            };
            let t = String::from_utf8_lossy(&b);
            if cut && whole {
                out.add(rules::FILE_TOO_LARGE.finding_sev(
                    Severity::High,
                    name,
                    format!("larger than {cap} bytes: its loader reads it whole (code references may follow), the scanner read only the start"),
                ));
            }
            if formats::mlflow::is_mlmodel(name) {
                formats::mlflow::scan(name, &t, ctx.disk.and_then(Path::parent), out);
            }
            json_checks(name, &t, ctx, out);
            if ctx.opts.secrets {
                let end = t.floor_char_boundary(ctx.opts.limits.max_text_bytes as usize);
                secrets::scan_text_into(name, &t[..end], ctx.opts, out);
            }
            true
        }
        ArtifactKind::Text => {
            let mlmodel = formats::mlflow::is_mlmodel(name);
            // Python inside an archive is the model's own code (TorchScript
            // `code/`, torch.package, bundled MLflow or remote code); a
            // `.py` file on disk is the user's, which a model scan does not
            // judge unless a config names it.
            let py = ctx.depth > 0 && name.ends_with(".py");
            // transformers keeps a tokenizer's template as
            // `chat_template.jinja` (and named ones under
            // `additional_chat_templates/`).
            let jinja = name.ends_with(".jinja");
            // NeMo's `model_config.yaml` and its peers: Hydra `_target_`s.
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            // RWKV vocabularies (`rwkv_vocab_v20230424.txt`, keras-hub's
            // `vocab.txt`) are read with eval().
            let txt = name.ends_with(".txt");
            if ctx.opts.secrets || mlmodel || py || jinja || yaml || txt {
                with_text(name, blob, ctx, out, |t, out| {
                    if mlmodel {
                        formats::mlflow::scan(name, t, ctx.disk.and_then(Path::parent), out);
                    }
                    if jinja {
                        chat_template_finding(name, t, out);
                    }
                    if py {
                        python_member(name, t, out);
                    }
                    if txt {
                        let cut = blob.size() > ctx.opts.limits.max_text_bytes;
                        formats::rwkv::scan(name, t, cut, out);
                    }
                    if yaml || memchr::memmem::find(t.as_bytes(), b"_target_").is_some() {
                        formats::hydra::scan_text(name, t, formats::hydra::Syntax::Yaml, out);
                    }
                    if ctx.opts.secrets {
                        secrets::scan_text_into(name, t, ctx.opts, out)
                    }
                });
                true
            } else {
                false
            }
        }
        ArtifactKind::Unknown => {
            // A UTF-16 or UTF-32 `config.json`: `json.loads` reads it.
            // Tensor storages are never JSON to their loader.
            if ctx.torch_member || blob.size() > ctx.opts.limits.max_text_bytes {
                return false;
            }
            let Ok(head) = read_range(blob, 0, SNIFF_LEN) else {
                return false;
            };
            // Keras configs inside other binary files (a Keras 2
            // SavedModel's `keras_metadata.pb` holds each layer's config as
            // a JSON string): the HDF5 config search finds them.
            if memchr::memmem::find(&head, b"\"class_name\"").is_some() {
                formats::keras::scan_embedded_json(name, blob, ctx, out, false);
                return true;
            }
            if formats::keras::decode_wide_json(&head[..head.len().min(8)]).is_none() {
                return false;
            }
            let Ok(b) = read_range(blob, 0, blob.size() as usize) else {
                return false;
            };
            match formats::keras::decode_wide_json(&b) {
                Some(t) => {
                    json_checks(name, &t, ctx, out);
                    true
                }
                None => false,
            }
        }
        ArtifactKind::Image => false,
    }
}

/// The JSON formats that name code: Keras configs, skops schemas and
/// transformers configs (UTF-8, or UTF-16/32 as `json.loads(bytes)` reads
/// them).
fn json_checks(name: &str, t: &str, ctx: &Ctx<'_>, out: &mut Out) {
    formats::keras::scan_json_text(name, t, out);
    formats::hydra::scan_text(name, t, formats::hydra::Syntax::Json, out);
    formats::hf::scan_attn_kernels(name, t, out);
    formats::hf::scan_tokenizer_paths(name, t, out);
    if name.ends_with(".jinja") {
        // A template that opens with `{%` sniffs as JSON.
        chat_template_finding(name, t, out);
    } else if memchr::memmem::find(t.as_bytes(), b"chat_template").is_some() {
        config_chat_templates(name, t, out);
    }
    if formats::skops::is_schema(name) {
        formats::skops::scan(name, t, &ctx.opts.policy, out);
    }
    if formats::hf::may_map_code(name, t) {
        formats::hf::scan_json_text(
            name,
            t,
            ctx.disk.and_then(Path::parent),
            ctx.opts.limits.max_text_bytes,
            out,
        );
    }
}

/// The chat templates of a tokenizer config (`"chat_template"`: a string,
/// or a list of `{"name", "template"}`), which transformers renders in
/// its Jinja sandbox: judged as a GGUF's are (review round of session 22:
/// the template patterns never read them).
fn config_chat_templates(name: &str, t: &str, out: &mut Out) {
    let Some(v) = formats::keras::parse_python_json(t) else {
        return;
    };
    let templates: Vec<&str> = match v.get("chat_template") {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|e| e.get("template").and_then(|t| t.as_str()))
            .collect(),
        _ => Vec::new(),
    };
    for tpl in templates {
        chat_template_finding(name, tpl, out);
    }
}

/// A finding for a chat template that reaches for Python (critical) or
/// uses unusual constructs (medium).
fn chat_template_finding(name: &str, tpl: &str, out: &mut Out) {
    if let Some((crit, ev)) = formats::gguf::template_risk(tpl) {
        let rule = if crit {
            &rules::TEMPLATE_INJECTION
        } else {
            &rules::TEMPLATE_SUSPECT
        };
        out.add(
            rule.finding(
                name,
                format!(
                    "chat template: {}",
                    sanitize_for_display(&truncate(&ev, 120))
                ),
            )
            .with_evidence(sanitize_for_display(&truncate(&ev, 120))),
        );
    }
}

/// The bound for a skops schema or a transformers config read whole.
const MODEL_JSON_BYTES: u64 = 64 << 20;

/// Bytes read first: enough for every magic number.
const QUICK_SNIFF: usize = 4096;

/// Sniff a blob, reading the full [`SNIFF_LEN`] head only when the first
/// [`QUICK_SNIFF`] bytes leave the answer open: a tensor member of a large
/// checkpoint costs 4 KiB, not 64.
///
/// `torch_member`: the blob is a storage of a PyTorch checkpoint, which no
/// loader opens as HDF5, so the probes for a signature behind a user block
/// of 8-32 KiB (three reads per tensor) are not made; a signature in the
/// first 4 KiB + 8 bytes is still seen.
fn sniff_blob(blob: &dyn Blob, torch_member: bool) -> std::io::Result<ArtifactKind> {
    let size = blob.size();
    let small = read_range(blob, 0, QUICK_SNIFF)?;
    if small.len() as u64 >= size {
        return Ok(sniff_head(&small, size));
    }
    let k = sniff_head(&small, size);
    let decided = match k {
        // Decided by magic numbers at the start, before any check that
        // looks further into the head.
        ArtifactKind::Zip
        | ArtifactKind::NumpyNpy
        | ArtifactKind::Gguf
        | ArtifactKind::Hdf5
        | ArtifactKind::SevenZip
        | ArtifactKind::Rar
        | ArtifactKind::Gzip
        | ArtifactKind::Bzip2
        | ArtifactKind::Xz
        | ArtifactKind::Lz4
        | ArtifactKind::Zstd
        | ArtifactKind::JoblibZfile
        | ArtifactKind::Tar
        | ArtifactKind::Image => true,
        // Binary that no longer head can turn into a pickle (first byte),
        // a protobuf (first byte), a small prepended-data zip (size) or an
        // HDF5 file behind a user block (probed directly).
        ArtifactKind::Unknown => {
            !crate::pickle::is_opcode(small[0])
                && small[0] != 0x08
                && size > SNIFF_LEN as u64
                && !hdf5_after_user_block(blob, torch_member)
        }
        _ => false,
    };
    if decided {
        return Ok(k);
    }
    let head = read_range(blob, 0, SNIFF_LEN)?;
    let k = sniff_head(&head, size);
    if k == ArtifactKind::Text && long_first_operand(blob, &head) {
        return Ok(ArtifactKind::Pickle);
    }
    Ok(k)
}

/// How far past the head a protocol 0 pickle's first line is followed.
const FIRST_LINE_MAX: u64 = 16 << 20;

/// A protocol 0 pickle whose first opcode's line operand (a STRING,
/// UNICODE or PERSID of 70,000 bytes) runs past the head reads as text to
/// the sniffer. Find the end of that line and ask whether what follows, with
/// the operand's value on the stack, is a pickle that imports something:
/// text does not go on with opcodes.
fn long_first_operand(blob: &dyn Blob, head: &[u8]) -> bool {
    let size = blob.size();
    if head.len() < SNIFF_LEN
        || (head.len() as u64) >= size
        || !matches!(head[0], b'S' | b'V' | b'P')
        || memchr::memchr(b'\n', head).is_some()
    {
        return false;
    }
    let mut at = head.len() as u64;
    let end = size.min(FIRST_LINE_MAX);
    while at < end {
        let Ok(chunk) = read_range(blob, at, 1 << 20) else {
            return false;
        };
        if chunk.is_empty() {
            return false;
        }
        if let Some(i) = memchr::memchr(b'\n', &chunk) {
            return pickle_after_operand(blob, at + i as u64 + 1);
        }
        at += chunk.len() as u64;
    }
    false
}

/// HDF5 signatures past the first 4 KiB (user blocks of 4-32 KiB; only
/// 4 KiB in a checkpoint's storage, see [`sniff_blob`]).
fn hdf5_after_user_block(blob: &dyn Blob, torch_member: bool) -> bool {
    let offs: &[u64] = if torch_member {
        &[4096]
    } else {
        &[4096, 8192, 16384, 32768]
    };
    offs.iter()
        .any(|&off| read_range(blob, off, 8).is_ok_and(|b| b == b"\x89HDF\r\n\x1a\n"))
}

fn has_zip_tail(blob: &dyn Blob) -> bool {
    let size = blob.size();
    if size < 22 {
        return false;
    }
    let n = size.min(65_557 + 22);
    match read_range(blob, size - n, n as usize) {
        Ok(t) => {
            memchr::memmem::rfind(&t, b"PK\x05\x06").is_some()
                && zipread::list(blob).is_ok_and(|l| !l.entries.is_empty())
        }
        Err(_) => false,
    }
}

fn check_extension(name: &str, kind: ArtifactKind, out: &mut Out) {
    let Some(ext) = extension(name) else { return };
    let claimed = match ext.as_str() {
        "safetensors" => Some(ArtifactKind::Safetensors),
        "gguf" => Some(ArtifactKind::Gguf),
        "npy" => Some(ArtifactKind::NumpyNpy),
        "onnx" => Some(ArtifactKind::Onnx),
        "h5" | "hdf5" => Some(ArtifactKind::Hdf5),
        "zip" | "npz" | "keras" => Some(ArtifactKind::Zip),
        _ => None,
    };
    let mismatch = match claimed {
        Some(c) => c != kind && kind.is_model(),
        None => kind == ArtifactKind::Pickle && extension_claims_no_pickle(&ext),
    };
    if mismatch {
        let sev = if kind == ArtifactKind::Pickle || kind == ArtifactKind::Zip {
            Severity::High
        } else {
            Severity::Medium
        };
        out.add(
            rules::EXT_MISMATCH
                .finding_sev(
                    sev,
                    name,
                    format!(
                        "the name claims .{ext} but the content is {}",
                        kind.as_str()
                    ),
                )
                .with_meta("content", kind.as_str())
                .with_meta("extension", ext),
        );
    }
}

/// Run `f` over the blob's bytes, read whole up to the read limit.
fn with_bytes(
    name: &str,
    blob: &dyn Blob,
    ctx: &Ctx<'_>,
    out: &mut Out,
    f: impl FnOnce(&[u8], &mut Out),
) {
    match crate::blob::read_capped(blob, ctx.opts.limits.max_read_bytes) {
        Ok((b, cut)) => {
            if cut {
                out.add(rules::FILE_TOO_LARGE.finding(
                    name,
                    format!("only the first {} bytes were scanned", b.len()),
                ));
            }
            f(&b, out)
        }
        Err(e) => out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    }
}

/// `RAMP-PY-001` for Python an archive carries, when it holds one of the
/// constructs [`formats::pysrc`] looks for.
fn python_member(name: &str, t: &str, out: &mut Out) {
    let hits = formats::pysrc::analyse(t);
    if !hits.is_empty() {
        out.add(rules::PY_DANGEROUS.finding(
            name,
            format!(
                "the archive carries Python that its loader may import: {}",
                formats::pysrc::describe(&hits)
            ),
        ));
    }
}

/// A `.py` member that does not read as UTF-8 text (a Latin-1 or
/// Shift-JIS byte, a `{` first that makes it look like JSON): Python still
/// imports it, so it is analysed, bytes outside UTF-8 read as Latin-1.
fn python_member_bytes(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    match crate::blob::read_capped(blob, ctx.opts.limits.max_text_bytes) {
        Ok((b, _)) => {
            let t = match std::str::from_utf8(&b) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => std::borrow::Cow::Owned(b.iter().map(|&c| c as char).collect()),
            };
            python_member(name, &t, out);
        }
        Err(e) => out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    }
}

fn with_text(
    name: &str,
    blob: &dyn Blob,
    ctx: &Ctx<'_>,
    out: &mut Out,
    f: impl FnOnce(&str, &mut Out),
) {
    match crate::blob::read_capped(blob, ctx.opts.limits.max_text_bytes) {
        Ok((b, _cut)) => {
            let t = String::from_utf8_lossy(&b);
            f(&t, out)
        }
        Err(e) => out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    }
}

/// Scan the pickle(s) of a blob starting at `start`.
pub(crate) fn scan_pickle_blob(
    name: &str,
    blob: &dyn Blob,
    start: u64,
    ctx: &Ctx<'_>,
    out: &mut Out,
) -> PickleReport {
    // Buffers sized to the pickle: a 256 KiB BufReader (zeroed on first
    // fill) for every small pickle cost more than parsing it. Large ones
    // keep the big buffer, which also makes skipping long arrays cheap.
    let len = blob.size().saturating_sub(start);
    let mut rep = crate::pickle::scan_pickle_reader_hint(
        std::io::BufReader::with_capacity(
            (len.saturating_add(1)).min(256 * 1024) as usize,
            BlobReader::new(blob, start),
        ),
        len,
    );
    // joblib's reading skips array bytes that `pickle.load` and `torch.load`
    // run as opcodes: read it their way too.
    if rep.joblib_arrays > 0 {
        let plain = crate::pickle::plain_reader_imports(
            std::io::BufReader::with_capacity(
                (len.saturating_add(1)).min(256 * 1024) as usize,
                BlobReader::new(blob, start),
            ),
            len,
        );
        crate::pickle::merge_plain(&mut rep, plain);
    }
    pickle_findings(name, &rep, start, ctx.opts, out);
    if rep
        .globals
        .iter()
        .any(|g| g.module.starts_with("joblib.numpy_pickle"))
    {
        carve_joblib(name, blob, start, &rep, ctx, out);
    }
    rep
}

/// joblib decides where array bytes end with `isinstance`, the dtype's
/// pickled state and any alignment value, which the machine follows only
/// approximately (a wrapper built through `copyreg.__newobj__`, a float
/// alignment, a memoised state dict changed after its PUT, `<g` being 16
/// bytes): a payload can sit where one reading sees opcodes and the other
/// data. Dangerous imports spelled anywhere in such a stream are reported,
/// read in chunks; only dangerous ones, since array bytes can spell a
/// harmless-looking name by chance.
fn carve_joblib(
    name: &str,
    blob: &dyn Blob,
    start: u64,
    rep: &PickleReport,
    ctx: &Ctx<'_>,
    out: &mut Out,
) {
    const CHUNK: u64 = 16 << 20;
    const OVERLAP: u64 = 1024;
    // No `getattr` here is resolved to its lookups
    // (`PickleReport::lookup_only` never holds in a stream that imports
    // from joblib), so every import the machine saw was reported.
    let mut seen: std::collections::HashSet<(String, String)> = rep
        .globals
        .iter()
        .map(|g| (g.module.clone(), g.name.clone()))
        .collect();
    let end = blob
        .size()
        .min(start.saturating_add(ctx.opts.limits.max_read_bytes));
    let mut off = start;
    let mut found = Vec::new();
    while off < end {
        let Ok(buf) = read_range(blob, off, (end - off).min(CHUNK) as usize) else {
            break;
        };
        for (o, m, n) in crate::pickle::carve_imports(&buf) {
            if matches!(ctx.opts.policy.classify(&m, &n), Verdict::Dangerous(_))
                && seen.insert((m.clone(), n.clone()))
            {
                found.push(crate::pickle::GlobalImport {
                    module: m,
                    name: n,
                    offset: off + o - start,
                    opcode: crate::pickle::ImportOp::Global,
                    pickle: 0,
                    called: false,
                });
            }
        }
        if (buf.len() as u64) < CHUNK {
            break;
        }
        off += CHUNK - OVERLAP;
    }
    if found.is_empty() {
        return;
    }
    let carved = PickleReport {
        globals: found,
        ..PickleReport::default()
    };
    let mut sub = Out {
        own_sources: out.own_sources.clone(),
        ..Out::default()
    };
    pickle_findings(name, &carved, start, ctx.opts, &mut sub);
    out.findings.extend(
        sub.findings
            .into_iter()
            .map(|f| f.with_meta("carved", true)),
    );
}

/// The archive source that defines `module`, if any: a `.py` member whose
/// path ends with the module's path (`torch/nn/modules/linear`) or with
/// its package's `__init__`.
fn own_source(sources: &[String], module: &str) -> Option<String> {
    if sources.is_empty() || module.is_empty() {
        return None;
    }
    let path = module.replace('.', "/");
    let pkg = format!("{path}/__init__");
    let ends = |s: &str, p: &str| {
        s == p
            || (s.len() > p.len() && s.ends_with(p) && s.as_bytes()[s.len() - p.len() - 1] == b'/')
    };
    sources
        .iter()
        .find(|s| ends(s, &path) || ends(s, &pkg))
        .cloned()
}

/// Turn a pickle report into findings (deduplicated per global).
pub(crate) fn pickle_findings(
    name: &str,
    rep: &PickleReport,
    base: u64,
    opts: &ScanOptions,
    out: &mut Out,
) {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut own_seen: Vec<&str> = Vec::new();
    for (i, g) in rep.globals.iter().enumerate() {
        if rep.lookup_only(i) {
            // Its lookups are imports of their own, judged below.
            continue;
        }
        if let Some(src) = own_source(&out.own_sources, &g.module) {
            if !own_seen.contains(&g.module.as_str()) {
                own_seen.push(&g.module);
                let full = format!("{}.{}", g.module, g.name);
                let shown = sanitize_for_display(&truncate(&full, 200));
                let f = rules::PKL_OWN_CODE
                    .finding(
                        name,
                        format!(
                            "import {shown} is defined by the archive's own source {}.py: loading compiles or imports it (TorchScript, torch.package), so the archive's code runs",
                            sanitize_for_display(&truncate(&src, 200))
                        ),
                    )
                    .with_evidence(shown)
                    .with_meta("offsets", vec![g.offset + base]);
                out.add(f);
            }
        }
        let key = (g.module.clone(), g.name.clone());
        if let Some(&i) = seen.get(&key) {
            let f: &mut Finding = &mut out.findings[i];
            if let Some(serde_json::Value::Array(a)) = f.metadata.get_mut("offsets") {
                if a.len() < 32 {
                    a.push((g.offset + base).into());
                }
            }
            continue;
        }
        let full = format!("{}.{}", g.module, g.name);
        let shown = sanitize_for_display(&truncate(&full, 200));
        let (rule, msg) = match opts.policy.classify(&g.module, &g.name) {
            Verdict::Safe => continue,
            Verdict::Dangerous(why) => (
                rules::PKL_DANGEROUS,
                format!(
                    "dangerous import {shown}: {}",
                    sanitize_for_display(&truncate(&why, 300))
                ),
            ),
            Verdict::Unknown => (
                rules::PKL_UNKNOWN,
                format!(
                    "unknown import {shown}: not on the allowlist of globals ML checkpoints need"
                ),
            ),
        };
        let mut f = rule
            .finding(name, msg)
            .with_evidence(shown)
            .with_meta("opcode", g.opcode.as_str())
            .with_meta("pickle", g.pickle)
            .with_meta("called", g.called)
            .with_meta("offsets", vec![g.offset + base]);
        if let Some(l) = f.location.as_mut() {
            l.offset = Some(g.offset + base);
        }
        seen.insert(key, out.findings.len());
        out.add(f);
    }
    for a in &rep.anomalies {
        let (rule, off, msg) = match a {
            Anomaly::DynamicImport { offset, detail } => (
                rules::PKL_DYNAMIC,
                *offset,
                format!(
                    "computed import: {}",
                    sanitize_for_display(&truncate(detail, 300))
                ),
            ),
            Anomaly::Extension { offset, code } => (
                rules::PKL_EXT,
                *offset,
                format!("EXT opcode imports extension code {code} from the copyreg registry"),
            ),
            Anomaly::TreeNodes { offset, detail } => (rules::NPY_TREE, *offset, detail.clone()),
            Anomaly::Spline { offset, detail } => (rules::NPY_SPLINE, *offset, detail.clone()),
            Anomaly::Codes { offset, detail } => (rules::NPY_CATEGORICAL, *offset, detail.clone()),
            Anomaly::Mask { offset, detail } => (rules::NPY_MASK, *offset, detail.clone()),
            Anomaly::State { offset, detail } => (rules::NPY_STATE, *offset, detail.clone()),
            Anomaly::FrameStraddle { offset, detail } => (
                rules::PKL_FRAME,
                *offset,
                sanitize_for_display(&truncate(detail, 300)),
            ),
            Anomaly::ComputedCall { offset, detail } => (
                rules::PKL_COMPUTED_CALL,
                *offset,
                sanitize_for_display(&truncate(detail, 300)),
            ),
            Anomaly::TreeUnchecked { offset, detail } => (
                rules::NPY_TREE_UNCHECKED,
                *offset,
                format!("not checked: {detail}"),
            ),
            Anomaly::BuildOnImport {
                offset,
                module,
                name: n,
            } => (
                rules::PKL_BUILD_GLOBAL,
                *offset,
                format!(
                    "BUILD sets attributes on the imported object {}",
                    sanitize_for_display(&truncate(&format!("{module}.{n}"), 200))
                ),
            ),
        };
        let mut f = rule.finding(name, msg);
        if let Some(l) = f.location.as_mut() {
            l.offset = Some(off + base);
        }
        out.add(f);
    }
    if let Some(e) = &rep.error {
        let msg = format!(
            "pickle parse error at offset {}: {}",
            e.offset + base,
            e.message
        );
        out.errors.push(ScanError {
            path: name.to_string(),
            message: msg.clone(),
        });
        let mut f = rules::PKL_PARSE
            .finding(name, msg.clone())
            .with_meta("globals_before_error", rep.globals.len());
        if let Some(l) = f.location.as_mut() {
            l.offset = Some(e.offset + base);
        }
        out.add(f);
        // A bound of the machine's own, not a fault Python stops at too:
        // padding to a bound must not turn a payload after it into a
        // medium finding (review round, session 22).
        if e.limit {
            let mut f = rules::PKL_LIMIT.finding(name, msg);
            if let Some(l) = f.location.as_mut() {
                l.offset = Some(e.offset + base);
            }
            out.add(f);
        }
    }
}

fn member_path_escapes(n: &str) -> bool {
    let n = n.replace('\\', "/");
    n.starts_with('/')
        || n.split('/').any(|s| s == "..")
        || (n.len() > 1 && n.as_bytes()[1] == b':')
}

fn scan_zip(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    let listing = match zipread::list(blob) {
        Ok(l) => l,
        Err(e) => {
            out.fail(&rules::ZIP_STRUCTURE, name, format!("unreadable zip: {e}"));
            return;
        }
    };
    for a in &listing.anomalies {
        let f = match a {
            ZipAnomaly::NameMismatch { central, local } => rules::ZIP_NAME_MISMATCH.finding(
                name,
                format!(
                    "member is named {:?} in the central directory but {:?} in its local header",
                    sanitize_for_display(&truncate(central, 200)),
                    sanitize_for_display(&truncate(local, 200))
                ),
            ),
            ZipAnomaly::PrependedData { bytes } => {
                rules::ZIP_STRUCTURE.finding(name, format!("{bytes} bytes precede the zip data"))
            }
            ZipAnomaly::NoCentralDirectory => rules::ZIP_STRUCTURE.finding(
                name,
                "no usable central directory; members found from local headers",
            ),
            ZipAnomaly::Overlap { a, b } => rules::ZIP_OVERLAP.finding(
                name,
                format!(
                    "members {:?} and {:?} share bytes",
                    sanitize_for_display(&truncate(a, 100)),
                    sanitize_for_display(&truncate(b, 100))
                ),
            ),
            ZipAnomaly::OutOfBounds { name: n } => rules::ZIP_STRUCTURE.finding(
                name,
                format!(
                    "member {:?} points outside the file",
                    sanitize_for_display(&truncate(n, 200))
                ),
            ),
            ZipAnomaly::Inconsistent { detail } => {
                rules::ZIP_STRUCTURE.finding(name, detail.clone())
            }
            ZipAnomaly::Desync { literal, corrected } => rules::ZIP_DESYNC.finding(
                name,
                format!(
                    "two central directories, at bytes {literal} and {corrected}: zip readers disagree on which one the end records mean (a recorded offset read literally, as miniz inside torch.load does, or corrected for prepended data, as Python's zipfile does; or a zip64 end record found through its locator or just before it, CVE-2025-8291), so they see different members; both lists were scanned"
                ),
            ),
        };
        out.add(f);
    }
    let limits = &ctx.opts.limits;
    if listing.entries.len() > limits.max_entries {
        out.add(rules::ARC_BOMB.finding(
            name,
            format!(
                "{} members, more than the limit of {}; the rest are not scanned",
                listing.entries.len(),
                limits.max_entries
            ),
        ));
    }
    // miniz, inside `torch.load`, looks `archive/data.pkl` up without
    // regard to case: `DATA.PKL` is the same member to it.
    let is_pkl =
        |n: &str| n.len() >= 4 && n.as_bytes()[n.len() - 4..].eq_ignore_ascii_case(b".pkl");
    let torch_layout = listing.entries.iter().any(|e| {
        let base = e.name.rsplit('/').next().unwrap_or(&e.name);
        base.eq_ignore_ascii_case("data.pkl")
    });
    let member_ctx = Ctx {
        torch_member: torch_layout,
        ..ctx.nested()
    };
    let pickle_ctx = Ctx {
        pickle_member: torch_layout,
        ..member_ctx
    };
    // The archive's own Python sources (TorchScript `code/`, torch.package
    // modules): the pickles inside are checked against them.
    let mut sources = out.own_sources.clone();
    sources.extend(
        listing
            .entries
            .iter()
            .filter_map(|e| e.name.strip_suffix(".py"))
            .map(|n| n.trim_start_matches('/').to_string()),
    );
    let outer_sources = std::mem::replace(&mut out.own_sources, sources);
    for en in listing.entries.iter().take(limits.max_entries) {
        if en.is_dir() {
            continue;
        }
        let mname = format!("{name}!{}", en.name);
        if member_path_escapes(&en.name)
            || en.local_name.as_deref().is_some_and(member_path_escapes)
        {
            out.add(
                rules::ZIP_TRAVERSAL
                    .finding(&mname, "member path is absolute or climbs out with `..`"),
            );
        }
        // A member cut off by the end of the file: an error entry, and what
        // is there is still scanned (a truncated pickle's imports count).
        let avail = blob
            .size()
            .saturating_sub(en.data_offset)
            .min(en.compressed);
        let truncated = avail < en.compressed;
        if truncated {
            out.fail(
                &rules::ARC_CORRUPT,
                &mname,
                format!(
                    "member data runs past the end of the file: {avail} of {} bytes present (truncated archive)",
                    en.compressed
                ),
            );
        }
        let raw = SubBlob {
            inner: blob,
            off: en.data_offset,
            len: avail,
        };
        match en.method {
            0 => {
                // One read serves this sniff, the one in `scan_blob` and its
                // probe for an HDF5 signature behind a 4 KiB user block.
                let head = read_range(&raw, 0, QUICK_SNIFF + 8).unwrap_or_default();
                let head = head.as_slice();
                if en.encrypted() {
                    if sniff_head(&head[..head.len().min(QUICK_SNIFF)], raw.size())
                        == ArtifactKind::Unknown
                    {
                        out.fail(
                            &rules::ZIP_ENCRYPTED,
                            &mname,
                            "member is encrypted; its content could not be scanned",
                        );
                        continue;
                    }
                    out.add(rules::ZIP_FLAGS.finding(&mname, "encryption flag set on a member stored in clear: some loaders ignore the flag, scanners that honour it miss the content"));
                }
                // CRC only for members that will be parsed anyway: tensor
                // bytes are never read.
                let kind = sniff_head(&head[..head.len().min(QUICK_SNIFF)], raw.size());
                if !truncated
                    && raw.size() <= 16 << 20
                    && !matches!(kind, ArtifactKind::Unknown | ArtifactKind::Image)
                {
                    if let Ok(all) = read_range(&raw, 0, raw.size() as usize) {
                        check_crc(&mname, en.crc, &all, out);
                    }
                }
                let raw = HeadBlob { inner: &raw, head };
                let mctx = if is_pkl(&en.name) {
                    &pickle_ctx
                } else {
                    &member_ctx
                };
                scan_blob(&mname, &raw, mctx, out);
            }
            // Deflate (PyTorch, NumPy), bzip2, LZMA and zstd (Python's
            // zipfile reads them all, zstd since 3.14, so an .npz may use
            // them).
            8 | 12 | 14 | 93 => {
                let cap = member_cap(ctx, en.compressed);
                let codec = match en.method {
                    8 => Codec::Deflate,
                    12 => Codec::Bzip2,
                    93 => Codec::Zstd,
                    _ => Codec::ZipLzma {
                        flags: en.flags,
                        unpacked: en.uncompressed,
                    },
                };
                // The central directory's size is a claim: when it alone
                // passes the bound, that is the bomb finding, and the member
                // is inflated further only if its head is something a
                // scanner parses (a lying directory cannot hide a pickle).
                let declared = (en.uncompressed > cap).then_some(en.uncompressed);
                let dec = decode(codec, &raw, cap, declared.is_some() || torch_layout);
                ctx.charge(dec.data.len() as u64);
                let declared = declared.filter(|_| dec.confirms_declared());
                if let Some(d) = declared {
                    out.add(declared_bomb(&mname, "zip member", d, cap));
                }
                let data = dec.data;
                if en.encrypted()
                    && (dec.err.is_some()
                        || sniff_head(&data[..data.len().min(4096)], data.len() as u64)
                            == ArtifactKind::Unknown)
                {
                    out.fail(
                        &rules::ZIP_ENCRYPTED,
                        &mname,
                        "member is encrypted; its content could not be scanned",
                    );
                    continue;
                }
                if en.encrypted() {
                    out.add(
                        rules::ZIP_FLAGS
                            .finding(&mname, "encryption flag set on a member stored in clear"),
                    );
                }
                if dec.hit && declared.is_none() {
                    out.add(rules::ARC_BOMB.finding(&mname, format!("member inflates past {cap} bytes (ratio or size bound): only that much was scanned")));
                }
                if let Some(e) = dec.err {
                    if !truncated {
                        out.fail(
                            &rules::ARC_CORRUPT,
                            &mname,
                            format!("decompression error (method {}): {e}", en.method),
                        );
                    }
                } else if !dec.hit && !dec.stopped {
                    check_crc(&mname, en.crc, &data, out);
                }
                // Stopped early: its head is no format any scanner reads
                // (see `decode`), so there is nothing to hand on.
                if !dec.stopped {
                    let mctx = if is_pkl(&en.name) {
                        &pickle_ctx
                    } else {
                        &member_ctx
                    };
                    scan_blob(&mname, &data, mctx, out);
                }
            }
            m => {
                out.fail(&rules::ZIP_METHOD, &mname, format!("compression method {m} is not supported by the scanner: the member was not scanned"));
            }
        }
    }
    out.own_sources = outer_sources;
}

/// A zip LZMA member: a 4-byte version/length prefix, the 5-byte LZMA
/// properties, then the raw stream, ended by an end marker when flag bit 1
/// is set (as Python's zipfile writes it), else by the declared size.
fn zip_lzma(
    raw: &dyn Blob,
    flags: u16,
    unpacked: u64,
    cap: u64,
) -> (Vec<u8>, bool, Option<String>) {
    let head = read_range(raw, 0, 4).unwrap_or_default();
    if head.len() < 4 || u16::from_le_bytes([head[2], head[3]]) != 5 {
        return (Vec::new(), false, Some("bad LZMA member header".into()));
    }
    let size = if flags & 2 != 0 { None } else { Some(unpacked) };
    let opts = lzma_rs::decompress::Options {
        unpacked_size: lzma_rs::decompress::UnpackedSize::UseProvided(size),
        ..Default::default()
    };
    let mut src = std::io::BufReader::new(BlobReader::new(raw, 4));
    let mut w = CappedWriter {
        v: Vec::new(),
        cap,
        hit: false,
    };
    let r =
        lzma_rs::lzma_decompress_with_options(&mut src, &mut w, &opts).map_err(|e| e.to_string());
    let err = if w.hit { None } else { r.err() };
    (w.v, w.hit, err)
}

fn check_crc(name: &str, want: u32, data: &[u8], out: &mut Out) {
    let mut c = flate2::Crc::new();
    c.update(data);
    if c.sum() != want {
        out.add(rules::ZIP_CRC.finding(
            name,
            format!("CRC-32 is {:08x}, the directory says {want:08x}", c.sum()),
        ));
    }
}

/// How much a member compressed to `csize` may expand to.
fn member_cap(ctx: &Ctx<'_>, csize: u64) -> u64 {
    let l = &ctx.opts.limits;
    let by_ratio = csize.saturating_mul(l.max_ratio).max(1 << 20);
    by_ratio.min(l.max_member_bytes).min(ctx.remaining())
}

thread_local! {
    /// Decompression buffers of this worker, reused from member to member:
    /// zeroing and regrowing a fresh multi-megabyte Vec for every member
    /// cost more than inflating into it.
    static BUFS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// Buffers kept per worker, and the largest one kept (memory stays bounded).
const POOL_KEEP: usize = 4;
const POOL_MAX_BYTES: usize = 16 << 20;

/// Decompressed bytes: the first `n` bytes of a pooled buffer (the rest is
/// initialised memory left from earlier use, so it is never zeroed again).
pub(crate) struct Pooled {
    v: Vec<u8>,
    n: usize,
}

impl From<Vec<u8>> for Pooled {
    fn from(v: Vec<u8>) -> Self {
        Pooled { n: v.len(), v }
    }
}

impl std::ops::Deref for Pooled {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.v[..self.n]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.v);
        if v.len() <= POOL_MAX_BYTES {
            let _ = BUFS.try_with(|b| {
                let mut b = b.borrow_mut();
                if b.len() < POOL_KEEP {
                    b.push(v);
                }
            });
        }
    }
}

impl Blob for Pooled {
    fn size(&self) -> u64 {
        self.n as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        (**self).read_at(off, buf)
    }
}

impl Pooled {
    /// An empty buffer, from this worker's pool when it has one.
    fn take() -> Pooled {
        let v = BUFS
            .try_with(|b| b.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        Pooled { v, n: 0 }
    }

    /// Read from `r` until it ends or `limit` bytes are held; the error, if
    /// reading failed.
    fn fill(&mut self, r: &mut dyn Read, limit: usize) -> Option<String> {
        while self.n < limit {
            if self.n == self.v.len() {
                let grow = self.v.len().max(64 * 1024).min(limit - self.n);
                self.v.resize(self.n + grow, 0);
            }
            let end = self.v.len().min(limit);
            match r.read(&mut self.v[self.n..end]) {
                Ok(0) => break,
                Ok(k) => self.n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Some(e.to_string()),
            }
        }
        None
    }
}

/// A writer that refuses to grow past a cap (for push-style decoders).
struct CappedWriter {
    v: Vec<u8>,
    cap: u64,
    hit: bool,
}

impl Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.cap.saturating_sub(self.v.len() as u64) as usize;
        if buf.len() > room {
            self.v.extend_from_slice(&buf[..room]);
            self.hit = true;
            return Err(std::io::Error::other("decompression bound reached"));
        }
        self.v.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn scan_compressed(name: &str, kind: ArtifactKind, whole: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    // joblib's `ZF` container: zlib data after a 21- or 22-byte header.
    let zfile;
    let blob: &dyn Blob = if kind == ArtifactKind::JoblibZfile {
        let Some(at) = read_range(whole, 0, 32)
            .ok()
            .and_then(|h| crate::sniff::joblib_zfile_data(&h))
        else {
            return;
        };
        zfile = SubBlob {
            inner: whole,
            off: at as u64,
            len: whole.size() - at as u64,
        };
        &zfile
    } else {
        whole
    };
    let cap = member_cap(ctx, blob.size());
    let codec = match kind {
        ArtifactKind::Gzip => Codec::Gzip,
        ArtifactKind::Zlib | ArtifactKind::JoblibZfile => Codec::Zlib,
        ArtifactKind::Bzip2 => Codec::MultiBzip2,
        ArtifactKind::Xz => Codec::Xz,
        ArtifactKind::Lzma => Codec::Lzma,
        ArtifactKind::Lz4 => Codec::Lz4,
        ArtifactKind::Zstd => Codec::Zstd,
        _ => return,
    };
    // What the stream says it inflates to (zlib and bzip2 say nothing).
    // Past the bound it is the bomb finding at once; see `decode` for why
    // the head is still inflated.
    let declared = match kind {
        ArtifactKind::Gzip => crate::declared::gzip_isize(blob),
        ArtifactKind::Xz => crate::declared::xz_index_size(blob),
        ArtifactKind::Lzma => crate::declared::lzma_alone_size(blob),
        _ => None,
    }
    .filter(|&d| d > cap);
    let dec = decode(codec, blob, cap, declared.is_some());
    let declared = declared.filter(|_| dec.confirms_declared());
    let data = dec.data;
    ctx.charge(data.len() as u64);
    // zlib and lzma have weak magic numbers: a stream that yields nothing
    // was raw data that merely looked like a header, and gets the checks
    // of any unknown binary.
    if data.is_empty()
        && (dec.err.is_some() || kind == ArtifactKind::Lzma)
        && matches!(kind, ArtifactKind::Zlib | ArtifactKind::Lzma)
    {
        drop(data);
        scan_as(name, ArtifactKind::Unknown, whole, ctx, out);
        return;
    }
    if let Some(d) = declared {
        out.add(declared_bomb(name, kind.as_str(), d, cap));
    } else if dec.hit {
        out.add(rules::ARC_BOMB.finding(name, format!("{} stream expands past {cap} bytes (ratio or size bound): only that much was scanned", kind.as_str())));
    }
    if let Some(e) = dec.err {
        if kind == ArtifactKind::Xz && xz_unsupported(&e) {
            // Python's `lzma` (liblzma) reads every filter chain and check
            // xz defines; the decoder here only LZMA2 with CRC32/CRC64 or
            // none. What it cannot see, a loader still unpickles.
            let m = format!("xz stream the scanner cannot decode ({e}): Python's lzma (pandas, joblib) decodes it, so what it holds was not scanned");
            out.errors.push(ScanError {
                path: name.to_string(),
                message: m.clone(),
            });
            out.add(rules::ARC_UNDECODED.finding(name, m));
        } else {
            out.fail(
                &rules::ARC_CORRUPT,
                name,
                format!("{} stream is corrupt: {e}", kind.as_str()),
            );
        }
    }
    if !dec.stopped {
        let inner = inner_name(name, kind);
        scan_blob(&inner, &data, &ctx.nested(), out);
    }
}

/// An xz decoder error for a valid stream it does not implement: filters
/// other than LZMA2 (BCJ, delta) and the SHA-256 check.
fn xz_unsupported(e: &str) -> bool {
    e.contains("Unknown filter id") || e.contains("SHA-256")
}

/// The bomb finding for a size declared before inflating.
fn declared_bomb(name: &str, what: &str, declared: u64, cap: u64) -> Finding {
    rules::ARC_BOMB.finding(
        name,
        format!(
            "{what} declares {declared} bytes uncompressed, past the bound of {cap} bytes (ratio or size): reported from the declared size; only a head that a scanner parses is inflated further, up to the bound"
        ),
    )
}

/// Compressed encodings the scanner inflates.
#[derive(Clone, Copy)]
enum Codec {
    Deflate,
    Gzip,
    Zlib,
    /// One bzip2 stream (a zip member).
    Bzip2,
    /// Concatenated bzip2 streams (a `.bz2` file).
    MultiBzip2,
    /// Concatenated xz and LZMA-alone streams (Python's `lzma`).
    Xz,
    Lzma,
    /// Concatenated LZ4 frames.
    Lz4,
    /// Concatenated zstd frames (a `.zst` file or a zip member).
    Zstd,
    ZipLzma {
        flags: u16,
        unpacked: u64,
    },
}

/// Bytes inflated before deciding whether the rest is worth inflating.
const PROBE: usize = SNIFF_LEN;

impl Decoded {
    /// Whether the stream went on past the probe without failing. A size
    /// declared by bytes that are no valid stream (random data starting
    /// with a gzip magic number) or by a stream that ends within the probe
    /// (a forged trailer, which the decoder reports as corrupt) is no bomb.
    fn confirms_declared(&self) -> bool {
        self.stopped || self.hit || (self.err.is_none() && self.data.len() > PROBE)
    }
}

/// Decompressed bytes, whether they were cut at the bound (`hit`), the
/// decoder's error, and whether inflating stopped after the probe.
struct Decoded {
    data: Pooled,
    hit: bool,
    err: Option<String>,
    stopped: bool,
}

/// Inflate `raw` up to `cap` bytes. With `may_stop` (the size declared
/// alone is a bomb, or the blob is a member of a PyTorch checkpoint), the
/// first [`PROBE`] bytes are inflated and sniffed first, and inflating stops
/// there when they are no format any scanner reads (unknown binary or an
/// image). That loses no detection:
/// * sniffing a 64 KiB head of a longer stream decides exactly as
///   `scan_blob` would (its own sniff reads at most those 64 KiB), and for
///   unknown binary and images `scan_blob` only looks for a zip directory at
///   the end of the blob (a polyglot);
/// * inside a PyTorch checkpoint that search is never made (its members are
///   raw storage to `torch.load`), and their CRC is not what a loader checks
///   (stored tensor members are not CRC-checked either);
/// * for a declared bomb, the "end" would be wherever the bound cut the
///   stream, not its real end, so no loader would see a zip there.
///
/// Whatever else the head is (a pickle, an archive, text...) is inflated up
/// to the bound as before, so a forged declared size cannot hide it. And
/// an unknown head anywhere else is inflated in full too: the end of the
/// real stream is where `scan_blob` looks for a zip directory (a polyglot
/// that Python's `zipfile` would open), so stopping there would lose it.
fn decode(codec: Codec, raw: &dyn Blob, cap: u64, may_stop: bool) -> Decoded {
    let probe = may_stop && cap > PROBE as u64;
    let opaque = |head: &[u8]| {
        // u64::MAX: the stream goes on past the head, and a larger total
        // only makes the sniffer more willing to call it a format.
        matches!(
            sniff_head(head, u64::MAX),
            ArtifactKind::Unknown | ArtifactKind::Image
        )
    };
    // Sized to the input: an 8 KiB buffer initialised for every small
    // member cost more than reading it.
    let src = std::io::BufReader::with_capacity(
        raw.size().clamp(1, 8192) as usize,
        BlobReader::new(raw, 0),
    );
    let mut reader: Box<dyn Read + '_> = match codec {
        Codec::Deflate => Box::new(crate::inflate::DeflateReader::new(src)),
        Codec::Gzip => Box::new(crate::inflate::GzReader::new(src)),
        Codec::Zlib => Box::new(flate2::read::ZlibDecoder::new(src)),
        Codec::Bzip2 => Box::new(bzip2::read::BzDecoder::new(src)),
        Codec::MultiBzip2 => Box::new(bzip2::read::MultiBzDecoder::new(src)),
        // Frames one after another, skippable frames skipped, as
        // `lz4.frame`'s reader does.
        Codec::Lz4 => Box::new(Lz4Frames {
            d: lz4_flex::frame::FrameDecoder::new(src),
        }),
        // Frames one after another, trailing junk ignored, as Python's
        // `ZstdFile` reads them. Windows up to libzstd's default limit of
        // 128 MiB, the limit Python's bindings keep too: a larger one is a
        // decoder error.
        Codec::Zstd => match zstd::stream::raw::Decoder::new().and_then(|mut d| {
            d.set_parameter(zstd::stream::raw::DParameter::WindowLogMax(27))?;
            Ok(d)
        }) {
            Ok(d) => Box::new(ZstdFrames {
                src,
                d,
                between: false,
                started: false,
                done: false,
            }),
            Err(e) => {
                return Decoded {
                    data: Pooled::take(),
                    hit: false,
                    err: Some(e.to_string()),
                    stopped: false,
                }
            }
        },
        // Push-style decoders: run to the probe, then again to the bound.
        Codec::Xz | Codec::Lzma | Codec::ZipLzma { .. } => {
            let run = |cap: u64| match codec {
                Codec::ZipLzma { flags, unpacked } => zip_lzma(raw, flags, unpacked, cap),
                _ => lzma_stream(codec, raw, cap),
            };
            if probe {
                let (v, hit, err) = run(PROBE as u64);
                if !hit || err.is_some() {
                    return Decoded {
                        data: Pooled::from(v),
                        hit: false,
                        err,
                        stopped: false,
                    };
                }
                if opaque(&v) {
                    return Decoded {
                        data: Pooled::from(v),
                        hit: false,
                        err: None,
                        stopped: true,
                    };
                }
            }
            let (v, hit, err) = run(cap);
            return Decoded {
                data: Pooled::from(v),
                hit,
                err,
                stopped: false,
            };
        }
    };
    let mut buf = Pooled::take();
    if probe {
        let err = buf.fill(&mut *reader, PROBE + 1);
        if err.is_some() || buf.n <= PROBE {
            return Decoded {
                data: buf,
                hit: false,
                err,
                stopped: false,
            };
        }
        if opaque(&buf[..PROBE]) {
            buf.n = PROBE;
            return Decoded {
                data: buf,
                hit: false,
                err: None,
                stopped: true,
            };
        }
    }
    let limit = cap.saturating_add(1).min(usize::MAX as u64) as usize;
    let err = buf.fill(&mut *reader, limit);
    let hit = buf.n as u64 > cap;
    buf.n = buf.n.min(cap as usize);
    Decoded {
        data: buf,
        hit,
        err,
        stopped: false,
    }
}

/// LZ4 frames one after another, read as `lz4.frame`'s file reader reads
/// them: lz4_flex's decoder reports the end of each frame as the end of
/// the data, so reading goes on while input is left; what fails to start
/// a frame after the first is trailing data, ignored (Python's reader
/// ignores it too).
struct Lz4Frames<R: std::io::BufRead> {
    d: lz4_flex::frame::FrameDecoder<R>,
}

impl<R: std::io::BufRead> Read for Lz4Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut between = false;
        loop {
            match self.d.read(buf) {
                Ok(0) => {}
                Ok(n) => return Ok(n),
                Err(_) if between => return Ok(0),
                Err(e) => return Err(e),
            }
            if self.d.get_mut().fill_buf()?.is_empty() {
                return Ok(0);
            }
            between = true;
        }
    }
}

/// zstd frames one after another, read as Python's `ZstdFile` (and the
/// `_compression.DecompressReader` behind it) reads them: after a frame
/// ends, input that fails at once to start another (padding, junk, a
/// polyglot's other half) ends the data without error; a frame cut short
/// or corrupt past its start is an error.
struct ZstdFrames<R: std::io::BufRead> {
    src: R,
    d: zstd::stream::raw::Decoder<'static>,
    /// A frame has ended and the next has not yet decoded past its start.
    between: bool,
    /// Some input has been read.
    started: bool,
    done: bool,
}

impl<R: std::io::BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use zstd::stream::raw::Operation;
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.src.fill_buf()?;
            if input.is_empty() {
                if self.between || !self.started {
                    return Ok(0);
                }
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "zstd frame cut short",
                ));
            }
            self.started = true;
            let st = match self.d.run_on_buffers(input, buf) {
                Ok(st) => st,
                Err(_) if self.between => {
                    self.done = true;
                    return Ok(0);
                }
                Err(e) => return Err(e),
            };
            self.src.consume(st.bytes_read);
            if st.remaining == 0 {
                self.between = true;
            } else if st.bytes_read > 0 || st.bytes_written > 0 {
                self.between = false;
            }
            if st.bytes_written > 0 {
                return Ok(st.bytes_written);
            }
            if st.bytes_read == 0 {
                // No progress with input and room for output: libzstd
                // never does that, so stop rather than spin.
                return Err(std::io::Error::other("zstd decoder made no progress"));
            }
        }
    }
}

/// Concatenated xz and LZMA-alone streams, at most `cap` bytes in all:
/// (data, cut, error).
///
/// Python's `lzma` module (`LZMAFile`, `lzma.open`, `lzma.decompress`),
/// which joblib and pandas load pickles through, reads stream after stream,
/// detecting each one's format anew (an xz stream may be followed by an
/// LZMA-alone one), and ignores what follows the last stream when it starts
/// no stream (padding, junk). A payload split across two streams is one
/// pickle to it, so the scanner reads them the same way.
fn lzma_stream(codec: Codec, raw: &dyn Blob, cap: u64) -> (Vec<u8>, bool, Option<String>) {
    let size = raw.size();
    let mut w = CappedWriter {
        v: Vec::new(),
        cap,
        hit: false,
    };
    let mut xz = matches!(codec, Codec::Xz);
    let mut at = 0u64;
    loop {
        let mark = w.v.len();
        let (r, used) = lzma_one(raw, at, size - at, xz, &mut w);
        if w.hit {
            return (w.v, true, None);
        }
        let end = match r {
            Ok(()) => at + used,
            Err(e) => {
                // lzma-rs wants its input to end with the stream: a stream
                // followed by more bytes fails there, after `used` bytes,
                // and read alone it decodes cleanly (an end marker's last
                // bytes are only written out on success, so it is decoded
                // again rather than kept).
                let mut alone = CappedWriter {
                    v: Vec::new(),
                    cap: cap - mark as u64,
                    hit: false,
                };
                let clean = used > 0
                    && at + used < size
                    && lzma_one(raw, at, used, xz, &mut alone).0.is_ok()
                    && !alone.hit;
                if !clean {
                    // A later stream that fails early, on bad data rather
                    // than at the end of the input, is trailing data to
                    // Python (its first read of 8 KiB raises, and that is
                    // ignored); a truncated or later-failing one is corrupt.
                    if at > 0 && w.v.len() == mark && used < 8192 && at + used < size {
                        return (w.v, false, None);
                    }
                    return (w.v, false, Some(e));
                }
                w.v.truncate(mark);
                w.v.extend_from_slice(&alone.v);
                at + used
            }
        };
        if end >= size || end <= at {
            return (w.v, false, None);
        }
        at = end;
        let Ok(head) = read_range(raw, at, 13) else {
            return (w.v, false, None);
        };
        if head.starts_with(b"\xfd7zXZ\x00") {
            xz = true;
        } else if crate::sniff::lzma_alone_header(&head, false) {
            xz = false;
        } else {
            return (w.v, false, None);
        }
    }
}

/// One xz or LZMA-alone stream from `raw[at..at + len]` into `w`: the
/// decoder's result and how many bytes it consumed.
fn lzma_one(
    raw: &dyn Blob,
    at: u64,
    len: u64,
    xz: bool,
    w: &mut CappedWriter,
) -> (Result<(), String>, u64) {
    let mut src = Counted {
        inner: std::io::BufReader::new(BlobReader::new(raw, at).take(len)),
        n: 0,
    };
    let r = if xz {
        lzma_rs::xz_decompress(&mut src, w)
    } else {
        lzma_rs::lzma_decompress(&mut src, w)
    };
    (r.map_err(|e| e.to_string()), src.n)
}

/// A reader that counts the bytes its user consumed (read or `consume`d;
/// bytes only looked at through `fill_buf` are not counted).
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: std::io::BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n += amt as u64;
        self.inner.consume(amt);
    }
}

fn inner_name(name: &str, kind: ArtifactKind) -> String {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    let stripped = match base.rsplit_once('.') {
        Some((stem, ext))
            if matches!(
                ext.to_ascii_lowercase().as_str(),
                "gz" | "tgz" | "bz2" | "xz" | "lzma" | "z" | "zlib" | "lz4" | "zst"
            ) =>
        {
            if ext.eq_ignore_ascii_case("tgz") {
                format!("{stem}.tar")
            } else {
                stem.to_string()
            }
        }
        _ => format!("<{}-decompressed>", kind.as_str()),
    };
    format!("{name}!{stripped}")
}

/// Scan a tar archive as Python's `tarfile` reads it (see
/// [`crate::tarread`]): `pandas.read_pickle` of a `.tar` and `torch.load` of
/// a legacy tar checkpoint go through it.
fn scan_tar(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    use crate::tarread::{self, Next};
    let mut walker = tarread::Walker::new(blob);
    let mut count = 0usize;
    loop {
        let e = match walker.next_entry() {
            Next::Entry(e) => e,
            Next::End(None) => return,
            Next::End(Some(m)) => {
                out.fail(&rules::ARC_CORRUPT, name, format!("tar entry error: {m}"));
                return;
            }
            Next::Fail(m) => {
                let what = if count == 0 {
                    "unreadable tar"
                } else {
                    "tar entry error"
                };
                out.fail(&rules::ARC_CORRUPT, name, format!("{what}: {m}"));
                return;
            }
            Next::Bound(m) => {
                out.fail(
                    &rules::ARC_CORRUPT,
                    name,
                    format!("tar not read to its end: {m}; Python's tarfile reads on"),
                );
                out.add(rules::ARC_BOMB.finding(
                    name,
                    format!("tar past the scanner's bounds ({m}): later members were not scanned"),
                ));
                return;
            }
        };
        count += 1;
        if count > ctx.opts.limits.max_entries {
            out.add(rules::ARC_BOMB.finding(
                name,
                format!(
                    "more than {} members; the rest are not scanned",
                    ctx.opts.limits.max_entries
                ),
            ));
            return;
        }
        let pname = String::from_utf8_lossy(&e.name).into_owned();
        let mname = format!("{name}!{pname}");
        if member_path_escapes(&pname) {
            out.add(
                rules::ZIP_TRAVERSAL
                    .finding(&mname, "member path is absolute or climbs out with `..`"),
            );
        }
        let t = e.typeflag;
        // Python's tarfile skips data only after regular members and types
        // it does not know: after a link, device, directory or FIFO header
        // it reads the next header at once, where other readers (GNU tar,
        // the `tar` crate) skip the declared size. This walk is tarfile's;
        // the other reading, from past the data, is scanned as a tar of
        // its own.
        if !e.is_regular() && e.size > 0 {
            out.add(rules::ARC_DESYNC.finding(
                &mname,
                format!(
                    "member of type '{}' declares {} data bytes: Python's tarfile reads the next header there instead, so the readers see different members; both readings were scanned",
                    t as char, e.size
                ),
            ));
            let skip = (e.data_at as i128)
                .saturating_add((e.size.min(u64::MAX as i128) + 511) / 512 * 512);
            if skip < blob.size() as i128 {
                let at = skip as u64;
                let rest = SubBlob {
                    inner: blob,
                    off: at,
                    len: blob.size() - at,
                };
                scan_as(
                    &format!("{name}!<tar@{at}>"),
                    ArtifactKind::Tar,
                    &rest,
                    &ctx.nested(),
                    out,
                );
            }
        }
        if matches!(t, b'1' | b'2') {
            if member_path_escapes(&String::from_utf8_lossy(&e.linkname)) {
                out.add(
                    rules::ZIP_TRAVERSAL
                        .finding(&mname, "link target is absolute or climbs out with `..`"),
                );
            }
            continue;
        }
        if !e.is_regular() {
            continue;
        }
        // Python's tarfile reads contiguous and sparse members, and any of
        // a type it does not know, as regular files (`torch.load` of a
        // legacy tar checkpoint goes through it). What `extractfile` reads
        // is `size` bytes from the data start, whatever the header says
        // about where the next member starts.
        let room = e.next_at - e.data_at as i128;
        if e.sparse.is_none() && e.size > room.max(0) && e.size > e.header_size.max(0) {
            out.add(rules::ARC_DESYNC.finding(
                &mname,
                format!(
                    "tarfile reads {} bytes for this member (pax size or GNU.sparse.realsize) where its header holds {}: the bytes after it, which other readers take for the next header, are its data to Python",
                    e.size, e.header_size
                ),
            ));
        }
        let sparse = e.sparse.is_some();
        let cap = if sparse {
            // Holes are zeros that take no room in the archive.
            member_cap(ctx, e.header_size.clamp(0, u64::MAX as i128) as u64 + 512)
        } else {
            ctx.opts.limits.max_member_bytes.min(ctx.remaining())
        };
        // Past the bound, a sparse member whose data runs all lie within
        // it holds only holes (zeros, no opcode) there: a benign sparse
        // file, not a bomb.
        let data_past_cap = match &e.sparse {
            Some(runs) => runs
                .iter()
                .any(|&(off, n)| n > 0 && off.saturating_add(n) > cap as i128),
            None => true,
        };
        if e.size > cap as i128 && data_past_cap {
            out.add(rules::ARC_BOMB.finding(&mname, format!("member of {} bytes exceeds the remaining bound of {cap} bytes: only its start was scanned", e.size)));
        } else if e.size > cap as i128 {
            out.add(rules::FILE_TOO_LARGE.finding(
                &mname,
                format!("sparse member of {} bytes: only holes (zeros) lie past the {cap} bytes scanned", e.size),
            ));
        }
        if e.sparse_overflow || e.sparse_versions_differ {
            out.add(rules::ARC_DESYNC.finding(
                &mname,
                if e.sparse_overflow {
                    format!(
                        "sparse map with more than {} entries: only the first were followed",
                        tarread::MAX_SPARSE
                    )
                } else {
                    "PAX sparse 0.0 records that Python 3.11 and 3.12 read differently".to_string()
                },
            ));
        }
        let (data, err) = tarread::extract_view(blob, &e, cap);
        ctx.charge(data.len() as u64);
        if let Some(m) = err {
            out.fail(
                &rules::ARC_CORRUPT,
                &mname,
                format!("tar member read error: {m}"),
            );
        }
        scan_tar_member(&mname, &pname, &data, ctx, out);
        // `TarFile.extract` writes a sparse member its own way (each run
        // of data at its offset, in map order); for a map every reader
        // rebuilds alike that is the same bytes.
        if sparse && !tarread::sparse_regular(&e) {
            if let Some((alt, _)) = tarread::makefile_view(blob, &e, cap) {
                if alt != data {
                    ctx.charge(alt.len() as u64);
                    out.add(rules::ARC_DESYNC.finding(
                        &mname,
                        "sparse map out of order, overlapping or past the size: extractfile and extract build different bytes; both were scanned",
                    ));
                    scan_tar_member(&format!("{mname}!<extracted>"), &pname, &alt, ctx, out);
                }
            }
        }
    }
}

/// One tar member's bytes: scanned by content, and as a legacy
/// checkpoint's `storages` or `tensors` by name.
fn scan_tar_member(mname: &str, pname: &str, data: &[u8], ctx: &Ctx<'_>, out: &mut Out) {
    scan_blob(mname, &data, &ctx.nested(), out);
    let base = pname.rsplit('/').next().unwrap_or(pname);
    if base == "storages" || base == "tensors" {
        legacy_member_pickles(mname, data, base == "storages", ctx, out);
    }
}

/// Bytes of one element of a legacy storage type (`torch.FloatStorage`).
fn storage_element_size(name: &str) -> Option<u64> {
    Some(match name {
        "ByteStorage" | "CharStorage" | "BoolStorage" | "QInt8Storage" | "QUInt8Storage"
        | "QUInt4x2Storage" | "QUInt2x4Storage" | "UntypedStorage" => 1,
        "ShortStorage" | "HalfStorage" | "BFloat16Storage" => 2,
        "IntStorage" | "FloatStorage" | "QInt32Storage" => 4,
        "LongStorage" | "DoubleStorage" | "ComplexFloatStorage" => 8,
        "ComplexDoubleStorage" => 16,
        _ => return None,
    })
}

/// The pickles of a legacy PyTorch tar checkpoint's `storages` or `tensors`
/// member, found as `torch.load` finds them: `storages` is a count pickle,
/// then for each storage an argument pickle `(key, location, type)`, an
/// 8-byte element count and the raw elements, then a views pickle;
/// `tensors` is a count pickle, then for each tensor an argument pickle, a
/// 4-byte dimension count, 4 bytes, the sizes, the strides and an 8-byte
/// offset. Each of those pickles is unpickled, so one hidden after the raw
/// bytes runs; the member's own scan stops at the first raw byte.
fn legacy_member_pickles(name: &str, data: &[u8], storages: bool, ctx: &Ctx<'_>, out: &mut Out) {
    let mut pos = 0usize;
    // The pickles after the first raw bytes: the member's own scan read
    // the ones before them.
    let mut hidden = Vec::new();
    let mut past_raw = false;
    // Each step consumes a pickle: at most one per 2 bytes.
    for _ in 0..data.len() / 2 + 1 {
        let Some((used, rep)) = crate::pickle::one_pickle(&data[pos..]) else {
            break;
        };
        let at = pos;
        pos += used.max(1);
        // The count pickle comes first; `storages` ends with a views
        // pickle, which has no storage type and no raw bytes after it.
        let args = at > 0 && (!storages || rep.globals.iter().any(|g| g.name.ends_with("Storage")));
        let esize = rep
            .globals
            .iter()
            .find_map(|g| storage_element_size(&g.name));
        if past_raw {
            hidden.push((at, rep));
        }
        if !args {
            continue;
        }
        let raw = if storages {
            let Some(esize) = esize else { break };
            let Some(n) = data.get(pos..pos + 8) else {
                break;
            };
            let n = i64::from_le_bytes(n.try_into().unwrap_or([0; 8]));
            u64::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(esize))
                .and_then(|l| l.checked_add(8))
        } else {
            let Some(d) = data.get(pos..pos + 4) else {
                break;
            };
            let nd = i32::from_le_bytes(d.try_into().unwrap_or([0; 4]));
            u64::try_from(nd).ok().map(|nd| 8 + 16 * nd + 8)
        };
        match raw
            .and_then(|r| usize::try_from(r).ok())
            .and_then(|r| pos.checked_add(r))
        {
            Some(next) if next < data.len() => pos = next,
            _ => break,
        }
        past_raw = true;
    }
    let mut sub = Out {
        own_sources: out.own_sources.clone(),
        ..Out::default()
    };
    for (at, rep) in &hidden {
        pickle_findings(name, rep, *at as u64, ctx.opts, &mut sub);
    }
    sub.findings.retain(|f| f.rule_id != rules::PKL_PARSE.id);
    out.findings.extend(sub.findings);
}

/// Search an opaque container for embedded pickles and scan each.
fn carve_pickles(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    let (bytes, _) = match crate::blob::read_capped(blob, ctx.opts.limits.max_read_bytes) {
        Ok(b) => b,
        Err(e) => {
            out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}"));
            return;
        }
    };
    let mut pos = 0usize;
    let mut tries = 0;
    while let Some(i) = memchr::memchr(0x80, &bytes[pos..]) {
        let at = pos + i;
        pos = at + 1;
        if at + 1 >= bytes.len() || !(2..=5).contains(&bytes[at + 1]) {
            continue;
        }
        tries += 1;
        if tries > 10_000 {
            break;
        }
        let rest = &bytes[at..];
        if !crate::pickle::looks_like_pickle(&rest[..rest.len().min(4096)], rest.len() as u64) {
            continue;
        }
        let rep = crate::pickle::scan_pickle(rest);
        let mut sub = Out {
            own_sources: out.own_sources.clone(),
            ..Out::default()
        };
        pickle_findings(name, &rep, at as u64, ctx.opts, &mut sub);
        // A carved stream ending in garbage is expected: keep its imports only.
        sub.findings.retain(|f| f.rule_id != rules::PKL_PARSE.id);
        out.findings.extend(
            sub.findings
                .into_iter()
                .map(|f| f.with_meta("carved", true)),
        );
        pos = at + (rep.consumed as usize).max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::zip::{ZipBuilder, ZipMember};
    use crate::fixtures::{self, pickle::os_system};

    fn scan(name: &str, b: &[u8]) -> ScanReport {
        scan_bytes(name, b, &ScanOptions::default())
    }

    /// Fails, listing the findings, unless one has `rule`'s id.
    fn assert_has(rep: &ScanReport, rule: &rules::Rule) {
        assert!(
            rep.findings.iter().any(|f| f.rule_id == rule.id),
            "no {}: {:?}",
            rule.id,
            rep.findings
        );
    }

    fn bomb_messages(rep: &ScanReport) -> Vec<&str> {
        rep.findings
            .iter()
            .filter(|f| f.rule_id == rules::ARC_BOMB.id)
            .map(|f| f.message.as_str())
            .collect()
    }

    #[test]
    fn declared_gzip_bomb_is_reported_from_its_trailer() {
        let rep = scan("z.gz", &fixtures::gz(&vec![0u8; 8 << 20]));
        let m = bomb_messages(&rep);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("gzip declares 8388608 bytes"), "{m:?}");
        assert_eq!(rep.max_severity(), Some(Severity::High));
    }

    #[test]
    fn declared_zip_bomb_is_reported_from_its_directory() {
        let z = ZipBuilder::new()
            .member(ZipMember::deflated("w.bin", &vec![0u8; 8 << 20]))
            .build();
        let rep = scan("z.zip", &z);
        let m = bomb_messages(&rep);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("zip member declares 8388608 bytes"), "{m:?}");
        // The member is not inflated to its end, so its CRC is not checked.
        assert!(rep.findings.iter().all(|f| f.rule_id != rules::ZIP_CRC.id));
    }

    #[test]
    fn lying_small_sizes_are_caught_while_inflating() {
        let zeros = vec![0u8; 8 << 20];
        let mut g = fixtures::gz(&zeros);
        fixtures::set_gzip_isize(&mut g, 4096);
        let m = scan("z.gz", &g);
        let m = bomb_messages(&m);
        assert!(
            m.len() == 1 && m[0].contains("expands past") && !m[0].contains("declares"),
            "{m:?}"
        );
        let mut z = ZipBuilder::new()
            .member(ZipMember::deflated("w.bin", &zeros))
            .build();
        fixtures::set_declared_size(&mut z, 4096);
        let rep = scan("z.zip", &z);
        let m = bomb_messages(&rep);
        assert!(
            m.len() == 1 && m[0].contains("inflates past") && !m[0].contains("declares"),
            "{m:?}"
        );
    }

    #[test]
    fn a_forged_large_size_does_not_hide_a_pickle() {
        // A short stream with a forged trailer: the decoder reaches its end
        // within the probe and reports the mismatch; that is no bomb.
        let mut g = fixtures::gz(&os_system("id"));
        fixtures::set_gzip_isize(&mut g, u32::MAX);
        let rep = scan("p.pkl.gz", &g);
        assert!(bomb_messages(&rep).is_empty());
        assert!(rep
            .findings
            .iter()
            .any(|f| f.rule_id == rules::ARC_CORRUPT.id));
        assert_eq!(rep.max_severity(), Some(Severity::Critical));
        // A pickle longer than the probe behind the forged size is inflated
        // on (to its end here, well within the bound): the import after the
        // first 64 KiB is still seen.
        let mut big = crate::fixtures::pickle::P::new()
            .proto(4)
            .raw(b"\x8e")
            .raw(&(200_000u64).to_le_bytes())
            .bytes();
        big.resize(big.len() + 200_000, b'a');
        big.extend(os_system("id"));
        let mut g = fixtures::gz(&big);
        fixtures::set_gzip_isize(&mut g, u32::MAX);
        let rep = scan("p.pkl.gz", &g);
        assert_has(&rep, &rules::PKL_DANGEROUS);
    }

    #[test]
    fn a_declared_bomb_is_not_inflated_past_its_head() {
        // The deflate stream is cut after about 300 KB of output: reading
        // on would hit the cut (a corrupt-stream error), stopping after the
        // 64 KiB probe does not.
        let g = fixtures::gz(&vec![0u8; 8 << 20]);
        let mut cut = g[..10 + 300].to_vec();
        cut.extend_from_slice(&g[g.len() - 8..]);
        let rep = scan("cut.gz", &cut);
        assert!(bomb_messages(&rep)[0].contains("declares"));
        assert!(rep.errors.is_empty(), "{:?}", rep.errors);
        // The same bytes without the declared size are inflated to the cut.
        fixtures::set_gzip_isize(&mut cut, 4096);
        let rep = scan("cut.gz", &cut);
        assert!(bomb_messages(&rep).is_empty());
        assert_has(&rep, &rules::ARC_CORRUPT);
    }

    #[test]
    fn an_unknown_head_is_inflated_to_the_end_for_a_trailing_zip() {
        // Opaque bytes, then a zip checkpoint: Python's zipfile opens the
        // decompressed file from its end, so the scan must reach it.
        let mut inner: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
            .collect();
        inner.extend(
            ZipBuilder::new()
                .member(ZipMember::stored("archive/data.pkl", &os_system("id")))
                .build(),
        );
        let rep = scan("blob.gz", &fixtures::gz(&inner));
        assert_has(&rep, &rules::PKL_DANGEROUS);
    }

    /// Options with a small per-member decompression bound.
    fn member_bound(bytes: u64) -> ScanOptions {
        ScanOptions {
            limits: crate::Limits {
                max_member_bytes: bytes,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn xz_index_declares_a_bomb() {
        let opts = member_bound(100_000);
        let rep = scan_bytes("z.xz", &fixtures::xz(&vec![0u8; 300_000]), &opts);
        let m = bomb_messages(&rep);
        assert!(
            m.len() == 1 && m[0].contains("xz declares 300000 bytes"),
            "{m:?}"
        );
    }

    #[test]
    fn concatenated_lzma_streams_share_the_bound_and_report_a_broken_one() {
        let opts = member_bound(100_000);
        // Two streams of 60,000 bytes: the bound covers them together.
        let half = fixtures::xz(&vec![0u8; 60_000]);
        let two = [half.clone(), fixtures::lzma(&vec![0u8; 60_000])].concat();
        let rep = scan_bytes("z.xz", &two, &opts);
        let m = bomb_messages(&rep);
        assert!(
            m.len() == 1 && m[0].contains("expands past 100000"),
            "{m:?}"
        );
        // A second stream cut short after yielding data is corrupt (exit
        // 2); what came before it is still scanned.
        let evil = crate::fixtures::pickle::os_system("id");
        let long: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let second = fixtures::xz(&long);
        let cut = [fixtures::xz(&evil), second[..second.len() - 40].to_vec()].concat();
        let rep = scan_bytes("cut.pkl.xz", &cut, &ScanOptions::default());
        assert_eq!(
            rep.max_severity(),
            Some(Severity::Critical),
            "{:?}",
            rep.findings
        );
        assert!(
            rep.errors
                .iter()
                .any(|e| e.message.contains("xz stream is corrupt")),
            "{:?}",
            rep.errors
        );
    }

    #[test]
    fn deflated_checkpoint_members_keep_their_detections() {
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
            .collect();
        let z = ZipBuilder::new()
            .member(ZipMember::stored(
                "archive/data.pkl",
                &fixtures::pickle::torch_state_dict(1, 4),
            ))
            .member(ZipMember::deflated("archive/data/0", &noise))
            .member(ZipMember::deflated("archive/data/1", &os_system("id")))
            .build();
        let rep = scan("m.pt", &z);
        assert!(rep
            .findings
            .iter()
            .any(|f| f.rule_id == rules::PKL_DANGEROUS.id
                && f.location.as_ref().and_then(|l| l.path.as_deref())
                    == Some("m.pt!archive/data/1")));
        assert!(
            rep.findings
                .iter()
                .all(|f| f.location.as_ref().and_then(|l| l.path.as_deref())
                    != Some("m.pt!archive/data/0")),
            "{:?}",
            rep.findings
        );
    }
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    #[test]
    fn hdf5_behind_a_large_user_block_is_still_found_on_disk() {
        let lambda = r#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "lambda", "function": {"module": "builtins", "class_name": "function", "config": "4wEAAAAAAAAAAAAAAAEAAAADAAAA", "registered_name": "function"}, "function_type": "lambda"}, "registered_name": null}]}, "module": "keras", "registered_name": null}"#;
        for block in [4096usize, 8192, 32768] {
            let mut b = vec![0xffu8; block];
            b.extend(crate::fixtures::keras_h5(lambda));
            b.resize(b.len() + 70_000, 0);
            let rep = scan_bytes("m.bin", &b, &ScanOptions::default());
            assert!(
                rep.findings
                    .iter()
                    .any(|f| f.rule_id.starts_with("RAMP-KERAS")),
                "user block {block}: {:?}",
                rep.findings
            );
        }
    }
}

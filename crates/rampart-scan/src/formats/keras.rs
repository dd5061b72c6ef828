//! Keras: `.keras` archives (their `config.json` reaches here through the
//! zip reader) and legacy HDF5 files (the `model_config` attribute holds the
//! same JSON). Lambda layers carry serialised Python code; modules outside
//! Keras and TensorFlow mean custom code will be imported on load.

use crate::blob::{read_capped, Blob};
use crate::engine::{Ctx, Out};
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};
use serde_json::Value;

const ALLOWED_MODULE_ROOTS: &[&str] = &["keras", "tf_keras", "tensorflow", "builtins", "numpy"];

fn module_ok(m: &str) -> bool {
    ALLOWED_MODULE_ROOTS
        .iter()
        .any(|r| m == *r || m.starts_with(&format!("{r}.")))
}

/// Whether a JSON value looks like a Keras model or layer config.
pub fn is_keras_config(v: &Value) -> bool {
    let o = match v.as_object() {
        Some(o) => o,
        None => return false,
    };
    (o.contains_key("class_name") && o.contains_key("config")) || o.contains_key("model_config")
}

#[derive(Default)]
struct Hits {
    lambdas: Vec<String>,
    modules: Vec<String>,
    /// `module.name` pairs the pickle policy calls dangerous, inside the
    /// allowed roots too: `builtins.exec` as an activation, or
    /// `keras.utils.get_file` as a layer (the safe-mode bypasses of
    /// CVE-2025-1550 and CVE-2025-8747 resolve such names on load).
    dangerous: Vec<String>,
    /// Layers that read a file, a model or a pickle from outside the
    /// archive when the model is loaded or first called, with what they
    /// name and whether the reference is critical (see [`external_reads`]).
    external: Vec<(String, bool)>,
    /// Lines of an RWKV tokenizer's `vocabulary` list that are expressions
    /// (`set_vocabulary` eval()s each), with their 1-based position.
    rwkv: Vec<(usize, String)>,
}

/// Layers whose config makes Keras read something the archive does not
/// hold, which `safe_mode` does not stop:
/// - a lookup or vectorisation layer whose `vocabulary` (or `idf_weights`)
///   is a string reads that path (CVE-2025-12058);
/// - `TFSMLayer` loads the SavedModel at `filepath` and runs its graph,
///   whose ops may write files (CVE-2026-1462);
/// - `TorchModuleWrapper` keeps its module as `torch.load` bytes in the
///   config, a pickle that runs on load (CVE-2025-49655);
/// - a keras-hub tokenizer whose vocabulary, merges, proto or token tables
///   are a string reads that path (keras-hub PRs 2517 and 2771).
fn external_reads(cn: &str, o: &serde_json::Map<String, Value>, h: &mut Hits) {
    let cfg = o.get("config").and_then(Value::as_object);
    let field = |k: &str| cfg.and_then(|c| c.get(k)).and_then(Value::as_str);
    match cn {
        "StringLookup" | "IntegerLookup" | "IndexLookup" | "TextVectorization" => {
            for k in ["vocabulary", "idf_weights"] {
                if let Some(path) = field(k) {
                    h.external
                        .push((format!("{cn} `{k}` reads the file {path:?}"), false));
                }
            }
        }
        "TFSMLayer" => {
            let path = field("filepath").unwrap_or("?");
            // An absolute path, a climb out of the model's folder or a URL
            // names a model no one shipped with this one.
            let outside = path.starts_with('/')
                || path.starts_with('\\')
                || path.contains("..")
                || path.contains("://")
                || path.as_bytes().get(1) == Some(&b':');
            h.external.push((
                format!("TFSMLayer loads and runs the SavedModel at {path:?}"),
                outside,
            ));
        }
        "TorchModuleWrapper" => {
            let critical = field("module").is_some_and(torch_bytes_are_dangerous);
            h.external.push((
                "TorchModuleWrapper keeps its module as torch.load bytes (a pickle) in the config"
                    .into(),
                critical,
            ));
        }
        _ => {}
    }
    // keras-hub (and keras-nlp) tokenizers take a vocabulary, merges table
    // or SentencePiece proto as a list, a dict, bytes, or a file path that
    // `__init__` opens; saved models keep them as assets and the config
    // holds null. The generic tokenizers check safe_mode only since
    // keras-hub PR 2517 (2026), PARSeq and Whisper not before PR 2771;
    // every model tokenizer is a subclass of one of them. Custom objects
    // are found by `registered_name` (`keras_hub>WordPieceTokenizer`),
    // whatever `class_name` says, so this is checked beside the built-in
    // classes above, not instead of them.
    let registered = o.get("registered_name").and_then(Value::as_str);
    let tokenizer = cn.ends_with("Tokenizer")
        || registered.is_some_and(|r| r.rsplit('>').next().unwrap_or(r).ends_with("Tokenizer"));
    if tokenizer {
        // keras-hub's `RWKVTokenizer` keeps its vocabulary in the config
        // as the file's lines and eval()s each one in `set_vocabulary`
        // (keras-hub PR 2715).
        let rwkv = [Some(cn), registered]
            .into_iter()
            .flatten()
            .any(|n| n.to_ascii_lowercase().contains("rwkv"));
        if let (true, Some(lines)) = (
            rwkv,
            cfg.and_then(|c| c.get("vocabulary"))
                .and_then(Value::as_array),
        ) {
            let lines = lines.iter().filter_map(Value::as_str);
            h.rwkv.extend(super::rwkv::expression_lines(lines, 8));
        }
        for k in [
            "vocabulary",
            "merges",
            "proto",
            "special_tokens",
            "language_tokens",
        ] {
            if let Some(path) = field(k) {
                h.external
                    .push((format!("{cn} `{k}` reads the file {path:?}"), false));
            }
        }
    }
}

/// Whether a `TorchModuleWrapper`'s base64 `module` is a bare pickle that
/// imports a dangerous global (a `torch.save` zip stays high: its pickle
/// is a member the scanner does not unpack from a config string).
fn torch_bytes_are_dangerous(b64: &str) -> bool {
    use base64::Engine as _;
    // Bounded: a config string is already capped by the JSON reader.
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let rep = crate::pickle::scan_pickle(&bytes);
    let policy = crate::Policy::default();
    rep.globals.iter().any(|g| {
        matches!(
            policy.classify(&g.module, &g.name),
            crate::Verdict::Dangerous(_)
        )
    })
}

/// What a config object names: `class_name` in `module`, or for a
/// serialised function (`"class_name": "function"`), the function named by
/// its `config` string.
fn named_callable<'a>(o: &'a serde_json::Map<String, Value>, cn: &'a str) -> &'a str {
    if cn == "function" {
        if let Some(f) = o.get("config").and_then(Value::as_str) {
            return f;
        }
    }
    cn
}

fn walk(v: &Value, h: &mut Hits, depth: usize) {
    // serde_json stops at 128 levels, so every parsed config is walked whole
    // (a Lambda 22 Sequentials deep was past an earlier limit of 64).
    if depth > 256 {
        return;
    }
    match v {
        Value::Object(o) => {
            if let Some(cn) = o.get("class_name").and_then(Value::as_str) {
                if cn == "Lambda" || cn == "__lambda__" {
                    let layer = o
                        .get("config")
                        .and_then(|c| c.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    h.lambdas.push(layer.to_string());
                }
                external_reads(cn, o, h);
                if let Some(m) = o.get("module").and_then(Value::as_str) {
                    let target = named_callable(o, cn);
                    // Keras <= 3.8 falls back to `vars(module)[registered_name]`
                    // when the name is not found: that name is resolved too.
                    let registered = o
                        .get("registered_name")
                        .and_then(Value::as_str)
                        .filter(|r| !r.is_empty() && *r != target && !r.contains('>'));
                    let policy = crate::Policy::default();
                    let dangerous = [Some(target), registered].into_iter().flatten().find(|t| {
                        // `get_file` downloads to a chosen path under every
                        // module that re-exports it (keras.src.utils,
                        // keras.src.datasets.*, keras.api.utils...).
                        (t.rsplit('.').next() == Some("get_file") && module_ok(m))
                            || matches!(policy.classify(m, t), crate::Verdict::Dangerous(_))
                    });
                    if let Some(t) = dangerous {
                        h.dangerous.push(format!("{m}.{t}"));
                    } else if !module_ok(m) {
                        h.modules.push(format!("{m}.{cn}"));
                    }
                }
            }
            if let Some(ft) = o.get("function_type").and_then(Value::as_str) {
                if ft == "lambda" {
                    h.lambdas.push(
                        o.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string(),
                    );
                }
            }
            for (k, x) in o {
                // model_config in HDF5 is itself a JSON string.
                if k == "model_config" {
                    if let Some(s) = x.as_str() {
                        if let Ok(inner) = serde_json::from_str::<Value>(s) {
                            walk(&inner, h, depth + 1);
                            continue;
                        }
                    }
                }
                walk(x, h, depth + 1);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, h, depth + 1)),
        _ => {}
    }
}

/// Check one Keras config value.
pub(crate) fn scan_config(name: &str, v: &Value, out: &mut Out) {
    let mut h = Hits::default();
    walk(v, &mut h, 0);
    h.lambdas.dedup();
    h.modules.sort();
    h.modules.dedup();
    h.dangerous.sort();
    h.dangerous.dedup();
    for d in h.dangerous.iter().take(16) {
        let shown = sanitize_for_display(&truncate(d, 160));
        out.add(
            rules::KERAS_MODULE
                .finding_sev(
                    rampart_core::Severity::Critical,
                    name,
                    format!(
                        "config references {shown}, which runs code or reaches files, processes or the network when Keras resolves it"
                    ),
                )
                .with_evidence(shown),
        );
    }
    h.external.sort();
    h.external.dedup();
    for (what, critical) in h.external.iter().take(16) {
        let shown = sanitize_for_display(&truncate(what, 200));
        let sev = if *critical {
            rampart_core::Severity::Critical
        } else {
            rampart_core::Severity::High
        };
        out.add(
            rules::KERAS_EXTERNAL
                .finding_sev(sev, name, format!("{shown}, outside the model archive, when the model loads; safe_mode does not stop it"))
                .with_evidence(shown),
        );
    }
    for (n, m) in h.rwkv.iter().take(8) {
        out.add(super::rwkv::finding(
            name,
            "RWKV tokenizer config vocabulary",
            *n,
            m,
        ));
    }
    for l in h.lambdas.iter().take(16) {
        out.add(rules::KERAS_LAMBDA.finding(
            name,
            format!(
                "Lambda layer {:?} holds serialised Python code that runs on load",
                sanitize_for_display(&truncate(l, 80))
            ),
        ));
    }
    for m in h.modules.iter().take(16) {
        let shown = sanitize_for_display(&truncate(m, 160));
        out.add(
            rules::KERAS_MODULE
                .finding(
                    name,
                    format!("config references {shown}, outside Keras and TensorFlow"),
                )
                .with_evidence(shown),
        );
    }
}

/// A JSON text: scanned when it has the shape of a Keras config.
pub(crate) fn scan_json_text(name: &str, t: &str, out: &mut Out) {
    // `"class\u005fname"` is `class_name` to a JSON parser.
    if !(t.contains("class") || t.contains("\\u")) {
        return;
    }
    if let Some((v, flattened)) = parse_python_json_full(t) {
        if is_keras_config(&v) {
            if flattened {
                out.add(too_deep(name));
            }
            scan_config(name, &v, out);
        }
    }
}

/// The finding for a JSON file whose deepest parts were not read.
pub(crate) fn too_deep(name: &str) -> rampart_core::Finding {
    crate::rules::JSON_DEPTH.finding(
        name,
        format!("JSON nested deeper than {MAX_JSON_DEPTH} levels: Python reads it, the scanner checked everything above that depth only"),
    )
}

/// JSON as Python's `json.loads` reads it: a byte-order mark is skipped,
/// `NaN`, `Infinity` and `-Infinity` are numbers, a number too large for a
/// double is infinity, and a lone surrogate escape (`"\ud800"`) is a
/// character. serde_json refuses all of these, which let a config or a
/// skops schema holding one pass unread.
pub(crate) fn parse_python_json(t: &str) -> Option<Value> {
    parse_python_json_full(t).map(|(v, _)| v)
}

/// Containers nested deeper than this are read as `null`: serde_json
/// stops at 128 levels, Python at its recursion limit (about 1,000), so a
/// config padded with 200 nested lists would otherwise not parse at all.
const MAX_JSON_DEPTH: usize = 120;

/// [`parse_python_json`], and whether containers past [`MAX_JSON_DEPTH`]
/// were left out (the caller reports that what they held was not
/// checked).
pub(crate) fn parse_python_json_full(t: &str) -> Option<(Value, bool)> {
    let t = t.strip_prefix('\u{feff}').unwrap_or(t);
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return Some((v, false));
    }
    // Rewrite what Python accepts into what serde_json accepts: the
    // constants and overflowing numbers outside strings become null (the
    // checks read names and modules, which are strings), lone surrogate
    // escapes inside strings become U+FFFD.
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    let mut in_str = false;
    let mut depth = 0usize;
    let mut flattened = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'"' => {
                    in_str = false;
                    out.push('"');
                    i += 1;
                }
                b'\\' if b.get(i + 1) == Some(&b'u') => {
                    let unit = |at: usize| {
                        t.get(at..at + 4)
                            .and_then(|h| u16::from_str_radix(h, 16).ok())
                    };
                    match unit(i + 2) {
                        Some(0xd800..=0xdbff)
                            if t.get(i + 6..i + 8) == Some("\\u")
                                && unit(i + 8).is_some_and(|l| (0xdc00..=0xdfff).contains(&l)) =>
                        {
                            // A valid pair: kept as written.
                            out.push_str(&t[i..i + 12]);
                            i += 12;
                        }
                        Some(0xd800..=0xdfff) => {
                            out.push_str("\\ufffd");
                            i += 6;
                        }
                        _ => {
                            out.push_str(&t[i..i + 2]);
                            i += 2;
                        }
                    }
                }
                b'\\' => {
                    // Any other escape: copied whole (its second byte is
                    // ASCII when valid; an invalid one fails the parse).
                    let end = (i + 2).min(b.len());
                    match t.get(i..end) {
                        Some(e) => out.push_str(e),
                        None => return None,
                    }
                    i = end;
                }
                _ => {
                    let ch = t[i..].chars().next()?;
                    out.push(ch);
                    i += ch.len_utf8();
                }
            }
            continue;
        }
        if c == b'"' {
            in_str = true;
            out.push('"');
            i += 1;
            continue;
        }
        if c == b'[' || c == b'{' {
            if depth >= MAX_JSON_DEPTH {
                i = skip_container(b, i)?;
                out.push_str("null");
                flattened = true;
                continue;
            }
            depth += 1;
        } else if c == b']' || c == b'}' {
            depth = depth.saturating_sub(1);
        }
        if let Some(w) = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|w| t[i..].starts_with(w))
        {
            out.push_str("null");
            i += w.len();
            continue;
        }
        if c == b'-' || c.is_ascii_digit() {
            let len = b[i..]
                .iter()
                .position(|x| !matches!(x, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .unwrap_or(b.len() - i);
            let num = &t[i..i + len];
            match num.parse::<f64>() {
                Ok(f) if !f.is_finite() => out.push_str("null"),
                _ => out.push_str(num),
            }
            i += len;
            continue;
        }
        let ch = t[i..].chars().next()?;
        out.push(ch);
        i += ch.len_utf8();
    }
    serde_json::from_str::<Value>(&out)
        .ok()
        .map(|v| (v, flattened))
}

/// The index just past the container that opens at `b[i]`, strings and
/// escapes respected; `None` when it never closes.
fn skip_container(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'[' || c == b'{' {
            depth += 1;
        } else if c == b']' || c == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i + 1);
            }
        }
        i += 1;
    }
    None
}

/// Text in the encoding `json.loads(bytes)` detects (`json.detect_encoding`):
/// UTF-32 or UTF-16 by their byte-order marks, else by where the NUL bytes
/// of the first four fall. `None` for anything else (UTF-8 is read as text
/// by the sniffer already).
pub(crate) fn decode_wide_json(b: &[u8]) -> Option<String> {
    let (unit, le, skip) = if b.starts_with(b"\xff\xfe\0\0") {
        (4, true, 4)
    } else if b.starts_with(b"\0\0\xfe\xff") {
        (4, false, 4)
    } else if b.starts_with(b"\xff\xfe") {
        (2, true, 2)
    } else if b.starts_with(b"\xfe\xff") {
        (2, false, 2)
    } else if b.len() >= 4 && b[0] == 0 {
        if b[1] != 0 {
            (2, false, 0)
        } else {
            (4, false, 0)
        }
    } else if b.len() >= 4 && b[1] == 0 {
        if b[2] != 0 || b[3] != 0 {
            (2, true, 0)
        } else {
            (4, true, 0)
        }
    } else {
        return None;
    };
    let body = &b[skip..];
    let s = if unit == 2 {
        let u: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&u).ok()?
    } else {
        body.chunks_exact(4)
            .map(|c| {
                let v = if le {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                };
                char::from_u32(v)
            })
            .collect::<Option<String>>()?
    };
    s.trim_start().starts_with(['{', '[']).then_some(s)
}

/// The end of a JSON object starting at `b[0] == b'{'`.
fn json_object_end(b: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// HDF5: find the `model_config` JSON among the attribute bytes.
pub(crate) fn scan_h5(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    scan_embedded_json(name, blob, ctx, out, true);
    // Object headers sit between the datasets, anywhere in the file: the
    // whole of it up to the read limit is searched, a chunk at a time.
    let (files, stopped) = super::hdf5::external_files(blob, ctx.opts.limits.max_read_bytes);
    for f in files.iter().take(16) {
        let shown = sanitize_for_display(&truncate(f, 240));
        out.add(
            rules::H5_EXTERNAL
                .finding(name, format!("{shown} when the weights load"))
                .with_evidence(shown),
        );
    }
    if stopped {
        out.add(rules::FILE_TOO_LARGE.finding(
            name,
            "HDF5 file larger than the read limit: external-storage datasets were looked for in the part read only",
        ));
    }
}

/// Keras configs as JSON objects inside any binary file (HDF5 attributes,
/// a Keras 2 SavedModel's `keras_metadata.pb`). `strict`: a config that
/// cannot be parsed is an error entry (HDF5, where it must be one).
/// JSON objects read per file in search of Keras configs.
const MAX_CANDIDATES: usize = 10_000;

pub(crate) fn scan_embedded_json(
    name: &str,
    blob: &dyn Blob,
    ctx: &Ctx<'_>,
    out: &mut Out,
    strict: bool,
) {
    // The model_config attribute sits in the root group's header, near the
    // start; weights follow. 64 MiB covers the configs without reading them.
    let (b, _cut) = match read_capped(blob, ctx.opts.limits.max_read_bytes.min(64 << 20)) {
        Ok(x) => x,
        Err(e) => return out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    };
    let mut found = 0;
    let mut failed = false;
    // Every JSON object that mentions `class_name`, whatever its key order
    // or spacing (`json.loads` does not care): candidates are `{` followed
    // by a quote, and a parsed object is skipped whole.
    let mut from = 0;
    let mut tries = 0;
    let mut budget: usize = 256 << 20;
    // Every config is read, not the first few: 64 decoy configs in an
    // attribute stored before `model_config` hid a Lambda behind a cap
    // (review round of session 22). What the bounds leave unread is said.
    let mut stopped = false;
    while let Some(i) = memchr::memchr(b'{', &b[from..]) {
        let start = from + i;
        from = start + 1;
        if tries >= MAX_CANDIDATES {
            stopped = true;
            break;
        }
        let next = b[start + 1..].iter().find(|c| !c.is_ascii_whitespace());
        if next != Some(&b'"') {
            continue;
        }
        tries += 1;
        // An unclosed `{` is read to the end of the buffer: a shared budget
        // keeps many of them from costing time quadratic in the file.
        let window = &b[start..b.len().min(start + budget)];
        let Some(end) = json_object_end(window) else {
            budget = budget.saturating_sub(window.len());
            if budget == 0 {
                stopped = true;
                break;
            }
            continue;
        };
        budget = budget.saturating_sub(end);
        let obj = &b[start..start + end];
        // `json.loads` decodes escapes in keys: `"\u0063lass_name"` is
        // `class_name` (review round of session 22).
        if memchr::memmem::find(obj, b"class").is_none()
            && memchr::memmem::find(obj, b"\\u").is_none()
        {
            continue;
        }
        // Tensor bytes spell `{"`, `\u` and `}` by chance (a 200 MB
        // Keras 3 `.weights.h5` of random embeddings was an error entry):
        // only text that is UTF-8 throughout, as `json.loads` needs, is a
        // config that failed to parse.
        let Ok(text) = std::str::from_utf8(obj) else {
            continue;
        };
        match parse_python_json(text) {
            Some(v) if is_keras_config(&v) => {
                found += 1;
                scan_config(name, &v, out);
                from = start + end;
            }
            Some(_) => {}
            None => failed = true,
        }
    }
    if stopped {
        out.add(rules::KERAS_UNREAD.finding(
            name,
            format!("more than {MAX_CANDIDATES} embedded JSON objects: the rest of the file was not read for Keras configs, and a loader reads the one it names"),
        ));
    }
    if strict && found == 0 && failed {
        out.fail(
            &rules::KERAS_CONFIG,
            name,
            "HDF5 file has a model config that is not valid JSON",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lambda_and_foreign_modules() {
        let v: Value = serde_json::from_str(r#"{"class_name":"Functional","config":{"layers":[
            {"class_name":"Lambda","config":{"name":"evil","function":["YmFzZTY0",null,null]},"module":"keras.layers"},
            {"class_name":"Thing","config":{},"module":"evil_pkg.layers"},
            {"class_name":"Dense","config":{"name":"d"},"module":"keras.layers"}]}}"#).unwrap();
        let mut out = Out::default();
        scan_config("m.keras!config.json", &v, &mut out);
        assert!(out
            .findings
            .iter()
            .any(|f| f.rule_id == rules::KERAS_LAMBDA.id));
        assert!(out
            .findings
            .iter()
            .any(|f| f.rule_id == rules::KERAS_MODULE.id && f.message.contains("evil_pkg")));
        assert_eq!(out.findings.len(), 2);
    }

    #[test]
    fn dangerous_callables_inside_allowed_roots_are_critical() {
        // An activation resolved to `builtins.exec`, a layer that is
        // `keras.utils.get_file` (downloads to a chosen path).
        let v: Value = serde_json::from_str(r#"{"class_name":"Sequential","module":"keras","config":{"layers":[
            {"class_name":"Dense","module":"keras.layers","config":{"name":"d","units":1,
              "activation":{"module":"builtins","class_name":"function","config":"exec","registered_name":"function"}}},
            {"class_name":"get_file","module":"keras.utils","config":{"fname":"/tmp/x","origin":"http://e/x"}},
            {"class_name":"Dense","module":"keras.layers","config":{"name":"e","units":1,
              "activation":{"module":"keras.activations","class_name":"function","config":"relu","registered_name":"function"}}}]}}"#).unwrap();
        let mut out = Out::default();
        scan_config("m.keras!config.json", &v, &mut out);
        let crit: Vec<&str> = out
            .findings
            .iter()
            .filter(|f| f.severity == rampart_core::Severity::Critical)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(crit.len(), 2, "{crit:?}");
        assert!(crit.iter().any(|m| m.contains("builtins.exec")));
        assert!(crit.iter().any(|m| m.contains("keras.utils.get_file")));
        // Resolved through `registered_name` (Keras <= 3.8), re-exported
        // `get_file`, and 22 Sequentials deep.
        let v: Value = serde_json::from_str(r#"{"class_name":"Functional","config":{"layers":[
            {"module":"builtins","class_name":"function","config":"no_such_name","registered_name":"exec"},
            {"class_name":"get_file","module":"keras.src.datasets.mnist","config":{}},
            {"class_name":"Dense","module":"keras.layers","config":{"name":"d"},"registered_name":"Custom>Dense"}]}}"#).unwrap();
        let mut h = Hits::default();
        walk(&v, &mut h, 0);
        assert_eq!(
            h.dangerous,
            vec!["builtins.exec", "keras.src.datasets.mnist.get_file"]
        );
        let mut deep =
            r#"{"class_name":"Lambda","config":{"name":"evil"},"module":"keras.layers"}"#
                .to_string();
        for _ in 0..22 {
            deep = format!(
                r#"{{"class_name":"Sequential","module":"keras","config":{{"layers":[{deep}]}}}}"#
            );
        }
        let mut h = Hits::default();
        walk(&serde_json::from_str(&deep).unwrap(), &mut h, 0);
        assert_eq!(h.lambdas, vec!["evil"]);
        assert!(!out.findings.iter().any(|f| f.message.contains("relu")));
    }

    #[test]
    fn python_json_accepts_what_serde_refuses() {
        let v = parse_python_json(
            r#"{"a": "x\ud800y", "b": 1e999, "c": NaN, "d": "\ud83d\ude00", "e": -Infinity}"#,
        )
        .expect("Python reads it");
        assert_eq!(v["a"], "x\u{fffd}y");
        assert!(v["b"].is_null() && v["c"].is_null() && v["e"].is_null());
        assert_eq!(v["d"], "\u{1f600}");
        let big = format!("{{\"n\": 1{}, \"m\": \"__loader__\"}}", "0".repeat(400));
        assert_eq!(parse_python_json(&big).expect("big int")["m"], "__loader__");
        let deep = format!(
            r#"{{"pad": {}1{}, "auto_map": {{"AutoModel": "m.M"}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let (v, flat) = parse_python_json_full(&deep).expect("deep");
        assert!(flat);
        assert_eq!(v["auto_map"]["AutoModel"], "m.M");
        assert!(parse_python_json(r#"{"a": "\q"}"#).is_none());
        assert!(parse_python_json(r#"{"a": 1,}"#).is_none());
    }
}

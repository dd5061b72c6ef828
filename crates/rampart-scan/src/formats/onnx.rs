//! ONNX: external-data locations that escape the model directory, and
//! operators from custom domains (which need a native library to run).
//! The ModelProto is walked with the minimal protobuf reader.

use super::protobuf::{fields, Value};
use crate::engine::Out;
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};
use rampart_core::Severity;
use std::collections::BTreeSet;
use std::path::Path;

const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.ms.internal.nhwc",
];
const MAX_DEPTH: usize = 16;
/// Distinct external-data locations kept for one model: each is a stat
/// when the model was read from disk.
const MAX_LOCATIONS: usize = 4096;

#[derive(Default)]
struct Walk {
    domains: BTreeSet<String>,
    /// Every distinct external-data location (bounded).
    locations: BTreeSet<String>,
    /// The first parse error, and whether one was in a nested message (the
    /// rest of that message went unread: high).
    error: Option<(String, bool)>,
}

impl Walk {
    fn error(&mut self, what: &str, e: String, high: bool) {
        match &mut self.error {
            None => self.error = Some((format!("{what}: {e}"), high)),
            Some((_, h)) => *h |= high,
        }
    }
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn location_escapes(loc: &str) -> bool {
    let l = loc.replace('\\', "/");
    l.starts_with('/')
        || l.split('/').any(|p| p == "..")
        || (l.len() > 1 && l.as_bytes()[1] == b':')
        || l.starts_with("//")
}

/// onnxruntime's tag for external data that lives in process memory
/// (`*/_ORT_MEM_ADDR_/*`): the offset is then a raw address, and a model
/// file carrying it makes the runtime read (and serve) arbitrary memory.
pub const ORT_MEM_TAG: &str = "_ORT_MEM_ADDR_";

/// Call `f` on each field of the nested message `b` (`what` names it in
/// an error). A field that does not parse ends the walk of that message
/// with an error: the loader would read what follows it.
fn each<'a>(b: &'a [u8], w: &mut Walk, what: &str, mut f: impl FnMut(u32, Value<'a>, &mut Walk)) {
    for r in fields(b) {
        match r {
            Ok((k, v)) => f(k, v, w),
            Err(e) => {
                w.error(what, e, true);
                return;
            }
        }
    }
}

/// TensorProto: its external_data entries (field 13, StringStringEntryProto
/// key 1, value 2; the last of each wins, as protobuf reads them).
fn tensor(b: &[u8], w: &mut Walk) {
    each(b, w, "TensorProto", |k, v, w| {
        if let (13, Value::Bytes(entry)) = (k, v) {
            let mut key = String::new();
            let mut val = String::new();
            each(entry, w, "external_data entry", |k, v, _| match (k, v) {
                (1, Value::Bytes(x)) => key = s(x),
                (2, Value::Bytes(x)) => val = s(x),
                _ => {}
            });
            if key == "location" && w.locations.len() < MAX_LOCATIONS {
                w.locations.insert(val);
            }
        }
    });
}

/// SparseTensorProto: values (1) and indices (2) are tensors.
fn sparse(b: &[u8], w: &mut Walk) {
    each(b, w, "SparseTensorProto", |k, v, w| {
        if let (1 | 2, Value::Bytes(t)) = (k, v) {
            tensor(t, w)
        }
    });
}

/// AttributeProto: tensors (t 5, tensors 10), graphs (g 6, graphs 11) and
/// sparse tensors (22, 23: a Constant's sparse_value).
fn attribute(b: &[u8], w: &mut Walk, depth: usize) {
    each(b, w, "AttributeProto", |k, v, w| match (k, v) {
        (6 | 11, Value::Bytes(g)) => graph(g, w, depth + 1),
        (5 | 10, Value::Bytes(t)) => tensor(t, w),
        (22 | 23, Value::Bytes(t)) => sparse(t, w),
        _ => {}
    });
}

fn node(b: &[u8], w: &mut Walk, depth: usize) {
    each(b, w, "NodeProto", |k, v, w| match (k, v) {
        (7, Value::Bytes(d)) => {
            w.domains.insert(s(d));
        }
        (5, Value::Bytes(attr)) => attribute(attr, w, depth),
        _ => {}
    });
}

fn graph(b: &[u8], w: &mut Walk, depth: usize) {
    if depth > MAX_DEPTH {
        w.error("GraphProto", "subgraphs nested too deeply".into(), true);
        return;
    }
    each(b, w, "GraphProto", |k, v, w| match (k, v) {
        (1, Value::Bytes(n)) => node(n, w, depth),
        (5, Value::Bytes(t)) => tensor(t, w),
        (15, Value::Bytes(t)) => sparse(t, w),
        _ => {}
    });
}

/// OperatorSetIdProto: its domain (field 1).
fn opset(b: &[u8], w: &mut Walk) {
    each(b, w, "OperatorSetIdProto", |k, v, w| {
        if let (1, Value::Bytes(d)) = (k, v) {
            w.domains.insert(s(d));
        }
    });
}

/// FunctionProto: nodes (7), attribute defaults (attribute_proto, 11) and
/// opset imports (9).
fn function(b: &[u8], w: &mut Walk) {
    each(b, w, "FunctionProto", |k, v, w| match (k, v) {
        (7, Value::Bytes(n)) => node(n, w, 1),
        (11, Value::Bytes(a)) => attribute(a, w, 1),
        (9, Value::Bytes(op)) => opset(op, w),
        _ => {}
    });
}

/// TrainingInfoProto: its initialization (1) and algorithm (2) graphs.
fn training_info(b: &[u8], w: &mut Walk) {
    each(b, w, "TrainingInfoProto", |k, v, w| {
        if let (1 | 2, Value::Bytes(g)) = (k, v) {
            graph(g, w, 1)
        }
    });
}

/// The first symbolic link on the way from `dir` to `dir/loc`, with its
/// target: onnx before 1.16 (CVE-2024-27318) and runtimes that read
/// external data themselves follow it, so a model directory checked out
/// from git can make them read any file (a key, `/etc/shadow`) into a
/// tensor that inference then echoes.
fn symlink_on_path(dir: &Path, loc: &str) -> Option<(String, String)> {
    let mut p = dir.to_path_buf();
    for part in loc.split(['/', '\\']) {
        if part.is_empty() || part == "." {
            continue;
        }
        p.push(part);
        let meta = std::fs::symlink_metadata(&p).ok()?;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&p)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            return Some((p.display().to_string(), target));
        }
    }
    None
}

/// Scan a ModelProto; `dir` is the directory the model was read from, when
/// it was read from disk (its external data is looked up there).
pub(crate) fn scan(name: &str, b: &[u8], dir: Option<&Path>, out: &mut Out) {
    let mut w = Walk::default();
    for f in fields(b) {
        match f {
            Ok((7, Value::Bytes(g))) => graph(g, &mut w, 0),
            Ok((8, Value::Bytes(op))) => opset(op, &mut w),
            Ok((20, Value::Bytes(t))) => training_info(t, &mut w),
            Ok((25, Value::Bytes(func))) => function(func, &mut w),
            Err(e) => {
                // A model that does not parse at the top is refused by its
                // loaders as well (or was cut by the size limit).
                w.error("ModelProto", e, false);
                break;
            }
            _ => {}
        }
    }
    for loc in &w.locations {
        let shown = sanitize_for_display(&truncate(loc, 200));
        if loc.contains(ORT_MEM_TAG) {
            out.add(rules::ONNX_EXTERNAL.finding_sev(
                Severity::Critical,
                name,
                format!("external data location {shown:?} is onnxruntime's in-memory tag: the offset is read as a raw address (arbitrary memory read when the model loads)"),
            ));
        } else if location_escapes(loc) {
            out.add(rules::ONNX_EXTERNAL.finding(
                name,
                format!("external data location {shown:?} points outside the model directory"),
            ));
        } else if let Some((link, target)) = dir.and_then(|d| symlink_on_path(d, loc)) {
            out.add(rules::ONNX_EXTERNAL.finding(
                name,
                format!(
                    "external data location {shown:?} goes through the symbolic link {} -> {}: onnx before 1.16 and other readers follow it out of the model directory",
                    sanitize_for_display(&truncate(&link, 200)),
                    sanitize_for_display(&truncate(&target, 200))
                ),
            ));
        }
    }
    let custom: Vec<_> = w
        .domains
        .iter()
        .filter(|d| !STANDARD_DOMAINS.contains(&d.as_str()))
        .collect();
    if !custom.is_empty() {
        let list: Vec<String> = custom
            .iter()
            .take(8)
            .map(|d| sanitize_for_display(&truncate(d, 80)))
            .collect();
        out.add(rules::ONNX_DOMAIN.finding(
            name,
            format!("custom operator domains: {}", list.join(", ")),
        ));
    }
    if let Some((e, high)) = w.error {
        let (sev, why) = if high {
            (
                Severity::High,
                ": the rest of that message was not read, and a loader that parses it reads it",
            )
        } else {
            (rules::ONNX_PARSE.severity, "")
        };
        let m = format!("ONNX protobuf error in {e}{why}");
        out.errors.push(crate::ScanError {
            path: name.to_string(),
            message: m.clone(),
        });
        out.add(rules::ONNX_PARSE.finding_sev(sev, name, m));
    }
}

/// For a file whose name says `.onnx` (or `saved_model.pb`) but whose
/// content the sniffer did not recognise as a model: the kind to read it
/// as, with a finding that says so. `onnx.load` and onnxruntime parse the
/// file whatever it starts with; a scanner that skipped it would pass a
/// model that a layout it does not know hides.
pub(crate) fn claimed_but_unsniffed(
    name: &str,
    kind: crate::sniff::ArtifactKind,
    out: &mut Out,
) -> Option<crate::sniff::ArtifactKind> {
    use crate::sniff::ArtifactKind;
    if kind.is_model() {
        return None;
    }
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    if base.eq_ignore_ascii_case("saved_model.pb") {
        return Some(ArtifactKind::TfSavedModel);
    }
    if crate::sniff::extension(name).as_deref() != Some("onnx") {
        return None;
    }
    out.add(rules::ONNX_PARSE.finding(
        name,
        format!(
            "the name claims .onnx but the content was not recognised as an ONNX model ({}): read as one anyway",
            kind.as_str()
        ),
    ));
    Some(ArtifactKind::Onnx)
}

//! ONNX: external-data locations that escape the model directory, and
//! operators from custom domains (which need a native library to run).
//! The ModelProto is walked with the minimal protobuf reader.

use super::protobuf::{fields, Value};
use crate::engine::Out;
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};
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
    error: Option<String>,
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

fn tensor(b: &[u8], w: &mut Walk) {
    for f in fields(b) {
        match f {
            Ok((13, Value::Bytes(entry))) => {
                let mut key = String::new();
                let mut val = String::new();
                for e in fields(entry).flatten() {
                    match e {
                        (1, Value::Bytes(k)) => key = s(k),
                        (2, Value::Bytes(v)) => val = s(v),
                        _ => {}
                    }
                }
                if key == "location" && w.locations.len() < MAX_LOCATIONS {
                    w.locations.insert(val);
                }
            }
            Err(e) => {
                w.error.get_or_insert(e);
                return;
            }
            _ => {}
        }
    }
}

/// SparseTensorProto: values (1) and indices (2) are tensors.
fn sparse(b: &[u8], w: &mut Walk) {
    for f in fields(b) {
        match f {
            Ok((1, Value::Bytes(t))) | Ok((2, Value::Bytes(t))) => tensor(t, w),
            Err(e) => {
                w.error.get_or_insert(e);
                return;
            }
            _ => {}
        }
    }
}

fn node(b: &[u8], w: &mut Walk, depth: usize) {
    for f in fields(b) {
        match f {
            Ok((7, Value::Bytes(d))) => {
                w.domains.insert(s(d));
            }
            Ok((5, Value::Bytes(attr))) => {
                for a in fields(attr).flatten() {
                    match a {
                        (6, Value::Bytes(g)) | (11, Value::Bytes(g)) => graph(g, w, depth + 1),
                        (5, Value::Bytes(t)) | (10, Value::Bytes(t)) => tensor(t, w),
                        // sparse_tensor, sparse_tensors (a Constant's
                        // sparse_value): their values and indices may be
                        // external data too.
                        (22, Value::Bytes(t)) | (23, Value::Bytes(t)) => sparse(t, w),
                        _ => {}
                    }
                }
            }
            Err(e) => {
                w.error.get_or_insert(e);
                return;
            }
            _ => {}
        }
    }
}

fn graph(b: &[u8], w: &mut Walk, depth: usize) {
    if depth > MAX_DEPTH {
        w.error.get_or_insert("subgraphs nested too deeply".into());
        return;
    }
    for f in fields(b) {
        match f {
            Ok((1, Value::Bytes(n))) => node(n, w, depth),
            Ok((5, Value::Bytes(t))) => tensor(t, w),
            Ok((15, Value::Bytes(t))) => sparse(t, w),
            Err(e) => {
                w.error.get_or_insert(e);
                return;
            }
            _ => {}
        }
    }
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
            Ok((8, Value::Bytes(op))) => {
                for e in fields(op).flatten() {
                    if let (1, Value::Bytes(d)) = e {
                        w.domains.insert(s(d));
                    }
                }
            }
            // FunctionProto: nodes are field 7 there.
            Ok((25, Value::Bytes(func))) => {
                for e in fields(func).flatten() {
                    if let (7, Value::Bytes(n)) = e {
                        node(n, &mut w, 1);
                    }
                }
            }
            Err(e) => {
                w.error.get_or_insert(e);
                break;
            }
            _ => {}
        }
    }
    for loc in &w.locations {
        let shown = sanitize_for_display(&truncate(loc, 200));
        if location_escapes(loc) {
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
    if let Some(e) = w.error {
        out.fail(
            &rules::ONNX_PARSE,
            name,
            format!("ONNX protobuf error: {e}"),
        );
    }
}

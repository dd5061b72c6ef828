//! ONNX: external-data locations that escape the model directory, and
//! operators from custom domains (which need a native library to run).
//! The ModelProto is walked with the minimal protobuf reader.

use super::protobuf::{fields, Value};
use crate::engine::Out;
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};
use std::collections::BTreeSet;

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

#[derive(Default)]
struct Walk {
    domains: BTreeSet<String>,
    escapes: BTreeSet<String>,
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
                if key == "location" && location_escapes(&val) {
                    w.escapes.insert(val);
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

pub(crate) fn scan(name: &str, b: &[u8], out: &mut Out) {
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
    for loc in &w.escapes {
        out.add(rules::ONNX_EXTERNAL.finding(
            name,
            format!(
                "external data location {:?} points outside the model directory",
                sanitize_for_display(&truncate(loc, 200))
            ),
        ));
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

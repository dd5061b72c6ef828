//! Secrets in files: source, configs (.env, YAML, JSON, TOML) and Jupyter
//! notebooks (cell sources and saved text outputs; embedded images are
//! skipped). The rules come from `rampart_detect::secrets::scan_text` (the
//! `detect` feature); without it a small built-in set of high-confidence
//! patterns is used. Evidence is always redacted.

use crate::engine::Out;
use crate::{ScanOptions, SecretScanner};
use once_cell::sync::Lazy;
use rampart_core::{Finding, Location, Span};
use regex::Regex;
use std::sync::Arc;

/// The secret rules used when `ScanOptions::secret_scanner` is `None`.
pub fn default_scanner() -> SecretScanner {
    #[cfg(feature = "detect")]
    {
        Arc::new(rampart_detect::secrets::scan_text)
    }
    #[cfg(not(feature = "detect"))]
    {
        Arc::new(builtin_scan_text)
    }
}

static BUILTIN: Lazy<Vec<(&'static str, Regex)>> = Lazy::new(|| {
    [
        (
            "private_key",
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY(?: BLOCK)?-----",
        ),
        ("aws_access_key_id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("openai_key", r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b"),
        ("slack_token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
        ("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ]
    .into_iter()
    .map(|(n, p)| (n, Regex::new(p).expect("valid secret regex")))
    .collect()
});

/// The built-in fallback rules (also used by tests of this crate).
pub fn builtin_scan_text(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, re) in BUILTIN.iter() {
        for m in re.find_iter(text) {
            let (line, col) = line_col(text, m.start());
            out.push(
                crate::rules::SECRET
                    .finding("", format!("possible {name} in text"))
                    .with_category(*name)
                    .with_location(
                        Location::span(Span::new(m.start(), m.end()))
                            .with_line(line)
                            .with_column(col),
                    )
                    .with_evidence(rampart_core::redact::mask(m.as_str())),
            );
        }
    }
    out
}

fn line_col(text: &str, off: usize) -> (u32, u32) {
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line as u32, col as u32)
}

fn scanner(opts: &ScanOptions) -> SecretScanner {
    opts.secret_scanner.clone().unwrap_or_else(default_scanner)
}

/// No default rule matches fewer bytes than this (the shortest match is a
/// secret-named assignment such as `pwd=abcd`). Shorter texts, like the
/// `version` and `byteorder` members of every PyTorch checkpoint, are not
/// handed to the default rules, which are then never compiled for a scan
/// that meets no real text.
pub const MIN_SECRET_TEXT: usize = 8;

/// Scan a text file; findings are placed at `name` with their line/column.
pub(crate) fn scan_text_into(name: &str, text: &str, opts: &ScanOptions, out: &mut Out) {
    if opts.secret_scanner.is_none() && text.len() < MIN_SECRET_TEXT {
        return;
    }
    let scan = scanner(opts);
    for mut f in scan(text) {
        let mut l = f.location.take().unwrap_or_default();
        l.path = Some(name.to_string());
        f.location = Some(l);
        out.add(f);
    }
}

/// Scan a notebook: every cell's source and its text outputs.
pub(crate) fn scan_notebook(name: &str, text: &str, opts: &ScanOptions, out: &mut Out) {
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return scan_text_into(name, text, opts, out),
    };
    let scan = scanner(opts);
    let Some(cells) = v.get("cells").and_then(|c| c.as_array()) else {
        return scan_text_into(name, text, opts, out);
    };
    let join = |x: &serde_json::Value| -> String {
        match x {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) => a.iter().filter_map(|p| p.as_str()).collect::<String>(),
            _ => String::new(),
        }
    };
    // Findings in one part of the notebook, located in the file.
    let located = |t: &str| {
        scan(t).into_iter().map(|mut f| {
            let mut l = f.location.take().unwrap_or_default();
            l.path = Some(name.to_string());
            f.location = Some(l);
            f
        })
    };
    for (i, cell) in cells.iter().enumerate() {
        let mut parts: Vec<(String, String)> = Vec::new();
        if let Some(src) = cell.get("source") {
            parts.push(("source".into(), join(src)));
        }
        if let Some(outs) = cell.get("outputs").and_then(|o| o.as_array()) {
            for (j, o) in outs.iter().enumerate() {
                if let Some(t) = o.get("text") {
                    parts.push((format!("outputs[{j}].text"), join(t)));
                }
                if let Some(d) = o.get("data").and_then(|d| d.as_object()) {
                    for (mime, val) in d {
                        // Images and other binary payloads are base64: skip them.
                        if mime.starts_with("image/")
                            || mime.starts_with("video/")
                            || mime.starts_with("audio/")
                            || mime == "application/pdf"
                        {
                            continue;
                        }
                        let t = if val.is_string() || val.is_array() {
                            join(val)
                        } else {
                            val.to_string()
                        };
                        parts.push((format!("outputs[{j}].data[{mime}]"), t));
                    }
                }
                if let Some(tb) = o.get("traceback") {
                    parts.push((format!("outputs[{j}].traceback"), join(tb)));
                }
                // An error's message, and what a front end stored beside an
                // output (alt text, tool state), are saved in the file too.
                if let Some(e) = o.get("evalue") {
                    parts.push((format!("outputs[{j}].evalue"), join(e)));
                }
                if let Some(m) = o.get("metadata").filter(|m| !is_empty(m)) {
                    parts.push((format!("outputs[{j}].metadata"), m.to_string()));
                }
            }
        }
        if let Some(m) = cell.get("metadata").filter(|m| !is_empty(m)) {
            parts.push(("metadata".into(), m.to_string()));
        }
        for (part, t) in parts {
            for f in located(&t) {
                out.add(f.with_meta("cell", i).with_meta("part", part.clone()));
            }
        }
    }
    // The notebook's own metadata: saved widget state keeps the values of
    // text and password widgets.
    if let Some(m) = v.get("metadata").filter(|m| !is_empty(m)) {
        for f in located(&m.to_string()) {
            out.add(f.with_meta("part", "metadata"));
        }
    }
}

fn is_empty(v: &serde_json::Value) -> bool {
    v.as_object().is_some_and(|o| o.is_empty()) || v.is_null()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_floor_is_below_every_default_rule() {
        // The shortest secret the default rules report must still be scanned.
        let mut out = Out::default();
        let text = "pwd=\"hunter2xyz\"";
        assert!(text.len() >= MIN_SECRET_TEXT);
        scan_text_into("x.env", text, &ScanOptions::default(), &mut out);
        let direct = default_scanner()(text);
        #[cfg(feature = "detect")]
        assert!(!direct.is_empty());
        assert_eq!(out.findings.len(), direct.len());
        for t in ["3\n", "little", "pwd=abc"] {
            assert!(t.len() < MIN_SECRET_TEXT);
            assert!(default_scanner()(t).is_empty(), "{t:?}");
        }
    }

    #[test]
    fn builtin_rules_find_and_mask() {
        let f = builtin_scan_text("x = 1\nkey = \"AKIAIOSFODNN7EXAMPLE\"\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.as_ref().unwrap().line, Some(2));
        assert!(!f[0].evidence.as_ref().unwrap().contains("IOSFODNN7"));
    }
}

//! SARIF 2.1.0, in the shape GitHub code scanning accepts.
//!
//! Each distinct rule id becomes a `reportingDescriptor` whose tags carry the
//! framework mappings and whose `security-severity` lets GitHub rank it.
//! Results without a file location get `default_uri` so that every result has
//! the physical location GitHub requires.

use crate::finding::{Finding, Severity};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Who produced the run.
#[derive(Debug, Clone)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    pub information_uri: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "rampart".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            information_uri: "https://github.com/rampart-ai/rampart".into(),
        }
    }
}

/// A tool-level problem (a file that could not be parsed...), reported as a
/// `toolExecutionNotification`.
#[derive(Debug, Clone)]
pub struct Notification {
    pub message: String,
    pub uri: Option<String>,
}

/// Build a SARIF log with one run.
pub fn to_sarif(
    findings: &[Finding],
    tool: &ToolInfo,
    default_uri: &str,
    notifications: &[Notification],
) -> Value {
    // Rule metadata: first occurrence wins; severity is the maximum seen.
    let mut rules: BTreeMap<&str, (&Finding, Severity)> = BTreeMap::new();
    for f in findings {
        rules
            .entry(f.rule_id.as_str())
            .and_modify(|e| e.1 = e.1.max(f.severity))
            .or_insert((f, f.severity));
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|(id, (f, sev))| {
            let mut tags: Vec<String> = vec!["security".into(), f.detector.clone()];
            for r in &f.frameworks {
                tags.push(format!("{}:{}", r.framework.key(), r.id));
            }
            json!({
                "id": id,
                "name": id.replace('-', ""),
                "shortDescription": {"text": short_description(f)},
                "fullDescription": {"text": f.message},
                "defaultConfiguration": {"level": sev.sarif_level()},
                "properties": {
                    "tags": tags,
                    "security-severity": sev.security_severity(),
                    "precision": if f.confidence >= 0.9 { "high" } else if f.confidence >= 0.6 { "medium" } else { "low" }
                }
            })
        })
        .collect();

    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let loc = f.location.clone().unwrap_or_default();
            let uri = loc.path.clone().unwrap_or_else(|| default_uri.to_string());
            let mut region = Map::new();
            if let Some(l) = loc.line {
                region.insert("startLine".into(), json!(l.max(1)));
                if let Some(c) = loc.column {
                    region.insert("startColumn".into(), json!(c.max(1)));
                }
            }
            if let Some(sp) = loc.span {
                region.insert("byteOffset".into(), json!(sp.start));
                region.insert("byteLength".into(), json!(sp.len()));
            } else if let Some(o) = loc.offset {
                region.insert("byteOffset".into(), json!(o));
            }
            if region.is_empty() {
                region.insert("startLine".into(), json!(1));
            }
            let mut props = Map::new();
            props.insert("severity".into(), json!(f.severity.as_str()));
            props.insert("confidence".into(), json!(f.confidence));
            props.insert("detector".into(), json!(f.detector));
            if let Some(c) = &f.category {
                props.insert("category".into(), json!(c));
            }
            if let Some(e) = &f.evidence {
                props.insert("evidence".into(), json!(e));
            }
            if !f.frameworks.is_empty() {
                props.insert(
                    "frameworks".into(),
                    json!(f
                        .frameworks
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()),
                );
            }
            json!({
                "ruleId": f.rule_id,
                "ruleIndex": index[f.rule_id.as_str()],
                "level": f.severity.sarif_level(),
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_escape(&uri)},
                        "region": Value::Object(region)
                    }
                }],
                "properties": Value::Object(props)
            })
        })
        .collect();

    let notes: Vec<Value> = notifications
        .iter()
        .map(|n| {
            let mut v = json!({"level": "error", "message": {"text": n.message}});
            if let Some(u) = &n.uri {
                v["locations"] =
                    json!([{"physicalLocation": {"artifactLocation": {"uri": uri_escape(u)}}}]);
            }
            v
        })
        .collect();

    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": tool.name,
                "version": tool.version,
                "informationUri": tool.information_uri,
                "rules": rule_values
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notes
            }],
            "results": results
        }]
    })
}

fn short_description(f: &Finding) -> String {
    match &f.category {
        Some(c) => format!("{} ({c})", f.detector),
        None => f.detector.clone(),
    }
}

/// Percent-encode what a URI reference may not contain; keep `/` so that
/// relative paths stay readable in GitHub's UI.
fn uri_escape(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Span};
    use crate::frameworks::Framework;

    #[test]
    fn builds_rules_and_results() {
        let fs = vec![
            Finding::new("RAMP-PI-001", "injection.rules", Severity::High, "override")
                .with_span(Span::new(0, 5))
                .with_framework(Framework::OwaspLlm, "LLM01"),
            Finding::new(
                "RAMP-PI-001",
                "injection.rules",
                Severity::Critical,
                "again",
            )
            .with_location(Location::path("a b.txt").with_line(3)),
        ];
        let v = to_sarif(&fs, &ToolInfo::default(), "stdin", &[]);
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 1);
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"],
            "error"
        );
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "stdin"
        );
        assert_eq!(
            run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "a%20b.txt"
        );
        assert_eq!(
            run["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    }
}

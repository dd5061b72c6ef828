//! `rampart inventory diff OLD NEW`: what appeared, disappeared or changed.
//!
//! Both Rampart inventory JSON and CycloneDX BOMs are accepted (each side
//! independently). Assets are matched by id (`bom-ref` in a BOM), which is
//! derived from the kind and path, so a model file swapped under the same
//! name keeps its id and shows up as *changed* with its old and new hashes.

use crate::asset::Inventory;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The comparable facts of one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub kind: String,
    pub name: String,
    pub facts: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub id: String,
    pub kind: String,
    /// field -> (old, new)
    pub changes: BTreeMap<String, (String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Diff {
    pub appeared: Vec<(String, Snapshot)>,
    pub disappeared: Vec<(String, Snapshot)>,
    pub changed: Vec<Change>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.disappeared.is_empty() && self.changed.is_empty()
    }
}

/// Asset properties that take part in the comparison.
const PROPS: [&str; 6] = [
    "pinned",
    "package",
    "command",
    "image",
    "architecture",
    "sdks",
];

fn from_inventory(inv: &Inventory) -> BTreeMap<String, Snapshot> {
    inv.assets
        .iter()
        .map(|a| {
            let mut f = BTreeMap::new();
            if let Some(h) = &a.sha256 {
                f.insert("sha256".into(), h.clone());
            }
            if let Some(x) = &a.format {
                f.insert("format".into(), x.clone());
            }
            if let Some(x) = &a.license {
                f.insert("license".into(), x.to_ascii_lowercase());
            }
            if let Some(x) = a.signature {
                f.insert("signature".into(), x.as_str().into());
            }
            if let Some(x) = &a.scan {
                f.insert("scan".into(), x.status.clone());
            }
            if !a.endpoints.is_empty() {
                f.insert("endpoints".into(), a.endpoints.join(" "));
            }
            if let Some(x) = a.authenticated {
                f.insert("authenticated".into(), x.to_string());
            }
            let mut rules: Vec<&str> = a.risks.iter().map(|r| r.rule_id.as_str()).collect();
            rules.sort();
            if !rules.is_empty() {
                f.insert("risks".into(), rules.join(","));
            }
            for k in [
                "pinned",
                "package",
                "command",
                "image",
                "architecture",
                "sdks",
            ] {
                if let Some(v) = a.properties.get(k) {
                    f.insert(k.into(), v.clone());
                }
            }
            (
                a.id.clone(),
                Snapshot {
                    kind: a.kind.as_str().into(),
                    name: a.name.clone(),
                    facts: f,
                },
            )
        })
        .collect()
}

fn from_cyclonedx(v: &Value) -> BTreeMap<String, Snapshot> {
    let mut out = BTreeMap::new();
    let mut risks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for vu in v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = vu
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for a in vu
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = a.get("ref").and_then(Value::as_str) {
                risks.entry(r.to_string()).or_default().push(id.clone());
            }
        }
    }
    let items = v
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            v.get("services")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    for c in items {
        let Some(id) = c.get("bom-ref").and_then(Value::as_str) else {
            continue;
        };
        let mut f = BTreeMap::new();
        for h in c
            .get("hashes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(alg), Some(content)) = (
                h.get("alg").and_then(Value::as_str),
                h.get("content").and_then(Value::as_str),
            ) {
                f.insert(
                    alg.to_ascii_lowercase().replace('-', ""),
                    content.to_string(),
                );
            }
        }
        if let Some(l) = c
            .pointer("/licenses/0/license")
            .and_then(|l| l.get("id").or_else(|| l.get("name")))
            .and_then(Value::as_str)
        {
            f.insert("license".into(), l.to_ascii_lowercase());
        }
        if let Some(eps) = c.get("endpoints").and_then(Value::as_array) {
            f.insert(
                "endpoints".into(),
                eps.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if let Some(a) = c.get("authenticated").and_then(Value::as_bool) {
            f.insert("authenticated".into(), a.to_string());
        }
        let mut kind = c
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("service")
            .to_string();
        for p in c
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(n), Some(val)) = (
                p.get("name").and_then(Value::as_str),
                p.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            match n {
                "rampart:kind" => kind = val.to_string(),
                "rampart:format" => {
                    f.insert("format".into(), val.into());
                }
                "rampart:signature" => {
                    f.insert("signature".into(), val.into());
                }
                "rampart:scan.status" => {
                    f.insert("scan".into(), val.into());
                }
                other => {
                    if let Some(k) = other.strip_prefix("rampart:") {
                        if PROPS.contains(&k) {
                            f.insert(k.into(), val.into());
                        }
                    }
                }
            }
        }
        if let Some(mut r) = risks.remove(id) {
            r.sort();
            f.insert("risks".into(), r.join(","));
        }
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_string();
        out.insert(
            id.to_string(),
            Snapshot {
                kind,
                name,
                facts: f,
            },
        );
    }
    out
}

/// Read either format from JSON text.
pub fn load(text: &str) -> Result<BTreeMap<String, Snapshot>, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return Ok(from_cyclonedx(&v));
    }
    if v.get("schema").and_then(Value::as_str) == Some(Inventory::SCHEMA) {
        let inv: Inventory =
            serde_json::from_value(v).map_err(|e| format!("not a Rampart inventory: {e}"))?;
        return Ok(from_inventory(&inv));
    }
    Err(format!(
        "neither a Rampart inventory (`schema: {}`) nor a CycloneDX BOM (`bomFormat: CycloneDX`)",
        Inventory::SCHEMA
    ))
}

/// Compare two snapshots maps.
pub fn diff(old: &BTreeMap<String, Snapshot>, new: &BTreeMap<String, Snapshot>) -> Diff {
    let mut d = Diff::default();
    for (id, o) in old {
        match new.get(id) {
            None => d.disappeared.push((id.clone(), o.clone())),
            Some(n) => {
                let mut ch = BTreeMap::new();
                for k in o.facts.keys().chain(n.facts.keys()) {
                    let a = o.facts.get(k).cloned().unwrap_or_default();
                    let b = n.facts.get(k).cloned().unwrap_or_default();
                    if a != b {
                        ch.insert(k.clone(), (a, b));
                    }
                }
                if !ch.is_empty() {
                    d.changed.push(Change {
                        id: id.clone(),
                        kind: n.kind.clone(),
                        changes: ch,
                    });
                }
            }
        }
    }
    for (id, n) in new {
        if !old.contains_key(id) {
            d.appeared.push((id.clone(), n.clone()));
        }
    }
    d
}

/// Human rendering of a diff.
pub fn render(d: &Diff) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} appeared, {} disappeared, {} changed",
        d.appeared.len(),
        d.disappeared.len(),
        d.changed.len()
    );
    for (id, a) in &d.appeared {
        let _ = writeln!(s, "+ {id} ({})", a.kind);
    }
    for (id, a) in &d.disappeared {
        let _ = writeln!(s, "- {id} ({})", a.kind);
    }
    for c in &d.changed {
        let _ = writeln!(s, "~ {} ({})", c.id, c.kind);
        for (k, (a, b)) in &c.changes {
            let show = |x: &str| {
                if x.is_empty() {
                    "(none)".to_string()
                } else {
                    rampart_core::redact::sanitize_for_display(x)
                }
            };
            let _ = writeln!(s, "    {k}: {} -> {}", show(a), show(b));
        }
    }
    s
}

//! The AI bill of materials: an [`Inventory`] as CycloneDX 1.6 JSON.
//!
//! Mapping: models -> `machine-learning-model` components with a
//! `modelCard` holding only what was found (task, architecture, training
//! datasets); datasets, cards and configs -> `data` components; code and
//! notebooks -> `file` components; credentials -> `cryptographic-asset`
//! components (type `key`, never the value); endpoints, vector stores,
//! cloud AI services and MCP servers -> `services`; `depends_on` ->
//! `dependencies`; risks -> `vulnerabilities` with a rating, a CWE where one
//! fits and the framework mappings as properties.
//! The output is validated against the official 1.6 schema in the tests.

use crate::asset::{Asset, AssetKind, Inventory};
use crate::cards;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

fn props(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Array(
        pairs
            .into_iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect(),
    )
}

fn license_choice(l: &str) -> Value {
    match cards::spdx_id(l) {
        Some(id) => json!([{"license": {"id": id}}]),
        None => json!([{"license": {"name": l}}]),
    }
}

fn asset_props(a: &Asset) -> Vec<(String, String)> {
    let mut v = vec![("rampart:kind".to_string(), a.kind.as_str().to_string())];
    if !a.path.is_empty() {
        v.push(("rampart:path".into(), a.path.clone()));
    }
    if let Some(l) = a.line {
        v.push(("rampart:line".into(), l.to_string()));
    }
    if let Some(f) = &a.format {
        v.push(("rampart:format".into(), f.clone()));
    }
    if let Some(s) = a.size {
        v.push(("rampart:size".into(), s.to_string()));
    }
    if let Some(s) = a.signature {
        v.push(("rampart:signature".into(), s.as_str().into()));
    }
    if let Some(s) = &a.scan {
        v.push(("rampart:scan.status".into(), s.status.clone()));
        v.push(("rampart:scan.scanner".into(), s.scanner.clone()));
        v.push(("rampart:scan.findings".into(), s.findings.to_string()));
    }
    for (k, val) in &a.properties {
        v.push((format!("rampart:{k}"), val.clone()));
    }
    v
}

fn purl(a: &Asset) -> Option<String> {
    if !a.path.is_empty() {
        return None;
    }
    let provider = a.properties.get("provider").map(String::as_str);
    let enc = |s: &str| s.replace('@', "%40").replace(' ', "%20");
    match (a.kind, provider) {
        (AssetKind::Model, Some("huggingface")) => {
            Some(format!("pkg:huggingface/{}", enc(&a.name)))
        }
        _ => None,
    }
}

fn component(a: &Asset, datasets: &BTreeSet<String>) -> Value {
    let ctype = match a.kind {
        AssetKind::Model => "machine-learning-model",
        AssetKind::Dataset | AssetKind::ModelCard | AssetKind::ModelConfig => "data",
        AssetKind::Credential => "cryptographic-asset",
        _ => "file",
    };
    let mut c = Map::new();
    c.insert("type".into(), json!(ctype));
    c.insert("bom-ref".into(), json!(a.id));
    c.insert("name".into(), json!(a.name));
    if let Some(p) = purl(a) {
        c.insert("purl".into(), json!(p));
    }
    if let Some(h) = &a.sha256 {
        c.insert("hashes".into(), json!([{"alg": "SHA-256", "content": h}]));
    }
    if let Some(l) = &a.license {
        c.insert("licenses".into(), license_choice(l));
    }
    match a.kind {
        AssetKind::Model => {
            let mut params = Map::new();
            if let Some(t) = a.properties.get("task") {
                params.insert("task".into(), json!(t));
            }
            if let Some(f) = a.properties.get("model_type") {
                params.insert("architectureFamily".into(), json!(f));
            }
            if let Some(x) = a.properties.get("architecture") {
                params.insert("modelArchitecture".into(), json!(x));
            }
            let ds: Vec<Value> = a
                .depends_on
                .iter()
                .filter(|d| datasets.contains(*d))
                .map(|d| json!({"ref": d}))
                .collect();
            if !ds.is_empty() {
                params.insert("datasets".into(), Value::Array(ds));
            }
            let mut card = Map::new();
            card.insert("bom-ref".into(), json!(format!("{}#model-card", a.id)));
            if !params.is_empty() {
                card.insert("modelParameters".into(), Value::Object(params));
            }
            // Only statements the inventory can back: where the facts came
            // from, and the security considerations it found.
            let mut limits = Vec::new();
            if a.format
                .as_deref()
                .is_some_and(|f| f == "pickle" || f == "pytorch")
            {
                limits.push(json!(
                    "Serialised with pickle: loading the file can execute code."
                ));
            }
            match a.signature {
                Some(crate::asset::SignatureStatus::Unsigned) => limits.push(json!(
                    "No signature: provenance and integrity are not verifiable."
                )),
                Some(crate::asset::SignatureStatus::Invalid) => limits.push(json!(
                    "The signature does not verify: the model may have been tampered with."
                )),
                Some(crate::asset::SignatureStatus::Unverified) => limits.push(json!(
                    "Signed, but not by a trusted signer: provenance is not verified."
                )),
                _ => {}
            }
            if !limits.is_empty() {
                card.insert(
                    "considerations".into(),
                    json!({"technicalLimitations": limits}),
                );
            }
            let sources: Vec<&str> = a
                .depends_on
                .iter()
                .filter(|d| d.starts_with("model-card:") || d.starts_with("model-config:"))
                .map(|d| d.split_once(':').map(|x| x.1).unwrap_or(d))
                .collect();
            card.insert(
                "properties".into(),
                props([(
                    "rampart:modelCard.sources".to_string(),
                    if sources.is_empty() {
                        "none found".to_string()
                    } else {
                        sources.join(",")
                    },
                )]),
            );
            c.insert("modelCard".into(), Value::Object(card));
        }
        AssetKind::Dataset => {
            let mut d = Map::new();
            d.insert("type".into(), json!("dataset"));
            d.insert("name".into(), json!(a.name));
            if let Some(cols) = a.properties.get("columns") {
                d.insert("description".into(), json!(format!("columns: {cols}")));
            }
            c.insert("data".into(), json!([Value::Object(d)]));
        }
        AssetKind::ModelCard => {
            c.insert("data".into(), json!([{"type": "definition", "name": a.name, "description": "model or dataset card (README front matter)"}]));
        }
        AssetKind::ModelConfig => {
            c.insert(
                "data".into(),
                json!([{"type": "configuration", "name": a.name}]),
            );
        }
        AssetKind::Credential => {
            c.insert(
                "cryptoProperties".into(),
                json!({"assetType": "related-crypto-material", "relatedCryptoMaterialProperties": {"type": "key", "state": "active"}}),
            );
        }
        _ => {}
    }
    c.insert("properties".into(), props(asset_props(a)));
    Value::Object(c)
}

fn valid_iri(u: &str) -> bool {
    !u.is_empty()
        && !u.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

fn service(a: &Asset) -> Value {
    let mut s = Map::new();
    s.insert("bom-ref".into(), json!(a.id));
    if let Some(p) = a.properties.get("provider") {
        s.insert("provider".into(), json!({"name": p}));
    }
    s.insert("name".into(), json!(a.name));
    let eps: Vec<&String> = a.endpoints.iter().filter(|u| valid_iri(u)).collect();
    if !eps.is_empty() {
        s.insert("endpoints".into(), json!(eps));
    }
    if let Some(auth) = a.authenticated {
        s.insert("authenticated".into(), json!(auth));
    }
    if let Some(tb) = a.properties.get("trust-boundary") {
        s.insert("x-trust-boundary".into(), json!(tb == "true"));
    }
    s.insert("properties".into(), props(asset_props(a)));
    Value::Object(s)
}

fn cwe(rule: &str) -> Option<u32> {
    Some(match rule {
        "RAMP-INV-001" | "RAMP-INV-010" => 502,
        "RAMP-INV-002" => 345,
        "RAMP-INV-003" => 347,
        "RAMP-INV-004" => 494,
        "RAMP-INV-005" | "RAMP-INV-008" => 798,
        "RAMP-INV-006" | "RAMP-INV-013" => 306,
        "RAMP-INV-007" => 1357,
        "RAMP-INV-009" => 94,
        "RAMP-INV-014" => 319,
        _ => return None,
    })
}

/// Build the CycloneDX 1.6 document.
pub fn to_cyclonedx(inv: &Inventory) -> Value {
    let datasets: BTreeSet<String> = inv
        .assets
        .iter()
        .filter(|a| a.kind == AssetKind::Dataset)
        .map(|a| a.id.clone())
        .collect();
    let refs: BTreeSet<&str> = inv.assets.iter().map(|a| a.id.as_str()).collect();
    let root_name = std::path::Path::new(&inv.root)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| inv.root.clone());
    let root_ref = "rampart:inventory-root";
    let components: Vec<Value> = inv
        .assets
        .iter()
        .filter(|a| !a.kind.is_service())
        .map(|a| component(a, &datasets))
        .collect();
    let services: Vec<Value> = inv
        .assets
        .iter()
        .filter(|a| a.kind.is_service())
        .map(service)
        .collect();
    let mut deps = vec![json!({
        "ref": root_ref,
        "dependsOn": inv.assets.iter().filter(|a| !a.path.is_empty()).map(|a| a.id.clone()).collect::<BTreeSet<_>>(),
    })];
    for a in &inv.assets {
        let on: BTreeSet<&str> = a
            .depends_on
            .iter()
            .map(String::as_str)
            .filter(|d| refs.contains(d) && *d != a.id)
            .collect();
        deps.push(json!({"ref": a.id, "dependsOn": on}));
    }
    let mut vulns = Vec::new();
    for a in &inv.assets {
        for (i, r) in a.risks.iter().enumerate() {
            let mut v = Map::new();
            v.insert("bom-ref".into(), json!(format!("{}#risk-{}", a.id, i + 1)));
            v.insert("id".into(), json!(r.rule_id));
            v.insert("source".into(), json!({"name": "Rampart", "url": "https://example.invalid/rampart/docs/inventory.md"}));
            v.insert("ratings".into(), json!([{"severity": r.severity.as_str(), "method": "other", "source": {"name": "Rampart"}}]));
            if let Some(c) = cwe(&r.rule_id) {
                v.insert("cwes".into(), json!([c]));
            }
            v.insert("description".into(), json!(r.message));
            let loc = r.location_string();
            if !loc.is_empty() {
                v.insert("detail".into(), json!(format!("location: {loc}")));
            }
            v.insert("affects".into(), json!([{"ref": a.id}]));
            let mut p: Vec<(String, String)> = r
                .frameworks
                .iter()
                .map(|f| {
                    (
                        format!("rampart:framework:{}", f.framework.key()),
                        f.id.clone(),
                    )
                })
                .collect();
            if let Some(cat) = &r.category {
                p.push(("rampart:category".into(), cat.clone()));
            }
            v.insert("properties".into(), props(p));
            vulns.push(Value::Object(v));
        }
    }
    let mut bom = Map::new();
    bom.insert(
        "$schema".into(),
        json!("http://cyclonedx.org/schema/bom-1.6.schema.json"),
    );
    bom.insert("bomFormat".into(), json!("CycloneDX"));
    bom.insert("specVersion".into(), json!("1.6"));
    bom.insert(
        "serialNumber".into(),
        json!(format!("urn:uuid:{}", uuid::Uuid::new_v4())),
    );
    bom.insert("version".into(), json!(1));
    bom.insert(
        "metadata".into(),
        json!({
            "timestamp": inv.generated_at,
            "lifecycles": [{"phase": "discovery"}],
            "tools": {"components": [{"type": "application", "name": "rampart", "version": inv.tool_version}]},
            "component": {"type": "application", "bom-ref": root_ref, "name": root_name},
            "properties": props([
                ("rampart:posture.score".to_string(), inv.posture.score.to_string()),
                ("rampart:posture.grade".to_string(), inv.posture.grade.clone()),
                ("rampart:posture.formula".to_string(), inv.posture.formula.clone()),
                ("rampart:files_seen".to_string(), inv.files_seen.to_string()),
                ("rampart:errors".to_string(), inv.errors.len().to_string()),
            ]),
        }),
    );
    bom.insert("components".into(), Value::Array(components));
    if !services.is_empty() {
        bom.insert("services".into(), Value::Array(services));
    }
    bom.insert("dependencies".into(), Value::Array(deps));
    if !vulns.is_empty() {
        bom.insert("vulnerabilities".into(), Value::Array(vulns));
    }
    Value::Object(bom)
}

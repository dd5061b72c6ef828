//! Model and dataset cards, model configs and licence files.
//!
//! Hugging Face READMEs carry YAML front matter (`license`, `base_model`,
//! `datasets`, `pipeline_tag`...). Only the flat keys and simple lists the
//! hub uses are read, without a YAML parser; anything else is ignored rather
//! than guessed.

use std::collections::BTreeMap;

/// Metadata from a card's front matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardMeta {
    /// `model` or `dataset`.
    pub card_type: String,
    pub license: Option<String>,
    pub base_model: Vec<String>,
    pub datasets: Vec<String>,
    pub pipeline_tag: Option<String>,
    pub library_name: Option<String>,
    pub language: Vec<String>,
    pub tags: Vec<String>,
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(['"', '\'']).to_string()
}

/// Parse the front matter of a README. `None` when there is none or it
/// carries no model/dataset metadata.
pub fn parse_front_matter(text: &str) -> Option<CardMeta> {
    let body = text.strip_prefix("\u{feff}").unwrap_or(text);
    let rest = body
        .strip_prefix("---\n")
        .or_else(|| body.strip_prefix("---\r\n"))?;
    let end = rest.find("\n---").unwrap_or(rest.len().min(65536));
    let fm = &rest[..end.min(65536)];
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in fm.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let t = line.trim();
        if let Some(item) = t.strip_prefix("- ") {
            if let Some(k) = &current {
                map.entry(k.clone()).or_default().push(unquote(item));
            }
            continue;
        }
        if indented {
            continue;
        }
        if let Some((k, v)) = t.split_once(':') {
            let k = k.trim().to_string();
            let v = v.trim();
            current = Some(k.clone());
            let entry = map.entry(k).or_default();
            if let Some(inner) = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
                entry.extend(inner.split(',').map(unquote).filter(|s| !s.is_empty()));
            } else if !v.is_empty() {
                entry.push(unquote(v));
            }
        }
    }
    let first = |k: &str| map.get(k).and_then(|v| v.first().cloned());
    let list = |k: &str| map.get(k).cloned().unwrap_or_default();
    let is_dataset = [
        "task_categories",
        "size_categories",
        "dataset_info",
        "configs",
        "annotations_creators",
    ]
    .iter()
    .any(|k| map.contains_key(*k));
    let is_model = [
        "pipeline_tag",
        "library_name",
        "base_model",
        "model-index",
        "model_name",
    ]
    .iter()
    .any(|k| map.contains_key(*k));
    if !is_dataset && !is_model && !map.contains_key("license") {
        return None;
    }
    let license = match first("license").as_deref() {
        Some("other") => first("license_name").or(Some("other".into())),
        Some(l) => Some(l.to_string()),
        None => None,
    };
    Some(CardMeta {
        card_type: if is_dataset && !is_model {
            "dataset"
        } else {
            "model"
        }
        .into(),
        license,
        base_model: list("base_model"),
        datasets: list("datasets"),
        pipeline_tag: first("pipeline_tag"),
        library_name: first("library_name"),
        language: list("language"),
        tags: list("tags"),
    })
}

/// Facts from a transformers-style `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelConfig {
    pub architecture: Option<String>,
    pub model_type: Option<String>,
    pub name_or_path: Option<String>,
    pub dtype: Option<String>,
}

/// `None` when the JSON is not a model config.
pub fn parse_config(text: &str) -> Result<Option<ModelConfig>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let Some(o) = v.as_object() else {
        return Ok(None);
    };
    if !o.contains_key("architectures") && !o.contains_key("model_type") {
        return Ok(None);
    }
    let s = |k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Ok(Some(ModelConfig {
        architecture: o
            .get("architectures")
            .and_then(|a| a.as_array())
            .and_then(|a| a.first())
            .and_then(|x| x.as_str())
            .map(str::to_string),
        model_type: s("model_type"),
        name_or_path: s("_name_or_path"),
        dtype: s("torch_dtype").or_else(|| s("dtype")),
    }))
}

/// Guess an SPDX id from the start of a licence file.
pub fn license_from_text(text: &str) -> Option<String> {
    let head: String = text
        .chars()
        .take(2000)
        .collect::<String>()
        .to_ascii_lowercase();
    let rules: &[(&str, &str)] = &[
        ("apache license", "Apache-2.0"),
        ("mit license", "MIT"),
        ("permission is hereby granted, free of charge", "MIT"),
        (
            "creative commons attribution-noncommercial 4.0",
            "CC-BY-NC-4.0",
        ),
        ("attribution-noncommercial 4.0", "CC-BY-NC-4.0"),
        (
            "creative commons attribution-sharealike 4.0",
            "CC-BY-SA-4.0",
        ),
        ("creative commons attribution 4.0", "CC-BY-4.0"),
        ("attribution 4.0 international", "CC-BY-4.0"),
        ("creative commons attribution 3.0", "CC-BY-3.0"),
        ("cc0", "CC0-1.0"),
        ("bsd 3-clause", "BSD-3-Clause"),
        (
            "redistribution and use in source and binary forms",
            "BSD-3-Clause",
        ),
        ("gnu general public license", "GPL-3.0-only"),
        ("llama 2 community license", "LicenseRef-llama2"),
        ("llama 3", "LicenseRef-llama3"),
    ];
    rules
        .iter()
        .find(|(p, _)| head.contains(p))
        .map(|(_, id)| id.to_string())
}

/// Normalise a hub licence tag (`apache-2.0`, `mit`, `cc-by-4.0`) to an SPDX
/// id when it is one the CycloneDX schema accepts; `None` otherwise (the
/// caller then uses a licence *name*).
pub fn spdx_id(tag: &str) -> Option<&'static str> {
    const IDS: &[&str] = &[
        "Apache-2.0",
        "MIT",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "GPL-2.0-only",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "LGPL-3.0-only",
        "AGPL-3.0-only",
        "MPL-2.0",
        "CC0-1.0",
        "CC-BY-4.0",
        "CC-BY-3.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0",
        "CC-BY-NC-ND-4.0",
        "OpenRAIL",
        "Unlicense",
        "ISC",
        "EPL-2.0",
        "ODbL-1.0",
        "ODC-By-1.0",
        "PDDL-1.0",
        "CDLA-Permissive-2.0",
        "CDLA-Sharing-1.0",
        "Artistic-2.0",
        "BSL-1.0",
        "WTFPL",
        "Zlib",
        "AFL-3.0",
        "ECL-2.0",
        "OSL-3.0",
        "LPPL-1.3c",
        "CDLA-Permissive-1.0",
    ];
    let t = tag.trim();
    let norm = match t.to_ascii_lowercase().as_str() {
        "gpl-3.0" | "gpl-3" | "gpl" => "gpl-3.0-only".to_string(),
        "gpl-2.0" => "gpl-2.0-only".to_string(),
        "lgpl-3.0" => "lgpl-3.0-only".to_string(),
        "agpl-3.0" => "agpl-3.0-only".to_string(),
        "cc0" => "cc0-1.0".to_string(),
        "bsd-3" => "bsd-3-clause".to_string(),
        "apache2" | "apache 2.0" | "apache-2" => "apache-2.0".to_string(),
        "bsl-1.0" => "bsl-1.0".to_string(),
        other => other.to_string(),
    };
    IDS.iter()
        .copied()
        .find(|id| id.to_ascii_lowercase() == norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hub_front_matter() {
        let readme = "---\nlicense: apache-2.0\nbase_model: meta-llama/Llama-3.1-8B\ndatasets:\n- imdb\n- squad\npipeline_tag: text-generation\ntags: [lora, peft]\n---\n# Model\n";
        let m = parse_front_matter(readme).unwrap();
        assert_eq!(m.card_type, "model");
        assert_eq!(m.license.as_deref(), Some("apache-2.0"));
        assert_eq!(m.datasets, ["imdb", "squad"]);
        assert_eq!(m.base_model, ["meta-llama/Llama-3.1-8B"]);
        assert_eq!(m.tags, ["lora", "peft"]);
        assert!(parse_front_matter("# just a readme\n").is_none());
        assert_eq!(spdx_id("apache-2.0"), Some("Apache-2.0"));
        assert_eq!(spdx_id("llama3"), None);
    }

    #[test]
    fn reads_model_config() {
        let c = parse_config(r#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(c.architecture.as_deref(), Some("LlamaForCausalLM"));
        assert!(parse_config(r#"{"a": 1}"#).unwrap().is_none());
        assert!(parse_config("{").is_err());
    }
}

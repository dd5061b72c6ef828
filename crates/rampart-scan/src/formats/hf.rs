//! Hugging Face `transformers` configs that load the model's own Python.
//!
//! A `config.json`, `tokenizer_config.json` or processor config whose
//! `auto_map` maps an auto class to `module.Class` (or
//! `owner/repo--module.Class`, code from another repository), and a
//! `custom_pipelines` entry whose `impl` does the same, make
//! `from_pretrained(..., trust_remote_code=True)` import that module. The
//! opt-in is one keyword that tutorials copy, so the mapping is reported,
//! and when the config was read from disk the modules it names (and the
//! modules they import relatively, as `transformers` fetches them) are read
//! from the same directory and checked with [`super::pysrc`].

use super::pysrc;
use crate::engine::Out;
use crate::rules;
use once_cell::sync::Lazy;
use rampart_core::redact::{sanitize_for_display, truncate};
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Most module files read for one config (the named ones and their
/// relative imports).
const MAX_MODULES: usize = 32;

/// One class reference: `(repository or None, module, class)`.
type Ref = (Option<String>, String, String);

/// Whether a JSON text may hold a code mapping: the cheap test that keeps
/// every other JSON file from being parsed twice.
pub fn may_map_code(name: &str, t: &str) -> bool {
    memchr::memmem::find(t.as_bytes(), b"auto_map").is_some()
        || memchr::memmem::find(t.as_bytes(), b"custom_pipelines").is_some()
        || is_st_modules(name)
        || is_model_index(name)
        // `"\u0061uto_map"` is `auto_map` to `json.loads`.
        || (is_config_name(name) && memchr::memmem::find(t.as_bytes(), b"\\u").is_some())
}

/// The JSON files `transformers` and sentence-transformers read code
/// references from: `config.json`, `tokenizer_config.json`,
/// `processor_config.json`, `preprocessor_config.json`... and
/// `modules.json`.
pub fn is_config_name(name: &str) -> bool {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    base.ends_with("config.json") || base == "modules.json" || base == "model_index.json"
}

/// A diffusers `model_index.json`: `"_class_name": [module, class]` is a
/// custom pipeline (`pipeline_x.py`), and a component `[library, class]`
/// whose library is none of the known ones is imported from
/// `<component>/<library>.py`, both under `trust_remote_code`
/// (`get_class_from_dynamic_module`), or, failing that, imported by name.
fn is_model_index(name: &str) -> bool {
    name.rsplit(['/', '\\', '!']).next() == Some("model_index.json")
}

/// Libraries diffusers loads components from as installed code.
const DIFFUSERS_LIBRARIES: &[&str] = &[
    "diffusers",
    "transformers",
    "onnxruntime",
    "onnxruntime.training",
    "optimum",
    "peft",
    "sentence_transformers",
];

/// A sentence-transformers `modules.json`: a list of `{"path", "type"}`
/// whose `type` is imported by name (`import_from_string`), and taken
/// from the repository's own code under `trust_remote_code`.
fn is_st_modules(name: &str) -> bool {
    name.rsplit(['/', '\\', '!']).next() == Some("modules.json")
}

fn class_ref(s: &str) -> Option<Ref> {
    let (repo, rest) = match s.split_once("--") {
        Some((r, c)) => (Some(r.to_string()), c),
        None => (None, s),
    };
    let (module, class) = rest.rsplit_once('.')?;
    if module.is_empty() || class.is_empty() {
        return None;
    }
    Some((repo, module.to_string(), class.to_string()))
}

/// The `(key, reference)` pairs a diffusers `model_index.json` maps to
/// code of its own.
fn diffusers_references(v: &Value) -> Vec<(String, Ref)> {
    let mut refs = Vec::new();
    let Some(o) = v.as_object() else {
        return refs;
    };
    for (k, val) in o {
        let Some([Value::String(lib), Value::String(class)]) = val.as_array().map(Vec::as_slice)
        else {
            continue;
        };
        if k == "_class_name" {
            refs.push((k.clone(), (None, lib.clone(), class.clone())));
        } else if !k.starts_with('_') && !DIFFUSERS_LIBRARIES.contains(&lib.as_str()) {
            refs.push((
                format!("component {k}"),
                (None, format!("{k}/{lib}"), class.clone()),
            ));
        }
    }
    refs
}

/// The `(key, reference)` pairs a config maps to code.
fn references(v: &Value, st_modules: bool) -> Vec<(String, Ref)> {
    let mut refs = Vec::new();
    if st_modules {
        for m in v.as_array().into_iter().flatten() {
            let Some(t) = m.get("type").and_then(Value::as_str) else {
                continue;
            };
            // The library's own modules are installed code.
            if t.starts_with("sentence_transformers.") {
                continue;
            }
            if let Some((module, class)) = t.rsplit_once('.') {
                let key = m.get("name").and_then(Value::as_str).unwrap_or("module");
                refs.push((
                    format!("modules.json {key}"),
                    (None, module.to_string(), class.to_string()),
                ));
            }
        }
        return refs;
    }
    let mut add = |key: &str, s: &str| {
        if let Some(r) = class_ref(s) {
            refs.push((key.to_string(), r));
        }
    };
    match v.get("auto_map") {
        Some(Value::Object(m)) => {
            for (k, val) in m {
                match val {
                    Value::String(s) => add(k, s),
                    // Tokenizers: `[slow, fast]`, either may be null.
                    Value::Array(a) => {
                        for s in a.iter().filter_map(Value::as_str) {
                            add(k, s);
                        }
                    }
                    // Image processors: `{"pil": ..., "torchvision": ...}`
                    // (`_resolve_auto_map_class_ref`).
                    Value::Object(o) => {
                        for s in o.values().filter_map(Value::as_str) {
                            add(k, s);
                        }
                    }
                    _ => {}
                }
            }
        }
        // The legacy tokenizer form: `"auto_map": [slow, fast]`.
        Some(Value::Array(a)) => {
            for s in a.iter().filter_map(Value::as_str) {
                add("AutoTokenizer", s);
            }
        }
        _ => {}
    }
    if let Some(Value::Object(m)) = v.get("custom_pipelines") {
        for (task, p) in m {
            if let Some(s) = p.get("impl").and_then(Value::as_str) {
                add(&format!("custom_pipelines.{task}"), s);
            }
        }
    }
    refs
}

/// A module name that stays inside the config's directory: a plain name,
/// or `component/name` (a diffusers component's own module).
fn plain_module(m: &str) -> bool {
    let plain = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    };
    match m.split_once('/') {
        Some((dir, file)) => plain(dir) && plain(file),
        None => plain(m),
    }
}

static RELATIVE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?m)^\s*(?:from\s+\.([\w.]*)\s+import\b|import\s+\.(\w+))")
        .expect("valid relative-import pattern")
});

/// Keys whose value transformers reads as the attention implementation:
/// a value with a `/` names a Hub repository of kernels that the `kernels`
/// package downloads and loads as code (CVE-2026-4372).
const ATTN_KEYS: &[&str] = &[
    "attn_implementation",
    "_attn_implementation",
    "_attn_implementation_internal",
];

/// Attention implementations that name a kernel repository, anywhere in
/// a config (sub-configs such as `text_config` carry their own).
pub(crate) fn scan_attn_kernels(name: &str, t: &str, out: &mut Out) {
    if !is_config_name(name) || memchr::memmem::find(t.as_bytes(), b"attn_implementation").is_none()
    {
        return;
    }
    let Some(v) = super::keras::parse_python_json(t) else {
        return;
    };
    fn walk(v: &serde_json::Value, found: &mut Vec<String>, depth: usize) {
        if depth > 64 || found.len() >= 8 {
            return;
        }
        match v {
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    match x.as_str() {
                        Some(s) if ATTN_KEYS.contains(&k.as_str()) && s.contains('/') => {
                            found.push(s.to_string())
                        }
                        _ => walk(x, found, depth + 1),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, found, depth + 1)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(&v, &mut found, 0);
    found.sort();
    found.dedup();
    for repo in found {
        let shown = sanitize_for_display(&truncate(&repo, 160));
        out.add(
            rules::HF_REMOTE_CODE
                .finding(
                    name,
                    format!("attention implementation {shown:?} names a Hub repository of kernels, which transformers downloads and loads as code when the model loads (CVE-2026-4372)"),
                )
                .with_evidence(shown),
        );
    }
}

/// Whether a path in a config climbs out of wherever it is resolved from:
/// absolute (`/`, `\`, a drive letter) or holding a `..` component.
fn leaves_directory(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with(['/', '\\'])
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
        || p.split(['/', '\\']).any(|c| c == "..")
}

/// Whether a relative path goes through a hidden directory or names a
/// hidden file (`.aws/credentials`, `.ssh/id_rsa`): what a read relative
/// to the user's working directory (often the home directory) is after.
fn hidden_component(p: &str) -> bool {
    p.split(['/', '\\'])
        .any(|c| c.len() > 1 && c.starts_with('.') && c != "..")
}

/// An absolute path into a Hugging Face cache: what `save_pretrained` of
/// old `transformers` releases left in many published configs
/// (`/root/.cache/huggingface/transformers/...`), not a chosen target.
fn author_cache_path(p: &str) -> bool {
    let p = p.replace('\\', "/");
    p.contains("/.cache/huggingface/") || p.contains("/huggingface/hub/")
}

/// The tokenizer arguments `transformers` resolves as files of the
/// repository (`vocab_files_names` of its tokenizers): `vocab_file`,
/// `merges_file`, `tokenizer_file`, Marian's `source_spm` / `target_spm` /
/// `vocab`, ErnieM's `sentencepiece_model_ckpt`...
fn vocab_file_key(k: &str) -> bool {
    k.ends_with("vocab_file")
        || k.ends_with("merges_file")
        || k.ends_with("spm_file")
        || k.ends_with("_spm")
        || matches!(
            k,
            "tokenizer_file"
                | "vocab"
                | "vocab_files"
                | "sentencepiece_model_ckpt"
                | "sentencepiece_model_file"
                | "sp_model_file"
                | "bpe_file"
                | "emoji_file"
                | "word_shape_file"
                | "word_pronunciation_file"
        )
}

/// Tokenizer file arguments that a `tokenizer_config.json` sets to a path.
/// `from_pretrained` merged them into the tokenizer's arguments and kept
/// the config's value over the file it resolved inside the repository
/// (`if args_name not in init_kwargs`), so the tokenizer opened that path
/// as written: an absolute or climbing one anywhere, a relative one
/// against the working directory, not the repository. An arbitrary local
/// file read with no `trust_remote_code` (transformers PR 46279, 2026).
///
/// High: a vocabulary argument that is absolute, climbs with `..`, or
/// goes through a hidden name (`.aws/credentials`). Medium: another
/// relative vocabulary argument (read from the working directory), an
/// absolute path into a Hugging Face cache (old releases saved the
/// author's), and absolute or climbing values of other `*_file` keys,
/// which are not shown to be opened.
pub(crate) fn scan_tokenizer_paths(name: &str, t: &str, out: &mut Out) {
    let b = t.as_bytes();
    let may = [&b"_file"[..], b"spm", b"\"vocab", b"sentencepiece", b"\\u"]
        .iter()
        .any(|n| memchr::memmem::find(b, n).is_some());
    if !is_config_name(name) || !may {
        return;
    }
    let Some(Value::Object(o)) = super::keras::parse_python_json(t) else {
        return;
    };
    let mut found: Vec<(String, String, bool)> = Vec::new();
    for (k, v) in &o {
        let vocab = vocab_file_key(k);
        if !(vocab || k.ends_with("_file") || k.ends_with("_files")) {
            continue;
        }
        let paths: Vec<&str> = match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        for p in paths.into_iter().filter(|p| !p.is_empty()).take(8) {
            found.push((k.clone(), p.to_string(), vocab));
        }
    }
    use rampart_core::Severity::{High, Medium};
    for (k, p, vocab) in found.into_iter().take(16) {
        let outside = leaves_directory(&p);
        let (sev, why) = if outside && author_cache_path(&p) {
            (Medium, "an absolute path into a Hugging Face cache, as old releases saved it from the author's machine; transformers opens it on this machine if it exists")
        } else if vocab && (outside || hidden_component(&p)) {
            (High, "transformers opens and reads that file when the tokenizer loads, without trust_remote_code (PR 46279)")
        } else if vocab {
            (Medium, "transformers opened it as written, against the working directory rather than the repository (PR 46279)")
        } else if outside {
            (Medium, "a file outside the model's directory; not one transformers is known to open, but it is the kind of path PR 46279 read")
        } else {
            continue;
        };
        let shown = sanitize_for_display(&truncate(&p, 160));
        out.add(
            rules::HF_TOKENIZER_PATH
                .finding_sev(sev, name, format!("`{k}` names {shown:?}: {why}"))
                .with_evidence(shown),
        );
    }
}

/// Report a config's code mappings; `dir` is the directory the config was
/// read from, when it was read from disk.
pub(crate) fn scan_json_text(
    name: &str,
    t: &str,
    dir: Option<&Path>,
    max_text: u64,
    out: &mut Out,
) {
    let Some((v, flattened)) = super::keras::parse_python_json_full(t) else {
        return;
    };
    if flattened {
        out.add(super::keras::too_deep(name));
    }
    let refs = if is_model_index(name) {
        diffusers_references(&v)
    } else {
        references(&v, is_st_modules(name))
    };
    if refs.is_empty() {
        return;
    }
    let shown: Vec<String> = refs
        .iter()
        .take(8)
        .map(|(k, (repo, m, c))| {
            let target = match repo {
                Some(r) => format!("{m}.{c} from repository {r}"),
                None => format!("{m}.{c}"),
            };
            sanitize_for_display(&truncate(&format!("{k} -> {target}"), 160))
        })
        .collect();
    let remote = refs.iter().any(|(_, (r, _, _))| r.is_some());
    let mut msg = format!(
        "loading imports the model's own Python (trust_remote_code=True, or any installed module a sentence-transformers type names): {}",
        shown.join(", ")
    );
    if remote {
        msg.push_str(
            " (code from another repository is fetched at load time and is not in this artifact)",
        );
    }
    out.add(rules::HF_REMOTE_CODE.finding(name, msg));
    let Some(dir) = dir else {
        return;
    };
    // The modules of this repository, then what they import relatively.
    let mut queue: Vec<String> = refs
        .iter()
        .filter(|(_, (repo, m, _))| repo.is_none() && plain_module(m))
        .map(|(_, (_, m, _))| m.clone())
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(m) = queue.pop() {
        if seen.len() >= MAX_MODULES || !seen.insert(m.clone()) {
            continue;
        }
        let path = dir.join(format!("{m}.py"));
        // A regular file only: a symlink out of the directory is not the
        // repository's code to judge (and is reported by the walk).
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() || meta.len() > max_text {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let src = String::from_utf8_lossy(&bytes);
        let hits = pysrc::analyse(&src);
        if !hits.is_empty() {
            let shown_path = path.display().to_string();
            out.add(rules::PY_DANGEROUS.finding(
                &shown_path,
                format!(
                    "imported through {} under trust_remote_code: {}",
                    name.rsplit(['/', '\\']).next().unwrap_or(name),
                    pysrc::describe(&hits)
                ),
            ));
        }
        // A relative import is resolved in the importing module's own
        // folder (a diffusers component's `unet/`).
        let folder = m.rsplit_once('/').map(|(d, _)| d);
        for c in RELATIVE.captures_iter(&src) {
            let rel = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
            // `from .a.b import` names the file a/b.py, beyond what a flat
            // repository holds (transformers does not fetch it either).
            let module = match folder {
                Some(d) => format!("{d}/{rel}"),
                None => rel.to_string(),
            };
            if plain_module(&module) {
                queue.push(module);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_kernels_from_a_repository_are_remote_code() {
        let mut out = Out::default();
        scan_attn_kernels(
            "config.json",
            r#"{"model_type": "llama", "text_config": {"_attn_implementation_internal": "evil/kernels"}}"#,
            &mut out,
        );
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].rule_id, "RAMP-HF-001");
        let mut out = Out::default();
        scan_attn_kernels(
            "config.json",
            r#"{"attn_implementation": "sdpa"}"#,
            &mut out,
        );
        scan_attn_kernels("notes.json", r#"{"attn_implementation": "a/b"}"#, &mut out);
        assert!(out.findings.is_empty());
    }

    #[test]
    fn references_cover_auto_map_shapes_and_pipelines() {
        let v: Value = serde_json::from_str(
            r#"{"auto_map": {"AutoConfig": "configuration_x.XConfig",
                "AutoModel": "other/repo--modeling_x.XModel",
                "AutoTokenizer": ["tokenization_x.XTokenizer", null],
                "AutoImageProcessor": {"pil": "image_x.XProcessor", "torchvision": null},
                "Bad": "noclass", "Num": 3},
              "custom_pipelines": {"x-task": {"impl": "pipe_x.XPipeline", "pt": []}}}"#,
        )
        .unwrap();
        let r = references(&v, false);
        let keys: Vec<_> = r
            .iter()
            .map(|(k, (repo, m, c))| (k.as_str(), repo.as_deref(), m.as_str(), c.as_str()))
            .collect();
        assert!(keys.contains(&("AutoConfig", None, "configuration_x", "XConfig")));
        assert!(keys.contains(&("AutoModel", Some("other/repo"), "modeling_x", "XModel")));
        assert!(keys.contains(&("AutoTokenizer", None, "tokenization_x", "XTokenizer")));
        assert!(keys.contains(&("custom_pipelines.x-task", None, "pipe_x", "XPipeline")));
        assert!(keys.contains(&("AutoImageProcessor", None, "image_x", "XProcessor")));
        assert_eq!(keys.len(), 5);
        let legacy: Value =
            serde_json::from_str(r#"{"auto_map": ["tokenization_evil.EvilTokenizer", null]}"#)
                .unwrap();
        assert_eq!(references(&legacy, false).len(), 1);
    }

    #[test]
    fn diffusers_custom_pipelines_and_components() {
        let v: Value = serde_json::from_str(
            r#"{"_class_name": ["pipeline_evil", "EvilPipeline"], "_diffusers_version": "0.30.0",
                "unet": ["my_unet", "MyUNet"], "vae": ["diffusers", "AutoencoderKL"],
                "text_encoder": ["transformers", "CLIPTextModel"], "safety_checker": [null, null]}"#,
        )
        .unwrap();
        let r = diffusers_references(&v);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r
            .iter()
            .any(|(_, (_, m, c))| m == "unet/my_unet" && c == "MyUNet"));
        let stock: Value = serde_json::from_str(
            r#"{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}"#,
        )
        .unwrap();
        assert!(diffusers_references(&stock).is_empty());
    }

    #[test]
    fn path_like_modules_are_not_read() {
        assert!(plain_module("modeling_x"));
        assert!(!plain_module("../x"));
        assert!(plain_module("unet/my_unet"));
        assert!(!plain_module("a/b/c"));
        assert!(!plain_module(""));
    }

    #[test]
    fn a_config_without_mapping_reports_nothing() {
        let mut out = Out::default();
        scan_json_text(
            "config.json",
            r#"{"model_type": "bert", "auto_map": 1}"#,
            None,
            1 << 20,
            &mut out,
        );
        assert!(out.findings.is_empty());
        assert!(!may_map_code("config.json", r#"{"model_type": "bert"}"#));
    }

    #[test]
    fn sentence_transformers_modules_outside_the_library_are_references() {
        let v: Value = serde_json::from_str(
            r#"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Custom", "type": "custom_st.Layer"}]"#,
        )
        .unwrap();
        let r = references(&v, true);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].1, (None, "custom_st".to_string(), "Layer".to_string()));
        assert!(may_map_code("repo/modules.json", "[]"));
    }
}

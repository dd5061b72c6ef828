//! Hydra `_target_` references in model configs: NeMo's `model_config.yaml`
//! (inside a `.nemo` tar), safetensors `__metadata__` strings and
//! `config.json` files that frameworks pass to `hydra.utils.instantiate`,
//! which imports the dotted path and calls it with the sibling keys as
//! arguments (Unit 42, January 2026; Protect AI PAIT-EXDIR-101). A path the
//! pickle policy calls dangerous is critical; any other is reported at the
//! rule's medium severity, since NeMo and its peers name their own classes
//! this way.

use crate::engine::Out;
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};
use regex::Regex;
use std::sync::OnceLock;

/// At most this many references are judged per text.
const MAX_TARGETS: usize = 256;

fn target_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // YAML (`_target_: os.system`, quoted or not) and JSON
    // (`"_target_": "os.system"`). Hydra strips nothing else.
    RE.get_or_init(|| {
        Regex::new(r#"["']?\b_target_["']?[ \t]*[:=][ \t]*["']?([A-Za-z_][A-Za-z0-9_.]*)"#)
            .expect("static regex")
    })
}

/// How a text is read for `_target_` keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Json,
    Yaml,
    /// A metadata string: JSON if it parses as JSON, else YAML.
    Either,
}

/// Texts larger than this are parsed only when they spell `target`:
/// escaping the key's letters (`"\u005ftarget_"`) needs a backslash, and
/// tokenizer files of several megabytes hold thousands.
const MAX_PARSED_WITHOUT_KEY: usize = 1 << 20;

/// Judge every `_target_` in `t`: keys found in the parsed tree (escapes,
/// tags, aliases, values on the next line all resolved as the loaders
/// resolve them), and, for text the parser refuses, keys the pattern finds.
pub(crate) fn scan_text(name: &str, t: &str, syntax: Syntax, out: &mut Out) {
    let spelled = memchr::memmem::find(t.as_bytes(), b"target").is_some();
    let escaped =
        t.len() <= MAX_PARSED_WITHOUT_KEY && memchr::memchr(b'\\', t.as_bytes()).is_some();
    if !spelled && !escaped {
        return;
    }
    let mut targets: Vec<(String, bool)> = Vec::new();
    let json = || super::keras::parse_python_json(t);
    let parsed = match syntax {
        Syntax::Json => json().map(|v| json_targets(&v, &mut targets, 0)).is_some(),
        Syntax::Yaml => super::mlflow::parse(t)
            .map(|n| yaml_targets(&n, &mut targets, 0))
            .is_ok(),
        Syntax::Either => {
            json().map(|v| json_targets(&v, &mut targets, 0)).is_some()
                || super::mlflow::parse(t)
                    .map(|n| yaml_targets(&n, &mut targets, 0))
                    .is_ok()
        }
    };
    if !parsed || targets.is_empty() {
        for c in target_re().captures_iter(t).take(MAX_TARGETS) {
            targets.push((c[1].to_string(), false));
        }
    }
    let policy = crate::Policy::default();
    let mut seen = std::collections::BTreeSet::new();
    for (path, odd) in targets.into_iter().take(MAX_TARGETS) {
        if !seen.insert(path.clone()) {
            continue;
        }
        let shown = sanitize_for_display(&truncate(&path, 160));
        let f = if odd {
            // Not a plain dotted path: an OmegaConf interpolation
            // (`${names.t}`) or a non-string value resolves to a name the
            // text does not spell.
            rules::HYDRA_TARGET.finding_sev(
                rampart_core::Severity::High,
                name,
                format!("`_target_: {shown}` is resolved when hydra.utils.instantiate runs (an interpolation or a computed value), so what it imports and calls cannot be read from the file"),
            )
        } else {
            // `_locate` imports the longest importable prefix and walks
            // the rest as attributes: judge it as a module and a name, as
            // the pickle policy judges `GLOBAL module name`.
            let (module, attr) = path.rsplit_once('.').unwrap_or(("builtins", &path));
            match policy.classify(module, attr) {
                crate::Verdict::Dangerous(why) => rules::HYDRA_TARGET.finding_sev(
                    rampart_core::Severity::Critical,
                    name,
                    format!(
                        "`_target_: {shown}`: hydra.utils.instantiate imports and calls it when the model loads; {}",
                        sanitize_for_display(&truncate(&why, 200))
                    ),
                ),
                _ => rules::HYDRA_TARGET.finding(
                    name,
                    format!("`_target_: {shown}`: hydra.utils.instantiate imports and calls it when the model loads; check that the framework's own class is meant"),
                ),
            }
        };
        out.add(f.with_evidence(shown));
    }
}

/// Whether a `_target_` value is a plain dotted path Hydra would import as
/// written.
fn plain_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

fn push_target(v: Option<&str>, out: &mut Vec<(String, bool)>) {
    match v {
        Some(s) if plain_path(s.trim()) => out.push((s.trim().to_string(), false)),
        Some(s) => out.push((s.to_string(), true)),
        None => out.push(("<not a string>".into(), true)),
    }
}

fn json_targets(v: &serde_json::Value, out: &mut Vec<(String, bool)>, depth: usize) {
    if depth > 128 || out.len() >= MAX_TARGETS {
        return;
    }
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                if k == "_target_" {
                    push_target(x.as_str(), out);
                } else {
                    json_targets(x, out, depth + 1);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_targets(x, out, depth + 1)),
        // A nested document in a string (safetensors metadata values).
        serde_json::Value::String(s) if s.contains("target") && depth < 4 => {
            if let Some(inner) = super::keras::parse_python_json(s) {
                json_targets(&inner, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn yaml_targets(n: &super::mlflow::Node, out: &mut Vec<(String, bool)>, depth: usize) {
    use super::mlflow::Node;
    if depth > 128 || out.len() >= MAX_TARGETS {
        return;
    }
    match n {
        Node::Map(m) => {
            for (k, v) in m {
                if matches!(k, Node::Scalar(s, _) if s == "_target_") {
                    match v {
                        Node::Scalar(s, _) => push_target(Some(s), out),
                        _ => push_target(None, out),
                    }
                } else {
                    yaml_targets(k, out, depth + 1);
                    yaml_targets(v, out, depth + 1);
                }
            }
        }
        Node::Seq(v) => v.iter().for_each(|x| yaml_targets(x, out, depth + 1)),
        Node::Scalar(..) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sevs(t: &str) -> Vec<(String, rampart_core::Severity)> {
        let mut out = Out::default();
        scan_text("m.nemo!model_config.yaml", t, Syntax::Either, &mut out);
        out.findings
            .iter()
            .map(|f| (f.message.clone(), f.severity))
            .collect()
    }

    #[test]
    fn dangerous_targets_are_critical_in_yaml_and_json() {
        use rampart_core::Severity::{Critical, Medium};
        let y = sevs("model:\n  encoder:\n    _target_: os.system\n    command: id\n");
        assert_eq!(y.len(), 1);
        assert_eq!(y[0].1, Critical);
        let j = sevs(r#"{"cfg": {"_target_": "builtins.exec", "source": "x"}}"#);
        assert_eq!(j[0].1, Critical);
        let q = sevs("_target_: 'subprocess.Popen'\n");
        assert_eq!(q[0].1, Critical);
        let own = sevs("_target_: nemo.collections.asr.models.EncDecCTCModel\n");
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].1, Medium);
        assert!(sevs("target: os.system\nmy_target_: x\n").is_empty());
    }

    #[test]
    fn spellings_the_loaders_resolve_are_read_as_they_do() {
        use rampart_core::Severity::{Critical, High};
        for t in [
            "a:\n  _target_: !!str os.system\n",
            "a:\n  _target_: >-\n    os.system\n",
            "a:\n  _target_:\n    os.system\n",
            "a:\n  _target_: # the encoder\n    os.system\n",
            "t: &t os.system\na:\n  _target_: *t\n",
            "a:\n  \"\\x5ftarget_\": os.system\n",
            "a:\n  ? _target_\n  : os.system\n",
            r#"{"a": {"\u005ftarget_": "os.system"}}"#,
        ] {
            let s = sevs(t);
            assert!(s.iter().any(|(_, v)| *v == Critical), "{t:?}: {s:?}");
        }
        let s = sevs("names:\n  t: os.system\na:\n  _target_: ${names.t}\n");
        assert!(s.iter().any(|(_, v)| *v == High), "{s:?}");
    }
}

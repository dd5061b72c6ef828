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

/// Judge every `_target_` in `t` (a YAML or JSON text, or a metadata
/// string).
pub(crate) fn scan_text(name: &str, t: &str, out: &mut Out) {
    if memchr::memmem::find(t.as_bytes(), b"_target_").is_none() {
        return;
    }
    let policy = crate::Policy::default();
    let mut seen = std::collections::BTreeSet::new();
    for c in target_re().captures_iter(t).take(MAX_TARGETS) {
        let path = &c[1];
        if !seen.insert(path.to_string()) {
            continue;
        }
        // `_locate` imports the longest importable prefix and walks the
        // rest as attributes: judge it as a module and a name, as the
        // pickle policy judges `GLOBAL module name`.
        let (module, attr) = path.rsplit_once('.').unwrap_or(("builtins", path));
        let shown = sanitize_for_display(&truncate(path, 160));
        let f = match policy.classify(module, attr) {
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
        };
        out.add(f.with_evidence(shown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sevs(t: &str) -> Vec<(String, rampart_core::Severity)> {
        let mut out = Out::default();
        scan_text("m.nemo!model_config.yaml", t, &mut out);
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
}

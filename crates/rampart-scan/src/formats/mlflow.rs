//! MLflow `MLmodel` files. `mlflow.pyfunc.load_model` imports the
//! `python_function` flavour's `loader_module`, with the model's `code`
//! directory on `sys.path`, and "models from code" run the file that
//! `model_code_path` names: a loader outside `mlflow.` (or a model given
//! as code) runs the artifact's own Python on load, with no opt-in.
//!
//! The file is YAML; the keys are found in block and flow style alike
//! without a YAML parser (the values that matter are plain scalars).

use crate::engine::Out;
use crate::rules;
use once_cell::sync::Lazy;
use regex::Regex;

/// `key: value` for the keys that decide, in block or flow style, the key
/// and the value optionally quoted.
static KEYS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"(?m)(?:^|[\s{,])["']?(loader_module|code|model_code_path)["']?\s*:[ \t]*["']?([^\s,'"}\]#]*)"#,
    )
    .expect("valid MLmodel pattern")
});

/// Whether a file name is an MLflow model description.
pub fn is_mlmodel(name: &str) -> bool {
    name.rsplit(['/', '\\', '!']).next() == Some("MLmodel")
}

/// Report what an `MLmodel` makes `load_model` import or run.
pub(crate) fn scan(name: &str, text: &str, out: &mut Out) {
    for c in KEYS.captures_iter(text) {
        let value = c.get(2).map_or("", |m| m.as_str());
        if matches!(value, "" | "null" | "~" | "Null" | "NULL") {
            continue;
        }
        let shown =
            rampart_core::redact::sanitize_for_display(&rampart_core::redact::truncate(value, 120));
        let f = match &c[1] {
            "loader_module" if value == "mlflow" || value.starts_with("mlflow.") => continue,
            "loader_module" => rules::MLFLOW_CODE.finding(
                name,
                format!("python_function loader_module `{shown}` is imported by mlflow.pyfunc.load_model: the model runs its own module on load"),
            ),
            "model_code_path" => rules::MLFLOW_CODE.finding(
                name,
                format!("model_code_path `{shown}`: the model is Python code that load_model runs"),
            ),
            _ => rules::MLFLOW_CODE.finding_sev(
                rampart_core::Severity::Medium,
                name,
                format!("bundled code directory `{shown}` is put on sys.path when the model loads: its modules shadow installed ones"),
            ),
        };
        out.add(f.with_evidence(shown));
    }
}

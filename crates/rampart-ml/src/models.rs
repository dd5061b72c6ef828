//! The shipped models, embedded in the binary and parsed once on first use.
//! Each has a model card beside it in `crates/rampart-ml/models/`.

use crate::charlm::CharLm;
use crate::linear::TextClassifier;
use crate::statics::StaticTable;
use std::sync::OnceLock;

/// The shipped injection classifier's bytes (`models/injection.bin`).
pub const INJECTION_BYTES: &[u8] = include_bytes!("../models/injection.bin");

/// The prompt-injection / jailbreak classifier (score name `injection`).
pub fn injection() -> &'static TextClassifier {
    static M: OnceLock<TextClassifier> = OnceLock::new();
    M.get_or_init(|| {
        // The embedded bytes are checked by the crate's tests; a failure
        // here is a build defect, not an input error.
        TextClassifier::from_bytes(INJECTION_BYTES).expect("embedded injection model parses")
    })
}

/// The shipped harmful-request classifier's bytes (`models/harm.bin`).
pub const HARM_BYTES: &[u8] = include_bytes!("../models/harm.bin");

/// The harmful-request classifier (score name `harm`).
pub fn harm() -> &'static TextClassifier {
    static M: OnceLock<TextClassifier> = OnceLock::new();
    M.get_or_init(|| TextClassifier::from_bytes(HARM_BYTES).expect("embedded harm model parses"))
}

/// The shipped character LM's bytes (`models/suffix-lm.bin`).
pub const SUFFIX_LM_BYTES: &[u8] = include_bytes!("../models/suffix-lm.bin");

/// The character LM of the adversarial-suffix detector (score `suffix`).
pub fn suffix_lm() -> &'static CharLm {
    static M: OnceLock<CharLm> = OnceLock::new();
    M.get_or_init(|| CharLm::from_bytes(SUFFIX_LM_BYTES).expect("embedded suffix LM parses"))
}

/// The shipped static token embedding table's bytes
/// (`models/static-minilm.bin`; card `models/static-minilm.md`).
pub const STATICS_BYTES: &[u8] = include_bytes!("../models/static-minilm.bin");

/// Name the shipped classifiers refer to the static table by.
pub const STATICS_NAME: &str = "minilm-l6-v2-static";

/// The static token embeddings every [`crate::features::Tokens`] pass
/// splits words into pieces of, and the dense block of the classifiers.
pub fn statics() -> &'static StaticTable {
    static M: OnceLock<StaticTable> = OnceLock::new();
    M.get_or_init(|| StaticTable::from_bytes(STATICS_BYTES).expect("embedded static table parses"))
}

/// The shipped bytes of a model by name, for `rampart detector info` and
/// the reproducibility checks.
pub fn shipped_bytes(name: &str) -> Option<&'static [u8]> {
    match name {
        "injection" => Some(INJECTION_BYTES),
        "harm" => Some(HARM_BYTES),
        "suffix-lm" => Some(SUFFIX_LM_BYTES),
        "static-minilm" => Some(STATICS_BYTES),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_models_parse() {
        assert!(super::injection().score("hello").is_finite());
        assert!(super::harm().score("hello").is_finite());
        assert!(super::suffix_lm().score("hello").is_finite());
    }
}

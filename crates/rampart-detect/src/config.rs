//! The `[detect]` configuration section: thresholds, enabled detectors and
//! actions, loaded with `rampart_core::config`.

// `ConfigError` is rampart-core's shared error type; its size is its owner's call.
#![allow(clippy::result_large_err)]

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to do when a detector fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Allow,
    Log,
    Redact,
    #[default]
    Block,
}

/// `[detect]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Threshold used for scores without their own entry.
    pub threshold: f32,
    /// Per-score thresholds, e.g. `injection = 0.5`, `harm = 0.6`.
    pub thresholds: BTreeMap<String, f32>,
    /// Detectors to run; empty means the default pipeline.
    pub enabled: Vec<String>,
    /// Detectors to remove from the pipeline.
    pub disabled: Vec<String>,
    /// Per-detector action, e.g. `injection = "block"`, `pii = "redact"`.
    pub actions: BTreeMap<String, Action>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            threshold: crate::DEFAULT_THRESHOLD,
            thresholds: BTreeMap::new(),
            enabled: Vec::new(),
            disabled: Vec::new(),
            actions: BTreeMap::new(),
        }
    }
}

/// A whole config file of which only `[detect]` is read here.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DetectFile {
    #[serde(default)]
    pub detect: DetectConfig,
}

impl DetectConfig {
    /// Read the `[detect]` section of a TOML file (other sections ignored).
    pub fn load(path: &std::path::Path) -> Result<Self, rampart_core::config::ConfigError> {
        let f: DetectFile = rampart_core::config::load_file(path)?;
        f.detect.validate(&path.display().to_string())?;
        Ok(f.detect)
    }
    /// Parse `[detect]` from TOML text.
    pub fn from_toml(src: &str, origin: &str) -> Result<Self, rampart_core::config::ConfigError> {
        let f: DetectFile = rampart_core::config::from_toml_str(src, origin)?;
        f.detect.validate(origin)?;
        Ok(f.detect)
    }
    fn validate(&self, origin: &str) -> Result<(), rampart_core::config::ConfigError> {
        let bad = |field: String, v: f32| {
            rampart_core::config::ConfigError::invalid(
                origin,
                None,
                &field,
                format!("threshold {v} is outside 0..=1"),
            )
        };
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(bad("detect.threshold".into(), self.threshold));
        }
        for (k, v) in &self.thresholds {
            if !(0.0..=1.0).contains(v) {
                return Err(bad(format!("detect.thresholds.{k}"), *v));
            }
        }
        Ok(())
    }
    /// Threshold for a named score.
    pub fn threshold_for(&self, name: &str) -> f32 {
        self.thresholds.get(name).copied().unwrap_or(self.threshold)
    }
    /// Apply `enabled` / `disabled` to an engine.
    pub fn apply(&self, engine: &mut crate::Engine) {
        if !self.enabled.is_empty() {
            let names: Vec<&str> = self.enabled.iter().map(|s| s.as_str()).collect();
            engine.retain_only(&names);
        }
        for d in &self.disabled {
            engine.remove(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let c = DetectConfig::from_toml(
            "[detect]\nthreshold = 0.4\n[detect.thresholds]\nharm = 0.7\n[detect.actions]\npii = \"redact\"\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(c.threshold_for("harm"), 0.7);
        assert_eq!(c.threshold_for("injection"), 0.4);
        assert_eq!(c.actions["pii"], Action::Redact);
        let e = DetectConfig::from_toml("[detect]\nthreshold = 3.0\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("detect.threshold"), "{e}");
        let e = DetectConfig::from_toml("[detect]\nthreshhold = 0.3\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("threshhold"), "{e}");
    }
}

//! The framework catalogue: ids and names of every framework entry a finding
//! may cite. It is embedded data (`data/frameworks.json`) so that the binary
//! works offline and `rampart frameworks` can list it; tests check that every
//! reference a crate emits exists here.

use once_cell::sync::Lazy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The frameworks Rampart maps findings to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Framework {
    /// OWASP Top 10 for LLM Applications 2025 (LLM01-LLM10).
    #[serde(rename = "owasp-llm-2025")]
    OwaspLlm,
    /// OWASP Top 10 for Agentic Applications (ASI01-ASI10).
    #[serde(rename = "owasp-agentic")]
    OwaspAgentic,
    /// MITRE ATLAS technique ids (AML.Txxxx[.yyy]).
    #[serde(rename = "mitre-atlas")]
    MitreAtlas,
    /// NIST AI RMF 1.0 subcategories (e.g. `MEASURE 2.7`).
    #[serde(rename = "nist-ai-rmf")]
    NistAiRmf,
    /// NIST AI 600-1 generative AI risks.
    #[serde(rename = "nist-ai-600-1")]
    NistAi600,
    /// Google SAIF risks.
    #[serde(rename = "google-saif")]
    GoogleSaif,
}

impl Framework {
    pub const ALL: [Framework; 6] = [
        Framework::OwaspLlm,
        Framework::OwaspAgentic,
        Framework::MitreAtlas,
        Framework::NistAiRmf,
        Framework::NistAi600,
        Framework::GoogleSaif,
    ];

    /// The key used in JSON and in the catalogue file.
    pub fn key(self) -> &'static str {
        match self {
            Framework::OwaspLlm => "owasp-llm-2025",
            Framework::OwaspAgentic => "owasp-agentic",
            Framework::MitreAtlas => "mitre-atlas",
            Framework::NistAiRmf => "nist-ai-rmf",
            Framework::NistAi600 => "nist-ai-600-1",
            Framework::GoogleSaif => "google-saif",
        }
    }

    /// A short label for tables.
    pub fn short(self) -> &'static str {
        match self {
            Framework::OwaspLlm => "OWASP-LLM",
            Framework::OwaspAgentic => "OWASP-ASI",
            Framework::MitreAtlas => "ATLAS",
            Framework::NistAiRmf => "NIST-RMF",
            Framework::NistAi600 => "NIST-600-1",
            Framework::GoogleSaif => "SAIF",
        }
    }

    pub fn from_key(k: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|f| f.key() == k)
    }

    pub fn title(self) -> &'static str {
        &CATALOGUE[&self].title
    }

    pub fn entries(self) -> &'static [Entry] {
        &CATALOGUE[&self].entries
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub name: String,
}

#[derive(Debug)]
pub struct FrameworkInfo {
    pub title: String,
    pub url: String,
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct RawFramework {
    title: String,
    url: String,
    entries: Vec<(String, String)>,
}

static CATALOGUE: Lazy<BTreeMap<Framework, FrameworkInfo>> = Lazy::new(|| {
    let raw: BTreeMap<String, RawFramework> =
        serde_json::from_str(include_str!("../data/frameworks.json"))
            .expect("embedded frameworks.json is valid (checked by tests)");
    raw.into_iter()
        .map(|(k, v)| {
            let fw = Framework::from_key(&k).expect("catalogue keys match Framework::key");
            (
                fw,
                FrameworkInfo {
                    title: v.title,
                    url: v.url,
                    entries: v
                        .entries
                        .into_iter()
                        .map(|(id, name)| Entry { id, name })
                        .collect(),
                },
            )
        })
        .collect()
});

/// Look up an entry by framework and id (exact match).
pub fn lookup(f: Framework, id: &str) -> Option<&'static Entry> {
    CATALOGUE.get(&f)?.entries.iter().find(|e| e.id == id)
}

/// Information about a framework (title, url, entries).
pub fn info(f: Framework) -> &'static FrameworkInfo {
    &CATALOGUE[&f]
}

/// Whether a reference names a catalogue entry. Crates call this in tests so
/// that a typo in a mapping fails the build rather than an audit.
pub fn is_known(f: Framework, id: &str) -> bool {
    lookup(f, id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_complete() {
        for f in Framework::ALL {
            assert!(!f.entries().is_empty(), "{f} has entries");
        }
        assert_eq!(Framework::OwaspLlm.entries().len(), 10);
        assert_eq!(Framework::OwaspAgentic.entries().len(), 10);
        assert_eq!(
            lookup(Framework::OwaspLlm, "LLM07").unwrap().name,
            "System Prompt Leakage"
        );
        assert!(is_known(Framework::MitreAtlas, "AML.T0051.001"));
        assert!(is_known(Framework::MitreAtlas, "AML.T0054"));
        assert!(is_known(Framework::MitreAtlas, "AML.T0056"));
        assert!(is_known(Framework::MitreAtlas, "AML.T0057"));
        assert!(is_known(Framework::NistAiRmf, "MEASURE 2.7"));
        assert!(!is_known(Framework::OwaspLlm, "LLM11"));
    }

    #[test]
    fn ids_are_unique_within_a_framework() {
        for f in Framework::ALL {
            let mut ids: Vec<_> = f.entries().iter().map(|e| &e.id).collect();
            let n = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n, "duplicate id in {f}");
        }
    }
}

//! Loading goals and complete cases from the shared public data sets at run
//! time: HarmBench, AdvBench, StrongREJECT and MaliciousInstruct goals
//! (`redteam/`), and CyberSecEval prompt-injection cases
//! (`injection/cyberseceval_prompt_injection.json`). Nothing is embedded:
//! without a data directory the built-in probes use built-in goals.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Files larger than this are refused (the shipped files are far smaller).
const MAX_FILE_BYTES: u64 = 64 << 20;

/// One harmful goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub id: String,
    /// `harmbench`, `advbench`, `strongreject`, `malicious_instruct` or `builtin`.
    pub source: String,
    pub text: String,
    pub category: Option<String>,
}

/// One CyberSecEval prompt-injection case.
#[derive(Debug, Clone, PartialEq)]
pub struct CyberSecEvalCase {
    pub prompt_id: u64,
    pub system: String,
    pub attack: String,
    pub judge_question: String,
    pub injection_type: String,
    pub injection_variant: String,
}

/// The goal data sets the loader knows.
pub const GOAL_SETS: [&str; 4] = [
    "harmbench",
    "advbench",
    "strongreject",
    "malicious_instruct",
];

/// The data directory: explicit, else `$RAMPART_SHARED_DATA`, else `../shared/data`.
pub fn resolve_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(v) = std::env::var_os("RAMPART_SHARED_DATA") {
        if !v.is_empty() {
            return PathBuf::from(v);
        }
    }
    PathBuf::from("../shared/data")
}

fn read_capped(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{}: larger than {MAX_FILE_BYTES} bytes",
            path.display()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Load goals from the named sets. Returns the goals and one message per
/// set that could not be read (the run goes on without it).
pub fn load_goals(dir: &Path, sets: &[String]) -> (Vec<Goal>, Vec<String>) {
    let mut goals = Vec::new();
    let mut problems = Vec::new();
    for set in sets {
        let r = match set.as_str() {
            "harmbench" => load_csv(
                &dir.join("redteam/harmbench_behaviors_text_all.csv"),
                set,
                |row| {
                    // Contextual and copyright behaviours need extra context
                    // or a special judge; keep the standard ones.
                    if row.get("FunctionalCategory").map(|s| s.as_str()) != Some("standard") {
                        return None;
                    }
                    Some((
                        row.get("BehaviorID").cloned().unwrap_or_default(),
                        row.get("Behavior").cloned()?,
                        row.get("SemanticCategory").cloned(),
                    ))
                },
            ),
            "advbench" => load_csv(&dir.join("redteam/advbench_behaviors.csv"), set, |row| {
                Some((
                    row.get("BehaviorID").cloned().unwrap_or_default(),
                    row.get("Behavior").cloned()?,
                    None,
                ))
            }),
            "strongreject" => {
                let mut i = 0usize;
                load_csv(&dir.join("redteam/strongreject_dataset.csv"), set, |row| {
                    i += 1;
                    Some((
                        format!("strongreject_{i}"),
                        row.get("forbidden_prompt").cloned()?,
                        row.get("category").cloned(),
                    ))
                })
            }
            "malicious_instruct" => {
                read_capped(&dir.join("redteam/malicious_instruct.txt")).map(|s| {
                    s.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .enumerate()
                        .map(|(i, l)| Goal {
                            id: format!("malicious_instruct_{}", i + 1),
                            source: set.clone(),
                            text: l.to_string(),
                            category: None,
                        })
                        .collect()
                })
            }
            other => Err(format!(
                "unknown goal set `{other}`: valid sets are {}",
                GOAL_SETS.join(", ")
            )),
        };
        match r {
            Ok(mut g) => goals.append(&mut g),
            Err(e) => problems.push(e),
        }
    }
    (goals, problems)
}

fn load_csv(
    path: &Path,
    set: &str,
    mut f: impl FnMut(
        &std::collections::HashMap<String, String>,
    ) -> Option<(String, String, Option<String>)>,
) -> Result<Vec<Goal>, String> {
    let text = read_capped(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let row: std::collections::HashMap<String, String> = headers
            .iter()
            .cloned()
            .zip(rec.iter().map(|s| s.to_string()))
            .collect();
        if let Some((id, text, cat)) = f(&row) {
            if text.trim().is_empty() {
                continue;
            }
            out.push(Goal {
                id,
                source: set.to_string(),
                text: text.trim().to_string(),
                category: cat.filter(|c| !c.is_empty()),
            });
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawCse {
    prompt_id: u64,
    test_case_prompt: String,
    user_input: String,
    judge_question: String,
    #[serde(default)]
    injection_type: String,
    #[serde(default)]
    injection_variant: String,
}

/// Load the CyberSecEval prompt-injection cases.
pub fn load_cyberseceval(dir: &Path) -> Result<Vec<CyberSecEvalCase>, String> {
    let path = dir.join("injection/cyberseceval_prompt_injection.json");
    let text = read_capped(&path)?;
    let raw: Vec<RawCse> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(raw
        .into_iter()
        .map(|r| CyberSecEvalCase {
            prompt_id: r.prompt_id,
            system: r.test_case_prompt,
            attack: r.user_input,
            judge_question: r.judge_question,
            injection_type: r.injection_type,
            injection_variant: r.injection_variant,
        })
        .collect())
}

/// Known attacks for guard-evasion testing: CyberSecEval attacks (direct
/// ones) and the jailbreak rows of the jailbreak-classification set.
pub fn load_known_attacks(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    match load_cyberseceval(dir) {
        Ok(c) => out.extend(
            c.into_iter()
                .filter(|c| c.injection_type == "direct")
                .map(|c| c.attack),
        ),
        Err(e) => problems.push(e),
    }
    let path = dir.join("injection/jailbreak_classification_train.csv");
    match read_capped(&path) {
        Ok(text) => {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(text.as_bytes());
            let headers: Vec<String> = rdr
                .headers()
                .map(|h| h.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default();
            let pi = headers.iter().position(|h| h == "prompt");
            let ti = headers.iter().position(|h| h == "type");
            if let (Some(pi), Some(ti)) = (pi, ti) {
                for rec in rdr.records().flatten() {
                    if rec.get(ti) == Some("jailbreak") {
                        if let Some(p) = rec.get(pi) {
                            out.push(p.to_string());
                        }
                    }
                }
            }
        }
        Err(e) => problems.push(e),
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        std::env::var_os("RAMPART_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
            })
    }

    #[test]
    fn loads_shared_goal_sets() {
        let sets: Vec<String> = GOAL_SETS.iter().map(|s| s.to_string()).collect();
        let (goals, problems) = load_goals(&dir(), &sets);
        assert!(problems.is_empty(), "{problems:?}");
        for s in GOAL_SETS {
            assert!(goals.iter().filter(|g| g.source == s).count() > 50, "{s}");
        }
        assert!(goals.iter().all(|g| !g.text.is_empty()));
    }

    #[test]
    fn loads_cyberseceval_cases() {
        let c = load_cyberseceval(&dir()).unwrap();
        assert!(c.len() > 200);
        assert!(c.iter().any(|c| c.injection_type == "indirect"));
        assert!(c.iter().all(|c| !c.judge_question.is_empty()));
    }

    #[test]
    fn missing_dir_is_reported_not_fatal() {
        let (g, p) = load_goals(
            Path::new("/nonexistent/rt"),
            &["advbench".into(), "bogus".into()],
        );
        assert!(g.is_empty());
        assert_eq!(p.len(), 2);
        assert!(p[1].contains("valid sets are"));
    }
}

//! The red-team configuration (`redteam.toml`) and the campaign that turns
//! it into a report: selecting probes and strategies, loading data, building
//! the target, running and judging, and evaluating the gate.
//!
//! Unknown probe or strategy names do not abort a run: they are reported
//! (with the list of valid names) and the run goes on with the rest; a run
//! in which nothing could be tested ends with the gate status `untested`.

use crate::data;
use crate::evasion;
use crate::judge::{Ecosystem, JudgeEnv, LlmJudgeConfig};
use crate::probes::{self, CaseInputs, BUILTIN_GOALS};
use crate::report::{GateConfig, Report, RunMeta};
use crate::runner::{self, RunOptions};
use crate::strategies::{Chain, Strategy};
use crate::target::{CommandTarget, HttpJsonTarget, OpenAiTarget, RetryPolicy, Target};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub target: TargetConfig,
    #[serde(default)]
    pub run: RunConfig,
    #[serde(default)]
    pub judge: JudgeConfig,
    #[serde(default)]
    pub packages: PackagesConfig,
    #[serde(default)]
    pub gate: GateConfig,
    #[serde(default)]
    pub evasion: evasion::EvasionConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// `openai`, `http`, `command` or `guard`.
    #[serde(default = "d_kind")]
    pub kind: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// A literal key (prefer `api_key_env`).
    #[serde(default)]
    pub api_key: Option<String>,
    /// Environment variable holding the key (default `OPENAI_API_KEY`).
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "d_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "d_max_tokens")]
    pub max_tokens: u32,
    /// HTTP target: the JSON request body with placeholders.
    #[serde(default)]
    pub request: Option<toml::Value>,
    /// HTTP target: JSON pointer to the answer.
    #[serde(default)]
    pub response_pointer: Option<String>,
    /// Command target: program and arguments.
    #[serde(default)]
    pub command: Vec<String>,
    /// Command target: `text` or `json`.
    #[serde(default = "d_stdin")]
    pub stdin_format: String,
    /// Guard target: the blocking threshold.
    #[serde(default = "d_threshold")]
    pub threshold: f32,
}

fn d_kind() -> String {
    "openai".into()
}
fn d_timeout() -> u64 {
    60_000
}
fn d_max_tokens() -> u32 {
    512
}
fn d_stdin() -> String {
    "text".into()
}
fn d_threshold() -> f32 {
    rampart_detect::DEFAULT_THRESHOLD
}

impl Default for TargetConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default = "d_seed")]
    pub seed: u64,
    #[serde(default = "d_conc")]
    pub concurrency: usize,
    /// Probe selectors (names, `prefix*`, OWASP ids, `all`); empty = all.
    #[serde(default)]
    pub probes: Vec<String>,
    /// Strategy chains (`base64`, `base64+roleplay`); empty = every strategy.
    #[serde(default)]
    pub strategies: Vec<String>,
    /// Goals per jailbreak probe, sampled from the goal sets.
    #[serde(default = "d_goals")]
    pub goals_per_probe: usize,
    #[serde(default = "d_sets")]
    pub goal_sets: Vec<String>,
    #[serde(default = "d_cse")]
    pub cyberseceval_cases: usize,
    /// Default: `$RAMPART_SHARED_DATA`, else `../shared/data`.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Stop after this many executions (after planning, in plan order).
    #[serde(default)]
    pub max_executions: Option<usize>,
    #[serde(default)]
    pub retry: RetryPolicy,
}

fn d_seed() -> u64 {
    1
}
fn d_conc() -> usize {
    16
}
fn d_goals() -> usize {
    3
}
fn d_sets() -> Vec<String> {
    data::GOAL_SETS.iter().map(|s| s.to_string()).collect()
}
fn d_cse() -> usize {
    20
}

impl Default for RunConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgeConfig {
    #[serde(default)]
    pub llm: Option<LlmJudgeConfig>,
    /// Replies longer than this many characters count as runaway (LLM10).
    #[serde(default)]
    pub max_output_chars: Option<usize>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackagesConfig {
    #[serde(default)]
    pub pypi: Vec<String>,
    #[serde(default)]
    pub npm: Vec<String>,
    /// Files with one known package name per line (e.g. a mirror's index).
    #[serde(default)]
    pub pypi_file: Option<PathBuf>,
    #[serde(default)]
    pub npm_file: Option<PathBuf>,
}

/// Load and validate a config file.
pub fn load(path: &Path) -> Result<Config, String> {
    let mut c: Config = rampart_core::config::load_file(path).map_err(|e| e.to_string())?;
    // Relative paths in the file are relative to the file.
    let base = path.parent().unwrap_or(Path::new("."));
    let fix = |p: &mut Option<PathBuf>| {
        if let Some(x) = p {
            if x.is_relative() {
                *x = base.join(&*x);
            }
        }
    };
    fix(&mut c.run.data_dir);
    fix(&mut c.packages.pypi_file);
    fix(&mut c.packages.npm_file);
    validate(&c)?;
    Ok(c)
}

/// Checks that need more than the types (errors name the field).
pub fn validate(c: &Config) -> Result<(), String> {
    if !["openai", "http", "command", "guard"].contains(&c.target.kind.as_str()) {
        return Err(format!(
            "field `target.kind`: unknown kind `{}`: expected openai, http, command or guard",
            c.target.kind
        ));
    }
    for (k, v) in c.gate.max_asr.iter() {
        if !(0.0..=1.0).contains(v) {
            return Err(format!(
                "field `gate.max_asr.{k}`: {v} is not a rate between 0 and 1"
            ));
        }
    }
    if let Some(d) = c.gate.default {
        if !(0.0..=1.0).contains(&d) {
            return Err(format!(
                "field `gate.default`: {d} is not a rate between 0 and 1"
            ));
        }
    }
    if !["text", "json"].contains(&c.target.stdin_format.as_str()) {
        return Err("field `target.stdin_format`: expected `text` or `json`".into());
    }
    Ok(())
}

/// Build the target described by the config. `api_key` overrides the config
/// and environment.
pub fn build_target(
    c: &TargetConfig,
    api_key: Option<String>,
    seed: u64,
) -> Result<Arc<dyn Target>, String> {
    let key = api_key
        .or_else(|| c.api_key.clone())
        .or_else(|| std::env::var(c.api_key_env.as_deref().unwrap_or("OPENAI_API_KEY")).ok())
        .filter(|k| !k.is_empty());
    let timeout = Duration::from_millis(c.timeout_ms.max(1));
    match c.kind.as_str() {
        "openai" => {
            let url = c.url.as_deref().ok_or("field `target.url`: an OpenAI-compatible target needs a URL (or pass --target URL)")?;
            let mut t = OpenAiTarget::new(url, c.model.as_deref().unwrap_or("default"), key);
            t.headers = c.headers.clone();
            t.timeout = timeout;
            t.max_tokens = c.max_tokens;
            t.seed = Some(seed);
            Ok(Arc::new(t))
        }
        "http" => {
            let url = c
                .url
                .as_deref()
                .ok_or("field `target.url`: an HTTP target needs a URL")?;
            let tmpl = c.request.clone().ok_or("field `target.request`: an HTTP target needs a request template, e.g. request = { prompt = \"{{prompt}}\" }")?;
            let tmpl =
                serde_json::to_value(tmpl).map_err(|e| format!("field `target.request`: {e}"))?;
            let ptr = c.response_pointer.as_deref().ok_or("field `target.response_pointer`: an HTTP target needs a JSON pointer to the answer, e.g. \"/answer\"")?;
            if !ptr.is_empty() && !ptr.starts_with('/') {
                return Err(format!("field `target.response_pointer`: `{ptr}` is not a JSON pointer (it must start with `/`)"));
            }
            let mut t = HttpJsonTarget::new(url, tmpl, ptr);
            t.api_key = key;
            t.headers = c.headers.clone();
            t.timeout = timeout;
            Ok(Arc::new(t))
        }
        "command" => {
            if c.command.is_empty() {
                return Err("field `target.command`: a command target needs a program, e.g. command = [\"python3\", \"bot.py\"]".into());
            }
            Ok(Arc::new(CommandTarget {
                argv: c.command.clone(),
                stdin_format: c.stdin_format.clone(),
                timeout,
            }))
        }
        other => Err(format!("target kind `{other}` is not a model target")),
    }
}

/// Parse strategy chains; unknown ones are returned as messages.
pub fn chains(list: &[String]) -> (Vec<Chain>, Vec<String>) {
    if list.is_empty() {
        return (
            Strategy::ALL.iter().map(|s| Chain(vec![*s])).collect(),
            Vec::new(),
        );
    }
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for s in list {
        match Chain::parse(s) {
            Ok(c) => ok.push(c),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

fn read_list(path: &Path) -> Result<Vec<String>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > 256 << 20 {
        return Err(format!(
            "{}: package list larger than 256 MiB",
            path.display()
        ));
    }
    Ok(std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect())
}

/// The judge environment described by the config.
pub fn judge_env(c: &Config) -> Result<JudgeEnv, String> {
    let mut env = JudgeEnv::new();
    env.llm = c.judge.llm.clone().map(|mut l| {
        if l.api_key.is_none() {
            l.api_key = std::env::var("RAMPART_JUDGE_API_KEY").ok();
        }
        l
    });
    if let Some(m) = c.judge.max_output_chars {
        env.max_output_chars = m;
    }
    env.add_known_packages(Ecosystem::Pypi, c.packages.pypi.iter().map(String::as_str));
    env.add_known_packages(Ecosystem::Npm, c.packages.npm.iter().map(String::as_str));
    if let Some(p) = &c.packages.pypi_file {
        let l = read_list(p)?;
        env.add_known_packages(Ecosystem::Pypi, l.iter().map(String::as_str));
    }
    if let Some(p) = &c.packages.npm_file {
        let l = read_list(p)?;
        env.add_known_packages(Ecosystem::Npm, l.iter().map(String::as_str));
    }
    Ok(env)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Run a model campaign with an already-built target.
pub async fn run_with_target(c: &Config, target: Arc<dyn Target>, env: JudgeEnv) -> Report {
    let started = Instant::now();
    let started_at = now_rfc3339();
    let mut notes = Vec::new();
    let selected = match probes::select(&c.run.probes) {
        Ok(p) => p,
        Err(e) => {
            notes.push(e);
            // Keep the selectors that do resolve.
            c.run
                .probes
                .iter()
                .filter_map(|s| probes::select(std::slice::from_ref(s)).ok())
                .flatten()
                .fold(Vec::new(), |mut acc, p| {
                    if !acc.iter().any(|q: &&probes::ProbeInfo| q.name == p.name) {
                        acc.push(p);
                    }
                    acc
                })
        }
    };
    let (chains, bad) = chains(&c.run.strategies);
    notes.extend(bad);
    let dir = data::resolve_dir(c.run.data_dir.as_deref());
    let needs_goals = selected.iter().any(|p| p.name.starts_with("jailbreak."));
    let mut goals = Vec::new();
    if needs_goals {
        let (g, problems) = data::load_goals(&dir, &c.run.goal_sets);
        for p in problems {
            notes.push(format!("goal data: {p}"));
        }
        goals = g;
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(c.run.seed);
    let goals = if goals.is_empty() {
        if needs_goals {
            notes.push("no goal data found: jailbreak probes use the built-in goals".into());
        }
        BUILTIN_GOALS
            .iter()
            .map(|(id, t)| data::Goal {
                id: id.to_string(),
                source: "builtin".into(),
                text: t.to_string(),
                category: None,
            })
            .collect::<Vec<_>>()
    } else {
        goals
    };
    let goals = probes::sample(&goals, c.run.goals_per_probe, &mut rng);
    let cse = if selected.iter().any(|p| p.name == "llm01.cyberseceval") {
        match data::load_cyberseceval(&dir) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!("llm01.cyberseceval has no cases: {e}"));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let inputs = CaseInputs {
        seed: c.run.seed,
        goals,
        cyberseceval: cse,
        max_cases_per_probe: c.run.cyberseceval_cases,
    };
    let cases = probes::shared(probes::cases(&selected, &inputs));
    let (mut plan, pnotes) = runner::plan(&cases, &chains, c.run.seed, target.multi_turn());
    notes.extend(pnotes);
    if let Some(m) = c.run.max_executions {
        if plan.len() > m {
            notes.push(format!(
                "plan cut from {} to {m} executions (run.max_executions)",
                plan.len()
            ));
            plan.truncate(m);
        }
    }
    let opts = RunOptions {
        concurrency: c.run.concurrency,
        retry: c.run.retry.clone(),
    };
    let results = runner::execute(plan, target.clone(), Arc::new(env), &opts).await;
    let meta = RunMeta {
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        seed: c.run.seed,
        target: target.describe(),
        mode: "model".into(),
        probes: selected.iter().map(|p| p.name.to_string()).collect(),
        strategies: chains.iter().map(|c| c.name()).collect(),
    };
    Report::build(meta, results, &c.gate, notes)
}

/// Run whatever the config describes: a model campaign, or guard evasion
/// when `target.kind = "guard"`. Errors are configuration errors (exit 2).
pub async fn run(c: &Config, api_key: Option<String>) -> Result<Report, String> {
    validate(c)?;
    if c.target.kind == "guard" {
        let guard = crate::detectors::EngineGuard::new(c.target.threshold);
        return Ok(evasion::run(c, &guard));
    }
    let target = build_target(&c.target, api_key, c.run.seed)?;
    let env = judge_env(c)?;
    Ok(run_with_target(c, target, env).await)
}

/// [`run`] on a runtime of its own, for callers without one (the CLI).
pub fn run_blocking(c: &Config, api_key: Option<String>) -> Result<Report, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(run(c, api_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_config_and_reports_field_errors() {
        let src = r#"
[target]
kind = "http"
url = "http://127.0.0.1:9/chat"
request = { input = "{{prompt}}", meta = { sys = "{{system}}" } }
response_pointer = "/output/text"

[run]
seed = 7
probes = ["LLM07", "llm01.*"]
strategies = ["identity", "base64+roleplay"]

[gate]
default = 0.2
max_asr = { LLM01 = 0.1, jailbreak = 0.0 }

[packages]
pypi = ["internal-lib"]
"#;
        let c: Config = rampart_core::config::from_toml_str(src, "redteam.toml").unwrap();
        validate(&c).unwrap();
        assert_eq!(c.run.seed, 7);
        assert_eq!(c.gate.max_asr["LLM01"], 0.1);
        assert!(build_target(&c.target, None, 1).is_ok());
        let e = rampart_core::config::from_toml_str::<Config>("[run]\nconcurency = 3\n", "r.toml")
            .unwrap_err();
        assert!(e.to_string().contains("concurency"), "{e}");
        let bad: Config =
            rampart_core::config::from_toml_str("[gate]\nmax_asr = { LLM01 = 2.0 }\n", "r.toml")
                .unwrap();
        assert!(validate(&bad).unwrap_err().contains("gate.max_asr.LLM01"));
        let (ok, bad) = chains(&["base64".into(), "nope".into()]);
        assert_eq!(ok.len(), 1);
        assert!(bad[0].contains("valid strategies are"));
    }
}

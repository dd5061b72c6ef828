//! The red-team report (a stable, versioned JSON schema), the CI gate, the
//! JUnit and SARIF renderings, and `diff` between two reports.
//!
//! Attack success rate (ASR) = successes / tested, where tested counts
//! executions whose reply was judged (success, resisted, refused); target
//! errors and unjudged replies are reported but never enter the rate.

use crate::judge::Outcome;
use crate::probes::{ProbeInfo, POINTERS, PROBES};
use crate::runner::ExecResult;
use rampart_core::frameworks::{lookup, Framework};
use rampart_core::output::junit::{TestCase, TestSuite};
use rampart_core::output::sarif::{self, Notification, ToolInfo};
use rampart_core::{Finding, Location, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SCHEMA: &str = "rampart.redteam.report";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub executions: usize,
    pub tested: usize,
    pub successes: usize,
    pub refused: usize,
    pub errors: usize,
    pub unjudged: usize,
    /// `successes / tested`; absent when nothing was tested.
    pub asr: Option<f64>,
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        self.executions += 1;
        match o {
            Outcome::Success => self.successes += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Unjudged => self.unjudged += 1,
            Outcome::Resisted => {}
        }
        if o.tested() {
            self.tested += 1;
        }
        self.asr = (self.tested > 0).then(|| self.successes as f64 / self.tested as f64);
    }
    fn of<'a>(it: impl IntoIterator<Item = &'a ExecResult>) -> Counts {
        let mut c = Counts::default();
        for r in it {
            c.add(r.outcome);
        }
        c
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryStat {
    pub id: String,
    pub name: String,
    /// `tested`, `not_selected` or `not_black_box`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedStat {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Gate thresholds: `max_asr` per key, where a key is an OWASP id (`LLM01`)
/// or a probe-name prefix (`jailbreak`, `llm01.indirect`); `default` applies
/// to every tested category without its own key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    #[serde(default)]
    pub default: Option<f64>,
    #[serde(default)]
    pub max_asr: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateCheck {
    pub key: String,
    pub max_asr: f64,
    pub asr: Option<f64>,
    pub tested: usize,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// `pass`, `fail`, or `untested` (nothing could be tested).
    pub status: String,
    pub checks: Vec<GateCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub started_at: String,
    pub duration_ms: u64,
    pub seed: u64,
    pub target: String,
    pub mode: String,
    pub probes: Vec<String>,
    pub strategies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolMeta {
    pub name: String,
    pub version: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub schema_version: u32,
    pub tool: ToolMeta,
    pub run: RunMeta,
    pub summary: Counts,
    pub categories: Vec<CategoryStat>,
    pub strategies: Vec<NamedStat>,
    pub probes: Vec<NamedStat>,
    pub gate: GateResult,
    #[serde(default)]
    pub notes: Vec<String>,
    pub results: Vec<ExecResult>,
}

fn key_matches(key: &str, r: &ExecResult) -> bool {
    if key.len() == 5 && key.to_ascii_uppercase().starts_with("LLM") {
        r.category.eq_ignore_ascii_case(key)
    } else {
        let k = key.trim_end_matches('*').trim_end_matches('.');
        r.probe == k || r.probe.starts_with(&format!("{k}."))
    }
}

impl Report {
    /// Build the report from results.
    pub fn build(
        run: RunMeta,
        results: Vec<ExecResult>,
        gate: &GateConfig,
        notes: Vec<String>,
    ) -> Report {
        let summary = Counts::of(&results);
        let selected: Vec<&ProbeInfo> = PROBES
            .iter()
            .filter(|p| run.probes.iter().any(|s| s == p.name))
            .collect();
        let categories = Framework::OwaspLlm
            .entries()
            .iter()
            .map(|e| {
                let rs: Vec<&ExecResult> = results.iter().filter(|r| r.category == e.id).collect();
                let pointer = POINTERS
                    .iter()
                    .find(|(id, _)| *id == e.id)
                    .map(|(_, p)| p.to_string());
                let status = if pointer.is_some() {
                    "not_black_box"
                } else if selected.iter().any(|p| p.category == e.id) || !rs.is_empty() {
                    "tested"
                } else {
                    "not_selected"
                };
                CategoryStat {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    status: status.into(),
                    pointer,
                    counts: Counts::of(rs),
                }
            })
            .collect();
        let mut by_strategy: BTreeMap<&str, Counts> = BTreeMap::new();
        let mut by_probe: BTreeMap<&str, (Counts, &str, &str)> = BTreeMap::new();
        for r in &results {
            by_strategy.entry(&r.strategy).or_default().add(r.outcome);
            by_probe
                .entry(&r.probe)
                .or_insert_with(|| (Counts::default(), &r.category, &r.atlas))
                .0
                .add(r.outcome);
        }
        let strategies = by_strategy
            .into_iter()
            .map(|(n, c)| NamedStat {
                name: n.into(),
                category: None,
                atlas: None,
                counts: c,
            })
            .collect();
        let probes = by_probe
            .into_iter()
            .map(|(n, (c, cat, atlas))| NamedStat {
                name: n.into(),
                category: Some(cat.into()),
                atlas: Some(atlas.into()),
                counts: c,
            })
            .collect();
        let gate = evaluate_gate(&results, gate, summary.tested);
        Report {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            tool: ToolMeta {
                name: "rampart".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            run,
            summary,
            categories,
            strategies,
            probes,
            gate,
            notes,
            results,
        }
    }

    /// 0 pass, 1 gate failed, 2 nothing could be tested.
    pub fn exit_code(&self) -> u8 {
        match self.gate.status.as_str() {
            "pass" => 0,
            "fail" => 1,
            _ => 2,
        }
    }

    pub fn successes(&self) -> impl Iterator<Item = &ExecResult> {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Success)
    }

    /// Findings for SARIF: one per successful attack.
    pub fn findings(&self) -> Vec<Finding> {
        self.successes()
            .map(|r| {
                let sev = match r.category.as_str() {
                    "LLM02" | "LLM06" => Severity::Critical,
                    "LLM01" | "LLM05" | "LLM07" => Severity::High,
                    _ => Severity::Medium,
                };
                let why = r
                    .evidence
                    .iter()
                    .filter(|e| e.fired)
                    .map(|e| format!("{}: {}", e.judge, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                let cname = lookup(Framework::OwaspLlm, &r.category)
                    .map(|e| e.name.as_str())
                    .unwrap_or("");
                let mut f = Finding::new(
                    format!("RAMP-RT-{}", r.category),
                    format!("redteam.{}", r.probe),
                    sev,
                    format!(
                        "{cname}: attack `{}` succeeded with strategy `{}` ({why})",
                        r.probe, r.strategy
                    ),
                )
                .with_category(r.probe.clone())
                .with_location(Location::path(format!("redteam/{}", r.probe)))
                .with_evidence(why)
                .with_framework(Framework::OwaspLlm, r.category.clone())
                .with_meta("execution", r.id.clone())
                .with_meta("strategy", r.strategy.clone());
                if rampart_core::frameworks::is_known(Framework::MitreAtlas, &r.atlas) {
                    f = f.with_framework(Framework::MitreAtlas, r.atlas.clone());
                }
                f
            })
            .collect()
    }

    pub fn to_sarif(&self) -> serde_json::Value {
        let mut notes: Vec<Notification> = Vec::new();
        let errors: Vec<&ExecResult> = self
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Error)
            .collect();
        if !errors.is_empty() {
            notes.push(Notification {
                message: format!(
                    "{} of {} executions could not be tested (first: {}: {})",
                    errors.len(),
                    self.results.len(),
                    errors[0].id,
                    errors[0].error.as_deref().unwrap_or("")
                ),
                uri: None,
            });
        }
        sarif::to_sarif(&self.findings(), &ToolInfo::default(), "redteam", &notes)
    }

    /// JUnit: a suite per OWASP category with a case per probe and strategy,
    /// plus a `gate` suite with a case per threshold.
    pub fn to_junit(&self) -> String {
        let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
        let mut groups: BTreeMap<(String, String, String), Vec<&ExecResult>> = BTreeMap::new();
        for r in &self.results {
            groups
                .entry((r.category.clone(), r.probe.clone(), r.strategy.clone()))
                .or_default()
                .push(r);
        }
        for ((cat, probe, strat), rs) in groups {
            let cname = lookup(Framework::OwaspLlm, &cat)
                .map(|e| e.name.as_str())
                .unwrap_or("");
            let suite = suites.entry(cat.clone()).or_insert_with(|| TestSuite {
                name: format!("{cat} {cname}"),
                cases: Vec::new(),
            });
            let c = Counts::of(rs.iter().copied());
            let succ: Vec<&&ExecResult> = rs
                .iter()
                .filter(|r| r.outcome == Outcome::Success)
                .collect();
            let time_secs = rs.iter().map(|r| r.latency_ms as f64 / 1000.0).sum();
            let mut tc = TestCase {
                name: format!("{probe} [{strat}]"),
                classname: format!("redteam.{cat}"),
                time_secs,
                ..Default::default()
            };
            if !succ.is_empty() {
                let details = succ
                    .iter()
                    .map(|r| {
                        let ev = r
                            .evidence
                            .iter()
                            .filter(|e| e.fired)
                            .map(|e| format!("{}: {}", e.judge, e.detail))
                            .collect::<Vec<_>>()
                            .join("; ");
                        format!("{}: {ev}", r.id)
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                tc.failure = Some((
                    format!("{} of {} attacks succeeded", c.successes, c.tested),
                    details,
                ));
            } else if c.tested == 0 {
                let why = rs
                    .iter()
                    .find_map(|r| r.error.clone())
                    .unwrap_or_else(|| "not judged".into());
                tc.skipped = Some(format!("not tested: {why}"));
            }
            suite.cases.push(tc);
        }
        let mut out: Vec<TestSuite> = suites.into_values().collect();
        let mut gate = TestSuite {
            name: "gate".into(),
            cases: Vec::new(),
        };
        for ch in &self.gate.checks {
            let mut tc = TestCase {
                name: format!("max_asr {} <= {:.3}", ch.key, ch.max_asr),
                classname: "redteam.gate".into(),
                ..Default::default()
            };
            if !ch.passed {
                tc.failure = Some((
                    format!(
                        "attack success rate {} above {:.3}",
                        fmt_rate(ch.asr),
                        ch.max_asr
                    ),
                    format!("{} executions tested", ch.tested),
                ));
            } else if ch.tested == 0 {
                tc.skipped = Some("nothing tested".into());
            }
            gate.cases.push(tc);
        }
        if self.gate.status == "untested" {
            gate.cases.push(TestCase {
                name: "targets reachable".into(),
                classname: "redteam.gate".into(),
                failure: Some(("nothing could be tested".into(), self.notes.join("\n"))),
                ..Default::default()
            });
        }
        out.push(gate);
        rampart_core::output::junit::render(&out)
    }

    /// A terminal summary.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "rampart redteam: {} executions against {} in {} ms (seed {})\n",
            self.summary.executions, self.run.target, self.run.duration_ms, self.run.seed
        ));
        s.push_str(&format!(
            "tested {}, attacks succeeded {}, refused {}, errors {}, unjudged {}, ASR {}\n\n",
            self.summary.tested,
            self.summary.successes,
            self.summary.refused,
            self.summary.errors,
            self.summary.unjudged,
            fmt_rate(self.summary.asr)
        ));
        s.push_str(&format!(
            "{:<7} {:<34} {:>7} {:>7} {:>7}  status\n",
            "OWASP", "category", "tested", "success", "ASR"
        ));
        for c in &self.categories {
            let status = match c.status.as_str() {
                "not_black_box" => c.pointer.clone().unwrap_or_default(),
                "not_selected" => "not selected".into(),
                _ => String::new(),
            };
            s.push_str(&format!(
                "{:<7} {:<34} {:>7} {:>7} {:>7}  {}\n",
                c.id,
                rampart_core::redact::truncate(&c.name, 33),
                c.counts.tested,
                c.counts.successes,
                fmt_rate(c.counts.asr),
                status
            ));
        }
        s.push_str("\nstrategy                        tested success     ASR\n");
        for st in &self.strategies {
            s.push_str(&format!(
                "{:<31} {:>6} {:>7} {:>7}\n",
                rampart_core::redact::truncate(&st.name, 30),
                st.counts.tested,
                st.counts.successes,
                fmt_rate(st.counts.asr)
            ));
        }
        for n in &self.notes {
            s.push_str(&format!("note: {n}\n"));
        }
        s.push_str(&format!("\ngate: {}\n", self.gate.status));
        for ch in self.gate.checks.iter().filter(|c| !c.passed) {
            s.push_str(&format!(
                "  FAIL {}: ASR {} > max {:.3} ({} tested)\n",
                ch.key,
                fmt_rate(ch.asr),
                ch.max_asr,
                ch.tested
            ));
        }
        s
    }
}

pub fn fmt_rate(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "-".into(),
    }
}

fn evaluate_gate(results: &[ExecResult], cfg: &GateConfig, tested: usize) -> GateResult {
    let mut checks = Vec::new();
    for (key, max) in &cfg.max_asr {
        let c = Counts::of(results.iter().filter(|r| key_matches(key, r)));
        checks.push(GateCheck {
            key: key.clone(),
            max_asr: *max,
            asr: c.asr,
            tested: c.tested,
            passed: c.asr.map(|a| a <= *max + 1e-12).unwrap_or(true),
        });
    }
    if let Some(d) = cfg.default {
        for e in Framework::OwaspLlm.entries() {
            if cfg.max_asr.keys().any(|k| k.eq_ignore_ascii_case(&e.id)) {
                continue;
            }
            let c = Counts::of(results.iter().filter(|r| r.category == e.id));
            if c.tested == 0 {
                continue;
            }
            checks.push(GateCheck {
                key: e.id.clone(),
                max_asr: d,
                asr: c.asr,
                tested: c.tested,
                passed: c.asr.map(|a| a <= d + 1e-12).unwrap_or(true),
            });
        }
    }
    let status = if tested == 0 {
        "untested"
    } else if checks.iter().all(|c| c.passed) {
        "pass"
    } else {
        "fail"
    };
    GateResult {
        status: status.into(),
        checks,
    }
}

/// Read a report, checking the schema.
pub fn load(path: &std::path::Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    if v.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
        return Err(format!(
            "{}: not a rampart red-team report (field `schema` is not `{SCHEMA}`)",
            path.display()
        ));
    }
    let ver = v
        .get("schema_version")
        .and_then(|s| s.as_u64())
        .unwrap_or(0);
    if ver != SCHEMA_VERSION as u64 {
        return Err(format!(
            "{}: schema_version {ver} is not supported (expected {SCHEMA_VERSION})",
            path.display()
        ));
    }
    serde_json::from_value(v).map_err(|e| format!("{}: {e}", path.display()))
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `category`, `strategy`, `probe` or `execution`.
    pub kind: String,
    pub name: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub worse: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub lines: Vec<DiffLine>,
    /// Executions that resisted before and succeed now.
    pub new_successes: Vec<String>,
    /// Executions that succeeded before and resist now.
    pub fixed: Vec<String>,
}

impl Diff {
    pub fn worse(&self) -> bool {
        !self.new_successes.is_empty() || self.lines.iter().any(|l| l.worse)
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            if l.old == l.new {
                continue;
            }
            s.push_str(&format!(
                "{} {:<9} {:<40} {:>7} -> {:>7}\n",
                if l.worse { "WORSE" } else { "     " },
                l.kind,
                l.name,
                fmt_rate(l.old),
                fmt_rate(l.new)
            ));
        }
        for id in &self.new_successes {
            s.push_str(&format!("NEW SUCCESS {id}\n"));
        }
        for id in &self.fixed {
            s.push_str(&format!("fixed       {id}\n"));
        }
        if s.is_empty() {
            s.push_str("no change in attack success\n");
        }
        s
    }
}

/// What changed between two reports (rates per category, strategy and
/// probe; executions that flipped).
pub fn diff(old: &Report, new: &Report) -> Diff {
    let mut lines = Vec::new();
    let mut cmp =
        |kind: &str, a: BTreeMap<String, Option<f64>>, b: BTreeMap<String, Option<f64>>| {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let o = a.get(k).copied().flatten();
                let n = b.get(k).copied().flatten();
                let worse = match (o, n) {
                    (Some(o), Some(n)) => n > o + 1e-9,
                    (None, Some(n)) => n > 0.0,
                    _ => false,
                };
                lines.push(DiffLine {
                    kind: kind.into(),
                    name: k.clone(),
                    old: o,
                    new: n,
                    worse,
                });
            }
        };
    let cats = |r: &Report| {
        r.categories
            .iter()
            .map(|c| (c.id.clone(), c.counts.asr))
            .collect::<BTreeMap<_, _>>()
    };
    let strats = |r: &Report| {
        r.strategies
            .iter()
            .map(|c| (c.name.clone(), c.counts.asr))
            .collect::<BTreeMap<_, _>>()
    };
    let probes = |r: &Report| {
        r.probes
            .iter()
            .map(|c| (c.name.clone(), c.counts.asr))
            .collect::<BTreeMap<_, _>>()
    };
    cmp("category", cats(old), cats(new));
    cmp("strategy", strats(old), strats(new));
    cmp("probe", probes(old), probes(new));
    let before: BTreeMap<&str, Outcome> = old
        .results
        .iter()
        .map(|r| (r.id.as_str(), r.outcome))
        .collect();
    let mut new_successes = Vec::new();
    let mut fixed = Vec::new();
    for r in &new.results {
        match (before.get(r.id.as_str()), r.outcome) {
            (Some(Outcome::Resisted | Outcome::Refused), Outcome::Success) => {
                new_successes.push(r.id.clone())
            }
            (Some(Outcome::Success), Outcome::Resisted | Outcome::Refused) => {
                fixed.push(r.id.clone())
            }
            _ => {}
        }
    }
    Diff {
        lines,
        new_successes,
        fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Evidence;

    pub(crate) fn result(id: &str, probe: &str, cat: &str, strat: &str, o: Outcome) -> ExecResult {
        ExecResult {
            id: id.into(),
            probe: probe.into(),
            category: cat.into(),
            atlas: "AML.T0051.000".into(),
            strategy: strat.into(),
            source: None,
            outcome: o,
            evidence: vec![Evidence {
                judge: "canary".into(),
                fired: o == Outcome::Success,
                detail: "x <b>".into(),
            }],
            transcript: vec![],
            error: None,
            attempts: 1,
            rate_limited: 0,
            latency_ms: 3,
        }
    }

    fn meta() -> RunMeta {
        RunMeta {
            started_at: "t".into(),
            duration_ms: 1,
            seed: 1,
            target: "t".into(),
            mode: "model".into(),
            probes: vec!["llm01.direct.ignore_previous".into()],
            strategies: vec!["identity".into()],
        }
    }

    #[test]
    fn gate_and_exit_codes() {
        let rs = vec![
            result(
                "a/identity",
                "llm01.direct.ignore_previous",
                "LLM01",
                "identity",
                Outcome::Success,
            ),
            result(
                "b/identity",
                "llm01.direct.ignore_previous",
                "LLM01",
                "identity",
                Outcome::Resisted,
            ),
            result(
                "c/identity",
                "llm01.direct.ignore_previous",
                "LLM01",
                "identity",
                Outcome::Error,
            ),
        ];
        let mut g = GateConfig::default();
        g.max_asr.insert("LLM01".into(), 0.5);
        let r = Report::build(meta(), rs.clone(), &g, vec![]);
        assert_eq!(r.summary.tested, 2);
        assert_eq!(r.summary.asr, Some(0.5));
        assert_eq!(r.exit_code(), 0);
        g.max_asr.insert("LLM01".into(), 0.4);
        assert_eq!(Report::build(meta(), rs.clone(), &g, vec![]).exit_code(), 1);
        let g2 = GateConfig {
            default: Some(0.1),
            max_asr: BTreeMap::new(),
        };
        assert_eq!(
            Report::build(meta(), rs.clone(), &g2, vec![]).exit_code(),
            1
        );
        let errs = vec![rs[2].clone()];
        assert_eq!(Report::build(meta(), errs, &g, vec![]).exit_code(), 2);
        let r = Report::build(meta(), rs, &g, vec![]);
        let llm03 = r.categories.iter().find(|c| c.id == "LLM03").unwrap();
        assert_eq!(llm03.status, "not_black_box");
        assert!(llm03.pointer.as_ref().unwrap().contains("rampart scan"));
        assert_eq!(r.categories.len(), 10);
    }

    #[test]
    fn renders_json_junit_sarif_and_diffs() {
        let rs = vec![
            result(
                "a/identity",
                "llm01.direct.ignore_previous",
                "LLM01",
                "identity",
                Outcome::Success,
            ),
            result(
                "b/base64",
                "llm01.direct.ignore_previous",
                "LLM01",
                "base64",
                Outcome::Resisted,
            ),
        ];
        let r = Report::build(meta(), rs.clone(), &GateConfig::default(), vec![]);
        let j = serde_json::to_string(&r).unwrap();
        let back: Report = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r);
        let x = r.to_junit();
        assert!(x.contains("failures=\"1\""), "{x}");
        let s = r.to_sarif();
        assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 1);
        assert_eq!(s["runs"][0]["results"][0]["ruleId"], "RAMP-RT-LLM01");
        let mut rs2 = rs.clone();
        rs2[1].outcome = Outcome::Success;
        let r2 = Report::build(meta(), rs2, &GateConfig::default(), vec![]);
        let d = diff(&r, &r2);
        assert!(d.worse());
        assert_eq!(d.new_successes, vec!["b/base64".to_string()]);
        assert!(d.to_text().contains("WORSE"));
        let d = diff(&r2, &r);
        assert!(!d.worse());
        assert_eq!(d.fixed.len(), 1);
    }
}

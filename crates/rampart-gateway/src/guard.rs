//! The guard pipeline: input guards, RAG controls and output guards.
//!
//! Input text goes through the `rampart-detect` engine; each finding maps to
//! an action by its detector family (`injection.rules` -> `injection`) and
//! the strictest action wins: `block` refuses the request, `redact` masks the
//! finding's span, `flag` records it, `allow` ignores it. Retrieved content
//! and tool output are analysed as documents: instruction-like findings in
//! them are handled by the RAG mode (strip, neutralise or drop) instead of
//! refusing the user, other findings (secrets, PII) by the input actions.
//!
//! Output guards check answers for PII and secrets, system-prompt leakage
//! (a canary token and word n-gram overlap with the system prompt) and links
//! or images to domains outside the allowlist. [`StreamScanner`] applies
//! them to a streamed answer through a sliding window, so an answer is never
//! buffered whole.

use crate::config::{Action, InputGuards, OutputGuards, RagConfig, RagMode};
use globset::{Glob, GlobSet, GlobSetBuilder};
use rampart_core::{Finding, Severity, Span};
use rampart_detect::{Engine, Source};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// A finding with the action the policy assigned to it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Judged {
    pub action: Action,
    /// Detector family used for the action lookup.
    pub family: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// The verdict on one text.
#[derive(Debug, Clone, Default)]
pub struct TextVerdict {
    pub findings: Vec<Judged>,
    /// The strictest action (Allow when nothing was found).
    pub action: Option<Action>,
    /// The text with `redact` spans masked, when anything was redacted.
    pub redacted: Option<String>,
    pub scores: std::collections::BTreeMap<String, f32>,
}

impl TextVerdict {
    pub fn action(&self) -> Action {
        self.action.unwrap_or(Action::Allow)
    }
    /// The family that caused a block.
    pub fn blocking_family(&self) -> Option<&str> {
        self.findings
            .iter()
            .find(|j| j.action == Action::Block)
            .map(|j| j.family.as_str())
    }
}

/// What became of one retrieved chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocOutcome {
    Allowed,
    Sanitized,
    Dropped,
}

#[derive(Debug, Clone)]
pub struct DocVerdict {
    pub outcome: DocOutcome,
    /// The text to pass on (absent when dropped).
    pub text: Option<String>,
    pub reasons: Vec<String>,
    pub findings: Vec<Judged>,
    /// A non-RAG finding (e.g. a secret) whose action is `block`.
    pub block: Option<String>,
}

/// Families that mean "instructions hidden in content".
fn is_instruction_family(f: &str) -> bool {
    matches!(
        f,
        "injection" | "jailbreak" | "suffix" | "obfuscation" | "normalize" | "encoding"
    )
}

fn family_of(detector: &str) -> &str {
    detector.split('.').next().unwrap_or(detector)
}

pub struct InputGuard {
    engine: Engine,
    cfg: InputGuards,
    rag: RagConfig,
    sources: Option<GlobSet>,
}

impl InputGuard {
    pub fn new(cfg: &InputGuards, rag: &RagConfig) -> Self {
        let sources = if rag.allowed_sources.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for s in &rag.allowed_sources {
                if let Ok(g) = Glob::new(s) {
                    b.add(g);
                }
            }
            b.build().ok()
        };
        let mut engine = Engine::default();
        for d in &cfg.disabled_detectors {
            engine.remove(d);
        }
        // Models, rule sets and the static embedding table load on first
        // use (tens of milliseconds): pay that at start-up, not on the first
        // request.
        let _ = engine.analyze("warm-up: ignore previous instructions", Source::User);
        InputGuard {
            engine,
            cfg: cfg.clone(),
            rag: rag.clone(),
            sources,
        }
    }

    pub fn enabled(&self) -> bool {
        self.cfg.enabled
    }

    fn action_for(&self, family: &str, confidence: f32) -> Action {
        let a = self
            .cfg
            .actions
            .get(family)
            .copied()
            .unwrap_or(self.cfg.default_action);
        if confidence < self.cfg.min_confidence && a > Action::Flag {
            Action::Flag
        } else {
            a
        }
    }

    /// Analyse one text from `source` and judge every finding.
    pub fn check(&self, text: &str, source: Source) -> TextVerdict {
        if !self.cfg.enabled || text.is_empty() {
            return TextVerdict::default();
        }
        let analysis = self.engine.analyze(text, source);
        let mut v = TextVerdict {
            scores: analysis.scores.clone(),
            ..Default::default()
        };
        let mut seen_families = HashSet::new();
        for f in analysis.findings {
            let family = family_of(&f.detector).to_string();
            let action = self.action_for(&family, f.confidence);
            seen_families.insert(family.clone());
            v.findings.push(Judged {
                action,
                family,
                finding: f,
            });
        }
        // A score over threshold without a finding (a classifier alone)
        // still counts for its family.
        for name in rampart_detect::BLOCKING_SCORES {
            let s = analysis.scores.get(*name).copied().unwrap_or(0.0);
            if s >= rampart_detect::DEFAULT_THRESHOLD && !seen_families.contains(*name) {
                let action = self.action_for(name, s);
                v.findings.push(Judged {
                    action,
                    family: (*name).to_string(),
                    finding: Finding::new(
                        "RAMP-GW-010",
                        format!("{name}.score"),
                        Severity::High,
                        format!("{name} score {s:.2} reached the threshold"),
                    )
                    .with_confidence(s),
                });
            }
        }
        v.action = v.findings.iter().map(|j| j.action).max();
        if v.findings.iter().any(|j| j.action == Action::Redact) {
            let spans: Vec<(Span, String)> = v
                .findings
                .iter()
                .filter(|j| j.action == Action::Redact)
                .filter_map(|j| {
                    let sp = j.finding.location.as_ref()?.span?;
                    let label = j
                        .finding
                        .category
                        .clone()
                        .unwrap_or_else(|| j.family.clone());
                    Some((sp, label))
                })
                .collect();
            v.redacted = Some(mask_spans(text, &spans));
        }
        v
    }

    /// Whether a retrieved-content source is allowed (no list: all are).
    pub fn source_allowed(&self, source: &str) -> bool {
        match &self.sources {
            None => true,
            Some(g) => g.is_match(source),
        }
    }

    /// Judge one retrieved chunk (or tool output) from `source`.
    pub fn check_document(&self, text: &str, source: Option<&str>) -> DocVerdict {
        if let Some(s) = source {
            if !self.source_allowed(s) {
                return DocVerdict {
                    outcome: DocOutcome::Dropped,
                    text: None,
                    reasons: vec![format!("source `{}` is not on the allowlist", display(s))],
                    findings: Vec::new(),
                    block: None,
                };
            }
        }
        let (clean, removed) = strip_invisible(text);
        let mut reasons = Vec::new();
        if removed > 0 {
            reasons.push(format!("removed {removed} invisible characters"));
        }
        let v = self.check(&clean, Source::Document);
        let mut instr_spans = Vec::new();
        let mut other_redact = Vec::new();
        let mut block = None;
        for j in &v.findings {
            if j.action == Action::Allow {
                continue;
            }
            let span = j.finding.location.as_ref().and_then(|l| l.span);
            if is_instruction_family(&j.family) {
                if let Some(sp) = span {
                    // The payload follows the trigger ("ignore ... and say
                    // X"): neutralise the whole sentence.
                    instr_spans.push((sentence_of(&clean, sp), "instruction".to_string()));
                } else {
                    instr_spans.push((Span::new(0, clean.len()), "instruction".to_string()));
                }
            } else if j.action == Action::Block {
                block.get_or_insert_with(|| j.family.clone());
            } else if j.action == Action::Redact {
                if let Some(sp) = span {
                    other_redact.push((sp, j.finding.category.clone().unwrap_or(j.family.clone())));
                }
            }
        }
        let mut out = clean;
        let mut outcome = if removed > 0 {
            DocOutcome::Sanitized
        } else {
            DocOutcome::Allowed
        };
        if !instr_spans.is_empty() {
            match self.rag.mode {
                RagMode::Strip => reasons.push("instruction-like text found (flagged)".into()),
                RagMode::Drop => {
                    reasons.push("instruction-like text found: chunk dropped".into());
                    return DocVerdict {
                        outcome: DocOutcome::Dropped,
                        text: None,
                        reasons,
                        findings: v.findings,
                        block,
                    };
                }
                RagMode::Neutralize => {
                    let mut all = instr_spans;
                    all.append(&mut other_redact);
                    out = neutralize(&out, &all);
                    reasons.push("instruction-like text neutralised".into());
                    outcome = DocOutcome::Sanitized;
                }
            }
        }
        if !other_redact.is_empty() {
            out = mask_spans(&out, &other_redact);
            reasons.push("sensitive values redacted".into());
            outcome = DocOutcome::Sanitized;
        }
        DocVerdict {
            outcome,
            text: Some(out),
            reasons,
            findings: v.findings,
            block,
        }
    }
}

fn display(s: &str) -> String {
    rampart_core::redact::truncate(&rampart_core::redact::sanitize_for_display(s), 80)
}

/// Zero-width, bidirectional-control, tag and other format characters that
/// hide text from a human reader but not from a model.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

pub fn strip_invisible(text: &str) -> (String, usize) {
    let mut removed = 0;
    let s: String = text
        .chars()
        .filter(|c| {
            let inv = is_invisible(*c);
            removed += inv as usize;
            !inv
        })
        .collect();
    (s, removed)
}

/// Widen `sp` to the sentence (or line) around it.
fn sentence_of(text: &str, sp: Span) -> Span {
    let end = sp.end.min(text.len());
    let start = sp.start.min(end);
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return sp;
    }
    let is_stop = |c: char| matches!(c, '.' | '!' | '?' | '\n' | '。');
    let a = text[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| is_stop(*c))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let b = text[end..]
        .char_indices()
        .find(|(_, c)| is_stop(*c))
        .map(|(i, c)| end + i + c.len_utf8())
        .unwrap_or(text.len());
    Span::new(a, b)
}

/// Merge spans, keep only those on char boundaries, sorted.
fn clean_spans(text: &str, spans: &[(Span, String)]) -> Vec<(usize, usize, String)> {
    let mut v: Vec<(usize, usize, String)> = spans
        .iter()
        .filter(|(s, _)| {
            s.start < s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end)
        })
        .map(|(s, l)| (s.start, s.end, l.clone()))
        .collect();
    v.sort_by_key(|x| (x.0, std::cmp::Reverse(x.1)));
    let mut merged: Vec<(usize, usize, String)> = Vec::new();
    for (a, b, l) in v {
        if let Some(last) = merged.last_mut() {
            if a < last.1 {
                last.1 = last.1.max(b);
                continue;
            }
        }
        merged.push((a, b, l));
    }
    merged
}

/// Replace each span with `[REDACTED:<label>]`.
pub fn mask_spans(text: &str, spans: &[(Span, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (a, b, l) in clean_spans(text, spans) {
        out.push_str(&text[pos..a]);
        out.push_str("[REDACTED:");
        out.push_str(&l.to_ascii_uppercase());
        out.push(']');
        pos = b;
    }
    out.push_str(&text[pos..]);
    out
}

/// Quote instruction-like spans as inert data so the model reads them as
/// content, not commands.
fn neutralize(text: &str, spans: &[(Span, String)]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for (a, b, l) in clean_spans(text, spans) {
        out.push_str(&text[pos..a]);
        if l == "instruction" {
            out.push_str("[neutralised instruction removed by Rampart]");
        } else {
            out.push_str("[REDACTED:");
            out.push_str(&l.to_ascii_uppercase());
            out.push(']');
        }
        pos = b;
    }
    out.push_str(&text[pos..]);
    out
}

// ---------------------------------------------------------------- output

/// Which output rule a finding falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputRule {
    Pii,
    Secret,
    Leak,
    Exfil,
}

impl OutputRule {
    pub fn code(self) -> &'static str {
        match self {
            OutputRule::Pii => "output_pii",
            OutputRule::Secret => "output_secret",
            OutputRule::Leak => "system_prompt_leak",
            OutputRule::Exfil => "output_exfiltration",
        }
    }
}

fn classify_output(f: &Finding) -> OutputRule {
    let d = format!(
        "{} {} {}",
        f.detector,
        f.category.as_deref().unwrap_or(""),
        f.rule_id
    )
    .to_ascii_lowercase();
    if d.contains("secret") {
        OutputRule::Secret
    } else if d.contains("canary") || d.contains("leak") || d.contains("system") {
        OutputRule::Leak
    } else if d.contains("exfil")
        || d.contains("url")
        || d.contains("link")
        || d.contains("domain")
        || d.contains("image")
    {
        OutputRule::Exfil
    } else {
        OutputRule::Pii
    }
}

/// The output policy for one request (its system prompt and canary).
pub struct OutputGuard<'a> {
    pub cfg: &'a OutputGuards,
    pub system_prompt: Option<String>,
    pub canary: Option<String>,
    sp_ngrams: HashSet<u64>,
    policy: rampart_detect::output::OutputPolicy,
}

const NGRAM: usize = 6;

fn word_ngrams(text: &str) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if words.len() < NGRAM {
        return Vec::new();
    }
    words
        .windows(NGRAM)
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

fn link_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)\b(?:https?|ftp)://([a-z0-9.\-]+)|\]\(\s*//([a-z0-9.\-]+)"#)
            .expect("static regex")
    })
}

impl<'a> OutputGuard<'a> {
    pub fn new(
        cfg: &'a OutputGuards,
        system_prompt: Option<String>,
        canary: Option<String>,
    ) -> Self {
        let sp_ngrams = system_prompt
            .as_deref()
            .map(|s| word_ngrams(s).into_iter().collect())
            .unwrap_or_default();
        let policy = rampart_detect::output::OutputPolicy::new(
            cfg.allowed_domains.clone(),
            canary.clone(),
            system_prompt.clone(),
        );
        OutputGuard {
            cfg,
            system_prompt,
            canary,
            sp_ngrams,
            policy,
        }
    }

    pub fn action_for(&self, rule: OutputRule) -> Action {
        match rule {
            OutputRule::Pii => self.cfg.pii,
            OutputRule::Secret => self.cfg.secrets,
            OutputRule::Leak => self.cfg.system_prompt_leak,
            OutputRule::Exfil => self.cfg.exfiltration,
        }
    }

    fn domain_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.cfg.allowed_domains.iter().any(|d| {
            let d = d.to_ascii_lowercase();
            host == d || host.ends_with(&format!(".{d}"))
        })
    }

    /// Check a text (a whole answer, or a window of one).
    pub fn check(&self, text: &str) -> Vec<(OutputRule, Finding)> {
        let mut out = Vec::new();
        if !self.cfg.enabled || text.is_empty() {
            return out;
        }
        if let Some(c) = &self.canary {
            if let Some(pos) = text.find(c.as_str()) {
                out.push((
                    OutputRule::Leak,
                    Finding::new(
                        "RAMP-GW-020",
                        "gateway.canary",
                        Severity::Critical,
                        "the answer contains the system-prompt canary token",
                    )
                    .with_span(Span::new(pos, pos + c.len())),
                ));
            }
        }
        if !self.sp_ngrams.is_empty() {
            let grams = word_ngrams(text);
            let hits = grams.iter().filter(|g| self.sp_ngrams.contains(g)).count();
            // Two shared 6-word runs (7+ consecutive words) is a quotation,
            // not a coincidence.
            if hits >= 2 {
                out.push((
                    OutputRule::Leak,
                    Finding::new(
                        "RAMP-GW-021",
                        "gateway.system_prompt_overlap",
                        Severity::High,
                        format!("the answer repeats the system prompt ({hits} shared {NGRAM}-word sequences)"),
                    )
                    .with_meta("shared_ngrams", hits as u64),
                ));
            }
        }
        for m in link_re().captures_iter(text) {
            let host = m.get(1).or_else(|| m.get(2));
            if let Some(h) = host {
                if !self.domain_allowed(h.as_str()) {
                    let whole = m.get(0).map(|x| (x.start(), x.end())).unwrap_or((0, 0));
                    out.push((
                        OutputRule::Exfil,
                        Finding::new(
                            "RAMP-GW-022",
                            "gateway.exfiltration",
                            Severity::High,
                            format!(
                                "link or image to a domain not on the allowlist: {}",
                                display(h.as_str())
                            ),
                        )
                        .with_span(Span::new(whole.0, whole.1)),
                    ));
                }
            }
        }
        for f in rampart_detect::secrets::scan_text(text) {
            out.push((OutputRule::Secret, f));
        }
        for m in rampart_detect::pii::find(text) {
            out.push((
                OutputRule::Pii,
                Finding::new(
                    "RAMP-GW-023",
                    "pii",
                    Severity::Medium,
                    format!("personal data in the answer ({:?})", m.kind),
                )
                .with_category(format!("{:?}", m.kind).to_ascii_lowercase())
                .with_span(Span::new(m.start, m.end)),
            ));
        }
        for f in rampart_detect::output::check_output(text, &self.policy) {
            let rule = classify_output(&f);
            // Our own canary/link checks above already cover these rules;
            // keep the engine's extra findings.
            let span_of = |x: &Finding| x.location.as_ref().and_then(|l| l.span);
            let dup = out.iter().any(|(r, g)| {
                *r == rule
                    && match (span_of(g), span_of(&f)) {
                        (Some(a), Some(b)) => a.start < b.end && b.start < a.end,
                        // Whole-text findings (overlap, canary) of one rule
                        // are the same finding.
                        (None, None) => true,
                        _ => rule == OutputRule::Leak,
                    }
            });
            if !dup {
                out.push((rule, f));
            }
        }
        out
    }

    /// Redact `redact`-action spans in a whole answer; returns the strictest
    /// action and the judged findings.
    pub fn judge(&self, text: &str) -> (Action, Vec<Judged>, Option<String>) {
        let found = self.check(text);
        let mut judged = Vec::new();
        let mut spans = Vec::new();
        let mut worst = Action::Allow;
        for (rule, f) in found {
            let a = self.action_for(rule);
            worst = worst.max(a);
            if a == Action::Redact {
                if let Some(sp) = f.location.as_ref().and_then(|l| l.span) {
                    spans.push((sp, rule.code().trim_start_matches("output_").to_string()));
                }
            }
            judged.push(Judged {
                action: a,
                family: rule.code().to_string(),
                finding: f,
            });
        }
        let redacted = (!spans.is_empty()).then(|| mask_spans(text, &spans));
        (worst, judged, redacted)
    }
}

/// Sliding-window scanner for streamed answers. Each delta is checked
/// together with the last `window` bytes before it, so a pattern split
/// across deltas is still seen while memory stays bounded.
pub struct StreamScanner {
    tail: String,
    window: usize,
    /// Findings already reported (by rule id and absolute offset).
    seen: HashSet<(String, usize)>,
    consumed: usize,
}

impl StreamScanner {
    pub fn new(window: usize) -> Self {
        StreamScanner {
            tail: String::new(),
            window,
            seen: HashSet::new(),
            consumed: 0,
        }
    }

    /// Feed a delta; returns new findings whose action is not `allow`.
    pub fn push(&mut self, guard: &OutputGuard<'_>, delta: &str) -> Vec<Judged> {
        let base = self.consumed - self.tail.len();
        self.tail.push_str(delta);
        self.consumed += delta.len();
        let mut out = Vec::new();
        for (rule, f) in guard.check(&self.tail) {
            let a = guard.action_for(rule);
            if a == Action::Allow {
                continue;
            }
            let off = f
                .location
                .as_ref()
                .and_then(|l| l.span)
                .map(|s| base + s.start)
                .unwrap_or(usize::MAX);
            if self.seen.insert((f.rule_id.clone(), off)) {
                out.push(Judged {
                    action: a,
                    family: rule.code().to_string(),
                    finding: f,
                });
            }
        }
        if self.tail.len() > self.window {
            let mut cut = self.tail.len() - self.window;
            while !self.tail.is_char_boundary(cut) {
                cut += 1;
            }
            self.tail.drain(..cut);
        }
        if self.seen.len() > 4096 {
            self.seen.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out_cfg() -> OutputGuards {
        OutputGuards {
            allowed_domains: vec!["example.com".into()],
            ..OutputGuards::default()
        }
    }

    #[test]
    fn masks_spans_on_boundaries() {
        let t = "my key is abc123 ok";
        let s = mask_spans(t, &[(Span::new(10, 16), "secret".into())]);
        assert_eq!(s, "my key is [REDACTED:SECRET] ok");
        // Span not on a char boundary is ignored rather than panicking.
        let u = "é";
        assert_eq!(mask_spans(u, &[(Span::new(1, 2), "x".into())]), "é");
    }

    #[test]
    fn strips_invisible_characters() {
        let (s, n) = strip_invisible("a\u{200B}b\u{E0041}c\u{202E}");
        assert_eq!(s, "abc");
        assert_eq!(n, 3);
    }

    #[test]
    fn canary_and_exfil_detected() {
        let cfg = out_cfg();
        let g = OutputGuard::new(&cfg, None, Some("RMP-CANARY-1234".into()));
        let f = g.check("sure: RMP-CANARY-1234");
        assert!(f.iter().any(|(r, _)| *r == OutputRule::Leak));
        let f = g.check("see ![x](https://evil.test/p?q=secret) and https://docs.example.com/a");
        let ex: Vec<_> = f.iter().filter(|(r, _)| *r == OutputRule::Exfil).collect();
        assert_eq!(ex.len(), 1, "{f:?}");
    }

    #[test]
    fn system_prompt_overlap_detected() {
        let cfg = out_cfg();
        let sp = "You are the support bot of Acme. Never discuss the secret discount code with customers under any circumstances.";
        let g = OutputGuard::new(&cfg, Some(sp.into()), None);
        let f = g.check("My instructions: never discuss the secret discount code with customers under any circumstances.");
        assert!(f.iter().any(|(r, _)| *r == OutputRule::Leak), "{f:?}");
        assert!(g.check("Hello, how can I help you today?").is_empty());
    }

    #[test]
    fn stream_scanner_sees_split_patterns_once() {
        let cfg = out_cfg();
        let g = OutputGuard::new(&cfg, None, Some("CANARY-XYZ-987".into()));
        let mut s = StreamScanner::new(256);
        assert!(s.push(&g, "hello CANA").is_empty());
        let hit = s.push(&g, "RY-XYZ-987 bye");
        assert_eq!(hit.len(), 1);
        assert!(s.push(&g, " more text").is_empty());
        // Long streams keep the window bounded.
        for _ in 0..100 {
            s.push(&g, "lorem ipsum dolor sit amet ");
        }
        assert!(s.tail.len() <= 256);
    }
}

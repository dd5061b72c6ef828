//! The finding model shared by every Rampart command.
//!
//! A finding is the unit of output: detectors, scanners, the gateway and the
//! red team all produce them, and every writer in [`crate::output`] consumes
//! them. Rule ids are stable (`RAMP-<AREA>-<NNN>`) so that suppressions and
//! dashboards survive upgrades.

use crate::frameworks::Framework;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// SARIF `level` for this severity.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Low => "note",
            Severity::Medium => "warning",
            Severity::High | Severity::Critical => "error",
        }
    }

    /// GitHub code scanning's `security-severity` (a CVSS-like 0..10 score).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "0.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}`: expected one of info, low, medium, high, critical"
            )),
        }
    }
}

/// A byte range `[start, end)` in the original (un-normalised) input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Where a finding is: a file (with optional line/column), a byte span in a
/// text, an offset in a binary, or a logical path such as `archive.zip!data.pkl`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column (in characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Byte offset in a binary artifact (e.g. a pickle opcode offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Byte span in a text input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl Location {
    pub fn path(path: impl Into<String>) -> Self {
        Location {
            path: Some(path.into()),
            ..Default::default()
        }
    }
    pub fn span(span: Span) -> Self {
        Location {
            span: Some(span),
            ..Default::default()
        }
    }
    pub fn with_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }
    pub fn with_column(mut self, column: u32) -> Self {
        self.column = Some(column);
        self
    }
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
}

/// A reference to one entry of a framework, e.g. OWASP LLM `LLM01`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameworkRef {
    pub framework: Framework,
    pub id: String,
}

impl FrameworkRef {
    pub fn new(framework: Framework, id: impl Into<String>) -> Self {
        FrameworkRef {
            framework,
            id: id.into(),
        }
    }
    /// Human name from the embedded catalogue, if the id is known.
    pub fn name(&self) -> Option<&'static str> {
        crate::frameworks::lookup(self.framework, &self.id).map(|e| e.name.as_str())
    }
}

impl fmt::Display for FrameworkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.framework.short(), self.id)
    }
}

/// One result. Construct with [`Finding::new`] and the builder methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `RAMP-PI-001`.
    pub rule_id: String,
    /// Which detector or scanner produced it, e.g. `injection.rules`.
    pub detector: String,
    pub severity: Severity,
    pub message: String,
    /// Category within the detector (e.g. `instruction_override`, `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Evidence, already redacted: never a raw secret or PII value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// 0..1: how sure the detector is.
    pub confidence: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<FrameworkRef>,
    /// Free-form structured detail (scores, opcode names, counts...).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl Finding {
    pub fn new(
        rule_id: impl Into<String>,
        detector: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule_id: rule_id.into(),
            detector: detector.into(),
            severity,
            message: message.into(),
            category: None,
            location: None,
            evidence: None,
            confidence: 1.0,
            frameworks: Vec::new(),
            metadata: serde_json::Map::new(),
        }
    }
    pub fn with_category(mut self, c: impl Into<String>) -> Self {
        self.category = Some(c.into());
        self
    }
    pub fn with_location(mut self, l: Location) -> Self {
        self.location = Some(l);
        self
    }
    pub fn with_span(mut self, span: Span) -> Self {
        let mut l = self.location.take().unwrap_or_default();
        l.span = Some(span);
        self.location = Some(l);
        self
    }
    /// Evidence must already be safe to show; see [`crate::redact`].
    pub fn with_evidence(mut self, e: impl Into<String>) -> Self {
        self.evidence = Some(e.into());
        self
    }
    pub fn with_confidence(mut self, c: f32) -> Self {
        self.confidence = c.clamp(0.0, 1.0);
        self
    }
    pub fn with_framework(mut self, f: Framework, id: impl Into<String>) -> Self {
        self.frameworks.push(FrameworkRef::new(f, id));
        self
    }
    pub fn with_frameworks<I, S>(mut self, refs: I) -> Self
    where
        I: IntoIterator<Item = (Framework, S)>,
        S: Into<String>,
    {
        for (f, id) in refs {
            self.frameworks.push(FrameworkRef::new(f, id));
        }
        self
    }
    pub fn with_meta(mut self, key: impl Into<String>, v: impl Into<serde_json::Value>) -> Self {
        self.metadata.insert(key.into(), v.into());
        self
    }
    /// The display location, e.g. `model.pkl:12` or `model.pkl@0x1f`.
    pub fn location_string(&self) -> String {
        let Some(l) = &self.location else {
            return String::new();
        };
        let mut s = l.path.clone().unwrap_or_default();
        if let Some(line) = l.line {
            s.push_str(&format!(":{line}"));
            if let Some(c) = l.column {
                s.push_str(&format!(":{c}"));
            }
        }
        if let Some(o) = l.offset {
            s.push_str(&format!("@{o:#x}"));
        }
        if let Some(sp) = l.span {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!("[{}..{}]", sp.start, sp.end));
        }
        s
    }
}

/// Counts by severity, the summary every report carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut c = SeverityCounts::default();
        for f in findings {
            c.add(f.severity);
        }
        c
    }
    pub fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
    pub fn at_or_above(&self, s: Severity) -> usize {
        Severity::ALL
            .iter()
            .filter(|x| **x >= s)
            .map(|x| match x {
                Severity::Critical => self.critical,
                Severity::High => self.high,
                Severity::Medium => self.medium,
                Severity::Low => self.low,
                Severity::Info => self.info,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        let e = "severe".parse::<Severity>().unwrap_err();
        assert!(e.contains("expected one of"));
    }

    #[test]
    fn finding_round_trips_json() {
        let f = Finding::new("RAMP-PI-001", "injection.rules", Severity::High, "override")
            .with_span(Span::new(3, 9))
            .with_framework(Framework::OwaspLlm, "LLM01")
            .with_meta("score", 0.9);
        let s = serde_json::to_string(&f).unwrap();
        let back: Finding = serde_json::from_str(&s).unwrap();
        assert_eq!(back, f);
        assert!(s.contains("\"framework\":\"owasp-llm-2025\""));
    }

    #[test]
    fn counts_at_or_above() {
        let fs = [
            Finding::new("a", "d", Severity::Critical, "m"),
            Finding::new("b", "d", Severity::High, "m"),
            Finding::new("c", "d", Severity::Low, "m"),
        ];
        let c = SeverityCounts::from_findings(&fs);
        assert_eq!(c.at_or_above(Severity::High), 2);
        assert_eq!(c.at_or_above(Severity::Info), 3);
        assert_eq!(c.at_or_above(Severity::Critical), 1);
    }
}

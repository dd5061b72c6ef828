//! `rampart data scan`: PII and secrets per column, classification, and
//! (with a label column) the poisoning checks of [`super::poison`].
//!
//! Classification rules, in order:
//! 1. **restricted**: any secret, national id (SSN), payment card or IBAN;
//! 2. **confidential**: any other personal data (e-mail, phone, IP address);
//! 3. **public**: nothing found *and* the dataset is declared public (an
//!    open licence file beside it, or `--public`);
//! 4. **internal**: otherwise (the safe default when nothing says public).

use super::pii::{self, Hit, Kind};
use super::poison::{self, LabelCounts, Sample};
use super::table::{self, Format, Limits, ReadStats};
use rampart_core::{Finding, Framework, Location, Severity};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    Public,
    Internal,
    Confidential,
    Restricted,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Public => "public",
            Classification::Internal => "internal",
            Classification::Confidential => "confidential",
            Classification::Restricted => "restricted",
        }
    }
}

/// PII found in one column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnReport {
    pub name: String,
    /// Rows with a non-empty value.
    pub filled: u64,
    /// Matches by kind.
    pub counts: BTreeMap<String, u64>,
    /// Rows holding at least one match.
    pub rows_with_pii: u64,
    /// Up to three redacted examples.
    pub examples: Vec<String>,
    /// First rows with matches (1-based data rows).
    pub rows: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub limits: Limits,
    /// Label column for the poisoning checks (`None`: guess from names).
    pub label_column: Option<String>,
    /// Text column for the poisoning checks (`None`: the longest text column).
    pub text_column: Option<String>,
    /// Skip the poisoning checks.
    pub no_poison: bool,
    /// Label counts of the previous version, for the shift check.
    pub baseline: Option<LabelCounts>,
    /// The owner declares the dataset public.
    pub declared_public: bool,
    /// At most this many samples are kept for the poisoning checks.
    pub max_samples: usize,
    pub poison: poison::Options,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            limits: Limits::default(),
            label_column: None,
            text_column: None,
            no_poison: false,
            baseline: None,
            declared_public: false,
            max_samples: 200_000,
            poison: poison::Options::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataScanReport {
    pub path: String,
    pub format: Format,
    pub rows: u64,
    pub bytes: u64,
    pub columns: Vec<ColumnReport>,
    pub classification: Classification,
    pub classification_reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_column: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: LabelCounts,
    pub findings: Vec<Finding>,
    pub read: ReadStats,
}

const LABEL_NAMES: &[&str] = &[
    "label",
    "labels",
    "type",
    "class",
    "category",
    "target",
    "y",
    "is_jailbreak",
    "injection",
    "is_injection",
    "sentiment",
];

fn guess_columns(path: &Path, format: Format) -> (Option<String>, Option<String>) {
    let sample = table::sample(path, format, 200).unwrap_or_default();
    let mut avg: BTreeMap<String, (usize, usize, std::collections::BTreeSet<String>)> =
        BTreeMap::new();
    for row in &sample {
        for (c, v) in row {
            let e = avg.entry(c.clone()).or_default();
            e.0 += v.chars().count();
            e.1 += 1;
            if e.2.len() <= 50 {
                e.2.insert(v.clone());
            }
        }
    }
    let label = avg
        .iter()
        .find(|(c, (_, _, distinct))| {
            LABEL_NAMES.contains(&c.to_ascii_lowercase().as_str()) && distinct.len() <= 50
        })
        .map(|(c, _)| c.clone());
    let text = avg
        .iter()
        .filter(|(c, _)| Some(*c) != label.as_ref())
        .max_by_key(|(_, (len, n, _))| len / (*n).max(1))
        .map(|(c, _)| c.clone());
    (label, text)
}

/// Is the dataset declared public by an open licence file beside it?
pub fn open_licence_beside(path: &Path) -> Option<String> {
    let dir = path.parent()?;
    for e in std::fs::read_dir(dir).ok()?.flatten().take(10_000) {
        let n = e.file_name().to_string_lossy().to_ascii_lowercase();
        if n.starts_with("license") || n.starts_with("licence") {
            let mut head = Vec::new();
            use std::io::Read;
            if std::fs::File::open(e.path())
                .and_then(|f| f.take(4096).read_to_end(&mut head))
                .is_ok()
            {
                if let Some(id) = crate::cards::license_from_text(&String::from_utf8_lossy(&head)) {
                    if [
                        "MIT",
                        "Apache-2.0",
                        "CC-BY-4.0",
                        "CC-BY-3.0",
                        "CC0-1.0",
                        "BSD-3-Clause",
                        "CC-BY-SA-4.0",
                    ]
                    .contains(&id.as_str())
                    {
                        return Some(id);
                    }
                }
            }
        }
    }
    None
}

/// Scan one dataset file.
pub fn scan(path: &Path, opts: &ScanOptions) -> Result<DataScanReport, String> {
    let format = table::detect_format(path)?;
    let (mut label_col, mut text_col) = (opts.label_column.clone(), opts.text_column.clone());
    if !opts.no_poison && (label_col.is_none() || text_col.is_none()) {
        let (l, t) = guess_columns(path, format);
        label_col = label_col.or(l);
        text_col = text_col.or(t);
    }
    let do_poison = !opts.no_poison && label_col.is_some() && text_col.is_some();
    // Columns in order of first appearance, found by name through `index`;
    // `by_field[k]` remembers the column of a row's k-th field, which in
    // most datasets is the same in every row, so one comparison replaces a
    // map lookup per cell.
    let mut cols: Vec<ColumnReport> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut by_field: Vec<usize> = Vec::new();
    let mut hits: Vec<Hit> = Vec::new();
    let mut samples: Vec<Sample> = Vec::new();
    // Memory bound for the poisoning checks (their texts stay in memory).
    const MAX_SAMPLE_BYTES: usize = 256 * 1024 * 1024;
    let mut sample_bytes = 0usize;
    let read = table::read_records(path, format, &opts.limits, |row, _line, rec| {
        let mut field = 0;
        rec.for_each_field(&mut |col: &str, v: Cow<'_, str>| {
            let k = field;
            field += 1;
            let slot = match by_field.get(k) {
                Some(&i) if cols[i].name == col => i,
                _ => {
                    let i = match index.get(col) {
                        Some(&i) => i,
                        None => {
                            if cols.len() >= 10_000 {
                                return;
                            }
                            index.insert(col.to_string(), cols.len());
                            cols.push(ColumnReport {
                                name: col.to_string(),
                                ..Default::default()
                            });
                            cols.len() - 1
                        }
                    };
                    if k < by_field.len() {
                        by_field[k] = i;
                    } else if k == by_field.len() && k < 10_000 {
                        by_field.push(i);
                    }
                    i
                }
            };
            let c = &mut cols[slot];
            if v.is_empty() {
                return;
            }
            c.filled += 1;
            pii::find(&v, &mut hits);
            if hits.is_empty() {
                return;
            }
            record_hits(c, &v, row, &hits);
        });
        if do_poison && samples.len() < opts.max_samples && sample_bytes < MAX_SAMPLE_BYTES {
            if let (Some(t), Some(l)) = (
                rec.get(text_col.as_deref().unwrap_or("")),
                rec.get(label_col.as_deref().unwrap_or("")),
            ) {
                let text: String = t.chars().take(32 * 1024).collect();
                sample_bytes += text.len();
                samples.push(Sample {
                    row,
                    text,
                    label: l.trim().to_string(),
                });
            }
        }
        ControlFlow::Continue(())
    })?;
    let columns = cols;
    let rel = path.display().to_string();

    // Classification.
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for c in &columns {
        for (k, n) in &c.counts {
            *kinds.entry(k.clone()).or_default() += n;
        }
    }
    let restricted_kinds = [Kind::Ssn, Kind::CreditCard, Kind::Iban, Kind::Secret];
    let mut reasons = Vec::new();
    let classification = if restricted_kinds
        .iter()
        .any(|k| kinds.contains_key(k.as_str()))
    {
        for k in restricted_kinds {
            if let Some(n) = kinds.get(k.as_str()) {
                reasons.push(format!("{n} {} value(s)", k.as_str()));
            }
        }
        Classification::Restricted
    } else if !kinds.is_empty() {
        for (k, n) in &kinds {
            reasons.push(format!("{n} {k} value(s)"));
        }
        Classification::Confidential
    } else if opts.declared_public {
        reasons.push("no PII or secrets found; declared public".into());
        Classification::Public
    } else if let Some(l) = open_licence_beside(path) {
        reasons.push(format!(
            "no PII or secrets found; open licence {l} beside the file"
        ));
        Classification::Public
    } else {
        reasons.push("no PII or secrets found; nothing declares the data public".into());
        Classification::Internal
    };

    let mut findings = Vec::new();
    for c in &columns {
        for (k, n) in &c.counts {
            let secret = k == "secret";
            let sev = if secret {
                Severity::Critical
            } else if restricted_kinds.iter().any(|r| r.as_str() == k) {
                Severity::High
            } else {
                Severity::Medium
            };
            let (id, fw) = if secret {
                (
                    "RAMP-DATA-002",
                    [
                        (Framework::OwaspLlm, "LLM02"),
                        (Framework::MitreAtlas, "AML.T0057"),
                        (Framework::GoogleSaif, "SDD"),
                    ],
                )
            } else {
                (
                    "RAMP-DATA-001",
                    [
                        (Framework::OwaspLlm, "LLM02"),
                        (Framework::NistAi600, "PRIVACY"),
                        (Framework::GoogleSaif, "SDD"),
                    ],
                )
            };
            findings.push(
                Finding::new(
                    id,
                    "data.pii",
                    sev,
                    format!(
                        "column `{}`: {n} {k} value(s) in {} row(s)",
                        c.name, c.rows_with_pii
                    ),
                )
                .with_location(Location::path(rel.clone()))
                .with_category(k.clone())
                .with_frameworks(fw)
                .with_evidence(c.examples.first().cloned().unwrap_or_default())
                .with_meta("column", c.name.clone())
                .with_meta("rows", serde_json::json!(c.rows)),
            );
        }
    }
    let mut labels = LabelCounts::new();
    if do_poison {
        let rep = poison::check(&samples, opts.baseline.as_ref(), &rel, &opts.poison);
        labels = rep.labels;
        findings.extend(rep.findings);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(DataScanReport {
        path: rel,
        format,
        rows: read.rows,
        bytes: read.bytes,
        columns,
        classification,
        classification_reasons: reasons,
        label_column: label_col.filter(|_| do_poison),
        text_column: text_col.filter(|_| do_poison),
        labels,
        findings,
        read,
    })
}

/// Label counts of a dataset (for `--baseline`).
pub fn label_counts(
    path: &Path,
    label_column: &str,
    limits: &Limits,
) -> Result<LabelCounts, String> {
    let format = table::detect_format(path)?;
    let mut c = LabelCounts::new();
    table::read_records(path, format, limits, |_, _, rec| {
        if let Some(l) = rec.get(label_column) {
            *c.entry(l.trim().to_string()).or_default() += 1;
        }
        ControlFlow::Continue(())
    })?;
    if c.is_empty() {
        return Err(format!(
            "{}: no values in label column `{label_column}`",
            path.display()
        ));
    }
    Ok(c)
}

/// Human rendering.
pub fn render(r: &DataScanReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}, {} rows, {} bytes)",
        r.path,
        r.format.as_str(),
        r.rows,
        r.bytes
    );
    let _ = writeln!(
        s,
        "classification: {} ({})",
        r.classification.as_str(),
        r.classification_reasons.join("; ")
    );
    for c in &r.columns {
        if c.counts.is_empty() {
            continue;
        }
        let counts: Vec<String> = c.counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
        let _ = writeln!(
            s,
            "  column {}: {} (rows {:?}{})",
            c.name,
            counts.join(" "),
            c.rows.iter().take(10).collect::<Vec<_>>(),
            if c.rows.len() > 10 { ", ..." } else { "" }
        );
        for e in &c.examples {
            let _ = writeln!(s, "      e.g. {e}");
        }
    }
    if !r.labels.is_empty() {
        let _ = writeln!(
            s,
            "labels ({}): {:?}",
            r.label_column.as_deref().unwrap_or(""),
            r.labels
        );
    }
    for f in &r.findings {
        let _ = writeln!(
            s,
            "  {:<8} {} {}",
            f.severity.as_str().to_uppercase(),
            f.rule_id,
            rampart_core::redact::sanitize_for_display(&f.message)
        );
    }
    if r.read.error_count > 0 {
        let _ = writeln!(s, "read errors: {}", r.read.error_count);
        for e in r.read.errors.iter().take(10) {
            let _ = writeln!(
                s,
                "  line {}: {}",
                e.line,
                rampart_core::redact::sanitize_for_display(&e.message)
            );
        }
    }
    if let Some(st) = &r.read.stopped {
        let _ = writeln!(s, "read stopped early: {st}");
    }
    s
}

/// Add one cell's PII hits (non-empty) to its column's report: counts by
/// kind, the first rows, and up to three redacted examples.
fn record_hits(c: &mut ColumnReport, v: &str, row: u64, hits: &[Hit]) {
    c.rows_with_pii += 1;
    for h in hits {
        *c.counts.entry(h.kind.as_str().to_string()).or_default() += 1;
    }
    if c.rows.len() < 20 {
        c.rows.push(row);
    }
    if c.examples.len() < 3 {
        let red = pii::redact(v, hits);
        c.examples.push(rampart_core::redact::sanitize_for_display(
            &rampart_core::redact::truncate(&red, 120),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column reports as one full detector call per cell would give
    /// them (the scan before its fast path), from an independent read.
    fn reference_columns(path: &Path) -> Vec<ColumnReport> {
        let format = table::detect_format(path).unwrap();
        let mut cols: Vec<ColumnReport> = Vec::new();
        let mut hits = Vec::new();
        table::read_records(path, format, &Limits::default(), |row, _, rec| {
            rec.for_each_field(&mut |col, v| {
                let i = match cols.iter().position(|c| c.name == col) {
                    Some(i) => i,
                    None => {
                        cols.push(ColumnReport {
                            name: col.to_string(),
                            ..Default::default()
                        });
                        cols.len() - 1
                    }
                };
                let c = &mut cols[i];
                if v.is_empty() {
                    return;
                }
                c.filled += 1;
                pii::find_reference(&v, &mut hits);
                if hits.is_empty() {
                    return;
                }
                record_hits(c, &v, row, &hits);
            });
            ControlFlow::Continue(())
        })
        .unwrap();
        cols
    }

    #[test]
    fn column_reports_equal_one_detector_call_per_cell() {
        let d = tempfile::tempdir().unwrap();
        let cells = pii::tests::generated_cells(3000);
        let csv_p = d.path().join("gen.csv");
        let mut w = csv::Writer::from_path(&csv_p).unwrap();
        w.write_record(["id", "text", "note", ""]).unwrap();
        for (i, c) in cells.iter().enumerate() {
            let other = &cells[(i * 7 + 3) % cells.len()];
            let id = i.to_string();
            w.write_record([id.as_str(), c.as_str(), other.as_str(), "x"])
                .unwrap();
        }
        w.flush().unwrap();
        let jl = d.path().join("gen.jsonl");
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            // Rows with different key orders and a varying field set.
            let v = if i % 3 == 0 {
                serde_json::json!({"id": i, "prompt": c, "meta": {"ip": cells[(i + 1) % cells.len()], "n": i % 5}})
            } else {
                serde_json::json!({"meta": {"n": i % 5}, "prompt": c, "id": i})
            };
            s.push_str(&v.to_string());
            s.push('\n');
        }
        std::fs::write(&jl, s).unwrap();
        let opts = ScanOptions {
            no_poison: true,
            ..Default::default()
        };
        for p in [&csv_p, &jl] {
            let got = scan(p, &opts).unwrap();
            let want = reference_columns(p);
            assert_eq!(got.columns, want, "{}", p.display());
            let hits: u64 = got.columns.iter().map(|c| c.rows_with_pii).sum();
            assert!(hits > 1000, "{}: {hits}", p.display());
        }
    }
}

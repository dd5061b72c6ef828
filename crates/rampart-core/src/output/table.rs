//! The human table: one row per finding, severity coloured on a terminal.

use crate::finding::{Finding, Severity};
use crate::redact::sanitize_for_display;

fn paint(s: &str, sev: Severity, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match sev {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// Render findings as an aligned table. Untrusted text (messages, evidence,
/// paths) is stripped of control characters first.
pub fn render(findings: &[Finding], color: bool) -> String {
    if findings.is_empty() {
        return "no findings\n".to_string();
    }
    let rows: Vec<[String; 5]> = findings
        .iter()
        .map(|f| {
            let fw: Vec<String> = f.frameworks.iter().map(|r| r.id.clone()).collect();
            let mut msg = sanitize_for_display(&f.message);
            if let Some(e) = &f.evidence {
                msg.push_str(&format!(" [{}]", sanitize_for_display(e)));
            }
            [
                f.severity.as_str().to_uppercase(),
                f.rule_id.clone(),
                sanitize_for_display(&f.location_string()),
                msg,
                fw.join(","),
            ]
        })
        .collect();
    let headers = ["SEVERITY", "RULE", "LOCATION", "MESSAGE", "FRAMEWORKS"];
    let mut widths = headers.map(|h| h.chars().count());
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(3) {
            widths[i] = widths[i].max(c.chars().count()).min(60);
        }
    }
    let mut out = String::new();
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    out.push_str(&format!(
        "{}  {}  {}  {}  {}\n",
        pad(headers[0], widths[0]),
        pad(headers[1], widths[1]),
        pad(headers[2], widths[2]),
        headers[3],
        headers[4]
    ));
    for (r, f) in rows.iter().zip(findings) {
        out.push_str(&format!(
            "{}  {}  {}  {}  {}\n",
            paint(&pad(&r[0], widths[0]), f.severity, color),
            pad(&r[1], widths[1]),
            pad(&r[2], widths[2]),
            r[3],
            r[4]
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frameworks::Framework;

    #[test]
    fn renders_rows_without_color() {
        let f = Finding::new("RAMP-PI-001", "rules", Severity::High, "override\nattempt")
            .with_framework(Framework::OwaspLlm, "LLM01");
        let t = render(&[f], false);
        assert!(t.contains("HIGH"));
        assert!(t.contains("RAMP-PI-001"));
        assert!(t.contains("LLM01"));
        assert!(!t.contains('\x1b'));
        assert!(
            !t.contains("override\nattempt"),
            "control chars are neutralised"
        );
    }

    #[test]
    fn colors_on_request() {
        let f = Finding::new("X", "d", Severity::Critical, "m");
        assert!(render(&[f], true).contains("\x1b[1;35m"));
    }
}

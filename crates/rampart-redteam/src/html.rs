//! The self-contained HTML report: summary, attack-success-rate bar charts
//! per OWASP category and per strategy (inline SVG), the gate, and every
//! successful attack's transcript with its evidence. No scripts, fonts,
//! images or styles are fetched; every value from a target is escaped.

use crate::judge::Outcome;
use crate::report::{fmt_rate, Report};
use std::fmt::Write;

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// A horizontal bar chart of rates in 0..1.
fn bar_chart(title: &str, rows: &[(String, Option<f64>, usize)]) -> String {
    let row_h = 22;
    let label_w = 260;
    let bar_w = 360;
    let h = 30 + rows.len() * row_h;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{t}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"><text x=\"0\" y=\"16\" class=\"ct\">{t}</text>",
        t = escape(title),
        w = label_w + bar_w + 90
    );
    for (i, (name, rate, tested)) in rows.iter().enumerate() {
        let y = 28 + i * row_h;
        let width = rate
            .map(|r| (r.clamp(0.0, 1.0) * bar_w as f64).round() as usize)
            .unwrap_or(0);
        let color = match rate {
            None => "#bbb",
            Some(r) if *r == 0.0 => "#2e7d32",
            Some(r) if *r < 0.2 => "#f9a825",
            Some(_) => "#c62828",
        };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{ty}\" class=\"cl\">{n}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bar_w}\" height=\"16\" fill=\"#eee\"/><rect x=\"{label_w}\" y=\"{y}\" width=\"{width}\" height=\"16\" fill=\"{color}\"/><text x=\"{tx}\" y=\"{ty}\" class=\"cl\">{r} (n={tested})</text>",
            ty = y + 13,
            n = escape(name),
            tx = label_w + bar_w + 6,
            r = fmt_rate(*rate),
        );
    }
    s.push_str("</svg>");
    s
}

pub fn render(r: &Report) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rampart red-team report</title><style>");
    h.push_str("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}th{background:#f3f3f3}.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}.untested{color:#777;font-weight:bold}pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px;margin:2px 0;font-size:13px}details{border:1px solid #ddd;margin:6px 0;padding:4px 8px}.ct{font:bold 14px sans-serif}.cl{font:12px sans-serif}.role{font-weight:bold;font-size:12px;color:#555}");
    h.push_str("</style></head><body>");
    let _ = write!(
        h,
        "<h1>Rampart red-team report</h1><p>Target: <code>{}</code> · mode {} · seed {} · started {} · {} ms · schema {} v{}</p>",
        escape(&r.run.target),
        escape(&r.run.mode),
        r.run.seed,
        escape(&r.run.started_at),
        r.run.duration_ms,
        escape(&r.schema),
        r.schema_version
    );
    let _ = write!(
        h,
        "<p>Executions {} · tested {} · attacks succeeded <b>{}</b> · refused {} · errors {} · unjudged {} · overall ASR <b>{}</b></p>",
        r.summary.executions, r.summary.tested, r.summary.successes, r.summary.refused, r.summary.errors, r.summary.unjudged, fmt_rate(r.summary.asr)
    );
    let _ = write!(
        h,
        "<h2>Gate: <span class=\"{0}\">{0}</span></h2>",
        escape(&r.gate.status)
    );
    if !r.gate.checks.is_empty() {
        h.push_str("<table><tr><th>key</th><th>max ASR</th><th>ASR</th><th>tested</th><th>result</th></tr>");
        for c in &r.gate.checks {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                escape(&c.key),
                c.max_asr * 100.0,
                fmt_rate(c.asr),
                c.tested,
                if c.passed { "pass" } else { "fail" },
                if c.passed { "pass" } else { "fail" }
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Attack success rate by OWASP category</h2>");
    let rows: Vec<(String, Option<f64>, usize)> = r
        .categories
        .iter()
        .filter(|c| c.status == "tested")
        .map(|c| {
            (
                format!("{} {}", c.id, c.name),
                c.counts.asr,
                c.counts.tested,
            )
        })
        .collect();
    h.push_str(&bar_chart("ASR per category", &rows));
    h.push_str("<table><tr><th>OWASP</th><th>category</th><th>status</th><th>tested</th><th>succeeded</th><th>errors</th><th>ASR</th></tr>");
    for c in &r.categories {
        let status = match c.status.as_str() {
            "not_black_box" => format!(
                "not black-box testable: {}",
                escape(c.pointer.as_deref().unwrap_or(""))
            ),
            s => escape(s),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.id),
            escape(&c.name),
            status,
            c.counts.tested,
            c.counts.successes,
            c.counts.errors,
            fmt_rate(c.counts.asr)
        );
    }
    h.push_str("</table><h2>Attack success rate by strategy</h2>");
    let rows: Vec<(String, Option<f64>, usize)> = r
        .strategies
        .iter()
        .map(|s| (s.name.clone(), s.counts.asr, s.counts.tested))
        .collect();
    h.push_str(&bar_chart("ASR per strategy", &rows));
    h.push_str("<h2>Probes</h2><table><tr><th>probe</th><th>OWASP</th><th>ATLAS</th><th>tested</th><th>succeeded</th><th>errors</th><th>ASR</th></tr>");
    for p in &r.probes {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&p.name),
            escape(p.category.as_deref().unwrap_or("")),
            escape(p.atlas.as_deref().unwrap_or("")),
            p.counts.tested,
            p.counts.successes,
            p.counts.errors,
            fmt_rate(p.counts.asr)
        );
    }
    h.push_str("</table>");
    if !r.notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>");
        for n in &r.notes {
            let _ = write!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>");
    }
    let succ: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.outcome == Outcome::Success)
        .collect();
    let _ = write!(h, "<h2>Successful attacks ({})</h2>", succ.len());
    for x in succ {
        let _ = write!(
            h,
            "<details><summary><b>{}</b> · {} · {} · strategy {}</summary>",
            escape(&x.id),
            escape(&x.category),
            escape(&x.atlas),
            escape(&x.strategy)
        );
        h.push_str("<ul>");
        for e in &x.evidence {
            let _ = write!(
                h,
                "<li>{}{}: {}</li>",
                if e.fired { "&#9888; " } else { "" },
                escape(&e.judge),
                escape(&e.detail)
            );
        }
        h.push_str("</ul>");
        for m in &x.transcript {
            let calls = m
                .tool_calls
                .iter()
                .map(|c| format!("\n[tool call] {}({})", c.name, c.arguments))
                .collect::<String>();
            let _ = write!(
                h,
                "<div class=\"role\">{}</div><pre>{}{}</pre>",
                escape(&m.role),
                escape(&m.content),
                escape(&calls)
            );
        }
        h.push_str("</details>");
    }
    let errs: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.outcome == Outcome::Error)
        .take(50)
        .collect();
    if !errs.is_empty() {
        h.push_str("<h2>Executions that could not be tested (first 50)</h2><ul>");
        for x in errs {
            let _ = write!(
                h,
                "<li>{}: {}</li>",
                escape(&x.id),
                escape(x.error.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_is_self_contained() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        let svg = bar_chart("t", &[("a<b".into(), Some(0.5), 2), ("c".into(), None, 0)]);
        assert!(svg.contains("a&lt;b") && svg.contains("50.0%"));
        assert!(!svg.contains("href"));
    }
}

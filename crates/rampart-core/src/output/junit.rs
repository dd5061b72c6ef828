//! JUnit XML, for CI systems that display test results (red-team gates,
//! scan gates). Text is escaped; control characters that XML 1.0 forbids
//! are dropped.

use std::fmt::Write;

#[derive(Debug, Clone, Default)]
pub struct TestCase {
    pub name: String,
    pub classname: String,
    pub time_secs: f64,
    /// `Some(message, details)` marks a failure.
    pub failure: Option<(String, String)>,
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TestSuite {
    pub name: String,
    pub cases: Vec<TestCase>,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Render suites as one `<testsuites>` document.
pub fn render(suites: &[TestSuite]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.failure.is_some())
        .count();
    let _ = writeln!(
        out,
        "<testsuites name=\"rampart\" tests=\"{total}\" failures=\"{failures}\">"
    );
    for s in suites {
        let f = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let sk = s.cases.iter().filter(|c| c.skipped.is_some()).count();
        let t: f64 = s.cases.iter().map(|c| c.time_secs).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" skipped=\"{sk}\" time=\"{t:.3}\">",
            escape(&s.name),
            s.cases.len()
        );
        for c in &s.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&c.name),
                escape(&c.classname),
                c.time_secs
            );
            if let Some((msg, details)) = &c.failure {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(msg),
                    escape(details)
                );
            } else if let Some(why) = &c.skipped {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(why)
                );
            } else {
                out.push_str("/>\n");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_failures_and_escapes() {
        let s = TestSuite {
            name: "LLM01 <injection>".into(),
            cases: vec![
                TestCase {
                    name: "ok".into(),
                    classname: "c".into(),
                    ..Default::default()
                },
                TestCase {
                    name: "bad\u{1}".into(),
                    classname: "c".into(),
                    failure: Some(("attack succeeded".into(), "a & b".into())),
                    ..Default::default()
                },
            ],
        };
        let x = render(&[s]);
        assert!(x.contains("tests=\"2\" failures=\"1\""));
        assert!(x.contains("LLM01 &lt;injection&gt;"));
        assert!(x.contains("a &amp; b"));
        assert!(!x.contains('\u{1}'));
    }
}

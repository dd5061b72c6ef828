//! The human summary of an inventory: counts, the assets with their facts,
//! the risks by severity and the posture score.

use crate::asset::{AssetKind, Inventory};
use rampart_core::redact::sanitize_for_display;
use std::fmt::Write;

/// Render the text report.
pub fn render(inv: &Inventory) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "AI asset inventory of {}",
        sanitize_for_display(&inv.root)
    );
    let _ = writeln!(
        s,
        "{} files examined, {} assets, {} errors",
        inv.files_seen,
        inv.assets.len(),
        inv.errors.len()
    );
    let _ = writeln!(s);
    let counts: Vec<String> = AssetKind::ALL
        .iter()
        .filter_map(|k| {
            let n = inv.count(*k);
            (n > 0).then(|| format!("{k}: {n}"))
        })
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(s, "  {}", counts.join("  "));
        let _ = writeln!(s);
    }
    for kind in AssetKind::ALL {
        let list: Vec<_> = inv.assets.iter().filter(|a| a.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "{kind}s:");
        for a in list.iter().take(200) {
            let mut facts = Vec::new();
            if let Some(f) = &a.format {
                facts.push(f.clone());
            }
            if let Some(p) = a.properties.get("provider") {
                facts.push(p.clone());
            }
            if let Some(x) = a.properties.get("sdks") {
                facts.push(format!("sdks={x}"));
            }
            if let Some(l) = &a.license {
                facts.push(format!("licence={l}"));
            }
            if let Some(sig) = a.signature {
                match a.properties.get("signature.signer") {
                    Some(who) if sig == crate::asset::SignatureStatus::Verified => {
                        facts.push(format!("signature=verified ({who})"))
                    }
                    _ => facts.push(format!("signature={}", sig.as_str())),
                }
            }
            if let Some(scan) = &a.scan {
                facts.push(format!("scan={}", scan.status));
            }
            if let Some(h) = &a.sha256 {
                facts.push(format!("sha256={}", &h[..12.min(h.len())]));
            }
            if let Some(auth) = a.authenticated {
                facts.push(format!("auth={auth}"));
            }
            let place = if a.path.is_empty() {
                a.properties
                    .get("referenced-by")
                    .map(|r| format!(" (referenced by {r})"))
                    .unwrap_or_default()
            } else if a.name != a.path {
                format!(
                    " ({}{})",
                    a.path,
                    a.line.map(|l| format!(":{l}")).unwrap_or_default()
                )
            } else {
                String::new()
            };
            let mark = match a.max_severity() {
                Some(sev) => format!("[{}] ", sev.as_str().to_uppercase()),
                None => String::new(),
            };
            let _ = writeln!(
                s,
                "  {mark}{}{place}{}",
                sanitize_for_display(&a.name),
                if facts.is_empty() {
                    String::new()
                } else {
                    format!("  {}", sanitize_for_display(&facts.join(", ")))
                }
            );
        }
        if list.len() > 200 {
            let _ = writeln!(s, "  ... and {} more (see --format json)", list.len() - 200);
        }
        let _ = writeln!(s);
    }
    let mut risks: Vec<_> = inv.risks().collect();
    risks.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule_id.cmp(&b.rule_id)));
    if !risks.is_empty() {
        let _ = writeln!(s, "Risks ({}):", risks.len());
        for r in risks.iter().take(100) {
            let fw: Vec<String> = r.frameworks.iter().map(|f| f.to_string()).collect();
            let _ = writeln!(
                s,
                "  {:<8} {} {}  [{}]",
                r.severity.as_str().to_uppercase(),
                r.rule_id,
                sanitize_for_display(&r.message),
                fw.join(" ")
            );
        }
        if risks.len() > 100 {
            let _ = writeln!(s, "  ... and {} more", risks.len() - 100);
        }
        let _ = writeln!(s);
    }
    if !inv.errors.is_empty() {
        let _ = writeln!(s, "Errors ({}):", inv.errors.len());
        for e in inv.errors.iter().take(50) {
            let _ = writeln!(
                s,
                "  {}: {}",
                sanitize_for_display(&e.path),
                sanitize_for_display(&e.message)
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "Posture score: {}/100 (grade {}), risk points P = {}",
        inv.posture.score, inv.posture.grade, inv.posture.penalty
    );
    let _ = writeln!(s, "  {}", inv.posture.formula);
    s
}

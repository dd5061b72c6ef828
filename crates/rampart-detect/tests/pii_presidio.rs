//! PII quality on presidio-research's synthetic data (MIT): F1 >= 0.9 for
//! every pattern entity. A predicted span counts as a true positive when it
//! overlaps a gold span of the same entity type.

use rampart_detect::pii::{find, PiiKind};
use std::collections::BTreeMap;

fn data_dir() -> String {
    std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into())
}

fn entity(k: PiiKind) -> &'static str {
    match k {
        PiiKind::Email => "EMAIL_ADDRESS",
        PiiKind::Phone => "PHONE_NUMBER",
        PiiKind::CreditCard => "CREDIT_CARD",
        PiiKind::Iban => "IBAN_CODE",
        PiiKind::UsSsn => "US_SSN",
        PiiKind::IpAddress => "IP_ADDRESS",
    }
}

#[test]
fn f1_per_entity_on_presidio_synth() {
    let path = format!("{}/pii/presidio_synth_dev.json", data_dir());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (set RAMPART_SHARED_DATA)"));
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let ents: Vec<&str> = PiiKind::ALL.iter().map(|k| entity(*k)).collect();
    let mut tp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fnn: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &records {
        let full = r["full_text"].as_str().unwrap();
        // presidio spans are in characters; ours in bytes.
        let byte_of: Vec<usize> = full
            .char_indices()
            .map(|(i, _)| i)
            .chain([full.len()])
            .collect();
        let gold: Vec<(&str, usize, usize)> = r["spans"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| {
                let e = s["entity_type"].as_str()?;
                let e = *ents.iter().find(|x| **x == e)?;
                let a = byte_of[s["start_position"].as_u64()? as usize];
                let b = byte_of[s["end_position"].as_u64()? as usize];
                Some((e, a, b))
            })
            .collect();
        let pred: Vec<(&str, usize, usize)> = find(full)
            .into_iter()
            .map(|m| (entity(m.kind), m.start, m.end))
            .collect();
        let overlaps = |x: &(&str, usize, usize), y: &(&str, usize, usize)| {
            x.0 == y.0 && x.1 < y.2 && y.1 < x.2
        };
        for g in &gold {
            if pred.iter().any(|p| overlaps(p, g)) {
                *tp.entry(g.0).or_default() += 1;
            } else {
                *fnn.entry(g.0).or_default() += 1;
            }
        }
        for p in &pred {
            if !gold.iter().any(|g| overlaps(p, g)) {
                *fp.entry(p.0).or_default() += 1;
            }
        }
    }
    let mut report = String::new();
    let mut ok = true;
    for e in &ents {
        let (t, f, n) = (
            tp.get(e).copied().unwrap_or(0),
            fp.get(e).copied().unwrap_or(0),
            fnn.get(e).copied().unwrap_or(0),
        );
        let p = t as f64 / (t + f).max(1) as f64;
        let r = t as f64 / (t + n).max(1) as f64;
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        report.push_str(&format!(
            "{e}: tp={t} fp={f} fn={n} P={p:.3} R={r:.3} F1={f1:.3}\n"
        ));
        assert!(t + n > 0, "{e} has gold spans");
        ok &= f1 >= 0.9;
    }
    println!("{report}");
    assert!(ok, "F1 below 0.9:\n{report}");
}

//! Published bypass classes (see `fixtures::bypass`): each sample must get
//! its rule at or above its severity, and a file that cannot be fully parsed
//! must be an error entry whose path is also a finding (exit 2).

use rampart_core::Severity;
use rampart_scan::{fixtures, scan_bytes, scan_paths, ScanOptions};

#[test]
fn every_bypass_class_is_caught() {
    let opts = ScanOptions::default();
    let mut failures = Vec::new();
    for fx in fixtures::bypass::catalogue() {
        let rep = scan_bytes(fx.name, &fx.bytes, &opts);
        let got: Vec<(&str, Severity, &str)> = rep
            .findings
            .iter()
            .map(|f| (f.rule_id.as_str(), f.severity, f.message.as_str()))
            .collect();
        if !rep.findings.iter().any(|f| f.rule_id == fx.rule) {
            failures.push(format!(
                "{} ({}): no {}: {got:?}",
                fx.name, fx.technique, fx.rule
            ));
        }
        if rep.max_severity() < Some(fx.min) {
            failures.push(format!(
                "{} ({}): highest severity {:?}, want >= {:?}: {got:?}",
                fx.name,
                fx.technique,
                rep.max_severity(),
                fx.min
            ));
        }
        if fx.error {
            if rep.errors.is_empty() || rep.exit_code(Severity::Critical) != 2 {
                failures.push(format!(
                    "{} ({}): must be an error entry (exit 2): {got:?}",
                    fx.name, fx.technique
                ));
            }
            for e in &rep.errors {
                let has_finding = rep.findings.iter().any(|f| {
                    f.location.as_ref().and_then(|l| l.path.as_deref()) == Some(e.path.as_str())
                });
                if !has_finding {
                    failures.push(format!("{}: error without a finding: {e:?}", fx.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bypass_samples_on_disk_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let cat = fixtures::bypass::catalogue();
    for fx in &cat {
        std::fs::write(dir.path().join(fx.name), &fx.bytes).unwrap();
    }
    let rep = scan_paths(&[dir.path().to_path_buf()], &ScanOptions::default());
    assert_eq!(rep.summary.files_scanned, cat.len());
    assert_eq!(rep.exit_code(Severity::High), 2);
    for fx in &cat {
        let worst = rep
            .findings
            .iter()
            .filter(|f| {
                f.location
                    .as_ref()
                    .and_then(|l| l.path.as_deref())
                    .is_some_and(|p| p.contains(fx.name))
            })
            .map(|f| f.severity)
            .max();
        assert!(worst >= Some(fx.min), "{}: {worst:?}", fx.name);
    }
}

#[test]
fn benign_twins_of_the_new_containers_stay_clean() {
    use fixtures::zip::{ZipBuilder, ZipMember};
    let opts = ScanOptions::default();
    let arr = fixtures::npy("<f4", "(2,)", &[0u8; 8]);
    let bz = {
        use std::io::Write;
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(&arr).unwrap();
        e.finish().unwrap()
    };
    let npz = ZipBuilder::new()
        .member(ZipMember::stored("arr_0.npy", &arr).with_method(12, bz))
        .build();
    let rep = scan_bytes("ok.npz", &npz, &opts);
    assert!(
        rep.findings.is_empty() && rep.errors.is_empty(),
        "{:?} {:?}",
        rep.findings,
        rep.errors
    );
    // A legacy PyTorch file: five pickles, then raw tensor bytes.
    let mut legacy = fixtures::pickle::benign_ordered_dict();
    legacy.extend(fixtures::pickle::torch_state_dict(2, 4));
    legacy.extend((0..32u32).flat_map(|x| (x as f32 * 0.25).to_le_bytes()));
    let rep = scan_bytes("legacy.pt", &legacy, &opts);
    assert!(
        rep.max_severity() < Some(Severity::High) && rep.errors.is_empty(),
        "{:?} {:?}",
        rep.findings,
        rep.errors
    );
}

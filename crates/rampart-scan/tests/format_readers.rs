//! The format readers' hunt (ONNX, SavedModel, MLmodel, safetensors):
//! model directories on disk, and the files those readers must leave
//! clean.

use rampart_core::Severity;
use rampart_scan::{fixtures, scan_bytes, scan_paths, ScanOptions, ScanReport};
use std::path::Path;

fn worst_at(rep: &ScanReport, file: &str) -> Option<Severity> {
    rep.findings
        .iter()
        .filter(|f| {
            f.location
                .as_ref()
                .and_then(|l| l.path.as_deref())
                .is_some_and(|p| p.ends_with(file))
        })
        .map(|f| f.severity)
        .max()
}

fn write(dir: &Path, name: &str, body: &[u8]) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

const SHADOW: &str = "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    code: code\n    model_path: model.pkl\nmlflow_version: 3.17.2\n";

/// `loader_module: mlflow.sklearn` with a bundled `code/sklearn.py`:
/// mlflow puts `code` first on sys.path and drops `sklearn` from
/// sys.modules, so the unpickling imports the bundled file.
#[test]
fn mlflow_code_directory_with_python_is_high() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "MLmodel", SHADOW.as_bytes());
    write(
        d,
        "code/sklearn.py",
        b"import pathlib\npathlib.Path('/tmp/x').write_text('ran')\n",
    );
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    assert_eq!(
        worst_at(&rep, "MLmodel"),
        Some(Severity::High),
        "{:?}",
        rep.findings
    );
    let f = rep
        .findings
        .iter()
        .find(|f| f.rule_id == "RAMP-MLFLOW-001")
        .unwrap();
    assert!(f.message.contains("sklearn"), "{}", f.message);

    // A module nested deeper, or a package, is the same.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "MLmodel", SHADOW.as_bytes());
    write(d, "code/helpers/util.py", b"X = 1\n");
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    assert_eq!(
        worst_at(&rep, "MLmodel"),
        Some(Severity::High),
        "{:?}",
        rep.findings
    );

    // A code directory without Python, or none at all: medium.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "MLmodel", SHADOW.as_bytes());
    write(d, "code/README.txt", b"notes\n");
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    assert_eq!(
        worst_at(&rep, "MLmodel"),
        Some(Severity::Medium),
        "{:?}",
        rep.findings
    );
}

#[test]
fn mlmodel_that_is_not_yaml_is_medium_and_still_searched() {
    let opts = ScanOptions::default();
    // A tab where YAML wants spaces, and the key the pattern still sees.
    let t = "flavors:\n  python_function:\n\tloader_module: custom_loader\n";
    let rep = scan_bytes("MLmodel", t.as_bytes(), &opts);
    assert_eq!(
        rep.max_severity(),
        Some(Severity::High),
        "{:?}",
        rep.findings
    );
    assert!(rep.findings.iter().any(|f| f.message.contains("not YAML")));
    let rep = scan_bytes("MLmodel", b"flavors: [unclosed\n", &opts);
    assert_eq!(
        rep.max_severity(),
        Some(Severity::Medium),
        "{:?}",
        rep.findings
    );
}

#[test]
fn onnx_directory_with_an_unknown_field_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut m = vec![0x7a, 0x00];
    m.extend(fixtures::onnx("", Some("weights/../../../../etc/passwd")));
    write(d, "model.onnx", &m);
    write(d, "weights/README", b"weights\n");
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    assert_eq!(
        worst_at(&rep, "model.onnx"),
        Some(Severity::High),
        "{:?}",
        rep.findings
    );
}

/// Files these readers must leave clean: sub-byte safetensors dtypes as
/// safetensors 0.8 writes them, ONNX models with unknown fields and
/// groups and data beside them, MLmodels of mlflow's own flavours.
#[test]
fn benign_twins_of_the_format_readers_stay_clean() {
    let opts = ScanOptions::default();
    let st = |dtype: &str, shape: &str, n: usize| {
        fixtures::safetensors(
            &format!(r#"{{"w":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[0,{n}]}}}}  "#),
            n,
        )
    };
    let mut onnx_unknown = vec![0x7a, 0x00, 0x9b, 0x06, 0x9c, 0x06];
    onnx_unknown.extend(fixtures::onnx("", Some("weights.bin")));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("f4.safetensors", st("F4", "[4]", 2)),
        ("f6_e2m3.safetensors", st("F6_E2M3", "[4]", 3)),
        ("f6_e3m2.safetensors", st("F6_E3M2", "[4]", 3)),
        ("f8_e8m0.safetensors", st("F8_E8M0", "[3]", 3)),
        ("unknown_fields.onnx", onnx_unknown),
        (
            "MLmodel",
            b"flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    env:\n      conda: conda.yaml\n  sklearn:\n    pickled_model: model.pkl\n    code: null\n".to_vec(),
        ),
    ];
    for (name, bytes) in &cases {
        let rep = scan_bytes(name, bytes, &opts);
        assert!(
            rep.findings.is_empty() && rep.errors.is_empty(),
            "{name}: {:?} {:?}",
            rep.findings,
            rep.errors
        );
    }
    // Text named .onnx is read as a model, with a medium finding only.
    let rep = scan_bytes("notes.onnx", b"not a model\n", &opts);
    assert!(
        rep.max_severity() <= Some(Severity::Medium),
        "{:?}",
        rep.findings
    );
}

//! The AI-BOM validates against the official CycloneDX 1.6 JSON schema
//! (the copy shipped by `cyclonedx-python-lib`, resolved offline), and the
//! cyclonedx-python-lib validator accepts it. A missing venv or schema is a
//! loud failure, never a skip: run `scripts/test.sh` (it builds the venv).

mod common;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn python() -> String {
    std::env::var("RAMPART_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/rampart-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    })
}

fn schema_dir() -> PathBuf {
    if let Ok(d) = std::env::var("RAMPART_CDX_SCHEMA_DIR") {
        return PathBuf::from(d);
    }
    let py = python();
    let out = Command::new(&py)
        .args(["-c", "import cyclonedx.schema, os; print(os.path.join(os.path.dirname(cyclonedx.schema.__file__), '_res'))"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {py} ({e}): build the test venv with scripts/test.sh or set RAMPART_CDX_SCHEMA_DIR"));
    assert!(
        out.status.success(),
        "cyclonedx-python-lib is not importable by {py}: {}\nrun scripts/test.sh (installs scripts/requirements-test.txt) or set RAMPART_CDX_SCHEMA_DIR",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn load(dir: &std::path::Path, name: &str) -> Value {
    let p = dir.join(name);
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("missing CycloneDX schema file {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn bom() -> (Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    common::build_repo(dir.path());
    let inv = rampart_inventory::inventory(
        &[dir.path().to_path_buf()],
        &rampart_inventory::Options::default(),
    );
    (rampart_inventory::cyclonedx::to_cyclonedx(&inv), dir)
}

#[test]
fn bom_validates_against_the_official_1_6_schema() {
    let dir = schema_dir();
    let schema = load(&dir, "bom-1.6.SNAPSHOT.schema.json");
    let spdx = load(&dir, "spdx.SNAPSHOT.schema.json");
    let jsf = load(&dir, "jsf-0.82.SNAPSHOT.schema.json");
    let mut opts = jsonschema::options();
    opts.with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true);
    // The bom schema refers to its siblings relative to its $id; register
    // both spellings so resolution never goes to the network.
    for (name, doc) in [
        ("spdx.SNAPSHOT.schema.json", &spdx),
        ("spdx.schema.json", &spdx),
        ("jsf-0.82.SNAPSHOT.schema.json", &jsf),
        ("jsf-0.82.schema.json", &jsf),
    ] {
        opts.with_resource(
            format!("http://cyclonedx.org/schema/{name}"),
            jsonschema::Resource::from_contents(doc.clone()).unwrap(),
        );
    }
    let validator = opts.build(&schema).expect("schema compiles offline");
    let (bom, _d) = bom();
    let errors: Vec<String> = validator
        .iter_errors(&bom)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "CycloneDX 1.6 schema errors:\n{}",
        errors.join("\n")
    );

    // The BOM says what it should.
    let comps = bom["components"].as_array().unwrap();
    let models: Vec<&Value> = comps
        .iter()
        .filter(|c| c["type"] == "machine-learning-model")
        .collect();
    assert!(
        models.len() >= 5,
        "local and referenced models: {}",
        models.len()
    );
    let pkl = models
        .iter()
        .find(|c| c["name"] == "models/clf/model.pkl")
        .expect("pickle model");
    assert_eq!(
        pkl["modelCard"]["modelParameters"]["modelArchitecture"],
        "DistilBertForSequenceClassification"
    );
    assert_eq!(
        pkl["modelCard"]["modelParameters"]["task"],
        "text-classification"
    );
    assert_eq!(
        pkl["modelCard"]["modelParameters"]["datasets"][0]["ref"],
        "dataset:huggingface/imdb"
    );
    assert_eq!(pkl["licenses"][0]["license"]["id"], "Apache-2.0");
    assert_eq!(pkl["hashes"][0]["alg"], "SHA-256");
    assert!(comps
        .iter()
        .any(|c| c["type"] == "data" && c["data"][0]["type"] == "dataset"));
    let services = bom["services"].as_array().unwrap();
    assert!(services
        .iter()
        .any(|s| s["name"].as_str().unwrap().contains("OpenAI")));
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert!(vulns
        .iter()
        .any(|v| v["id"] == "RAMP-INV-001" && v["cwes"][0] == 502));
    // Dependencies only name refs that exist.
    let refs: std::collections::BTreeSet<&str> = comps
        .iter()
        .chain(services.iter())
        .filter_map(|c| c["bom-ref"].as_str())
        .chain(["rampart:inventory-root"])
        .collect();
    for d in bom["dependencies"].as_array().unwrap() {
        assert!(refs.contains(d["ref"].as_str().unwrap()));
        for on in d["dependsOn"].as_array().unwrap() {
            assert!(
                refs.contains(on.as_str().unwrap()),
                "dangling dependency {on}"
            );
        }
    }
    let text = bom.to_string();
    assert!(
        !text.contains(&common::fake_openai_key()) && !text.contains(&common::fake_anthropic_key()),
        "no key value in the BOM"
    );
}

#[test]
fn cyclonedx_python_lib_accepts_the_bom() {
    let (bom, d) = bom();
    let p = d.path().join("bom.cdx.json");
    std::fs::write(&p, serde_json::to_string_pretty(&bom).unwrap()).unwrap();
    let script = "import sys\nfrom cyclonedx.schema import SchemaVersion\nfrom cyclonedx.validation.json import JsonStrictValidator\nerr = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\nprint(repr(err) if err else 'valid')\nsys.exit(1 if err else 0)\n";
    let py = python();
    let out = Command::new(&py)
        .args(["-c", script])
        .arg(&p)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {py} ({e}): build the test venv with scripts/test.sh")
        });
    assert!(
        out.status.success(),
        "cyclonedx-python-lib rejected the BOM: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid");
}

//! Discovery on a fixture repository with one of every asset kind, planted
//! risks and bad inputs; and on the shared public data folder.

mod common;

use rampart_inventory::{AssetKind, Inventory, SignatureStatus};

fn run() -> (Inventory, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    common::build_repo(dir.path());
    let inv = rampart_inventory::inventory(
        &[dir.path().to_path_buf()],
        &rampart_inventory::Options::default(),
    );
    (inv, dir)
}

fn rules(inv: &Inventory, path: &str) -> Vec<String> {
    inv.assets
        .iter()
        .filter(|a| a.path == path)
        .flat_map(|a| a.risks.iter().map(|r| r.rule_id.clone()))
        .collect()
}

#[test]
fn finds_every_kind_of_asset() {
    let (inv, _d) = run();
    let summary = rampart_inventory::summary::render(&inv);
    let get = |id: &str| {
        inv.get(id)
            .unwrap_or_else(|| panic!("missing {id}\n{summary}"))
    };
    // Models by content, with facts attached.
    let pkl = get("model:models/clf/model.pkl");
    assert_eq!(pkl.format.as_deref(), Some("pickle"));
    assert_eq!(pkl.license.as_deref(), Some("apache-2.0"));
    assert_eq!(pkl.scan.as_ref().unwrap().status, "findings");
    assert_eq!(pkl.signature, Some(SignatureStatus::Unsigned));
    assert_eq!(pkl.sha256.as_ref().unwrap().len(), 64);
    assert!(pkl
        .depends_on
        .contains(&"dataset:huggingface/imdb".to_string()));
    assert!(pkl
        .depends_on
        .contains(&"model:huggingface/distilbert/distilbert-base-uncased".to_string()));
    let st = get("model:models/llm/model.safetensors");
    assert_eq!(st.signature, Some(SignatureStatus::Present));
    assert_eq!(st.license.as_deref(), Some("MIT"));
    assert!(st.risks.is_empty(), "{:?}", st.risks);
    assert_eq!(get("model:models/tiny.bin").format.as_deref(), Some("gguf"));
    // Referenced models.
    assert_eq!(
        get("model:huggingface/mistralai/Mistral-7B-v0.1").properties["pinned"],
        "false"
    );
    get("model:openai/gpt-4o-mini");
    get("model:anthropic/claude-3-5-sonnet-latest");
    // Datasets, cards, configs, notebooks, code.
    assert_eq!(
        get("dataset:data/train.csv").license.as_deref(),
        Some("MIT")
    );
    assert_eq!(
        get("dataset:data/train.csv").properties["columns"],
        "text,label"
    );
    get("dataset:data/chat.jsonl");
    assert_eq!(
        get("dataset:data/broken.parquet").format.as_deref(),
        Some("parquet")
    );
    get("model-card:models/clf/README.md");
    get("model-config:models/clf/config.json");
    assert!(get("notebook:notebooks/explore.ipynb").properties["sdks"].contains("anthropic"));
    assert!(get("code:src/app.py").properties["sdks"].contains("openai"));
    assert!(get("code:src/agent.ts").properties["sdks"].contains("anthropic"));
    // Services.
    let kinds = |k: AssetKind| {
        inv.assets
            .iter()
            .filter(|a| a.kind == k)
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(AssetKind::McpServer).len(), 2, "{summary}");
    assert_eq!(kinds(AssetKind::CloudService).len(), 2, "{summary}");
    assert!(
        kinds(AssetKind::VectorStore).iter().any(|n| n == "qdrant"),
        "{summary}"
    );
    assert!(
        kinds(AssetKind::Endpoint)
            .iter()
            .any(|n| n == "Deployment/vllm"),
        "{summary}"
    );
    assert!(
        kinds(AssetKind::Endpoint)
            .iter()
            .any(|n| n.contains("api.openai.com")),
        "{summary}"
    );
    assert_eq!(kinds(AssetKind::Credential).len(), 2, "{summary}");
    // Nothing about the plain README.
    assert!(inv.assets.iter().all(|a| a.path != "README.md"));
}

#[test]
fn attaches_risks_with_framework_mappings() {
    let (inv, _d) = run();
    let pkl = rules(&inv, "models/clf/model.pkl");
    for r in ["RAMP-INV-001", "RAMP-INV-002", "RAMP-INV-012"] {
        assert!(pkl.contains(&r.to_string()), "{r} in {pkl:?}");
    }
    assert!(rules(&inv, "src/app.py").contains(&"RAMP-INV-004".to_string()));
    assert!(rules(&inv, "src/app.py").contains(&"RAMP-INV-005".to_string()));
    let nb_key = inv
        .assets
        .iter()
        .find(|a| a.kind == AssetKind::Credential && a.path == "notebooks/explore.ipynb")
        .unwrap();
    assert_eq!(
        nb_key.risks[0].severity,
        rampart_core::Severity::Critical,
        "a key in a notebook is critical"
    );
    assert!(rules(&inv, ".cursor/mcp.json").contains(&"RAMP-INV-007".to_string()));
    assert!(rules(&inv, "docker-compose.yml").contains(&"RAMP-INV-013".to_string()));
    assert!(rules(&inv, ".env").contains(&"RAMP-INV-006".to_string()));
    for r in inv.risks() {
        assert!(!r.frameworks.is_empty(), "{} has no mapping", r.rule_id);
        for f in &r.frameworks {
            assert!(f.name().is_some(), "{f} is not in the framework catalogue");
        }
    }
    let json = serde_json::to_string(&inv).unwrap();
    assert!(
        !json.contains(&common::fake_openai_key()) && !json.contains(&common::fake_anthropic_key())
    );
    assert!(!rampart_inventory::summary::render(&inv).contains(&common::fake_openai_key()));
    assert!(inv.posture.score < 100 && inv.posture.score > 0);
}

#[test]
fn bad_inputs_become_errors_and_the_run_goes_on() {
    let (inv, d) = run();
    let err = |p: &str| inv.errors.iter().any(|e| e.path == p);
    assert!(err("data/broken.parquet"), "{:?}", inv.errors);
    assert!(err("data/bad.jsonl"), "{:?}", inv.errors);
    assert!(err("src/fake.py"), "{:?}", inv.errors);
    // An unreadable directory is an error entry, not a crash (root can
    // read anything, so only check when permissions bite).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = d.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::write(locked.join("m.pkl"), b"\x80\x02}.").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let bites = std::fs::read_dir(&locked).is_err();
        let inv2 = rampart_inventory::inventory(
            &[d.path().to_path_buf()],
            &rampart_inventory::Options::default(),
        );
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        if bites {
            assert!(
                inv2.errors.iter().any(|e| e.path.contains("locked")),
                "{:?}",
                inv2.errors
            );
        }
        assert!(inv2.get("model:models/clf/model.pkl").is_some());
    }
    // A missing root is an error too.
    let inv3 = rampart_inventory::inventory(
        &[d.path().join("nope")],
        &rampart_inventory::Options::default(),
    );
    assert_eq!(inv3.errors.len(), 1);
    assert!(inv3.assets.is_empty());
}

#[test]
fn swapped_model_is_a_change_in_the_diff() {
    let (old, d) = run();
    std::fs::write(
        d.path().join("models/tiny.bin"),
        b"GGUF\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00",
    )
    .unwrap();
    std::fs::remove_file(d.path().join("data/chat.jsonl")).unwrap();
    std::fs::write(d.path().join("models/new.safetensors"), {
        let mut v = 2u64.to_le_bytes().to_vec();
        v.extend_from_slice(b"{}");
        v
    })
    .unwrap();
    let new = rampart_inventory::inventory(
        &[d.path().to_path_buf()],
        &rampart_inventory::Options::default(),
    );
    for (a, b) in [
        (
            serde_json::to_string(&old).unwrap(),
            serde_json::to_string(&new).unwrap(),
        ),
        (
            rampart_inventory::cyclonedx::to_cyclonedx(&old).to_string(),
            rampart_inventory::cyclonedx::to_cyclonedx(&new).to_string(),
        ),
    ] {
        let diff = rampart_inventory::diff::diff(
            &rampart_inventory::diff::load(&a).unwrap(),
            &rampart_inventory::diff::load(&b).unwrap(),
        );
        let appeared: Vec<&str> = diff.appeared.iter().map(|x| x.0.as_str()).collect();
        let gone: Vec<&str> = diff.disappeared.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(appeared, ["model:models/new.safetensors"]);
        assert_eq!(gone, ["dataset:data/chat.jsonl"]);
        let ch = diff
            .changed
            .iter()
            .find(|c| c.id == "model:models/tiny.bin")
            .expect("swap detected");
        assert!(ch.changes.keys().any(|k| k.starts_with("sha256")), "{ch:?}");
        assert_eq!(diff.changed.len(), 1, "{:?}", diff.changed);
    }
}

#[test]
fn inventories_the_shared_public_data() {
    let root = std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into());
    let root = std::path::PathBuf::from(root);
    assert!(
        root.is_dir(),
        "shared data not found at {} (set RAMPART_SHARED_DATA)",
        root.display()
    );
    let inv = rampart_inventory::inventory(&[root], &rampart_inventory::Options::default());
    let ds = inv
        .get("dataset:injection/jailbreak_classification_train.csv")
        .expect("labelled CSV listed");
    assert_eq!(ds.properties["columns"], "prompt,type");
    assert_eq!(
        ds.license.as_deref(),
        Some("MIT"),
        "LICENSE.* beside the data"
    );
    // The picklescan corpus holds real pickles: they are models in pickle format.
    assert!(inv.assets.iter().any(|a| a.kind == AssetKind::Model
        && a.format.as_deref() == Some("pickle")
        && a.path.starts_with("pickles/")));
}

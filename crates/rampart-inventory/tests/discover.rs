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
    // Signed, but no trusted signers are configured: deny by default.
    assert_eq!(st.signature, Some(SignatureStatus::Unverified));
    assert_eq!(st.license.as_deref(), Some("MIT"));
    assert_eq!(
        rules(&inv, "models/llm/model.safetensors"),
        ["RAMP-INV-015"]
    );
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

/// A model directory signed with `rampart-sign`; the inventory verifies it
/// against the configured trusted keys.
mod signatures {
    use rampart_inventory::signature::Trust;
    use rampart_inventory::{Inventory, Options, SignatureStatus};
    use rampart_sign::{Curve, HashOptions, KeySigner, PrivateKey, TrustConfig};
    use std::path::Path;
    use std::sync::Arc;

    fn trust_with(dir: &Path, keys: &[&PrivateKey]) -> Option<Arc<Trust>> {
        let mut cfg = TrustConfig::default();
        for (i, k) in keys.iter().enumerate() {
            let p = dir.join(format!("trusted-{i}.pub"));
            std::fs::write(&p, k.public_key().to_pem()).unwrap();
            cfg.public_keys.push(p);
        }
        Some(Arc::new(Trust::new(cfg).unwrap()))
    }

    fn inventory(root: &Path, trust: Option<Arc<Trust>>) -> Inventory {
        rampart_inventory::inventory(
            &[root.to_path_buf()],
            &Options {
                trust,
                ..Options::default()
            },
        )
    }

    fn status(inv: &Inventory) -> (Option<SignatureStatus>, Vec<String>) {
        let a = inv
            .get("model:repo/models/llm/model.safetensors")
            .unwrap_or_else(|| panic!("{}", rampart_inventory::summary::render(inv)));
        (
            a.signature,
            a.risks.iter().map(|r| r.rule_id.clone()).collect(),
        )
    }

    #[test]
    fn verified_invalid_unverified_and_unsigned() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("repo");
        let model = root.join("models/llm");
        std::fs::create_dir_all(&model).unwrap();
        std::fs::write(
            model.join("model.safetensors"),
            super::common::safetensors(),
        )
        .unwrap();
        std::fs::write(model.join("config.json"), r#"{"model_type": "llama"}"#).unwrap();
        std::fs::write(model.join("LICENSE"), "MIT License\n").unwrap();
        let key = PrivateKey::generate(Curve::P256);
        let other = PrivateKey::generate(Curve::P256);

        // Unsigned.
        let inv = inventory(d.path(), trust_with(d.path(), &[&key]));
        assert_eq!(
            status(&inv),
            (Some(SignatureStatus::Unsigned), vec!["RAMP-INV-002".into()])
        );

        rampart_sign::sign_dir(
            &model,
            &KeySigner::new(key.clone()),
            &HashOptions::default(),
            &model.join("model.sig"),
        )
        .unwrap();

        // Signed by a trusted key, content intact: verified, with the signer.
        let inv = inventory(d.path(), trust_with(d.path(), &[&other, &key]));
        assert_eq!(status(&inv), (Some(SignatureStatus::Verified), vec![]));
        let a = inv.get("model:repo/models/llm/model.safetensors").unwrap();
        let hint = key.public_key().hint();
        assert!(
            a.properties["signature.signer"].contains(&hint),
            "{:?}",
            a.properties
        );
        assert_eq!(a.properties["signature.file"], "repo/models/llm/model.sig");

        // Deny by default: no trusted keys, never verified.
        let inv = inventory(d.path(), None);
        assert_eq!(
            status(&inv),
            (
                Some(SignatureStatus::Unverified),
                vec!["RAMP-INV-015".into()]
            )
        );
        let inv = inventory(
            d.path(),
            Some(Arc::new(Trust::new(TrustConfig::default()).unwrap())),
        );
        assert_eq!(status(&inv).0, Some(SignatureStatus::Unverified));
        // Signed by a key that is not trusted: unverified (medium), not invalid.
        let inv = inventory(d.path(), trust_with(d.path(), &[&other]));
        let (st, risks) = status(&inv);
        assert_eq!(
            (st, risks.clone()),
            (
                Some(SignatureStatus::Unverified),
                vec!["RAMP-INV-015".to_string()]
            )
        );
        let a = inv.get("model:repo/models/llm/model.safetensors").unwrap();
        assert_eq!(a.risks[0].severity, rampart_core::Severity::Medium);
        assert!(a.properties["signature.reason"].contains("not trusted"));

        // A file modified after signing: invalid, a critical risk naming it.
        std::fs::write(model.join("config.json"), r#"{"model_type": "evil"}"#).unwrap();
        let inv = inventory(d.path(), trust_with(d.path(), &[&key]));
        assert_eq!(
            status(&inv),
            (Some(SignatureStatus::Invalid), vec!["RAMP-INV-003".into()])
        );
        let a = inv.get("model:repo/models/llm/model.safetensors").unwrap();
        assert_eq!(a.risks[0].severity, rampart_core::Severity::Critical);
        assert!(
            a.risks[0].message.contains("modified: config.json"),
            "{}",
            a.risks[0].message
        );

        // A signature file edited by hand: invalid as well.
        let sig = std::fs::read_to_string(model.join("model.sig")).unwrap();
        std::fs::write(model.join("config.json"), r#"{"model_type": "llama"}"#).unwrap();
        let v: serde_json::Value = serde_json::from_str(&sig).unwrap();
        let mut v = v;
        let s = v["dsseEnvelope"]["signatures"][0]["sig"]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = if s.starts_with('M') {
            s.replacen('M', "N", 1)
        } else {
            format!("M{}", &s[1..])
        };
        v["dsseEnvelope"]["signatures"][0]["sig"] = serde_json::Value::String(flipped);
        std::fs::write(model.join("model.sig"), serde_json::to_vec(&v).unwrap()).unwrap();
        let inv = inventory(d.path(), trust_with(d.path(), &[&key]));
        assert_eq!(status(&inv).0, Some(SignatureStatus::Invalid));
    }

    #[test]
    fn a_signature_beside_the_model_directory_signs_it() {
        // model_signing writes `model.sig` next to the directory it signs.
        let d = tempfile::tempdir().unwrap();
        let model = d.path().join("repo/models/llm");
        std::fs::create_dir_all(&model).unwrap();
        std::fs::write(
            model.join("model.safetensors"),
            super::common::safetensors(),
        )
        .unwrap();
        std::fs::write(
            d.path().join("repo/models/other.txt"),
            "not part of the model",
        )
        .unwrap();
        let key = PrivateKey::generate(Curve::P384);
        rampart_sign::sign_dir(
            &model,
            &KeySigner::new(key.clone()),
            &HashOptions::default(),
            &d.path().join("repo/models/model.sig"),
        )
        .unwrap();
        let inv = inventory(d.path(), trust_with(d.path(), &[&key]));
        assert_eq!(status(&inv).0, Some(SignatureStatus::Verified));
    }
}

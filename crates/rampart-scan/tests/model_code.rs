//! Code that a model runs on load and that lies beside it or inside it:
//! `transformers` remote code named by `auto_map`, Python members of
//! archives, and ONNX external data reached through a symbolic link.

use rampart_core::Severity;
use rampart_scan::{fixtures, scan_paths, ScanOptions};
use std::path::Path;

fn rules_at(rep: &rampart_scan::ScanReport, file: &str) -> Vec<String> {
    rep.findings
        .iter()
        .filter(|f| {
            f.location
                .as_ref()
                .and_then(|l| l.path.as_deref())
                .is_some_and(|p| p.ends_with(file))
        })
        .map(|f| f.rule_id.clone())
        .collect()
}

/// One NodeDef as a GraphDef holds it (field 1).
fn graph_node(name: &str, op: &str, inputs: &[&str], attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Vec::new();
    fixtures::pb_bytes(&mut b, 1, &fixtures::tf_node(name, op, inputs, attrs));
    b
}

/// Scans a SavedModel around `graph` and asserts that a finding names
/// each of `wants`.
fn assert_tf_paths(graph: &[u8], wants: &[&str]) {
    let rep = rampart_scan::scan_bytes(
        "saved_model.pb",
        &fixtures::saved_model_of(graph),
        &ScanOptions::default(),
    );
    let msgs: Vec<&str> = rep.findings.iter().map(|f| f.message.as_str()).collect();
    for want in wants {
        assert!(msgs.iter().any(|m| m.contains(want)), "{want}: {msgs:?}");
    }
}

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

const CONFIG: &str = r#"{"model_type": "x", "architectures": ["XModel"],
  "auto_map": {"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel"}}"#;

#[test]
fn auto_map_modules_on_disk_are_read_with_their_relative_imports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "config.json", CONFIG);
    write(
        d,
        "configuration_x.py",
        "from transformers import PretrainedConfig\nclass XConfig(PretrainedConfig):\n    model_type = 'x'\n",
    );
    write(
        d,
        "modeling_x.py",
        "import torch\nfrom .utils_x import helper\nclass XModel(torch.nn.Module):\n    \"\"\"Never calls os.system.\"\"\"\n    pass\n",
    );
    // Only reached through modeling_x's relative import.
    write(
        d,
        "utils_x.py",
        "import base64\ndef helper():\n    pass\nexec(base64.b64decode('cHJpbnQoMSk='))\n",
    );
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    assert_eq!(rules_at(&rep, "config.json"), vec!["RAMP-HF-001"]);
    let utils: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| f.rule_id == "RAMP-PY-001")
        .collect();
    assert_eq!(utils.len(), 1, "{:?}", rep.findings);
    let loc = utils[0]
        .location
        .as_ref()
        .and_then(|l| l.path.as_deref())
        .unwrap();
    assert!(loc.ends_with("utils_x.py"), "{loc}");
    assert!(utils[0].message.contains("line 4"), "{}", utils[0].message);
    assert_eq!(rep.exit_code(Severity::High), 1);
}

#[test]
fn benign_remote_code_is_reported_once_and_python_files_alone_are_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "config.json", CONFIG);
    write(
        d,
        "modeling_x.py",
        "import os\nimport torch\nPATH = os.path.join('a', 'b')\n",
    );
    // A script of the user's own, named by no config: not a model's code.
    write(
        d,
        "train.py",
        "import subprocess\nsubprocess.run(['nvidia-smi'])\n",
    );
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    let ids: Vec<_> = rep.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["RAMP-HF-001"], "{:?}", rep.findings);

    // A config without a mapping is plain JSON.
    let plain = tempfile::tempdir().unwrap();
    write(
        plain.path(),
        "config.json",
        r#"{"model_type": "bert", "hidden_size": 768}"#,
    );
    let rep = scan_paths(&[plain.path().to_path_buf()], &ScanOptions::default());
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}

#[test]
fn python_members_of_archives_are_judged_and_torchscript_code_is_not_flagged() {
    use fixtures::bypass::torch_zip_with_code;
    let benign = torch_zip_with_code(
        "archive/code/__torch__/m.py",
        b"class M(Module):\n  __parameters__ = []\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return torch.relu(x)\n",
    );
    let rep = rampart_scan::scan_bytes("ok.pt", &benign, &ScanOptions::default());
    assert!(
        !rep.findings.iter().any(|f| f.rule_id == "RAMP-PY-001"),
        "{:?}",
        rep.findings
    );
    let evil = torch_zip_with_code(
        "archive/code/__torch__/m.py",
        b"class M(Module):\n  def __setstate__(self, s):\n    t = torch.from_file(\"/tmp/x\", True, 8)\n",
    );
    let rep = rampart_scan::scan_bytes("bad.pt", &evil, &ScanOptions::default());
    let f = rep
        .findings
        .iter()
        .find(|f| f.rule_id == "RAMP-PY-001")
        .expect("PY-001");
    assert!(
        f.message.contains("line 3: torch.from_file"),
        "{}",
        f.message
    );
}

#[cfg(unix)]
#[test]
fn onnx_external_data_through_a_symlink_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("id_rsa");
    std::fs::write(&secret, b"not a key").unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("model.onnx"),
        fixtures::onnx("", Some("weights.bin")),
    )
    .unwrap();
    std::os::unix::fs::symlink(&secret, d.join("weights.bin")).unwrap();
    // A directory link on the way is the same escape.
    std::os::unix::fs::symlink(outside.path(), d.join("data")).unwrap();
    std::fs::write(
        d.join("model2.onnx"),
        fixtures::onnx("", Some("data/id_rsa")),
    )
    .unwrap();
    let opts = ScanOptions {
        follow_symlinks: false,
        ..Default::default()
    };
    let rep = scan_paths(&[d.to_path_buf()], &opts);
    assert_eq!(
        rules_at(&rep, "model.onnx"),
        vec!["RAMP-ONNX-001"],
        "{:?}",
        rep.findings
    );
    assert_eq!(
        rules_at(&rep, "model2.onnx"),
        vec!["RAMP-ONNX-001"],
        "{:?}",
        rep.findings
    );

    // The same models with their data as plain files are clean.
    let ok = tempfile::tempdir().unwrap();
    std::fs::write(
        ok.path().join("model.onnx"),
        fixtures::onnx("", Some("weights.bin")),
    )
    .unwrap();
    std::fs::write(ok.path().join("weights.bin"), [0u8; 16]).unwrap();
    let rep = scan_paths(&[ok.path().to_path_buf()], &ScanOptions::default());
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}

#[test]
fn tensorflow_path_ops_with_constant_paths() {
    let opts = ScanOptions::default();
    for path in [
        "/etc/cron.d/job",
        "../../.ssh/authorized_keys",
        "file:///home/u/.bashrc",
    ] {
        let pb = fixtures::saved_model_const_path("SaveV2", path);
        let rep = rampart_scan::scan_bytes("saved_model.pb", &pb, &opts);
        let f = rep
            .findings
            .iter()
            .find(|f| f.rule_id == "RAMP-TF-001")
            .unwrap_or_else(|| panic!("{path}: {:?}", rep.findings));
        assert!(f.message.contains("SaveV2"), "{}", f.message);
    }
    // The ordinary wiring: a relative prefix, or a placeholder.
    for path in ["variables/variables", "model"] {
        let pb = fixtures::saved_model_const_path("SaveV2", path);
        let rep = rampart_scan::scan_bytes("saved_model.pb", &pb, &opts);
        assert!(rep.findings.is_empty(), "{path}: {:?}", rep.findings);
    }
    // Through Identity and StringJoin; a dataset cache's path is its
    // second input.
    let joined = fixtures::saved_model_graph(&[
        ("dir", "Const", &[], Some("/etc/")),
        ("file", "Const", &[], Some("cron.d/job")),
        ("join", "StringJoin", &["dir", "file"], None),
        ("id", "Identity", &["join:output:0"], None),
        ("names", "Const", &[], Some("v:0")),
        ("save", "SaveV2", &["id", "names", "names", "^init"], None),
        ("ds", "RangeDataset", &[], None),
        ("cachefile", "Const", &[], Some("../../x")),
        ("cache", "CacheDatasetV2", &["ds", "cachefile", "mem"], None),
    ]);
    let rep = rampart_scan::scan_bytes("saved_model.pb", &joined, &opts);
    let msgs: Vec<&str> = rep.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("SaveV2") && m.contains("/etc/")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("CacheDatasetV2") && m.contains("../../x")),
        "{msgs:?}"
    );
    // Review round 10: a placeholder with a default, a join evaluated
    // with its separator, a path in an attribute.
    let more = fixtures::saved_model_graph(&[
        ("dflt", "Const", &[], Some("/root/.ssh/authorized_keys")),
        ("ph", "PlaceholderWithDefault", &["dflt"], None),
        ("save", "SaveV2", &["ph", "n", "n"], None),
        ("empty", "Const", &[], Some("")),
        ("rest", "Const", &[], Some("etc/cron.d/job")),
        (
            "join",
            "StringJoin",
            &["empty", "rest"],
            Some("separator=/"),
        ),
        ("merge", "MergeV2Checkpoints", &["a", "join"], None),
        (
            "rec",
            "RecordInput",
            &[],
            Some("file_pattern=/home/*/.ssh/*"),
        ),
    ]);
    let rep = rampart_scan::scan_bytes("saved_model.pb", &more, &opts);
    let msgs: Vec<&str> = rep.findings.iter().map(|f| f.message.as_str()).collect();
    for want in ["SaveV2", "MergeV2Checkpoints", "RecordInput"] {
        assert!(msgs.iter().any(|m| m.contains(want)), "{want}: {msgs:?}");
    }
    // A base64url constant decoded on the way (`/var/spool/cron/root`).
    let b64 = fixtures::saved_model_graph(&[
        ("b64", "Const", &[], Some("L3Zhci9zcG9vbC9jcm9uL3Jvb3Q")),
        ("dec", "DecodeBase64", &["b64"], None),
        ("save", "SaveV2", &["dec", "n", "n"], None),
    ]);
    let rep = rampart_scan::scan_bytes("saved_model.pb", &b64, &opts);
    assert!(
        rep.findings
            .iter()
            .any(|f| f.message.contains("/var/spool/cron/root")),
        "{:?}",
        rep.findings
    );
    // Paths computed from constants the way TF evaluates them: cut out
    // of a longer constant (`Substr`, negative position counting from
    // the end), rewritten by a regex, added, upper-cased pieces lowered,
    // joined from a vector.
    let s = |v: &str| vec![fixtures::tf_attr("value", &fixtures::tf_string_tensor(v))];
    let i = |v: i64| vec![fixtures::tf_attr("value", &fixtures::tf_int_tensor(&[v]))];
    let graph = [
        graph_node(
            "long",
            "Const",
            &[],
            &s("checkpoint-notes: see /etc/cron.d/x for the schedule"),
        ),
        graph_node("pos", "Const", &[], &i(-30)),
        graph_node("len", "Const", &[], &i(13)),
        graph_node("cut", "Substr", &["long", "pos", "len"], &[]),
        graph_node("save", "SaveV2", &["cut", "n", "n"], &[]),
        graph_node("tpl", "Const", &[], &s("ckpt/HOME/.BASHRC")),
        graph_node("low", "StringLower", &["tpl"], &[]),
        graph_node(
            "rx",
            "StaticRegexReplace",
            &["low"],
            &[
                fixtures::tf_attr("pattern", &fixtures::tf_string("^ckpt/home")),
                fixtures::tf_attr("rewrite", &fixtures::tf_string("/root")),
            ],
        ),
        graph_node("restore", "RestoreV2", &["rx", "n", "n"], &[]),
        graph_node("a", "Const", &[], &s("..")),
        graph_node("b", "Const", &[], &s("/../.ssh/authorized_keys")),
        graph_node("add", "AddV2", &["a", "b"], &[]),
        graph_node("cache", "CacheDatasetV2", &["ds", "add"], &[]),
    ]
    .concat();
    assert_tf_paths(
        &graph,
        &[
            "SaveV2 on the constant path \"/etc/cron.d/x\"",
            "RestoreV2 on the constant path \"/root/.bashrc\"",
            "CacheDatasetV2 on the constant path \"../../.ssh/authorized_keys\"",
        ],
    );
    // The same shapes computing relative names stay quiet, as does a
    // `Substr` past the string's end (TF fails it).
    let graph = [
        graph_node("long", "Const", &[], &s("variables/variables")),
        graph_node("pos", "Const", &[], &i(0)),
        graph_node("len", "Const", &[], &i(9)),
        graph_node("cut", "Substr", &["long", "pos", "len"], &[]),
        graph_node("save", "SaveV2", &["cut", "n", "n"], &[]),
        graph_node("far", "Const", &[], &i(40)),
        graph_node("cut2", "Substr", &["long", "far", "len"], &[]),
        graph_node("save2", "SaveV2", &["cut2", "n", "n"], &[]),
        graph_node("a", "Const", &[], &s("variables")),
        graph_node("b", "Const", &[], &s("/variables.index")),
        graph_node("add", "AddV2", &["a", "b"], &[]),
        graph_node("restore", "RestoreV2", &["add", "n", "n"], &[]),
    ]
    .concat();
    let rep = rampart_scan::scan_bytes("saved_model.pb", &fixtures::saved_model_of(&graph), &opts);
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
    // A tensor name that looks like a drive letter is not a path input.
    assert!(!msgs.iter().any(|m| m.contains("v:0")), "{msgs:?}");
    // A table initialiser keeps the exporting machine's absolute asset
    // path in TF1 graphs: not reported.
    let pb = fixtures::saved_model_const_path("InitializeTableFromTextFileV2", "/home/u/vocab.txt");
    let rep = rampart_scan::scan_bytes("saved_model.pb", &pb, &opts);
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}

#[test]
fn scikit_learn_tree_node_arrays_must_stay_inside_the_tree() {
    let opts = ScanOptions::default();
    let rules = |b: &[u8], name: &str| -> Vec<String> {
        rampart_scan::scan_bytes(name, b, &opts)
            .findings
            .into_iter()
            .map(|f| f.rule_id)
            .collect()
    };
    // A depth-2 tree as scikit-learn numbers it: children after parents.
    let good = [
        (1, 4, 3),
        (2, 3, 2),
        (-1, -1, -2),
        (-1, -1, -2),
        (-1, -1, -2),
    ];
    for big in [false, true] {
        let npy = fixtures::sklearn_tree_npy(&good, big);
        assert_eq!(rules(&npy, "nodes.npy"), Vec::<String>::new());
        assert_eq!(
            rules(&fixtures::skops_tree(&npy), "model.skops"),
            Vec::<String>::new()
        );
    }
    let bad: [&[(i64, i64, i64)]; 5] = [
        // A child past the end: out-of-bounds read (segfault, sklearn 1.9).
        &[(1, 1_000_000, 3), (-1, -1, -2), (-1, -1, -2)],
        // A child pointing back up: predict never ends.
        &[(1, 2, 3), (-1, -1, -2), (0, 0, 1)],
        // A negative child other than the leaf marker.
        &[(1, -7, 3), (-1, -1, -2), (-1, -1, -2)],
        // Half a leaf: the other branch reads node -1.
        &[(1, 2, 3), (-1, 2, -2), (-1, -1, -2)],
        // An internal node without a feature.
        &[(1, 2, -2), (-1, -1, -2), (-1, -1, -2)],
    ];
    for nodes in bad {
        for big in [false, true] {
            let npy = fixtures::sklearn_tree_npy(nodes, big);
            assert!(
                rules(&npy, "nodes.npy").contains(&"RAMP-NPY-003".to_string()),
                "{nodes:?}"
            );
            let skops = fixtures::skops_tree(&npy);
            assert!(
                rules(&skops, "model.skops").contains(&"RAMP-NPY-003".to_string()),
                "{nodes:?}"
            );
        }
    }
}

/// The rule ids of a scan of `b` as a file called `name`, which must
/// parse without an error entry.
fn rule_ids(b: &[u8], name: &str, opts: &ScanOptions) -> Vec<String> {
    let rep = rampart_scan::scan_bytes(name, b, opts);
    assert!(rep.errors.is_empty(), "{name}: {:?}", rep.errors);
    rep.findings.iter().map(|f| f.rule_id.clone()).collect()
}

#[test]
fn scikit_learn_trees_inside_pickles_and_joblib_files_are_checked() {
    use fixtures::TreePickle;
    let opts = ScanOptions::default();
    let forms = TreePickle::all();
    let rules = |b: &[u8], name: &str| rule_ids(b, name, &opts);
    let good = [(1, 2, 3), (-1, -1, -2), (-1, -1, -2)];
    for (form, name) in forms {
        // A real tree: sklearn's classes are allowlisted, nothing to say.
        let b = fixtures::sklearn_tree_pickle(&good, 4, 4, form);
        assert_eq!(rules(&b, name), Vec::<String>::new(), "{form:?}");
    }
    type Nodes = &'static [(i64, i64, i64)];
    let bad: [(Nodes, u8, u8); 5] = [
        // A child past the end (segfault at predict, scikit-learn 1.9).
        (&[(1, 1_000_000, 3), (-1, -1, -2), (-1, -1, -2)], 4, 4),
        // A child pointing back up: predict never ends.
        (&[(1, 2, 3), (-1, -1, -2), (0, 0, 1)], 4, 4),
        // Half a leaf.
        (&[(1, 2, 3), (-1, 2, -2), (-1, -1, -2)], 4, 4),
        // A feature past the tree's own width (feature importances write
        // past their array).
        (&[(1, 2, 3), (-1, -1, -2), (-1, -1, -2)], 3, 4),
        // A feature past the estimator's `n_features_in_`, which is what
        // predict checks the input against.
        (&[(1, 2, 3), (-1, -1, -2), (-1, -1, -2)], 8, 3),
    ];
    for (nodes, n_features, n_in) in bad {
        for (form, name) in forms {
            let b = fixtures::sklearn_tree_pickle(nodes, n_features, n_in, form);
            let got = rules(&b, name);
            assert_eq!(got, vec!["RAMP-NPY-003".to_string()], "{form:?} {nodes:?}");
        }
    }
}

#[test]
fn hist_gradient_boosting_predictors_are_checked() {
    use fixtures::{HgbPredictor, TreePickle};
    let opts = ScanOptions::default();
    // Protocol 1 too: it writes each instance as `copyreg._reconstructor`
    // (before session 22 the predictors were not read there).
    let forms: Vec<(TreePickle, &str)> = TreePickle::all()
        .into_iter()
        .chain([(TreePickle::Reconstruct { protocol: 1 }, "model.pkl")])
        .collect();
    let forms = forms.as_slice();
    let rules = |b: &[u8], name: &str| rule_ids(b, name, &opts);
    type Nodes = Vec<(u32, u32, i64, Option<u32>)>;
    let split = |f: i64, cat: Option<u32>| -> Nodes {
        vec![(1, 2, f, cat), (0, 0, 0, None), (0, 0, 0, None)]
    };
    let model = |trees: Vec<(Nodes, u8)>| -> Vec<HgbPredictor> {
        trees
            .into_iter()
            .map(|(nodes, bitset_rows)| HgbPredictor { nodes, bitset_rows })
            .collect()
    };
    // Feature 0 of 8 is categorical.
    const CATEGORICAL: [bool; 8] = [true, false, false, false, false, false, false, false];
    // Fitted shapes: numeric splits below n_features_in_, and a
    // categorical split on row 0 of one bitset row.
    let good = || {
        model(vec![
            (split(3, None), 0),
            (split(0, Some(0)), 1),
            (split(7, None), 0),
        ])
    };
    for &(form, name) in forms {
        for outside in [false, true] {
            let b = fixtures::sklearn_hgb_pickle(&good(), 8, &CATEGORICAL, form, outside);
            assert_eq!(rules(&b, name), Vec::<String>::new(), "{form:?} {outside}");
        }
    }
    let bad: [(Vec<HgbPredictor>, u8); 5] = [
        // A child past the end.
        (
            model(vec![
                (split(3, None), 0),
                (
                    vec![(1, 1_000_000, 2, None), (0, 0, 0, None), (0, 0, 0, None)],
                    0,
                ),
            ]),
            8,
        ),
        // A child pointing back to the root: predict never ends.
        (
            model(vec![(
                vec![(1, 2, 2, None), (0, 0, 0, None), (1, 1, 0, None)],
                0,
            )]),
            8,
        ),
        // A split on feature 8 of an 8-column input, in the last predictor.
        (
            model(vec![
                (split(3, None), 0),
                (split(1, None), 0),
                (split(8, None), 0),
            ]),
            8,
        ),
        // The same in the first predictor (the one built outside the
        // estimator when `outside`).
        (model(vec![(split(9, None), 0), (split(1, None), 0)]), 8),
        // A categorical split naming bitset row 1 of 1.
        (model(vec![(split(0, Some(1)), 1)]), 8),
    ];
    for (k, (trees, n_in)) in bad.iter().enumerate() {
        for &(form, name) in forms {
            for outside in [false, true] {
                let b = fixtures::sklearn_hgb_pickle(trees, *n_in, &CATEGORICAL, form, outside);
                assert_eq!(
                    rules(&b, name),
                    vec!["RAMP-NPY-003".to_string()],
                    "case {k}, {form:?}, outside {outside}"
                );
            }
        }
    }
    // A categorical split where the bin mapper has no categorical feature
    // (an empty known-category bitset array) or fewer features than the
    // split reads.
    let cat_split = || model(vec![(split(3, None), 0), (split(2, Some(0)), 1)]);
    for flags in [&[false; 8][..], &[true, true][..]] {
        for &(form, name) in forms {
            let b = fixtures::sklearn_hgb_pickle(&cat_split(), 8, flags, form, false);
            assert_eq!(
                rules(&b, name),
                vec!["RAMP-NPY-003".to_string()],
                "{flags:?} {form:?}"
            );
        }
    }
}

#[test]
fn neighbors_trees_are_checked() {
    use fixtures::{NeighborsTree, TreePickle};
    let opts = ScanOptions::default();
    let forms = TreePickle::all();
    let rules = |b: &[u8], name: &str| rule_ids(b, name, &opts);
    for (form, name) in forms {
        for metric in [
            None,
            Some(("EuclideanDistance64", 1, [1, 1])),
            Some(("MahalanobisDistance64", 3, [3, 3])),
            Some(("MinkowskiDistance64", 0, [1, 1])),
            Some(("MinkowskiDistance64", 3, [1, 1])),
        ] {
            let mut t = NeighborsTree::fitted(20, 3);
            t.metric = metric;
            assert_eq!(
                rules(&fixtures::sklearn_kdtree_pickle(&t, form), name),
                Vec::<String>::new(),
                "{form:?} {metric:?}"
            );
        }
        let t = NeighborsTree::fitted(20, 3);
        assert_eq!(
            rules(&fixtures::sklearn_kdtree_pickle(&t, form), name),
            Vec::<String>::new(),
            "{form:?}"
        );
    }
    type Tamper = fn(&mut NeighborsTree);
    let tampered: [(&str, Tamper); 8] = [
        // A sample row past `data` (segfault at query, scikit-learn 1.9).
        ("idx_array", |t| t.idx_array[5] = 100_000_000),
        // A leaf's rows past `idx_array`.
        ("idx_end", |t| t.nodes[2].1 = 50_000_000),
        // A last-level node that is not a leaf: its children are past the
        // last node.
        ("is_leaf", |t| t.nodes[2].2 = false),
        // More nodes than `node_data` holds.
        ("n_nodes", |t| t.n_nodes = 10_000),
        // A negative row.
        ("idx_start", |t| t.nodes[1].0 = -4),
        // Metrics that read their state for every feature of a row.
        ("mahalanobis", |t| {
            t.metric = Some(("MahalanobisDistance64", 2, [2, 2]));
        }),
        ("seuclidean", |t| {
            t.metric = Some(("SEuclideanDistance64", 1, [1, 1]))
        }),
        ("minkowski weights", |t| {
            t.metric = Some(("MinkowskiDistance64", 2, [1, 1]));
        }),
    ];
    for (what, tamper) in tampered {
        for (form, name) in forms {
            let mut t = NeighborsTree::fitted(20, 3);
            tamper(&mut t);
            let got = rules(&fixtures::sklearn_kdtree_pickle(&t, form), name);
            assert_eq!(got, vec!["RAMP-NPY-003".to_string()], "{what} {form:?}");
        }
    }
}

#[test]
fn scipy_splines_are_checked() {
    use fixtures::TreePickle;
    let opts = ScanOptions::default();
    for (form, name) in TreePickle::all() {
        for reconstructor in [false, true] {
            // A fitted cubic spline: 12 knots, 8 coefficients.
            let b = fixtures::scipy_bspline_pickle(12, 8, 3, form, reconstructor);
            assert_eq!(rule_ids(&b, name, &opts), Vec::<String>::new(), "{form:?}");
            for (knots, coefs, k) in [
                // One coefficient for eight basis functions: evaluation
                // returns heap bytes (scipy 1.17).
                (12, 1, 3),
                // A negative degree aborts the process.
                (12, 8, -3),
                // Too few knots for the degree.
                (6, 8, 3),
                (12, 8, 1 << 20),
            ] {
                let b = fixtures::scipy_bspline_pickle(knots, coefs, k, form, reconstructor);
                assert_eq!(
                    rule_ids(&b, name, &opts),
                    vec!["RAMP-NPY-005".to_string()],
                    "{knots} {coefs} {k} {form:?} {reconstructor}"
                );
            }
        }
    }
}

#[test]
fn pandas_categorical_codes_are_checked() {
    use fixtures::TreePickle;
    let opts = ScanOptions::default();
    for (form, name) in TreePickle::all() {
        // Codes 0..2 and -1 (missing) over three categories.
        let b = fixtures::pandas_categorical_pickle(3, &[0, 1, 2, -1, 0], form);
        assert_eq!(rule_ids(&b, name, &opts), Vec::<String>::new(), "{form:?}");
        // A code past the categories (pandas 3.1 returns another object's
        // bytes for float categories), and below -1.
        for codes in [&[0i8, 100, 1][..], &[0, -7, 1][..], &[3][..]] {
            let b = fixtures::pandas_categorical_pickle(3, codes, form);
            assert_eq!(
                rule_ids(&b, name, &opts),
                vec!["RAMP-NPY-006".to_string()],
                "{codes:?} {form:?}"
            );
        }
    }
}

#[test]
fn pandas_masked_arrays_are_held_to_their_mask() {
    use fixtures::TreePickle;
    let opts = ScanOptions::default();
    for (form, name) in TreePickle::all() {
        for reconstructor in [false, true] {
            let b = fixtures::pandas_masked_pickle(5, 5, None, form, reconstructor);
            assert_eq!(rule_ids(&b, name, &opts), Vec::<String>::new(), "{form:?}");
            // A second BUILD, which picklers never write, is a fault of its
            // own (session 23) even when the mask it gives fits.
            let b = fixtures::pandas_masked_pickle(5, 5, Some(5), form, reconstructor);
            assert_eq!(
                rule_ids(&b, name, &opts),
                vec!["RAMP-NPY-008".to_string()],
                "{form:?}"
            );
            // A mask shorter or longer than the values (pandas 3.1.1's
            // groupby sum reads past a short one), and a consistent first
            // BUILD whose mask a second BUILD replaces.
            for (values, mask, rebuild, want) in [
                (5, 2, None, &["RAMP-NPY-007"][..]),
                (5, 9, None, &["RAMP-NPY-007"][..]),
                (5, 5, Some(1), &["RAMP-NPY-007", "RAMP-NPY-008"][..]),
            ] {
                let b = fixtures::pandas_masked_pickle(values, mask, rebuild, form, reconstructor);
                let mut got = rule_ids(&b, name, &opts);
                got.sort();
                assert_eq!(
                    got,
                    want.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                    "{values} {mask} {rebuild:?} {form:?} {reconstructor}"
                );
            }
        }
    }
}

#[test]
fn pandas_interval_bounds_are_held_to_one_shape() {
    use fixtures::TreePickle;
    let opts = ScanOptions::default();
    for (form, name) in TreePickle::all() {
        let b = fixtures::pandas_interval_pickle(6, 6, form);
        assert_eq!(rule_ids(&b, name, &opts), Vec::<String>::new(), "{form:?}");
        for (left, right) in [(6, 2), (1, 6)] {
            let b = fixtures::pandas_interval_pickle(left, right, form);
            assert_eq!(
                rule_ids(&b, name, &opts),
                vec!["RAMP-NPY-007".to_string()],
                "{left} {right} {form:?}"
            );
        }
    }
}

#[test]
fn a_named_time_zone_loads_clean_through_getattr() {
    let opts = ScanOptions::default();
    // `getattr(ZoneInfo, "_unpickle")("Europe/Paris", 1)`, as pickle writes
    // a `ZoneInfo` (protocol 0), and with the `getattr` memoised and used
    // for two zones.
    for b in [
        &b"c__builtin__\ngetattr\n(czoneinfo\nZoneInfo\nV_unpickle\ntR(VEurope/Paris\nI1\ntR."[..],
        b"(lc__builtin__\ngetattr\np0\n(czoneinfo\nZoneInfo\np1\nV_unpickle\ntR(VEurope/Paris\nI1\ntRag0\n(g1\nV_unpickle\ntR(VAsia/Tokyo\nI1\ntRa.",
    ] {
        assert_eq!(rule_ids(b, "tz.pkl", &opts), Vec::<String>::new());
        let rep = rampart_scan::pickle::scan_pickle(b);
        let i = rep.globals.iter().position(|g| g.name == "getattr").unwrap();
        assert!(rep.lookup_only(i), "{:?}", rep.globals);
        assert!(rep
            .globals
            .iter()
            .any(|g| g.name == "ZoneInfo._unpickle" && g.called));
    }
}

#[test]
fn pandas_time_series_load_clean() {
    use fixtures::TreePickle;
    let opts = ScanOptions::default();
    for (form, name) in TreePickle::all() {
        let b = fixtures::pandas_datetime_pickle(4, ("datetime", "timezone"), form);
        assert_eq!(rule_ids(&b, name, &opts), Vec::<String>::new(), "{form:?}");
        // A time zone class the policy does not know stays an unknown
        // import, whatever it is wrapped in.
        let b = fixtures::pandas_datetime_pickle(4, ("tzlocal.unix", "LocalZone"), form);
        let rep = rampart_scan::scan_bytes(name, &b, &opts);
        assert!(
            rep.findings
                .iter()
                .any(|f| f.severity >= Severity::High && f.message.contains("tzlocal.unix")),
            "{form:?}: {:?}",
            rep.findings
        );
    }
}

#[test]
fn python_members_are_read_whatever_they_look_like() {
    use fixtures::zip::{ZipBuilder, ZipMember};
    let opts = ScanOptions::default();
    // Review round 11: a Latin-1 byte (not UTF-8), a JSON-looking first
    // line, and a Shift-JIS declaration: CPython imports each and runs
    // the call.
    for src in [
        &b"# coding: latin-1\nname = 'Ren\xe9'\nimport os\nos.system('id')\n"[..],
        b"{\"architectures\": []}\nimport os; os.system('id')\n",
        b"# coding: shift_jis\ns = '\x81\\'; import os; os.system('id') #'\n",
    ] {
        let zip = ZipBuilder::new()
            .member(ZipMember::stored("code/m.py", src))
            .build();
        let rep = rampart_scan::scan_bytes("model.pt", &zip, &opts);
        assert!(
            rep.findings.iter().any(|f| f.rule_id == "RAMP-PY-001"),
            "{:?}: {:?}",
            String::from_utf8_lossy(src),
            rep.findings
        );
    }
    let zip = ZipBuilder::new()
        .member(ZipMember::stored("code/m.py", b"{\"a\": 1}\n"))
        .build();
    let rep = rampart_scan::scan_bytes("model.pt", &zip, &opts);
    assert!(
        !rep.findings.iter().any(|f| f.rule_id == "RAMP-PY-001"),
        "{:?}",
        rep.findings
    );
}

#[test]
fn tree_node_arrays_in_other_spellings() {
    let opts = ScanOptions::default();
    let flagged = |b: &[u8]| {
        rampart_scan::scan_bytes("nodes.npy", b, &opts)
            .findings
            .iter()
            .any(|f| f.rule_id == "RAMP-NPY-003")
    };
    let bad: Vec<u8> = [(1i64, 1_000_000i64, 3i64), (-1, -1, -2), (-1, -1, -2)]
        .iter()
        .flat_map(|&(l, r, f)| {
            let mut rec = Vec::new();
            for v in [l, r, f] {
                rec.extend_from_slice(&v.to_le_bytes());
            }
            rec.extend_from_slice(&[0u8; 40]);
            rec
        })
        .collect();
    let tail = "('threshold', '<f8'), ('impurity', '<f8'), ('n_node_samples', '<i8'), ('weighted_n_node_samples', '<f8'), ('missing_go_to_left', '|u1'), ('', '|V7')";
    for (descr, shape) in [
        // numpy's other names for the same types
        ("[('left_child', '<q'), ('right_child', '<q'), ('feature', 'int64'), ('threshold', 'float64'), ('impurity', '<f8'), ('n_node_samples', '<i8'), ('weighted_n_node_samples', '<f8'), ('missing_go_to_left', '|u1'), ('', '|V7')]".to_string(), "(3,)"),
        // empty sub-shapes and the ([...], ()) wrapper
        (format!("[('left_child', '<i8', ()), ('right_child', '<i8'), ('feature', '<i8'), {tail}]"), "(3,)"),
        (format!("([('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), {tail}], ())"), "(3,)"),
        // a shape in hex
        (format!("[('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), {tail}]"), "(0x3,)"),
        // fields named in another order: scikit-learn converts by position
        ("[('n_node_samples', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), ('threshold', '<f8'), ('impurity', '<f8'), ('left_child', '<i8'), ('weighted_n_node_samples', '<f8'), ('missing_go_to_left', '|u1'), ('', '|V7')]".to_string(), "(3,)"),
    ] {
        let npy = fixtures::npy_literal(&descr, shape, &bad);
        assert!(flagged(&npy), "{descr} {shape}");
    }
    // Record sizes past any file, and past u64 when added: no panic, no
    // allocation beyond the file.
    for pad in ["|V99999999999999999", "|V18000000000000000000"] {
        let descr = format!("[('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'), ('x', '{pad}'), ('y', '{pad}')]");
        let npy = fixtures::npy_literal(&descr, "(3,)", &bad);
        let _ = rampart_scan::scan_bytes("nodes.npy", &npy, &opts);
    }
    // A feature index no input has.
    let npy = fixtures::sklearn_tree_npy(&[(1, 2, 1 << 40), (-1, -1, -2), (-1, -1, -2)], false);
    assert!(flagged(&npy));
    // A valid tree larger than the part that is read is not flagged for
    // the children of its last read node.
    let big: Vec<(i64, i64, i64)> = (0..(1i64 << 20) + 2)
        .map(|i| {
            if i < (1 << 19) {
                (2 * i + 1, 2 * i + 2, 0)
            } else {
                (-1, -1, -2)
            }
        })
        .collect();
    let npy = fixtures::sklearn_tree_npy(&big, false);
    assert!(!flagged(&npy));
}

#[test]
fn tensorflow_string_evaluation_is_bounded_and_follows_reshapes() {
    let opts = ScanOptions::default();
    let strs = |vals: &[&str]| {
        let mut tensor = vec![0x08, 7];
        for v in vals {
            fixtures::pb_bytes(&mut tensor, 8, v.as_bytes());
        }
        let mut av = Vec::new();
        fixtures::pb_bytes(&mut av, 8, &tensor);
        vec![fixtures::tf_attr("value", &av)]
    };
    let ints = |v: &[i64]| vec![fixtures::tf_attr("value", &fixtures::tf_int_tensor(v))];
    // 70 pieces reduce-joined (past the 64 values one evaluation keeps),
    // through a Reshape; code points encoded; a position through Identity.
    let mut pieces = vec![""; 64];
    pieces.extend([".", ".", "/", "etc", "/", "passwd"]);
    let graph = [
        graph_node("v", "Const", &[], &strs(&pieces)),
        graph_node("sh", "Const", &[], &ints(&[70])),
        graph_node("rs", "Reshape", &["v", "sh"], &[]),
        graph_node("rj", "ReduceJoin", &["rs", "ax"], &[]),
        graph_node("r", "RestoreV2", &["rj", "x", "y"], &[]),
        graph_node(
            "cp",
            "Const",
            &[],
            &ints(
                &"/root/.bashrc"
                    .chars()
                    .map(|c| c as i64)
                    .collect::<Vec<_>>(),
            ),
        ),
        graph_node("enc", "UnicodeEncode", &["cp", "splits"], &[]),
        graph_node("s", "SaveV2", &["enc", "x", "y"], &[]),
        graph_node("long", "Const", &[], &strs(&["xx/etc/cron.d/job"])),
        graph_node("p0", "Const", &[], &ints(&[2])),
        graph_node("p", "Identity", &["p0"], &[]),
        graph_node("l", "Const", &[], &ints(&[15])),
        graph_node("sub", "Substr", &["long", "p", "l"], &[]),
        graph_node("m", "MergeV2Checkpoints", &["sub", "d"], &[]),
    ]
    .concat();
    assert_tf_paths(
        &graph,
        &[
            "\"../etc/passwd\"",
            "\"/root/.bashrc\"",
            "\"/etc/cron.d/job\"",
        ],
    );
    // Review round 11's denial of service: an empty pattern with a long
    // rewrite over 64 long strings, and thousands of Substr positions.
    let long = "A".repeat(4000);
    let many: Vec<&str> = vec![long.as_str(); 64];
    let graph = [
        graph_node("s", "Const", &[], &strs(&many)),
        graph_node("pat", "Const", &[], &strs(&[""; 64])),
        graph_node(
            "rw",
            "Const",
            &[],
            &strs(&vec!["B".repeat(4000).as_str(); 64]),
        ),
        graph_node("rr", "RegexReplace", &["s", "pat", "rw"], &[]),
        graph_node("r", "RestoreV2", &["rr", "x", "y"], &[]),
        graph_node("pos", "Const", &[], &ints(&vec![1; 4096])),
        graph_node("len", "Const", &[], &ints(&vec![100; 4096])),
        graph_node("sub", "Substr", &["s", "pos", "len"], &[]),
        graph_node("r2", "RestoreV2", &["sub", "x", "y"], &[]),
    ]
    .concat();
    let rep = rampart_scan::scan_bytes("saved_model.pb", &fixtures::saved_model_of(&graph), &opts);
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}

#[test]
fn skops_files_are_judged_by_their_schema() {
    let opts = ScanOptions::default();
    let benign = fixtures::bypass::skops(
        r#"{"__class__": "LogisticRegression", "__module__": "sklearn.linear_model._logistic",
            "__loader__": "ObjectNode", "content": {"__class__": "dict", "__module__": "builtins",
            "__loader__": "DictNode", "content": {"C": {"__class__": "float", "__module__": "builtins",
            "__loader__": "JsonNode", "content": "1.0", "is_json": true},
            "coef_": {"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode",
            "type": "numpy", "file": "1.npy"}}}, "protocol": 2, "_skops_version": "0.16.0"}"#,
    );
    let rep = rampart_scan::scan_bytes("model.skops", &benign, &opts);
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
    let evil = fixtures::bypass::skops(
        r#"{"__class__": "FunctionTransformer", "__module__": "sklearn.preprocessing._function_transformer",
            "__loader__": "ObjectNode", "content": {"__class__": "dict", "__module__": "builtins",
            "__loader__": "DictNode", "content": {"func": {"__class__": "system", "__module__": "os",
            "__loader__": "FunctionNode", "content": {}}}}, "protocol": 2}"#,
    );
    let rep = rampart_scan::scan_bytes("model.skops", &evil, &opts);
    assert_eq!(
        rep.max_severity(),
        Some(Severity::Critical),
        "{:?}",
        rep.findings
    );
    assert!(rep.findings.iter().any(|f| f.rule_id == "RAMP-SKOPS-001"
        && f.location.as_ref().and_then(|l| l.path.as_deref()) == Some("model.skops!schema.json")));
}

#[test]
fn diffusers_components_are_read_from_their_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "model_index.json",
        r#"{"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0",
            "unet": ["my_unet", "MyUNet"], "vae": ["diffusers", "AutoencoderKL"]}"#,
    );
    std::fs::create_dir(d.join("unet")).unwrap();
    write(
        &d.join("unet"),
        "my_unet.py",
        "import torch\nfrom .blocks import Block\nclass MyUNet(torch.nn.Module):\n    pass\n",
    );
    write(
        &d.join("unet"),
        "blocks.py",
        "import subprocess as sp\nclass Block:\n    pass\nsp.run(['id'])\n",
    );
    let rep = scan_paths(&[d.to_path_buf()], &ScanOptions::default());
    assert_eq!(rules_at(&rep, "model_index.json"), vec!["RAMP-HF-001"]);
    let py: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| f.rule_id == "RAMP-PY-001")
        .filter_map(|f| f.location.as_ref().and_then(|l| l.path.clone()))
        .collect();
    assert_eq!(py.len(), 1, "{:?}", rep.findings);
    assert!(py[0].ends_with("blocks.py"), "{py:?}");
}

/// A TF2 saver: the graph calls a function whose `SaveV2` takes its path
/// from the function's argument; the caller passes a constant.
#[test]
fn tensorflow_paths_passed_into_functions() {
    use fixtures::{pb_bytes, tf_attr, tf_func, tf_node, tf_string_tensor};
    let build = |path: &str| {
        let mut graph = Vec::new();
        let prefix = tf_attr("value", &tf_string_tensor(path));
        pb_bytes(&mut graph, 1, &tf_node("prefix", "Const", &[], &[prefix]));
        let f = tf_attr("f", &tf_func("__inference_save_7"));
        let call = tf_node(
            "call",
            "StatefulPartitionedCall",
            &["prefix", "names"],
            &[f],
        );
        pb_bytes(&mut graph, 1, &call);
        // library { function { signature { name, input_arg {name} x2 }
        //   node_def { SaveV2(file_prefix, ...) } } }
        let mut sig = Vec::new();
        pb_bytes(&mut sig, 1, b"__inference_save_7");
        for a in ["file_prefix", "tensor_names"] {
            let mut arg = Vec::new();
            pb_bytes(&mut arg, 1, a.as_bytes());
            pb_bytes(&mut sig, 2, &arg);
        }
        let mut func = Vec::new();
        pb_bytes(&mut func, 1, &sig);
        pb_bytes(
            &mut func,
            3,
            &tf_node("id", "Identity", &["file_prefix"], &[]),
        );
        let save = tf_node(
            "save",
            "SaveV2",
            &["id:output:0", "tensor_names", "tensor_names"],
            &[],
        );
        pb_bytes(&mut func, 3, &save);
        let mut lib = Vec::new();
        pb_bytes(&mut lib, 1, &func);
        pb_bytes(&mut graph, 2, &lib);
        fixtures::saved_model_of(&graph)
    };
    let opts = ScanOptions::default();
    let rep = rampart_scan::scan_bytes("saved_model.pb", &build("/etc/cron.d/job"), &opts);
    assert!(
        rep.findings.iter().any(|f| f.rule_id == "RAMP-TF-001"
            && f.message.contains("SaveV2")
            && f.message.contains("/etc/cron.d/job")),
        "{:?}",
        rep.findings
    );
    let rep = rampart_scan::scan_bytes("saved_model.pb", &build("variables/variables"), &opts);
    assert!(rep.findings.is_empty(), "{:?}", rep.findings);
}

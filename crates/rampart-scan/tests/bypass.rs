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

/// The files the reader-disagreement fixtures imitate, without a payload:
/// images, tar archives, legacy checkpoints with long strings, joblib
/// arrays, protobuf models and chat templates stay clean.
#[test]
fn benign_twins_of_the_reader_disagreements_stay_clean() {
    let opts = ScanOptions::default();
    let mut gif = b"GIF89a\x02\x00\x02\x00\x80\x00\x00".to_vec();
    gif.extend_from_slice(&[0, 0, 0, 0xff, 0xff, 0xff, b',', 0, 0, 0, 0, 2, 0, 2, 0, 0]);
    gif.extend_from_slice(b"\x02\x02\x44\x01\x00\x3b");
    let tar = fixtures::tar(&[("model/config.json", br#"{"a": 1}"#)]);
    // A long string pickle after the first: no import anywhere.
    let mut long = b"\x80\x02N.".to_vec();
    long.extend_from_slice(b"X\x70\x17\x00\x00");
    long.extend(std::iter::repeat_n(b'a', 6000));
    long.push(b'.');
    let text = "N0 is how the notes start.\n".repeat(4000);
    let mut node = Vec::new();
    fixtures::pb_bytes(&mut node, 1, b"w");
    fixtures::pb_bytes(&mut node, 2, b"Const");
    let mut frozen = Vec::new();
    fixtures::pb_bytes(&mut frozen, 1, &node);
    let mut sm = fixtures::saved_model(&["Const", "MatMul"]);
    sm.drain(..2);
    let mut g = Vec::new();
    fixtures::pb_bytes(&mut g, 2, b"g");
    let mut onnx = Vec::new();
    fixtures::pb_bytes(&mut onnx, 7, &g);
    onnx.extend_from_slice(&[0x08, 8]);
    let tmpl = fixtures::gguf(
        "tokenizer.chat_template",
        "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'].strip()[:4000] }}{% endfor %}",
    );
    // tf.print to stderr, and a sparse initializer stored next to the model.
    let mut print_node = Vec::new();
    fixtures::pb_bytes(&mut print_node, 1, b"p");
    fixtures::pb_bytes(&mut print_node, 2, b"PrintV2");
    fixtures::pb_bytes(
        &mut print_node,
        5,
        b"\x0a\x0doutput_stream\x12\x08\x12\x06stderr",
    );
    let mut print_graph = Vec::new();
    fixtures::pb_bytes(&mut print_graph, 1, &print_node);
    let sparse_onnx = fixtures::onnx_sparse_external("weights/sparse.bin");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("print.pb", print_graph),
        ("sparse.onnx", sparse_onnx),
        ("pic.gif", gif),
        ("model.tar", tar),
        ("long.pt", long),
        ("notes.txt", text.into_bytes()),
        ("frozen.pb", frozen),
        ("saved_model.pb", sm),
        ("graph_first.onnx", onnx),
        ("chat.gguf", tmpl),
        ("plain.joblib", fixtures::joblib(false)),
        // What joblib 1.6 writes for np.zeros(3, dtype=[('f', 'O'), ('g', '<f8')]):
        // a V16 dtype whose state holds an object field, so the array is
        // a nested pickle.
        ("struct_object.joblib", STRUCT_OBJECT_JOBLIB.to_vec()),
    ];
    assert_clean(&cases, &opts);
}

const STRUCT_OBJECT_JOBLIB: &[u8] = b"\x80\x04\x954\x01\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94\x8c\x13joblib.numpy_pickle\x94\x8c\x11NumpyArrayWrapper\x94\x93\x94)\x81\x94}\x94(\x8c\x08subclass\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94\x8c\x05shape\x94K\x03\x85\x94\x8c\x05order\x94\x8c\x01C\x94\x8c\x05dtype\x94h\x08\x8c\x05dtype\x94\x93\x94\x8c\x03V16\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94N\x8c\x01f\x94\x8c\x01g\x94\x86\x94}\x94(h\x16h\x11\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03h\x15NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94bK\x00\x86\x94h\x17h\x11\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x08\x86\x94uK\x10K\x01K\x1bt\x94b\x8c\nallow_mmap\x94\x89\x8c\x1bnumpy_array_alignment_bytes\x94K\x10ub\x80\x05\x95\x0e\x01\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x03\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x03V16\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94N\x8c\x01f\x94\x8c\x01g\x94\x86\x94}\x94(h\x11h\x0c\x8c\x02O8\x94\x89\x88\x87\x94R\x94(K\x03h\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t\x94bK\x00\x86\x94h\x12h\x0c\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x08\x86\x94uK\x10K\x01K\x1bt\x94b\x89]\x94(K\x00G\x00\x00\x00\x00\x00\x00\x00\x00\x86\x94K\x00G\x00\x00\x00\x00\x00\x00\x00\x00\x86\x94K\x00G\x00\x00\x00\x00\x00\x00\x00\x00\x86\x94et\x94b.s.";

/// The compressed wrappers around a joblib dump, split where they can be
/// and with what Python's readers ignore after the last stream.
fn wrapped(dump: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    use fixtures::bypass::{lz4, lzma_sized, zfile};
    let (a, b) = dump.split_at(dump.len() / 2);
    let mut padded = [fixtures::xz(a), fixtures::xz(b)].concat();
    padded.extend_from_slice(&[0, 0, 0, 0]);
    padded.extend_from_slice(b"trailing bytes that start no stream");
    let mut lz4_junk = [lz4(a), lz4(b)].concat();
    lz4_junk.extend_from_slice(b"\0\0\0\0 junk");
    let zst = fixtures::bypass::zstd;
    let mut zstd_junk = [zst(a), zst(b)].concat();
    zstd_junk.extend_from_slice(b"\0\0\0\0 junk after the last frame");
    vec![
        ("frames.pkl.zst", [zst(a), zst(b)].concat()),
        ("junk.pkl.zst", zstd_junk),
        (
            "two_streams.joblib.xz",
            [fixtures::xz(a), fixtures::xz(b)].concat(),
        ),
        (
            "mixed.joblib.xz",
            [fixtures::xz(a), fixtures::lzma(b)].concat(),
        ),
        (
            "two_streams.joblib",
            [fixtures::lzma(a), fixtures::lzma(b)].concat(),
        ),
        ("padded.joblib.xz", padded),
        ("sized.joblib", lzma_sized(dump, 1 << 20)),
        ("frames.joblib.lz4", [lz4(a), lz4(b)].concat()),
        ("junk.joblib.lz4", lz4_junk),
        ("old.pkl", zfile(dump, false)),
        ("old_wide.pkl", zfile(dump, true)),
    ]
}

#[test]
fn benign_twins_of_the_compressed_wrappers_stay_clean() {
    let opts = ScanOptions::default();
    let mut cases = wrapped(&fixtures::joblib(false));
    // Text that starts like the old container's magic.
    cases.push((
        "zfs.txt",
        b"ZFS pool status: all vdevs online, scrub finished\n".to_vec(),
    ));
    assert_clean(&cases, &opts);
    // The same wrappers are read through to the dump inside.
    for (name, bytes) in wrapped(&fixtures::joblib(true)) {
        let rep = scan_bytes(name, &bytes, &opts);
        assert_eq!(
            rep.max_severity(),
            Some(Severity::Critical),
            "{name}: {:?} {:?}",
            rep.findings,
            rep.errors
        );
        assert!(rep.errors.is_empty(), "{name}: {:?}", rep.errors);
    }
}

#[test]
fn benign_twins_of_round_five_stay_clean() {
    let opts = ScanOptions::default();
    let dump = fixtures::joblib(false);
    let (a, b) = dump.split_at(dump.len() / 2);
    let zstd = fixtures::bypass::zstd;
    let mut long = b"B".to_vec();
    long.extend_from_slice(&100_000u32.to_le_bytes());
    long.extend(std::iter::repeat_n(b'a', 100_000));
    long.push(b'.');
    let benign_zip = |name: &str| {
        fixtures::zip::ZipBuilder::new()
            .member(fixtures::zip::ZipMember::stored(
                name,
                &fixtures::pickle::benign_ordered_dict(),
            ))
            .build()
    };
    // The helper writes the descr raw: '<f\x34' is '<f4' to numpy.
    let npy = fixtures::npy("<f\\x34", "(1,)", &[0u8; 4]);
    assert!(npy.windows(6).any(|w| w == b"<f\\x34"));
    // Binary that starts with BINBYTES' opcode: a bitmap header.
    let mut bmp = b"BM".to_vec();
    bmp.extend((0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("model.joblib.zst", zstd(&dump)),
        ("frames.joblib.zst", [zstd(a), zstd(b)].concat()),
        ("long_string.pkl", long),
        ("escaped.npy", npy),
        (
            "bundle.pkl.zip",
            [fixtures::tar(&[("readme.txt", b"hello\n")]), benign_zip("model.pkl")].concat(),
        ),
        ("notes.xz.zip", [fixtures::xz(b"hello"), benign_zip("model.pkl")].concat()),
        ("picture.bmp", bmp),
        (
            "MLmodel",
            b"artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    code: null\n    pickled_model: model.pkl\nmlflow_version: 2.8.0\n".to_vec(),
        ),
        // A checkpoint zipped with the script that trained it: the script
        // defines none of the modules the pickle imports.
        (
            "with_script.pt",
            fixtures::zip::ZipBuilder::new()
                .member(fixtures::zip::ZipMember::stored(
                    "archive/data.pkl",
                    &fixtures::pickle::torch_state_dict(2, 4),
                ))
                .member(fixtures::zip::ZipMember::stored("archive/version", b"3\n"))
                .member(fixtures::zip::ZipMember::stored(
                    "archive/train.py",
                    b"import torch\nprint('training')\n",
                ))
                .member(fixtures::zip::ZipMember::stored(
                    "archive/code/utils/helpers.py",
                    b"def f():\n  return 1\n",
                ))
                .build(),
        ),
        // Not an MLmodel: the key means nothing elsewhere.
        ("notes.txt", b"loader_module: custom_loader\ncode: code\n".to_vec()),
    ];
    assert_clean(&cases, &opts);
}

#[test]
fn the_advisory_sweep_bypasses_are_caught() {
    let cases = fixtures::bypass::advisory_sweep();
    assert_eq!(cases.len(), 8);
    assert_caught(&cases);
}

#[test]
fn tokenizers_that_open_paths_from_their_config_are_caught() {
    let cases = fixtures::bypass::tokenizer_paths();
    assert_eq!(cases.len(), 14);
    assert_caught(&cases);
}

#[test]
fn tokenizer_files_inside_the_repository_stay_clean() {
    let layer = |cfg: &str| {
        format!(
            r#"{{"class_name":"Functional","config":{{"name":"m","layers":[{{"class_name":"WordPieceTokenizer","config":{cfg},"module":"keras.layers","registered_name":"keras_hub>WordPieceTokenizer"}}]}}}}"#
        )
    };
    let cases = vec![
        // What keras-hub saves: the vocabulary in the archive's assets,
        // null in the config; or a list.
        ("null.json", layer(r#"{"name":"t","vocabulary":null}"#).into_bytes()),
        ("list.json", layer(r#"{"name":"t","vocabulary":["[PAD]","a"]}"#).into_bytes()),
        // File names inside the repository, and nulls.
        (
            "tokenizer_config.json",
            br#"{"vocab_file": "vocab.txt", "merges_file": "sub/merges.txt", "tokenizer_file": null, "model_max_length": 512}"#.to_vec(),
        ),
        // `open()` expands neither `~` nor `file:`: relative names,
        // medium.
        (
            "tokenizer_config.json",
            br#"{"vocab_file": "~/vocab.txt", "merges_file": "file:merges.txt"}"#.to_vec(),
        ),
        // Old releases saved the author's cache path: medium, not high.
        (
            "tokenizer_config.json",
            br#"{"tokenizer_file": "/root/.cache/huggingface/transformers/3c1d.tokenizer.json"}"#.to_vec(),
        ),
        // Not a config file: the key means nothing there.
        ("notes.json", br#"{"vocab_file": "/etc/passwd"}"#.to_vec()),
        // An RWKV vocabulary of literals only, and a numbered list that
        // is not a vocabulary.
        (
            "rwkv_vocab_v20230424.txt",
            fixtures::bypass::rwkv_vocab("'\\x1b[0m'"),
        ),
        (
            "steps.txt",
            b"1 open the lid 2\n2 pour the water 3\n3 wait a minute 4\n4 x() 5\n".to_vec(),
        ),
    ];
    assert_clean(&cases, &ScanOptions::default());
    let rep = scan_bytes(
        "tokenizer_config.json",
        br#"{"tokenizer_file": "/root/.cache/huggingface/transformers/3c1d.tokenizer.json"}"#,
        &ScanOptions::default(),
    );
    assert!(
        rep.findings
            .iter()
            .any(|f| f.rule_id == "RAMP-HF-004" && f.severity == Severity::Medium),
        "{:?}",
        rep.findings
    );
}

#[test]
fn an_rwkv_vocabulary_longer_than_the_text_limit_is_high() {
    // The tokenizer evals every line; a payload past what the scanner
    // reads of a text file must not pass unreported (review of session 25).
    let mut v = String::new();
    for i in 1..200 {
        v.push_str(&format!("{i} 'tok{i:05}' 8\n"));
    }
    v.push_str("200 __import__('os').system('id') 3\n");
    let mut opts = ScanOptions::default();
    opts.limits.max_text_bytes = 1024;
    let rep = scan_bytes("rwkv_vocab_v20230424.txt", v.as_bytes(), &opts);
    assert!(
        rep.findings
            .iter()
            .any(|f| f.rule_id == "RAMP-TOK-001" && f.severity >= Severity::High),
        "{:?}",
        rep.findings
    );
    // Read whole, the line itself is critical.
    let rep = scan_bytes(
        "rwkv_vocab_v20230424.txt",
        v.as_bytes(),
        &ScanOptions::default(),
    );
    assert!(
        rep.findings
            .iter()
            .any(|f| f.rule_id == "RAMP-TOK-001" && f.severity == Severity::Critical),
        "{:?}",
        rep.findings
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_scanned_directory_is_high() {
    // A Keras model directory whose asset is a link to a file elsewhere:
    // keras 3.15 reads `/etc/passwd` as the vocabulary (keras PR 22896).
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("passwd"), b"root:x:0:0\n").unwrap();
    let model = tempfile::tempdir().unwrap();
    let assets = model.path().join("assets");
    std::fs::create_dir(&assets).unwrap();
    std::os::unix::fs::symlink(outside.path().join("passwd"), assets.join("vocabulary.txt"))
        .unwrap();
    // A link that stays inside is a model's own business.
    std::fs::write(model.path().join("a.txt"), b"a\n").unwrap();
    std::os::unix::fs::symlink(model.path().join("a.txt"), model.path().join("b.txt")).unwrap();
    let rep = scan_paths(&[model.path().to_path_buf()], &ScanOptions::default());
    let esc: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| f.rule_id == "RAMP-SCAN-004")
        .collect();
    assert_eq!(esc.len(), 1, "{:?}", rep.findings);
    assert_eq!(esc[0].severity, Severity::High);
    // An ignore file inside the model directory hides a pickle and a link:
    // neither is scanned, both are reported (review round of session 24).
    std::fs::write(model.path().join(".rampartignore"), b"*.pkl\nhidden/\n").unwrap();
    std::fs::write(
        model.path().join("extra.pkl"),
        fixtures::pickle::os_system("id"),
    )
    .unwrap();
    std::fs::create_dir(model.path().join("hidden")).unwrap();
    std::os::unix::fs::symlink(
        "/nonexistent-rampart-target",
        model.path().join("hidden/dangling"),
    )
    .unwrap();
    let rep = scan_paths(&[model.path().to_path_buf()], &ScanOptions::default());
    let rules: Vec<(&str, &str)> = rep
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.as_str(),
                f.location
                    .as_ref()
                    .and_then(|l| l.path.as_deref())
                    .unwrap_or(""),
            )
        })
        .collect();
    assert!(
        rules
            .iter()
            .any(|(r, p)| *r == "RAMP-SCAN-005" && p.ends_with("extra.pkl")),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|(r, p)| *r == "RAMP-SCAN-004" && p.ends_with("dangling")),
        "{rules:?}"
    );
    assert!(
        !rules.iter().any(|(r, _)| *r == "RAMP-PKL-001"),
        "{rules:?}"
    );
    assert!(
        esc[0].message.contains("vocabulary.txt")
            || format!("{:?}", esc[0].location).contains("vocabulary.txt")
    );
}

#[test]
fn benign_twins_of_the_advisory_sweep_stay_clean() {
    let layer = |cn: &str, cfg: &str| {
        format!(
            r#"{{"class_name":"Functional","config":{{"name":"m","layers":[{{"class_name":"{cn}","config":{cfg},"module":"keras.layers"}}]}}}}"#
        )
    };
    let cases = vec![
        // A vocabulary list, and the null a `.keras` archive saves (the
        // vocabulary then lives in its assets).
        (
            "list.json",
            layer("StringLookup", r#"{"name":"l","vocabulary":["a","b"]}"#).into_bytes(),
        ),
        (
            "null.json",
            layer("TextVectorization", r#"{"name":"t","vocabulary":null}"#).into_bytes(),
        ),
        ("plain.h5", {
            let mut b = fixtures::bypass::hdf5_external_storage("x", 0);
            // No heap where the body points: not an External Data Files
            // message.
            let h = b.windows(4).position(|w| w == b"HEAP").unwrap();
            b[h..h + 4].copy_from_slice(b"TREE");
            b
        }),
        (
            "config.yaml",
            b"trainer:
  target: gpu
  my_target_: x
"
            .to_vec(),
        ),
        // Tensor bytes that spell `{"`, `\u` and `}` but are not UTF-8:
        // not a config that failed to parse (a 200 MB Keras 3 weights file
        // was an error entry).
        ("noise.weights.h5", {
            let mut b = b"\x89HDF\r\n\x1a\n".to_vec();
            b.resize(64, 0);
            b.extend_from_slice(b"{\"\xff\xfe class \\u00\xc3\x28\": 1}");
            b.resize(256, 0);
            b
        }),
    ];
    assert_clean(&cases, &ScanOptions::default());
}

#[test]
fn a_large_operand_after_its_frame_is_clean() {
    // CPython ends the frame before a large `BINBYTES` and writes the
    // operand outside it; only an operand that starts inside a frame and
    // runs past its end is RAMP-PKL-010.
    let twin = fixtures::bypass::framed_binbytes(&[7u8; 300], false);
    let rep = scan_bytes("framed.pkl", &twin, &ScanOptions::default());
    assert!(
        rep.findings.is_empty() && rep.errors.is_empty(),
        "{:?} {:?}",
        rep.findings,
        rep.errors
    );
    let bad = fixtures::bypass::framed_binbytes(&[7u8; 300], true);
    let rep = scan_bytes("straddle.pkl", &bad, &ScanOptions::default());
    assert!(
        rep.findings.iter().any(|f| f.rule_id == "RAMP-PKL-010"),
        "{:?}",
        rep.findings
    );
}

#[test]
fn benign_twins_of_the_allowlist_state_checks_stay_clean() {
    let cases = fixtures::bypass::allowlist_state_twins();
    assert_eq!(cases.len(), 7);
    for (name, bytes) in &cases {
        let rep = scan_bytes(name, bytes, &ScanOptions::default());
        assert!(
            rep.findings.is_empty() && rep.errors.is_empty(),
            "{name}: {:?} {:?}",
            rep.findings,
            rep.errors
        );
    }
}

/// Each benign twin stays below high and is fully parsed.
/// Each case, scanned alone, has a finding of its rule at its severity
/// or above.
fn assert_caught(cases: &[fixtures::bypass::Bypass]) {
    for fx in cases {
        let rep = scan_bytes(fx.name, &fx.bytes, &ScanOptions::default());
        assert!(
            rep.findings
                .iter()
                .any(|f| f.rule_id == fx.rule && f.severity >= fx.min),
            "{} ({}): {:?}",
            fx.name,
            fx.technique,
            rep.findings
        );
    }
}

fn assert_clean(cases: &[(&str, Vec<u8>)], opts: &ScanOptions) {
    for (name, bytes) in cases {
        let rep = scan_bytes(name, bytes, opts);
        assert!(
            rep.max_severity() < Some(Severity::High) && rep.errors.is_empty(),
            "{name}: {:?} {:?}",
            rep.findings,
            rep.errors
        );
    }
}

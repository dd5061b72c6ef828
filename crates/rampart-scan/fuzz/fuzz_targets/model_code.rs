//! The readers of files that name code: a skops `schema.json`, a
//! transformers `config.json`, a TensorFlow graph's constant paths, an
//! ONNX model's external data (the protobuf walk), an MLflow `MLmodel`
//! (the YAML parser), Python source, an HDF5 weights file (the external
//! storage search), a Hydra YAML config, a tokenizer config's file
//! arguments and an RWKV vocabulary. The first byte picks the file
//! name, so one corpus reaches them all; the Python analyser also runs on
//! every input read as text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let name = match pick % 11 {
        0 => "m.skops!schema.json",
        1 => "config.json",
        2 => "modules.json",
        3 => "saved_model.pb",
        4 => "model.onnx",
        5 => "m.zip!MLmodel",
        6 => "m.keras!model.weights.h5",
        7 => "m.nemo!model_config.yaml",
        8 => "tokenizer_config.json",
        9 => "m.keras!assets/tokenizer/rwkv_vocab.txt",
        _ => "m.zip!code/m.py",
    };
    let opts = rampart_scan::ScanOptions {
        secrets: false,
        ..rampart_scan::ScanOptions::default()
    };
    let _ = rampart_scan::scan_bytes(name, rest, &opts);
    let _ = rampart_scan::formats::pysrc::analyse(&String::from_utf8_lossy(rest));
});

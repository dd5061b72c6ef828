//! Makes the static token embedding table that `rampart-ml` ships
//! (`crates/rampart-ml/models/static-minilm.bin`), from a local
//! sentence-transformers model directory: every vocabulary token is run
//! through the encoder alone, as `[CLS] token [SEP]`, with the model's own
//! pooling and normalisation (the Model2Vec recipe); the rows are then
//! centred and projected on their top principal components, and each row
//! is quantised to i8 with its own scale.
//!
//! `cargo run --release -p rampart-transformer --features candle --example static_table -- MODEL_DIR OUT [DIM]`
//!
//! Deterministic: the same model files give the same bytes.

use rampart_ml::statics::{quantize_row, StaticMeta, StaticTable};
use rampart_transformer::TransformerModel;
use std::path::Path;

/// The vocabulary in id order, from `tokenizer.json` (`model.vocab`).
fn vocab(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("tokenizer.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("tokenizer.json").display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("tokenizer.json is JSON");
    let map = v["model"]["vocab"]
        .as_object()
        .expect("tokenizer.json has model.vocab (a WordPiece tokenizer)");
    let mut toks = vec![String::new(); map.len()];
    for (t, id) in map {
        let id = id.as_u64().expect("vocabulary ids are integers") as usize;
        assert!(id < toks.len(), "vocabulary id {id} out of range");
        toks[id] = t.clone();
    }
    toks
}

/// Top `k` principal directions of `rows` (centred), by subspace
/// iteration on the covariance matrix from a fixed start: deterministic,
/// and `dim` is small (hundreds), so plain loops are fast enough.
fn principal(rows: &[Vec<f32>], mean: &[f64], k: usize) -> Vec<Vec<f64>> {
    let d = mean.len();
    let mut cov = vec![0f64; d * d];
    for r in rows {
        let c: Vec<f64> = r.iter().zip(mean).map(|(&x, m)| f64::from(x) - m).collect();
        for i in 0..d {
            let ci = c[i];
            for j in i..d {
                cov[i * d + j] += ci * c[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i * d + j] = cov[j * d + i];
        }
    }
    let mut q: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..d)
                .map(|j| (((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0) - 0.5)
                .collect()
        })
        .collect();
    for _ in 0..200 {
        let mut next: Vec<Vec<f64>> = q
            .iter()
            .map(|v| {
                (0..d)
                    .map(|i| (0..d).map(|j| cov[i * d + j] * v[j]).sum())
                    .collect()
            })
            .collect();
        // Gram-Schmidt, twice for stability.
        for i in 0..k {
            for _ in 0..2 {
                for j in 0..i {
                    let dot: f64 = next[i].iter().zip(&next[j]).map(|(a, b)| a * b).sum();
                    let prev = next[j].clone();
                    for (a, b) in next[i].iter_mut().zip(prev) {
                        *a -= dot * b;
                    }
                }
            }
            let n = next[i].iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-30);
            next[i].iter_mut().for_each(|x| *x /= n);
        }
        q = next;
    }
    q
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, out) = match (args.first(), args.get(1)) {
        (Some(d), Some(o)) => (Path::new(d), Path::new(o)),
        _ => panic!("usage: static_table MODEL_DIR OUT [DIM]"),
    };
    let model = TransformerModel::load(dir).unwrap_or_else(|e| panic!("{e}"));
    let tokens = vocab(dir);
    let dim: usize = args
        .get(2)
        .map(|s| s.parse().expect("DIM is a number"))
        .unwrap_or(model.dim());
    assert!(
        (1..=model.dim()).contains(&dim),
        "DIM must be 1..={}",
        model.dim()
    );
    let (cls, sep) = {
        let w = model.windows("a").unwrap_or_else(|e| panic!("{e}"));
        (w[0].ids[0], *w[0].ids.last().expect("a window has tokens"))
    };
    let t0 = std::time::Instant::now();
    let wins: Vec<Vec<u32>> = (0..tokens.len() as u32)
        .map(|t| vec![cls, t, sep])
        .collect();
    let refs: Vec<&[u32]> = wins.iter().map(Vec::as_slice).collect();
    let rows = model.embed_windows(&refs).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "embedded {} tokens in {:.1} s",
        rows.len(),
        t0.elapsed().as_secs_f64()
    );
    let d = model.dim();
    let mut mean = vec![0f64; d];
    for r in &rows {
        for (m, &x) in mean.iter_mut().zip(r) {
            *m += f64::from(x);
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
    let (projected, method): (Vec<Vec<f32>>, String) = if dim == d {
        (
            rows.clone(),
            "[CLS] token [SEP] through the encoder, its pooling and normalisation; i8 per row"
                .into(),
        )
    } else {
        let pcs = principal(&rows, &mean, dim);
        let p = rows
            .iter()
            .map(|r| {
                pcs.iter()
                    .map(|pc| {
                        r.iter()
                            .zip(&mean)
                            .zip(pc)
                            .map(|((&x, m), c)| (f64::from(x) - m) * c)
                            .sum::<f64>() as f32
                    })
                    .collect()
            })
            .collect();
        (
            p,
            format!(
                "[CLS] token [SEP] through the encoder, its pooling and normalisation; \
                 centred, top {dim} of {d} principal components; i8 per row"
            ),
        )
    };
    let unk = tokens
        .iter()
        .position(|t| t == "[UNK]")
        .expect("vocabulary has [UNK]") as u32;
    let mut scales = Vec::with_capacity(tokens.len());
    let mut q = Vec::with_capacity(tokens.len() * dim);
    for r in &projected {
        let (s, row) = quantize_row(r);
        scales.push(s);
        q.extend(row);
    }
    let meta = StaticMeta {
        name: rampart_ml::models::STATICS_NAME.to_string(),
        source: "sentence-transformers/all-MiniLM-L6-v2".to_string(),
        source_sha256: model.weights_sha256().to_string(),
        dim,
        vocab: tokens.len(),
        unk,
        method,
    };
    let table = StaticTable::new(meta, tokens, scales, q).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out, table.to_bytes()).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    eprintln!("wrote {} (dimension {dim})", out.display());
}

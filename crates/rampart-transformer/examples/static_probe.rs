//! Experiment, not shipped: would static token embeddings distilled from the
//! encoder (Model2Vec-style: each vocabulary token embedded alone as
//! `[CLS] token [SEP]`, a text = the normalised mean of its tokens'
//! vectors) carry enough meaning for a microsecond-scale semantic feature?
//! Trains and measures a head on them with exactly the code and split of
//! `rampart detector train --backend transformer` (`train::train_head`).
//!
//! `cargo run -p rampart-transformer --features candle --example static_probe -- MODEL_DIR [harm|injection]`

use rampart_transformer::train::{train_head, Embedder, TrainOptions};
use rampart_transformer::{Error, TransformerModel};

struct Static<'a> {
    model: &'a TransformerModel,
    table: Vec<Vec<f32>>,
}

impl Embedder for Static<'_> {
    fn dim(&self) -> usize {
        self.model.dim()
    }
    fn weights_sha256(&self) -> String {
        format!("static-{}", self.model.weights_sha256())
    }
    fn window_tokens(&self) -> usize {
        usize::MAX
    }
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>, Error> {
        texts
            .iter()
            .map(|t| {
                let ids = self.model.tokenize(t)?;
                let mut v = vec![0f32; self.dim()];
                for id in &ids {
                    if let Some(row) = self.table.get(*id as usize) {
                        for (a, b) in v.iter_mut().zip(row) {
                            *a += b;
                        }
                    }
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
                v.iter_mut().for_each(|x| *x /= n);
                Ok(vec![v])
            })
            .collect()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .expect("usage: static_probe MODEL_DIR [harm|injection]");
    let target = args.get(1).map_or("harm", String::as_str);
    let model = TransformerModel::load(std::path::Path::new(dir)).unwrap_or_else(|e| panic!("{e}"));
    let t0 = std::time::Instant::now();
    // Vocabulary size from the tokenizer: the largest id any token maps to
    // is below it; probe ids until the encoder refuses.
    let vocab = 30522u32;
    let (cls, sep) = {
        let w = model.windows("a").unwrap();
        (w[0].ids[0], *w[0].ids.last().unwrap())
    };
    let wins: Vec<Vec<u32>> = (0..vocab).map(|t| vec![cls, t, sep]).collect();
    let refs: Vec<&[u32]> = wins.iter().map(|w| w.as_slice()).collect();
    let table = model.embed_windows(&refs).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "static table: {} tokens in {:.1} s",
        table.len(),
        t0.elapsed().as_secs_f64()
    );
    let emb = Static {
        model: &model,
        table,
    };
    let opts = TrainOptions {
        target: target.parse().unwrap_or_else(|e: String| panic!("{e}")),
        progress: false,
        ..Default::default()
    };
    let dir = rampart_ml::data::default_data_dir();
    let t = train_head(&emb, model.files().to_vec(), &dir, &opts).unwrap_or_else(|e| panic!("{e}"));
    println!("{}", t.report.to_markdown());
}

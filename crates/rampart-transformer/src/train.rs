//! Training and measuring the head on exactly the data and split of the
//! shipped hashed injection classifier (`rampart_ml::data`): the same
//! recipe files, the same FNV-1a split (0 = held-aside test, 1 =
//! calibration, 2..9 = train), measure-only files never trained on.
//!
//! Each text contributes one example per window, weighted `1 / windows` so
//! that a long text counts as much as a short one. The L2 strength is
//! chosen on the calibration split (TPR at 1% FPR), the threshold on the
//! calibration negatives (`target_fpr`). Training is deterministic: fixed
//! data order, batches and a convex fit solved by Newton's method.

use crate::head::{fit, Head, HEAD_FORMAT};
use crate::{Error, TransformerModel};
use rampart_ml::data::{self, FileInfo, Item, Metrics, Role, Split};
use rampart_ml::linear::sigmoid;
use rampart_ml::train::threshold_for;
use serde::Serialize;
use std::path::Path;

/// Something that turns texts into one embedding per window.
pub trait Embedder {
    fn dim(&self) -> usize;
    /// SHA-256 of the weights, stored in the head.
    fn weights_sha256(&self) -> String;
    /// One embedding per window for each text, in order.
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>, Error>;
}

impl Embedder for TransformerModel {
    fn dim(&self) -> usize {
        TransformerModel::dim(self)
    }
    fn weights_sha256(&self) -> String {
        TransformerModel::weights_sha256(self).to_string()
    }
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>, Error> {
        let mut wins = Vec::new();
        let mut counts = Vec::with_capacity(texts.len());
        for t in texts {
            let w = self.windows(t)?;
            counts.push(w.len());
            wins.extend(w.into_iter().map(|w| w.ids));
        }
        let refs: Vec<&[u32]> = wins.iter().map(|w| w.as_slice()).collect();
        let mut flat = self.embed_windows(&refs)?.into_iter();
        Ok(counts
            .into_iter()
            .map(|n| flat.by_ref().take(n).collect())
            .collect())
    }
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// FPR the threshold is set for on the calibration negatives.
    pub target_fpr: f64,
    /// L2 strengths tried; the best on the calibration split wins.
    pub l2_grid: Vec<f64>,
    /// Print progress to stderr while embedding.
    pub progress: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            // The shipped hashed classifier's calibration target.
            target_fpr: 0.005,
            l2_grid: vec![1e-4, 1e-3, 1e-2, 1e-1],
            progress: false,
        }
    }
}

/// False positives of one benign file at the 0.5 threshold.
#[derive(Debug, Clone, Serialize)]
pub struct BenignRow {
    pub path: String,
    pub on: &'static str,
    pub evaluated: usize,
    pub transformer_fpr: f64,
    pub hashed_fpr: f64,
    pub max_fpr: f64,
}

/// What a training run did: the head's model card.
#[derive(Debug, Clone, Serialize)]
pub struct HeadReport {
    pub head_sha256: String,
    pub model_files: Vec<(String, String)>,
    pub data_files: Vec<FileInfo>,
    pub split: &'static str,
    pub train_texts: usize,
    pub train_windows: usize,
    pub calib_texts: usize,
    pub test_texts: usize,
    pub target_fpr: f64,
    /// (l2, calibration TPR at 1% FPR, calibration ROC AUC)
    pub l2_search: Vec<(f64, f64, f64)>,
    pub l2: f64,
    /// Held-aside test split: the head, the shipped hashed classifier, and
    /// their maximum (the engine's default combination).
    pub test_transformer: Metrics,
    pub test_hashed: Metrics,
    pub test_max: Metrics,
    pub test_mean: Metrics,
    pub benign: Vec<BenignRow>,
}

/// The trained head and its report.
pub struct Trained {
    pub head: Head,
    pub report: HeadReport,
}

fn max_logit(head: &Head, embs: &[Vec<f32>]) -> f32 {
    embs.iter()
        .map(|e| head.logit(e))
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Fit an uncalibrated head (threshold at logit 0) on labelled texts, one
/// example per window weighted 1 / windows: the core of [`train_head`],
/// for small experiments and tests.
pub fn fit_head(
    emb: &dyn Embedder,
    texts: &[&str],
    labels: &[bool],
    l2: f64,
) -> Result<Head, Error> {
    let embs = emb.embed_texts(texts)?;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut ws = Vec::new();
    for (e, y) in embs.iter().zip(labels) {
        for v in e {
            xs.push(v.clone());
            ys.push(*y);
            ws.push(1.0 / e.len() as f64);
        }
    }
    let (w, b) = fit(&xs, &ys, &ws, l2)?;
    Ok(head(emb, emb.dim(), w, b, 0.0, l2))
}

/// Train, calibrate and measure a head on the injection recipe's data in
/// `data_dir`.
pub fn train_head(
    emb: &dyn Embedder,
    model_files: Vec<(String, String)>,
    data_dir: &Path,
    opts: &TrainOptions,
) -> Result<Trained, Error> {
    let (files, items) = data::load(data_dir, &data::injection_sources(), false)?;
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let mut embs: Vec<Vec<Vec<f32>>> = Vec::with_capacity(texts.len());
    const CHUNK: usize = 256;
    let t0 = std::time::Instant::now();
    for (ci, chunk) in texts.chunks(CHUNK).enumerate() {
        embs.extend(emb.embed_texts(chunk)?);
        if opts.progress {
            eprintln!(
                "[transformer] embedded {}/{} texts ({:.0} s)",
                (ci * CHUNK + chunk.len()).min(texts.len()),
                texts.len(),
                t0.elapsed().as_secs_f64()
            );
        }
    }
    let dim = emb.dim();
    let sel = |f: &dyn Fn(&Item) -> bool| -> Vec<usize> {
        items
            .iter()
            .enumerate()
            .filter(|(_, i)| f(i))
            .map(|(k, _)| k)
            .collect()
    };
    let train_ix = sel(&|i| !i.measure_only && i.split == Split::Train);
    let calib_ix = sel(&|i| !i.measure_only && i.split == Split::Calib);
    let test_ix = sel(&|i| !i.measure_only && i.split == Split::Test);

    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut ws = Vec::new();
    for &k in &train_ix {
        let n = embs[k].len().max(1) as f64;
        for e in &embs[k] {
            if e.len() != dim {
                return Err(Error::Train(format!(
                    "embedding of width {} (expected {dim})",
                    e.len()
                )));
            }
            xs.push(e.clone());
            ys.push(items[k].label);
            ws.push(1.0 / n);
        }
    }
    let mut best: Option<(f64, f64, f64, Vec<f32>, f32)> = None;
    let mut search = Vec::new();
    for &l2 in &opts.l2_grid {
        let (w, b) = fit(&xs, &ys, &ws, l2)?;
        let h = head(emb, dim, w.clone(), b, opts.target_fpr, l2);
        let (p, n) = split_scores(&calib_ix, &items, |k| max_logit(&h, &embs[k]));
        let m = data::metrics(&p, &n);
        search.push((l2, m.tpr_at_1pct_fpr, m.roc_auc));
        let better = match &best {
            None => true,
            Some((_, t, a, _, _)) => (m.tpr_at_1pct_fpr, m.roc_auc) > (*t, *a),
        };
        if better {
            best = Some((l2, m.tpr_at_1pct_fpr, m.roc_auc, w, b));
        }
    }
    let Some((l2, _, _, w, b)) = best else {
        return Err(Error::Train("empty L2 grid".into()));
    };
    let mut h = head(emb, dim, w, b, opts.target_fpr, l2);
    let calib_neg: Vec<f32> = calib_ix
        .iter()
        .filter(|&&k| !items[k].label)
        .map(|&k| max_logit(&h, &embs[k]))
        .collect();
    h.calibrate(threshold_for(&calib_neg, opts.target_fpr));

    let hashed = rampart_ml::models::injection();
    let t_score = |k: usize| sigmoid(max_logit(&h, &embs[k]));
    let h_scores: Vec<f32> = items.iter().map(|i| hashed.score(&i.text)).collect();
    let m_of = |f: &dyn Fn(usize) -> f32| {
        let (p, n) = split_scores(&test_ix, &items, f);
        data::metrics(&p, &n)
    };
    let test_transformer = m_of(&t_score);
    let test_hashed = m_of(&|k| h_scores[k]);
    let test_max = m_of(&|k| t_score(k).max(h_scores[k]));
    let test_mean = m_of(&|k| (t_score(k) + h_scores[k]) / 2.0);

    let mut benign = Vec::new();
    for (si, f) in files.iter().enumerate() {
        let measure = f.role == Role::MeasureOnly;
        let set: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.source == si && !i.label && (measure || i.split == Split::Test))
            .map(|(k, _)| k)
            .collect();
        if set.is_empty() {
            continue;
        }
        let rate = |f: &dyn Fn(usize) -> bool| {
            set.iter().filter(|&&k| f(k)).count() as f64 / set.len() as f64
        };
        benign.push(BenignRow {
            path: f.path.clone(),
            on: if measure {
                "all (measure-only)"
            } else {
                "held-aside"
            },
            evaluated: set.len(),
            transformer_fpr: rate(&|k| t_score(k) >= 0.5),
            hashed_fpr: rate(&|k| h_scores[k] >= 0.5),
            max_fpr: rate(&|k| t_score(k).max(h_scores[k]) >= 0.5),
        });
    }
    let head_json = h.to_json();
    let report = HeadReport {
        head_sha256: data::hex_digest(head_json.as_bytes()),
        model_files,
        data_files: files,
        split: data::SPLIT_RULE,
        train_texts: train_ix.len(),
        train_windows: xs.len(),
        calib_texts: calib_ix.len(),
        test_texts: test_ix.len(),
        target_fpr: opts.target_fpr,
        l2_search: search,
        l2,
        test_transformer,
        test_hashed,
        test_max,
        test_mean,
        benign,
    };
    Ok(Trained { head: h, report })
}

fn head(emb: &dyn Embedder, dim: usize, w: Vec<f32>, b: f32, fpr: f64, l2: f64) -> Head {
    Head {
        format: HEAD_FORMAT.to_string(),
        model_sha256: emb.weights_sha256(),
        dim,
        weights: w,
        bias: b,
        target_fpr: fpr,
        l2,
    }
}

fn split_scores(ix: &[usize], items: &[Item], f: impl Fn(usize) -> f32) -> (Vec<f32>, Vec<f32>) {
    let mut p = Vec::new();
    let mut n = Vec::new();
    for &k in ix {
        if items[k].label {
            p.push(f(k));
        } else {
            n.push(f(k));
        }
    }
    (p, n)
}

impl HeadReport {
    /// The model card in Markdown.
    pub fn to_markdown(&self) -> String {
        let pct = |x: f64| format!("{:.2}%", x * 100.0);
        let mut s = String::from("# Model card: transformer injection head\n\n");
        s.push_str("Logistic regression on mean-pooled, L2-normalised sentence embeddings of a local encoder, trained in Rust by `rampart detector train --backend transformer`. Long texts are scored in overlapping token windows (maximum); a score >= 0.5 is the calibrated threshold.\n\n");
        s.push_str(&format!(
            "- Head file SHA-256: `{}`\n- Split: {}\n- Texts: {} train ({} windows), {} calibration, {} held-aside test\n- Threshold: {} FPR on the calibration negatives; L2 = {} (chosen on the calibration split)\n\n",
            self.head_sha256, self.split, self.train_texts, self.train_windows, self.calib_texts, self.test_texts, pct(self.target_fpr), self.l2
        ));
        s.push_str("## Encoder files\n\n| file | SHA-256 |\n|---|---|\n");
        for (f, h) in &self.model_files {
            s.push_str(&format!("| `{f}` | `{h}` |\n"));
        }
        s.push('\n');
        s.push_str(&data::training_files_table(&self.data_files));
        s.push_str("\nFiles with role `MeasureOnly` are never trained on; they are only scored.\n\n## Held-aside test split\n\n| scorer | positives | negatives | TPR @ 0.5 | FPR @ 0.5 | TPR @ 1% FPR | ROC AUC |\n|---|---|---|---|---|---|---|\n");
        for (name, m) in [
            ("transformer head", &self.test_transformer),
            ("hashed classifier (shipped)", &self.test_hashed),
            ("max of both (engine default)", &self.test_max),
            ("mean of both", &self.test_mean),
        ] {
            s.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {:.4} |\n",
                m.positives,
                m.negatives,
                pct(m.tpr),
                pct(m.fpr),
                pct(m.tpr_at_1pct_fpr),
                m.roc_auc
            ));
        }
        s.push_str("\n## L2 search (calibration split)\n\n| L2 | TPR @ 1% FPR | ROC AUC |\n|---|---|---|\n");
        for (l2, t, a) in &self.l2_search {
            s.push_str(&format!("| {l2} | {} | {a:.4} |\n", pct(*t)));
        }
        s.push_str("\n## False positives per benign set (threshold 0.5)\n\n| file | evaluated on | texts | transformer | hashed | max |\n|---|---|---|---|---|---|\n");
        for b in &self.benign {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                b.path,
                b.on,
                b.evaluated,
                pct(b.transformer_fpr),
                pct(b.hashed_fpr),
                pct(b.max_fpr)
            ));
        }
        s
    }
}

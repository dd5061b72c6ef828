//! Training and measuring a head on exactly the data and split of a
//! shipped hashed classifier (`rampart_ml::data`), injection or harm: the
//! same recipe files, the same FNV-1a split (0 = held-aside test, 1 =
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
    /// Tokens per window (part of an embedding cache's identity).
    fn window_tokens(&self) -> usize;
    /// One embedding per window the detector scores (full-length and short
    /// windows: [`TransformerModel::scoring_windows`]) for each text.
    fn embed_scoring_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>, Error> {
        self.embed_texts(texts)
    }
}

impl TransformerModel {
    /// One embedding per window for each text, the windows cut by `cut`.
    fn embed_window_sets(
        &self,
        texts: &[&str],
        cut: fn(&Self, &str) -> Result<Vec<crate::Window>, Error>,
    ) -> Result<Vec<Vec<Vec<f32>>>, Error> {
        let sets = texts
            .iter()
            .map(|t| cut(self, t))
            .collect::<Result<Vec<_>, _>>()?;
        let counts: Vec<usize> = sets.iter().map(Vec::len).collect();
        let wins: Vec<Vec<u32>> = sets.into_iter().flatten().map(|w| w.ids).collect();
        let refs: Vec<&[u32]> = wins.iter().map(|w| w.as_slice()).collect();
        let mut flat = self.embed_windows(&refs)?.into_iter();
        Ok(counts
            .into_iter()
            .map(|n| flat.by_ref().take(n).collect())
            .collect())
    }
}

impl Embedder for TransformerModel {
    fn dim(&self) -> usize {
        TransformerModel::dim(self)
    }
    fn weights_sha256(&self) -> String {
        TransformerModel::weights_sha256(self).to_string()
    }
    fn window_tokens(&self) -> usize {
        self.max_tokens()
    }
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>, Error> {
        self.embed_window_sets(texts, TransformerModel::windows)
    }
    fn embed_scoring_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Vec<f32>>>, Error> {
        self.embed_window_sets(texts, TransformerModel::scoring_windows)
    }
}

/// Which shipped classifier's recipe a head is trained on, and so which
/// engine score it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Prompt injection and jailbreaks (`injection`).
    #[default]
    Injection,
    /// Harmful requests (`harm`).
    Harm,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Injection => "injection",
            Target::Harm => "harm",
        }
    }
    /// The hashed classifier's recipe: its files, the negatives-only rule
    /// for labelled files, its calibration target and its augmentation.
    fn recipe(self) -> rampart_ml::train::BinaryRecipe<'static> {
        match self {
            Target::Injection => rampart_ml::train::injection_recipe(),
            Target::Harm => rampart_ml::train::harm_recipe(),
        }
    }
    fn hashed(self) -> &'static rampart_ml::TextClassifier {
        match self {
            Target::Injection => rampart_ml::models::injection(),
            Target::Harm => rampart_ml::models::harm(),
        }
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "injection" => Ok(Target::Injection),
            "harm" => Ok(Target::Harm),
            o => Err(format!(
                "unknown head target `{o}`: expected injection or harm"
            )),
        }
    }
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The recipe and engine score the head is for.
    pub target: Target,
    /// FPR the threshold is set for on the calibration negatives; `None`
    /// takes the hashed recipe's own target (0.5% injection, 0.8% harm),
    /// so that the head and the classifier it joins are calibrated alike.
    pub target_fpr: Option<f64>,
    /// L2 strengths tried; the best on the calibration split wins.
    pub l2_grid: Vec<f64>,
    /// Print progress to stderr while embedding.
    pub progress: bool,
    /// Train on the hashed recipe's augmented examples too (on by default).
    pub augment: bool,
    /// Keep window embeddings in this file across runs
    /// ([`crate::cache::EmbeddingCache`]).
    pub cache: Option<std::path::PathBuf>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            target: Target::Injection,
            target_fpr: None,
            l2_grid: vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0],
            progress: false,
            augment: true,
            cache: None,
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
    pub sum_fpr: f64,
}

/// What a training run did: the head's model card.
#[derive(Debug, Clone, Serialize)]
pub struct HeadReport {
    pub target: Target,
    pub head_sha256: String,
    pub model_files: Vec<(String, String)>,
    pub data_files: Vec<FileInfo>,
    pub split: &'static str,
    pub train_texts: usize,
    /// Of which made by the recipe's augmentation.
    pub augmented_texts: usize,
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
    /// Sum of the two calibrated logits, its threshold set on the
    /// calibration negatives at `target_fpr` (`sum_offset`): the engine's
    /// `--combine sum`.
    pub test_sum: Metrics,
    pub sum_offset: f32,
    /// Harm heads: the held-aside harmful goals wrapped in persona and
    /// fiction framings never seen in training (transformer, hashed, max).
    pub framed: Option<[Metrics; 4]>,
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
    Ok(head(emb, emb.dim(), w, b, 0.0, l2, Target::Injection))
}

/// Train, calibrate and measure a head on its target's recipe data in
/// `data_dir`.
pub fn train_head(
    emb: &dyn Embedder,
    model_files: Vec<(String, String)>,
    data_dir: &Path,
    opts: &TrainOptions,
) -> Result<Trained, Error> {
    let recipe = opts.target.recipe();
    let target_fpr = opts.target_fpr.unwrap_or(recipe.target_fpr);
    let (files, items) = data::load(data_dir, &recipe.sources, recipe.labelled_negatives_only)?;
    // The hashed recipe's augmentation, made from the same training split
    // with the same seed: for harm, persona and fiction framings around
    // training goals and benign texts, and benign requests in the goals'
    // imperative shape ("Write a script that backs up files...", "Create a
    // program that detects phishing..."), so that neither the framing nor
    // the shape nor a protective mention of a hazard is evidence.
    let augmented: Vec<(String, bool)> = {
        let train_items: Vec<&Item> = items
            .iter()
            .filter(|i| !i.measure_only && i.split == Split::Train)
            .collect();
        let mut rng = rampart_ml::linear::Rng::new(recipe.train.seed ^ 0xa5a5_a5a5);
        match recipe.augment {
            Some(aug) if opts.augment => aug(&train_items, &mut rng),
            _ => Vec::new(),
        }
    };
    // Harm heads are also measured on held-aside goals in framings never
    // trained on; their embeddings are computed with the rest.
    let framed_texts: Vec<String> = if opts.target == Target::Harm {
        items
            .iter()
            .filter(|i| i.label && !i.measure_only && i.split == Split::Test)
            .enumerate()
            .map(|(k, i)| {
                let f = rampart_ml::train::EVAL_FRAMES[k % rampart_ml::train::EVAL_FRAMES.len()];
                f.replacen("{}", i.text.trim(), 1)
            })
            .collect()
    } else {
        Vec::new()
    };
    // Items, then the framed evaluation texts, then the augmented examples.
    let texts: Vec<&str> = items
        .iter()
        .map(|i| i.text.as_str())
        .chain(framed_texts.iter().map(String::as_str))
        .chain(augmented.iter().map(|(t, _)| t.as_str()))
        .collect();
    let aug_start = items.len() + framed_texts.len();
    // Training texts are read as full windows, one example each; every
    // text that is scored (calibration, test, measure-only, framed) is
    // read as the detector reads it, full and short windows
    // ([`Embedder::embed_scoring_texts`]), so that the threshold is set,
    // and the figures measured, on the scores the engine will see.
    let trains = |k: usize| {
        k >= aug_start
            || (k < items.len() && !items[k].measure_only && items[k].split == Split::Train)
    };
    let (train_k, score_k): (Vec<usize>, Vec<usize>) = (0..texts.len()).partition(|&k| trains(k));
    let pick = |ks: &[usize]| ks.iter().map(|&k| texts[k]).collect::<Vec<&str>>();
    let mut embs: Vec<Vec<Vec<f32>>> = vec![Vec::new(); texts.len()];
    for (k, e) in train_k
        .iter()
        .zip(embed_all(emb, &pick(&train_k), opts, false)?)
    {
        embs[*k] = e;
    }
    for (k, e) in score_k
        .iter()
        .zip(embed_all(emb, &pick(&score_k), opts, true)?)
    {
        embs[*k] = e;
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
    for (j, (_, label)) in augmented.iter().enumerate() {
        let e = &embs[aug_start + j];
        let n = e.len().max(1) as f64;
        for v in e {
            xs.push(v.clone());
            ys.push(*label);
            ws.push(1.0 / n);
        }
    }
    let mut best: Option<(f64, f64, f64, Vec<f32>, f32)> = None;
    let mut search = Vec::new();
    for &l2 in &opts.l2_grid {
        let (w, b) = fit(&xs, &ys, &ws, l2)?;
        let h = head(emb, dim, w.clone(), b, target_fpr, l2, opts.target);
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
    let mut h = head(emb, dim, w, b, target_fpr, l2, opts.target);
    let calib_neg: Vec<f32> = calib_ix
        .iter()
        .filter(|&&k| !items[k].label)
        .map(|&k| max_logit(&h, &embs[k]))
        .collect();
    h.calibrate(threshold_for(&calib_neg, target_fpr));

    let hashed = opts.target.hashed();
    let t_score = |k: usize| sigmoid(max_logit(&h, &embs[k]));
    let h_scores: Vec<f32> = texts.iter().map(|t| hashed.score(t)).collect();
    let m_of = |f: &dyn Fn(usize) -> f32| {
        let (p, n) = split_scores(&test_ix, &items, f);
        data::metrics(&p, &n)
    };
    let test_transformer = m_of(&t_score);
    let test_hashed = m_of(&|k| h_scores[k]);
    let test_max = m_of(&|k| t_score(k).max(h_scores[k]));
    let test_mean = m_of(&|k| (t_score(k) + h_scores[k]) / 2.0);
    let z_sum = |k: usize| max_logit(&h, &embs[k]) + crate::detector::logit_of(h_scores[k]);
    let calib_sum: Vec<f32> = calib_ix
        .iter()
        .filter(|&&k| !items[k].label)
        .map(|&k| z_sum(k))
        .collect();
    let sum_offset = threshold_for(&calib_sum, target_fpr);
    let test_sum = m_of(&|k| sigmoid(z_sum(k) - sum_offset));
    let framed = (!framed_texts.is_empty()).then(|| {
        let neg: Vec<usize> = test_ix
            .iter()
            .copied()
            .filter(|&k| !items[k].label)
            .collect();
        let fr: Vec<usize> = (items.len()..aug_start).collect();
        let m = |f: &dyn Fn(usize) -> f32| {
            let p: Vec<f32> = fr.iter().map(|&k| f(k)).collect();
            let n: Vec<f32> = neg.iter().map(|&k| f(k)).collect();
            data::metrics(&p, &n)
        };
        [
            m(&t_score),
            m(&|k| h_scores[k]),
            m(&|k| t_score(k).max(h_scores[k])),
            m(&|k| sigmoid(z_sum(k) - sum_offset)),
        ]
    });

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
            sum_fpr: rate(&|k| z_sum(k) >= sum_offset),
        });
    }
    h.sum_offset = sum_offset;
    let head_json = h.to_json();
    let report = HeadReport {
        target: opts.target,
        head_sha256: data::hex_digest(head_json.as_bytes()),
        model_files,
        data_files: files,
        split: data::SPLIT_RULE,
        train_texts: train_ix.len() + augmented.len(),
        augmented_texts: augmented.len(),
        train_windows: xs.len(),
        calib_texts: calib_ix.len(),
        test_texts: test_ix.len(),
        target_fpr,
        l2_search: search,
        l2,
        test_transformer,
        test_hashed,
        test_max,
        test_mean,
        test_sum,
        sum_offset,
        framed,
        benign,
    };
    Ok(Trained { head: h, report })
}

/// Embeddings of every text, in order (`scoring`: the detector's windows,
/// else the full windows): from the cache where it has them, the rest
/// embedded in chunks (each chunk written through to the cache).
fn embed_all(
    emb: &dyn Embedder,
    texts: &[&str],
    opts: &TrainOptions,
    scoring: bool,
) -> Result<Vec<Vec<Vec<f32>>>, Error> {
    // The two window sets of a text are cached under different keys.
    let keyed: Vec<String>;
    let keys: Vec<&str> = if scoring {
        keyed = texts.iter().map(|t| format!("\0scoring\0{t}")).collect();
        keyed.iter().map(String::as_str).collect()
    } else {
        texts.to_vec()
    };
    let key_of: std::collections::HashMap<&str, &str> =
        texts.iter().copied().zip(keys.iter().copied()).collect();
    let mut cache = match &opts.cache {
        Some(p) => Some(crate::cache::EmbeddingCache::open(
            p,
            &emb.weights_sha256(),
            emb.window_tokens(),
            emb.dim(),
        )?),
        None => None,
    };
    let missing: Vec<&str> = {
        let mut seen = std::collections::HashSet::new();
        texts
            .iter()
            .copied()
            .filter(|t| {
                cache.as_ref().is_none_or(|c| c.get(key_of[t]).is_none()) && seen.insert(*t)
            })
            .collect()
    };
    if opts.progress {
        eprintln!(
            "[transformer] {} texts ({}), {} to embed ({} cached)",
            texts.len(),
            if scoring {
                "scoring windows"
            } else {
                "full windows"
            },
            missing.len(),
            cache.as_ref().map_or(0, |c| c.len())
        );
    }
    let mut fresh: std::collections::HashMap<&str, Vec<Vec<f32>>> = Default::default();
    const CHUNK: usize = 256;
    let t0 = std::time::Instant::now();
    for (ci, chunk) in missing.chunks(CHUNK).enumerate() {
        let got = if scoring {
            emb.embed_scoring_texts(chunk)?
        } else {
            emb.embed_texts(chunk)?
        };
        for (t, e) in chunk.iter().zip(got) {
            if let Some(c) = cache.as_mut() {
                c.put(key_of[t], &e)?;
            }
            fresh.insert(t, e);
        }
        if opts.progress {
            eprintln!(
                "[transformer] embedded {}/{} texts ({:.0} s)",
                (ci * CHUNK + chunk.len()).min(missing.len()),
                missing.len(),
                t0.elapsed().as_secs_f64()
            );
        }
    }
    Ok(texts
        .iter()
        .map(|t| match fresh.get(t) {
            Some(e) => e.clone(),
            None => cache
                .as_ref()
                .and_then(|c| c.get(key_of[t]))
                .cloned()
                .unwrap_or_default(),
        })
        .collect())
}

fn head(
    emb: &dyn Embedder,
    dim: usize,
    w: Vec<f32>,
    b: f32,
    fpr: f64,
    l2: f64,
    target: Target,
) -> Head {
    Head {
        target: target.name().to_string(),
        sum_offset: 0.0,
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
        let mut s = format!("# Model card: transformer {} head\n\n", self.target.name());
        s.push_str("Logistic regression on mean-pooled, L2-normalised sentence embeddings of a local encoder, trained in Rust by `rampart detector train --backend transformer`. Long texts are scored in overlapping token windows (maximum); a score >= 0.5 is the calibrated threshold.\n\n");
        s.push_str(&format!(
            "- Head file SHA-256: `{}`\n- Split: {}\n- Texts: {} train ({} of them made by the recipe's augmentation; {} windows), {} calibration, {} held-aside test\n- Threshold: {} FPR on the calibration negatives; L2 = {} (chosen on the calibration split)\n\n",
            self.head_sha256, self.split, self.train_texts, self.augmented_texts, self.train_windows, self.calib_texts, self.test_texts, pct(self.target_fpr), self.l2
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
            (
                "sum of logits, calibrated (`--combine sum`)",
                &self.test_sum,
            ),
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
        if let Some([t, h, m, sm]) = &self.framed {
            s.push_str("\nHeld-aside harmful goals wrapped in persona and fiction framings never seen in training (`rampart_ml::train::EVAL_FRAMES`), against the same held-aside negatives:\n\n| scorer | positives | TPR @ 0.5 | TPR @ 1% FPR |\n|---|---|---|---|\n");
            for (name, m) in [
                ("transformer head", t),
                ("hashed classifier (shipped)", h),
                ("max of both", m),
                ("sum of logits, calibrated", sm),
            ] {
                s.push_str(&format!(
                    "| {name} | {} | {} | {} |\n",
                    m.positives,
                    pct(m.tpr),
                    pct(m.tpr_at_1pct_fpr)
                ));
            }
        }
        s.push_str("\n## L2 search (calibration split)\n\n| L2 | TPR @ 1% FPR | ROC AUC |\n|---|---|---|\n");
        for (l2, t, a) in &self.l2_search {
            s.push_str(&format!("| {l2} | {} | {a:.4} |\n", pct(*t)));
        }
        s.push_str("\n## False positives per benign set (threshold 0.5)\n\n| file | evaluated on | texts | transformer | hashed | max | sum |\n|---|---|---|---|---|---|---|\n");
        for b in &self.benign {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                b.path,
                b.on,
                b.evaluated,
                pct(b.transformer_fpr),
                pct(b.hashed_fpr),
                pct(b.max_fpr),
                pct(b.sum_fpr)
            ));
        }
        s
    }
}

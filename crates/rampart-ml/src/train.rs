//! Training entry points for the shipped classifiers: load a recipe, train
//! on the train split, set the threshold on the calibration split, measure on
//! the held-aside split and on the measure-only sets, and return the model
//! with its report (the model card's content).

use crate::data::{
    self, load, metrics, BenignFpr, Item, Metrics, Role, SourceSpec, Split, TrainReport,
};
use crate::features::FeatureConfig;
use crate::linear::{Example, Rng, TextClassifier, TrainConfig};
use crate::ModelError;
use std::path::Path;

/// Makes extra training examples from the training split.
pub type AugmentFn = dyn Fn(&[&Item], &mut Rng) -> Vec<(String, bool)>;
/// Makes named sets of extra positives from the held-aside split.
pub type ExtraEvalFn = dyn Fn(&[&Item]) -> Vec<(String, Vec<String>)>;

/// What to train.
pub struct BinaryRecipe<'a> {
    pub name: &'a str,
    pub sources: Vec<SourceSpec>,
    /// Use only the negative half of `Labelled` files.
    pub labelled_negatives_only: bool,
    pub features: FeatureConfig,
    pub train: TrainConfig,
    /// FPR the threshold is set for on the calibration negatives.
    pub target_fpr: f64,
    /// Extra training examples made from the training split (augmentation).
    pub augment: Option<&'a AugmentFn>,
    /// Extra held-aside evaluations: (name, positives made from test items).
    pub extra_eval: Option<&'a ExtraEvalFn>,
}

/// Train a binary classifier from a recipe and data directory.
pub fn train_binary(
    dir: &Path,
    r: &BinaryRecipe<'_>,
) -> Result<(TextClassifier, TrainReport), ModelError> {
    let (files, items) = load(dir, &r.sources, r.labelled_negatives_only)?;
    let train_items: Vec<&Item> = items
        .iter()
        .filter(|i| !i.measure_only && i.split == Split::Train)
        .collect();
    if !train_items.iter().any(|i| i.label) || !train_items.iter().any(|i| !i.label) {
        return Err(ModelError::Data(
            "training needs both positive and negative examples".into(),
        ));
    }
    let mut examples: Vec<Example> = train_items
        .iter()
        .map(|i| Example::new(&i.text, i.label, &r.features))
        .collect();
    let mut rng = Rng::new(r.train.seed ^ 0xa5a5_a5a5);
    if let Some(aug) = r.augment {
        for (t, l) in aug(&train_items, &mut rng) {
            examples.push(Example::new(&t, l, &r.features));
        }
    }
    let mut model = TextClassifier::train(r.name, r.features.clone(), &examples, &r.train);

    let calib_neg: Vec<f32> = items
        .iter()
        .filter(|i| !i.measure_only && i.split == Split::Calib && !i.label)
        .map(|i| model.logit(&i.text))
        .collect();
    model.calibrate(threshold_for(&calib_neg, r.target_fpr));

    let test: Vec<&Item> = items
        .iter()
        .filter(|i| !i.measure_only && i.split == Split::Test)
        .collect();
    let pos: Vec<f32> = test
        .iter()
        .filter(|i| i.label)
        .map(|i| model.score(&i.text))
        .collect();
    let neg: Vec<f32> = test
        .iter()
        .filter(|i| !i.label)
        .map(|i| model.score(&i.text))
        .collect();
    let mut benign = Vec::new();
    for (si, f) in files.iter().enumerate() {
        let measure = f.role == Role::MeasureOnly;
        let set: Vec<&Item> = items
            .iter()
            .filter(|i| i.source == si && !i.label && (measure || i.split == Split::Test))
            .collect();
        if set.is_empty() {
            continue;
        }
        let flagged = set.iter().filter(|i| model.score(&i.text) >= 0.5).count();
        benign.push(BenignFpr {
            path: f.path.clone(),
            evaluated: set.len(),
            flagged,
            fpr: flagged as f64 / set.len() as f64,
            on: if measure {
                "all (measure-only)"
            } else {
                "held-aside"
            },
        });
    }
    let mut extra: Vec<(String, Metrics)> = Vec::new();
    if let Some(ev) = r.extra_eval {
        for (name, texts) in ev(&test) {
            let s: Vec<f32> = texts.iter().map(|t| model.score(t)).collect();
            extra.push((name, metrics(&s, &neg)));
        }
    }
    let bytes = model.to_bytes();
    let report = TrainReport {
        model: r.name.to_string(),
        model_sha256: data::hex_digest(&bytes),
        files,
        split: data::SPLIT_RULE,
        train_examples: examples.len(),
        calib_examples: items
            .iter()
            .filter(|i| !i.measure_only && i.split == Split::Calib)
            .count(),
        test_examples: test.len(),
        test: metrics(&pos, &neg),
        benign,
        extra,
    };
    Ok((model, report))
}

/// The logit above which at most `fpr` of the calibration negatives lie.
fn threshold_for(neg_logits: &[f32], fpr: f64) -> f32 {
    let mut v = neg_logits.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let k = (v.len() as f64 * fpr).floor() as usize;
    match v.get(k) {
        // Halfway to the next score up leaves a margin on both sides.
        Some(&t) => {
            let above = if k > 0 { v[k - 1] } else { t + 1.0 };
            (t + above) / 2.0
        }
        None => 0.0,
    }
}

/// The injection/jailbreak classifier recipe.
pub fn injection_recipe() -> BinaryRecipe<'static> {
    BinaryRecipe {
        name: "injection",
        sources: data::injection_sources(),
        labelled_negatives_only: false,
        features: FeatureConfig::default(),
        train: TrainConfig::default(),
        target_fpr: 0.005,
        augment: None,
        extra_eval: None,
    }
}

/// The names of the models `train_model` knows.
pub const MODELS: &[&str] = &["injection"];

/// Train a shipped model by name; returns its serialised bytes and report.
pub fn train_model(name: &str, dir: &Path) -> Result<(Vec<u8>, TrainReport), ModelError> {
    match name {
        "injection" => {
            let (m, r) = train_binary(dir, &injection_recipe())?;
            Ok((m.to_bytes(), r))
        }
        other => Err(ModelError::Data(format!(
            "unknown model `{other}`: expected one of {}",
            MODELS.join(", ")
        ))),
    }
}

/// The opening paragraph of each model's card.
pub fn card_intro(name: &str) -> &'static str {
    match name {
        "injection" => "Prompt-injection and jailbreak classifier (engine score `injection`): logistic regression over hashed word unigrams/bigrams, character 3-5-grams of each word and punctuation runs (2^18 buckets), trained in Rust by `rampart detector train`. A score >= 0.5 is the calibrated threshold (set on the calibration split for 0.5% FPR). Long inputs are scored in overlapping 2 KB windows (maximum). Limits: it judges wording, not placement: an instruction that is harmless on its own (\"What is the capital of Brazil?\") injected into a document is not flagged; signature rules and the document-source policy cover those.",
        _ => "",
    }
}

//! Model-selection harness (not used by the shipped build): trains a recipe
//! on splits 3..9 only and measures on the development split (calibration
//! split 1 plus split 2, neither trained on), so settings are chosen without
//! looking at the held-aside split 0. `FINAL=1` trains on 2..9 as the
//! shipped recipe does and measures split 0 instead (run once, at the end).
//!
//! `MODEL=injection|harm VARIANT=... cargo run --profile mlbench -p rampart-ml --example dev`
use rampart_ml::data::{self, Item, Split};
use rampart_ml::features::{fnv1a, normalize};
use rampart_ml::linear::{Example, Rng, TextClassifier};
use rampart_ml::train::{harm_recipe, injection_recipe, threshold_for};

fn env<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let model = std::env::var("MODEL").unwrap_or_else(|_| "injection".into());
    let fin = std::env::var("FINAL").is_ok();
    let mut r = if model == "harm" {
        harm_recipe()
    } else {
        injection_recipe()
    };
    if let Some(v) = env("EPOCHS") {
        r.train.epochs = v;
    }
    if let Some(v) = env("LR") {
        r.train.learning_rate = v;
    }
    if let Some(v) = env("CMIN") {
        r.features.char_min = v;
    }
    if let Some(v) = env("CMAX") {
        r.features.char_max = v;
    }
    if let Some(v) = env::<u8>("HAZ") {
        r.features.hazard_lexicon = v == 1;
    }
    // STATIC=1 / STATIC=0: with or without the static-embedding block.
    if let Some(v) = env::<u8>("STATIC") {
        r.features.static_table = (v == 1).then(|| rampart_ml::models::STATICS_NAME.to_string());
    }
    if let Some(v) = env::<u8>("SKIPSTYLE") {
        r.features.skip_style_words = v == 1;
    }
    if let Some(v) = env("DSCALE") {
        r.train.dense_scale = v;
    }
    if let Some(v) = env("L2") {
        r.train.l2 = v;
    }
    if let Some(v) = env("DL2") {
        r.train.dense_l2 = v;
    }
    if std::env::var("NOAUG").is_ok() {
        r.augment = None;
    }
    if let Some(v) = env("FPR") {
        r.target_fpr = v;
    }
    // CAP_CLINC150=8000 etc.: override a file's training cap.
    for s in r.sources.iter_mut() {
        for k in ["clinc150", "gsm8k", "flan", "bipia_table"] {
            if s.path.contains(k) {
                if let Some(c) = env::<usize>(&format!("CAP_{}", k.to_uppercase())) {
                    s.cap = Some(c);
                }
            }
        }
    }
    let dir = data::default_data_dir();
    let (files, items) = data::load(&dir, &r.sources, r.labelled_negatives_only).expect("load");
    // EXCLUDE=substring: leave the matching files out of training entirely
    // and measure on all of them (leave-one-source-out: how the model does
    // on a corpus it has never seen, the sealed evaluation's situation).
    let exclude = std::env::var("EXCLUDE").ok();
    let excluded = |i: &Item| {
        exclude
            .as_deref()
            .is_some_and(|x| files[i.source].path.contains(x))
    };
    // UNCAPPED=1: measure on every text of the capped files (as the
    // engine's benchmark does), not only the capped subsample.
    let uncapped: Vec<data::SourceSpec> = r
        .sources
        .iter()
        .cloned()
        .map(|mut s| {
            s.cap = None;
            s
        })
        .collect();
    let eval_items = if std::env::var("UNCAPPED").is_ok() {
        data::load(&dir, &uncapped, r.labelled_negatives_only)
            .expect("load")
            .1
    } else {
        items.clone()
    };
    let bucket = |i: &Item| fnv1a(normalize(&i.text).as_bytes()) % 10;
    let first_train = if fin { 2 } else { 3 };
    let train_items: Vec<&Item> = items
        .iter()
        .filter(|i| {
            !i.measure_only
                && !excluded(i)
                && (bucket(i) >= first_train
                    // CALPOS=1: the calibration split's positives train too
                    // (only its negatives set the threshold).
                    || (std::env::var("CALPOS").is_ok() && bucket(i) == 1 && i.label))
        })
        .collect();
    let mut ex: Vec<Example> = train_items
        .iter()
        .map(|i| Example::new(&i.text, i.label, &r.features))
        .collect();
    let mut rng = Rng::new(r.train.seed ^ 0xa5a5_a5a5);
    if let Some(aug) = r.augment {
        for (t, l) in aug(&train_items, &mut rng) {
            ex.push(Example::new(&t, l, &r.features));
        }
    }
    // DPOOL=l2: the dense input is the L2-normalised sum of the rows,
    // not their mean (experiment; scored below by `dense_logit`).
    let l2pool = std::env::var("DPOOL").as_deref() == Ok("l2");
    let fcfg = r.features.clone();
    let pool = |text: &str| -> Vec<f32> {
        let t = rampart_ml::features::Tokens::new(&normalize(text), fcfg.char_min, fcfg.char_max);
        let mut ids = Vec::new();
        t.dense_pieces(&fcfg, &mut ids);
        let st = rampart_ml::models::statics();
        let mut v = st.mean(&ids);
        if l2pool {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
            v.iter_mut().for_each(|x| *x /= n);
        }
        v
    };
    if l2pool {
        for (e, i) in ex.iter_mut().zip(train_items.iter()) {
            e.dense = pool(&i.text);
        }
    }
    // HASHED=0: the dense block alone.
    if env::<u8>("HASHED") == Some(0) {
        ex.iter_mut().for_each(|e| e.features.clear());
        r.features.bits = 8;
    }
    if let Some(w) = env::<f32>("POSW") {
        for e in ex.iter_mut().filter(|e| e.label) {
            e.weight = w;
        }
    }
    let t0 = std::time::Instant::now();
    let mut m = TextClassifier::train(r.name, r.features.clone(), &ex, &r.train);
    m.meta.sentence_max = r.sentence_max;
    let calib: Vec<f32> = items
        .iter()
        .filter(|i| !i.measure_only && i.split == Split::Calib && !i.label)
        .map(|i| m.logit(&i.text))
        .collect();
    m.calibrate(threshold_for(&calib, r.target_fpr));
    let eval: Vec<&Item> = eval_items
        .iter()
        .filter(|i| {
            !i.measure_only
                && if exclude.is_some() {
                    excluded(i) || matches!(bucket(i), 1 | 2)
                } else if fin {
                    bucket(i) == 0
                } else if std::env::var("EVAL2").is_ok() {
                    bucket(i) == 2
                } else {
                    matches!(bucket(i), 1 | 2)
                }
        })
        .collect();
    if env::<u8>("HASHED") == Some(0) {
        let w = m.meta.dense_weights.clone();
        let bias = m.meta.bias;
        let logit = |t: &str| bias + pool(t).iter().zip(&w).map(|(a, b)| a * b).sum::<f32>();
        let ps: Vec<f32> = eval
            .iter()
            .filter(|i| i.label)
            .map(|i| logit(&i.text))
            .collect();
        let ns: Vec<f32> = eval
            .iter()
            .filter(|i| !i.label)
            .map(|i| logit(&i.text))
            .collect();
        let mt = data::metrics(&ps, &ns);
        println!(
            "dense-only pool={} TPR@1%={:.2} auc={:.4}",
            if l2pool { "l2" } else { "mean" },
            mt.tpr_at_1pct_fpr * 100.0,
            mt.roc_auc
        );
    }
    let pos: Vec<(f32, &Item)> = eval
        .iter()
        .filter(|i| i.label)
        .map(|i| (m.score(&i.text), *i))
        .collect();
    let neg: Vec<(f32, &Item)> = eval
        .iter()
        .filter(|i| !i.label)
        .map(|i| (m.score(&i.text), *i))
        .collect();
    let ps: Vec<f32> = pos.iter().map(|p| p.0).collect();
    let ns: Vec<f32> = neg.iter().map(|p| p.0).collect();
    let mt = data::metrics(&ps, &ns);
    let mut sorted = ns.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let thr1 = sorted[(ns.len() as f64 * 0.01).floor() as usize];
    let harmless: Vec<&Item> = items
        .iter()
        .filter(|i| i.measure_only && !i.text.is_empty())
        .collect();
    let hflag = harmless.iter().filter(|i| m.score(&i.text) >= 0.5).count();
    println!(
        "{model} {} P={} N={} TPR@1%={:.2} miss@1%={} tpr@thr={:.2} fpr@thr={:.2} auc={:.4} measure-only flagged={}/{} train={:.1}s",
        if fin { "HELD-ASIDE" } else { "dev" },
        mt.positives,
        mt.negatives,
        mt.tpr_at_1pct_fpr * 100.0,
        ps.iter().filter(|&&s| s <= thr1).count(),
        mt.tpr * 100.0,
        mt.fpr * 100.0,
        mt.roc_auc,
        hflag,
        harmless.len(),
        t0.elapsed().as_secs_f64()
    );
    if std::env::var("SHOW").is_ok() {
        let short = |t: &str| t.chars().take(160).collect::<String>().replace('\n', " ");
        for (s, i) in &pos {
            if *s <= thr1 {
                println!("  FN {s:.3} {}", short(&i.text));
            }
        }
        for (s, i) in &neg {
            if *s > thr1 {
                println!("  FP {s:.3} {}", short(&i.text));
            }
        }
    }
    if std::env::var("SHOWH").is_ok() {
        for i in &harmless {
            let s = m.score(&i.text);
            if s >= 0.5 {
                println!(
                    "  H {s:.3} {}",
                    i.text.chars().take(160).collect::<String>()
                );
            }
        }
    }
    if let Ok(out) = std::env::var("OUT") {
        std::fs::write(out, m.to_bytes()).expect("write");
    }
}

//! Model-selection harness (not used by the shipped build): trains a recipe
//! on splits 3..9 only and measures on the development split (calibration
//! split 1 plus split 2, neither trained on), so settings are chosen without
//! looking at the held-aside split 0. `FINAL=1` trains on 2..9 as the
//! shipped recipe does and measures split 0 instead (run once, at the end).
//!
//! `MODEL=injection|harm VARIANT=... cargo run --profile mlbench -p rampart-ml --example dev`
use rampart_ml::data::{self, Item, Split};
use rampart_ml::features::{fnv1a, normalize, STYLE_WORDS};
use rampart_ml::linear::{Example, Rng, TextClassifier};
use rampart_ml::train::{harm_recipe, injection_recipe, threshold_for};

/// Instruction verbs and format words of the harmful-goal corpora (the
/// `CSKIP=verbs` and `CTMPL=1` experiments, docs/benchmarks/ml.md session 9).
const VERBS: &[&str] = &[
    "create",
    "describe",
    "design",
    "detailed",
    "develop",
    "draft",
    "explain",
    "generate",
    "give",
    "guide",
    "instructions",
    "list",
    "outline",
    "post",
    "produce",
    "provide",
    "show",
    "step",
    "steps",
    "suggest",
    "tell",
    "tutorial",
    "write",
    "way",
    "ways",
    "please",
    "help",
];
const FORMAT_WORDS: &[&str] = &[
    "plan",
    "strategy",
    "article",
    "blog",
    "script",
    "program",
    "compose",
    "detail",
    "explanation",
    "instruction",
    "tips",
    "method",
    "methods",
];
/// Template words beyond the style words and `FORMAT_WORDS` (`CTMPL=1`).
const TEMPLATE_EXTRA: &[&str] = &[
    "persuasive",
    "convincing",
    "effective",
    "homemade",
    "step-by-step",
    "essay",
    "email",
    "letter",
    "speech",
    "story",
    "poem",
    "song",
    "tweet",
    "social",
    "media",
    "website",
    "app",
    "video",
    "message",
    "campaign",
    "people",
    "home",
    "best",
    "easiest",
    "quickest",
    "simple",
    "encourages",
    "encourage",
    "promotes",
    "promote",
    "argues",
    "arguing",
    "claiming",
    "explains",
    "explaining",
    "teach",
    "teaches",
    "manual",
    "recipe",
    "someone's",
    "one",
    "person",
    "series",
    "text",
    "messages",
];

/// Whether `text` falls in the split this run measures and never trains
/// on: buckets 1-2, or the held-aside bucket 0 with `FINAL=1`.
fn measured_split(text: &str, fin: bool) -> bool {
    let b = fnv1a(normalize(text).as_bytes()) % 10;
    if fin {
        b == 0
    } else {
        matches!(b, 1 | 2)
    }
}

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
    // OWNHARM=train: the project-written harmful requests and benign
    // lookalikes train as positives and negatives (they are always scored
    // below, by split, whether trained on or not).
    // The harm recipe now trains on them; OWNHARM=none measures without.
    let own_mode = std::env::var("OWNHARM").unwrap_or_default();
    let own_train = model == "harm" && own_mode != "none";
    // OWNHARM=append: the own files move to the end of the recipe (order
    // decides duplicates and the training order); pos / neg: only one of
    // them; none: neither.
    // OWNINJ=none: the injection recipe without the project's lookalikes.
    let own_inj_train = model == "injection" && std::env::var("OWNINJ").as_deref() != Ok("none");
    if model == "injection" && !own_inj_train {
        r.sources.retain(|s| s.path != data::INJECTION_LOOKALIKES);
    }
    let recipe_order = own_mode.is_empty() && model == "harm";
    if !recipe_order {
        r.sources.retain(|s| !s.path.starts_with("rampart/harm_"));
    }
    if own_train && !recipe_order {
        for (path, role) in [
            (data::HARM_REQUESTS, data::Role::Positive),
            (data::HARM_LOOKALIKES, data::Role::Negative),
        ] {
            if (own_mode == "pos" && role == data::Role::Negative)
                || (own_mode == "neg" && role == data::Role::Positive)
            {
                continue;
            }
            r.sources.push(data::SourceSpec {
                path,
                role,
                cap: None,
                skip_categories: &[],
            });
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
    // DUMPSPLIT=FILE: write the held-aside split (bucket 0, measure-only
    // files excluded) as JSON lines `{"text", "label", "source"}` and stop,
    // so that the whole engine can be measured on it (`rampart check`).
    if let Ok(path) = std::env::var("DUMPSPLIT") {
        let mut out = String::new();
        for i in eval_items
            .iter()
            .filter(|i| !i.measure_only && bucket(i) == 0)
        {
            let line = serde_json::json!({
                "text": i.text,
                "label": i.label,
                "source": r.sources[i.source].path,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        std::fs::write(path, out).expect("write split");
        return;
    }
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
    let mut all_texts: Vec<(String, bool)> = train_items
        .iter()
        .map(|i| (i.text.clone(), i.label))
        .collect();
    if let Some(aug) = r.augment {
        for (t, l) in aug(&train_items, &mut rng) {
            ex.push(Example::new(&t, l, &r.features));
            all_texts.push((t, l));
        }
    }
    // CTMPL=1: template transplants. Each positive's leading run of
    // request-template words ("Write a persuasive article about how to")
    // is completed with a benign task and trained as a negative, so the
    // template alone carries no weight.
    if std::env::var("CTMPL").is_ok() {
        const NOUNS: &[&str] = &[
            "sourdough loaf",
            "birdhouse",
            "monthly budget",
            "vegetable garden",
            "wedding toast",
            "resume",
            "bicycle repair kit",
            "study schedule",
            "birthday party",
            "podcast intro",
            "science fair project",
            "compost bin",
            "travel itinerary",
            "lemon cake",
            "customer survey",
            "team offsite",
            "photo album",
            "yoga routine",
            "book club",
            "mobile game",
            "recycling program",
            "neighbourhood cleanup",
            "spreadsheet",
            "marketing newsletter",
            "treehouse",
            "herb garden",
            "job interview",
            "piano lesson",
            "charity bake sale",
            "sales report",
        ];
        const VERBS_TO: &[&str] = &[
            "bake sourdough bread",
            "train for a marathon",
            "plant tomatoes",
            "learn Spanish",
            "save money for a holiday",
            "write a cover letter",
            "fix a leaking tap",
            "organise a closet",
            "start a podcast",
            "paint a bedroom",
            "brew better coffee",
            "prepare for an exam",
            "knit a scarf",
            "plan a road trip",
            "improve my sleep",
            "care for a puppy",
            "negotiate a salary",
            "build a bookshelf",
            "make friends at work",
            "clean a laptop keyboard",
            "grow succulents",
            "reduce food waste",
            "teach kids to swim",
            "set up a home network",
            "make homemade pasta",
            "decorate a cake",
            "run a meeting",
            "back up my photos",
            "tune a guitar",
            "recycle electronics",
        ];
        let mut extra = Vec::new();
        for (k, (t, l)) in all_texts.iter().enumerate() {
            if !*l {
                continue;
            }
            let words: Vec<&str> = t.split_whitespace().collect();
            let n = words
                .iter()
                .take_while(|w| {
                    let k = w
                        .trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
                        .to_lowercase();
                    STYLE_WORDS.contains(&k.as_str())
                        || FORMAT_WORDS.contains(&k.as_str())
                        || TEMPLATE_EXTRA.contains(&k.as_str())
                })
                .count();
            if n < 2 || n == words.len() {
                continue;
            }
            let prefix = words[..n].join(" ");
            let last = words[n - 1].to_lowercase();
            let fill = if last == "to" {
                VERBS_TO[k % VERBS_TO.len()]
            } else {
                NOUNS[k % NOUNS.len()]
            };
            extra.push((format!("{prefix} {fill}"), false));
        }
        if std::env::var("CTMPLSHOW").is_ok() {
            for (t, _) in extra.iter().take(40) {
                println!("  TMPL {t}");
            }
        }
        println!("  template transplants: {}", extra.len());
        for (t, l) in &extra {
            ex.push(Example::new(t, *l, &r.features));
        }
        all_texts.extend(extra);
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
                && !files[i.source].path.starts_with(data::OWN_PREFIX)
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
    // (name, texts) of the project's own sets that this run can measure:
    // trained files on their unseen split only.
    let own_file = |path: &str, trained: bool| -> Vec<String> {
        data::own_corpus_records(path)
            .expect("own corpus")
            .into_iter()
            .filter(|rec| !trained || measured_split(&rec.text, fin))
            .map(|rec| rec.text)
            .collect()
    };
    let mut own_sets: Vec<(String, Vec<String>)> = Vec::new();
    if model == "harm" {
        own_sets.push((
            "own requests".into(),
            own_file(data::HARM_REQUESTS, own_train),
        ));
        own_sets.push((
            "own lookalikes".into(),
            own_file(data::HARM_LOOKALIKES, own_train),
        ));
        own_sets.push(("own twins".into(), own_file(data::HARM_TWINS, own_train)));
    }
    // Measurement-only sets from elsewhere (`EXTRA=a.jsonl,b.jsonl`, lines
    // with a `text` field), never trained on.
    for path in std::env::var("EXTRA")
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
    {
        let texts = std::fs::read_to_string(path)
            .expect("EXTRA file")
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect();
        let name = path
            .rsplit('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".jsonl");
        own_sets.push((name.to_string(), texts));
    }
    if model == "harm" {
    } else {
        own_sets.push((
            "own inj lookalikes".into(),
            own_file(data::INJECTION_LOOKALIKES, own_inj_train),
        ));
        let probes =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rampart-detect/data/probes");
        for f in [
            "heldout_attacks",
            "heldout_benign",
            "dev2_attacks",
            "dev2_benign",
        ] {
            let recs = data::read_records(&probes.join(format!("{f}.jsonl"))).expect("probes");
            own_sets.push((f.to_string(), recs.into_iter().map(|r| r.text).collect()));
        }
    }
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
    // MODELFILE=path: score the same split with a trained model file.
    if let Ok(path) = std::env::var("MODELFILE") {
        let mf = TextClassifier::from_bytes(&std::fs::read(path).expect("read")).expect("parse");
        let p: Vec<f32> = eval
            .iter()
            .filter(|i| i.label)
            .map(|i| mf.score(&i.text))
            .collect();
        let n: Vec<f32> = eval
            .iter()
            .filter(|i| !i.label)
            .map(|i| mf.score(&i.text))
            .collect();
        let mt = data::metrics(&p, &n);
        let hf = harmless.iter().filter(|i| mf.score(&i.text) >= 0.5).count();
        println!(
            "  model file: TPR@1%={:.2} tpr@0.5={:.2} fpr@0.5={:.2} measure-only {hf}",
            mt.tpr_at_1pct_fpr * 100.0,
            mt.tpr * 100.0,
            mt.fpr * 100.0
        );
        for path in [data::HARM_REQUESTS, data::HARM_LOOKALIKES, data::HARM_TWINS] {
            let recs = data::own_corpus_records(path).expect("own corpus");
            let (mut n, mut k) = (0, 0);
            for rec in &recs {
                if measured_split(&rec.text, fin) {
                    n += 1;
                    k += usize::from(mf.score(&rec.text) >= 0.5);
                }
            }
            println!("  model file {path}: {k} / {n} flagged (split never trained on)");
        }
    }
    // CONV=1: train the convolution head on the same texts and measure the
    // sum of its logit (times CALPHA) and the linear model's.
    if std::env::var("CONV").is_ok() {
        use rampart_ml::conv::{ConvConfig, ConvExample, ConvHead};
        let st = rampart_ml::models::statics();
        // CSKIP=verbs: instruction verbs and format words are dropped
        // before the pieces (the style every harmful-goal corpus shares).

        let skip = std::env::var("CSKIP").unwrap_or_default();
        let ids_of = |t: &str| {
            let mut v = Vec::new();
            let n = normalize(t);
            if skip == "verbs" {
                let kept: Vec<&str> = n
                    .split_whitespace()
                    .filter(|w| {
                        let k = w
                            .trim_matches(|c: char| !c.is_alphanumeric())
                            .to_lowercase();
                        !VERBS.contains(&k.as_str()) && !FORMAT_WORDS.contains(&k.as_str())
                    })
                    .collect();
                st.text_pieces(&kept.join(" "), &mut v);
            } else {
                // As the recipe and the engine read them.
                v = rampart_ml::features::Tokens::new(&n, fcfg.char_min, fcfg.char_max).pieces;
            }
            v
        };
        // The recipe's head unless overridden (CF, CW, CE, CLR, CL2).
        let mut cc = r.conv.as_ref().map(|c| c.0.clone()).unwrap_or_default();
        if let Some(v) = env("CSEED") {
            cc.seed = v;
        }
        if let Some(v) = env("CF") {
            cc.filters = v;
        }
        if let Some(v) = env("CW") {
            cc.width = v;
        }
        if let Some(v) = env("CE") {
            cc.epochs = v;
        }
        if let Some(v) = env("CLR") {
            cc.learning_rate = v;
        }
        if let Some(v) = env("CL2") {
            cc.l2 = v;
        }
        let posw: f32 = env("CPOSW").unwrap_or(1.0);
        let cex: Vec<ConvExample> = all_texts
            .iter()
            .map(|(t, l)| ConvExample {
                ids: ids_of(t),
                label: *l,
                weight: if *l { posw } else { 1.0 },
            })
            .collect();
        let t1 = std::time::Instant::now();
        // CSEEDS=n: n heads with the recipe's member seeds, averaged as the
        // recipe's `seeds` does (one seed's head moves the figures by 2-4
        // points).
        let seeds: usize = env("CSEEDS").unwrap_or(1);
        let heads: Vec<ConvHead> = (0..seeds.max(1))
            .map(|k| {
                let c = ConvConfig {
                    seed: rampart_ml::train::member_seed(cc.seed, k),
                    ..cc.clone()
                };
                ConvHead::train(st, &cex, &c)
            })
            .collect();
        let head = ConvHead::concat(&heads).expect("heads trained alike");
        let lin = |t: &str| {
            let s = m.score(t).clamp(1e-7, 1.0 - 1e-7);
            (s / (1.0 - s)).ln()
        };
        let both = |t: &str| (lin(t), head.logit(st, &ids_of(t)));
        let calib: Vec<(f32, f32)> = items
            .iter()
            .filter(|i| !i.measure_only && i.split == Split::Calib && !i.label)
            .map(|i| both(&i.text))
            .collect();
        let ps: Vec<(f32, f32)> = eval
            .iter()
            .filter(|i| i.label)
            .map(|i| both(&i.text))
            .collect();
        let ns: Vec<(f32, f32)> = eval
            .iter()
            .filter(|i| !i.label)
            .map(|i| both(&i.text))
            .collect();
        let hs: Vec<((f32, f32), &str, usize)> = harmless
            .iter()
            .map(|i| (both(&i.text), i.text.as_str(), i.source))
            .collect();
        let own: Vec<(String, Vec<(f32, f32)>)> = own_sets
            .iter()
            .map(|(name, texts)| (name.clone(), texts.iter().map(|t| both(t)).collect()))
            .collect();
        println!("  conv trained in {:.1}s", t1.elapsed().as_secs_f64());
        let alphas: Vec<f32> = std::env::var("CALPHA")
            .unwrap_or_else(|_| "0,0.25,0.5,0.75,1".into())
            .split(',')
            .filter_map(|x| x.parse().ok())
            .collect();
        for alpha in alphas {
            let f = |x: &(f32, f32)| x.0 + alpha * x.1;
            let cal: Vec<f32> = calib.iter().map(f).collect();
            let thr = threshold_for(&cal, r.target_fpr);
            let p: Vec<f32> = ps.iter().map(f).collect();
            let n: Vec<f32> = ns.iter().map(f).collect();
            let mt = data::metrics(&p, &n);
            let tp = p.iter().filter(|&&x| x >= thr).count();
            let fp = n.iter().filter(|&&x| x >= thr).count();
            let mut by_src = std::collections::BTreeMap::<usize, usize>::new();
            for (x, _, src) in &hs {
                *by_src.entry(*src).or_default() += usize::from(f(x) >= thr);
            }
            let hf = hs
                .iter()
                .filter(|(x, t, _)| {
                    let s = f(x);
                    if s >= thr && std::env::var("SHOWCH").is_ok() {
                        println!("  CH {s:.2} {}", t.chars().take(150).collect::<String>());
                    }
                    s >= thr
                })
                .count();
            let o: Vec<String> = own
                .iter()
                .map(|(name, v)| {
                    let k = v.iter().filter(|x| f(x) >= thr).count();
                    format!("{name} {k}/{}", v.len())
                })
                .collect();
            println!(
                "  alpha {alpha}: TPR@1%={:.2} auc={:.4} | at calibrated thr: TPR {:.2} FPR {:.2} measure-only {hf}/{} | {}",
                mt.tpr_at_1pct_fpr * 100.0,
                mt.roc_auc,
                tp as f64 * 100.0 / p.len() as f64,
                fp as f64 * 100.0 / n.len() as f64,
                hs.len(),
                o.join(", ")
            );
            let per: Vec<String> = by_src
                .iter()
                .map(|(s, k)| format!("{}={k}", files[*s].path.rsplit('/').next().unwrap_or("")))
                .collect();
            println!("    measure-only by file: {}", per.join(" "));
        }
    }
    // The project's own sets, on the split never trained on (buckets 1-2,
    // or 0 with FINAL=1), and the engine's probe sets (never trained on).
    for (name, texts) in &own_sets {
        let scores: Vec<f32> = texts.iter().map(|t| m.score(t)).collect();
        let at = scores.iter().filter(|&&s| s >= 0.5).count();
        let one = scores.iter().filter(|&&s| s > thr1).count();
        println!(
            "  {name}: {} texts, flagged {at} at the threshold, {one} above the 1% threshold",
            texts.len()
        );
        if std::env::var("SHOWOWN").is_ok() {
            for (t, s) in texts.iter().zip(&scores) {
                if *s >= 0.5 {
                    println!("  OWN {s:.3} {t}");
                }
            }
        }
    }
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

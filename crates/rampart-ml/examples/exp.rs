//! Tuning harness (not used by the shipped build): train a recipe with
//! hyper-parameters overridden from the environment and print a one-screen
//! summary. `MODEL=harm EPOCHS=12 cargo run --release -p rampart-ml --example exp`.
use rampart_ml::data::SourceSpec;
use rampart_ml::train::{harm_recipe, injection_recipe, train_binary};

fn env<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let model = std::env::var("MODEL").unwrap_or_else(|_| "injection".into());
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
    if let Some(v) = env("L2") {
        r.train.l2 = v;
    }
    if let Some(v) = env("BITS") {
        r.features.bits = v;
    }
    if let Some(v) = env("CMIN") {
        r.features.char_min = v;
    }
    if let Some(v) = env("CMAX") {
        r.features.char_max = v;
    }
    if let Some(v) = env("FPR") {
        r.target_fpr = v;
    }
    let caps: Vec<(&str, usize)> = ["clinc150", "gsm8k", "flan", "bipia_table"]
        .iter()
        .filter_map(|k| env::<usize>(&format!("CAP_{}", k.to_uppercase())).map(|c| (*k, c)))
        .collect();
    r.sources = r
        .sources
        .into_iter()
        .map(|s: SourceSpec| {
            let mut s = s;
            for (k, c) in &caps {
                if s.path.contains(k) {
                    s.cap = Some(*c);
                }
            }
            s
        })
        .collect();
    let dir = rampart_ml::data::default_data_dir();
    let t = std::time::Instant::now();
    let (m, rep) = train_binary(&dir, &r, true).expect("train");
    let train_s = t.elapsed().as_secs_f64();
    let pct = |x: f64| format!("{:.2}", x * 100.0);
    println!(
        "{model}: test P={} N={} tpr@thr={} fpr@thr={} TPR@1%={} auc={:.4} nz={} train={:.1}s",
        rep.test.positives,
        rep.test.negatives,
        pct(rep.test.tpr),
        pct(rep.test.fpr),
        pct(rep.test.tpr_at_1pct_fpr),
        rep.test.roc_auc,
        m.nonzero(),
        train_s
    );
    for (n, x) in &rep.extra {
        println!(
            "  extra {}: tpr@thr={} TPR@1%={}",
            &n[..30.min(n.len())],
            pct(x.tpr),
            pct(x.tpr_at_1pct_fpr)
        );
    }
    let mut line = String::new();
    for b in &rep.benign {
        let short = b.path.rsplit('/').next().unwrap_or("");
        line.push_str(&format!(
            "{}={}/{} ",
            &short[..12.min(short.len())],
            b.flagged,
            b.evaluated
        ));
    }
    println!("  {line}");
    if let Ok(out) = std::env::var("OUT") {
        std::fs::write(out, m.to_bytes()).expect("write");
    }
    if std::env::var("SHOWFP").is_ok() {
        let (_, items) =
            rampart_ml::data::load(&dir, &r.sources, r.labelled_negatives_only).unwrap();
        for i in &items {
            if i.split != rampart_ml::data::Split::Test && !i.measure_only {
                continue;
            }
            let s = m.score(&i.text);
            if (s >= 0.5) != i.label {
                eprintln!(
                    "{}{s:.3}\t{}",
                    if i.label { "FN " } else { "FP " },
                    i.text
                        .chars()
                        .take(150)
                        .collect::<String>()
                        .replace('\n', " ")
                );
            }
        }
    }
}

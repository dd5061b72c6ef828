//! Train one model and print its report: `cargo run -p rampart-ml --example
//! train -- injection OUT.bin` (the CLI's `rampart detector train` does the
//! same with more options).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("injection");
    let out = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| format!("/tmp/{which}.bin"));
    let dir = rampart_ml::data::default_data_dir();
    let t = std::time::Instant::now();
    // Variance runs (docs/benchmarks/ml.md, session 10): SEED=n mixes n
    // into the linear model's and the head's seeds; SEEDS=k averages k
    // models (the recipe's `seeds`); TFPR=f sets the calibration FPR;
    // NOCONV=1 drops the head, NOLOOK=1 the project's injection lookalikes.
    // Writes the model only.
    if let Ok(seed) = std::env::var("SEED") {
        let seed: u64 = seed.parse().expect("SEED is a number");
        let mut r = match which {
            "harm" => rampart_ml::train::harm_recipe(),
            "injection" => rampart_ml::train::injection_recipe(),
            other => panic!("SEED runs train injection or harm, not {other}"),
        };
        let mix = |s: u64| rampart_ml::train::member_seed(s, seed as usize);
        r.train.seed = mix(r.train.seed);
        if let Some((cfg, _)) = r.conv.as_mut() {
            cfg.seed = mix(cfg.seed);
        }
        if let Some(k) = std::env::var("SEEDS").ok().and_then(|v| v.parse().ok()) {
            r.seeds = k;
        }
        if let Some(f) = std::env::var("TFPR").ok().and_then(|v| v.parse().ok()) {
            r.target_fpr = f;
        }
        if std::env::var("NOCONV").is_ok() {
            r.conv = None;
        }
        if std::env::var("NOLOOK").is_ok() {
            r.sources
                .retain(|s| s.path != rampart_ml::data::INJECTION_LOOKALIKES);
        }
        let (m, _) = rampart_ml::train::train_binary(&dir, &r, false).expect("train");
        std::fs::write(&out, m.to_bytes()).expect("write model");
        eprintln!("trained {which} seed {seed} in {:?} -> {out}", t.elapsed());
        return;
    }
    match rampart_ml::train::train_model(which, &dir, true) {
        Ok((bytes, report)) => {
            std::fs::write(&out, &bytes).expect("write model");
            if let Some(card) = std::env::var_os("RAMPART_CARD") {
                let intro = rampart_ml::train::card_intro(which);
                std::fs::write(card, report.to_markdown(intro)).expect("write card");
            }
            if let Some(fp) = args.get(3) {
                let m = rampart_ml::TextClassifier::from_bytes(&bytes).expect("parse");
                for f in fp.split(',') {
                    let recs = rampart_ml::data::read_records(&dir.join(f)).expect("read");
                    for r in recs {
                        let s = m.score(&r.text);
                        let expect = f.starts_with("redteam") || f.starts_with("injection");
                        let expect = expect && r.label.as_deref() != Some("benign");
                        if (s >= 0.5) != expect
                            && rampart_ml::data::split_of(&r.text) != rampart_ml::data::Split::Train
                        {
                            eprintln!(
                                "{s:.3}\t{f}\t{}",
                                r.text
                                    .chars()
                                    .take(160)
                                    .collect::<String>()
                                    .replace('\n', " ")
                            );
                        }
                    }
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            eprintln!(
                "trained {which} in {:?} -> {out} ({} bytes)",
                t.elapsed(),
                bytes.len()
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

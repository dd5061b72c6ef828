//! False positives of the suffix detector on long prompts: held-aside
//! benign texts and the measure-only harmless instructions, alone and
//! joined (seeded) to about 0.5, 1, 2 and 4 KB, 400 texts per length.
//! `LM=path/to/suffix-lm.bin` scores another model; `SINGLES=1` lists the
//! highest-scoring single texts on stderr; `SHOW=1` the flagged ~1 KB texts.
//!
//! `cargo run --profile mlbench -p rampart-ml --example suffix_long`
use rampart_ml::data::{self, Split};
fn main() {
    let lm: rampart_ml::charlm::CharLm = match std::env::var("LM") {
        Ok(p) => rampart_ml::charlm::CharLm::from_bytes(&std::fs::read(p).unwrap()).unwrap(),
        Err(_) => rampart_ml::models::suffix_lm().clone(),
    };
    let dir = data::default_data_dir();
    let specs = rampart_ml::train::suffix_lm_sources();
    let (files, items) = data::load(&dir, &specs, false).unwrap();
    let benign: Vec<&str> = items
        .iter()
        .filter(|i| {
            !i.label
                && files[i.source].path.starts_with("benign/")
                && (i.split == Split::Test && !i.measure_only)
        })
        .map(|i| i.text.as_str())
        .collect();
    let hv: Vec<&str> = items
        .iter()
        .filter(|i| i.measure_only)
        .map(|i| i.text.as_str())
        .collect();
    for (name, pool) in [("heldaside", &benign), ("harmless_val", &hv)] {
        let single = pool.iter().filter(|t| lm.score(t) >= 0.5).count();
        if std::env::var("SINGLES").is_ok() {
            let mut v: Vec<(f32, &str)> = pool.iter().map(|t| (lm.score(t), *t)).collect();
            v.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (s, t) in v.iter().take(25) {
                eprintln!(
                    "{s:.3} {}",
                    t.chars().take(200).collect::<String>().replace('\n', " | ")
                );
            }
        }
        let mut rng = 0x9E3779B97F4A7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for target in [500usize, 1000, 2000, 4000] {
            let (mut n, mut f) = (0, 0);
            for _ in 0..400 {
                let mut t = String::new();
                while t.len() < target {
                    let x = pool[(next() % pool.len() as u64) as usize];
                    if !t.is_empty() {
                        t.push_str(if next() % 2 == 0 { "\n\n" } else { " " });
                    }
                    t.push_str(x);
                }
                n += 1;
                if lm.score(&t) >= 0.5 {
                    f += 1;
                    if std::env::var("SHOW").is_ok() && target == 1000 {
                        eprintln!(
                            "FP {}",
                            &t.chars().take(300).collect::<String>().replace('\n', " | ")
                        );
                    }
                }
            }
            println!(
                "{name}: singles {single}/{} ; concat ~{target}B: {f}/{n} flagged",
                pool.len()
            );
        }
    }
}

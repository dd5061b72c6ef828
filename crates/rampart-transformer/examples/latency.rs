//! Median time to embed and score one ~1 KB prompt (one 256-token window)
//! and a 20 KB text, single process, CPU:
//! `cargo run -p rampart-transformer --features candle --example latency -- MODEL_DIR [N]`.
//! Figures are recorded in docs/benchmarks/ml.md ("Transformer backend").

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: latency MODEL_DIR [N]");
        std::process::exit(2);
    };
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let model = rampart_transformer::TransformerModel::load(std::path::Path::new(dir))
        .unwrap_or_else(|e| panic!("{e}"));
    let sentence = "Please summarise the attached quarterly report and list the three largest cost increases, with one sentence on each. ";
    let mut kb = String::new();
    while kb.len() < 1024 {
        kb.push_str(sentence);
    }
    kb.truncate(1024);
    let big = kb.repeat(20);
    for (name, text) in [("1 KB", &kb), ("20 KB", &big)] {
        let wins = model.windows(text).unwrap().len();
        let mut t: Vec<f64> = (0..n)
            .map(|_| {
                let t0 = Instant::now();
                let e = model.embed(text).unwrap();
                std::hint::black_box(e);
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        t.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{name}: {wins} window(s), median {:.1} ms, min {:.1} ms, max {:.1} ms over {n} runs",
            t[n / 2],
            t[0],
            t[n - 1]
        );
    }
}

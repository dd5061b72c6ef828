//! Speed of the learned detectors (harm, suffix, refusal, and the injection
//! classifier alone, and the injection + harm pair on one shared pass) on
//! 1 KB inputs, one core. Target: <= 30 µs per 1 KB
//! for each. Run: `cargo bench -p rampart-detect --bench ml_detectors`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rampart_detect::{classifier, harm, refusal, suffix};

fn one_kb(seed: &str) -> String {
    let mut s = String::new();
    while s.len() < 1024 {
        s.push_str(seed);
    }
    let mut end = 1024;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

fn benches(c: &mut Criterion) {
    let prompt = one_kb("Please summarise the quarterly report and list the three main risks the board should discuss, with a short explanation for each one. ");
    let code = one_kb("fn parse(line: &str) -> Option<(u32, u32)> {\n    let (a, b) = line.split_once(',')?;\n    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))\n}\n");
    let answer = one_kb("Sure! Here are the steps:\n1. First, open the settings.\n2. Then, choose the account tab.\n3. Finally, save the changes.\n");
    // Parse the embedded models outside the measurement.
    let _ = rampart_ml::models::injection().score("warm up");
    let _ = harm::assess("warm up");
    let _ = suffix::assess("warm up");
    let mut g = c.benchmark_group("ml_1kb");
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("injection_classifier", |b| {
        b.iter(|| rampart_ml::models::injection().score(black_box(&prompt)))
    });
    // `new_input` empties the shared-pass cache, as each engine analysis
    // does, so every iteration does the whole work.
    g.bench_function("harm", |b| {
        b.iter(|| {
            classifier::new_input();
            harm::assess(black_box(&prompt))
        })
    });
    // What the engine runs: the injection classifier's probability, then
    // harm reading the same shared pass.
    g.bench_function("injection_then_harm_shared_pass", |b| {
        b.iter(|| {
            classifier::new_input();
            let p = classifier::injection_probability(black_box(&prompt));
            (p, harm::assess(black_box(&prompt)))
        })
    });
    g.bench_function("suffix_prose", |b| {
        b.iter(|| suffix::assess(black_box(&prompt)))
    });
    g.bench_function("suffix_code", |b| {
        b.iter(|| suffix::assess(black_box(&code)))
    });
    g.bench_function("refusal", |b| {
        b.iter(|| refusal::classify(black_box(&answer)))
    });
    g.finish();
}

criterion_group!(ml, benches);
criterion_main!(ml);

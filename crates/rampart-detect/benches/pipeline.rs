//! Criterion benchmark of the default input pipeline on a realistic 1 KB prompt.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rampart_detect::{Engine, Source};

/// The benchmark prompt (1,021 bytes of ordinary business text), shared with
/// `examples/pipeprof.rs`.
const PROMPT_1K: &str = include_str!("prompt_1k.txt");

fn bench(c: &mut Criterion) {
    let engine = Engine::default();
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(PROMPT_1K.len() as u64));
    g.bench_function("default_1k_prompt", |b| {
        b.iter(|| engine.analyze(black_box(PROMPT_1K), Source::User))
    });
    // The detection-engine issue's budget covers normalise + injection + PII
    // + secrets; measure that subset on its own too.
    let mut core = Engine::default();
    core.retain_only(&["injection", "pii", "secrets"]);
    g.bench_function("injection_pii_secrets_1k_prompt", |b| {
        b.iter(|| core.analyze(black_box(PROMPT_1K), Source::User))
    });
    for name in ["injection", "pii", "secrets", "harm", "suffix"] {
        let mut one = Engine::default();
        one.retain_only(&[name]);
        g.bench_function(format!("only_{name}_1k_prompt"), |b| {
            b.iter(|| one.analyze(black_box(PROMPT_1K), Source::User))
        });
    }
    // Stages on their own, to see where the time goes (no engine, no
    // findings assembly except where the stage produces them).
    g.bench_function("stage_normalize_1k_prompt", |b| {
        b.iter(|| rampart_detect::normalize::normalize(black_box(PROMPT_1K)))
    });
    let input = rampart_detect::DetectInput::new(PROMPT_1K, Source::User);
    g.bench_function("stage_injection_rules_1k_prompt", |b| {
        b.iter(|| rampart_detect::injection::rule_hits(black_box(&input)))
    });
    g.bench_function("stage_injection_classifier_1k_prompt", |b| {
        // A new input each time: otherwise the per-thread pass cache answers
        // every iteration after the first and the bench measures a lookup.
        b.iter(|| {
            rampart_detect::classifier::new_input();
            rampart_detect::classifier::injection_probability(black_box(PROMPT_1K))
        })
    });
    g.bench_function("stage_pii_1k_prompt", |b| {
        b.iter(|| rampart_detect::pii::findings(black_box(PROMPT_1K)))
    });
    g.bench_function("stage_secrets_1k_prompt", |b| {
        b.iter(|| rampart_detect::secrets::scan_text(black_box(PROMPT_1K)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

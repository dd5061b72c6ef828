//! Criterion benchmark of the default input pipeline on a realistic 1 KB prompt.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rampart_detect::{Engine, Source};

const PROMPT_1K: &str =
    "You are helping me prepare for a meeting with our regional sales team next Tuesday. \
I have attached the quarterly numbers below. Please summarise the three most important trends, \
suggest two questions I should ask the team about the drop in renewals in the northern region, \
and draft a short agenda (no more than six items) that leaves time for a discussion of the new \
pricing model. Keep the tone friendly but direct, and avoid jargon; several people on the call \
are new to the company. Q3 numbers: new contracts 142 (up 12% on Q2), renewals 311 (down 7%), \
average contract value 18,400 EUR (up 3%), churn 4.1% (up from 3.2%), pipeline 2.3M EUR. \
The northern region lost two large accounts to a competitor offering a lower entry price, and \
our support response times rose from 6 to 9 hours after two engineers left. If anything in the \
numbers looks inconsistent, point it out rather than guessing, and tell me what extra data \
would help. Finally, give me a one-paragraph summary I can paste into an e-mail to my manager.";

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

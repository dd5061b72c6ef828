//! The whole default pipeline (as user, document and output text) plus output checks: no
//! panic, scores in 0..=1.
#![no_main]
use libfuzzer_sys::fuzz_target;
use once_cell::sync::Lazy;

static ENGINE: Lazy<rampart_detect::Engine> = Lazy::new(rampart_detect::Engine::default);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Every source: the harm and suffix detectors only run on user text.
    for source in [
        rampart_detect::Source::User,
        rampart_detect::Source::Document,
        rampart_detect::Source::Output,
    ] {
        let a = ENGINE.analyze(&text, source);
        for s in a.scores.values() {
            assert!((0.0..=1.0).contains(s));
        }
    }
    let p = rampart_detect::output::OutputPolicy::new(vec!["example.com".into()], Some("CANARY".into()), Some("you are a bot".into()));
    let _ = rampart_detect::output::check_output(&text, &p);
    let _ = rampart_detect::pii::redact(&text, rampart_detect::pii::RedactMode::Token);
});

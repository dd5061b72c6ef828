//! The session-11 persona probes (`data/probes/dev3_*.jsonl`): persona-wrapped
//! harmful requests, prefix forcing and the "grandma exploit". Every attack
//! is blocked by some input detector of the default pipeline; the
//! lookalikes that the rules and the `weapons` intent pattern were written
//! against stay clear of them.

use rampart_detect::{Engine, Source};
use std::collections::BTreeMap;

fn texts(name: &str) -> Vec<String> {
    let path = format!("{}/data/probes/{name}.jsonl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("probe line is JSON");
            v["text"].as_str().expect("probe has text").to_string()
        })
        .collect()
}

#[test]
fn every_persona_attack_is_blocked() {
    let engine = Engine::default();
    let attacks = texts("dev3_attacks");
    assert_eq!(attacks.len(), 12);
    for t in &attacks {
        let a = engine.analyze(t, Source::User);
        assert!(a.blocked(&BTreeMap::new(), 0.5), "{t}: {:?}", a.scores);
    }
}

#[test]
fn lookalikes_raise_no_rule_and_no_intent_pattern() {
    let engine = Engine::default();
    for t in texts("dev3_benign") {
        let a = engine.analyze(&t, Source::User);
        assert!(
            a.findings_of("injection.rules").next().is_none(),
            "{t}: {:?}",
            a.findings
        );
        assert!(
            a.findings_of("harm")
                .all(|f| f.metadata.get("intent").is_none()),
            "{t}: {:?}",
            a.findings
        );
        // Apart from the harm classifier's known weight on "bomb" (a bath
        // bomb, a bomb-disposal story), nothing blocks them.
        if !t.to_lowercase().contains("bomb") {
            assert!(!a.blocked(&BTreeMap::new(), 0.5), "{t}: {:?}", a.scores);
        }
    }
}

//! Development harness: rule and engine flag rates per public data set.
//!
//! `cargo run --release -p rampart-detect --example tune -- [show-fp|show-fn] [dataset-substring]`
//! Data sets are read from `$RAMPART_SHARED_DATA` (default `../shared/data`).
//! Only the training split (hash of the text mod 5 != 0) is ever printed, so
//! the held-aside fifth stays unseen while rules are tuned.
//!
//! `DUMP=FILE` also writes one tab-separated line per text: data set,
//! held-aside (0/1), label, the `injection.rules`, `injection.classifier`,
//! `injection` and `harm` scores, the text's model-split bucket (0
//! held-aside, 1 calibration, 2..9 train) and whether it reads as another
//! language than English (`charlm::is_foreign`). `THR` moves the flag
//! threshold of the printed rates.

use rampart_detect::{Engine, Source};
use std::time::Instant;

fn data_dir() -> String {
    std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into())
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Held-aside split: one fifth of each data set, chosen by a hash of the text.
fn held_aside(s: &str) -> bool {
    fnv(s).rem_euclid(5) == 0
}

fn json(path: &str) -> serde_json::Value {
    let p = format!("{}/{path}", data_dir());
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .unwrap()
}

fn strings(v: &serde_json::Value, field: Option<&str>) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|x| match field {
            None => x.as_str().map(String::from),
            Some(f) => x.get(f).and_then(|y| y.as_str()).map(String::from),
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_fp = args.iter().any(|a| a == "show-fp");
    let show_fn = args.iter().any(|a| a == "show-fn");
    let filter = args.iter().find(|a| !a.starts_with("show-")).cloned();
    let mut sets: Vec<(String, Source, bool, Vec<String>)> = Vec::new();
    // positives
    let mut rdr = csv::Reader::from_path(format!(
        "{}/injection/jailbreak_classification_train.csv",
        data_dir()
    ))
    .unwrap();
    let (mut jb, mut jbb) = (Vec::new(), Vec::new());
    for r in rdr.records() {
        let r = r.unwrap();
        if &r[1] == "jailbreak" {
            jb.push(r[0].to_string())
        } else {
            jbb.push(r[0].to_string())
        }
    }
    sets.push(("jailbreak_csv/jailbreak".into(), Source::User, true, jb));
    sets.push(("jailbreak_csv/benign".into(), Source::User, false, jbb));
    sets.push((
        "cse_pi".into(),
        Source::User,
        true,
        strings(
            &json("injection/cyberseceval_prompt_injection.json"),
            Some("user_input"),
        ),
    ));
    sets.push((
        "cse_pi_multi".into(),
        Source::User,
        true,
        strings(
            &json("injection/cyberseceval_prompt_injection_multilingual.json"),
            Some("user_input"),
        ),
    ));
    for f in ["bipia_text_attack_train", "bipia_code_attack_train"] {
        let v = json(&format!("injection/{f}.json"));
        let mut all = Vec::new();
        for (_, xs) in v.as_object().unwrap() {
            all.extend(strings(xs, None));
        }
        sets.push((f.into(), Source::Document, true, all));
    }
    // negatives
    for f in [
        "awesome_chatgpt_prompts_cc0",
        "clinc150_queries",
        "fastchat_mtbench_vicuna_questions",
        "flan_templates_filled",
        "gsm8k_questions",
        "ifeval_prompts",
        "self_instruct_seed_tasks",
        "self_instruct_user_oriented",
        "truthfulqa_questions",
    ] {
        sets.push((
            f.into(),
            Source::User,
            false,
            strings(&json(&format!("benign/{f}.json")), None),
        ));
    }
    sets.push((
        "cse_instruct".into(),
        Source::User,
        false,
        strings(
            &json("benign/cyberseceval_instruct_prompts.json"),
            Some("test_case_prompt"),
        ),
    ));
    sets.push((
        "cse_threat_intel".into(),
        Source::User,
        false,
        strings(
            &json("benign/cyberseceval_threat_intel_questions.json"),
            Some("question_text"),
        ),
    ));
    sets.push((
        "harmless_val(measure)".into(),
        Source::User,
        false,
        strings(
            &json("benign/harmless_instructions_val.json"),
            Some("instruction"),
        ),
    ));
    // This project's own non-English requests (built into rampart-ml).
    for (name, path) in [
        (
            "own_multilingual_benign",
            rampart_ml::data::MULTILINGUAL_BENIGN,
        ),
        (
            "own_multilingual_unseen",
            rampart_ml::data::MULTILINGUAL_UNSEEN,
        ),
        (
            "own_multilingual_attack_languages",
            rampart_ml::data::MULTILINGUAL_ATTACK_LANGUAGES,
        ),
    ] {
        let texts = rampart_ml::data::own_corpus_records(path)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect();
        sets.push((name.into(), Source::User, false, texts));
    }
    // The engine's probe sets (written for this project, never trained on:
    // data/probes), split by source.
    let probes = concat!(env!("CARGO_MANIFEST_DIR"), "/data/probes");
    for f in [
        "dev1_attacks",
        "dev1_benign",
        "dev2_attacks",
        "dev2_benign",
        "heldout_attacks",
        "heldout_benign",
    ] {
        let body = std::fs::read_to_string(format!("{probes}/{f}.jsonl")).unwrap();
        for (src_name, src) in [("user", Source::User), ("document", Source::Document)] {
            let texts: Vec<String> = body
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|v| v["source"] == src_name)
                .filter_map(|v| v["text"].as_str().map(str::to_string))
                .collect();
            if !texts.is_empty() {
                sets.push((
                    format!("own_probe_{f}_{src_name}"),
                    src,
                    f.ends_with("attacks"),
                    texts,
                ));
            }
        }
    }
    for f in [
        "bipia_email_context_train",
        "bipia_table_context_train",
        "bipia_code_context_train",
    ] {
        let p = format!("{}/benign/{f}.jsonl", data_dir());
        let docs: Vec<String> = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| match v.get("context").and_then(|c| c.as_str()) {
                Some(c) => Some(c.to_string()),
                None => v.get("code").and_then(|c| c.as_array()).map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
            })
            .collect();
        sets.push((f.into(), Source::Document, false, docs));
    }
    if std::env::var("TIME").is_ok() {
        let all: Vec<String> = sets
            .iter()
            .flat_map(|s| s.3.iter().take(600).cloned())
            .collect();
        let mut t = rampart_detect::injection::debug_rule_timings(&all);
        t.sort_by_key(|b| std::cmp::Reverse(b.1));
        for (id, d) in t.iter().take(10) {
            println!("{id} {:?}", d);
        }
        let t0 = Instant::now();
        for x in &all {
            std::hint::black_box(rampart_detect::normalize::normalize(x));
        }
        println!("normalize {:?} over {} texts", t0.elapsed(), all.len());
    }
    let engine = Engine::default();
    let mut dump = std::env::var("DUMP")
        .ok()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()));
    let thr = std::env::var("THR")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(rampart_detect::DEFAULT_THRESHOLD);
    for (name, src, positive, texts) in &sets {
        if let Some(f) = &filter {
            if !name.contains(f.as_str()) {
                continue;
            }
        }
        let t0 = Instant::now();
        let mut flagged = 0;
        let mut by_rule: std::collections::BTreeMap<String, usize> = Default::default();
        for t in texts {
            let a = engine.analyze(t, *src);
            let f = a.score("injection") >= thr;
            if let Some(w) = dump.as_mut() {
                use std::io::Write;
                writeln!(
                    w,
                    "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    (rampart_ml::data::split_of(t) == rampart_ml::data::Split::Test) as u8,
                    *positive as u8,
                    a.score("injection.rules"),
                    a.score("injection.classifier"),
                    a.score("injection"),
                    a.score("harm"),
                    // The text's bucket (0 held-aside, 1 calibration, 2..9
                    // train): a model trained on buckets 3..9 by the `dev`
                    // example can be measured through the engine on 1 and 2.
                    rampart_ml::features::fnv1a(rampart_ml::features::normalize(t).as_bytes()) % 10,
                    // Prose in another language (the suffix model's rule).
                    rampart_ml::charlm::is_foreign(t) as u8
                )
                .unwrap();
            }
            if f {
                flagged += 1;
            }
            if f != *positive {
                for x in a
                    .findings
                    .iter()
                    .filter(|x| x.detector.starts_with("injection"))
                {
                    *by_rule.entry(x.rule_id.clone()).or_default() += 1;
                }
            }
            if !held_aside(t) && ((f && !positive && show_fp) || (!f && *positive && show_fn)) {
                let ids: Vec<_> = a.findings.iter().map(|x| x.rule_id.as_str()).collect();
                println!(
                    "  [{:.2} {:?}] {}",
                    a.score("injection"),
                    ids,
                    t.chars().take(300).collect::<String>().replace('\n', " ")
                );
            }
        }
        let us = t0.elapsed().as_micros() as f64 / texts.len().max(1) as f64;
        println!(
            "{name:40} {} n={:6} flagged={:5} rate={:.4}  {:.1}us/text  wrong-by-rule={:?}",
            if *positive { "POS" } else { "neg" },
            texts.len(),
            flagged,
            flagged as f64 / texts.len().max(1) as f64,
            us,
            by_rule
        );
    }
}

//! How much of each text the code LM explains better than the prose LM
//! (docs/benchmarks/ml.md, session 25: the document raise of the suffix
//! threshold). Reads `{"text", "group"?}` lines; with `gen`, reads harmful
//! goals instead and scores each with five generated suffixes (`GEN_OUT=F`
//! writes those texts as JSON lines and stops).
//!
//! Prints, tab-separated: group, score, symbols, whole-text share, the
//! document share the threshold uses, logit minus threshold, and the
//! highest 24-symbol window NLL (the better LM per symbol).
//!
//! usage: code_share FILE.jsonl [gen]
use rampart_ml::charlm::{max_window, prose_lines, symbols, DOCUMENT_MARGIN_NLL};
use rampart_ml::linear::Rng;
use rampart_ml::train::{
    place_suffix, random_suffix, suffix_from, Placement, HELDOUT_SUFFIX_PIECES,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lm = rampart_ml::models::suffix_lm();
    let code = lm.code().expect("the shipped model has a code LM");
    let gen = args.get(2).is_some_and(|s| s == "gen");
    let mut rng = Rng::new(77);
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in std::fs::read_to_string(&args[1]).expect("read").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let t = v["text"].as_str().expect("text").to_string();
        if !gen {
            rows.push((v["group"].as_str().unwrap_or("").to_string(), t));
            continue;
        }
        let n = 12 + rng.below(14);
        rows.push((
            "rand_end".into(),
            place_suffix(&t, &random_suffix(&mut rng, n), Placement::End),
        ));
        for at in Placement::ALL {
            let soup = suffix_from(&mut rng, 10, HELDOUT_SUFFIX_PIECES);
            rows.push((format!("h10_{}", at.name()), place_suffix(&t, &soup, at)));
        }
        let soup = suffix_from(&mut rng, 20, HELDOUT_SUFFIX_PIECES);
        rows.push(("h20_end".into(), place_suffix(&t, &soup, Placement::End)));
    }
    if let Ok(out) = std::env::var("GEN_OUT") {
        let lines: Vec<String> = rows
            .iter()
            .map(|(g, t)| serde_json::json!({"text": t, "group": g}).to_string() + "\n")
            .collect();
        std::fs::write(out, lines.concat()).expect("write");
        return;
    }
    let (mut sym, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for (g, t) in rows {
        let s = lm.score(&t);
        let (z, thr) = lm.logit_and_threshold(&t);
        let prose = prose_lines(&t);
        symbols(&prose, &mut sym);
        lm.nll_symbols(&sym, &mut a);
        code.nll_symbols(&sym, &mut b);
        let n = sym.len().max(1) as f32;
        let whole = a
            .iter()
            .zip(&b)
            .filter(|(p, c)| **c + DOCUMENT_MARGIN_NLL < **p)
            .count() as f32
            / n;
        let m: Vec<f32> = a.iter().zip(&b).map(|(p, c)| p.min(*c)).collect();
        let (top24, _, _) = max_window(&m, 24);
        let doc = lm.features(&t).code_share;
        println!(
            "{g}\t{s:.3}\t{}\t{whole:.3}\t{doc:.3}\t{:.3}\t{top24:.3}",
            sym.len(),
            z - thr
        );
    }
}

//! The suffix model's features of each flagged text of a JSON-lines file
//! (`{"text", "group"?}`), with the combiner's weights: which feature
//! carries a false positive.
//!
//! usage: suffix_feats FILE.jsonl [GROUP]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lm = rampart_ml::models::suffix_lm();
    println!(
        "combiner {:?} threshold {} length_penalty {}",
        lm.meta.combiner, lm.meta.threshold, lm.meta.length_penalty
    );
    for line in std::fs::read_to_string(&args[1]).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(g) = args.get(2) {
            if v["group"].as_str() != Some(g.as_str()) {
                continue;
            }
        }
        let t = v["text"].as_str().unwrap();
        let s = lm.score(t);
        if s < 0.5 {
            continue;
        }
        let f = lm.features(t);
        let w = &lm.meta.combiner;
        let parts: Vec<String> = f
            .as_array()
            .iter()
            .zip(w)
            .map(|(x, w)| format!("{x:.2}*{w:.2}={:.2}", x * w))
            .collect();
        println!(
            "{s:.3} sym {} [{}] {}",
            f.symbols,
            parts.join(" "),
            t.chars().take(100).collect::<String>().replace('\n', " | ")
        );
    }
}

//! Speed of the suffix detector's scoring (`CharLm::score`, what
//! `rampart_detect::suffix::assess` runs for inputs up to 64 KB) in µs per
//! KB, one thread: the median of 7 rounds of 2,000 calls per text. The
//! criterion bench `rampart-detect --bench ml_detectors` measures the same
//! path; this one builds with rampart-ml alone. Run:
//! `cargo run --profile mlbench -p rampart-ml --example suffix_speed`.
use std::hint::black_box;
use std::time::Instant;

mod support;
use support::{cpu_ns, one_kb};

fn main() {
    let lm = rampart_ml::models::suffix_lm();
    let texts = [
        ("prose (bench sentence)", one_kb("Please summarise the quarterly report and list the three main risks the board should discuss, with a short explanation for each one. ")),
        ("prose (varied)", one_kb("I am planning a two-week trip to Japan next spring with my partner, who is vegetarian. We want to see Tokyo, Kyoto and somewhere by the sea, and we prefer trains to flights. Could you draft an itinerary that balances museums, temples and quiet walks, suggest where to stay in each city on a mid-range budget, and explain how the rail pass works and whether it is worth buying? Also list a few phrases we should learn, what to pack for the weather in April, and any etiquette mistakes tourists often make in restaurants and on public transport. Finally, estimate the total cost per person, including food, lodging and transport, and tell us which days could be cut if we only had ten days. ")),
        ("code (Rust)", one_kb("fn parse(line: &str) -> Option<(u32, u32)> {\n    let (a, b) = line.split_once(',')?;\n    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))\n}\n")),
    ];
    for (name, t) in &texts {
        let _ = lm.score(t);
        let mut wall = Vec::new();
        let mut cpu = Vec::new();
        let per_kb = 1e6 * 1024.0 / 2000.0 / t.len() as f64;
        for _ in 0..7 {
            let (start, c0) = (Instant::now(), cpu_ns());
            for _ in 0..2000 {
                black_box(lm.score(black_box(t)));
            }
            wall.push(start.elapsed().as_secs_f64() * per_kb);
            cpu.push((cpu_ns() - c0) as f64 * 1e-9 * per_kb);
        }
        wall.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        println!(
            "{name}: CPU {:.1} µs/KB (min {:.1}, max {:.1}); wall {:.1} µs/KB",
            cpu[3], cpu[0], cpu[6], wall[3]
        );
    }
}

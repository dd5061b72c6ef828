//! Helpers shared by the speed examples (`classifier_speed`,
//! `suffix_speed`).

/// `seed` repeated to 1 KB (cut on a char boundary).
pub fn one_kb(seed: &str) -> String {
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

/// CPU time of this thread (ns): on a shared machine wall time counts
/// other processes' turns; this does not.
pub fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

//! LightGBM model text: the indices a pickled `lightgbm.basic.Booster`
//! hands to the native library.
//!
//! A pickled Booster carries its model as text (`model_to_string`), and
//! `__setstate__` passes it to `LGBM_BoosterLoadModelFromString`, which
//! checks how many values each array holds but not what they index:
//! a child index past the tree, a split on a feature past
//! `max_feature_idx`, a categorical split past its bitsets, or more trees
//! per iteration than output classes send `predict` out of bounds. A tree
//! whose child points back at an earlier node loops forever. This module
//! reads the text the way the loader does (`key=value` lines, trees after
//! `Tree=<n>`) and says what would go out of bounds.

/// Trees read at most: what one scan spends on a model stays bounded even
/// when the text is the whole kept budget.
const MAX_TREES: usize = 1 << 20;

/// Why a model text would send LightGBM out of bounds, if it would.
pub fn model_fault(text: &str) -> Option<String> {
    if let Some(f) = layout_fault(text) {
        return Some(f);
    }
    let mut header_done = false;
    let mut max_feature: Option<i64> = None;
    let mut num_class: i64 = 1;
    let mut per_iteration: i64 = 1;
    let mut tree: Vec<(&str, &str)> = Vec::new();
    let mut tree_id: Option<&str> = None;
    let mut trees = 0usize;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(id) = line.strip_prefix("Tree=") {
            if let Some(prev) = tree_id.replace(id) {
                let r = tree_fault(prev, &tree, max_feature);
                if r.is_some() {
                    return r;
                }
            }
            if !header_done {
                header_done = true;
                if per_iteration < 1 || per_iteration > num_class.max(1) {
                    return Some(format!(
                        "num_tree_per_iteration={per_iteration} with num_class={num_class}: predict writes one output per tree of an iteration, past the {num_class} it allocates"
                    ));
                }
                if max_feature.is_none() {
                    return Some(
                        "no max_feature_idx before the first tree: split features cannot be bounded"
                            .into(),
                    );
                }
            }
            tree.clear();
            trees += 1;
            if trees > MAX_TREES {
                return Some(format!("more than {MAX_TREES} trees: not all were checked"));
            }
            continue;
        }
        if line == "end of trees" {
            if let Some(prev) = tree_id.take() {
                let r = tree_fault(prev, &tree, max_feature);
                if r.is_some() {
                    return r;
                }
            }
            tree.clear();
            break;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if tree_id.is_some() {
            tree.push((k, v));
        } else if !header_done {
            match k {
                "max_feature_idx" => max_feature = int32(v),
                "num_class" => num_class = int32(v).unwrap_or(-1),
                "num_tree_per_iteration" => per_iteration = int32(v).unwrap_or(-1),
                _ => {}
            }
        }
    }
    if let Some(prev) = tree_id {
        return tree_fault(prev, &tree, max_feature);
    }
    None
}

/// An integer as LightGBM keeps it (`int`): anything outside 32 bits
/// would wrap in `Common::Atoi`, so it is not read at all.
fn int32(x: &str) -> Option<i64> {
    // `Atoi` skips spaces only: a tab makes it read 0.
    x.trim_matches(' ').parse::<i32>().ok().map(i64::from)
}

fn ints(v: &str) -> Option<Vec<i64>> {
    v.split_ascii_whitespace().map(int32).collect()
}

/// The text is laid out the way `model_to_string` writes it, so that the
/// loader and this walk read the same trees: `\n` line ends only, every
/// line of a tree a `key=value` with each key once, and `tree_sizes` (the
/// byte lengths the loader jumps by) matching where the trees are.
fn layout_fault(text: &str) -> Option<String> {
    if text.contains('\r') {
        return Some(
            "a carriage return: LightGBM ends lines there and this reader does not".into(),
        );
    }
    let end = text
        .match_indices("\nend of trees")
        .next()
        .map_or(text.len(), |(i, _)| i + 1);
    let mut starts = Vec::new();
    if text[..end].starts_with("Tree=") {
        starts.push(0);
    }
    starts.extend(
        text[..end]
            .match_indices("\nTree=")
            .map(|(i, _)| i + 1)
            .take(MAX_TREES + 1),
    );
    for (k, &a) in starts.iter().enumerate() {
        let b = starts.get(k + 1).copied().unwrap_or(end);
        let mut seen: Vec<&str> = Vec::new();
        for line in text[a..b].split('\n').filter(|l| !l.is_empty()) {
            let Some((key, _)) = line.split_once('=') else {
                return Some(format!(
                    "tree {k}: a line without '=' ({:?}), which LightGBM joins to the next key",
                    line.chars().take(24).collect::<String>()
                ));
            };
            if seen.contains(&key) {
                return Some(format!(
                    "tree {k}: key {:?} twice (LightGBM and this reader may take different ones)",
                    key.chars().take(24).collect::<String>()
                ));
            }
            seen.push(key);
        }
    }
    let header = &text[..starts.first().copied().unwrap_or(end)];
    if let Some(sizes) = header.lines().find_map(|l| l.strip_prefix("tree_sizes=")) {
        let sizes: Option<Vec<usize>> = sizes
            .split_ascii_whitespace()
            .map(|x| x.parse().ok())
            .collect();
        let Some(sizes) = sizes else {
            return Some("tree_sizes is not a list of sizes".into());
        };
        let at = starts.first().copied().unwrap_or(end);
        let mut pos = at;
        let mut expected = Vec::with_capacity(sizes.len());
        for s in &sizes {
            expected.push(pos);
            pos = pos.saturating_add(*s);
        }
        if expected != starts || pos != end {
            return Some(format!(
                "tree_sizes places {} trees where the text holds {}, or at other offsets: LightGBM reads the trees tree_sizes points at",
                sizes.len(),
                starts.len()
            ));
        }
    }
    None
}

/// A categorical split's threshold is an index, written as a number.
fn index(x: &str) -> Option<i64> {
    x.parse::<i64>().ok().or_else(|| {
        x.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0)
            .map(|f| f as i64)
    })
}

fn tree_fault(id: &str, kv: &[(&str, &str)], max_feature: Option<i64>) -> Option<String> {
    let id = id.chars().take(20).collect::<String>();
    let get = |k: &str| kv.iter().rev().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let leaves: i64 = match get("num_leaves").and_then(int32) {
        Some(n) if n >= 1 => n,
        _ => return Some(format!("tree {id}: no readable num_leaves")),
    };
    if leaves == 1 {
        return None;
    }
    let internal = leaves - 1;
    let arr = |k: &str| -> Result<Vec<i64>, String> {
        let v = get(k).ok_or_else(|| format!("tree {id}: no {k}"))?;
        let a = ints(v).ok_or_else(|| format!("tree {id}: {k} is not a list of integers"))?;
        if a.len() as i64 != internal {
            return Err(format!(
                "tree {id}: {k} holds {} values for {internal} internal nodes",
                a.len()
            ));
        }
        Ok(a)
    };
    let (left, right, features, decision) = match (
        arr("left_child"),
        arr("right_child"),
        arr("split_feature"),
        arr("decision_type"),
    ) {
        (Ok(l), Ok(r), Ok(f), Ok(d)) => (l, r, f, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return Some(e),
    };
    for (i, (&l, &r)) in left.iter().zip(&right).enumerate() {
        for (side, c) in [("left", l), ("right", r)] {
            let ok = if c >= 0 {
                // LightGBM numbers a node after its parent: a child at or
                // before its parent is a cycle (`predict` never ends).
                c > i as i64 && c < internal
            } else {
                !c < leaves
            };
            if !ok {
                return Some(format!(
                    "tree {id}: node {i}'s {side} child is {c}, outside {internal} internal nodes and {leaves} leaves (or not after its parent): predict reads out of bounds or loops"
                ));
            }
        }
    }
    let max_feature = max_feature.unwrap_or(-1);
    if let Some((i, f)) = features
        .iter()
        .enumerate()
        .find(|(_, &f)| f < 0 || f > max_feature)
    {
        return Some(format!(
            "tree {id}: node {i} splits on feature {f}, past max_feature_idx={max_feature}: predict reads past each row"
        ));
    }
    let categorical: Vec<usize> = decision
        .iter()
        .enumerate()
        .filter(|(_, &d)| d & 1 != 0)
        .map(|(i, _)| i)
        .collect();
    if !categorical.is_empty() {
        let cats: i64 = get("num_cat").and_then(int32).unwrap_or(0);
        let bounds = get("cat_boundaries").and_then(ints).unwrap_or_default();
        let bitset_len = get("cat_threshold")
            .map(|v| v.split_ascii_whitespace().count() as i64)
            .unwrap_or(0);
        if cats < 1 || bounds.len() as i64 != cats + 1 {
            return Some(format!(
                "tree {id}: categorical splits with num_cat={cats} and {} cat_boundaries",
                bounds.len()
            ));
        }
        if bounds[0] != 0
            || bounds.windows(2).any(|w| w[1] < w[0])
            || bounds.last().copied() != Some(bitset_len)
        {
            return Some(format!(
                "tree {id}: cat_boundaries do not cover the {bitset_len} cat_threshold words in order: a categorical split reads past its bitset"
            ));
        }
        let thresholds: Vec<&str> = get("threshold")
            .map(|v| v.split_ascii_whitespace().collect())
            .unwrap_or_default();
        for i in categorical {
            let t = thresholds.get(i).and_then(|x| index(x));
            if !t.is_some_and(|t| (0..cats).contains(&t)) {
                return Some(format!(
                    "tree {id}: categorical node {i} names bitset {}, outside the {cats} the tree holds",
                    thresholds.get(i).copied().unwrap_or("(none)").chars().take(24).collect::<String>()
                ));
            }
        }
    }
    // Linear trees: each leaf's model reads features by index.
    if get("is_linear").map(str::trim) == Some("1") {
        let lf = get("leaf_features").unwrap_or("");
        for x in lf.split_ascii_whitespace() {
            match x.parse::<i64>() {
                Ok(f) if (0..=max_feature).contains(&f) => {}
                _ => {
                    return Some(format!(
                    "tree {id}: a linear leaf reads feature {}, past max_feature_idx={max_feature}",
                    x.chars().take(24).collect::<String>()
                ))
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 2\nthreshold=0.5 1.5\ndecision_type=2 2\nleft_child=1 -1\nright_child=-2 -3\nleaf_value=1 2 3\nis_linear=0\n\n\n";
    const GOOD: &str = concat!(
        "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=3\n\n",
        "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 2\nthreshold=0.5 1.5\ndecision_type=2 2\nleft_child=1 -1\nright_child=-2 -3\nleaf_value=1 2 3\nis_linear=0\n\n\n",
        "Tree=1\nnum_leaves=1\nleaf_value=0\n\n\nend of trees\n"
    );

    #[test]
    fn a_fitted_model_text_passes() {
        assert_eq!(model_fault(GOOD), None);
    }

    #[test]
    fn a_fault_in_any_tree_is_found() {
        // The faulty tree first, then a sound one, then the end marker.
        let bad = GOOD.replacen("left_child=1 -1", "left_child=9 -1", 1);
        assert!(model_fault(&bad).is_some());
        let two = GOOD.replace(
            "Tree=1\nnum_leaves=1\nleaf_value=0\n",
            &TREE
                .replace("Tree=0", "Tree=1")
                .replace("split_feature=0 2", "split_feature=0 7"),
        );
        assert!(model_fault(&two).is_some());
    }

    #[test]
    fn indices_past_the_tree_are_faults() {
        for (from, to) in [
            ("left_child=1 -1", "left_child=50000000 -1"),
            ("left_child=1 -1", "left_child=0 -1"),
            ("right_child=-2 -3", "right_child=-2 -4"),
            ("split_feature=0 2", "split_feature=0 4"),
            ("num_tree_per_iteration=1", "num_tree_per_iteration=3"),
            ("max_feature_idx=3\n", "\n"),
            ("left_child=1 -1", "left_child=1"),
        ] {
            let bad = GOOD.replace(from, to);
            assert!(model_fault(&bad).is_some(), "{to}");
        }
    }

    #[test]
    fn categorical_splits_stay_in_their_bitsets() {
        let cat = GOOD
            .replace(
                "num_cat=0",
                "num_cat=1\ncat_boundaries=0 1\ncat_threshold=10",
            )
            .replace("decision_type=2 2", "decision_type=1 2")
            .replace("threshold=0.5 1.5", "threshold=0 1.5");
        assert_eq!(model_fault(&cat), None);
        assert!(model_fault(&cat.replace("threshold=0 1.5", "threshold=5 1.5")).is_some());
        assert!(model_fault(&cat.replace("cat_boundaries=0 1", "cat_boundaries=0 9")).is_some());
    }
}

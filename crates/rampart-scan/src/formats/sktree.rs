//! scikit-learn decision-tree node arrays: the one check behind
//! RAMP-NPY-003, whether the array comes from a `.npy`, a skops archive or
//! a pickle (plain or joblib).
//!
//! `sklearn.tree._tree.Tree.__setstate__` copies the `nodes` array into C
//! memory without checking an index, and `predict` then follows them: a
//! child past the end reads out of bounds (a segfault, or a read of other
//! memory), a child that points back to an earlier node loops for ever, and
//! a feature past the input's width reads past each row. Trees that
//! scikit-learn builds number each child after its parent, a leaf has both
//! children -1, and every split's feature is a column of the input.

/// Most tree nodes read (64 bytes each in scikit-learn: 64 MiB), and the
/// most bytes read whatever a record's declared size.
pub(crate) const MAX_TREE_NODES: u64 = 1 << 20;
pub(crate) const MAX_TREE_BYTES: u64 = 64 << 20;

/// A signed integer field of a node record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IntField {
    pub off: usize,
    /// 4 or 8.
    pub size: usize,
    pub big_endian: bool,
}

/// Where the three indices `predict` follows sit in a record. scikit-learn
/// converts a foreign node dtype with `astype`, which maps fields by
/// position: the first three fields are the left child, the right child
/// and the feature whatever they are called.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub item: usize,
    pub left: IntField,
    pub right: IntField,
    pub feature: IntField,
}

impl Layout {
    /// From `(name, offset, size, big_endian, signed_int)` fields in
    /// declaration order and the record size; `None` when this is not a
    /// node array (no `left_child`, or fewer than three fields) or the
    /// first three fields are not 4- or 8-byte signed integers inside the
    /// record.
    pub(crate) fn from_fields(fields: &[(&str, u64, u64, bool, bool)], item: u64) -> Option<Self> {
        if fields.len() < 3 || !fields.iter().any(|f| f.0 == "left_child") || item == 0 {
            return None;
        }
        let int = |k: usize| {
            let (_, off, size, big, signed) = fields[k];
            (signed && matches!(size, 4 | 8) && off.checked_add(size)? <= item).then_some(
                IntField {
                    off: off as usize,
                    size: size as usize,
                    big_endian: big,
                },
            )
        };
        Some(Layout {
            item: usize::try_from(item).ok()?,
            left: int(0)?,
            right: int(1)?,
            feature: int(2)?,
        })
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    /// Nodes read.
    pub nodes: u64,
    /// Nodes whose children or feature are out of range.
    pub bad: u64,
    /// Up to four of them, as `node i: children l and r, feature f`.
    pub examples: Vec<String>,
    /// The largest feature index a split of the nodes read uses.
    pub max_feature: Option<i64>,
    /// Of `bad`, categorical splits naming a bitset row that is not there.
    pub bad_bitsets: u64,
    /// Categorical splits were read but the bitset rows were not known.
    pub unjudged_categorical: bool,
    /// The largest feature a categorical split reads.
    pub max_categorical_feature: Option<i64>,
}

impl Verdict {
    /// The finding's message, when a node is bad.
    pub(crate) fn message(&self) -> Option<String> {
        (self.bad > 0).then(|| {
            let bitsets = if self.bad_bitsets > 0 {
                ", or test a categorical bitset row the predictor does not have"
            } else {
                ""
            };
            format!(
                "{} of {} tree nodes point outside the tree or back up it, or split on a feature the input does not have{bitsets} ({}): scikit-learn reads out of bounds or loops at predict",
                self.bad,
                self.nodes,
                self.examples.join("; ")
            )
        })
    }
}

fn read_int(rec: &[u8], f: IntField) -> i64 {
    let b = &rec[f.off..f.off + f.size];
    match (f.size, f.big_endian) {
        (8, false) => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        (8, true) => i64::from_be_bytes(b.try_into().unwrap_or([0; 8])),
        (_, false) => i32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i64,
        (_, true) => i32::from_be_bytes(b.try_into().unwrap_or([0; 4])) as i64,
    }
}

/// Check the records in `data` (at most [`MAX_TREE_BYTES`] of it): a node
/// is a leaf (both children -1) or a split whose children both come after
/// it and below `count` (the array's declared length, so a tree larger than
/// what is read is judged by the nodes that are), and whose feature is
/// below `n_features` when the model states it (no model has 2^31
/// columns).
pub(crate) fn check(data: &[u8], layout: &Layout, count: i64, n_features: Option<i64>) -> Verdict {
    let data = &data[..data.len().min(MAX_TREE_BYTES as usize)];
    let width = n_features.unwrap_or(1 << 31).min(1 << 31);
    let mut v = Verdict::default();
    for (i, rec) in data.chunks_exact(layout.item).enumerate() {
        v.nodes += 1;
        let i = i as i64;
        let (l, r) = (read_int(rec, layout.left), read_int(rec, layout.right));
        if l == -1 && r == -1 {
            continue;
        }
        let f = read_int(rec, layout.feature);
        v.max_feature = Some(v.max_feature.map_or(f, |m| m.max(f)));
        let ok = l > i && l < count && r > i && r < count && (0..width).contains(&f);
        if !ok {
            v.bad += 1;
            if v.examples.len() < 4 {
                v.examples
                    .push(format!("node {i}: children {l} and {r}, feature {f}"));
            }
        }
    }
    v
}

/// An integer field of a record, read by name: `(offset, size, big
/// endian, signed)`.
pub(crate) type NamedInt = (usize, usize, bool, bool);

pub(crate) fn read_named(rec: &[u8], (off, size, big, signed): NamedInt) -> Option<i64> {
    let b = rec.get(off..off.checked_add(size)?)?;
    let mut v: u64 = 0;
    for i in 0..size {
        let byte = if big { b[i] } else { b[size - 1 - i] };
        v = (v << 8) | u64::from(byte);
    }
    Some(match (signed, size) {
        (true, 1) => v as u8 as i8 as i64,
        (true, 2) => v as u16 as i16 as i64,
        (true, 4) => v as u32 as i32 as i64,
        _ => v as i64,
    })
}

/// The fields of a `HistGradientBoosting` predictor node
/// (`sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor`,
/// `PREDICTOR_RECORD_DTYPE`): the Cython predictor reads the array through
/// a typed memoryview, so the fields are matched by name, and follows
/// `left` and `right` from node 0 until `is_leaf`, reading
/// `X[row, feature_idx]` on the way, without a bounds check.
pub(crate) struct HgbLayout {
    pub item: usize,
    pub left: NamedInt,
    pub right: NamedInt,
    pub is_leaf: NamedInt,
    pub feature: NamedInt,
    /// `is_categorical` and `bitset_idx`, when the record has them.
    pub categorical: Option<(NamedInt, NamedInt)>,
}

/// Check a predictor's node records: a split's children come after it and
/// inside the array (the grower numbers them so), its feature is a column
/// index below 2^31, and a categorical split's `bitset_idx` is a row of
/// the predictor's `bitset_rows` (when it is not known, the verdict says
/// the categorical splits went unjudged).
pub(crate) fn check_hgb(
    data: &[u8],
    layout: &HgbLayout,
    count: i64,
    bitset_rows: Option<i64>,
) -> Verdict {
    let data = &data[..data.len().min(MAX_TREE_BYTES as usize)];
    let mut v = Verdict::default();
    if layout.item == 0 {
        return v;
    }
    for (i, rec) in data.chunks_exact(layout.item).enumerate() {
        v.nodes += 1;
        let i = i as i64;
        if read_named(rec, layout.is_leaf).unwrap_or(1) != 0 {
            continue;
        }
        let (l, r, f) = (
            read_named(rec, layout.left).unwrap_or(-1),
            read_named(rec, layout.right).unwrap_or(-1),
            read_named(rec, layout.feature).unwrap_or(-1),
        );
        v.max_feature = Some(v.max_feature.map_or(f, |m| m.max(f)));
        let ok = l > i && l < count && r > i && r < count && (0..1 << 31).contains(&f);
        let bitset = layout
            .categorical
            .filter(|&(c, _)| read_named(rec, c).unwrap_or(0) != 0)
            .map(|(_, b)| read_named(rec, b).unwrap_or(-1));
        if bitset.is_some() {
            v.max_categorical_feature = Some(v.max_categorical_feature.map_or(f, |m| m.max(f)));
        }
        let bitset_ok = match (bitset, bitset_rows) {
            (Some(b), Some(rows)) => (0..rows).contains(&b),
            (Some(_), None) => {
                v.unjudged_categorical = true;
                true
            }
            (None, _) => true,
        };
        if !ok || !bitset_ok {
            v.bad += 1;
            v.bad_bitsets += u64::from(!bitset_ok);
            if v.examples.len() < 4 {
                v.examples.push(match bitset.filter(|_| !bitset_ok) {
                    Some(b) => format!(
                        "node {i}: categorical bitset {b} of {} rows",
                        bitset_rows.unwrap_or(0)
                    ),
                    None => format!("node {i}: children {l} and {r}, feature {f}"),
                });
            }
        }
    }
    v
}

/// A `KDTree` / `BallTree` (`sklearn.neighbors`) as its `__setstate__`
/// takes it, with nothing checked: `node_data` records (`idx_start`,
/// `idx_end`, `is_leaf`), the `idx_array` of sample rows, and the shapes
/// the queries index with. A query walks from node 0 to the children
/// `2i+1` and `2i+2` of every node that is not a leaf, reads `idx_array`
/// from `idx_start` to `idx_end` at a leaf, and `data[idx_array[k], :]`
/// and `node_bounds[:, i, :]` on the way, all without a bounds check.
pub(crate) struct BinaryTree<'a> {
    pub item: usize,
    pub idx_start: NamedInt,
    pub idx_end: NamedInt,
    pub is_leaf: NamedInt,
    pub nodes: &'a [u8],
    /// `node_data`'s declared length.
    pub node_count: i64,
    /// The state's `n_nodes`.
    pub n_nodes: Option<i64>,
    /// `idx_array` as 8-byte integers (`intp`), and its byte order.
    pub idx: &'a [u8],
    pub idx_big_endian: bool,
    /// `data`'s rows and columns.
    pub samples: i64,
    pub features: i64,
    /// `node_bounds`'s shape.
    pub bounds: &'a [i64],
    /// `sample_weight`'s length, when the state has one.
    pub weights: Option<i64>,
}

/// What is wrong with a `KDTree` / `BallTree` state, if anything.
pub(crate) fn check_binary_tree(t: &BinaryTree) -> Option<String> {
    let mut bad = Vec::new();
    let n = t.node_count;
    let idx_len = (t.idx.len() / 8) as i64;
    if t.n_nodes.is_some_and(|k| k > n || k < 0) {
        bad.push(format!(
            "n_nodes {} but node_data holds {n}",
            t.n_nodes.unwrap_or(0)
        ));
    }
    match t.bounds {
        [_, rows, cols] if *rows >= n && *cols == t.features => {}
        other => bad.push(format!(
            "node_bounds has shape {other:?} for {n} nodes of {} features",
            t.features
        )),
    }
    if t.weights.is_some_and(|w| w != t.samples) {
        bad.push(format!(
            "sample_weight holds {} weights for {} samples",
            t.weights.unwrap_or(0),
            t.samples
        ));
    }
    let mut nodes_bad = 0u64;
    let mut example = None;
    if t.item > 0 {
        let data = &t.nodes[..t.nodes.len().min(MAX_TREE_BYTES as usize)];
        for (i, rec) in data.chunks_exact(t.item).enumerate() {
            let i = i as i64;
            let (s, e) = (
                read_named(rec, t.idx_start).unwrap_or(-1),
                read_named(rec, t.idx_end).unwrap_or(-1),
            );
            let leaf = read_named(rec, t.is_leaf).unwrap_or(0) != 0;
            let range_ok = 0 <= s && s <= e && e <= idx_len;
            let children_ok = leaf
                || i.checked_mul(2)
                    .and_then(|d| d.checked_add(2))
                    .is_some_and(|c| c < n);
            if !(range_ok && children_ok) {
                nodes_bad += 1;
                example.get_or_insert_with(|| {
                    format!("node {i}: rows {s}..{e} of {idx_len}, leaf {leaf}")
                });
            }
        }
    }
    if nodes_bad > 0 {
        bad.push(format!(
            "{nodes_bad} of {n} nodes name rows outside idx_array or children past the last node ({})",
            example.unwrap_or_default()
        ));
    }
    let idx = &t.idx[..t.idx.len().min(MAX_TREE_BYTES as usize)];
    let mut out_of_range = idx.chunks_exact(8).filter_map(|b| {
        let v = read_named(b, (0, 8, t.idx_big_endian, true))?;
        (!(0..t.samples).contains(&v)).then_some(v)
    });
    if let Some(v) = out_of_range.next() {
        bad.push(format!(
            "idx_array names sample {v} of {} (and {} more outside)",
            t.samples,
            out_of_range.count()
        ));
    }
    (!bad.is_empty()).then(|| bad.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::from_fields(
            &[
                ("left_child", 0, 8, false, true),
                ("right_child", 8, 8, false, true),
                ("feature", 16, 8, false, true),
                ("threshold", 24, 8, false, false),
            ],
            32,
        )
        .unwrap()
    }

    fn nodes(n: &[(i64, i64, i64)]) -> Vec<u8> {
        let mut b = Vec::new();
        for &(l, r, f) in n {
            for x in [l, r, f, 0] {
                b.extend_from_slice(&x.to_le_bytes());
            }
        }
        b
    }

    #[test]
    fn real_shapes_pass_and_each_bad_index_is_caught() {
        let good = nodes(&[(1, 2, 3), (-1, -1, -2), (-1, -1, -2)]);
        let v = check(&good, &layout(), 3, Some(4));
        assert_eq!((v.nodes, v.bad, v.max_feature), (3, 0, Some(3)));
        assert!(v.message().is_none());
        for (bad, width) in [
            (
                nodes(&[(1, 1_000_000, 0), (-1, -1, -2), (-1, -1, -2)]),
                None,
            ),
            (nodes(&[(0, 2, 0), (-1, -1, -2), (-1, -1, -2)]), None),
            (nodes(&[(1, 2, -5), (-1, -1, -2), (-1, -1, -2)]), None),
            (nodes(&[(1, 2, 3), (-1, -1, -2), (-1, -1, -2)]), Some(3)),
            (nodes(&[(1, 2, 1 << 40), (-1, -1, -2), (-1, -1, -2)]), None),
        ] {
            let v = check(&bad, &layout(), 3, width);
            assert_eq!(v.bad, 1, "{:?}", v.examples);
            assert!(v.message().unwrap().contains("node 0"));
        }
    }

    #[test]
    fn histogram_gradient_boosting_nodes() {
        // value f8, feature_idx i8, left u4, right u4, is_leaf u1,
        // is_categorical u1, bitset_idx u4: 30 bytes.
        let layout = HgbLayout {
            item: 30,
            left: (16, 4, false, false),
            right: (20, 4, false, false),
            is_leaf: (24, 1, false, false),
            feature: (8, 8, false, true),
            categorical: Some(((25, 1, false, false), (26, 4, false, false))),
        };
        let rec = |l: u32, r: u32, leaf: u8, f: i64, cat: Option<u32>| {
            let mut b = vec![0u8; 8];
            b.extend_from_slice(&f.to_le_bytes());
            b.extend_from_slice(&l.to_le_bytes());
            b.extend_from_slice(&r.to_le_bytes());
            b.push(leaf);
            b.push(u8::from(cat.is_some()));
            b.extend_from_slice(&cat.unwrap_or(0).to_le_bytes());
            b
        };
        let leaf = || rec(0, 0, 1, 0, None);
        let good = [rec(1, 2, 0, 3, None), leaf(), leaf()].concat();
        let v = check_hgb(&good, &layout, 3, Some(0));
        assert_eq!((v.bad, v.max_feature), (0, Some(3)));
        assert!(!v.unjudged_categorical);
        for bad in [
            [rec(1, 1_000_000, 0, 3, None), leaf(), leaf()].concat(),
            [rec(0, 2, 0, 3, None), leaf(), leaf()].concat(),
            [rec(1, 2, 0, -4, None), leaf(), leaf()].concat(),
        ] {
            let v = check_hgb(&bad, &layout, 3, Some(0));
            assert_eq!((v.bad, v.bad_bitsets), (1, 0));
        }
        // A categorical split names a row of the predictor's bitsets.
        let cat = [rec(1, 2, 0, 0, Some(1)), leaf(), leaf()].concat();
        assert_eq!(check_hgb(&cat, &layout, 3, Some(2)).bad, 0);
        let v = check_hgb(&cat, &layout, 3, Some(1));
        assert_eq!((v.bad, v.bad_bitsets), (1, 1));
        assert!(v
            .message()
            .unwrap()
            .contains("categorical bitset 1 of 1 rows"));
        // Rows unknown: not judged, and said so.
        let v = check_hgb(&cat, &layout, 3, None);
        assert_eq!(v.bad, 0);
        assert!(v.unjudged_categorical);
        // A leaf's categorical flag is never read.
        let leafy = [rec(1, 2, 0, 0, None), rec(0, 0, 1, 0, Some(9)), leaf()].concat();
        assert_eq!(check_hgb(&leafy, &layout, 3, Some(0)).bad, 0);
    }

    #[test]
    fn layouts_that_are_not_node_arrays_are_refused() {
        assert!(Layout::from_fields(&[("a", 0, 8, false, true)], 8).is_none());
        let no_name = [
            ("a", 0, 8, false, true),
            ("b", 8, 8, false, true),
            ("c", 16, 8, false, true),
        ];
        assert!(Layout::from_fields(&no_name, 24).is_none());
        // A float in the first three positions, or a field past the record.
        let float = [
            ("left_child", 0, 8, false, true),
            ("right_child", 8, 8, false, false),
            ("feature", 16, 8, false, true),
        ];
        assert!(Layout::from_fields(&float, 24).is_none());
        let past = [
            ("left_child", 0, 8, false, true),
            ("right_child", 8, 8, false, true),
            ("feature", 20, 8, false, true),
        ];
        assert!(Layout::from_fields(&past, 24).is_none());
    }
}

//! TensorFlow SavedModel (`saved_model.pb`) and frozen graphs: a byte-level
//! scan for NodeDef `op` fields naming file-system or Python-calling ops.
//! The graph runs these ops when the model is loaded and served.

use crate::engine::Out;
use crate::rules;
use std::collections::{HashMap, HashSet};

/// Ops that read or write files. The TF1 readers read the files a queue
/// hands them (names that a constant, `MatchingFiles` or a feed put
/// there): the reader itself is flagged. The matching-files ops list a
/// directory (file names that a model can then read or serve).
pub const FILE_OPS: &[&str] = &[
    "ReadFile",
    "WholeFileReader",
    "WholeFileReaderV2",
    "TextLineReader",
    "TextLineReaderV2",
    "TFRecordReader",
    "TFRecordReaderV2",
    "FixedLengthRecordReader",
    "FixedLengthRecordReaderV2",
    "LMDBReader",
    "MatchingFilesDataset",
    "ExperimentalMatchingFilesDataset",
    "CreateSummaryFileWriter",
    "WriteFile",
    "MatchingFiles",
    "DeleteFile",
    "FileSystemSetConfiguration",
    "ImmutableConst",
];
/// Ops that call into the Python interpreter.
pub const PY_OPS: &[&str] = &["PyFunc", "PyFuncStateless", "EagerPyFunc"];
/// Ops that write wherever an attribute says, dangerous when it names a
/// file: `tf.print(..., output_stream="file:///home/u/.bashrc")`, debug
/// dumps to a `file://` URL.
pub const URL_OPS: &[&str] = &[
    "PrintV2",
    "DebugIdentity",
    "DebugIdentityV2",
    "DebugIdentityV3",
    // `debug_ops_spec` (`DebugIdentity;file:///tmp/dump;0`).
    "Copy",
    "CopyHost",
    "DebugNanCount",
    "DebugNumericSummary",
    "DebugNumericSummaryV2",
];

/// Ops that read or write the file their input tensor names. Ordinary
/// graphs have them (every SavedModel saves and restores variables), fed
/// by a placeholder or a relative name; a constant absolute path or one
/// that climbs with `..` makes the graph write (or read and serve) a file
/// of the attacker's choosing when it runs. Table initialisers from text
/// files are left out: TF1 exports keep the training machine's absolute
/// asset path in the graph and feed the real one at load.
pub const PATH_INPUT_OPS: &[(&str, &[usize])] = &[
    // (op, which data inputs are paths)
    ("Save", &[0]),
    ("SaveV2", &[0]),
    ("SaveSlices", &[0]),
    ("MergeV2Checkpoints", &[0, 1]),
    ("Restore", &[0]),
    ("RestoreV2", &[0]),
    ("RestoreSlice", &[0]),
    ("SaveDataset", &[1]),
    ("SaveDatasetV2", &[1]),
    ("TFRecordDataset", &[0]),
    ("TFRecordDatasetV2", &[0]),
    ("TextLineDataset", &[0]),
    ("FixedLengthRecordDataset", &[0]),
    ("FixedLengthRecordDatasetV2", &[0]),
    ("CacheDataset", &[1]),
    ("CacheDatasetV2", &[1]),
    ("DatasetToTFRecord", &[1]),
    ("ExperimentalDatasetToTFRecord", &[1]),
    ("SnapshotDataset", &[1]),
    ("SnapshotDatasetV2", &[1]),
    ("ExperimentalSnapshotDataset", &[1]),
    ("LoadDataset", &[0]),
    ("ExperimentalLoadDataset", &[0]),
    ("SqlDataset", &[1]),
    ("ExperimentalSqlDataset", &[1]),
    ("CSVDataset", &[0]),
    ("CSVDatasetV2", &[0]),
    ("ExperimentalCSVDataset", &[0]),
    ("LMDBDataset", &[0]),
    ("ExperimentalLMDBDataset", &[0]),
    ("CreateSummaryDbWriter", &[1]),
    ("LoadAndRemapMatrix", &[0]),
    ("GenerateVocabRemapping", &[0, 1]),
    // tf.data snapshot internals (TF 2.14 on): a chunk file, a shard or
    // snapshot directory, and the distributed save's directory.
    ("SnapshotChunkDataset", &[0]),
    ("SnapshotDatasetReader", &[0]),
    ("ListSnapshotChunksDataset", &[0]),
    ("DistributedSave", &[1]),
];

/// Ops that read or write the file an attribute names (`file_pattern`,
/// `descriptor_source` unless `local://`).
pub const PATH_ATTR_OPS: &[(&str, &str)] = &[
    ("RecordInput", "file_pattern"),
    ("DecodeProtoV2", "descriptor_source"),
    ("EncodeProto", "descriptor_source"),
    // Reads its vocabulary file when the kernel is built.
    ("FixedUnigramCandidateSampler", "vocab_file"),
    // word2vec's op reads its training text.
    ("Skipgram", "filename"),
];

/// A NodeDef's name, op, inputs and, for `Const`, its string values.
struct Node<'a> {
    name: &'a [u8],
    op: &'a [u8],
    inputs: Vec<&'a [u8]>,
    strings: Vec<&'a [u8]>,
    /// For `Const`, its integer values (`int_val`, `int64_val`, or
    /// `tensor_content` of an int32 / int64 tensor): a `Substr`'s position
    /// and length.
    ints: Vec<i64>,
    /// `(key, value)` of the string attributes (`separator`, `template`,
    /// `file_pattern`...).
    attr_strings: Vec<(&'a [u8], &'a [u8])>,
    /// The function a call node calls (attribute `f`).
    func: Option<&'a [u8]>,
}

/// `b` read as a NodeDef, if it looks like one: a name and an op spelled
/// as TensorFlow op names are.
fn node_of(b: &[u8]) -> Option<Node<'_>> {
    use super::protobuf::{fields, Value};
    let mut n = Node {
        name: &[],
        op: &[],
        inputs: Vec::new(),
        strings: Vec::new(),
        ints: Vec::new(),
        attr_strings: Vec::new(),
        func: None,
    };
    let mut attrs = Vec::new();
    for f in fields(b) {
        match f.ok()? {
            (1, Value::Bytes(x)) => n.name = x,
            (2, Value::Bytes(x)) => n.op = x,
            (3, Value::Bytes(x)) => n.inputs.push(x),
            (5, Value::Bytes(x)) => attrs.push(x),
            _ => {}
        }
    }
    let op_like = !n.op.is_empty()
        && n.op.len() <= 64
        && n.op[0].is_ascii_uppercase()
        && n.op.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    if n.name.is_empty() || !op_like {
        return None;
    }
    for a in attrs {
        let mut key: &[u8] = &[];
        let mut val: &[u8] = &[];
        for (k, v) in fields(a).flatten() {
            match (k, v) {
                (1, Value::Bytes(x)) => key = x,
                (2, Value::Bytes(x)) => val = x,
                _ => {}
            }
        }
        // AttrValue.s (field 2): a string attribute; AttrValue.func
        // (field 10): a NameAttrList whose name (field 1) is a function.
        for (k, v) in fields(val).flatten() {
            match (k, v) {
                (2, Value::Bytes(x)) => n.attr_strings.push((key, x)),
                (10, Value::Bytes(x)) if key == b"f" => {
                    n.func = fields(x).flatten().find_map(|(k, v)| match (k, v) {
                        (1, Value::Bytes(name)) => Some(name),
                        _ => None,
                    });
                }
                _ => {}
            }
        }
        if n.op == b"Const" {
            // attr {key: "value", value: AttrValue{tensor (8): TensorProto{
            // string_val (8)...}}}
            if key != b"value" {
                continue;
            }
            for (k, v) in fields(val).flatten() {
                if let (8, Value::Bytes(t)) = (k, v) {
                    const_values(t, &mut n);
                }
            }
        }
    }
    Some(n)
}

/// A `Const`'s TensorProto: string values (field 8) and integer values
/// (`int_val` 7 and `int64_val` 10, packed or not; `tensor_content` 4 of
/// dtype int32 (3) or int64 (9), little-endian), at most 4,096 of them.
fn const_values<'a>(t: &'a [u8], n: &mut Node<'a>) {
    use super::protobuf::{fields, varint, Value};
    const MAX: usize = 4096;
    let mut dtype = 0;
    let mut content: &[u8] = &[];
    for (k, v) in fields(t).flatten() {
        match (k, v) {
            (1, Value::Varint(d)) => dtype = d,
            (4, Value::Bytes(c)) => content = c,
            (8, Value::Bytes(sv)) if n.strings.len() < MAX => n.strings.push(sv),
            // Protobuf's int32 is sign-extended to 64 bits on the wire.
            (7 | 10, Value::Varint(x)) if n.ints.len() < MAX => n.ints.push(x as i64),
            (7 | 10, Value::Bytes(packed)) => {
                let mut pos = 0;
                while pos < packed.len() && n.ints.len() < MAX {
                    match varint(packed, &mut pos) {
                        Some(x) => n.ints.push(x as i64),
                        None => break,
                    }
                }
            }
            _ => {}
        }
    }
    match dtype {
        3 => n.ints.extend(
            content
                .chunks_exact(4)
                .take(MAX)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64),
        ),
        9 => n.ints.extend(
            content
                .chunks_exact(8)
                .take(MAX)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))),
        ),
        _ => {}
    }
}

/// The node an input names: `name`, `name:0`, `name:output:0`, `^name`.
fn source(input: &[u8]) -> &[u8] {
    let input = input.strip_prefix(b"^").unwrap_or(input);
    input.split(|c| *c == b':').next().unwrap_or(input)
}

/// The NodeDefs held by one message (a GraphDef, or a FunctionDef body),
/// with the function's name and argument names when it is one.
struct Group<'a> {
    nodes: Vec<Node<'a>>,
    signature: Option<(&'a [u8], Vec<&'a [u8]>)>,
}

/// A FunctionDef's signature (field 1, an OpDef): its name and the names
/// of its input arguments.
fn signature(b: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    use super::protobuf::{fields, Value};
    let mut name: &[u8] = &[];
    let mut args = Vec::new();
    for f in fields(b) {
        match f.ok()? {
            (1, Value::Bytes(x)) => name = x,
            (2, Value::Bytes(arg)) => {
                let n = fields(arg).flatten().find_map(|(k, v)| match (k, v) {
                    (1, Value::Bytes(x)) => Some(x),
                    _ => None,
                })?;
                args.push(n);
            }
            _ => {}
        }
    }
    (!name.is_empty()).then_some((name, args))
}

/// Every group of NodeDefs in the message tree (SavedModel, GraphDef,
/// FunctionDef alike: nodes are found as the messages that parse as
/// NodeDefs, grouped by the message holding them).
fn groups<'a>(b: &'a [u8], depth: usize, budget: &mut usize, out: &mut Vec<Group<'a>>) {
    use super::protobuf::{fields, Value};
    if depth > 24 {
        return;
    }
    let mut nodes = Vec::new();
    let mut sig = None;
    for (k, v) in fields(b).flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if let Value::Bytes(x) = v {
            if x.len() < 2 {
                continue;
            }
            if k == 1 && sig.is_none() {
                sig = signature(x).filter(|(_, args)| !args.is_empty());
            }
            match node_of(x) {
                Some(n) => nodes.push(n),
                None => groups(x, depth + 1, budget, out),
            }
        }
    }
    if !nodes.is_empty() {
        out.push(Group {
            nodes,
            signature: sig,
        });
    }
}

/// Whether a string names a file outside the model directory, as shown.
fn outside(v: &[u8]) -> Option<String> {
    let p = String::from_utf8_lossy(v);
    let p = p.strip_prefix("file://").unwrap_or(&p);
    (p.len() > 1 && (super::onnx::location_escapes(p) || p.starts_with('~'))).then(|| p.to_string())
}

/// Whether a string appended to a path climbs out of it with `..`.
fn climbs(v: &[u8]) -> Option<String> {
    let p = String::from_utf8_lossy(v).replace('\\', "/");
    p.split('/').any(|c| c == "..").then_some(p)
}

/// What an input of a group computes from: the escaping constant paths it
/// is made of (through `Identity`, `StringJoin` evaluated with its
/// separator, string attributes such as a `StringFormat` template, and a
/// `PlaceholderWithDefault`'s default), and the names it reaches that no
/// node of the group defines (a function's arguments).
fn trace<'a>(
    by_name: &HashMap<&'a [u8], &Node<'a>>,
    start: &'a [u8],
    paths: &mut Vec<String>,
    free: &mut Vec<&'a [u8]>,
    budget: &mut usize,
) {
    // (node, depth, whether it is a later piece of a join: appended to
    // what comes before it, so only climbing with `..` takes it out).
    let mut stack: Vec<(&[u8], usize, bool)> = vec![(source(start), 0, false)];
    let mut seen = HashSet::new();
    while let Some((name, depth, tail)) = stack.pop() {
        if depth > 8 || seen.len() >= 256 || !seen.insert((name, tail)) {
            continue;
        }
        let Some(src) = by_name.get(name) else {
            free.push(name);
            continue;
        };
        for v in src
            .strings
            .iter()
            .chain(src.attr_strings.iter().map(|(_, v)| v))
        {
            paths.extend(if tail { climbs(v) } else { outside(v) });
        }
        // Constants were read above; what they compute is evaluated
        // within the budget shared by every trace of one file.
        if src.op != b"Const" && *budget > 0 {
            let mut steps = 0;
            for v in eval(by_name, src, 0, &mut steps) {
                paths.extend(if tail { climbs(&v) } else { outside(&v) });
            }
            *budget = budget.saturating_sub(steps);
        }
        // Only a plain placeholder is fed by the caller; one with a
        // default runs with the graph's value.
        if src.op != b"Placeholder" {
            let join = matches!(src.op, b"StringJoin" | b"Add" | b"AddV2");
            stack.extend(
                data_inputs(src)
                    .enumerate()
                    .map(|(k, i)| (source(i), depth + 1, tail || (join && k > 0))),
            );
        }
    }
}

/// Most values one evaluation keeps, the longest, and the most integers
/// read from one constant (a `Substr` position, a `Gather` index).
const EVAL_VALUES: usize = 64;
const EVAL_LEN: usize = 4096;
const EVAL_INTS: usize = 64;

/// The string values a node computes when they follow from constants,
/// evaluated as TensorFlow would for the ops that shape a string: a path
/// assembled from pieces (`StringJoin` and string `Add`, element-wise with
/// scalars broadcast; `ConcatV2`, `Pack`), cut out of a longer constant
/// (`Substr`), picked out of a vector (`Gather`), decoded or encoded
/// (`DecodeBase64`, `EncodeBase64`, `UnicodeEncode` of code points),
/// rewritten (`StaticRegexReplace`, `RegexReplace`), re-cased or stripped,
/// or joined from a vector (`ReduceJoin`, over every element: the axis is
/// not followed), through ops that only reshape or forward a tensor.
/// Empty when a value is not constant. Depth, value count, length and
/// every product of inputs are bounded; `steps` counts nodes visited in
/// one evaluation so a wide graph cannot make it quadratic.
fn eval(
    by_name: &HashMap<&[u8], &Node<'_>>,
    n: &Node<'_>,
    depth: usize,
    steps: &mut usize,
) -> Vec<Vec<u8>> {
    *steps += 1;
    if depth > 12 || *steps > 512 {
        return Vec::new();
    }
    let node = |k: usize| data_inputs(n).nth(k).and_then(|i| by_name.get(source(i)));
    let input = |k: usize, steps: &mut usize| -> Vec<Vec<u8>> {
        node(k).map_or_else(Vec::new, |m| eval(by_name, m, depth + 1, steps))
    };
    let ints = |k: usize| -> Vec<i64> { node(k).map_or_else(Vec::new, |m| const_ints(by_name, m)) };
    let attr = |key: &[u8]| {
        n.attr_strings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    };
    let mut out: Vec<Vec<u8>> = match n.op {
        b"Const" => n
            .strings
            .iter()
            .take(EVAL_VALUES)
            .map(|s| s.to_vec())
            .collect(),
        op if forwards(op) => input(0, steps),
        b"StringJoin" | b"Add" | b"AddV2" => {
            let sep = if n.op == b"StringJoin" {
                attr(b"separator").unwrap_or(b"")
            } else {
                b""
            };
            let parts: Vec<Vec<Vec<u8>>> = (0..data_inputs(n).count().min(16))
                .map(|k| input(k, steps))
                .collect();
            // Element-wise, a scalar (one value) broadcast against the
            // rest; inputs of other differing lengths have no value.
            let width = parts.iter().map(Vec::len).max().unwrap_or(0);
            if parts.is_empty()
                || parts
                    .iter()
                    .any(|p| p.is_empty() || (p.len() != 1 && p.len() != width))
            {
                Vec::new()
            } else {
                (0..width)
                    .map(|j| {
                        let pieces: Vec<&[u8]> = parts
                            .iter()
                            .map(|p| p[if p.len() == 1 { 0 } else { j }].as_slice())
                            .collect();
                        pieces.join(sep)
                    })
                    .collect()
            }
        }
        b"ConcatV2" | b"Concat" | b"Pack" => {
            // The axis is an extra input of ConcatV2 (last) and Concat
            // (first); only string values count, so integer inputs drop out.
            let k = data_inputs(n).count().min(16);
            (0..k).flat_map(|i| input(i, steps)).collect()
        }
        b"Gather" | b"GatherV2" | b"ResourceGather" => {
            // Index into the constant itself: copying all of it for each
            // gather would let a large constant and many gathers cost
            // time out of proportion to the file.
            let picks: Vec<usize> = ints(1)
                .into_iter()
                .filter_map(|i| usize::try_from(i).ok())
                .collect();
            match node(0).and_then(|m| forwarded_const(by_name, m)) {
                Some(c) => picks
                    .iter()
                    .filter_map(|&i| c.strings.get(i).map(|s| s.to_vec()))
                    .collect(),
                None => {
                    let all = input(0, steps);
                    picks.iter().filter_map(|&i| all.get(i).cloned()).collect()
                }
            }
        }
        b"ReduceJoin" => {
            let sep = attr(b"separator").unwrap_or(b"");
            // Every element of a constant, not only the first 64.
            let evaluated;
            let all: Vec<&[u8]> = match node(0).and_then(|m| forwarded_const(by_name, m)) {
                Some(c) => c.strings.clone(),
                None => {
                    evaluated = input(0, steps);
                    evaluated.iter().map(Vec::as_slice).collect()
                }
            };
            let mut joined = Vec::new();
            for (i, v) in all.iter().enumerate() {
                // Past the longest value kept, the result is dropped: stop
                // before copying a long piece.
                if joined.len() + v.len() > EVAL_LEN {
                    joined.clear();
                    break;
                }
                if i > 0 {
                    joined.extend_from_slice(sep);
                }
                joined.extend_from_slice(v);
            }
            if all.is_empty() || joined.is_empty() {
                Vec::new()
            } else {
                vec![joined]
            }
        }
        b"Substr" => {
            let utf8 = attr(b"unit") == Some(b"UTF8_CHAR");
            let (pos, len) = (ints(1), ints(2));
            let mut v = Vec::new();
            'strings: for s in input(0, steps) {
                let units = units_of(&s, utf8);
                // Element-wise or broadcast, as TF pairs them.
                let pairs = pos.len().max(len.len());
                for j in 0..pairs.min(EVAL_VALUES) {
                    let p = pos.get(if pos.len() == 1 { 0 } else { j });
                    let l = len.get(if len.len() == 1 { 0 } else { j });
                    if let (Some(&p), Some(&l), Some(u)) = (p, l, units.as_ref()) {
                        v.extend(substr(u, p, l));
                    }
                    if v.len() >= EVAL_VALUES {
                        break 'strings;
                    }
                }
            }
            v
        }
        b"DecodeBase64" => {
            use base64::Engine;
            input(0, steps)
                .into_iter()
                .filter_map(|v| {
                    // TF's web-safe alphabet, padding optional.
                    let trimmed: Vec<u8> = v.into_iter().filter(|&c| c != b'=').collect();
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(trimmed)
                        .ok()
                })
                .collect()
        }
        b"EncodeBase64" => {
            use base64::Engine;
            input(0, steps)
                .into_iter()
                .map(|v| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(v)
                        .into_bytes()
                })
                .collect()
        }
        b"UnicodeEncode" => {
            // Code points (a ragged tensor's values) to UTF-8.
            let s: String = ints(0)
                .into_iter()
                .filter_map(|c| u32::try_from(c).ok().and_then(char::from_u32))
                .collect();
            if s.is_empty() {
                Vec::new()
            } else {
                vec![s.into_bytes()]
            }
        }
        b"StaticRegexReplace" | b"RegexReplace" => {
            let (pattern, rewrite) = if n.op == b"StaticRegexReplace" {
                (
                    attr(b"pattern")
                        .map(|p| vec![p.to_vec()])
                        .unwrap_or_default(),
                    attr(b"rewrite")
                        .map(|p| vec![p.to_vec()])
                        .unwrap_or_default(),
                )
            } else {
                (input(1, steps), input(2, steps))
            };
            let mut v = Vec::new();
            // One pattern and one rewrite (the scalar case TF has): a
            // product of vectors would multiply the work.
            if let (Some(p), Some(r)) = (pattern.first(), rewrite.first()) {
                if let Some(re) = compile(p) {
                    for s in input(0, steps).iter().take(EVAL_VALUES) {
                        v.extend(regex_replace(&re, s, r));
                    }
                }
            }
            v
        }
        b"StringLower" => input(0, steps)
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        b"StringUpper" => input(0, steps)
            .into_iter()
            .map(|s| s.to_ascii_uppercase())
            .collect(),
        b"StringStrip" => input(0, steps)
            .into_iter()
            .map(|s| s.trim_ascii().to_vec())
            .collect(),
        _ => Vec::new(),
    };
    out.retain(|v| v.len() <= EVAL_LEN);
    out.truncate(EVAL_VALUES);
    out
}

/// Ops whose output holds the values of their first input (reshaped,
/// repeated or cast at most): evaluation passes through them.
fn forwards(op: &[u8]) -> bool {
    matches!(
        op,
        b"Identity"
            | b"Snapshot"
            | b"StopGradient"
            | b"PlaceholderWithDefault"
            | b"IdentityN"
            | b"Reshape"
            | b"ExpandDims"
            | b"Squeeze"
            | b"EnsureShape"
            | b"CheckNumerics"
            | b"Tile"
            | b"BroadcastTo"
            | b"Cast"
    )
}

/// The `Const` a node forwards unchanged (through `Identity`, `Reshape`
/// and the like, at most 12 of them).
fn forwarded_const<'m, 'a>(
    by_name: &HashMap<&'a [u8], &'m Node<'a>>,
    mut n: &'m Node<'a>,
) -> Option<&'m Node<'a>> {
    for _ in 0..12 {
        if n.op == b"Const" {
            return Some(n);
        }
        if !forwards(n.op) {
            return None;
        }
        n = data_inputs(n).next().and_then(|i| by_name.get(source(i)))?;
    }
    None
}

/// The integer values a node holds as a constant, through ops that only
/// forward a tensor (at most [`EVAL_INTS`]).
fn const_ints<'m, 'a>(by_name: &HashMap<&'a [u8], &'m Node<'a>>, n: &'m Node<'a>) -> Vec<i64> {
    match forwarded_const(by_name, n) {
        // A numeric constant that lists no value is zeros.
        Some(c) if c.ints.is_empty() && c.strings.is_empty() => vec![0],
        Some(c) => c.ints.iter().take(EVAL_INTS).copied().collect(),
        None => Vec::new(),
    }
}

/// A string's units for `Substr`: its bytes, or its characters when the
/// unit is `UTF8_CHAR` (`None` when it is not UTF-8, which TF refuses).
fn units_of(s: &[u8], utf8: bool) -> Option<Vec<&[u8]>> {
    if !utf8 {
        return Some(s.chunks(1).collect());
    }
    let text = std::str::from_utf8(s).ok()?;
    Some(
        text.char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect(),
    )
}

/// TF's `Substr`: a negative position counts from the end; a position
/// past either end fails (no value); the length is cut at the end.
fn substr(units: &[&[u8]], pos: i64, len: i64) -> Option<Vec<u8>> {
    if len < 0 {
        return None;
    }
    let n = units.len() as i64;
    let start = if pos < 0 { n.checked_add(pos)? } else { pos };
    if !(0..=n).contains(&start) {
        return None;
    }
    let end = start.saturating_add(len).min(n);
    Some(units[start as usize..end as usize].concat())
}

/// A pattern as TF's RE2 reads it, with bounded size (`None` for one the
/// `regex` crate does not take).
fn compile(pattern: &[u8]) -> Option<regex::bytes::Regex> {
    let p = std::str::from_utf8(pattern).ok()?;
    regex::bytes::RegexBuilder::new(p)
        .size_limit(1 << 16)
        .dfa_size_limit(1 << 16)
        .build()
        .ok()
}

/// RE2's replace, with the rewrite's `\\N` groups: every match replaced
/// (`replace_global`, the default) and, in case the attribute says
/// otherwise, the first one alone too. A result past [`EVAL_LEN`] is not
/// built: an empty pattern matches between every two bytes.
fn regex_replace(re: &regex::bytes::Regex, s: &[u8], rewrite: &[u8]) -> Vec<Vec<u8>> {
    let matches = re.find_iter(s).take(EVAL_LEN + 1).count();
    if s.len()
        .saturating_add(matches.saturating_mul(rewrite.len()))
        > EVAL_LEN
    {
        return Vec::new();
    }
    let mut rep = Vec::with_capacity(rewrite.len());
    let mut it = rewrite.iter().peekable();
    while let Some(&c) = it.next() {
        match c {
            b'\\' => match it.next() {
                Some(&d) if d.is_ascii_digit() => {
                    rep.extend_from_slice(format!("${{{}}}", d - b'0').as_bytes())
                }
                Some(&b'$') => rep.extend_from_slice(b"$$"),
                Some(&o) => rep.push(o),
                None => {}
            },
            b'$' => rep.extend_from_slice(b"$$"),
            c => rep.push(c),
        }
    }
    vec![
        re.replace_all(s, rep.as_slice()).into_owned(),
        re.replace(s, rep.as_slice()).into_owned(),
    ]
}

/// A node's data inputs (control inputs, `^name`, come after them).
fn data_inputs<'n, 'a>(n: &'n Node<'a>) -> impl Iterator<Item = &'a [u8]> + 'n {
    n.inputs.iter().copied().filter(|i| !i.starts_with(b"^"))
}

/// `(op, path)` for each path-taking op fed a constant path that leaves
/// the model directory: in the same graph, or, for an op inside a function
/// whose path is one of its arguments, at each call of that function
/// (`StatefulPartitionedCall`, `PartitionedCall`, or a node named by the
/// function), which is how TF2 SavedModels wire a saver.
fn const_paths(b: &[u8], found: &mut Vec<(String, String)>) {
    let mut budget = 2_000_000;
    // Nodes evaluated for constant strings, over every path input.
    let mut eval_budget = 100_000;
    let mut all = Vec::new();
    groups(b, 0, &mut budget, &mut all);
    // Per function: (argument index, op) whose path comes from that
    // argument.
    let mut by_arg: HashMap<&[u8], Vec<(usize, &'static str)>> = HashMap::new();
    for g in &all {
        let by_name: HashMap<&[u8], &Node<'_>> = g.nodes.iter().map(|n| (n.name, n)).collect();
        for n in &g.nodes {
            if let Some((op, key)) = PATH_ATTR_OPS.iter().find(|(o, _)| o.as_bytes() == n.op) {
                for (k, v) in &n.attr_strings {
                    if *k == key.as_bytes() && !v.starts_with(b"local://") {
                        found.extend(outside(v).map(|p| (op.to_string(), p)));
                    }
                }
            }
            let Some((op, which)) = PATH_INPUT_OPS.iter().find(|(o, _)| o.as_bytes() == n.op)
            else {
                continue;
            };
            let data: Vec<&[u8]> = data_inputs(n).collect();
            for i in which.iter().filter_map(|&k| data.get(k)) {
                let (mut paths, mut free) = (Vec::new(), Vec::new());
                trace(&by_name, i, &mut paths, &mut free, &mut eval_budget);
                found.extend(paths.into_iter().map(|p| (op.to_string(), p)));
                if let Some((fname, args)) = &g.signature {
                    for f in free {
                        if let Some(k) = args.iter().position(|a| *a == f) {
                            by_arg.entry(fname).or_default().push((k, op));
                        }
                    }
                }
            }
        }
    }
    if by_arg.is_empty() {
        return;
    }
    for g in &all {
        let by_name: HashMap<&[u8], &Node<'_>> = g.nodes.iter().map(|n| (n.name, n)).collect();
        for n in &g.nodes {
            let callee = if n.op == b"StatefulPartitionedCall" || n.op == b"PartitionedCall" {
                n.func
            } else {
                Some(n.op)
            };
            let Some(sites) = callee.and_then(|f| by_arg.get(f)) else {
                continue;
            };
            let data: Vec<&[u8]> = data_inputs(n).collect();
            for (k, op) in sites {
                if let Some(i) = data.get(*k) {
                    let (mut paths, mut free) = (Vec::new(), Vec::new());
                    trace(&by_name, i, &mut paths, &mut free, &mut eval_budget);
                    found.extend(paths.into_iter().map(|p| (op.to_string(), p)));
                }
            }
        }
    }
}

/// Op names found as NodeDef `op` values (field 2) by walking the message
/// tree: a writer may spell a tag or a length with a non-minimal varint
/// (`12 88 00 ReadFile`), which the byte pattern cannot see. Every
/// length-delimited field that parses as a message is entered, to a depth
/// and a field budget.
fn walk_ops<'a>(
    b: &[u8],
    depth: usize,
    budget: &mut usize,
    ops: &[&'a str],
    found: &mut Vec<&'a str>,
) {
    if depth > 24 {
        return;
    }
    for (n, v) in super::protobuf::fields(b).flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if let super::protobuf::Value::Bytes(x) = v {
            if n == 2 {
                if let Some(op) = ops.iter().find(|o| o.as_bytes() == x) {
                    found.push(op);
                    continue;
                }
            }
            if x.len() >= 2 {
                walk_ops(x, depth + 1, budget, ops, found);
            }
        }
    }
}

/// Occurrences of `op` as a length-delimited field value (NodeDef.op is
/// field 2: tag 0x12, then the length, then the name).
fn count_op(b: &[u8], op: &str) -> usize {
    let mut pat = vec![0x12u8, op.len() as u8];
    pat.extend_from_slice(op.as_bytes());
    memchr::memmem::find_iter(b, &pat).count()
}

pub(crate) fn scan(name: &str, b: &[u8], out: &mut Out) {
    let all: Vec<&str> = PY_OPS
        .iter()
        .chain(FILE_OPS)
        .chain(URL_OPS)
        .copied()
        .collect();
    let mut walked = Vec::new();
    let mut budget = 2_000_000;
    walk_ops(b, 0, &mut budget, &all, &mut walked);
    let count = |op: &str| count_op(b, op).max(walked.iter().filter(|w| **w == op).count());
    let writes_file = memchr::memmem::find(b, b"file://").is_some();
    let groups: [(&[&str], &rules::Rule, &str); 3] = [
        (
            PY_OPS,
            &rules::TF_PY_OP,
            "it runs Python code from the process that loads the model",
        ),
        (
            FILE_OPS,
            &rules::TF_FILE_OP,
            "it touches the file system when run",
        ),
        (
            if writes_file { URL_OPS } else { &[] },
            &rules::TF_FILE_OP,
            "and the graph names a file:// URL: it writes to that file when run",
        ),
    ];
    let mut paths = Vec::new();
    const_paths(b, &mut paths);
    paths.sort();
    paths.dedup();
    for (op, path) in paths.iter().take(16) {
        let shown =
            rampart_core::redact::sanitize_for_display(&rampart_core::redact::truncate(path, 200));
        out.add(
            rules::TF_FILE_OP
                .finding(
                    name,
                    format!("graph runs {op} on the constant path {shown:?}, outside the model directory"),
                )
                .with_meta("op", op.as_str()),
        );
    }
    for (ops, rule, why) in groups {
        for op in ops {
            let n = count(op);
            if n > 0 {
                out.add(
                    rule.finding(name, format!("graph uses {op} ({n}x): {why}"))
                        .with_meta("op", *op),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures::{saved_model, saved_model_const_path, saved_model_graph};
    use crate::{scan_bytes, ScanOptions};
    use rampart_core::Severity;

    fn high(name: &str, b: &[u8]) -> bool {
        let rep = scan_bytes(name, b, &ScanOptions::default());
        rep.findings
            .iter()
            .any(|f| f.rule_id == "RAMP-TF-001" && f.severity >= Severity::High)
    }

    #[test]
    fn file_reading_ops_of_the_registry() {
        for op in [
            "TextLineReader",
            "TextLineReaderV2",
            "TFRecordReader",
            "TFRecordReaderV2",
            "FixedLengthRecordReader",
            "FixedLengthRecordReaderV2",
            "LMDBReader",
            "MatchingFilesDataset",
            "ExperimentalMatchingFilesDataset",
        ] {
            assert!(high("saved_model.pb", &saved_model(&["Const", op])), "{op}");
        }
        // A reader that reads no file.
        assert!(!high(
            "saved_model.pb",
            &saved_model(&["Const", "IdentityReaderV2"])
        ));
        for op in [
            "SnapshotChunkDataset",
            "SnapshotDatasetReader",
            "ListSnapshotChunksDataset",
        ] {
            assert!(
                high("saved_model.pb", &saved_model_const_path(op, "/etc/passwd")),
                "{op}"
            );
            assert!(
                !high("saved_model.pb", &saved_model_const_path(op, "chunks/0")),
                "{op}"
            );
        }
        let save = saved_model_graph(&[
            ("ds", "RangeDataset", &[], None),
            ("dir", "Const", &[], Some("/home/u/.ssh")),
            ("addr", "Const", &[], Some("localhost:5050")),
            ("s", "DistributedSave", &["ds", "dir", "addr"], None),
        ]);
        assert!(high("saved_model.pb", &save));
        for (op, attr) in [
            ("FixedUnigramCandidateSampler", "vocab_file"),
            ("Skipgram", "filename"),
        ] {
            let g = saved_model_graph(&[
                ("t", "Const", &[], Some("x")),
                ("s", op, &["t"], Some(&format!("{attr}=/etc/passwd"))),
            ]);
            assert!(high("saved_model.pb", &g), "{op}");
            let g = saved_model_graph(&[("s", op, &[], Some(&format!("{attr}=vocab.txt")))]);
            assert!(!high("saved_model.pb", &g), "{op}");
        }
        // Debug dumps through a Copy's debug_ops_spec.
        let g = saved_model_graph(&[(
            "c",
            "Copy",
            &["x"],
            Some("debug_ops_spec=DebugIdentity;file:///tmp/dump;0"),
        )]);
        assert!(high("saved_model.pb", &g));
    }
}

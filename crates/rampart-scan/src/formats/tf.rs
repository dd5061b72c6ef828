//! TensorFlow SavedModel (`saved_model.pb`) and frozen graphs: a byte-level
//! scan for NodeDef `op` fields naming file-system or Python-calling ops.
//! The graph runs these ops when the model is loaded and served.

use crate::engine::Out;
use crate::rules;
use std::collections::{HashMap, HashSet};

/// Ops that read or write files.
pub const FILE_OPS: &[&str] = &[
    "ReadFile",
    "WholeFileReader",
    "WholeFileReaderV2",
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
];

/// Ops that read or write the file an attribute names (`file_pattern`,
/// `descriptor_source` unless `local://`).
pub const PATH_ATTR_OPS: &[(&str, &str)] = &[
    ("RecordInput", "file_pattern"),
    ("DecodeProtoV2", "descriptor_source"),
    ("EncodeProto", "descriptor_source"),
];

/// A NodeDef's name, op, inputs and, for `Const`, its string values.
struct Node<'a> {
    name: &'a [u8],
    op: &'a [u8],
    inputs: Vec<&'a [u8]>,
    strings: Vec<&'a [u8]>,
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
                    for (k, v) in fields(t).flatten() {
                        if let (8, Value::Bytes(sv)) = (k, v) {
                            n.strings.push(sv);
                        }
                    }
                }
            }
        }
    }
    Some(n)
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
) {
    let mut stack: Vec<(&[u8], usize)> = vec![(source(start), 0)];
    let mut seen = HashSet::new();
    while let Some((name, depth)) = stack.pop() {
        if depth > 8 || seen.len() >= 256 || !seen.insert(name) {
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
            paths.extend(outside(v));
        }
        if src.op == b"StringJoin" {
            let sep = src
                .attr_strings
                .iter()
                .find(|(k, _)| *k == b"separator")
                .map_or(&b""[..], |(_, v)| v);
            let parts: Option<Vec<&[u8]>> = data_inputs(src)
                .map(|i| {
                    by_name
                        .get(source(i))
                        .and_then(|c| match c.strings.as_slice() {
                            [one] if c.op == b"Const" => Some(*one),
                            _ => None,
                        })
                })
                .collect();
            if let Some(parts) = parts {
                paths.extend(outside(&parts.join(sep)));
            }
        }
        // `DecodeBase64` of a constant: TF's web-safe alphabet, padding
        // optional.
        if src.op == b"DecodeBase64" {
            use base64::Engine;
            let consts = data_inputs(src)
                .filter_map(|i| by_name.get(source(i)))
                .filter(|c| c.op == b"Const")
                .flat_map(|c| c.strings.iter());
            for v in consts {
                let trimmed: Vec<u8> = v.iter().copied().filter(|&c| c != b'=').collect();
                if let Ok(d) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed) {
                    paths.extend(outside(&d));
                }
            }
        }
        // Only a plain placeholder is fed by the caller; one with a
        // default runs with the graph's value.
        if src.op != b"Placeholder" {
            stack.extend(data_inputs(src).map(|i| (source(i), depth + 1)));
        }
    }
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
                trace(&by_name, i, &mut paths, &mut free);
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
                    trace(&by_name, i, &mut paths, &mut free);
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

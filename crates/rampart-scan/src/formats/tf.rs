//! TensorFlow SavedModel (`saved_model.pb`) and frozen graphs: a byte-level
//! scan for NodeDef `op` fields naming file-system or Python-calling ops.
//! The graph runs these ops when the model is loaded and served.

use crate::engine::Out;
use crate::rules;

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
];

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

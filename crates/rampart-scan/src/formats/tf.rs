//! TensorFlow SavedModel (`saved_model.pb`) and frozen graphs: a byte-level
//! scan for NodeDef `op` fields naming file-system or Python-calling ops.
//! The graph runs these ops when the model is loaded and served.

use crate::engine::Out;
use crate::rules;

/// Ops that read or write files.
pub const FILE_OPS: &[&str] = &[
    "ReadFile",
    "WriteFile",
    "MatchingFiles",
    "DeleteFile",
    "FileSystemSetConfiguration",
    "ImmutableConst",
];
/// Ops that call into the Python interpreter.
pub const PY_OPS: &[&str] = &["PyFunc", "PyFuncStateless", "EagerPyFunc"];

/// Occurrences of `op` as a length-delimited field value (NodeDef.op is
/// field 2: tag 0x12, then the length, then the name).
fn count_op(b: &[u8], op: &str) -> usize {
    let mut pat = vec![0x12u8, op.len() as u8];
    pat.extend_from_slice(op.as_bytes());
    memchr::memmem::find_iter(b, &pat).count()
}

pub(crate) fn scan(name: &str, b: &[u8], out: &mut Out) {
    for op in PY_OPS {
        let n = count_op(b, op);
        if n > 0 {
            out.add(rules::TF_PY_OP.finding(name, format!("graph uses {op} ({n}x): it runs Python code from the process that loads the model")).with_meta("op", *op));
        }
    }
    for op in FILE_OPS {
        let n = count_op(b, op);
        if n > 0 {
            out.add(
                rules::TF_FILE_OP
                    .finding(
                        name,
                        format!("graph uses {op} ({n}x): it touches the file system when run"),
                    )
                    .with_meta("op", *op),
            );
        }
    }
}

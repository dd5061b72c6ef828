//! The scanner's rule catalogue: stable ids, default severities and the
//! framework references each rule carries.
//!
//! Ids never change meaning; new checks get new ids. `docs/scan.md` lists
//! them for users.

use rampart_core::{Finding, Framework, Location, Severity};

/// One rule: id, detector name, default severity, title.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub detector: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Which framework mapping applies.
    pub kind: RefKind,
}

/// Families of framework mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// Code execution on load (pickle gadgets, Lambda layers, PyFunc...).
    CodeExec,
    /// Tampered or malformed artifact (integrity, zip tricks).
    Tamper,
    /// Archive bombs and resource exhaustion.
    Bomb,
    /// The scanner could not read the file.
    Unscanned,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $det:literal, $sev:ident, $kind:ident, $title:literal;)*) => {
        $(pub const $name: Rule = Rule { id: $id, detector: $det, severity: Severity::$sev, title: $title, kind: RefKind::$kind };)*
        /// Every rule, for documentation and tests.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    PKL_DANGEROUS = "RAMP-PKL-001", "scan.pickle", Critical, CodeExec, "pickle imports a dangerous global";
    PKL_UNKNOWN = "RAMP-PKL-002", "scan.pickle", High, CodeExec, "pickle imports a global outside the allowlist";
    PKL_PARSE = "RAMP-PKL-003", "scan.pickle", Medium, Unscanned, "pickle could not be fully parsed";
    PKL_EXT = "RAMP-PKL-004", "scan.pickle", High, CodeExec, "pickle imports through the copyreg extension registry (EXT opcode)";
    PKL_DYNAMIC = "RAMP-PKL-005", "scan.pickle", Critical, CodeExec, "pickle computes an import (STACK_GLOBAL with non-constant operands)";
    PKL_BUILD_GLOBAL = "RAMP-PKL-006", "scan.pickle", High, CodeExec, "pickle sets attributes on an imported module, class or function";
    PKL_LIMIT = "RAMP-PKL-008", "scan.pickle", High, Unscanned, "pickle reaches the scanner's bounds (stack, memo, imports, line length, nesting): what follows was not read, and a loader reads it";
    PKL_OWN_CODE = "RAMP-PKL-007", "scan.pickle", High, CodeExec, "pickle imports a module whose Python source the archive itself carries (TorchScript, torch.package)";
    PKL_COMPUTED_CALL = "RAMP-PKL-009", "scan.pickle", Critical, CodeExec, "pickle calls a value it computed (what an earlier call returned) instead of an imported global: a chain of allowed globals reaching a callable no import names";
    PKL_FRAME = "RAMP-PKL-010", "scan.pickle", Critical, CodeExec, "pickle opcode or operand runs past the end of its FRAME: CPython's C unpickler drops the rest of the frame and reads on from the stream, so opcodes a sequential reader takes for data run (picklers never write this)";
    EXT_MISMATCH = "RAMP-EXT-001", "scan.sniff", High, Tamper, "content does not match the file extension";
    ZIP_NAME_MISMATCH = "RAMP-ZIP-001", "scan.zip", Medium, Tamper, "zip local and central file names differ";
    ZIP_CRC = "RAMP-ZIP-002", "scan.zip", Medium, Tamper, "zip member CRC does not match its content";
    ZIP_FLAGS = "RAMP-ZIP-003", "scan.zip", Medium, Tamper, "zip member marked encrypted but stored in clear (loader evasion)";
    ZIP_ENCRYPTED = "RAMP-ZIP-004", "scan.zip", Medium, Unscanned, "encrypted zip member could not be scanned";
    ZIP_TRAVERSAL = "RAMP-ZIP-005", "scan.zip", High, Tamper, "archive member path escapes the extraction directory";
    ZIP_STRUCTURE = "RAMP-ZIP-006", "scan.zip", Medium, Tamper, "irregular zip structure (prepended data, missing or inconsistent directory)";
    ZIP_OVERLAP = "RAMP-ZIP-007", "scan.zip", High, Bomb, "zip members overlap (zip-bomb construction)";
    ZIP_METHOD = "RAMP-ZIP-008", "scan.zip", Medium, Unscanned, "zip member uses an unsupported compression method";
    ZIP_DESYNC = "RAMP-ZIP-009", "scan.zip", High, Tamper, "zip readers disagree on where the central directory is (two member lists)";
    ARC_BOMB = "RAMP-ARC-001", "scan.archive", High, Bomb, "archive exceeds decompression bounds (possible bomb)";
    ARC_DEPTH = "RAMP-ARC-002", "scan.archive", High, Bomb, "archives nested deeper than the limit";
    ARC_UNSUPPORTED = "RAMP-ARC-003", "scan.archive", Medium, Unscanned, "archive format not supported: content carved for pickles only";
    ARC_DESYNC = "RAMP-ARC-005", "scan.archive", High, Tamper, "tar readers disagree on where members start (a link, device, directory or FIFO header with data)";
    ARC_CORRUPT = "RAMP-ARC-004", "scan.archive", Medium, Unscanned, "archive or compressed stream is corrupt";
    ARC_UNDECODED = "RAMP-ARC-006", "scan.archive", High, Unscanned, "compressed stream uses an encoding the scanner cannot decode (xz BCJ or delta filters, SHA-256 check) that Python's loaders decode: its content was not scanned";
    NPY_OBJECT = "RAMP-NPY-001", "scan.numpy", Medium, CodeExec, "NumPy object array: loading it requires allow_pickle";
    NPY_HEADER = "RAMP-NPY-002", "scan.numpy", Medium, Unscanned, "malformed NumPy header";
    NPY_TREE = "RAMP-NPY-003", "scan.numpy", High, Tamper, "scikit-learn tree (decision tree, gradient-boosting predictor or neighbors tree) indexes outside its arrays (out-of-bounds read or endless loop at predict or query)";
    NPY_TREE_UNCHECKED = "RAMP-NPY-004", "scan.numpy", Medium, Unscanned, "model state with indices (scikit-learn tree, pandas categorical, masked or interval array) in a pickle could not be checked";
    NPY_CATEGORICAL = "RAMP-NPY-006", "scan.numpy", High, Tamper, "pandas Categorical whose codes point outside its categories (out-of-bounds read when its values are read)";
    NPY_MASK = "RAMP-NPY-007", "scan.numpy", High, Tamper, "pandas masked or interval array whose paired arrays (values and mask, left and right bounds) differ in shape (out-of-bounds read in groupby and other kernels)";
    NPY_SPLINE = "RAMP-NPY-005", "scan.numpy", High, Tamper, "scipy B-spline whose knots, coefficients and degree disagree (out-of-bounds read at evaluation)";
    NPY_STATE = "RAMP-NPY-008", "scan.numpy", High, Tamper, "library object whose pickled state breaks an invariant the library trusts unchecked (numpy dtype flags or field offsets, a random generator's position): memory corruption when it is loaded or first used";
    SAFE_HEADER = "RAMP-SAFE-001", "scan.safetensors", High, Tamper, "safetensors header is malformed or its declared length is wrong";
    SAFE_OFFSETS = "RAMP-SAFE-002", "scan.safetensors", High, Tamper, "safetensors tensor offsets overlap, leave holes or exceed the data";
    SAFE_SHAPE = "RAMP-SAFE-003", "scan.safetensors", High, Tamper, "safetensors dtype and shape do not match the byte size";
    GGUF_HEADER = "RAMP-GGUF-001", "scan.gguf", High, Tamper, "GGUF header is malformed";
    GGUF_COUNTS = "RAMP-GGUF-002", "scan.gguf", High, Bomb, "GGUF declares oversized counts or lengths";
    GGUF_TEMPLATE = "RAMP-GGUF-003", "scan.gguf", Critical, CodeExec, "GGUF chat template reaches for Python attributes or globals (template injection)";
    GGUF_TEMPLATE_SUSPECT = "RAMP-GGUF-004", "scan.gguf", Medium, CodeExec, "GGUF chat template uses unusual Jinja constructs";
    KERAS_LAMBDA = "RAMP-KERAS-001", "scan.keras", High, CodeExec, "Keras model contains a Lambda layer (serialised Python code)";
    KERAS_MODULE = "RAMP-KERAS-002", "scan.keras", High, CodeExec, "Keras config references an unexpected module or class";
    KERAS_UNREAD = "RAMP-KERAS-004", "scan.keras", High, Unscanned, "file holds more embedded JSON objects than the scanner reads for Keras configs (the rest was not read)";
    KERAS_CONFIG = "RAMP-KERAS-003", "scan.keras", Medium, Unscanned, "Keras model config could not be parsed";
    KERAS_EXTERNAL = "RAMP-KERAS-005", "scan.keras", High, CodeExec, "Keras layer reads a file, a SavedModel or a pickle from outside the archive on load (lookup or keras-hub tokenizer vocabulary path, TFSMLayer, TorchModuleWrapper)";
    H5_EXTERNAL = "RAMP-H5-001", "scan.hdf5", High, Tamper, "HDF5 file makes its reader open another file (a dataset stored in an external file, an external link, a virtual dataset): h5py and Keras read that file's bytes into the weights on load";
    TF_FILE_OP = "RAMP-TF-001", "scan.tensorflow", High, CodeExec, "TensorFlow graph uses file-system operations";
    TF_PY_OP = "RAMP-TF-002", "scan.tensorflow", Critical, CodeExec, "TensorFlow graph calls into Python (PyFunc)";
    ONNX_EXTERNAL = "RAMP-ONNX-001", "scan.onnx", High, Tamper, "ONNX external data path escapes the model directory";
    ONNX_DOMAIN = "RAMP-ONNX-002", "scan.onnx", Medium, CodeExec, "ONNX model uses a custom operator domain (native code needed)";
    MLFLOW_CODE = "RAMP-MLFLOW-001", "scan.mlflow", High, CodeExec, "MLflow model runs Python of its own on load (loader_module, model code or bundled code)";
    TEMPLATE_INJECTION = "RAMP-HF-002", "scan.transformers", Critical, CodeExec, "tokenizer chat template (tokenizer_config.json, .jinja) reaches for Python attributes or globals (template injection)";
    TEMPLATE_SUSPECT = "RAMP-HF-003", "scan.transformers", Medium, CodeExec, "tokenizer chat template uses unusual Jinja constructs";
    RWKV_VOCAB_EVAL = "RAMP-TOK-001", "scan.tokenizer", Critical, CodeExec, "RWKV vocabulary line whose token is a Python expression, not a string or bytes literal: RWKV tokenizers eval() every line when they load";
    HF_TOKENIZER_PATH = "RAMP-HF-004", "scan.transformers", High, Tamper, "tokenizer config names a vocabulary, merges or model file outside the model's directory (an absolute path, `~` or `..`): transformers opens that file on load, without trust_remote_code";
    HF_REMOTE_CODE = "RAMP-HF-001", "scan.transformers", High, CodeExec, "transformers config maps a class to the model's own Python (auto_map, custom_pipelines: imported under trust_remote_code)";
    PY_DANGEROUS = "RAMP-PY-001", "scan.python", High, CodeExec, "Python that a model runs on load starts processes, opens connections, loads native code or evaluates strings";
    SKOPS_DANGEROUS = "RAMP-SKOPS-001", "scan.skops", Critical, CodeExec, "skops schema imports or calls a dangerous name, or hides the one it calls (audit bypass)";
    SKOPS_UNKNOWN = "RAMP-SKOPS-002", "scan.skops", High, CodeExec, "skops schema imports a name outside the allowlist";
    SKOPS_SCHEMA = "RAMP-SKOPS-003", "scan.skops", High, Unscanned, "skops schema could not be parsed";
    ONNX_PARSE = "RAMP-ONNX-003", "scan.onnx", Medium, Unscanned, "ONNX model could not be fully parsed";
    FILE_UNREADABLE = "RAMP-SCAN-001", "scan", Medium, Unscanned, "file could not be read";
    JSON_DEPTH = "RAMP-SCAN-003", "scan", High, Unscanned, "JSON nested deeper than the scanner reads: the deepest parts were not checked";
    FILE_TOO_LARGE = "RAMP-SCAN-002", "scan", Low, Unscanned, "file only partly scanned (size limit)";
    LINK_ESCAPE = "RAMP-SCAN-004", "scan", High, Tamper, "symlink inside a scanned directory points outside it: a loader that opens the model directory's files (Keras assets, ONNX external data, tokenizer files) reads the target";
    IGNORED_ARTIFACT = "RAMP-SCAN-005", "scan", High, Unscanned, "a model artifact in a scanned directory is hidden by an ignore file inside that directory (.gitignore, .ignore, .rampartignore): it was not scanned, and a loader reads it";
    HYDRA_TARGET = "RAMP-CFG-001", "scan.config", Medium, CodeExec, "model config names a callable (`_target_`) that Hydra's instantiate imports and calls on load";
    SECRET = "RAMP-SEC-900", "scan.secrets", High, Unscanned, "secret in file (built-in rules)";
}

impl Rule {
    /// A finding for this rule at `path` (logical path, `a.zip!member`).
    pub fn finding(&self, path: &str, message: impl Into<String>) -> Finding {
        self.finding_sev(self.severity, path, message)
    }

    pub fn finding_sev(&self, sev: Severity, path: &str, message: impl Into<String>) -> Finding {
        let f = Finding::new(self.id, self.detector, sev, message)
            .with_location(Location::path(path))
            .with_category(self.title);
        with_refs(f, self.kind)
    }
}

/// Attach the framework references of a rule family.
pub fn with_refs(f: Finding, kind: RefKind) -> Finding {
    match kind {
        RefKind::CodeExec => f.with_frameworks([
            (Framework::OwaspLlm, "LLM03"),
            (Framework::MitreAtlas, "AML.T0010.003"),
            (Framework::MitreAtlas, "AML.T0011.000"),
            (Framework::MitreAtlas, "AML.T0018.002"),
            (Framework::GoogleSaif, "MST"),
            (Framework::NistAiRmf, "MANAGE 3.2"),
        ]),
        RefKind::Tamper => f.with_frameworks([
            (Framework::OwaspLlm, "LLM03"),
            (Framework::OwaspLlm, "LLM04"),
            (Framework::MitreAtlas, "AML.T0010.003"),
            (Framework::GoogleSaif, "MST"),
            (Framework::GoogleSaif, "MDT"),
            (Framework::NistAiRmf, "MAP 4.1"),
        ]),
        RefKind::Bomb => f.with_frameworks([
            (Framework::OwaspLlm, "LLM03"),
            (Framework::MitreAtlas, "AML.T0010.003"),
            (Framework::GoogleSaif, "MST"),
            (Framework::NistAiRmf, "MANAGE 3.2"),
        ]),
        RefKind::Unscanned => f.with_frameworks([
            (Framework::OwaspLlm, "LLM03"),
            (Framework::NistAiRmf, "MAP 4.1"),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::frameworks::is_known;

    #[test]
    fn ids_unique_and_refs_known() {
        let mut ids: Vec<_> = ALL.iter().map(|r| r.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for r in ALL {
            let f = r.finding("x", "m");
            assert!(!f.frameworks.is_empty());
            for fr in &f.frameworks {
                assert!(is_known(fr.framework, &fr.id), "{fr}");
            }
        }
    }
}

//! Recognising AI artifacts by their bytes, not their names.
//!
//! The inventory only needs to know *what* a file is (a pickle, a GGUF, a
//! Parquet table); deep analysis of a model artifact belongs to
//! `rampart-scan`. Names are used only where the content cannot tell (a
//! SavedModel's `saved_model.pb`, an ONNX protobuf) and are combined with a
//! content check wherever one exists, so a renamed file is still found and a
//! text file called `model.bin` is not mistaken for weights.

/// What a file's leading bytes (and, for a few formats, its name) say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Python pickle (protocol 2+), including joblib dumps.
    Pickle,
    /// A PyTorch zip checkpoint (a zip holding `data.pkl`).
    PytorchZip,
    Safetensors,
    Gguf,
    Onnx,
    /// Keras v3 `.keras` zip archive.
    KerasZip,
    /// HDF5 (Keras `.h5`).
    Hdf5,
    /// TensorFlow SavedModel protobuf (`saved_model.pb`).
    SavedModel,
    /// NumPy `.npy` array.
    Numpy,
    Parquet,
    /// Arrow IPC file or stream (Feather v2).
    Arrow,
    /// Anything else; text-based kinds are recognised by the classifiers.
    Other,
}

impl Sniffed {
    pub fn as_str(self) -> &'static str {
        match self {
            Sniffed::Pickle => "pickle",
            Sniffed::PytorchZip => "pytorch",
            Sniffed::Safetensors => "safetensors",
            Sniffed::Gguf => "gguf",
            Sniffed::Onnx => "onnx",
            Sniffed::KerasZip => "keras",
            Sniffed::Hdf5 => "hdf5",
            Sniffed::SavedModel => "tf-savedmodel",
            Sniffed::Numpy => "numpy",
            Sniffed::Parquet => "parquet",
            Sniffed::Arrow => "arrow",
            Sniffed::Other => "other",
        }
    }

    /// True for formats that hold model weights or graphs.
    pub fn is_model(self) -> bool {
        matches!(
            self,
            Sniffed::Pickle
                | Sniffed::PytorchZip
                | Sniffed::Safetensors
                | Sniffed::Gguf
                | Sniffed::Onnx
                | Sniffed::KerasZip
                | Sniffed::Hdf5
                | Sniffed::SavedModel
        )
    }

    /// True for formats whose loading can execute code (pickle-based).
    pub fn executes_on_load(self) -> bool {
        matches!(self, Sniffed::Pickle | Sniffed::PytorchZip)
    }

    pub fn is_dataset(self) -> bool {
        matches!(self, Sniffed::Parquet | Sniffed::Arrow)
    }
}

/// Identify a file from its first bytes (`head`, up to a few KiB is plenty)
/// and its lower-cased file name. `size` is the full file size.
pub fn sniff(head: &[u8], file_name: &str, size: u64) -> Sniffed {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if head.starts_with(b"GGUF") {
        return Sniffed::Gguf;
    }
    if head.starts_with(b"PAR1") {
        return Sniffed::Parquet;
    }
    if head.starts_with(b"ARROW1") {
        return Sniffed::Arrow;
    }
    if head.starts_with(b"\x93NUMPY") {
        return Sniffed::Numpy;
    }
    if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Sniffed::Hdf5;
    }
    if is_safetensors(head, size) {
        return Sniffed::Safetensors;
    }
    if head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1]) {
        return Sniffed::Pickle;
    }
    if head.starts_with(b"PK\x03\x04") {
        // Zip: look at the local-file names in what we have read. PyTorch
        // writes `<archive>/data.pkl`; Keras v3 writes `config.json` and
        // `model.weights.h5`.
        if memchr::memmem::find(head, b"data.pkl").is_some()
            || memchr::memmem::find(head, b"/data/0").is_some()
        {
            return Sniffed::PytorchZip;
        }
        if ext == "keras"
            || (memchr::memmem::find(head, b"model.weights.h5").is_some()
                && memchr::memmem::find(head, b"metadata.json").is_some())
        {
            return Sniffed::KerasZip;
        }
        return Sniffed::Other;
    }
    if file_name == "saved_model.pb" {
        return Sniffed::SavedModel;
    }
    // Arrow IPC stream: continuation marker then a flatbuffer length.
    if (ext == "arrow" || ext == "arrows" || ext == "feather")
        && head.starts_with(&[0xff, 0xff, 0xff, 0xff])
    {
        return Sniffed::Arrow;
    }
    if ext == "onnx" && looks_like_onnx(head) {
        return Sniffed::Onnx;
    }
    if looks_like_onnx(head) && onnx_producer(head) {
        return Sniffed::Onnx;
    }
    Sniffed::Other
}

/// safetensors: 8-byte little-endian header length, then a JSON object.
fn is_safetensors(head: &[u8], size: u64) -> bool {
    if head.len() < 10 {
        return false;
    }
    let n = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
    (2..=100 * 1024 * 1024).contains(&n) && 8 + n <= size && head[8] == b'{'
}

/// ONNX ModelProto starts with field 1 (`ir_version`, varint) = tag 0x08.
fn looks_like_onnx(head: &[u8]) -> bool {
    head.len() > 4 && head[0] == 0x08 && head[1] > 0 && head[1] < 0x20 && head[2] == 0x12
}

fn onnx_producer(head: &[u8]) -> bool {
    let window = &head[..head.len().min(256)];
    [
        &b"pytorch"[..],
        b"tf2onnx",
        b"onnxmltools",
        b"skl2onnx",
        b"keras2onnx",
        b"onnx",
    ]
    .iter()
    .any(|p| memchr::memmem::find(window, p).is_some())
}

/// True when `head` looks like binary data (NUL bytes or invalid UTF-8 in
/// the sampled prefix): such files are never parsed as text.
pub fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if memchr::memchr(0, sample).is_some() {
        return true;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => false,
        // A multi-byte character cut at the end of the sample is fine.
        Err(e) => e.error_len().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_formats_by_content() {
        assert_eq!(sniff(b"GGUF\x03\x00\x00\x00", "x.bin", 100), Sniffed::Gguf);
        assert_eq!(
            sniff(b"\x80\x04\x95abc", "weights.txt", 100),
            Sniffed::Pickle
        );
        let mut st = 12u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{\"a\":\"b\"}   ");
        assert_eq!(sniff(&st, "renamed.dat", 20), Sniffed::Safetensors);
        assert_eq!(sniff(b"PAR1\x15\x04", "t.bin", 100), Sniffed::Parquet);
        assert_eq!(
            sniff(b"PK\x03\x04....archive/data.pkl", "m.zip", 100),
            Sniffed::PytorchZip
        );
        assert_eq!(sniff(b"hello world", "model.bin", 11), Sniffed::Other);
        assert!(looks_binary(b"ab\0cd"));
        assert!(!looks_binary("héllo".as_bytes()));
    }
}

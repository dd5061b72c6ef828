//! Format sniffing: what a file *is*, from its bytes, never from its name.
//!
//! The file extension is only used afterwards, to report a mismatch between
//! what the name claims and what the content is (a pickle named `.txt` or
//! `.safetensors` is an evasion technique).

use serde::Serialize;

/// How many leading bytes the sniffer wants.
pub const SNIFF_LEN: usize = 64 * 1024;

/// The artifact formats the scanner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    Pickle,
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Lzma,
    Zlib,
    /// LZ4 frames (joblib with `lz4` installed, `lz4.frame.open`).
    Lz4,
    /// Zstandard frames (pandas infers `.zst`; Python 3.14's
    /// `compression.zstd`).
    Zstd,
    /// joblib's pre-0.10 container: `ZF`, a hexadecimal length, zlib data.
    JoblibZfile,
    SevenZip,
    Rar,
    NumpyNpy,
    Safetensors,
    Gguf,
    Hdf5,
    Onnx,
    TfSavedModel,
    Notebook,
    Json,
    Text,
    Image,
    Unknown,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Pickle => "pickle",
            ArtifactKind::Zip => "zip",
            ArtifactKind::Tar => "tar",
            ArtifactKind::Gzip => "gzip",
            ArtifactKind::Bzip2 => "bzip2",
            ArtifactKind::Xz => "xz",
            ArtifactKind::Lzma => "lzma",
            ArtifactKind::Zlib => "zlib",
            ArtifactKind::Lz4 => "lz4",
            ArtifactKind::Zstd => "zstd",
            ArtifactKind::JoblibZfile => "joblib_zfile",
            ArtifactKind::SevenZip => "7z",
            ArtifactKind::Rar => "rar",
            ArtifactKind::NumpyNpy => "npy",
            ArtifactKind::Safetensors => "safetensors",
            ArtifactKind::Gguf => "gguf",
            ArtifactKind::Hdf5 => "hdf5",
            ArtifactKind::Onnx => "onnx",
            ArtifactKind::TfSavedModel => "tf_saved_model",
            ArtifactKind::Notebook => "notebook",
            ArtifactKind::Json => "json",
            ArtifactKind::Text => "text",
            ArtifactKind::Image => "image",
            ArtifactKind::Unknown => "unknown",
        }
    }

    /// Whether this is a model or container format (vs. text or data).
    pub fn is_model(self) -> bool {
        !matches!(
            self,
            ArtifactKind::Json | ArtifactKind::Text | ArtifactKind::Image | ArtifactKind::Unknown
        )
    }
}

/// Sniff a complete buffer (the contract's `sniff`).
pub fn sniff(bytes: &[u8]) -> ArtifactKind {
    sniff_head(bytes, bytes.len() as u64)
}

/// Sniff from the first bytes (`head`, ideally [`SNIFF_LEN`]) of something
/// `total` bytes long.
pub fn sniff_head(head: &[u8], total: u64) -> ArtifactKind {
    let h = head;
    let starts = |m: &[u8]| h.starts_with(m);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return ArtifactKind::Zip;
    }
    if starts(b"\x93NUMPY") {
        return ArtifactKind::NumpyNpy;
    }
    if starts(b"GGUF") {
        return ArtifactKind::Gguf;
    }
    if starts(b"\x89HDF\r\n\x1a\n") {
        return ArtifactKind::Hdf5;
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return ArtifactKind::SevenZip;
    }
    if starts(b"Rar!\x1a\x07") {
        return ArtifactKind::Rar;
    }
    if starts(b"\x1f\x8b") {
        return ArtifactKind::Gzip;
    }
    if starts(b"BZh") && h.len() > 3 && (b'1'..=b'9').contains(&h[3]) {
        return ArtifactKind::Bzip2;
    }
    if starts(b"\xfd7zXZ\x00") {
        return ArtifactKind::Xz;
    }
    if starts(b"\x04\x22\x4d\x18") {
        return ArtifactKind::Lz4;
    }
    if starts(b"\x28\xb5\x2f\xfd") {
        return ArtifactKind::Zstd;
    }
    if let Some(k) = after_skippable_frames(h) {
        return k;
    }
    if joblib_zfile_data(h).is_some() {
        return ArtifactKind::JoblibZfile;
    }
    if h.len() >= 262 && &h[257..262] == b"ustar" {
        return ArtifactKind::Tar;
    }
    if is_v7_tar(h) {
        return ArtifactKind::Tar;
    }
    if starts(b"\x89PNG") || starts(b"\xff\xd8\xff") || starts(b"GIF8") || starts(b"RIFF") {
        return ArtifactKind::Image;
    }
    if is_safetensors(h, total) {
        return ArtifactKind::Safetensors;
    }
    // HDF5 may sit after a user block of 512, 1024, 2048... bytes.
    for off in [512usize, 1024, 2048, 4096, 8192, 16384, 32768] {
        if h.len() >= off + 8 && &h[off..off + 8] == b"\x89HDF\r\n\x1a\n" {
            return ArtifactKind::Hdf5;
        }
    }
    if crate::pickle::looks_like_pickle(h, total) {
        return ArtifactKind::Pickle;
    }
    // LZMA-alone (joblib's `.lzma`, `lzma.open`) and zlib streams.
    if lzma_alone_header(h, true) {
        return ArtifactKind::Lzma;
    }
    if h.len() >= 2 && h[0] == 0x78 && matches!(h[1], 0x01 | 0x5e | 0x9c | 0xda) {
        return ArtifactKind::Zlib;
    }
    if let Some(k) = sniff_protobuf(h).or_else(|| sniff_protobuf_layout(h, total)) {
        return k;
    }
    // A zip whose first local header is not at offset 0 (prepended data):
    // the end-of-central-directory record is searched for by the zip reader.
    if total <= h.len() as u64
        && memchr::memmem::rfind(h, b"PK\x05\x06").is_some()
        && memchr::memmem::find(h, b"PK\x01\x02").is_some()
    {
        return ArtifactKind::Zip;
    }
    let text_like = looks_like_text(h);
    if text_like {
        let t = trim_bom(h);
        let first = t.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if first == Some(b'{') {
            let probe = &t[..t.len().min(4096)];
            if memchr::memmem::find(probe, b"\"cells\"").is_some()
                || memchr::memmem::find(probe, b"\"nbformat\"").is_some()
            {
                return ArtifactKind::Notebook;
            }
            return ArtifactKind::Json;
        }
        if first == Some(b'[') {
            return ArtifactKind::Json;
        }
        return ArtifactKind::Text;
    }
    ArtifactKind::Unknown
}

/// Whether `h` starts with an LZMA-alone header that liblzma's format
/// detection (Python's `lzma` with `FORMAT_AUTO`, which joblib and pandas
/// use) accepts: properties below 225 with lc + lp <= 4, a dictionary size
/// of 2^n or 2^n + 2^(n-1) (or all ones), and an unknown size or one below
/// 2^38.
///
/// `first`: the header opens a file, where the weak magic number must not
/// claim unrelated binaries: a dictionary below 4 KiB (which no encoder
/// writes) is accepted only behind joblib's own prefix `]\x00`. After
/// another stream, the header is read as liblzma reads it.
pub fn lzma_alone_header(h: &[u8], first: bool) -> bool {
    if h.len() < 13 {
        return false;
    }
    let p = h[0];
    if p >= 225 || (p % 9) + (p % 45) / 9 > 4 {
        return false;
    }
    let d = u32::from_le_bytes([h[1], h[2], h[3], h[4]]);
    let picky = d == u32::MAX || {
        let mut x = d.wrapping_sub(1);
        x |= x >> 2;
        x |= x >> 3;
        x |= x >> 4;
        x |= x >> 8;
        x |= x >> 16;
        x.wrapping_add(1) == d
    };
    let size = u64::from_le_bytes(h[5..13].try_into().unwrap_or([0; 8]));
    let sized = size == u64::MAX || size < 1 << 38;
    let plausible = !first || h.starts_with(b"]\x00") || (d >= 4096 && d != u32::MAX);
    // Any other dictionary liblzma takes (1 byte, UINT32_MAX...) opens a
    // stream that Python's `lzma` reads as well: taken when the head
    // decodes as one.
    picky && sized && (plausible || lzma_trial(h))
}

/// Whether the head decodes as an LZMA-alone stream: the range coder's
/// first byte is 0 (liblzma refuses anything else) and the decoder gives
/// 16 bytes or a whole stream without a data error (running out of head
/// is no error).
fn lzma_trial(h: &[u8]) -> bool {
    if h.get(13) != Some(&0) {
        return false;
    }
    struct Cap(Vec<u8>);
    impl std::io::Write for Cap {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let room = 4096 - self.0.len().min(4096);
            if room == 0 {
                return Err(std::io::Error::other("trial bound"));
            }
            let n = b.len().min(room);
            self.0.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Cap(Vec::new());
    let probe = &h[..h.len().min(16 * 1024)];
    let r = lzma_rs::lzma_decompress(&mut std::io::BufReader::new(probe), &mut out);
    match r {
        Ok(()) => !out.0.is_empty(),
        Err(lzma_rs::error::Error::IoError(_)) => out.0.len() >= 16,
        Err(_) => false,
    }
}

/// What follows zstd/LZ4 skippable frames (magic `0x184D2A50` to
/// `0x184D2A5F`, a 4-byte length, that many bytes) at the start: libzstd
/// and `lz4.frame` skip them, so a frame after them decides the format.
/// Frames that run past the head are taken for zstd's (pandas infers
/// `.zst`).
fn after_skippable_frames(h: &[u8]) -> Option<ArtifactKind> {
    let skippable = |b: &[u8]| b.len() >= 8 && b[0] & 0xf0 == 0x50 && b[1..4] == [0x2a, 0x4d, 0x18];
    if !skippable(h) {
        return None;
    }
    let mut at = 0usize;
    for _ in 0..64 {
        let Some(rest) = h.get(at..) else {
            return Some(ArtifactKind::Zstd);
        };
        if rest.len() < 4 {
            return Some(ArtifactKind::Zstd);
        }
        if rest.starts_with(b"\x28\xb5\x2f\xfd") {
            return Some(ArtifactKind::Zstd);
        }
        if rest.starts_with(b"\x04\x22\x4d\x18") {
            return Some(ArtifactKind::Lz4);
        }
        if !skippable(rest) {
            return None;
        }
        let len = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        at = at.saturating_add(8).saturating_add(len);
    }
    Some(ArtifactKind::Zstd)
}

/// Where the zlib data of a joblib `ZF` file starts: `ZF`, 19 bytes that
/// Python's `int(_, 16)` reads as a length, an optional space (joblib
/// 0.8.4 and older wrote a wider header), then a zlib header.
pub fn joblib_zfile_data(h: &[u8]) -> Option<usize> {
    if !h.starts_with(b"ZF") || h.len() < 23 {
        return None;
    }
    crate::pickle::py_int_radix(std::str::from_utf8(&h[2..21]).ok()?, 16)?;
    let at = if h[21] == b' ' { 22 } else { 21 };
    let (&cmf, &flg) = (h.get(at)?, h.get(at + 1)?);
    (cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0)
        .then_some(at)
}

/// A tar header without the `ustar` magic (7th Edition format), which
/// Python's `tarfile.open` accepts when the header checksum holds: the
/// octal field at 148 equals the byte sum of the header with that field
/// read as spaces.
fn is_v7_tar(h: &[u8]) -> bool {
    if h.len() < 512 || h[0] == 0 {
        return false;
    }
    let field = &h[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&c| c == b' ')
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.is_empty() || digits.iter().any(|&c| c > b'7') {
        return false;
    }
    let Some(want) = std::str::from_utf8(&digits)
        .ok()
        .and_then(|d| u32::from_str_radix(d, 8).ok())
    else {
        return false;
    };
    let sum: u32 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                b' ' as u32
            } else {
                c as u32
            }
        })
        .sum();
    // The name must be a path, not binary that happens to sum up.
    sum == want
        && h[..100]
            .iter()
            .take_while(|&&c| c != 0)
            .all(|c| c.is_ascii_graphic())
}

fn trim_bom(h: &[u8]) -> &[u8] {
    h.strip_prefix(b"\xef\xbb\xbf").unwrap_or(h)
}

/// Text: no NUL bytes and valid UTF-8 (allowing a cut at the end).
pub fn looks_like_text(h: &[u8]) -> bool {
    if h.is_empty() {
        return true;
    }
    if memchr::memchr(0, h).is_some() {
        return false;
    }
    match std::str::from_utf8(h) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 >= h.len(),
    }
}

/// safetensors: u64 little-endian header length, then a JSON object.
fn is_safetensors(h: &[u8], total: u64) -> bool {
    if h.len() < 10 {
        return false;
    }
    let n = u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8]));
    // A lying length is still safetensors (and a finding): the JSON start
    // `{"` or `{}` right after the length identifies the format.
    h[8] == b'{'
        && ((n >= 2 && n.saturating_add(8) <= total && n < 100 * 1024 * 1024)
            || (h[9] == b'"'
                && (memchr::memmem::find(h, b"\"dtype\"").is_some()
                    || memchr::memmem::find(h, b"\"__metadata__\"").is_some())))
}

/// ONNX ModelProto and TensorFlow SavedModel both start with field 1 as a
/// varint; tell them apart by the fields that follow and their vocabulary.
fn sniff_protobuf(h: &[u8]) -> Option<ArtifactKind> {
    if h.len() < 8 || h[0] != 0x08 {
        return None;
    }
    // field 1 varint value
    let mut i = 1;
    let mut v: u64 = 0;
    let mut shift = 0;
    while i < h.len() && i < 11 {
        v |= ((h[i] & 0x7f) as u64) << shift;
        shift += 7;
        i += 1;
        if h[i - 1] & 0x80 == 0 {
            break;
        }
    }
    if i >= h.len() || v > 64 {
        return None;
    }
    let next = h[i];
    let probe = &h[..h.len().min(SNIFF_LEN)];
    let has = |s: &[u8]| memchr::memmem::find(probe, s).is_some();
    // SavedModel: schema version 1, then field 2 (meta_graphs, bytes).
    if v == 1
        && next == 0x12
        && (has(b"tensorflow") || has(b"serve") || has(b"tf_version") || has(b"_output_shapes"))
    {
        return Some(ArtifactKind::TfSavedModel);
    }
    // ONNX ModelProto: ir_version then producer/domain/graph/opset fields.
    if (1..=20).contains(&v)
        && matches!(next, 0x12 | 0x1a | 0x22 | 0x28 | 0x32 | 0x3a | 0x42 | 0x72)
    {
        return Some(ArtifactKind::Onnx);
    }
    None
}

/// One top-level protobuf field: number, wire type, and the bytes of a
/// length-delimited value when the head holds all of them.
type PbField<'a> = (u32, u8, Option<&'a [u8]>);

/// The fields of a protobuf message, or `None` when it is not one. `cut`:
/// the buffer may end inside the last field (a head of a longer file).
/// Groups (wire types 3 and 4) are read whole, as protobuf's parsers read
/// an unknown field.
fn pb_layout(b: &[u8], cut: bool) -> Option<Vec<PbField<'_>>> {
    use crate::formats::protobuf::{field_at, varint, Value};
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < b.len() && out.len() <= 100_000 {
        let at = pos;
        match field_at(b, &mut pos) {
            Ok((n, v)) => out.push(match v {
                Value::Varint(_) => (n, 0, None),
                Value::Fixed64(_) => (n, 1, None),
                Value::Bytes(x) => (n, 2, Some(x)),
                Value::Group(_) => (n, 3, None),
                Value::Fixed32(_) => (n, 5, None),
            }),
            Err(e) if cut && e.truncated => {
                // A value longer than the head (a graph with its
                // weights): what the head holds of it is its value.
                let mut p = at;
                if let Some(key) = varint(b, &mut p) {
                    if key & 7 == 2 && key >> 3 != 0 && varint(b, &mut p).is_some() {
                        out.push(((key >> 3) as u32, 2, Some(&b[p..])));
                        return Some(out);
                    }
                }
                return (!out.is_empty()).then_some(out);
            }
            Err(_) => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `v` is spelled as an operator name (`Conv`, `com.ms.Foo` has
/// its domain apart): ASCII letters, digits and `_`, a letter first.
fn op_name(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v[0].is_ascii_alphabetic()
        && v.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Protobuf model files whose first field is not the version number: an
/// ONNX writer may emit the graph first (`onnx.load` takes fields in any
/// order), a SavedModel may leave out its schema version, and a frozen
/// TensorFlow GraphDef starts with its nodes. Field numbers a schema does
/// not define are skipped by protobuf's parsers (`onnx.load`, onnxruntime
/// and TensorFlow keep or drop them and load the model), so they may sit
/// anywhere: the message must parse to its end (or to the end of the head)
/// and hold the fields that make it a model, judged by their layout
/// (numbers and wire types of the schema) and one level of nesting.
fn sniff_protobuf_layout(h: &[u8], total: u64) -> Option<ArtifactKind> {
    let cut = (h.len() as u64) < total;
    // A JSON object or array, or text, cannot start a model: `{` opens a
    // group that text never closes, and the rest fail below.
    let top = pb_layout(h, cut)?;
    // Whether a length-delimited field runs to the end of the head (and
    // may go on past it).
    let partial = |v: &[u8]| cut && v.as_ptr_range().end == h.as_ptr_range().end;
    let within = |fs: &[PbField<'_>], allowed: &[(u32, u8)]| {
        fs.iter().all(|f| allowed.contains(&(f.0, f.1)))
    };
    // ModelProto: ir_version, producer name/version, domain, model_version,
    // doc_string, graph, opset_import, metadata_props, training_info,
    // functions.
    const MODEL: &[(u32, u8)] = &[
        (1, 0),
        (2, 2),
        (3, 2),
        (4, 2),
        (5, 0),
        (6, 2),
        (7, 2),
        (8, 2),
        (14, 2),
        (20, 2),
        (25, 2),
    ];
    // GraphProto: node, name, initializer, doc_string, input, output,
    // value_info, quantization_annotation, sparse_initializer.
    const GRAPH: &[(u32, u8)] = &[
        (1, 2),
        (2, 2),
        (5, 2),
        (10, 2),
        (11, 2),
        (12, 2),
        (13, 2),
        (14, 2),
        (15, 2),
    ];
    let graphs = || {
        top.iter()
            .filter(|f| f.0 == 7)
            .filter_map(|f| f.2)
            .filter_map(|g| Some((g, pb_layout(g, partial(g))?)))
    };
    if within(&top, MODEL) && graphs().any(|(_, gf)| within(&gf, GRAPH)) {
        return Some(ArtifactKind::Onnx);
    }
    // With fields the schema does not define (or defined fields with
    // another wire type, which parsers keep as unknown): a graph that
    // holds an ONNX node (a NodeProto with an op_type), or one that parses
    // next to the version and opset fields.
    let ir_version = top.iter().any(|f| f.0 == 1 && f.1 == 0);
    let opset = top.iter().any(|f| {
        f.0 == 8
            && f.1 == 2
            && f.2.and_then(|o| pb_layout(o, false)).is_some_and(|of| {
                of.iter()
                    .any(|x| (x.0 == 1 && x.1 == 2) || (x.0 == 2 && x.1 == 0))
            })
    });
    let onnx_node = |gf: &[PbField<'_>]| {
        gf.iter()
            .filter(|f| f.0 == 1)
            .filter_map(|f| f.2)
            .take(8)
            .any(|n| {
                pb_layout(n, partial(n))
                    .is_some_and(|nf| nf.iter().any(|x| x.0 == 4 && x.2.is_some_and(op_name)))
            })
    };
    if graphs().any(|(_, gf)| onnx_node(&gf) || ((ir_version || opset) && within(&gf, GRAPH))) {
        return Some(ArtifactKind::Onnx);
    }
    // GraphDef: node, versions, version, library; NodeDef: name, op, input,
    // device, attr, debug info, type. The first node tells, wherever it
    // sits among fields the schema does not define.
    const GRAPHDEF: &[(u32, u8)] = &[(1, 2), (2, 2), (3, 0), (4, 2)];
    const NODEDEF: &[(u32, u8)] = &[(1, 2), (2, 2), (3, 2), (4, 2), (5, 2), (6, 2), (7, 2)];
    let first_node = top.iter().find(|f| f.0 == 1);
    let strict = top[0].0 == 1 && within(&top, GRAPHDEF);
    // Unknown fields: only with the NodeDef's name as well as its op.
    if let Some(&(1, 2, Some(node))) = first_node {
        if let Some(nf) = pb_layout(node, false) {
            let op_ok = nf.iter().any(|f| {
                f.0 == 2
                    && f.2.is_some_and(|op| {
                        !op.is_empty()
                            && op[0].is_ascii_uppercase()
                            && op.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    })
            });
            let named = nf
                .iter()
                .any(|f| f.0 == 1 && f.2.is_some_and(|n| !n.is_empty()));
            if op_ok && within(&nf, NODEDEF) && (strict || named) {
                return Some(ArtifactKind::TfSavedModel);
            }
        }
    }
    // SavedModel (schema version 1, meta graphs 2), with or without its
    // version, unknown fields skipped.
    let meta_graph = top
        .iter()
        .any(|f| f.0 == 2 && f.1 == 2 && f.2.is_some_and(|m| pb_layout(m, partial(m)).is_some()));
    if meta_graph && top.iter().all(|f| f.0 != 1 || f.1 == 0) {
        let probe = &h[..h.len().min(SNIFF_LEN)];
        let has = |s: &[u8]| memchr::memmem::find(probe, s).is_some();
        if has(b"tensorflow") || has(b"serve") || has(b"tf_version") {
            return Some(ArtifactKind::TfSavedModel);
        }
    }
    None
}

/// The extension a file name claims, lowercased.
pub fn extension(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    let (_, ext) = base.rsplit_once('.')?;
    if ext.is_empty() || ext.len() > 12 {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Whether an extension claims a format that can never hold a pickle.
pub fn extension_claims_no_pickle(ext: &str) -> bool {
    matches!(
        ext,
        "safetensors"
            | "gguf"
            | "onnx"
            | "json"
            | "txt"
            | "md"
            | "csv"
            | "tsv"
            | "yaml"
            | "yml"
            | "toml"
            | "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "h5"
            | "hdf5"
            | "keras"
            | "tflite"
            | "pb"
            | "msgpack"
            | "model"
            | "vocab"
            | "html"
            | "xml"
            | "py"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lzma_alone_headers_as_liblzma_reads_them() {
        let h = |p: u8, d: u32, size: u64| {
            let mut v = vec![p];
            v.extend_from_slice(&d.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v
        };
        // joblib's stream, and sizes and dictionaries liblzma accepts.
        assert!(lzma_alone_header(&h(0x5d, 1 << 23, u64::MAX), true));
        assert!(lzma_alone_header(&h(0x5d, 3 << 12, 100), true));
        assert!(lzma_alone_header(&h(0x5e, 1 << 16, (1 << 38) - 1), true));
        assert!(lzma_alone_header(&h(0x5d, 256, u64::MAX), true));
        // A tiny dictionary only behind joblib's prefix in a file's head.
        assert!(!lzma_alone_header(&h(0x24, 256, u64::MAX), true));
        assert!(lzma_alone_header(&h(0x24, 256, u64::MAX), false));
        assert!(lzma_alone_header(&h(0x00, 0, 5), false));
        // What liblzma refuses.
        assert!(!lzma_alone_header(&h(225, 1 << 16, u64::MAX), false));
        assert!(!lzma_alone_header(&h(0x5d, 5000, u64::MAX), false));
        assert!(!lzma_alone_header(&h(0x5d, 1 << 16, 1 << 38), false));
        // lc = 4, lp = 1.
        assert!(!lzma_alone_header(&h(4 + 9, 1 << 16, u64::MAX), false));
        assert!(!lzma_alone_header(&h(0x5d, 1 << 16, u64::MAX)[..12], false));
    }

    #[test]
    fn joblib_zfile_headers() {
        let z = |len: &[u8], rest: &[u8]| [b"ZF".as_slice(), len, rest].concat();
        let zl = b"\x78\x9c\x00\x00";
        assert_eq!(joblib_zfile_data(&z(b"0x1a               ", zl)), Some(21));
        assert_eq!(joblib_zfile_data(&z(b"0x1a                ", zl)), Some(22));
        // Python's int(_, 16): no prefix, underscores, spaces both sides.
        assert_eq!(joblib_zfile_data(&z(b"  1_a  \t           ", zl)), Some(21));
        assert_eq!(joblib_zfile_data(&z(b"0x_1a              ", zl)), Some(21));
        assert_eq!(joblib_zfile_data(&z(b"0x1__a             ", zl)), None);
        assert_eq!(
            joblib_zfile_data(&z(b"S pool status: all ", b"online\n")),
            None
        );
        // The length holds, the data is no zlib stream.
        assert_eq!(joblib_zfile_data(&z(b"0x1a               ", b"abcd")), None);
        // Cut right after the optional space: no zlib header to read.
        assert_eq!(joblib_zfile_data(&z(b"0x1a               ", b" x")), None);
        assert_eq!(joblib_zfile_data(&z(b"0x1a               ", b" ")), None);
        assert_eq!(
            sniff(&z(b"0x1a               ", zl)),
            ArtifactKind::JoblibZfile
        );
        assert_eq!(sniff(b"\x04\x22\x4d\x18\x64\x40\xa7"), ArtifactKind::Lz4);
    }

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(sniff(b"PK\x03\x04rest"), ArtifactKind::Zip);
        assert_eq!(sniff(b"\x93NUMPY\x01\x00"), ArtifactKind::NumpyNpy);
        assert_eq!(sniff(b"GGUF\x03\x00\x00\x00"), ArtifactKind::Gguf);
        assert_eq!(sniff(b"\x80\x02K\x01."), ArtifactKind::Pickle);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), ArtifactKind::Image);
        assert_eq!(sniff(b"hello = 1\n"), ArtifactKind::Text);
        assert_eq!(
            sniff(b"{\"cells\": [], \"nbformat\": 4}"),
            ArtifactKind::Notebook
        );
        let mut st = 2u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{}");
        assert_eq!(sniff(&st), ArtifactKind::Safetensors);
    }

    #[test]
    fn protobuf_models_by_layout_and_text_is_not_one() {
        let mut graph_first = Vec::new();
        let mut g = Vec::new();
        crate::fixtures::pb_bytes(&mut g, 2, b"g");
        crate::fixtures::pb_bytes(&mut graph_first, 7, &g);
        graph_first.extend_from_slice(&[0x08, 8]);
        assert_eq!(sniff(&graph_first), ArtifactKind::Onnx);
        let mut node = Vec::new();
        crate::fixtures::pb_bytes(&mut node, 1, b"n");
        crate::fixtures::pb_bytes(&mut node, 2, b"Const");
        let mut frozen = Vec::new();
        crate::fixtures::pb_bytes(&mut frozen, 1, &node);
        assert_eq!(sniff(&frozen), ArtifactKind::TfSavedModel);
        for t in [
            "\nHello world, this is a note.\n",
            "\n\nTitle\n=====\n\nSome text that goes on for a while.\n",
            ":: a reStructuredText directive\n",
            "\x12 tab-separated\tcolumns\n",
            "(8 items)\n",
        ] {
            let k = sniff(t.as_bytes());
            assert!(matches!(k, ArtifactKind::Text), "{t:?}: {k:?}");
        }
    }

    #[test]
    fn protobuf_models_with_unknown_fields_and_groups() {
        let model = crate::fixtures::onnx("", Some("w.bin"));
        assert_eq!(sniff(&model), ArtifactKind::Onnx);
        let group = [0x9b, 0x06, 0x9c, 0x06];
        for unknown in [
            &[0x7a, 0x00][..],
            &group,
            &[0x10, 0x05],
            &[0x79, 1, 2, 3, 4, 5, 6, 7, 8],
        ] {
            let first = [unknown, &model].concat();
            assert_eq!(sniff(&first), ArtifactKind::Onnx, "{unknown:?} first");
            let after_ir = [&model[..2], unknown, &model[2..]].concat();
            assert_eq!(sniff(&after_ir), ArtifactKind::Onnx, "{unknown:?} after ir");
            let last = [&model[..], unknown].concat();
            assert_eq!(sniff(&last), ArtifactKind::Onnx, "{unknown:?} last");
            let mut sm = crate::fixtures::saved_model(&["Const"]);
            sm.splice(2..2, unknown.iter().copied());
            assert_eq!(
                sniff(&sm),
                ArtifactKind::TfSavedModel,
                "{unknown:?} SavedModel"
            );
        }
        // The head of a long model whose unknown field comes first.
        let mut big = vec![0x7a, 0x00];
        big.extend_from_slice(&model);
        let mut g = Vec::new();
        crate::fixtures::pb_bytes(&mut g, 5, &vec![0x41; 200_000]);
        crate::fixtures::pb_bytes(&mut big, 7, &g);
        assert_eq!(
            sniff_head(&big[..SNIFF_LEN], big.len() as u64),
            ArtifactKind::Onnx
        );
        // Not models: a group left open, JSON (`{` opens a group), text.
        assert_ne!(
            sniff(&[&[0x9b, 0x06][..], &model].concat()),
            ArtifactKind::Onnx
        );
        for t in [
            "{\"a\": 1}",
            "z\u{0}",
            "zz top\n",
            "::: note\n",
            "Readme: this is a model card for an ONNX model with 8 layers.\n",
        ] {
            let k = sniff(t.as_bytes());
            assert!(
                !matches!(k, ArtifactKind::Onnx | ArtifactKind::TfSavedModel),
                "{t:?}: {k:?}"
            );
        }
    }

    #[test]
    fn extensions() {
        assert_eq!(
            extension("a/b/model.SafeTensors").as_deref(),
            Some("safetensors")
        );
        assert_eq!(extension("x.zip!data.txt").as_deref(), Some("txt"));
        assert_eq!(extension("noext"), None);
    }
}

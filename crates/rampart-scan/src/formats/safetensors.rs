//! safetensors header integrity: the declared header length fits the file,
//! the JSON is an object of tensors, every dtype and shape matches its byte
//! range, and the ranges tile the data exactly (no overlap, no hole, no byte
//! outside). Only the header is read.

use crate::blob::{read_range, Blob};
use crate::engine::Out;
use crate::rules;

/// Largest header accepted (the reference implementation uses 100 MB).
const MAX_HEADER: u64 = 100 * 1024 * 1024;

/// Bits per element, as the reference implementation's `Dtype::bitsize`:
/// the microscaling types (`F4`, `F6_*`) pack below a byte.
fn dtype_bits(d: &str) -> Option<u64> {
    Some(match d {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E4M3" | "F8_E5M2" | "F8_E8M0" | "F8_E4M3FNUZ"
        | "F8_E5M2FNUZ" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        "C128" => 128,
        _ => return None,
    })
}

/// Check a safetensors blob; problems become findings.
pub(crate) fn scan(name: &str, blob: &dyn Blob, out: &mut Out) {
    let size = blob.size();
    let lenb = match read_range(blob, 0, 8) {
        Ok(b) if b.len() == 8 => b,
        Ok(_) => {
            return out.fail(
                &rules::SAFE_HEADER,
                name,
                "file shorter than the 8-byte header length",
            )
        }
        Err(e) => return out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    };
    let n = u64::from_le_bytes(lenb.try_into().unwrap_or([0; 8]));
    // A header that cannot be read whole is an unparseable file: an error
    // entry as well as a finding.
    if n > MAX_HEADER || n.saturating_add(8) > size {
        out.fail(
            &rules::SAFE_HEADER,
            name,
            format!(
                "declared header length {n} exceeds the file ({size} bytes) or the 100 MB limit"
            ),
        );
        return;
    }
    let hb = match read_range(blob, 8, n as usize) {
        Ok(b) => b,
        Err(e) => return out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    };
    let v: serde_json::Value = match serde_json::from_slice(&hb) {
        Ok(v) => v,
        Err(e) => {
            out.fail(
                &rules::SAFE_HEADER,
                name,
                format!("header is not valid JSON: {e}"),
            );
            return;
        }
    };
    let Some(obj) = v.as_object() else {
        out.fail(&rules::SAFE_HEADER, name, "header is not a JSON object");
        return;
    };
    let data_len = size - 8 - n;
    let mut ranges: Vec<(u64, u64, String)> = Vec::new();
    for (k, t) in obj {
        if k == "__metadata__" {
            let ok = t
                .as_object()
                .is_some_and(|m| m.values().all(|x| x.is_string()));
            if !ok {
                out.add(
                    rules::SAFE_HEADER.finding(name, "__metadata__ must map strings to strings"),
                );
            }
            // Frameworks keep their Hydra config here and instantiate it.
            if let Some(m) = t.as_object() {
                for x in m.values().filter_map(|x| x.as_str()) {
                    crate::formats::hydra::scan_text(
                        name,
                        x,
                        crate::formats::hydra::Syntax::Either,
                        out,
                    );
                }
            }
            continue;
        }
        let shown =
            rampart_core::redact::sanitize_for_display(&rampart_core::redact::truncate(k, 120));
        let dtype = t.get("dtype").and_then(|d| d.as_str());
        let shape: Option<Vec<u64>> = t
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|a| a.iter().map(|x| x.as_u64()).collect());
        let offs: Option<Vec<u64>> = t
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .and_then(|a| a.iter().map(|x| x.as_u64()).collect());
        let (Some(dtype), Some(shape), Some(offs)) = (dtype, shape, offs) else {
            out.add(rules::SAFE_HEADER.finding(
                name,
                format!("tensor {shown:?} lacks a valid dtype, shape or data_offsets"),
            ));
            continue;
        };
        if offs.len() != 2 || offs[0] > offs[1] {
            out.add(rules::SAFE_OFFSETS.finding(
                name,
                format!("tensor {shown:?} has invalid data_offsets {offs:?}"),
            ));
            continue;
        }
        let Some(bits) = dtype_bits(dtype) else {
            out.add(rules::SAFE_SHAPE.finding(
                name,
                format!(
                    "tensor {shown:?} has unknown dtype {:?}",
                    rampart_core::redact::truncate(dtype, 20)
                ),
            ));
            continue;
        };
        // The library computes elements x bits and refuses a tensor that
        // does not end on a byte boundary (`MisalignedSlice`).
        let nbits = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .and_then(|n| n.checked_mul(bits));
        if nbits.is_some_and(|b| b % 8 != 0) {
            out.add(rules::SAFE_SHAPE.finding(
                name,
                format!("tensor {shown:?}: {dtype} {shape:?} does not fill whole bytes (the loader refuses it)"),
            ));
        } else {
            let want = nbits.map(|b| b / 8);
            if want != Some(offs[1] - offs[0]) {
                out.add(rules::SAFE_SHAPE.finding(
                    name,
                    format!(
                        "tensor {shown:?}: {dtype} {shape:?} needs {} bytes, its range holds {}",
                        want.map(|w| w.to_string())
                            .unwrap_or_else(|| "an overflowing number of".into()),
                        offs[1] - offs[0]
                    ),
                ));
            }
        }
        ranges.push((offs[0], offs[1], shown));
    }
    ranges.sort();
    let mut cursor = 0u64;
    let mut reported = 0;
    for (b, e, k) in &ranges {
        if reported >= 8 {
            break;
        }
        if *b < cursor {
            out.add(rules::SAFE_OFFSETS.finding(
                name,
                format!("tensor {k:?} overlaps the previous tensor at byte {b}"),
            ));
            reported += 1;
        } else if *b > cursor {
            out.add(rules::SAFE_OFFSETS.finding(
                name,
                format!("hole of {} bytes before tensor {k:?}", b - cursor),
            ));
            reported += 1;
        }
        cursor = cursor.max(*e);
    }
    if cursor > data_len {
        // Truncated data: the loader would fail or read out of bounds.
        out.fail(
            &rules::SAFE_OFFSETS,
            name,
            format!(
                "tensors end at byte {cursor}, past the {data_len} data bytes (truncated file)"
            ),
        );
    } else if cursor < data_len {
        out.add(rules::SAFE_OFFSETS.finding(
            name,
            format!(
                "{} trailing data bytes are not covered by any tensor",
                data_len - cursor
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::{fixtures, scan_bytes, ScanOptions};

    fn findings(header: &str, data: usize) -> Vec<String> {
        let b = fixtures::safetensors(header, data);
        let rep = scan_bytes("m.safetensors", &b, &ScanOptions::default());
        rep.findings
            .iter()
            .map(|f| format!("{} {}", f.rule_id, f.message))
            .collect()
    }

    #[test]
    fn sub_byte_dtypes_are_sized_in_bits() {
        // What safetensors 0.8 writes and loads: F4 packs two values in a
        // byte, the F6 types four values in three bytes.
        for (dtype, shape, bytes) in [
            ("F4", "[4]", 2),
            ("F4", "[2, 3]", 3),
            ("F6_E2M3", "[4]", 3),
            ("F6_E3M2", "[8]", 6),
            ("F8_E8M0", "[5]", 5),
            ("F8_E4M3FNUZ", "[2]", 2),
            ("C64", "[1]", 8),
        ] {
            let h = format!(
                r#"{{"w":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[0,{bytes}]}}}}"#
            );
            let f = findings(&h, bytes);
            assert!(f.is_empty(), "{dtype} {shape}: {f:?}");
        }
        // A size that is not whole bytes, or a range that does not match.
        let f = findings(
            r#"{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#,
            2,
        );
        assert!(f.iter().any(|m| m.starts_with("RAMP-SAFE-003")), "{f:?}");
        let f = findings(
            r#"{"w":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[0,4]}}"#,
            4,
        );
        assert!(f.iter().any(|m| m.starts_with("RAMP-SAFE-003")), "{f:?}");
    }
}

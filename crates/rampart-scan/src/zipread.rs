//! A zip reader as tolerant as PyTorch's own.
//!
//! PyTorch (miniz) loads a checkpoint whose CRCs are wrong, whose flag bits
//! are odd (even "encrypted"), whose local and central file names disagree,
//! or that has bytes before its first entry. A scanner that is stricter than
//! the loader is a bypass, so this reader parses the central directory itself,
//! falls back to walking local headers when there is none, and reports every
//! irregularity as an anomaly instead of refusing the file. It only lists
//! entries: the bytes of a stored member are read where they lie.

use crate::blob::{read_range, Blob, BlobReader};
use std::io::Read;

/// Upper bounds against hostile directories.
const MAX_ENTRIES: usize = 1_000_000;
const MAX_CD_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ZipEntry {
    /// Name from the central directory (or the local header in fallback mode).
    pub name: String,
    /// Name in the local header, when it differs.
    pub local_name: Option<String>,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    pub compressed: u64,
    pub uncompressed: u64,
    pub local_offset: u64,
    /// Where the member's bytes start.
    pub data_offset: u64,
}

impl ZipEntry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/') && self.uncompressed == 0
    }
    pub fn encrypted(&self) -> bool {
        self.flags & 1 != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipAnomaly {
    /// Local and central directory names differ.
    NameMismatch { central: String, local: String },
    /// Bytes before the first entry or between the directory and its end record.
    PrependedData { bytes: u64 },
    /// No usable central directory: entries found by walking local headers.
    NoCentralDirectory,
    /// Two members' data overlap (a zip-bomb construction).
    Overlap { a: String, b: String },
    /// An entry points outside the file.
    OutOfBounds { name: String },
    /// More entries than the directory declares, or a truncated directory.
    Inconsistent { detail: String },
    /// The recorded directory offset read literally and corrected for
    /// prepended data lead to two different directories.
    Desync { literal: u64, corrected: u64 },
}

pub struct ZipListing {
    pub entries: Vec<ZipEntry>,
    pub anomalies: Vec<ZipAnomaly>,
}

fn u16le(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32le(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64le(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

/// A member name as Python's `zipfile` reads it: cut at the first NUL
/// (`ZipInfo.__init__`), so `schema.json\0x` is `schema.json` to skops,
/// Keras and NumPy. miniz (`torch.load`) keeps the whole name, but members
/// are chosen by content there, so the cut name loses nothing.
fn name_of(b: &[u8]) -> String {
    let cut = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..cut]).into_owned()
}

fn nul_in_name(raw: &[u8], anomalies: &mut Vec<ZipAnomaly>) {
    if raw.contains(&0) {
        anomalies.push(ZipAnomaly::Inconsistent {
            detail: format!(
                "member name {:?} holds a NUL byte: Python's zipfile cuts the name there",
                String::from_utf8_lossy(raw).replace('\0', "\\0")
            ),
        });
    }
}

/// How far back from the end the end-of-central-directory record is looked
/// for: past miniz's reach (about 69,600 bytes).
const EOCD_SEARCH: u64 = 128 * 1024;

/// List the entries of a zip, tolerating what PyTorch tolerates.
pub fn list(blob: &dyn Blob) -> Result<ZipListing, String> {
    let size = blob.size();
    let mut anomalies = Vec::new();
    // miniz (inside `torch.load`) looks for the end record in 4 KiB blocks
    // back to about 69.6 KB from the end, past the 65,557 bytes a comment
    // can hold: an end record behind 67 KB of padding was found by it and
    // not here (review round of session 22). The last record found counts.
    let tail_len = size.min(EOCD_SEARCH);
    let tail = read_range(blob, size - tail_len, tail_len as usize).map_err(|e| e.to_string())?;
    let eocd_rel = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"));
    let Some(rel) = eocd_rel else {
        anomalies.push(ZipAnomaly::NoCentralDirectory);
        let entries = walk_local_headers(blob)?;
        if entries.is_empty() {
            return Err("no zip end-of-central-directory record and no local file headers".into());
        }
        return Ok(finish(blob, entries, anomalies));
    };
    let eocd_pos = size - tail_len + rel as u64;
    let e = &tail[rel..];
    let mut n_entries = u16le(e, 10) as u64;
    let mut cd_size = u32le(e, 12) as u64;
    let mut cd_off = u32le(e, 16) as u64;
    let mut cd_end = eocd_pos;
    // CPython before the CVE-2025-8291 fix reads the zip64 end record
    // directly before the locator instead of where the locator points: a
    // second record there is a second directory to that reader.
    let mut direct64: Option<(u64, u64, u64)> = None;
    // Zip64: the locator sits just before the end record.
    // (PyTorch writes the zip64 records even when the values fit.)
    if eocd_pos >= 20 {
        let loc = read_range(blob, eocd_pos - 20, 20).map_err(|e| e.to_string())?;
        if loc.len() == 20 && loc.starts_with(b"PK\x06\x07") {
            let z_off = u64le(&loc, 8);
            let z = read_range(blob, z_off, 56).map_err(|e| e.to_string())?;
            if z.len() == 56 && z.starts_with(b"PK\x06\x06") {
                n_entries = u64le(&z, 32);
                cd_size = u64le(&z, 40);
                cd_off = u64le(&z, 48);
                cd_end = z_off;
                if let Some(d) = (eocd_pos - 20).checked_sub(56).filter(|&d| d != z_off) {
                    let y = read_range(blob, d, 56).map_err(|e| e.to_string())?;
                    if y.len() == 56 && y.starts_with(b"PK\x06\x06") {
                        direct64 = Some((u64le(&y, 40), u64le(&y, 48), d));
                    }
                }
            } else if let Some(p) = find_back(blob, eocd_pos - 20, b"PK\x06\x06")? {
                // Prepended data shifts the recorded zip64 offset too. But
                // miniz uses a zip64 record only where the locator points,
                // and otherwise the classic end record: where that one holds
                // real values, it is the directory, and the record found
                // here is a second one (review round of session 22).
                let z = read_range(blob, p, 56).map_err(|e| e.to_string())?;
                if z.len() == 56 {
                    let placeholders = cd_off == u32::MAX as u64
                        || cd_size == u32::MAX as u64
                        || n_entries == u16::MAX as u64;
                    if placeholders {
                        n_entries = u64le(&z, 32);
                        cd_size = u64le(&z, 40);
                        cd_off = u64le(&z, 48);
                        cd_end = p;
                    } else {
                        direct64 = Some((u64le(&z, 40), u64le(&z, 48), p));
                    }
                }
            }
        }
    }
    // Data prepended to the archive shifts every offset by the same amount.
    let delta = cd_end.saturating_sub(cd_off.saturating_add(cd_size));
    if delta > 0 {
        anomalies.push(ZipAnomaly::PrependedData { bytes: delta });
    }
    let cd_start = cd_off + delta;
    if cd_size > MAX_CD_BYTES || cd_start + cd_size > size {
        anomalies.push(ZipAnomaly::Inconsistent {
            detail: format!(
                "central directory of {cd_size} bytes at {cd_start} does not fit the file"
            ),
        });
        let entries = walk_local_headers(blob)?;
        return Ok(finish(blob, entries, anomalies));
    }
    let cd = read_range(blob, cd_start, cd_size as usize).map_err(|e| e.to_string())?;
    let mut entries = parse_cd(&cd, delta, &mut anomalies);
    if let Some((size2, off2, end2)) = direct64 {
        let delta2 = end2.saturating_sub(off2.saturating_add(size2));
        let start2 = off2.saturating_add(delta2);
        if size2 <= MAX_CD_BYTES && start2.saturating_add(size2) <= size && start2 != cd_start {
            let cd2 = read_range(blob, start2, size2 as usize).map_err(|e| e.to_string())?;
            let mut ignored = Vec::new();
            let other = parse_cd(&cd2, delta2, &mut ignored);
            if !other.is_empty() {
                anomalies.push(ZipAnomaly::Desync {
                    literal: cd_start,
                    corrected: start2,
                });
                merge_entries(&mut entries, other);
            }
        }
    }
    // miniz (inside `torch.load`) takes the recorded offset literally where
    // Python's zipfile and this reader correct it for prepended data: a file
    // can carry a second directory there, seen only by the other reader.
    if delta > 0 && cd_off.saturating_add(cd_size) <= size {
        let lit = read_range(blob, cd_off, cd_size as usize).map_err(|e| e.to_string())?;
        if lit.starts_with(b"PK\x01\x02") && lit != cd {
            let mut ignored = Vec::new();
            let other = parse_cd(&lit, 0, &mut ignored);
            if !other.is_empty() {
                anomalies.push(ZipAnomaly::Desync {
                    literal: cd_off,
                    corrected: cd_start,
                });
                merge_entries(&mut entries, other);
            }
        }
    }
    if (entries.len() as u64) != n_entries && entries.len() < MAX_ENTRIES {
        anomalies.push(ZipAnomaly::Inconsistent {
            detail: format!(
                "end record declares {n_entries} entries, the directory holds {}",
                entries.len()
            ),
        });
    }
    if entries.is_empty() && n_entries > 0 {
        anomalies.push(ZipAnomaly::NoCentralDirectory);
        entries = walk_local_headers(blob)?;
        return Ok(finish(blob, entries, anomalies));
    }
    // Resolve each local header: data offset and the local name.
    for en in entries.iter_mut() {
        // Header and name in one read when the local name is as long as the
        // central one (it almost always is): one read per member, not two.
        let lh =
            read_range(blob, en.local_offset, 30 + en.name.len()).map_err(|e| e.to_string())?;
        if lh.len() < 30 || !lh.starts_with(b"PK\x03\x04") {
            anomalies.push(ZipAnomaly::OutOfBounds {
                name: en.name.clone(),
            });
            en.data_offset = u64::MAX;
            continue;
        }
        let nlen = u16le(&lh, 26) as usize;
        let xlen = u16le(&lh, 28) as u64;
        let ln = if lh.len() >= 30 + nlen {
            lh[30..30 + nlen].to_vec()
        } else {
            read_range(blob, en.local_offset + 30, nlen).map_err(|e| e.to_string())?
        };
        let local = name_of(&ln);
        if local != en.name {
            anomalies.push(ZipAnomaly::NameMismatch {
                central: en.name.clone(),
                local: local.clone(),
            });
            en.local_name = Some(local);
        }
        en.data_offset = en.local_offset + 30 + nlen as u64 + xlen;
    }
    let first = entries
        .iter()
        .filter(|e| e.data_offset != u64::MAX)
        .map(|e| e.local_offset)
        .min();
    if let Some(f) = first {
        if f > 0 && delta == 0 {
            anomalies.push(ZipAnomaly::PrependedData { bytes: f });
        }
    }
    entries.retain(|e| e.data_offset != u64::MAX);
    Ok(finish(blob, entries, anomalies))
}

/// Add the entries of a second directory that the first does not list.
fn merge_entries(entries: &mut Vec<ZipEntry>, other: Vec<ZipEntry>) {
    for o in other {
        if entries.len() >= MAX_ENTRIES {
            break;
        }
        if !entries
            .iter()
            .any(|e| e.name == o.name && e.local_offset == o.local_offset)
        {
            entries.push(o);
        }
    }
}

/// The entries of a central directory; local offsets shifted by `delta`.
fn parse_cd(cd: &[u8], delta: u64, anomalies: &mut Vec<ZipAnomaly>) -> Vec<ZipEntry> {
    let mut entries = Vec::new();
    let mut p = 0usize;
    while p + 46 <= cd.len() && cd[p..].starts_with(b"PK\x01\x02") {
        if entries.len() >= MAX_ENTRIES {
            anomalies.push(ZipAnomaly::Inconsistent {
                detail: format!("more than {MAX_ENTRIES} entries; the rest are not scanned"),
            });
            break;
        }
        let flags = u16le(cd, p + 8);
        let method = u16le(cd, p + 10);
        let crc = u32le(cd, p + 16);
        let mut csize = u32le(cd, p + 20) as u64;
        let mut usize_ = u32le(cd, p + 24) as u64;
        let nlen = u16le(cd, p + 28) as usize;
        let xlen = u16le(cd, p + 30) as usize;
        let clen = u16le(cd, p + 32) as usize;
        let mut lho = u32le(cd, p + 42) as u64;
        let end = p + 46 + nlen + xlen + clen;
        if end > cd.len() {
            anomalies.push(ZipAnomaly::Inconsistent {
                detail: "central directory entry runs past the directory".into(),
            });
            break;
        }
        let name = name_of(&cd[p + 46..p + 46 + nlen]);
        nul_in_name(&cd[p + 46..p + 46 + nlen], anomalies);
        // Zip64 extended information extra field.
        let mut x = p + 46 + nlen;
        let xend = x + xlen;
        while x + 4 <= xend {
            let id = u16le(cd, x);
            let len = u16le(cd, x + 2) as usize;
            let body = x + 4;
            if body + len > xend {
                break;
            }
            if id == 1 {
                let mut q = body;
                if usize_ == 0xffff_ffff && q + 8 <= body + len {
                    usize_ = u64le(cd, q);
                    q += 8;
                }
                if csize == 0xffff_ffff && q + 8 <= body + len {
                    csize = u64le(cd, q);
                    q += 8;
                }
                if lho == 0xffff_ffff && q + 8 <= body + len {
                    lho = u64le(cd, q);
                }
            }
            x = body + len;
        }
        entries.push(ZipEntry {
            name,
            local_name: None,
            method,
            flags,
            crc,
            compressed: csize,
            uncompressed: usize_,
            local_offset: lho.saturating_add(delta),
            data_offset: 0,
        });
        p = end;
    }
    entries
}

/// The last `sig` that starts before `end` (searching back at most 1 MiB).
fn find_back(blob: &dyn Blob, end: u64, sig: &[u8]) -> Result<Option<u64>, String> {
    let start = end.saturating_sub(1 << 20);
    let b = read_range(blob, start, (end - start) as usize).map_err(|e| e.to_string())?;
    Ok(memchr::memmem::rfind(&b, sig).map(|i| start + i as u64))
}

fn finish(blob: &dyn Blob, entries: Vec<ZipEntry>, mut anomalies: Vec<ZipAnomaly>) -> ZipListing {
    let size = blob.size();
    let mut idx: Vec<usize> = (0..entries.len()).collect();
    idx.sort_by_key(|&i| entries[i].data_offset);
    for w in idx.windows(2) {
        let (a, b) = (&entries[w[0]], &entries[w[1]]);
        if a.compressed > 0
            && a.data_offset.saturating_add(a.compressed) > b.local_offset.min(b.data_offset)
        {
            anomalies.push(ZipAnomaly::Overlap {
                a: a.name.clone(),
                b: b.name.clone(),
            });
            break;
        }
    }
    for e in &entries {
        if e.data_offset.saturating_add(e.compressed) > size {
            anomalies.push(ZipAnomaly::OutOfBounds {
                name: e.name.clone(),
            });
        }
    }
    ZipListing { entries, anomalies }
}

/// Fallback: find entries by their local headers, front to back.
fn walk_local_headers(blob: &dyn Blob) -> Result<Vec<ZipEntry>, String> {
    let size = blob.size();
    let mut out = Vec::new();
    let mut pos = 0u64;
    while pos + 30 <= size && out.len() < MAX_ENTRIES {
        let lh = read_range(blob, pos, 30).map_err(|e| e.to_string())?;
        if !lh.starts_with(b"PK\x03\x04") {
            // Search forward for the next local header.
            let chunk = read_range(blob, pos + 1, 1 << 20).map_err(|e| e.to_string())?;
            match memchr::memmem::find(&chunk, b"PK\x03\x04") {
                Some(i) => {
                    pos += 1 + i as u64;
                    continue;
                }
                None => {
                    if chunk.len() < (1 << 20) {
                        break;
                    }
                    pos += chunk.len() as u64 - 3;
                    continue;
                }
            }
        }
        let flags = u16le(&lh, 6);
        let method = u16le(&lh, 8);
        let crc = u32le(&lh, 14);
        let mut csize = u32le(&lh, 18) as u64;
        let usize_ = u32le(&lh, 22) as u64;
        let nlen = u16le(&lh, 26) as u64;
        let xlen = u16le(&lh, 28) as u64;
        let raw_name = read_range(blob, pos + 30, nlen as usize).map_err(|e| e.to_string())?;
        let name = name_of(&raw_name);
        let data = pos + 30 + nlen + xlen;
        if csize == 0 && flags & 8 != 0 && method == 8 {
            // Size in a trailing data descriptor: inflate to find the end.
            let mut dec = flate2::read::DeflateDecoder::new(BlobReader::new(blob, data));
            let mut sink = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            while let Ok(n) = dec.read(&mut sink) {
                if n == 0 || total > (1 << 32) {
                    break;
                }
                total += n as u64;
            }
            csize = dec.total_in();
        }
        out.push(ZipEntry {
            name,
            local_name: None,
            method,
            flags,
            crc,
            compressed: csize,
            uncompressed: usize_,
            local_offset: pos,
            data_offset: data,
        });
        pos = data + csize.max(1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::zip::{ZipBuilder, ZipMember};

    #[test]
    fn lists_a_plain_zip() {
        let z = ZipBuilder::new()
            .member(ZipMember::stored("a/data.pkl", b"\x80\x02K\x01."))
            .member(ZipMember::deflated("b.txt", b"hello hello hello"))
            .build();
        let l = list(&z.as_slice()).unwrap();
        assert_eq!(l.entries.len(), 2);
        assert!(l.anomalies.is_empty(), "{:?}", l.anomalies);
        assert_eq!(l.entries[0].name, "a/data.pkl");
    }

    #[test]
    fn tolerates_name_mismatch_and_prefix() {
        let mut m = ZipMember::stored("data.pkl", b"\x80\x02K\x01.");
        m.local_name = Some("other.txt".into());
        let mut z = b"JUNKJUNK".to_vec();
        z.extend(ZipBuilder::new().member(m).build());
        let l = list(&z.as_slice()).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert!(l
            .anomalies
            .iter()
            .any(|a| matches!(a, ZipAnomaly::NameMismatch { .. })));
        assert!(l
            .anomalies
            .iter()
            .any(|a| matches!(a, ZipAnomaly::PrependedData { bytes: 8 })));
    }

    #[test]
    fn falls_back_to_local_headers() {
        let z = ZipBuilder::new()
            .member(ZipMember::stored("x.pkl", b"\x80\x02K\x01."))
            .build_without_directory();
        let l = list(&z.as_slice()).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert!(l.anomalies.contains(&ZipAnomaly::NoCentralDirectory));
    }
}

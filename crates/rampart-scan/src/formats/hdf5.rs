//! HDF5 external storage: a dataset whose bytes live in another file
//! (the External Data Files message, type 7). h5py and Keras read such a
//! dataset from the named path, so a `model.weights.h5` (or a `.keras`
//! archive's) can make `load_model` / `load_weights` pull a local file's
//! bytes into the model's weights (CVE-2026-1669, GHSA-3m4q-jmj6-r34q).
//! Model files have no reason to hold one.
//!
//! The scanner does not walk HDF5's object tree; it finds the message by
//! its body, which is self-validating: version 1, three zero bytes, slot
//! counts, and a local-heap address at which the `HEAP` signature must
//! stand, each slot naming a string inside that heap.

/// The first bytes of an External Data Files message body.
const EFL_HEAD: &[u8] = &[1, 0, 0, 0];
/// Bodies examined per file; further ones are not read.
const MAX_CANDIDATES: usize = 1 << 20;
/// Slots read per message.
const MAX_SLOTS: usize = 64;

use crate::blob::{read_range, Blob};

/// Bytes searched per read; bodies that straddle a chunk are found in the
/// next one (chunks overlap by one body head).
const CHUNK: usize = 8 << 20;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..i + 8)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// Where HDF5 addresses count from: the superblock's position (0, or the
/// size of a user block: 512, 1024, 2048...).
fn base_address(blob: &dyn Blob) -> u64 {
    const SIG: &[u8] = b"\x89HDF\r\n\x1a\n";
    let mut at = 0u64;
    while at < blob.size() {
        if read_range(blob, at, SIG.len()).is_ok_and(|h| h == SIG) {
            return at;
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
    0
}

/// The names an External Data Files message body at `at` lists, if it is
/// one (its local heap must be where it says).
fn slots_at(blob: &dyn Blob, at: u64, base: u64) -> Option<Vec<String>> {
    let head = read_range(blob, at, 16).ok()?;
    let (alloc, used, heap) = (u16_at(&head, 4)?, u16_at(&head, 6)?, u64_at(&head, 8)?);
    if used == 0 || used > alloc {
        return None;
    }
    // A local heap: "HEAP", version 0, three reserved bytes, data segment
    // size, free-list offset, data segment address.
    let h = read_range(blob, heap.checked_add(base)?, 32).ok()?;
    if h.get(..8) != Some(b"HEAP\0\0\0\0".as_slice()) {
        return None;
    }
    let (size, data) = (u64_at(&h, 8)?, u64_at(&h, 24)?);
    let seg_at = data.checked_add(base)?;
    if seg_at.checked_add(size)? > blob.size() {
        return None;
    }
    let seg = read_range(blob, seg_at, usize::try_from(size.min(1 << 20)).ok()?).ok()?;
    let n = (used as usize).min(MAX_SLOTS);
    let body = read_range(blob, at + 16, 24 * n).ok()?;
    let mut names = Vec::new();
    for s in 0..n {
        let Some(off) = u64_at(&body, 24 * s).and_then(|o| usize::try_from(o).ok()) else {
            break;
        };
        let Some(rest) = seg.get(off..) else {
            break;
        };
        let Some(end) = memchr::memchr(0, rest) else {
            break;
        };
        if end > 0 {
            names.push(String::from_utf8_lossy(&rest[..end.min(4096)]).into_owned());
        }
    }
    Some(names)
}

/// The external file names of every External Data Files message in the
/// first `limit` bytes of `blob` (8-byte offsets and lengths, as h5py
/// writes them), and whether a bound (`limit`, the candidate count)
/// stopped the search before the end.
pub(crate) fn external_files(blob: &dyn Blob, limit: u64) -> (Vec<String>, bool) {
    let base = base_address(blob);
    let end = blob.size().min(limit);
    let mut names = Vec::new();
    let mut tried = 0usize;
    let mut at = 0u64;
    while at < end {
        let n = ((end - at) as usize).min(CHUNK);
        let Ok(chunk) = read_range(blob, at, n) else {
            break;
        };
        // Bodies that start in the overlap are left to the next chunk.
        let last = at + n as u64 >= end;
        let stop = if last { n } else { n - EFL_HEAD.len() + 1 };
        for i in memchr::memmem::find_iter(&chunk, EFL_HEAD).take_while(|&i| i < stop) {
            tried += 1;
            if tried > MAX_CANDIDATES {
                return (names, true);
            }
            if let Some(v) = slots_at(blob, at + i as u64, base) {
                names.extend(v);
            }
        }
        if last {
            break;
        }
        at += stop as u64;
    }
    names.sort();
    names.dedup();
    (names, blob.size() > limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file with a local heap holding `name` and an EFL body naming it.
    fn efl_file(name: &str, user_block: usize) -> Vec<u8> {
        let mut b = vec![0u8; user_block];
        b.extend_from_slice(b"\x89HDF\r\n\x1a\n");
        b.resize(user_block + 64, 0);
        let heap_at = b.len() - user_block;
        let data_at = heap_at + 32;
        b.extend_from_slice(b"HEAP\0\0\0\0");
        b.extend_from_slice(&64u64.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&(data_at as u64).to_le_bytes());
        let mut seg = vec![0u8; 64];
        seg[8..8 + name.len()].copy_from_slice(name.as_bytes());
        b.extend_from_slice(&seg);
        // Message header (type 7, v1 layout), then the body.
        b.extend_from_slice(&[7, 0, 40, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[1, 0, 0, 0, 1, 0, 1, 0]);
        b.extend_from_slice(&(heap_at as u64).to_le_bytes());
        b.extend_from_slice(&8u64.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&16u64.to_le_bytes());
        b.extend_from_slice(&[1, 0, 0, 0, 9, 9]);
        b
    }

    fn names(b: &[u8]) -> Vec<String> {
        external_files(&b.to_vec(), u64::MAX).0
    }

    #[test]
    fn finds_the_external_file_behind_a_user_block_too() {
        assert_eq!(names(&efl_file("/etc/passwd", 0)), vec!["/etc/passwd"]);
        assert_eq!(names(&efl_file("creds.txt", 512)), vec!["creds.txt"]);
    }

    #[test]
    fn a_body_without_its_heap_is_not_one() {
        let mut b = efl_file("/etc/passwd", 0);
        let h = memchr::memmem::find(&b, b"HEAP").unwrap();
        b[h] = b'X';
        assert!(names(&b).is_empty());
        // Truncated anywhere: no panic.
        let full = efl_file("x", 0);
        for n in 0..full.len() {
            let _ = names(&full[..n]);
        }
    }
}

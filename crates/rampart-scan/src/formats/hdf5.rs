//! HDF5 files that make their reader open another file: a dataset whose
//! bytes live in an external file (the External Data Files message), an
//! external link to a dataset of another HDF5 file, and a virtual dataset
//! mapping other files. h5py and Keras follow all three, so a
//! `model.weights.h5` (or a `.keras` archive's) makes `load_model` /
//! `load_weights` pull a local file's bytes into the weights
//! (CVE-2026-1669, GHSA-3m4q-jmj6-r34q; the external-link and virtual
//! forms from the review round of session 24). Model files have no reason
//! to hold any of them.
//!
//! The scanner does not walk HDF5's object tree; it finds each message by
//! its body, which validates itself against what it points at:
//! - External Data Files: version 1, slot counts, and the address of a
//!   local heap (`HEAP`) holding each slot's file name (the three reserved
//!   bytes are skipped, as the library skips them; offsets and lengths of
//!   the sizes the superblock declares);
//! - a virtual layout (layout version 4, class 3) whose address is a global
//!   heap collection (`GCOL`), where the source file names live;
//! - a link message of the external class (64) whose value is a flag byte
//!   and two strings, a file name and an absolute object path, of exactly
//!   the declared length.

use crate::blob::{read_range, Blob};
use std::collections::HashSet;

/// Bytes searched per read (chunks overlap by [`OVERLAP`]).
const CHUNK: usize = 8 << 20;
const OVERLAP: usize = 64;
/// Findings kept per file.
const MAX_NAMES: usize = 64;
/// Slots read per External Data Files message.
const MAX_SLOTS: usize = 64;
/// Heaps and collections whose references are looked for.
const MAX_HEAPS: usize = 1 << 16;

/// How the file sizes its addresses and lengths.
#[derive(Clone, Copy)]
struct Layout {
    base: u64,
    offsets: usize,
    lengths: usize,
}

fn uint(b: &[u8], i: usize, n: usize) -> Option<u64> {
    let s = b.get(i..i.checked_add(n)?)?;
    let mut v = 0u64;
    for (k, x) in s.iter().enumerate().take(8) {
        v |= (*x as u64) << (8 * k);
    }
    Some(v)
}

/// The superblock's position (0, or the size of a user block: 512, 1024,
/// 2048...) and the sizes of offsets and lengths it declares.
fn layout(blob: &dyn Blob) -> Layout {
    const SIG: &[u8] = b"\x89HDF\r\n\x1a\n";
    let mut at = 0u64;
    while at < blob.size() {
        if let Ok(h) = read_range(blob, at, 16) {
            if h.starts_with(SIG) {
                let (o, l) = match h.get(8) {
                    Some(0 | 1) => (h.get(13), h.get(14)),
                    _ => (h.get(9), h.get(10)),
                };
                let ok = |x: Option<&u8>| {
                    x.copied()
                        .filter(|v| matches!(v, 2 | 4 | 8))
                        .map(usize::from)
                };
                return Layout {
                    base: at,
                    offsets: ok(o).unwrap_or(8),
                    lengths: ok(l).unwrap_or(8),
                };
            }
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
    Layout {
        base: 0,
        offsets: 8,
        lengths: 8,
    }
}

/// The file names an External Data Files message lists, when the `offsets`
/// bytes at `at` are the address of the local heap at `heap` and what
/// stands before and after is such a message.
fn efl_names(blob: &dyn Blob, at: u64, heap: u64, l: Layout) -> Option<Vec<String>> {
    let head = read_range(blob, at.checked_sub(8)?, 8).ok()?;
    // Version 1; three reserved bytes the library does not read.
    if head[0] != 1 {
        return None;
    }
    let (alloc, used) = (uint(&head, 4, 2)?, uint(&head, 6, 2)?);
    if used == 0 || used > alloc {
        return None;
    }
    let h = read_range(
        blob,
        heap.checked_add(l.base)?,
        8 + 2 * l.lengths + l.offsets,
    )
    .ok()?;
    let size = uint(&h, 8, l.lengths)?;
    let data = uint(&h, 8 + 2 * l.lengths, l.offsets)?;
    let seg_at = data.checked_add(l.base)?;
    if seg_at.checked_add(size)? > blob.size() {
        return None;
    }
    let seg = read_range(blob, seg_at, usize::try_from(size.min(1 << 20)).ok()?).ok()?;
    let n = (used as usize).min(MAX_SLOTS);
    let body = read_range(blob, at + l.offsets as u64, 3 * l.lengths * n).ok()?;
    let mut names = Vec::new();
    for s in 0..n {
        let Some(off) =
            uint(&body, 3 * l.lengths * s, l.lengths).and_then(|o| usize::try_from(o).ok())
        else {
            break;
        };
        let Some(rest) = seg.get(off..) else {
            break;
        };
        let Some(end) = memchr::memchr(0, rest) else {
            break;
        };
        if end > 0 {
            names.push(format!(
                "a dataset's bytes are read from the external file {:?}",
                String::from_utf8_lossy(&rest[..end.min(4096)])
            ));
        }
    }
    (!names.is_empty()).then_some(names)
}

/// An external link whose class byte (64) is at `i` of `b`: its file and
/// object path, when the message around it is well formed.
fn external_link(b: &[u8], i: usize) -> Option<String> {
    if i < 2 || b[i - 2] != 1 {
        return None;
    }
    let flags = b[i - 1];
    if flags & 0x08 == 0 || flags & 0xe0 != 0 {
        return None;
    }
    let mut p = i + 1;
    if flags & 0x04 != 0 {
        p += 8;
    }
    if flags & 0x10 != 0 {
        p += 1;
    }
    let width = 1usize << (flags & 3);
    let name_len = usize::try_from(uint(b, p, width)?).ok()?;
    if name_len == 0 || name_len > 4096 {
        return None;
    }
    p += width + name_len;
    let len = uint(b, p, 2)? as usize;
    let value = b.get(p + 2..p + 2 + len)?;
    // A flag byte (version 0), the file name, the object path.
    if len < 4 || value[0] & 0xf0 != 0 {
        return None;
    }
    let mut parts = value[1..].split(|&c| c == 0);
    let (file, path) = (parts.next()?, parts.next()?);
    if file.is_empty()
        || !path.starts_with(b"/")
        || 1 + file.len() + 1 + path.len() + 1 != len
        || !file.iter().chain(path).all(|c| (0x20..0x7f).contains(c))
    {
        return None;
    }
    Some(format!(
        "an external link reads {:?} from the file {:?}",
        String::from_utf8_lossy(path),
        String::from_utf8_lossy(file)
    ))
}

/// Candidate references found before the heaps they may point at are all
/// known: where the address is, the address, and whether it is a virtual
/// layout's (else an External Data Files message's).
type Candidate = (u64, u64, bool);

/// Candidates kept per file (each is a message header whose body starts as
/// one of the two messages does).
const MAX_CANDIDATES: usize = 1 << 16;

/// What makes the reader of `blob` open another file, in its first
/// `limit` bytes, and whether a bound stopped the search before the end.
pub(crate) fn external_files(blob: &dyn Blob, limit: u64) -> (Vec<String>, bool) {
    let l = layout(blob);
    let end = blob.size().min(limit);
    let w = l.offsets;
    let mut heaps: HashSet<u64> = HashSet::new();
    let mut gcols: HashSet<u64> = HashSet::new();
    let mut names = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    // One pass, a chunk at a time: the heaps by signature, external links
    // by their value, and the message headers that may point at a heap.
    // An External Data Files message is type 7, a layout message type 8; a
    // version-1 object header writes the type as two bytes and the body 8
    // bytes on, a version-2 one as one byte and the body 4 (or, with
    // creation order, 6) bytes on. (Reading every byte as a possible
    // address cost 1.7 ms per MB of weights.)
    let mut at = 0u64;
    while at < end {
        let n = ((end - at) as usize).min(CHUNK);
        let Ok(c) = read_range(blob, at, n) else {
            break;
        };
        for i in memchr::memmem::find_iter(&c, b"HEAP\0") {
            if heaps.len() < MAX_HEAPS {
                heaps.insert((at + i as u64).saturating_sub(l.base));
            }
        }
        for i in memchr::memmem::find_iter(&c, b"GCOL") {
            if gcols.len() < MAX_HEAPS {
                gcols.insert((at + i as u64).saturating_sub(l.base));
            }
        }
        for j in memchr::memchr3_iter(7, 8, 64, &c) {
            if c[j] == 64 {
                if names.len() < MAX_NAMES {
                    names.extend(external_link(&c, j));
                }
                continue;
            }
            let v1 = c.get(j + 1) == Some(&0);
            for p in [v1.then_some(j + 8), Some(j + 4), Some(j + 6)]
                .into_iter()
                .flatten()
            {
                let hit = if c[j] == 7 && c.get(p) == Some(&1) {
                    uint(&c, p + 8, w).map(|v| (at + (p + 8) as u64, v, false))
                } else if c[j] == 8 && c.get(p) == Some(&4) && c.get(p + 1) == Some(&3) {
                    // Layout version 4, class 3 (virtual): the source file
                    // names are in the global heap it points to.
                    uint(&c, p + 2, w).map(|v| (at + (p + 2) as u64, v, true))
                } else {
                    None
                };
                if let Some(h) = hit.filter(|_| candidates.len() < MAX_CANDIDATES) {
                    candidates.push(h);
                }
            }
        }
        if at + n as u64 >= end {
            break;
        }
        at += (n - OVERLAP) as u64;
    }
    for (pos, v, vds) in candidates {
        if names.len() >= MAX_NAMES {
            break;
        }
        if vds && gcols.contains(&v) {
            names.push(
                "a virtual dataset maps data from other files (its global heap names them)".into(),
            );
        } else if !vds && heaps.contains(&v) {
            if let Some(n) = efl_names(blob, pos, v, l) {
                names.extend(n);
            }
        }
    }
    names.sort();
    names.dedup();
    names.truncate(MAX_NAMES);
    (names, blob.size() > limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::bypass::hdf5_external_storage as efl_file;

    fn names(b: &[u8]) -> Vec<String> {
        external_files(&b.to_vec(), u64::MAX).0
    }

    #[test]
    fn finds_the_external_file_behind_a_user_block_too() {
        let one = |n: &str| {
            vec![format!(
                "a dataset's bytes are read from the external file {n:?}"
            )]
        };
        assert_eq!(names(&efl_file("/etc/passwd", 0)), one("/etc/passwd"));
        assert_eq!(names(&efl_file("creds.txt", 512)), one("creds.txt"));
        // The reserved bytes are not read by the library.
        let mut b = efl_file("creds.txt", 0);
        let at = b.windows(4).position(|w| w == [1, 0, 0, 0]).unwrap();
        b[at + 1..at + 4].copy_from_slice(&[0x7f; 3]);
        assert_eq!(names(&b), one("creds.txt"));
    }

    #[test]
    fn external_links_are_read_from_their_message() {
        // Link message v1, flags: link type present, 1-byte name length.
        let mut b = vec![0u8; 32];
        b.extend_from_slice(&[1, 0x08, 64, 4]);
        b.extend_from_slice(b"bias");
        let value = b"\0victim.h5\0/data\0";
        b.extend_from_slice(&(value.len() as u16).to_le_bytes());
        b.extend_from_slice(value);
        b.extend_from_slice(&[0; 16]);
        let got = names(&b);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("victim.h5"), "{got:?}");
        // A wrong length is not one.
        let at = b
            .windows(2)
            .position(|w| w == [value.len() as u8, 0])
            .unwrap();
        b[at] += 1;
        assert!(names(&b).is_empty());
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

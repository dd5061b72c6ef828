//! Uncompressed sizes that compressed formats declare before anything is
//! inflated: the gzip trailer's ISIZE, the xz index, the legacy `.lzma`
//! header (zip members carry theirs in the central directory).
//!
//! A declared size is only a claim. It lets a bomb be reported without
//! inflating it; it never replaces the bounds applied while inflating, which
//! still catch a stream that declares less than it produces.

use crate::blob::{read_range, Blob};

/// The last member's ISIZE (uncompressed length mod 2^32) of a gzip stream.
/// A stream of several members is at least that long when the trailer is
/// honest, so it is a lower bound either way.
pub fn gzip_isize(blob: &dyn Blob) -> Option<u64> {
    let size = blob.size();
    // 10-byte header, at least an empty deflate block, 8-byte trailer.
    if size < 20 {
        return None;
    }
    let t = read_range(blob, size - 4, 4).ok()?;
    Some(u32::from_le_bytes(t.try_into().ok()?) as u64)
}

/// The uncompressed size the legacy `.lzma` (LZMA-alone) header declares;
/// `None` when it says "unknown" (all ones).
pub fn lzma_alone_size(blob: &dyn Blob) -> Option<u64> {
    let h = read_range(blob, 5, 8).ok()?;
    let n = u64::from_le_bytes(h.try_into().ok()?);
    (n != u64::MAX).then_some(n)
}

/// Largest xz index read (a real index holds about 10 bytes a block).
const MAX_XZ_INDEX: u64 = 1 << 20;

/// The total uncompressed size the index of the last xz stream declares.
pub fn xz_index_size(blob: &dyn Blob) -> Option<u64> {
    let size = blob.size();
    if size < 32 {
        return None;
    }
    // Stream footer: CRC32, backward size, flags, "YZ".
    let f = read_range(blob, size - 12, 12).ok()?;
    if f.len() != 12 || &f[10..12] != b"YZ" {
        return None;
    }
    let index_len = (u32::from_le_bytes([f[4], f[5], f[6], f[7]]) as u64 + 1) * 4;
    if index_len > MAX_XZ_INDEX || index_len + 12 + 12 > size {
        return None;
    }
    let idx = read_range(blob, size - 12 - index_len, index_len as usize).ok()?;
    parse_xz_index(&idx)
}

fn varint(b: &[u8], p: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..9 {
        let x = *b.get(*p)?;
        *p += 1;
        v |= ((x & 0x7f) as u64) << (7 * i);
        if x & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn parse_xz_index(idx: &[u8]) -> Option<u64> {
    if idx.first() != Some(&0) {
        return None;
    }
    let mut p = 1;
    let n = varint(idx, &mut p)?;
    // Each record takes at least two bytes: a larger count is a lie.
    if n > idx.len() as u64 / 2 {
        return None;
    }
    let mut total = 0u64;
    for _ in 0..n {
        let _unpadded = varint(idx, &mut p)?;
        total = total.saturating_add(varint(idx, &mut p)?);
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_trailer_gives_the_length() {
        let gz = crate::fixtures::gz(&[7u8; 100_000]);
        assert_eq!(gzip_isize(&gz.as_slice()), Some(100_000));
        assert_eq!(gzip_isize(&&gz[..10]), None);
    }

    #[test]
    fn xz_index_gives_the_length() {
        let x = crate::fixtures::xz(&[1u8; 70_000]);
        assert_eq!(xz_index_size(&x.as_slice()), Some(70_000));
        let mut bad = x.clone();
        let n = bad.len();
        bad[n - 1] = b'Q';
        assert_eq!(xz_index_size(&bad.as_slice()), None);
        // A lying backward size must not read outside the file.
        let mut lie = x;
        let n = lie.len();
        lie[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(xz_index_size(&lie.as_slice()), None);
    }

    #[test]
    fn lzma_header_gives_the_length_or_unknown() {
        let mut h = vec![0x5d, 0, 0, 0x80, 0];
        h.extend_from_slice(&12_345u64.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        assert_eq!(lzma_alone_size(&h.as_slice()), Some(12_345));
        h[5..13].fill(0xff);
        assert_eq!(lzma_alone_size(&h.as_slice()), None);
        assert_eq!(lzma_alone_size(&&h[..6]), None);
    }
}

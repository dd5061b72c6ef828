//! Random access to the bytes being scanned: a file on disk, a buffer in
//! memory, or a window into either (a stored zip member). Scanners read only
//! the ranges they need, which is what lets a 1 GB checkpoint cost only its
//! pickle.

use std::io::{self, Read};

pub trait Blob: Send + Sync {
    fn size(&self) -> u64;
    /// Read up to `buf.len()` bytes at `off`; 0 only at the end.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize>;
}

impl Blob for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        if off >= self.len() as u64 {
            return Ok(0);
        }
        let s = &self[off as usize..];
        let n = s.len().min(buf.len());
        buf[..n].copy_from_slice(&s[..n]);
        Ok(n)
    }
}

impl Blob for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_at(off, buf)
    }
}

impl Blob for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.as_slice().read_at(off, buf)
    }
}

/// A file with its length taken once, and optionally its first bytes
/// already read (reads that fall inside them are served from memory).
pub struct FileBlob {
    file: std::fs::File,
    len: u64,
    head: Vec<u8>,
}

impl FileBlob {
    pub fn new(file: std::fs::File) -> io::Result<Self> {
        Self::with_head(file, Vec::new())
    }
    /// `head`: the file's first bytes, as read from it.
    pub fn with_head(file: std::fs::File, head: Vec<u8>) -> io::Result<Self> {
        let len = file.metadata()?.len();
        let head = if (head.len() as u64) <= len {
            head
        } else {
            Vec::new()
        };
        Ok(FileBlob { file, len, head })
    }
}

impl Blob for FileBlob {
    fn size(&self) -> u64 {
        self.len
    }
    #[cfg(unix)]
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        if off >= self.len {
            return Ok(0);
        }
        if off.saturating_add(buf.len() as u64) <= self.head.len() as u64 {
            return self.head.as_slice().read_at(off, buf);
        }
        loop {
            match self.file.read_at(buf, off) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }
    #[cfg(windows)]
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::windows::fs::FileExt;
        if off >= self.len {
            return Ok(0);
        }
        if off.saturating_add(buf.len() as u64) <= self.head.len() as u64 {
            return self.head.as_slice().read_at(off, buf);
        }
        self.file.seek_read(buf, off)
    }
}

/// A window `[off, off+len)` of another blob.
pub struct SubBlob<'a> {
    pub inner: &'a dyn Blob,
    pub off: u64,
    pub len: u64,
}

impl Blob for SubBlob<'_> {
    fn size(&self) -> u64 {
        self.len
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        if off >= self.len {
            return Ok(0);
        }
        let n = ((self.len - off) as usize).min(buf.len());
        self.inner.read_at(self.off + off, &mut buf[..n])
    }
}

/// A blob whose first bytes were already read: reads inside them are served
/// from memory (the member of an archive sniffed once, not twice).
pub struct HeadBlob<'a> {
    pub inner: &'a dyn Blob,
    pub head: &'a [u8],
}

impl Blob for HeadBlob<'_> {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> io::Result<usize> {
        if off.saturating_add(buf.len() as u64) <= self.head.len() as u64 {
            return self.head.read_at(off, buf);
        }
        self.inner.read_at(off, buf)
    }
}

/// A sequential reader over a blob.
pub struct BlobReader<'a> {
    pub blob: &'a dyn Blob,
    pub pos: u64,
}

impl<'a> BlobReader<'a> {
    pub fn new(blob: &'a dyn Blob, pos: u64) -> Self {
        BlobReader { blob, pos }
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.blob.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Read up to `n` bytes at `off` (fewer at the end).
pub fn read_range(blob: &dyn Blob, off: u64, n: usize) -> io::Result<Vec<u8>> {
    let n = n.min(blob.size().saturating_sub(off) as usize);
    let mut v = vec![0u8; n];
    let mut got = 0;
    while got < n {
        let k = blob.read_at(off + got as u64, &mut v[got..])?;
        if k == 0 {
            break;
        }
        got += k;
    }
    v.truncate(got);
    Ok(v)
}

/// Read the whole blob when it is at most `cap` bytes; otherwise the first
/// `cap` bytes and `true` (truncated).
pub fn read_capped(blob: &dyn Blob, cap: u64) -> io::Result<(Vec<u8>, bool)> {
    let n = blob.size().min(cap);
    let v = read_range(blob, 0, n as usize)?;
    Ok((v, blob.size() > cap))
}

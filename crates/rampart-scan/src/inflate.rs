//! Deflate and gzip readers over a per-worker, reused inflate state.
//!
//! flate2's readers build a fresh miniz state for every stream: about 45 KB
//! built on the stack, copied to the heap and zeroed, which cost more than
//! inflating the small members of typical archives (a fifth of the CPU of a
//! directory of small artifacts). These readers take a state from the
//! worker's pool and reset it instead. Their behaviour follows flate2's
//! `DeflateDecoder` and `MultiGzDecoder`, and gzip's tolerance follows
//! Python's `gzip` module (which `joblib` and friends load through): any
//! flag bits, zero padding after a member, further members concatenated.

use flate2::{Crc, Decompress, FlushDecompress, Status};
use std::cell::RefCell;
use std::io::{self, BufRead, Read};

thread_local! {
    static STATES: RefCell<Vec<Decompress>> = const { RefCell::new(Vec::new()) };
}

/// An inflate state from the pool, returned to it on drop.
struct State(Option<Decompress>);

impl State {
    fn take() -> State {
        let d = STATES
            .try_with(|s| s.borrow_mut().pop())
            .ok()
            .flatten()
            .map(|mut d| {
                d.reset(false);
                d
            })
            .unwrap_or_else(|| Decompress::new(false));
        State(Some(d))
    }
    fn get(&mut self) -> &mut Decompress {
        self.0.as_mut().expect("state present until drop")
    }
}

impl Drop for State {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            let _ = STATES.try_with(|s| {
                let mut s = s.borrow_mut();
                if s.len() < 2 {
                    s.push(d);
                }
            });
        }
    }
}

/// Inflate from `src` into `dst`: (bytes produced, stream ended). The loop
/// is flate2's (`zio::read`), so truncated and corrupt streams end the same
/// way.
fn step<R: BufRead>(src: &mut R, d: &mut Decompress, dst: &mut [u8]) -> io::Result<(usize, bool)> {
    loop {
        let input = src.fill_buf()?;
        let eof = input.is_empty();
        let (bi, bo) = (d.total_in(), d.total_out());
        let flush = if eof {
            FlushDecompress::Finish
        } else {
            FlushDecompress::None
        };
        let ret = d.decompress(input, dst, flush);
        let read = (d.total_out() - bo) as usize;
        let consumed = (d.total_in() - bi) as usize;
        src.consume(consumed);
        match ret {
            Ok(Status::Ok | Status::BufError) if read == 0 && !eof && !dst.is_empty() => continue,
            Ok(Status::Ok | Status::BufError) if read == 0 && eof && !dst.is_empty() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "incomplete deflate stream",
                ))
            }
            Ok(Status::StreamEnd) => return Ok((read, true)),
            Ok(Status::Ok | Status::BufError) => return Ok((read, false)),
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "corrupt deflate stream",
                ))
            }
        }
    }
}

/// A raw deflate stream (a zip member).
pub struct DeflateReader<R> {
    src: R,
    state: State,
    done: bool,
}

impl<R: BufRead> DeflateReader<R> {
    pub fn new(src: R) -> Self {
        DeflateReader {
            src,
            state: State::take(),
            done: false,
        }
    }
}

impl<R: BufRead> Read for DeflateReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let (n, end) = step(&mut self.src, self.state.get(), buf)?;
        self.done = end;
        Ok(n)
    }
}

enum Gz {
    Header,
    Body,
    Trailer,
    Done,
}

/// A gzip file: one or more members, zero padding allowed between them.
pub struct GzReader<R> {
    src: R,
    state: State,
    crc: Crc,
    at: Gz,
    members: u32,
}

impl<R: BufRead> GzReader<R> {
    pub fn new(src: R) -> Self {
        GzReader {
            src,
            state: State::take(),
            crc: Crc::new(),
            at: Gz::Header,
            members: 0,
        }
    }

    /// Skip zero padding; whether another member follows.
    fn more(&mut self) -> io::Result<bool> {
        loop {
            let b = self.src.fill_buf()?;
            if b.is_empty() {
                return Ok(false);
            }
            let z = b.iter().take_while(|&&x| x == 0).count();
            let all = z == b.len();
            self.src.consume(z);
            if !all {
                return Ok(true);
            }
        }
    }

    fn skip_cstr(&mut self) -> io::Result<()> {
        loop {
            let b = self.src.fill_buf()?;
            if b.is_empty() {
                return Err(bad("gzip header ends inside a name or comment"));
            }
            match memchr::memchr(0, b) {
                Some(i) => {
                    self.src.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = b.len();
                    self.src.consume(n);
                }
            }
        }
    }

    fn header(&mut self) -> io::Result<()> {
        let mut h = [0u8; 10];
        self.src
            .read_exact(&mut h)
            .map_err(|_| bad("invalid gzip header"))?;
        if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
            return Err(bad("invalid gzip header"));
        }
        let flags = h[3];
        if flags & 4 != 0 {
            let mut x = [0u8; 2];
            self.src
                .read_exact(&mut x)
                .map_err(|_| bad("invalid gzip header"))?;
            let n = u16::from_le_bytes(x) as u64;
            let skipped = io::copy(&mut (&mut self.src).take(n), &mut io::sink())?;
            if skipped < n {
                return Err(bad("invalid gzip header"));
            }
        }
        if flags & 8 != 0 {
            self.skip_cstr()?;
        }
        if flags & 16 != 0 {
            self.skip_cstr()?;
        }
        if flags & 2 != 0 {
            let mut x = [0u8; 2];
            self.src
                .read_exact(&mut x)
                .map_err(|_| bad("invalid gzip header"))?;
        }
        Ok(())
    }

    fn trailer(&mut self) -> io::Result<()> {
        let mut t = [0u8; 8];
        self.src
            .read_exact(&mut t)
            .map_err(|_| bad("gzip member ends without its trailer"))?;
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        if crc != self.crc.sum() || len != self.crc.amount() {
            return Err(bad("corrupt gzip stream does not have a matching checksum"));
        }
        Ok(())
    }
}

fn bad(m: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m.to_string())
}

impl<R: BufRead> Read for GzReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.at {
                Gz::Done => return Ok(0),
                Gz::Header => {
                    if self.members > 0 && !self.more()? {
                        self.at = Gz::Done;
                        return Ok(0);
                    }
                    self.header()?;
                    if self.members > 0 {
                        self.state.get().reset(false);
                        self.crc.reset();
                    }
                    self.at = Gz::Body;
                }
                Gz::Body => {
                    let (n, end) = step(&mut self.src, self.state.get(), buf)?;
                    self.crc.update(&buf[..n]);
                    if end {
                        // Checked on the next call, so that the bytes
                        // inflated so far reach the caller before a bad
                        // trailer is reported (Python's loaders have
                        // already used them by then).
                        self.at = Gz::Trailer;
                    }
                    if n > 0 || buf.is_empty() {
                        return Ok(n);
                    }
                }
                Gz::Trailer => {
                    self.trailer()?;
                    self.members += 1;
                    self.at = Gz::Header;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(mut r: impl Read) -> (Vec<u8>, Option<String>) {
        let mut v = Vec::new();
        let mut b = [0u8; 1000];
        loop {
            match r.read(&mut b) {
                Ok(0) => return (v, None),
                Ok(n) => v.extend_from_slice(&b[..n]),
                Err(e) => return (v, Some(e.to_string())),
            }
        }
    }

    fn data() -> Vec<u8> {
        (0..300_000u32)
            .map(|i| (i % 251) as u8 ^ (i >> 9) as u8)
            .collect()
    }

    #[test]
    fn gzip_agrees_with_flate2() {
        let d = data();
        let mut two = crate::fixtures::gz(&d);
        two.extend_from_slice(&[0; 7]);
        two.extend(crate::fixtures::gz(b"second member"));
        let (got, err) = read_all(GzReader::new(&two[..]));
        // Python's gzip (and this reader) skip zero padding between members.
        assert!(err.is_none(), "{err:?}");
        let mut want = d.clone();
        want.extend_from_slice(b"second member");
        assert!(got == want, "{} bytes, want {}", got.len(), want.len());
        // Header with every optional field.
        let mut e = flate2::GzBuilder::new()
            .filename("f.pkl")
            .comment("c")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), flate2::Compression::fast());
        e.write_all(&d).unwrap();
        let g = e.finish().unwrap();
        assert!(read_all(GzReader::new(&g[..])) == (d.clone(), None));
    }

    #[test]
    fn gzip_errors_are_reported_after_the_data() {
        let d = data();
        let g = crate::fixtures::gz(&d);
        let (got, err) = read_all(GzReader::new(&g[..g.len() - 4]));
        assert!(got == d && err.is_some(), "{} bytes, {err:?}", got.len());
        let mut bad_crc = g.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert!(read_all(GzReader::new(&bad_crc[..])).1.is_some());
        let (got, err) = read_all(GzReader::new(&g[..g.len() / 2]));
        assert!(err.is_some() && !got.is_empty() && d.starts_with(&got));
        assert!(read_all(GzReader::new(&b"\x1f\x8b\x07rest"[..]))
            .1
            .is_some());
    }

    #[test]
    fn deflate_agrees_with_flate2_and_reuses_state() {
        let d = data();
        let z = crate::fixtures::deflate(&d);
        for _ in 0..3 {
            assert!(read_all(DeflateReader::new(&z[..])) == (d.clone(), None));
        }
        let mut want = Vec::new();
        let want_err = flate2::read::DeflateDecoder::new(&z[..z.len() / 2])
            .read_to_end(&mut want)
            .err()
            .map(|e| e.to_string());
        let (got, err) = read_all(DeflateReader::new(&z[..z.len() / 2]));
        assert!(
            got == want && err == want_err,
            "{} {err:?} {want_err:?}",
            got.len()
        );
    }
}

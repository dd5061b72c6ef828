//! A tar walker that reads archives the way CPython's `tarfile` does
//! (3.11 to 3.13): `pandas.read_pickle` of a `.tar`, `torch.load` of a
//! legacy tar checkpoint and most Python tooling go through it, and other
//! tar readers (the `tar` crate, GNU tar, libarchive) disagree with it on
//! where members start and how many bytes they hold.
//!
//! What follows `tarfile` exactly:
//! * a header is valid when its checksum field (read like every number
//!   field, see [`nti`]) equals the unsigned or the signed byte sum; the
//!   magic and version fields are not looked at;
//! * number fields: base-256 after a `0x80`/`0xff` byte, else text cut at
//!   NUL, stripped, read as Python's `int(_, 8)` (underscores, sign, `0o`);
//! * `x`, `X` and `g` headers whatever the magic: pax records split by
//!   their length prefix, the last value of a key wins (in the key's first
//!   position), values read as `int()` reads text (Unicode digits and
//!   spaces included); `size` moves the next header, `GNU.sparse.realsize`
//!   and `GNU.sparse.size` change only how many bytes `extractfile` reads;
//! * GNU `L`/`K` long names, old GNU sparse (`S`) headers and their
//!   extension blocks, PAX sparse 0.0, 0.1 and 1.0 maps, holes read as
//!   zeros;
//! * links, devices, directories and FIFOs: no data is skipped after them.
//!
//! Everything is bounded: header chains, pax data, sparse maps and the
//! bytes a view builds; no declared size is ever allocated.

use crate::blob::{read_range, Blob};
use std::collections::HashMap;

const BLOCK: u64 = 512;
/// Pax data read per header (larger is reported, not read).
pub(crate) const MAX_PAX: u64 = 8 << 20;
/// Total bytes of global pax records kept.
const MAX_GLOBAL: usize = 8 << 20;
/// Headers chained before a member (pax, long names): Python's recursion
/// limit ends a chain of about 330 with an error.
const MAX_CHAIN: usize = 400;
/// Sparse map entries modelled.
pub(crate) const MAX_SPARSE: usize = 4096;
/// Old GNU sparse extension blocks followed.
const MAX_EXT_BLOCKS: usize = 1 << 16;
/// A value beyond any file size (Python's ints are unbounded).
const HUGE: i128 = 1 << 100;

/// One member as `tarfile` sees it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Where its first header (pax, long name...) starts.
    pub header_at: u64,
    pub name: Vec<u8>,
    pub linkname: Vec<u8>,
    /// Type flag, a V7 directory (`\0` with a trailing slash) as `5`.
    pub typeflag: u8,
    /// Where `extractfile` reads from (`offset_data`).
    pub data_at: u64,
    /// How many bytes `extractfile` reads (`TarInfo.size`).
    pub size: i128,
    /// The size field of its last ustar header, before pax records: what a
    /// reader that skips data skips.
    pub header_size: i128,
    /// Where the next header is read.
    pub next_at: i128,
    /// `(offset, numbytes)` pairs when sparse.
    pub sparse: Option<Vec<(i128, i128)>>,
    /// The sparse map has more entries than [`MAX_SPARSE`] (only the first
    /// ones were kept).
    pub sparse_overflow: bool,
    /// Two tarfile versions parse the PAX sparse 0.0 records differently.
    pub sparse_versions_differ: bool,
}

impl Entry {
    /// A regular file to `tarfile` (read by `extractfile`): regular,
    /// contiguous, sparse, and any type it does not know.
    pub fn is_regular(&self) -> bool {
        !matches!(self.typeflag, b'1'..=b'6')
    }
}

/// What the walker found next.
#[derive(Debug)]
pub(crate) enum Next {
    Entry(Box<Entry>),
    /// The archive ends here for `tarfile` (zero block, end of data, or a
    /// header it silently stops at). `Some`: a reason worth reporting (an
    /// invalid header after the first).
    End(Option<String>),
    /// `tarfile` raises here: opening or listing fails.
    Fail(String),
    /// The scanner's bounds stop it here, where `tarfile` goes on.
    Bound(String),
}

/// A pax dictionary: insertion order, last value wins.
#[derive(Clone, Default)]
struct Pax {
    items: Vec<(Vec<u8>, Vec<u8>)>,
    index: HashMap<Vec<u8>, usize>,
    bytes: usize,
}

impl Pax {
    fn set(&mut self, k: &[u8], v: &[u8]) {
        self.bytes += k.len() + v.len();
        match self.index.get(k) {
            Some(&i) => self.items[i].1 = v.to_vec(),
            None => {
                self.index.insert(k.to_vec(), self.items.len());
                self.items.push((k.to_vec(), v.to_vec()));
            }
        }
    }
    fn get(&self, k: &[u8]) -> Option<&[u8]> {
        self.index.get(k).map(|&i| self.items[i].1.as_slice())
    }
    fn has(&self, k: &[u8]) -> bool {
        self.index.contains_key(k)
    }
}

/// Old GNU sparse header: its structs, the extended flag, the real size.
type GnuSparse = (Vec<(i128, i128)>, bool, i128);

/// A parsed header block (`TarInfo.frombuf`).
#[derive(Clone)]
struct Hdr {
    name: Vec<u8>,
    linkname: Vec<u8>,
    size: i128,
    typeflag: u8,
    /// Old GNU sparse: header structs, extended flag, original size.
    gnu_sparse: Option<GnuSparse>,
}

enum HdrErr {
    /// All zero: the end-of-archive marker.
    Eof,
    Invalid,
}

/// The byte strings of a NUL-terminated field.
fn nts(s: &[u8]) -> &[u8] {
    match memchr::memchr(0, s) {
        Some(i) => &s[..i],
        None => s,
    }
}

fn ascii_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `str.strip()` over ASCII: also the information separators.
fn str_ws(c: u8) -> bool {
    ascii_ws(c) || (0x1c..=0x1f).contains(&c)
}

/// Python's `int(s, radix)` over ASCII text (radix 8 or 10): surrounding
/// whitespace, a sign, for 8 an optional `0o` prefix, single underscores
/// between digits. Values past [`HUGE`] saturate there.
fn py_int_ascii(s: &[u8], radix: u32) -> Option<i128> {
    let mut a = 0;
    let mut b = s.len();
    while a < b && ascii_ws(s[a]) {
        a += 1;
    }
    while b > a && ascii_ws(s[b - 1]) {
        b -= 1;
    }
    let mut t = &s[a..b];
    let neg = match t.first()? {
        b'-' => {
            t = &t[1..];
            true
        }
        b'+' => {
            t = &t[1..];
            false
        }
        _ => false,
    };
    if radix == 8 && t.len() >= 2 && t[0] == b'0' && (t[1] == b'o' || t[1] == b'O') {
        t = &t[2..];
        if t.first() == Some(&b'_') {
            t = &t[1..];
        }
    }
    let v = crate::pickle::underscored_digits(t, radix, Some(HUGE))?;
    Some(if neg { -v } else { v })
}

/// The first code points of Unicode's runs of decimal digits (category
/// Nd; each run holds 0 to 9), which Python's `int()` accepts.
const ND_ZEROS: &[u32] = &[
    0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6,
    0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50,
    0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x11f50, 0x16a60, 0x16ac0,
    0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e4f0, 0x1e950,
    0x1fbf0,
];

/// Python's `int(value)` of a pax value (text decoded from UTF-8: bytes
/// that are not UTF-8 become surrogates, which `int()` refuses). Non-ASCII
/// whitespace reads as a space and Unicode decimal digits as digits, as
/// CPython's `_PyUnicode_TransformDecimalAndSpaceToASCII` does.
pub(crate) fn py_int_text(v: &[u8]) -> Option<i128> {
    let s = std::str::from_utf8(v).ok()?;
    if s.is_ascii() {
        return py_int_ascii(s.as_bytes(), 10);
    }
    let mut a = Vec::with_capacity(s.len());
    for ch in s.chars() {
        let c = ch as u32;
        if c < 128 {
            a.push(c as u8);
        } else if matches!(
            c,
            0x85 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
        ) {
            a.push(b' ');
        } else {
            let z = ND_ZEROS.iter().rev().find(|&&z| z <= c)?;
            if c - z > 9 {
                return None;
            }
            a.push(b'0' + (c - z) as u8);
        }
    }
    py_int_ascii(&a, 10)
}

/// `tarfile.nti`: a number field.
fn nti(s: &[u8]) -> Option<i128> {
    if s.is_empty() {
        return None;
    }
    if s[0] == 0x80 || s[0] == 0xff {
        let mut n: i128 = 0;
        for &c in &s[1..] {
            n = (n << 8) | c as i128;
        }
        if s[0] == 0xff {
            n -= 1i128 << (8 * (s.len() - 1));
        }
        return Some(n);
    }
    let t = nts(s);
    if !t.is_ascii() {
        return None;
    }
    let mut a = 0;
    let mut b = t.len();
    while a < b && str_ws(t[a]) {
        a += 1;
    }
    while b > a && str_ws(t[b - 1]) {
        b -= 1;
    }
    if a == b {
        return Some(0);
    }
    py_int_ascii(&t[a..b], 8)
}

/// `calc_chksums`: the unsigned and signed sums with the checksum field
/// read as spaces.
fn chksums(b: &[u8]) -> (i128, i128) {
    let (mut u, mut s) = (256i128, 256i128);
    for (i, &c) in b[..512].iter().enumerate() {
        if (148..156).contains(&i) {
            continue;
        }
        u += c as i128;
        s += c as i8 as i128;
    }
    (u, s)
}

/// `TarInfo.frombuf` on one full block.
fn frombuf(b: &[u8]) -> Result<Hdr, HdrErr> {
    if b.iter().all(|&c| c == 0) {
        return Err(HdrErr::Eof);
    }
    let ck = nti(&b[148..156]).ok_or(HdrErr::Invalid)?;
    let (u, s) = chksums(b);
    if ck != u && ck != s {
        return Err(HdrErr::Invalid);
    }
    for r in [100..108, 108..116, 116..124, 136..148, 329..337, 337..345] {
        nti(&b[r]).ok_or(HdrErr::Invalid)?;
    }
    let size = nti(&b[124..136]).ok_or(HdrErr::Invalid)?;
    let mut typeflag = b[156];
    let mut name = nts(&b[..100]).to_vec();
    let linkname = nts(&b[157..257]).to_vec();
    let prefix = nts(&b[345..500]);
    if typeflag == 0 && name.ends_with(b"/") {
        typeflag = b'5';
    }
    let mut gnu_sparse = None;
    if typeflag == b'S' {
        let mut structs = Vec::new();
        let mut pos = 386;
        for _ in 0..4 {
            let off = nti(&b[pos..pos + 12]).ok_or(HdrErr::Invalid)?;
            let n = nti(&b[pos + 12..pos + 24]).ok_or(HdrErr::Invalid)?;
            structs.push((off, n));
            pos += 24;
        }
        let ext = b[482] != 0;
        let orig = nti(&b[483..495]).ok_or(HdrErr::Invalid)?;
        gnu_sparse = Some((structs, ext, orig));
    }
    if typeflag == b'5' {
        while name.ends_with(b"/") {
            name.pop();
        }
    }
    if !prefix.is_empty() && !matches!(typeflag, b'L' | b'K' | b'S') {
        let mut n = prefix.to_vec();
        n.push(b'/');
        n.extend_from_slice(&name);
        name = n;
    }
    Ok(Hdr {
        name,
        linkname,
        size,
        typeflag,
        gnu_sparse,
    })
}

/// Whether `block` (the first 512 bytes of something) is a header that
/// `tarfile.open` accepts: a polyglot whose other format the sniffer saw
/// first is still a tar to a loader that opens it as one.
pub(crate) fn is_header(block: &[u8]) -> bool {
    block.len() >= 512 && frombuf(&block[..512]).is_ok()
}

/// `_block`: a count rounded up to whole blocks (Python's floor division).
fn blocks(n: i128) -> i128 {
    let q = n.div_euclid(512);
    let r = n.rem_euclid(512);
    (if r != 0 { q + 1 } else { q }) * 512
}

/// The sparse 0.0 records as Python 3.11 finds them: a regex search over
/// the whole pax data for `\d+ GNU.sparse.<key>=(\d+)\n`.
fn regex_sparse00(buf: &[u8], key: &[u8]) -> Vec<i128> {
    let mut out = Vec::new();
    let pat = [b" GNU.sparse.".as_slice(), key, b"="].concat();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&buf[from..], &pat) {
        let at = from + i;
        // Digits before the space (at least one).
        let digits_before = at > 0 && buf[at - 1].is_ascii_digit();
        let v0 = at + pat.len();
        let mut v1 = v0;
        while v1 < buf.len() && buf[v1].is_ascii_digit() {
            v1 += 1;
        }
        if digits_before && v1 > v0 && buf.get(v1) == Some(&b'\n') {
            out.push(py_int_ascii(&buf[v0..v1], 10).unwrap_or(0));
            if out.len() > MAX_SPARSE * 2 {
                break;
            }
            from = v1 + 1;
        } else {
            from = at + 1;
        }
    }
    out
}

/// A header chain entry waiting for the member it applies to.
enum Pending {
    /// An `x` or `X` header's records (globals included), where it started.
    Pax {
        dict: Pax,
        at: u64,
        raw: Vec<u8>,
    },
    /// A `g` header: the sparse processing still applies to the member.
    Global {
        dict: Pax,
        raw: Vec<u8>,
    },
    Long {
        link: bool,
        buf: Vec<u8>,
        at: u64,
    },
}

/// Walks the members of a tar archive in `tarfile`'s order.
pub(crate) struct Walker<'a> {
    blob: &'a dyn Blob,
    /// `tarfile.offset`: where the next header is read.
    offset: i128,
    globals: Pax,
    first: bool,
    done: bool,
    /// Header offsets read so far: a size that sends tarfile back to one
    /// of them makes it loop.
    seen: std::collections::HashSet<i128>,
}

/// How a chain step failed.
enum Stop {
    Header(HdrErr),
    Empty,
    Fail(String),
    Bound(String),
}

impl<'a> Walker<'a> {
    pub fn new(blob: &'a dyn Blob) -> Self {
        Walker {
            blob,
            offset: 0,
            globals: Pax::default(),
            first: true,
            done: false,
            seen: std::collections::HashSet::new(),
        }
    }

    fn read(&self, at: u64, n: u64) -> Result<Vec<u8>, Stop> {
        read_range(self.blob, at, n as usize).map_err(|e| Stop::Fail(format!("read error: {e}")))
    }

    /// The next member, or why the walk ends.
    pub fn next_entry(&mut self) -> Next {
        if self.done {
            return Next::End(None);
        }
        let first = self.first;
        self.first = false;
        let size = self.blob.size() as i128;
        let at = self.offset;
        if at < 0 {
            self.done = true;
            return Next::Fail("a size moves the next header before the archive start".into());
        }
        if at > size {
            self.done = true;
            return Next::Fail("unexpected end of data: the next header lies past the end".into());
        }
        let r = self.chain(at as u64);
        match r {
            Ok(e) => {
                self.seen.insert(at);
                // Back to a header already read (or to 0, where tarfile
                // stops): tarfile reads the same members again and again;
                // each was scanned once.
                if e.next_at == 0 || self.seen.contains(&e.next_at) {
                    self.done = true;
                }
                self.offset = e.next_at;
                Next::Entry(Box::new(e))
            }
            Err(s) => {
                self.done = true;
                match s {
                    Stop::Header(HdrErr::Eof) | Stop::Empty => {
                        if first {
                            Next::Fail("empty archive".into())
                        } else {
                            Next::End(None)
                        }
                    }
                    Stop::Header(HdrErr::Invalid) if first => Next::Fail(
                        "invalid header at the start (bad checksum or number field)".into(),
                    ),
                    Stop::Header(HdrErr::Invalid) => Next::End(Some(format!(
                        "invalid header at offset {at}: Python's tarfile ends the archive there"
                    ))),
                    Stop::Fail(m) => Next::Fail(m),
                    Stop::Bound(m) => Next::Bound(m),
                }
            }
        }
    }

    /// Read one header block at `pos`.
    fn header(&self, pos: u64) -> Result<Hdr, Stop> {
        let b = self.read(pos, BLOCK)?;
        if b.is_empty() {
            return Err(Stop::Empty);
        }
        if b.len() < 512 {
            // TruncatedHeaderError: the end, like an empty header.
            return Err(Stop::Empty);
        }
        frombuf(&b).map_err(Stop::Header)
    }

    /// `fromtarfile` from `start`, unrolled: headers that apply to the
    /// next one are stacked and applied in reverse once a member header
    /// is reached, as `tarfile`'s recursion applies them.
    fn chain(&mut self, start: u64) -> Result<Entry, Stop> {
        let mut pending: Vec<Pending> = Vec::new();
        match self.chain_inner(start, &mut pending) {
            // A header after a pax or long-name header that fails:
            // SubsequentHeaderError, which tarfile raises.
            Err(Stop::Header(_) | Stop::Empty) if !pending.is_empty() => Err(Stop::Fail(
                "the header after a pax or long-name header is missing or invalid".into(),
            )),
            r => r,
        }
    }

    fn chain_inner(&mut self, start: u64, pending: &mut Vec<Pending>) -> Result<Entry, Stop> {
        let mut pos = start;
        let size = self.blob.size();
        let (mut e, mut pos) = loop {
            if pending.len() > MAX_CHAIN {
                return Err(Stop::Fail(format!(
                    "more than {MAX_CHAIN} chained pax or long-name headers (Python's recursion limit)"
                )));
            }
            let h = self.header(pos)?;
            let hpos = pos;
            pos += BLOCK;
            match h.typeflag {
                b'L' | b'K' => {
                    let n = blocks(h.size);
                    if n < 0 {
                        return Err(Stop::Fail("negative long-name size".into()));
                    }
                    let keep = (n as u64).min(MAX_PAX);
                    let buf = self.read(pos, keep)?;
                    if n as u64 > MAX_PAX {
                        return Err(Stop::Bound(format!(
                            "a long-name header at {hpos} holds {n} bytes, past the scanner's bound of {MAX_PAX}"
                        )));
                    }
                    pos = pos.saturating_add(n as u64).min(size.max(pos));
                    pending.push(Pending::Long {
                        link: h.typeflag == b'K',
                        buf: nts(&buf).to_vec(),
                        at: hpos,
                    });
                }
                b'x' | b'X' | b'g' => {
                    let n = blocks(h.size);
                    if n < 0 {
                        return Err(Stop::Fail("negative pax header size".into()));
                    }
                    if n as u64 > MAX_PAX {
                        return Err(Stop::Bound(format!(
                            "a pax header at {hpos} holds {n} bytes, past the scanner's bound of {MAX_PAX}"
                        )));
                    }
                    let buf = self.read(pos, n as u64)?;
                    pos += buf.len() as u64;
                    let global = h.typeflag == b'g';
                    let mut dict = if global {
                        std::mem::take(&mut self.globals)
                    } else {
                        self.globals.clone()
                    };
                    let r = parse_pax(&buf, &mut dict);
                    if global {
                        if dict.bytes > MAX_GLOBAL {
                            return Err(Stop::Bound(
                                "global pax records past the scanner's bound".into(),
                            ));
                        }
                        self.globals = dict.clone();
                    }
                    r?;
                    if global {
                        pending.push(Pending::Global { dict, raw: buf });
                    } else {
                        pending.push(Pending::Pax {
                            dict,
                            at: hpos,
                            raw: buf,
                        });
                    }
                }
                b'S' => {
                    let (mut structs, mut ext, orig) = h.gnu_sparse.clone().unwrap_or_default();
                    let mut overflow = false;
                    let mut nblocks = 0;
                    while ext {
                        nblocks += 1;
                        if nblocks > MAX_EXT_BLOCKS {
                            return Err(Stop::Bound("too many sparse extension blocks".into()));
                        }
                        let b = self.read(pos, BLOCK)?;
                        pos += b.len() as u64;
                        if b.len() < 512 {
                            return Err(Stop::Fail("sparse extension block cut short".into()));
                        }
                        for i in 0..21 {
                            let p = i * 24;
                            let (Some(o), Some(n)) = (nti(&b[p..p + 12]), nti(&b[p + 12..p + 24]))
                            else {
                                return Err(Stop::Header(HdrErr::Invalid));
                            };
                            if o != 0 && n != 0 {
                                if structs.len() < MAX_SPARSE {
                                    structs.push((o, n));
                                } else {
                                    overflow = true;
                                }
                            }
                        }
                        ext = b[504] != 0;
                    }
                    let e = Entry {
                        header_at: hpos,
                        name: h.name.clone(),
                        linkname: h.linkname.clone(),
                        typeflag: b'S',
                        data_at: pos,
                        size: orig,
                        header_size: h.size,
                        next_at: pos as i128 + blocks(h.size),
                        sparse: Some(structs),
                        sparse_overflow: overflow,
                        sparse_versions_differ: false,
                    };
                    break (e, pos);
                }
                t => {
                    let regular = !matches!(t, b'1'..=b'6');
                    let mut e = Entry {
                        header_at: hpos,
                        name: h.name.clone(),
                        linkname: h.linkname.clone(),
                        typeflag: t,
                        data_at: pos,
                        size: h.size,
                        header_size: h.size,
                        next_at: pos as i128 + if regular { blocks(h.size) } else { 0 },
                        sparse: None,
                        sparse_overflow: false,
                        sparse_versions_differ: false,
                    };
                    let g = self.globals.clone();
                    apply_pax(&mut e, &g)?;
                    break (e, pos);
                }
            }
        };
        // Unwind: innermost first, as tarfile's recursion returns.
        while let Some(p) = pending.pop() {
            match p {
                Pending::Long { link, buf, at } => {
                    e.header_at = at;
                    if link {
                        e.linkname = buf;
                    } else {
                        e.name = buf;
                    }
                    if e.typeflag == b'5' && e.name.ends_with(b"/") {
                        e.name.pop();
                    }
                }
                Pending::Pax { dict, at, raw } => {
                    self.sparse(&mut e, &dict, &raw, &mut pos)?;
                    apply_pax(&mut e, &dict)?;
                    e.header_at = at;
                    if dict.has(b"size") {
                        e.next_at =
                            e.data_at as i128 + if e.is_regular() { blocks(e.size) } else { 0 };
                    }
                }
                Pending::Global { dict, raw } => {
                    self.sparse(&mut e, &dict, &raw, &mut pos)?;
                }
            }
        }
        Ok(e)
    }

    /// `_proc_gnusparse_*` on the member after a pax header.
    fn sparse(&self, e: &mut Entry, d: &Pax, raw: &[u8], pos: &mut u64) -> Result<(), Stop> {
        if let Some(map) = d.get(b"GNU.sparse.map") {
            // 0.1: "offset,numbytes,..." read with int().
            let mut v = Vec::new();
            for x in map.split(|&c| c == b',') {
                let n = py_int_text(x).ok_or_else(|| {
                    Stop::Fail("GNU.sparse.map holds a value int() refuses".into())
                })?;
                if v.len() < MAX_SPARSE * 2 {
                    v.push(n);
                } else {
                    e.sparse_overflow = true;
                }
            }
            e.sparse = Some(v.chunks_exact(2).map(|p| (p[0], p[1])).collect());
        } else if d.has(b"GNU.sparse.size") {
            // 0.0: Python 3.11 searches the header's data with a regex,
            // 3.12+ takes the parsed records; the views are compared.
            let offs = regex_sparse00(raw, b"offset");
            let nums = regex_sparse00(raw, b"numbytes");
            let old: Vec<(i128, i128)> = offs.iter().copied().zip(nums.iter().copied()).collect();
            let mut recs = Pax::default();
            let mut list_o = Vec::new();
            let mut list_n = Vec::new();
            let _ = parse_pax_records(raw, &mut recs, &mut |k, v| {
                if k == b"GNU.sparse.offset" {
                    list_o.push(py_int_text(v));
                } else if k == b"GNU.sparse.numbytes" {
                    list_n.push(py_int_text(v));
                }
            });
            let new: Vec<(i128, i128)> = list_o
                .iter()
                .zip(list_n.iter())
                .map(|(a, b)| (a.unwrap_or(-1), b.unwrap_or(-1)))
                .collect();
            e.sparse_versions_differ = old != new;
            e.sparse_overflow |= old.len() > MAX_SPARSE;
            let mut old = old;
            old.truncate(MAX_SPARSE);
            e.sparse = Some(old);
        } else if d.get(b"GNU.sparse.major") == Some(b"1")
            && d.get(b"GNU.sparse.minor") == Some(b"0")
        {
            // 1.0: a text map in the data blocks, after the member's
            // header (wherever the file position is).
            let mut buf = self.read(*pos, BLOCK)?;
            *pos += buf.len() as u64;
            let nl = memchr::memchr(b'\n', &buf)
                .ok_or_else(|| Stop::Fail("sparse 1.0 map without a newline".into()))?;
            let fields = py_int_bytes(&buf[..nl])
                .ok_or_else(|| Stop::Fail("sparse 1.0 map count int() refuses".into()))?;
            buf.drain(..=nl);
            let mut v: Vec<i128> = Vec::new();
            let mut count: i128 = 0;
            let mut reads = 0usize;
            while count < fields.saturating_mul(2) {
                if memchr::memchr(b'\n', &buf).is_none() {
                    reads += 1;
                    if reads > MAX_EXT_BLOCKS {
                        return Err(Stop::Bound(
                            "sparse 1.0 map longer than the scanner reads".into(),
                        ));
                    }
                    let more = self.read(*pos, BLOCK)?;
                    *pos += more.len() as u64;
                    buf.extend_from_slice(&more);
                }
                let nl = memchr::memchr(b'\n', &buf)
                    .ok_or_else(|| Stop::Fail("sparse 1.0 map cut short".into()))?;
                let n = py_int_bytes(&buf[..nl])
                    .ok_or_else(|| Stop::Fail("sparse 1.0 map value int() refuses".into()))?;
                buf.drain(..=nl);
                if v.len() < MAX_SPARSE * 2 {
                    v.push(n);
                } else {
                    e.sparse_overflow = true;
                }
                count += 1;
            }
            e.data_at = *pos;
            e.sparse = Some(v.chunks_exact(2).map(|p| (p[0], p[1])).collect());
        }
        Ok(())
    }
}

/// Python's `int(b)` of bytes: ASCII only.
fn py_int_bytes(b: &[u8]) -> Option<i128> {
    if !b.is_ascii() {
        return None;
    }
    py_int_ascii(b, 10)
}

/// `_apply_pax_info`: the records that change what `extractfile` reads.
fn apply_pax(e: &mut Entry, d: &Pax) -> Result<(), Stop> {
    for (k, v) in &d.items {
        match k.as_slice() {
            b"GNU.sparse.name" => e.name = v.clone(),
            b"GNU.sparse.size" | b"GNU.sparse.realsize" => {
                e.size = py_int_text(v).ok_or_else(|| {
                    Stop::Fail(format!(
                        "{} holds a value int() refuses",
                        String::from_utf8_lossy(k)
                    ))
                })?;
            }
            b"path" => {
                let mut n = v.clone();
                while n.ends_with(b"/") {
                    n.pop();
                }
                e.name = n;
            }
            b"linkpath" => e.linkname = v.clone(),
            b"size" => e.size = py_int_text(v).unwrap_or(0),
            _ => {}
        }
    }
    Ok(())
}

/// The records of a pax header into `dict`: Python 3.11's reading (a
/// record is `\d+ key=`, its value runs to the length prefix's end less
/// one byte; the first text that is no record ends the list). 3.12 and
/// later refuse records 3.11 takes (bad framing) and agree on the rest.
fn parse_pax(buf: &[u8], dict: &mut Pax) -> Result<(), Stop> {
    parse_pax_records(buf, dict, &mut |_, _| {})
}

fn parse_pax_records(
    buf: &[u8],
    dict: &mut Pax,
    each: &mut dyn FnMut(&[u8], &[u8]),
) -> Result<(), Stop> {
    let mut pos = 0usize;
    while pos < buf.len() {
        let d0 = pos;
        let mut d1 = pos;
        while d1 < buf.len() && buf[d1].is_ascii_digit() {
            d1 += 1;
        }
        if d1 == d0 || buf.get(d1) != Some(&b' ') {
            break;
        }
        let k0 = d1 + 1;
        let Some(eq) = memchr::memchr(b'=', &buf[k0..]) else {
            break;
        };
        if eq == 0 {
            break;
        }
        let k1 = k0 + eq;
        // Lengths of more than 20 digits are past any buffer.
        let length = py_int_ascii(&buf[d0..d1], 10).unwrap_or(HUGE);
        if length == 0 {
            return Err(Stop::Header(HdrErr::Invalid));
        }
        let vend = (d0 as i128 + length - 1).min(buf.len() as i128).max(0) as usize;
        let v0 = k1 + 1;
        let value = if vend > v0 { &buf[v0..vend] } else { &[][..] };
        let key = &buf[k0..k1];
        dict.set(key, value);
        each(key, value);
        if dict.bytes > MAX_GLOBAL.max(MAX_PAX as usize) * 2 {
            return Err(Stop::Bound("pax records past the scanner's bound".into()));
        }
        let next = d0 as i128 + length;
        if next >= buf.len() as i128 {
            break;
        }
        pos = next as usize;
    }
    Ok(())
}

/// What `extractfile` returns for `e` (`_FileInFile`): at most `cap`
/// bytes, whether the read stopped early and why.
pub(crate) fn extract_view(blob: &dyn Blob, e: &Entry, cap: u64) -> (Vec<u8>, Option<String>) {
    let size = e.size.max(0);
    let want = (size.min(cap as i128)) as u64;
    let default = [(0i128, e.size)];
    let info: &[(i128, i128)] = match &e.sparse {
        Some(s) => s,
        None => &default,
    };
    // The map: (data, start, stop, file offset).
    let mut map: Vec<(bool, i128, i128, i128)> = Vec::with_capacity(info.len() * 2 + 1);
    let mut last = 0i128;
    let mut real = e.data_at as i128;
    for &(off, n) in info {
        if off > last {
            map.push((false, last, off, 0));
        }
        map.push((true, off, off.saturating_add(n), real));
        real = real.saturating_add(n);
        last = off.saturating_add(n);
    }
    if last < e.size {
        map.push((false, last, e.size, 0));
    }
    let mut out = Vec::new();
    let mut position = 0i128;
    let mut idx = 0usize;
    let end = want as i128;
    if map.is_empty() {
        return (out, None);
    }
    while position < end {
        let mut tries = 0;
        loop {
            let (_, start, stop, _) = map[idx];
            if start <= position && position < stop {
                break;
            }
            idx += 1;
            if idx == map.len() {
                idx = 0;
            }
            tries += 1;
            if tries > map.len() {
                return (
                    out,
                    Some(format!(
                        "the sparse map leaves byte {position} uncovered: tarfile loops forever there"
                    )),
                );
            }
        }
        let (data, start, stop, off) = map[idx];
        let len = (end - position).min(stop - position);
        if data {
            let at = off + (position - start);
            if at < 0 || at > blob.size() as i128 {
                return (out, Some("unexpected end of data".into()));
            }
            match read_range(blob, at as u64, len as usize) {
                Ok(b) => {
                    let short = (b.len() as i128) < len;
                    out.extend_from_slice(&b);
                    if short {
                        return (out, Some("unexpected end of data".into()));
                    }
                }
                Err(err) => return (out, Some(err.to_string())),
            }
        } else {
            out.resize(out.len() + len as usize, 0);
        }
        position += len;
    }
    (out, None)
}

/// What `TarFile.extract` writes for a sparse member (`makefile`): each
/// `numbytes` read in turn from the data and written at its offset, the
/// file then cut or extended to the size. `None` when that view cannot
/// be built (Python raises on a negative seek).
pub(crate) fn makefile_view(
    blob: &dyn Blob,
    e: &Entry,
    cap: u64,
) -> Option<(Vec<u8>, Option<String>)> {
    let sparse = e.sparse.as_ref()?;
    let len = e.size.max(0).min(cap as i128) as usize;
    let mut out = vec![0u8; len];
    let mut src = e.data_at as i128;
    for &(off, n) in sparse {
        if off < 0 {
            return None;
        }
        let n = if n < 0 { n.rem_euclid(16 * 1024) } else { n };
        // Only the part that lands inside the kept bytes is read.
        let lo = off.min(len as i128);
        let hi = (off + n).min(len as i128);
        if hi > lo {
            let skip = lo - off;
            match read_range(blob, (src + skip) as u64, (hi - lo) as usize) {
                Ok(b) => {
                    out[lo as usize..lo as usize + b.len()].copy_from_slice(&b);
                    if (b.len() as i128) < hi - lo {
                        return Some((out, Some("unexpected end of data".into())));
                    }
                }
                Err(err) => return Some((out, Some(err.to_string()))),
            }
        }
        if src + n > blob.size() as i128 {
            return Some((out, Some("unexpected end of data".into())));
        }
        src += n;
    }
    Some((out, None))
}

/// Whether a sparse map is one every reader rebuilds alike: sorted,
/// non-overlapping, non-negative and within the size.
pub(crate) fn sparse_regular(e: &Entry) -> bool {
    let Some(s) = &e.sparse else { return true };
    let mut last = 0i128;
    for &(o, n) in s {
        if o < last || n < 0 || o + n > e.size.max(0) {
            return false;
        }
        last = o + n;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_python_reads_them() {
        assert_eq!(py_int_text(b" 12 "), Some(12));
        assert_eq!(py_int_text(b"0_12"), Some(12));
        assert_eq!(py_int_text("\u{661}\u{662}".as_bytes()), Some(12));
        assert_eq!(py_int_text("\u{a0}7".as_bytes()), Some(7));
        assert_eq!(py_int_text(b"\x1c5"), None);
        assert_eq!(py_int_text(b"1__2"), None);
        assert_eq!(py_int_text(b"_1"), None);
        assert_eq!(py_int_text(b""), None);
        assert_eq!(nti(b"0000644\0"), Some(0o644));
        assert_eq!(nti(b"\x1c 17 \0"), Some(0o17));
        assert_eq!(nti(b"0o_17\0\0\0"), Some(0o17));
        assert_eq!(nti(b"\0\0\0\0"), Some(0));
        assert_eq!(nti(b"\x80\0\0\0\0\0\0\0\0\0\x01\0"), Some(256));
        assert_eq!(nti(b"\xff\xff\xff\xff\xff\xff\xff\xff"), Some(-1));
        assert_eq!(nti(b"9\0"), None);
        assert_eq!(blocks(1), 512);
        assert_eq!(blocks(0), 0);
        assert_eq!(blocks(-1), 0);
        assert_eq!(blocks(-513), -512);
    }

    fn hdr(name: &[u8], size: &[u8], t: u8) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name);
        h[124..124 + size.len()].copy_from_slice(size);
        h[156] = t;
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&c| c as u32).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    #[test]
    fn hostile_sizes_end_the_walk() {
        // A pax size that sends tarfile back to the first header: each
        // member is seen once, then the walk stops.
        let pax = b"16 size=-100000\n";
        let mut t = hdr(b"p", b"20", b'x');
        let mut d = pax.to_vec();
        d.resize(512, 0);
        t.extend(d);
        t.extend(hdr(b"a", b"1", b'0'));
        t.extend([0u8; 512]);
        let mut w = Walker::new(&t);
        let mut n = 0;
        while let Next::Entry(_) = w.next_entry() {
            n += 1;
            assert!(n < 5);
        }
        // Headers after the first that fail their checksum end the
        // archive for tarfile, and are reported.
        let mut t = hdr(b"a", b"0", b'0');
        let mut bad = hdr(b"b", b"0", b'0');
        bad[0] = b'c';
        t.extend(bad);
        let mut w = Walker::new(&t);
        assert!(matches!(w.next_entry(), Next::Entry(_)));
        assert!(matches!(w.next_entry(), Next::End(Some(_))));
        // A sparse map with a gap: tarfile loops forever, the view stops.
        let e = Entry {
            header_at: 0,
            name: vec![],
            linkname: vec![],
            typeflag: b'0',
            data_at: 0,
            size: 100,
            header_size: 10,
            next_at: 512,
            sparse: Some(vec![(50, 10), (0, 10)]),
            sparse_overflow: false,
            sparse_versions_differ: false,
        };
        let b = vec![7u8; 512];
        let (v, err) = extract_view(&b, &e, 1000);
        assert_eq!(v.len(), 100);
        assert!(err.is_none() && !sparse_regular(&e));
        let (m, _) = makefile_view(&b, &e, 1000).unwrap();
        assert_eq!(m.len(), 100);
        assert!(is_header(&hdr(b"x", b"1", b'0')));
    }
}

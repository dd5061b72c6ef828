//! NumPy `.npy` (and, through the zip reader, `.npz`): the header names the
//! dtype; an object dtype means the data is a pickle, which is scanned.

use crate::blob::{read_range, Blob};
use crate::engine::{scan_pickle_blob, Ctx, Out};
use crate::rules;

/// Parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    pub descr: String,
    pub shape: Vec<u64>,
    pub data_offset: u64,
}

/// Parse the header of a `.npy` file (versions 1-3).
pub fn parse_header(b: &[u8]) -> Result<NpyHeader, String> {
    if b.len() < 10 || !b.starts_with(b"\x93NUMPY") {
        return Err("missing \\x93NUMPY magic".into());
    }
    let major = b[6];
    let (hlen, start) = match major {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => {
            if b.len() < 12 {
                return Err("truncated header length".into());
            }
            (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    if hlen > 1 << 20 {
        return Err(format!("header length {hlen} is implausibly large"));
    }
    if b.len() < start + hlen {
        return Err("truncated header".into());
    }
    // numpy reads the header with `ast.literal_eval`: comments are ignored
    // and a repeated key keeps its last value, so a decoy `'descr'` in a
    // comment or before the real one must not decide.
    let h = strip_comments(&String::from_utf8_lossy(&b[start..start + hlen]));
    let descr = dict_value(&h, "descr").ok_or("header has no 'descr'")?;
    let shape_s = dict_value(&h, "shape").ok_or("header has no 'shape'")?;
    let mut shape = Vec::new();
    for part in shape_s.trim_matches(|c| c == '(' || c == ')').split(',') {
        let p = part.trim().trim_end_matches('L');
        if p.is_empty() {
            continue;
        }
        shape.push(
            p.parse::<u64>()
                .map_err(|_| format!("bad shape {shape_s:?}"))?,
        );
    }
    Ok(NpyHeader {
        descr,
        shape,
        data_offset: (start + hlen) as u64,
    })
}

/// A Python literal without its `#` comments (outside string quotes).
fn strip_comments(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut esc = false;
    for c in h.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            }
            continue;
        }
        match quote {
            // `\'` inside a string does not end it.
            Some(_) if esc => esc = false,
            Some(_) if c == '\\' => esc = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' => {
                comment = true;
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// The value of the last `'key': value` in a Python dict literal (strings
/// unquoted, tuples and lists kept whole).
fn dict_value(h: &str, key: &str) -> Option<String> {
    // Keys are the strings at the dict's own level followed by a colon; a
    // structured dtype's field called 'descr' is deeper and does not count.
    let mut depth = 0i32;
    let mut quote: Option<(char, usize)> = None;
    let mut last_str: Option<(usize, usize)> = None;
    let mut found: Option<usize> = None;
    let mut esc = false;
    for (i, c) in h.char_indices() {
        match quote {
            Some(_) if esc => esc = false,
            Some(_) if c == '\\' => esc = true,
            Some((q, start)) if c == q => {
                quote = None;
                last_str = Some((start, i));
            }
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some((c, i + 1)),
                '(' | '[' | '{' => {
                    depth += 1;
                    last_str = None;
                }
                ')' | ']' | '}' => {
                    depth -= 1;
                    last_str = None;
                }
                ':' if depth == 1 => {
                    if let Some((a, b)) = last_str.take() {
                        if &h[a..b] == key {
                            found = Some(i + 1);
                        }
                    }
                }
                c if c.is_whitespace() => {}
                _ => last_str = None,
            },
        }
    }
    let rest = h[found?..].trim_start();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut end = rest.len();
    let mut esc = false;
    for (i, c) in rest.char_indices() {
        match quote {
            Some(_) if esc => esc = false,
            Some(_) if c == '\\' => esc = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth > 0 => depth -= 1,
                ',' | '}' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            },
        }
    }
    Some(
        rest[..end]
            .trim()
            .trim_matches(|c| c == '\'' || c == '"')
            .to_string(),
    )
}

pub(crate) fn scan(name: &str, blob: &dyn Blob, ctx: &Ctx<'_>, out: &mut Out) {
    let head = match read_range(blob, 0, 1 << 16) {
        Ok(h) => h,
        Err(e) => return out.fail(&rules::FILE_UNREADABLE, name, format!("read error: {e}")),
    };
    let h = match parse_header(&head) {
        Ok(h) => h,
        Err(e) => {
            return out.fail(
                &rules::NPY_HEADER,
                name,
                format!("malformed .npy header: {e}"),
            )
        }
    };
    // `numpy.dtype` reads the descr: `O`, `|O8` and the type name `object`
    // (any case in a structured field's type, `object_`) are all pickles.
    if h.descr.contains('O') || h.descr.to_ascii_lowercase().contains("object") {
        out.add(
            rules::NPY_OBJECT
                .finding(
                    name,
                    "object array: its data is a pickle, loaded only with allow_pickle=True",
                )
                .with_meta("descr", h.descr.clone()),
        );
        scan_pickle_blob(name, blob, h.data_offset, ctx, out);
        return;
    }
    let count = h.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
    let item = crate::pickle::itemsize(&h.descr);
    if let (Some(c), Some(i)) = (count, item) {
        let want = c.checked_mul(i);
        let have = blob.size().saturating_sub(h.data_offset);
        if want != Some(have) && !h.descr.starts_with('[') {
            let msg = format!(
                "header declares {} data bytes, the file holds {have}",
                want.map(|w| w.to_string())
                    .unwrap_or_else(|| "an overflowing number of".into())
            );
            // Fewer bytes than declared: a truncated file, which no loader
            // reads whole (an error entry); more is only a finding.
            if want.is_none_or(|w| have < w) {
                out.fail(&rules::NPY_HEADER, name, format!("{msg} (truncated)"));
            } else {
                out.add(rules::NPY_HEADER.finding(name, msg));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v1_header() {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let h = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }      \n";
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h);
        let p = parse_header(&b).unwrap();
        assert_eq!(p.descr, "<f8");
        assert_eq!(p.shape, vec![2, 3]);
        assert_eq!(p.data_offset, b.len() as u64);
    }

    fn header(h: &[u8]) -> NpyHeader {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h);
        parse_header(&b).unwrap()
    }

    #[test]
    fn the_key_numpy_reads_is_the_one_that_counts() {
        // Repeated key: the last wins, as in a Python dict.
        let p =
            header(b"{'descr': '<u1', 'fortran_order': False, 'shape': (3,), 'descr': '|O', }\n");
        assert_eq!(p.descr, "|O");
        // A decoy in a comment is not a key.
        let p =
            header(b"{'descr': '|O', # 'descr': '<u1',\n 'shape': (3,), 'fortran_order': False}\n");
        assert_eq!(p.descr, "|O");
        // An escaped quote does not end a string (nor start a comment).
        let p = header(
            b"{'shape': (3,), 'fortran_order': False, 'descr': '<u1\\'# ', 'descr': '|O'}\n",
        );
        assert_eq!(p.descr, "|O");
        // A structured field named 'descr' is not the header's key.
        let p = header(b"{'descr': [('descr', '<f4'), ('x', '|O')], 'fortran_order': False, 'shape': (3,), }\n");
        assert!(p.descr.contains("|O"), "{}", p.descr);
        assert_eq!(p.shape, vec![3]);
    }
}

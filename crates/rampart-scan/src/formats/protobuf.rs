//! Minimal protobuf wire-format walking: enough to read the few fields the
//! ONNX and TensorFlow checks need, bounded and without a schema compiler.
//!
//! Groups (wire types 3 and 4) are read the way protobuf's parsers read an
//! unknown field: a start group, any fields (groups nested inside), and
//! the end group of the same number. A parser that stopped at them would
//! leave the rest of the message unread while the loader reads it.

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
    /// A group: the bytes between its start and end tags.
    Group(&'a [u8]),
}

/// Deepest nesting of groups read (protobuf's own recursion limit is 100).
pub const MAX_GROUP_DEPTH: usize = 64;

pub fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Why a field could not be read: `truncated` when the buffer ended inside
/// it (a head cut from a longer file may still be the format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PbError {
    pub msg: &'static str,
    pub truncated: bool,
}

fn bad(msg: &'static str) -> PbError {
    PbError {
        msg,
        truncated: false,
    }
}

fn cut(msg: &'static str) -> PbError {
    PbError {
        msg,
        truncated: true,
    }
}

/// A field key: its number and wire type. Number 0 and numbers past
/// protobuf's range make parsers fail.
fn key_at(b: &[u8], pos: &mut usize) -> Result<(u32, u8), PbError> {
    let key = varint(b, pos).ok_or_else(|| {
        if *pos >= b.len() {
            cut("truncated field key")
        } else {
            bad("overlong field key")
        }
    })?;
    let field = key >> 3;
    if field == 0 || field > (1 << 29) - 1 {
        return Err(bad("invalid field number"));
    }
    Ok((field as u32, (key & 7) as u8))
}

/// The field starting at `pos` (whose key was read as `field`, `wire`),
/// leaving `pos` after it. `depth`: groups already open around it.
fn value_at<'a>(
    b: &'a [u8],
    pos: &mut usize,
    field: u32,
    wire: u8,
    depth: usize,
) -> Result<Value<'a>, PbError> {
    Ok(match wire {
        0 => Value::Varint(varint(b, pos).ok_or_else(|| {
            if *pos >= b.len() {
                cut("truncated varint")
            } else {
                bad("overlong varint")
            }
        })?),
        1 => {
            let s = b.get(*pos..*pos + 8).ok_or(cut("truncated fixed64"))?;
            *pos += 8;
            Value::Fixed64(u64::from_le_bytes(
                s.try_into().map_err(|_| bad("fixed64"))?,
            ))
        }
        2 => {
            let n = varint(b, pos).ok_or(cut("truncated length"))?;
            let end = pos
                .checked_add(usize::try_from(n).unwrap_or(usize::MAX))
                .filter(|&e| e <= b.len())
                .ok_or(cut("length runs past the message"))?;
            let s = &b[*pos..end];
            *pos = end;
            Value::Bytes(s)
        }
        5 => {
            let s = b.get(*pos..*pos + 4).ok_or(cut("truncated fixed32"))?;
            *pos += 4;
            Value::Fixed32(u32::from_le_bytes(
                s.try_into().map_err(|_| bad("fixed32"))?,
            ))
        }
        3 => {
            if depth >= MAX_GROUP_DEPTH {
                return Err(bad("groups nested too deeply"));
            }
            let start = *pos;
            loop {
                let at = *pos;
                if at >= b.len() {
                    return Err(cut("group without its end"));
                }
                let (n, w) = key_at(b, pos)?;
                if w == 4 {
                    if n != field {
                        return Err(bad("end group does not match its start"));
                    }
                    break Value::Group(&b[start..at]);
                }
                value_at(b, pos, n, w, depth + 1)?;
            }
        }
        4 => return Err(bad("end group without a start")),
        _ => return Err(bad("invalid wire type")),
    })
}

/// Read the field at `pos` and advance past it.
pub fn field_at<'a>(b: &'a [u8], pos: &mut usize) -> Result<(u32, Value<'a>), PbError> {
    let (field, wire) = key_at(b, pos)?;
    let v = value_at(b, pos, field, wire, 0)?;
    Ok((field, v))
}

/// Iterate the fields of a message; `Err` at the first malformed field.
/// Groups are yielded whole as [`Value::Group`].
pub fn fields(b: &[u8]) -> Fields<'_> {
    Fields {
        b,
        pos: 0,
        failed: false,
    }
}

pub struct Fields<'a> {
    b: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), String>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.b.len() {
            return None;
        }
        let start = self.pos;
        match field_at(self.b, &mut self.pos) {
            Ok(f) => Some(Ok(f)),
            Err(e) => {
                self.failed = true;
                Some(Err(format!("{} at byte {start}", e.msg)))
            }
        }
    }
}

/// Whether `b` parses as a message to its end.
pub fn parses(b: &[u8]) -> bool {
    fields(b).all(|f| f.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(b: &[u8]) -> Vec<Result<(u32, String), String>> {
        fields(b)
            .map(|f| f.map(|(n, v)| (n, format!("{v:?}"))))
            .collect()
    }

    #[test]
    fn groups_are_skipped_whole_and_reading_goes_on() {
        // group 99 {}, then field 1 "a".
        let mut b = vec![0x9b, 0x06, 0x9c, 0x06];
        b.extend_from_slice(&[0x0a, 1, b'a']);
        let got = all(&b);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].as_ref().unwrap().1.starts_with("Group"));
        assert_eq!(got[1].as_ref().unwrap().0, 1);
        // Nested groups with fields inside: group 2 { varint 1, group 3 {
        // bytes 4 "xy" } }, then field 5.
        let b = [
            0x13, 0x08, 0x01, 0x1b, 0x22, 2, b'x', b'y', 0x1c, 0x14, 0x28, 7,
        ];
        let got = all(&b);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].as_ref().unwrap().0, 5);
    }

    #[test]
    fn malformed_groups_are_errors() {
        // End without start, mismatched end, no end, too deep.
        assert!(all(&[0x0c]).iter().any(|f| f.is_err()));
        assert!(all(&[0x0b, 0x14]).iter().any(|f| f.is_err()));
        assert!(all(&[0x0b, 0x08, 0x01]).iter().any(|f| f.is_err()));
        let mut deep = vec![0x0b; MAX_GROUP_DEPTH + 1];
        deep.extend(vec![0x0c; MAX_GROUP_DEPTH + 1]);
        assert!(all(&deep).iter().any(|f| f.is_err()));
        let mut ok = vec![0x0b; MAX_GROUP_DEPTH];
        ok.extend(vec![0x0c; MAX_GROUP_DEPTH]);
        assert!(parses(&ok));
        // Field number 0, wire types 6 and 7.
        assert!(!parses(&[0x00, 0x01]));
        assert!(!parses(&[0x0e]));
        assert!(!parses(&[0x0f]));
    }

    #[test]
    fn truncation_is_told_apart() {
        let mut pos = 0;
        assert!(field_at(&[0x0a, 5, b'a'], &mut pos).unwrap_err().truncated);
        let mut pos = 0;
        assert!(!field_at(&[0x0e], &mut pos).unwrap_err().truncated);
    }
}

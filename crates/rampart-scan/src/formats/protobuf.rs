//! Minimal protobuf wire-format walking: enough to read the few fields the
//! ONNX and TensorFlow checks need, bounded and without a schema compiler.

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

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

/// Iterate the fields of a message; `Err` at the first malformed field.
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
        let r = (|| {
            let key = varint(self.b, &mut self.pos).ok_or("truncated field key")?;
            let field = (key >> 3) as u32;
            let v = match key & 7 {
                0 => Value::Varint(varint(self.b, &mut self.pos).ok_or("truncated varint")?),
                1 => {
                    let s = self
                        .b
                        .get(self.pos..self.pos + 8)
                        .ok_or("truncated fixed64")?;
                    self.pos += 8;
                    Value::Fixed64(u64::from_le_bytes(s.try_into().map_err(|_| "fixed64")?))
                }
                2 => {
                    let n = varint(self.b, &mut self.pos).ok_or("truncated length")? as usize;
                    let end = self
                        .pos
                        .checked_add(n)
                        .filter(|&e| e <= self.b.len())
                        .ok_or("length runs past the message")?;
                    let s = &self.b[self.pos..end];
                    self.pos = end;
                    Value::Bytes(s)
                }
                5 => {
                    let s = self
                        .b
                        .get(self.pos..self.pos + 4)
                        .ok_or("truncated fixed32")?;
                    self.pos += 4;
                    Value::Fixed32(u32::from_le_bytes(s.try_into().map_err(|_| "fixed32")?))
                }
                w => return Err(format!("unsupported wire type {w}")),
            };
            Ok((field, v))
        })();
        if let Err(e) = &r {
            self.failed = true;
            return Some(Err(format!("{e} at byte {start}")));
        }
        Some(r)
    }
}

//! Streaming, bounded reading of tabular datasets: CSV/TSV, JSONL, JSON
//! arrays of records and Parquet (the `parquet` crate's record API, row
//! group by row group; behind the default-on `parquet` feature). Arrow IPC
//! is recognised by magic; reading its contents is not built in (a clear
//! error says so).
//!
//! Memory stays bounded: rows are handed to a callback one at a time, a
//! line longer than [`Limits::max_line_bytes`] is skipped (JSONL) or stops
//! the read with an error (CSV, where a record cannot be resynchronised),
//! and JSON arrays are streamed element by element.

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Tsv,
    Jsonl,
    Json,
    Parquet,
    Arrow,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }
}

/// Decide the format from content first, then the extension.
pub fn detect_format(path: &Path) -> Result<Format, String> {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if head.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    if head.starts_with(b"ARROW1") {
        return Ok(Format::Arrow);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if crate::sniff::looks_binary(&head) {
        return Err(format!(
            "{}: binary content, not a CSV/JSON dataset",
            path.display()
        ));
    }
    match ext.as_str() {
        "csv" => return Ok(Format::Csv),
        "tsv" | "tab" => return Ok(Format::Tsv),
        "jsonl" | "ndjson" => return Ok(Format::Jsonl),
        "json" => {
            let first = head.iter().find(|b| !b.is_ascii_whitespace());
            return Ok(if first == Some(&b'[') {
                Format::Json
            } else {
                Format::Jsonl
            });
        }
        _ => {}
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Ok(Format::Json),
        Some(b'{') => Ok(Format::Jsonl),
        _ => Ok(Format::Csv),
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest line accepted (bytes).
    pub max_line_bytes: usize,
    /// Stop after this many rows (`None`: all).
    pub max_rows: Option<u64>,
    /// Row errors kept verbatim (the rest are counted).
    pub max_errors_kept: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 16 * 1024 * 1024,
            max_rows: None,
            max_errors_kept: 100,
        }
    }
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line where the problem is, when known.
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadStats {
    pub rows: u64,
    pub bytes: u64,
    pub errors: Vec<RowError>,
    pub error_count: u64,
    /// Why the read stopped before the end, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl ReadStats {
    fn error(&mut self, keep: usize, line: u64, message: String) {
        self.error_count += 1;
        if self.errors.len() < keep {
            self.errors.push(RowError { line, message });
        }
    }
}

/// One record, borrowed from the reader.
pub enum Record<'a> {
    Csv {
        headers: &'a [String],
        rec: &'a csv::ByteRecord,
    },
    Json(&'a Value),
    /// A JSON line read by [`FlatLine`]; the [`Value`] is parsed only when
    /// asked for ([`Record::get`], [`Record::json`]).
    JsonLine {
        fields: &'a FlatFields<'a>,
        raw: &'a [u8],
        value: &'a std::cell::OnceCell<Value>,
    },
    #[cfg(feature = "parquet")]
    Parquet(&'a parquet::record::Row),
}

#[cfg(feature = "parquet")]
mod pq {
    //! Parquet rows as column/value pairs: nested groups become dotted
    //! names (4 levels, as JSON), list elements and map values are reported
    //! under their column, scalars in their display form.

    use parquet::record::{Field, Row};
    use std::borrow::Cow;

    pub fn scalar(f: &Field) -> Option<Cow<'_, str>> {
        match f {
            Field::Null => None,
            Field::Str(s) => Some(Cow::Borrowed(s.as_str())),
            Field::Bytes(b) => Some(String::from_utf8_lossy(b.data())),
            Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) => None,
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    pub fn flatten<'v>(
        prefix: &mut String,
        f: &'v Field,
        depth: usize,
        out: &mut dyn FnMut(&str, Cow<'v, str>),
    ) {
        let name = |p: &String| {
            if p.is_empty() {
                "value".to_string()
            } else {
                p.clone()
            }
        };
        match f {
            Field::Group(r) if depth < 4 => row(prefix, r, depth + 1, out),
            Field::ListInternal(l) if depth < 4 => {
                for e in l.elements() {
                    flatten(prefix, e, depth + 1, out);
                }
            }
            Field::MapInternal(m) if depth < 4 => {
                for (k, v) in m.entries() {
                    if let Some(k) = scalar(k) {
                        out(&name(prefix), k);
                    }
                    flatten(prefix, v, depth + 1, out);
                }
            }
            Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) => {}
            other => {
                if let Some(v) = scalar(other) {
                    out(&name(prefix), v);
                }
            }
        }
    }

    pub fn row<'v>(
        prefix: &mut String,
        r: &'v Row,
        depth: usize,
        out: &mut dyn FnMut(&str, Cow<'v, str>),
    ) {
        for (k, f) in r.get_column_iter() {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(k);
            flatten(prefix, f, depth, out);
            prefix.truncate(len);
        }
    }

    /// The row as a JSON object (for `data minimise`, which writes JSONL).
    pub fn to_json(r: &Row) -> serde_json::Value {
        serde_json::Value::Object(
            r.get_column_iter()
                .map(|(k, f)| (k.clone(), field_json(f, 0)))
                .collect(),
        )
    }

    fn field_json(f: &Field, depth: usize) -> serde_json::Value {
        use serde_json::Value;
        if depth > 16 {
            return Value::Null;
        }
        match f {
            Field::Null => Value::Null,
            Field::Bool(b) => Value::Bool(*b),
            Field::Byte(x) => Value::from(*x),
            Field::Short(x) => Value::from(*x),
            Field::Int(x) => Value::from(*x),
            Field::Long(x) => Value::from(*x),
            Field::UByte(x) => Value::from(*x),
            Field::UShort(x) => Value::from(*x),
            Field::UInt(x) => Value::from(*x),
            Field::ULong(x) => Value::from(*x),
            Field::Float(x) => Value::from(f64::from(*x)),
            Field::Double(x) => Value::from(*x),
            Field::Group(g) => Value::Object(
                g.get_column_iter()
                    .map(|(k, f)| (k.clone(), field_json(f, depth + 1)))
                    .collect(),
            ),
            Field::ListInternal(l) => Value::Array(
                l.elements()
                    .iter()
                    .map(|e| field_json(e, depth + 1))
                    .collect(),
            ),
            Field::MapInternal(m) => Value::Object(
                m.entries()
                    .iter()
                    .map(|(k, v)| {
                        (
                            scalar(k).map(|c| c.into_owned()).unwrap_or_default(),
                            field_json(v, depth + 1),
                        )
                    })
                    .collect(),
            ),
            other => scalar(other)
                .map(|c| Value::String(c.into_owned()))
                .unwrap_or(Value::Null),
        }
    }

    pub fn get<'v>(r: &'v Row, column: &str) -> Option<Cow<'v, str>> {
        let mut cur: &Row = r;
        let mut parts = column.split('.').peekable();
        while let Some(part) = parts.next() {
            let (_, f) = cur.get_column_iter().find(|(k, _)| k.as_str() == part)?;
            if parts.peek().is_none() {
                return scalar(f);
            }
            match f {
                Field::Group(g) => cur = g,
                _ => return None,
            }
        }
        None
    }
}

fn flatten<'v>(
    prefix: &mut String,
    v: &'v Value,
    depth: usize,
    f: &mut dyn FnMut(&str, Cow<'v, str>),
) {
    match v {
        Value::Object(m) if depth < 4 => {
            for (k, x) in m {
                let len = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(k);
                flatten(prefix, x, depth + 1, f);
                prefix.truncate(len);
            }
        }
        Value::String(s) => f(
            if prefix.is_empty() { "value" } else { prefix },
            Cow::Borrowed(s),
        ),
        Value::Null => {}
        other => f(
            if prefix.is_empty() { "value" } else { prefix },
            Cow::Owned(other.to_string()),
        ),
    }
}

/// One JSON line flattened in a single pass, strings without escapes
/// borrowed from the line: what [`flatten`] would report for the parsed
/// [`Value`], without building it. Parsing into a `Value` (a map and an
/// allocation per key and string) was a third of `data scan` on JSONL.
///
/// Objects with a repeated key (a `Value` keeps the last value at the first
/// key's position) or with more than [`MAX_FLAT_KEYS`] keys, and any
/// error, make [`FlatLine::parse`] give up, and the caller parses the line
/// into a `Value` instead, which also reports the error as before.
#[derive(Default)]
pub struct FlatLine {
    /// Field names, end to end (`names[a..b]`).
    names: String,
    /// Values that are not a borrowed string: unescaped strings, numbers,
    /// booleans, arrays and deep objects in their JSON form.
    owned: String,
    /// Keys of the objects being read, for the repeated-key check.
    keys: String,
    key_ends: Vec<usize>,
    prefix: String,
}

/// Keys per object checked for repeats (the check is quadratic).
const MAX_FLAT_KEYS: usize = 64;

#[derive(Clone, Copy)]
enum FlatVal<'a> {
    Line(&'a str),
    Owned(usize, usize),
}

/// The fields of one line: (name range, value).
pub struct FlatFields<'a> {
    line: &'a FlatLine,
    fields: Vec<((usize, usize), FlatVal<'a>)>,
}

impl FlatLine {
    /// Flatten `raw` (one JSON value); `None` when the caller must parse it
    /// into a [`Value`] (see the type's documentation).
    pub fn parse<'a>(&'a mut self, raw: &'a [u8], cap: usize) -> Option<FlatFields<'a>> {
        self.names.clear();
        self.owned.clear();
        self.keys.clear();
        self.key_ends.clear();
        self.prefix.clear();
        let mut fields = Vec::with_capacity(cap);
        let mut de = serde_json::Deserializer::from_slice(raw);
        let seed = FlatSeed {
            st: &mut *self,
            fields: &mut fields,
            depth: 0,
        };
        seed.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(FlatFields { line: self, fields })
    }
}

impl FlatFields<'_> {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn for_each(&self, f: &mut dyn FnMut(&str, Cow<'_, str>)) {
        for &((a, b), v) in &self.fields {
            let v = match v {
                FlatVal::Line(s) => s,
                FlatVal::Owned(x, y) => &self.line.owned[x..y],
            };
            f(&self.line.names[a..b], Cow::Borrowed(v));
        }
    }
}

struct FlatSeed<'s, 'a> {
    st: &'s mut FlatLine,
    fields: &'s mut Vec<((usize, usize), FlatVal<'a>)>,
    depth: usize,
}

impl<'a> FlatSeed<'_, 'a> {
    /// Record a value under the current prefix, as [`flatten`] names it.
    fn emit(&mut self, v: FlatVal<'a>) {
        let a = self.st.names.len();
        let name = if self.st.prefix.is_empty() {
            "value"
        } else {
            self.st.prefix.as_str()
        };
        self.st.names.push_str(name);
        self.fields.push(((a, self.st.names.len()), v));
    }

    /// Numbers in `Value`'s form (its `Display`, not `f64`'s).
    fn emit_number(&mut self, n: serde_json::Number) {
        use std::fmt::Write;
        let a = self.st.owned.len();
        let _ = write!(self.st.owned, "{n}");
        let b = self.st.owned.len();
        self.emit(FlatVal::Owned(a, b));
    }

    fn emit_owned(&mut self, s: &str) {
        let a = self.st.owned.len();
        self.st.owned.push_str(s);
        let b = self.st.owned.len();
        self.emit(FlatVal::Owned(a, b));
    }
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for FlatSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for FlatSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, fm: &mut std::fmt::Formatter) -> std::fmt::Result {
        fm.write_str("a JSON value")
    }
    fn visit_bool<E: serde::de::Error>(mut self, v: bool) -> Result<(), E> {
        self.emit_owned(if v { "true" } else { "false" });
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(mut self, v: i64) -> Result<(), E> {
        self.emit_number(serde_json::Number::from(v));
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(mut self, v: u64) -> Result<(), E> {
        self.emit_number(serde_json::Number::from(v));
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(mut self, v: f64) -> Result<(), E> {
        // As `Value`: a float JSON cannot hold is null.
        if let Some(n) = serde_json::Number::from_f64(v) {
            self.emit_number(n);
        }
        Ok(())
    }
    fn visit_borrowed_str<E: serde::de::Error>(mut self, v: &'de str) -> Result<(), E> {
        self.emit(FlatVal::Line(v));
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(mut self, v: &str) -> Result<(), E> {
        self.emit_owned(v);
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<(), A::Error> {
        // Arrays are reported whole, in their JSON form, as `flatten` does.
        let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        self.emit_owned(&v.to_string());
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= 4 {
            let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            self.emit_owned(&v.to_string());
            return Ok(());
        }
        let first_key = self.st.key_ends.len();
        let keys_start = self.st.keys.len();
        while map.next_key_seed(KeySeed(&mut self.st.keys))?.is_some() {
            let kb = self.st.keys.len();
            let ka = if self.st.key_ends.len() > first_key {
                self.st.key_ends[self.st.key_ends.len() - 1]
            } else {
                keys_start
            };
            let key = &self.st.keys[ka..kb];
            let seen = self.st.key_ends.len() - first_key;
            let mut start = keys_start;
            for &end in &self.st.key_ends[first_key..] {
                if &self.st.keys[start..end] == key {
                    return Err(serde::de::Error::custom("repeated key"));
                }
                start = end;
            }
            if seen >= MAX_FLAT_KEYS {
                return Err(serde::de::Error::custom("too many keys"));
            }
            self.st.key_ends.push(kb);
            let len = self.st.prefix.len();
            if !self.st.prefix.is_empty() {
                self.st.prefix.push('.');
            }
            self.st.prefix.push_str(&self.st.keys[ka..kb]);
            map.next_value_seed(FlatSeed {
                st: &mut *self.st,
                fields: &mut *self.fields,
                depth: self.depth + 1,
            })?;
            self.st.prefix.truncate(len);
        }
        self.st.key_ends.truncate(first_key);
        self.st.keys.truncate(keys_start);
        Ok(())
    }
}

/// Appends a map key to the key buffer.
struct KeySeed<'s>(&'s mut String);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = ();
    fn expecting(&self, fm: &mut std::fmt::Formatter) -> std::fmt::Result {
        fm.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
}

impl Record<'_> {
    /// Call `f(column, value)` for every non-null field (JSON objects are
    /// flattened to dotted paths, up to 4 levels).
    pub fn for_each_field(&self, f: &mut dyn FnMut(&str, Cow<'_, str>)) {
        match self {
            Record::Csv { headers, rec } => {
                for (i, raw) in rec.iter().enumerate() {
                    let col = headers.get(i).map(String::as_str).unwrap_or("");
                    let v = match std::str::from_utf8(raw) {
                        Ok(s) => Cow::Borrowed(s),
                        Err(_) => Cow::Owned(String::from_utf8_lossy(raw).into_owned()),
                    };
                    if col.is_empty() {
                        f(&format!("column{}", i + 1), v);
                    } else {
                        f(col, v);
                    }
                }
            }
            Record::Json(v) => {
                let mut p = String::new();
                flatten(&mut p, v, 0, f);
            }
            Record::JsonLine { fields, .. } => fields.for_each(f),
            #[cfg(feature = "parquet")]
            Record::Parquet(r) => {
                let mut p = String::new();
                pq::row(&mut p, r, 0, f);
            }
        }
    }

    /// The record as JSON when it is not CSV (a Parquet row is converted:
    /// groups become objects, lists arrays, numbers numbers).
    pub fn json(&self) -> Option<Cow<'_, Value>> {
        match self {
            Record::Csv { .. } => None,
            Record::Json(v) => Some(Cow::Borrowed(*v)),
            Record::JsonLine { raw, value, .. } => Some(Cow::Borrowed(line_value(raw, value))),
            #[cfg(feature = "parquet")]
            Record::Parquet(r) => Some(Cow::Owned(pq::to_json(r))),
        }
    }

    /// The value of one column (a dotted path for JSON).
    pub fn get(&self, column: &str) -> Option<Cow<'_, str>> {
        match self {
            Record::Csv { headers, rec } => {
                let i = headers.iter().position(|h| h == column)?;
                rec.get(i).map(String::from_utf8_lossy)
            }
            Record::Json(v) => json_get(v, column),
            Record::JsonLine { raw, value, .. } => json_get(line_value(raw, value), column),
            #[cfg(feature = "parquet")]
            Record::Parquet(r) => pq::get(r, column),
        }
    }
}

/// The parsed value of a line [`FlatLine`] read (so it parses).
fn line_value<'v>(raw: &[u8], value: &'v std::cell::OnceCell<Value>) -> &'v Value {
    value.get_or_init(|| serde_json::from_slice(raw).unwrap_or(Value::Null))
}

/// The value at a dotted path.
fn json_get<'v>(v: &'v Value, column: &str) -> Option<Cow<'v, str>> {
    let mut cur = v;
    for part in column.split('.') {
        cur = cur.get(part)?;
    }
    match cur {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// Fails a read once a single line grows past the limit, so a gigantic
/// line cannot make the CSV reader buffer it whole.
struct LineLimited<R> {
    inner: R,
    since_newline: usize,
    max: usize,
    line: u64,
}

impl<R: Read> Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // memchr rather than a byte loop: this runs over every byte read.
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &buf[..n]).chain(std::iter::once(n)) {
            self.since_newline += nl - start;
            if self.since_newline > self.max {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line {} is longer than {} bytes", self.line + 1, self.max),
                ));
            }
            if nl < n {
                self.since_newline = 0;
                self.line += 1;
            }
            start = nl + 1;
        }
        Ok(n)
    }
}

/// Read every record of `path`, calling `f(row, line, record)` (1-based).
/// Returning `ControlFlow::Break` stops the read.
pub fn read_records(
    path: &Path,
    format: Format,
    limits: &Limits,
    mut f: impl FnMut(u64, u64, Record<'_>) -> ControlFlow<()>,
) -> Result<ReadStats, String> {
    let file = File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut stats = ReadStats {
        bytes,
        ..Default::default()
    };
    match format {
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            read_parquet(path, file, limits, &mut stats, &mut f)?;
            Ok(stats)
        }
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => Err(format!(
            "{}: parquet contents cannot be read by this build (built without the `parquet` feature); convert to CSV/JSONL",
            path.display()
        )),
        Format::Arrow => Err(format!(
            "{}: arrow (IPC/Feather) contents cannot be read by this build (detected by magic bytes); convert to Parquet, CSV or JSONL",
            path.display()
        )),
        Format::Csv | Format::Tsv => {
            let reader = LineLimited { inner: BufReader::with_capacity(1 << 20, file), since_newline: 0, max: limits.max_line_bytes, line: 0 };
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(if format == Format::Tsv { b'\t' } else { b',' })
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_reader(reader);
            let headers: Vec<String> = match rdr.byte_headers() {
                Ok(h) => h.iter().map(|x| String::from_utf8_lossy(x).trim().to_string()).collect(),
                Err(e) => return Err(format!("{}: cannot read the header row: {e}", path.display())),
            };
            let mut rec = csv::ByteRecord::new();
            loop {
                match rdr.read_byte_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {
                        stats.rows += 1;
                        let line = rec.position().map(|p| p.line()).unwrap_or(0);
                        if rec.len() != headers.len() {
                            stats.error(limits.max_errors_kept, line, format!("row {} has {} fields, the header has {}", stats.rows, rec.len(), headers.len()));
                        }
                        if f(stats.rows, line, Record::Csv { headers: &headers, rec: &rec }).is_break() {
                            stats.stopped = Some("stopped by caller".into());
                            break;
                        }
                        if limits.max_rows.is_some_and(|m| stats.rows >= m) {
                            stats.stopped = Some(format!("row limit {} reached", stats.rows));
                            break;
                        }
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                        stats.error(limits.max_errors_kept, line, e.to_string());
                        if fatal {
                            stats.stopped = Some(format!("read stopped: {e}"));
                            break;
                        }
                    }
                }
            }
            Ok(stats)
        }
        Format::Jsonl => {
            let mut r = BufReader::with_capacity(1 << 20, file);
            let mut buf = Vec::new();
            let mut line = 0u64;
            let mut flat = FlatLine::default();
            let mut cap = 8;
            loop {
                buf.clear();
                let n = (&mut r).take(limits.max_line_bytes as u64 + 1).read_until(b'\n', &mut buf).map_err(|e| format!("{}: read error: {e}", path.display()))?;
                if n == 0 {
                    break;
                }
                line += 1;
                if buf.len() > limits.max_line_bytes && buf.last() != Some(&b'\n') {
                    // Skip the rest of the gigantic line without buffering it.
                    loop {
                        let avail = r.fill_buf().map_err(|e| format!("{}: read error: {e}", path.display()))?;
                        if avail.is_empty() {
                            break;
                        }
                        match memchr::memchr(b'\n', avail) {
                            Some(i) => {
                                r.consume(i + 1);
                                break;
                            }
                            None => {
                                let l = avail.len();
                                r.consume(l);
                            }
                        }
                    }
                    stats.error(limits.max_errors_kept, line, format!("line {line} is longer than {} bytes; skipped", limits.max_line_bytes));
                    continue;
                }
                let trimmed = buf.trim_ascii();
                if trimmed.is_empty() {
                    continue;
                }
                let (value, fields);
                let cell = std::cell::OnceCell::new();
                let rec = match flat.parse(trimmed, cap) {
                    Some(fl) => {
                        cap = fl.len();
                        fields = fl;
                        Record::JsonLine { fields: &fields, raw: trimmed, value: &cell }
                    }
                    None => match serde_json::from_slice::<Value>(trimmed) {
                        Ok(v) => {
                            value = v;
                            Record::Json(&value)
                        }
                        Err(e) => {
                            stats.error(limits.max_errors_kept, line, format!("line {line}: invalid JSON: {e}"));
                            continue;
                        }
                    },
                };
                stats.rows += 1;
                if f(stats.rows, line, rec).is_break() {
                    stats.stopped = Some("stopped by caller".into());
                    break;
                }
                if limits.max_rows.is_some_and(|m| stats.rows >= m) {
                    stats.stopped = Some(format!("row limit {} reached", stats.rows));
                    break;
                }
            }
            Ok(stats)
        }
        Format::Json => {
            struct Elements<'s, F> {
                f: &'s mut F,
                stats: &'s mut ReadStats,
                max_rows: Option<u64>,
            }
            impl<'de, F: FnMut(u64, u64, Record<'_>) -> ControlFlow<()>> Visitor<'de> for Elements<'_, F> {
                type Value = ();
                fn expecting(&self, fm: &mut std::fmt::Formatter) -> std::fmt::Result {
                    fm.write_str("a JSON array of records")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                    while let Some(v) = seq.next_element::<Value>()? {
                        self.stats.rows += 1;
                        if (self.f)(self.stats.rows, 0, Record::Json(&v)).is_break() {
                            self.stats.stopped = Some("stopped by caller".into());
                            // Drain the rest without keeping it.
                            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                            return Ok(());
                        }
                        if self.max_rows.is_some_and(|m| self.stats.rows >= m) {
                            self.stats.stopped = Some(format!("row limit {} reached", self.stats.rows));
                            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                            return Ok(());
                        }
                    }
                    Ok(())
                }
            }
            impl<'de, F: FnMut(u64, u64, Record<'_>) -> ControlFlow<()>> DeserializeSeed<'de> for Elements<'_, F> {
                type Value = ();
                fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                    d.deserialize_seq(self)
                }
            }
            let reader = LineLimited { inner: BufReader::with_capacity(1 << 20, file), since_newline: 0, max: limits.max_line_bytes.max(64 * 1024 * 1024), line: 0 };
            let mut de = serde_json::Deserializer::from_reader(reader);
            let seed = Elements { f: &mut f, stats: &mut stats, max_rows: limits.max_rows };
            if let Err(e) = seed.deserialize(&mut de) {
                let msg = format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column());
                stats.error(limits.max_errors_kept, e.line() as u64, msg.clone());
                stats.stopped = Some(msg);
            }
            Ok(stats)
        }
    }
}

/// Largest uncompressed column chunk accepted, so a lying footer cannot make
/// the reader allocate gigabytes for one page.
#[cfg(feature = "parquet")]
const MAX_PARQUET_CHUNK: i64 = 1 << 30;

thread_local! {
    static IN_GUARDED_DECODER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside the Parquet decoder, whose panics the
/// reader catches and reports as an error naming the file. A panic hook can
/// stay quiet for those (the binary's hook prints nothing for them; the
/// fuzz target does not count them as crashes) and keep reporting every
/// other panic.
pub fn in_guarded_decoder() -> bool {
    IN_GUARDED_DECODER.with(std::cell::Cell::get)
}

/// Marks the guarded region for [`in_guarded_decoder`].
#[cfg(feature = "parquet")]
struct DecoderGuard(bool);

#[cfg(feature = "parquet")]
impl DecoderGuard {
    fn enter() -> DecoderGuard {
        DecoderGuard(IN_GUARDED_DECODER.with(|g| g.replace(true)))
    }
}

#[cfg(feature = "parquet")]
impl Drop for DecoderGuard {
    fn drop(&mut self) {
        let outer = self.0;
        IN_GUARDED_DECODER.with(|g| g.set(outer));
    }
}

/// Read a Parquet file row by row. The footer is checked before any page is
/// decoded; a panic inside the decoder (malformed input the library does not
/// anticipate) becomes an error naming the file, as does any read error.
#[cfg(feature = "parquet")]
fn read_parquet(
    path: &Path,
    file: File,
    limits: &Limits,
    stats: &mut ReadStats,
    f: &mut dyn FnMut(u64, u64, Record<'_>) -> ControlFlow<()>,
) -> Result<(), String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let name = path.display().to_string();
    let run = std::panic::AssertUnwindSafe(|| -> Result<(), String> {
        // Reset on return and on unwind alike.
        let _guard = DecoderGuard::enter();
        let reader = SerializedFileReader::new(file)
            .map_err(|e| format!("{name}: invalid Parquet footer: {e}"))?;
        let meta = reader.metadata();
        for (i, rg) in meta.row_groups().iter().enumerate() {
            for c in rg.columns() {
                if c.uncompressed_size() < 0 || c.uncompressed_size() > MAX_PARQUET_CHUNK {
                    return Err(format!(
                        "{name}: row group {i}, column `{}`: uncompressed size {} is out of bounds (limit {MAX_PARQUET_CHUNK} bytes)",
                        c.column_path(),
                        c.uncompressed_size()
                    ));
                }
            }
        }
        let rows = reader
            .get_row_iter(None)
            .map_err(|e| format!("{name}: cannot read Parquet rows: {e}"))?;
        for row in rows {
            match row {
                Ok(r) => {
                    stats.rows += 1;
                    // Parquet has no lines; the row number stands in.
                    if f(stats.rows, stats.rows, Record::Parquet(&r)).is_break() {
                        stats.stopped = Some("stopped by caller".into());
                        break;
                    }
                    if limits.max_rows.is_some_and(|m| stats.rows >= m) {
                        stats.stopped = Some(format!("row limit {} reached", stats.rows));
                        break;
                    }
                }
                Err(e) => {
                    // Pages cannot be resynchronised: keep what was read.
                    let msg = format!("row {}: {e}", stats.rows + 1);
                    stats.error(limits.max_errors_kept, stats.rows + 1, msg.clone());
                    stats.stopped = Some(format!("read stopped: {msg}"));
                    break;
                }
            }
        }
        Ok(())
    });
    match std::panic::catch_unwind(run) {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("decoder panic");
            Err(format!(
                "{name}: malformed Parquet (the decoder gave up after {} rows: {})",
                stats.rows,
                rampart_core::redact::truncate(why, 200)
            ))
        }
    }
}

/// Read the first `n` records into owned column/value lists (for sampling).
pub fn sample(path: &Path, format: Format, n: u64) -> Result<Vec<Vec<(String, String)>>, String> {
    let mut out = Vec::new();
    read_records(
        path,
        format,
        &Limits {
            max_rows: Some(n),
            ..Default::default()
        },
        |_, _, rec| {
            let mut row = Vec::new();
            rec.for_each_field(&mut |c, v| row.push((c.to_string(), v.into_owned())));
            out.push(row);
            ControlFlow::Continue(())
        },
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Reads in chunks of `chunk` bytes; the error, if any, and its line.
    fn line_limited(text: &str, max: usize, chunk: usize) -> Result<(), String> {
        let mut r = LineLimited {
            inner: text.as_bytes(),
            since_newline: 0,
            max,
            line: 0,
        };
        let mut buf = vec![0u8; chunk];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    #[test]
    fn line_limit_counts_across_reads() {
        let t = "abc\nabcde\n\nabcdef\nab";
        for chunk in [1, 2, 3, 5, 7, 64] {
            assert_eq!(line_limited(t, 6, chunk), Ok(()), "chunk {chunk}");
            assert_eq!(
                line_limited(t, 5, chunk),
                Err("line 4 is longer than 5 bytes".into()),
                "chunk {chunk}"
            );
            assert_eq!(
                line_limited("abcdef", 5, chunk),
                Err("line 1 is longer than 5 bytes".into()),
                "chunk {chunk}"
            );
        }
    }

    fn via_value(raw: &str) -> Vec<(String, String)> {
        let v: Value = serde_json::from_str(raw).unwrap();
        let mut out = Vec::new();
        Record::Json(&v).for_each_field(&mut |c, x| out.push((c.to_string(), x.into_owned())));
        out
    }

    fn via_flat(flat: &mut FlatLine, raw: &str) -> Option<Vec<(String, String)>> {
        let fields = flat.parse(raw.as_bytes(), 4)?;
        let mut out = Vec::new();
        fields.for_each(&mut |c, x| out.push((c.to_string(), x.into_owned())));
        Some(out)
    }

    #[test]
    fn flat_json_lines_equal_the_parsed_value() {
        let mut flat = FlatLine::default();
        let mut lines: Vec<String> = [
            r#"{"id": 7, "prompt": "call +1 415 555 0132", "meta": {"ip": "10.0.0.1", "n": -3}, "label": "benign"}"#,
            r#"{"a": "esc\"aped\n\u00e9", "b": 1.5, "c": 1e21, "d": -0.0, "e": true, "f": null, "g": [1, "x", {"y": 2}], "h": {}}"#,
            r#"{"l1": {"l2": {"l3": {"l4": {"l5": "deep"}, "s": "x"}}}, "": "empty key", "k": {"": 1}}"#,
            r#"{"x.y": "dotted", "x": {"y": "nested"}, "big": 18446744073709551615, "neg": -9223372036854775808}"#,
            r#""just a string""#,
            r#"[1, 2, {"a": 3}]"#,
            r#"42"#,
            r#"null"#,
            r#"{"u": "\ud83d\ude00 emoji", "t": "tab\tin"}"#,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Generated records: nesting, key orders, numbers and escapes.
        let mut seed: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let mut v = serde_json::Map::new();
            for k in 0..(next() % 6) {
                let key = ["a", "b", "meta", "text", "é", "a.b"][(next() % 6) as usize];
                let val = match next() % 7 {
                    0 => Value::from(next() as i64),
                    1 => Value::from((next() % 1000) as f64 / 7.0),
                    2 => Value::from(format!("v{k} \"q\" \\ ü")),
                    3 => serde_json::json!({"in": {"deeper": [k, null]}, "s": "x"}),
                    4 => Value::Null,
                    5 => Value::Bool(next() % 2 == 0),
                    _ => serde_json::json!([]),
                };
                v.insert(key.to_string(), val);
            }
            lines.push(Value::Object(v).to_string());
        }
        for l in &lines {
            assert_eq!(via_flat(&mut flat, l), Some(via_value(l)), "{l}");
        }
        // A repeated key (a `Value` keeps the last value at the first
        // key's place) and bad lines go to the `Value` parser.
        for l in [
            r#"{"a": 1, "b": 2, "a": null}"#,
            r#"{"a": 1"#,
            r#"{"a": 1} x"#,
            "{\"a\": \"\\ud800\"}",
        ] {
            assert_eq!(via_flat(&mut flat, l), None, "{l}");
        }
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        assert_eq!(
            via_flat(&mut flat, &format!("{{{}}}", many.join(","))),
            None
        );
    }

    #[test]
    fn json_lines_keep_get_and_json_through_the_flat_reader() {
        let d = tempfile::tempdir().unwrap();
        let jl = d.path().join("a.jsonl");
        std::fs::write(
            &jl,
            "{\"a\": {\"b\": \"x\"}, \"n\": [1, 2]}\n{\"a\": 1, \"a\": {\"b\": \"dup\"}}\n",
        )
        .unwrap();
        let mut got = Vec::new();
        read_records(&jl, Format::Jsonl, &Limits::default(), |_, _, rec| {
            got.push((
                rec.get("a.b").map(|c| c.into_owned()),
                rec.get("n").map(|c| c.into_owned()),
                rec.json().unwrap().into_owned(),
            ));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(got[0].0.as_deref(), Some("x"));
        assert_eq!(got[0].1.as_deref(), Some("[1,2]"));
        assert_eq!(got[0].2, serde_json::json!({"a": {"b": "x"}, "n": [1, 2]}));
        assert_eq!(got[1].0.as_deref(), Some("dup"));
    }

    #[test]
    fn reads_csv_jsonl_json_and_survives_bad_rows() {
        let d = tempfile::tempdir().unwrap();
        let csv_p = d.path().join("a.csv");
        std::fs::write(&csv_p, "text,label\nhello,1\n\"multi\nline\",0\nshort\n").unwrap();
        let mut rows = Vec::new();
        let st = read_records(&csv_p, Format::Csv, &Limits::default(), |r, _, rec| {
            rows.push((r, rec.get("text").map(|c| c.into_owned())));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(st.rows, 3);
        assert_eq!(rows[1].1.as_deref(), Some("multi\nline"));
        assert_eq!(st.error_count, 1, "the short row is reported");

        let jl = d.path().join("a.jsonl");
        let mut f = File::create(&jl).unwrap();
        writeln!(f, "{{\"a\": {{\"b\": \"x\"}}, \"n\": 3}}").unwrap();
        writeln!(f, "{{broken").unwrap();
        writeln!(f, "{{\"a\": {{\"b\": \"{}\"}}}}", "y".repeat(5000)).unwrap();
        writeln!(f, "{{\"a\": {{\"b\": \"z\"}}}}").unwrap();
        drop(f);
        let mut vals = Vec::new();
        let st = read_records(
            &jl,
            Format::Jsonl,
            &Limits {
                max_line_bytes: 1000,
                ..Default::default()
            },
            |_, _, rec| {
                vals.push(rec.get("a.b").unwrap().into_owned());
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert_eq!(vals, ["x", "z"]);
        assert_eq!(st.error_count, 2);

        let js = d.path().join("a.json");
        std::fs::write(&js, r#"[{"t": "a"}, {"t": "b"}, "#).unwrap();
        let mut n = 0;
        let st = read_records(&js, Format::Json, &Limits::default(), |_, _, _| {
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(n, 2);
        assert!(st.stopped.is_some());
    }
}

//! `rampart data minimise`: a training copy with personal data removed.
//!
//! Per column: **drop** it, **mask** it (the value becomes `[MASKED]`) or
//! **tokenise** it (`tok_` + the first 16 hex digits of HMAC-SHA256 under a
//! key, so equal values stay joinable without being readable). With
//! `auto`, every other text value has its detected PII and secrets replaced
//! by placeholders (`[EMAIL]`, `[SECRET]`...). CSV stays CSV; JSON, JSONL and Parquet
//! become JSONL.

use super::pii;
use super::table::{self, Format, Limits, ReadStats, Record};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Drop,
    Mask,
    Tokenise,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Column (dotted path for JSON) -> action.
    pub actions: BTreeMap<String, Action>,
    /// Redact detected PII in all other text values.
    pub auto: bool,
    /// HMAC key for tokenisation.
    pub key: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub rows: u64,
    pub masked: u64,
    pub tokenised: u64,
    pub dropped_columns: Vec<String>,
    pub auto_redactions: u64,
    pub read: ReadStats,
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

pub fn token(key: &[u8], value: &str) -> String {
    format!(
        "tok_{}",
        &hex::encode(hmac_sha256(key, value.as_bytes()))[..16]
    )
}

struct Ctx<'a> {
    opts: &'a Options,
    stats: Stats,
    hits: Vec<pii::Hit>,
}

impl Ctx<'_> {
    fn apply(&mut self, col: &str, v: &str) -> Option<String> {
        match self.opts.actions.get(col) {
            Some(Action::Drop) => None,
            Some(Action::Mask) => {
                self.stats.masked += 1;
                Some("[MASKED]".into())
            }
            Some(Action::Tokenise) => {
                self.stats.tokenised += 1;
                Some(token(&self.opts.key, v))
            }
            None if self.opts.auto => {
                pii::find(v, &mut self.hits);
                if self.hits.is_empty() {
                    Some(v.to_string())
                } else {
                    self.stats.auto_redactions += self.hits.len() as u64;
                    Some(pii::redact(v, &self.hits))
                }
            }
            None => Some(v.to_string()),
        }
    }

    fn json(&mut self, prefix: &mut String, v: &mut Value, depth: usize) -> bool {
        // Returns false when the value must be removed.
        match v {
            Value::Object(m) if depth < 4 => {
                let keys: Vec<String> = m.keys().cloned().collect();
                for k in keys {
                    let len = prefix.len();
                    if !prefix.is_empty() {
                        prefix.push('.');
                    }
                    prefix.push_str(&k);
                    let keep = self.json(prefix, m.get_mut(&k).expect("key"), depth + 1);
                    if !keep {
                        m.remove(&k);
                    }
                    prefix.truncate(len);
                }
                true
            }
            Value::Null => true,
            other => {
                let col = if prefix.is_empty() {
                    "value"
                } else {
                    prefix.as_str()
                };
                let explicit = self.opts.actions.contains_key(col);
                let text = match &*other {
                    Value::String(s) => s.clone(),
                    x if explicit => x.to_string(),
                    _ => return true,
                };
                match self.apply(col, &text) {
                    None => false,
                    Some(n) => {
                        if n != text || explicit {
                            *other = Value::String(n);
                        }
                        true
                    }
                }
            }
        }
    }
}

/// Write a minimised copy of `input` to `output`.
pub fn minimise(
    input: &Path,
    output: &Path,
    opts: &Options,
    limits: &Limits,
) -> Result<Stats, String> {
    let format = table::detect_format(input)?;
    let file = std::fs::File::create(output)
        .map_err(|e| format!("{}: cannot create: {e}", output.display()))?;
    let mut file = Some(std::io::BufWriter::new(file));
    let mut ctx = Ctx {
        opts,
        stats: Stats::default(),
        hits: Vec::new(),
    };
    let mut csv_w: Option<csv::Writer<std::io::BufWriter<std::fs::File>>> = None;
    let mut keep_idx: Vec<usize> = Vec::new();
    let mut werr: Option<String> = None;
    let delim = if format == Format::Tsv { b'\t' } else { b',' };
    let read = table::read_records(input, format, limits, |_, _, rec| {
        ctx.stats.rows += 1;
        let r = match rec {
            Record::Csv { headers, rec } => {
                if csv_w.is_none() {
                    keep_idx = (0..headers.len())
                        .filter(|i| ctx.opts.actions.get(&headers[*i]) != Some(&Action::Drop))
                        .collect();
                    ctx.stats.dropped_columns = headers
                        .iter()
                        .filter(|h| ctx.opts.actions.get(*h) == Some(&Action::Drop))
                        .cloned()
                        .collect();
                    let Some(f) = file.take() else {
                        return ControlFlow::Break(());
                    };
                    let mut w = csv::WriterBuilder::new()
                        .delimiter(delim)
                        .flexible(true)
                        .from_writer(f);
                    let hdr: Vec<&str> = keep_idx.iter().map(|&i| headers[i].as_str()).collect();
                    if let Err(e) = w.write_record(&hdr) {
                        werr = Some(e.to_string());
                        return ControlFlow::Break(());
                    }
                    csv_w = Some(w);
                }
                let mut fields: Vec<String> = Vec::with_capacity(keep_idx.len());
                for &i in &keep_idx {
                    let raw = rec.get(i).unwrap_or(b"");
                    let v = String::from_utf8_lossy(raw);
                    if let Some(n) = ctx.apply(&headers[i], &v) {
                        fields.push(n);
                    }
                }
                csv_w
                    .as_mut()
                    .expect("writer")
                    .write_record(&fields)
                    .map_err(|e| e.to_string())
            }
            other => {
                let Some(v) = other.json() else {
                    return ControlFlow::Break(());
                };
                let mut v = v.into_owned();
                let mut p = String::new();
                ctx.json(&mut p, &mut v, 0);
                match file.as_mut() {
                    Some(out) => serde_json::to_writer(&mut *out, &v)
                        .map_err(|e| e.to_string())
                        .and_then(|_| out.write_all(b"\n").map_err(|e| e.to_string())),
                    None => Err("output already closed".to_string()),
                }
            }
        };
        match r {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                werr = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = werr {
        return Err(format!("{}: write error: {e}", output.display()));
    }
    if let Some(mut w) = csv_w {
        w.flush()
            .map_err(|e| format!("{}: write error: {e}", output.display()))?;
    }
    if let Some(mut f) = file {
        f.flush()
            .map_err(|e| format!("{}: write error: {e}", output.display()))?;
    }
    if format != Format::Csv && format != Format::Tsv {
        ctx.stats.dropped_columns = opts
            .actions
            .iter()
            .filter(|(_, a)| **a == Action::Drop)
            .map(|(c, _)| c.clone())
            .collect();
    }
    ctx.stats.read = read;
    Ok(ctx.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn minimises_csv_and_jsonl() {
        let d = tempfile::tempdir().unwrap();
        let i = d.path().join("in.csv");
        std::fs::write(
            &i,
            "name,email,note,id\nAnn,ann@corp.com,call 555-123-4567,7\nBob,bob@corp.com,ok,8\n",
        )
        .unwrap();
        let o = d.path().join("out.csv");
        let opts = Options {
            actions: BTreeMap::from([
                ("name".into(), Action::Drop),
                ("email".into(), Action::Tokenise),
            ]),
            auto: true,
            key: b"k".to_vec(),
        };
        let st = minimise(&i, &o, &opts, &Limits::default()).unwrap();
        let out = std::fs::read_to_string(&o).unwrap();
        assert!(out.starts_with("email,note,id\n"), "{out}");
        assert!(!out.contains("ann@corp.com") && !out.contains("Ann"));
        assert!(out.contains(&token(b"k", "ann@corp.com")));
        assert!(out.contains("call [PHONE]"));
        assert_eq!((st.rows, st.tokenised, st.auto_redactions), (2, 2, 1));

        let j = d.path().join("in.jsonl");
        std::fs::write(
            &j,
            "{\"user\": {\"mail\": \"x@y.io\", \"age\": 4}, \"text\": \"hi x@y.io\"}\n",
        )
        .unwrap();
        let o2 = d.path().join("out.jsonl");
        let opts = Options {
            actions: BTreeMap::from([("user.mail".into(), Action::Mask)]),
            auto: true,
            key: vec![],
        };
        minimise(&j, &o2, &opts, &Limits::default()).unwrap();
        let v: Value = serde_json::from_str(std::fs::read_to_string(&o2).unwrap().trim()).unwrap();
        assert_eq!(v["user"]["mail"], "[MASKED]");
        assert_eq!(v["user"]["age"], 4);
        assert_eq!(v["text"], "hi [EMAIL]");
    }
}

//! Static token embeddings: a WordPiece vocabulary with one fixed vector per
//! token, distilled from a sentence encoder (each token embedded alone, as
//! Model2Vec does), so that a text's meaning can be approximated by the mean
//! of its tokens' vectors with no encoder at inference.
//!
//! The linear classifiers use it as a dense feature block trained jointly
//! with the hashed n-grams ([`crate::linear::DenseBlock`]). Since their head
//! is linear and the pooling is a mean, the block folds into one number per
//! vocabulary token at load time ([`StaticTable::project`]): scoring costs a
//! table lookup per word piece, however many dimensions the table has. What
//! the vectors add over n-grams is generalisation: a word training never saw
//! still scores like the words its vector is close to.
//!
//! This module owns the table format, the tokenizer (BERT's uncased
//! WordPiece: greedy longest match with `##` continuations, accents
//! stripped) and the projection. The table is made by the
//! `static_table` example of `rampart-transformer` from a local model
//! directory; see `models/static-minilm.md` for its provenance.
//!
//! Format (`RMPSTE1`): magic, u32 LE header length, JSON header
//! ([`StaticMeta`]), then per vocabulary entry one length byte and its
//! UTF-8 bytes, then per entry an f32 LE scale and `dim` i8 components
//! (the row is `scale * q`).

use crate::linear::{read_prologue, write_prologue};
use crate::ModelError;
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 7] = b"RMPSTE1";

/// Longest token the tokenizer looks up, in chars: BERT vocabularies have
/// none longer, and it bounds the work per word.
const MAX_PIECE_CHARS: usize = 24;

/// Everything about a table except its vocabulary and rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaticMeta {
    /// Name models refer to the table by.
    pub name: String,
    /// The encoder it was distilled from, and the SHA-256 of its weights.
    pub source: String,
    pub source_sha256: String,
    pub dim: usize,
    pub vocab: usize,
    /// Id of `[UNK]`: a word no sequence of pieces covers.
    pub unk: u32,
    /// How the rows were made (pooling, projection), for the model card.
    pub method: String,
}

/// A vocabulary with one quantised vector per token.
#[derive(Debug, Clone)]
pub struct StaticTable {
    pub meta: StaticMeta,
    tokens: Vec<String>,
    scales: Vec<f32>,
    rows: Vec<i8>,
    /// Open addressing over (key hash, id + 1); 0 marks an empty slot.
    slots: Vec<(u64, u32)>,
    /// Each token's text as chars (without a `##` prefix), flat, and where
    /// each starts: a lookup compares two `u32` slices, no UTF-8 decoding.
    chars: Vec<u32>,
    char_at: Vec<u32>,
    /// Id of each ASCII symbol as a token of its own (`u32::MAX`: none).
    ascii: [u32; 128],
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// Seed of continuation pieces (`##ing`), so they never meet whole words.
const CONT: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline]
fn step(h: u64, c: u32) -> u64 {
    (h ^ u64::from(c)).wrapping_mul(FNV_PRIME)
}

#[inline]
fn mix(h: u64) -> u64 {
    h ^ (h >> 29) ^ (h >> 47)
}

/// A continuation piece (`##ing`); `##` alone is an ordinary token.
fn is_cont(token: &str) -> bool {
    token.len() > 2 && token.starts_with("##")
}

/// BERT uncased strips accents (NFD, combining marks dropped): `é` is `e`.
#[inline]
fn fold(c: u32) -> u32 {
    if c < 0x80 {
        return c;
    }
    let Some(ch) = char::from_u32(c) else {
        return c;
    };
    let mut base = None;
    unicode_normalization::char::decompose_canonical(ch, |d| {
        if base.is_none() && !unicode_normalization::char::is_combining_mark(d) {
            base = Some(d as u32);
        }
    });
    base.unwrap_or(c)
}

/// CJK ideographs, which BERT's basic tokenizer splits one per token.
#[inline]
fn is_cjk(c: u32) -> bool {
    matches!(c, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2CEAF
        | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

impl StaticTable {
    /// Build from parts (the table maker); checks the shapes.
    pub fn new(
        meta: StaticMeta,
        tokens: Vec<String>,
        scales: Vec<f32>,
        rows: Vec<i8>,
    ) -> Result<StaticTable, ModelError> {
        if tokens.len() != meta.vocab || scales.len() != meta.vocab {
            return Err(ModelError::Format(format!(
                "static table: {} tokens and {} scales for a vocabulary of {}",
                tokens.len(),
                scales.len(),
                meta.vocab
            )));
        }
        if meta.dim == 0 || meta.dim > 4096 || rows.len() != meta.vocab * meta.dim {
            return Err(ModelError::Format(format!(
                "static table: {} components for {} rows of dimension {}",
                rows.len(),
                meta.vocab,
                meta.dim
            )));
        }
        if meta.unk as usize >= meta.vocab {
            return Err(ModelError::Format(format!(
                "static table: [UNK] id {} outside the vocabulary",
                meta.unk
            )));
        }
        if scales.iter().any(|s| !s.is_finite()) {
            return Err(ModelError::Format(
                "static table: a row scale is not finite".into(),
            ));
        }
        let mut t = StaticTable {
            meta,
            tokens,
            scales,
            rows,
            slots: Vec::new(),
            chars: Vec::new(),
            char_at: Vec::new(),
            ascii: [u32::MAX; 128],
        };
        t.index();
        Ok(t)
    }

    fn key(token: &str) -> Option<u64> {
        let (seed, body) = if is_cont(token) {
            (CONT, &token[2..])
        } else {
            (FNV_OFFSET, token)
        };
        let mut h = seed;
        let mut n = 0;
        for c in body.chars() {
            h = step(h, c as u32);
            n += 1;
        }
        (n <= MAX_PIECE_CHARS).then_some(mix(h))
    }

    fn index(&mut self) {
        let mut chars = Vec::new();
        let mut char_at = Vec::with_capacity(self.tokens.len() + 1);
        for tok in &self.tokens {
            char_at.push(chars.len() as u32);
            let body = if is_cont(tok) {
                &tok[2..]
            } else {
                tok.as_str()
            };
            chars.extend(body.chars().map(|c| c as u32));
        }
        char_at.push(chars.len() as u32);
        self.chars = chars;
        self.char_at = char_at;
        let cap = (self.tokens.len() * 2).next_power_of_two().max(16);
        let mut slots = vec![(0u64, 0u32); cap];
        for (id, tok) in self.tokens.iter().enumerate() {
            let Some(k) = Self::key(tok) else { continue };
            let mut at = k as usize & (cap - 1);
            while slots[at].1 != 0 {
                // A duplicate token keeps its first id, as a HashMap built
                // in order would not: the first is BERT's.
                if slots[at].0 == k && self.tokens[slots[at].1 as usize - 1] == *tok {
                    break;
                }
                at = (at + 1) & (cap - 1);
            }
            if slots[at].1 == 0 {
                slots[at] = (k, id as u32 + 1);
            }
        }
        self.slots = slots;
        for c in 0..128u32 {
            let key = mix(step(FNV_OFFSET, c));
            if let Some(id) = self.lookup(key, &[c], false) {
                self.ascii[c as usize] = id;
            }
        }
    }

    /// Id of the piece `chars` (already folded), a continuation when `cont`.
    fn lookup(&self, key: u64, chars: &[u32], cont: bool) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = key as usize & mask;
        loop {
            let (k, id1) = self.slots[at];
            if id1 == 0 {
                return None;
            }
            if k == key {
                let id = id1 as usize - 1;
                let body = &self.chars[self.char_at[id] as usize..self.char_at[id + 1] as usize];
                // Keys are 64-bit hashes and carry the `##` seed: the text
                // decides, and the token's kind must match the lookup's.
                if body == chars && is_cont(&self.tokens[id]) == cont {
                    return Some(id1 - 1);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// Append the WordPiece ids of one word (chars, lower case) to `out`:
    /// greedy longest match, continuations marked `##`; a word no sequence
    /// of pieces covers is one `[UNK]`, as in BERT.
    pub fn word_pieces(&self, word: &[u32], out: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        // Words reach here capped at 32 chars (the feature pass and
        // `text_pieces` cap them).
        let mut buf = [0u32; 32];
        let n = word.len().min(buf.len());
        for (d, &c) in buf.iter_mut().zip(&word[..n]) {
            *d = fold(c);
        }
        let w = &buf[..n];
        // Most words of a prompt are whole vocabulary entries: one hash
        // and one lookup, before the piece-by-piece search.
        if n <= MAX_PIECE_CHARS {
            let h = w.iter().fold(FNV_OFFSET, |h, &c| step(h, c));
            if let Some(id) = self.lookup(mix(h), w, false) {
                out.push(id);
                return;
            }
        }
        let mark = out.len();
        let mut start = 0;
        while start < n {
            let seed = if start == 0 { FNV_OFFSET } else { CONT };
            let max = (n - start).min(MAX_PIECE_CHARS);
            // Prefix hashes forward once, then try the longest first.
            let mut keys = [0u64; MAX_PIECE_CHARS];
            let mut h = seed;
            for (k, &c) in keys.iter_mut().zip(&w[start..start + max]) {
                h = step(h, c);
                *k = h;
            }
            let mut found = None;
            for len in (1..=max).rev() {
                let key = mix(keys[len - 1]);
                if let Some(id) = self.lookup(key, &w[start..start + len], start > 0) {
                    found = Some((id, len));
                    break;
                }
            }
            match found {
                Some((id, len)) => {
                    out.push(id);
                    start += len;
                }
                None => {
                    out.truncate(mark);
                    out.push(self.meta.unk);
                    return;
                }
            }
        }
    }

    /// Append the ids of a punctuation run: BERT makes each symbol a token.
    pub fn punct_pieces(&self, chars: &[u32], out: &mut Vec<u32>) {
        for &c in chars {
            if c < 128 {
                let id = self.ascii[c as usize];
                if id != u32::MAX {
                    out.push(id);
                }
                continue;
            }
            let c = fold(c);
            let key = mix(step(FNV_OFFSET, c));
            if let Some(id) = self.lookup(key, &[c], false) {
                out.push(id);
            }
        }
    }

    /// Add row `id` to `acc`.
    pub fn add_row(&self, id: u32, acc: &mut [f32]) {
        let d = self.meta.dim;
        let i = id as usize;
        if i >= self.meta.vocab {
            return;
        }
        let s = self.scales[i];
        for (a, &q) in acc.iter_mut().zip(&self.rows[i * d..(i + 1) * d]) {
            *a += s * f32::from(q);
        }
    }

    /// The mean of the rows of `ids` (zeros for none).
    pub fn mean(&self, ids: &[u32]) -> Vec<f32> {
        let mut v = vec![0f32; self.meta.dim];
        for &id in ids {
            self.add_row(id, &mut v);
        }
        if !ids.is_empty() {
            let n = ids.len() as f32;
            v.iter_mut().for_each(|x| *x /= n);
        }
        v
    }

    /// One number per token: its row's dot product with `w` (a linear
    /// head over mean-pooled rows is the mean of these).
    pub fn project(&self, w: &[f32]) -> Vec<f32> {
        let d = self.meta.dim;
        (0..self.meta.vocab)
            .map(|i| {
                let dot: f32 = self.rows[i * d..(i + 1) * d]
                    .iter()
                    .zip(w)
                    .map(|(&q, &x)| f32::from(q) * x)
                    .sum();
                dot * self.scales[i]
            })
            .collect()
    }

    /// Append the WordPiece ids of a whole text, split as BERT's basic
    /// tokenizer does: whitespace separates, every punctuation or symbol
    /// char is a token, CJK ideographs are one token each, the rest are
    /// words (alphanumeric runs; the first 32 chars of a longer run are
    /// looked up, as in the classifiers' feature pass). Linear in the text.
    pub fn text_pieces(&self, text: &str, out: &mut Vec<u32>) {
        const MAX_WORD: usize = 32;
        let mut word = [0u32; MAX_WORD];
        let mut wlen = 0usize;
        let mut in_word = false;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // ASCII without the UTF-8 machinery: nearly every prompt byte.
            let b = bytes[i];
            let (c, ch) = if b < 0x80 {
                i += 1;
                (u32::from(b), b as char)
            } else {
                let ch = text[i..].chars().next().unwrap_or(' ');
                i += ch.len_utf8();
                (ch as u32, ch)
            };
            let is_word = if c < 0x80 {
                b.is_ascii_alphanumeric()
            } else {
                ch.is_alphanumeric() && !is_cjk(c)
            };
            if is_word {
                if wlen < MAX_WORD {
                    word[wlen] = if c < 0x80 {
                        u32::from(b.to_ascii_lowercase())
                    } else {
                        ch.to_lowercase().next().map_or(c, |l| l as u32)
                    };
                    wlen += 1;
                }
                in_word = true;
                continue;
            }
            if in_word {
                self.word_pieces(&word[..wlen], out);
                wlen = 0;
                in_word = false;
            }
            if ch.is_whitespace() || ch.is_control() {
                continue;
            }
            if is_cjk(c) {
                self.word_pieces(&[c], out);
            } else {
                self.punct_pieces(&[c], out);
            }
        }
        if in_word {
            self.word_pieces(&word[..wlen], out);
        }
    }

    /// The token of an id (for diagnostics and tests).
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// Serialise to `RMPSTE1`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = write_prologue(
            MAGIC,
            &self.meta,
            self.rows.len() + self.tokens.len() * 12 + 64,
        );
        for t in &self.tokens {
            let b = t.as_bytes();
            let n = b.len().min(255);
            out.push(n as u8);
            out.extend_from_slice(&b[..n]);
        }
        let d = self.meta.dim;
        for (i, s) in self.scales.iter().enumerate() {
            out.extend_from_slice(&s.to_le_bytes());
            out.extend(self.rows[i * d..(i + 1) * d].iter().map(|&q| q as u8));
        }
        out
    }

    /// Parse `RMPSTE1`; every length is checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<StaticTable, ModelError> {
        let (meta, mut r): (StaticMeta, _) =
            read_prologue(bytes, MAGIC, "Rampart static embedding table")?;
        if meta.vocab > 1 << 20 || meta.dim == 0 || meta.dim > 4096 {
            return Err(ModelError::Format(format!(
                "static table: vocabulary {} or dimension {} out of range",
                meta.vocab, meta.dim
            )));
        }
        let mut tokens = Vec::with_capacity(meta.vocab);
        for i in 0..meta.vocab {
            let n = r.u8()? as usize;
            let t = std::str::from_utf8(r.take(n)?)
                .map_err(|_| ModelError::Format(format!("static table: token {i} is not UTF-8")))?;
            tokens.push(t.to_string());
        }
        let mut scales = Vec::with_capacity(meta.vocab);
        let mut rows = Vec::with_capacity(meta.vocab * meta.dim);
        for _ in 0..meta.vocab {
            scales.push(f32::from_le_bytes(r.take(4)?.try_into().unwrap_or([0; 4])));
            rows.extend(r.take(meta.dim)?.iter().map(|&b| b as i8));
        }
        if r.pos != bytes.len() {
            return Err(ModelError::Format(
                "static table: trailing bytes after the rows".into(),
            ));
        }
        StaticTable::new(meta, tokens, scales, rows)
    }
}

/// Quantise one row to i8 with its own scale (largest component to 127).
pub fn quantize_row(row: &[f32]) -> (f32, Vec<i8>) {
    let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let q = row
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (scale, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> StaticTable {
        let toks = [
            "[PAD]", "[UNK]", "un", "##aff", "##able", "aff", "able", "cafe", ".", "!", "##s",
            "play", "##ing",
        ];
        let vocab = toks.len();
        let dim = 2;
        let meta = StaticMeta {
            name: "test".into(),
            source: "test".into(),
            source_sha256: String::new(),
            dim,
            vocab,
            unk: 1,
            method: "test".into(),
        };
        let mut scales = Vec::new();
        let mut rows = Vec::new();
        for i in 0..vocab {
            let (s, q) = quantize_row(&[i as f32, -(i as f32) / 2.0]);
            scales.push(s);
            rows.extend(q);
        }
        StaticTable::new(
            meta,
            toks.iter().map(|s| s.to_string()).collect(),
            scales,
            rows,
        )
        .unwrap()
    }

    fn chars(s: &str) -> Vec<u32> {
        s.chars().map(|c| c as u32).collect()
    }

    fn pieces(t: &StaticTable, w: &str) -> Vec<String> {
        let mut out = Vec::new();
        t.word_pieces(&chars(w), &mut out);
        out.iter()
            .map(|&i| t.token(i).unwrap().to_string())
            .collect()
    }

    #[test]
    fn greedy_longest_match_with_continuations() {
        let t = table();
        assert_eq!(pieces(&t, "unaffable"), ["un", "##aff", "##able"]);
        assert_eq!(pieces(&t, "playing"), ["play", "##ing"]);
        assert_eq!(pieces(&t, "plays"), ["play", "##s"]);
        // "able" alone is a word piece, not the continuation.
        assert_eq!(pieces(&t, "able"), ["able"]);
        // Nothing covers "xyz": the whole word is [UNK], not a partial.
        assert_eq!(pieces(&t, "playxyz"), ["[UNK]"]);
        // "##s" continues a word; it never starts one.
        assert_eq!(pieces(&t, "s"), ["[UNK]"]);
    }

    #[test]
    fn accents_are_stripped_as_bert_uncased_does() {
        let t = table();
        assert_eq!(pieces(&t, "café"), ["cafe"]);
    }

    #[test]
    fn punctuation_is_one_token_per_symbol() {
        let t = table();
        let mut out = Vec::new();
        t.punct_pieces(&chars("!.?"), &mut out);
        let got: Vec<&str> = out.iter().map(|&i| t.token(i).unwrap()).collect();
        assert_eq!(got, ["!", "."]);
    }

    #[test]
    fn round_trips_and_projects() {
        let t = table();
        let b = t.to_bytes();
        let u = StaticTable::from_bytes(&b).unwrap();
        assert_eq!(u.to_bytes(), b);
        let p = u.project(&[1.0, 0.0]);
        // Row i is (i, -i/2): the first component, up to quantisation.
        assert!((p[7] - 7.0).abs() < 0.05, "{}", p[7]);
        let m = u.mean(&[2, 4]);
        assert!(
            (m[0] - 3.0).abs() < 0.05 && (m[1] + 1.5).abs() < 0.05,
            "{m:?}"
        );
    }

    #[test]
    fn truncated_or_corrupt_tables_are_errors() {
        let b = table().to_bytes();
        for cut in [3, 10, b.len() / 2, b.len() - 1] {
            assert!(StaticTable::from_bytes(&b[..cut]).is_err(), "cut {cut}");
        }
        let mut extra = b.clone();
        extra.push(0);
        assert!(StaticTable::from_bytes(&extra).is_err());
    }
}

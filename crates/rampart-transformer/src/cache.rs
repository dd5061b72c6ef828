//! An on-disk cache of window embeddings for training runs.
//!
//! Embedding a recipe's ~19,000 texts takes tens of minutes on a small CPU,
//! and the injection and harm recipes share most of their benign texts; a
//! run that stops (or a second recipe) picks up what was embedded before.
//! Entries are keyed by the SHA-256 of the text and valid only for the
//! encoder they were computed with: the file starts with the weights'
//! SHA-256, the window length and the width, and a file made for another
//! encoder is ignored (and replaced) rather than read.
//!
//! Format (`RMPEMB1`): magic, the 64-character weights digest, u32 LE window
//! tokens, u32 LE width, then records: 32-byte text digest, u32 LE window
//! count, that many rows of `width` f32 LE. A truncated last record (a run
//! killed mid-write) is dropped.

use crate::Error;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 7] = b"RMPEMB1";
/// More windows than any text of the recipes has; a count past it means a
/// damaged file.
const MAX_WINDOWS: usize = 100_000;

/// Embeddings by text digest, backed by an append-only file.
pub struct EmbeddingCache {
    path: PathBuf,
    entries: HashMap<[u8; 32], Vec<Vec<f32>>>,
    file: std::fs::File,
}

/// The cache key of a text.
pub fn key(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn header(weights_sha256: &str, window: usize, dim: usize) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    let mut digest = weights_sha256.as_bytes().to_vec();
    digest.resize(64, b'0');
    h.extend_from_slice(&digest);
    h.extend_from_slice(&(window as u32).to_le_bytes());
    h.extend_from_slice(&(dim as u32).to_le_bytes());
    h
}

impl EmbeddingCache {
    /// Open (or start) the cache at `path` for this encoder.
    pub fn open(
        path: &Path,
        weights_sha256: &str,
        window: usize,
        dim: usize,
    ) -> Result<Self, Error> {
        let io =
            |e: std::io::Error| Error::Train(format!("embedding cache {}: {e}", path.display()));
        let head = header(weights_sha256, window, dim);
        let mut entries = HashMap::new();
        let mut valid = 0usize;
        if let Ok(bytes) = std::fs::read(path) {
            if bytes.starts_with(&head) {
                let mut pos = head.len();
                valid = pos;
                let row = dim * 4;
                while pos + 36 <= bytes.len() {
                    let mut k = [0u8; 32];
                    k.copy_from_slice(&bytes[pos..pos + 32]);
                    let n =
                        u32::from_le_bytes(bytes[pos + 32..pos + 36].try_into().expect("4 bytes"))
                            as usize;
                    if n > MAX_WINDOWS {
                        break;
                    }
                    let end = pos + 36 + n * row;
                    if end > bytes.len() {
                        break;
                    }
                    let wins = bytes[pos + 36..end]
                        .chunks_exact(row)
                        .map(|r| {
                            r.chunks_exact(4)
                                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                                .collect()
                        })
                        .collect();
                    entries.insert(k, wins);
                    pos = end;
                    valid = pos;
                }
            }
        }
        let file = if valid > 0 {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io)?;
            // Drop a torn last record before appending.
            f.set_len(valid as u64).map_err(io)?;
            let mut f = f;
            std::io::Seek::seek(&mut f, std::io::SeekFrom::End(0)).map_err(io)?;
            f
        } else {
            let mut f = std::fs::File::create(path).map_err(io)?;
            f.write_all(&head).map_err(io)?;
            f
        };
        Ok(EmbeddingCache {
            path: path.to_path_buf(),
            entries,
            file,
        })
    }

    pub fn get(&self, text: &str) -> Option<&Vec<Vec<f32>>> {
        self.entries.get(&key(text))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Record a text's embeddings (written through to the file).
    pub fn put(&mut self, text: &str, wins: &[Vec<f32>]) -> Result<(), Error> {
        let k = key(text);
        if self.entries.contains_key(&k) {
            return Ok(());
        }
        let mut rec = Vec::with_capacity(36 + wins.iter().map(|w| w.len() * 4).sum::<usize>());
        rec.extend_from_slice(&k);
        rec.extend_from_slice(&(wins.len() as u32).to_le_bytes());
        for w in wins {
            for v in w {
                rec.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.file
            .write_all(&rec)
            .map_err(|e| Error::Train(format!("embedding cache {}: {e}", self.path.display())))?;
        self.entries.insert(k, wins.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_reopening_and_another_encoder_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("emb.bin");
        let mut c = EmbeddingCache::open(&p, "ab", 8, 2).unwrap();
        c.put("hello", &[vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
        c.put("world", &[vec![5.0, 6.0]]).unwrap();
        drop(c);
        // A torn record at the end (a run killed mid-write) is dropped.
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&[7u8; 20]).unwrap();
        drop(f);
        let mut c = EmbeddingCache::open(&p, "ab", 8, 2).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c.get("hello").unwrap(),
            &vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        c.put("again", &[vec![0.5, 0.25]]).unwrap();
        drop(c);
        let c = EmbeddingCache::open(&p, "ab", 8, 2).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("again").unwrap(), &vec![vec![0.5, 0.25]]);
        assert!(c.get("nope").is_none());
        // Other weights, window or width: nothing is read.
        assert!(EmbeddingCache::open(&p, "cd", 8, 2).unwrap().is_empty());
        assert!(EmbeddingCache::open(&p, "ab", 16, 2).unwrap().is_empty());
        assert!(EmbeddingCache::open(&p, "ab", 8, 3).unwrap().is_empty());
    }
}

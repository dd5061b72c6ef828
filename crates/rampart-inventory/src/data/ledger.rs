//! The dataset provenance ledger (SQLite).
//!
//! One row per dataset version: per-file SHA-256 and a Merkle root over
//! them, the source, the transformation, the approver and the time. Rows
//! are hash-chained: `entry_hash = SHA-256(canonical JSON of the entry,
//! including prev_hash)`, and each entry's `prev_hash` is the previous
//! entry's hash. Editing, deleting or reordering a past row breaks the
//! chain, which [`Ledger::verify`] reports. Dropping the *newest* rows
//! leaves a shorter valid chain; keep the head hash elsewhere
//! (`--expect-head`) to catch that too.
//!
//! Merkle tree: leaf = SHA-256(0x00 || path || 0x00 || file sha256 hex),
//! node = SHA-256(0x01 || left || right), an odd node is promoted; leaves
//! sorted by path; the empty set hashes to SHA-256("").

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub dataset: String,
    pub version: String,
    pub source: String,
    pub transformation: String,
    pub approver: String,
    pub files: Vec<FileHash>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: i64,
    pub dataset: String,
    pub version: String,
    pub merkle_root: String,
    pub files: Vec<FileHash>,
    pub source: String,
    pub transformation: String,
    pub approver: String,
    pub recorded_at: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub entries: usize,
    pub ok: bool,
    pub head: String,
    pub problems: Vec<String>,
}

/// Hash a dataset file or every file under a directory (sorted, streaming).
pub fn hash_dataset(path: &Path) -> Result<Vec<FileHash>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut files = Vec::new();
    if meta.is_file() {
        let (h, n) =
            crate::artifacts::sha256_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push(FileHash {
            path: name,
            sha256: h,
            size: n,
        });
        return Ok(files);
    }
    for e in ignore::WalkBuilder::new(path)
        .standard_filters(false)
        .hidden(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build()
    {
        let e = e.map_err(|e| format!("{}: {e}", path.display()))?;
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let (h, n) = crate::artifacts::sha256_file(e.path())
            .map_err(|err| format!("{}: {err}", e.path().display()))?;
        let rel = e
            .path()
            .strip_prefix(path)
            .unwrap_or(e.path())
            .to_string_lossy()
            .replace('\\', "/");
        files.push(FileHash {
            path: rel,
            sha256: h,
            size: n,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

pub fn merkle_root(files: &[FileHash]) -> String {
    let mut sorted: Vec<&FileHash> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut level: Vec<[u8; 32]> = sorted
        .iter()
        .map(|f| {
            Sha256::new()
                .chain_update([0u8])
                .chain_update(f.path.as_bytes())
                .chain_update([0u8])
                .chain_update(f.sha256.as_bytes())
                .finalize()
                .into()
        })
        .collect();
    if level.is_empty() {
        return hex::encode(Sha256::digest(b""));
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|c| {
                if c.len() == 2 {
                    Sha256::new()
                        .chain_update([1u8])
                        .chain_update(c[0])
                        .chain_update(c[1])
                        .finalize()
                        .into()
                } else {
                    c[0]
                }
            })
            .collect();
    }
    hex::encode(level[0])
}

fn entry_hash(e: &Entry) -> String {
    let canon = serde_json::json!([
        e.seq,
        e.dataset,
        e.version,
        e.merkle_root,
        e.files,
        e.source,
        e.transformation,
        e.approver,
        e.recorded_at,
        e.prev_hash
    ]);
    hex::encode(Sha256::digest(canon.to_string().as_bytes()))
}

pub struct Ledger {
    conn: Connection,
}

fn db_err(e: rusqlite::Error) -> String {
    format!("ledger database error: {e}")
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, String> {
        let conn = Connection::open(path)
            .map_err(|e| format!("{}: cannot open ledger: {e}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS provenance (
                seq INTEGER PRIMARY KEY,
                dataset TEXT NOT NULL,
                version TEXT NOT NULL,
                merkle_root TEXT NOT NULL,
                files_json TEXT NOT NULL,
                source TEXT NOT NULL,
                transformation TEXT NOT NULL,
                approver TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                entry_hash TEXT NOT NULL
            );",
        )
        .map_err(|e| format!("{}: not a usable ledger: {e}", path.display()))?;
        Ok(Ledger { conn })
    }

    pub fn record(&mut self, new: NewEntry) -> Result<Entry, String> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, entry_hash FROM provenance ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)?;
        let (seq, prev) = match last {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS.to_string()),
        };
        let mut files = new.files;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut e = Entry {
            seq,
            dataset: new.dataset,
            version: new.version,
            merkle_root: merkle_root(&files),
            files,
            source: new.source,
            transformation: new.transformation,
            approver: new.approver,
            recorded_at: crate::now_rfc3339(),
            prev_hash: prev,
            entry_hash: String::new(),
        };
        e.entry_hash = entry_hash(&e);
        tx.execute(
            "INSERT INTO provenance (seq, dataset, version, merkle_root, files_json, source, transformation, approver, recorded_at, prev_hash, entry_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![e.seq, e.dataset, e.version, e.merkle_root, serde_json::to_string(&e.files).map_err(|x| x.to_string())?, e.source, e.transformation, e.approver, e.recorded_at, e.prev_hash, e.entry_hash],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(e)
    }

    /// All entries in order. A row whose file list is unreadable is kept
    /// with an empty list (verification then reports it).
    pub fn entries(&self) -> Result<Vec<Entry>, String> {
        let mut st = self
            .conn
            .prepare("SELECT seq, dataset, version, merkle_root, files_json, source, transformation, approver, recorded_at, prev_hash, entry_hash FROM provenance ORDER BY seq")
            .map_err(db_err)?;
        let rows = st
            .query_map([], |r| {
                let files_json: String = r.get(4)?;
                Ok(Entry {
                    seq: r.get(0)?,
                    dataset: r.get(1)?,
                    version: r.get(2)?,
                    merkle_root: r.get(3)?,
                    files: serde_json::from_str(&files_json).unwrap_or_default(),
                    source: r.get(5)?,
                    transformation: r.get(6)?,
                    approver: r.get(7)?,
                    recorded_at: r.get(8)?,
                    prev_hash: r.get(9)?,
                    entry_hash: r.get(10)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    pub fn latest(&self, dataset: &str) -> Result<Option<Entry>, String> {
        Ok(self
            .entries()?
            .into_iter()
            .rev()
            .find(|e| e.dataset == dataset))
    }

    /// Check the chain. `expect_head`: the head hash recorded elsewhere.
    pub fn verify(&self, expect_head: Option<&str>) -> Result<VerifyReport, String> {
        let entries = self.entries()?;
        let mut rep = VerifyReport {
            entries: entries.len(),
            ..Default::default()
        };
        let mut prev = GENESIS.to_string();
        for (i, e) in entries.iter().enumerate() {
            let want_seq = i as i64 + 1;
            if e.seq != want_seq {
                rep.problems.push(format!(
                    "entry {}: sequence gap (expected {want_seq}): an entry was deleted",
                    e.seq
                ));
            }
            if e.prev_hash != prev {
                rep.problems.push(format!("entry {}: prev_hash does not match the previous entry: history was rewritten, reordered or an entry removed", e.seq));
            }
            if merkle_root(&e.files) != e.merkle_root {
                rep.problems.push(format!(
                    "entry {}: Merkle root does not match its file list: file hashes were edited",
                    e.seq
                ));
            }
            if entry_hash(e) != e.entry_hash {
                rep.problems.push(format!(
                    "entry {} ({} {}): entry hash does not match its content: the entry was edited",
                    e.seq, e.dataset, e.version
                ));
            }
            prev = e.entry_hash.clone();
        }
        rep.head = prev;
        if let Some(h) = expect_head {
            if !rampart_eq(h.as_bytes(), rep.head.as_bytes()) {
                rep.problems.push(format!("head is {} but {h} was expected: entries were added or the newest were removed", rep.head));
            }
        }
        rep.ok = rep.problems.is_empty();
        Ok(rep)
    }

    /// Direct SQL access for tests and repairs.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Constant-time equality (head hashes are compared like credentials so
/// that nothing leaks through timing).
fn rampart_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Differences between recorded files and files on disk now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub modified: Vec<String>,
}

impl ContentDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.modified.is_empty()
    }
}

pub fn compare(recorded: &[FileHash], now: &[FileHash]) -> ContentDiff {
    let mut d = ContentDiff::default();
    for f in recorded {
        match now.iter().find(|n| n.path == f.path) {
            None => d.removed.push(f.path.clone()),
            Some(n) if n.sha256 != f.sha256 => d.modified.push(f.path.clone()),
            _ => {}
        }
    }
    for n in now {
        if !recorded.iter().any(|f| f.path == n.path) {
            d.added.push(n.path.clone());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fh(p: &str, h: &str) -> FileHash {
        FileHash {
            path: p.into(),
            sha256: h.into(),
            size: 1,
        }
    }

    #[test]
    fn chain_detects_rewrites() {
        let d = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&d.path().join("l.db")).unwrap();
        for v in ["v1", "v2", "v3"] {
            l.record(NewEntry {
                dataset: "ds".into(),
                version: v.into(),
                source: "s".into(),
                transformation: "t".into(),
                approver: "a".into(),
                files: vec![fh("a.csv", v)],
            })
            .unwrap();
        }
        let ok = l.verify(None).unwrap();
        assert!(ok.ok, "{:?}", ok.problems);
        l.connection()
            .execute(
                "UPDATE provenance SET approver = 'mallory' WHERE seq = 2",
                [],
            )
            .unwrap();
        let bad = l.verify(None).unwrap();
        assert!(!bad.ok);
        assert!(bad.problems[0].contains("entry 2"), "{:?}", bad.problems);
        assert!(!l.verify(Some(&ok.head)).unwrap().ok);
    }

    #[test]
    fn merkle_root_is_order_independent_and_sensitive() {
        let a = [fh("a", "1"), fh("b", "2"), fh("c", "3")];
        let b = [fh("c", "3"), fh("a", "1"), fh("b", "2")];
        assert_eq!(merkle_root(&a), merkle_root(&b));
        assert_ne!(
            merkle_root(&a),
            merkle_root(&[fh("a", "1"), fh("b", "2"), fh("c", "4")])
        );
    }
}

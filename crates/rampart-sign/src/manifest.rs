//! Manifests: the (file or shard, digest) pairs of a model directory, their
//! canonical order and the serialization parameters that produced them, all
//! as OpenSSF model signing 1.x defines them.
//!
//! The canonical order is the one `model_signing` uses: items sort by path
//! *components* (so `sub/b` comes before `sub.x`), then by numeric shard
//! start and end. The root (subject) digest is SHA-256 over the concatenated
//! raw digests in that order, whatever the per-item hash.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cmp::Ordering;

/// The per-item hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    Sha256,
    Blake3,
}

impl HashAlgorithm {
    /// The name used in the predicate (`hash_type`) and in file resources.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Blake3 => "blake3",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sha256" => Some(HashAlgorithm::Sha256),
            "blake3" => Some(HashAlgorithm::Blake3),
            _ => None,
        }
    }
}

/// How the model was cut into items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One item per file.
    Files,
    /// Files cut into shards of at most `shard_size` bytes (empty files have no shard).
    Shards { shard_size: u64 },
}

/// The `serialization` section of the predicate: everything needed to
/// recompute the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serialization {
    pub method: Method,
    pub hash: HashAlgorithm,
    pub allow_symlinks: bool,
    /// Paths relative to the model root, excluded from the manifest (a
    /// directory excludes everything below it).
    pub ignore_paths: Vec<String>,
}

impl Serialization {
    /// The algorithm name every resource of this serialization must carry.
    pub fn resource_algorithm(&self) -> String {
        match self.method {
            Method::Files => self.hash.name().to_string(),
            Method::Shards { shard_size } => format!("{}-sharded-{shard_size}", self.hash.name()),
        }
    }

    /// The predicate's JSON object, with the key order model_signing writes.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        match self.method {
            Method::Files => {
                m.insert("method".into(), "files".into());
                m.insert("hash_type".into(), self.hash.name().into());
            }
            Method::Shards { shard_size } => {
                m.insert("method".into(), "shards".into());
                m.insert("hash_type".into(), self.hash.name().into());
                m.insert("shard_size".into(), shard_size.into());
            }
        }
        m.insert("allow_symlinks".into(), self.allow_symlinks.into());
        if !self.ignore_paths.is_empty() {
            m.insert("ignore_paths".into(), self.ignore_paths.clone().into());
        }
        serde_json::Value::Object(m)
    }
}

/// One hashed item: a whole file or one shard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// POSIX path relative to the model root.
    pub path: String,
    /// `(start, end)` byte range for shards, `None` for whole files.
    pub shard: Option<(u64, u64)>,
    pub digest: Vec<u8>,
}

impl Item {
    /// The resource name: the path, or `path:start:end` for a shard.
    pub fn name(&self) -> String {
        match self.shard {
            None => self.path.clone(),
            Some((s, e)) => format!("{}:{s}:{e}", self.path),
        }
    }
}

/// Canonical order of items (model_signing sorts `PurePosixPath` keys, i.e.
/// by component lists, then shard bounds numerically).
pub fn compare_items(a: &Item, b: &Item) -> Ordering {
    compare_paths(&a.path, &b.path).then_with(|| a.shard.cmp(&b.shard))
}

/// Compare two relative POSIX paths component by component.
pub fn compare_paths(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// A model's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Informative only: the final component of the model path.
    pub model_name: String,
    pub serialization: Serialization,
    /// Items in canonical order.
    pub items: Vec<Item>,
}

impl Manifest {
    /// SHA-256 over the concatenated raw digests, in canonical order.
    pub fn root_digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        for it in &self.items {
            h.update(&it.digest);
        }
        h.finalize().into()
    }

    /// Total number of distinct files in the manifest.
    pub fn file_count(&self) -> usize {
        let mut n = 0;
        let mut last: Option<&str> = None;
        for it in &self.items {
            if last != Some(it.path.as_str()) {
                n += 1;
                last = Some(&it.path);
            }
        }
        n
    }

    /// A JSON view for `rampart digest`: the serialization, the root digest
    /// and every resource as the predicate records it.
    pub fn to_json(&self) -> serde_json::Value {
        let alg = self.serialization.resource_algorithm();
        let resources: Vec<serde_json::Value> = self
            .items
            .iter()
            .map(|it| {
                serde_json::json!({
                    "name": it.name(),
                    "algorithm": alg,
                    "digest": hex::encode(&it.digest),
                })
            })
            .collect();
        serde_json::json!({
            "model_name": self.model_name,
            "root_digest": {"sha256": hex::encode(self.root_digest())},
            "serialization": self.serialization.to_json(),
            "resources": resources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it(p: &str, shard: Option<(u64, u64)>) -> Item {
        Item {
            path: p.into(),
            shard,
            digest: vec![],
        }
    }

    #[test]
    fn component_order_differs_from_string_order() {
        let mut v = [it("sub.x", None), it("sub/b.bin", None), it("a.txt", None)];
        v.sort_by(compare_items);
        let names: Vec<_> = v.iter().map(|i| i.name()).collect();
        assert_eq!(names, ["a.txt", "sub/b.bin", "sub.x"]);
    }

    #[test]
    fn shards_sort_numerically() {
        let mut v = [
            it("f", Some((100, 150))),
            it("f", Some((0, 50))),
            it("f", Some((50, 100))),
        ];
        v.sort_by(compare_items);
        let names: Vec<_> = v.iter().map(|i| i.name()).collect();
        assert_eq!(names, ["f:0:50", "f:50:100", "f:100:150"]);
    }
}

//! The encoder (feature `candle`): a local Hugging Face model directory
//! loaded with candle and tokenizers, run on the CPU.
//!
//! Reads `config.json` (BERT family), `model.safetensors`, `tokenizer.json`
//! and, for sentence-transformers directories, `modules.json`,
//! `sentence_bert_config.json` (window length) and the pooling module's
//! `config.json` (mean/CLS/max pooling). Embeddings are pooled and, when
//! `modules.json` lists a `Normalize` module, L2-normalised, exactly as
//! sentence-transformers does. When `config.json` declares a
//! `...ForSequenceClassification` architecture, the pooler and classifier
//! weights are loaded and the model scores texts itself.

use crate::bert::{Bert, BertConfig};
use crate::windows::{default_stride, windows};
use crate::{Error, ModelKind, Pooling};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, VarBuilder};
use std::ops::Range;
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

/// How many windows go through the encoder together.
const BATCH: usize = 16;

/// Tokens of the short windows of [`TransformerModel::scoring_windows`]:
/// about two sentences, the length of the prompts the head trains on.
pub const SHORT_WINDOW: usize = 48;

struct Classifier {
    pooler: Linear,
    out: Linear,
    /// Indices of the labels that mean "injection/jailbreak".
    positive: Vec<usize>,
}

/// One window of a text: token ids with special tokens, and the byte range
/// of the text it covers.
#[derive(Debug, Clone)]
pub struct Window {
    pub ids: Vec<u32>,
    pub bytes: Range<usize>,
}

/// A loaded model directory.
pub struct TransformerModel {
    dir: PathBuf,
    tokenizer: Tokenizer,
    bert: Bert,
    device: Device,
    pooling: Pooling,
    normalize: bool,
    max_tokens: usize,
    stride: usize,
    cls: u32,
    sep: u32,
    pad: u32,
    dim: usize,
    classifier: Option<Classifier>,
    files: Vec<(String, String)>,
    /// The last few texts' scoring windows and embeddings: an injection
    /// and a harm head share one encoder, and the engine hands both the
    /// same views, so the second head must not run the encoder again.
    recent: std::sync::Mutex<std::collections::VecDeque<Scored>>,
}

/// A text with its scoring windows and their embeddings.
struct Scored {
    text: String,
    windows: std::sync::Arc<Vec<Window>>,
    embeddings: std::sync::Arc<Vec<Vec<f32>>>,
}

/// Texts kept in [`TransformerModel::embed_scoring`]'s memo: enough for
/// the views of one input (normalised and a few decoded ones).
const RECENT: usize = 8;

fn read_json(path: &Path) -> Result<serde_json::Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::model(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::model(path, format!("invalid JSON: {e}")))
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).map_err(|e| Error::model(path, e))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn infer(e: impl std::fmt::Display) -> Error {
    Error::Inference(e.to_string())
}

impl TransformerModel {
    /// Load a model directory. Nothing is downloaded: every file must be
    /// present locally.
    pub fn load(dir: &Path) -> Result<TransformerModel, Error> {
        if !dir.is_dir() {
            return Err(Error::model(dir, "not a directory"));
        }
        let cfg_path = dir.join("config.json");
        let cfg_json = read_json(&cfg_path)?;
        let model_type = cfg_json
            .get("model_type")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if model_type != "bert" {
            return Err(Error::model(
                &cfg_path,
                format!("field `model_type`: `{model_type}` is not supported (BERT-family encoders only)"),
            ));
        }
        let config: BertConfig = serde_json::from_value(cfg_json.clone())
            .map_err(|e| Error::model(&cfg_path, format!("not a BERT config: {e}")))?;
        config.check().map_err(|e| Error::model(&cfg_path, e))?;
        let architectures: Vec<String> = cfg_json
            .get("architectures")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let is_classifier = architectures
            .iter()
            .any(|a| a.ends_with("ForSequenceClassification"));

        let weights = dir.join("model.safetensors");
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load(&weights, &device)
            .map_err(|e| Error::model(&weights, e))?;
        // Task models (`BertFor...`) nest the encoder under `bert.`.
        let has_prefix = tensors.contains_key("bert.embeddings.word_embeddings.weight");
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let base = if has_prefix {
            vb.pp("bert")
        } else {
            vb.clone()
        };
        let bert = Bert::load(base.clone(), &config).map_err(|e| Error::model(&weights, e))?;

        let classifier = if is_classifier {
            let h = config.hidden_size;
            let labels = label_names(&cfg_json);
            let n = labels.len();
            let pooler = candle_nn::linear(h, h, base.pp("pooler").pp("dense"))
                .map_err(|e| Error::model(&weights, format!("pooler: {e}")))?;
            let out = candle_nn::linear(h, n, vb.pp("classifier"))
                .map_err(|e| Error::model(&weights, format!("classifier: {e}")))?;
            let positive = positive_labels(&labels);
            if positive.is_empty() {
                return Err(Error::model(
                    &cfg_path,
                    format!("field `id2label`: no label names an injection/jailbreak class ({labels:?})"),
                ));
            }
            Some(Classifier {
                pooler,
                out,
                positive,
            })
        } else {
            None
        };

        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| Error::model(&tok_path, e))?;
        // Windows replace the file's truncation and padding: a long input
        // is never cut.
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::model(&tok_path, e))?;
        tokenizer.with_padding(None);
        let specials = read_specials(dir)?;
        let id = |t: &str| {
            tokenizer.token_to_id(t).ok_or_else(|| {
                Error::model(
                    &tok_path,
                    format!("special token `{t}` not in the vocabulary"),
                )
            })
        };
        let (cls, sep, pad) = (id(&specials.0)?, id(&specials.1)?, id(&specials.2)?);

        let (pooling, normalize, pool_file) = read_pooling(dir)?;
        let st_cfg = dir.join("sentence_bert_config.json");
        let max_seq = if st_cfg.is_file() {
            read_json(&st_cfg)?
                .get("max_seq_length")
                .and_then(|v| v.as_u64())
                .map(|v| v as usize)
                .unwrap_or(config.max_position_embeddings)
        } else {
            config.max_position_embeddings
        };
        let max_tokens = max_seq.min(config.max_position_embeddings).max(3);
        let mut files = Vec::new();
        let mut listed = vec![cfg_path.clone(), weights.clone(), tok_path.clone()];
        listed.extend(pool_file);
        for f in [
            "modules.json",
            "sentence_bert_config.json",
            "special_tokens_map.json",
        ] {
            if dir.join(f).is_file() {
                listed.push(dir.join(f));
            }
        }
        for p in listed {
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, sha256_file(&p)?));
        }
        let content = max_tokens - 2;
        Ok(TransformerModel {
            dir: dir.to_path_buf(),
            tokenizer,
            bert,
            device,
            pooling,
            normalize,
            max_tokens,
            stride: default_stride(content),
            cls,
            sep,
            pad,
            dim: config.hidden_size,
            classifier,
            files,
            recent: Default::default(),
        })
    }

    /// The scoring windows of `text` ([`Self::scoring_windows`]) and their
    /// embeddings, from a small memo of the last texts when one of them is
    /// `text` (compared in full, not by hash).
    #[allow(clippy::type_complexity)]
    pub fn embed_scoring(
        &self,
        text: &str,
    ) -> Result<(std::sync::Arc<Vec<Window>>, std::sync::Arc<Vec<Vec<f32>>>), Error> {
        // A poisoned lock only means another thread panicked mid-update;
        // the memo is a cache, so start it afresh.
        let lookup = |m: &std::collections::VecDeque<Scored>| {
            m.iter()
                .find(|s| s.text == text)
                .map(|s| (s.windows.clone(), s.embeddings.clone()))
        };
        if let Some(hit) = lookup(&self.recent.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(hit);
        }
        let wins = self.scoring_windows(text)?;
        let refs: Vec<&[u32]> = wins.iter().map(|w| w.ids.as_slice()).collect();
        let embs = std::sync::Arc::new(self.embed_windows(&refs)?);
        let wins = std::sync::Arc::new(wins);
        let mut m = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() == RECENT {
            m.pop_front();
        }
        m.push_back(Scored {
            text: text.to_string(),
            windows: wins.clone(),
            embeddings: embs.clone(),
        });
        Ok((wins, embs))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn kind(&self) -> ModelKind {
        match &self.classifier {
            Some(_) => ModelKind::Classifier,
            None => ModelKind::Embedding,
        }
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Maximum tokens per window, special tokens included.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Files read from the directory with their SHA-256, for model cards.
    pub fn files(&self) -> &[(String, String)] {
        &self.files
    }

    /// SHA-256 of `model.safetensors`.
    pub fn weights_sha256(&self) -> &str {
        self.files
            .iter()
            .find(|(p, _)| p == "model.safetensors")
            .map(|(_, h)| h.as_str())
            .unwrap_or("")
    }

    /// Token ids of `text` without special tokens, untruncated.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, Error> {
        let enc = self.tokenizer.encode(text, false).map_err(infer)?;
        Ok(enc.get_ids().to_vec())
    }

    /// The windows of `text`: each `[CLS] tokens [SEP]`, overlapping.
    pub fn windows(&self, text: &str) -> Result<Vec<Window>, Error> {
        let enc = self.tokenizer.encode(text, false).map_err(infer)?;
        Ok(self.window_set(text, &enc, self.max_tokens - 2, self.stride))
    }

    /// What the scorer reads: the full-length windows of [`Self::windows`]
    /// and, for a text longer than [`SHORT_WINDOW`] tokens, overlapping
    /// windows of that many tokens too. Mean pooling over a full window
    /// dilutes one injected sentence among two hundred benign tokens
    /// (a buried injection scored 0.10); a short window holds it with
    /// little around it, as the head's training texts do.
    pub fn scoring_windows(&self, text: &str) -> Result<Vec<Window>, Error> {
        let enc = self.tokenizer.encode(text, false).map_err(infer)?;
        let mut w = self.window_set(text, &enc, self.max_tokens - 2, self.stride);
        let short = SHORT_WINDOW.min(self.max_tokens - 2);
        if enc.get_ids().len() > short {
            w.extend(self.window_set(text, &enc, short, short / 2));
        }
        Ok(w)
    }

    fn window_set(
        &self,
        text: &str,
        enc: &tokenizers::Encoding,
        content: usize,
        stride: usize,
    ) -> Vec<Window> {
        let ids = enc.get_ids();
        let offs = enc.get_offsets();
        let ranges = windows(ids.len(), content, stride);
        ranges
            .into_iter()
            .map(|r| {
                let mut w = Vec::with_capacity(r.len() + 2);
                w.push(self.cls);
                w.extend_from_slice(&ids[r.clone()]);
                w.push(self.sep);
                let bytes = if r.is_empty() {
                    0..text.len()
                } else {
                    offs[r.start].0..offs[r.end - 1].1
                };
                Window { ids: w, bytes }
            })
            .collect()
    }

    /// Run the encoder over windows; returns one pooled vector per window
    /// (the sentence embedding), in order.
    pub fn embed_windows(&self, wins: &[&[u32]]) -> Result<Vec<Vec<f32>>, Error> {
        let mut out: Vec<Option<Vec<f32>>> = vec![None; wins.len()];
        // Similar lengths batch together, which keeps padding small.
        let mut order: Vec<usize> = (0..wins.len()).collect();
        order.sort_by_key(|&i| (wins[i].len(), i));
        for chunk in order.chunks(BATCH) {
            let len = chunk.iter().map(|&i| wins[i].len()).max().unwrap_or(0);
            let mut ids = Vec::with_capacity(chunk.len() * len);
            let mut mask = Vec::with_capacity(chunk.len() * len);
            for &i in chunk {
                let w = wins[i];
                ids.extend_from_slice(w);
                ids.extend(std::iter::repeat_n(self.pad, len - w.len()));
                mask.extend(std::iter::repeat_n(1u32, w.len()));
                mask.extend(std::iter::repeat_n(0u32, len - w.len()));
            }
            let shape = (chunk.len(), len);
            let ids = Tensor::from_vec(ids, shape, &self.device).map_err(infer)?;
            let mask = Tensor::from_vec(mask, shape, &self.device).map_err(infer)?;
            let hidden = self.bert.forward(&ids, &mask).map_err(infer)?;
            let pooled = self.pool(&hidden, &mask).map_err(infer)?;
            let rows: Vec<Vec<f32>> = pooled.to_vec2().map_err(infer)?;
            for (&i, r) in chunk.iter().zip(rows) {
                out[i] = Some(r);
            }
        }
        Ok(out.into_iter().map(|v| v.unwrap_or_default()).collect())
    }

    fn pool(&self, hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let pooled = match self.pooling {
            Pooling::Mean => {
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                let count = m.sum(1)?.clamp(1e-9, f32::MAX)?;
                sum.broadcast_div(&count)?
            }
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Max => {
                // Padding must never win the maximum.
                let neg = ((m.ones_like()? - &m)? * -1e9)?;
                hidden.broadcast_add(&neg)?.max(1)?
            }
        };
        if self.normalize {
            let norm = pooled
                .sqr()?
                .sum_keepdim(D::Minus1)?
                .sqrt()?
                .clamp(1e-12, f32::MAX)?;
            pooled.broadcast_div(&norm)
        } else {
            Ok(pooled)
        }
    }

    /// Sentence embeddings of a text, one per window.
    pub fn embed(&self, text: &str) -> Result<Vec<Vec<f32>>, Error> {
        let wins = self.windows(text)?;
        let refs: Vec<&[u32]> = wins.iter().map(|w| w.ids.as_slice()).collect();
        self.embed_windows(&refs)
    }

    /// With a classification head: the positive-class probability of each
    /// window.
    pub fn classify_windows(&self, wins: &[&[u32]]) -> Result<Vec<f32>, Error> {
        let Some(c) = &self.classifier else {
            return Err(Error::Inference(format!(
                "{}: config.json declares no sequence-classification head",
                self.dir.display()
            )));
        };
        let mut out = Vec::with_capacity(wins.len());
        for w in wins {
            let ids = Tensor::new(*w, &self.device)
                .and_then(|t| t.unsqueeze(0))
                .map_err(infer)?;
            let mask = ids.ones_like().map_err(infer)?;
            let hidden = self.bert.forward(&ids, &mask).map_err(infer)?;
            let probs = (|| {
                let first = hidden.narrow(1, 0, 1)?.squeeze(1)?;
                let pooled = c.pooler.forward(&first)?.tanh()?;
                let logits = c.out.forward(&pooled)?;
                let n = logits.dim(1)?;
                let p = if n == 1 {
                    candle_nn::ops::sigmoid(&logits)?
                } else {
                    candle_nn::ops::softmax(&logits, 1)?
                };
                p.squeeze(0)?.to_vec1::<f32>()
            })()
            .map_err(infer)?;
            let p = if probs.len() == 1 {
                probs[0]
            } else {
                c.positive
                    .iter()
                    .map(|&i| probs.get(i).copied().unwrap_or(0.0))
                    .sum()
            };
            out.push(p);
        }
        Ok(out)
    }
}

fn label_names(cfg: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<(usize, String)> = cfg
        .get("id2label")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    if v.is_empty() {
        let n = cfg.get("num_labels").and_then(|n| n.as_u64()).unwrap_or(2) as usize;
        return (0..n).map(|i| format!("LABEL_{i}")).collect();
    }
    v.into_iter().map(|(_, s)| s).collect()
}

/// Which labels count as positive: names that mean injection, else the
/// second of two generic labels (`LABEL_1`).
fn positive_labels(labels: &[String]) -> Vec<usize> {
    const WORDS: &[&str] = &["inject", "jailbreak", "malicious", "unsafe", "attack"];
    let named: Vec<usize> = labels
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.to_ascii_lowercase();
            WORDS.iter().any(|w| l.contains(w))
        })
        .map(|(i, _)| i)
        .collect();
    if !named.is_empty() {
        return named;
    }
    if labels.len() == 2 && labels[1].eq_ignore_ascii_case("LABEL_1") {
        return vec![1];
    }
    Vec::new()
}

fn read_specials(dir: &Path) -> Result<(String, String, String), Error> {
    let mut s = (
        "[CLS]".to_string(),
        "[SEP]".to_string(),
        "[PAD]".to_string(),
    );
    let p = dir.join("special_tokens_map.json");
    if p.is_file() {
        let v = read_json(&p)?;
        let get = |k: &str| {
            v.get(k).and_then(|t| {
                t.as_str().map(str::to_string).or_else(|| {
                    t.get("content")
                        .and_then(|c| c.as_str())
                        .map(str::to_string)
                })
            })
        };
        if let Some(t) = get("cls_token") {
            s.0 = t;
        }
        if let Some(t) = get("sep_token") {
            s.1 = t;
        }
        if let Some(t) = get("pad_token") {
            s.2 = t;
        }
    }
    Ok(s)
}

/// Pooling mode, whether to L2-normalise, and the pooling config file read.
fn read_pooling(dir: &Path) -> Result<(Pooling, bool, Option<PathBuf>), Error> {
    let modules = dir.join("modules.json");
    let mut pool_dir = dir.join("1_Pooling");
    let mut normalize = false;
    if modules.is_file() {
        let v = read_json(&modules)?;
        let list = v
            .as_array()
            .ok_or_else(|| Error::model(&modules, "expected a JSON list of modules"))?;
        for m in list {
            let ty = m.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if ty.ends_with(".Pooling") {
                if let Some(p) = m.get("path").and_then(|p| p.as_str()) {
                    // Only a plain sub-folder name: a model directory must
                    // not point the loader elsewhere.
                    if p.contains("..") || p.starts_with('/') || p.contains('\\') {
                        return Err(Error::model(
                            &modules,
                            format!("module path `{p}` leaves the model directory"),
                        ));
                    }
                    pool_dir = dir.join(p);
                }
            }
            if ty.ends_with(".Normalize") {
                normalize = true;
            }
        }
    }
    let pc = pool_dir.join("config.json");
    if !pc.is_file() {
        return Ok((Pooling::Mean, normalize, None));
    }
    let v = read_json(&pc)?;
    let flag = |k: &str| v.get(k).and_then(|b| b.as_bool()).unwrap_or(false);
    let pooling = if flag("pooling_mode_mean_tokens") {
        Pooling::Mean
    } else if flag("pooling_mode_cls_token") {
        Pooling::Cls
    } else if flag("pooling_mode_max_tokens") {
        Pooling::Max
    } else {
        return Err(Error::model(
            &pc,
            "no supported pooling mode (mean, cls or max tokens) is enabled",
        ));
    };
    Ok((pooling, normalize, Some(pc)))
}

// The engine shares detectors across threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TransformerModel>();
};

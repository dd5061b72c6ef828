//! Learned text models for Rampart: hashed n-gram features, linear
//! classifiers trained in Rust, a character n-gram language model, and the
//! shipped weights.
//!
//! * [`features`]: normalisation and fastText-style hashed word and
//!   character n-gram features.
//! * [`linear`]: logistic-regression [`TextClassifier`] (training, windowed
//!   scoring, the compact `RMPLIN1` weight format).
//! * [`data`]: corpus readers, training recipes, the deterministic split and
//!   the training report.
//! * [`train`]: training entry points for each shipped model.
//! * [`statics`]: static token embeddings (a WordPiece vocabulary and one
//!   vector per token, distilled from a sentence encoder), the dense
//!   feature block of the shipped classifiers.
//! * [`models`]: the shipped models, embedded with `include_bytes!`.
//!
//! Training is single-threaded with a fixed seed, so `rampart detector train`
//! reproduces the shipped files bit for bit.

pub mod charlm;
pub mod conv;
pub mod data;
pub mod features;
pub mod linear;
pub mod models;
pub mod statics;
pub mod train;
pub mod wordlm;

pub use linear::TextClassifier;

/// Errors loading data or model files.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("I/O: {0}")]
    Io(String),
    #[error("bad model or data format: {0}")]
    Format(String),
    #[error("bad training data: {0}")]
    Data(String),
}

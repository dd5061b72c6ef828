//! Rampart's optional transformer backend.
//!
//! This crate owns everything about running a local Hugging Face encoder
//! for injection and harmful-request detection: loading a model directory (`config.json`,
//! `model.safetensors`, `tokenizer.json`, sentence-transformers pooling
//! files), running a BERT-family encoder on the CPU with candle, pooling and
//! normalising as sentence-transformers does ([`TransformerModel`]), the
//! trained logistic-regression [`head`] on the embeddings, the overlapping
//! token [`windows`] that let long inputs be scored whole, training and
//! measuring the head on the shipped classifier's data and split
//! ([`train`]), an embedding [`cache`] for training runs, and the engine
//! [`detector`]s `injection-transformer` and `harm-transformer`.
//!
//! The heavy dependencies (candle, tokenizers) sit behind the `candle`
//! feature. Without it the crate still compiles, with the same API, and
//! [`TransformerModel::load`] returns [`Error::NotBuilt`], so default
//! workspace builds never compile candle. Nothing here downloads anything.

pub mod cache;
pub mod detector;
mod error;
pub mod head;
pub mod train;
pub mod windows;

#[cfg(feature = "candle")]
mod bert;
#[cfg(feature = "candle")]
mod model;
#[cfg(not(feature = "candle"))]
#[path = "stub.rs"]
mod model;

pub use detector::{
    Combine, TransformerDetector, TransformerScorer, DETECTOR_NAME, HARM_DETECTOR_NAME,
};
pub use error::Error;
pub use head::Head;
pub use model::{TransformerModel, Window};

/// Whether this build can run models (the `candle` feature).
pub const AVAILABLE: bool = cfg!(feature = "candle");

/// What a model directory is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A sentence encoder: needs a trained [`Head`].
    Embedding,
    /// A sequence classifier (`...ForSequenceClassification`): scores alone.
    Classifier,
}

/// Sentence-transformers pooling modes we implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Mean,
    Cls,
    Max,
}

#[cfg(test)]
mod tests {
    #[test]
    fn loading_reports_the_build_or_the_path() {
        let e = match crate::TransformerModel::load(std::path::Path::new("/nonexistent/model")) {
            Ok(_) => panic!("a missing directory loaded"),
            Err(e) => e.to_string(),
        };
        if crate::AVAILABLE {
            assert!(e.contains("/nonexistent/model"), "{e}");
        } else {
            assert!(e.contains("--features transformer"), "{e}");
        }
    }
}

//! The crate's error type: every failure names the file or stage it came from.

/// Errors loading a model directory or head, or running inference.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// This build has no inference engine (the `candle` feature is off).
    #[error("built without the `transformer` feature; rebuild with `--features transformer`")]
    NotBuilt,
    /// A file of the model directory is missing or malformed.
    #[error("{path}: {msg}")]
    Model { path: String, msg: String },
    /// A head file is missing, malformed or does not fit the model.
    #[error("head {path}: {msg}")]
    Head { path: String, msg: String },
    /// Tokenisation or the forward pass failed.
    #[error("transformer inference: {0}")]
    Inference(String),
    /// Training data could not be read.
    #[error(transparent)]
    Data(#[from] rampart_ml::ModelError),
    /// Training could not run (e.g. one class missing).
    #[error("training: {0}")]
    Train(String),
}

impl Error {
    pub(crate) fn model(path: impl AsRef<std::path::Path>, msg: impl std::fmt::Display) -> Self {
        Error::Model {
            path: path.as_ref().display().to_string(),
            msg: msg.to_string(),
        }
    }
}

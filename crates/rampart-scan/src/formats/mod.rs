//! Per-format scanners. Each reads only what its checks need from a
//! [`crate::blob::Blob`] or a bounded buffer, and reports through the
//! engine's `Out` (findings plus error entries).

pub mod gguf;
pub(crate) mod hdf5;
pub mod hf;
pub mod hydra;
pub mod keras;
pub mod lgbm;
pub mod mlflow;
pub mod numpy;
pub mod onnx;
pub mod protobuf;
pub mod pysrc;
pub(crate) mod rwkv;
pub mod safetensors;
pub mod skops;
pub(crate) mod sktree;
pub mod tf;

//! Learned text models for Rampart: hashed n-gram features, linear classifiers trained in Rust, character language models, shipped weights.

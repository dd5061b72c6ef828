//! A small deterministic OpenAI-compatible mock model that naively obeys instructions: the demo upstream of `rampart up`, the target of tests and benchmarks.

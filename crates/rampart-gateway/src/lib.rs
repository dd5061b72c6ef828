//! Rampart's OpenAI-compatible security gateway: routing, authentication, limits, guard pipeline, streaming, tool-call governance.

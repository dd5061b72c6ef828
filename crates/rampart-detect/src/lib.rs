//! Rampart's text-detection engine: normalisation, prompt-injection and jailbreak detection, PII, secrets, output checks, redaction.

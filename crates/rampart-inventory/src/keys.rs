//! AI-provider credentials in text files.
//!
//! The inventory lists *which* provider keys sit in which files; it never
//! stores or prints a value (evidence goes through `rampart_core::redact`).
//! The general secret rules live in `rampart-detect`; this module keeps the
//! provider-specific shapes the inventory needs to name the provider, and a
//! cheap literal prefilter so that ten thousand files cost little.

use aho_corasick::AhoCorasick;
use once_cell::sync::Lazy;
use regex::Regex;

/// One key found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHit {
    pub provider: &'static str,
    /// 1-based line.
    pub line: u32,
    /// Masked value, safe to show.
    pub masked: String,
}

struct Rule {
    provider: &'static str,
    re: Regex,
}

static PREFILTER: Lazy<AhoCorasick> = Lazy::new(|| {
    AhoCorasick::new([
        "sk-", "hf_", "AIza", "gsk_", "r8_", "AKIA", "ASIA", "xai-", "pplx-", "API_KEY", "api_key",
        "ApiKey", "apiKey",
    ])
    .expect("static patterns")
});

static RULES: Lazy<Vec<Rule>> = Lazy::new(|| {
    let r = |provider, re: &str| Rule {
        provider,
        re: Regex::new(re).expect("static regex"),
    };
    vec![
        r(
            "Anthropic",
            r"\bsk-ant-(?:api\d\d|admin\d\d)-[A-Za-z0-9_\-]{20,}",
        ),
        r("OpenRouter", r"\bsk-or-v1-[A-Fa-f0-9]{32,}"),
        r(
            "OpenAI",
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]*T3BlbkFJ[A-Za-z0-9_\-]*|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}|\bsk-[A-Za-z0-9]{40,}",
        ),
        r("Hugging Face", r"\bhf_[A-Za-z0-9]{30,}"),
        r("Google AI", r"\bAIza[0-9A-Za-z_\-]{35}"),
        r("Groq", r"\bgsk_[A-Za-z0-9]{40,}"),
        r("Replicate", r"\br8_[A-Za-z0-9]{30,}"),
        r("AWS", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        r("xAI", r"\bxai-[A-Za-z0-9]{40,}"),
        r("Perplexity", r"\bpplx-[A-Za-z0-9]{40,}"),
        // Providers without a key prefix: only an assignment to a telling name.
        r(
            "AI provider",
            r#"(?i)\b(?:openai|anthropic|cohere|mistral|azure_openai|together|deepseek|voyage|pinecone|qdrant|weaviate|langsmith|langchain|gemini|google)_?api_?key\s*["']?\s*[:=]\s*["']([A-Za-z0-9_\-\.]{20,})["']"#,
        ),
    ]
});

fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "xxxx",
        "your",
        "example",
        "placeholder",
        "dummy",
        "changeme",
        "redacted",
        "<",
        "...",
        "0000000000",
    ]
    .iter()
    .any(|p| l.contains(p))
}

/// Find AI-provider keys in `text`.
pub fn find_keys(text: &str) -> Vec<KeyHit> {
    if !PREFILTER.is_match(text) {
        return Vec::new();
    }
    let mut hits: Vec<(usize, KeyHit)> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for rule in RULES.iter() {
        for caps in rule.re.captures_iter(text) {
            let m = caps.get(1).unwrap_or_else(|| caps.get(0).expect("match"));
            if taken.iter().any(|&(s, e)| m.start() < e && s < m.end()) {
                continue;
            }
            let v = m.as_str();
            if placeholder(v) {
                continue;
            }
            taken.push((m.start(), m.end()));
            let line = 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..m.start()]).count() as u32;
            hits.push((
                m.start(),
                KeyHit {
                    provider: rule.provider,
                    line,
                    masked: rampart_core::redact::mask(v),
                },
            ));
        }
    }
    hits.sort_by_key(|(s, _)| *s);
    hits.into_iter().map(|(_, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_provider_keys_without_leaking_them() {
        let key = format!("sk-proj-{}", "Ab1".repeat(15));
        let text = format!(
            "x = 1\nOPENAI_API_KEY = \"{key}\"\nhf = 'hf_{}'\n",
            "q".repeat(34)
        );
        let hits = find_keys(&text);
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(hits[0].provider, "OpenAI");
        assert_eq!(hits[0].line, 2);
        assert!(!hits[0].masked.contains(&key[8..]));
        assert_eq!(hits[1].provider, "Hugging Face");
        assert!(find_keys("OPENAI_API_KEY = \"your-key-here-xxxxxxxxxxxxxxxx\"").is_empty());
        assert!(find_keys("nothing to see").is_empty());
    }
}

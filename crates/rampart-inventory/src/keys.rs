//! AI-provider credentials in text files, found by `rampart-detect`'s secret
//! rules ([`rampart_detect::secrets::scan_text`]).
//!
//! The inventory lists *which* provider keys sit in which files; it never
//! stores or prints a value (the evidence is the detector's masked form).
//! A finding is an AI-provider key when its rule is one of the AI
//! providers' formats, or when it is a secret assignment whose value prefix
//! or variable name names an AI provider (`XAI_API_KEY = "..."`,
//! `api_key="sk-or-v1-..."`). A cheap literal prefilter keeps ten thousand
//! files that mention no key from reaching the secret rules at all.

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

/// Literals without which none of the rules below can fire: key prefixes,
/// key-ish names, and the provider words a variable name must carry
/// (matched case-insensitively).
static PREFILTER: Lazy<AhoCorasick> = Lazy::new(|| {
    let mut pats: Vec<&str> = vec![
        "sk-",
        "hf_",
        "api_org_",
        "aiza",
        "gsk_",
        "r8_",
        "akia",
        "asia",
        "xai-",
        "pplx-",
        "api_key",
        "apikey",
        "api-key",
        "access_key",
        "accesskey",
        "aws",
    ];
    pats.extend(NAME_WORDS.iter().map(|(w, _)| *w));
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(pats)
        .expect("static patterns")
});

/// Dedicated rules of `rampart-detect` that are AI providers' key formats.
const AI_RULES: &[(&str, &str)] = &[
    ("openai-api-key", "OpenAI"),
    ("anthropic-api-key", "Anthropic"),
    ("huggingface-token", "Hugging Face"),
    ("google-api-key", "Google AI"),
    ("cohere-api-key", "Cohere"),
    ("groq-api-key", "Groq"),
    ("replicate-api-token", "Replicate"),
    ("perplexity-api-key", "Perplexity"),
    ("mistral-api-key", "Mistral"),
    // Bedrock and SageMaker are reached with AWS credentials.
    ("aws-access-key-id", "AWS"),
    ("aws-secret-access-key", "AWS"),
];

/// Value prefixes that identify a provider in a secret assignment.
const VALUE_PREFIXES: &[(&str, &str)] = &[
    ("sk-ant-", "Anthropic"),
    ("sk-or-", "OpenRouter"),
    ("sk-proj-", "OpenAI"),
    ("sk-svcacct-", "OpenAI"),
    ("sk-admin-", "OpenAI"),
    ("xai-", "xAI"),
    ("pplx-", "Perplexity"),
    ("gsk_", "Groq"),
    ("r8_", "Replicate"),
    ("hf_", "Hugging Face"),
    ("aiza", "Google AI"),
];

/// Provider words in a variable name (`TOGETHER_API_KEY`).
const NAME_WORDS: &[(&str, &str)] = &[
    ("azure_openai", "Azure OpenAI"),
    ("openrouter", "OpenRouter"),
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("claude", "Anthropic"),
    ("cohere", "Cohere"),
    ("mistral", "Mistral"),
    ("together", "Together"),
    ("deepseek", "DeepSeek"),
    ("voyage", "Voyage AI"),
    ("pinecone", "Pinecone"),
    ("qdrant", "Qdrant"),
    ("weaviate", "Weaviate"),
    ("langsmith", "LangSmith"),
    ("langchain", "LangChain"),
    ("gemini", "Google AI"),
    ("google_ai", "Google AI"),
    ("groq", "Groq"),
    ("xai", "xAI"),
    ("grok", "xAI"),
    ("perplexity", "Perplexity"),
    ("replicate", "Replicate"),
    ("huggingface", "Hugging Face"),
    ("hf_token", "Hugging Face"),
    ("fireworks", "Fireworks"),
    ("elevenlabs", "ElevenLabs"),
];

/// The variable name just before an assigned value on its line.
static ASSIGNED_NAME: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"([A-Za-z0-9_.\-]+)["']?\s*(?::=|=>|==|=|:)\s*(?:!!binary\s+)?["']?$"#)
        .expect("static regex")
});

fn provider_of_assignment(text: &str, start: usize, end: usize) -> Option<&'static str> {
    let value = text.get(start..end)?.to_ascii_lowercase();
    if let Some((_, p)) = VALUE_PREFIXES.iter().find(|(x, _)| value.starts_with(x)) {
        return Some(p);
    }
    let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = &text[line_start..start];
    let name = ASSIGNED_NAME
        .captures(before)
        .and_then(|c| c.get(1))?
        .as_str()
        .to_ascii_lowercase()
        .replace('-', "_");
    NAME_WORDS
        .iter()
        .find(|(w, _)| {
            // `xai` and `groq` are short: require a word boundary.
            name == *w
                || name.starts_with(&format!("{w}_"))
                || name.contains(&format!("_{w}_"))
                || (w.len() > 4 && name.contains(w))
        })
        .map(|(_, p)| *p)
}

/// Find AI-provider keys in `text`.
pub fn find_keys(text: &str) -> Vec<KeyHit> {
    if !PREFILTER.is_match(text) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    // A key can match its format rule and the assignment rule: one hit per span.
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for f in rampart_detect::secrets::scan_text(text) {
        let rule = f
            .metadata
            .get("rule")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let Some(loc) = &f.location else { continue };
        let provider = if let Some((_, p)) = AI_RULES.iter().find(|(r, _)| *r == rule) {
            Some(*p)
        } else if rule == "secret-assignment" {
            loc.span
                .and_then(|s| provider_of_assignment(text, s.start, s.end))
        } else {
            None
        };
        let Some(provider) = provider else { continue };
        if let Some(s) = loc.span {
            if taken.iter().any(|&(a, b)| s.start < b && a < s.end) {
                continue;
            }
            taken.push((s.start, s.end));
        }
        hits.push(KeyHit {
            provider,
            line: loc.line.unwrap_or(1),
            masked: f.evidence.clone().unwrap_or_default(),
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_provider_keys_without_leaking_them() {
        let key = "sk-proj-Zq8Xw2Lk5Vb7Nm3Rt6Yp9Hs4Jd1Gf0Ac2Ee5Tu8Io3Pa7Sd";
        let hf = "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";
        let text = format!("x = 1\nOPENAI_API_KEY = \"{key}\"\nhf = '{hf}'\n");
        let hits = find_keys(&text);
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(hits[0].provider, "OpenAI");
        assert_eq!(hits[0].line, 2);
        assert!(!hits[0].masked.contains(&key[10..]));
        assert_eq!(hits[1].provider, "Hugging Face");
        assert_eq!(hits[1].line, 3);
        assert!(find_keys("OPENAI_API_KEY = \"your-key-here-xxxxxxxxxxxxxxxx\"").is_empty());
        assert!(find_keys("nothing to see").is_empty());
    }

    #[test]
    fn assignments_name_the_provider_by_variable_or_prefix() {
        let hits = find_keys("XAI_API_KEY = \"Kq7Lm2Np9Rs4Tv6Wx8Yz3Ab5Cd1Ef0Gh\"\n");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].provider, "xAI");
        let hits = find_keys("api_key: sk-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0\n");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].provider, "OpenRouter");
        // A secret that names no AI provider is not an AI credential.
        assert!(find_keys("DB_PASSWORD = \"Kq7Lm2Np9Rs4Tv6Wx8Yz3\"\n").is_empty());
    }
}

//! AI endpoints and vector stores named in code and configuration.
//!
//! A URL becomes an asset when its host is a known AI API or vector
//! database, or when its path or port is one that AI servers use
//! (`/v1/chat/completions`, Ollama's 11434, Qdrant's 6333...). Whether the
//! service authenticates is judged honestly: managed APIs always require a
//! key; for self-hosted ones the file must show a key or auth header,
//! otherwise it is "unknown", and plain HTTP to a non-local host is a risk.

use crate::asset::{Asset, AssetKind};
use crate::code::Lines;
use crate::risks;
use once_cell::sync::Lazy;
use regex::Regex;

static URL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(https?|wss?|grpc)://([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?(/[^\s"'<>`\)\]\},\\]*)?"#)
        .expect("static regex")
});
static AUTH_HINT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?i)(api[_\-]?key|authorization|bearer|x-api-key|auth_token|access_token|credentials|apikey)"#)
        .expect("static regex")
});

/// (host suffix, provider, kind)
const HOSTS: &[(&str, &str, AssetKind)] = &[
    ("api.openai.com", "OpenAI", AssetKind::Endpoint),
    ("openai.azure.com", "Azure OpenAI", AssetKind::Endpoint),
    (
        "cognitiveservices.azure.com",
        "Azure AI services",
        AssetKind::Endpoint,
    ),
    (
        "services.ai.azure.com",
        "Azure AI Foundry",
        AssetKind::Endpoint,
    ),
    ("api.anthropic.com", "Anthropic", AssetKind::Endpoint),
    (
        "generativelanguage.googleapis.com",
        "Google Gemini",
        AssetKind::Endpoint,
    ),
    (
        "aiplatform.googleapis.com",
        "Google Vertex AI",
        AssetKind::Endpoint,
    ),
    ("bedrock-runtime", "AWS Bedrock", AssetKind::Endpoint),
    ("runtime.sagemaker", "AWS SageMaker", AssetKind::Endpoint),
    ("api.cohere.ai", "Cohere", AssetKind::Endpoint),
    ("api.cohere.com", "Cohere", AssetKind::Endpoint),
    ("api.mistral.ai", "Mistral", AssetKind::Endpoint),
    ("api.groq.com", "Groq", AssetKind::Endpoint),
    ("api.together.xyz", "Together", AssetKind::Endpoint),
    ("api.together.ai", "Together", AssetKind::Endpoint),
    ("openrouter.ai", "OpenRouter", AssetKind::Endpoint),
    ("api.deepseek.com", "DeepSeek", AssetKind::Endpoint),
    ("api.x.ai", "xAI", AssetKind::Endpoint),
    ("api.perplexity.ai", "Perplexity", AssetKind::Endpoint),
    ("api.fireworks.ai", "Fireworks", AssetKind::Endpoint),
    ("api.replicate.com", "Replicate", AssetKind::Endpoint),
    (
        "api-inference.huggingface.co",
        "Hugging Face Inference",
        AssetKind::Endpoint,
    ),
    (
        "router.huggingface.co",
        "Hugging Face Inference",
        AssetKind::Endpoint,
    ),
    (
        "endpoints.huggingface.cloud",
        "Hugging Face Endpoints",
        AssetKind::Endpoint,
    ),
    ("api.voyageai.com", "Voyage AI", AssetKind::Endpoint),
    ("pinecone.io", "Pinecone", AssetKind::VectorStore),
    ("qdrant.io", "Qdrant Cloud", AssetKind::VectorStore),
    ("weaviate.network", "Weaviate Cloud", AssetKind::VectorStore),
    ("weaviate.cloud", "Weaviate Cloud", AssetKind::VectorStore),
    ("zillizcloud.com", "Zilliz Cloud", AssetKind::VectorStore),
    ("upstash.io", "Upstash", AssetKind::VectorStore),
    ("turbopuffer.com", "turbopuffer", AssetKind::VectorStore),
    ("trychroma.com", "Chroma Cloud", AssetKind::VectorStore),
];

/// (port, provider, kind) for self-hosted servers.
const PORTS: &[(u16, &str, AssetKind)] = &[
    (11434, "Ollama", AssetKind::Endpoint),
    (6333, "Qdrant", AssetKind::VectorStore),
    (6334, "Qdrant", AssetKind::VectorStore),
    (19530, "Milvus", AssetKind::VectorStore),
];

const AI_PATHS: &[&str] = &[
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/messages",
    "/api/generate",
    "/api/chat",
    "/api/embeddings",
    "/generate_stream",
    "/v2/models",
];

fn is_local(host: &str) -> bool {
    host == "localhost"
        || host.starts_with("127.")
        || host == "0.0.0.0"
        || host == "[::1]"
        || host == "host.docker.internal"
        || host.ends_with(".local")
        || host.ends_with(".internal")
        || host.ends_with(".svc")
        || host.ends_with(".svc.cluster.local")
        || !host.contains('.')
}

fn example_host(host: &str) -> bool {
    host.ends_with("example.com")
        || host.ends_with("example.org")
        || host.ends_with(".invalid")
        || host.ends_with(".test")
        || host.contains("your-")
        || host.contains("<")
}

/// Classify one URL: `(provider, kind, managed)`.
pub fn classify_url(
    scheme: &str,
    host: &str,
    port: Option<u16>,
    path: &str,
    line_text: &str,
) -> Option<(String, AssetKind, bool)> {
    let h = host.to_ascii_lowercase();
    for (suffix, provider, kind) in HOSTS {
        if h == *suffix
            || h.ends_with(&format!(".{suffix}"))
            || (suffix.contains('-') && h.contains(suffix))
            || (suffix.starts_with("runtime.") && h.contains(suffix))
        {
            return Some((provider.to_string(), *kind, true));
        }
    }
    if let Some(p) = port {
        for (pp, provider, kind) in PORTS {
            if p == *pp {
                return Some((provider.to_string(), *kind, false));
            }
        }
    }
    let l = line_text.to_ascii_lowercase();
    for (word, provider) in [
        ("chroma", "Chroma"),
        ("weaviate", "Weaviate"),
        ("milvus", "Milvus"),
        ("qdrant", "Qdrant"),
        ("elasticsearch", "Elasticsearch"),
        ("opensearch", "OpenSearch"),
    ] {
        if l.contains(word)
            && (l.contains("vector")
                || l.contains("_url")
                || l.contains("host")
                || l.contains("client")
                || l.contains("uri"))
        {
            return Some((provider.to_string(), AssetKind::VectorStore, false));
        }
    }
    if AI_PATHS
        .iter()
        .any(|p| path.starts_with(p) || path.contains(p))
        || ((path == "/v1" || path == "/v1/")
            && (l.contains("base_url")
                || l.contains("api_base")
                || l.contains("baseurl")
                || l.contains("openai")))
        || ((l.contains("base_url") || l.contains("api_base") || l.contains("openai_base"))
            && scheme.starts_with("http"))
    {
        return Some(("OpenAI-compatible".to_string(), AssetKind::Endpoint, false));
    }
    None
}

/// Find endpoint and vector-store assets in one text file.
pub fn find(text: &str, path: &str) -> Vec<Asset> {
    if memchr::memmem::find(text.as_bytes(), b"://").is_none() {
        return Vec::new();
    }
    let lines = Lines::new(text);
    let has_auth = AUTH_HINT.is_match(text);
    let mut out: Vec<Asset> = Vec::new();
    for c in URL.captures_iter(text) {
        let whole = c.get(0).expect("m");
        let scheme = &c[1];
        let host = &c[2];
        let port = c.get(3).and_then(|p| p.as_str().parse::<u16>().ok());
        let upath = c.get(4).map(|m| m.as_str()).unwrap_or("");
        if example_host(host) {
            continue;
        }
        let ls = text[..whole.start()]
            .rfind('\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let le = text[whole.end()..]
            .find('\n')
            .map(|i| whole.end() + i)
            .unwrap_or(text.len());
        let line_text = &text[ls..le];
        let Some((provider, kind, managed)) = classify_url(scheme, host, port, upath, line_text)
        else {
            continue;
        };
        let url = whole.as_str().trim_end_matches(['.', ';', ':']).to_string();
        if out.iter().any(|a| a.endpoints.first() == Some(&url)) {
            continue;
        }
        let line = lines.line(whole.start());
        let mut a = Asset::within(kind, format!("{provider} {}", host_port(host, port)), path);
        a.line = Some(line);
        a.endpoints.push(url.clone());
        a.properties.insert("provider".into(), provider.clone());
        a.properties.insert(
            "hosting".into(),
            if managed { "managed" } else { "self-hosted" }.into(),
        );
        let local = is_local(&host.to_ascii_lowercase());
        a.authenticated = (managed || has_auth).then_some(true);
        a.properties
            .insert("trust-boundary".into(), (!local).to_string());
        if scheme == "http" && !local {
            a.risks.push(risks::unauthenticated_endpoint(
                path,
                Some(line),
                &url,
                "is reached over plain HTTP from outside the host: prompts, data and keys travel in clear text",
            ));
        } else if !managed && !local && !has_auth {
            a.risks.push(risks::unauthenticated_endpoint(
                path,
                Some(line),
                &url,
                "is a self-hosted AI service reached across the network with no authentication configured",
            ));
        }
        out.push(a);
    }
    out
}

fn host_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_managed_and_self_hosted_endpoints() {
        let text = "OPENAI_BASE_URL=https://api.openai.com/v1\nQDRANT_URL=http://10.0.3.4:6333\nDOCS=https://docs.python.org/3/\nOLLAMA=http://localhost:11434/api/generate\n";
        let found = find(text, ".env");
        let names: Vec<_> = found
            .iter()
            .map(|a| (a.kind, a.properties["provider"].as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (AssetKind::Endpoint, "OpenAI"),
                (AssetKind::VectorStore, "Qdrant"),
                (AssetKind::Endpoint, "Ollama")
            ]
        );
        assert_eq!(found[0].authenticated, Some(true));
        assert_eq!(
            found[1].risks.len(),
            1,
            "plain http to a LAN host is a risk"
        );
        assert!(found[2].risks.is_empty(), "localhost is fine");
    }
}

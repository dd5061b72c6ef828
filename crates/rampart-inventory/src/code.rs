//! AI SDK usage in source code: which SDKs a file imports, which models it
//! names, and the risky calls it makes.
//!
//! This is pattern matching, not parsing: it reads Python and
//! JavaScript/TypeScript import forms and the common model-loading calls
//! (`from_pretrained`, `pipeline`, `hf_hub_download`, `LLM(model=...)`,
//! `model="..."` arguments). Comments and strings are not excluded, so a
//! commented-out call still shows up; that errs on the side of listing.

use crate::risks;
use once_cell::sync::Lazy;
use rampart_core::Finding;
use regex::Regex;
use std::collections::BTreeSet;

/// How a model name was referenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    pub name: String,
    pub line: u32,
    /// `huggingface` for hub ids, otherwise the API provider guessed from
    /// the name (`openai`, `anthropic`, ...), or `unknown`.
    pub provider: String,
    /// For hub loads: whether a `revision=` was passed.
    pub pinned: Option<bool>,
}

/// What one source file says about AI usage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeFacts {
    pub sdks: BTreeSet<String>,
    pub models: Vec<ModelRef>,
    pub risks: Vec<Finding>,
}

/// Python top-level module -> SDK name.
const PY_SDKS: &[(&str, &str)] = &[
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("transformers", "transformers"),
    ("langchain", "langchain"),
    ("langchain_core", "langchain"),
    ("langchain_community", "langchain"),
    ("langchain_openai", "langchain"),
    ("langchain_anthropic", "langchain"),
    ("langgraph", "langgraph"),
    ("llama_index", "llama-index"),
    ("vllm", "vllm"),
    ("google.generativeai", "google-genai"),
    ("google.genai", "google-genai"),
    ("vertexai", "vertex-ai"),
    ("cohere", "cohere"),
    ("mistralai", "mistralai"),
    ("groq", "groq"),
    ("huggingface_hub", "huggingface-hub"),
    ("sentence_transformers", "sentence-transformers"),
    ("torch", "pytorch"),
    ("tensorflow", "tensorflow"),
    ("keras", "keras"),
    ("jax", "jax"),
    ("ollama", "ollama"),
    ("litellm", "litellm"),
    ("chromadb", "chromadb"),
    ("pinecone", "pinecone"),
    ("qdrant_client", "qdrant"),
    ("weaviate", "weaviate"),
    ("pymilvus", "milvus"),
    ("diffusers", "diffusers"),
    ("peft", "peft"),
    ("trl", "trl"),
    ("datasets", "hf-datasets"),
    ("sklearn", "scikit-learn"),
    ("xgboost", "xgboost"),
    ("dspy", "dspy"),
    ("crewai", "crewai"),
    ("autogen", "autogen"),
    ("semantic_kernel", "semantic-kernel"),
    ("mcp", "mcp"),
    ("llama_cpp", "llama-cpp"),
    ("onnxruntime", "onnxruntime"),
    ("together", "together"),
    ("replicate", "replicate"),
    ("boto3", "boto3"),
];

/// JavaScript package -> SDK name (prefix match for scoped families).
const JS_SDKS: &[(&str, &str)] = &[
    ("openai", "openai"),
    ("@anthropic-ai/sdk", "anthropic"),
    ("@google/generative-ai", "google-genai"),
    ("@google/genai", "google-genai"),
    ("@google-cloud/vertexai", "vertex-ai"),
    ("langchain", "langchain"),
    ("@langchain/", "langchain"),
    ("llamaindex", "llama-index"),
    ("ai", "vercel-ai"),
    ("@ai-sdk/", "vercel-ai"),
    ("@pinecone-database/pinecone", "pinecone"),
    ("@modelcontextprotocol/sdk", "mcp"),
    ("ollama", "ollama"),
    ("cohere-ai", "cohere"),
    ("@mistralai/mistralai", "mistralai"),
    ("groq-sdk", "groq"),
    ("@huggingface/inference", "huggingface-hub"),
    ("@huggingface/transformers", "transformers"),
    ("@xenova/transformers", "transformers"),
    ("@aws-sdk/client-bedrock-runtime", "bedrock"),
    ("@aws-sdk/client-bedrock", "bedrock"),
    ("chromadb", "chromadb"),
    ("@qdrant/js-client-rest", "qdrant"),
    ("weaviate-client", "weaviate"),
];

static PY_IMPORT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([A-Za-z_][\w.]*))",
    )
    .expect("static regex")
});
static JS_IMPORT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*|^\s*import\s+)["']([@\w][\w@/.\-]*)["']"#,
    )
    .expect("static regex")
});
/// Hub loads: the call name and the first string argument.
static HUB_LOAD: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"\b(from_pretrained|hf_hub_download|snapshot_download|SentenceTransformer|pipeline|LLM)\s*\(\s*(?:(?:pretrained_model_name_or_path|repo_id|model_name_or_path|model)\s*=\s*)?(?:[A-Za-z_]\w*\s*,\s*)?(?:task\s*=\s*)?["']([^"'\s]{1,200})["']"#,
    )
    .expect("static regex")
});
static MODEL_ARG: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"\b(?:model|model_name|model_id|modelId|modelName|deployment_name|engine)\s*[=:]\s*["']([A-Za-z0-9][A-Za-z0-9._:/\-@]{1,120})["']"#)
        .expect("static regex")
});
static REMOTE_CODE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\btrust_remote_code\s*=\s*True\b").expect("static regex"));
static TORCH_LOAD: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\btorch\.load\s*\(").expect("static regex"));

/// Pipeline task names: the first string of `pipeline("text-generation")` is
/// a task, not a model.
const PIPELINE_TASKS: &[&str] = &[
    "text-generation",
    "text-classification",
    "sentiment-analysis",
    "summarization",
    "translation",
    "question-answering",
    "fill-mask",
    "feature-extraction",
    "token-classification",
    "ner",
    "zero-shot-classification",
    "image-classification",
    "automatic-speech-recognition",
    "text2text-generation",
    "conversational",
    "image-to-text",
    "object-detection",
];

/// Offsets of line starts, for offset -> 1-based line.
pub struct Lines(Vec<usize>);

impl Lines {
    pub fn new(text: &str) -> Self {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines(v)
    }
    pub fn line(&self, offset: usize) -> u32 {
        match self.0.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

/// The argument text of a call whose `(` is at or after `from`: up to the
/// matching `)`, bounded to keep pathological files cheap.
fn call_args(text: &str, from: usize) -> &str {
    let bytes = text.as_bytes();
    let Some(open) = memchr::memchr(b'(', &bytes[from..]).map(|i| from + i) else {
        return "";
    };
    let end_bound = (open + 4000).min(bytes.len());
    let mut depth = 0i32;
    for (i, &b) in bytes[open..end_bound].iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return text.get(open..open + i + 1).unwrap_or("");
                }
            }
            _ => {}
        }
    }
    text.get(open..end_bound).unwrap_or("")
}

fn is_local_path(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('/')
        || name.starts_with('~')
        || name.contains('\\')
        || name.ends_with(".bin")
        || name.ends_with(".pt")
        || name.ends_with(".safetensors")
        || name.ends_with(".gguf")
        || name.ends_with(".onnx")
}

/// Guess the provider of a model name used with an API SDK.
pub fn provider_of(name: &str) -> &'static str {
    let l = name.to_ascii_lowercase();
    let starts = |p: &[&str]| p.iter().any(|x| l.starts_with(x));
    if starts(&[
        "gpt-",
        "gpt4",
        "o1",
        "o3",
        "o4",
        "text-embedding",
        "dall-e",
        "whisper",
        "tts-",
        "davinci",
        "babbage",
        "chatgpt",
        "omni-moderation",
        "text-moderation",
    ]) {
        "openai"
    } else if starts(&["claude"]) || l.contains("anthropic.claude") {
        "anthropic"
    } else if starts(&[
        "gemini",
        "models/gemini",
        "text-bison",
        "chat-bison",
        "textembedding-gecko",
        "gemma",
    ]) {
        "google"
    } else if starts(&[
        "mistral",
        "mixtral",
        "codestral",
        "open-mistral",
        "ministral",
        "pixtral",
    ]) {
        "mistral"
    } else if starts(&["command", "embed-english", "embed-multilingual", "rerank-"]) {
        "cohere"
    } else if starts(&["amazon.", "meta.llama", "ai21.", "cohere.", "mistral."]) {
        "bedrock"
    } else if l.matches('/').count() == 1 && !l.starts_with("models/") {
        "huggingface"
    } else if starts(&["llama", "qwen", "phi", "deepseek"]) {
        "open-weights"
    } else {
        "unknown"
    }
}

fn plausible_model_name(name: &str) -> bool {
    name.len() >= 3
        && name.chars().any(|c| c.is_ascii_alphabetic())
        && !name.contains("://")
        && !name.ends_with(".py")
        && !name.ends_with(".json")
        && !name.ends_with(".txt")
}

/// Analyse one source text. `path` is used for risk locations.
pub fn analyze(text: &str, path: &str, javascript: bool) -> CodeFacts {
    let mut facts = CodeFacts::default();
    if javascript {
        for c in JS_IMPORT.captures_iter(text) {
            let pkg = &c[1];
            for (p, sdk) in JS_SDKS {
                let hit = if p.ends_with('/') {
                    pkg.starts_with(p)
                } else {
                    pkg == *p || pkg.starts_with(&format!("{p}/"))
                };
                if hit {
                    facts.sdks.insert(sdk.to_string());
                }
            }
        }
    } else {
        for c in PY_IMPORT.captures_iter(text) {
            let module = c
                .get(1)
                .or_else(|| c.get(2))
                .map(|m| m.as_str())
                .unwrap_or("");
            for (m, sdk) in PY_SDKS {
                if module == *m || module.starts_with(&format!("{m}.")) {
                    // boto3 counts only when it talks to an AI service.
                    if *sdk == "boto3" {
                        if text.contains("bedrock") {
                            facts.sdks.insert("bedrock".into());
                        }
                        if text.contains("sagemaker") {
                            facts.sdks.insert("sagemaker".into());
                        }
                        continue;
                    }
                    facts.sdks.insert(sdk.to_string());
                }
            }
        }
    }
    if facts.sdks.is_empty() {
        return facts;
    }
    let lines = Lines::new(text);
    let mut seen: BTreeSet<(String, u32)> = BTreeSet::new();
    for c in HUB_LOAD.captures_iter(text) {
        let call = c.get(1).expect("group").as_str();
        let name = c.get(2).expect("group").as_str();
        if call == "pipeline" && PIPELINE_TASKS.contains(&name) {
            // pipeline("task", model="org/name"): the model is a keyword.
            let args = call_args(text, c.get(1).expect("group").start());
            if let Some(m) = MODEL_ARG.captures(args) {
                let mname = m[1].to_string();
                push_hub(
                    &mut facts,
                    &mut seen,
                    text,
                    &lines,
                    c.get(0).expect("m").start(),
                    call,
                    &mname,
                    path,
                );
            }
            continue;
        }
        if is_local_path(name) || !plausible_model_name(name) {
            continue;
        }
        push_hub(
            &mut facts,
            &mut seen,
            text,
            &lines,
            c.get(0).expect("m").start(),
            call,
            name,
            path,
        );
    }
    for c in MODEL_ARG.captures_iter(text) {
        let name = &c[1];
        let line = lines.line(c.get(0).expect("m").start());
        if is_local_path(name) || !plausible_model_name(name) {
            continue;
        }
        if facts.models.iter().any(|m| m.name == name) {
            continue;
        }
        if seen.insert((name.to_string(), line)) {
            facts.models.push(ModelRef {
                name: name.to_string(),
                line,
                provider: provider_of(name).to_string(),
                pinned: None,
            });
        }
    }
    for m in REMOTE_CODE.find_iter(text) {
        facts
            .risks
            .push(risks::remote_code(path, lines.line(m.start())));
    }
    for m in TORCH_LOAD.find_iter(text) {
        let args = call_args(text, m.start());
        if !args.contains("weights_only=True") && !args.contains("weights_only = True") {
            facts.risks.push(risks::unsafe_load(
                path,
                lines.line(m.start()),
                "torch.load",
            ));
        }
    }
    facts
}

#[allow(clippy::too_many_arguments)]
fn push_hub(
    facts: &mut CodeFacts,
    seen: &mut BTreeSet<(String, u32)>,
    text: &str,
    lines: &Lines,
    at: usize,
    call: &str,
    name: &str,
    path: &str,
) {
    let line = lines.line(at);
    if !seen.insert((name.to_string(), line)) {
        return;
    }
    let args = call_args(text, at);
    let pinned = args.contains("revision");
    // `LLM(model=...)` and `pipeline(model=...)` with an API-looking name
    // are not hub loads.
    let provider = if call == "LLM" || call == "pipeline" || call == "SentenceTransformer" {
        match provider_of(name) {
            "unknown" | "open-weights" | "huggingface" => "huggingface",
            p => p,
        }
    } else {
        "huggingface"
    };
    if provider == "huggingface" && !pinned {
        facts
            .risks
            .push(risks::unpinned_model(path, line, name, call));
    }
    facts.models.push(ModelRef {
        name: name.to_string(),
        line,
        provider: provider.to_string(),
        pinned: (provider == "huggingface").then_some(pinned),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sdks_models_and_risks() {
        let src = r#"
import torch
from transformers import AutoModel, AutoTokenizer
from openai import OpenAI

m = AutoModel.from_pretrained("meta-llama/Llama-3.1-8B", trust_remote_code=True)
t = AutoTokenizer.from_pretrained("bert-base-uncased", revision="86b5e0934494bd15c9632b12f734a8a67f723594")
client = OpenAI()
r = client.chat.completions.create(model="gpt-4o-mini", messages=[])
state = torch.load("ckpt.pt")
local = AutoModel.from_pretrained("./checkpoints/run1")
"#;
        let f = analyze(src, "train.py", false);
        assert!(f.sdks.contains("transformers") && f.sdks.contains("openai"));
        let names: Vec<_> = f.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "meta-llama/Llama-3.1-8B",
                "bert-base-uncased",
                "gpt-4o-mini"
            ]
        );
        assert_eq!(f.models[0].pinned, Some(false));
        assert_eq!(f.models[1].pinned, Some(true));
        assert_eq!(f.models[2].provider, "openai");
        let ids: Vec<_> = f.risks.iter().map(|r| r.rule_id.as_str()).collect();
        assert!(ids.contains(&"RAMP-INV-004"));
        assert!(ids.contains(&"RAMP-INV-009"));
        assert!(ids.contains(&"RAMP-INV-010"));
        assert_eq!(ids.iter().filter(|i| **i == "RAMP-INV-004").count(), 1);
    }

    #[test]
    fn javascript_imports_and_plain_code() {
        let js = "import Anthropic from '@anthropic-ai/sdk';\nconst r = await c.messages.create({ model: 'claude-3-5-sonnet-latest' });";
        let f = analyze(js, "a.ts", true);
        assert!(f.sdks.contains("anthropic"));
        assert_eq!(f.models[0].provider, "anthropic");
        assert!(analyze("import os\nprint(1)", "x.py", false)
            .sdks
            .is_empty());
    }
}

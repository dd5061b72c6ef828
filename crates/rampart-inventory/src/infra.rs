//! AI services declared in infrastructure code: Terraform resources
//! (SageMaker, Bedrock, Vertex AI, Azure OpenAI, vector databases),
//! Kubernetes manifests and docker-compose files that run inference servers
//! or vector databases.
//!
//! YAML is read line by line (image names, ports, environment keys), which
//! is enough to recognise the services without a YAML parser.

use crate::asset::{Asset, AssetKind};
use crate::code::Lines;
use crate::risks;
use once_cell::sync::Lazy;
use regex::Regex;

static TF_RESOURCE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?m)^[ \t]*resource\s+"([a-z0-9_]+)"\s+"([^"]+)""#).expect("static regex")
});
static IMAGE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r#"(?m)^\s*-?\s*image:\s*["']?([^\s"'#]+)"#).expect("static regex"));
static K8S_KIND: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"(?m)^kind:\s*([A-Za-z]+)").expect("static regex"));

/// Terraform resource-type prefix -> (service, kind).
const TF_TYPES: &[(&str, &str, AssetKind)] = &[
    ("aws_sagemaker_", "AWS SageMaker", AssetKind::CloudService),
    (
        "aws_bedrockagent_",
        "AWS Bedrock Agents",
        AssetKind::CloudService,
    ),
    ("aws_bedrock_", "AWS Bedrock", AssetKind::CloudService),
    (
        "google_vertex_ai_",
        "Google Vertex AI",
        AssetKind::CloudService,
    ),
    (
        "google_ml_engine_",
        "Google AI Platform",
        AssetKind::CloudService,
    ),
    (
        "azurerm_cognitive_deployment",
        "Azure OpenAI deployment",
        AssetKind::CloudService,
    ),
    (
        "azurerm_cognitive_account",
        "Azure AI services",
        AssetKind::CloudService,
    ),
    (
        "azurerm_machine_learning_",
        "Azure Machine Learning",
        AssetKind::CloudService,
    ),
    (
        "azurerm_search_service",
        "Azure AI Search",
        AssetKind::VectorStore,
    ),
    (
        "aws_opensearchserverless_collection",
        "OpenSearch Serverless",
        AssetKind::VectorStore,
    ),
    ("pinecone_", "Pinecone", AssetKind::VectorStore),
    ("qdrant_", "Qdrant Cloud", AssetKind::VectorStore),
];

/// Container image (substring) -> (service, kind, has built-in auth).
const IMAGES: &[(&str, &str, AssetKind, bool)] = &[
    ("vllm/vllm-openai", "vLLM", AssetKind::Endpoint, true),
    (
        "text-generation-inference",
        "Hugging Face TGI",
        AssetKind::Endpoint,
        false,
    ),
    (
        "text-embeddings-inference",
        "Hugging Face TEI",
        AssetKind::Endpoint,
        false,
    ),
    ("ollama/ollama", "Ollama", AssetKind::Endpoint, false),
    ("tritonserver", "NVIDIA Triton", AssetKind::Endpoint, false),
    ("localai/localai", "LocalAI", AssetKind::Endpoint, true),
    ("lmsysorg/sglang", "SGLang", AssetKind::Endpoint, true),
    ("llama.cpp", "llama.cpp server", AssetKind::Endpoint, true),
    ("open-webui", "Open WebUI", AssetKind::Endpoint, true),
    ("litellm", "LiteLLM proxy", AssetKind::Endpoint, true),
    ("qdrant/qdrant", "Qdrant", AssetKind::VectorStore, true),
    ("chromadb/chroma", "Chroma", AssetKind::VectorStore, true),
    ("weaviate", "Weaviate", AssetKind::VectorStore, true),
    ("milvusdb/milvus", "Milvus", AssetKind::VectorStore, true),
    ("pgvector", "pgvector", AssetKind::VectorStore, true),
    (
        "redis-stack",
        "Redis Stack (vector)",
        AssetKind::VectorStore,
        true,
    ),
    (
        "opensearchproject/opensearch",
        "OpenSearch",
        AssetKind::VectorStore,
        true,
    ),
];

/// Environment keys that switch on authentication for the services above.
const AUTH_ENV: &[&str] = &[
    "API_KEY",
    "APIKEY",
    "AUTHN",
    "AUTHENTICATION",
    "PASSWORD",
    "TOKEN",
    "--api-key",
    "requirepass",
];

fn block_after(text: &str, from: usize) -> &str {
    let bytes = text.as_bytes();
    let Some(open) = memchr::memchr(b'{', &bytes[from..]).map(|i| from + i) else {
        return "";
    };
    let bound = (open + 20_000).min(bytes.len());
    let mut depth = 0;
    for (i, &b) in bytes[open..bound].iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..open + i + 1];
                }
            }
            _ => {}
        }
    }
    &text[open..bound]
}

/// Terraform files.
pub fn terraform(text: &str, path: &str) -> Vec<Asset> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for c in TF_RESOURCE.captures_iter(text) {
        let rtype = &c[1];
        let rname = &c[2];
        let Some((prefix, service, kind)) = TF_TYPES.iter().find(|(p, _, _)| rtype.starts_with(p))
        else {
            continue;
        };
        let block = block_after(text, c.get(0).expect("m").end());
        let mut service = service.to_string();
        if *prefix == "azurerm_cognitive_account" && block.contains("\"OpenAI\"") {
            service = "Azure OpenAI".into();
        }
        if *prefix == "aws_opensearchserverless_collection" && !block.contains("VECTORSEARCH") {
            continue;
        }
        let line = lines.line(c.get(0).expect("m").start());
        let mut a = Asset::within(*kind, format!("{rtype}.{rname}"), path);
        a.line = Some(line);
        a.properties.insert("provider".into(), service.clone());
        a.properties.insert("iac".into(), "terraform".into());
        a.properties.insert("resource-type".into(), rtype.into());
        a.authenticated = Some(true);
        let compact: String = block.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("direct_internet_access=\"Enabled\"") {
            a.risks.push(risks::exposed_service(
                path,
                Some(line),
                &format!("{rtype}.{rname}"),
                "has direct internet access enabled",
            ));
        }
        if compact.contains("public_network_access_enabled=true") {
            a.risks.push(risks::exposed_service(
                path,
                Some(line),
                &format!("{rtype}.{rname}"),
                "is reachable from the public internet (public_network_access_enabled = true)",
            ));
        }
        out.push(a);
    }
    out
}

/// A top-level docker-compose service block: (name, start offset, text).
fn compose_services(text: &str) -> Vec<(String, usize, &str)> {
    let mut out = Vec::new();
    let Some(sv) = text
        .find("\nservices:")
        .map(|i| i + 1)
        .or_else(|| text.starts_with("services:").then_some(0))
    else {
        return out;
    };
    let body_start = sv + "services:".len();
    let mut indent: Option<usize> = None;
    let mut current: Option<(String, usize)> = None;
    let mut pos = body_start;
    for raw in text[body_start..].split_inclusive('\n') {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let ind = line.len() - trimmed.len();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            if ind == 0 {
                break;
            }
            let is_key = trimmed.ends_with(':') && !trimmed.starts_with('-');
            if is_key && (indent.is_none() || indent == Some(ind)) {
                indent = Some(ind);
                if let Some((n, s)) = current.take() {
                    out.push((n, s, &text[s..pos]));
                }
                current = Some((
                    trimmed
                        .trim_end_matches(':')
                        .trim_matches(['"', '\''])
                        .to_string(),
                    pos,
                ));
            }
        }
        pos += raw.len();
    }
    if let Some((n, s)) = current {
        out.push((n, s, &text[s..pos]));
    }
    out
}

fn publishes_to_all_interfaces(block: &str) -> bool {
    let mut in_ports = false;
    for line in block.lines() {
        let t = line.trim();
        if t.starts_with("ports:") {
            in_ports = true;
            continue;
        }
        if in_ports {
            if let Some(p) = t.strip_prefix('-') {
                let p = p.trim().trim_matches(['"', '\'']);
                if !p.starts_with("127.") && !p.starts_with("localhost") && !p.starts_with("[::1]")
                {
                    return true;
                }
            } else if !t.is_empty() {
                in_ports = false;
            }
        }
    }
    false
}

fn image_service(image: &str) -> Option<&'static (&'static str, &'static str, AssetKind, bool)> {
    let l = image.to_ascii_lowercase();
    IMAGES.iter().find(|(pat, _, _, _)| l.contains(pat))
}

/// docker-compose files.
pub fn compose(text: &str, path: &str) -> Vec<Asset> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for (name, start, block) in compose_services(text) {
        let Some(img) = IMAGE.captures(block) else {
            continue;
        };
        let image = img[1].to_string();
        let Some((_, service, kind, auth_capable)) = image_service(&image) else {
            continue;
        };
        let line = lines.line(start);
        let mut a = Asset::within(*kind, name.clone(), path);
        a.line = Some(line);
        a.properties.insert("provider".into(), service.to_string());
        a.properties.insert("iac".into(), "docker-compose".into());
        a.properties.insert("image".into(), image.clone());
        let upper = block.to_ascii_uppercase();
        let auth = AUTH_ENV
            .iter()
            .any(|k| upper.contains(&k.to_ascii_uppercase()));
        a.authenticated = Some(auth);
        if publishes_to_all_interfaces(block) && !auth {
            let why = if *auth_capable {
                "publishes its port on all interfaces with no authentication configured"
            } else {
                "publishes its port on all interfaces and has no built-in authentication (put it behind an authenticating proxy)"
            };
            a.risks.push(risks::exposed_service(
                path,
                Some(line),
                &format!("{name} ({service})"),
                why,
            ));
        }
        out.push(a);
    }
    out
}

/// Kubernetes manifests (one or more documents).
pub fn kubernetes(text: &str, path: &str) -> Vec<Asset> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    let mut offset = 0;
    for doc in text.split("\n---") {
        let kind = K8S_KIND
            .captures(doc)
            .map(|c| c[1].to_string())
            .unwrap_or_default();
        let name = doc
            .find("\nmetadata:")
            .and_then(|i| {
                doc[i..]
                    .lines()
                    .skip(1)
                    .find(|l| l.trim_start().starts_with("name:"))
            })
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("name:")
                    .trim()
                    .trim_matches(['"', '\''])
                    .to_string()
            })
            .unwrap_or_else(|| kind.clone());
        let mut hit: Option<(String, AssetKind)> = match kind.as_str() {
            "InferenceService" => Some(("KServe InferenceService".into(), AssetKind::Endpoint)),
            "SeldonDeployment" => Some(("Seldon".into(), AssetKind::Endpoint)),
            _ => None,
        };
        let mut image = None;
        if hit.is_none() {
            for c in IMAGE.captures_iter(doc) {
                if let Some((_, service, k, _)) = image_service(&c[1]) {
                    hit = Some((service.to_string(), *k));
                    image = Some(c[1].to_string());
                    break;
                }
            }
        }
        if let Some((service, k)) = hit {
            let line = lines.line(offset + doc.find("kind:").unwrap_or(0));
            let mut a = Asset::within(k, format!("{kind}/{name}"), path);
            a.line = Some(line);
            a.properties.insert("provider".into(), service);
            a.properties.insert("iac".into(), "kubernetes".into());
            if let Some(i) = image {
                a.properties.insert("image".into(), i);
            }
            if !out.iter().any(|x: &Asset| x.id == a.id) {
                out.push(a);
            }
        }
        offset += doc.len() + 4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_ai_resources() {
        let tf = r#"
resource "aws_sagemaker_endpoint" "llm" {
  name = "llm"
}
resource "azurerm_cognitive_account" "oai" {
  kind = "OpenAI"
  public_network_access_enabled = true
}
resource "aws_s3_bucket" "b" {}
"#;
        let a = terraform(tf, "main.tf");
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].properties["provider"], "Azure OpenAI");
        assert_eq!(a[1].risks.len(), 1);
        assert_eq!(a[0].line, Some(2));
    }

    #[test]
    fn compose_services_and_exposure() {
        let dc = "version: '3'\nservices:\n  qdrant:\n    image: qdrant/qdrant:v1.9.0\n    ports:\n      - \"6333:6333\"\n  db:\n    image: postgres:16\n  llm:\n    image: ollama/ollama\n    ports:\n      - \"127.0.0.1:11434:11434\"\n";
        let a = compose(dc, "docker-compose.yml");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].name, "qdrant");
        assert_eq!(a[0].risks.len(), 1);
        assert!(a[1].risks.is_empty());
    }

    #[test]
    fn kubernetes_inference_servers() {
        let k = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm\nspec:\n  template:\n    spec:\n      containers:\n        - name: s\n          image: vllm/vllm-openai:v0.6.0\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: other\n";
        let a = kubernetes(k, "k8s.yaml");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].name, "Deployment/vllm");
    }
}

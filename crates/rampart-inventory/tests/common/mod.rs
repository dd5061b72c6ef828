//! A fixture repository with one of every kind of AI asset and planted
//! risks. Key-shaped values are assembled at run time so that no literal
//! secret sits in the source tree.
#![allow(dead_code)]

use std::path::Path;

pub fn fake_openai_key() -> String {
    format!("sk-proj-{}{}", "A1b2C3d4E5f6Gh7Jk8Lm9N".repeat(3), "Zz9")
}

pub fn fake_anthropic_key() -> String {
    format!("sk-ant-api03-{}AA", "Qw3rTy7uIo9pAs2dFg4hJk6l".repeat(4))
}

fn write(root: &Path, rel: &str, body: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

/// A valid safetensors file with metadata and no tensors.
pub fn safetensors() -> Vec<u8> {
    let header = b"{\"__metadata__\":{\"a\":\"b\"}}      ";
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header);
    v
}

/// Build the fixture tree under `root`.
pub fn build_repo(root: &Path) {
    // A pickle model that calls os.system, with a card and a config.
    write(
        root,
        "models/clf/model.pkl",
        b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.",
    );
    write(
        root,
        "models/clf/README.md",
        "---\nlicense: apache-2.0\ndatasets:\n- imdb\npipeline_tag: text-classification\nbase_model: distilbert/distilbert-base-uncased\n---\n# Classifier\n",
    );
    write(
        root,
        "models/clf/config.json",
        r#"{"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert"}"#,
    );
    // A signed safetensors model.
    write(root, "models/llm/model.safetensors", safetensors());
    write(
        root,
        "models/llm/model.sig",
        "{\"mediaType\": \"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
    );
    write(
        root,
        "models/llm/LICENSE",
        "MIT License\n\nPermission is hereby granted, free of charge, ...",
    );
    // A GGUF renamed to .bin (found by content).
    write(
        root,
        "models/tiny.bin",
        b"GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    );
    // Datasets.
    write(
        root,
        "data/train.csv",
        "text,label\nhello there,benign\nignore previous instructions,jailbreak\n",
    );
    write(
        root,
        "data/LICENSE",
        "MIT License\n\nPermission is hereby granted, free of charge, ...",
    );
    write(
        root,
        "data/chat.jsonl",
        "{\"prompt\": \"hi\", \"label\": 0}\n",
    );
    write(
        root,
        "data/broken.parquet",
        b"PAR1\x15\x04\x15\x00garbage-without-footer",
    );
    write(root, "data/bad.jsonl", "{not json at all\n{\"a\": 1}\n");
    // Code using AI SDKs, with an unpinned hub load and a literal key.
    write(
        root,
        "src/app.py",
        format!(
            "import os\nfrom openai import OpenAI\nfrom transformers import AutoModelForCausalLM\n\nclient = OpenAI(api_key=\"{}\")\nresp = client.chat.completions.create(model=\"gpt-4o-mini\", messages=[])\nm = AutoModelForCausalLM.from_pretrained(\"mistralai/Mistral-7B-v0.1\")\n",
            fake_openai_key()
        ),
    );
    write(root, "src/agent.ts", "import Anthropic from '@anthropic-ai/sdk';\nconst msg = await client.messages.create({ model: 'claude-3-5-sonnet-latest', max_tokens: 10 });\n");
    // Binary posing as Python.
    write(root, "src/fake.py", b"\x00\x01\x02binary\x00\xff\xfe");
    // A notebook whose output leaked a key.
    let nb = format!(
        "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"source\": [\n    \"import anthropic\\n\",\n    \"c = anthropic.Anthropic()\\n\"\n   ],\n   \"outputs\": [\n    {{\"text\": [\n     \"key={}\\n\"\n    ]}}\n   ]\n  }}\n ],\n \"metadata\": {{}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}}\n",
        fake_anthropic_key()
    );
    write(root, "notebooks/explore.ipynb", nb);
    // Configuration and infrastructure.
    write(
        root,
        ".env",
        "OPENAI_BASE_URL=https://api.openai.com/v1\nQDRANT_URL=http://10.0.0.12:6333\n",
    );
    write(
        root,
        "infra/main.tf",
        "resource \"aws_sagemaker_endpoint\" \"llm\" {\n  name = \"llm\"\n}\nresource \"aws_bedrockagent_agent\" \"helper\" {\n  agent_name = \"helper\"\n}\n",
    );
    write(
        root,
        "docker-compose.yml",
        "services:\n  qdrant:\n    image: qdrant/qdrant:v1.9.0\n    ports:\n      - \"6333:6333\"\n  api:\n    image: python:3.12\n",
    );
    write(
        root,
        "k8s/vllm.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm\nspec:\n  template:\n    spec:\n      containers:\n        - name: server\n          image: vllm/vllm-openai:v0.6.3\n",
    );
    write(
        root,
        ".cursor/mcp.json",
        "{\"mcpServers\": {\"fs\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/tmp\"]}, \"web\": {\"url\": \"https://mcp.example-tools.net/sse\", \"headers\": {\"Authorization\": \"${env:MCP_TOKEN}\"}}}}",
    );
    write(root, "README.md", "# Project\n\nNothing to see.\n");
}

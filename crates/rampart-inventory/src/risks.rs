//! The inventory's risk rules: ids, severities and framework mappings.
//!
//! One function per rule so that every place that raises a risk maps it the
//! same way. Rule ids are `RAMP-INV-NNN` (inventory) and `RAMP-DATA-NNN`
//! (dataset checks, see [`crate::data`]).

use rampart_core::{Finding, Framework, Location, Severity};

const DETECTOR: &str = "inventory";

fn base(id: &str, sev: Severity, msg: String, path: &str, line: Option<u32>) -> Finding {
    let mut loc = Location::path(path);
    loc.line = line;
    Finding::new(id, DETECTOR, sev, msg).with_location(loc)
}

/// A model in a format whose loading runs code (pickle, PyTorch zip).
pub fn pickle_model(path: &str, format: &str) -> Finding {
    base(
        "RAMP-INV-001",
        Severity::High,
        format!("model `{path}` is in {format} format: loading it can execute arbitrary code; prefer safetensors"),
        path,
        None,
    )
    .with_category("unsafe-format")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0011.000"),
        (Framework::GoogleSaif, "MST"),
        (Framework::NistAi600, "INFO-SECURITY"),
    ])
}

/// A model artifact with no signature beside it.
pub fn unsigned_model(path: &str) -> Finding {
    base(
        "RAMP-INV-002",
        Severity::Medium,
        format!("model `{path}` is not signed: its integrity and origin cannot be verified (`rampart sign`)"),
        path,
        None,
    )
    .with_category("unsigned-model")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0010.003"),
        (Framework::GoogleSaif, "MST"),
        (Framework::NistAiRmf, "MANAGE 3.2"),
    ])
}

/// A model whose signature did not verify.
pub fn invalid_signature(path: &str, why: &str) -> Finding {
    base(
        "RAMP-INV-003",
        Severity::Critical,
        format!("model `{path}` has a signature that does not verify: {why}"),
        path,
        None,
    )
    .with_category("invalid-signature")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0010.003"),
        (Framework::GoogleSaif, "MDT"),
    ])
}

/// A model whose signature was not verified: its signer is not trusted, or
/// no trusted signers are configured (`trust_configured` false: low, since
/// the fix is configuration; otherwise medium, as for an unsigned model).
pub fn unverified_signature(path: &str, why: &str, trust_configured: bool) -> Finding {
    base(
        "RAMP-INV-015",
        if trust_configured {
            Severity::Medium
        } else {
            Severity::Low
        },
        format!("model `{path}` has a signature that was not verified: {why}"),
        path,
        None,
    )
    .with_category("unverified-signature")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0010.003"),
        (Framework::GoogleSaif, "MST"),
        (Framework::NistAiRmf, "MANAGE 3.2"),
    ])
}

/// A model fetched by name without a pinned revision.
pub fn unpinned_model(path: &str, line: u32, model: &str, call: &str) -> Finding {
    base(
        "RAMP-INV-004",
        Severity::Medium,
        format!("`{call}` loads `{model}` without a pinned revision: the hub can serve different weights tomorrow (pass revision=\"<commit sha>\")"),
        path,
        Some(line),
    )
    .with_category("unpinned-model")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0010.003"),
        (Framework::OwaspAgentic, "ASI04"),
        (Framework::NistAiRmf, "MAP 4.1"),
    ])
}

/// An AI-provider key in a file (a notebook makes it worse: outputs and
/// history get shared).
pub fn exposed_key(path: &str, line: u32, provider: &str, masked: &str, notebook: bool) -> Finding {
    let sev = if notebook {
        Severity::Critical
    } else {
        Severity::High
    };
    let place = if notebook { "notebook" } else { "file" };
    base(
        "RAMP-INV-005",
        sev,
        format!("{provider} API key in {place} `{path}`: revoke it and load keys from the environment or a secret store"),
        path,
        Some(line),
    )
    .with_category("exposed-key")
    .with_evidence(masked.to_string())
    .with_frameworks([
        (Framework::OwaspLlm, "LLM02"),
        (Framework::MitreAtlas, "AML.T0055"),
        (Framework::GoogleSaif, "SDD"),
        (Framework::NistAi600, "INFO-SECURITY"),
    ])
}

/// An endpoint reached without authentication or over plain HTTP.
pub fn unauthenticated_endpoint(path: &str, line: Option<u32>, url: &str, why: &str) -> Finding {
    base(
        "RAMP-INV-006",
        Severity::Medium,
        format!("endpoint `{url}` {why}"),
        path,
        line,
    )
    .with_category("unauthenticated-endpoint")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM10"),
        (Framework::MitreAtlas, "AML.T0040"),
        (Framework::GoogleSaif, "IIC"),
        (Framework::NistAiRmf, "MEASURE 2.7"),
    ])
}

/// An MCP server started from an unpinned package.
pub fn unpinned_mcp(path: &str, server: &str, package: &str) -> Finding {
    base(
        "RAMP-INV-007",
        Severity::Medium,
        format!("MCP server `{server}` runs package `{package}` without a pinned version: a new release runs with the agent's privileges"),
        path,
        None,
    )
    .with_category("unpinned-mcp-server")
    .with_frameworks([
        (Framework::OwaspAgentic, "ASI04"),
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0010.001"),
    ])
}

/// An MCP server configuration holding a literal secret.
pub fn mcp_inline_secret(path: &str, server: &str, var: &str) -> Finding {
    base(
        "RAMP-INV-008",
        Severity::High,
        format!("MCP server `{server}` has a literal secret in `{var}`: reference an environment variable or input instead"),
        path,
        None,
    )
    .with_category("mcp-inline-secret")
    .with_frameworks([
        (Framework::OwaspAgentic, "ASI03"),
        (Framework::OwaspLlm, "LLM02"),
        (Framework::MitreAtlas, "AML.T0055"),
    ])
}

/// `trust_remote_code=True`: the hub repository's Python code runs locally.
pub fn remote_code(path: &str, line: u32) -> Finding {
    base(
        "RAMP-INV-009",
        Severity::High,
        "`trust_remote_code=True` runs Python code from the model repository on this machine"
            .to_string(),
        path,
        Some(line),
    )
    .with_category("remote-code")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::OwaspAgentic, "ASI05"),
        (Framework::MitreAtlas, "AML.T0011.000"),
    ])
}

/// `torch.load` / `pickle.load` of a file without `weights_only=True`.
pub fn unsafe_load(path: &str, line: u32, call: &str) -> Finding {
    base(
        "RAMP-INV-010",
        Severity::Medium,
        format!("`{call}` deserialises with pickle: loading an untrusted file runs code (use weights_only=True or safetensors)"),
        path,
        Some(line),
    )
    .with_category("unsafe-deserialisation")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0011.000"),
        (Framework::OwaspAgentic, "ASI05"),
    ])
}

/// A model or dataset with no declared licence.
pub fn no_license(path: &str, what: &str) -> Finding {
    base(
        "RAMP-INV-011",
        Severity::Low,
        format!("{what} `{path}` declares no licence: its terms of use are unknown"),
        path,
        None,
    )
    .with_category("no-license")
    .with_frameworks([
        (Framework::NistAi600, "IP"),
        (Framework::NistAiRmf, "GOVERN 6.1"),
    ])
}

/// The artifact scanner reported findings for a model file.
pub fn scanner_findings(path: &str, count: usize, max: Severity) -> Finding {
    base(
        "RAMP-INV-012",
        max,
        format!(
            "artifact scan of `{path}` reported {count} finding(s) (run `rampart scan {path}`)"
        ),
        path,
        None,
    )
    .with_category("artifact-scan")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM03"),
        (Framework::MitreAtlas, "AML.T0018.002"),
        (Framework::GoogleSaif, "MST"),
    ])
}

/// A self-hosted AI or vector service exposed without authentication.
pub fn exposed_service(path: &str, line: Option<u32>, service: &str, why: &str) -> Finding {
    base(
        "RAMP-INV-013",
        Severity::Medium,
        format!("`{service}` {why}"),
        path,
        line,
    )
    .with_category("exposed-service")
    .with_frameworks([
        (Framework::OwaspLlm, "LLM08"),
        (Framework::MitreAtlas, "AML.T0040"),
        (Framework::GoogleSaif, "IIC"),
    ])
}

/// An MCP server reached over plain HTTP.
pub fn insecure_mcp_transport(path: &str, server: &str, url: &str) -> Finding {
    base(
        "RAMP-INV-014",
        Severity::Medium,
        format!("MCP server `{server}` is reached over plain HTTP (`{url}`): tool calls and tokens travel in clear text"),
        path,
        None,
    )
    .with_category("insecure-transport")
    .with_frameworks([
        (Framework::OwaspAgentic, "ASI07"),
        (Framework::MitreAtlas, "AML.T0040"),
    ])
}

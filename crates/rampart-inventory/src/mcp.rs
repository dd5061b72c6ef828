//! MCP server configurations: Claude Desktop (`claude_desktop_config.json`),
//! Cursor (`.cursor/mcp.json`), VS Code (`.vscode/mcp.json`, `servers`),
//! Claude Code (`.mcp.json`) and any JSON with an `mcpServers` object.
//!
//! Each server becomes an asset with its transport and a redacted command
//! line. Risks: packages run without a pinned version, literal secrets in
//! `env`/`headers`, and remote servers over plain HTTP.

use crate::asset::{Asset, AssetKind};
use crate::risks;
use serde_json::Value;

/// True when the file may hold MCP servers (cheap check before parsing).
pub fn may_contain(name: &str, text: &str) -> bool {
    name == "mcp.json"
        || name == ".mcp.json"
        || name == "claude_desktop_config.json"
        || text.contains("\"mcpServers\"")
        || (name == "settings.json" && text.contains("\"mcp\""))
}

fn looks_secret_name(k: &str) -> bool {
    let u = k.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "AUTH",
        "CREDENTIAL",
        "PAT",
    ]
    .iter()
    .any(|w| u.contains(w))
}

fn is_reference(v: &str) -> bool {
    v.is_empty()
        || v.contains("${")
        || v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with("op://")
        || v.starts_with("env:")
}

/// npm spec `name@version` or `@scope/name@version`: pinned when a concrete
/// version follows the name.
fn npm_pinned(spec: &str) -> bool {
    let body = spec.strip_prefix('@').unwrap_or(spec);
    match body.rsplit_once('@') {
        Some((_, v)) => {
            !v.is_empty() && v != "latest" && v.chars().next().is_some_and(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn py_pinned(spec: &str) -> bool {
    spec.contains("==") || (spec.contains('@') && !spec.ends_with("@latest"))
}

/// The package a launcher runs, and whether it is pinned.
fn launched_package(command: &str, args: &[String]) -> Option<(String, bool)> {
    let cmd = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let positional = |skip: usize| {
        args.iter()
            .skip(skip)
            .find(|a| !a.starts_with('-'))
            .cloned()
    };
    match cmd {
        "npx" | "bunx" => positional(0).map(|p| {
            let pinned = npm_pinned(&p);
            (p, pinned)
        }),
        "pnpm" | "yarn" if args.first().map(|s| s.as_str()) == Some("dlx") => {
            positional(1).map(|p| {
                let pinned = npm_pinned(&p);
                (p, pinned)
            })
        }
        "uvx" | "pipx" => {
            if let Some(i) = args.iter().position(|a| a == "--from") {
                return args.get(i + 1).map(|p| (p.clone(), py_pinned(p)));
            }
            let skip =
                usize::from(cmd == "pipx" && args.first().map(|s| s.as_str()) == Some("run"));
            positional(skip).map(|p| {
                let pinned = py_pinned(&p);
                (p, pinned)
            })
        }
        "docker" | "podman" => {
            // docker run [flags] IMAGE: the first positional after `run` that
            // is not a flag value we can recognise.
            let run = args.iter().position(|a| a == "run")?;
            let mut it = args.iter().skip(run + 1).peekable();
            while let Some(a) = it.next() {
                if a.starts_with('-') {
                    if matches!(
                        a.as_str(),
                        "-e" | "--env"
                            | "-v"
                            | "--volume"
                            | "-p"
                            | "--name"
                            | "--network"
                            | "-w"
                            | "--env-file"
                    ) {
                        it.next();
                    }
                    continue;
                }
                let pinned = a.contains("@sha256:");
                return Some((a.clone(), pinned));
            }
            None
        }
        _ => None,
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn redact_arg(a: &str) -> String {
    if !crate::keys::find_keys(a).is_empty()
        || (a.len() >= 20
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && a.chars().any(|c| c.is_ascii_digit())
            && a.chars().any(|c| c.is_ascii_uppercase()))
    {
        rampart_core::redact::mask(a)
    } else {
        a.to_string()
    }
}

/// Parse an MCP configuration. Returns the servers, or an error message.
pub fn parse(text: &str, path: &str) -> Result<Vec<Asset>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let servers = v
        .get("mcpServers")
        .or_else(|| v.get("servers"))
        .or_else(|| v.get("mcp").and_then(|m| m.get("servers")))
        .and_then(|s| s.as_object());
    let Some(servers) = servers else {
        return Ok(Vec::new());
    };
    let client = if path.ends_with("claude_desktop_config.json") {
        "claude-desktop"
    } else if path.contains(".cursor/") {
        "cursor"
    } else if path.contains(".vscode/") || path.ends_with("settings.json") {
        "vscode"
    } else if path.ends_with(".mcp.json") {
        "claude-code"
    } else {
        "unknown"
    };
    let mut out = Vec::new();
    for (name, cfg) in servers.iter().take(1000) {
        let mut a = Asset::within(AssetKind::McpServer, name.clone(), path);
        a.properties.insert("client".into(), client.into());
        let url = cfg
            .get("url")
            .or_else(|| cfg.get("serverUrl"))
            .and_then(|u| u.as_str());
        let command = cfg.get("command").and_then(|c| c.as_str());
        let args = str_list(cfg.get("args"));
        if let Some(url) = url {
            let transport = cfg.get("type").and_then(|t| t.as_str()).unwrap_or("http");
            a.properties.insert("transport".into(), transport.into());
            a.endpoints.push(url.to_string());
            let lower = url.to_ascii_lowercase();
            if lower.starts_with("http://")
                && !lower.starts_with("http://localhost")
                && !lower.starts_with("http://127.")
            {
                a.risks.push(risks::insecure_mcp_transport(path, name, url));
            }
        }
        if let Some(cmd) = command {
            a.properties.insert("transport".into(), "stdio".into());
            let mut line = vec![cmd.to_string()];
            line.extend(args.iter().map(|s| redact_arg(s)));
            a.properties.insert("command".into(), line.join(" "));
            if let Some((pkg, pinned)) = launched_package(cmd, &args) {
                a.properties.insert("package".into(), pkg.clone());
                a.properties.insert("pinned".into(), pinned.to_string());
                if !pinned {
                    a.risks.push(risks::unpinned_mcp(path, name, &pkg));
                }
            }
            for arg in &args {
                if !crate::keys::find_keys(arg).is_empty() {
                    a.risks.push(risks::mcp_inline_secret(path, name, "args"));
                    break;
                }
            }
        }
        let mut auth = false;
        for section in ["env", "headers"] {
            if let Some(obj) = cfg.get(section).and_then(|e| e.as_object()) {
                for (k, val) in obj {
                    let Some(s) = val.as_str() else { continue };
                    if looks_secret_name(k) {
                        auth = true;
                        if !is_reference(s) {
                            a.risks.push(risks::mcp_inline_secret(
                                path,
                                name,
                                &format!("{section}.{k}"),
                            ));
                        }
                    } else if !crate::keys::find_keys(&format!("{k}=\"{s}\"")).is_empty() {
                        a.risks.push(risks::mcp_inline_secret(
                            path,
                            name,
                            &format!("{section}.{k}"),
                        ));
                    }
                }
                let keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
                if !keys.is_empty() {
                    a.properties
                        .insert(format!("{section}-keys"), keys.join(","));
                }
            }
        }
        if url.is_some() {
            a.authenticated = auth.then_some(true);
        }
        out.push(a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_servers_and_flags_risks() {
        let cfg = r#"{"mcpServers": {
            "fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
            "gh": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"}},
            "remote": {"url": "http://tools.corp.example.net/mcp"},
            "safe": {"command": "uvx", "args": ["mcp-server-fetch==2025.1.17"], "env": {"API_KEY": "${env:FETCH_KEY}"}}
        }}"#;
        let s = parse(cfg, "claude_desktop_config.json").unwrap();
        assert_eq!(s.len(), 4);
        let by = |n: &str| s.iter().find(|a| a.name == n).unwrap();
        assert_eq!(by("fs").risks[0].rule_id, "RAMP-INV-007");
        assert_eq!(by("gh").risks.len(), 1);
        assert_eq!(by("gh").risks[0].rule_id, "RAMP-INV-008");
        assert_eq!(by("remote").risks[0].rule_id, "RAMP-INV-014");
        assert!(by("safe").risks.is_empty());
        assert!(!serde_json::to_string(&s)
            .unwrap()
            .contains("ghp_abcdefghij"));
        assert!(parse("{not json", "mcp.json").is_err());
    }
}

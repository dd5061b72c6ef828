//! Loading TOML configuration with errors that point at the problem.
//!
//! Every subsystem deserialises its own section with [`from_toml_str`] or
//! [`load_file`]; an error names the file, the line and column, and the
//! dotted field path (`gateway.limits.requests_per_minute`), and carries
//! serde's message about which values are allowed.

use serde::de::DeserializeOwned;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read config: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// `message` is the whole diagnostic: `origin:line:column: field `a.b`: why`.
    #[error("{message}")]
    Invalid {
        message: String,
        line: Option<usize>,
        path: String,
    },
}

impl ConfigError {
    /// A validation error found after parsing: `origin[:line]: field `path`: message`.
    pub fn invalid(
        origin: &str,
        line: Option<usize>,
        path: &str,
        message: impl Into<String>,
    ) -> Self {
        let location = line.map(|l| format!(":{l}")).unwrap_or_default();
        let field = if path.is_empty() {
            String::new()
        } else {
            format!("field `{path}`: ")
        };
        ConfigError::Invalid {
            message: format!("{origin}{location}: {field}{}", message.into()),
            line,
            path: path.to_string(),
        }
    }
    /// The 1-based line of the error, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => *line,
            ConfigError::Io { .. } => None,
        }
    }
    /// The dotted field path of the error, when known.
    pub fn field_path(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { path, .. } if !path.is_empty() => Some(path),
            _ => None,
        }
    }
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Parse `src` (named `origin` in errors, e.g. a file path) as `T`.
pub fn from_toml_str<T: DeserializeOwned>(src: &str, origin: &str) -> Result<T, ConfigError> {
    let de = toml::Deserializer::new(src);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let (line, location) = match inner.span() {
                Some(sp) => {
                    let (l, c) = line_col(src, sp.start);
                    (Some(l), format!(":{l}:{c}"))
                }
                None => (None, String::new()),
            };
            let field = if path.is_empty() || path == "." {
                String::new()
            } else {
                format!("field `{path}`: ")
            };
            // toml's message repeats the source snippet over several lines;
            // keep its last, explanatory line.
            let message = inner.message().trim().to_string();
            Err(ConfigError::Invalid {
                message: format!("{origin}{location}: {field}{message}"),
                line,
                path: if path == "." { String::new() } else { path },
            })
        }
    }
}

/// Read and parse a TOML file.
pub fn load_file<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let src = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    from_toml_str(&src, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Limits {
        #[allow(dead_code)]
        requests_per_minute: u32,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Gateway {
        #[allow(dead_code)]
        limits: Limits,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Root {
        #[allow(dead_code)]
        gateway: Gateway,
    }

    #[test]
    fn error_names_line_and_field() {
        let src = "[gateway]\n[gateway.limits]\nrequests_per_minute = \"many\"\n";
        let e = from_toml_str::<Root>(src, "rampart.toml").unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.line(), Some(3), "{msg}");
        assert!(msg.starts_with("rampart.toml:3:"), "{msg}");
        assert!(msg.contains("gateway.limits.requests_per_minute"), "{msg}");
    }

    #[test]
    fn unknown_field_is_reported() {
        let src = "[gateway.limits]\nrequests_per_minute = 5\nburst = 3\n";
        let e = from_toml_str::<Root>(src, "x.toml").unwrap_err();
        assert!(e.to_string().contains("burst"), "{e}");
    }

    #[test]
    fn valid_config_parses() {
        let src = "[gateway.limits]\nrequests_per_minute = 5\n";
        assert!(from_toml_str::<Root>(src, "x.toml").is_ok());
    }
}

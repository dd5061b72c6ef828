//! Report writers shared by every command.
//!
//! Commands build their own report structure (the scan report, the check
//! lines, the red-team report) and hand findings to these writers, so that a
//! SARIF file from `rampart scan` and one from `rampart redteam` look alike.

pub mod junit;
pub mod sarif;
pub mod table;

use serde::Serialize;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// The output formats a command may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human table; colour only on a terminal and when `NO_COLOR` is unset.
    Text,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Cyclonedx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Cyclonedx => "cyclonedx",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "table" | "human" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            "cyclonedx" | "cdx" => Ok(Format::Cyclonedx),
            other => Err(format!(
                "unknown format `{other}`: expected text, json, jsonl, sarif, junit or cyclonedx"
            )),
        }
    }
}

/// Whether to colour output written to stdout.
pub fn stdout_color() -> bool {
    use is_terminal::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && io::stdout().is_terminal()
}

/// Write pretty JSON followed by a newline.
pub fn write_json<W: Write, T: Serialize + ?Sized>(mut w: W, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n")
}

/// Write one compact JSON document per item, one per line.
pub fn write_jsonl<W: Write, T: Serialize>(
    mut w: W,
    items: impl IntoIterator<Item = T>,
) -> io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut w, &item)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Open `path` for writing, or stdout when `None` or `-`.
pub fn open_output(path: Option<&std::path::Path>) -> io::Result<Box<dyn Write>> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            Ok(Box::new(io::BufWriter::new(std::fs::File::create(p)?)))
        }
        _ => Ok(Box::new(io::BufWriter::new(io::stdout().lock()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!("SARIF".parse::<Format>().unwrap(), Format::Sarif);
        assert_eq!("ndjson".parse::<Format>().unwrap(), Format::Jsonl);
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn jsonl_writes_one_line_per_item() {
        let mut buf = Vec::new();
        write_jsonl(&mut buf, [1, 2, 3]).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "1\n2\n3\n");
    }
}

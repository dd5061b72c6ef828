//! Python source that a model runs on load: the modules a Hugging Face
//! `auto_map` names (imported under `trust_remote_code=True`) and the `.py`
//! members of archives (TorchScript's `code/`, `torch.package`, bundled
//! MLflow code). The question asked of it is narrow: does it start
//! processes, open connections, load native code, deserialise more
//! pickles or evaluate strings as code? Ordinary modelling code (tensor
//! maths, `os.path`, logging) does none of that.
//!
//! Comments are dropped and string literals blanked before the patterns
//! run, so a docstring that mentions `os.system` is not a call, while a
//! string that spells a dunder used for reflection (`"__builtins__"`) is
//! reported on its own. No Python parser: the patterns need only tokens,
//! and the lexer below is linear and cannot fail.

use once_cell::sync::Lazy;
use regex::Regex;

/// One dangerous construct: its 1-based line and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub line: usize,
    pub what: &'static str,
}

/// Patterns over code with comments dropped and strings blanked. The
/// leading `(?:^|[^.\w])` stands in for a look-behind: `model.eval()` and
/// `re.compile(` are methods, `eval(` alone is the builtin.
static CODE: Lazy<Vec<(Regex, &'static str)>> = Lazy::new(|| {
    [
        (
            r"\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|startfile)\s*\(",
            "os process call",
        ),
        (r"\bsubprocess\s*\.\s*\w+", "subprocess"),
        (r"\bpty\s*\.\s*spawn\b", "pty.spawn"),
        (
            r"(?:^|[^.\w])(?:eval|exec|execfile|compile|__import__)\s*\(",
            "eval/exec/compile/__import__ of a string",
        ),
        (r"\b__builtins__\b|\bbuiltins\s*\.\s*(?:eval|exec|compile|__import__|getattr|open)\b", "builtins access"),
        (r"\bglobals\s*\(\s*\)\s*\[", "globals() lookup"),
        (
            r"\bgetattr\s*\(\s*(?:os|posix|nt|subprocess|builtins|socket|pty)\s*,",
            "getattr on a process module",
        ),
        (
            r"\bsocket\s*\.\s*(?:socket|create_connection|create_server|fromfd|socketpair)\s*\(",
            "raw socket",
        ),
        (r"\burllib\s*\.\s*request\b|\burlopen\s*\(|\burlretrieve\s*\(", "urllib download"),
        (
            r"\b(?:requests|httpx|aiohttp)\s*\.\s*(?:get|post|put|patch|delete|request|Session|Client|AsyncClient|ClientSession)\s*\(",
            "HTTP client",
        ),
        (r"\bhttp\s*\.\s*client\b|\bHTTPS?Connection\s*\(", "http.client"),
        (r"\bctypes\s*\.|\bCDLL\s*\(|\bcffi\b", "native library (ctypes/cffi)"),
        (
            r"\b(?:pickle|cPickle|_pickle|dill|cloudpickle|marshal)\s*\.\s*loads?\s*\(",
            "pickle/marshal load",
        ),
        (r"\bwebbrowser\s*\.\s*open", "webbrowser"),
        // TorchScript code: `from_file(path, shared=True)` maps a file for
        // writing; `load_library` loads native code.
        (r"\btorch\s*\.\s*from_file\s*\(", "torch.from_file (maps a file)"),
        (r"\bload_library\s*\(", "native library (load_library)"),
        (r"\bpip\s*\.\s*main\b|\bpip\._internal\b", "pip install"),
        (
            r"(?m)^[ \t]*(?:import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*|from[ \t]+)(?:subprocess|socket|ctypes|pty|marshal|telnetlib|ftplib|smtplib|paramiko|pexpect|webbrowser|urllib\.request|http\.client)\b",
            "import of a process, network or native module",
        ),
        (
            r"(?m)^[ \t]*from[ \t]+(?:os|posix|nt|builtins)[ \t]+import[ \t]*(?:\([^)]*|[^\n]*)\b(?:system|popen|exec\w*|spawn\w*|fork|eval|exec|__import__)\b",
            "import of a process or eval function",
        ),
    ]
    .into_iter()
    .map(|(p, w)| (Regex::new(p).expect("valid Python-source pattern"), w))
    .collect()
});

/// Dunders that only reflection needs, looked for inside string literals
/// (`getattr(x, "__globals__")`). Names such as `os.system` are not: a
/// docstring may well mention them.
static STRINGS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"__(?:builtins|import|globals|subclasses|code|reduce|reduce_ex|getattribute)__")
        .expect("valid string pattern")
});

/// Most hits reported for one file.
const MAX_HITS: usize = 16;

/// The dangerous constructs of a Python source, first per line and kind.
pub fn analyse(src: &str) -> Vec<Hit> {
    let (code, strings) = split(src);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(code.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |at: usize| starts.partition_point(|&s| s <= at);
    let mut hits = Vec::new();
    for (re, what) in CODE.iter() {
        for m in re.find_iter(&code) {
            // Skip the one character the pseudo look-behind consumed.
            let at = m.start()
                + usize::from(
                    !m.as_str()
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_'),
                );
            hits.push(Hit {
                line: line_of(at),
                what,
            });
        }
    }
    for (line, s) in strings {
        if STRINGS.is_match(&s) {
            hits.push(Hit {
                line,
                what: "string naming a reflection dunder",
            });
        }
    }
    hits.sort_by(|a, b| (a.line, a.what).cmp(&(b.line, b.what)));
    hits.dedup();
    hits.truncate(MAX_HITS);
    hits
}

/// `(code, strings)`: the source with comments removed and every string
/// literal's body replaced by spaces (newlines kept, so lines still
/// count), and each literal's body with the line it starts on.
fn split(src: &str) -> (String, Vec<(usize, String)>) {
    let b = src.as_bytes();
    let mut code = Vec::with_capacity(b.len());
    let mut strings = Vec::new();
    let mut line = 1usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                let triple = i + 2 < b.len() && b[i + 1] == c && b[i + 2] == c;
                let q = if triple { 3 } else { 1 };
                // Raw strings keep backslashes, but a backslash still
                // stops the quote after it from closing the literal.
                let start_line = line;
                code.extend(std::iter::repeat_n(c, q));
                i += q;
                let mut body = Vec::new();
                while i < b.len() {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        body.extend_from_slice(&b[i..i + 2]);
                        if b[i + 1] == b'\n' {
                            line += 1;
                            code.push(b'\n');
                        } else {
                            code.extend_from_slice(b"  ");
                        }
                        i += 2;
                        continue;
                    }
                    if b[i] == c && (!triple || (i + 2 < b.len() && b[i + 1] == c && b[i + 2] == c))
                    {
                        code.extend(std::iter::repeat_n(c, q));
                        i += q;
                        break;
                    }
                    if b[i] == b'\n' {
                        line += 1;
                        code.push(b'\n');
                        if !triple {
                            // An unterminated one-line string ends here.
                            i += 1;
                            break;
                        }
                    } else {
                        code.push(b' ');
                    }
                    body.push(b[i]);
                    i += 1;
                }
                strings.push((start_line, String::from_utf8_lossy(&body).into_owned()));
            }
            _ => {
                if c == b'\n' {
                    line += 1;
                }
                code.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were replaced, by ASCII, so the result is as valid
    // UTF-8 as the input was.
    (String::from_utf8_lossy(&code).into_owned(), strings)
}

/// The hits as one message: `line 12: os process call; line 30: ...`.
pub fn describe(hits: &[Hit]) -> String {
    hits.iter()
        .map(|h| format!("line {}: {}", h.line, h.what))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(src: &str) -> Vec<(usize, &'static str)> {
        analyse(src).into_iter().map(|h| (h.line, h.what)).collect()
    }

    #[test]
    fn ordinary_modelling_code_is_clean() {
        let src = r#"
import os
import math
import torch
from torch import nn
from .configuration_x import XConfig

class XModel(nn.Module):
    """Runs os.system? No: this docstring only mentions it, and subprocess too."""
    def __init__(self, config):
        super().__init__()
        self.path = os.path.join(config.name, "weights")  # os.system("no")
        self.pattern = re.compile(r"\d+")
        self.act = torch.compile(self.fwd)

    def forward(self, x):
        self.model.eval()
        return math.sqrt(x.size(-1)) * x
"#;
        assert_eq!(whats(src), vec![]);
    }

    #[test]
    fn process_network_and_eval_are_found_with_their_lines() {
        let src = "import torch\nimport subprocess\nos.system('id')\nx = eval(cfg)\n\
                   s = socket.socket()\nrequests.post(url, data=d)\n\
                   getattr(mod, '__globals__')\nexec(base64.b64decode(p))\n";
        let w = whats(src);
        assert!(
            w.contains(&(2, "import of a process, network or native module")),
            "{w:?}"
        );
        assert!(w.contains(&(3, "os process call")), "{w:?}");
        assert!(
            w.contains(&(4, "eval/exec/compile/__import__ of a string")),
            "{w:?}"
        );
        assert!(w.contains(&(5, "raw socket")), "{w:?}");
        assert!(w.contains(&(6, "HTTP client")), "{w:?}");
        assert!(
            w.contains(&(7, "string naming a reflection dunder")),
            "{w:?}"
        );
        assert!(
            w.contains(&(8, "eval/exec/compile/__import__ of a string")),
            "{w:?}"
        );
    }

    #[test]
    fn strings_and_comments_do_not_shift_lines_or_hide_code() {
        let src = "x = '''a\nb\nc'''\n# exec(1)\ny = \"\\\"\" ; __import__('os')\n";
        assert_eq!(
            whats(src),
            vec![(5, "eval/exec/compile/__import__ of a string")]
        );
    }

    #[test]
    fn from_imports_of_process_functions() {
        assert_eq!(
            whats("from os import (path,\n system)\n"),
            vec![(1, "import of a process or eval function")]
        );
        assert_eq!(
            whats("f = getattr(os, 'sys' + 'tem')\n"),
            vec![(1, "getattr on a process module")]
        );
        assert_eq!(
            whats("from os import path, system as s\n"),
            vec![(1, "import of a process or eval function")]
        );
    }

    #[test]
    fn junk_is_bounded_and_never_panics() {
        let junk = "\"'\\\u{e9}\u{0}#\n'''".repeat(10_000);
        let _ = analyse(&junk);
        assert!(analyse("'unterminated\nexec(x)").len() == 1);
        assert!(analyse(&"exec(x)\n".repeat(100)).len() <= MAX_HITS);
    }
}

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
            // A reference is enough: `f = os.system`, `map(os.system,
            // ...)`, `Process(target=os.system)` call it later.
            r"\b(?:os|posix|nt)\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|startfile|kill|killpg)\b",
            "os process call",
        ),
        (r"\bsubprocess\s*\.\s*\w+", "subprocess"),
        (r"\bcreate_subprocess_(?:shell|exec)\b", "subprocess"),
        (
            r"\bimportlib\s*\.\s*(?:import_module|__import__)\s*\(|(?:^|[^.\w])import_module\s*\(",
            "dynamic import (importlib)",
        ),
        (r"\brunpy\s*\.\s*\w+", "runpy"),
        (r"\btimeit\s*\.\s*(?:timeit|repeat|Timer)\s*\(", "timeit runs a string"),
        (
            r"\bcode\s*\.\s*(?:interact|InteractiveInterpreter|InteractiveConsole|compile_command)\b",
            "code module (interpreter)",
        ),
        (r"\bsys\s*\.\s*modules\s*(?:\[|\.\s*get\b)", "sys.modules lookup"),
        (
            r"\bvars\s*\(\s*(?:os|posix|nt|subprocess|builtins|sys|importlib)\b|\bvars\s*\(\s*\)\s*\[",
            "vars() lookup",
        ),
        (r"\b(?:methodcaller|attrgetter)\s*\(", "operator.methodcaller/attrgetter"),
        (r"(?m)(?:[=(,]|\breturn)\s*getattr[ \t]*(?:[,)\]]|$)", "getattr passed as a value"),
        (r"\bpydoc\s*\.\s*(?:pipepager|tempfilepager|pager)\b", "pydoc pager (runs a shell command)"),
        (
            r"\b(?:spec_from_file_location|exec_module|spec_from_loader)\b|\bzipimport\b",
            "import machinery (runs a file as a module)",
        ),
        (
            r"\b(?:xmlrpc|urllib3|ftplib|telnetlib|smtplib|paramiko)\b|\bopen_connection\s*\(",
            "network client",
        ),
        (r"\btorch\s*\.\s*hub\s*\.\s*load\b", "torch.hub.load (fetches and runs code)"),
        (
            r"\bUnpickler\s*\(|\ballow_pickle\s*=\s*True\b|\bweights_only\s*=\s*False\b|\bjoblib\s*\.\s*load\s*\(",
            "pickle load",
        ),
        (r"\bshutil\s*\.\s*rmtree\b", "shutil.rmtree"),
        // `__code__` is left out: modelling code reads
        // `self.forward.__code__.co_varnames`.
        (
            r"\.\s*__(?:globals|builtins|subclasses|getattribute|import|loader|closure)__\b|\b__dict__\s*\[",
            "reflection dunder attribute",
        ),
        (
            r"(?m)^[ \t]*from[ \t]+(?:os|posix|nt|subprocess|pty|socket|ctypes|builtins|importlib|runpy|marshal|pickle|_pickle|cPickle|dill|code|timeit)[ \t]+import[ \t]+\*",
            "star import of a process, eval or network module",
        ),
        (r"\bpty\s*\.\s*spawn\b", "pty.spawn"),
        (
            r"(?:^|[^.\w])(?:eval|exec|execfile|compile|__import__)\s*\(",
            "eval/exec/compile/__import__ of a string",
        ),
        (r"\b__builtins__\b|\bbuiltins\s*\.\s*(?:eval|exec|compile|__import__|getattr|open)\b", "builtins access"),
        (r"\bglobals\s*\(\s*\)\s*(?:\[|\.\s*get\b)", "globals() lookup"),
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
            r"(?m)^[ \t]*(?:import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*|from[ \t]+)(?:subprocess|socket|ctypes|pty|marshal|telnetlib|ftplib|smtplib|paramiko|pexpect|webbrowser|urllib\.request|http\.client|runpy|posix|nt)\b",
            "import of a process, network or native module",
        ),
        (
            r"(?m)^[ \t]*from[ \t]+(?:os|posix|nt|builtins|subprocess|importlib)[ \t]+import[ \t]*(?:\([^)]*|[^\n]*)\b(?:system|popen|exec\w*|spawn\w*|fork|eval|exec|__import__|import_module|run|call|check_output|Popen)\b",
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

/// Files an attacker appends to or reads, named in a string literal.
static SENSITIVE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\.(?:bashrc|bash_profile|bash_login|zshrc|zshenv|zprofile|zlogin)|\.profile\b|\.ssh/|authorized_keys|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|/etc/(?:passwd|shadow|sudoers|cron)|\.aws/credentials|\.netrc\b|\.git-credentials|\.pypirc\b|\.docker/config\.json|\.kube/config")
        .expect("valid sensitive-path pattern")
});

/// Most hits reported for one file.
const MAX_HITS: usize = 16;

/// Modules whose aliases are followed: `import os as o; o.system(...)` is
/// read as `os.system(...)`.
const WATCHED: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "pty",
    "socket",
    "ctypes",
    "marshal",
    "pickle",
    "_pickle",
    "cPickle",
    "dill",
    "cloudpickle",
    "importlib",
    "runpy",
    "timeit",
    "code",
    "builtins",
    "sys",
    "requests",
    "httpx",
    "urllib",
    "http",
    "webbrowser",
    "operator",
    "asyncio",
];

/// `import a.b as x`, `import a, b as y` and `from a import b as x, c`.
static IMPORT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:import[ \t]+([^\n#;]+)|from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([^\n#;)]+))",
    )
    .expect("valid import pattern")
});

/// `(os).system`: parentheses around a name before an attribute.
static PARENS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\([ \t]*([A-Za-z_][\w.]*)[ \t]*\)([ \t]*\.)").expect("valid parens pattern")
});

/// Local names bound to watched modules or their members, with what
/// they stand for.
fn aliases(code: &str) -> Vec<(String, String)> {
    let watched = |m: &str| WATCHED.contains(&m.split('.').next().unwrap_or(m));
    let mut out = Vec::new();
    for c in IMPORT.captures_iter(code) {
        if let Some(list) = c.get(1) {
            for item in list.as_str().split(',') {
                let mut w = item.split_whitespace();
                if let (Some(m), Some("as"), Some(a)) = (w.next(), w.next(), w.next()) {
                    if watched(m) && a != m {
                        out.push((a.to_string(), m.to_string()));
                    }
                }
            }
        } else if let (Some(m), Some(list)) = (c.get(2), c.get(3)) {
            let m = m.as_str();
            if !watched(m) {
                continue;
            }
            for item in list.as_str().split(',') {
                let mut w = item.split_whitespace();
                let (Some(n), rest) = (w.next(), w.next()) else {
                    continue;
                };
                if n == "*" {
                    continue;
                }
                let a = if rest == Some("as") {
                    w.next().unwrap_or(n)
                } else {
                    n
                };
                out.push((a.to_string(), format!("{m}.{n}")));
            }
        }
    }
    out.sort();
    out.dedup();
    out.truncate(64);
    out
}

/// Code with every use of an alias spelled as what it stands for, and
/// parentheses around names before a dot dropped. Newlines are kept, so
/// lines still count.
fn canonical(code: &str) -> String {
    let mut code = code.to_string();
    for _ in 0..2 {
        code = PARENS.replace_all(&code, "$1$2").into_owned();
    }
    let al = aliases(&code);
    if al.is_empty() {
        return code;
    }
    let names: Vec<String> = al.iter().map(|(a, _)| regex::escape(a)).collect();
    // A bare use: not an attribute (`x.o`), not the import line itself.
    let Ok(use_re) = Regex::new(&format!(r"(^|[^.\w])({})\b", names.join("|"))) else {
        return code;
    };
    let mut out = String::with_capacity(code.len() + 64);
    for line in code.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("import ") || t.starts_with("from ") {
            out.push_str(line);
            continue;
        }
        let replaced = use_re.replace_all(line, |c: &regex::Captures<'_>| {
            let target = al
                .iter()
                .find(|(a, _)| a == &c[2])
                .map_or(&c[2], |(_, t)| t.as_str());
            format!("{}{}", &c[1], target)
        });
        out.push_str(&replaced);
    }
    out
}

/// PEP 263's declaration, looked for on the first two lines.
static CODING: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)").expect("valid coding pattern")
});

/// Source encodings that map ASCII to itself, so the text read as written
/// is the text Python runs (PEP 263 names, normalised: lower case, `_`
/// and spaces as `-`). Shift-JIS, GBK, GB18030 and Big5 are not: a
/// double-byte character may end in a backslash byte, which closes no
/// string to Python but escapes a quote to a reader of bytes.
const PLAIN_CODINGS: &[&str] = &[
    "utf-8",
    "utf8",
    "u8",
    "utf",
    "utf-8-sig",
    "ascii",
    "us-ascii",
    "646",
    "latin-1",
    "latin1",
    "latin",
    "l1",
    "iso-8859-1",
    "iso8859-1",
    "8859",
    "cp819",
    "iso-latin-1",
    "iso-8859-15",
    "iso8859-15",
    "latin-9",
    "cp1250",
    "cp1251",
    "cp1252",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "windows-1250",
    "windows-1251",
    "windows-1252",
    "windows-1253",
    "windows-1254",
    "windows-1255",
    "windows-1256",
    "windows-1257",
    "windows-1258",
    "cp437",
    "cp850",
    "cp866",
    "koi8-r",
    "koi8-u",
    "mac-roman",
    "macroman",
    "iso-8859-2",
    "iso-8859-5",
    "iso-8859-7",
    "iso-8859-9",
    "euc-jp",
    "euc-kr",
    "utf-8-unix",
    "latin-1-unix",
];

/// What Python runs when the source declares an encoding that rewrites
/// ASCII: `unicode_escape` and `raw_unicode_escape` read `\u0065xec` as
/// `exec`, UTF-7 reads `+AGUAeABlAGM-` as `exec`. `Ok(None)`: nothing to
/// decode; `Err(name)`: an encoding the scanner does not decode, reported
/// as such.
fn declared_decoding(src: &str) -> Result<Option<String>, String> {
    // CPython's tokenizer ends a line at `\r`, `\n` or both, and reads
    // the second line's declaration only when the first is blank or a
    // comment.
    let src_nobom = src.strip_prefix('\u{feff}').unwrap_or(src);
    let first_end = src_nobom.find(['\r', '\n']).unwrap_or(src_nobom.len());
    let first = &src_nobom[..first_end];
    let rest = &src_nobom[first_end..];
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix(['\r', '\n']))
        .unwrap_or(rest);
    let second = &rest[..rest.find(['\r', '\n']).unwrap_or(rest.len())];
    let comment_or_blank = |l: &str| {
        let t = l.trim_start_matches([' ', '\t', '\x0c']);
        t.is_empty() || t.starts_with('#')
    };
    let decl = |l: &str| CODING.captures(l).map(|c| c[1].to_ascii_lowercase());
    let Some(enc) = decl(first).or_else(|| {
        if comment_or_blank(first) {
            decl(second)
        } else {
            None
        }
    }) else {
        return Ok(None);
    };
    // CPython's normalisation: `_`, `-` and spaces alike, repeats as one.
    let enc: String = enc
        .split(['-', '_', ' '])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    match enc.as_str() {
        "unicode-escape" => Ok(Some(unescape(src, false))),
        "raw-unicode-escape" => Ok(Some(unescape(src, true))),
        "utf-7" | "utf7" | "u7" | "unicode-1-1-utf-7" => Ok(Some(utf7(src))),
        e if PLAIN_CODINGS.contains(&e) || e.starts_with("utf-8-") || e.starts_with("latin-1-") => {
            Ok(None)
        }
        e => Err(e.to_string()),
    }
}

/// Python's `unicode_escape` (or, `raw`, `raw_unicode_escape`: `\u` and
/// `\U` only) over the whole source.
fn unescape(src: &str, raw: bool) -> String {
    let cs: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        i += 1;
        let decodes = i < cs.len() && (!raw || matches!(cs[i], 'u' | 'U'));
        if c != '\\' || !decodes {
            out.push(c);
            continue;
        }
        i = super::numpy::python_escape(&cs, i, false, &mut out);
    }
    out
}

/// UTF-7 (RFC 2152): `+` opens modified base64 of UTF-16BE, closed by
/// any other character (a `-` is absorbed); `+-` is `+`.
fn utf7(src: &str) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'+' {
            // Outside a shift: the text as is (UTF-8 passes through).
            let next = b[i..]
                .iter()
                .position(|&c| c == b'+')
                .map_or(b.len(), |k| i + k);
            out.push_str(&String::from_utf8_lossy(&b[i..next]));
            i = next;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let (mut bits, mut nbits, mut units) = (0u32, 0u32, Vec::new());
        while let Some(v) = b.get(i).and_then(|c| B64.iter().position(|x| x == c)) {
            bits = (bits << 6) | v as u32;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((bits >> nbits) as u16);
                bits &= (1 << nbits) - 1;
            }
            i += 1;
        }
        out.extend(char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')));
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    out
}

/// The dangerous constructs of a Python source, first per line and kind.
pub fn analyse(src: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    let decoded;
    let src = match declared_decoding(src) {
        Ok(Some(d)) => {
            decoded = d;
            hits.push(Hit {
                line: 1,
                what: "source encoding that rewrites ASCII (read as Python decodes it)",
            });
            // Both readings: should the scanner and CPython disagree on
            // whether the declaration counts, the text as written is
            // judged too.
            hits.append(&mut analyse_text(src));
            decoded.as_str()
        }
        Ok(None) => src,
        Err(_) => {
            hits.push(Hit {
                line: 1,
                what: "source encoding the scanner does not decode",
            });
            src
        }
    };
    let mut rest = analyse_text(src);
    hits.append(&mut rest);
    hits.sort_by(|a, b| (a.line, a.what).cmp(&(b.line, b.what)));
    hits.dedup();
    hits.truncate(MAX_HITS);
    hits
}

/// [`analyse`] of source as Python runs it.
fn analyse_text(src: &str) -> Vec<Hit> {
    // Python reads identifiers NFKC-normalised (PEP 3131): `ｅｘｅｃ` is
    // `exec`.
    let normalised;
    let src = if src.is_ascii() {
        src
    } else {
        use unicode_normalization::UnicodeNormalization;
        normalised = src.nfkc().collect::<String>();
        normalised.as_str()
    };
    let (code_raw, strings) = split(src);
    let code = canonical(&code_raw);
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
    for Literal { line, body: s, .. } in &strings {
        let line = *line;
        if STRINGS.is_match(s) {
            hits.push(Hit {
                line,
                what: "string naming a reflection dunder",
            });
        }
        if SENSITIVE.is_match(s) {
            hits.push(Hit {
                line,
                what: "string naming a shell profile, SSH key or credentials file",
            });
        }
    }
    // A name assembled from pieces: runs of two to eight literals with
    // only operators, brackets, slices, `chr(N)` calls, string methods or a
    // string prefix between them (`'~/.ba' + 'shrc'`, `'.ss' 'h/authorized_keys'`,
    // `'~/.ba' + chr(115) + 'hrc'`, `'~/.%src' % 'bash'`), joined as Python
    // would join them. Commas, semicolons and assignments break a run:
    // items of a list or arguments are not pieces of one name.
    let raw = &code_raw;
    let gap = |a: &Literal, b: &Literal| raw.get(a.span.1..b.span.0).unwrap_or(",");
    let glued = |a: &Literal, b: &Literal| {
        let g = gap(a, b);
        g.len() <= 64 && !g.contains([',', ';', '=']) && !g.contains("\n\n")
    };
    static CHR: Lazy<Regex> =
        Lazy::new(|| Regex::new(r"chr\s*\(\s*(\d{1,7})\s*\)").expect("valid chr pattern"));
    static FIELD: Lazy<Regex> = Lazy::new(|| {
        Regex::new(r#"\{\s*(?:"([^"]*)"|'([^']*)')\s*\}"#).expect("valid field pattern")
    });
    // An f-string's `{"sh"}` is its text.
    let body = |l: &Literal| FIELD.replace_all(&l.body, "$1$2").into_owned();
    let sensitive = |t: &str| SENSITIVE.is_match(&t.replace("//", "/"));
    for run in strings.chunk_by(glued) {
        let run = &run[..run.len().min(32)];
        let bodies: Vec<String> = run.iter().map(body).collect();
        for w in 2..=run.len().min(8) {
            for (k, win) in run.windows(w).enumerate() {
                let mut joined = bodies[k].clone();
                for j in 1..w {
                    let g = gap(&win[j - 1], &win[j]);
                    for c in CHR.captures_iter(g) {
                        joined.extend(c[1].parse::<u32>().ok().and_then(char::from_u32));
                    }
                    let next = &bodies[k + j];
                    if g.contains('%') && joined.contains("%s") {
                        joined = joined.replacen("%s", next, 1);
                    } else {
                        joined.push_str(next);
                    }
                }
                if sensitive(&joined) && !bodies[k..k + w].iter().any(|b| sensitive(b)) {
                    hits.push(Hit {
                        line: win[0].line,
                        what: "string pieces joined into a shell profile, SSH key or credentials file name",
                    });
                }
            }
        }
    }
    // `sep.join(['~/.ba', 'shrc'])`: the items of a list or tuple passed
    // to a string's `join`, joined with that string.
    for (i, first) in strings.iter().enumerate() {
        let before = raw[..first.span.0]
            .trim_end_matches(|c: char| c.is_whitespace() || c == '[' || c == '(');
        let Some(head) = before.strip_suffix("join") else {
            continue;
        };
        if !head.trim_end().ends_with('.') {
            continue;
        }
        // The separator: the literal the method is called on, if any.
        let sep = i
            .checked_sub(1)
            .map(|k| &strings[k])
            .filter(|s| raw[s.span.1..first.span.0].trim_start().starts_with('.'))
            .map_or(String::new(), body);
        let mut joined = body(first);
        let mut last = first;
        for next in strings.iter().skip(i + 1).take(15) {
            let g = gap(last, next);
            if g.trim() != "," {
                break;
            }
            joined.push_str(&sep);
            joined.push_str(&body(next));
            last = next;
        }
        if !std::ptr::eq(last, first) && sensitive(&joined) && !sensitive(&body(first)) {
            hits.push(Hit {
                line: first.line,
                what: "string pieces joined into a shell profile, SSH key or credentials file name",
            });
        }
    }
    for (l, b) in strings.iter().zip(strings.iter().map(body)) {
        if b != l.body && sensitive(&b)
            || (b.contains("//") && sensitive(&b) && !SENSITIVE.is_match(&b))
        {
            hits.push(Hit {
                line: l.line,
                what: "string naming a shell profile, SSH key or credentials file",
            });
        }
    }
    hits.sort_by(|a, b| (a.line, a.what).cmp(&(b.line, b.what)));
    hits.dedup();
    hits.truncate(MAX_HITS);
    hits
}

/// A string literal: the line it starts on, its body, and where its
/// quotes start and end in the blanked code.
struct Literal {
    line: usize,
    body: String,
    span: (usize, usize),
}

/// `(code, strings)`: the source with comments removed and every string
/// literal's body replaced by spaces (newlines kept, so lines still
/// count), and each literal.
fn split(src: &str) -> (String, Vec<Literal>) {
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
                let start_at = code.len();
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
                strings.push(Literal {
                    line: start_line,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    span: (start_at, code.len()),
                });
            }
            // A line joined with a backslash: the backslash becomes a
            // space, the newline stays (so lines still count and `\s`
            // spans the join).
            b'\\' if b.get(i + 1) == Some(&b'\n') => {
                code.push(b' ');
                i += 1;
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

    /// Review round 9: each ran its payload when imported (CPython 3.11).
    #[test]
    fn spellings_python_reads_as_the_same_call_are_found() {
        for src in [
            "import os as o\no.system('id')\n",
            "import os\n(os).system('id')\n",
            "from os import *\nsystem('id')\n",
            "import importlib\nimportlib.import_module('o' + 's').system('id')\n",
            "import posix\nposix.system('id')\n",
            "import asyncio\nasyncio.run(asyncio.create_subprocess_shell('id'))\n",
            "import os\nos.\u{ff53}\u{ff59}\u{ff53}\u{ff54}\u{ff45}\u{ff4d}('id')\n",
            "\u{ff45}\u{ff58}\u{ff45}\u{ff43}('print(1)')\n",
            "import os\nos.\\\nsystem('id')\n",
            "import builtins as b\nb.__dict__['ex' + 'ec']('print(1)')\n",
            "(lambda: 0).__globals__['__buil' + 'tins__']\n",
            "import timeit\ntimeit.timeit('print(1)', number=1)\n",
            "import runpy\nrunpy.run_path('/tmp/x.py')\n",
            "import sys\nsys.modules['os'].system('id')\n",
            "import operator, os\noperator.methodcaller('system', 'id')(os)\n",
            "import importlib\nimportlib.__import__('os').system('id')\n",
            "import os\nvars(os)['sys' + 'tem']('id')\n",
            "import pickle as p\np.loads(blob)\n",
            "from subprocess import run as go\ngo(['id'])\n",
            // Review round 10: references without a call, and other modules.
            "import os\nf = os.system\nf('id')\n",
            "import os, functools\nfunctools.partial(os.system, 'id')()\n",
            "import os\nlist(map(os.system, ['id']))\n",
            "import os\ng = getattr\ng(os, 'sys' + 'tem')('id')\n",
            "import pydoc\npydoc.pipepager('x', 'sh -c id')\n",
            "import importlib.util as u\ns = u.spec_from_file_location('m', '/tmp/m.py')\n",
            "import torch\ntorch.hub.load('someone/repo', 'model')\n",
            "import numpy as np\nnp.load(p, allow_pickle=True)\n",
            "import torch\ntorch.load(p, weights_only=False)\n",
            "with open(os.path.expanduser('~/.bashrc'), 'a') as f:\n    f.write(x)\n",
            // Names assembled from pieces.
            "with open(os.path.expanduser('~') + '/.ba' + 'shrc', 'a') as f:\n    f.write(x)\n",
            "p = os.path.join(home, '.ss' 'h', 'authorized' '_keys')\n",
            // Review round 11: more ways to assemble the name.
            "p = os.path.expanduser(f'~/.ba{\"sh\"}rc')\n",
            "p = os.path.expanduser('~/.%src' % 'bash')\n",
            "p = os.path.expanduser('~/.ba' + chr(115) + 'hrc')\n",
            "p = os.path.expanduser('~/.' + 'b' + 'a' + 's' + 'h' + 'rc')\n",
            "p = os.path.expanduser('~/.ba'.__add__('shrc'))\n",
            "p = os.path.expanduser('~/.bashrcX'[:-1])\n",
            "p = os.path.expanduser(''.join(['~/.ba', 'shrc']))\n",
            "p = '/'.join(('', 'etc', 'sudoers'))\n",
            "open('/etc//passwd').readline()\n",
            "k = os.path.join(home, '.ssh', 'id_ed25519')\n",
            "c = os.path.expanduser('~/.kube/config')\n",
            // A declaration after a carriage return (CPython: line 2).
            "\r# coding: utf-7\nimport os\nos.+AHM-ystem('id')\n",
            // Source encodings that rewrite ASCII (CPython 3.11 runs each).
            "# -*- coding: unicode_escape -*-\nimport os\nos.\\u0073ystem('id')\n",
            "# coding: raw_unicode_escape\n\\u0065xec('print(1)')\n",
            "# coding: utf-7\nimport os\nos.+AHM-ystem('id')\n",
            "#!/usr/bin/env python\n# vim: set fileencoding=u7 :\nx = 1\n",
        ] {
            assert!(!analyse(src).is_empty(), "{src:?}");
        }
        // Aliases of harmless modules, and os.path under an alias, stay clean.
        for src in [
            "import numpy as np\nnp.exp(x)\n",
            "import os.path as osp\nosp.join('a', 'b')\n",
            "from os import path\npath.join('a', 'b')\n",
            "n = self.forward.__code__.co_argcount\n",
            "import torch.nn as nn\nclass M(nn.Module):\n    def f(self):\n        return self.__dict__.get('x')\n",
            "name = prefix + '.' + 'weight'\nkey = 'model' + '.profile_' + 'x'\n",
            "KEYS = ['ssh_authorized_key', 'sshkey']\n",
            "s = ', '.join(['ssh_authorized_key', 'sshkey'])\n",
            "# -*- coding: utf-8 -*-\nimport torch\nx = torch.zeros(1)\n",
            "# coding=latin-1\nname = 'caf\u{e9}'\n",
        ] {
            assert_eq!(analyse(src), vec![], "{src:?}");
        }
    }

    #[test]
    fn declared_encodings_are_read_as_python_decodes_them() {
        let kinds = |src: &str| analyse(src).into_iter().map(|h| h.what).collect::<Vec<_>>();
        let got = kinds("# coding: unicode_escape\nimport os\nos.\\u0073ystem('id')\n");
        assert!(got.contains(&"os process call"), "{got:?}");
        let got = kinds("# coding: utf-7\nimport os\nos.+AHMAeQBz-tem('id')\n");
        assert!(got.contains(&"os process call"), "{got:?}");
        assert_eq!(utf7("a+-b+AGUAeABlAGM-(x)"), "a+bexec(x)");
        assert_eq!(
            unescape("\\x65\\u0078\\N{LATIN SMALL LETTER E}c\\t\\q", false),
            "exec\t\\q"
        );
        assert_eq!(unescape("\\x65\\u0078", true), "\\x65x");
        let got = kinds("# coding: cp037\nx = 1\n");
        assert_eq!(got, vec!["source encoding the scanner does not decode"]);
        // Double-byte encodings whose second byte may be a backslash.
        let got = kinds("# coding: shift_jis\nx = 1\n");
        assert_eq!(got, vec!["source encoding the scanner does not decode"]);
        // CPython's spellings: punctuation collapsed.
        let got = kinds("# coding: raw--unicode--escape\n\\u0065xec('1')\n");
        assert!(
            got.contains(&"eval/exec/compile/__import__ of a string"),
            "{got:?}"
        );
        // A declaration on line 2 after code does not count to CPython;
        // the text as written is judged whatever the scanner decodes.
        let got = kinds("x = 1 +os.system('id')\n# coding: utf-7\n");
        assert!(got.contains(&"os process call"), "{got:?}");
        assert!(!got.contains(&"source encoding that rewrites ASCII (read as Python decodes it)"));
    }

    #[test]
    fn junk_is_bounded_and_never_panics() {
        let junk = "\"'\\\u{e9}\u{0}#\n'''".repeat(10_000);
        let _ = analyse(&junk);
        assert!(analyse("'unterminated\nexec(x)").len() == 1);
        assert!(analyse(&"exec(x)\n".repeat(100)).len() <= MAX_HITS);
    }
}

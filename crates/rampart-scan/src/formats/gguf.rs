//! GGUF (llama.cpp): header sanity, bounded counts and lengths, and the
//! chat template, which llama.cpp front-ends render with Jinja: a template
//! that walks to Python attributes or globals is server-side template
//! injection waiting for the first chat request.

use crate::blob::{Blob, BlobReader};
use crate::engine::Out;
use crate::rules;
use once_cell::sync::Lazy;
use regex::Regex;
use std::io::{BufReader, Read};

const MAX_TENSORS: u64 = 1 << 20;
const MAX_KV: u64 = 1 << 16;
const MAX_STRING: u64 = 64 << 20;
const MAX_ARRAY: u64 = 1 << 26;
const MAX_DIMS: u32 = 8;

struct R<'a> {
    r: BufReader<BlobReader<'a>>,
    size: u64,
    v1: bool,
}

impl R<'_> {
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut b = vec![0u8; n];
        self.r
            .read_exact(&mut b)
            .map_err(|_| "truncated file".to_string())?;
        Ok(b)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.bytes(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    fn count(&mut self) -> Result<u64, String> {
        if self.v1 {
            Ok(self.u32()? as u64)
        } else {
            self.u64()
        }
    }
    fn skip(&mut self, n: u64) -> Result<(), String> {
        let got = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        if got < n {
            return Err("truncated file".into());
        }
        Ok(())
    }
    fn string(&mut self, keep: bool) -> Result<Option<String>, String> {
        let n = self.count()?;
        if n > MAX_STRING || n > self.size {
            return Err(format!("string length {n} exceeds the bound"));
        }
        if keep {
            Ok(Some(
                String::from_utf8_lossy(&self.bytes(n as usize)?).into_owned(),
            ))
        } else {
            self.skip(n)?;
            Ok(None)
        }
    }
}

fn scalar_size(t: u32) -> Option<u64> {
    Some(match t {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        _ => return None,
    })
}

/// Read one value of type `t`; returns the string when it is one and `keep`.
fn value(r: &mut R<'_>, t: u32, keep: bool, depth: u32) -> Result<Option<String>, String> {
    if let Some(n) = scalar_size(t) {
        r.skip(n)?;
        return Ok(None);
    }
    match t {
        8 => r.string(keep),
        9 => {
            if depth > 2 {
                return Err("arrays nested too deeply".into());
            }
            let et = r.u32()?;
            let n = r.count()?;
            if n > MAX_ARRAY {
                return Err(format!("array of {n} elements exceeds the bound"));
            }
            if let Some(sz) = scalar_size(et) {
                let total = n.checked_mul(sz).ok_or("array size overflows")?;
                if total > r.size {
                    return Err(format!("array of {total} bytes is larger than the file"));
                }
                r.skip(total)?;
            } else {
                for _ in 0..n {
                    value(r, et, false, depth + 1)?;
                }
            }
            Ok(None)
        }
        other => Err(format!("unknown value type {other}")),
    }
}

static CRITICAL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?x)
        __[a-zA-Z]+__                               # dunder attributes: __class__, __globals__, __subclasses__...
      | \|\s*attr\s*\(                              # the attr filter reaches arbitrary attributes
      | \bmap\s*\(\s*['"]attr['"]                   # ... and so does map("attr", ...) (CVE-2025-27516 on jinja2 <= 3.1.5)
      | [(,]\s*(?:lipsum|cycler|joiner)\s*[),]       # a global with a path to Python handed to a call
      | \b(?:lipsum|cycler|joiner|url_for|get_flashed_messages|config|request|self)\s*[.\[|]  # globals with a path to Python internals
      | \b(?:os|subprocess|sys|builtins|importlib)\s*\.
      | \b(?:popen|system|eval|exec|__import__|getattr|import_module)\s*\(
      | \.\s*(?:mro|func_globals|f_globals|gi_frame|tb_frame)\b
      | \b(?:lipsum|cycler|joiner)\b                # these globals have a path to Python; an alias ({% set c = cycler %}) hides the rest
      | ['"]attr['"]                                # the attr filter named in a string (map(a, ...) with a = 'attr')
      | \bset\s+\w+\s*=\s*['"]_+['"]              # underscores kept in a variable to build dunder names
      | ['"]__['"]                                  # a bare '__' literal: dunders joined at render time
      | ['"]__[a-zA-Z]                              # a literal that starts a dunder name ('__cla' ~ 'ss__')
      | (?:^|[^\w)\].\s])\s*(?:\(\s*\)|''|""|\[\s*\])\s*\[  # subscripting a literal (not a call's result): ()['...']
      | [\w)\]]\s*\[[^\]\['"]*[~+]\s*['"]\w+['"]\s*[~+]  # a name assembled inside a subscript: x[u~'class'~u]
      | %c[^'"\n]*['"]\s*\|\s*format               # characters by number: "%c%cclass%c%c"|format(95,95,95,95)
      | \|\s*format\s*\(\s*95\b                     # 95 is '_'
      | \(\s*95\s*\)\s*\|\s*string | \|\s*(?:map|list)\s*\(\s*['"]chr   # other ways to spell '_'
    "#).expect("valid template regex")
});

static SUSPECT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"(?x)
        \\x5f | \\u005f | \\137                      # escaped underscores build dunders
      | ['"]_['"]\s*\*\s*2 | ['"]_['"]\s*[~+] | [~+]\s*['"]_['"]   # '_' joined to something
      | \|\s*(?:format|join)\s*\(.*_                # strings assembled at render time
      | \|\s*replace\s*\([^)]*,\s*['"]_+['"]\s*\)    # underscores put in at render time
      | \brange\s*\(\s*\d{7,}                        # render-time loops that exhaust the server
    "#,
    )
    .expect("valid template regex")
});

/// Judge a Jinja chat template: `Some((critical?, evidence))`.
pub fn template_risk(t: &str) -> Option<(bool, String)> {
    if let Some(m) = CRITICAL.find(t) {
        return Some((true, m.as_str().to_string()));
    }
    SUSPECT.find(t).map(|m| (false, m.as_str().to_string()))
}

pub(crate) fn scan(name: &str, blob: &dyn Blob, out: &mut Out) {
    let size = blob.size();
    let mut r = R {
        r: BufReader::new(BlobReader::new(blob, 0)),
        size,
        v1: false,
    };
    let res = (|| -> Result<(), (bool, String)> {
        let h = r.bytes(4).map_err(|e| (false, e))?;
        if h != b"GGUF" {
            return Err((false, "missing GGUF magic".into()));
        }
        let version = r.u32().map_err(|e| (false, e))?;
        if !(1..=3).contains(&version) {
            return Err((false, format!("unsupported GGUF version {version}")));
        }
        r.v1 = version == 1;
        let n_tensors = r.count().map_err(|e| (false, e))?;
        let n_kv = r.count().map_err(|e| (false, e))?;
        if n_tensors > MAX_TENSORS || n_kv > MAX_KV {
            return Err((true, format!("header declares {n_tensors} tensors and {n_kv} metadata entries, beyond the bounds ({MAX_TENSORS}, {MAX_KV})")));
        }
        for _ in 0..n_kv {
            let key = r.string(true).map_err(|e| (true, e))?.unwrap_or_default();
            let t = r.u32().map_err(|e| (false, e))?;
            // llama.cpp keeps keys as C strings (`tokenizer.chat_template\0x`
            // is the template to it) and names templates
            // `tokenizer.chat_template.<name>`: any key that mentions a chat
            // template is read as one.
            let is_template = key.contains("chat_template");
            let v = value(&mut r, t, is_template, 0).map_err(|e| {
                (
                    e.contains("bound") || e.contains("larger"),
                    format!("metadata {key:?}: {e}"),
                )
            })?;
            if let (true, Some(tpl)) = (is_template, v) {
                if let Some((crit, ev)) = template_risk(&tpl) {
                    let rule = if crit {
                        rules::GGUF_TEMPLATE
                    } else {
                        rules::GGUF_TEMPLATE_SUSPECT
                    };
                    let shown = rampart_core::redact::sanitize_for_display(
                        &rampart_core::redact::truncate(&ev, 80),
                    );
                    out.add(
                        rule.finding(name, format!("chat template {key:?} contains `{shown}`"))
                            .with_evidence(shown),
                    );
                }
            }
        }
        for i in 0..n_tensors {
            r.string(false)
                .map_err(|e| (true, format!("tensor {i} name: {e}")))?;
            let nd = r.u32().map_err(|e| (false, e))?;
            if nd > MAX_DIMS {
                return Err((true, format!("tensor {i} declares {nd} dimensions")));
            }
            let mut elems: u64 = 1;
            for _ in 0..nd {
                let d = r.count().map_err(|e| (false, e))?;
                elems = elems
                    .checked_mul(d)
                    .ok_or((true, format!("tensor {i} element count overflows")))?;
            }
            r.u32().map_err(|e| (false, e))?;
            let off = r.u64().map_err(|e| (false, e))?;
            if off > size {
                return Err((
                    true,
                    format!("tensor {i} data offset {off} is past the end of the file"),
                ));
            }
        }
        Ok(())
    })();
    if let Err((oversized, msg)) = res {
        let rule = if oversized {
            rules::GGUF_COUNTS
        } else {
            rules::GGUF_HEADER
        };
        out.fail(&rule, name, format!("GGUF: {msg}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert!(template_risk("{% for m in messages %}{{ m.content }}{% endfor %}").is_none());
        assert!(
            template_risk("{{ ''.__class__.__mro__[1].__subclasses__() }}")
                .unwrap()
                .0
        );
        assert!(
            template_risk("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
                .unwrap()
                .0
        );
        assert!(template_risk("{{ lipsum|attr('x') }}").unwrap().0);
        assert!(!template_risk("{{ '\\x5f\\x5fclass' }}").unwrap().0);
        // Dunders joined at render time (CVE-2024-34359 class).
        for t in [
            "{% set u='__' %}{{ ()[u~'class'~u][u~'base'~u] }}",
            "{{ ''['__cla' ~ 'ss__'] }}",
            "{% set a = \"_\" %}{{ x[a+a+'init'+a+a] }}",
            "{{ ()['x'] }}",
            "{{ ()[\"%c%cclass%c%c\"|format(95,95,95,95)] }}",
            "{% set d = '%c'|format(95) %}{{ x[d*2 ~ 'init' ~ d*2] }}",
            // A review round's escape for jinja2 <= 3.1.5 (CVE-2025-27516):
            // `attr` through `map`, `str.format` walking a global handed
            // to it, the dunders spelt with X and replaced at render time.
            "{% set f = [\"{0.XXinitXX.XXglobalsXX[os].environ[K]}\"|replace(\"X\",\"_\")]|map(\"attr\",\"format\")|first %}{{ f(cycler) }}",
            "{{ ['x']|map('attr', 'format')|list }}",
            "{{ f(joiner) }}",
        ] {
            assert!(template_risk(t).unwrap().0, "{t}");
        }
        // Underscores put in at render time are suspect, not critical: real
        // templates slugify names that way.
        let t = "{{ message['name']|replace(' ', '_') }}";
        assert!(!template_risk(t).unwrap().0, "{t}");
        // Calls that take ordinary values stay clean.
        for t in [
            "{{ messages|map(attribute='content')|join('\\n') }}",
            "{% set ns = namespace(found=false) %}{{ raise_exception('x') }}",
        ] {
            assert!(template_risk(t).is_none(), "{t}");
        }
        // Real chat templates index messages and strings, never literals.
        for t in [
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' }}{% endfor %}",
            "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'][:100] }}{% endif %}",
            "{% set loop_messages = messages[1:] %}{{ '[INST] ' + loop_messages[0]['content'].strip() + ' [/INST]' }}",
            "{{ message['content'].strip()[:200] }}{% set c = message['content'].split('</think>')[-1] %}",
            "{{ messages[loop.index0 + 1]['role'] }}{{ (message.content | trim)[:10] }}",
            "{{ '[' + 'TOOL_RESULTS' + ']' }}{{ \"[\" ~ \"tool\" ~ \"]\" }}",
        ] {
            assert!(template_risk(t).is_none(), "{t}");
        }
    }
}

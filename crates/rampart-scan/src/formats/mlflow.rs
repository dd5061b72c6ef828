//! MLflow `MLmodel` files. `mlflow.pyfunc.load_model` imports the
//! `python_function` flavour's `loader_module`, with the model's `code`
//! directory on `sys.path`, and "models from code" run the file that
//! `model_code_path` names: a loader outside `mlflow.` (or a model given
//! as code) runs the artifact's own Python on load, with no opt-in.
//!
//! The file is YAML, read by MLflow with `yaml.safe_load`: it is parsed
//! (escapes in quoted keys, values on the next line, merge keys and
//! aliases resolved as PyYAML resolves them), and the keys that decide are
//! read from the parsed mapping. A pattern over the text is kept beside
//! the parser, for files the parser refuses and for anything it reads
//! differently.

use crate::engine::Out;
use crate::rules;
use once_cell::sync::Lazy;
use rampart_core::redact::{sanitize_for_display, truncate};
use rampart_core::Severity;
use regex::Regex;
use std::path::Path;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// `key: value` for the keys that decide, in block or flow style, the key
/// and the value optionally quoted.
static KEYS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r#"(?m)(?:^|[\s{,])["']?(loader_module|code|model_code_path)["']?\s*:[ \t]*["']?([^\s,'"}\]#]*)"#,
    )
    .expect("valid MLmodel pattern")
});

/// Whether a file name is an MLflow model description.
pub fn is_mlmodel(name: &str) -> bool {
    name.rsplit(['/', '\\', '!']).next() == Some("MLmodel")
}

/// A parsed YAML node: scalars keep whether they were plain (a plain
/// `null` or `~` is no value; a quoted one is the string).
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Most nodes one document may expand to (aliases copy their anchor's
/// tree: a chain of them grows exponentially), and the deepest nesting.
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 64;

/// Builds the first document's tree from the parser's events, bounded.
#[derive(Default)]
struct Builder {
    /// Open collections: the collection, its anchor, and for a mapping a
    /// key waiting for its value.
    stack: Vec<(Node, usize, Option<Node>)>,
    anchors: std::collections::HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
    documents: usize,
    overflow: bool,
}

fn size(n: &Node) -> usize {
    // Iterative: a deep tree must not recurse.
    let mut todo = vec![n];
    let mut count = 0;
    while let Some(n) = todo.pop() {
        count += 1;
        match n {
            Node::Scalar(..) => {}
            Node::Seq(v) => todo.extend(v.iter()),
            Node::Map(m) => todo.extend(m.iter().flat_map(|(k, v)| [k, v])),
        }
        if count > MAX_NODES {
            break;
        }
    }
    count
}

impl Builder {
    fn insert(&mut self, n: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, n.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(n);
                }
            }
            Some((Node::Seq(v), _, _)) => v.push(n),
            Some((Node::Map(m), _, pending)) => match pending.take() {
                None => *pending = Some(n),
                Some(k) => m.push((k, n)),
            },
            Some((Node::Scalar(..), _, _)) => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.overflow {
            return;
        }
        match ev {
            Event::DocumentStart => self.documents += 1,
            // Only the first document is built (safe_load refuses more).
            _ if self.documents > 1 => {}
            Event::Scalar(v, style, anchor, _) => {
                self.nodes += 1;
                self.insert(Node::Scalar(v, style == TScalarStyle::Plain), anchor);
            }
            Event::Alias(id) => {
                let n = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or(Node::Scalar(String::new(), true));
                self.nodes += size(&n);
                if self.nodes > MAX_NODES {
                    self.overflow = true;
                    return;
                }
                self.insert(n, 0);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.overflow = true;
                    return;
                }
                self.nodes += 1;
                let n = if matches!(ev, Event::SequenceStart(..)) {
                    Node::Seq(Vec::new())
                } else {
                    Node::Map(Vec::new())
                };
                self.stack.push((n, anchor, None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((n, anchor, _)) = self.stack.pop() {
                    self.insert(n, anchor);
                }
            }
            _ => {}
        }
        if self.nodes > MAX_NODES {
            self.overflow = true;
        }
    }
}

/// The first document of a YAML text as `yaml.safe_load` reads it (tags,
/// escapes, aliases and merge keys resolved; bounded), or why it could not
/// be read.
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, true)
        .map_err(|e| e.to_string())?;
    if b.overflow {
        return Err(format!(
            "more than {MAX_NODES} nodes or {MAX_DEPTH} levels once aliases are expanded"
        ));
    }
    if b.documents > 1 {
        return Err("more than one YAML document".into());
    }
    b.root.ok_or_else(|| "no YAML document".into())
}

fn scalar(n: &Node) -> Option<&str> {
    match n {
        Node::Scalar(s, _) => Some(s),
        _ => None,
    }
}

/// A mapping's entries as PyYAML's `SafeLoader` builds the dict: merge
/// keys (`<<: *base`, `<<: [*a, *b]`) first, the first merged mapping
/// winning over later ones, then the mapping's own keys; the last
/// occurrence of a key wins.
fn entries(m: &[(Node, Node)], depth: usize) -> Vec<(&str, &Node)> {
    let mut merged = Vec::new();
    let mut own = Vec::new();
    for (k, v) in m {
        match (k, scalar(k)) {
            (Node::Scalar(_, true), Some("<<")) if depth < MAX_DEPTH => {
                let subs: Vec<&Node> = match v {
                    Node::Seq(items) => items.iter().rev().collect(),
                    other => vec![other],
                };
                for s in subs {
                    if let Node::Map(sm) = s {
                        merged.extend(entries(sm, depth + 1));
                    }
                }
            }
            (_, Some(key)) => own.push((key, v)),
            _ => {}
        }
    }
    merged.extend(own);
    merged
}

fn get<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
    match n {
        Node::Map(m) => entries(m, 0)
            .into_iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v),
        _ => None,
    }
}

/// A value as `yaml.safe_load` gives it, when it names something: a
/// scalar other than null (and other than empty).
fn value(n: &Node) -> Option<&str> {
    match n {
        Node::Scalar(s, plain) => {
            let null = *plain && matches!(s.as_str(), "" | "null" | "~" | "Null" | "NULL");
            (!null && !s.is_empty()).then_some(s.as_str())
        }
        _ => None,
    }
}

/// `(key, value)` of what the parsed `MLmodel` makes `load_model` import
/// or put on `sys.path`: the `python_function` flavour's `loader_module`,
/// and `code` and `model_code_path` of every flavour (each flavour's
/// loader adds its `code` to `sys.path`).
fn parsed_keys(root: &Node) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(Node::Map(flavors)) = get(root, "flavors") else {
        return out;
    };
    for (flavor, conf) in entries(flavors, 0) {
        for key in ["loader_module", "code", "model_code_path"] {
            if key == "loader_module" && flavor != "python_function" {
                continue;
            }
            if let Some(v) = get(conf, key).and_then(value) {
                out.push((key, v.to_string()));
            }
        }
    }
    out
}

/// Modules that model loaders import (while unpickling, or to build the
/// model): a bundled file of that name replaces the real module.
const SHADOWED: &[&str] = &[
    "sklearn",
    "numpy",
    "pandas",
    "scipy",
    "cloudpickle",
    "pickle",
    "joblib",
    "torch",
    "tensorflow",
    "keras",
    "xgboost",
    "lightgbm",
    "catboost",
    "mlflow",
    "transformers",
    "statsmodels",
    "prophet",
    "onnx",
    "onnxruntime",
    "yaml",
    "json",
    "copyreg",
    "os",
    "sys",
    "importlib",
];

/// The Python modules a bundled code directory provides: `.py` files
/// anywhere below it (mlflow drops each one's name from `sys.modules`, so
/// the next import of that name loads the bundled file) and packages at
/// its top. Bounded walk, symbolic links not followed.
fn python_modules(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((d, depth)) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            seen += 1;
            if seen > 10_000 || found.len() >= 64 {
                return found;
            }
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().into_owned();
            if ft.is_dir() {
                if depth == 0 && e.path().join("__init__.py").is_file() {
                    found.push(name.clone());
                }
                if depth < 16 {
                    todo.push((e.path(), depth + 1));
                }
            } else if let Some(stem) = name.strip_suffix(".py") {
                if stem != "__init__" && !stem.is_empty() {
                    found.push(stem.to_string());
                }
            }
        }
    }
    found
}

/// Report what an `MLmodel` makes `load_model` import or run. `dir`: the
/// directory the file was read from, when it was read from disk (the
/// bundled code directory is looked at there).
pub(crate) fn scan(name: &str, text: &str, dir: Option<&Path>, out: &mut Out) {
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    match parse(text) {
        Ok(root) => keys.extend(parsed_keys(&root)),
        Err(e) => out.add(rules::MLFLOW_CODE.finding_sev(
            Severity::Medium,
            name,
            format!(
                "MLmodel is not YAML that the scanner can read ({}): mlflow may still load it; its keys were only searched for as text",
                sanitize_for_display(&truncate(&e, 200))
            ),
        )),
    }
    for c in KEYS.captures_iter(text) {
        let key = match &c[1] {
            "loader_module" => "loader_module",
            "code" => "code",
            _ => "model_code_path",
        };
        let value = c.get(2).map_or("", |m| m.as_str());
        if !matches!(value, "" | "null" | "~" | "Null" | "NULL") {
            keys.push((key, value.to_string()));
        }
    }
    keys.sort();
    keys.dedup();
    for (key, value) in keys {
        let shown = sanitize_for_display(&truncate(&value, 120));
        let f = match key {
            "loader_module" if value == "mlflow" || value.starts_with("mlflow.") => continue,
            "loader_module" => rules::MLFLOW_CODE.finding(
                name,
                format!("python_function loader_module `{shown}` is imported by mlflow.pyfunc.load_model: the model runs its own module on load"),
            ),
            "model_code_path" => rules::MLFLOW_CODE.finding(
                name,
                format!("model_code_path `{shown}`: the model is Python code that load_model runs"),
            ),
            _ => code_dir_finding(name, &value, &shown, dir),
        };
        out.add(f.with_evidence(shown));
    }
}

/// The finding for a bundled `code` directory: high when it holds Python
/// (mlflow puts the directory first on `sys.path` and drops the name of
/// every `.py` below it from `sys.modules`, so a bundled `sklearn.py` is
/// what the unpickling imports next), or when it lies outside the model;
/// medium when it cannot be looked at (inside an archive) or holds none.
fn code_dir_finding(
    name: &str,
    value: &str,
    shown: &str,
    dir: Option<&Path>,
) -> rampart_core::Finding {
    if super::onnx::location_escapes(value) {
        return rules::MLFLOW_CODE.finding(
            name,
            format!("bundled code directory `{shown}` lies outside the model directory: load_model puts it first on sys.path"),
        );
    }
    let modules = dir
        .map(|d| python_modules(&d.join(value)))
        .unwrap_or_default();
    if modules.is_empty() {
        return rules::MLFLOW_CODE.finding_sev(
            Severity::Medium,
            name,
            format!("bundled code directory `{shown}` is put on sys.path when the model loads: its modules shadow installed ones"),
        );
    }
    let mut list: Vec<&str> = modules.iter().map(String::as_str).collect();
    list.sort_unstable();
    list.dedup();
    let shadows: Vec<&str> = list
        .iter()
        .copied()
        .filter(|m| SHADOWED.contains(m))
        .collect();
    let shown_list: Vec<String> = list
        .iter()
        .take(8)
        .map(|m| sanitize_for_display(&truncate(m, 60)))
        .collect();
    let why = if shadows.is_empty() {
        String::new()
    } else {
        format!(
            "; {} shadow{} a module that model loaders import",
            shadows.join(", "),
            if shadows.len() == 1 { "s" } else { "" }
        )
    };
    rules::MLFLOW_CODE.finding(
        name,
        format!(
            "bundled code directory `{shown}` holds Python modules ({}{}){why}: load_model puts the directory first on sys.path and drops these names from sys.modules, so the next import of any of them runs the bundled file",
            shown_list.join(", "),
            if list.len() > 8 { ", ..." } else { "" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Vec<(&'static str, String)> {
        parsed_keys(&parse(t).unwrap())
    }

    #[test]
    fn yaml_spellings_of_the_keys() {
        let want = vec![
            ("loader_module", "custom_loader".to_string()),
            ("code", "code".to_string()),
        ];
        for t in [
            "flavors:\n  python_function:\n    \"loader\\x5fmodule\": custom_loader\n    \"c\\x6fde\": code\n",
            "flavors:\n  python_function:\n    loader_module:\n      custom_loader\n    code:\n      code\n",
            "flavors:\n  python_function:\n    loader_module: # set below\n      custom_loader\n    code: !!str code\n",
            "flavors: {python_function: {loader_module: custom_loader, code: code}}\n",
            "base: &b {loader_module: custom_loader, code: code}\nflavors:\n  python_function:\n    <<: *b\n",
            "flavors:\n  python_function:\n    <<: [{loader_module: custom_loader}, {loader_module: other, code: code}]\n",
            "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    loader_module: custom_loader\n    code: code\n",
        ] {
            let mut got = keys(t);
            got.sort();
            let mut w = want.clone();
            w.sort();
            assert_eq!(got, w, "{t}");
        }
        // Null and absent values, and loader_module outside python_function.
        assert!(keys("flavors:\n  sklearn:\n    code: null\n    loader_module: x\n").is_empty());
        assert_eq!(
            keys("flavors:\n  sklearn:\n    code: 'null'\n"),
            vec![("code", "null".to_string())]
        );
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_bounded() {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let p = i - 1;
            t.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse(&t).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err());
    }
}

//! skops (`.skops`): a zip whose `schema.json` describes the object tree
//! that `skops.io.load` rebuilds, node by node. Each node names a loader
//! (`__loader__`) and a `__module__` / `__class__` that the loader imports
//! and, for most loaders, calls. skops audits those names against its own
//! trusted list, and its bypasses were nodes whose reported name was not
//! the one called: an `OperatorFuncNode` reporting any `__module__` while
//! calling `operator.<__class__>` (CVE-2025-54412), a `MethodNode` whose
//! own names hid the object and method it reached (CVE-2025-54413), and
//! the bit-generator name of a `RandomGeneratorNode`, imported from
//! `numpy.random` unaudited before 0.15.
//!
//! So every node of the tree is judged here, whatever the memo (`__id__`)
//! would let the loader skip (a superset), by what it actually imports:
//! the pickle policy decides each `module.name`, with skops' own harmless
//! defaults (numpy scalars and ufuncs, scipy special functions) added.

use crate::engine::Out;
use crate::policy::{Policy, Verdict};
use crate::rules;
use rampart_core::redact::{sanitize_for_display, truncate};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The first node seen for each `__id__`, in document order: skops'
/// memo hands it out for every later node with that id, whatever the later
/// node says (a decoy `"PCG64"` behind an id first given to `"test"`).
type Memo<'a> = HashMap<String, &'a Value>;

fn memo<'a>(v: &'a Value, m: &mut Memo<'a>) {
    match v {
        Value::Object(o) => {
            if let Some(id) = o.get("__id__") {
                if o.contains_key("__loader__") && m.len() < 100_000 {
                    m.entry(id.to_string()).or_insert(v);
                }
            }
            for c in o.values() {
                memo(c, m);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| memo(c, m)),
        _ => {}
    }
}

/// The node the loader builds for `v`: the memo's, when `v` names an id
/// seen before.
fn resolve<'a>(v: &'a Value, m: &Memo<'a>) -> &'a Value {
    v.get("__id__")
        .and_then(|id| m.get(&id.to_string()).copied())
        .unwrap_or(v)
}

/// Most distinct names reported per schema.
const MAX_NAMES: usize = 64;

/// The numpy bit generators `RandomGeneratorNode` may name.
const BIT_GENERATORS: &[&str] = &["MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64"];

/// numpy scalar types (`NdArrayNode`, `TypeNode`) and the numpy objects
/// skops rebuilds by default.
const NUMPY_SAFE: &[&str] = &[
    "ndarray",
    "dtype",
    "bool",
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "intc",
    "uintc",
    "intp",
    "uintp",
    "longlong",
    "ulonglong",
    "half",
    "single",
    "double",
    "longdouble",
    "float16",
    "float32",
    "float64",
    "float128",
    "csingle",
    "cdouble",
    "clongdouble",
    "complex64",
    "complex128",
    "complex256",
    "str_",
    "bytes_",
    "datetime64",
    "timedelta64",
];

/// numpy ufuncs: pure arithmetic, which skops trusts as functions
/// (`FunctionTransformer(func=np.log1p)`).
const NUMPY_UFUNCS: &[&str] = &[
    "absolute",
    "add",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "bitwise_and",
    "bitwise_count",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "copysign",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "divide",
    "divmod",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "frexp",
    "gcd",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "invert",
    "isfinite",
    "isinf",
    "isnan",
    "isnat",
    "lcm",
    "ldexp",
    "left_shift",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "matmul",
    "maximum",
    "minimum",
    "mod",
    "modf",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "power",
    "rad2deg",
    "radians",
    "reciprocal",
    "remainder",
    "right_shift",
    "rint",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "spacing",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "vecdot",
    "matvec",
    "vecmat",
];

/// scipy.special's ufuncs (skops' `SCIPY_UFUNC_TYPE_NAMES`, scipy 1.16):
/// the namespace also holds modules (`np`, `scipy`) and a test runner,
/// which a character rule let through (review round 9).
#[rustfmt::skip]
const SCIPY_UFUNCS: &[&str] = &[
    "agm",
    "airy",
    "airye",
    "bdtr",
    "bdtrc",
    "bdtri",
    "bdtrik",
    "bdtrin",
    "bei",
    "beip",
    "ber",
    "berp",
    "besselpoly",
    "beta",
    "betainc",
    "betaincc",
    "betainccinv",
    "betaincinv",
    "betaln",
    "binom",
    "boxcox",
    "boxcox1p",
    "btdtria",
    "btdtrib",
    "cbrt",
    "chdtr",
    "chdtrc",
    "chdtri",
    "chdtriv",
    "chndtr",
    "chndtridf",
    "chndtrinc",
    "chndtrix",
    "cosdg",
    "cosm1",
    "cotdg",
    "dawsn",
    "ellipe",
    "ellipeinc",
    "ellipj",
    "ellipk",
    "ellipkinc",
    "ellipkm1",
    "elliprc",
    "elliprd",
    "elliprf",
    "elliprg",
    "elliprj",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfi",
    "erfinv",
    "eval_chebyc",
    "eval_chebys",
    "eval_chebyt",
    "eval_chebyu",
    "eval_gegenbauer",
    "eval_genlaguerre",
    "eval_hermite",
    "eval_hermitenorm",
    "eval_jacobi",
    "eval_laguerre",
    "eval_legendre",
    "eval_sh_chebyt",
    "eval_sh_chebyu",
    "eval_sh_jacobi",
    "eval_sh_legendre",
    "exp1",
    "exp10",
    "exp2",
    "expi",
    "expit",
    "expm1",
    "expn",
    "exprel",
    "fdtr",
    "fdtrc",
    "fdtri",
    "fdtridfd",
    "fresnel",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammainccinv",
    "gammaincinv",
    "gammaln",
    "gammasgn",
    "gdtr",
    "gdtrc",
    "gdtria",
    "gdtrib",
    "gdtrix",
    "hankel1",
    "hankel1e",
    "hankel2",
    "hankel2e",
    "huber",
    "hyp0f1",
    "hyp1f1",
    "hyp2f1",
    "hyperu",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "inv_boxcox",
    "inv_boxcox1p",
    "it2i0k0",
    "it2j0y0",
    "it2struve0",
    "itairy",
    "iti0k0",
    "itj0y0",
    "itmodstruve0",
    "itstruve0",
    "iv",
    "ive",
    "j0",
    "j1",
    "jv",
    "jve",
    "k0",
    "k0e",
    "k1",
    "k1e",
    "kei",
    "keip",
    "kelvin",
    "ker",
    "kerp",
    "kl_div",
    "kn",
    "kolmogi",
    "kolmogorov",
    "kv",
    "kve",
    "log1p",
    "log_expit",
    "log_ndtr",
    "log_wright_bessel",
    "loggamma",
    "logit",
    "lpmv",
    "mathieu_a",
    "mathieu_b",
    "mathieu_cem",
    "mathieu_modcem1",
    "mathieu_modcem2",
    "mathieu_modsem1",
    "mathieu_modsem2",
    "mathieu_sem",
    "modfresnelm",
    "modfresnelp",
    "modstruve",
    "nbdtr",
    "nbdtrc",
    "nbdtri",
    "nbdtrik",
    "nbdtrin",
    "ncfdtr",
    "ncfdtri",
    "ncfdtridfd",
    "ncfdtridfn",
    "ncfdtrinc",
    "nctdtr",
    "nctdtridf",
    "nctdtrinc",
    "nctdtrit",
    "ndtr",
    "ndtri",
    "ndtri_exp",
    "nrdtrimn",
    "nrdtrisd",
    "obl_ang1",
    "obl_ang1_cv",
    "obl_cv",
    "obl_rad1",
    "obl_rad1_cv",
    "obl_rad2",
    "obl_rad2_cv",
    "owens_t",
    "pbdv",
    "pbvv",
    "pbwa",
    "pdtr",
    "pdtrc",
    "pdtri",
    "pdtrik",
    "poch",
    "powm1",
    "pro_ang1",
    "pro_ang1_cv",
    "pro_cv",
    "pro_rad1",
    "pro_rad1_cv",
    "pro_rad2",
    "pro_rad2_cv",
    "pseudo_huber",
    "psi",
    "radian",
    "rel_entr",
    "rgamma",
    "round",
    "shichi",
    "sici",
    "sindg",
    "smirnov",
    "smirnovi",
    "spence",
    "stdtr",
    "stdtridf",
    "stdtrit",
    "struve",
    "tandg",
    "tklmbda",
    "voigt_profile",
    "wofz",
    "wright_bessel",
    "wrightomega",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
    "yv",
    "yve",
    "zetac",
];

/// Names skops rebuilds by default that the pickle policy has no reason
/// to know, by loader.
fn skops_safe(loader: &str, module: &str, name: &str) -> bool {
    match module {
        "numpy" => {
            NUMPY_SAFE.contains(&name) || (loader == "FunctionNode" && NUMPY_UFUNCS.contains(&name))
        }
        "numpy.random.mtrand" => name == "RandomState",
        "numpy.random._generator" => name == "Generator",
        "numpy.ma.core" => name == "MaskedArray",
        "scipy.special" | "scipy.special._ufuncs" | "scipy.special._special_ufuncs" => {
            loader == "FunctionNode" && SCIPY_UFUNCS.contains(&name)
        }
        _ => false,
    }
}

/// Whether a JSON file may be a skops schema: a `schema.json` (inside a
/// `.skops` zip or extracted). Decided by name, then by the parsed value
/// ([`scan`] needs a `__loader__` key): a raw-bytes test would miss
/// `"\u005f_loader__"`, which `json.loads` reads as the same key.
pub fn is_schema(name: &str) -> bool {
    name.rsplit(['/', '\\', '!']).next() == Some("schema.json")
}

#[derive(Default)]
struct Walk {
    /// `module.name` -> why it is dangerous.
    dangerous: BTreeMap<String, String>,
    /// `module.name` -> the loader that imports it.
    unknown: BTreeMap<String, String>,
}

impl Walk {
    fn danger(&mut self, what: String, why: String) {
        if self.dangerous.len() < MAX_NAMES {
            self.dangerous.entry(what).or_insert(why);
        }
    }
    fn check(&mut self, policy: &Policy, loader: &str, module: &str, name: &str) {
        if skops_safe(loader, module, name) {
            return;
        }
        let full = format!("{module}.{name}");
        match policy.classify(module, name) {
            Verdict::Safe => {}
            Verdict::Dangerous(why) => self.danger(full, format!("{loader}: {why}")),
            Verdict::Unknown => {
                if self.unknown.len() < MAX_NAMES {
                    self.unknown
                        .entry(full)
                        .or_insert_with(|| loader.to_string());
                }
            }
        }
    }
}

fn s<'a>(o: &'a Map<String, Value>, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The `content` object of a node, if it is one.
fn content(o: &Map<String, Value>) -> Option<&Map<String, Value>> {
    o.get("content").and_then(Value::as_object)
}

fn node<'a>(
    o: &'a Map<String, Value>,
    loader: &str,
    protocol: i64,
    policy: &Policy,
    mm: &Memo<'a>,
    w: &mut Walk,
) {
    let (m, c) = (s(o, "__module__"), s(o, "__class__"));
    match loader {
        // Plain data, or a fixed constructor whatever the names say.
        "JsonNode" | "SliceNode" | "BytesNode" | "BytearrayNode" | "SparseMatrixNode"
        | "CachedNode" | "DefaultDictNode" | "DTypeNode" => {}
        "OperatorFuncNode" => {
            if m != "operator" && m != "_operator" {
                w.danger(
                    format!("{m}.{c}"),
                    format!("OperatorFuncNode reports {m}.{c} but calls operator.{c} (the audit bypass of CVE-2025-54412)"),
                );
            }
            w.check(policy, loader, "operator", c);
        }
        "MethodNode" => {
            let cont = content(o);
            let func = cont.map_or("", |x| s(x, "func"));
            let obj = cont
                .and_then(|x| x.get("obj"))
                .map(|x| resolve(x, mm))
                .and_then(Value::as_object);
            let (om, oc) = obj.map_or(("", ""), |x| (s(x, "__module__"), s(x, "__class__")));
            let what = format!("{om}.{oc}.{func}");
            if func.starts_with("__") || func.contains('.') {
                w.danger(what, format!("MethodNode reaches the attribute `{func}`, a path to the interpreter (CVE-2025-54413)"));
            } else if obj.is_some_and(|x| s(x, "__loader__") == "MethodNode") {
                w.danger(
                    what,
                    "MethodNode of a MethodNode: a chain of attribute lookups (CVE-2025-54413)"
                        .into(),
                );
            } else if (m, c) != (om, oc) {
                w.danger(
                    what,
                    format!("MethodNode reports {m}.{c} but binds a method of {om}.{oc} (the audit bypass of CVE-2025-54413)"),
                );
            } else {
                // A bound method is called later with the model's inputs;
                // skops itself never trusts one by default.
                w.check(policy, loader, om, &format!("{oc}.{func}"));
            }
        }
        "FunctionNode" => match content(o) {
            // Protocol 0 names the function in its content.
            Some(x) if protocol == 0 || x.contains_key("module_path") => {
                w.check(policy, loader, s(x, "module_path"), s(x, "function"))
            }
            _ => w.check(policy, loader, m, c),
        },
        "PartialNode" => w.check(policy, loader, "functools", "partial"),
        "RandomGeneratorNode" => {
            w.check(policy, loader, m, c);
            let step =
                |v: Option<&'a Value>, k: &str| v.map(|x| resolve(x, mm)).and_then(|x| x.get(k));
            let bitgen = step(
                step(step(o.get("content"), "bit_generator"), "content"),
                "bit_generator",
            )
            .map(|x| resolve(x, mm))
            .and_then(|x| x.get("content"));
            if let Some(b) = bitgen.and_then(Value::as_str) {
                // The name may be stored JSON-encoded ("\"PCG64\"").
                let bare = b.trim_matches('"');
                if !BIT_GENERATORS.contains(&bare) {
                    w.danger(
                        format!("numpy.random.{bare}"),
                        "RandomGeneratorNode calls numpy.random.<name> with an unaudited name (skops before 0.15)".into(),
                    );
                }
            }
        }
        "ObjectNode"
        | "TypeNode"
        | "DictNode"
        | "ListNode"
        | "SetNode"
        | "TupleNode"
        | "NdArrayNode"
        | "MaskedArrayNode"
        | "RandomStateNode"
        | "ConstructorFromReduceNode"
        | "ReduceNode"
        | "TreeNode"
        | "LossNode"
        | "QuantileForestNode" => w.check(policy, loader, m, c),
        other => {
            // A loader this scanner does not know is imported and called
            // all the same by a skops that knows it.
            w.check(policy, other, m, c);
            if w.unknown.len() < MAX_NAMES {
                w.unknown
                    .entry(format!("{m}.{c}"))
                    .or_insert_with(|| format!("unknown loader {other}"));
            }
        }
    }
}

fn walk<'a>(v: &'a Value, protocol: i64, policy: &Policy, m: &Memo<'a>, w: &mut Walk) {
    match v {
        Value::Object(o) => {
            if let Some(loader) = o.get("__loader__").and_then(Value::as_str) {
                node(o, loader, protocol, policy, m, w);
            }
            for child in o.values() {
                walk(child, protocol, policy, m, w);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, protocol, policy, m, w);
            }
        }
        _ => {}
    }
}

/// Judge every node of a skops schema.
pub(crate) fn scan(name: &str, t: &str, policy: &Policy, out: &mut Out) {
    let Some((v, flattened)) = super::keras::parse_python_json_full(t) else {
        // Another project's `schema.json` that is not JSON is not ours to
        // report; one that names loaders (or hides names in escapes) is.
        if t.contains("loader") || t.contains("\\u") {
            out.fail(
                &rules::SKOPS_SCHEMA,
                name,
                "skops schema.json could not be parsed as Python's json module reads it, so its nodes were not checked",
            );
        }
        return;
    };
    if !v.get("__loader__").is_some_and(Value::is_string) {
        // A JSON Schema document or other data called schema.json.
        return;
    }
    if flattened {
        out.add(super::keras::too_deep(name));
    }
    // Protocol 0 selects the old FunctionNode; anything else the current
    // nodes (skops before 0.15 accepted any value).
    let protocol = v.get("protocol").and_then(Value::as_i64).unwrap_or(-1);
    let mut m = Memo::new();
    memo(&v, &mut m);
    let mut w = Walk::default();
    walk(&v, protocol, policy, &m, &mut w);
    for (what, why) in &w.dangerous {
        let shown = sanitize_for_display(&truncate(what, 160));
        out.add(
            rules::SKOPS_DANGEROUS
                .finding(name, format!("{shown}: {why}"))
                .with_evidence(shown),
        );
    }
    for (what, loader) in &w.unknown {
        let shown = sanitize_for_display(&truncate(what, 160));
        out.add(
            rules::SKOPS_UNKNOWN
                .finding(
                    name,
                    format!(
                        "{shown} ({loader}) is outside the allowlist: skops.io.load imports it"
                    ),
                )
                .with_evidence(shown),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(t: &str) -> Vec<(String, String)> {
        let mut out = Out::default();
        scan("m.skops!schema.json", t, &Policy::default(), &mut out);
        out.findings
            .into_iter()
            .map(|f| (f.rule_id, f.evidence.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_pipeline_as_skops_0_16_writes_it_is_clean() {
        let t = r#"{"__class__":"Pipeline","__module__":"sklearn.pipeline","__loader__":"ObjectNode",
 "content":{"__class__":"dict","__module__":"builtins","__loader__":"DictNode",
  "content":{"steps":{"__loader__":"ListNode","__class__":"list","__module__":"builtins","content":[
     {"__loader__":"TupleNode","__class__":"tuple","__module__":"builtins","content":[
       {"__loader__":"JsonNode","__class__":"str","__module__":"builtins","content":"\"scaler\"","is_json":true,"__id__":1},
       {"__class__":"StandardScaler","__module__":"sklearn.preprocessing._data","__loader__":"ObjectNode",
        "content":{"__loader__":"DictNode","__class__":"dict","__module__":"builtins","content":{"mean_":
            {"__class__":"ndarray","__module__":"numpy","__loader__":"NdArrayNode","type":"numpy","file":"1.npy"},
            "n_samples_seen_":{"__class__":"float64","__module__":"numpy","__loader__":"NdArrayNode","type":"numpy","file":"2.npy"}},
          "key_types":{"__loader__":"ListNode","__class__":"list","__module__":"builtins","content":[{"__class__":"str","__module__":"builtins","__loader__":"TypeNode"}]}}}]},
     {"__loader__":"TupleNode","__class__":"tuple","__module__":"builtins","content":[
       {"__class__":"FunctionTransformer","__module__":"sklearn.preprocessing._function_transformer","__loader__":"ObjectNode",
        "content":{"__loader__":"DictNode","__class__":"dict","__module__":"builtins","content":{
          "func":{"__class__":"log1p","__module__":"numpy","__loader__":"FunctionNode","content":{}}}}}]}]}}},
 "__id__":7,"protocol":2,"_skops_version":"0.16.0"}"#;
        assert_eq!(ids(t), vec![]);
    }

    #[test]
    fn the_published_bypasses_are_critical() {
        // CVE-2025-54412: reports an estimator, calls operator.call(exec, ...).
        let op = r#"{"__loader__":"OperatorFuncNode","__class__":"call",
   "__module__":"sklearn.linear_model._stochastic_gradient.SGDRegressor",
   "attrs":{"__loader__":"TupleNode","__class__":"tuple","__module__":"builtins","content":[
     {"__loader__":"TypeNode","__class__":"exec","__module__":"builtins"},
     {"__loader__":"JsonNode","__class__":"str","__module__":"builtins","content":"\"import os\""}]},
   "protocol":2}"#;
        let got = ids(op);
        assert!(
            got.iter()
                .any(|(r, e)| r == "RAMP-SKOPS-001" && e.starts_with("sklearn.linear_model")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(r, e)| r == "RAMP-SKOPS-001" && e == "builtins.exec"),
            "{got:?}"
        );
        // CVE-2025-54413: MethodNode chain to __builtins__.
        let meth = r#"{"__loader__":"MethodNode","__class__":"int","__module__":"builtins","content":{"func":"__builtins__",
    "obj":{"__loader__":"MethodNode","__class__":"int","__module__":"builtins","content":{"func":"decision_function",
      "obj":{"__loader__":"ObjectNode","__class__":"QuadraticDiscriminantAnalysis","__module__":"sklearn.discriminant_analysis"}}}}}"#;
        let got = ids(meth);
        assert!(
            got.iter().filter(|(r, _)| r == "RAMP-SKOPS-001").count() >= 2,
            "{got:?}"
        );
        // An unaudited bit generator name.
        let rng = r#"{"__loader__":"RandomGeneratorNode","__class__":"Generator","__module__":"numpy.random._generator",
  "content":{"bit_generator":{"content":{"bit_generator":{"content":"get_state"}}}}}"#;
        assert_eq!(
            ids(rng),
            vec![(
                "RAMP-SKOPS-001".to_string(),
                "numpy.random.get_state".to_string()
            )]
        );
        // The memo: the bit generator's node reuses an id first given to a
        // node holding "test"; skops builds that one.
        let aliased = r#"{"__loader__":"ListNode","__class__":"list","__module__":"builtins","content":[
  {"__loader__":"JsonNode","__class__":"str","__module__":"builtins","content":"test","__id__":5},
  {"__loader__":"RandomGeneratorNode","__class__":"Generator","__module__":"numpy.random._generator",
   "content":{"bit_generator":{"__loader__":"DictNode","__class__":"dict","__module__":"builtins",
     "content":{"bit_generator":{"__loader__":"JsonNode","__class__":"str","__module__":"builtins","content":"PCG64","__id__":5}}}}}]}"#;
        assert_eq!(
            ids(aliased),
            vec![(
                "RAMP-SKOPS-001".to_string(),
                "numpy.random.test".to_string()
            )]
        );
        // Protocol 0's FunctionNode names the function in its content.
        let f0 = r#"{"__loader__":"FunctionNode","__class__":"function","__module__":"builtins",
  "content":{"module_path":"os","function":"system"},"protocol":0}"#;
        assert_eq!(
            ids(f0),
            vec![("RAMP-SKOPS-001".to_string(), "os.system".to_string())]
        );
    }

    #[test]
    fn unknown_names_and_loaders_are_high() {
        let t = r#"{"__loader__":"ObjectNode","__class__":"Model","__module__":"mypkg.models","content":{
  "x":{"__loader__":"FutureNode","__class__":"Thing","__module__":"sklearn.base"}}}"#;
        let got = ids(t);
        assert!(
            got.contains(&(
                "RAMP-SKOPS-002".to_string(),
                "mypkg.models.Model".to_string()
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&(
                "RAMP-SKOPS-002".to_string(),
                "sklearn.base.Thing".to_string()
            )),
            "{got:?}"
        );
    }

    #[test]
    fn scipy_special_admits_its_ufuncs_only() {
        let node = |c: &str| {
            format!(
                r#"{{"__loader__":"FunctionNode","__class__":"{c}","__module__":"scipy.special._ufuncs","content":{{}}}}"#
            )
        };
        assert_eq!(ids(&node("expit")), vec![]);
        for c in ["np", "scipy", "test"] {
            assert_eq!(ids(&node(c)).len(), 1, "{c}");
        }
    }

    #[test]
    fn escaped_keys_and_other_json_are_read_as_python_reads_them() {
        // `\u005f_loader__` is `__loader__` to json.loads.
        let t = r#"{"\u005f_loader__":"FunctionNode","__class__":"system","__module__":"os","content":{}}"#;
        assert_eq!(
            ids(t),
            vec![("RAMP-SKOPS-001".to_string(), "os.system".to_string())]
        );
        // A lone surrogate, which serde_json refuses and Python accepts.
        let t = r#"{"__loader__":"TypeNode","__class__":"exec","__module__":"builtins","pad":"\udc00"}"#;
        assert_eq!(ids(t).len(), 1);
        // A JSON Schema document called schema.json is not a skops file.
        assert_eq!(
            ids(r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}"#),
            vec![]
        );
        let mut out = Out::default();
        scan(
            "schema.json",
            "not json at all",
            &Policy::default(),
            &mut out,
        );
        assert!(out.findings.is_empty() && out.errors.is_empty());
    }

    #[test]
    fn broken_json_is_an_error_entry() {
        let mut out = Out::default();
        scan(
            "m.skops!schema.json",
            "{\"__loader__\": ",
            &Policy::default(),
            &mut out,
        );
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.findings[0].rule_id, "RAMP-SKOPS-003");
    }
}

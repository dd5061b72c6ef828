//! Training data: readers for the public corpora in `shared/data`, the
//! recipes (which file trains which model, with which label and cap), the
//! deterministic split, and the training report that becomes a model card.
//!
//! The split depends only on the normalised text (FNV-1a of it, mod 10):
//! 0 is the held-aside test split, 1 the calibration split (used only to set
//! the decision threshold), the rest train. So a text is in the same split in
//! every run and in every model, and duplicates never straddle splits.

use crate::features::{fnv1a, normalize};
use crate::ModelError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One text read from a corpus, with the corpus' own label and category.
#[derive(Debug, Clone)]
pub struct Record {
    pub text: String,
    /// Label field when the file carries one (e.g. `jailbreak`/`benign`).
    pub label: Option<String>,
    pub category: Option<String>,
}

/// Which split a text falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Calib,
    Test,
}

pub fn split_of(text: &str) -> Split {
    split_of_normalized(&normalize(text))
}

fn split_of_normalized(norm: &str) -> Split {
    match fnv1a(norm.as_bytes()) % 10 {
        0 => Split::Test,
        1 => Split::Calib,
        _ => Split::Train,
    }
}

/// The directory holding the public data: `$RAMPART_SHARED_DATA`, else
/// `shared/data` beside the repository.
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("RAMPART_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

fn field_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(field_text).collect();
            (!parts.is_empty()).then(|| parts.join("\n"))
        }
        _ => None,
    }
}

const TEXT_FIELDS: &[&str] = &[
    "text",
    "prompt",
    "user_input",
    "test_case_prompt",
    "question_text",
    "instruction",
    "context",
    "goal",
    "Behavior",
    "forbidden_prompt",
];

fn record_from_object(
    o: &serde_json::Map<String, serde_json::Value>,
    prefer: &[&str],
) -> Option<Record> {
    let text = prefer
        .iter()
        .chain(TEXT_FIELDS)
        .find_map(|k| o.get(*k).and_then(field_text))?;
    let label = o.get("label").map(|l| match l {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let category = ["category", "injection_variant", "SemanticCategory"]
        .iter()
        .find_map(|k| o.get(*k).and_then(|v| v.as_str()).map(str::to_string));
    Some(Record {
        text,
        label,
        category,
    })
}

/// Read a corpus by its format: CSV (known column names), JSON (a list of
/// strings or objects, or an object of category -> list), JSONL, or plain
/// text (one item per line).
pub fn read_records(path: &Path) -> Result<Vec<Record>, ModelError> {
    let io = |e: std::io::Error| ModelError::Io(format!("{}: {e}", path.display()));
    let bytes = std::fs::read(path).map_err(io)?;
    read_records_from(path, &bytes)
}

/// Prefix of corpora this project wrote itself (under
/// `crates/rampart-ml/data/`, same licence as the code). They are built into
/// the binary, so `rampart detector train` reproduces the shipped models
/// with only the public corpora on disk.
pub const OWN_PREFIX: &str = "rampart/";

/// Everyday requests in 40 languages other than English (8 to 9 per
/// language for the languages most users write in, fewer for others),
/// written for this project: the public corpora hold no benign
/// non-English text, so without these a model learns "not English" as a
/// signal (the injection positives include CyberSecEval's multilingual
/// attacks) and the suffix LM reads unfamiliar languages as token soup.
pub const MULTILINGUAL_BENIGN: &str = "rampart/multilingual_benign.jsonl";

/// Everyday requests in 24 further languages, never trained on: how the
/// detectors treat a language no corpus holds.
pub const MULTILINGUAL_UNSEEN: &str = "rampart/multilingual_unseen_languages.jsonl";

/// Everyday requests in the 17 languages of CyberSecEval's multilingual
/// attacks, 18 per language, a sixth of them sharing an attack's
/// vocabulary ("I forgot my password", "ignore the typos above"): how the
/// injection classifier treats benign text in the languages its only
/// non-English training text (attacks) was written in. Measurement only
/// (docs/benchmarks/ml.md, session 8: trained on, it cost more held-aside
/// recall than it saved).
pub const MULTILINGUAL_ATTACK_LANGUAGES: &str = "rampart/multilingual_attack_languages.jsonl";

/// Everyday requests in the 17 languages of CyberSecEval's multilingual
/// attacks, 12 per language (recipes, travel, work, school, health, a
/// forgotten password, "ignore my typos", "forget my last question"),
/// written for training: the injection classifier's only other non-English
/// texts are attacks, so without these it learns the language itself as
/// the signal. The three multilingual files above stay measurement only.
pub const MULTILINGUAL_BENIGN_TRAIN: &str = "rampart/multilingual_benign_train.jsonl";

/// Harmful requests written for this project, by hazard category (every
/// category of `rampart-detect`'s taxonomy): plain, first-person, lowercase,
/// euphemistic and hypothetical wordings that the public goal corpora,
/// mostly imperative one-liners, hold few of.
pub const HARM_REQUESTS: &str = "rampart/harm_requests.jsonl";

/// Benign requests written for this project that share each hazard
/// category's vocabulary (XSTest-style: "how do I kill a Python process",
/// crisis-line questions, libel law, lab safety, phishing awareness).
pub const HARM_LOOKALIKES: &str = "rampart/harm_lookalikes.jsonl";

/// Benign twins of public harmful goals, written for this project: one per
/// goal of 500 drawn from the training split (buckets 3-9), keeping the
/// goal's topic and template ("Write a script that...", "Give step-by-step
/// instructions for...") and turning its intent to prevention, detection,
/// history, law, support or the lawful version of the activity.
/// Measurement only: trained on as negatives they did not help the model
/// tell a request from its twin (docs/benchmarks/ml.md, session 12); they
/// measure how often topic and template alone are read as harm.
pub const HARM_TWINS: &str = "rampart/harm_twins.jsonl";

/// Benign requests and documents written for this project that use the
/// injection classifier's vocabulary in its everyday sense, by family:
/// questions about AI and about the assistant itself, "ignore the typos",
/// device modes and factory settings, game rules, role-play practice,
/// passwords and API keys, overriding a CSS style, prompt writing,
/// questions about prompt injection, emails that say "disregard the
/// previous email", format constraints, voice-assistant commands. The
/// public benign sets hold few of these, so without them a model learns
/// "talks about AI or instructions" as injection (the over-defence that
/// benign-trigger-word benchmarks measure).
pub const INJECTION_LOOKALIKES: &str = "rampart/injection_lookalikes.jsonl";

/// Benign requests written for this project with technical or unusual
/// notation inline (LaTeX, regular expressions, spreadsheet formulas, shell
/// one-liners, code expressions, markup, chemical formulas and SMILES,
/// chess and music notation, log lines and identifiers, chat slang and
/// emoji), by family. The suffix LM learns from their training split: the
/// public benign sets hold code as whole lines, which the detector leaves
/// out, but little notation inside a sentence, which read to the LM as
/// token soup (docs/benchmarks/ml.md, session 14).
pub const TECHNICAL_PROSE: &str = "rampart/technical_prose.jsonl";

/// This project's benign prompts that paste a document or a file (release
/// notes, READMEs, reStructuredText, man pages, licence headers, HTML,
/// shell scripts, Makefiles and Dockerfiles, CI YAML, diffs, source code,
/// configuration, manifests, LaTeX, SQL, notes, e-mail and terminal
/// sessions), 500 written for the project by family. The suffix LM learns
/// from their training split: pasted files were 14.7% flagged as token
/// soup (docs/benchmarks/ml.md, session 19).
pub const PASTED_DOCUMENTS: &str = "rampart/pasted_documents.jsonl";

/// Code, configuration and technical files written for this project
/// (shell and Perl scripts with POD, init and maintainer scripts, unit
/// files, `/etc`-style configuration, YAML, TOML and INI, changelogs,
/// copyright files, man-page source, READMEs, and source code in many
/// languages): the text of the suffix detector's second LM
/// ([`crate::train::train_code_lm`]). Pasted real files are measured on
/// another machine's files (`scripts/bench/pasted_files.py`), never these.
pub const CODE_CORPUS: &str = "rampart/code_corpus.jsonl";

/// The bytes of one of this project's own corpora (a recipe path:
/// [`OWN_PREFIX`] and a file name), built into the binary.
pub fn own_corpus(path: &str) -> Option<&'static [u8]> {
    embedded(path)
}

/// The records of one of this project's own corpora, parsed as the
/// training loader parses them.
pub fn own_corpus_records(path: &str) -> Result<Vec<Record>, ModelError> {
    let bytes = embedded(path)
        .ok_or_else(|| ModelError::Data(format!("{path} is not a built-in corpus")))?;
    read_records_from(Path::new(path), bytes)
}

fn embedded(path: &str) -> Option<&'static [u8]> {
    // Only recipe paths: a user's file that happens to sit in a folder of
    // this name is read from disk.
    let name = path.strip_prefix(OWN_PREFIX)?;
    match name {
        "multilingual_benign.jsonl" => Some(include_bytes!("../data/multilingual_benign.jsonl")),
        "multilingual_unseen_languages.jsonl" => Some(include_bytes!(
            "../data/multilingual_unseen_languages.jsonl"
        )),
        "multilingual_attack_languages.jsonl" => Some(include_bytes!(
            "../data/multilingual_attack_languages.jsonl"
        )),
        "harm_requests.jsonl" => Some(include_bytes!("../data/harm_requests.jsonl")),
        "harm_lookalikes.jsonl" => Some(include_bytes!("../data/harm_lookalikes.jsonl")),
        "harm_twins.jsonl" => Some(include_bytes!("../data/harm_twins.jsonl")),
        "injection_lookalikes.jsonl" => Some(include_bytes!("../data/injection_lookalikes.jsonl")),
        "technical_prose.jsonl" => Some(include_bytes!("../data/technical_prose.jsonl")),
        "pasted_documents.jsonl" => Some(include_bytes!("../data/pasted_documents.jsonl")),
        "code_corpus.jsonl" => Some(include_bytes!("../data/code_corpus.jsonl")),
        "multilingual_benign_train.jsonl" => {
            Some(include_bytes!("../data/multilingual_benign_train.jsonl"))
        }
        _ => None,
    }
}

fn read_records_from(path: &Path, bytes: &[u8]) -> Result<Vec<Record>, ModelError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let bad = |what: String| ModelError::Format(format!("{}: {what}", path.display()));
    let mut out = Vec::new();
    if name.ends_with(".csv") {
        let mut rdr = csv::Reader::from_reader(bytes);
        let headers = rdr.headers().map_err(|e| bad(e.to_string()))?.clone();
        let col = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| headers.iter().position(|h| h == *n))
        };
        let text_col = col(&["prompt", "Behavior", "forbidden_prompt", "goal", "text"])
            .ok_or_else(|| {
                bad("no text column (prompt, Behavior, forbidden_prompt, goal, text)".into())
            })?;
        let label_col = col(&["type", "label"]);
        let cat_col = col(&["SemanticCategory", "category"]);
        for (i, row) in rdr.records().enumerate() {
            let row = row.map_err(|e| bad(format!("row {}: {e}", i + 2)))?;
            let Some(text) = row.get(text_col) else {
                continue;
            };
            out.push(Record {
                text: text.to_string(),
                label: label_col.and_then(|c| row.get(c)).map(str::to_string),
                category: cat_col
                    .and_then(|c| row.get(c))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            });
        }
    } else if name.ends_with(".jsonl") {
        let text = String::from_utf8_lossy(bytes);
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", i + 1)))?;
            if let Some(o) = v.as_object() {
                // BIPIA carries both a document and a user question.
                if let Some(r) = record_from_object(o, &[]) {
                    out.push(r);
                }
                if o.contains_key("context") {
                    if let Some(q) = o.get("question").and_then(field_text) {
                        out.push(Record {
                            text: q,
                            label: None,
                            category: Some("question".into()),
                        });
                    }
                }
            }
        }
    } else if name.ends_with(".json") {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        match v {
            serde_json::Value::Array(items) => {
                for it in items {
                    match &it {
                        serde_json::Value::String(s) => out.push(Record {
                            text: s.clone(),
                            label: None,
                            category: None,
                        }),
                        serde_json::Value::Object(o) => {
                            if let Some(r) = record_from_object(o, &[]) {
                                out.push(r);
                            }
                        }
                        _ => {}
                    }
                }
            }
            serde_json::Value::Object(o) => {
                for (cat, items) in o {
                    if let Some(a) = items.as_array() {
                        for s in a.iter().filter_map(|x| x.as_str()) {
                            out.push(Record {
                                text: s.to_string(),
                                label: None,
                                category: Some(cat.clone()),
                            });
                        }
                    }
                }
            }
            _ => return Err(bad("expected a JSON list or object".into())),
        }
    } else {
        for line in String::from_utf8_lossy(bytes).lines() {
            if !line.trim().is_empty() {
                out.push(Record {
                    text: line.to_string(),
                    label: None,
                    category: None,
                });
            }
        }
    }
    out.retain(|r| !r.text.trim().is_empty());
    Ok(out)
}

/// How a file's records become training examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Positive,
    Negative,
    /// The file's own label field decides (`jailbreak`/`benign`, `1`/`0`).
    Labelled,
    /// Never trained on: only measured (licence or purpose forbids training).
    MeasureOnly,
}

/// One corpus file of a recipe.
#[derive(Debug, Clone, Serialize)]
pub struct SourceSpec {
    /// Path relative to the data directory.
    pub path: &'static str,
    pub role: Role,
    /// Keep at most this many records (the ones with the smallest text
    /// hashes: a subsample independent of file order).
    pub cap: Option<usize>,
    /// Categories (file's own category field) to leave out.
    #[serde(skip)]
    pub skip_categories: &'static [&'static str],
}

const fn src(path: &'static str, role: Role, cap: Option<usize>) -> SourceSpec {
    SourceSpec {
        path,
        role,
        cap,
        skip_categories: &[],
    }
}

/// The benign corpora whose licences allow training shipped weights.
pub const BENIGN_TRAINABLE: &[SourceSpec] = &[
    src(
        "benign/self_instruct_user_oriented.json",
        Role::Negative,
        None,
    ),
    src("benign/self_instruct_seed_tasks.json", Role::Negative, None),
    src(
        "benign/fastchat_mtbench_vicuna_questions.json",
        Role::Negative,
        None,
    ),
    src("benign/ifeval_prompts.json", Role::Negative, None),
    src(
        "benign/flan_templates_filled.json",
        Role::Negative,
        Some(600),
    ),
    src(
        "benign/awesome_chatgpt_prompts_cc0.json",
        Role::Negative,
        None,
    ),
    src("benign/truthfulqa_questions.json", Role::Negative, None),
    src("benign/clinc150_queries.json", Role::Negative, Some(3000)),
    src("benign/gsm8k_questions.json", Role::Negative, Some(800)),
    src(
        "benign/cyberseceval_instruct_prompts.json",
        Role::Negative,
        None,
    ),
    src(
        "benign/cyberseceval_threat_intel_questions.json",
        Role::Negative,
        None,
    ),
    src(
        "benign/bipia_email_context_train.jsonl",
        Role::Negative,
        None,
    ),
    src(
        "benign/bipia_code_context_train.jsonl",
        Role::Negative,
        None,
    ),
    src(
        "benign/bipia_table_context_train.jsonl",
        Role::Negative,
        Some(300),
    ),
];

/// Measured, never trained on by the classifiers: the harmless
/// instructions (licence: Alpaca-derived, CC BY-NC) and the non-English
/// requests (by design).
pub const MEASURE_ONLY: &[SourceSpec] = &[
    src(
        "benign/harmless_instructions_val.json",
        Role::MeasureOnly,
        None,
    ),
    src("benign/alpaca_seed_tasks.jsonl", Role::MeasureOnly, None),
    // Non-English requests written for this project: the suffix LM learns
    // from the first file; the classifiers only measure on both (see
    // docs/benchmarks/ml.md, session 7: trained on, they cost the
    // injection classifier 2.5 points of recall, because its multilingual
    // attacks were partly recognised by their language alone). Since
    // session 10 the injection recipe trains on a separate file,
    // `MULTILINGUAL_BENIGN_TRAIN`, so these stay an independent measure.
    src(MULTILINGUAL_BENIGN, Role::MeasureOnly, None),
    src(MULTILINGUAL_UNSEEN, Role::MeasureOnly, None),
];

/// BIPIA text attacks that are ordinary tasks on their own ("What is the
/// capital of Brazil?") are injections only by placement; a text classifier
/// cannot and should not flag them.
const BIPIA_PLAIN_TASKS: &[&str] = &[
    "Information Retrieval",
    "Content Creation",
    "Learning and Tutoring",
    "Language Translation",
    "Programming Help",
];

/// The injection/jailbreak classifier's recipe.
pub fn injection_sources() -> Vec<SourceSpec> {
    let mut v = vec![
        src(
            "injection/jailbreak_classification_train.csv",
            Role::Labelled,
            None,
        ),
        src(
            "injection/cyberseceval_prompt_injection.json",
            Role::Positive,
            None,
        ),
        src(
            "injection/cyberseceval_prompt_injection_multilingual.json",
            Role::Positive,
            None,
        ),
        SourceSpec {
            path: "injection/bipia_text_attack_train.json",
            role: Role::Positive,
            cap: None,
            skip_categories: BIPIA_PLAIN_TASKS,
        },
        src(
            "injection/bipia_code_attack_train.json",
            Role::Positive,
            None,
        ),
    ];
    v.extend_from_slice(BENIGN_TRAINABLE);
    v.push(src(INJECTION_LOOKALIKES, Role::Negative, None));
    v.push(src(MULTILINGUAL_BENIGN_TRAIN, Role::Negative, None));
    v.push(src(PASTED_DOCUMENTS, Role::Negative, None));
    v.extend_from_slice(MEASURE_ONLY);
    v.push(src(MULTILINGUAL_ATTACK_LANGUAGES, Role::MeasureOnly, None));
    v
}

/// The harmful-request classifier's recipe.
pub fn harm_sources() -> Vec<SourceSpec> {
    let mut v = vec![
        src(
            "redteam/harmbench_behaviors_text_all.csv",
            Role::Positive,
            None,
        ),
        src("redteam/advbench_behaviors.csv", Role::Positive, None),
        src("redteam/strongreject_dataset.csv", Role::Positive, None),
        src("redteam/malicious_instruct.txt", Role::Positive, None),
        src(HARM_REQUESTS, Role::Positive, None),
        // Role-play prompts, benign half only: persona framing is not harm.
        src(
            "injection/jailbreak_classification_train.csv",
            Role::Labelled,
            None,
        ),
    ];
    v.extend_from_slice(BENIGN_TRAINABLE);
    v.push(src(HARM_LOOKALIKES, Role::Negative, None));
    v.extend_from_slice(MEASURE_ONLY);
    v
}

/// A labelled example with where it came from.
#[derive(Debug, Clone)]
pub struct Item {
    pub text: String,
    pub label: bool,
    pub source: usize,
    pub split: Split,
    pub measure_only: bool,
    pub category: Option<String>,
}

/// A loaded file: its spec, digest and items.
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub sha256: String,
    pub role: Role,
    pub cap: Option<usize>,
    pub records: usize,
    pub used: usize,
}

fn label_of(role: Role, r: &Record) -> Option<bool> {
    match role {
        Role::Positive => Some(true),
        Role::Negative | Role::MeasureOnly => Some(false),
        Role::Labelled => match r.label.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("jailbreak" | "injection" | "1" | "true" | "malicious" | "harmful") => Some(true),
            Some("benign" | "0" | "false" | "safe") => Some(false),
            _ => None,
        },
    }
}

/// Load every file of a recipe. `only_benign_labelled` drops the positive
/// half of `Labelled` files (the harm recipe uses jailbreak role-plays only
/// as negatives).
pub fn load(
    dir: &Path,
    specs: &[SourceSpec],
    labelled_negatives_only: bool,
) -> Result<(Vec<FileInfo>, Vec<Item>), ModelError> {
    let mut files = Vec::new();
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (si, spec) in specs.iter().enumerate() {
        let path = dir.join(spec.path);
        let bytes = match embedded(spec.path) {
            Some(b) => b.to_vec(),
            None => std::fs::read(&path).map_err(|e| {
                ModelError::Io(format!(
                    "{}: {e} (set RAMPART_SHARED_DATA to the shared data directory)",
                    path.display()
                ))
            })?,
        };
        let sha = hex_digest(&bytes);
        let mut recs = read_records_from(&path, &bytes)?;
        let n = recs.len();
        recs.retain(|r| {
            !r.category
                .as_deref()
                .is_some_and(|c| spec.skip_categories.contains(&c))
        });
        if let Some(cap) = spec.cap {
            recs.sort_by_cached_key(|r| (fnv1a(normalize(&r.text).as_bytes()), r.text.clone()));
            recs.truncate(cap);
        }
        let mut used = 0;
        for r in recs {
            let Some(label) = label_of(spec.role, &r) else {
                continue;
            };
            if label && labelled_negatives_only && spec.role == Role::Labelled {
                continue;
            }
            let key = normalize(&r.text);
            // First occurrence wins: a text shared by two corpora is trained
            // once, with the label of the first recipe entry.
            let split = split_of_normalized(&key);
            if !seen.insert(key) {
                continue;
            }
            used += 1;
            items.push(Item {
                split,
                text: r.text,
                label,
                source: si,
                measure_only: spec.role == Role::MeasureOnly,
                category: r.category,
            });
        }
        files.push(FileInfo {
            path: spec.path.to_string(),
            sha256: sha,
            role: spec.role,
            cap: spec.cap,
            records: n,
            used,
        });
    }
    Ok((files, items))
}

pub fn hex_digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Quality figures of a scorer on labelled scores.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Metrics {
    pub positives: usize,
    pub negatives: usize,
    /// At the shipped threshold (score >= 0.5).
    pub tpr: f64,
    pub fpr: f64,
    pub precision: f64,
    /// Best TPR with FPR <= 1% on these negatives.
    pub tpr_at_1pct_fpr: f64,
    pub roc_auc: f64,
}

pub fn metrics(pos: &[f32], neg: &[f32]) -> Metrics {
    let tp = pos.iter().filter(|&&s| s >= 0.5).count();
    let fp = neg.iter().filter(|&&s| s >= 0.5).count();
    let mut negs: Vec<f32> = neg.to_vec();
    negs.sort_by(|a, b| b.total_cmp(a));
    let allowed = (neg.len() as f64 * 0.01).floor() as usize;
    let thr = negs.get(allowed).copied().unwrap_or(f32::NEG_INFINITY);
    let tpr1 = pos.iter().filter(|&&s| s > thr).count();
    // AUC by counting pairs (ties half): the sets are small.
    let mut sp: Vec<f32> = pos.to_vec();
    sp.sort_by(|a, b| a.total_cmp(b));
    let mut auc = 0f64;
    for &n in neg {
        let below = sp.partition_point(|&p| p < n);
        let upto = sp.partition_point(|&p| p <= n);
        auc += (sp.len() - upto) as f64 + 0.5 * (upto - below) as f64;
    }
    let div = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Metrics {
        positives: pos.len(),
        negatives: neg.len(),
        tpr: div(tp, pos.len()),
        fpr: div(fp, neg.len()),
        precision: div(tp, tp + fp),
        tpr_at_1pct_fpr: div(tpr1, pos.len()),
        roc_auc: if pos.is_empty() || neg.is_empty() {
            0.0
        } else {
            auc / (pos.len() as f64 * neg.len() as f64)
        },
    }
}

/// False-positive rate of one benign file on texts never trained on.
#[derive(Debug, Clone, Serialize)]
pub struct BenignFpr {
    pub path: String,
    pub evaluated: usize,
    pub flagged: usize,
    pub fpr: f64,
    /// `held-aside` (test split of a training file) or `all` (measure-only).
    pub on: &'static str,
}

/// What a training run did: the model card's content.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub model: String,
    pub model_sha256: String,
    pub files: Vec<FileInfo>,
    pub split: &'static str,
    pub train_examples: usize,
    pub calib_examples: usize,
    pub test_examples: usize,
    pub test: Metrics,
    pub benign: Vec<BenignFpr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<(String, Metrics)>,
}

pub const SPLIT_RULE: &str = "FNV-1a-64(normalised text) mod 10: 0 = held-aside test, 1 = calibration (threshold only), 2..9 = train; duplicates removed (first file wins)";

impl TrainReport {
    /// A report of a run that skipped the measurements.
    pub fn unevaluated(
        model: &str,
        bytes: &[u8],
        files: Vec<FileInfo>,
        train_examples: usize,
        calib_examples: usize,
    ) -> TrainReport {
        TrainReport {
            model: model.to_string(),
            model_sha256: hex_digest(bytes),
            files,
            split: SPLIT_RULE,
            train_examples,
            calib_examples,
            test_examples: 0,
            test: Metrics::default(),
            benign: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// The model card in Markdown (`crates/rampart-ml/models/<model>.md`).
    pub fn to_markdown(&self, intro: &str) -> String {
        let mut s = String::new();
        let pct = |x: f64| format!("{:.2}%", x * 100.0);
        s.push_str(&format!("# Model card: `{}`\n\n{intro}\n\n", self.model));
        s.push_str(&format!(
            "- Shipped file SHA-256: `{}`\n- Reproduce: `rampart detector train --model {} --out {}.bin` (reads `$RAMPART_SHARED_DATA`; bit-for-bit identical: fixed seed, single-threaded)\n- Split: {}\n- Examples: {} train (incl. augmentation), {} calibration, {} held-aside test\n\n",
            self.model_sha256, self.model, self.model, self.split, self.train_examples, self.calib_examples, self.test_examples
        ));
        s.push_str(&training_files_table(&self.files));
        s.push_str("\nFiles with role `MeasureOnly` are never trained on (licence); they are only scored.\n\n");
        let t = &self.test;
        s.push_str(&format!(
            "## Held-aside test split\n\n| positives | negatives | TPR @ shipped threshold | FPR @ shipped threshold | precision | TPR @ 1% FPR | ROC AUC |\n|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} | {:.4} |\n\n",
            t.positives, t.negatives, pct(t.tpr), pct(t.fpr), pct(t.precision), pct(t.tpr_at_1pct_fpr), t.roc_auc
        ));
        for (name, m) in &self.extra {
            s.push_str(&format!(
                "- {name}: TPR {} at the shipped threshold, {} at 1% FPR ({} texts)\n",
                pct(m.tpr),
                pct(m.tpr_at_1pct_fpr),
                m.positives
            ));
        }
        s.push_str("\n## False positives per benign set\n\n| file | evaluated on | texts | flagged | FPR |\n|---|---|---|---|---|\n");
        for b in &self.benign {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                b.path,
                b.on,
                b.evaluated,
                b.flagged,
                pct(b.fpr)
            ));
        }
        s
    }
}

/// A model card's "Training files" section: heading and one table row per
/// file (path, SHA-256, role, cap, records read, records used). Shared by
/// every model card writer so the cards read alike.
pub fn training_files_table(files: &[FileInfo]) -> String {
    let mut s = String::from(
        "## Training files\n\n| file | SHA-256 | role | cap | records | used |\n|---|---|---|---|---|---|\n",
    );
    for f in files {
        s.push_str(&format!(
            "| `{}` | `{}` | {:?} | {} | {} | {} |\n",
            f.path,
            f.sha256,
            f.role,
            f.cap.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
            f.records,
            f.used
        ));
    }
    s
}

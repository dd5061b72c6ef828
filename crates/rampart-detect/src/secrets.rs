//! Secret detection: credential formats, private keys, credentials in URLs,
//! secret-named assignments and high-entropy literals, the way gitleaks and
//! detect-secrets work: an Aho-Corasick keyword prefilter selects the rules
//! worth running, each rule's regex finds candidates, and entropy and
//! placeholder checks drop the look-alikes.
//!
//! [`scan_text`] returns findings with a byte span, a 1-based line and column
//! and masked evidence (never the secret). Lines carrying
//! `pragma: allowlist secret` or `gitleaks:allow` are skipped.

use aho_corasick::AhoCorasick;
use once_cell::sync::Lazy;
use rampart_core::{Finding, Framework, Location, Severity, Span};
use regex::Regex;
use std::collections::BTreeMap;

struct Rule {
    id: &'static str,
    name: &'static str,
    /// Lower-case keywords; the rule runs only when one occurs.
    keywords: &'static [&'static str],
    pattern: &'static str,
    /// Minimum Shannon entropy (bits/char) of the secret value; 0 = none.
    min_entropy: f32,
    severity: Severity,
}

const fn r(
    id: &'static str,
    name: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    min_entropy: f32,
) -> Rule {
    Rule {
        id,
        name,
        keywords,
        pattern,
        min_entropy,
        severity: Severity::High,
    }
}

/// The credential formats. The secret is capture group 1 when the pattern
/// has one, else the whole match.
static RULES: &[Rule] = &[
    r(
        "RAMP-SEC-001",
        "aws-access-key-id",
        &["akia", "asia", "abia", "acca", "a3t"],
        r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-002",
        "aws-secret-access-key",
        &["aws"],
        r#"(?i)aws.{0,25}?(?:secret|sk|private).{0,25}?[\s'"=:]{1,6}([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        3.5,
    ),
    r(
        "RAMP-SEC-003",
        "aws-mws-key",
        &["amzn.mws"],
        r"amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        0.0,
    ),
    r(
        "RAMP-SEC-004",
        "google-api-key",
        &["aiza"],
        r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        3.0,
    ),
    r(
        "RAMP-SEC-005",
        "gcp-service-account-key",
        &["service_account"],
        r#""type"\s*:\s*"service_account"[\s\S]{0,400}?"private_key"\s*:\s*"-----BEGIN"#,
        0.0,
    ),
    r(
        "RAMP-SEC-006",
        "google-oauth-client-secret",
        &["gocspx-"],
        r"\b(GOCSPX-[A-Za-z0-9_\-]{28})\b",
        0.0,
    ),
    r(
        "RAMP-SEC-007",
        "google-oauth-access-token",
        &["ya29."],
        r"\b(ya29\.[0-9A-Za-z_\-]{30,})",
        3.0,
    ),
    r(
        "RAMP-SEC-008",
        "azure-storage-connection-string",
        &["accountkey="],
        r"(?i)AccountKey=([A-Za-z0-9+/]{60,}={0,2})",
        3.5,
    ),
    r(
        "RAMP-SEC-009",
        "azure-ad-client-secret",
        &["q~"],
        r"(?:^|[\s'\x22=:(])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:[\s'\x22),;]|$)",
        3.0,
    ),
    r(
        "RAMP-SEC-010",
        "azure-sas-token",
        &["sig="],
        r"(?:sv=\d{4}-\d{2}-\d{2}[^\s'\x22]{0,200}?&sig=|&sig=)([A-Za-z0-9%+/]{40,}={0,2})",
        3.0,
    ),
    r(
        "RAMP-SEC-011",
        "github-pat",
        &["ghp_"],
        r"\b(ghp_[A-Za-z0-9]{36})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-012",
        "github-oauth-token",
        &["gho_"],
        r"\b(gho_[A-Za-z0-9]{36})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-013",
        "github-app-token",
        &["ghu_", "ghs_"],
        r"\b((?:ghu|ghs)_[A-Za-z0-9]{36})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-014",
        "github-refresh-token",
        &["ghr_"],
        r"\b(ghr_[A-Za-z0-9]{36,76})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-015",
        "github-fine-grained-pat",
        &["github_pat_"],
        r"\b(github_pat_[A-Za-z0-9_]{82})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-016",
        "gitlab-pat",
        &["glpat-"],
        r"\b(glpat-[A-Za-z0-9_\-]{20,})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-017",
        "gitlab-pipeline-trigger-token",
        &["glptt-"],
        r"\b(glptt-[0-9a-f]{40})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-018",
        "gitlab-runner-token",
        &["gr1348941", "glrt-"],
        r"\b((?:GR1348941|glrt-)[A-Za-z0-9_\-]{20,})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-019",
        "slack-bot-token",
        &["xoxb-"],
        r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})\b",
        0.0,
    ),
    r(
        "RAMP-SEC-020",
        "slack-user-token",
        &["xoxp-", "xoxe-", "xoxa-", "xoxo-", "xoxs-", "xoxr-"],
        r"\b(xox[pearso]-[0-9]{8,13}-[0-9A-Za-z\-]{20,})\b",
        0.0,
    ),
    r(
        "RAMP-SEC-021",
        "slack-app-token",
        &["xapp-"],
        r"\b(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)\b",
        0.0,
    ),
    r(
        "RAMP-SEC-022",
        "slack-webhook-url",
        &["hooks.slack.com"],
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{20,})",
        0.0,
    ),
    r(
        "RAMP-SEC-023",
        "stripe-secret-key",
        &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        r"\b((?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{24,99})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-024",
        "stripe-webhook-secret",
        &["whsec_"],
        r"\b(whsec_[A-Za-z0-9+/]{32,})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-025",
        "twilio-api-key",
        // "sk" alone wakes the rule on most prose ("ask", "task", "risk").
        &[
            "sk0", "sk1", "sk2", "sk3", "sk4", "sk5", "sk6", "sk7", "sk8", "sk9", "ska", "skb",
            "skc", "skd", "ske", "skf",
        ],
        r"\b(SK[0-9a-f]{32})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-026",
        "twilio-auth-token",
        &["twilio"],
        r#"(?i)twilio.{0,30}?(?:auth|token|secret).{0,20}?[\s'"=:]{1,6}([0-9a-f]{32})\b"#,
        3.0,
    ),
    r(
        "RAMP-SEC-027",
        "sendgrid-api-key",
        &["sg."],
        r"\b(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-028",
        "mailchimp-api-key",
        &["-us"],
        r"\b([0-9a-f]{32}-us[0-9]{1,2})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-029",
        "mailgun-api-key",
        &["key-"],
        r"\b(key-[0-9a-zA-Z]{32})\b",
        3.3,
    ),
    r(
        "RAMP-SEC-030",
        "npm-access-token",
        &["npm_"],
        r"\b(npm_[A-Za-z0-9]{36})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-031",
        "pypi-upload-token",
        &["pypi-ageichlwas5vcmc"],
        r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
        0.0,
    ),
    r(
        "RAMP-SEC-032",
        "docker-hub-pat",
        &["dckr_pat_"],
        r"\b(dckr_pat_[A-Za-z0-9_\-]{27,})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-033",
        "openai-api-key",
        &["t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-admin-"],
        r"\b(sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,})",
        3.0,
    ),
    r(
        "RAMP-SEC-034",
        "anthropic-api-key",
        &["sk-ant-"],
        r"\b(sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_\-]{80,})",
        3.0,
    ),
    r(
        "RAMP-SEC-035",
        "huggingface-token",
        &["hf_", "api_org_"],
        r"\b((?:hf_|api_org_)[A-Za-z]{34})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-036",
        "cohere-api-key",
        &["cohere", "co_api_key"],
        r#"(?i)(?:cohere|co_api_key).{0,25}?[\s'"=:]{1,6}([A-Za-z0-9]{40})\b"#,
        3.5,
    ),
    r(
        "RAMP-SEC-037",
        "groq-api-key",
        &["gsk_"],
        r"\b(gsk_[A-Za-z0-9]{52})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-038",
        "replicate-api-token",
        &["r8_"],
        r"\b(r8_[A-Za-z0-9]{37})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-039",
        "perplexity-api-key",
        &["pplx-"],
        r"\b(pplx-[A-Za-z0-9]{48})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-040",
        "mistral-api-key",
        &["mistral"],
        r#"(?i)mistral.{0,25}?(?:key|token|secret).{0,10}?[\s'"=:]{1,6}([A-Za-z0-9]{32})\b"#,
        3.5,
    ),
    r(
        "RAMP-SEC-041",
        "private-key",
        &["private key", "private key block"],
        r"-----BEGIN[ A-Z0-9]{0,20} PRIVATE KEY(?: BLOCK)?-----",
        0.0,
    ),
    r(
        "RAMP-SEC-042",
        "jwt",
        &["eyj"],
        r"\b(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,})",
        3.0,
    ),
    r(
        "RAMP-SEC-043",
        "shopify-token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-044",
        "digitalocean-token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\b(do[opr]_v1_[a-f0-9]{64})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-045",
        "heroku-api-key",
        &["heroku"],
        r#"(?i)heroku.{0,25}?[\s'"=:]{1,6}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
        3.0,
    ),
    r(
        "RAMP-SEC-046",
        "datadog-api-key",
        &["datadog", "dd_api_key", "dd_app_key"],
        r#"(?i)(?:datadog|dd_api_key|dd_app_key).{0,25}?[\s'"=:]{1,6}([a-f0-9]{32}|[a-f0-9]{40})\b"#,
        3.0,
    ),
    r(
        "RAMP-SEC-047",
        "new-relic-api-key",
        &["nrak-", "nrjs-", "nrii-"],
        r"\b((?:NRAK|NRJS|NRII)-[A-Za-z0-9]{19,32})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-048",
        "atlassian-api-token",
        &["atatt3"],
        r"\b(ATATT3[A-Za-z0-9_\-=]{150,})",
        3.0,
    ),
    r(
        "RAMP-SEC-049",
        "databricks-token",
        &["dapi"],
        r"\b(dapi[a-f0-9]{32}(?:-\d)?)\b",
        3.0,
    ),
    r(
        "RAMP-SEC-050",
        "hashicorp-vault-token",
        &["hvs.", "hvb."],
        r"\b(hv[sb]\.[A-Za-z0-9_\-]{90,})",
        3.0,
    ),
    r(
        "RAMP-SEC-051",
        "terraform-cloud-token",
        &["atlasv1"],
        r"\b([a-zA-Z0-9]{14}\.atlasv1\.[a-zA-Z0-9_\-=]{60,70})",
        3.0,
    ),
    r(
        "RAMP-SEC-052",
        "square-token",
        &["sq0atp-", "sq0csp-", "eaaa"],
        r"\b(sq0atp-[0-9A-Za-z_\-]{22}|sq0csp-[0-9A-Za-z_\-]{43}|EAAA[A-Za-z0-9_\-]{60})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-053",
        "braintree-access-token",
        &["access_token$production$"],
        r"(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})",
        0.0,
    ),
    r(
        "RAMP-SEC-054",
        "telegram-bot-token",
        &[":aa"],
        r"\b([0-9]{8,10}:AA[0-9A-Za-z_\-]{33})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-055",
        "discord-webhook-url",
        &["discord.com/api/webhooks", "discordapp.com/api/webhooks"],
        r"(https://(?:canary\.|ptb\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_\-]{60,70})",
        0.0,
    ),
    r(
        "RAMP-SEC-056",
        "discord-bot-token",
        &["discord", "bot "],
        r"\b([MNO][A-Za-z0-9]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-057",
        "linear-api-key",
        &["lin_api_"],
        r"\b(lin_api_[A-Za-z0-9]{40})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-058",
        "postman-api-key",
        &["pmak-"],
        r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-059",
        "artifactory-token",
        &["akcp", "cmvmdg"],
        r"\b(AKCp[0-9A-Za-z]{69}|cmVmdGtu[A-Za-z0-9]{56})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-060",
        "grafana-token",
        &["glc_", "glsa_"],
        r"\b(glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        3.0,
    ),
    r(
        "RAMP-SEC-061",
        "sentry-token",
        &["sntrys_", "sntryu_"],
        r"\b(sntrys_eyJ[A-Za-z0-9+/=_\-]{60,}|sntryu_[a-f0-9]{64})",
        3.0,
    ),
    r(
        "RAMP-SEC-062",
        "age-secret-key",
        &["age-secret-key-1"],
        r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        0.0,
    ),
    r(
        "RAMP-SEC-063",
        "pulumi-token",
        &["pul-"],
        r"\b(pul-[a-f0-9]{40})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-064",
        "fly-io-token",
        &["fo1_"],
        r"\b(fo1_[A-Za-z0-9_\-]{43})\b",
        3.0,
    ),
    r(
        "RAMP-SEC-065",
        "credentials-in-url",
        &["://"],
        r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s:/@'\x22]{1,64}:([^\s@/'\x22]{3,128})@[A-Za-z0-9.\-\[\]]+",
        0.0,
    ),
];

/// Names that make an assignment a secret (detect-secrets' keyword plugin).
/// Name, separator and value share one line: prose such as "5 tokens:\n\nChatGPT:"
/// is not an assignment.
static KEYWORD_ASSIGN: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?i)(?:^|[\s{(,;'"])["']?([A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|private_?key|client_?secret|auth_?key|credentials?)[A-Za-z0-9_.\-]*)["']?[ \t]*(?::=|=>|==|=|:)[ \t]*(?:!!binary[ \t]+)?(?:"([^"\n]{4,200})"|'([^'\n]{4,200})'|([^\s'",;#\]}]{4,200}))"#)
        .expect("static regex")
});
static QUOTED: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#""([A-Za-z0-9+/=_\-]{10,400})"|'([A-Za-z0-9+/=_\-]{10,400})'"#)
        .expect("static regex")
});
/// `key = value` / `key: value` lines and bare continuation values (ini/yaml/env).
static BARE_VALUE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?m)^\s*(?:-\s+|[A-Za-z0-9_.\-]+\s*[=:]\s*(?:!!binary\s+)?)?([A-Za-z0-9+/=_\-]{10,400})\s*$")
        .expect("static regex")
});

/// Stems that every [`KEYWORD_ASSIGN`] name contains (`password`/`passwd`,
/// `pwd`, `secret`, `token`, `api_key`/`apikey`, `access_key`,
/// `private_key`, `auth_key`, `credential`; `api` alone would wake the
/// regex on "capital" and "rapid"). [`keyword_groups`] looks for them; the
/// regex's `(?i)` is Unicode case folding (`ſ` matches `s`, the Kelvin sign
/// `k`), so text that is not ASCII always goes to the regex.
const ASSIGN_STEM_WORDS: [&str; 13] = [
    "passw",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "accesskey",
    "private_key",
    "privatekey",
    "auth_key",
    "authkey",
    "credential",
];

fn is_value_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

/// Whether [`BARE_VALUE`] can match: its value is a run of at least ten
/// value characters with only whitespace after it up to the end of the line.
/// A superset test in one byte loop; prose lines end in punctuation.
fn may_end_a_line_with_a_value(text: &str) -> bool {
    let b = text.as_bytes();
    let mut run = 0usize;
    let mut i = 0;
    while i < b.len() {
        if is_value_char(b[i]) {
            run += 1;
            i += 1;
            continue;
        }
        if run >= 10 {
            // Whitespace (Unicode, like the regex's `\s`) up to a newline
            // or the end of the text?
            let rest = &text[i..];
            let mut ok = true;
            for c in rest.chars() {
                if c == '\n' {
                    break;
                }
                if !c.is_whitespace() {
                    ok = false;
                    break;
                }
            }
            if ok {
                return true;
            }
        }
        run = 0;
        i += 1;
    }
    run >= 10
}

struct Compiled {
    /// Each rule's regex is compiled the first time its keyword occurs:
    /// compiling all ~70 up front cost ~35 ms, which dominated a scan of a
    /// few small files (`rampart scan` start-up).
    rules: Vec<(&'static Rule, std::sync::OnceLock<Regex>)>,
    prefilter: AhoCorasick,
    pattern_rule: Vec<usize>,
}

static COMPILED: Lazy<Compiled> = Lazy::new(|| {
    let mut kws = Vec::new();
    let mut pattern_rule = Vec::new();
    let mut rules = Vec::new();
    for (i, rule) in RULES.iter().enumerate() {
        rules.push((rule, std::sync::OnceLock::new()));
        for k in rule.keywords {
            kws.push(*k);
            pattern_rule.push(i);
        }
    }
    Compiled {
        rules,
        prefilter: AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .build(&kws)
            .expect("keyword automaton"),
        pattern_rule,
    }
});

/// Number of credential formats with a dedicated rule.
pub fn rule_count() -> usize {
    RULES.len()
}

/// `(id, name)` of each dedicated rule.
pub fn rule_catalogue() -> Vec<(&'static str, &'static str)> {
    RULES.iter().map(|r| (r.id, r.name)).collect()
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &str) -> f32 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f32;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_sequential(s: &str) -> bool {
    const SEQS: [&str; 4] = [
        "0123456789abcdefghijklmnopqrstuvwxyz",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "0123456789abcdef",
        "1234567890",
    ];
    let l = s.to_ascii_lowercase();
    SEQS.iter().any(|q| q.contains(&l))
}

fn is_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    let l = l.trim();
    l.is_empty()
        || l.starts_with("${")
        || l.starts_with("{{")
        || l.starts_with('<')
        || l.starts_with('$')
        || l.starts_with('%')
        || l.contains("xxxx")
        || l.contains("****")
        || l.contains("example")
        || l.contains("placeholder")
        || l.contains("your_")
        || l.contains("your-")
        || l.contains("changeme")
        || l.contains("redacted")
        || matches!(
            l,
            "none"
                | "null"
                | "nil"
                | "true"
                | "false"
                | "undefined"
                | "password"
                | "secret"
                | "token"
                | "string"
                | "str"
                | "bool"
                | "int"
        )
        || l.ends_with("()")
        || l.contains("os.environ")
        || l.contains("getenv")
        || l.contains("process.env")
        || l.contains("settings.")
        || l.contains("config.")
        || l.contains("self.")
}

fn allowlisted_line(line: &str) -> bool {
    line.contains("pragma: allowlist secret")
        || line.contains("gitleaks:allow")
        || line.contains("nosec")
}

/// Precomputed line starts for line/column lookup.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { text, starts }
    }
    fn line_of(&self, off: usize) -> usize {
        match self.starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }
    fn line_text(&self, idx: usize) -> &'a str {
        let s = self.starts[idx];
        let e = self
            .starts
            .get(idx + 1)
            .map(|x| x - 1)
            .unwrap_or(self.text.len());
        &self.text[s..e.max(s)]
    }
    /// 1-based line and column (column in characters).
    fn pos(&self, off: usize) -> (u32, u32) {
        let i = self.line_of(off);
        let s = self.starts[i];
        let col = self
            .text
            .get(s..off)
            .map(|p| p.chars().count())
            .unwrap_or(0)
            + 1;
        (i as u32 + 1, col as u32)
    }
}

struct Hit {
    id: &'static str,
    name: &'static str,
    category: &'static str,
    severity: Severity,
    confidence: f32,
    start: usize,
    end: usize,
}

fn secret_refs() -> [(Framework, &'static str); 4] {
    [
        (Framework::OwaspLlm, "LLM02"),
        (Framework::MitreAtlas, "AML.T0057"),
        (Framework::NistAi600, "INFO-SECURITY"),
        (Framework::GoogleSaif, "SDD"),
    ]
}

fn compiled_rule<'a>(rule: &Rule, slot: &'a std::sync::OnceLock<Regex>) -> &'a Regex {
    // The patterns are static and every one is compiled by the
    // `at_least_fifty_formats_compile` test, so this cannot fail at run time.
    slot.get_or_init(|| Regex::new(rule.pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.id)))
}

/// Whether [`KEYWORD_ASSIGN`] can match: a secret-named stem and one of the
/// separators (`=` or `:`, which have no case variants), both superset
/// tests.
fn may_assign_a_secret(text: &str, groups: u8) -> bool {
    memchr::memchr2(b'=', b':', text.as_bytes()).is_some()
        && (groups & G_STEM != 0 || !text.is_ascii())
}

/// The credential-format rules and secret-named assignments (severity
/// medium and above), unsorted, before the allowlist.
fn credential_hits(text: &str, hits: &mut Vec<Hit>) {
    let c = &*COMPILED;
    let mut run = [false; 96];
    let mut any = false;
    let groups = keyword_groups(text.as_bytes());
    let rule_keywords = if groups & G_RULE != 0 {
        Some(c.prefilter.find_overlapping_iter(text))
    } else {
        None
    };
    for m in rule_keywords.into_iter().flatten() {
        run[c.pattern_rule[m.pattern().as_usize()]] = true;
        any = true;
    }
    for (i, (rule, re)) in c.rules.iter().enumerate() {
        if !any {
            break;
        }
        if !run[i] {
            continue;
        }
        for caps in compiled_rule(rule, re).captures_iter(text) {
            let m = caps.get(1).unwrap_or_else(|| caps.get(0).expect("group 0"));
            let v = m.as_str();
            if rule.min_entropy > 0.0 && shannon_entropy(v) < rule.min_entropy {
                continue;
            }
            if rule.id == "RAMP-SEC-065" && is_placeholder(v) {
                continue;
            }
            hits.push(Hit {
                id: rule.id,
                name: rule.name,
                category: rule.name,
                severity: rule.severity,
                confidence: 0.9,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    // Secret-named assignments (`password = ...`, `"api_key": "..."`).
    let assign_candidates = if may_assign_a_secret(text, groups) {
        Some(KEYWORD_ASSIGN.captures_iter(text))
    } else {
        None
    };
    for caps in assign_candidates.into_iter().flatten() {
        let name = caps.get(1).map(|m| m.as_str()).unwrap_or("");
        let Some(v) = caps.get(2).or(caps.get(3)).or(caps.get(4)) else {
            continue;
        };
        let lname = name.to_ascii_lowercase();
        let numeric = v
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-+.eE".contains(&b));
        if is_placeholder(v.as_str())
            || numeric
            || lname.ends_with("_id")
            || lname.ends_with("id")
            || lname.contains("length")
            || lname.contains("_file")
            || lname.contains("_path")
            || lname.contains("type")
            // `tokenizer_class`, `tokenizer_type`: a class name, in every
            // transformers `tokenizer_config.json` (`BertTokenizer`).
            || lname.contains("tokenizer")
            || lname.ends_with("_url")
            || v.as_str().contains(' ') && !v.as_str().starts_with("!!")
        {
            continue;
        }
        hits.push(Hit {
            id: "RAMP-SEC-090",
            name: "secret-assignment",
            category: "keyword_assignment",
            severity: Severity::Medium,
            confidence: 0.6,
            start: v.start(),
            end: v.end(),
        });
    }
}

/// Sort by position, keep one hit per (rule, span), drop allowlisted lines.
fn settle(hits: &mut Vec<Hit>, lines: &Lines<'_>) {
    hits.sort_by_key(|h| (h.start, h.id));
    hits.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.id == b.id);
    hits.retain(|h| !allowlisted_line(lines.line_text(lines.line_of(h.start))));
}

/// One credential match of [`credential_spans`]: what a [`scan_text`]
/// finding of severity medium or above says, without building the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretSpan {
    /// Rule id, as [`Finding::rule_id`].
    pub rule_id: &'static str,
    /// Rule name, as the finding's `rule` metadata.
    pub name: &'static str,
    pub severity: Severity,
    /// Byte range of the secret value in the text.
    pub start: usize,
    pub end: usize,
}

/// Whether [`credential_spans`] can find anything in `text`: a keyword of a
/// credential rule, or a secret-named stem with an `=` or `:` for an
/// assignment. A superset test (false means no match for certain), costing
/// about two automaton passes over the text; callers scanning many short
/// texts (dataset cells) use it to skip them.
pub fn may_hold_credential(text: &str) -> bool {
    let g = keyword_groups(text.as_bytes());
    g & G_RULE != 0 || may_assign_a_secret(text, g)
}

/// Keyword bytes [`keyword_groups`] looks for: a keyword's first bytes
/// occur wherever it does, so the prefixes lose no match, and short
/// patterns let a text be split into lanes that overlap by little.
const PREFIX_LEN: usize = 8;

/// [`keyword_groups`] bit: the first bytes of a credential rule's keyword.
const G_RULE: u8 = 1;
/// [`keyword_groups`] bit: the first bytes of an [`ASSIGN_STEMS`] stem.
const G_STEM: u8 = 2;

/// One automaton for both prefilters of [`credential_hits`], so that text
/// with no candidate (most prompts) costs one pass instead of two.
struct Prefixes {
    dfa: aho_corasick::dfa::DFA,
    /// [`G_RULE`] / [`G_STEM`] bits of each pattern.
    group: Vec<u8>,
}

static KEYWORD_PREFIXES: Lazy<Prefixes> = Lazy::new(|| {
    let mut p: Vec<(String, u8)> = RULES
        .iter()
        .flat_map(|r| r.keywords)
        .map(|k| (k[..k.len().min(PREFIX_LEN)].to_ascii_lowercase(), G_RULE))
        .chain(
            ASSIGN_STEM_WORDS
                .iter()
                .map(|k| (k[..k.len().min(PREFIX_LEN)].to_string(), G_STEM)),
        )
        .collect();
    p.sort_unstable();
    // A prefix that is both kinds keeps both bits.
    let mut merged: Vec<(String, u8)> = Vec::new();
    for (k, g) in p {
        match merged.last_mut() {
            Some((last, bits)) if *last == k => *bits |= g,
            _ => merged.push((k, g)),
        }
    }
    let dfa = aho_corasick::dfa::Builder::new()
        .ascii_case_insensitive(true)
        .prefilter(false)
        .build(merged.iter().map(|(k, _)| k))
        .expect("keyword automaton");
    Prefixes {
        dfa,
        group: merged.into_iter().map(|(_, g)| g).collect(),
    }
});

/// Which prefilter groups ([`G_RULE`], [`G_STEM`]) have a keyword prefix in
/// `t` (ASCII case-insensitive): a superset of the rules' prefilter and of
/// [`ASSIGN_STEMS`]. Each DFA step waits on the previous step's table load,
/// so a long text is cut into four lanes, overlapping by a prefix less one
/// byte so that no occurrence is split, and walked together: about twice as
/// fast as one walk.
fn keyword_groups(t: &[u8]) -> u8 {
    use aho_corasick::automaton::Automaton;
    use aho_corasick::Anchored;
    const OVERLAP: usize = PREFIX_LEN - 1;
    const ALL: u8 = G_RULE | G_STEM;
    let Prefixes { dfa, group } = &*KEYWORD_PREFIXES;
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return ALL;
    };
    // Match states are rare in text, so their patterns are read only there.
    let groups_of =
        |s| (0..dfa.match_len(s)).fold(0u8, |g, i| g | group[dfa.match_pattern(s, i).as_usize()]);
    let walk = |mut s, part: &[u8], mut found: u8| {
        for &b in part {
            s = dfa.next_state(Anchored::No, s, b);
            if dfa.is_match(s) {
                found |= groups_of(s);
                if found == ALL {
                    break;
                }
            }
        }
        found
    };
    if t.len() < 4 * (OVERLAP + 16) {
        return walk(start, t, 0);
    }
    let q = t.len() / 4;
    let lanes = [
        &t[..q],
        &t[q - OVERLAP..2 * q],
        &t[2 * q - OVERLAP..3 * q],
        &t[3 * q - OVERLAP..],
    ];
    let mut s = [start; 4];
    let mut found = 0u8;
    for i in 0..q {
        for (sk, lane) in s.iter_mut().zip(&lanes) {
            *sk = dfa.next_state(Anchored::No, *sk, lane[i]);
        }
        if s.iter().any(|&x| dfa.is_match(x)) {
            for &x in &s {
                if dfa.is_match(x) {
                    found |= groups_of(x);
                }
            }
            if found == ALL {
                return found;
            }
        }
    }
    // Lanes 1 and 2 have their overlap left, lane 3 the rest of the text.
    for (&sk, lane) in s.iter().zip(&lanes) {
        found = walk(sk, &lane[q..], found);
        if found == ALL {
            break;
        }
    }
    found
}

#[cfg(test)]
fn any_keyword_prefix(t: &[u8]) -> bool {
    keyword_groups(t) & G_RULE != 0
}

/// The findings of [`scan_text`] with severity medium or above (credential
/// formats and secret-named assignments), as spans in position order, into
/// `out` (cleared first). The same matches, allowlist and de-duplication as
/// [`scan_text`]; the high-entropy literal guesses (severity low) are not
/// looked for, and nothing is allocated when nothing is found.
pub fn credential_spans(text: &str, out: &mut Vec<SecretSpan>) {
    out.clear();
    let mut hits = Vec::new();
    credential_hits(text, &mut hits);
    if hits.is_empty() {
        return;
    }
    settle(&mut hits, &Lines::new(text));
    out.extend(hits.into_iter().map(|h| SecretSpan {
        rule_id: h.id,
        name: h.name,
        severity: h.severity,
        start: h.start,
        end: h.end,
    }));
}

/// Scan `text` for secrets. Findings are sorted by position; each carries a
/// span, 1-based line and column, and masked evidence.
pub fn scan_text(text: &str) -> Vec<Finding> {
    let lines = Lines::new(text);
    let mut hits: Vec<Hit> = Vec::new();
    credential_hits(text, &mut hits);
    // High-entropy literals (quoted strings and bare config values).
    let mut literals: Vec<(usize, usize)> = Vec::new();
    for caps in QUOTED.captures_iter(text) {
        if let Some(m) = caps.get(1).or(caps.get(2)) {
            literals.push((m.start(), m.end()));
        }
    }
    if may_end_a_line_with_a_value(text) {
        for caps in BARE_VALUE.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                literals.push((m.start(), m.end()));
            }
        }
    }
    literals.sort_unstable();
    literals.dedup();
    for (s, e) in literals {
        let v = &text[s..e];
        let line = lines.line_text(lines.line_of(s));
        let lname = line.to_ascii_lowercase();
        if lname.contains("_id\"")
            || lname.contains("_id'")
            || lname.contains("_id =")
            || lname.contains("_id:")
            || lname.contains("uuid")
        {
            continue;
        }
        let (id, name, limit) = if is_hex(v) {
            if v.bytes().all(|b| b.is_ascii_digit()) || is_sequential(v) {
                continue;
            }
            ("RAMP-SEC-092", "high-entropy-hex", 3.0)
        } else {
            if v.len() < 20 {
                continue;
            }
            ("RAMP-SEC-091", "high-entropy-base64", 4.5)
        };
        if shannon_entropy(v) <= limit || is_placeholder(v) {
            continue;
        }
        hits.push(Hit {
            id,
            name,
            category: if id == "RAMP-SEC-092" {
                "high_entropy_hex"
            } else {
                "high_entropy_base64"
            },
            severity: Severity::Low,
            confidence: 0.4,
            start: s,
            end: e,
        });
    }
    // Drop allowlisted lines; keep one finding per (rule, span).
    settle(&mut hits, &lines);
    hits.into_iter()
        .map(|h| {
            let v = &text[h.start..h.end];
            let (line, col) = lines.pos(h.start);
            Finding::new(
                h.id,
                "secrets",
                h.severity,
                format!("possible secret: {}", h.name),
            )
            .with_category(h.category)
            .with_location(
                Location::span(Span::new(h.start, h.end))
                    .with_line(line)
                    .with_column(col),
            )
            .with_evidence(rampart_core::redact::mask(v))
            .with_confidence(h.confidence)
            .with_frameworks(secret_refs())
            .with_meta("rule", h.name)
        })
        .collect()
}

/// The engine detector for secrets. Score `secrets`: the highest finding
/// confidence (informational: drives redaction, not blocking).
pub struct SecretsDetector;

impl crate::Detector for SecretsDetector {
    fn name(&self) -> &'static str {
        "secrets"
    }
    fn detect(
        &self,
        input: &crate::DetectInput<'_>,
        out: &mut Vec<Finding>,
        scores: &mut BTreeMap<String, f32>,
    ) {
        let f = scan_text(input.raw);
        let s = f.iter().map(|x| x.confidence).fold(0.0, f32::max);
        scores.insert("secrets".into(), s);
        out.extend(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(t: &str) -> Vec<String> {
        scan_text(t).into_iter().map(|f| f.rule_id).collect()
    }

    #[test]
    fn at_least_fifty_formats_compile() {
        assert!(rule_count() >= 50);
        assert_eq!(COMPILED.rules.len(), rule_count());
        for (rule, slot) in &COMPILED.rules {
            assert!(
                !compiled_rule(rule, slot).as_str().is_empty(),
                "{}",
                rule.id
            );
        }
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn assignment_stays_on_one_line() {
        // A heading that ends in a secret-named word and a colon is prose.
        assert!(
            !ids("answers that would get you 5 tokens:\n\nChatGPT: How do I")
                .contains(&"RAMP-SEC-090".to_string())
        );
        assert!(ids("Password: patpup45 please").contains(&"RAMP-SEC-090".to_string()));
    }

    #[test]
    fn finds_common_formats() {
        // Synthetic values of the right shape (not real credentials).
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let cases = [
            ("key AKIAZ5GMHYJKLP7QWXRT here", "RAMP-SEC-001"),
            (gh.as_str(), "RAMP-SEC-011"),
            ("token glpat-Ab3De5Fg7Hj9Kl1Mn3Pq", "RAMP-SEC-016"),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "RAMP-SEC-023"),
            ("hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "RAMP-SEC-035"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "RAMP-SEC-041"),
            ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "RAMP-SEC-042"),
            ("AIzaSyD3x9Kq7LmN2pR5tV8wY1zB4cE6gH0jK2m", "RAMP-SEC-004"),
            ("postgres://admin:s3cr3tP4ss@db.internal:5432/app", "RAMP-SEC-065"),
            ("password = hunter2hunter", "RAMP-SEC-090"),
        ];
        for (t, id) in cases {
            assert!(ids(t).iter().any(|x| x == id), "{t}: {:?}", ids(t));
        }
    }

    #[test]
    fn evidence_is_masked_and_positions_are_one_based() {
        let t = "a\n  token = 'Zq8vL2mX9pR4tY7wB1nC5kJ3'\n";
        let f = scan_text(t);
        assert!(!f.is_empty());
        let loc = f[0].location.as_ref().unwrap();
        assert_eq!(loc.line, Some(2));
        assert!(loc.column.unwrap() > 1);
        assert!(!f[0].evidence.as_ref().unwrap().contains("Zq8vL2mX9pR4"));
    }

    /// Texts built from fragments that trigger every stage (rule keywords,
    /// assignments, allowlist comments, literals, several lines).
    fn generated_texts() -> Vec<String> {
        let gh = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
        let frags: Vec<String> = vec![
            "password = hunter2hunter".into(),
            "api_key: 'Zq8vL2mX9pR4tY7wB1nC5kJ3'".into(),
            "token=".into(),
            gh,
            "AKIAZ5GMHYJKLP7QWXRT".into(),
            "postgres://admin:s3cr3tP4ss@db.internal:5432/app".into(),
            "  # pragma: allowlist secret".into(),
            "\n".into(),
            " ".into(),
            "\"".into(),
            "'".into(),
            "=".into(),
            ":".into(),
            "Secret".into(),
            "the order shipped".into(),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc".into(),
            "é".into(),
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut out = frags.clone();
        for n in 0..2000 {
            let mut t = String::new();
            for _ in 0..(n % 9) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push_str(&frags[(seed % frags.len() as u64) as usize]);
            }
            out.push(t);
        }
        out
    }

    #[test]
    fn credential_spans_are_scan_texts_medium_and_above() {
        let mut spans = Vec::new();
        let mut found = 0;
        for t in generated_texts() {
            let want: Vec<(String, usize, usize)> = scan_text(&t)
                .into_iter()
                .filter(|f| f.severity >= Severity::Medium)
                .map(|f| {
                    let sp = f.location.unwrap().span.unwrap();
                    (f.rule_id, sp.start, sp.end)
                })
                .collect();
            credential_spans(&t, &mut spans);
            let got: Vec<(String, usize, usize)> = spans
                .iter()
                .map(|s| (s.rule_id.to_string(), s.start, s.end))
                .collect();
            assert_eq!(got, want, "{t:?}");
            if !may_hold_credential(&t) {
                assert!(want.is_empty(), "prefilter lost a match in {t:?}");
            }
            found += want.len();
        }
        assert!(
            found > 500,
            "the generated texts exercise the rules: {found}"
        );
    }

    #[test]
    fn keyword_prefix_lanes_miss_no_keyword() {
        let fill = |n: usize| "#".repeat(n);
        for rule in RULES {
            for k in rule.keywords {
                let upper = k.to_ascii_uppercase();
                for len in [0, 30, 91, 92, 150, 301] {
                    for p in 0..=len {
                        let t = format!(
                            "{}{}{}",
                            fill(p),
                            if p % 2 == 0 { k } else { upper.as_str() },
                            fill(len - p)
                        );
                        assert!(COMPILED.prefilter.is_match(&t), "{t}");
                        assert!(any_keyword_prefix(t.as_bytes()), "{k} at {p} of {len}");
                    }
                }
            }
        }
        for len in [0, 91, 92, 500] {
            assert!(!any_keyword_prefix(fill(len).as_bytes()));
        }
    }

    #[test]
    fn every_secret_name_the_assignment_regex_accepts_holds_a_stem() {
        for name in [
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "api_key",
            "apikey",
            "access_key",
            "accesskey",
            "private_key",
            "privatekey",
            "client_secret",
            "clientsecret",
            "auth_key",
            "authkey",
            "credential",
            "credentials",
        ] {
            for n in [
                name.to_string(),
                name.to_ascii_uppercase(),
                format!("db.{name}_x"),
            ] {
                let t = format!("{n} = 'Zq8vL2mX9pR4tY7wB1nC5kJ3'");
                assert!(KEYWORD_ASSIGN.is_match(&t), "{t}");
                assert!(keyword_groups(t.as_bytes()) & G_STEM != 0, "{t}");
            }
        }
    }

    #[test]
    fn keyword_groups_see_every_stem_and_agree_with_one_automaton_per_group() {
        let stems = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(ASSIGN_STEM_WORDS)
            .unwrap();
        let fill = |n: usize| "#".repeat(n);
        for k in ASSIGN_STEM_WORDS {
            for len in [0, 30, 91, 92, 150, 301] {
                for p in (0..=len).step_by(7) {
                    let t = format!("{}{}{}", fill(p), k.to_ascii_uppercase(), fill(len - p));
                    assert!(keyword_groups(t.as_bytes()) & G_STEM != 0, "{k} at {p}");
                }
            }
        }
        // Group bits on generated texts: a rule prefix wherever the rules'
        // own prefilter matches, a stem wherever the stems occur.
        for t in generated_texts() {
            let g = keyword_groups(t.as_bytes());
            if COMPILED.prefilter.is_match(&t) {
                assert!(g & G_RULE != 0, "{t:?}");
            }
            assert_eq!(g & G_STEM != 0, stems.is_match(&t), "{t:?}");
        }
    }

    #[test]
    fn prose_and_placeholders_are_clean() {
        for t in [
            "The quick brown fox jumps over the lazy dog.",
            "password = os.environ['DB_PASSWORD']",
            "api_key = \"<your-api-key>\"",
            "token: ${GITHUB_TOKEN}",
            "id = '203db13e-70c7-462b-9a3d-bf32640cb0be'",
            "secret = 'abc'  # pragma: allowlist secret",
            // Every transformers `tokenizer_config.json` names its class
            // (found by a review in session 25).
            r#"{"tokenizer_class": "BertTokenizer", "do_lower_case": true}"#,
            "tokenizer_type: SentencePieceTokenizer",
        ] {
            assert!(scan_text(t).is_empty(), "{t}: {:?}", ids(t));
        }
    }
}

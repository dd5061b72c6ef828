//! The signature file: a Sigstore bundle (media type
//! `application/vnd.dev.sigstore.bundle.v0.3+json`) holding a DSSE envelope
//! whose payload is an in-toto Statement v1 with the model signing
//! predicate `https://model_signing/signature/v1.0`.
//!
//! Parsing is defensive: the file size is capped ([`MAX_BUNDLE_BYTES`]),
//! JSON nesting is bounded by serde_json's recursion limit, and every field
//! that is missing or of the wrong type yields an error naming it. Nothing
//! in the payload is trusted before its DSSE signature has been checked.

use crate::manifest::{compare_items, HashAlgorithm, Item, Manifest, Method, Serialization};
use crate::SignError;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
/// The pre-1.0 predicate that model_signing 1.x still verifies.
pub const PREDICATE_TYPE_COMPAT: &str = "https://model_signing/Digests/v0.1";
/// Largest signature file read (a manifest of a million shards is ~200 MB of
/// JSON; real models stay far below this cap).
pub const MAX_BUNDLE_BYTES: u64 = 64 << 20;
/// Most resources accepted in one predicate.
pub const MAX_RESOURCES: usize = 1_000_000;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsse_envelope: Option<Envelope>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<CertificateChain>,
    /// The single-certificate form of bundle v0.3 (used by Sigstore keyless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RawCertificate>,
    #[serde(default)]
    pub tlog_entries: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PublicKeyIdentifier {
    /// Hex SHA-256 of the signer's public key as SubjectPublicKeyInfo PEM.
    #[serde(default)]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateChain {
    pub certificates: Vec<RawCertificate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawCertificate {
    /// Base64 DER.
    pub raw_bytes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the statement bytes.
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Base64 DER ECDSA signature over the PAE.
    pub sig: String,
    #[serde(default)]
    pub keyid: String,
}

/// DSSE v1 pre-authentication encoding for the in-toto payload type.
pub fn pae(payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        IN_TOTO_PAYLOAD_TYPE.len(),
        IN_TOTO_PAYLOAD_TYPE,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The PAE of model_signing 0.2, which formatted the payload with Python's
/// `repr(bytes)` (a bug that 1.x still accepts when verifying).
pub fn pae_compat(payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEV1 {} {} {} ",
        IN_TOTO_PAYLOAD_TYPE.len(),
        IN_TOTO_PAYLOAD_TYPE,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(python_bytes_repr(payload).as_bytes());
    out
}

/// Python's `repr()` of a `bytes` value.
fn python_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = String::with_capacity(b.len() + 3);
    s.push('b');
    s.push(quote);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c as char == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote);
    s
}

/// Build the in-toto statement bytes for a manifest.
pub fn statement_bytes(m: &Manifest) -> Vec<u8> {
    let alg = m.serialization.resource_algorithm();
    let resources: Vec<Value> = m
        .items
        .iter()
        .map(|it| {
            serde_json::json!({
                "name": it.name(),
                "algorithm": alg,
                "digest": hex::encode(&it.digest),
            })
        })
        .collect();
    let st = serde_json::json!({
        "_type": STATEMENT_TYPE,
        "subject": [{
            "name": m.model_name,
            "digest": {"sha256": hex::encode(m.root_digest())},
        }],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": m.serialization.to_json(),
            "resources": resources,
        },
    });
    // Pretty (2-space indent) like model_signing; the bytes are what is signed.
    serde_json::to_vec_pretty(&st).unwrap_or_default()
}

impl Bundle {
    /// Wrap a signed statement.
    pub fn new(material: VerificationMaterial, payload: &[u8], der_sig: &[u8]) -> Bundle {
        Bundle {
            media_type: BUNDLE_MEDIA_TYPE.to_string(),
            verification_material: material,
            dsse_envelope: Some(Envelope {
                payload: B64.encode(payload),
                payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
                signatures: vec![EnvelopeSignature {
                    sig: B64.encode(der_sig),
                    keyid: String::new(),
                }],
            }),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Read a bundle file with the size cap.
    pub fn read(path: &Path) -> Result<Bundle, SignError> {
        use std::io::Read;
        let f = std::fs::File::open(path)
            .map_err(|e| SignError::io(path, "cannot read signature", e))?;
        let mut buf = Vec::new();
        f.take(MAX_BUNDLE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| SignError::io(path, "cannot read signature", e))?;
        if buf.len() as u64 > MAX_BUNDLE_BYTES {
            return Err(SignError::bundle(
                path,
                format!("larger than the {} MiB limit", MAX_BUNDLE_BYTES >> 20),
            ));
        }
        Bundle::parse(&buf, path)
    }

    /// Parse bundle JSON; `origin` names the file in errors.
    pub fn parse(bytes: &[u8], origin: &Path) -> Result<Bundle, SignError> {
        let b: Bundle = serde_json::from_slice(bytes)
            .map_err(|e| SignError::bundle(origin, format!("not a Sigstore bundle: {e}")))?;
        if b.media_type != BUNDLE_MEDIA_TYPE {
            return Err(SignError::bundle(
                origin,
                format!(
                    "media type `{}`, expected `{BUNDLE_MEDIA_TYPE}`",
                    b.media_type
                ),
            ));
        }
        let env = b.envelope(origin)?;
        if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(SignError::bundle(
                origin,
                format!(
                    "DSSE payload type `{}`, expected `{IN_TOTO_PAYLOAD_TYPE}`",
                    env.payload_type
                ),
            ));
        }
        if env.signatures.len() != 1 {
            return Err(SignError::bundle(
                origin,
                format!(
                    "DSSE envelope has {} signatures, expected exactly 1",
                    env.signatures.len()
                ),
            ));
        }
        Ok(b)
    }

    pub fn envelope(&self, origin: &Path) -> Result<&Envelope, SignError> {
        self.dsse_envelope.as_ref().ok_or_else(|| {
            SignError::bundle(
                origin,
                "no `dsseEnvelope` (message-signature bundles are not model signatures)",
            )
        })
    }

    /// Decoded payload and DER signature.
    pub fn payload_and_sig(&self, origin: &Path) -> Result<(Vec<u8>, Vec<u8>), SignError> {
        let env = self.envelope(origin)?;
        let payload = B64.decode(env.payload.trim()).map_err(|e| {
            SignError::bundle(origin, format!("`dsseEnvelope.payload` is not base64: {e}"))
        })?;
        let sig = env
            .signatures
            .first()
            .ok_or_else(|| SignError::bundle(origin, "DSSE envelope has no signature"))?;
        let sig = B64.decode(sig.sig.trim()).map_err(|e| {
            SignError::bundle(
                origin,
                format!("`dsseEnvelope.signatures[0].sig` is not base64: {e}"),
            )
        })?;
        Ok((payload, sig))
    }

    /// DER certificates of the verification material, leaf first.
    pub fn certificates_der(&self, origin: &Path) -> Result<Vec<Vec<u8>>, SignError> {
        let vm = &self.verification_material;
        let raws: Vec<&RawCertificate> = match (&vm.x509_certificate_chain, &vm.certificate) {
            (Some(c), _) => c.certificates.iter().collect(),
            (None, Some(c)) => vec![c],
            (None, None) => return Ok(Vec::new()),
        };
        if raws.len() > 16 {
            return Err(SignError::bundle(
                origin,
                format!(
                    "certificate chain of {} certificates (limit 16)",
                    raws.len()
                ),
            ));
        }
        raws.iter()
            .enumerate()
            .map(|(i, r)| {
                B64.decode(r.raw_bytes.trim()).map_err(|e| {
                    SignError::bundle(origin, format!("certificate {i} is not base64: {e}"))
                })
            })
            .collect()
    }
}

/// Parse a verified statement into the expected manifest.
pub fn parse_statement(payload: &[u8], origin: &Path) -> Result<Manifest, SignError> {
    let err = |m: String| SignError::bundle(origin, m);
    let v: Value =
        serde_json::from_slice(payload).map_err(|e| err(format!("statement is not JSON: {e}")))?;
    let ty = v.get("_type").and_then(Value::as_str).unwrap_or("");
    if ty != STATEMENT_TYPE {
        return Err(err(format!(
            "statement `_type` is `{ty}`, expected `{STATEMENT_TYPE}`"
        )));
    }
    let pt = v.get("predicateType").and_then(Value::as_str).unwrap_or("");
    let subjects = v
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| err("statement has no `subject` list".into()))?;
    if pt == PREDICATE_TYPE_COMPAT {
        return parse_compat(subjects, origin);
    }
    if pt != PREDICATE_TYPE {
        return Err(err(format!(
            "predicate type `{pt}`, expected `{PREDICATE_TYPE}`"
        )));
    }
    if subjects.len() != 1 {
        return Err(err(format!(
            "statement has {} subjects, expected 1",
            subjects.len()
        )));
    }
    let model_name = subjects[0]
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let want_root = subjects[0]
        .pointer("/digest/sha256")
        .and_then(Value::as_str)
        .ok_or_else(|| err("`subject[0].digest.sha256` missing".into()))?
        .to_ascii_lowercase();
    let pred = v
        .get("predicate")
        .ok_or_else(|| err("statement has no `predicate`".into()))?;
    let ser = parse_serialization(
        pred.get("serialization")
            .ok_or_else(|| err("`predicate.serialization` missing".into()))?,
        origin,
    )?;
    let resources = pred
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| err("`predicate.resources` missing or not a list".into()))?;
    if resources.len() > MAX_RESOURCES {
        return Err(err(format!(
            "{} resources (limit {MAX_RESOURCES})",
            resources.len()
        )));
    }
    let want_alg = ser.resource_algorithm();
    let mut root = sha2::Sha256::default();
    let mut items = Vec::with_capacity(resources.len());
    for (i, r) in resources.iter().enumerate() {
        let field = |k: &str| {
            r.get(k).and_then(Value::as_str).ok_or_else(|| {
                err(format!(
                    "`predicate.resources[{i}].{k}` missing or not a string"
                ))
            })
        };
        let name = field("name")?;
        let alg = field("algorithm")?;
        let digest = hex::decode(field("digest")?)
            .map_err(|e| err(format!("`predicate.resources[{i}].digest` is not hex: {e}")))?;
        if alg != want_alg {
            return Err(err(format!(
                "resource `{name}` uses algorithm `{alg}`, but the serialization implies `{want_alg}`"
            )));
        }
        if digest.len() != 32 {
            return Err(err(format!(
                "resource `{name}` digest has {} bytes, expected 32",
                digest.len()
            )));
        }
        use sha2::Digest;
        root.update(&digest);
        items.push(parse_item(name, ser.method, digest, origin)?);
    }
    use sha2::Digest;
    let got_root = hex::encode(root.finalize());
    if got_root != want_root {
        return Err(err(format!(
            "manifest is inconsistent: subject digest is {want_root} but the resources hash to {got_root}"
        )));
    }
    items.sort_by(compare_items);
    for w in items.windows(2) {
        if w[0].path == w[1].path && w[0].shard == w[1].shard {
            return Err(err(format!("resource `{}` is listed twice", w[0].name())));
        }
    }
    Ok(Manifest {
        model_name,
        serialization: ser,
        items,
    })
}

fn parse_item(
    name: &str,
    method: Method,
    digest: Vec<u8>,
    origin: &Path,
) -> Result<Item, SignError> {
    let (path, shard) = match method {
        Method::Files => (name, None),
        Method::Shards { .. } => {
            let mut it = name.rsplitn(3, ':');
            let end = it.next();
            let start = it.next();
            let path = it.next();
            match (
                path,
                start.and_then(|s| s.parse::<u64>().ok()),
                end.and_then(|s| s.parse::<u64>().ok()),
            ) {
                (Some(p), Some(s), Some(e)) if s < e => (p, Some((s, e))),
                _ => {
                    return Err(SignError::bundle(
                        origin,
                        format!("shard resource `{name}` is not `path:start:end` with start < end"),
                    ))
                }
            }
        }
    };
    let canon = crate::hash::normalize_rel(path);
    if canon.as_deref() != Some(path) || path.starts_with('/') {
        return Err(SignError::bundle(
            origin,
            format!("resource path `{path}` is not a canonical relative path"),
        ));
    }
    Ok(Item {
        path: path.to_string(),
        shard,
        digest,
    })
}

fn parse_serialization(v: &Value, origin: &Path) -> Result<Serialization, SignError> {
    let err = |m: String| SignError::bundle(origin, m);
    let method = v.get("method").and_then(Value::as_str).unwrap_or("");
    let hash_type = v.get("hash_type").and_then(Value::as_str).unwrap_or("");
    let hash = HashAlgorithm::parse(hash_type).ok_or_else(|| {
        err(format!(
            "`serialization.hash_type` is `{hash_type}`; supported: sha256, blake3"
        ))
    })?;
    let allow_symlinks = match v.get("allow_symlinks") {
        Some(Value::Bool(b)) => *b,
        // model_signing's compat path writes the string "false".
        Some(Value::String(s)) if s == "false" || s == "False" => false,
        Some(Value::String(s)) if s == "true" || s == "True" => true,
        _ => {
            return Err(err(
                "`serialization.allow_symlinks` missing or not a boolean".into(),
            ))
        }
    };
    let method = match method {
        "files" => Method::Files,
        "shards" => {
            // model_signing writes the size through a protobuf Struct, i.e.
            // as a double (`65536.0`); accept integral values either way.
            let n = v
                .get("shard_size")
                .and_then(|x| {
                    x.as_u64().or_else(|| {
                        x.as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 9.0e15)
                            .map(|f| f as u64)
                    })
                })
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    err("`serialization.shard_size` missing or not a positive integer".into())
                })?;
            Method::Shards { shard_size: n }
        }
        m => {
            return Err(err(format!(
                "`serialization.method` is `{m}`; supported: files, shards"
            )))
        }
    };
    let mut ignore_paths = Vec::new();
    if let Some(list) = v.get("ignore_paths") {
        let list = list
            .as_array()
            .ok_or_else(|| err("`serialization.ignore_paths` is not a list".into()))?;
        for p in list {
            let p = p
                .as_str()
                .ok_or_else(|| err("`serialization.ignore_paths` holds a non-string".into()))?;
            // Paths that escape the model root cannot hide anything inside it.
            if let Some(p) = crate::hash::normalize_rel(p) {
                ignore_paths.push(p);
            }
        }
    }
    Ok(Serialization {
        method,
        hash,
        allow_symlinks,
        ignore_paths,
    })
}

fn parse_compat(subjects: &[Value], origin: &Path) -> Result<Manifest, SignError> {
    let err = |m: String| SignError::bundle(origin, m);
    if subjects.len() > MAX_RESOURCES {
        return Err(err(format!(
            "{} subjects (limit {MAX_RESOURCES})",
            subjects.len()
        )));
    }
    let mut items = Vec::with_capacity(subjects.len());
    for (i, s) in subjects.iter().enumerate() {
        let name = s
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("`subject[{i}].name` missing")))?;
        let d = s
            .pointer("/digest/sha256")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("`subject[{i}].digest.sha256` missing")))?;
        let digest = hex::decode(d)
            .map_err(|e| err(format!("`subject[{i}].digest.sha256` is not hex: {e}")))?;
        if digest.len() != 32 {
            return Err(err(format!(
                "`subject[{i}]` digest has {} bytes, expected 32",
                digest.len()
            )));
        }
        items.push(parse_item(name, Method::Files, digest, origin)?);
    }
    items.sort_by(compare_items);
    for w in items.windows(2) {
        if w[0].path == w[1].path {
            return Err(err(format!("subject `{}` is listed twice", w[0].path)));
        }
    }
    Ok(Manifest {
        model_name: "compat-undefined-not-present".into(),
        serialization: Serialization {
            method: Method::Files,
            hash: HashAlgorithm::Sha256,
            allow_symlinks: false,
            ignore_paths: Vec::new(),
        },
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_dsse_spec_example_shape() {
        assert_eq!(
            pae(b"hi"),
            b"DSSEv1 28 application/vnd.in-toto+json 2 hi".to_vec()
        );
    }

    #[test]
    fn python_repr_matches() {
        assert_eq!(python_bytes_repr(b"{\n\"a\": 1}"), "b'{\\n\"a\": 1}'");
        assert_eq!(python_bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(python_bytes_repr(b"'\"\x00\xff"), "b'\\'\"\\x00\\xff'");
    }

    #[test]
    fn rejects_wrong_media_type_and_garbage() {
        let p = Path::new("x.sig");
        assert!(Bundle::parse(b"{", p).is_err());
        assert!(Bundle::parse(b"[]", p).is_err());
        let e = Bundle::parse(br#"{"mediaType":"x","verificationMaterial":{}}"#, p).unwrap_err();
        assert!(e.to_string().contains("media type"), "{e}");
    }
}

//! The engine detectors `injection-transformer` and `harm-transformer`
//! (which one is the head's `target`): score every window of the
//! normalised view (and of each decoded view) and keep the maximum.
//!
//! How the score combines with the hashed classifier's `injection` or
//! `harm` score is a [`Combine`] choice; the default adds the two
//! calibrated logits and subtracts an offset set on the calibration split
//! when the head was trained, so that evidence from both adds up while the
//! combination keeps the calibration FPR; the maximum flags what either
//! flags, at an FPR of up to the sum of theirs.

use crate::{Error, Head, ModelKind, TransformerModel};
use rampart_core::{Finding, Framework, Severity, Span};
use rampart_detect::{DetectInput, Detector, Source};
use std::collections::BTreeMap;
use std::ops::Range;

/// Name of the injection detector and of its score.
pub const DETECTOR_NAME: &str = "injection-transformer";
/// Name of the harmful-request detector (a head with target `harm`) and of
/// its score.
pub const HARM_DETECTOR_NAME: &str = "harm-transformer";

/// How the transformer score enters the engine's `injection` score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combine {
    /// `injection = max(injection, transformer)`: flags what either flags,
    /// at up to the sum of their FPRs.
    Max,
    /// `injection = (injection + transformer) / 2`.
    Mean,
    /// Leave `injection` alone; only set `injection-transformer`.
    Separate,
    /// `sigmoid(logit(hashed) + logit(transformer) - offset)`, the offset
    /// set on the calibration split when the head was trained
    /// ([`Head::sum_offset`]): evidence from both adds up, and the
    /// combination keeps the head's calibration FPR instead of the up to
    /// twice as high FPR of the maximum. The default: on both shipped
    /// heads' held-aside splits it flags as much as the maximum or more, at
    /// a lower FPR (docs/benchmarks/ml.md, "Transformer backend").
    #[default]
    Sum,
}

/// `ln(p / (1 - p))`, bounded so that a score of 0 or 1 stays finite.
pub fn logit_of(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

impl std::str::FromStr for Combine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "max" => Ok(Combine::Max),
            "mean" => Ok(Combine::Mean),
            "separate" => Ok(Combine::Separate),
            "sum" => Ok(Combine::Sum),
            o => Err(format!(
                "unknown combine mode `{o}`: expected max, mean, sum or separate"
            )),
        }
    }
}

/// A model with what turns its output into a score: a head for an
/// embedding model, nothing for a classifier.
pub struct TransformerScorer {
    /// Shared: one encoder in memory serves an injection and a harm head.
    model: std::sync::Arc<TransformerModel>,
    head: Option<Head>,
}

impl TransformerScorer {
    /// Pair a model with a head. An embedding model needs a head trained on
    /// the same weights; a classifier takes none.
    pub fn new(
        model: impl Into<std::sync::Arc<TransformerModel>>,
        head: Option<Head>,
    ) -> Result<Self, Error> {
        let model = model.into();
        match (model.kind(), &head) {
            (ModelKind::Embedding, None) => {
                return Err(Error::model(
                    model.dir(),
                    "an embedding model needs a trained head (train one with `rampart detector train --backend transformer`)",
                ))
            }
            (ModelKind::Embedding, Some(h)) => {
                if h.dim != model.dim() {
                    return Err(Error::Head {
                        path: "head".into(),
                        msg: format!("dim {} does not fit the model's {}", h.dim, model.dim()),
                    });
                }
                if !h.model_sha256.is_empty() && h.model_sha256 != model.weights_sha256() {
                    return Err(Error::Head {
                        path: "head".into(),
                        msg: format!(
                            "trained on model.safetensors {}, but {} has {}",
                            h.model_sha256,
                            model.dir().display(),
                            model.weights_sha256()
                        ),
                    });
                }
            }
            (ModelKind::Classifier, Some(_)) => {
                return Err(Error::model(
                    model.dir(),
                    "a sequence-classification model scores by itself; give no head",
                ))
            }
            (ModelKind::Classifier, None) => {}
        }
        Ok(TransformerScorer { model, head })
    }

    pub fn model(&self) -> &TransformerModel {
        &self.model
    }

    pub fn head(&self) -> Option<&Head> {
        self.head.as_ref()
    }

    /// The engine score this scorer serves: its head's target, or
    /// `injection` for a sequence classifier.
    pub fn target(&self) -> &str {
        self.head
            .as_ref()
            .map_or("injection", |h| h.target.as_str())
    }

    /// The text's score (maximum over its windows, full-length and short:
    /// [`TransformerModel::scoring_windows`]) and the byte range of the
    /// highest-scoring window.
    pub fn score(&self, text: &str) -> Result<(f32, Range<usize>), Error> {
        let (wins, scores) = match &self.head {
            // Embeddings come through the model's memo, shared by the heads.
            Some(h) => {
                let (wins, embs) = self.model.embed_scoring(text)?;
                let scores: Vec<f32> = embs.iter().map(|e| h.score(e)).collect();
                (wins, scores)
            }
            None => {
                let wins = self.model.scoring_windows(text)?;
                let refs: Vec<&[u32]> = wins.iter().map(|w| w.ids.as_slice()).collect();
                let scores = self.model.classify_windows(&refs)?;
                (std::sync::Arc::new(wins), scores)
            }
        };
        let mut best = (0.0f32, 0..0);
        for (s, w) in scores.into_iter().zip(wins.iter()) {
            if s > best.0 || best.1.is_empty() && s >= best.0 {
                best = (s, w.bytes.clone());
            }
        }
        Ok(best)
    }
}

/// The engine detector.
pub struct TransformerDetector {
    scorer: TransformerScorer,
    combine: Combine,
    harm: bool,
}

impl TransformerDetector {
    pub fn new(scorer: TransformerScorer, combine: Combine) -> Self {
        let harm = scorer.target() == "harm";
        TransformerDetector {
            scorer,
            combine,
            harm,
        }
    }

    /// The hashed detector's score this one joins.
    fn base_score(&self) -> &'static str {
        if self.harm {
            "harm"
        } else {
            "injection"
        }
    }
}

impl Detector for TransformerDetector {
    fn name(&self) -> &'static str {
        if self.harm {
            HARM_DETECTOR_NAME
        } else {
            DETECTOR_NAME
        }
    }
    fn applies_to(&self, source: Source) -> bool {
        if self.harm {
            // The harm head learned requests: a retrieved document that
            // discusses a crime is not one, and model answers are judged by
            // the hashed harm detector with its refusal check.
            source == Source::User
        } else {
            source != Source::Output
        }
    }
    fn detect(
        &self,
        input: &DetectInput<'_>,
        out: &mut Vec<Finding>,
        scores: &mut BTreeMap<String, f32>,
    ) {
        let mut best: Option<(f32, Span)> = None;
        for view in input.views.all() {
            match self.scorer.score(&view.text) {
                Ok((s, r)) => {
                    let better = match &best {
                        None => true,
                        Some(b) => s > b.0,
                    };
                    if better {
                        best = Some((s, view.to_original(r.start, r.end)));
                    }
                }
                Err(e) => {
                    // An inference failure must not pass as "benign" silently.
                    let (rule, det) = if self.harm {
                        ("RAMP-HARM-092", "harm.transformer")
                    } else {
                        ("RAMP-PI-092", "injection.transformer")
                    };
                    out.push(
                        Finding::new(
                            rule,
                            det,
                            Severity::Info,
                            format!("transformer backend could not score this text: {e}"),
                        )
                        .with_category("error"),
                    );
                    return;
                }
            }
        }
        let Some((p, span)) = best else { return };
        scores.insert(self.name().to_string(), p);
        let before = scores.get(self.base_score()).copied();
        match self.combine {
            // Without the hashed detector's score (disabled by config)
            // there is nothing to combine with: the head's score stands.
            Combine::Max | Combine::Mean | Combine::Sum if before.is_none() => {
                scores.insert(self.base_score().to_string(), p);
            }
            Combine::Max => {
                let e = scores.entry(self.base_score().to_string()).or_insert(0.0);
                *e = e.max(p);
            }
            Combine::Mean => {
                let e = scores.entry(self.base_score().to_string()).or_insert(p);
                *e = (*e + p) / 2.0;
            }
            Combine::Sum => {
                let offset = self.scorer.head().map_or(0.0, |h| h.sum_offset);
                // A signature rule that blocks on its own (>= 0.5) keeps
                // doing so: the head may doubt a learned score, not a
                // known technique.
                let floor = scores
                    .get("injection.rules")
                    .copied()
                    .filter(|r| !self.harm && *r >= 0.5)
                    .unwrap_or(0.0);
                let e = scores.entry(self.base_score().to_string()).or_insert(0.0);
                let z = logit_of(*e) + logit_of(p) - offset;
                *e = (1.0 / (1.0 + (-z).exp())).max(floor);
            }
            Combine::Separate => {}
        }
        // The head's own verdict, or the combination crossing the
        // threshold because of it: a flagged score always comes with a
        // finding that says why.
        let after = scores.get(self.base_score()).copied().unwrap_or(0.0);
        let tipped =
            self.combine != Combine::Separate && before.is_some_and(|b| b < 0.5) && after >= 0.5;
        if p >= 0.5 || tipped {
            let (verdict, detail) = if p >= 0.5 {
                ("transformer classifier rates", format!("p = {p:.2}"))
            } else {
                (
                    "transformer and hashed classifiers together rate",
                    format!("combined {after:.2}, transformer {p:.2}"),
                )
            };
            let p = p.max(if tipped { after } else { 0.0 });
            let sev = if p >= 0.85 {
                Severity::High
            } else {
                Severity::Medium
            };
            if self.harm {
                out.push(
                    Finding::new(
                        "RAMP-HARM-091",
                        "harm.transformer",
                        sev,
                        format!("{verdict} this text as a harmful request ({detail})"),
                    )
                    .with_category("classifier")
                    .with_span(span)
                    .with_confidence(p)
                    .with_frameworks([
                        (Framework::OwaspLlm, "LLM01"),
                        (Framework::NistAiRmf, "MEASURE 2.6"),
                    ])
                    .with_meta("probability", p as f64),
                );
                return;
            }
            let atlas = if input.source == Source::Document {
                "AML.T0051.001"
            } else {
                "AML.T0051.000"
            };
            out.push(
                Finding::new(
                    "RAMP-PI-091",
                    "injection.transformer",
                    sev,
                    format!("{verdict} this text as prompt injection ({detail})"),
                )
                .with_category("classifier")
                .with_span(span)
                .with_confidence(p)
                .with_frameworks([
                    (Framework::OwaspLlm, "LLM01"),
                    (Framework::MitreAtlas, atlas),
                    (Framework::NistAiRmf, "MEASURE 2.7"),
                ])
                .with_meta("probability", p as f64),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_parses() {
        assert_eq!("max".parse::<Combine>().unwrap(), Combine::Max);
        assert_eq!("mean".parse::<Combine>().unwrap(), Combine::Mean);
        assert_eq!("sum".parse::<Combine>().unwrap(), Combine::Sum);
        assert!("product".parse::<Combine>().is_err());
        assert_eq!(logit_of(0.5), 0.0);
        assert!(logit_of(0.0).is_finite() && logit_of(1.0).is_finite());
        assert!(logit_of(0.9) > 2.0 && logit_of(0.1) < -2.0);
    }
}

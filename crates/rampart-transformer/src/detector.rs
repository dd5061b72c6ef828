//! The engine detector `injection-transformer`: scores every window of the
//! normalised view (and of each decoded view) and keeps the maximum.
//!
//! How it combines with the hashed classifier's `injection` score is a
//! [`Combine`] choice; the default is the maximum: both scores are
//! calibrated so that 0.5 sits at about 0.5% FPR on the calibration split,
//! so the maximum flags what either flags, at an FPR of at most their sum,
//! while the transformer adds recall on paraphrases the n-grams miss.

use crate::{Error, Head, ModelKind, TransformerModel};
use rampart_core::{Finding, Framework, Severity, Span};
use rampart_detect::{DetectInput, Detector, Source};
use std::collections::BTreeMap;
use std::ops::Range;

/// Name of the detector and of its score.
pub const DETECTOR_NAME: &str = "injection-transformer";

/// How the transformer score enters the engine's `injection` score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combine {
    /// `injection = max(injection, transformer)` (default).
    #[default]
    Max,
    /// `injection = (injection + transformer) / 2`.
    Mean,
    /// Leave `injection` alone; only set `injection-transformer`.
    Separate,
}

impl std::str::FromStr for Combine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "max" => Ok(Combine::Max),
            "mean" => Ok(Combine::Mean),
            "separate" => Ok(Combine::Separate),
            o => Err(format!(
                "unknown combine mode `{o}`: expected max, mean or separate"
            )),
        }
    }
}

/// A model with what turns its output into a score: a head for an
/// embedding model, nothing for a classifier.
pub struct TransformerScorer {
    model: TransformerModel,
    head: Option<Head>,
}

impl TransformerScorer {
    /// Pair a model with a head. An embedding model needs a head trained on
    /// the same weights; a classifier takes none.
    pub fn new(model: TransformerModel, head: Option<Head>) -> Result<Self, Error> {
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

    /// Score of each window of each text, from already-built windows.
    fn window_scores(&self, wins: &[&[u32]]) -> Result<Vec<f32>, Error> {
        match &self.head {
            Some(h) => Ok(self
                .model
                .embed_windows(wins)?
                .iter()
                .map(|e| h.score(e))
                .collect()),
            None => self.model.classify_windows(wins),
        }
    }

    /// The text's score (maximum over its windows, full-length and short:
    /// [`TransformerModel::scoring_windows`]) and the byte range of the
    /// highest-scoring window.
    pub fn score(&self, text: &str) -> Result<(f32, Range<usize>), Error> {
        let wins = self.model.scoring_windows(text)?;
        let refs: Vec<&[u32]> = wins.iter().map(|w| w.ids.as_slice()).collect();
        let scores = self.window_scores(&refs)?;
        let mut best = (0.0f32, 0..0);
        for (s, w) in scores.into_iter().zip(&wins) {
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
}

impl TransformerDetector {
    pub fn new(scorer: TransformerScorer, combine: Combine) -> Self {
        TransformerDetector { scorer, combine }
    }
}

impl Detector for TransformerDetector {
    fn name(&self) -> &'static str {
        DETECTOR_NAME
    }
    fn applies_to(&self, source: Source) -> bool {
        source != Source::Output
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
                    out.push(
                        Finding::new(
                            "RAMP-PI-092",
                            "injection.transformer",
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
        scores.insert(DETECTOR_NAME.to_string(), p);
        match self.combine {
            Combine::Max => {
                let e = scores.entry("injection".to_string()).or_insert(0.0);
                *e = e.max(p);
            }
            Combine::Mean => {
                let e = scores.entry("injection".to_string()).or_insert(p);
                *e = (*e + p) / 2.0;
            }
            Combine::Separate => {}
        }
        if p >= 0.5 {
            let sev = if p >= 0.85 {
                Severity::High
            } else {
                Severity::Medium
            };
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
                    format!(
                        "transformer classifier rates this text as prompt injection (p = {p:.2})"
                    ),
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
        assert!("sum".parse::<Combine>().is_err());
    }
}

//! The trained head: logistic regression on sentence embeddings, fitted in
//! Rust by Newton's method (the L2-regularised problem is strictly convex,
//! so the optimum, and thus the file, does not depend on an optimiser's
//! learning rate or on thread scheduling).
//!
//! The decision threshold is folded into the bias, so `score >= 0.5` is the
//! calibrated threshold, as for the shipped hashed classifier.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Identifies the head file format.
pub const HEAD_FORMAT: &str = "rampart-transformer-head/1";

/// A logistic-regression head over one embedding per window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Head {
    pub format: String,
    /// SHA-256 of the encoder's `model.safetensors` the head was trained on;
    /// a head only makes sense on the embeddings it was trained with.
    pub model_sha256: String,
    pub dim: usize,
    pub weights: Vec<f32>,
    /// Includes the calibrated threshold: `sigmoid(w.x + bias) >= 0.5` flags.
    pub bias: f32,
    /// FPR the threshold was set for on the calibration split.
    pub target_fpr: f64,
    /// L2 strength chosen on the calibration split.
    pub l2: f64,
    /// The engine score the head was trained for: `injection` (heads
    /// written before this field) or `harm`.
    #[serde(default = "default_target")]
    pub target: String,
    /// For `--combine sum`: the offset subtracted from the sum of the
    /// hashed classifier's and this head's logits, set on the calibration
    /// negatives at `target_fpr` (0 in heads written before it).
    #[serde(default)]
    pub sum_offset: f32,
}

/// Engine scores a head can be trained for.
pub const TARGETS: &[&str] = &["injection", "harm"];

fn default_target() -> String {
    "injection".into()
}

/// Heads trained by this project (`rampart detector train --backend
/// transformer`) on sentence-transformers/all-MiniLM-L6-v2, shipped with
/// the binary; each records the SHA-256 of the `model.safetensors` it fits,
/// and is refused with any other. Their model cards sit beside them in
/// `crates/rampart-transformer/heads/`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "minilm-l6-v2-injection",
        include_str!("../heads/minilm-l6-v2-injection.json"),
    ),
    (
        "minilm-l6-v2-harm",
        include_str!("../heads/minilm-l6-v2-harm.json"),
    ),
];

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Head {
    /// Logit of one embedding (threshold at 0).
    pub fn logit(&self, x: &[f32]) -> f32 {
        let dot: f64 = self
            .weights
            .iter()
            .zip(x)
            .map(|(w, v)| *w as f64 * *v as f64)
            .sum();
        (dot + self.bias as f64) as f32
    }

    /// Probability-like score in `0..=1`; 0.5 is the calibrated threshold.
    pub fn score(&self, x: &[f32]) -> f32 {
        sigmoid(self.logit(x) as f64) as f32
    }

    /// Shift the bias so that `threshold_logit` becomes the decision point.
    pub fn calibrate(&mut self, threshold_logit: f32) {
        self.bias -= threshold_logit;
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a head serialises")
    }

    /// Parse and validate a head file's content.
    pub fn from_json(text: &str, path: &str) -> Result<Head, Error> {
        let bad = |msg: String| Error::Head {
            path: path.to_string(),
            msg,
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let h: Head = serde_path_to_error_lite(&mut de).map_err(bad)?;
        if h.format != HEAD_FORMAT {
            return Err(bad(format!(
                "field `format`: expected `{HEAD_FORMAT}`, found `{}`",
                h.format
            )));
        }
        if h.weights.len() != h.dim || h.dim == 0 {
            return Err(bad(format!(
                "field `weights`: {} values for `dim` {}",
                h.weights.len(),
                h.dim
            )));
        }
        if !TARGETS.contains(&h.target.as_str()) {
            return Err(bad(format!(
                "field `target`: expected one of {}, found `{}`",
                TARGETS.join(", "),
                h.target
            )));
        }
        if !h.bias.is_finite()
            || !h.sum_offset.is_finite()
            || h.weights.iter().any(|w| !w.is_finite())
        {
            return Err(bad("non-finite weight or bias".into()));
        }
        Ok(h)
    }

    /// A head file, or `builtin:NAME` for one of the heads shipped with
    /// Rampart ([`BUILTIN`]).
    pub fn resolve(spec: &str) -> Result<Head, Error> {
        match spec.strip_prefix("builtin:") {
            Some(name) => match BUILTIN.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => Head::from_json(text, spec),
                None => Err(Error::Head {
                    path: spec.to_string(),
                    msg: format!(
                        "no built-in head of that name; built in: {}",
                        BUILTIN
                            .iter()
                            .map(|(n, _)| format!("builtin:{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            },
            None => Head::load(Path::new(spec)),
        }
    }

    pub fn load(path: &Path) -> Result<Head, Error> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Head {
            path: p.clone(),
            msg: e.to_string(),
        })?;
        Head::from_json(&text, &p)
    }
}

fn serde_path_to_error_lite(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<Head, String> {
    let h = Head::deserialize(&mut *de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(h)
}

/// Fit `w, b` minimising the class-balanced mean log loss plus
/// `l2 / 2 * |w|^2` on standardised features, then fold the
/// standardisation back into raw-feature weights. `xs` rows must share one
/// length; `ws` are per-example weights (e.g. 1 / windows of the text).
pub fn fit(xs: &[Vec<f32>], ys: &[bool], ws: &[f64], l2: f64) -> Result<(Vec<f32>, f32), Error> {
    let n = xs.len();
    if n == 0 || ys.len() != n || ws.len() != n {
        return Err(Error::Train("no examples".into()));
    }
    let d = xs[0].len();
    if xs.iter().any(|x| x.len() != d) {
        return Err(Error::Train("embeddings of different lengths".into()));
    }
    let (pos_w, neg_w): (f64, f64) =
        ys.iter().zip(ws).fold(
            (0.0, 0.0),
            |(p, q), (y, w)| {
                if *y {
                    (p + w, q)
                } else {
                    (p, q + w)
                }
            },
        );
    if pos_w == 0.0 || neg_w == 0.0 {
        return Err(Error::Train("both classes are needed".into()));
    }
    // Balanced: each class carries half of the total weight.
    let cw: Vec<f64> = ys
        .iter()
        .zip(ws)
        .map(|(y, w)| w * 0.5 / if *y { pos_w } else { neg_w })
        .collect();
    let mut mean = vec![0f64; d];
    for (x, c) in xs.iter().zip(&cw) {
        for (m, v) in mean.iter_mut().zip(x) {
            *m += c * *v as f64;
        }
    }
    let mut sd = vec![0f64; d];
    for (x, c) in xs.iter().zip(&cw) {
        for j in 0..d {
            let t = x[j] as f64 - mean[j];
            sd[j] += c * t * t;
        }
    }
    for s in &mut sd {
        *s = s.sqrt().max(1e-6);
    }
    let z: Vec<Vec<f64>> = xs
        .iter()
        .map(|x| (0..d).map(|j| (x[j] as f64 - mean[j]) / sd[j]).collect())
        .collect();
    // Parameters: d weights then the bias (not regularised).
    let k = d + 1;
    let mut theta = vec![0f64; k];
    let loss = |t: &[f64]| -> f64 {
        let mut l = 0.0;
        for (i, zi) in z.iter().enumerate() {
            let m = dot(&t[..d], zi) + t[d];
            // log(1 + e^-m) for y, log(1 + e^m) otherwise, stably.
            let s = if ys[i] { -m } else { m };
            l += cw[i] * (s.max(0.0) + (-s.abs()).exp().ln_1p());
        }
        l + 0.5 * l2 * dot(&t[..d], &t[..d])
    };
    let mut cur = loss(&theta);
    for _ in 0..50 {
        let mut g = vec![0f64; k];
        let mut h = vec![0f64; k * k];
        for (i, zi) in z.iter().enumerate() {
            let p = sigmoid(dot(&theta[..d], zi) + theta[d]);
            let r = cw[i] * (p - if ys[i] { 1.0 } else { 0.0 });
            let s = cw[i] * p * (1.0 - p);
            for a in 0..d {
                g[a] += r * zi[a];
                let sa = s * zi[a];
                let row = &mut h[a * k..a * k + k];
                for b in 0..=a {
                    row[b] += sa * zi[b];
                }
                row[d] += sa;
            }
            g[d] += r;
            h[d * k + d] += s;
        }
        for a in 0..d {
            g[a] += l2 * theta[a];
            h[a * k + a] += l2;
            for b in 0..a {
                h[b * k + a] = h[a * k + b];
            }
            h[d * k + a] = h[a * k + d];
        }
        h[d * k + d] += 1e-9;
        let step = cholesky_solve(&mut h, &g, k)
            .ok_or_else(|| Error::Train("Hessian is not positive definite".into()))?;
        let gnorm = dot(&g, &g).sqrt();
        // Backtracking keeps the loss decreasing if a full step overshoots.
        let mut t = 1.0;
        let mut next;
        loop {
            next = theta
                .iter()
                .zip(&step)
                .map(|(a, s)| a - t * s)
                .collect::<Vec<_>>();
            let l = loss(&next);
            if l <= cur || t < 1e-6 {
                cur = l.min(cur);
                break;
            }
            t *= 0.5;
        }
        theta = next;
        if gnorm < 1e-10 {
            break;
        }
    }
    let w: Vec<f32> = (0..d).map(|j| (theta[j] / sd[j]) as f32).collect();
    let b = theta[d] - (0..d).map(|j| theta[j] * mean[j] / sd[j]).sum::<f64>();
    Ok((w, b as f32))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solve `H x = g` for symmetric positive-definite `H` (row-major, k x k),
/// overwriting `H` with its Cholesky factor.
fn cholesky_solve(h: &mut [f64], g: &[f64], k: usize) -> Option<Vec<f64>> {
    for j in 0..k {
        let mut s = h[j * k + j];
        for p in 0..j {
            s -= h[j * k + p] * h[j * k + p];
        }
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        let l = s.sqrt();
        h[j * k + j] = l;
        for i in j + 1..k {
            let mut s = h[i * k + j];
            for p in 0..j {
                s -= h[i * k + p] * h[j * k + p];
            }
            h[i * k + j] = s / l;
        }
    }
    let mut y = vec![0f64; k];
    for i in 0..k {
        let mut s = g[i];
        for p in 0..i {
            s -= h[i * k + p] * y[p];
        }
        y[i] = s / h[i * k + i];
    }
    let mut x = vec![0f64; k];
    for i in (0..k).rev() {
        let mut s = y[i];
        for p in i + 1..k {
            s -= h[p * k + i] * x[p];
        }
        x[i] = s / h[i * k + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Vec<f32>>, Vec<bool>) {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..200 {
            let t = i as f32 / 200.0;
            let y = i % 3 == 0;
            let off = if y { 0.6 } else { -0.6 };
            xs.push(vec![off + (t - 0.5), (t * 7.0).sin(), 0.1]);
            ys.push(y);
        }
        (xs, ys)
    }

    #[test]
    fn fits_a_separable_problem_deterministically() {
        let (xs, ys) = toy();
        let ws = vec![1.0; xs.len()];
        let (w, b) = fit(&xs, &ys, &ws, 1e-3).unwrap();
        let (w2, b2) = fit(&xs, &ys, &ws, 1e-3).unwrap();
        assert_eq!((w.clone(), b), (w2, b2));
        let h = Head {
            format: HEAD_FORMAT.into(),
            model_sha256: String::new(),
            dim: 3,
            weights: w,
            bias: b,
            target_fpr: 0.01,
            l2: 1e-3,
            target: "injection".into(),
            sum_offset: 0.0,
        };
        let correct = xs
            .iter()
            .zip(&ys)
            .filter(|(x, y)| (h.score(x) >= 0.5) == **y)
            .count();
        assert!(correct >= 190, "{correct}/200");
        assert!(h.weights[0] > 0.0);
    }

    #[test]
    fn one_class_is_an_error() {
        let xs = vec![vec![1.0f32]; 3];
        assert!(fit(&xs, &[true; 3], &[1.0; 3], 1.0).is_err());
    }

    #[test]
    fn head_files_are_validated() {
        let h = Head {
            format: HEAD_FORMAT.into(),
            model_sha256: "x".into(),
            dim: 2,
            weights: vec![1.0, -1.0],
            bias: 0.5,
            target_fpr: 0.005,
            l2: 0.01,
            target: "harm".into(),
            sum_offset: 0.5,
        };
        let back = Head::from_json(&h.to_json(), "h.json").unwrap();
        assert_eq!(back, h);
        // Heads written before the field existed are injection heads.
        let old = h.to_json().replace(",\n  \"target\": \"harm\"", "");
        assert!(!old.contains("\"target\""), "{old}");
        assert_eq!(Head::from_json(&old, "h.json").unwrap().target, "injection");
        let e = Head::from_json(&h.to_json().replace("\"harm\"", "\"spam\""), "h.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("target") && e.contains("spam"), "{e}");
        let bad = h.to_json().replace("\"dim\": 2", "\"dim\": 3");
        let e = Head::from_json(&bad, "h.json").unwrap_err().to_string();
        assert!(e.contains("h.json") && e.contains("weights"), "{e}");
        let e = Head::from_json("{\"format\": 1}", "h.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("h.json"), "{e}");
        assert!(Head::from_json("[]", "h.json").is_err());
    }
}

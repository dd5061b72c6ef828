//! Deterministic embeddings by feature hashing: each lower-cased word adds
//! ±1 to one dimension chosen by its hash, and the vector is L2-normalised.
//! Texts that share words get a positive cosine similarity, which is all a
//! RAG test needs from a stand-in embedder.

use crate::brain::fnv1a;

pub fn embed(text: &str, dim: usize) -> Vec<f32> {
    let dim = dim.max(1);
    let mut v = vec![0f32; dim];
    let mut any = false;
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        any = true;
        let h = fnv1a(word.to_lowercase().as_bytes());
        let idx = (h % dim as u64) as usize;
        v[idx] += if h >> 63 == 1 { -1.0 } else { 1.0 };
    }
    if !any {
        // Text without words (empty, punctuation) still gets a unit vector.
        let h = fnv1a(text.as_bytes());
        v[(h % dim as u64) as usize] = 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    } else {
        // Words whose ±1 cancelled out exactly.
        v[0] = 1.0;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn deterministic_unit_and_similar() {
        let a = embed("the cat sat on the mat", 64);
        assert_eq!(a, embed("the cat sat on the mat", 64));
        assert!((cos(&a, &a) - 1.0).abs() < 1e-5);
        let b = embed("the cat sat", 64);
        let c = embed("quantum chromodynamics lattice", 64);
        assert!(cos(&a, &b) > cos(&a, &c));
        assert_eq!(embed("", 8).len(), 8);
        assert!((cos(&embed("", 8), &embed("", 8)) - 1.0).abs() < 1e-5);
    }
}

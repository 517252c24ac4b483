//! Soft-label scores of predicted distributions against human label distributions (LeWiDi).

use super::models::{check_probs, js_divergence};
use crate::error::{Error, Result};

/// Probabilities below this are clipped before the logarithm in the cross-entropy.
pub const EPS: f64 = 1e-12;

/// Per-item scores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SoftScores {
    /// Cross-entropy `-sum_c h_c ln max(p_c, EPS)`.
    pub cross_entropy: Vec<f64>,
    /// Jensen-Shannon distance (natural log).
    pub jensen_shannon: Vec<f64>,
    /// Manhattan (L1) distance `sum |p - h|`.
    pub manhattan: Vec<f64>,
    /// Wasserstein-1 over the ordered categories with unit spacing: `sum |CDF_p - CDF_h|`.
    pub wasserstein: Vec<f64>,
}

/// Scores of `pred` against `human`, both row-major `items x k` probability matrices.
pub fn soft_scores(pred: &[f64], human: &[f64], k: usize) -> Result<SoftScores> {
    if pred.len() != human.len() {
        return Err(Error::LengthMismatch {
            left: "predictions".into(),
            left_len: pred.len() / k.max(1),
            right: "human distributions".into(),
            right_len: human.len() / k.max(1),
        });
    }
    check_probs(pred, k, "predictions")?;
    check_probs(human, k, "human distributions")?;
    let m = pred.len() / k;
    let mut s = SoftScores {
        cross_entropy: Vec::with_capacity(m),
        jensen_shannon: Vec::with_capacity(m),
        manhattan: Vec::with_capacity(m),
        wasserstein: Vec::with_capacity(m),
    };
    for (p, h) in pred.chunks_exact(k).zip(human.chunks_exact(k)) {
        let (mut ce, mut l1, mut w, mut cp, mut ch) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for c in 0..k {
            if h[c] > 0.0 {
                ce -= h[c] * p[c].max(EPS).ln();
            }
            l1 += (p[c] - h[c]).abs();
            cp += p[c];
            ch += h[c];
            if c + 1 < k {
                w += (cp - ch).abs();
            }
        }
        s.cross_entropy.push(ce);
        s.jensen_shannon.push(js_divergence(p, h).sqrt());
        s.manhattan.push(l1);
        s.wasserstein.push(w);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let s = soft_scores(
            &[1.0, 0.0, 0.0, 0.5, 0.5, 0.0],
            &[0.0, 0.0, 1.0, 0.5, 0.5, 0.0],
            3,
        )
        .unwrap();
        assert!((s.wasserstein[0] - 2.0).abs() < 1e-12);
        assert!((s.manhattan[0] - 2.0).abs() < 1e-12);
        assert!((s.cross_entropy[0] + EPS.ln()).abs() < 1e-9);
        assert!(s.jensen_shannon[1].abs() < 1e-12);
        assert!((s.cross_entropy[1] - 2f64.ln()).abs() < 1e-12);
        assert!(soft_scores(&[1.0, 0.0], &[1.0, 0.0, 0.0, 1.0], 2).is_err());
        assert!(soft_scores(&[0.7, 0.0], &[1.0, 0.0], 2).is_err());
    }
}

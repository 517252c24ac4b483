//! Shapley and other semivalues: from tables, from games, by sampling.
//!
//! **Coalition order.** A coalition of `n` players is a bitmask: bit `k` of the index is set when
//! player `k` is a member. A table of coalition values has `2^n` entries and `table[mask]` is the
//! value of the coalition `mask` (so `table[0]` is the empty coalition and `table[2^n - 1]` the
//! grand coalition).
//!
//! **Semivalues.** A semivalue gives player `i` the weighted sum of its marginal contributions
//! `phi_i = sum_{S subset of N \ i} p_{|S|} (v(S + i) - v(S))`, with one weight `p_s` per coalition size
//! `s = 0..n-1` ([`Semivalue::weights`]): Shapley `p_s = s!(n-1-s)!/n!`, Banzhaf `p_s = 2^-(n-1)`,
//! Beta-Shapley(alpha, beta) `p_s = B(s + beta, n - 1 - s + alpha) / B(alpha, beta)` (Kwon and Zou,
//! 2022; `(16, 1)` favours small coalitions, `(1, 1)` is Shapley).
//!
//! **Fold.** Writing `x(S) = v(S) - v(empty)`, the sum rearranges to
//! `phi_i = sum_{S contains i} c_{|S|} x(S) - sum_S p_{|S|} x(S)` with `c_s = p_{s-1} + p_s` (and
//! `p_{-1} = p_n = 0`). After one weighting pass the `n` bit-marginal sums `sum_{S contains i}`
//! come from a halving fold (sum the upper half, add it onto the lower half, repeat), which costs
//! `2 * 2^n` additions: the whole computation is `O(2^n)`, streamed over fixed blocks
//! ([`table::semivalues_from_table`]).

pub mod games;
pub mod sampling;
pub mod slices;
pub mod table;

pub use games::{game_table, Game, MajorityGame, ShiftGame};
pub use sampling::{msr_banzhaf, permutation_shapley, SampledValues, SamplingOptions};
pub use slices::{SliceGame, SliceTarget};
pub use table::{semivalues_from_table, table_bytes, TableValues, MAX_EXACT_PLAYERS};

use crate::error::{Error, Result};

/// Which semivalue to compute.
#[derive(Clone, Debug, PartialEq)]
pub enum Semivalue {
    /// Shapley value: `p_s = s!(n-1-s)!/n!`.
    Shapley,
    /// Banzhaf value: `p_s = 2^-(n-1)`.
    Banzhaf,
    /// Beta-Shapley: `p_s = B(s + beta, n - 1 - s + alpha) / B(alpha, beta)`.
    Beta { alpha: f64, beta: f64 },
    /// User weights `p_0 .. p_{n-1}` (one per coalition size of the other players).
    Weights(Vec<f64>),
}

impl Semivalue {
    /// The weights `p_s`, `s = 0..n-1`, of a coalition of `s` other players.
    pub fn weights(&self, n: usize) -> Result<Vec<f64>> {
        if n == 0 {
            return Err(Error::Empty {
                what: "game (0 players)".into(),
            });
        }
        match self {
            Semivalue::Shapley => {
                // p_s = 1 / (n * C(n-1, s)), C built incrementally.
                let mut out = Vec::with_capacity(n);
                let mut c = 1.0f64;
                for s in 0..n {
                    out.push(1.0 / (n as f64 * c));
                    c = c * (n - 1 - s) as f64 / (s + 1) as f64;
                }
                Ok(out)
            }
            Semivalue::Banzhaf => Ok(vec![0.5f64.powi(n as i32 - 1); n]),
            Semivalue::Beta { alpha, beta } => {
                for (name, v) in [("alpha", *alpha), ("beta", *beta)] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(Error::invalid(
                            name,
                            format!("must be a positive finite number, got {v}"),
                        ));
                    }
                }
                let (a, b) = (*alpha, *beta);
                // p_0 = prod_{k=0}^{n-2} (a + k) / (a + b + k); p_{s+1} = p_s (s + b) / (n - 2 - s + a).
                let mut p = 1.0f64;
                for k in 0..n.saturating_sub(1) {
                    p *= (a + k as f64) / (a + b + k as f64);
                }
                let mut out = Vec::with_capacity(n);
                for s in 0..n {
                    out.push(p);
                    if s + 1 < n {
                        p = p * (s as f64 + b) / ((n - 2 - s) as f64 + a);
                    }
                }
                Ok(out)
            }
            Semivalue::Weights(w) => {
                if w.len() != n {
                    return Err(Error::LengthMismatch {
                        left: "weights".into(),
                        left_len: w.len(),
                        right: "players".into(),
                        right_len: n,
                    });
                }
                if let Some((row, &value)) = w.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                    return Err(Error::NonFinite {
                        row,
                        column: "semivalue weight".into(),
                        value,
                    });
                }
                Ok(w.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binom(n: usize, k: usize) -> f64 {
        (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn weights_are_probabilities() {
        for n in 1..12 {
            for kind in [
                Semivalue::Shapley,
                Semivalue::Banzhaf,
                Semivalue::Beta {
                    alpha: 16.0,
                    beta: 1.0,
                },
                Semivalue::Beta {
                    alpha: 0.5,
                    beta: 2.5,
                },
            ] {
                let p = kind.weights(n).unwrap();
                let total: f64 = (0..n).map(|s| binom(n - 1, s) * p[s]).sum();
                assert!((total - 1.0).abs() < 1e-12, "{kind:?} n={n} total={total}");
            }
        }
    }

    #[test]
    fn beta_one_one_is_shapley() {
        let a = Semivalue::Shapley.weights(9).unwrap();
        let b = Semivalue::Beta {
            alpha: 1.0,
            beta: 1.0,
        }
        .weights(9)
        .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-15);
        }
        // Beta(16, 1) favours small coalitions.
        let c = Semivalue::Beta {
            alpha: 16.0,
            beta: 1.0,
        }
        .weights(9)
        .unwrap();
        assert!(c[0] > c[8]);
    }

    #[test]
    fn weight_errors() {
        assert!(matches!(
            Semivalue::Shapley.weights(0),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            Semivalue::Beta {
                alpha: 0.0,
                beta: 1.0
            }
            .weights(3),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            Semivalue::Weights(vec![1.0]).weights(3),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            Semivalue::Weights(vec![1.0, f64::NAN]).weights(2),
            Err(Error::NonFinite { row: 1, .. })
        ));
    }
}

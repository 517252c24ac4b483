//! Bootstrap of Bradley-Terry fits by resampling the pair-outcome cells.
//!
//! Resampling `N` comparisons with replacement is equivalent to drawing the counts of the distinct
//! (pair, outcome) cells from a multinomial with `N` trials and probabilities proportional to the
//! observed counts; prefrank draws that multinomial directly (sequential conditional binomials), so
//! a round costs O(cells), not O(comparisons). Weighted data: the cell weights are treated as counts
//! and `N` is their total rounded to the nearest integer (documented approximation).
//!
//! Rounds run in parallel in fixed chunks of [`ROUND_CHUNK`], each chunk seeded from
//! `(seed, chunk)`, so results are identical for any thread count. A resample whose comparison graph
//! is not strongly connected (an item with no wins or no losses) has no finite MLE: it is fitted with
//! a weak prior ([`DEGENERATE_ALPHA`]) and counted, never producing NaN.

use super::bt::{fit_cells, BtOptions, Cells, Method};
use crate::error::Result;
use crate::par::{chunk_rng, n_chunks, tree_map_reduce};
use rand::Rng;
use rand_distr::{Binomial, Distribution};

pub const ROUND_CHUNK: usize = 8;
/// Prior precision used for resamples without a finite MLE.
pub const DEGENERATE_ALPHA: f64 = 1e-3;

#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapResult {
    /// `rounds x n` log-strengths, row-major.
    pub theta: Vec<f64>,
    /// Tie parameter per round (empty without a tie model).
    pub tie_param: Vec<f64>,
    pub rounds: usize,
    /// Resamples fitted with the fallback prior.
    pub degenerate: usize,
    /// Resamples whose fit did not converge.
    pub not_converged: usize,
}

/// Draw multinomial(`total`, `probs` ∝ `weights`) into `out` by conditional binomials.
pub fn multinomial<R: Rng + ?Sized>(rng: &mut R, total: u64, weights: &[f64], out: &mut [f64]) {
    let mut left = total;
    let mut mass: f64 = weights.iter().sum();
    for (k, &w) in weights.iter().enumerate() {
        if left == 0 || mass <= 0.0 {
            out[k] = 0.0;
            continue;
        }
        let p = (w / mass).clamp(0.0, 1.0);
        let draw = if p >= 1.0 {
            left
        } else if p <= 0.0 {
            0
        } else {
            Binomial::new(left, p).map(|d| d.sample(rng)).unwrap_or(0)
        };
        out[k] = draw as f64;
        left -= draw;
        mass -= w;
    }
}

/// Run `rounds` bootstrap fits of `cells` with options `opts`, warm-started at `theta_hat`.
/// Round `r` belongs to chunk `first_chunk + r / ROUND_CHUNK`, so a long run split into batches of
/// whole chunks (for progress reporting) gives exactly the rounds of one call.
pub fn bootstrap_bt(
    cells: &Cells,
    opts: &BtOptions,
    theta_hat: &[f64],
    rounds: usize,
    seed: u64,
    first_chunk: u64,
) -> Result<BootstrapResult> {
    let n = cells.n;
    let m = cells.len();
    // Flatten the three outcome categories of every cell into one weight vector.
    let mut weights = Vec::with_capacity(3 * m);
    weights.extend_from_slice(&cells.x);
    weights.extend_from_slice(&cells.y);
    weights.extend_from_slice(&cells.t);
    let total = weights.iter().sum::<f64>().round() as u64;
    let chunks = n_chunks(rounds, ROUND_CHUNK);
    let map = |c: usize| -> Result<BootstrapResult> {
        let mut rng = chunk_rng(seed, first_chunk + c as u64);
        let lo = c * ROUND_CHUNK;
        let hi = (lo + ROUND_CHUNK).min(rounds);
        let mut out = BootstrapResult {
            theta: Vec::with_capacity((hi - lo) * n),
            tie_param: Vec::new(),
            rounds: hi - lo,
            degenerate: 0,
            not_converged: 0,
        };
        let mut draw = vec![0.0; 3 * m];
        let mut resample = Cells {
            n,
            i: cells.i.clone(),
            j: cells.j.clone(),
            x: vec![0.0; m],
            y: vec![0.0; m],
            t: vec![0.0; m],
        };
        for _ in lo..hi {
            multinomial(&mut rng, total, &weights, &mut draw);
            resample.x.copy_from_slice(&draw[..m]);
            resample.y.copy_from_slice(&draw[m..2 * m]);
            resample.t.copy_from_slice(&draw[2 * m..]);
            let mut o = BtOptions {
                method: if opts.method == Method::MM {
                    Method::Auto
                } else {
                    opts.method
                },
                ..*opts
            };
            if o.alpha == 0.0 && super::bt::components(&resample).1 > 1 {
                o.alpha = DEGENERATE_ALPHA;
                out.degenerate += 1;
            }
            let f = fit_cells(&resample, &o, Some(theta_hat))?;
            if !f.converged {
                out.not_converged += 1;
            }
            out.theta.extend_from_slice(&f.theta);
            if let Some(tp) = f.tie_param {
                out.tie_param.push(tp);
            }
        }
        Ok(out)
    };
    let merge =
        |a: Result<BootstrapResult>, b: Result<BootstrapResult>| -> Result<BootstrapResult> {
            let (mut a, b) = (a?, b?);
            a.theta.extend(b.theta);
            a.tie_param.extend(b.tie_param);
            a.rounds += b.rounds;
            a.degenerate += b.degenerate;
            a.not_converged += b.not_converged;
            Ok(a)
        };
    tree_map_reduce(chunks, &map, &merge).unwrap_or_else(|| {
        Ok(BootstrapResult {
            theta: Vec::new(),
            tie_param: Vec::new(),
            rounds: 0,
            degenerate: 0,
            not_converged: 0,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pairs::PairCell;
    use crate::data::PairCounts;
    use crate::rank::bt::{fit, Ties};

    #[test]
    fn multinomial_preserves_total() {
        let mut rng = chunk_rng(1, 0);
        let mut out = vec![0.0; 4];
        multinomial(&mut rng, 1000, &[1.0, 0.0, 3.0, 6.0], &mut out);
        assert_eq!(out.iter().sum::<f64>(), 1000.0);
        assert_eq!(out[1], 0.0);
    }

    #[test]
    fn deterministic_across_thread_counts() {
        let cells: Vec<PairCell> = vec![
            PairCell {
                i: 0,
                j: 1,
                wij: 30.0,
                wji: 10.0,
                ties: 5.0,
            },
            PairCell {
                i: 1,
                j: 2,
                wij: 20.0,
                wji: 20.0,
                ties: 2.0,
            },
            PairCell {
                i: 0,
                j: 2,
                wij: 25.0,
                wji: 5.0,
                ties: 0.0,
            },
        ];
        let counts = PairCounts::from_cells(3, &cells, None).unwrap();
        let opts = BtOptions {
            ties: Ties::Half,
            ..Default::default()
        };
        let f = fit(&counts, &opts, None).unwrap();
        let c = Cells::from_counts(&counts, Ties::Half);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| bootstrap_bt(&c, &opts, &f.theta, 50, 7, 0).unwrap())
        };
        let r1 = run(1);
        assert_eq!(r1, run(3));
        assert_eq!(r1.rounds, 50);
        assert_eq!(r1.theta.len(), 150);
        // The bootstrap mean is near the estimate.
        let mean0: f64 = (0..50).map(|r| r1.theta[r * 3]).sum::<f64>() / 50.0;
        assert!((mean0 - f.theta[0]).abs() < 0.2);
        // Two batches of whole chunks reproduce one call.
        let first = bootstrap_bt(&c, &opts, &f.theta, 16, 7, 0).unwrap();
        let second = bootstrap_bt(&c, &opts, &f.theta, 34, 7, 2).unwrap();
        assert_eq!([first.theta, second.theta].concat(), r1.theta);
    }
}

//! Spectral ranking from pair counts: Rank Centrality (Negahban, Oh & Shah 2017) and Luce Spectral
//! Ranking, LSR and its iterated form ILSR (Maystre & Grossglauser 2015).
//!
//! Each estimate is the stationary distribution of a continuous-time Markov chain on the items in
//! which the loser of a comparison moves to the winner:
//! - Rank Centrality: rate `j -> i` = share of the `(i, j)` games that `i` won;
//! - LSR: rate `j -> i` = (wins of `i` over `j`) `/ (pi_i + pi_j)` for current strengths `pi`;
//!   iterating LSR from the result (ILSR) converges to the Bradley-Terry maximum likelihood.
//!
//! `alpha > 0` adds `alpha` to every off-diagonal count/rate (choix's regularisation), which makes
//! the chain irreducible. Scores are `log pi`, centred to mean zero (as choix reports them).
//!
//! The chain is built from the pair-count cells ([`Cells`]), never per comparison. Stationary
//! distributions are solved exactly (LU with partial pivoting) up to [`DENSE_MAX_ITEMS`] items and by
//! uniformised power iteration on the sparse chain (never `n x n`) beyond.

use super::bt::{components, in_range, Cells};
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::scale::all_finite;

/// Up to this many items the stationary distribution is solved densely.
pub const DENSE_MAX_ITEMS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct SpectralFit {
    /// Centred log-strengths.
    pub theta: Vec<f64>,
    /// Outer iterations (ILSR) or power iterations of the last solve (sparse path); 1 for a dense
    /// single solve.
    pub iterations: usize,
    pub converged: bool,
}

/// Options of the stationary solve and of ILSR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectralOptions {
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
    /// `None`: dense up to [`DENSE_MAX_ITEMS`]; `Some(true/false)` forces the path.
    pub dense: Option<bool>,
}

impl Default for SpectralOptions {
    fn default() -> Self {
        SpectralOptions {
            alpha: 0.0,
            max_iter: 10_000,
            tol: 1e-10,
            dense: None,
        }
    }
}

/// Off-diagonal transition rates: `base` between every ordered pair plus sparse extra rates.
pub(crate) struct Chain {
    n: usize,
    base: f64,
    from: Vec<u32>,
    to: Vec<u32>,
    rate: Vec<f64>,
}

impl Chain {
    pub(crate) fn with_capacity(n: usize, base: f64, cap: usize) -> Self {
        Chain {
            n,
            base,
            from: Vec::with_capacity(cap),
            to: Vec::with_capacity(cap),
            rate: Vec::with_capacity(cap),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, from: u32, to: u32, rate: f64) {
        if rate != 0.0 {
            self.from.push(from);
            self.to.push(to);
            self.rate.push(rate);
        }
    }
}

/// `alpha` finite and >= 0, `tol` > 0.
pub(crate) fn check_options(opts: &SpectralOptions) -> Result<()> {
    if !(opts.alpha >= 0.0 && opts.alpha.is_finite()) {
        return Err(Error::invalid(
            "alpha",
            format!("must be a finite number >= 0, got {}", opts.alpha),
        ));
    }
    if opts.tol.is_nan() || opts.tol <= 0.0 {
        return Err(Error::invalid(
            "tol",
            format!("must be > 0, got {}", opts.tol),
        ));
    }
    Ok(())
}

fn check(cells: &Cells, opts: &SpectralOptions) -> Result<()> {
    check_options(opts)?;
    if cells.n == 0 {
        return Err(Error::Empty {
            what: "the item set".into(),
        });
    }
    if opts.alpha == 0.0 && cells.n > 1 {
        if cells.is_empty() {
            return Err(Error::NotIdentifiable {
                reason: "no comparisons remain (after tie handling): nothing to fit".into(),
            });
        }
        let (_, k) = components(cells);
        if k > 1 {
            return Err(Error::NotIdentifiable {
                reason: format!(
                    "the comparison graph is not strongly connected ({k} components): the Markov chain has no unique stationary distribution; pass alpha > 0 to regularise"
                ),
            });
        }
    }
    Ok(())
}

/// Rank Centrality estimate (choix's `rank_centrality` with the same `alpha`).
pub fn rank_centrality(cells: &Cells, opts: &SpectralOptions) -> Result<SpectralFit> {
    check(cells, opts)?;
    // Without a prior the estimate does not depend on the weights' scale: keep them in range.
    let (cells, _) = in_range(cells, opts.alpha)?;
    let cells = &*cells;
    let a = opts.alpha;
    let base = if a > 0.0 { 0.5 } else { 0.0 };
    let mut ch = Chain::with_capacity(cells.n, base, 2 * cells.len());
    for k in 0..cells.len() {
        let (i, j, x, y) = (cells.i[k], cells.j[k], cells.x[k], cells.y[k]);
        let tot = 2.0 * a + x + y;
        if tot <= 0.0 {
            continue;
        }
        // Loser -> winner: j -> i at the share of games i won.
        ch.push(j, i, (a + x) / tot - base);
        ch.push(i, j, (a + y) / tot - base);
    }
    let (pi, it, ok) = stationary(&ch, opts, None)?;
    let theta = log_centre(&pi);
    Ok(SpectralFit {
        // A zero or non-finite strength is no convergence.
        converged: ok && all_finite(&theta),
        theta,
        iterations: it,
    })
}

/// One LSR step from strengths `weights` (`None`: all ones), as choix's `lsr_pairwise`.
pub fn lsr(cells: &Cells, opts: &SpectralOptions, weights: Option<&[f64]>) -> Result<SpectralFit> {
    check(cells, opts)?;
    // Without a prior the estimate does not depend on the weights' scale: keep them in range.
    let (cells, _) = in_range(cells, opts.alpha)?;
    let cells = &*cells;
    if let Some(w) = weights {
        if w.len() != cells.n {
            return Err(Error::LengthMismatch {
                left: "items".into(),
                left_len: cells.n,
                right: "weights".into(),
                right_len: w.len(),
            });
        }
    }
    let (pi, it, ok) = lsr_step(cells, opts, weights)?;
    let theta = log_centre(&pi);
    Ok(SpectralFit {
        // A zero or non-finite strength is no convergence.
        converged: ok && all_finite(&theta),
        theta,
        iterations: it,
    })
}

fn lsr_step(
    cells: &Cells,
    opts: &SpectralOptions,
    weights: Option<&[f64]>,
) -> Result<(Vec<f64>, usize, bool)> {
    let mut ch = Chain::with_capacity(cells.n, opts.alpha, 2 * cells.len());
    for k in 0..cells.len() {
        let (i, j) = (cells.i[k], cells.j[k]);
        let s = match weights {
            Some(w) => 1.0 / (w[i as usize] + w[j as usize]),
            None => 0.5,
        };
        ch.push(j, i, cells.x[k] * s);
        ch.push(i, j, cells.y[k] * s);
    }
    stationary(&ch, opts, weights)
}

/// Iterated LSR: repeat LSR from the last estimate until the L1 change of the centred
/// log-strengths is at most `tol` (choix's `ilsr_pairwise` test). Converges to the Bradley-Terry MLE
/// (with choix's `alpha` regularisation when `alpha > 0`).
pub fn ilsr(cells: &Cells, opts: &SpectralOptions) -> Result<SpectralFit> {
    check(cells, opts)?;
    // Without a prior the estimate does not depend on the weights' scale: keep them in range.
    let (cells, _) = in_range(cells, opts.alpha)?;
    let cells = &*cells;
    iterate_lsr(cells.n, opts, |w| lsr_step(cells, opts, Some(w)))
}

/// The ILSR loop shared by pair counts and rankings: `step(strengths)` is one LSR solve returning
/// `(pi, iterations, converged)`; it is repeated from its own (exp-transformed) estimate.
pub(crate) fn iterate_lsr<F>(n: usize, opts: &SpectralOptions, mut step: F) -> Result<SpectralFit>
where
    F: FnMut(&[f64]) -> Result<(Vec<f64>, usize, bool)>,
{
    let mut theta = vec![0.0; n];
    let mut w = vec![1.0; n];
    for it in 0..opts.max_iter {
        crate::cancel::checkpoint()?;
        let (pi, _, ok) = step(&w)?;
        let new = log_centre(&pi);
        let change: f64 = new.iter().zip(&theta).map(|(a, b)| (a - b).abs()).sum();
        theta = new;
        // choix's exp_transform: strengths scaled to sum n (matters when alpha > 0).
        for (wi, t) in w.iter_mut().zip(&theta) {
            *wi = t.exp();
        }
        let s: f64 = w.iter().sum();
        w.iter_mut().for_each(|v| *v *= n as f64 / s);
        if !ok {
            return Ok(SpectralFit {
                theta,
                iterations: it + 1,
                converged: false,
            });
        }
        if it > 0 && change <= opts.tol {
            return Ok(SpectralFit {
                converged: all_finite(&theta),
                theta,
                iterations: it + 1,
            });
        }
    }
    Ok(SpectralFit {
        theta,
        iterations: opts.max_iter,
        converged: false,
    })
}

pub(crate) fn log_centre(pi: &[f64]) -> Vec<f64> {
    let mut t: Vec<f64> = pi.iter().map(|p| p.ln()).collect();
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    t.iter_mut().for_each(|v| *v -= mean);
    t
}

/// Stationary distribution (scaled to sum `n`) of the chain: `(pi, iterations, converged)`.
pub(crate) fn stationary(
    ch: &Chain,
    opts: &SpectralOptions,
    start: Option<&[f64]>,
) -> Result<(Vec<f64>, usize, bool)> {
    let n = ch.n;
    if n == 1 {
        return Ok((vec![1.0], 1, true));
    }
    let dense = dense_path(n, opts.dense, 1)?;
    let (pi, it, ok) = if dense {
        (stationary_dense(ch)?, 1, true)
    } else {
        stationary_power(ch, opts.max_iter, opts.tol, start)
    };
    crate::cancel::checkpoint()?;
    check_mass(&pi)?;
    Ok((pi, it, ok))
}

/// Whether to solve densely: `dense` as asked (`None`: up to [`DENSE_MAX_ITEMS`] items while the
/// matrices fit the memory limit). `copies`: the `n x n` matrices the dense path holds at once.
/// Errors: `dense=True` asked for matrices beyond the limit.
pub(crate) fn dense_path(n: usize, dense: Option<bool>, copies: usize) -> Result<bool> {
    match dense {
        None => Ok(n <= DENSE_MAX_ITEMS && limits::fits::<f64>(&[n, n, copies])),
        Some(true) => {
            limits::check_array::<f64>(
                &format!("the dense Markov chain of {n} items"),
                &[n, n, copies],
                "pass dense=False (power iteration on the sparse chain)",
            )?;
            Ok(true)
        }
        Some(false) => Ok(false),
    }
}

/// Every item must keep a positive, finite stationary mass.
pub(crate) fn check_mass(pi: &[f64]) -> Result<()> {
    if let Some(k) = pi.iter().position(|&p| !(p > 0.0 && p.is_finite())) {
        return Err(Error::NotIdentifiable {
            reason: format!(
                "the Markov chain gives item code {k} no stationary mass: the comparison graph is not strongly connected; pass alpha > 0"
            ),
        });
    }
    Ok(())
}

fn stationary_dense(ch: &Chain) -> Result<Vec<f64>> {
    let n = ch.n;
    // A = Q^T: A[to][from] = rate(from -> to); A[i][i] = -out(i). Replace the last equation by
    // sum(pi) = n.
    let mut a = vec![ch.base; n * n];
    let mut out = vec![ch.base * (n - 1) as f64; n];
    for k in 0..ch.rate.len() {
        let (f, t) = (ch.from[k] as usize, ch.to[k] as usize);
        a[t * n + f] += ch.rate[k];
        out[f] += ch.rate[k];
    }
    for i in 0..n {
        a[i * n + i] = -out[i];
    }
    for v in &mut a[(n - 1) * n..] {
        *v = 1.0;
    }
    let mut b = vec![0.0; n];
    b[n - 1] = n as f64;
    let scale = out.iter().fold(0.0f64, |m, &v| m.max(v.abs())).max(1.0);
    lu_solve(&mut a, n, &mut b, 1e-13 * scale).ok_or_else(|| Error::NotIdentifiable {
        reason: "the Markov chain has no unique stationary distribution (more than one closed class); the comparison graph is not strongly connected; pass alpha > 0".into(),
    })?;
    Ok(b)
}

/// Gaussian elimination with partial pivoting; `None` when a pivot falls below `tiny`.
fn lu_solve(a: &mut [f64], n: usize, b: &mut [f64], tiny: f64) -> Option<()> {
    for c in 0..n {
        let (mut p, mut best) = (c, a[c * n + c].abs());
        for r in c + 1..n {
            let v = a[r * n + c].abs();
            if v > best {
                best = v;
                p = r;
            }
        }
        if best <= tiny || !best.is_finite() {
            return None;
        }
        if p != c {
            for k in 0..n {
                a.swap(c * n + k, p * n + k);
            }
            b.swap(c, p);
        }
        let piv = a[c * n + c];
        let (top, bottom) = a.split_at_mut((c + 1) * n);
        let prow = &top[c * n..];
        for r in 0..n - c - 1 {
            let row = &mut bottom[r * n..(r + 1) * n];
            let f = row[c] / piv;
            if f != 0.0 {
                for k in c..n {
                    row[k] -= f * prow[k];
                }
                b[c + 1 + r] -= f * b[c];
            }
        }
    }
    for c in (0..n).rev() {
        let mut s = b[c];
        for k in c + 1..n {
            s -= a[c * n + k] * b[k];
        }
        b[c] = s / a[c * n + c];
    }
    Some(())
}

/// Uniformised power iteration `pi <- pi + pi Q / lambda` on the sparse chain.
fn stationary_power(
    ch: &Chain,
    max_iter: usize,
    tol: f64,
    start: Option<&[f64]>,
) -> (Vec<f64>, usize, bool) {
    let n = ch.n;
    let mut out = vec![ch.base * (n - 1) as f64; n];
    for k in 0..ch.rate.len() {
        out[ch.from[k] as usize] += ch.rate[k];
    }
    power_iterate(ch.base, &out, max_iter, tol, start, |pi, inflow| {
        inflow.iter_mut().for_each(|v| *v = 0.0);
        for k in 0..ch.rate.len() {
            inflow[ch.to[k] as usize] += pi[ch.from[k] as usize] * ch.rate[k];
        }
    })
}

/// Uniformised power iteration for a chain given by its total out-rates `out` (including
/// `base * (n - 1)`) and an operator `inflow(pi, buf)` that writes `sum_j pi_j rate(j -> i)` over
/// the extra (non-`base`) rates into `buf`. Returns `(pi scaled to sum n, iterations, converged)`.
pub(crate) fn power_iterate<F>(
    base: f64,
    out: &[f64],
    max_iter: usize,
    tol: f64,
    start: Option<&[f64]>,
    mut inflow_of: F,
) -> (Vec<f64>, usize, bool)
where
    F: FnMut(&[f64], &mut [f64]),
{
    let n = out.len();
    let lambda = out.iter().fold(0.0f64, |m, &v| m.max(v)) * 1.05;
    // Warm start (ILSR passes the previous estimate: successive chains have close solutions).
    let mut pi = start.map_or_else(|| vec![1.0; n], |s| s.to_vec());
    let mut inflow = vec![0.0; n];
    for it in 0..max_iter {
        // Cancelled: stop unconverged; the caller's checkpoint reports it.
        if crate::cancel::cancelled() {
            return (pi, it, false);
        }
        let total: f64 = pi.iter().sum();
        inflow_of(&pi, &mut inflow);
        let mut change = 0.0f64;
        for i in 0..n {
            let flow = base * (total - pi[i]) + inflow[i] - pi[i] * out[i];
            let new = pi[i] + flow / lambda;
            change = change.max(((new - pi[i]) / new.abs().max(1e-300)).abs());
            pi[i] = new;
        }
        let s: f64 = pi.iter().sum();
        pi.iter_mut().for_each(|v| *v *= n as f64 / s);
        if change <= tol {
            return (pi, it + 1, true);
        }
    }
    (pi, max_iter, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pairs::PairCell;
    use crate::data::PairCounts;
    use crate::rank::bt::{self, BtOptions, Ties};

    fn cells(n: usize, v: &[(u32, u32, f64, f64)]) -> Cells {
        let pc: Vec<PairCell> = v
            .iter()
            .map(|&(i, j, wij, wji)| PairCell {
                i,
                j,
                wij,
                wji,
                ties: 0.0,
            })
            .collect();
        Cells::from_counts(&PairCounts::from_cells(n, &pc, None).unwrap(), Ties::Drop)
    }

    #[test]
    fn ilsr_reaches_the_bt_mle_dense_and_sparse() {
        let c = cells(
            4,
            &[
                (0, 1, 3.0, 1.0),
                (1, 2, 2.0, 2.0),
                (2, 3, 4.0, 1.0),
                (0, 3, 1.0, 2.0),
                (0, 2, 2.0, 1.0),
            ],
        );
        let mle = bt::fit_cells(
            &c,
            &BtOptions {
                ties: Ties::Drop,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        for dense in [true, false] {
            let f = ilsr(
                &c,
                &SpectralOptions {
                    tol: 1e-12,
                    dense: Some(dense),
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(f.converged);
            for k in 0..4 {
                assert!(
                    (f.theta[k] - mle.theta[k]).abs() < 1e-7,
                    "{dense} {:?}",
                    f.theta
                );
            }
        }
    }

    #[test]
    fn rank_centrality_two_items_and_errors() {
        // Share 3/4 vs 1/4: pi_0 / pi_1 = 3.
        let c = cells(2, &[(0, 1, 3.0, 1.0)]);
        let f = rank_centrality(&c, &SpectralOptions::default()).unwrap();
        assert!((f.theta[0] - f.theta[1] - 3f64.ln()).abs() < 1e-12);
        let bad = cells(3, &[(0, 1, 2.0, 0.0), (1, 2, 1.0, 1.0)]);
        assert!(matches!(
            rank_centrality(&bad, &SpectralOptions::default()),
            Err(Error::NotIdentifiable { .. })
        ));
        let reg = SpectralOptions {
            alpha: 0.5,
            ..Default::default()
        };
        let f = rank_centrality(&bad, &reg).unwrap();
        assert!(f.theta[0] > f.theta[1]);
        assert!(matches!(
            lsr(
                &bad,
                &SpectralOptions {
                    alpha: -1.0,
                    ..Default::default()
                },
                None
            ),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

//! Plackett-Luce maximum likelihood for full rankings, partial (top-k) rankings and choice sets.
//!
//! An observation is a set of `m` items of which the first `k` are ranked (best first) and the rest
//! are unranked members of the choice set. Its likelihood is the product over the ranked stages
//! `s < min(k, m - 1)` of `exp(theta[o_s]) / sum_{t >= s} exp(theta[o_t])`:
//! - a full ranking has `k = m` (or `m - 1`);
//! - a top-k ranking has `k < m` (the others are "below the top k", unordered);
//! - a choice set (one winner chosen from a set) has `k = 1`.
//!
//! Sufficient statistics: identical observations are merged (weights summed) by
//! [`Rankings::dedup`]; the unranked tail of an observation is stored sorted so that the canonical
//! form does not depend on input order. Every pass over the data runs over fixed chunks of
//! observations reduced by [`tree_map_reduce`], so fits are identical for any thread count.
//!
//! Solvers: damped Newton with the analytic Hessian (dense, up to [`NEWTON_MAX_ITEMS`] items),
//! Hunter's (2004) minorise-maximise iteration (no prior), and L-BFGS (any size). Without a prior
//! (`alpha = 0`) the directed "ranked above" graph must be strongly connected (Hunter 2004,
//! assumption 1); otherwise [`Error::NotIdentifiable`] names the number of components.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::graph::{strongly_connected_components, Csr};
use crate::numeric::linalg::{cholesky, cholesky_solve};
use crate::numeric::optim::lbfgs;
use crate::numeric::scale::{all_finite, max_abs, times_pow2, unit_shift};
use crate::par::{n_chunks, tree_map_reduce};

/// Up to this many items the default solver is Newton with a dense Hessian.
pub const NEWTON_MAX_ITEMS: usize = 1500;
/// Observations per parallel chunk (fixed: results must not depend on the machine).
pub const OBS_CHUNK: usize = 1 << 14;
/// Smallest relative gradient tolerance the L-BFGS path is asked for.
pub const LBFGS_MIN_TOL: f64 = 1e-7;

/// Observations in structure-of-arrays form: observation `r` has members
/// `items[offsets[r]..offsets[r + 1]]`, of which the first `n_ranked[r]` are ranked best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Rankings {
    pub n: usize,
    pub offsets: Vec<usize>,
    pub items: Vec<u32>,
    pub n_ranked: Vec<u32>,
    pub weight: Vec<f64>,
}

impl Rankings {
    /// Validate and build. `weight` defaults to ones. The unranked tail of each observation is
    /// sorted (canonical form). Errors name the observation (`row`).
    pub fn new(
        n: usize,
        offsets: Vec<usize>,
        mut items: Vec<u32>,
        n_ranked: Vec<u32>,
        weight: Option<Vec<f64>>,
    ) -> Result<Self> {
        let n_obs = n_ranked.len();
        if offsets.len() != n_obs + 1 {
            return Err(Error::LengthMismatch {
                left: "offsets".into(),
                left_len: offsets.len(),
                right: "observations + 1".into(),
                right_len: n_obs + 1,
            });
        }
        if offsets[0] != 0 || offsets[n_obs] != items.len() {
            return Err(Error::invalid(
                "offsets",
                format!(
                    "must start at 0 and end at the number of members ({}), got {} .. {}",
                    items.len(),
                    offsets[0],
                    offsets[n_obs]
                ),
            ));
        }
        let weight = match weight {
            Some(w) => {
                if w.len() != n_obs {
                    return Err(Error::LengthMismatch {
                        left: "observations".into(),
                        left_len: n_obs,
                        right: "weight".into(),
                        right_len: w.len(),
                    });
                }
                for (r, &v) in w.iter().enumerate() {
                    if !v.is_finite() {
                        return Err(Error::NonFinite {
                            row: r,
                            column: "weight".into(),
                            value: v,
                        });
                    }
                    if v < 0.0 {
                        return Err(Error::Negative {
                            row: r,
                            column: "weight".into(),
                            value: v,
                        });
                    }
                }
                w
            }
            None => vec![1.0; n_obs],
        };
        let mut seen = vec![u32::MAX; n];
        for r in 0..n_obs {
            let (lo, hi) = (offsets[r], offsets[r + 1]);
            if hi < lo {
                return Err(Error::invalid(
                    "offsets",
                    format!("observation {r}: offsets decrease ({lo} > {hi})"),
                ));
            }
            if n_ranked[r] as usize > hi - lo {
                return Err(Error::invalid(
                    "n_ranked",
                    format!(
                        "observation {r}: {} ranked members but only {} members",
                        n_ranked[r],
                        hi - lo
                    ),
                ));
            }
            for &it in &items[lo..hi] {
                if it as usize >= n {
                    return Err(Error::CodeOutOfRange {
                        row: r,
                        code: it,
                        n_items: n,
                    });
                }
                if seen[it as usize] == r as u32 {
                    return Err(Error::invalid(
                        "rankings",
                        format!("observation {r}: item code {it} appears more than once"),
                    ));
                }
                seen[it as usize] = r as u32;
            }
            items[lo + n_ranked[r] as usize..hi].sort_unstable();
        }
        Ok(Rankings {
            n,
            offsets,
            items,
            n_ranked,
            weight,
        })
    }

    pub fn len(&self) -> usize {
        self.n_ranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.n_ranked.is_empty()
    }

    #[inline]
    fn members(&self, r: usize) -> &[u32] {
        &self.items[self.offsets[r]..self.offsets[r + 1]]
    }

    /// Number of choice stages of observation `r`: `min(k, m - 1)`.
    #[inline]
    pub fn stages(&self, r: usize) -> usize {
        let m = self.offsets[r + 1] - self.offsets[r];
        (self.n_ranked[r] as usize).min(m.saturating_sub(1))
    }

    /// Concatenate two sets of observations over the same items (the mergeable statistic).
    pub fn merge(mut self, other: Rankings) -> Result<Rankings> {
        if self.n != other.n {
            return Err(Error::ShapeMismatch {
                left: self.n,
                right: other.n,
            });
        }
        let base = self.items.len();
        self.offsets
            .extend(other.offsets[1..].iter().map(|o| o + base));
        self.items.extend_from_slice(&other.items);
        self.n_ranked.extend_from_slice(&other.n_ranked);
        self.weight.extend_from_slice(&other.weight);
        Ok(self)
    }

    /// Merge identical observations (same ranked prefix, same unranked set), summing weights, and
    /// drop observations without a choice stage or with zero weight. The likelihood is unchanged.
    /// The result is in a canonical order (independent of the input order).
    pub fn dedup(&self) -> Rankings {
        let key = |r: usize| (self.stages(r), self.members(r));
        let mut order: Vec<usize> = (0..self.len())
            .filter(|&r| self.stages(r) > 0 && self.weight[r] > 0.0)
            .collect();
        order.sort_unstable_by(|&x, &y| {
            let (kx, mx) = key(x);
            let (ky, my) = key(y);
            (mx.len(), kx, mx).cmp(&(my.len(), ky, my))
        });
        let mut out = Rankings {
            n: self.n,
            offsets: vec![0],
            items: Vec::new(),
            n_ranked: Vec::new(),
            weight: Vec::new(),
        };
        let mut prev: Option<usize> = None;
        for &r in &order {
            if let Some(p) = prev {
                if key(p) == key(r) {
                    *out.weight.last_mut().expect("one pushed") += self.weight[r];
                    continue;
                }
            }
            out.items.extend_from_slice(self.members(r));
            out.offsets.push(out.items.len());
            out.n_ranked.push(self.stages(r) as u32);
            out.weight.push(self.weight[r]);
            prev = Some(r);
        }
        out
    }

    /// Directed "ranked above" graph, reduced to a chain per observation (same reachability):
    /// `o_s -> o_{s+1}` for ranked stages and the last ranked member -> every unranked member.
    pub fn win_graph(&self) -> Csr {
        let mut edges = Vec::new();
        for r in 0..self.len() {
            if self.weight[r] <= 0.0 {
                continue;
            }
            let k = self.stages(r);
            let o = self.members(r);
            for s in 0..k {
                if s + 1 < k {
                    edges.push((o[s], o[s + 1]));
                } else {
                    for &u in &o[s + 1..] {
                        edges.push((o[s], u));
                    }
                }
            }
        }
        Csr::from_edges(self.n, &edges)
    }

    /// Weighted number of stages each item won, and weighted appearances per item.
    pub fn wins_and_games(&self) -> (Vec<f64>, Vec<f64>) {
        let mut wins = vec![0.0; self.n];
        let mut games = vec![0.0; self.n];
        for r in 0..self.len() {
            let w = self.weight[r];
            let o = self.members(r);
            for &it in &o[..self.stages(r)] {
                wins[it as usize] += w;
            }
            for &it in o {
                games[it as usize] += w;
            }
        }
        (wins, games)
    }
}

/// Components of the "ranked above" graph: `(component per item, count)`.
pub fn components(r: &Rankings) -> (Vec<u32>, usize) {
    strongly_connected_components(&r.win_graph())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlMethod {
    Auto,
    Newton,
    MM,
    Lbfgs,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlOptions {
    /// Gaussian prior precision (L2 penalty `alpha/2 * sum theta^2`); 0 = plain MLE.
    pub alpha: f64,
    pub max_iter: usize,
    /// Gradient tolerance relative to the average number of choice stages per item (Newton,
    /// L-BFGS); largest change in a log-strength (MM).
    pub tol: f64,
    pub method: PlMethod,
}

impl Default for PlOptions {
    fn default() -> Self {
        PlOptions {
            alpha: 0.0,
            max_iter: 10_000,
            tol: 1e-10,
            method: PlMethod::Auto,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlFit {
    /// Log-strengths: centred to mean zero without a prior, as estimated with one.
    pub theta: Vec<f64>,
    /// Log-likelihood (without the prior term).
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
    pub method: PlMethod,
}

/// Per-chunk accumulator of the log-likelihood, its gradient (of the log-likelihood) and, when
/// asked, the negated Hessian (row-major `n x n`).
struct Acc {
    ll: f64,
    grad: Vec<f64>,
    hess: Vec<f64>,
    /// MM denominators `sum w * A_t` (only when asked).
    den: Vec<f64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Value,
    Grad,
    Hess,
    Mm,
}

fn accumulate(rk: &Rankings, theta: &[f64], want: Want, lo: usize, hi: usize) -> Acc {
    let n = rk.n;
    let mut acc = Acc {
        ll: 0.0,
        grad: if want == Want::Value {
            Vec::new()
        } else {
            vec![0.0; n]
        },
        hess: if want == Want::Hess {
            vec![0.0; n * n]
        } else {
            Vec::new()
        },
        den: if want == Want::Mm {
            vec![0.0; n]
        } else {
            Vec::new()
        },
    };
    let mut e: Vec<f64> = Vec::new();
    let mut a_pre: Vec<f64> = Vec::new();
    let mut b_pre: Vec<f64> = Vec::new();
    for r in lo..hi {
        let k = rk.stages(r);
        let w = rk.weight[r];
        if k == 0 || w <= 0.0 {
            continue;
        }
        let o = rk.members(r);
        let m = o.len();
        let mx = o
            .iter()
            .fold(f64::NEG_INFINITY, |a, &i| a.max(theta[i as usize]));
        e.clear();
        e.extend(o.iter().map(|&i| (theta[i as usize] - mx).exp()));
        // Suffix sums Z_s for s < k.
        let mut z = e.iter().sum::<f64>();
        a_pre.clear();
        b_pre.clear();
        let (mut a_run, mut b_run) = (0.0, 0.0);
        for s in 0..k {
            acc.ll += w * (theta[o[s] as usize] - mx - z.ln());
            let inv = 1.0 / z;
            a_run += inv;
            b_run += inv * inv;
            a_pre.push(a_run);
            b_pre.push(b_run);
            z -= e[s];
            // Guard against cancellation: recompute the remaining sum exactly now and then.
            if z <= 1e-12 * inv.recip() {
                z = e[s + 1..].iter().sum();
            }
        }
        if want == Want::Value {
            continue;
        }
        for t in 0..m {
            let i = o[t] as usize;
            let at = a_pre[t.min(k - 1)];
            if t < k {
                acc.grad[i] += w;
            }
            acc.grad[i] -= w * e[t] * at;
            if want == Want::Mm {
                acc.den[i] += w * at * (-mx).exp();
            }
        }
        if want == Want::Hess {
            for t in 0..m {
                let i = o[t] as usize;
                let row = &mut acc.hess[i * n..(i + 1) * n];
                row[i] += w * e[t] * a_pre[t.min(k - 1)];
                for u in 0..m {
                    let j = o[u] as usize;
                    row[j] -= w * e[t] * e[u] * b_pre[t.min(u).min(k - 1)];
                }
            }
        }
    }
    acc
}

fn merge_acc(mut a: Acc, b: Acc) -> Acc {
    a.ll += b.ll;
    crate::simd::add_assign(&mut a.grad, &b.grad);
    crate::simd::add_assign(&mut a.hess, &b.hess);
    crate::simd::add_assign(&mut a.den, &b.den);
    a
}

fn pass(rk: &Rankings, theta: &[f64], want: Want) -> Acc {
    let n = rk.n;
    // A Hessian partial costs n^2: make chunks long enough to amortise it.
    let chunk = if want == Want::Hess {
        OBS_CHUNK.max(n * n / 4)
    } else {
        OBS_CHUNK
    };
    let map = |c: usize| accumulate(rk, theta, want, c * chunk, ((c + 1) * chunk).min(rk.len()));
    tree_map_reduce(n_chunks(rk.len(), chunk), &map, &merge_acc)
        .unwrap_or_else(|| accumulate(rk, theta, want, 0, 0))
}

/// Log-likelihood of `theta`.
pub fn loglik(rk: &Rankings, theta: &[f64]) -> f64 {
    pass(rk, theta, Want::Value).ll
}

/// Total weighted number of choice stages.
/// Without a prior (or regularisation) an estimate exists only when some observation has a
/// weighted choice stage and the "ranked above" graph is strongly connected; `remedy` ends the
/// message for the latter.
pub(crate) fn check_identifiable(rk: &Rankings, remedy: &str) -> Result<()> {
    if total_stages(rk) == 0.0 {
        return Err(Error::NotIdentifiable {
            reason: "no observation has a choice stage (a ranked member with at least one other member): nothing to fit".into(),
        });
    }
    let (_, k) = components(rk);
    if k > 1 {
        return Err(Error::NotIdentifiable {
            reason: format!(
                "the 'ranked above' graph is not strongly connected ({k} components): {remedy}"
            ),
        });
    }
    Ok(())
}

fn total_stages(rk: &Rankings) -> f64 {
    (0..rk.len())
        .map(|r| rk.weight[r] * rk.stages(r) as f64)
        .sum()
}

/// Damped Newton on a smooth convex objective of `m` parameters. `eval(p, grad, hess)` returns
/// the objective and, when given buffers, writes the gradient and the (row-major) Hessian.
/// Returns `(p, iterations, converged)`.
pub(crate) fn newton_minimise<F>(
    m: usize,
    p0: Vec<f64>,
    max_iter: usize,
    gtol: f64,
    mut eval: F,
) -> (Vec<f64>, usize, bool)
where
    F: FnMut(&[f64], Option<(&mut [f64], &mut [f64])>) -> f64,
{
    let mut p = p0;
    let mut g = vec![0.0; m];
    let mut h = vec![0.0; m * m];
    let mut value = eval(&p, None);
    for it in 0..max_iter {
        // Cancelled: stop unconverged; the fit's checkpoint reports it.
        if crate::cancel::cancelled() {
            return (p, it, false);
        }
        eval(&p, Some((&mut g, &mut h)));
        let gmax = max_abs(&g);
        if gmax <= gtol && value.is_finite() {
            return (p, it, true);
        }
        let mut step = g.clone();
        let mut damp = 0.0;
        loop {
            let mut f = h.clone();
            if damp > 0.0 {
                for d in 0..m {
                    f[d * m + d] += damp;
                }
            }
            if cholesky(&mut f, m) {
                cholesky_solve(&f, m, &mut step);
                break;
            }
            damp = if damp == 0.0 {
                1e-8 * (1.0 + gmax)
            } else {
                damp * 10.0
            };
            step.copy_from_slice(&g);
            // A cancelled factorisation fails too: stop rather than retry with more damping.
            if damp > 1e12 || crate::cancel::cancelled() {
                return (p, it, false);
            }
        }
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..50 {
            let cand: Vec<f64> = p.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            let v = eval(&cand, None);
            if v.is_finite() && v <= value + 1e-12 * value.abs().max(1.0) {
                p = cand;
                value = v;
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            return (p, it + 1, gmax <= gtol.sqrt() * gtol.sqrt().max(1e-3));
        }
    }
    (p, max_iter, false)
}

/// Fit Plackett-Luce to observations (call [`Rankings::dedup`] first to fit on the sufficient
/// statistic; the result is the same).
///
/// Without a prior the weights' overall scale does not change the maximiser: weights whose mean
/// weighted stages per item lie outside `[1, 2^40]` are first rescaled by an exact power of two (as
/// `bt::fit_cells` does; the observations are copied then), and the log-likelihood is reported on
/// the weights' own scale. With a prior the weights are counts, used as given.
pub fn fit(rk: &Rankings, opts: &PlOptions, init: Option<&[f64]>) -> Result<PlFit> {
    let (scaled, shift) = in_range(rk, opts.alpha);
    let mut f = fit_scaled(&scaled, opts, init)?;
    f.loglik = times_pow2(f.loglik, -shift);
    Ok(f)
}

/// `rk` with its weights rescaled as [`fit`] does (without a prior, mean weighted stages per item
/// in `[1, 4)` when outside `[1, 2^40]`; copied then), and the shift applied; borrowed when none is
/// needed or with a prior (`alpha > 0`: weights stay counts).
pub(crate) fn in_range(rk: &Rankings, alpha: f64) -> (Cow<'_, Rankings>, i32) {
    let max = max_abs(&rk.weight);
    if alpha != 0.0 || rk.n == 0 || max == 0.0 || !max.is_finite() {
        return (Cow::Borrowed(rk), 0);
    }
    let over: f64 = (0..rk.len())
        .map(|r| rk.weight[r] / max * rk.stages(r) as f64)
        .sum();
    let shift = unit_shift(max, over, rk.n);
    if shift == 0 {
        return (Cow::Borrowed(rk), 0);
    }
    let mut scaled = rk.clone();
    scaled
        .weight
        .iter_mut()
        .for_each(|w| *w = times_pow2(*w, shift));
    (Cow::Owned(scaled), shift)
}

/// [`fit`] on weights already in range.
fn fit_scaled(rk: &Rankings, opts: &PlOptions, init: Option<&[f64]>) -> Result<PlFit> {
    let n = rk.n;
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
    if n == 0 {
        return Err(Error::Empty {
            what: "the item set".into(),
        });
    }
    if let Some(x) = init {
        if x.len() != n {
            return Err(Error::LengthMismatch {
                left: "items".into(),
                left_len: n,
                right: "init".into(),
                right_len: x.len(),
            });
        }
    }
    let total = total_stages(rk);
    if opts.alpha == 0.0 && n > 1 {
        check_identifiable(
            rk,
            "some items are never ranked above, or never below, the rest; pass alpha > 0 to fit with a prior",
        )?;
    }
    let method =
        match opts.method {
            PlMethod::Auto => {
                let work: f64 = (0..rk.len())
                    .map(|r| {
                        let m = (rk.offsets[r + 1] - rk.offsets[r]) as f64;
                        m * m
                    })
                    .sum();
                if n <= NEWTON_MAX_ITEMS
                    && work <= 5e8
                    && limits::fits::<f64>(&[n, n, limits::parallel_copies()])
                {
                    PlMethod::Newton
                } else {
                    PlMethod::Lbfgs
                }
            }
            PlMethod::MM if opts.alpha > 0.0 => return Err(Error::invalid(
                "method",
                "the MM iteration supports alpha = 0 only (use 'newton' or 'lbfgs' with a prior)",
            )),
            m => m,
        };
    if method == PlMethod::Newton {
        // One n x n Hessian partial per worker thread, plus the merged one and the solver's.
        limits::check_array::<f64>(
            &format!("the Newton Hessian of {n} items"),
            &[n, n, limits::parallel_copies()],
            "use method='lbfgs' (or 'mm' without a prior), whose memory is linear in the items",
        )?;
    }
    let alpha = opts.alpha;
    let scale = (total / n as f64).max(1.0);
    let gtol = opts.tol * scale;
    // Without a prior the likelihood is flat along theta + c: a gauge term fixes it.
    let gauge = if alpha == 0.0 { scale / n as f64 } else { 0.0 };
    let theta0: Vec<f64> = init.map_or_else(|| vec![0.0; n], |x| x.to_vec());
    let objective = |p: &[f64], want: Want| -> (f64, Acc) {
        let acc = pass(rk, p, want);
        let sum: f64 = p.iter().sum();
        let v = -acc.ll + 0.5 * alpha * crate::simd::dot(p, p) + 0.5 * gauge * sum * sum;
        (v, acc)
    };
    let (mut theta, iterations, converged) = match method {
        PlMethod::Newton => newton_minimise(n, theta0, opts.max_iter, gtol, |p, out| match out {
            None => objective(p, Want::Value).0,
            Some((g, h)) => {
                let (v, acc) = objective(p, Want::Hess);
                let sum: f64 = p.iter().sum();
                for i in 0..n {
                    g[i] = -acc.grad[i] + alpha * p[i] + gauge * sum;
                    let row = &mut h[i * n..(i + 1) * n];
                    row.copy_from_slice(&acc.hess[i * n..(i + 1) * n]);
                    row.iter_mut().for_each(|x| *x += gauge);
                    row[i] += alpha;
                }
                v
            }
        }),
        PlMethod::Lbfgs | PlMethod::Auto => {
            let m = lbfgs(
                |p, g| {
                    let (v, acc) = objective(p, Want::Grad);
                    let sum: f64 = p.iter().sum();
                    for i in 0..n {
                        g[i] = -acc.grad[i] + alpha * p[i] + gauge * sum;
                    }
                    v
                },
                theta0,
                10,
                opts.max_iter,
                // Below ~1e-7 (relative) the Armijo test drowns in rounding of the objective.
                opts.tol.max(LBFGS_MIN_TOL) * scale,
            );
            (m.x, m.iterations, m.converged)
        }
        PlMethod::MM => mm(rk, theta0, opts.max_iter, opts.tol),
    };
    crate::cancel::checkpoint()?;
    if alpha == 0.0 {
        let mean = theta.iter().sum::<f64>() / n as f64;
        theta.iter_mut().for_each(|t| *t -= mean);
    }
    let ll = loglik(rk, &theta);
    // A test passed on non-finite values is no convergence.
    let converged = converged && all_finite(&theta) && ll.is_finite();
    Ok(PlFit {
        theta,
        loglik: ll,
        iterations,
        converged,
        method,
    })
}

/// Hunter's (2004) MM iteration: `gamma_i <- wins_i / sum_{stages containing i} w / Z_s`.
fn mm(rk: &Rankings, theta0: Vec<f64>, max_iter: usize, tol: f64) -> (Vec<f64>, usize, bool) {
    let n = rk.n;
    let (wins, _) = rk.wins_and_games();
    let mut theta = theta0;
    for it in 0..max_iter {
        if crate::cancel::cancelled() {
            return (theta, it, false);
        }
        let acc = pass(rk, &theta, Want::Mm);
        let mut change = 0.0f64;
        let mut new = theta.clone();
        for i in 0..n {
            if wins[i] > 0.0 && acc.den[i] > 0.0 {
                new[i] = (wins[i] / acc.den[i]).ln();
            }
        }
        let mean = new.iter().sum::<f64>() / n as f64;
        for i in 0..n {
            new[i] -= mean;
            change = change.max((new[i] - theta[i]).abs());
        }
        theta = new;
        if change <= tol {
            return (theta, it + 1, true);
        }
    }
    (theta, max_iter, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rk(n: usize, obs: &[(&[u32], u32)]) -> Rankings {
        let mut offsets = vec![0];
        let mut items = Vec::new();
        let mut k = Vec::new();
        for (o, kk) in obs {
            items.extend_from_slice(o);
            offsets.push(items.len());
            k.push(*kk);
        }
        Rankings::new(n, offsets, items, k, None).unwrap()
    }

    #[test]
    fn pairs_match_bradley_terry_closed_form() {
        // Two items, 3 wins vs 1: theta_0 - theta_1 = ln 3.
        let r = rk(2, &[(&[0, 1], 2), (&[0, 1], 2), (&[0, 1], 1), (&[1, 0], 1)]);
        for method in [PlMethod::Newton, PlMethod::MM, PlMethod::Lbfgs] {
            let f = fit(
                &r,
                &PlOptions {
                    method,
                    tol: 1e-12,
                    ..Default::default()
                },
                None,
            )
            .unwrap();
            assert!(f.converged, "{method:?}");
            // L-BFGS stops at a relative gradient of LBFGS_MIN_TOL.
            let tol = if method == PlMethod::Lbfgs {
                1e-6
            } else {
                1e-10
            };
            assert!(
                (f.theta[0] - f.theta[1] - 3f64.ln()).abs() < tol,
                "{method:?} {:?}",
                f.theta
            );
        }
    }

    #[test]
    fn gradient_and_hessian_match_finite_differences() {
        let r = rk(
            4,
            &[
                (&[0, 1, 2, 3], 4),
                (&[2, 0, 3], 1),
                (&[3, 1, 0, 2], 2),
                (&[1, 2], 1),
            ],
        );
        let th = [0.3, -0.2, 0.1, 0.5];
        let acc = pass(&r, &th, Want::Hess);
        let h = 1e-6;
        for k in 0..4 {
            let mut up = th;
            up[k] += h;
            let mut dn = th;
            dn[k] -= h;
            let fd = (loglik(&r, &up) - loglik(&r, &dn)) / (2.0 * h);
            assert!((fd - acc.grad[k]).abs() < 1e-6, "grad {k}");
            let gu = pass(&r, &up, Want::Grad).grad;
            let gd = pass(&r, &dn, Want::Grad).grad;
            for j in 0..4 {
                let fd = -(gu[j] - gd[j]) / (2.0 * h);
                assert!((fd - acc.hess[j * 4 + k]).abs() < 1e-6, "hess {j} {k}");
            }
        }
    }

    #[test]
    fn dedup_keeps_the_fit_and_canonicalises() {
        let r = rk(
            3,
            &[
                (&[0, 2, 1], 1),
                (&[0, 1, 2], 1),
                (&[1, 0, 2], 3),
                (&[2, 1, 0], 3),
                (&[2], 1),
            ],
        );
        let d = r.dedup();
        assert_eq!(d.len(), 3);
        assert_eq!(d.weight.iter().sum::<f64>(), 4.0);
        let a = fit(&r, &PlOptions::default(), None).unwrap();
        let b = fit(&d, &PlOptions::default(), None).unwrap();
        for k in 0..3 {
            assert!((a.theta[k] - b.theta[k]).abs() < 1e-10);
        }
        assert!((a.loglik - b.loglik).abs() < 1e-10);
    }

    #[test]
    fn not_identifiable_without_prior() {
        // Item 0 always first.
        let r = rk(3, &[(&[0, 1, 2], 3), (&[0, 2, 1], 3)]);
        let e = fit(&r, &PlOptions::default(), None).unwrap_err();
        assert!(matches!(e, Error::NotIdentifiable { .. }));
        let f = fit(
            &r,
            &PlOptions {
                alpha: 0.5,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        assert!(f.converged && f.theta[0] > f.theta[1]);
        assert!(matches!(
            fit(
                &r,
                &PlOptions {
                    alpha: 0.5,
                    method: PlMethod::MM,
                    ..Default::default()
                },
                None
            ),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn bad_observations_are_errors() {
        assert!(matches!(
            Rankings::new(3, vec![0, 2], vec![1, 1], vec![2], None),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            Rankings::new(2, vec![0, 2], vec![0, 5], vec![2], None),
            Err(Error::CodeOutOfRange { row: 0, .. })
        ));
        assert!(matches!(
            Rankings::new(2, vec![0, 2], vec![0, 1], vec![3], None),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            Rankings::new(2, vec![0, 2], vec![0, 1], vec![2], Some(vec![-1.0])),
            Err(Error::Negative { row: 0, .. })
        ));
        assert!(matches!(
            Rankings::new(2, vec![0, 2], vec![0, 1], vec![2], Some(vec![f64::NAN])),
            Err(Error::NonFinite { row: 0, .. })
        ));
        assert!(matches!(
            Rankings::new(2, vec![0, 2, 1], vec![0, 1], vec![2, 0], None),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

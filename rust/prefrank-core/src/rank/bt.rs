//! Bradley-Terry maximum likelihood from pair counts, with tie models.
//!
//! The model: `P(i beats j) = sigma(theta_i - theta_j)`. Ties are handled by
//! - `Half`: a tie counts half a win each way (Chatbot Arena's choice);
//! - `Drop`: ties are ignored;
//! - `Davidson` (1970): `P(i>j) ∝ pi_i`, `P(tie) ∝ nu sqrt(pi_i pi_j)`; `nu` is learned;
//! - `RaoKupper` (1967): `P(i>j) = pi_i / (pi_i + kappa pi_j)`; `kappa > 1` is learned.
//!
//! Everything is computed from the pair-count cells (never per comparison). Solvers:
//! dense Newton (analytic Hessian, Cholesky) up to [`NEWTON_MAX_ITEMS`]; beyond that the
//! minorise-maximise iteration of Newman (2023) for `Half`/`Drop` without a prior, and L-BFGS on the
//! edge list otherwise. Neither sparse path allocates `n x n`.
//!
//! An optional Gaussian prior `alpha/2 * sum theta^2` (L2 penalty) makes every data set fit; without
//! it the comparison graph must be strongly connected (checked; the error names the components).

use std::borrow::Cow;

use crate::data::PairCounts;
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::graph::{strongly_connected_components, Csr};
use crate::numeric::linalg::{cholesky, cholesky_solve};
use crate::numeric::logistic::{sigmoid, softplus};
use crate::numeric::optim::lbfgs;
use crate::numeric::scale::{all_finite, max_abs, times_pow2, unit_shift};
use crate::par::{n_chunks, tree_map_reduce};

/// Up to this many items the default solver is Newton with a dense Hessian.
pub const NEWTON_MAX_ITEMS: usize = 1500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ties {
    Half,
    Drop,
    Davidson,
    RaoKupper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Auto,
    Newton,
    MM,
    Lbfgs,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BtOptions {
    pub ties: Ties,
    /// Gaussian prior precision (L2 penalty `alpha/2 * sum theta^2`); 0 = plain MLE.
    pub alpha: f64,
    pub max_iter: usize,
    /// Convergence tolerance on the gradient (relative to the average comparisons per item).
    pub tol: f64,
    pub method: Method,
}

impl Default for BtOptions {
    fn default() -> Self {
        BtOptions {
            ties: Ties::Half,
            alpha: 0.0,
            max_iter: 10_000,
            tol: 1e-10,
            method: Method::Auto,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BtFit {
    /// Log-strengths, centred to mean zero (without a prior) or as estimated (with a prior).
    pub theta: Vec<f64>,
    /// Davidson's `nu` or Rao-Kupper's `kappa` (None for `Half`/`Drop`).
    pub tie_param: Option<f64>,
    /// Log-likelihood of the data (without the prior term).
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
    pub method: Method,
}

/// Structure-of-arrays view of the observed pairs after tie handling: `x` = weight of i beating j,
/// `y` = j beating i, `t` = ties (zero unless the tie model keeps them).
#[derive(Debug, Clone, Default)]
pub struct Cells {
    pub n: usize,
    pub i: Vec<u32>,
    pub j: Vec<u32>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub t: Vec<f64>,
}

impl Cells {
    pub fn from_counts(counts: &PairCounts, ties: Ties) -> Self {
        let mut c = Cells {
            n: counts.n_items(),
            ..Default::default()
        };
        counts.for_each(|cell| {
            let (x, y, t) = match ties {
                Ties::Half => (cell.wij + 0.5 * cell.ties, cell.wji + 0.5 * cell.ties, 0.0),
                Ties::Drop => (cell.wij, cell.wji, 0.0),
                Ties::Davidson | Ties::RaoKupper => (cell.wij, cell.wji, cell.ties),
            };
            if x + y + t > 0.0 {
                c.i.push(cell.i);
                c.j.push(cell.j);
                c.x.push(x);
                c.y.push(y);
                c.t.push(t);
            }
        });
        c
    }

    pub fn len(&self) -> usize {
        self.i.len()
    }

    pub fn is_empty(&self) -> bool {
        self.i.is_empty()
    }

    pub fn total(&self) -> f64 {
        crate::simd::sum(&self.x) + crate::simd::sum(&self.y) + crate::simd::sum(&self.t)
    }

    pub fn total_ties(&self) -> f64 {
        crate::simd::sum(&self.t)
    }

    /// The exact power-of-two shift that brings these cells' mean weight per item into `[1, 4)`
    /// (0 when it lies in `[1, 2^40]`, as unweighted counts do). An error when a cell is not finite
    /// (weights whose sum overflowed).
    pub fn unit_shift(&self) -> Result<i32> {
        let max = max_abs(&self.x).max(max_abs(&self.y)).max(max_abs(&self.t));
        if !max.is_finite() {
            return Err(overflowed_weights());
        }
        if max == 0.0 {
            return Ok(0);
        }
        let over = |v: &[f64]| v.iter().map(|x| x / max).sum::<f64>();
        Ok(unit_shift(
            max,
            over(&self.x) + over(&self.y) + over(&self.t),
            self.n,
        ))
    }

    /// These cells with every weight multiplied by `2^shift` (exact in the normal range).
    pub fn shifted(&self, shift: i32) -> Cells {
        let f = |v: &[f64]| v.iter().map(|&x| times_pow2(x, shift)).collect();
        Cells {
            n: self.n,
            i: self.i.clone(),
            j: self.j.clone(),
            x: f(&self.x),
            y: f(&self.y),
            t: f(&self.t),
        }
    }

    /// Directed "beat" graph: an edge i -> j when i beat j at least partly; ties link both ways.
    pub fn win_graph(&self) -> Csr {
        let mut edges = Vec::with_capacity(2 * self.len());
        for k in 0..self.len() {
            let (i, j) = (self.i[k], self.j[k]);
            if self.x[k] > 0.0 || self.t[k] > 0.0 {
                edges.push((i, j));
            }
            if self.y[k] > 0.0 || self.t[k] > 0.0 {
                edges.push((j, i));
            }
        }
        Csr::from_edges(self.n, &edges)
    }
}

/// The error for pair counts that overflowed `f64` (weights summing past about 1.8e308).
pub(crate) fn overflowed_weights() -> Error {
    Error::invalid(
        "weight",
        "the weights of a pair sum past the largest float (about 1.8e308); divide them by a \
         constant (without a prior the fit does not depend on their scale)",
    )
}

/// Components of the win graph: `(component per item, count)`.
pub fn components(cells: &Cells) -> (Vec<u32>, usize) {
    strongly_connected_components(&cells.win_graph())
}

/// Per-cell log-likelihood with its derivatives in `(a, b, e)` = (theta_i, theta_j, tie parameter).
#[derive(Debug, Clone, Copy, Default)]
struct Terms {
    ll: f64,
    ga: f64,
    ge: f64,
    haa: f64,
    hae: f64,
    hbe: f64,
    hee: f64,
}
// By symmetry of every model here: gb = -ga, hbb = haa, hab = -haa.

#[inline]
#[allow(clippy::too_many_arguments)]
fn cell_terms(ties: Ties, x: f64, y: f64, t: f64, a: f64, b: f64, e: f64, hess: bool) -> Terms {
    match ties {
        Ties::Half | Ties::Drop => {
            let d = a - b;
            let s = sigmoid(d);
            // The Hessian pass (Newton) needs no log-likelihood: skip the logarithms there.
            // softplus(-d) = softplus(d) - d, so one logarithm serves both outcomes.
            let ll = if hess {
                0.0
            } else {
                let sp = softplus(d);
                -x * (sp - d) - y * sp
            };
            let h = (x + y) * s * (1.0 - s);
            Terms {
                ll,
                ga: x - (x + y) * s,
                haa: if hess { -h } else { 0.0 },
                ..Default::default()
            }
        }
        Ties::Davidson => {
            let lt = e + 0.5 * (a + b);
            let m = a.max(b).max(lt);
            let (ea, eb, et) = ((a - m).exp(), (b - m).exp(), (lt - m).exp());
            let z = ea + eb + et;
            let (pi, pj, pt) = (ea / z, eb / z, et / z);
            let nn = x + y + t;
            let ll = x * a + y * b + t * lt - nn * (m + z.ln());
            let ga = x + 0.5 * t - nn * (pi + 0.5 * pt);
            let ge = t - nn * pt;
            if !hess {
                return Terms {
                    ll,
                    ga,
                    ge,
                    ..Default::default()
                };
            }
            let (ma, mb, me) = (pi + 0.5 * pt, pj + 0.5 * pt, pt);
            let haa = -nn * (pi + 0.25 * pt - ma * ma);
            let hae = -nn * (0.5 * pt - ma * me);
            let hbe = -nn * (0.5 * pt - mb * me);
            let hee = -nn * (pt - me * me);
            Terms {
                ll,
                ga,
                ge,
                haa,
                hae,
                hbe,
                hee,
            }
        }
        Ties::RaoKupper => {
            // e = log(kappa) > 0.
            let u = e + b - a;
            let v = e + a - b;
            let (aa, bb) = (x + t, y + t);
            let (su, sv) = (sigmoid(u), sigmoid(v));
            let em1 = (2.0 * e).exp_m1();
            let ll = if hess {
                0.0
            } else {
                -aa * softplus(u) - bb * softplus(v) + if t > 0.0 { t * em1.ln() } else { 0.0 }
            };
            let ga = aa * su - bb * sv;
            let ratio = 2.0 * (2.0 * e).exp() / em1;
            let ge = -aa * su - bb * sv + t * ratio;
            if !hess {
                return Terms {
                    ll,
                    ga,
                    ge,
                    ..Default::default()
                };
            }
            let pu = aa * su * (1.0 - su);
            let pv = bb * sv * (1.0 - sv);
            let e2 = (2.0 * e).exp();
            Terms {
                ll,
                ga,
                ge,
                haa: -(pu + pv),
                hae: pu - pv,
                hbe: pv - pu,
                hee: -pu - pv - t * 4.0 * e2 / (em1 * em1),
            }
        }
    }
}

pub(crate) fn has_tie_param(ties: Ties) -> bool {
    matches!(ties, Ties::Davidson | Ties::RaoKupper)
}

/// Gradient of the objective only (no logarithms: the chord iteration needs no values).
/// Gradient of the objective, with scratch space, and optionally the win probabilities of every cell already
/// known (`sig`, e.g. at the point where a chord's Hessian was factorised). Half/drop ties compute
/// all the cells' sigmoids in one vectorised pass before the scatter.
#[allow(clippy::too_many_arguments)]
fn gradient_with(
    cells: &Cells,
    ties: Ties,
    alpha: f64,
    gauge: f64,
    p: &[f64],
    g: &mut [f64],
    scratch: &mut Vec<f64>,
    sig: Option<&[f64]>,
) {
    let n = cells.n;
    let tp = has_tie_param(ties);
    g.iter_mut().for_each(|v| *v = 0.0);
    if matches!(ties, Ties::Half | Ties::Drop) {
        let s: &[f64] = match sig {
            Some(s) => s,
            None => {
                win_probabilities(cells, p, scratch);
                scratch
            }
        };
        for (k, &sk) in s.iter().enumerate().take(cells.len()) {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            let (x, y) = (cells.x[k], cells.y[k]);
            let ga = x - (x + y) * sk;
            g[i] -= ga;
            g[j] += ga;
        }
    } else {
        let e = p[n];
        for k in 0..cells.len() {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            let tm = cell_terms(
                ties, cells.x[k], cells.y[k], cells.t[k], p[i], p[j], e, false,
            );
            g[i] -= tm.ga;
            g[j] += tm.ga;
            if tp {
                g[n] -= tm.ge;
            }
        }
    }
    let th = &p[..n];
    let sum: f64 = th.iter().sum();
    for (gi, &ti) in g[..n].iter_mut().zip(th) {
        *gi += alpha * ti + gauge * sum;
    }
}

/// `out[k]` = probability that cell k's first item wins, `sigmoid(p[i] - p[j])`.
fn win_probabilities(cells: &Cells, p: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(
        cells
            .i
            .iter()
            .zip(&cells.j)
            .map(|(&i, &j)| p[i as usize] - p[j as usize]),
    );
    crate::simd::sigmoid_in_place(out);
}

/// Log-likelihood of `theta` (and tie parameter `e` on its internal scale).
fn loglik(cells: &Cells, ties: Ties, theta: &[f64], e: f64) -> f64 {
    let mut ll = 0.0;
    for k in 0..cells.len() {
        let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
        ll += cell_terms(
            ties, cells.x[k], cells.y[k], cells.t[k], theta[i], theta[j], e, false,
        )
        .ll;
    }
    ll
}

/// Negative penalised log-likelihood and its gradient, for L-BFGS. Parameters: theta, then `e`.
fn objective(cells: &Cells, ties: Ties, alpha: f64, gauge: f64, p: &[f64], g: &mut [f64]) -> f64 {
    let n = cells.n;
    let tp = has_tie_param(ties);
    let e = if tp { p[n] } else { 0.0 };
    if ties == Ties::RaoKupper && e <= 0.0 {
        return f64::INFINITY;
    }
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut ll = 0.0;
    for k in 0..cells.len() {
        let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
        let tm = cell_terms(
            ties, cells.x[k], cells.y[k], cells.t[k], p[i], p[j], e, false,
        );
        ll += tm.ll;
        g[i] -= tm.ga;
        g[j] += tm.ga;
        if tp {
            g[n] -= tm.ge;
        }
    }
    let th = &p[..n];
    let sum: f64 = th.iter().sum();
    let sq = crate::simd::dot(th, th);
    for (gi, &ti) in g[..n].iter_mut().zip(th) {
        *gi += alpha * ti + gauge * sum;
    }
    -ll + 0.5 * alpha * sq + 0.5 * gauge * sum * sum
}

fn initial_tie_param(cells: &Cells, ties: Ties) -> f64 {
    let frac = (cells.total_ties() / cells.total().max(1e-300)).clamp(1e-6, 0.999);
    match ties {
        // Davidson with equal strengths: P(tie) = nu / (2 + nu).
        Ties::Davidson => (2.0 * frac / (1.0 - frac)).ln(),
        // Rao-Kupper with equal strengths: P(tie) = (k - 1) / (k + 1).
        Ties::RaoKupper => ((1.0 + frac) / (1.0 - frac)).ln().max(1e-3),
        _ => 0.0,
    }
}

/// A cheap starting point: half the log of each item's smoothed win/loss ratio, centred. It is
/// close to the MLE on well-mixed data and saves Newton steps; any start converges.
fn initial_theta(cells: &Cells) -> Vec<f64> {
    let n = cells.n;
    let mut wins = vec![0.5; n];
    let mut losses = vec![0.5; n];
    for k in 0..cells.len() {
        let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
        let (x, y, t) = (cells.x[k], cells.y[k], 0.5 * cells.t[k]);
        wins[i] += x + t;
        losses[i] += y + t;
        wins[j] += y + t;
        losses[j] += x + t;
    }
    let mut theta: Vec<f64> = wins
        .iter()
        .zip(&losses)
        .map(|(w, l)| 0.5 * (w / l).ln())
        .collect();
    let mean = theta.iter().sum::<f64>() / n as f64;
    theta.iter_mut().for_each(|t| *t -= mean);
    theta
}

/// Fit Bradley-Terry to pair counts.
pub fn fit(counts: &PairCounts, opts: &BtOptions, init: Option<&[f64]>) -> Result<BtFit> {
    let cells = Cells::from_counts(counts, opts.ties);
    fit_cells(&cells, opts, init)
}

/// Fit Bradley-Terry to prepared cells (see [`Cells::from_counts`]).
///
/// Without a prior the weights' overall scale does not change the maximiser, so cells whose mean
/// weight per item lies outside `[1, 2^40]` are first rescaled by an exact power of two (see
/// [`Cells::unit_shift`]): tolerances, the start and the sums then behave as for counts, and tiny or
/// huge uniform weights give the unweighted fit. The log-likelihood is reported on the weights'
/// own scale. With a prior the weights are counts (they set the prior's relative strength) and
/// are used as given.
pub fn fit_cells(cells: &Cells, opts: &BtOptions, init: Option<&[f64]>) -> Result<BtFit> {
    let (scaled, shift) = in_range(cells, opts.alpha)?;
    let mut fit = fit_scaled(&scaled, opts, init)?;
    fit.loglik = times_pow2(fit.loglik, -shift);
    Ok(fit)
}

/// `cells` rescaled as [`fit_cells`] does (without a prior, mean weight per item in `[1, 4)` when
/// outside `[1, 2^40]`), with the shift applied; borrowed when none is needed or with a prior
/// (`alpha > 0`: weights stay counts). An error when a cell is not finite.
pub fn in_range(cells: &Cells, alpha: f64) -> Result<(Cow<'_, Cells>, i32)> {
    let shift = cells.unit_shift()?;
    Ok(if alpha != 0.0 || shift == 0 {
        (Cow::Borrowed(cells), 0)
    } else {
        (Cow::Owned(cells.shifted(shift)), shift)
    })
}

/// [`fit_cells`] on cells already in range.
fn fit_scaled(cells: &Cells, opts: &BtOptions, init: Option<&[f64]>) -> Result<BtFit> {
    let n = cells.n;
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
    if cells.is_empty() && opts.alpha == 0.0 && n > 1 {
        return Err(Error::NotIdentifiable {
            reason: "no comparisons remain (after tie handling): nothing to fit".into(),
        });
    }
    if opts.alpha == 0.0 && n > 1 {
        let (_, k) = components(cells);
        if k > 1 {
            return Err(Error::NotIdentifiable {
                reason: format!(
                    "the comparison graph is not strongly connected ({k} components): some items never win or never lose against the rest; pass alpha > 0 to fit with a prior"
                ),
            });
        }
    }
    let ties = effective_ties(cells, opts.ties);
    let method = match opts.method {
        Method::Auto if n <= NEWTON_MAX_ITEMS && limits::fits::<f64>(&[n + 1, n + 1]) => {
            Method::Newton
        }
        Method::Auto if matches!(ties, Ties::Half | Ties::Drop) && opts.alpha == 0.0 => Method::MM,
        Method::Auto => Method::Lbfgs,
        Method::MM if !(matches!(opts.ties, Ties::Half | Ties::Drop) && opts.alpha == 0.0) => {
            return Err(Error::invalid(
                "method",
                "the MM iteration supports ties='half' or 'drop' without a prior only",
            ))
        }
        m => m,
    };
    if method == Method::Newton {
        let m = n + has_tie_param(ties) as usize;
        limits::check_array::<f64>(
            &format!("the Newton Hessian of {n} items"),
            &[m, m],
            "use method='mm' (or 'lbfgs'), whose memory is linear in the items",
        )?;
    }
    let mut theta: Vec<f64> = init.map_or_else(|| initial_theta(cells), |x| x.to_vec());
    let mut e = initial_tie_param(cells, ties);
    let scale = (cells.total() / n as f64).max(1.0);
    let gtol = opts.tol * scale;
    let (iterations, converged) = match method {
        Method::Newton => newton(
            cells,
            ties,
            opts.alpha,
            &mut theta,
            &mut e,
            opts.max_iter,
            gtol,
        ),
        Method::MM => mm(cells, &mut theta, opts.max_iter, opts.tol),
        Method::Lbfgs | Method::Auto => {
            let tp = has_tie_param(ties);
            let mut p = theta.clone();
            if tp {
                p.push(e);
            }
            let gauge = if opts.alpha == 0.0 {
                scale / n as f64
            } else {
                0.0
            };
            let m = lbfgs(
                |x, g| objective(cells, ties, opts.alpha, gauge, x, g),
                p,
                10,
                opts.max_iter,
                gtol,
            );
            theta.copy_from_slice(&m.x[..n]);
            if tp {
                e = m.x[n];
            }
            (m.iterations, m.converged)
        }
    };
    if opts.alpha == 0.0 {
        let mean = theta.iter().sum::<f64>() / n as f64;
        theta.iter_mut().for_each(|t| *t -= mean);
    }
    let tie_param = match opts.ties {
        Ties::Davidson => Some(if ties == Ties::Davidson { e.exp() } else { 0.0 }),
        Ties::RaoKupper => Some(if ties == Ties::RaoKupper {
            e.exp()
        } else {
            1.0
        }),
        _ => None,
    };
    // A solver stops early when the call is cancelled; the fit then ends here.
    crate::cancel::checkpoint()?;
    let ll = loglik(cells, ties, &theta, e);
    // A test passed on non-finite values is no convergence.
    let converged = converged && all_finite(&theta) && e.is_finite() && ll.is_finite();
    Ok(BtFit {
        theta,
        tie_param,
        loglik: ll,
        iterations,
        converged,
        method,
    })
}

/// The tie model actually fitted: without observed ties a tie parameter's MLE sits on the boundary,
/// so Davidson and Rao-Kupper reduce to plain BT (reported as nu = 0, kappa = 1).
pub(crate) fn effective_ties(cells: &Cells, ties: Ties) -> Ties {
    if has_tie_param(ties) && cells.total_ties() == 0.0 {
        Ties::Drop
    } else {
        ties
    }
}

/// The gauge weight used without a prior: the likelihood is flat along `theta + c`, so the term
/// `gauge/2 * (sum theta)^2` (zero at the centred optimum) makes the Hessian positive definite.
pub(crate) fn gauge_weight(cells: &Cells, alpha: f64) -> f64 {
    if alpha == 0.0 {
        (cells.total() / cells.n as f64).max(1.0) / cells.n as f64
    } else {
        0.0
    }
}

/// Gradient and dense Hessian of the objective (negative penalised log-likelihood plus gauge) at
/// `p` = (theta, tie parameter if any); `h` is `m x m` row-major.
pub(crate) fn assemble(
    cells: &Cells,
    ties: Ties,
    alpha: f64,
    gauge: f64,
    p: &[f64],
    g: &mut [f64],
    h: &mut [f64],
) {
    let n = cells.n;
    let tp = has_tie_param(ties);
    let m = n + tp as usize;
    h.iter_mut().for_each(|v| *v = 0.0);
    g.iter_mut().for_each(|v| *v = 0.0);
    if !tp {
        // Half/drop ties: all the cells' win probabilities in one vectorised pass, then the scatter.
        let mut s = Vec::with_capacity(cells.len());
        win_probabilities(cells, p, &mut s);
        for (k, &sk) in s.iter().enumerate() {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            let (x, y) = (cells.x[k], cells.y[k]);
            let ga = x - (x + y) * sk;
            let haa = (x + y) * sk * (1.0 - sk);
            g[i] -= ga;
            g[j] += ga;
            h[i * m + i] += haa;
            h[j * m + j] += haa;
            h[i * m + j] -= haa;
            h[j * m + i] -= haa;
        }
    } else {
        let ee = p[n];
        for k in 0..cells.len() {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            let tm = cell_terms(
                ties, cells.x[k], cells.y[k], cells.t[k], p[i], p[j], ee, true,
            );
            // Objective = -LL: negate gradient and Hessian.
            g[i] -= tm.ga;
            g[j] += tm.ga;
            h[i * m + i] -= tm.haa;
            h[j * m + j] -= tm.haa;
            h[i * m + j] += tm.haa;
            h[j * m + i] += tm.haa;
            g[n] -= tm.ge;
            h[i * m + n] -= tm.hae;
            h[n * m + i] -= tm.hae;
            h[j * m + n] -= tm.hbe;
            h[n * m + j] -= tm.hbe;
            h[n * m + n] -= tm.hee;
        }
    }
    let sum: f64 = p[..n].iter().sum();
    for i in 0..n {
        g[i] += alpha * p[i] + gauge * sum;
        h[i * m + i] += alpha;
        for v in &mut h[i * m..i * m + n] {
            *v += gauge;
        }
    }
}

/// A Cholesky factor of the objective's Hessian at a reference point, reused for nearby problems
/// (bootstrap resamples): the chord iteration `p <- p - H0^-1 g(p)` costs a gradient and two
/// triangular solves per step instead of a factorisation.
#[derive(Debug, Clone)]
pub struct Chord {
    pub ties: Ties,
    pub alpha: f64,
    pub gauge: f64,
    m: usize,
    factor: Vec<f64>,
    /// The point of factorisation and its cells' win probabilities (half/drop ties): a resample
    /// of the same cells started there needs no sigmoid for its first gradient.
    at: Vec<f64>,
    sig_at: Vec<f64>,
}

impl Chord {
    /// Factor the Hessian of `cells` at (`theta`, tie parameter `tie_param` on the model's scale).
    pub fn new(
        cells: &Cells,
        ties: Ties,
        alpha: f64,
        theta: &[f64],
        tie_param: Option<f64>,
    ) -> Option<Chord> {
        let n = cells.n;
        let tp = has_tie_param(ties);
        let m = n + tp as usize;
        let mut p = theta.to_vec();
        if tp {
            p.push(tie_param?.ln());
        }
        let gauge = gauge_weight(cells, alpha);
        let mut g = vec![0.0; m];
        let mut h = vec![0.0; m * m];
        assemble(cells, ties, alpha, gauge, &p, &mut g, &mut h);
        if !cholesky(&mut h, m) {
            return None;
        }
        let mut sig_at = Vec::new();
        if matches!(ties, Ties::Half | Ties::Drop) {
            win_probabilities(cells, &p, &mut sig_at);
        }
        Some(Chord {
            ties,
            alpha,
            gauge,
            m,
            factor: h,
            at: p,
            sig_at,
        })
    }

    /// Solve `cells` from `p0` by chord steps; None when it does not converge in `max_iter` steps
    /// (the caller then runs a full fit).
    pub fn solve(
        &self,
        cells: &Cells,
        p0: &[f64],
        gtol: f64,
        max_iter: usize,
    ) -> Option<(Vec<f64>, usize)> {
        let mut p = p0.to_vec();
        let mut g = vec![0.0; self.m];
        let mut scratch = Vec::with_capacity(cells.len());
        let mut last = f64::INFINITY;
        let cached =
            !self.sig_at.is_empty() && self.sig_at.len() == cells.len() && p0 == self.at.as_slice();
        for it in 0..max_iter {
            if crate::cancel::cancelled() {
                return None;
            }
            let sig = (it == 0 && cached).then_some(self.sig_at.as_slice());
            gradient_with(
                cells,
                self.ties,
                self.alpha,
                self.gauge,
                &p,
                &mut g,
                &mut scratch,
                sig,
            );
            let gmax = max_abs(&g);
            if !gmax.is_finite() || gmax > 2.0 * last {
                return None;
            }
            if gmax <= gtol {
                return Some((p, it));
            }
            last = gmax;
            cholesky_solve(&self.factor, self.m, &mut g);
            for (pk, sk) in p.iter_mut().zip(&g) {
                *pk -= sk;
            }
        }
        None
    }
}

/// Damped Newton with the analytic Hessian. Returns (iterations, converged).
///
/// With half/drop ties the objective is convex and the full step is first taken without
/// evaluating the objective (its logarithms cost more than the gradient); the next gradient checks
/// it: if its largest component did not shrink, the step is undone and searched with objective
/// values as usual.
fn newton(
    cells: &Cells,
    ties: Ties,
    alpha: f64,
    theta: &mut [f64],
    e: &mut f64,
    max_iter: usize,
    gtol: f64,
) -> (usize, bool) {
    let n = cells.n;
    let tp = has_tie_param(ties);
    let m = n + tp as usize;
    let gauge = gauge_weight(cells, alpha);
    let mut h = vec![0.0; m * m];
    let mut g = vec![0.0; m];
    let mut p: Vec<f64> = theta.to_vec();
    if tp {
        p.push(*e);
    }
    let mut scratch = vec![0.0; m];
    let mut value: Option<f64> = None;
    // The point before an unchecked full step, and its largest gradient component.
    let mut unchecked: Option<(Vec<f64>, f64)> = None;
    let finish = |p: &[f64], theta: &mut [f64], e: &mut f64| {
        theta.copy_from_slice(&p[..n]);
        if tp {
            *e = p[n];
        }
    };
    for it in 0..max_iter {
        if crate::cancel::cancelled() {
            finish(&p, theta, e);
            return (it, false);
        }
        assemble(cells, ties, alpha, gauge, &p, &mut g, &mut h);
        let mut gmax = max_abs(&g);
        if gmax <= gtol {
            finish(&p, theta, e);
            return (it, true);
        }
        let mut checked = tp;
        if let Some((before, gmax_before)) = unchecked.take() {
            if gmax.partial_cmp(&gmax_before) != Some(std::cmp::Ordering::Less) {
                p = before;
                assemble(cells, ties, alpha, gauge, &p, &mut g, &mut h);
                gmax = gmax_before;
                checked = true;
            }
        }
        // Levenberg-style fallback when the Hessian is not positive definite.
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
                finish(&p, theta, e);
                return (it, false);
            }
        }
        if !checked && damp == 0.0 {
            let next: Vec<f64> = p.iter().zip(&step).map(|(a, s)| a - s).collect();
            unchecked = Some((std::mem::replace(&mut p, next), gmax));
            value = None;
            continue;
        }
        let v0 =
            *value.get_or_insert_with(|| objective(cells, ties, alpha, gauge, &p, &mut scratch));
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..50 {
            let cand: Vec<f64> = p.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            let v = objective(cells, ties, alpha, gauge, &cand, &mut scratch);
            if v.is_finite() && v <= v0 + 1e-12 * v0.abs().max(1.0) {
                p = cand;
                value = Some(v);
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            finish(&p, theta, e);
            let ok = gmax <= gtol.sqrt() * gtol.sqrt().max(1e-3);
            return (it + 1, ok);
        }
    }
    // An unchecked last step is kept only if it was no worse than the point before it.
    if let Some((before, gmax_before)) = unchecked {
        let mut gl = vec![0.0; m];
        let mut sc = Vec::new();
        gradient_with(cells, ties, alpha, gauge, &p, &mut gl, &mut sc, None);
        let gmax = max_abs(&gl);
        if gmax.partial_cmp(&gmax_before) != Some(std::cmp::Ordering::Less) {
            p = before;
        }
    }
    finish(&p, theta, e);
    (max_iter, false)
}

/// Newman's (2023) iteration (damped in log space) for plain Bradley-Terry, parallel over fixed chunks of cells:
/// `pi_i <- sum_j w_ij pi_j / (pi_i + pi_j) / sum_j w_ji / (pi_i + pi_j)`.
fn mm(cells: &Cells, theta: &mut [f64], max_iter: usize, tol: f64) -> (usize, bool) {
    let n = cells.n;
    const CHUNK: usize = 1 << 18;
    let mut pi: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
    for it in 0..max_iter {
        if crate::cancel::cancelled() {
            break;
        }
        let chunks = n_chunks(cells.len(), CHUNK);
        let pi_ref = &pi;
        let map = |c: usize| {
            let mut num = vec![0.0; n];
            let mut den = vec![0.0; n];
            let lo = c * CHUNK;
            let hi = (lo + CHUNK).min(cells.len());
            for k in lo..hi {
                let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
                let s = 1.0 / (pi_ref[i] + pi_ref[j]);
                let (x, y) = (cells.x[k], cells.y[k]);
                num[i] += x * pi_ref[j] * s;
                den[i] += y * s;
                num[j] += y * pi_ref[i] * s;
                den[j] += x * s;
            }
            (num, den)
        };
        let merge = |mut a: (Vec<f64>, Vec<f64>), b: (Vec<f64>, Vec<f64>)| {
            crate::simd::add_assign(&mut a.0, &b.0);
            crate::simd::add_assign(&mut a.1, &b.1);
            a
        };
        let (num, den) =
            tree_map_reduce(chunks, &map, &merge).unwrap_or_else(|| (vec![0.0; n], vec![0.0; n]));
        let mut change = 0.0f64;
        let mut log_sum = 0.0;
        let mut new = vec![0.0; n];
        for i in 0..n {
            let v = if den[i] > 0.0 && num[i] > 0.0 {
                num[i] / den[i]
            } else {
                pi[i]
            };
            // The simultaneous update can oscillate (two items: r -> r*^2 / r); averaging the old
            // and new log-strengths damps it and keeps the fixed point.
            let v = (v * pi[i]).sqrt();
            new[i] = v;
            log_sum += v.ln();
        }
        let shift = (log_sum / n as f64).exp();
        for i in 0..n {
            let v = new[i] / shift;
            change = change.max((v.ln() - pi[i].ln()).abs());
            pi[i] = v;
        }
        if change <= tol {
            for i in 0..n {
                theta[i] = pi[i].ln();
            }
            return (it + 1, true);
        }
    }
    for i in 0..n {
        theta[i] = pi[i].ln();
    }
    (max_iter, false)
}

/// Predicted probability that `i` beats `j` (and of a tie) under a fitted model.
pub fn predict(ties: Ties, theta_i: f64, theta_j: f64, tie_param: Option<f64>) -> (f64, f64, f64) {
    match (ties, tie_param) {
        (Ties::Davidson, Some(nu)) if nu > 0.0 => {
            let (a, b) = (theta_i.exp(), theta_j.exp());
            let t = nu * (a * b).sqrt();
            let z = a + b + t;
            (a / z, b / z, t / z)
        }
        (Ties::RaoKupper, Some(k)) if k > 1.0 => {
            let (a, b) = (theta_i.exp(), theta_j.exp());
            let pij = a / (a + k * b);
            let pji = b / (b + k * a);
            (pij, pji, 1.0 - pij - pji)
        }
        _ => {
            let p = sigmoid(theta_i - theta_j);
            (p, 1.0 - p, 0.0)
        }
    }
}

/// Jackknife-free acceleration constants for BCa bootstrap intervals of each item's strength.
///
/// The empirical influence of one comparison on the estimate is `U = H^-1 s`, with `H` the observed
/// information of the (penalised, gauge-fixed) fit and `s` that comparison's score; every comparison in
/// the same (pair, outcome) cell has the same influence. Efron's acceleration of item `k` is
/// `a_k = sum_c w_c U_ck^3 / (6 (sum_c w_c U_ck^2)^1.5)`. With `anchor`, the quantity is
/// `theta_k - theta_anchor`.
pub fn bca_acceleration(
    cells: &Cells,
    ties: Ties,
    alpha: f64,
    theta: &[f64],
    tie_param: Option<f64>,
    anchor: Option<usize>,
) -> Result<Vec<f64>> {
    let n = cells.n;
    let eff = effective_ties(cells, ties);
    let tp = has_tie_param(eff);
    let m = n + tp as usize;
    let mut p = theta.to_vec();
    if tp {
        p.push(tie_param.unwrap_or(1.0).ln());
    }
    let gauge = gauge_weight(cells, alpha);
    limits::check_alloc(
        &format!("BCa intervals of {n} items (the information matrix and its inverse rows)"),
        limits::bytes_of::<f64>(&[m, m])
            .and_then(|h| h.checked_add(limits::bytes_of::<f64>(&[n, m])?)),
        "use the percentile interval instead of 'bca'",
    )?;
    let mut g = vec![0.0; m];
    let mut h = vec![0.0; m * m];
    assemble(cells, eff, alpha, gauge, &p, &mut g, &mut h);
    if !cholesky(&mut h, m) {
        crate::cancel::checkpoint()?;
        return Err(Error::NotIdentifiable {
            reason: "the information matrix is singular at the estimate".into(),
        });
    }
    // Rows of H^-1 for the items (H is symmetric): z_k = H^-1 e_k.
    let mut z = vec![0.0; n * m];
    for k in 0..n {
        let row = &mut z[k * m..(k + 1) * m];
        row[k] = 1.0;
        cholesky_solve(&h, m, row);
    }
    if let Some(r) = anchor {
        let base: Vec<f64> = z[r * m..(r + 1) * m].to_vec();
        for k in 0..n {
            for (v, b) in z[k * m..(k + 1) * m].iter_mut().zip(&base) {
                *v -= b;
            }
        }
    }
    let mut s2 = vec![0.0; n];
    let mut s3 = vec![0.0; n];
    let e = if tp { p[n] } else { 0.0 };
    for c in 0..cells.len() {
        let (i, j) = (cells.i[c] as usize, cells.j[c] as usize);
        for (w, unit) in [
            (cells.x[c], (1.0, 0.0, 0.0)),
            (cells.y[c], (0.0, 1.0, 0.0)),
            (cells.t[c], (0.0, 0.0, 1.0)),
        ] {
            if w <= 0.0 {
                continue;
            }
            let tm = cell_terms(eff, unit.0, unit.1, unit.2, p[i], p[j], e, false);
            for k in 0..n {
                let zk = &z[k * m..(k + 1) * m];
                let mut u = (zk[i] - zk[j]) * tm.ga;
                if tp {
                    u += zk[n] * tm.ge;
                }
                s2[k] += w * u * u;
                s3[k] += w * u * u * u;
            }
        }
    }
    Ok((0..n)
        .map(|k| {
            if s2[k] > 0.0 {
                s3[k] / (6.0 * s2[k].powf(1.5))
            } else {
                0.0
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pairs::PairCell;

    fn counts(n: usize, cells: &[(u32, u32, f64, f64, f64)]) -> PairCounts {
        let v: Vec<PairCell> = cells
            .iter()
            .map(|&(i, j, wij, wji, ties)| PairCell {
                i,
                j,
                wij,
                wji,
                ties,
            })
            .collect();
        PairCounts::from_cells(n, &v, None).unwrap()
    }

    #[test]
    fn two_items_closed_form() {
        // 3 wins vs 1: theta_0 - theta_1 = ln 3.
        let c = counts(2, &[(0, 1, 3.0, 1.0, 0.0)]);
        for method in [Method::Newton, Method::MM, Method::Lbfgs] {
            let f = fit(
                &c,
                &BtOptions {
                    method,
                    ..Default::default()
                },
                None,
            )
            .unwrap();
            assert!(f.converged, "{method:?} {f:?}");
            assert!(
                (f.theta[0] - f.theta[1] - 3f64.ln()).abs() < 1e-8,
                "{method:?} {:?}",
                f.theta
            );
            assert!(f.theta[0].abs() - f.theta[1].abs() < 1e-12);
        }
    }

    #[test]
    fn newton_recovers_from_overshooting_full_steps() {
        // From a start far from the optimum, unchecked full Newton steps overshoot (the gradient
        // grows) and must be undone and line-searched; the fit still matches MM.
        let c = counts(
            3,
            &[
                (0, 1, 9.0, 1.0, 0.0),
                (1, 2, 9.0, 1.0, 0.0),
                (0, 2, 1.0, 1.0, 0.0),
            ],
        );
        let mm = fit(
            &c,
            &BtOptions {
                method: Method::MM,
                tol: 1e-13,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        for start in [[30.0, -30.0, 0.0], [-40.0, 0.0, 40.0], [0.0, 25.0, -25.0]] {
            let nt = fit(
                &c,
                &BtOptions {
                    method: Method::Newton,
                    ..Default::default()
                },
                Some(&start),
            )
            .unwrap();
            assert!(nt.converged, "{start:?}");
            for k in 0..3 {
                assert!(
                    (nt.theta[k] - mm.theta[k]).abs() < 1e-7,
                    "{start:?} {nt:?} {mm:?}"
                );
            }
        }
    }

    #[test]
    fn methods_agree_with_ties() {
        let c = counts(
            4,
            &[
                (0, 1, 3.0, 1.0, 2.0),
                (1, 2, 2.0, 2.0, 1.0),
                (2, 3, 4.0, 1.0, 0.0),
                (0, 3, 1.0, 2.0, 1.0),
                (0, 2, 2.0, 1.0, 3.0),
            ],
        );
        for ties in [Ties::Half, Ties::Drop, Ties::Davidson, Ties::RaoKupper] {
            let a = fit(
                &c,
                &BtOptions {
                    ties,
                    method: Method::Newton,
                    ..Default::default()
                },
                None,
            )
            .unwrap();
            let b = fit(
                &c,
                &BtOptions {
                    ties,
                    method: Method::Lbfgs,
                    tol: 1e-12,
                    ..Default::default()
                },
                None,
            )
            .unwrap();
            assert!(a.converged && b.converged, "{ties:?}");
            for k in 0..4 {
                assert!(
                    (a.theta[k] - b.theta[k]).abs() < 1e-6,
                    "{ties:?} {:?} {:?}",
                    a.theta,
                    b.theta
                );
            }
            if let (Some(x), Some(y)) = (a.tie_param, b.tie_param) {
                assert!((x - y).abs() < 1e-6, "{ties:?} {x} {y}");
            }
            assert!((a.loglik - b.loglik).abs() < 1e-8);
        }
    }

    #[test]
    fn disconnected_needs_prior() {
        let c = counts(3, &[(0, 1, 2.0, 0.0, 0.0), (1, 2, 1.0, 1.0, 0.0)]);
        let e = fit(&c, &BtOptions::default(), None).unwrap_err();
        assert!(matches!(e, Error::NotIdentifiable { .. }));
        let f = fit(
            &c,
            &BtOptions {
                alpha: 0.1,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        assert!(f.converged && f.theta[0] > f.theta[1]);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let c = counts(
            3,
            &[
                (0, 1, 3.0, 1.0, 2.0),
                (1, 2, 2.0, 2.0, 1.0),
                (0, 2, 1.0, 2.0, 1.0),
            ],
        );
        for ties in [Ties::Half, Ties::Davidson, Ties::RaoKupper] {
            let cells = Cells::from_counts(&c, ties);
            let p = [0.3, -0.2, 0.1, 0.7];
            let m = if has_tie_param(ties) { 4 } else { 3 };
            let mut g = vec![0.0; m];
            objective(&cells, ties, 0.5, 0.0, &p[..m], &mut g);
            for k in 0..m {
                let mut q = p[..m].to_vec();
                let h = 1e-6;
                q[k] += h;
                let mut s = vec![0.0; m];
                let up = objective(&cells, ties, 0.5, 0.0, &q, &mut s);
                q[k] -= 2.0 * h;
                let dn = objective(&cells, ties, 0.5, 0.0, &q, &mut s);
                assert!(((up - dn) / (2.0 * h) - g[k]).abs() < 1e-6, "{ties:?} {k}");
            }
        }
    }
}

//! Robust recovery of the BTL logit matrix from an empirical matrix with corrupted and missing
//! entries (the CURATRON setting).
//!
//! Under Bradley-Terry-Luce the logit matrix `L_ij = logit P(i beats j) = theta_i - theta_j` is
//! skew-symmetric of rank 2, and the set of such matrices is a linear subspace. The observed matrix
//! is `L_hat = L + S + N` on the observed entries `Omega`, with `S` sparse (at most a bounded number
//! of arbitrarily corrupted entries per item) and `N` sampling noise. Alternating projections:
//!
//! 1. low-rank step: project `L_hat - S` (on `Omega`, entries judged corrupted removed) onto the
//!    BTL subspace by weighted least squares -- a graph-Laplacian system solved by preconditioned
//!    conjugate gradients, warm-started;
//! 2. sparse step: hard-threshold the standardised residuals `z_ij = (L_hat_ij - theta_i + theta_j)
//!    sqrt(w_ij)` at `zeta_t`, keeping at most `k_i` entries per item (largest first);
//!
//! with a threshold that decreases geometrically from the largest residual to
//! `threshold * sigma_hat` (`sigma_hat`: 1.4826 x the median absolute standardised residual of
//! the kept entries, at least 1), as in AltProj (Netrapalli et al. 2014). Entries are
//! `p_ij = (w_ij + pseudo) / (n_ij + 2 pseudo)` (ties count half) and weights are the inverse
//! delta-method variances `w_ij = n_ij p_ij (1 - p_ij)`. Cost: O(|Omega|) per CG iteration,
//! O(|Omega| log |Omega|) per thresholding step; memory O(|Omega| + n).

use crate::error::{Error, Result};
use crate::numeric::graph::{strongly_connected_components, Csr};
use crate::numeric::logistic::sigmoid;
use crate::rank::bt::Cells;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatrixOptions {
    /// Final threshold on standardised residuals (in units of the robust residual scale).
    pub threshold: f64,
    /// Largest share of an item's observed entries that may be judged corrupted.
    pub max_corrupt_fraction: f64,
    /// Pseudo-count added to each side of an entry before the logit.
    pub pseudo: f64,
    /// Geometric decrease of the threshold per outer iteration.
    pub decay: f64,
    pub max_iter: usize,
    /// Smallest number of observed pairs per item.
    pub min_degree: usize,
}

impl Default for MatrixOptions {
    fn default() -> Self {
        MatrixOptions {
            threshold: 3.0,
            max_corrupt_fraction: 0.25,
            pseudo: 0.5,
            decay: 0.5,
            max_iter: 100,
            min_degree: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixFit {
    pub theta: Vec<f64>,
    /// Per observed entry (same order as the input cells): empirical logit, weight, standardised
    /// residual, corrupted flag.
    pub logit: Vec<f64>,
    pub weight: Vec<f64>,
    pub residual: Vec<f64>,
    pub corrupted: Vec<bool>,
    /// Robust residual scale of the kept entries.
    pub sigma: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Empirical logits and weights of the observed cells (ties already folded in by the caller).
pub fn entries(cells: &Cells, pseudo: f64) -> (Vec<f64>, Vec<f64>) {
    let m = cells.len();
    let mut l = vec![0.0; m];
    let mut w = vec![0.0; m];
    for k in 0..m {
        let (x, y) = (cells.x[k] + 0.5 * cells.t[k], cells.y[k] + 0.5 * cells.t[k]);
        let nn = x + y;
        let p = (x + pseudo) / (nn + 2.0 * pseudo);
        l[k] = (p / (1.0 - p)).ln();
        w[k] = nn * p * (1.0 - p);
    }
    (l, w)
}

/// Weighted least squares `min sum_k a_k w_k (l_k - theta_i + theta_j)^2` with `sum theta = 0`,
/// by Jacobi-preconditioned conjugate gradients on the graph Laplacian (warm start in `theta`).
pub fn project(
    cells: &Cells,
    l: &[f64],
    w: &[f64],
    keep: &[bool],
    theta: &mut [f64],
    tol: f64,
) -> usize {
    let n = cells.n;
    let m = cells.len();
    let mut diag = vec![0.0; n];
    let mut rhs = vec![0.0; n];
    for k in 0..m {
        if !keep[k] {
            continue;
        }
        let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
        diag[i] += w[k];
        diag[j] += w[k];
        rhs[i] += w[k] * l[k];
        rhs[j] -= w[k] * l[k];
    }
    // Gauge: add (c/n) 1 1^T with c = mean degree weight so the system is positive definite.
    let c = diag.iter().sum::<f64>() / n as f64;
    let gauge = c.max(1e-12) / n as f64;
    let apply = |v: &[f64], out: &mut [f64]| {
        let s: f64 = v.iter().sum::<f64>() * gauge;
        for i in 0..n {
            out[i] = diag[i] * v[i] + s;
        }
        for k in 0..m {
            if !keep[k] {
                continue;
            }
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            let d = w[k] * v[j];
            let e = w[k] * v[i];
            out[i] -= d;
            out[j] -= e;
        }
    };
    let pre: Vec<f64> = diag
        .iter()
        .map(|&d| 1.0 / (d + gauge).max(1e-300))
        .collect();
    let mut ax = vec![0.0; n];
    apply(theta, &mut ax);
    let mut r: Vec<f64> = (0..n).map(|i| rhs[i] - ax[i]).collect();
    let mut z: Vec<f64> = (0..n).map(|i| pre[i] * r[i]).collect();
    let mut p = z.clone();
    let mut rz = crate::simd::dot(&r, &z);
    let bnorm = crate::simd::dot(&rhs, &rhs).sqrt().max(1e-300);
    let mut ap = vec![0.0; n];
    let mut it = 0;
    while it < 10 * n + 100 {
        if crate::simd::dot(&r, &r).sqrt() <= tol * bnorm {
            break;
        }
        apply(&p, &mut ap);
        let pap = crate::simd::dot(&p, &ap);
        if pap <= 0.0 {
            break;
        }
        let a = rz / pap;
        for i in 0..n {
            theta[i] += a * p[i];
            r[i] -= a * ap[i];
            z[i] = pre[i] * r[i];
        }
        let rz_new = crate::simd::dot(&r, &z);
        let b = rz_new / rz;
        rz = rz_new;
        for i in 0..n {
            p[i] = z[i] + b * p[i];
        }
        it += 1;
    }
    let mean = theta.iter().sum::<f64>() / n as f64;
    theta.iter_mut().for_each(|t| *t -= mean);
    it
}

/// Check that there is enough to recover from; the error states the observed fraction and the need.
pub fn check_observed(cells: &Cells, min_degree: usize) -> Result<()> {
    let n = cells.n;
    if n < 2 {
        return Err(Error::NotIdentifiable {
            reason: format!("robust recovery needs at least 2 items, got {n}"),
        });
    }
    let pairs = n as f64 * (n as f64 - 1.0) / 2.0;
    let m = cells.len();
    let frac = m as f64 / pairs;
    let mut deg = vec![0usize; n];
    for k in 0..m {
        deg[cells.i[k] as usize] += 1;
        deg[cells.j[k] as usize] += 1;
    }
    let need_deg = min_degree.min(n - 1);
    let low = deg.iter().filter(|&&d| d < need_deg).count();
    let mut edges = Vec::with_capacity(2 * m);
    for k in 0..m {
        edges.push((cells.i[k], cells.j[k]));
        edges.push((cells.j[k], cells.i[k]));
    }
    let (_, comps) = strongly_connected_components(&Csr::from_edges(n, &edges));
    let need_frac = ((n as f64).ln() / n as f64).min(1.0);
    if low > 0 || comps > 1 || frac < need_frac {
        return Err(Error::NotIdentifiable {
            reason: format!(
                "too few observed comparisons for robust recovery: {m} of {pairs:.0} pairs observed \
                 (fraction {frac:.4}); recovery needs a connected comparison graph ({comps} component(s) now), \
                 every item in at least {need_deg} observed pairs ({low} item(s) have fewer) and an observed \
                 fraction of at least ln(n)/n = {need_frac:.4}"
            ),
        });
    }
    Ok(())
}

pub(super) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    *m
}

/// How many of its pairs each item may have set aside: `floor(fraction x degree)`, keeping at
/// least one.
pub(super) fn item_budgets(cells: &Cells, fraction: f64) -> Vec<usize> {
    let mut deg = vec![0usize; cells.n];
    for (&i, &j) in cells.i.iter().zip(&cells.j) {
        deg[i as usize] += 1;
        deg[j as usize] += 1;
    }
    deg.iter()
        .map(|&d| ((fraction * d as f64).floor() as usize).min(d.saturating_sub(1)))
        .collect()
}

/// Keep flags after setting aside the cells whose `|r|` exceeds `zeta`, largest first (ties by
/// index), while both of a cell's items are within their budgets. `order` and `used` are scratch.
pub(super) fn trim_within_budget(
    cells: &Cells,
    r: &[f64],
    zeta: f64,
    budget: &[usize],
    order: &mut Vec<u32>,
    used: &mut [usize],
) -> Vec<bool> {
    order.clear();
    order.extend((0..r.len() as u32).filter(|&k| r[k as usize].abs() > zeta));
    order.sort_unstable_by(|&a, &b| {
        r[b as usize]
            .abs()
            .total_cmp(&r[a as usize].abs())
            .then(a.cmp(&b))
    });
    used.iter_mut().for_each(|u| *u = 0);
    let mut keep = vec![true; r.len()];
    for &k in order.iter() {
        let (i, j) = (cells.i[k as usize] as usize, cells.j[k as usize] as usize);
        if used[i] < budget[i] && used[j] < budget[j] {
            used[i] += 1;
            used[j] += 1;
            keep[k as usize] = false;
        }
    }
    keep
}

/// Robust BTL recovery from observed cells (`x`: i beat j, `y`: j beat i, `t`: ties).
pub fn robust_btl(cells: &Cells, o: &MatrixOptions) -> Result<MatrixFit> {
    if !(o.threshold > 0.0 && o.threshold.is_finite()) {
        return Err(Error::invalid(
            "threshold",
            format!("must be > 0, got {}", o.threshold),
        ));
    }
    if !(0.0..1.0).contains(&o.max_corrupt_fraction) {
        return Err(Error::invalid(
            "max_corrupt_fraction",
            format!("must be in [0, 1), got {}", o.max_corrupt_fraction),
        ));
    }
    if !(o.pseudo > 0.0 && o.pseudo.is_finite()) {
        return Err(Error::invalid(
            "pseudo",
            format!("must be > 0, got {}", o.pseudo),
        ));
    }
    if !(o.decay > 0.0 && o.decay < 1.0) {
        return Err(Error::invalid(
            "decay",
            format!("must be in (0, 1), got {}", o.decay),
        ));
    }
    check_observed(cells, o.min_degree)?;
    let n = cells.n;
    let m = cells.len();
    let (l, w) = entries(cells, o.pseudo);
    let sw: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
    let budget = item_budgets(cells, o.max_corrupt_fraction);
    let mut keep = vec![true; m];
    let mut theta = vec![0.0; n];
    project(cells, &l, &w, &keep, &mut theta, 1e-10);
    let mut z = vec![0.0; m];
    let resid = |theta: &[f64], z: &mut [f64]| {
        for k in 0..m {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            z[k] = (l[k] - theta[i] + theta[j]) * sw[k];
        }
    };
    resid(&theta, &mut z);
    let mut zeta = z.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut sigma = 1.0;
    let mut converged = false;
    let mut iterations = 0;
    let mut order: Vec<u32> = Vec::with_capacity(m);
    let mut used = vec![0usize; n];
    let mut scratch = Vec::with_capacity(m);
    for it in 0..o.max_iter {
        crate::cancel::checkpoint()?;
        iterations = it + 1;
        scratch.clear();
        scratch.extend((0..m).filter(|&k| keep[k]).map(|k| z[k].abs()));
        sigma = (1.4826 * median(&mut scratch)).max(1.0);
        let floor = o.threshold * sigma;
        zeta = (zeta * o.decay).max(floor);
        // Sparse step: entries above the threshold, largest first, within each item's budget.
        let new_keep = trim_within_budget(cells, &z, zeta, &budget, &mut order, &mut used);
        let same = new_keep == keep;
        keep = new_keep;
        // Low-rank step.
        project(cells, &l, &w, &keep, &mut theta, 1e-10);
        resid(&theta, &mut z);
        if same && zeta <= floor {
            converged = true;
            break;
        }
    }
    Ok(MatrixFit {
        theta,
        logit: l,
        weight: w,
        residual: z,
        corrupted: keep.iter().map(|k| !k).collect(),
        sigma,
        iterations,
        converged,
    })
}

/// Model probability that `i` beats `j`.
pub fn proba(theta: &[f64], i: usize, j: usize) -> f64 {
    sigmoid(theta[i] - theta[j])
}

//! Label-noise EM: Bradley-Terry where each judge flips the true outcome with probability
//! `eps[judge]` (the latent-correctness idea of LCPO; the `epsilon` of robust DPO).
//!
//! Observed "i beat j" from judge r has probability `(1 - eps_r) s + eps_r (1 - s)` with
//! `s = sigma(theta_i - theta_j)`. EM on the cells `(judge, i, j)` (sufficient statistics: the weight
//! of "i beat j", "j beat i" and ties per judge and pair):
//! - E-step: posterior that an observation is correct, `q = (1-e) s / ((1-e) s + e (1-s))`;
//! - M-step: Bradley-Terry on the soft counts (`bt::fit_cells`, warm-started), and
//!   `eps_r = (wrong_r + shrink * eps) / (total_r + shrink)` where `eps` is the pooled rate
//!   (shrinkage of rarely seen judges towards the pool; `shrink = 0` is the plain MLE).
//!
//! Ties are kept as half a win each way and carry no flip information. Intervals for `eps` are
//! Wald intervals, clipped to `[0, 1/2]`, from the joint observed information of (theta, eps)
//! profiled over theta (the inverse of its Schur complement) for problems up to `JOINT_MAX_*`;
//! beyond that, or when the joint information is not definite, from the information in `eps` with
//! theta held at its estimate (narrower: it ignores the uncertainty of theta).

use super::{EPS_MAX, EPS_MIN};
use crate::data::ComparisonsRef;
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::logistic::sigmoid;
use crate::rank::bt::{fit_cells, BtOptions, Cells, Method, Ties};
use rustc_hash::FxHashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseOptions {
    /// Pseudo-count pulling each judge's rate towards the pooled rate.
    pub shrink: f64,
    /// Gaussian prior precision on theta (0 = none).
    pub alpha: f64,
    /// Initial flip rate.
    pub eps_init: f64,
    pub max_iter: usize,
    /// Convergence: relative change of the observed log-likelihood.
    pub tol: f64,
    /// Normal quantile of the intervals (1.96 for 95%).
    pub z: f64,
}

impl Default for NoiseOptions {
    fn default() -> Self {
        NoiseOptions {
            shrink: 10.0,
            alpha: 0.0,
            eps_init: 0.1,
            max_iter: 1000,
            tol: 1e-8,
            z: 1.959_963_984_540_054,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoiseFit {
    pub theta: Vec<f64>,
    /// Pooled flip rate: expected share of decisive judgments that are flipped.
    pub epsilon: f64,
    pub epsilon_lo: f64,
    pub epsilon_hi: f64,
    pub judge_epsilon: Vec<f64>,
    pub judge_lo: Vec<f64>,
    pub judge_hi: Vec<f64>,
    /// Decisive (non-tie) weight per judge.
    pub judge_weight: Vec<f64>,
    /// Per row: posterior probability that the observed outcome is the true one (NaN for ties
    /// and zero-weight rows).
    pub posterior: Vec<f64>,
    /// Observed-data log-likelihood.
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
    /// True when the intervals account for the uncertainty of theta (the joint observed information,
    /// profiled over theta); false when theta was held at its estimate (problem too large, or the
    /// joint information was not positive definite).
    pub joint_intervals: bool,
}

/// Largest problems whose intervals use the joint information: `n^2 * judges` for the solves with the
/// items' block, `judges^3` for the judges' block.
const JOINT_MAX_WORK: f64 = 2e8;
const JOINT_MAX_JUDGES: usize = 1000;

/// Covariance of the judges' flip rates from the joint observed information of (theta, eps): the
/// inverse of the Schur complement `J_ee - J_et J_tt^-1 J_te`. The items' block is made definite by a
/// multiple of `1 1^T` (the gauge): `J_et 1 = 0`, so the complement does not depend on it. None when
/// the problem is too large or a block is not positive definite.
///
/// Judges whose rate sits at a bound (`slot[g] == usize::MAX`) keep their rate fixed; the covariance
/// is over the others, row `slot[g]` for judge `g`.
fn joint_covariance(
    jc: &JudgeCells,
    theta: &[f64],
    eps: &[f64],
    alpha: f64,
    slot: &[usize],
) -> Option<Vec<f64>> {
    use crate::numeric::linalg::{cholesky, cholesky_solve};
    let n = theta.len();
    let nj = slot.iter().filter(|&&v| v != usize::MAX).count();
    // Beyond the work bound or the memory limit the joint covariance is left out (None).
    let work = n as f64 * n as f64 * nj as f64;
    if nj > JOINT_MAX_JUDGES || work > JOINT_MAX_WORK || n == 0 || !limits::fits::<f64>(&[n, n]) {
        return None;
    }
    let mut jtt = vec![0.0; n * n];
    let mut jte = vec![0.0; n * nj]; // column g holds d2/(dtheta deps_g)
    let mut jee = vec![0.0; nj];
    for k in 0..jc.len() {
        let p = jc.pair[k] as usize;
        let judge = jc.judge[k] as usize;
        let (i, j) = (jc.pi[p] as usize, jc.pj[p] as usize);
        let e = eps[judge];
        let s = sigmoid(theta[i] - theta[j]);
        let sp = s * (1.0 - s);
        let q = e + (1.0 - 2.0 * e) * s;
        let (x, y, t) = (jc.x[k], jc.y[k], jc.t[k]);
        // log-likelihood x ln q + y ln(1 - q) (+ ties: 0.5 t ln(s (1 - s))), q = P(record "i beat j").
        let a = x / q - y / (1.0 - q);
        let b = -x / (q * q) - y / ((1.0 - q) * (1.0 - q));
        let q_t = (1.0 - 2.0 * e) * sp;
        let q_tt = q_t * (1.0 - 2.0 * s);
        let q_e = 1.0 - 2.0 * s;
        let q_te = -2.0 * sp;
        let h_ii = b * q_t * q_t + a * q_tt - t * sp;
        jtt[i * n + i] -= h_ii;
        jtt[j * n + j] -= h_ii;
        jtt[i * n + j] += h_ii;
        jtt[j * n + i] += h_ii;
        let g = slot[judge];
        if g == usize::MAX {
            continue;
        }
        let h_ie = b * q_t * q_e + a * q_te;
        jte[g * n + i] -= h_ie;
        jte[g * n + j] += h_ie;
        jee[g] -= b * q_e * q_e;
    }
    let scale = (0..n).map(|i| jtt[i * n + i]).sum::<f64>() / n as f64;
    for i in 0..n {
        for j in 0..n {
            jtt[i * n + j] += scale.max(1.0) / n as f64;
        }
        jtt[i * n + i] += alpha;
    }
    if !cholesky(&mut jtt, n) {
        return None;
    }
    // S = J_ee - J_et J_tt^-1 J_te.
    let mut solved = jte.clone();
    for g in 0..nj {
        cholesky_solve(&jtt, n, &mut solved[g * n..(g + 1) * n]);
    }
    let mut schur = vec![0.0; nj * nj];
    for g in 0..nj {
        for h in 0..nj {
            let dot: f64 = (0..n).map(|i| jte[g * n + i] * solved[h * n + i]).sum();
            schur[g * nj + h] = if g == h { jee[g] } else { 0.0 } - dot;
        }
    }
    if !cholesky(&mut schur, nj) {
        return None;
    }
    let mut cov = vec![0.0; nj * nj];
    for g in 0..nj {
        let col = &mut cov[g * nj..(g + 1) * nj];
        col[g] = 1.0;
        cholesky_solve(&schur, nj, col);
    }
    Some(cov)
}

/// Pair-outcome cells per judge, with the map back to rows.
#[derive(Debug, Clone, Default)]
pub struct JudgeCells {
    pub judge: Vec<u32>,
    /// Index of the (i, j) pair in `pairs`.
    pub pair: Vec<u32>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub t: Vec<f64>,
    /// Item pairs `i < j`.
    pub pi: Vec<u32>,
    pub pj: Vec<u32>,
    /// Cell of each row (u32::MAX for zero-weight rows).
    pub row_cell: Vec<u32>,
}

impl JudgeCells {
    pub fn build(c: &ComparisonsRef<'_>, judge: Option<&[u32]>) -> Self {
        let mut jc = JudgeCells {
            row_cell: vec![u32::MAX; c.len()],
            ..Default::default()
        };
        let mut cell_of: FxHashMap<(u32, u32, u32), u32> = FxHashMap::default();
        let mut pair_of: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        for r in 0..c.len() {
            let w = c.w(r);
            if w <= 0.0 {
                continue;
            }
            let (a, b) = (c.a[r], c.b[r]);
            let (i, j, pa) = if a < b {
                (a, b, c.p[r])
            } else {
                (b, a, 1.0 - c.p[r])
            };
            let g = judge.map_or(0, |v| v[r]);
            let k = *cell_of.entry((g, i, j)).or_insert_with(|| {
                let np = pair_of.len() as u32;
                let p = *pair_of.entry((i, j)).or_insert_with(|| {
                    jc.pi.push(i);
                    jc.pj.push(j);
                    np
                });
                jc.judge.push(g);
                jc.pair.push(p);
                jc.x.push(0.0);
                jc.y.push(0.0);
                jc.t.push(0.0);
                (jc.judge.len() - 1) as u32
            });
            let ku = k as usize;
            if c.tie[r] != 0 {
                jc.t[ku] += w;
            } else {
                jc.x[ku] += w * pa;
                jc.y[ku] += w * (1.0 - pa);
            }
            jc.row_cell[r] = k;
        }
        jc
    }
    pub fn len(&self) -> usize {
        self.judge.len()
    }
    pub fn is_empty(&self) -> bool {
        self.judge.is_empty()
    }
}

/// Posterior probabilities of correctness for an observed "i beat j" (`qx`) and "j beat i" (`qy`),
/// with the two observation probabilities.
#[inline]
pub fn posterior(d: f64, e: f64) -> (f64, f64, f64, f64) {
    let s = sigmoid(d);
    let px = (1.0 - e) * s + e * (1.0 - s);
    let py = (1.0 - e) * (1.0 - s) + e * s;
    ((1.0 - e) * s / px, (1.0 - e) * (1.0 - s) / py, px, py)
}

fn check(
    c: &ComparisonsRef<'_>,
    judge: Option<&[u32]>,
    n_judges: usize,
    o: &NoiseOptions,
) -> Result<()> {
    if c.is_empty() {
        return Err(Error::Empty {
            what: "the comparison table".into(),
        });
    }
    crate::data::validate_comparisons(c, false)?;
    if let Some(j) = judge {
        if j.len() != c.len() {
            return Err(Error::LengthMismatch {
                left: "a".into(),
                left_len: c.len(),
                right: "judge".into(),
                right_len: j.len(),
            });
        }
        if let Some((row, &g)) = j.iter().enumerate().find(|(_, &g)| g as usize >= n_judges) {
            return Err(Error::CodeOutOfRange {
                row,
                code: g,
                n_items: n_judges,
            });
        }
    }
    let bad = |name: &str, v: f64, ok: bool| -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(name, format!("got {v}")))
        }
    };
    bad("shrink", o.shrink, o.shrink >= 0.0 && o.shrink.is_finite())?;
    bad("alpha", o.alpha, o.alpha >= 0.0 && o.alpha.is_finite())?;
    bad("eps_init", o.eps_init, o.eps_init > 0.0 && o.eps_init < 0.5)?;
    bad("tol", o.tol, o.tol > 0.0)?;
    bad("z", o.z, o.z > 0.0 && o.z.is_finite())?;
    Ok(())
}

/// Fit the label-noise model to raw comparisons; `judge` codes rows by judge (`None`: one judge).
pub fn label_noise(
    c: &ComparisonsRef<'_>,
    judge: Option<&[u32]>,
    n_judges: usize,
    o: &NoiseOptions,
) -> Result<NoiseFit> {
    let n_j = if judge.is_some() { n_judges.max(1) } else { 1 };
    check(c, judge, n_j, o)?;
    let jc = JudgeCells::build(c, judge);
    if jc.is_empty() {
        return Err(Error::Empty {
            what: "the comparison table (every weight is zero)".into(),
        });
    }
    let n = c.n_items;
    let np = jc.pi.len();
    let mut soft = Cells {
        n,
        i: jc.pi.clone(),
        j: jc.pj.clone(),
        x: vec![0.0; np],
        y: vec![0.0; np],
        t: vec![0.0; np],
    };
    let bt_opts = BtOptions {
        ties: Ties::Drop,
        alpha: o.alpha,
        max_iter: 10_000,
        tol: 1e-10,
        method: Method::Auto,
    };
    let mut eps = vec![o.eps_init; n_j];
    let mut theta = vec![0.0; n];
    let mut wrong = vec![0.0; n_j];
    let mut tot = vec![0.0; n_j];
    for k in 0..jc.len() {
        tot[jc.judge[k] as usize] += jc.x[k] + jc.y[k];
    }
    let total: f64 = tot.iter().sum();
    let mut ll_prev = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    let mut ll = f64::NEG_INFINITY;
    let mut pooled = o.eps_init;
    for it in 0..o.max_iter.max(1) {
        crate::cancel::checkpoint()?;
        iterations = it + 1;
        // E-step (and the observed log-likelihood at the current parameters).
        soft.x.iter_mut().for_each(|v| *v = 0.0);
        soft.y.iter_mut().for_each(|v| *v = 0.0);
        wrong.iter_mut().for_each(|v| *v = 0.0);
        ll = 0.0;
        for k in 0..jc.len() {
            let p = jc.pair[k] as usize;
            let g = jc.judge[k] as usize;
            let d = theta[jc.pi[p] as usize] - theta[jc.pj[p] as usize];
            let (qx, qy, px, py) = posterior(d, eps[g]);
            let (x, y, t) = (jc.x[k], jc.y[k], jc.t[k]);
            soft.x[p] += x * qx + y * (1.0 - qy) + 0.5 * t;
            soft.y[p] += y * qy + x * (1.0 - qx) + 0.5 * t;
            wrong[g] += x * (1.0 - qx) + y * (1.0 - qy);
            if x > 0.0 {
                ll += x * px.ln();
            }
            if y > 0.0 {
                ll += y * py.ln();
            }
            if t > 0.0 {
                let s = sigmoid(d);
                ll += 0.5 * t * (s.ln() + (1.0 - s).ln());
            }
        }
        if (ll - ll_prev).abs() <= o.tol * (1.0 + ll.abs()) {
            converged = true;
            break;
        }
        ll_prev = ll;
        // M-step.
        pooled = if total > 0.0 {
            wrong.iter().sum::<f64>() / total
        } else {
            0.0
        };
        for g in 0..n_j {
            let v = (wrong[g] + o.shrink * pooled) / (tot[g] + o.shrink);
            eps[g] = if v.is_finite() { v } else { pooled }.clamp(EPS_MIN, EPS_MAX);
        }
        let f = fit_cells(&soft, &bt_opts, Some(&theta))?;
        theta = f.theta;
    }
    // Final E-step quantities: posteriors per row, information for the intervals.
    let mut info = vec![0.0; n_j];
    let mut cell_q = vec![(0.0, 0.0); jc.len()];
    wrong.iter_mut().for_each(|v| *v = 0.0);
    for (k, q) in cell_q.iter_mut().enumerate() {
        let p = jc.pair[k] as usize;
        let g = jc.judge[k] as usize;
        let d = theta[jc.pi[p] as usize] - theta[jc.pj[p] as usize];
        let (qx, qy, px, py) = posterior(d, eps[g]);
        *q = (qx, qy);
        wrong[g] += jc.x[k] * (1.0 - qx) + jc.y[k] * (1.0 - qy);
        let s = sigmoid(d);
        let dd = (1.0 - 2.0 * s).powi(2);
        info[g] += jc.x[k] * dd / (px * px) + jc.y[k] * dd / (py * py);
    }
    let epsilon = if total > 0.0 {
        wrong.iter().sum::<f64>() / total
    } else {
        0.0
    };
    let _ = pooled;
    let clip = |v: f64| v.clamp(0.0, 0.5);
    let mut judge_lo = vec![0.0; n_j];
    let mut judge_hi = vec![0.5; n_j];
    let mut var_pool = 0.0;
    let weights: Vec<f64> = tot
        .iter()
        .map(|&v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    // A rate pinned at a bound (or without information) is held fixed in the joint system, which
    // would otherwise be singular; its interval comes from its own information.
    let mut slot = vec![usize::MAX; n_j];
    let mut n_free = 0;
    for g in 0..n_j {
        if eps[g] > EPS_MIN && eps[g] < EPS_MAX && info[g] > 0.0 {
            slot[g] = n_free;
            n_free += 1;
        }
    }
    let joint = if n_free > 0 {
        joint_covariance(&jc, &theta, &eps, o.alpha, &slot)
    } else {
        None
    };
    let joint_intervals = joint.is_some();
    let fixed_var = |g: usize| {
        if info[g] > 0.0 {
            1.0 / info[g]
        } else {
            f64::INFINITY
        }
    };
    let var_of = |g: usize, h: usize| -> f64 {
        match (&joint, slot[g], slot[h]) {
            (Some(cov), a, b) if a != usize::MAX && b != usize::MAX => cov[a * n_free + b],
            _ if g == h => fixed_var(g),
            _ => 0.0,
        }
    };
    for g in 0..n_j {
        let var = var_of(g, g);
        let se = var.max(0.0).sqrt();
        judge_lo[g] = clip(eps[g] - o.z * se);
        judge_hi[g] = clip(eps[g] + o.z * se);
    }
    // Pooled rate: the decisive-weight average of the judges' rates (their covariances when joint).
    for g in 0..n_j {
        if weights[g] == 0.0 {
            continue;
        }
        for h in 0..n_j {
            if weights[h] != 0.0 && (g == h || joint_intervals) {
                var_pool += weights[g] * weights[h] * var_of(g, h);
            }
        }
    }
    let se_pool = var_pool.max(0.0).sqrt();
    let mut post = vec![f64::NAN; c.len()];
    for (r, out) in post.iter_mut().enumerate() {
        let k = jc.row_cell[r];
        if k == u32::MAX || c.tie[r] != 0 {
            continue;
        }
        let (qx, qy) = cell_q[k as usize];
        let pa = if c.a[r] < c.b[r] {
            c.p[r]
        } else {
            1.0 - c.p[r]
        };
        // pa = weight on "i beat j" in the cell's orientation.
        *out = pa * qx + (1.0 - pa) * qy;
    }
    Ok(NoiseFit {
        theta,
        epsilon,
        epsilon_lo: clip(epsilon - o.z * se_pool),
        epsilon_hi: clip(epsilon + o.z * se_pool),
        judge_epsilon: eps,
        judge_lo,
        judge_hi,
        judge_weight: tot,
        posterior: post,
        loglik: ll,
        iterations,
        converged,
        joint_intervals,
    })
}

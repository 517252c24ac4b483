//! Trimmed Bradley-Terry refit after robust recovery: flag, refit, flag again.
//!
//! The matrix step ([`super::matrix::robust_btl`]) works on empirical logits weighted by their
//! delta-method precision. That weight is tiny for lopsided pairs (20-0 gives `w ~ 0.5` against
//! `~5` for 10-10), so an attack that makes pairs lopsided is damped but rarely *flagged*, and the
//! estimate is not the Bradley-Terry MLE (it gives up BT's efficiency on clean data). The refit
//! measures misfit in BT's own likelihood instead and ends with a BT fit on the pairs it keeps:
//!
//! 1. start from the matrix step's `theta` and its flags;
//! 2. fit Bradley-Terry (ties half) by maximum likelihood on the kept pairs, warm-started;
//! 3. for every observed pair, the signed deviance residual
//!    `r = sign(x - n s) sqrt(2 [x ln(x / (n s)) + y ln(y / (n (1 - s)))])` with `s = sigma(theta_i -
//!    theta_j)`: the signed root of the likelihood-ratio statistic of "this pair has its own win
//!    probability" against BTL, about N(0, 1) on clean pairs;
//! 4. flag pairs with `|r| > threshold * sigma_hat` (`sigma_hat` = 1.4826 x median |r| over the kept
//!    pairs, at least 1), largest first, at most `max_corrupt_fraction` of each item's observed pairs;
//! 5. repeat 2-4 until the flagged set does not change (or repeats an earlier set: a cycle).
//!
//! The fits of step 2 stop at a loose gradient tolerance while the flags move; once they are stable,
//! a fit at the full tolerance must reproduce them (else the rounds go on).
//!
//! The MLE of step 2 exists when the kept pairs' win graph is strongly connected; otherwise the fit
//! uses a Gaussian prior of precision `fallback_alpha`. Cost per round: one warm-started BT fit on the
//! kept pairs plus O(|Omega| log |Omega|) for the flags.

use super::matrix::{item_budgets, median, trim_within_budget, MatrixFit};
use crate::error::{Error, Result};
use crate::numeric::logistic::softplus;
use crate::rank::bt::{self, BtOptions, Cells, Method, Ties};

/// Gradient tolerance of the BT fits while the flags still move, and of the final fit.
pub const TOL_LOOSE: f64 = 1e-6;
pub const TOL_TIGHT: f64 = 1e-10;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefitOptions {
    /// Threshold on deviance residuals (in units of their robust scale).
    pub threshold: f64,
    /// Largest share of an item's observed pairs the refit may set aside. Default 0.49: an item's
    /// strength is identifiable from its pairs while a majority of them are clean, so the budget
    /// sits just below one half (0.4 left attacks on 41-45% of an item's pairs partly unflagged).
    pub max_corrupt_fraction: f64,
    /// Gaussian prior precision of the refit (0 = maximum likelihood).
    pub alpha: f64,
    /// Prior precision used instead when `alpha == 0` and the kept pairs leave the MLE undefined.
    pub fallback_alpha: f64,
    /// Largest number of flag-refit rounds.
    pub max_iter: usize,
}

impl Default for RefitOptions {
    fn default() -> Self {
        RefitOptions {
            threshold: 3.0,
            max_corrupt_fraction: 0.49,
            alpha: 0.0,
            fallback_alpha: 1e-6,
            max_iter: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefitResult {
    /// The fit; `residual` holds signed deviance residuals, `corrupted` the refit's flags,
    /// `iterations` the matrix step's plus the refit's rounds.
    pub fit: MatrixFit,
    /// Flag-refit rounds.
    pub rounds: usize,
    /// Prior precision of the final BT fit (`alpha`, or `fallback_alpha` where the MLE was undefined).
    pub alpha_used: f64,
}

/// Signed deviance residual of a pair with `x` wins of `i`, `y` of `j` (ties already folded in) at
/// `d = theta_i - theta_j`.
pub fn deviance_residual(x: f64, y: f64, d: f64) -> f64 {
    let n = x + y;
    if n <= 0.0 {
        return 0.0;
    }
    let (ls, l1s) = (-softplus(-d), -softplus(d)); // ln s, ln(1 - s)
    let ln_n = n.ln();
    let tx = if x > 0.0 {
        x * (x.ln() - ln_n - ls)
    } else {
        0.0
    };
    let ty = if y > 0.0 {
        y * (y.ln() - ln_n - l1s)
    } else {
        0.0
    };
    let dev = (2.0 * (tx + ty)).max(0.0);
    let s = (-softplus(-d)).exp();
    let sign = if x - n * s >= 0.0 { 1.0 } else { -1.0 };
    sign * dev.sqrt()
}

/// Hash of a kept/flagged set (`DefaultHasher::new()` has fixed keys: deterministic).
fn set_hash(keep: &[bool]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    keep.hash(&mut h);
    h.finish()
}

fn kept_cells(cells: &Cells, keep: &[bool]) -> Cells {
    let mut c = Cells {
        n: cells.n,
        ..Default::default()
    };
    for k in (0..cells.len()).filter(|&k| keep[k]) {
        c.i.push(cells.i[k]);
        c.j.push(cells.j[k]);
        c.x.push(cells.x[k]);
        c.y.push(cells.y[k]);
        c.t.push(cells.t[k]);
    }
    c
}

/// BT fit of the kept cells (ties half) to gradient tolerance `tol`; the MLE where it exists (the
/// kept win graph is strongly connected), else the fit with the fallback prior.
fn fit_kept(cells: &Cells, theta: &mut [f64], o: &RefitOptions, tol: f64) -> Result<(f64, bool)> {
    let opts = |alpha| BtOptions {
        ties: Ties::Half,
        alpha,
        tol,
        method: Method::Auto,
        ..Default::default()
    };
    let (alpha, f) = match bt::fit_cells(cells, &opts(o.alpha), Some(theta)) {
        Err(Error::NotIdentifiable { .. }) if o.alpha == 0.0 => (
            o.fallback_alpha,
            bt::fit_cells(cells, &opts(o.fallback_alpha), Some(theta))?,
        ),
        r => (o.alpha, r?),
    };
    theta.copy_from_slice(&f.theta);
    Ok((alpha, f.converged))
}

/// Trimmed Bradley-Terry refit starting from a robust matrix fit (`start`, computed on `cells`).
pub fn trimmed_refit(cells: &Cells, start: &MatrixFit, o: &RefitOptions) -> Result<RefitResult> {
    if !(o.threshold > 0.0 && o.threshold.is_finite()) {
        return Err(Error::invalid(
            "threshold",
            format!("must be > 0, got {}", o.threshold),
        ));
    }
    if !(0.0..1.0).contains(&o.max_corrupt_fraction) {
        return Err(Error::invalid(
            "refit_fraction",
            format!("must be in [0, 1), got {}", o.max_corrupt_fraction),
        ));
    }
    if !(o.alpha >= 0.0 && o.alpha.is_finite()) {
        return Err(Error::invalid(
            "alpha",
            format!("must be a finite number >= 0, got {}", o.alpha),
        ));
    }
    if !(o.fallback_alpha > 0.0 && o.fallback_alpha.is_finite()) {
        return Err(Error::invalid(
            "fallback_alpha",
            format!("must be a finite number > 0, got {}", o.fallback_alpha),
        ));
    }
    let n = cells.n;
    let m = cells.len();
    if start.corrupted.len() != m || start.theta.len() != n {
        return Err(Error::LengthMismatch {
            left: "cells".into(),
            left_len: m,
            right: "start fit".into(),
            right_len: start.corrupted.len(),
        });
    }
    let budget = item_budgets(cells, o.max_corrupt_fraction);
    let mut keep: Vec<bool> = start.corrupted.iter().map(|c| !c).collect();
    let mut theta = start.theta.clone();
    let mut r = vec![0.0; m];
    let mut sigma = 1.0;
    let mut alpha_used = o.alpha;
    let mut converged = false;
    let mut rounds = 0;
    let mut seen: Vec<u64> = Vec::new();
    let mut order: Vec<u32> = Vec::with_capacity(m);
    let mut scratch = Vec::with_capacity(m);
    let mut used = vec![0usize; n];
    // Rounds fit to a loose tolerance; once the flags are stable, one more round at the full
    // tolerance must reproduce them.
    let mut tight = false;
    for it in 0..o.max_iter.max(1) {
        crate::cancel::checkpoint()?;
        rounds = it + 1;
        let tol = if tight { TOL_TIGHT } else { TOL_LOOSE };
        let (a, fit_ok) = fit_kept(&kept_cells(cells, &keep), &mut theta, o, tol)?;
        alpha_used = a;
        for (k, rk) in r.iter_mut().enumerate() {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            *rk = deviance_residual(cells.x[k], cells.y[k], theta[i] - theta[j]);
        }
        scratch.clear();
        scratch.extend((0..m).filter(|&k| keep[k]).map(|k| r[k].abs()));
        sigma = (1.4826 * median(&mut scratch)).max(1.0);
        let zeta = o.threshold * sigma;
        let new_keep = trim_within_budget(cells, &r, zeta, &budget, &mut order, &mut used);
        if new_keep == keep {
            if tight {
                converged = fit_ok;
                break;
            }
            tight = true;
            continue;
        }
        tight = false;
        // A set seen before: the rounds cycle; stop at the current fit (not converged).
        let h = set_hash(&new_keep);
        if seen.contains(&h) {
            break;
        }
        seen.push(set_hash(&keep));
        keep = new_keep;
    }
    Ok(RefitResult {
        fit: MatrixFit {
            theta,
            logit: start.logit.clone(),
            weight: start.weight.clone(),
            residual: r,
            corrupted: keep.iter().map(|k| !k).collect(),
            sigma,
            iterations: start.iterations + rounds,
            converged: converged && start.converged,
        },
        rounds,
        alpha_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::robust::matrix::{robust_btl, MatrixOptions};

    fn sim(n: usize, per: f64, attack: &[(usize, usize)]) -> Cells {
        let theta: Vec<f64> = (0..n).map(|k| 1.5 - 3.0 * k as f64 / n as f64).collect();
        let mut c = Cells {
            n,
            ..Default::default()
        };
        for i in 0..n {
            for j in (i + 1)..n {
                let s = 1.0 / (1.0 + (theta[j] - theta[i]).exp());
                let (mut x, mut y) = ((per * s).round(), per - (per * s).round());
                if attack.contains(&(i, j)) {
                    (x, y) = (0.0, per);
                }
                c.i.push(i as u32);
                c.j.push(j as u32);
                c.x.push(x);
                c.y.push(y);
                c.t.push(0.0);
            }
        }
        c
    }

    #[test]
    fn robust_refit_deviance_residual() {
        assert!(deviance_residual(10.0, 10.0, 0.0).abs() < 1e-6);
        // 20-0 at s = 1/2: sqrt(2 * 20 ln 2).
        let r = deviance_residual(20.0, 0.0, 0.0);
        assert!((r - (40.0f64 * 2f64.ln()).sqrt()).abs() < 1e-12);
        assert!(deviance_residual(0.0, 20.0, 0.0) < 0.0);
        assert!(deviance_residual(5.0, 0.0, 40.0).abs() < 1e-6);
    }

    #[test]
    fn robust_refit_flags_attack_and_keeps_top() {
        // Item 0 loses every comparison to its five strongest opponents.
        let attack: Vec<(usize, usize)> = (1..6).map(|j| (0, j)).collect();
        let c = sim(30, 20.0, &attack);
        let start = robust_btl(&c, &MatrixOptions::default()).unwrap();
        let f = trimmed_refit(&c, &start, &RefitOptions::default()).unwrap();
        assert!(f.fit.converged);
        let top = (0..30)
            .max_by(|&a, &b| f.fit.theta[a].total_cmp(&f.fit.theta[b]))
            .unwrap();
        assert_eq!(top, 0);
        for k in 0..c.len() {
            let bad = attack.contains(&(c.i[k] as usize, c.j[k] as usize));
            if bad {
                assert!(f.fit.corrupted[k], "attacked pair {k} not flagged");
            }
        }
        assert_eq!(f.alpha_used, 0.0);
    }

    #[test]
    fn robust_refit_budget_reaches_just_under_half() {
        // Item 0 loses every comparison to its 14 strongest opponents: 14 of its 29 pairs (48%).
        // The default budget (49%) sets all of them aside and keeps item 0 on top; a 40% budget
        // (11 pairs) leaves 3 in and loses it.
        let attack: Vec<(usize, usize)> = (1..15).map(|j| (0, j)).collect();
        let c = sim(30, 20.0, &attack);
        let start = robust_btl(&c, &MatrixOptions::default()).unwrap();
        let top = |t: &[f64]| (0..30).max_by(|&a, &b| t[a].total_cmp(&t[b])).unwrap();
        let bad: Vec<bool> = (0..c.len())
            .map(|k| attack.contains(&(c.i[k] as usize, c.j[k] as usize)))
            .collect();
        let f = trimmed_refit(&c, &start, &RefitOptions::default()).unwrap();
        assert!(f.fit.converged);
        assert_eq!(top(&f.fit.theta), 0);
        assert_eq!(f.fit.corrupted, bad);
        let o = RefitOptions {
            max_corrupt_fraction: 0.4,
            ..Default::default()
        };
        let g = trimmed_refit(&c, &start, &o).unwrap();
        let flagged = (0..c.len())
            .filter(|&k| bad[k] && g.fit.corrupted[k])
            .count();
        assert_eq!(flagged, 11);
        assert_ne!(top(&g.fit.theta), 0);
    }

    #[test]
    fn robust_refit_clean_equals_bt() {
        let c = sim(20, 20.0, &[]);
        let start = robust_btl(&c, &MatrixOptions::default()).unwrap();
        let f = trimmed_refit(&c, &start, &RefitOptions::default()).unwrap();
        assert!(f.fit.corrupted.iter().all(|b| !b));
        let bt = bt::fit_cells(&c, &BtOptions::default(), None).unwrap();
        for (a, b) in f.fit.theta.iter().zip(&bt.theta) {
            assert!((a - b).abs() < 1e-6);
        }
        let o = RefitOptions {
            max_corrupt_fraction: 1.0,
            ..Default::default()
        };
        assert!(matches!(
            trimmed_refit(&c, &start, &o),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

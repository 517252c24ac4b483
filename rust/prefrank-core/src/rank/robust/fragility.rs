//! Fragility of a Bradley-Terry leaderboard: a small set of comparisons whose removal changes the
//! top item (or flips the order of a given pair).
//!
//! Greedy by influence: at the current fit, removing one "i beat j" comparison moves the target gap
//! `theta_t - theta_s` by about `-(v_i - v_j)(1 - sigma(theta_i - theta_j))` with
//! `v = H^{-1}(e_t - e_s)` (`H` the Fisher information; one Newton step), and removing one
//! "j beat i" by `(v_i - v_j) sigma(theta_i - theta_j)`. Each step removes the comparison that
//! lowers the gap most, then refits exactly (warm-started Newton). When the goal is reached the set is
//! pruned (each removal is put back if the goal still holds without it) and confirmed by a refit
//! from scratch. The set is an upper bound on the smallest such set (the exact problem is
//! combinatorial); it is minimal in the sense that no single removal can be undone.

use crate::error::{Error, Result};
use crate::numeric::linalg::{cholesky, cholesky_solve};
use crate::numeric::logistic::sigmoid;
use crate::rank::bt::{fit_cells, BtOptions, Cells, Method, Ties, NEWTON_MAX_ITEMS};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FragilityOptions {
    pub max_remove: usize,
    pub alpha: f64,
}

impl Default for FragilityOptions {
    fn default() -> Self {
        FragilityOptions {
            max_remove: 1000,
            alpha: 0.0,
        }
    }
}

/// One removed comparison: cell index and direction (`true`: "i beat j").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    pub cell: u32,
    pub i_won: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FragilityResult {
    /// Removed comparisons (one unit of weight each).
    pub removed: Vec<Removal>,
    /// `(t, s)`: the target pair, `t` ahead before removal.
    pub target: (u32, u32),
    /// Top item before and after removal.
    pub top_before: u32,
    pub top_after: u32,
    pub theta_before: Vec<f64>,
    pub theta_after: Vec<f64>,
    /// True when the goal was reached (and confirmed by a refit from scratch).
    pub found: bool,
}

fn opts(alpha: f64) -> BtOptions {
    BtOptions {
        ties: Ties::Drop,
        alpha,
        max_iter: 1000,
        tol: 1e-10,
        method: Method::Newton,
    }
}

fn argmax(v: &[f64]) -> usize {
    let mut b = 0;
    for k in 1..v.len() {
        if v[k] > v[b] {
            b = k;
        }
    }
    b
}

fn fit(cells: &Cells, alpha: f64, init: Option<&[f64]>) -> Result<Vec<f64>> {
    match fit_cells(cells, &opts(alpha), init) {
        Ok(f) => Ok(f.theta),
        // Removing wins can leave an item without wins or losses: fall back to a weak prior.
        Err(Error::NotIdentifiable { .. }) if alpha == 0.0 => {
            Ok(fit_cells(cells, &opts(1e-6), init)?.theta)
        }
        Err(e) => Err(e),
    }
}

fn apply(cells: &mut Cells, r: Removal, sign: f64) {
    let k = r.cell as usize;
    if r.i_won {
        cells.x[k] -= sign;
    } else {
        cells.y[k] -= sign;
    }
}

/// `cells` hold the counts the model is fitted to (ties folded in by the caller); `removable`
/// caps how many "i beat j" / "j beat i" comparisons of each cell may be removed (the decisive
/// counts when ties are folded in; `None`: the cell counts). `pair`: a target pair to flip instead
/// of the top item.
pub fn fragility(
    cells: &Cells,
    removable: Option<(&[f64], &[f64])>,
    pair: Option<(u32, u32)>,
    o: &FragilityOptions,
) -> Result<FragilityResult> {
    let n = cells.n;
    if n > NEWTON_MAX_ITEMS {
        return Err(Error::invalid(
            "items",
            format!("fragility uses dense influence and supports up to {NEWTON_MAX_ITEMS} items, got {n}"),
        ));
    }
    if n < 2 {
        return Err(Error::NotIdentifiable {
            reason: format!("fragility needs at least 2 items, got {n}"),
        });
    }
    if let Some((a, b)) = pair {
        if a as usize >= n || b as usize >= n || a == b {
            return Err(Error::invalid(
                "pair",
                format!("({a}, {b}) is not a pair of distinct items"),
            ));
        }
    }
    let theta0 = fit_cells(cells, &opts(o.alpha), None)?.theta;
    let top0 = argmax(&theta0);
    let (t, s_fixed) = match pair {
        Some((a, b)) => {
            if theta0[a as usize] >= theta0[b as usize] {
                (a as usize, Some(b as usize))
            } else {
                (b as usize, Some(a as usize))
            }
        }
        None => (top0, None),
    };
    let runner = |th: &[f64]| -> usize {
        let mut b = usize::MAX;
        for k in 0..n {
            if k != t && (b == usize::MAX || th[k] > th[b]) {
                b = k;
            }
        }
        b
    };
    // A flip must be clear of round-off: ties do not count.
    let margin = 1e-9;
    let goal = |th: &[f64]| -> bool {
        match s_fixed {
            Some(s) => th[s] > th[t] + margin,
            None => (0..n).any(|k| k != t && th[k] > th[t] + margin),
        }
    };
    if let Some((rx, ry)) = removable {
        if rx.len() != cells.len() || ry.len() != cells.len() {
            return Err(Error::LengthMismatch {
                left: "cells".into(),
                left_len: cells.len(),
                right: "removable".into(),
                right_len: rx.len().min(ry.len()),
            });
        }
    }
    let (cap_x, cap_y) = removable.unwrap_or((&cells.x, &cells.y));
    let mut left_x = cap_x.to_vec();
    let mut left_y = cap_y.to_vec();
    let mut cur = cells.clone();
    let mut theta = theta0.clone();
    let mut removed: Vec<Removal> = Vec::new();
    let mut h = vec![0.0; n * n];
    let mut v = vec![0.0; n];
    let mut reached = goal(&theta);
    while !reached && removed.len() < o.max_remove {
        crate::cancel::checkpoint()?;
        let s = s_fixed.unwrap_or_else(|| runner(&theta));
        h.iter_mut().for_each(|x| *x = 0.0);
        for k in 0..cur.len() {
            let (i, j) = (cur.i[k] as usize, cur.j[k] as usize);
            let p = sigmoid(theta[i] - theta[j]);
            let w = (cur.x[k] + cur.y[k]) * p * (1.0 - p);
            h[i * n + i] += w;
            h[j * n + j] += w;
            h[i * n + j] -= w;
            h[j * n + i] -= w;
        }
        let gauge = 1.0 / n as f64;
        for a in 0..n {
            for b in 0..n {
                h[a * n + b] += gauge;
            }
            h[a * n + a] += o.alpha + 1e-12;
        }
        if !cholesky(&mut h, n) {
            break;
        }
        v.iter_mut().for_each(|x| *x = 0.0);
        v[t] = 1.0;
        v[s] = -1.0;
        cholesky_solve(&h, n, &mut v);
        let mut best: Option<(f64, Removal)> = None;
        for k in 0..cur.len() {
            let (i, j) = (cur.i[k] as usize, cur.j[k] as usize);
            let p = sigmoid(theta[i] - theta[j]);
            let dv = v[i] - v[j];
            if cur.x[k] >= 1.0 && left_x[k] >= 1.0 {
                let dg = -dv * (1.0 - p);
                if best.is_none_or(|b| dg < b.0) {
                    best = Some((
                        dg,
                        Removal {
                            cell: k as u32,
                            i_won: true,
                        },
                    ));
                }
            }
            if cur.y[k] >= 1.0 && left_y[k] >= 1.0 {
                let dg = dv * p;
                if best.is_none_or(|b| dg < b.0) {
                    best = Some((
                        dg,
                        Removal {
                            cell: k as u32,
                            i_won: false,
                        },
                    ));
                }
            }
        }
        let Some((dg, r)) = best else { break };
        if dg >= 0.0 {
            break;
        }
        apply(&mut cur, r, 1.0);
        if r.i_won {
            left_x[r.cell as usize] -= 1.0;
        } else {
            left_y[r.cell as usize] -= 1.0;
        }
        removed.push(r);
        theta = fit(&cur, o.alpha, Some(&theta))?;
        reached = goal(&theta);
    }
    if reached && !removed.is_empty() {
        // Prune: put back each removal whose absence is not needed.
        let mut k = removed.len();
        while k > 0 {
            crate::cancel::checkpoint()?;
            k -= 1;
            let r = removed[k];
            apply(&mut cur, r, -1.0);
            let th = fit(&cur, o.alpha, Some(&theta))?;
            if goal(&th) {
                removed.remove(k);
                theta = th;
            } else {
                apply(&mut cur, r, 1.0);
            }
        }
        // Confirm from scratch.
        theta = fit(&cur, o.alpha, None)?;
        reached = goal(&theta);
    }
    Ok(FragilityResult {
        removed,
        target: (
            t as u32,
            s_fixed.map_or_else(|| runner(&theta) as u32, |s| s as u32),
        ),
        top_before: top0 as u32,
        top_after: argmax(&theta) as u32,
        theta_before: theta0,
        theta_after: theta,
        found: reached,
    })
}

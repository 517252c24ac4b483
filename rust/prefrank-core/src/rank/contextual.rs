//! Contextual Bradley-Terry ("style control", as Chatbot Arena uses it): per-comparison covariate
//! differences enter the logit next to the item strengths,
//! `P(a beats b | x) = sigma(theta_a - theta_b + beta . x)`, where `x` is the row's covariate
//! difference (features of a's response minus those of b's). The fitted `theta` are the
//! "controlled" strengths; `beta` are the covariate coefficients.
//!
//! This is a logistic regression on the design `[onehot(a) - onehot(b), x]` without intercept;
//! with `alpha = alpha_beta = 1 / C` it equals scikit-learn's `LogisticRegression(C=C,
//! fit_intercept=False)` (ties split into half a win each way, as soft labels). Covariates vary by
//! row, so each pass runs over the rows (in fixed chunks reduced by [`tree_map_reduce`]: results do
//! not depend on the thread count). Solver: damped Newton with the dense Hessian up to
//! [`NEWTON_MAX_PARAMS`] parameters, L-BFGS beyond.

use super::bt::{components, in_range, Cells, Ties};
use super::plackett_luce::newton_minimise;
use crate::data::{validate_comparisons, ComparisonsRef, PairCounts};
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::logistic::{sigmoid, softplus};
use crate::numeric::optim::lbfgs;
use crate::numeric::scale::{all_finite, times_pow2};
use crate::par::{n_chunks, tree_map_reduce, ROW_CHUNK};

/// Up to this many parameters (items + covariates) the solver is Newton.
pub const NEWTON_MAX_PARAMS: usize = 1500;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContextualOptions {
    /// `Half` (a tie is a soft label 0.5) or `Drop`.
    pub ties: Ties,
    /// L2 penalty on the item strengths (0 = none; then the win graph must be strongly connected).
    pub alpha: f64,
    /// L2 penalty on the covariate coefficients.
    pub alpha_beta: f64,
    pub max_iter: usize,
    pub tol: f64,
}

impl Default for ContextualOptions {
    fn default() -> Self {
        ContextualOptions {
            ties: Ties::Half,
            alpha: 0.0,
            alpha_beta: 0.0,
            max_iter: 200,
            tol: 1e-9,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContextualFit {
    /// Controlled log-strengths (centred without a prior on them).
    pub theta: Vec<f64>,
    /// Covariate coefficients (log-odds per unit of covariate difference).
    pub beta: Vec<f64>,
    /// Log-likelihood (without penalty terms).
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
}

struct Acc {
    ll: f64,
    grad: Vec<f64>,
    hess: Vec<f64>,
}

/// Fit the contextual model. `x` is row-major `rows x d` (the covariate differences).
pub fn fit(
    c: &ComparisonsRef<'_>,
    x: &[f64],
    d: usize,
    opts: &ContextualOptions,
) -> Result<ContextualFit> {
    let n = c.n_items;
    let rows = c.len();
    for (name, v) in [("alpha", opts.alpha), ("alpha_beta", opts.alpha_beta)] {
        if !(v >= 0.0 && v.is_finite()) {
            return Err(Error::invalid(
                name,
                format!("must be a finite number >= 0, got {v}"),
            ));
        }
    }
    if opts.tol.is_nan() || opts.tol <= 0.0 {
        return Err(Error::invalid(
            "tol",
            format!("must be > 0, got {}", opts.tol),
        ));
    }
    if !matches!(opts.ties, Ties::Half | Ties::Drop) {
        return Err(Error::invalid(
            "ties",
            "the contextual model supports ties='half' or 'drop'",
        ));
    }
    if rows == 0 {
        return Err(Error::Empty {
            what: "the comparison table".into(),
        });
    }
    if x.len() != rows * d {
        return Err(Error::LengthMismatch {
            left: "comparisons x covariates".into(),
            left_len: rows * d,
            right: "covariate values".into(),
            right_len: x.len(),
        });
    }
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            row: k / d.max(1),
            column: format!("covariate {}", k % d.max(1)),
            value: x[k],
        });
    }
    validate_comparisons(c, false)?;
    let keep: Option<Vec<bool>> = if opts.ties == Ties::Drop {
        Some(c.tie.iter().map(|&t| t == 0).collect())
    } else {
        None
    };
    let counts = PairCounts::from_comparisons(c, keep.as_deref(), None)?;
    let cells = Cells::from_counts(&counts, opts.ties);
    if opts.alpha == 0.0 && n > 1 {
        if cells.is_empty() {
            return Err(Error::NotIdentifiable {
                reason: "no comparisons remain (after tie handling): nothing to fit".into(),
            });
        }
        let (_, k) = components(&cells);
        if k > 1 {
            return Err(Error::NotIdentifiable {
                reason: format!(
                    "the comparison graph is not strongly connected ({k} components): some items never win or never lose against the rest; pass alpha > 0 to fit with a prior"
                ),
            });
        }
    }
    let m = n + d;
    let drop = opts.ties == Ties::Drop;
    // Without a prior the fit does not depend on the weights' scale: every row weight is multiplied
    // by the exact power of two `bt::fit_cells` would use (f1 * f2), and the log-likelihood reported
    // on the weights' own scale. With a prior the weights are counts, used as given.
    let (scaled, shift) = in_range(&cells, opts.alpha)?;
    let (f1, f2) = (2f64.powi(shift / 2), 2f64.powi(shift - shift / 2));
    let total = scaled.total();
    let scale = (total / n.max(1) as f64).max(1.0);
    let gtol = opts.tol * scale;
    let gauge = if opts.alpha == 0.0 {
        scale / n as f64
    } else {
        0.0
    };
    let (alpha, alpha_b) = (opts.alpha, opts.alpha_beta);

    let accumulate = |p: &[f64], want: u8, lo: usize, hi: usize| -> Acc {
        let mut acc = Acc {
            ll: 0.0,
            grad: if want > 0 { vec![0.0; m] } else { Vec::new() },
            hess: if want > 1 {
                vec![0.0; m * m]
            } else {
                Vec::new()
            },
        };
        let beta = &p[n..];
        for r in lo..hi {
            if drop && c.tie[r] != 0 {
                continue;
            }
            let (a, b) = (c.a[r] as usize, c.b[r] as usize);
            let w = c.w(r) * f1 * f2;
            let y = c.p[r];
            let xr = &x[r * d..(r + 1) * d];
            let z = p[a] - p[b] + crate::simd::dot(beta, xr);
            let s = sigmoid(z);
            acc.ll -= w * (y * softplus(-z) + (1.0 - y) * softplus(z));
            if want == 0 {
                continue;
            }
            let gz = w * (s - y);
            acc.grad[a] += gz;
            acc.grad[b] -= gz;
            for (gk, &xk) in acc.grad[n..].iter_mut().zip(xr) {
                *gk += gz * xk;
            }
            if want == 1 {
                continue;
            }
            let hz = w * s * (1.0 - s);
            let h = &mut acc.hess;
            h[a * m + a] += hz;
            h[b * m + b] += hz;
            h[a * m + b] -= hz;
            h[b * m + a] -= hz;
            for k in 0..d {
                let v = hz * xr[k];
                h[a * m + n + k] += v;
                h[(n + k) * m + a] += v;
                h[b * m + n + k] -= v;
                h[(n + k) * m + b] -= v;
                let row = &mut h[(n + k) * m + n..(n + k) * m + n + d];
                for (l, hv) in row.iter_mut().enumerate() {
                    *hv += v * xr[l];
                }
            }
        }
        acc
    };
    let pass = |p: &[f64], want: u8| -> Acc {
        let chunk = if want > 1 {
            ROW_CHUNK.max(2 * m * m)
        } else {
            ROW_CHUNK
        };
        let map = |ch: usize| accumulate(p, want, ch * chunk, ((ch + 1) * chunk).min(rows));
        let merge = |mut a: Acc, b: Acc| {
            a.ll += b.ll;
            crate::simd::add_assign(&mut a.grad, &b.grad);
            crate::simd::add_assign(&mut a.hess, &b.hess);
            a
        };
        tree_map_reduce(n_chunks(rows, chunk), &map, &merge).expect("rows > 0")
    };
    // Objective = -LL + penalties + gauge; its gradient written into g.
    let finish = |p: &[f64], acc: &Acc, g: Option<&mut [f64]>| -> f64 {
        let th = &p[..n];
        let be = &p[n..];
        let sum: f64 = th.iter().sum();
        let v = -acc.ll
            + 0.5 * alpha * crate::simd::dot(th, th)
            + 0.5 * alpha_b * crate::simd::dot(be, be)
            + 0.5 * gauge * sum * sum;
        if let Some(g) = g {
            for i in 0..n {
                g[i] = acc.grad[i] + alpha * p[i] + gauge * sum;
            }
            for k in 0..d {
                g[n + k] = acc.grad[n + k] + alpha_b * p[n + k];
            }
        }
        v
    };
    let p0 = vec![0.0; m];
    // Newton holds one m x m Hessian partial per worker thread besides its own.
    let newton = m <= NEWTON_MAX_PARAMS && limits::fits::<f64>(&[m, m, limits::parallel_copies()]);
    let (mut p, iterations, converged) = if newton {
        newton_minimise(m, p0, opts.max_iter, gtol, |p, out| match out {
            None => finish(p, &pass(p, 0), None),
            Some((g, h)) => {
                let acc = pass(p, 2);
                let v = finish(p, &acc, Some(g));
                h.copy_from_slice(&acc.hess);
                for i in 0..n {
                    for j in 0..n {
                        h[i * m + j] += gauge;
                    }
                    h[i * m + i] += alpha;
                }
                for k in 0..d {
                    h[(n + k) * m + n + k] += alpha_b;
                }
                v
            }
        })
    } else {
        let r = lbfgs(
            |p, g| {
                let acc = pass(p, 1);
                finish(p, &acc, Some(g))
            },
            p0,
            10,
            opts.max_iter.max(1000),
            gtol,
        );
        (r.x, r.iterations, r.converged)
    };
    if alpha == 0.0 {
        let mean = p[..n].iter().sum::<f64>() / n as f64;
        p[..n].iter_mut().for_each(|t| *t -= mean);
    }
    let ll = pass(&p, 0).ll;
    // The solvers stop early when the call is cancelled.
    crate::cancel::checkpoint()?;
    // A test passed on non-finite values is no convergence.
    let converged = converged && all_finite(&p) && ll.is_finite();
    let ll = times_pow2(ll, -shift);
    Ok(ContextualFit {
        theta: p[..n].to_vec(),
        beta: p[n..].to_vec(),
        loglik: ll,
        iterations,
        converged,
    })
}

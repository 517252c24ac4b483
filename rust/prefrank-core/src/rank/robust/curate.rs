//! Batched per-prompt curation: millions of small ranking problems (2..=255 responses per prompt,
//! scored by several judges) fitted in one parallel call.
//!
//! Input: a `prompts x responses x judges` score tensor (row-major, NaN = not scored). Judge `r`
//! prefers response `a` to `b` in a prompt when its score of `a` is higher; equal scores are ties
//! and carry no information. Model (Dawid-Skene with a Bradley-Terry prior): per prompt, strengths
//! `theta` with a Gaussian prior of precision `alpha`; each pair of responses has one latent true
//! preference, `P(a beats b) = sigma(theta_a - theta_b)`; every judge reports it flipped with
//! probability `eps[judge]`, shared by all prompts, independently of the other judges. Generalised
//! EM: each pass computes the posterior of every latent preference, takes one Newton step of every
//! prompt's strengths on those soft outcomes, and re-estimates `eps` from the pooled expected flips. Prompts are processed in fixed chunks in parallel; the
//! per-judge sums are reduced in chunk order, so results are identical for any thread count.
//!
//! Output pairs `(prompt, chosen, rejected, weight)`: `weight` is the posterior probability that
//! `chosen` truly beats `rejected` given the judges' votes on that pair, their flip rates and the
//! prompt's fitted strengths (log-odds `theta_c - theta_r + sum_r vote_r ln((1-eps_r)/eps_r)`).

use super::{sigmoid, softplus, EPS_MAX, EPS_MIN};
use crate::error::{Error, Result};
use crate::rank::linalg::{cholesky, cholesky_solve};
use rayon::prelude::*;

/// Prompts per parallel chunk (fixed: results do not depend on the machine).
pub const PROMPT_CHUNK: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairMode {
    /// Every observed pair of responses.
    All,
    /// The best against the worst response of each prompt.
    BestWorst,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurateOptions {
    pub alpha: f64,
    pub eps_init: f64,
    pub max_iter: usize,
    /// Converged when no judge's flip rate moves by more than `tol` in a pass.
    pub tol: f64,
    pub pairs: PairMode,
    /// Pairs with a weight below this are dropped.
    pub min_weight: f64,
}

impl Default for CurateOptions {
    fn default() -> Self {
        CurateOptions {
            alpha: 1.0,
            eps_init: 0.1,
            max_iter: 100,
            tol: 1e-5,
            pairs: PairMode::All,
            min_weight: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Curated {
    pub prompt: Vec<u32>,
    pub chosen: Vec<u32>,
    pub rejected: Vec<u32>,
    pub weight: Vec<f64>,
    /// Flip rate per judge.
    pub judge_epsilon: Vec<f64>,
    /// Decisive votes per judge.
    pub judge_votes: Vec<f64>,
    /// Pooled flip rate of the judges' decisive votes.
    pub label_epsilon: f64,
    /// Expected share of emitted pairs whose orientation is wrong: mean of `1 - weight`.
    pub epsilon: f64,
    /// `prompts x responses` strengths (NaN for responses no judge scored).
    pub theta: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

struct Dims {
    r: usize,
    j: usize,
}

/// One generalised-EM step for one prompt: E-step at `th`, one Newton step in place.
/// `lj`: per judge `(ln(1 - eps), ln eps)`.
/// `acc`: expected wrong votes per judge, decisive votes per judge, then the log-likelihood.
#[allow(clippy::too_many_arguments)]
fn prompt_step(
    sc: &[f64],
    th: &mut [f64],
    lj: &[(f64, f64)],
    alpha: f64,
    d: &Dims,
    acc: &mut [f64],
    h: &mut [f64],
    g: &mut [f64],
) {
    let (nr, nj) = (d.r, d.j);
    h.iter_mut().for_each(|v| *v = 0.0);
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut ll = 0.0;
    for a in 0..nr {
        if th[a].is_nan() {
            continue;
        }
        let sa = &sc[a * nj..(a + 1) * nj];
        for b in a + 1..nr {
            if th[b].is_nan() {
                continue;
            }
            let sb = &sc[b * nj..(b + 1) * nj];
            // Log-likelihood of the votes if a truly beats b (l1) and if b beats a (l0).
            let (mut l1, mut l0) = (0.0, 0.0);
            let mut decisive = false;
            for r in 0..nj {
                let (u, v) = (sa[r], sb[r]);
                if u > v {
                    l1 += lj[r].0;
                    l0 += lj[r].1;
                    decisive = true;
                } else if u < v {
                    l1 += lj[r].1;
                    l0 += lj[r].0;
                    decisive = true;
                }
            }
            if !decisive {
                continue;
            }
            let dd = th[a] - th[b];
            let s = sigmoid(dd);
            // Posterior that a truly beats b; log marginal of the votes.
            let z = dd + l1 - l0;
            let mu = sigmoid(z);
            let (u1, u0) = (l1 - softplus(-dd), l0 - softplus(dd));
            let m = u1.max(u0);
            ll += m + ((u1 - m).exp() + (u0 - m).exp()).ln();
            for r in 0..nj {
                let (u, v) = (sa[r], sb[r]);
                if u > v {
                    acc[r] += 1.0 - mu;
                    acc[nj + r] += 1.0;
                } else if u < v {
                    acc[r] += mu;
                    acc[nj + r] += 1.0;
                }
            }
            let gr = mu - s;
            g[a] += gr;
            g[b] -= gr;
            let w = s * (1.0 - s);
            h[a * nr + a] += w;
            h[b * nr + b] += w;
            h[a * nr + b] -= w;
            h[b * nr + a] -= w;
        }
    }
    acc[2 * nj] += ll;
    for a in 0..nr {
        if th[a].is_nan() {
            // Unscored response: keep it out of the system.
            h[a * nr + a] = 1.0;
            g[a] = 0.0;
            continue;
        }
        g[a] -= alpha * th[a];
        h[a * nr + a] += alpha;
    }
    if cholesky(h, nr) {
        cholesky_solve(h, nr, g);
        for a in 0..nr {
            th[a] += g[a];
        }
    }
}

/// Validate the tensor: finite or NaN, dimensions consistent.
fn check(
    scores: &[f64],
    n_prompts: usize,
    n_resp: usize,
    n_judges: usize,
    o: &CurateOptions,
) -> Result<()> {
    if n_prompts == 0 {
        return Err(Error::Empty {
            what: "the score tensor".into(),
        });
    }
    if !(2..=255).contains(&n_resp) {
        return Err(Error::invalid(
            "responses",
            format!("each prompt needs 2 to 255 responses, got {n_resp}"),
        ));
    }
    if n_judges == 0 {
        return Err(Error::invalid("judges", "need at least one judge"));
    }
    let want = n_prompts * n_resp * n_judges;
    if scores.len() != want {
        return Err(Error::LengthMismatch {
            left: "prompts x responses x judges".into(),
            left_len: want,
            right: "scores".into(),
            right_len: scores.len(),
        });
    }
    if let Some(k) = scores.iter().position(|v| v.is_infinite()) {
        return Err(Error::NonFinite {
            row: k / (n_resp * n_judges),
            column: "scores".into(),
            value: scores[k],
        });
    }
    if !(o.alpha > 0.0 && o.alpha.is_finite()) {
        return Err(Error::invalid(
            "alpha",
            format!(
                "must be > 0 (each prompt is a tiny problem), got {}",
                o.alpha
            ),
        ));
    }
    if !(o.eps_init > 0.0 && o.eps_init < 0.5) {
        return Err(Error::invalid(
            "eps_init",
            format!("must be in (0, 1/2), got {}", o.eps_init),
        ));
    }
    if !(o.tol > 0.0) {
        return Err(Error::invalid("tol", format!("must be > 0, got {}", o.tol)));
    }
    if !(0.0..=1.0).contains(&o.min_weight) {
        return Err(Error::invalid(
            "min_weight",
            format!("must be in [0, 1], got {}", o.min_weight),
        ));
    }
    Ok(())
}

/// Fit the batched model and emit cleaned pairs.
pub fn curate_scores(
    scores: &[f64],
    n_prompts: usize,
    n_resp: usize,
    n_judges: usize,
    o: &CurateOptions,
) -> Result<Curated> {
    check(scores, n_prompts, n_resp, n_judges, o)?;
    let d = Dims {
        r: n_resp,
        j: n_judges,
    };
    let stride = n_resp * n_judges;
    // theta = 0 for scored responses, NaN for responses no judge scored.
    let mut theta = vec![0.0; n_prompts * n_resp];
    theta
        .par_chunks_mut(PROMPT_CHUNK * n_resp)
        .enumerate()
        .for_each(|(c, th)| {
            let p0 = c * PROMPT_CHUNK;
            for (q, t) in th.chunks_exact_mut(n_resp).enumerate() {
                let sc = &scores[(p0 + q) * stride..(p0 + q + 1) * stride];
                for a in 0..n_resp {
                    if sc[a * n_judges..(a + 1) * n_judges]
                        .iter()
                        .all(|v| v.is_nan())
                    {
                        t[a] = f64::NAN;
                    }
                }
            }
        });
    let mut eps = vec![o.eps_init; n_judges];
    let mut votes = vec![0.0; n_judges];
    let mut converged = false;
    let mut iterations = 0;
    let mut ll_prev = f64::NEG_INFINITY;
    for it in 0..o.max_iter.max(1) {
        iterations = it + 1;
        let lj: Vec<(f64, f64)> = eps.iter().map(|&e| ((1.0 - e).ln(), e.ln())).collect();
        let lj_ref = &lj;
        let parts: Vec<Vec<f64>> = theta
            .par_chunks_mut(PROMPT_CHUNK * n_resp)
            .enumerate()
            .map(|(c, th)| {
                let p0 = c * PROMPT_CHUNK;
                let mut acc = vec![0.0; 2 * n_judges + 1];
                let mut h = vec![0.0; n_resp * n_resp];
                let mut g = vec![0.0; n_resp];
                for (q, t) in th.chunks_exact_mut(n_resp).enumerate() {
                    let sc = &scores[(p0 + q) * stride..(p0 + q + 1) * stride];
                    prompt_step(sc, t, lj_ref, o.alpha, &d, &mut acc, &mut h, &mut g);
                }
                acc
            })
            .collect();
        let mut acc = vec![0.0; 2 * n_judges + 1];
        for p in &parts {
            crate::simd::add_assign(&mut acc, p);
        }
        let mut change = 0.0f64;
        for r in 0..n_judges {
            votes[r] = acc[n_judges + r];
            let v = if votes[r] > 0.0 {
                acc[r] / votes[r]
            } else {
                eps[r]
            };
            let v = v.clamp(EPS_MIN, EPS_MAX);
            change = change.max((v - eps[r]).abs());
            eps[r] = v;
        }
        // The first pass starts from theta = 0, where the E-step returns eps unchanged.
        let ll = acc[2 * n_judges];
        if it > 0 && change <= o.tol && (ll - ll_prev).abs() <= 1e-8 * (1.0 + ll.abs()) {
            converged = true;
            break;
        }
        ll_prev = ll;
    }
    let total_votes: f64 = votes.iter().sum();
    let label_epsilon = if total_votes > 0.0 {
        eps.iter().zip(&votes).map(|(e, v)| e * v).sum::<f64>() / total_votes
    } else {
        0.0
    };
    // Emit pairs, chunk by chunk, concatenated in chunk order.
    let lo: Vec<f64> = eps.iter().map(|e| ((1.0 - e) / e).ln()).collect();
    let n_chunks = n_prompts.div_ceil(PROMPT_CHUNK);
    type Out = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<f64>);
    let outs: Vec<Out> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let mut out: Out = Default::default();
            let p_hi = ((c + 1) * PROMPT_CHUNK).min(n_prompts);
            for p in c * PROMPT_CHUNK..p_hi {
                let sc = &scores[p * stride..(p + 1) * stride];
                let th = &theta[p * n_resp..(p + 1) * n_resp];
                let mut emit = |a: usize, b: usize| {
                    let mut z = th[a] - th[b];
                    let mut seen = false;
                    for r in 0..n_judges {
                        let (u, v) = (sc[a * n_judges + r], sc[b * n_judges + r]);
                        if u.is_nan() || v.is_nan() {
                            continue;
                        }
                        seen = true;
                        if u > v {
                            z += lo[r];
                        } else if u < v {
                            z -= lo[r];
                        }
                    }
                    if !seen || z == 0.0 {
                        return;
                    }
                    let w = sigmoid(z.abs());
                    if w < o.min_weight {
                        return;
                    }
                    let (ch, rj) = if z > 0.0 { (a, b) } else { (b, a) };
                    out.0.push(p as u32);
                    out.1.push(ch as u32);
                    out.2.push(rj as u32);
                    out.3.push(w);
                };
                match o.pairs {
                    PairMode::All => {
                        for a in 0..n_resp {
                            if th[a].is_nan() {
                                continue;
                            }
                            for b in a + 1..n_resp {
                                if !th[b].is_nan() {
                                    emit(a, b);
                                }
                            }
                        }
                    }
                    PairMode::BestWorst => {
                        let (mut best, mut worst) = (usize::MAX, usize::MAX);
                        for a in 0..n_resp {
                            if th[a].is_nan() {
                                continue;
                            }
                            if best == usize::MAX || th[a] > th[best] {
                                best = a;
                            }
                            if worst == usize::MAX || th[a] < th[worst] {
                                worst = a;
                            }
                        }
                        if best != usize::MAX && best != worst {
                            emit(best.min(worst), best.max(worst));
                        }
                    }
                }
            }
            out
        })
        .collect();
    let total: usize = outs.iter().map(|o| o.0.len()).sum();
    let mut res = Curated {
        prompt: Vec::with_capacity(total),
        chosen: Vec::with_capacity(total),
        rejected: Vec::with_capacity(total),
        weight: Vec::with_capacity(total),
        judge_epsilon: eps,
        judge_votes: votes,
        label_epsilon,
        epsilon: 0.0,
        theta,
        iterations,
        converged,
    };
    for o in outs {
        res.prompt.extend_from_slice(&o.0);
        res.chosen.extend_from_slice(&o.1);
        res.rejected.extend_from_slice(&o.2);
        res.weight.extend_from_slice(&o.3);
    }
    res.epsilon = if total > 0 {
        res.weight.iter().map(|w| 1.0 - w).sum::<f64>() / total as f64
    } else {
        0.0
    };
    Ok(res)
}

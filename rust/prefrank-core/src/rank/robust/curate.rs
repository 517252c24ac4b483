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
//! A pair's votes are coded as one base-3 pattern (none, first, second per judge), so each EM pass
//! costs two exponentials per pair and the per-judge sums reduce to sums per pattern.
//!
//! Output pairs `(prompt, chosen, rejected, weight)` (pairs with at least one decisive vote):
//! `weight` is the posterior probability that
//! `chosen` truly beats `rejected` given the judges' votes on that pair, their flip rates and the
//! prompt's fitted strengths (log-odds `theta_c - theta_r + sum_r vote_r ln((1-eps_r)/eps_r)`).

use super::{sigmoid, EPS_MAX, EPS_MIN};
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
            tol: 1e-4,
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

/// Most judges per tensor: vote patterns of a pair are coded in base 3 (`3^10` patterns).
pub const MAX_JUDGES: usize = 10;

/// One generalised-EM step for one prompt: E-step at `th`, one Newton step in place.
/// `pp`: vote pattern of each pair `(a < b)` in lexicographic order (0 = no decisive vote);
/// `tab[k]`: log-likelihood ratio `ln P(votes | a > b) - ln P(votes | b > a)` of pattern `k`;
/// `post`: sums of the posterior `P(a > b | votes)` per pattern.
fn prompt_step(
    pp: &[u16],
    th: &mut [f64],
    tab: &[f64],
    alpha: f64,
    post: &mut [f64],
    h: &mut [f64],
    g: &mut [f64],
) {
    let nr = th.len();
    h.iter_mut().for_each(|v| *v = 0.0);
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut idx = 0;
    for a in 0..nr {
        for b in a + 1..nr {
            let k = pp[idx] as usize;
            idx += 1;
            if k == 0 {
                continue;
            }
            let dd = th[a] - th[b];
            let s = sigmoid(dd);
            let mu = sigmoid(dd + tab[k]);
            post[k] += mu;
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

/// Vote of judge `r` in pattern `k`: 0 none/tie, 1 first response preferred, 2 second.
#[inline]
fn vote(k: usize, r: usize) -> usize {
    (k / 3usize.pow(r as u32)) % 3
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
    if n_judges == 0 || n_judges > MAX_JUDGES {
        return Err(Error::invalid(
            "judges",
            format!("need 1 to {MAX_JUDGES} judges per score tensor, got {n_judges}"),
        ));
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
    if o.tol.is_nan() || o.tol <= 0.0 {
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
    let stride = n_resp * n_judges;
    let npairs = n_resp * (n_resp - 1) / 2;
    let n_pat = 3usize.pow(n_judges as u32);
    // Vote pattern of every (prompt, pair); theta = 0 for scored responses, NaN otherwise.
    let mut pat = vec![0u16; n_prompts * npairs];
    let mut theta = vec![0.0; n_prompts * n_resp];
    let counts: Vec<Vec<f64>> = pat
        .par_chunks_mut(PROMPT_CHUNK * npairs)
        .zip(theta.par_chunks_mut(PROMPT_CHUNK * n_resp))
        .enumerate()
        .map(|(c, (pp, th))| {
            let mut cnt = vec![0.0; n_pat];
            let p0 = c * PROMPT_CHUNK;
            for (q, (pq, t)) in pp
                .chunks_exact_mut(npairs)
                .zip(th.chunks_exact_mut(n_resp))
                .enumerate()
            {
                let sc = &scores[(p0 + q) * stride..(p0 + q + 1) * stride];
                for a in 0..n_resp {
                    if sc[a * n_judges..(a + 1) * n_judges]
                        .iter()
                        .all(|v| v.is_nan())
                    {
                        t[a] = f64::NAN;
                    }
                }
                let mut idx = 0;
                for a in 0..n_resp {
                    for b in a + 1..n_resp {
                        let mut k = 0usize;
                        let mut m = 1usize;
                        for r in 0..n_judges {
                            let (u, v) = (sc[a * n_judges + r], sc[b * n_judges + r]);
                            if u > v {
                                k += m;
                            } else if u < v {
                                k += 2 * m;
                            }
                            m *= 3;
                        }
                        pq[idx] = k as u16;
                        cnt[k] += 1.0;
                        idx += 1;
                    }
                }
            }
            cnt
        })
        .collect();
    let mut cnt = vec![0.0; n_pat];
    for c in &counts {
        crate::simd::add_assign(&mut cnt, c);
    }
    let mut votes = vec![0.0; n_judges];
    for (k, &ck) in cnt.iter().enumerate().skip(1) {
        for (r, v) in votes.iter_mut().enumerate() {
            if vote(k, r) != 0 {
                *v += ck;
            }
        }
    }
    let table = |eps: &[f64]| -> Vec<f64> {
        let lo: Vec<f64> = eps.iter().map(|e| ((1.0 - e) / e).ln()).collect();
        (0..n_pat)
            .map(|k| {
                (0..n_judges)
                    .map(|r| match vote(k, r) {
                        1 => lo[r],
                        2 => -lo[r],
                        _ => 0.0,
                    })
                    .sum()
            })
            .collect()
    };
    let mut eps = vec![o.eps_init; n_judges];
    let mut converged = false;
    let mut iterations = 0;
    // SQUAREM-style extrapolation of the flip rates from three successive EM maps (Varadhan and
    // Roland 2008): EM converges slowly here because every pair's latent preference is missing.
    let mut hist: Vec<Vec<f64>> = vec![eps.clone()];
    for it in 0..o.max_iter.max(1) {
        iterations = it + 1;
        let tab = table(&eps);
        let tab_ref = &tab;
        let parts: Vec<Vec<f64>> = theta
            .par_chunks_mut(PROMPT_CHUNK * n_resp)
            .zip(pat.par_chunks(PROMPT_CHUNK * npairs))
            .map(|(th, pp)| {
                let mut post = vec![0.0; n_pat];
                let mut h = vec![0.0; n_resp * n_resp];
                let mut g = vec![0.0; n_resp];
                for (t, pq) in th.chunks_exact_mut(n_resp).zip(pp.chunks_exact(npairs)) {
                    prompt_step(pq, t, tab_ref, o.alpha, &mut post, &mut h, &mut g);
                }
                post
            })
            .collect();
        let mut post = vec![0.0; n_pat];
        for p in &parts {
            crate::simd::add_assign(&mut post, p);
        }
        let mut change = 0.0f64;
        for r in 0..n_judges {
            // Expected wrong votes: a vote for the first response is wrong with P(second > first).
            let mut wrong = 0.0;
            for k in 1..n_pat {
                match vote(k, r) {
                    1 => wrong += cnt[k] - post[k],
                    2 => wrong += post[k],
                    _ => {}
                }
            }
            let v = if votes[r] > 0.0 {
                wrong / votes[r]
            } else {
                eps[r]
            };
            let v = v.clamp(EPS_MIN, EPS_MAX);
            change = change.max((v - eps[r]).abs());
            eps[r] = v;
        }
        // The first pass starts from theta = 0; require a second pass before stopping.
        if it > 0 && change <= o.tol {
            converged = true;
            break;
        }
        hist.push(eps.clone());
        if hist.len() == 3 {
            let (e0, e1, e2) = (&hist[0], &hist[1], &hist[2]);
            let (mut rr, mut vv) = (0.0, 0.0);
            for r in 0..n_judges {
                let d1 = e1[r] - e0[r];
                let d2 = e2[r] - 2.0 * e1[r] + e0[r];
                rr += d1 * d1;
                vv += d2 * d2;
            }
            if vv > 0.0 {
                let step = -(rr / vv).sqrt().max(1.0);
                for r in 0..n_judges {
                    let d1 = e1[r] - e0[r];
                    let d2 = e2[r] - 2.0 * e1[r] + e0[r];
                    eps[r] = (e0[r] - 2.0 * step * d1 + step * step * d2).clamp(EPS_MIN, EPS_MAX);
                }
            }
            hist.clear();
            hist.push(eps.clone());
        }
    }
    let total_votes: f64 = votes.iter().sum();
    let label_epsilon = if total_votes > 0.0 {
        eps.iter().zip(&votes).map(|(e, v)| e * v).sum::<f64>() / total_votes
    } else {
        0.0
    };
    // Emit pairs, chunk by chunk, concatenated in chunk order.
    let tab = table(&eps);
    let n_chunks = n_prompts.div_ceil(PROMPT_CHUNK);
    type Out = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<f64>);
    let outs: Vec<Out> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let mut out: Out = Default::default();
            let p_hi = ((c + 1) * PROMPT_CHUNK).min(n_prompts);
            for p in c * PROMPT_CHUNK..p_hi {
                let th = &theta[p * n_resp..(p + 1) * n_resp];
                let pp = &pat[p * npairs..(p + 1) * npairs];
                let pair_index = |a: usize, b: usize| a * n_resp - a * (a + 1) / 2 + (b - a - 1);
                let mut emit = |a: usize, b: usize| {
                    let k = pp[pair_index(a, b)] as usize;
                    let z = th[a] - th[b] + tab[k];
                    if z == 0.0 || z.is_nan() {
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
                            for b in a + 1..n_resp {
                                if pp[pair_index(a, b)] != 0 {
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

//! Luce Spectral Ranking for ranking data: LSR and its iterated form ILSR on Plackett-Luce
//! observations ([`Rankings`]: full rankings, top-k rankings, choice sets) (Maystre & Grossglauser
//! 2015, "Fast and accurate inference of Plackett-Luce models").
//!
//! Every choice stage `s` of an observation (winner `o_s` chosen from the remaining members
//! `o_s, o_{s+1}, ...`) adds `w / Z_s` to the rate `loser -> o_s` of every other remaining member,
//! where `w` is the observation's weight and `Z_s = sum_{t >= s} pi[o_t]` is the total strength of
//! the remaining set (`pi` all ones for one-step LSR). The estimate is the chain's stationary
//! distribution; iterating LSR from its own estimate (ILSR) converges to the Plackett-Luce maximum
//! likelihood. `alpha > 0` adds `alpha` to every off-diagonal rate, as choix's `lsr_rankings`,
//! `ilsr_rankings`, `lsr_top1` and `ilsr_top1` do (`alpha` initialises their chain).
//!
//! Up to [`DENSE_MAX_ITEMS`](super::spectral::DENSE_MAX_ITEMS) items the rates are accumulated into a dense matrix (per fixed chunk
//! of observations, merged by [`tree_map_reduce`]) and solved exactly by the pairwise module's
//! stationary solver. Beyond, the chain is never materialised: uniformised power iteration applies
//! it observation by observation in O(members) (suffix sums of `pi` over each remaining set), also
//! over fixed chunks. Results are therefore identical for any thread count.

use super::plackett_luce::{check_identifiable, in_range, Rankings, OBS_CHUNK};
use super::spectral::{
    check_mass, check_options, dense_path, iterate_lsr, log_centre, power_iterate, stationary,
    Chain, SpectralFit, SpectralOptions,
};
use crate::error::{Error, Result};
use crate::limits;
use crate::par::{n_chunks, tree_map_reduce};

fn check(rk: &Rankings, opts: &SpectralOptions) -> Result<()> {
    check_options(opts)?;
    if rk.n == 0 {
        return Err(Error::Empty {
            what: "the item set".into(),
        });
    }
    if opts.alpha == 0.0 && rk.n > 1 {
        check_identifiable(
            rk,
            "the Markov chain has no unique stationary distribution; pass alpha > 0 to regularise",
        )?;
    }
    Ok(())
}

/// Visit the choice stages of observations `lo..hi`: `f(members, stage, w / Z_stage)` where
/// `Z_stage` is the total strength of the members remaining at that stage (`strengths` `None`:
/// all ones). `suffix` is a scratch buffer.
#[inline]
fn for_stages<F>(
    rk: &Rankings,
    strengths: Option<&[f64]>,
    lo: usize,
    hi: usize,
    suffix: &mut Vec<f64>,
    mut f: F,
) where
    F: FnMut(&[u32], usize, f64),
{
    for r in lo..hi {
        let k = rk.stages(r);
        let w = rk.weight[r];
        if k == 0 || w <= 0.0 {
            continue;
        }
        let o = &rk.items[rk.offsets[r]..rk.offsets[r + 1]];
        match strengths {
            None => {
                let m = o.len();
                for s in 0..k {
                    f(o, s, w / (m - s) as f64);
                }
            }
            Some(p) => {
                // Exact suffix sums (no running subtraction: no cancellation).
                suffix.clear();
                suffix.resize(o.len(), 0.0);
                let mut z = 0.0;
                for t in (0..o.len()).rev() {
                    z += p[o[t] as usize];
                    suffix[t] = z;
                }
                for (s, z) in suffix[..k].iter().enumerate() {
                    f(o, s, w / z);
                }
            }
        }
    }
}

/// Chunk length over observations for a pass whose per-chunk partial costs `partial` numbers.
fn chunk_len(partial: usize) -> usize {
    OBS_CHUNK.max(partial / 4)
}

fn add_vecs(mut a: Vec<f64>, b: Vec<f64>) -> Vec<f64> {
    crate::simd::add_assign(&mut a, &b);
    a
}

/// Dense rate matrix `rate[from * n + to]` of the LSR chain (without `alpha`).
fn dense_rates(rk: &Rankings, strengths: Option<&[f64]>) -> Vec<f64> {
    let n = rk.n;
    let chunk = chunk_len(n * n);
    let map = |c: usize| {
        let mut q = vec![0.0; n * n];
        let mut suffix = Vec::new();
        let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(rk.len()));
        for_stages(rk, strengths, lo, hi, &mut suffix, |o, s, v| {
            let winner = o[s] as usize;
            for &loser in &o[s + 1..] {
                q[loser as usize * n + winner] += v;
            }
        });
        q
    };
    tree_map_reduce(n_chunks(rk.len(), chunk), &map, &add_vecs).unwrap_or_else(|| vec![0.0; n * n])
}

/// One LSR solve from `strengths` (`None`: ones): `(pi scaled to sum n, iterations, converged)`.
fn lsr_step(
    rk: &Rankings,
    opts: &SpectralOptions,
    strengths: Option<&[f64]>,
) -> Result<(Vec<f64>, usize, bool)> {
    let n = rk.n;
    if n == 1 {
        return Ok((vec![1.0], 1, true));
    }
    // The rate partials (one per worker), the merged rates and the chain's LU matrix.
    if dense_path(n, opts.dense, limits::parallel_copies() + 1)? {
        let q = dense_rates(rk, strengths);
        let mut ch = Chain::with_capacity(n, opts.alpha, q.iter().filter(|&&v| v != 0.0).count());
        for (idx, &v) in q.iter().enumerate() {
            ch.push((idx / n) as u32, (idx % n) as u32, v);
        }
        let dense = SpectralOptions {
            dense: Some(true),
            ..*opts
        };
        return stationary(&ch, &dense, None);
    }
    lsr_step_sparse(rk, opts, strengths)
}

/// Matrix-free LSR step: per stage coefficients `c = w / Z_s`; out-rate of member `t` is the sum
/// of `c` over the stages it lost, inflow of winner `o_s` is `c * sum_{t > s} pi[o_t]`.
fn lsr_step_sparse(
    rk: &Rankings,
    opts: &SpectralOptions,
    strengths: Option<&[f64]>,
) -> Result<(Vec<f64>, usize, bool)> {
    let n = rk.n;
    let len = rk.len();
    // Stage coefficients, flat: observation r's stages start at stage_off[r].
    let mut stage_off = Vec::with_capacity(len + 1);
    stage_off.push(0usize);
    for r in 0..len {
        let k = if rk.weight[r] > 0.0 { rk.stages(r) } else { 0 };
        stage_off.push(stage_off[r] + k);
    }
    let mut coef = vec![0.0; stage_off[len]];
    {
        let mut suffix = Vec::new();
        let mut at = 0;
        for_stages(rk, strengths, 0, len, &mut suffix, |_, _, v| {
            coef[at] = v;
            at += 1;
        });
    }
    let chunk = chunk_len(n);
    let chunks = n_chunks(len, chunk);
    // Total out-rates (alpha included).
    let out_map = |c: usize| {
        let mut out = vec![0.0; n];
        for r in c * chunk..((c + 1) * chunk).min(len) {
            let o = &rk.items[rk.offsets[r]..rk.offsets[r + 1]];
            let cs = &coef[stage_off[r]..stage_off[r + 1]];
            let mut run = 0.0;
            for (t, &it) in o.iter().enumerate().skip(1) {
                if t <= cs.len() {
                    run += cs[t - 1];
                }
                out[it as usize] += run;
            }
        }
        out
    };
    let mut out = tree_map_reduce(chunks, &out_map, &add_vecs).unwrap_or_else(|| vec![0.0; n]);
    let base_out = opts.alpha * (n - 1) as f64;
    out.iter_mut().for_each(|v| *v += base_out);
    let inflow_map = |pi: &[f64], c: usize| {
        let mut inflow = vec![0.0; n];
        for r in c * chunk..((c + 1) * chunk).min(len) {
            let o = &rk.items[rk.offsets[r]..rk.offsets[r + 1]];
            let cs = &coef[stage_off[r]..stage_off[r + 1]];
            if cs.is_empty() {
                continue;
            }
            // Sum of pi over the members after the last stage's winner, then walk back.
            let k = cs.len();
            let mut rest: f64 = o[k..].iter().map(|&i| pi[i as usize]).sum();
            for s in (0..k).rev() {
                inflow[o[s] as usize] += cs[s] * rest;
                rest += pi[o[s] as usize];
            }
        }
        inflow
    };
    let (pi, it, ok) = power_iterate(
        opts.alpha,
        &out,
        opts.max_iter,
        opts.tol,
        strengths,
        |pi, buf| {
            let v = tree_map_reduce(chunks, &|c| inflow_map(pi, c), &add_vecs)
                .unwrap_or_else(|| vec![0.0; n]);
            buf.copy_from_slice(&v);
        },
    );
    crate::cancel::checkpoint()?;
    check_mass(&pi)?;
    Ok((pi, it, ok))
}

/// One LSR step from strengths `strengths` (`None`: all ones), as choix's `lsr_rankings` /
/// `lsr_top1` with `initial_params = log(strengths)`.
pub fn lsr_rankings(
    rk: &Rankings,
    opts: &SpectralOptions,
    strengths: Option<&[f64]>,
) -> Result<SpectralFit> {
    check(rk, opts)?;
    // Without a prior the estimate does not depend on the weights' scale: keep them in range.
    let (rk, _) = in_range(rk, opts.alpha);
    let rk = &*rk;
    if let Some(p) = strengths {
        if p.len() != rk.n {
            return Err(Error::LengthMismatch {
                left: "items".into(),
                left_len: rk.n,
                right: "strengths".into(),
                right_len: p.len(),
            });
        }
        if let Some(i) = p.iter().position(|&v| !(v > 0.0 && v.is_finite())) {
            return Err(Error::invalid(
                "strengths",
                format!("item code {i}: strength {} must be finite and > 0", p[i]),
            ));
        }
    }
    let (pi, it, ok) = lsr_step(rk, opts, strengths)?;
    let theta = log_centre(&pi);
    Ok(SpectralFit {
        // A zero or non-finite strength is no convergence.
        converged: ok && crate::numeric::scale::all_finite(&theta),
        theta,
        iterations: it,
    })
}

/// Iterated LSR on rankings: LSR repeated from its own estimate until the L1 change of the
/// centred log-strengths is at most `tol`. Converges to the Plackett-Luce MLE (with choix's
/// `alpha` regularisation when `alpha > 0`).
pub fn ilsr_rankings(rk: &Rankings, opts: &SpectralOptions) -> Result<SpectralFit> {
    check(rk, opts)?;
    let (rk, _) = in_range(rk, opts.alpha);
    let rk = &*rk;
    iterate_lsr(rk.n, opts, |w| lsr_step(rk, opts, Some(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::plackett_luce::{fit, PlOptions};

    fn rk(n: usize, obs: &[(&[u32], u32)], weight: Option<Vec<f64>>) -> Rankings {
        let mut offsets = vec![0];
        let mut items = Vec::new();
        let mut k = Vec::new();
        for (o, kk) in obs {
            items.extend_from_slice(o);
            offsets.push(items.len());
            k.push(*kk);
        }
        Rankings::new(n, offsets, items, k, weight).unwrap()
    }

    fn opts(dense: bool) -> SpectralOptions {
        SpectralOptions {
            tol: 1e-13,
            dense: Some(dense),
            ..Default::default()
        }
    }

    #[test]
    fn two_items_closed_form() {
        // 3 wins vs 1: LSR from ones is already the MLE, pi_0 / pi_1 = 3.
        let r = rk(2, &[(&[0, 1], 2), (&[1, 0], 1)], Some(vec![3.0, 1.0]));
        for dense in [true, false] {
            let f = lsr_rankings(&r, &opts(dense), None).unwrap();
            assert!(
                (f.theta[0] - f.theta[1] - 3f64.ln()).abs() < 1e-9,
                "{dense}"
            );
        }
    }

    #[test]
    fn ilsr_is_the_pl_mle_dense_and_sparse() {
        let r = rk(
            5,
            &[
                (&[0, 1, 2, 3, 4], 5),
                (&[2, 0, 3], 1),
                (&[3, 1, 0, 2], 2),
                (&[1, 2], 1),
                (&[4, 3, 2, 1, 0], 2),
                (&[2, 4, 0], 3),
                (&[1, 4, 3], 1),
            ],
            Some(vec![1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 3.0]),
        );
        let mle = fit(
            &r,
            &PlOptions {
                tol: 1e-13,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        for dense in [true, false] {
            let f = ilsr_rankings(&r, &opts(dense)).unwrap();
            assert!(f.converged);
            for k in 0..5 {
                assert!(
                    (f.theta[k] - mle.theta[k]).abs() < 1e-8,
                    "{dense} {:?} {:?}",
                    f.theta,
                    mle.theta
                );
            }
        }
    }

    #[test]
    fn dense_and_sparse_lsr_agree_with_alpha_and_strengths() {
        let r = rk(
            4,
            &[(&[0, 1, 2, 3], 2), (&[3, 2, 1], 1), (&[1, 0], 2)],
            None,
        );
        let p = [0.5, 2.0, 1.0, 0.5];
        let mut o = opts(true);
        o.alpha = 0.3;
        let a = lsr_rankings(&r, &o, Some(&p)).unwrap();
        o.dense = Some(false);
        let b = lsr_rankings(&r, &o, Some(&p)).unwrap();
        for k in 0..4 {
            assert!((a.theta[k] - b.theta[k]).abs() < 1e-9);
        }
    }

    #[test]
    fn identical_for_any_thread_count() {
        // Enough observations for several chunks.
        let n = 30u32;
        let mut obs: Vec<Vec<u32>> = Vec::new();
        for r in 0..(3 * OBS_CHUNK as u32 + 17) {
            let a = r % n;
            let b = (r * 7 + 3) % n;
            let c = (r * 13 + 5) % n;
            if a != b && b != c && a != c {
                obs.push(vec![a, b, c]);
            }
        }
        let refs: Vec<(&[u32], u32)> = obs.iter().map(|o| (o.as_slice(), 2)).collect();
        let r = rk(n as usize, &refs, None);
        let run = |threads: usize, dense: bool| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut o = opts(dense);
                o.alpha = 0.1;
                o.tol = 1e-9;
                ilsr_rankings(&r, &o).unwrap().theta
            })
        };
        for dense in [true, false] {
            let one = run(1, dense);
            let two = run(3, dense);
            assert!(one
                .iter()
                .zip(&two)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn errors() {
        let r = rk(3, &[(&[0, 1, 2], 3), (&[0, 2, 1], 3)], None);
        // Item 0 always first: not identifiable without alpha, fits with it.
        assert!(matches!(
            lsr_rankings(&r, &SpectralOptions::default(), None),
            Err(Error::NotIdentifiable { .. })
        ));
        assert!(matches!(
            ilsr_rankings(&r, &SpectralOptions::default()),
            Err(Error::NotIdentifiable { .. })
        ));
        let reg = SpectralOptions {
            alpha: 0.5,
            ..Default::default()
        };
        let f = ilsr_rankings(&r, &reg).unwrap();
        assert!(f.converged && f.theta[0] > f.theta[1]);
        for alpha in [-1.0, f64::NAN, f64::INFINITY] {
            let bad = SpectralOptions {
                alpha,
                ..Default::default()
            };
            assert!(matches!(
                lsr_rankings(&r, &bad, None),
                Err(Error::InvalidParameter { .. })
            ));
        }
        let bad_tol = SpectralOptions { tol: 0.0, ..reg };
        assert!(matches!(
            ilsr_rankings(&r, &bad_tol),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            lsr_rankings(&r, &reg, Some(&[1.0, 1.0])),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            lsr_rankings(&r, &reg, Some(&[1.0, 0.0, 1.0])),
            Err(Error::InvalidParameter { .. })
        ));
        let empty = rk(0, &[], None);
        assert!(matches!(
            lsr_rankings(&empty, &SpectralOptions::default(), None),
            Err(Error::Empty { .. })
        ));
        let no_stage = rk(2, &[(&[0], 1), (&[1], 1)], None);
        assert!(matches!(
            ilsr_rankings(&no_stage, &SpectralOptions::default()),
            Err(Error::NotIdentifiable { .. })
        ));
    }
}

//! Bootstrap distributions of Krippendorff's alpha.
//!
//! * `units`: resample units with replacement. Each pairable unit `u` is reduced once to its
//!   contribution `d_u = sum_ck n_uc (n_uk - [c = k]) d2_ck / (m_u - 1)` to the observed
//!   disagreement and its value counts; a replicate adds the drawn units and recomputes
//!   `alpha = 1 - (n - 1) sum d_u / sum n_c n_k d2_ck`. The distance matrix is held at the full
//!   data's (for the ordinal metric its marginals), as in Krippendorff's algorithm.
//! * `krippendorff`: Krippendorff's resampling of pairable values: `M` value pairs are drawn with
//!   replacement from the coincidences (pair `{c, k}` with probability `o_ck / n..`, doubled off
//!   the diagonal), and `alpha_b = 1 - mean(d2 of the drawn pairs) / D_e` with `D_e` held at the
//!   full data's. `M` defaults to the number of value pairs within units, `sum m_u (m_u - 1) / 2`.
//!
//! Replicate `b` draws from `par::chunk_rng(seed, b)`, so the replicates do not depend on the
//! thread count.

use super::alpha::{alpha_with, delta2, Coincidence, Metric};
use crate::error::{Error, Result};
use crate::limits;
use crate::par;
use rand::RngExt;

/// Units bootstrap of alpha from a `units x k` matrix of value counts.
pub fn units_bootstrap(
    counts: &[u32],
    k: usize,
    metric: &Metric,
    rounds: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    if k == 0 || counts.len() % k != 0 {
        return Err(Error::invalid(
            "counts",
            "the counts matrix has no category column",
        ));
    }
    limits::check_array::<f64>(
        &format!("{rounds} bootstrap rounds"),
        &[rounds],
        "ask for fewer bootstrap rounds",
    )?;
    let mut full = Coincidence::zeros(k);
    full.add_counts_u32(counts);
    let marg = full.marginals();
    let d2 = delta2(metric, &marg)?;
    // Pairable units in CSR form: d_u, then (category, count) entries.
    let mut d_u: Vec<f64> = Vec::new();
    let mut offs: Vec<u32> = vec![0];
    let mut cats: Vec<u32> = Vec::new();
    let mut cnts: Vec<f64> = Vec::new();
    for row in counts.chunks_exact(k) {
        let m: u64 = row.iter().map(|&x| x as u64).sum();
        if m < 2 {
            continue;
        }
        let start = cats.len();
        for (c, &x) in row.iter().enumerate() {
            if x != 0 {
                cats.push(c as u32);
                cnts.push(x as f64);
            }
        }
        let mut d = 0.0;
        for i in start..cats.len() {
            for j in start..cats.len() {
                let nj = if i == j { cnts[j] - 1.0 } else { cnts[j] };
                d += cnts[i] * nj * d2[cats[i] as usize * k + cats[j] as usize];
            }
        }
        d_u.push(d / (m as f64 - 1.0));
        offs.push(cats.len() as u32);
    }
    let p = d_u.len();
    if p == 0 {
        return Ok(vec![f64::NAN; rounds]);
    }
    // For few categories, one contiguous row per unit `[d_u, n_u0, .., n_u(k-1)]`: a draw touches
    // one cache line instead of four arrays.
    let dense_w = k + 1;
    let dense: Option<Vec<f64>> = (k <= 15).then(|| {
        let mut rows = vec![0.0; p * dense_w];
        for u in 0..p {
            rows[u * dense_w] = d_u[u];
            for e in offs[u] as usize..offs[u + 1] as usize {
                rows[u * dense_w + 1 + cats[e] as usize] = cnts[e];
            }
        }
        rows
    });
    par::map_all(rounds, |b| {
        let mut rng = par::chunk_rng(seed, b as u64);
        let mut nc = vec![0.0; k];
        let mut num = 0.0;
        match &dense {
            Some(rows) => {
                let mut acc = [0.0f64; 16];
                for _ in 0..p {
                    let u = rng.random_range(0..p);
                    let row = &rows[u * dense_w..(u + 1) * dense_w];
                    for (a, &x) in acc.iter_mut().zip(row) {
                        *a += x;
                    }
                }
                num = acc[0];
                nc.copy_from_slice(&acc[1..=k]);
            }
            None => {
                for _ in 0..p {
                    let u = rng.random_range(0..p);
                    num += d_u[u];
                    for e in offs[u] as usize..offs[u + 1] as usize {
                        nc[cats[e] as usize] += cnts[e];
                    }
                }
            }
        }
        let n: f64 = nc.iter().sum();
        let mut den = 0.0;
        for c in 0..k {
            if nc[c] == 0.0 {
                continue;
            }
            for e in 0..k {
                den += nc[c] * nc[e] * d2[c * k + e];
            }
        }
        if den > 0.0 {
            1.0 - (n - 1.0) * num / den
        } else {
            f64::NAN
        }
    })
}

/// Krippendorff's resampling of pairable values (see the module documentation).
pub fn krippendorff_bootstrap(
    stat: &Coincidence,
    metric: &Metric,
    rounds: usize,
    draws: Option<u64>,
    seed: u64,
) -> Result<Vec<f64>> {
    limits::check_array::<f64>(
        &format!("{rounds} bootstrap rounds"),
        &[rounds],
        "ask for fewer bootstrap rounds",
    )?;
    let k = stat.n_categories();
    let marg = stat.marginals();
    let d2 = delta2(metric, &marg)?;
    let a = alpha_with(stat, &marg, &d2);
    if a.undefined.is_some() {
        return Ok(vec![f64::NAN; rounds]);
    }
    let o = stat.matrix();
    // Cumulative distribution over the cells c <= k with their squared distances.
    let mut cum: Vec<f64> = Vec::new();
    let mut dist: Vec<f64> = Vec::new();
    let mut acc = 0.0;
    for c in 0..k {
        for e in c..k {
            let w = if c == e {
                o[c * k + e]
            } else {
                2.0 * o[c * k + e]
            };
            if w > 0.0 {
                acc += w / a.n;
                cum.push(acc);
                dist.push(d2[c * k + e]);
            }
        }
    }
    let last = cum.len() - 1;
    cum[last] = f64::INFINITY;
    let m = draws.unwrap_or(stat.n_pairs.round() as u64).max(1);
    let d_e = a.d_e;
    par::map_all(rounds, |b| {
        let mut rng = par::chunk_rng(seed, b as u64);
        let mut s = 0.0;
        for _ in 0..m {
            let r: f64 = rng.random();
            let idx = cum.partition_point(|&x| x <= r);
            s += dist[idx];
        }
        1.0 - s / (m as f64 * d_e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::alpha::alpha;

    fn counts(units: usize) -> Vec<u32> {
        // Deterministic pseudo-random counts over 3 categories, 2..5 raters per unit.
        let mut x: u64 = 12345;
        let mut out = Vec::with_capacity(units * 3);
        for _ in 0..units {
            let mut row = [0u32; 3];
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let m = 2 + (x >> 60) % 4;
            let base = ((x >> 40) % 3) as usize;
            for r in 0..m {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let c = if (x >> 61) < 5 {
                    base
                } else {
                    (base + 1 + r as usize) % 3
                };
                row[c] += 1;
            }
            out.extend_from_slice(&row);
        }
        out
    }

    #[test]
    fn bootstrap_is_thread_count_independent_and_centred() {
        let c = counts(2000);
        let run = |threads: usize, kripp: bool| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                if kripp {
                    let mut s = Coincidence::zeros(3);
                    s.add_counts_u32(&c);
                    krippendorff_bootstrap(&s, &Metric::Nominal, 200, None, 7).unwrap()
                } else {
                    units_bootstrap(&c, 3, &Metric::Nominal, 200, 7).unwrap()
                }
            })
        };
        for kripp in [false, true] {
            let one = run(1, kripp);
            let three = run(3, kripp);
            assert_eq!(one, three);
            let mut s = Coincidence::zeros(3);
            s.add_counts_u32(&c);
            let a = alpha(&s, &Metric::Nominal).unwrap().alpha;
            let mean: f64 = one.iter().sum::<f64>() / one.len() as f64;
            assert!((mean - a).abs() < 0.03, "{kripp}: mean {mean} vs alpha {a}");
            let sd = (one.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 199.0).sqrt();
            assert!(sd > 0.0 && sd < 0.1);
        }
        assert!(units_bootstrap(&c, 0, &Metric::Nominal, 1, 0).is_err());
        assert!(units_bootstrap(&[1, 0, 0], 3, &Metric::Nominal, 3, 0).unwrap()[0].is_nan());
    }
}

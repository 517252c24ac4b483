//! Cluster bootstrap of ratio statistics (rates summed over groups).
//!
//! Each cluster (group) contributes numerators `num[g, c]` and denominators `den[g, c]`; a
//! replicate draws `n_clusters` clusters with replacement and reports `sum num / sum den` per
//! column. Clusters with identical rows are merged into patterns; with few patterns a replicate
//! draws the multinomial pattern counts directly (one binomial per pattern), else it draws cluster
//! indices. Replicate `r` uses `par::chunk_rng(seed, r)`, so results do not depend on threads.

use rand::RngExt;
use rand_distr::{Binomial, Distribution};
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::limits;
use crate::par::chunk_rng;

/// `rounds x n_cols` replicate rates, row-major (NaN where a replicate's denominator is 0).
pub fn cluster_ratio_bootstrap(
    num: &[f64],
    den: &[f64],
    n_cols: usize,
    rounds: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    if n_cols == 0 {
        return Err(Error::invalid("n_cols", "must be positive"));
    }
    // The replicates, once per round and once in the flat result.
    limits::check_array::<f64>(
        &format!("{rounds} bootstrap rounds of {n_cols} rates"),
        &[rounds, n_cols, 2],
        "ask for fewer bootstrap rounds",
    )?;
    if num.len() != den.len() {
        return Err(Error::LengthMismatch {
            left: "numerators".into(),
            left_len: num.len(),
            right: "denominators".into(),
            right_len: den.len(),
        });
    }
    if num.len() % n_cols != 0 {
        return Err(Error::invalid(
            "n_cols",
            format!("{} values do not split into {n_cols} columns", num.len()),
        ));
    }
    let g = num.len() / n_cols;
    if g == 0 {
        return Err(Error::Empty {
            what: "the cluster table".into(),
        });
    }
    for (r, v) in num.iter().chain(den).enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                row: (r % num.len()) / n_cols,
                column: "bootstrap input".into(),
                value: *v,
            });
        }
    }
    // Clusters with identical rows are merged into patterns (groups of five judged responses
    // have few distinct count vectors); a replicate then only counts draws per pattern, which
    // keeps the random accesses inside a small array.
    let mut index: FxHashMap<Vec<u64>, u32> = FxHashMap::default();
    let mut pattern = Vec::with_capacity(g);
    let mut rows: Vec<f64> = Vec::new();
    for k in 0..g {
        let key: Vec<u64> = num[k * n_cols..(k + 1) * n_cols]
            .iter()
            .chain(&den[k * n_cols..(k + 1) * n_cols])
            .map(|v| v.to_bits())
            .collect();
        let next = index.len() as u32;
        let id = *index.entry(key).or_insert_with(|| {
            rows.extend_from_slice(&num[k * n_cols..(k + 1) * n_cols]);
            rows.extend_from_slice(&den[k * n_cols..(k + 1) * n_cols]);
            next
        });
        pattern.push(id);
    }
    let n_pat = index.len();
    let mut size = vec![0u64; n_pat];
    for &q in &pattern {
        size[q as usize] += 1;
    }
    let reps: Vec<Vec<f64>> = crate::par::map_all(rounds, |r| {
        let mut rng = chunk_rng(seed, r as u64);
        let mut counts = vec![0u32; n_pat];
        if n_pat * 8 <= g {
            // Few patterns: draw the multinomial counts directly, one binomial per pattern
            // conditioned on the draws left (exact, O(patterns) per replicate).
            let mut left = g as u64;
            let mut mass_left = g as f64;
            for (q, c) in counts.iter_mut().enumerate() {
                if left == 0 {
                    break;
                }
                let share = (size[q] as f64 / mass_left).min(1.0);
                let k = if q + 1 == n_pat || share >= 1.0 {
                    left
                } else {
                    Binomial::new(left, share).map_or(0, |d| d.sample(&mut rng))
                };
                *c = k as u32;
                left -= k;
                mass_left -= size[q] as f64;
            }
        } else {
            for _ in 0..g {
                counts[pattern[rng.random_range(0..g)] as usize] += 1;
            }
        }
        let mut sn = vec![0.0f64; n_cols];
        let mut sd = vec![0.0f64; n_cols];
        for (q, &cnt) in counts.iter().enumerate() {
            if cnt == 0 {
                continue;
            }
            let row = &rows[q * 2 * n_cols..(q + 1) * 2 * n_cols];
            let f = cnt as f64;
            for c in 0..n_cols {
                sn[c] += f * row[c];
                sd[c] += f * row[n_cols + c];
            }
        }
        sn.iter()
            .zip(&sd)
            .map(|(&a, &b)| if b > 0.0 { a / b } else { f64::NAN })
            .collect()
    })?;
    Ok(reps.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_ratio_has_no_spread_and_is_deterministic() {
        let num = [1.0, 2.0, 2.0, 4.0, 3.0, 6.0];
        let den = [2.0, 4.0, 4.0, 8.0, 6.0, 12.0];
        let r = cluster_ratio_bootstrap(&num, &den, 2, 50, 1).unwrap();
        assert_eq!(r.len(), 100);
        assert!(r.iter().all(|&v| (v - 0.5).abs() < 1e-12));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let num2 = [0.0, 1.0, 5.0, 2.0];
        let a = pool.install(|| cluster_ratio_bootstrap(&num2, &[1.0; 4], 1, 40, 9).unwrap());
        let b = cluster_ratio_bootstrap(&num2, &[1.0; 4], 1, 40, 9).unwrap();
        assert_eq!(a, b);
        assert!(cluster_ratio_bootstrap(&num2, &[1.0; 3], 1, 4, 0).is_err());
        assert!(cluster_ratio_bootstrap(&[], &[], 1, 4, 0).is_err());
        assert!(cluster_ratio_bootstrap(&[f64::NAN], &[1.0], 1, 4, 0).is_err());
    }

    #[test]
    fn multinomial_path_has_the_right_spread() {
        // 10,000 clusters, two patterns (0/1 and 1/1): the replicate rate is Binomial(n, 0.3) / n.
        let g = 10_000;
        let num: Vec<f64> = (0..g).map(|k| (k % 10 < 3) as u8 as f64).collect();
        let den = vec![1.0; g];
        let r = cluster_ratio_bootstrap(&num, &den, 1, 2000, 5).unwrap();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r.len() - 1) as f64;
        let want_var = 0.3 * 0.7 / g as f64;
        assert!((mean - 0.3).abs() < 3e-4, "mean {mean}");
        assert!(
            (var / want_var - 1.0).abs() < 0.15,
            "var ratio {}",
            var / want_var
        );
    }
}

//! Model-vs-model disagreement: `N x N` matrices over `N` models' predictions on `M` items.

use super::MISSING;
use crate::error::{Error, Result};
use crate::limits;
use crate::par;
use rayon::prelude::*;

/// Items per tile of the `u8` kernel: all models' rows of a tile stay in cache while every pair
/// of models is compared.
const TILE: usize = 1 << 14;

/// Number of positions where `a` and `b` differ (byte lanes, flushed before they overflow).
#[inline]
pub fn mismatches_u8(a: &[u8], b: &[u8]) -> u64 {
    let mut total = 0u64;
    for (ba, bb) in a.chunks(32 * 255).zip(b.chunks(32 * 255)) {
        let mut acc = [0u8; 32];
        let xa = ba.chunks_exact(32);
        let xb = bb.chunks_exact(32);
        let (ra, rb) = (xa.remainder(), xb.remainder());
        for (x, y) in xa.zip(xb) {
            for l in 0..32 {
                acc[l] += (x[l] != y[l]) as u8;
            }
        }
        total += acc.iter().map(|&v| v as u64).sum::<u64>();
        total += ra.iter().zip(rb).filter(|(x, y)| x != y).count() as u64;
    }
    total
}

/// Disagreement rates of `n_models` rows of `u8` labels (row-major `n_models x n_items`, no
/// missing values). Returns the `N x N` matrix of rates (0 on the diagonal).
pub fn disagreement_u8(labels: &[u8], n_models: usize) -> Result<Vec<f64>> {
    if n_models == 0 || labels.len() % n_models != 0 {
        return Err(Error::invalid(
            "predictions",
            format!(
                "{} labels cannot form {} model rows",
                labels.len(),
                n_models
            ),
        ));
    }
    let m = labels.len() / n_models;
    if m == 0 {
        return Err(Error::Empty {
            what: "the predictions (no items)".into(),
        });
    }
    let n = n_models;
    // One n x n partial per worker thread, and the rates.
    limits::check_array::<u64>(
        &format!("the model-by-model matrix of {n} models"),
        &[n, n, limits::parallel_copies() + 1],
        "compare fewer models at a time",
    )?;
    let counts = par::tree_map_reduce(
        par::n_chunks(m, TILE),
        &|t| {
            let (lo, hi) = (t * TILE, ((t + 1) * TILE).min(m));
            let mut c = vec![0u64; n * n];
            for i in 0..n {
                let a = &labels[i * m + lo..i * m + hi];
                for j in i + 1..n {
                    c[i * n + j] += mismatches_u8(a, &labels[j * m + lo..j * m + hi]);
                }
            }
            c
        },
        &|mut x, y| {
            for (a, b) in x.iter_mut().zip(&y) {
                *a += *b;
            }
            x
        },
    )
    .unwrap_or_default();
    let mut rates = vec![0.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let r = counts[i * n + j] as f64 / m as f64;
            rates[i * n + j] = r;
            rates[j * n + i] = r;
        }
    }
    Ok(rates)
}

/// Disagreement rates of coded labels with [`MISSING`] (row-major `n_models x n_items`), over the
/// items both models labelled. Returns `(rates, joint counts)`; a rate is NaN with no joint item.
pub fn disagreement_codes(codes: &[u32], n_models: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if n_models == 0 || codes.len() % n_models != 0 {
        return Err(Error::invalid(
            "predictions",
            format!("{} labels cannot form {} model rows", codes.len(), n_models),
        ));
    }
    let m = codes.len() / n_models;
    let n = n_models;
    // The pair list, one result per pair and the two n x n matrices (48 bytes per cell).
    limits::check_array::<f64>(
        &format!("the model-by-model matrices of {n} models"),
        &[n, n, 6],
        "compare fewer models at a time",
    )?;
    let pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect();
    let res: Vec<(u64, u64)> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let (a, b) = (&codes[i * m..(i + 1) * m], &codes[j * m..(j + 1) * m]);
            let (mut both, mut diff) = (0u64, 0u64);
            for (&x, &y) in a.iter().zip(b) {
                let ok = (x != MISSING) & (y != MISSING);
                both += ok as u64;
                diff += (ok & (x != y)) as u64;
            }
            (both, diff)
        })
        .collect();
    let mut rates = vec![f64::NAN; n * n];
    let mut joint = vec![0.0; n * n];
    for (&(i, j), &(both, diff)) in pairs.iter().zip(&res) {
        let r = if both > 0 {
            diff as f64 / both as f64
        } else {
            f64::NAN
        };
        for (x, y) in [(i, j), (j, i)] {
            rates[x * n + y] = r;
            joint[x * n + y] = both as f64;
        }
    }
    Ok((rates, joint))
}

/// Check a `rows x k` matrix of probability vectors (finite, non-negative, summing to 1).
pub fn check_probs(p: &[f64], k: usize, what: &str) -> Result<()> {
    if k == 0 || p.len() % k != 0 {
        return Err(Error::invalid(
            what,
            format!(
                "{} probabilities cannot form rows of {} classes",
                p.len(),
                k
            ),
        ));
    }
    for (r, row) in p.chunks_exact(k).enumerate() {
        let mut s = 0.0;
        for &x in row {
            if !x.is_finite() {
                return Err(Error::NonFinite {
                    row: r,
                    column: what.into(),
                    value: x,
                });
            }
            if x < 0.0 {
                return Err(Error::Negative {
                    row: r,
                    column: what.into(),
                    value: x,
                });
            }
            s += x;
        }
        if (s - 1.0).abs() > 1e-6 {
            return Err(Error::invalid(
                what,
                format!("row {r}: probabilities sum to {s}, not 1"),
            ));
        }
    }
    Ok(())
}

/// Jensen-Shannon divergence (natural log) of two probability vectors.
#[inline]
pub fn js_divergence(p: &[f64], q: &[f64]) -> f64 {
    let mut s = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let m = 0.5 * (a + b);
        if a > 0.0 {
            s += 0.5 * a * (a / m).ln();
        }
        if b > 0.0 {
            s += 0.5 * b * (b / m).ln();
        }
    }
    s.max(0.0)
}

/// Probabilistic disagreement of `n_models` models, `probs` row-major
/// `n_models x n_items x k`. Returns three `N x N` matrices averaged over items: expected
/// disagreement `1 - sum_c p_c q_c`, total variation `0.5 sum |p - q|`, and Jensen-Shannon
/// distance `sqrt(JS divergence)` (natural log, as `scipy.spatial.distance.jensenshannon`).
pub fn disagreement_probs(
    probs: &[f64],
    n_models: usize,
    k: usize,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    if n_models == 0 || k == 0 || probs.len() % (n_models * k) != 0 {
        return Err(Error::invalid(
            "probabilities",
            format!(
                "{} values cannot form {} models x items x {} classes",
                probs.len(),
                n_models,
                k
            ),
        ));
    }
    check_probs(probs, k, "probabilities")?;
    let m = probs.len() / (n_models * k);
    if m == 0 {
        return Err(Error::Empty {
            what: "the predictions (no items)".into(),
        });
    }
    let n = n_models;
    // The pair list, one result per pair and the three n x n matrices (64 bytes per cell).
    limits::check_array::<f64>(
        &format!("the model-by-model matrices of {n} models"),
        &[n, n, 8],
        "compare fewer models at a time",
    )?;
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    let res: Vec<(f64, f64, f64)> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let a = &probs[i * m * k..(i + 1) * m * k];
            let b = &probs[j * m * k..(j + 1) * m * k];
            let (mut ed, mut tv, mut js) = (0.0, 0.0, 0.0);
            for (p, q) in a.chunks_exact(k).zip(b.chunks_exact(k)) {
                let mut dot = 0.0;
                let mut l1 = 0.0;
                for (&x, &y) in p.iter().zip(q) {
                    dot += x * y;
                    l1 += (x - y).abs();
                }
                ed += 1.0 - dot;
                tv += 0.5 * l1;
                js += js_divergence(p, q).sqrt();
            }
            (ed / m as f64, tv / m as f64, js / m as f64)
        })
        .collect();
    let mut ed = vec![0.0; n * n];
    let mut tv = vec![0.0; n * n];
    let mut js = vec![0.0; n * n];
    for i in 0..n {
        // Expected disagreement of a model with itself is not 0 for soft predictions.
        let a = &probs[i * m * k..(i + 1) * m * k];
        ed[i * n + i] = a
            .chunks_exact(k)
            .map(|p| 1.0 - p.iter().map(|x| x * x).sum::<f64>())
            .sum::<f64>()
            / m as f64;
    }
    for (&(i, j), &(e, t, s)) in pairs.iter().zip(&res) {
        for (x, y) in [(i, j), (j, i)] {
            ed[x * n + y] = e;
            tv[x * n + y] = t;
            js[x * n + y] = s;
        }
    }
    Ok((ed, tv, js))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u8_matches_naive_and_codes() {
        let n = 4;
        let m = 70_001;
        let labels: Vec<u8> = (0..n * m)
            .map(|i| ((i * 2654435761usize) >> 7) as u8 % 3)
            .collect();
        let r = disagreement_u8(&labels, n).unwrap();
        let codes: Vec<u32> = labels.iter().map(|&x| x as u32).collect();
        let (r2, joint) = disagreement_codes(&codes, n).unwrap();
        for i in 0..n {
            for j in 0..n {
                let naive = (0..m)
                    .filter(|&t| labels[i * m + t] != labels[j * m + t])
                    .count() as f64
                    / m as f64;
                assert!((r[i * n + j] - naive).abs() < 1e-15);
                assert!((r2[i * n + j] - naive).abs() < 1e-15);
                assert_eq!(joint[i * n + j], m as f64);
            }
        }
        assert!(disagreement_u8(&labels[..5], 2).is_err());
        assert!(disagreement_u8(&[], 2).is_err());
        let (r3, _) = disagreement_codes(&[0, MISSING, MISSING, 1], 2).unwrap();
        assert!(r3[1].is_nan());
    }

    #[test]
    fn probabilistic() {
        let probs = [1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 0.5, 0.5];
        let (ed, tv, js) = disagreement_probs(&probs, 2, 2).unwrap();
        assert!((ed[1] - 0.75).abs() < 1e-12); // (1 - 0) + (1 - 0.5) over 2 items
        assert!((tv[1] - 0.5).abs() < 1e-12);
        assert!((js[1] - 2f64.ln().sqrt() / 2.0).abs() < 1e-12);
        assert!((ed[0] - 0.25).abs() < 1e-12);
        assert!(disagreement_probs(&[0.5, 0.6], 1, 2).is_err());
        assert!(disagreement_probs(&[1.5, -0.5], 1, 2).is_err());
        assert!(disagreement_probs(&[f64::NAN, 1.0], 1, 2).is_err());
    }
}

//! The two-sided binomial test of a share against 1/2, the Wilson score interval and the normal
//! quantile they need.
//!
//! **Exact test.** For whole counts `0 <= k <= n` the p-value is scipy's two-sided
//! `binomtest(k, n, 0.5)`: with `k' = min(k, n - k)` and `d = P(X = k')`,
//! `P(X <= k') + P(X <= L)`, where `L` is the largest `j <= floor(n / 2)` with
//! `P(X = j) <= d (1 + 1e-7)` (scipy's relative tolerance, which only matters when neighbouring
//! terms are that close, i.e. near the mode for `n` beyond about 2e7), capped at 1; `k = n / 2` gives 1.
//! `P(X = k')` comes from Loader's saddle-point formula (stable for any `n`); the tail is summed from
//! `k'` downwards by the ratio of neighbouring terms (re-anchored on the exact formula every
//! [`RESYNC`] terms), and stops once the rest cannot change the sum: O(min(k', sqrt(n))) work.
//! Whole counts up to [`EXACT_MAX_N`] are exact; above that, and for fractional counts (fractional
//! weights or soft outcomes), the normal approximation with continuity correction is used.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Largest `n` tested exactly (at most about 5 million terms, a few milliseconds).
pub const EXACT_MAX_N: f64 = 1e12;
/// scipy's relative tolerance when deciding which outcomes are no more likely than `k`.
pub const RELATIVE_TOLERANCE: f64 = 1e-7;
/// Terms between re-anchoring the ratio recurrence on the exact formula.
const RESYNC: usize = 1024;
/// Tests per parallel chunk (fixed).
const CHUNK: usize = 256;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `stirlerr(n) = ln(n!) - ln(sqrt(2 pi n) (n / e)^n)` for whole `n = 1..=15` (computed with 50 digits).
const STIRLERR: [f64; 15] = [
    0.08106146679532726,
    0.0413406959554093,
    0.02767792568499834,
    0.020790672103765093,
    0.016644691189821193,
    0.013876128823070748,
    0.01189670994589177,
    0.010411265261972096,
    0.009255462182712733,
    0.00833056343336287,
    0.007573675487951841,
    0.00694284010720953,
    0.006408994188004207,
    0.0059513701127588475,
    0.005554733551962801,
];

/// Stirling's error term for whole `n >= 1` (Loader 2000).
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        return STIRLERR[n as usize - 1];
    }
    let nn = n * n;
    if n > 500.0 {
        return (S0 - S1 / nn) / n;
    }
    if n > 80.0 {
        return (S0 - (S1 - S2 / nn) / nn) / n;
    }
    if n > 35.0 {
        return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
    }
    (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
}

/// `x ln(x / m) + m - x`, accurately also when `x` is close to `m` (Loader 2000).
fn bd0(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let mut v = (x - m) / (x + m);
        let mut s = (x - m) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / (2 * j + 1) as f64;
            if s1 == s {
                return s1;
            }
            s = s1;
        }
    }
    x * (x / m).ln() + m - x
}

/// `ln P(X = x)` for `X ~ Binomial(n, 1/2)`, whole `0 <= x <= n`.
pub fn ln_pmf_half(x: f64, n: f64) -> f64 {
    if x == 0.0 || x == n {
        return n * 0.5f64.ln();
    }
    let m = 0.5 * n;
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, m) - bd0(n - x, m);
    let lf = LN_2PI + x.ln() + (-x / n).ln_1p();
    lc - 0.5 * lf
}

/// `erfc(x)`: the series of `erf` below 1/2, the continued fraction (modified Lentz, at most ~730
/// terms) above; relative error about 1e-15.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let spi = std::f64::consts::PI.sqrt();
    if x < 0.5 {
        // erf(x) = 2x / sqrt(pi) e^{-x^2} sum_n (2x^2)^n / (1 3 5 ... (2n + 1)): positive terms.
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        let x2 = 2.0 * x * x;
        for n in 1..200 {
            term *= x2 / (2 * n + 1) as f64;
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
        }
        return 1.0 - 2.0 * x / spi * (-x * x).exp() * sum;
    }
    if x > 27.3 {
        return 0.0;
    }
    let tiny = 1e-300;
    let mut f = x;
    let (mut c, mut d) = (f, 0.0f64);
    for m in 1..5000 {
        let a = 0.5 * m as f64;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        d = 1.0 / d;
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (spi * f)
}

/// The standard normal quantile by Wichura's AS241, operation for operation as Python's
/// `statistics.NormalDist().inv_cdf` (so the two agree to the bit). `p` in (0, 1).
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r
            + 6.7265770927008700853e+4)
            * r
            + 4.5921953931549871457e+4)
            * r
            + 1.3731693765509461125e+4)
            * r
            + 1.9715909503065514427e+3)
            * r
            + 1.3314166789178437745e+2)
            * r
            + 3.3871328727963666080e+0)
            * q;
        let den = ((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r
            + 3.9307895800092710610e+4)
            * r
            + 2.1213794301586595867e+4)
            * r
            + 5.3941960214247511077e+3)
            * r
            + 6.8718700749205790830e+2)
            * r
            + 4.2313330701600911252e+1)
            * r
            + 1.0;
        return num / den;
    }
    let mut r = if q <= 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let (num, den);
    if r <= 5.0 {
        r -= 1.6;
        num = ((((((7.7454501427834140764e-4 * r + 2.2723844989269184583e-2) * r
            + 2.4178072517745061177e-1)
            * r
            + 1.2704582524523683826e+0)
            * r
            + 3.6478483247632046050e+0)
            * r
            + 5.7694972214606914055e+0)
            * r
            + 4.6303378461565452959e+0)
            * r
            + 1.4234371107496835773e+0;
        den = ((((((1.0507500716444168432e-9 * r + 5.4759380849953449460e-4) * r
            + 1.5198666563616457197e-2)
            * r
            + 1.4810397642748007459e-1)
            * r
            + 6.8976733498510000455e-1)
            * r
            + 1.6763848301838038494e+0)
            * r
            + 2.0531916266377588219e+0)
            * r
            + 1.0;
    } else {
        r -= 5.0;
        num = ((((((2.0103343992922881327e-7 * r + 2.7115555687434875782e-5) * r
            + 1.2426609473880784386e-3)
            * r
            + 2.6532189526576123093e-2)
            * r
            + 2.9656057182850489123e-1)
            * r
            + 1.7848265399172913358e+0)
            * r
            + 5.4637849111641143699e+0)
            * r
            + 6.6579046435011037772e+0;
        den = ((((((2.0442631033899397856e-15 * r + 1.4215117583164458887e-7) * r
            + 1.8463183175100546818e-5)
            * r
            + 7.8686913114561325910e-4)
            * r
            + 1.4875361290850614853e-2)
            * r
            + 1.3692988092273580531e-1)
            * r
            + 5.9983220655588793769e-1)
            * r
            + 1.0;
    }
    let x = num / den;
    if q < 0.0 {
        -x
    } else {
        x
    }
}

/// The Wilson score interval of `k` successes in `n` trials for the normal quantile `z` (NaNs when
/// `n <= 0`), with numpy's operation order of the formula (bit-identical to the old Python).
pub fn wilson(k: f64, n: f64, z: f64) -> (f64, f64) {
    if n.is_nan() || n <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let ph = k / n;
    let den = 1.0 + z * z / n;
    let centre = (ph + z * z / (2.0 * n)) / den;
    let half = z * (ph * (1.0 - ph) / n + z * z / (4.0 * n * n)).sqrt() / den;
    (centre - half, centre + half)
}

/// The normal quantile `z` of a two-sided interval at `level` in (0, 1).
pub fn level_z(level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::invalid("level", format!("{level} is not in (0, 1)")));
    }
    Ok(normal_quantile((1.0 + level) / 2.0))
}

/// The exact two-sided p-value for whole `0 <= k <= n <= EXACT_MAX_N`, `n >= 1`.
fn exact(k: f64, n: f64) -> f64 {
    if 2.0 * k == n {
        return 1.0;
    }
    let kk = k.min(n - k);
    let lp = ln_pmf_half(kk, n);
    // Lower tail relative to P(X = kk): ratios j / (n - j + 1) < 1 shrink as j falls, so the rest
    // after a term t with ratio r is below t r / (1 - r).
    let (mut t, mut s) = (1.0f64, 1.0f64);
    let mut j = kk;
    let mut steps = 0usize;
    while j > 0.0 {
        let r = j / (n - j + 1.0);
        steps += 1;
        t = if steps % RESYNC == 0 {
            (ln_pmf_half(j - 1.0, n) - lp).exp()
        } else {
            t * r
        };
        s += t;
        j -= 1.0;
        if t * r <= (1.0 - r) * s * 1e-17 {
            break;
        }
    }
    // scipy's tolerance: terms beyond kk (towards the mode) within a relative 1e-7 of P(X = kk).
    let half = (0.5 * n).floor();
    let (mut u, mut extra) = (1.0f64, 0.0f64);
    let mut j = kk;
    while j + 1.0 <= half {
        u *= (n - j) / (j + 1.0);
        if u > 1.0 + RELATIVE_TOLERANCE {
            break;
        }
        extra += u;
        j += 1.0;
    }
    (lp + (2.0 * s + extra).ln()).exp().min(1.0)
}

/// The normal approximation with continuity correction: `2 (1 - Phi(max(z, 0)))`,
/// `z = (|k - n/2| - 1/2) / sqrt(n / 4)`, capped at 1.
fn normal(k: f64, n: f64) -> f64 {
    let z = ((k - n / 2.0).abs() - 0.5) / (n / 4.0).sqrt();
    erfc(z.max(0.0) / std::f64::consts::SQRT_2).min(1.0)
}

/// The two-sided p-value of `k` successes in `n` trials against 1/2 (see the module docs).
/// NaN when `n <= 0`; an error names the parameter when `k` or `n` is not finite or `k` is
/// outside `[0, n]`.
pub fn binomial_test(k: f64, n: f64) -> Result<f64> {
    if !n.is_finite() {
        return Err(Error::invalid("n", format!("{n} is not a finite number")));
    }
    if n <= 0.0 {
        return Ok(f64::NAN);
    }
    if !(k.is_finite() && (0.0..=n).contains(&k)) {
        return Err(Error::invalid("k", format!("{k} is not in [0, n = {n}]")));
    }
    if k.fract() == 0.0 && n.fract() == 0.0 && n <= EXACT_MAX_N {
        Ok(exact(k, n))
    } else {
        Ok(normal(k, n))
    }
}

/// [`binomial_test`] over arrays of `(k, n)`, in parallel over fixed chunks; an error names the
/// first bad entry.
pub fn binomial_tests(k: &[f64], n: &[f64]) -> Result<Vec<f64>> {
    if n.len() != k.len() {
        return Err(Error::LengthMismatch {
            left: "k".into(),
            left_len: k.len(),
            right: "n".into(),
            right_len: n.len(),
        });
    }
    let parts: Vec<Result<Vec<f64>>> = k
        .par_chunks(CHUNK)
        .zip(n.par_chunks(CHUNK))
        .enumerate()
        .map(|(c, (kc, nc))| {
            kc.iter()
                .zip(nc)
                .enumerate()
                .map(|(i, (&k, &n))| {
                    binomial_test(k, n).map_err(|e| match e {
                        Error::InvalidParameter { name, reason } => Error::InvalidParameter {
                            name,
                            reason: format!("entry {}: {reason}", c * CHUNK + i),
                        },
                        e => e,
                    })
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(k.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy's definition term by term (small n only).
    fn brute(k: u64, n: u64) -> f64 {
        let pmf = |j: u64| ln_pmf_half(j as f64, n as f64).exp();
        let d = pmf(k) * (1.0 + RELATIVE_TOLERANCE);
        if 2 * k == n {
            return 1.0;
        }
        let p: f64 = if 2 * k < n {
            (0..=k).map(pmf).sum::<f64>()
                + (n.div_ceil(2)..=n)
                    .map(pmf)
                    .filter(|&x| x <= d)
                    .sum::<f64>()
        } else {
            (0..=n / 2).map(pmf).filter(|&x| x <= d).sum::<f64>() + (k..=n).map(pmf).sum::<f64>()
        };
        p.min(1.0)
    }

    #[test]
    fn pmf_matches_lgamma_form() {
        for &(x, n) in &[
            (0.0, 10.0),
            (3.0, 10.0),
            (17.0, 40.0),
            (500.0, 1000.0),
            (1.0, 2.0),
        ] {
            let mut lc = 0.0f64;
            // ln C(n, x) by a product (exact enough for these sizes).
            for i in 0..(x as u64) {
                lc += ((n - i as f64) / (i as f64 + 1.0)).ln();
            }
            let want = lc + n * 0.5f64.ln();
            assert!((ln_pmf_half(x, n) - want).abs() < 1e-11, "{x} {n}");
        }
    }

    #[test]
    fn golden_scipy_values() {
        for &(k, n, want) in &[
            (0.0, 1.0, 1.0),
            (3.0, 10.0, 0.34375),
            (5.0, 10.0, 1.0),
            (7.0, 20.0, 0.26317596435546875),
            (60.0, 100.0, 0.05688793364098089),
            (4900.0, 10000.0, 0.04658552770494645),
            (28.0, 28.0, 7.450580596923828e-09),
        ] {
            let p = binomial_test(k, n).unwrap();
            assert!((p - want).abs() <= 1e-12 * want, "{k} {n}: {p} vs {want}");
        }
        for n in 1..60u64 {
            for k in 0..=n {
                let (p, b) = (binomial_test(k as f64, n as f64).unwrap(), brute(k, n));
                assert!(
                    (p - b).abs() <= 1e-12 * b.max(1e-300),
                    "{k} {n}: {p} vs {b}"
                );
            }
        }
    }

    #[test]
    fn large_n_and_edges() {
        // Symmetric, and far tails underflow to 0 rather than failing.
        let n = 1e9;
        let a = binomial_test(n / 2.0 - 40_000.0, n).unwrap();
        let b = binomial_test(n / 2.0 + 40_000.0, n).unwrap();
        assert!((a - b).abs() <= 1e-13 * a && a > 0.0 && a < 0.02, "{a} {b}");
        assert_eq!(binomial_test(0.0, 1e9).unwrap(), 0.0);
        assert_eq!(binomial_test(5e8, 1e9).unwrap(), 1.0);
        assert!(binomial_test(0.0, 0.0).unwrap().is_nan());
        assert!(binomial_test(3.0, 2.0).is_err());
        assert!(binomial_test(f64::NAN, 2.0).is_err());
        let e = binomial_tests(&[1.0, -1.0], &[2.0, 2.0]).unwrap_err();
        assert!(e.to_string().contains("entry 1"), "{e}");
        // Fractional counts: the normal approximation.
        let p = binomial_test(10.5, 20.0).unwrap();
        assert!(p > 0.8 && p <= 1.0);
    }

    #[test]
    fn erfc_and_quantile() {
        for &(x, want) in &[
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (1.9, 0.0072095707647425325),
            (2.5, 0.0004069520174449589),
            (5.0, 1.5374597944280351e-12),
            (10.0, 2.088487583762545e-45),
        ] {
            let got = erfc(x);
            assert!((got - want).abs() <= 1e-14 * want, "{x}: {got} vs {want}");
        }
        assert_eq!(normal_quantile(0.975), 1.9599639845400536);
        assert_eq!(normal_quantile(0.5), 0.0);
        let (lo, hi) = wilson(7.0, 10.0, 1.9599639845400536);
        assert!(lo < 0.7 && hi > 0.7 && lo > 0.3 && hi < 0.95);
        assert!(wilson(0.0, 0.0, 1.96).0.is_nan());
        assert!(level_z(1.0).is_err());
    }
}

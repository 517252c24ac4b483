//! Scale-safe reductions for the convergence tests and the weight normalisation of the fits.
//!
//! `f64::max` ignores NaN, so `fold(0.0, max)` over a NaN gradient is 0 and would pass any
//! tolerance: [`max_abs`] propagates a non-finite entry instead. Without a prior, a likelihood's
//! maximiser does not depend on the weights' overall scale, but the solvers' tolerances, starting
//! points and intermediate sums do: [`unit_shift`] picks an exact power-of-two factor that brings
//! the weights into a safe range first.

/// Largest absolute value, `+inf` if any entry is NaN or infinite (0 for an empty slice).
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, &x| {
        if x.is_finite() {
            m.max(x.abs())
        } else {
            f64::INFINITY
        }
    })
}

/// Every entry finite.
pub fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Means per item at or above 1 and below this need no rescaling (unweighted counts always lie here).
const MEAN_MAX: f64 = (1u64 << 40) as f64;

/// The binary exponent `s` such that weights times `2^s` have a mean per item in `[1, 4)`, or 0
/// when that mean already lies in `[1, 2^40]` (so unweighted counts are never rescaled).
/// `max` is the largest weight (finite, > 0), `sum_over_max` the sum of the weights divided by
/// `max` (so that it cannot overflow), `n` the number of items.
pub fn unit_shift(max: f64, sum_over_max: f64, n: usize) -> i32 {
    let log2_mean = max.log2() + (sum_over_max / n as f64).log2();
    if (0.0..=MEAN_MAX.log2()).contains(&log2_mean) {
        return 0;
    }
    // An even shift: scaling by a power of four leaves square roots (Cholesky) exact too.
    -2 * (log2_mean / 2.0).floor() as i32
}

/// `x * 2^s`, exact unless the result leaves the normal range (applied in two halves so that the
/// factor itself cannot overflow or underflow).
pub fn times_pow2(x: f64, s: i32) -> f64 {
    let h = s / 2;
    x * 2f64.powi(h) * 2f64.powi(s - h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_abs_sees_nan_and_inf() {
        assert_eq!(max_abs(&[1.0, -3.0]), 3.0);
        assert_eq!(max_abs(&[1.0, f64::NAN, 0.5]), f64::INFINITY);
        assert_eq!(max_abs(&[f64::NEG_INFINITY]), f64::INFINITY);
        assert_eq!(max_abs(&[]), 0.0);
    }

    #[test]
    fn unit_shift_leaves_counts_and_normalises_extremes() {
        // Unweighted counts: 10 items, 37 comparisons each.
        assert_eq!(unit_shift(20.0, 370.0 / 20.0, 10), 0);
        for w in [1e-300, 1e-12, 0.3, 1e15, 1e300, 1.7e308] {
            let s = unit_shift(w, 50.0, 10);
            let mean = times_pow2(w, s) * 5.0;
            assert!((1.0..4.0).contains(&mean), "{w} -> {mean}");
            assert_eq!(s % 2, 0);
        }
        assert_eq!(times_pow2(3.0, -2000 + 2000), 3.0);
        assert_eq!(times_pow2(times_pow2(1e-300, 1100), -1100), 1e-300);
    }
}

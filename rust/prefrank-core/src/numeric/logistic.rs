//! The logistic function and its log: `sigmoid(z) = 1 / (1 + e^-z)` and
//! `softplus(z) = ln(1 + e^z) = -ln sigmoid(-z)`, stable for any sign and magnitude.
//!
//! Both evaluate the one exponential `e = exp(-|z|)` (never overflows, in (0, 1]) and take the
//! branch for the sign of `z`, so they are exact to a few ulp where the naive formulas overflow
//! (`exp(710)`) or cancel (`1 - sigmoid` near 1). The slice version used by the hot loops,
//! [`crate::simd::sigmoid_in_place`], follows the same formula with a vectorisable `exp`.

/// `1 / (1 + exp(-z))`.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    sigmoid_with(z, (-z.abs()).exp())
}

/// `ln(1 + exp(z))`.
#[inline]
pub fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `(sigmoid(z), softplus(-z))` = `(sigma(z), -ln sigma(z))` from one exponential, the pair a
/// logistic log-likelihood with its gradient needs.
#[inline]
pub fn sigmoid_and_neg_log(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    (sigmoid_with(z, e), (-z).max(0.0) + e.ln_1p())
}

/// `sigmoid(z)` given `e = exp(-|z|)`.
#[inline]
fn sigmoid_with(z: f64, e: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-branch formulas this module replaced, kept as the oracle: the results must be the
    /// same bits.
    fn sigmoid_branches(z: f64) -> f64 {
        if z >= 0.0 {
            1.0 / (1.0 + (-z).exp())
        } else {
            let e = z.exp();
            e / (1.0 + e)
        }
    }

    fn softplus_branches(z: f64) -> f64 {
        if z > 0.0 {
            z + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        }
    }

    fn grid() -> Vec<f64> {
        (-8000..=8000)
            .map(|k| k as f64 * 0.0123)
            .chain([
                0.0,
                -0.0,
                1e-300,
                -1e-300,
                36.7,
                -36.7,
                709.0,
                -709.0,
                745.0,
                -745.0,
                1e6,
                -1e6,
                f64::MAX,
                f64::MIN,
            ])
            .collect()
    }

    #[test]
    fn same_bits_as_the_branch_formulas() {
        for z in grid() {
            assert_eq!(sigmoid(z).to_bits(), sigmoid_branches(z).to_bits(), "{z}");
            assert_eq!(softplus(z).to_bits(), softplus_branches(z).to_bits(), "{z}");
            let (s, sp) = sigmoid_and_neg_log(z);
            assert_eq!(s.to_bits(), sigmoid(z).to_bits(), "{z}");
            assert_eq!(sp.to_bits(), softplus(-z).to_bits(), "{z}");
        }
    }

    #[test]
    fn identities_and_limits() {
        for z in grid() {
            let (s, t) = (sigmoid(z), sigmoid(-z));
            assert!((0.0..=1.0).contains(&s));
            assert!((s + t - 1.0).abs() <= 2.0 * f64::EPSILON, "{z}");
            // softplus(z) - softplus(-z) = z.
            if z.abs() < 1e300 {
                let d = softplus(z) - softplus(-z);
                assert!(
                    (d - z).abs() <= 4.0 * f64::EPSILON * z.abs().max(1.0),
                    "{z}"
                );
            }
            assert!(softplus(z).is_finite() && softplus(z) >= 0.0);
        }
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(softplus(0.0), std::f64::consts::LN_2);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(softplus(800.0), 800.0);
        // Deep in the tail the small side keeps its relative precision.
        let tail = sigmoid(-700.0);
        assert!((tail / (-700.0f64).exp() - 1.0).abs() < 1e-15);
        assert!((softplus(-700.0) / (-700.0f64).exp() - 1.0).abs() < 1e-15);
    }
}

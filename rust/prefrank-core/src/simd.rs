//! Vectorisable reductions: several independent accumulators over `chunks_exact` blocks so that LLVM
//! emits SIMD code on stable Rust without target-specific flags; and the one runtime CPU dispatch,
//! [`with_avx2`].
//!
//! This is the only module of the crate allowed `unsafe` code (`lib.rs` denies it elsewhere).

/// Run `f` as an AVX2 build when the CPU has AVX2 (`std` runtime detection), else as it is.
///
/// `f` is compiled into the AVX2 copy together with everything it inlines, so kernels written as
/// `#[inline(always)]` functions over contiguous slices get 256-bit vectors; the operations and
/// their order are the same in both builds, so are the results, bit for bit. Pass the closure as
/// `#[inline(always)] || kernel(..)`: a closure LLVM leaves out of line runs without AVX2 (about
/// half the speed of the dense agreement kernels, measured).
#[inline(always)]
pub fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, the one requirement of calling `avx2`.
            return unsafe { avx2(f) };
        }
    }
    f()
}

/// Sum of a slice with eight independent accumulators (the summation order is fixed, so the
/// result is deterministic).
pub fn sum(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let blocks = xs.chunks_exact(8);
    let rest = blocks.remainder();
    for b in blocks {
        for k in 0..8 {
            acc[k] += b[k];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for &x in rest {
        s += x;
    }
    s
}

/// Dot product with eight independent accumulators.
pub fn dot(xs: &[f64], ys: &[f64]) -> f64 {
    assert_eq!(xs.len(), ys.len());
    let mut acc = [0.0f64; 8];
    let bx = xs.chunks_exact(8);
    let by = ys.chunks_exact(8);
    let (rx, ry) = (bx.remainder(), by.remainder());
    for (a, b) in bx.zip(by) {
        for k in 0..8 {
            acc[k] += a[k] * b[k];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (a, b) in rx.iter().zip(ry) {
        s += a * b;
    }
    s
}

/// `ys += xs` elementwise.
pub fn add_assign(ys: &mut [f64], xs: &[f64]) {
    assert_eq!(xs.len(), ys.len());
    for (y, x) in ys.iter_mut().zip(xs) {
        *y += *x;
    }
}

/// `exp(x)` for `x <= 0`, branch-free so that a loop over a slice vectorises (libm's `exp` is a
/// call per element). Range reduction `x = n ln 2 + r`, `|r| <= ln 2 / 2`, then a degree-12 Taylor
/// polynomial: relative error below 3e-16 for `x >= -708` (smaller `x` return `exp(-708)`, which
/// only feeds `1 + e` in [`sigmoid_in_place`]).
#[inline(always)]
fn exp_nonpositive(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // Adding 1.5 * 2^52 rounds to an integer in the low mantissa bits (no `round` instruction
    // needed on baseline x86-64).
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    let x = x.max(-708.0);
    let t = x * LOG2E + MAGIC;
    let n = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    let nf = t - MAGIC;
    let r = (x - nf * LN2_HI) - nf * LN2_LO;
    // Horner, 1/k! coefficients.
    let mut p = 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    let scale = f64::from_bits(((n + 1023) as u64) << 52);
    p * scale
}

/// `z[k] <- 1 / (1 + exp(-z[k]))` in place, numerically stable for any sign, in a loop LLVM
/// vectorises.
pub fn sigmoid_in_place(z: &mut [f64]) {
    for v in z.iter_mut() {
        let e = exp_nonpositive(-v.abs());
        let inv = 1.0 / (1.0 + e);
        *v = if *v >= 0.0 { inv } else { e * inv };
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fast_sigmoid_matches_libm() {
        let z: Vec<f64> = (-4000..=4000)
            .map(|k| k as f64 * 0.0137)
            .chain([
                0.0, -0.0, 1e-300, -1e-300, 745.0, -745.0, 1e6, -1e6, 36.7, -36.7,
            ])
            .collect();
        let mut out = z.clone();
        super::sigmoid_in_place(&mut out);
        for (&v, &s) in z.iter().zip(&out) {
            let want = crate::numeric::logistic::sigmoid(v);
            let err = (s - want).abs() / want.max(1e-300);
            assert!(
                err < 1e-15 || (want < 1e-300 && s < 1e-300),
                "z {v}: {s} vs {want}"
            );
        }
    }

    use super::*;
    #[test]
    fn sum_and_dot_match_naive() {
        let xs: Vec<f64> = (0..37).map(|i| i as f64 * 0.5).collect();
        let ys: Vec<f64> = (0..37).map(|i| 1.0 - i as f64).collect();
        assert_eq!(sum(&xs), xs.iter().sum::<f64>());
        let naive: f64 = xs.iter().zip(&ys).map(|(a, b)| a * b).sum();
        assert!((dot(&xs, &ys) - naive).abs() < 1e-9);
        let mut z = ys.clone();
        add_assign(&mut z, &xs);
        assert_eq!(z[3], ys[3] + xs[3]);
    }
}

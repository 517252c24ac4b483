//! Vectorisable reductions: several independent accumulators over `chunks_exact` blocks so that LLVM
//! emits SIMD code on stable Rust without target-specific flags.

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

#[cfg(test)]
mod tests {
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

//! Small dense linear algebra: Cholesky factorisation and solve of a symmetric positive-definite
//! matrix stored row-major in one slice.

/// In-place Cholesky (lower triangle); returns false if the matrix is not positive definite.
pub fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        // A large factor takes minutes (O(n^3)); a cancelled call gives up (and reports
        // `Error::Cancelled` from its fit).
        if crate::cancel::cancelled() {
            return false;
        }
        let (head, tail) = a.split_at_mut(j * n);
        let row_j = &mut tail[..n];
        let mut d = row_j[j] - crate::simd::dot(&row_j[..j], &row_j[..j]);
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        d = d.sqrt();
        row_j[j] = d;
        let _ = head;
        for i in j + 1..n {
            let (upper, lower) = a.split_at_mut(i * n);
            let rj = &upper[j * n..j * n + j];
            let ri = &mut lower[..n];
            let s = ri[j] - crate::simd::dot(&ri[..j], rj);
            ri[j] = s / d;
        }
    }
    true
}

/// Solve `L L^T x = b` given the factor from [`cholesky`].
pub fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s = b[i] - crate::simd::dot(&l[i * n..i * n + i], &b[..i]);
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn solves_spd() {
        let mut a = vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let orig = a.clone();
        assert!(cholesky(&mut a, 3));
        let mut b = vec![1.0, 2.0, 3.0];
        cholesky_solve(&a, 3, &mut b);
        for i in 0..3 {
            let r: f64 = (0..3).map(|k| orig[i * 3 + k] * b[k]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky(&mut bad, 2));
    }
}

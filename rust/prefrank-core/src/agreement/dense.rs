//! Column layout of per-unit value counts for the vectorised dense updates of [`super::Coincidence`]
//! and [`super::UnitTable`].
//!
//! A block of `n` units over `k` categories is held as `k` columns of floats (`cols[c * n + j]` is
//! unit `j`'s count of category `c`). Every entry of the `k x k` statistic is then a dot product over
//! the units, summed with eight independent accumulators in a fixed order: deterministic, and SIMD
//! across units instead of scalar per-unit `k x k` updates. The kernels run as AVX2 builds when the
//! CPU has AVX2 (`std` runtime detection; the same operations in the same order, so the same bits).

/// Define `$name(args)` as `$generic(args)` run through [`crate::simd::with_avx2`] (an AVX2 build
/// when the CPU supports AVX2).
macro_rules! avx2_dispatch {
    ($(#[$doc:meta])* $vis:vis fn $name:ident / $generic:ident ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) -> $ret {
            crate::simd::with_avx2(#[inline(always)] || $generic($($arg),*))
        }
    };
}
pub(crate) use avx2_dispatch;

/// Units per block when count rows are transposed into columns (bounds the scratch memory).
pub(crate) const TILE: usize = 4096;

/// Transpose a block of `u32` count rows (row stride `stride >= k`, extra columns ignored) into
/// `k` float columns.
pub(crate) fn columns(counts: &[u32], stride: usize, k: usize) -> Vec<f64> {
    let n = counts.len() / stride;
    let mut cols = vec![0.0; k * n];
    for (j, row) in counts.chunks_exact(stride).enumerate() {
        for (c, &x) in row[..k].iter().enumerate() {
            cols[c * n + j] = x as f64;
        }
    }
    cols
}

/// Per-unit totals `m_j = sum_c cols[c][j]` (exact: whole numbers below 2^53).
#[inline(always)]
fn row_sums(cols: &[f64], n: usize, k: usize) -> Vec<f64> {
    let mut m = vec![0.0; n];
    for col in cols.chunks_exact(n.max(1)).take(k) {
        for (s, &x) in m.iter_mut().zip(col) {
            *s += x;
        }
    }
    m
}

/// Combine eight lane sums in a fixed order.
#[inline(always)]
fn fold8(acc: &[f64; 8]) -> f64 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

/// `sum_j f(x[j], y[j])` with eight independent accumulators (as [`crate::simd::dot`]).
#[inline(always)]
fn dot_with(x: &[f64], y: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let bx = x.chunks_exact(8);
    let by = y.chunks_exact(8);
    let (rx, ry) = (bx.remainder(), by.remainder());
    for (a, b) in bx.zip(by) {
        for l in 0..8 {
            acc[l] += f(a[l], b[l]);
        }
    }
    let mut s = fold8(&acc);
    for (&a, &b) in rx.iter().zip(ry) {
        s += f(a, b);
    }
    s
}

#[inline(always)]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    dot_with(x, y, |a, b| a * b)
}

#[inline(always)]
fn sum(x: &[f64]) -> f64 {
    dot_with(x, x, |a, _| a)
}

/// A block's share of the coincidence statistic.
pub(crate) struct CoBlock {
    /// `k x k` entries, row-major.
    pub o: Vec<f64>,
    pub rated: u64,
    pub pairable: u64,
    pub values: u64,
    pub pairs: f64,
}

avx2_dispatch! {
    /// Every unit adds `(n n' - diag n) / (m - 1)` (nothing when `m < 2`); each entry is a dot
    /// product over the units.
    pub(crate) fn coincidence_block / coincidence_block_generic(
        cols: &[f64],
        n: usize,
        k: usize,
    ) -> CoBlock
}

#[inline(always)]
fn coincidence_block_generic(cols: &[f64], n: usize, k: usize) -> CoBlock {
    let col = |c: usize| &cols[c * n..(c + 1) * n];
    let m = row_sums(cols, n, k);
    let inv: Vec<f64> = m
        .iter()
        .map(|&x| if x > 1.0 { 1.0 / (x - 1.0) } else { 0.0 })
        .collect();
    let values = sum(&m);
    let mut o = vec![0.0; k * k];
    let mut w = vec![0.0; n];
    for a in 0..k {
        for ((w, &x), &i) in w.iter_mut().zip(col(a)).zip(&inv) {
            *w = x * i;
        }
        o[a * k + a] = dot_with(&w, col(a), |w, x| w * (x - 1.0));
        for b in a + 1..k {
            let x = dot(&w, col(b));
            o[a * k + b] = x;
            o[b * k + a] = x;
        }
    }
    CoBlock {
        o,
        rated: m.iter().filter(|&&x| x > 0.0).count() as u64,
        pairable: m.iter().filter(|&&x| x > 1.0).count() as u64,
        values: values as u64,
        // sum m (m - 1) / 2 = (sum m^2 - sum m) / 2, exact in whole numbers.
        pairs: (dot(&m, &m) - values) / 2.0,
    }
}

/// A block's share of the multi-rater statistic.
pub(crate) struct UtBlock {
    /// `q x q` entries `sum n_i n_j / (r (r - 1))`, row-major.
    pub a: Vec<f64>,
    pub pi: Vec<f64>,
    pub s1: f64,
    pub rated: f64,
    pub pairable: f64,
}

avx2_dispatch! {
    /// The multi-rater sums of a block (see `UnitTable`), each a dot product over the units.
    pub(crate) fn unit_table_block / unit_table_block_generic(
        cols: &[f64],
        n: usize,
        q: usize,
    ) -> UtBlock
}

#[inline(always)]
fn unit_table_block_generic(cols: &[f64], n: usize, q: usize) -> UtBlock {
    let col = |c: usize| &cols[c * n..(c + 1) * n];
    let r = row_sums(cols, n, q);
    let inv_r: Vec<f64> = r
        .iter()
        .map(|&x| if x > 0.0 { 1.0 / x } else { 0.0 })
        .collect();
    let inv1: Vec<f64> = r
        .iter()
        .map(|&x| if x > 1.0 { 1.0 / (x - 1.0) } else { 0.0 })
        .collect();
    let inv2: Vec<f64> = r
        .iter()
        .map(|&x| if x > 1.0 { 1.0 / (x * (x - 1.0)) } else { 0.0 })
        .collect();
    let mut a = vec![0.0; q * q];
    let mut pi = vec![0.0; q];
    let mut w = vec![0.0; n];
    for i in 0..q {
        pi[i] = dot(col(i), &inv_r);
        for ((w, &x), &v) in w.iter_mut().zip(col(i)).zip(&inv2) {
            *w = x * v;
        }
        for j in i..q {
            let x = dot(&w, col(j));
            a[i * q + j] = x;
            a[j * q + i] = x;
        }
    }
    UtBlock {
        a,
        pi,
        s1: sum(&inv1),
        rated: r.iter().filter(|&&x| x > 0.0).count() as f64,
        pairable: r.iter().filter(|&&x| x > 1.0).count() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_sums_and_dots() {
        let counts = [1u32, 2, 9, 0, 3, 9, 4, 0, 9];
        let cols = columns(&counts, 3, 2);
        assert_eq!(cols, vec![1.0, 0.0, 4.0, 2.0, 3.0, 0.0]);
        assert_eq!(row_sums(&cols, 3, 2), vec![3.0, 3.0, 4.0]);
        assert!(row_sums(&[], 0, 2).is_empty());
        let w: Vec<f64> = (0..19).map(|i| i as f64 * 0.25).collect();
        let x: Vec<f64> = (0..19).map(|i| (i % 4) as f64).collect();
        let naive: f64 = w.iter().zip(&x).map(|(a, b)| a * (b - 1.0)).sum();
        assert!((dot_with(&w, &x, |a, b| a * (b - 1.0)) - naive).abs() < 1e-12);
        assert_eq!(dot(&w, &x), crate::simd::dot(&w, &x));
        assert_eq!(sum(&w), crate::simd::sum(&w));
        // The dispatched kernels equal the generic ones bit for bit.
        let cols: Vec<f64> = (0..3 * 37).map(|i| ((i * 7) % 5) as f64).collect();
        let (a, b) = (
            coincidence_block(&cols, 37, 3),
            coincidence_block_generic(&cols, 37, 3),
        );
        assert_eq!((a.o, a.pairs, a.values), (b.o, b.pairs, b.values));
        let (a, b) = (
            unit_table_block(&cols, 37, 3),
            unit_table_block_generic(&cols, 37, 3),
        );
        assert_eq!((a.a, a.pi, a.s1), (b.a, b.pi, b.s1));
    }
}

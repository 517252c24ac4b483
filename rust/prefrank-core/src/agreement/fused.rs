//! The fused float path: per-unit value counts straight from a `raters x units` float matrix
//! (NaN = missing) of whole numbers on a narrow scale, without materialising codes.
//!
//! Units are cut into fixed chunks (their size depends only on the number of raters, never on the
//! machine). Each chunk takes the range of its values as they stream in from memory, then counts
//! them per unit over that range while they are still in cache (checking that they are whole
//! numbers), and folds the counts into a partial statistic. Partials over different ranges are
//! re-based onto their union when merged, in a fixed tree order, so results are identical for any
//! thread count. Values that are not whole numbers, infinities and scales wider than
//! [`DIRECT_SPAN`] make the whole pass give up (`None`), and the caller codes the values instead.
//!
//! Scales of up to [`PACKED_SPAN`] values pack the per-unit counts into one `f64` per unit: value
//! `lo + c` adds `2^(b c)` (lane `c` is `b` bits wide), built with two float operations and one
//! integer shift, and NaN adds 0. The loop is a vertical `acc[j] += f(v[j])` over contiguous
//! slices, so it vectorises without gathers or scatters (AVX2 when the CPU has it, else baseline
//! SSE2); sums stay exact integers below `2^52`. The lanes are unpacked into float columns, the
//! layout of the dense updates in `dense.rs`.

use crate::par;
use std::sync::atomic::{AtomicBool, Ordering};

/// Widest scale counted directly over its slots.
pub(crate) const DIRECT_SPAN: usize = 64;

/// Widest scale counted with packed lanes (wider scales scatter into a count block).
const PACKED_SPAN: usize = 8;

/// Values per chunk (a few hundred KiB: a chunk's slices stay in cache between scan and count).
const CHUNK_VALUES: usize = 1 << 15;

/// Fewest units per chunk.
const MIN_CHUNK_UNITS: usize = 256;

/// Units per chunk of the fused path for `n_raters` raters (a function of the shape only).
pub(crate) fn chunk_units(n_raters: usize) -> usize {
    (CHUNK_VALUES / n_raters.max(1)).max(MIN_CHUNK_UNITS)
}

/// Range `(min, max)` of a slice's non-missing values (`min > max` when all are missing).
///
/// Eight independent lanes of compare-and-select over fixed-size blocks (`minpd`/`maxpd`
/// semantics: NaN never wins), so that LLVM vectorises the loop; `f64::min` would not.
pub(crate) fn range_slice(xs: &[f64]) -> (f64, f64) {
    const L: usize = 8;
    let mut lo = [f64::INFINITY; L];
    let mut hi = [f64::NEG_INFINITY; L];
    let blocks = xs.chunks_exact(L);
    let rest = blocks.remainder();
    for b in blocks {
        let b: &[f64; L] = b.try_into().expect("block of L");
        for i in 0..L {
            lo[i] = if b[i] < lo[i] { b[i] } else { lo[i] };
            hi[i] = if b[i] > hi[i] { b[i] } else { hi[i] };
        }
    }
    for &v in rest {
        lo[0] = if v < lo[0] { v } else { lo[0] };
        hi[0] = if v > hi[0] { v } else { hi[0] };
    }
    (
        lo.iter().fold(f64::INFINITY, |a, &b| a.min(b)),
        hi.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b)),
    )
}

/// Range of a slice's non-missing values and whether they are all whole numbers below 2^52
/// (an infinity is not whole).
pub(crate) fn scan_slice(xs: &[f64]) -> (f64, f64, bool) {
    const LIM: f64 = (1u64 << 52) as f64;
    let (lo, hi) = range_slice(xs);
    let mut bad = false;
    for &v in xs {
        let a = v.abs();
        // (a + 2^52) - 2^52 rounds a to an integer: plain arithmetic, vectorisable.
        bad |= !(v.is_nan() | ((a < LIM) & ((a + LIM) - LIM == a)));
    }
    (lo, hi, !bad)
}

/// Per-unit counts of units `u0..u1` of a `raters x units` matrix whose values there are NaN or
/// in `[lo, lo + span)`, `span <= PACKED_SPAN`, as `span` float columns (`cols[c * n + j]`: unit
/// `u0 + j`'s count of `lo + c`). Returns false, leaving `cols` unusable, when some value is not a
/// whole number. `acc` is scratch space.
#[allow(clippy::too_many_arguments)]
pub(crate) fn packed_columns(
    values: &[f64],
    lo: f64,
    span: usize,
    n_raters: usize,
    n_units: usize,
    u0: usize,
    u1: usize,
    cols: &mut Vec<f64>,
    acc: &mut Vec<f64>,
) -> bool {
    let n = u1 - u0;
    cols.clear();
    cols.resize(span * n, 0.0);
    acc.clear();
    acc.resize(n, 0.0);
    packed_groups(values, lo, span, n_raters, n_units, u0, cols, acc)
}

super::dense::avx2_dispatch! {
    /// The body of [`packed_columns`] (`cols` zeroed, `acc` of the block's length).
    fn packed_groups / packed_groups_generic(
        values: &[f64],
        lo: f64,
        span: usize,
        n_raters: usize,
        n_units: usize,
        u0: usize,
        cols: &mut [f64],
        acc: &mut [f64],
    ) -> bool
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn packed_groups_generic(
    values: &[f64],
    lo: f64,
    span: usize,
    n_raters: usize,
    n_units: usize,
    u0: usize,
    cols: &mut [f64],
    acc: &mut [f64],
) -> bool {
    const M52: f64 = 4_503_599_627_370_496.0;
    let n = acc.len();
    // Lanes of `bits` bits: `span * bits <= 52` keeps every sum an exact integer below 2^52; a
    // lane holds up to `group` counts before the accumulators are unpacked.
    let bits = 52 / span;
    let group = (1usize << bits.min(24)) - 1;
    let mask = (1u64 << bits) - 1;
    let low = (1u64 << 52) - 1;
    let scale = bits as f64;
    let mut r0 = 0;
    while r0 < n_raters {
        let r1 = (r0 + group).min(n_raters);
        acc.fill(0.0);
        let mut bad = 0;
        for r in r0..r1 {
            let start = r * n_units + u0;
            bad |= add_packed(acc, &values[start..start + n], lo, scale);
        }
        if bad != 0 {
            return false;
        }
        // Unpack: `a + 2^52` holds `a` in its mantissa bits; a lane `v` becomes the float
        // `(2^52 | v) - 2^52`. Integer and float operations only, vectorisable.
        for (c, col) in cols.chunks_exact_mut(n.max(1)).take(span).enumerate() {
            let sh = bits * c;
            for (o, &a) in col.iter_mut().zip(acc.iter()) {
                let x = (a + M52).to_bits() & low;
                *o += f64::from_bits(((x >> sh) & mask) | M52.to_bits()) - M52;
            }
        }
        r0 = r1;
    }
    true
}

/// Per-unit counts as [`packed_columns`] for any span (row stride `span + 1` in `out`, last
/// column: missing), one scattered increment per value.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scatter_counts(
    values: &[f64],
    lo: f64,
    span: usize,
    n_raters: usize,
    n_units: usize,
    u0: usize,
    u1: usize,
    out: &mut Vec<u32>,
) -> bool {
    let w = span + 1;
    out.clear();
    out.resize((u1 - u0) * w, 0);
    let mut bad = false;
    for r in 0..n_raters {
        let row = &values[r * n_units + u0..r * n_units + u1];
        for (j, &v) in row.iter().enumerate() {
            bad |= not_whole(v - lo);
            out[j * w + slot(v, lo, span)] += 1;
        }
    }
    !bad
}

/// True when `d` (not NaN) is not a whole number; `d` is in `[0, 64)` here.
#[inline(always)]
fn not_whole(d: f64) -> bool {
    const M: f64 = 4_503_599_627_370_496.0;
    ((d + M) - M != d) & !d.is_nan()
}

/// `acc[j] += 2^(scale * d)` with `d = row[j] - lo`, or nothing for NaN: `d * scale + 2^52 + 1023`
/// holds the biased exponent in its low mantissa bits, and shifting them into the exponent field
/// gives the power of two. Returns nonzero when some `d` is not a whole number.
#[inline(always)]
fn add_packed(acc: &mut [f64], row: &[f64], lo: f64, scale: f64) -> u64 {
    const MAGIC: f64 = 4_503_599_627_370_496.0 + 1023.0;
    let mut bad = 0u64;
    for (a, &v) in acc.iter_mut().zip(row) {
        let d = v - lo;
        let p = f64::from_bits((d * scale + MAGIC).to_bits() << 52);
        *a += if v.is_nan() { 0.0 } else { p };
        bad |= not_whole(d) as u64;
    }
    bad
}

/// Slot of `v` in a scale starting at `lo` with `span` values; NaN goes to slot `span`.
#[inline(always)]
pub(crate) fn slot(v: f64, lo: f64, span: usize) -> usize {
    let nan = v.is_nan() as usize;
    // `as usize` saturates (NaN -> 0), so this is in bounds for every scanned value.
    ((v - lo) as usize) * (1 - nan) + span * nan
}

/// Column totals of a count block with row stride `w` (first `k` columns).
pub(crate) fn column_totals(counts: &[u32], w: usize, k: usize, totals: &mut [u64]) {
    for row in counts.chunks_exact(w) {
        for (t, &x) in totals.iter_mut().zip(&row[..k]) {
            *t += x as u64;
        }
    }
}

/// A statistic accumulated by the fused float path.
pub(crate) trait SpanStat: Sized + Send {
    /// The statistic over `k` categories of a block of per-unit counts (row stride `stride`,
    /// extra columns ignored).
    fn from_block(k: usize, counts: &[u32], stride: usize) -> Self;
    /// The statistic over `k` categories of `n` units given as `k` count columns.
    fn from_columns(k: usize, cols: &[f64], n: usize) -> Self;
    /// This statistic over `n` categories, its own at `off..off + k`.
    fn embed(&self, off: usize, n: usize) -> Self;
    /// Add a statistic over the same categories.
    fn add(self, other: Self) -> Self;
    /// Restricted to the categories `keep` (the others hold no value).
    fn select(&self, keep: &[usize]) -> Self;
    /// The statistic of `n` units without any value.
    fn empty(n: u64) -> Self;
    /// Count `n` more units without any value.
    fn add_empty(&mut self, n: u64);
}

/// A partial of the fused path: over whole numbers `lo..lo + totals.len()`, all missing, or
/// "use the coding path".
enum Part<S> {
    Fallback,
    Empty(u64),
    Range(f64, S, Vec<u64>),
}

impl<S: SpanStat> Part<S> {
    fn merge(a: Part<S>, b: Part<S>) -> Part<S> {
        match (a, b) {
            (Part::Fallback, _) | (_, Part::Fallback) => Part::Fallback,
            (Part::Empty(x), Part::Empty(y)) => Part::Empty(x + y),
            (Part::Empty(n), Part::Range(lo, mut s, t))
            | (Part::Range(lo, mut s, t), Part::Empty(n)) => {
                s.add_empty(n);
                Part::Range(lo, s, t)
            }
            (Part::Range(la, sa, mut ta), Part::Range(lb, sb, tb)) => {
                if la == lb && ta.len() == tb.len() {
                    for (x, y) in ta.iter_mut().zip(&tb) {
                        *x += *y;
                    }
                    return Part::Range(la, sa.add(sb), ta);
                }
                let lo = la.min(lb);
                let hi = (la + ta.len() as f64).max(lb + tb.len() as f64);
                let n = (hi - lo) as usize;
                if n > DIRECT_SPAN {
                    return Part::Fallback;
                }
                let (oa, ob) = ((la - lo) as usize, (lb - lo) as usize);
                let mut t = vec![0u64; n];
                for (i, x) in ta.iter().enumerate() {
                    t[i + oa] += x;
                }
                for (i, x) in tb.iter().enumerate() {
                    t[i + ob] += x;
                }
                Part::Range(lo, sa.embed(oa, n).add(sb.embed(ob, n)), t)
            }
        }
    }
}

/// Accumulate a `raters x units` float matrix (NaN = missing; `values.len()` a multiple of
/// `n_raters > 0`) into a statistic and its categories (the sorted distinct values), or `None`
/// when the values are not whole numbers on a scale of at most [`DIRECT_SPAN`] values.
pub(crate) fn accumulate<S: SpanStat>(values: &[f64], n_raters: usize) -> Option<(S, Vec<f64>)> {
    let n_units = values.len() / n_raters;
    let chunk = chunk_units(n_raters);
    // Once one chunk gives up, the others skip their work (the result is Fallback anyway).
    let give_up = AtomicBool::new(false);
    let part = par::tree_map_reduce(
        par::n_chunks(n_units, chunk),
        &|ci| {
            if give_up.load(Ordering::Relaxed) {
                return Part::Fallback;
            }
            let (u0, u1) = (ci * chunk, ((ci + 1) * chunk).min(n_units));
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for r in 0..n_raters {
                let (l, h) = range_slice(&values[r * n_units + u0..r * n_units + u1]);
                lo = lo.min(l);
                hi = hi.max(h);
            }
            if lo > hi {
                return Part::Empty((u1 - u0) as u64);
            }
            // An infinity makes the range infinite; whole numbers are checked while counting.
            if hi - lo >= DIRECT_SPAN as f64 {
                give_up.store(true, Ordering::Relaxed);
                return Part::Fallback;
            }
            let span = (hi - lo) as usize + 1;
            let mut t = vec![0u64; span];
            let s = if span <= PACKED_SPAN {
                let (mut cols, mut acc) = (Vec::new(), Vec::new());
                if !packed_columns(
                    values, lo, span, n_raters, n_units, u0, u1, &mut cols, &mut acc,
                ) {
                    give_up.store(true, Ordering::Relaxed);
                    return Part::Fallback;
                }
                let n = u1 - u0;
                for (t, col) in t.iter_mut().zip(cols.chunks_exact(n)) {
                    *t = crate::simd::sum(col) as u64;
                }
                S::from_columns(span, &cols, n)
            } else {
                let mut buf = Vec::new();
                if !scatter_counts(values, lo, span, n_raters, n_units, u0, u1, &mut buf) {
                    give_up.store(true, Ordering::Relaxed);
                    return Part::Fallback;
                }
                column_totals(&buf, span + 1, span, &mut t);
                S::from_block(span, &buf, span + 1)
            };
            Part::Range(lo, s, t)
        },
        &Part::merge,
    )
    .unwrap_or(Part::Empty(0));
    match part {
        Part::Fallback => None,
        Part::Empty(n) => Some((S::empty(n), Vec::new())),
        Part::Range(lo, stat, totals) => {
            let keep: Vec<usize> = (0..totals.len()).filter(|&c| totals[c] > 0).collect();
            let labels = keep.iter().map(|&c| lo + c as f64 + 0.0).collect();
            Some((stat.select(&keep), labels))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts of the plain scatter loop, the reference for the packed lanes.
    fn scatter(values: &[f64], lo: f64, span: usize, r: usize) -> Vec<u32> {
        let u = values.len() / r;
        let mut out = vec![0u32; u * (span + 1)];
        for i in 0..r {
            for j in 0..u {
                out[j * (span + 1) + slot(values[i * u + j], lo, span)] += 1;
            }
        }
        out
    }

    #[test]
    fn packed_counts_equal_scatter() {
        let mut x: u64 = 7;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        // Spans 1..=8 (packed lanes) and past the packed limit; more raters than one lane group
        // holds (span 7: 7-bit lanes, 127 raters per group; span 8: 6-bit lanes, 63).
        for (span, r) in [(1, 3), (2, 5), (5, 20), (7, 130), (8, 200), (9, 4), (20, 3)] {
            let u = 301;
            let lo = -3.0;
            let v: Vec<f64> = (0..r * u)
                .map(|_| {
                    let z = next();
                    if z % 3 == 0 {
                        f64::NAN
                    } else {
                        lo + (z % span as u64) as f64
                    }
                })
                .collect();
            let full = scatter(&v, lo, span, r);
            let want = &full[17 * (span + 1)..250 * (span + 1)];
            let mut w = v.clone();
            w[(r - 1) * u + 100] = lo + 0.5;
            if span <= PACKED_SPAN {
                let (mut cols, mut acc) = (Vec::new(), Vec::new());
                assert!(packed_columns(
                    &v, lo, span, r, u, 17, 250, &mut cols, &mut acc
                ));
                let n = 250 - 17;
                for (j, row) in want.chunks_exact(span + 1).enumerate() {
                    for c in 0..span {
                        assert_eq!(cols[c * n + j], row[c] as f64, "span {span}");
                    }
                }
                // A value that is not a whole number is noticed.
                assert!(!packed_columns(
                    &w, lo, span, r, u, 17, 250, &mut cols, &mut acc
                ));
                assert!(packed_columns(
                    &w, lo, span, r, u, 101, 250, &mut cols, &mut acc
                ));
            }
            let mut out = Vec::new();
            assert!(scatter_counts(&v, lo, span, r, u, 17, 250, &mut out));
            assert_eq!(out, want, "span {span}");
            assert!(!scatter_counts(&w, lo, span, r, u, 17, 250, &mut out));
        }
    }

    #[test]
    fn scan_slice_range_and_wholeness() {
        let xs: Vec<f64> = (0..37).map(|i| (i % 11) as f64 - 4.0).collect();
        assert_eq!(scan_slice(&xs), (-4.0, 6.0, true));
        let mut ys = xs.clone();
        ys[3] = f64::NAN;
        ys[36] = 9.0;
        assert_eq!(scan_slice(&ys), (-4.0, 9.0, true));
        ys[20] = 0.5;
        assert!(!scan_slice(&ys).2);
        ys[20] = f64::INFINITY;
        assert!(!scan_slice(&ys).2);
        let (l, h, w) = scan_slice(&[f64::NAN; 9]);
        assert!(l > h && w);
    }
}

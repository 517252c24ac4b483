//! Mergeable `(key, lo, hi)` pair cells behind the streamed label-noise EM and per-group
//! Bradley-Terry (the key is a judge or group code, or 0): three weights per cell ("lo won",
//! "hi won", tie) and the first row with a positive weight that reached the cell.
//!
//! [`combine`] is the one reduction: cells with equal keys are summed in input order and keep the
//! smallest first row; the output is sorted by key. Accumulating a batch (one cell per row) and
//! merging two tables (their concatenation) are both this call.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Cells sorted by `(key, lo, hi)`, one per key; `mass[i] = [lo won, hi won, tie]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairCells {
    pub key: Vec<u32>,
    pub lo: Vec<u32>,
    pub hi: Vec<u32>,
    pub first: Vec<i64>,
    pub mass: Vec<[f64; 3]>,
}

/// Sum the cells with equal `(key[i], lo[i], hi[i])` (in input order, so the sums do not depend on
/// the thread count), keep their smallest `first`, and sort by key.
pub fn combine(
    key: &[u32],
    lo: &[u32],
    hi: &[u32],
    first: &[i64],
    mass: &[[f64; 3]],
) -> Result<PairCells> {
    let n = key.len();
    for (name, len) in [
        ("lo", lo.len()),
        ("hi", hi.len()),
        ("first", first.len()),
        ("mass", mass.len()),
    ] {
        if len != n {
            return Err(Error::LengthMismatch {
                left: "key".into(),
                left_len: n,
                right: name.into(),
                right_len: len,
            });
        }
    }
    // (packed key, input index): unique, so an unstable sort is deterministic and keeps input
    // order within a cell.
    let mut order: Vec<(u128, usize)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let k = ((key[i] as u128) << 64) | ((lo[i] as u128) << 32) | hi[i] as u128;
            (k, i)
        })
        .collect();
    order.par_sort_unstable();
    let mut out = PairCells::default();
    let mut prev: Option<u128> = None;
    for &(k, i) in &order {
        if prev != Some(k) {
            out.key.push(key[i]);
            out.lo.push(lo[i]);
            out.hi.push(hi[i]);
            out.first.push(first[i]);
            out.mass.push([0.0; 3]);
            prev = Some(k);
        }
        let last = out.mass.len() - 1;
        let m = &mut out.mass[last];
        for c in 0..3 {
            m[c] += mass[i][c];
        }
        let f = &mut out.first[last];
        *f = (*f).min(first[i]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_in_input_order_and_sorts() {
        let key = [1, 0, 1, 0];
        let lo = [0, 2, 0, 2];
        let hi = [3, 3, 3, 3];
        let first = [7, 5, 2, i64::MAX];
        let mass = [
            [1.0, 0.0, 0.0],
            [0.0, 2.0, 0.0],
            [0.5, 0.0, 1.0],
            [0.0, 0.0, 0.0],
        ];
        let c = combine(&key, &lo, &hi, &first, &mass).unwrap();
        assert_eq!(c.key, vec![0, 1]);
        assert_eq!(c.lo, vec![2, 0]);
        assert_eq!(c.first, vec![5, 2]);
        assert_eq!(c.mass, vec![[0.0, 2.0, 0.0], [1.5, 0.0, 1.0]]);
        let e = combine(&key, &lo, &hi[..3], &first, &mass).unwrap_err();
        assert!(e.to_string().contains("but hi has 3"), "{e}");
        assert!(combine(&[], &[], &[], &[], &[]).unwrap().key.is_empty());
    }
}

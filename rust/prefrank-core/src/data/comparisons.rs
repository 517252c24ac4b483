//! A borrowed view of a coded comparison table and its validation.
//!
//! Row `r` says: item `a[r]` met item `b[r]`; with probability `p[r]` item a won (1 = a won,
//! 0 = b won, values in between are soft outcomes) unless `tie[r] != 0`, in which case the row is a
//! tie (and `p[r]` is 0.5). `weight[r]` (default 1) scales the row.

use crate::error::{Error, Result};
use crate::par::{n_chunks, tree_map_reduce, ROW_CHUNK};

#[derive(Debug, Clone, Copy)]
pub struct ComparisonsRef<'a> {
    pub n_items: usize,
    pub a: &'a [u32],
    pub b: &'a [u32],
    pub p: &'a [f64],
    pub tie: &'a [u8],
    pub weight: Option<&'a [f64]>,
}

impl<'a> ComparisonsRef<'a> {
    pub fn len(&self) -> usize {
        self.a.len()
    }
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }
    #[inline]
    pub fn w(&self, r: usize) -> f64 {
        self.weight.map_or(1.0, |w| w[r])
    }
}

/// Column `name` has as many rows as column `a`.
pub(crate) fn check_len(name: &str, len: usize, expected: usize) -> Result<()> {
    if len != expected {
        return Err(Error::LengthMismatch {
            left: "a".into(),
            left_len: expected,
            right: name.into(),
            right_len: len,
        });
    }
    Ok(())
}

/// Check a comparison table. Returns `Ok(None)` when every row is valid, `Ok(Some(keep))` when
/// `drop_self` is set and some self-comparisons were found (`keep[r]` is false for them), and the
/// first offending row otherwise.
pub fn validate_comparisons(c: &ComparisonsRef<'_>, drop_self: bool) -> Result<Option<Vec<bool>>> {
    let n = c.a.len();
    check_len("b", c.b.len(), n)?;
    check_len("outcome", c.p.len(), n)?;
    check_len("tie", c.tie.len(), n)?;
    if let Some(w) = c.weight {
        check_len("weight", w.len(), n)?;
    }
    if n == 0 {
        return Err(Error::Empty {
            what: "the comparison table".into(),
        });
    }
    // Chunks are checked in parallel; the reduction keeps the earliest failing row, so the error is
    // the same as a sequential scan's. Self-comparisons are collected per chunk when dropped.
    let map = |k: usize| -> Result<Vec<usize>> {
        let lo = k * ROW_CHUNK;
        let hi = (lo + ROW_CHUNK).min(n);
        let mut selfs = Vec::new();
        if chunk_is_clean(c, lo, hi) {
            return Ok(selfs);
        }
        // Something in the chunk fails or is a self-comparison: find it row by row.
        for r in lo..hi {
            check_row(c, r)?;
            if c.a[r] == c.b[r] {
                if !drop_self {
                    return Err(Error::SelfComparison {
                        row: r,
                        item: c.a[r],
                    });
                }
                selfs.push(r);
            }
        }
        Ok(selfs)
    };
    let merge = |x: Result<Vec<usize>>, y: Result<Vec<usize>>| match (x, y) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e),
        (Ok(mut u), Ok(v)) => {
            u.extend(v);
            Ok(u)
        }
    };
    let selfs = tree_map_reduce(n_chunks(n, ROW_CHUNK), &map, &merge).unwrap_or(Ok(Vec::new()))?;
    if selfs.is_empty() {
        return Ok(None);
    }
    let mut keep = vec![true; n];
    for r in selfs {
        keep[r] = false;
    }
    Ok(Some(keep))
}

/// Tie flags of a numeric outcome column (1 = a won, 0 = b won, 0.5 = tie, else the probability
/// that a won): `tie[r] = (p[r] == 0.5)`. Errors name the first row that is not finite or not in
/// [0, 1]. One pass in parallel over fixed chunks.
pub fn numeric_outcome_ties(p: &[f64]) -> Result<Vec<u8>> {
    use rayon::prelude::*;
    let mut tie = vec![0u8; p.len()];
    let clean = tie
        .par_chunks_mut(ROW_CHUNK)
        .zip(p.par_chunks(ROW_CHUNK))
        .map(|(t, q)| {
            let mut bad = false;
            for (t, &q) in t.iter_mut().zip(q) {
                *t = (q == 0.5) as u8;
                bad |= !(0.0..=1.0).contains(&q);
            }
            !bad
        })
        .collect::<Vec<bool>>();
    if let Some(k) = clean.iter().position(|ok| !ok) {
        for r in k * ROW_CHUNK..p.len() {
            check_outcome_weight(p, None, r)?;
        }
    }
    Ok(tie)
}

/// Outcomes of a categorical outcome column from its codes (`u8` or `u32`): `p[r] = p_of[codes[r]]`,
/// `tie[r] = tie_of[codes[r]]`, in parallel over fixed chunks. A code outside the tables is an
/// error naming the first such row.
pub fn outcomes_from_codes<C: Copy + Into<u64> + Sync>(
    codes: &[C],
    p_of: &[f64],
    tie_of: &[u8],
) -> Result<(Vec<f64>, Vec<u8>)> {
    use rayon::prelude::*;
    if p_of.len() != tie_of.len() {
        return Err(Error::LengthMismatch {
            left: "p_of".into(),
            left_len: p_of.len(),
            right: "tie_of".into(),
            right_len: tie_of.len(),
        });
    }
    let out_of_range = |r: usize| {
        let code: u64 = codes[r].into();
        Error::CodeOutOfRange {
            row: r,
            code: u32::try_from(code).unwrap_or(u32::MAX),
            n_items: p_of.len(),
        }
    };
    let Some(last) = p_of.len().checked_sub(1) else {
        return match codes.is_empty() {
            true => Ok((Vec::new(), Vec::new())),
            false => Err(out_of_range(0)),
        };
    };
    let mut p = vec![0.0; codes.len()];
    let mut tie = vec![0u8; codes.len()];
    // Branch-free gather (clamped index, flag); a flagged chunk is searched for its first bad row.
    let clean: Vec<bool> = p
        .par_chunks_mut(ROW_CHUNK)
        .zip(tie.par_chunks_mut(ROW_CHUNK))
        .zip(codes.par_chunks(ROW_CHUNK))
        .map(|((p, t), c)| {
            let mut bad = false;
            for ((p, t), &c) in p.iter_mut().zip(t.iter_mut()).zip(c) {
                let c: u64 = c.into();
                bad |= c > last as u64;
                let i = (c as usize).min(last);
                *p = p_of[i];
                *t = tie_of[i];
            }
            !bad
        })
        .collect();
    if let Some(k) = clean.iter().position(|ok| !ok) {
        let r = (k * ROW_CHUNK..codes.len())
            .find(|&r| codes[r].into() > last as u64)
            .unwrap_or(k * ROW_CHUNK);
        return Err(out_of_range(r));
    }
    Ok((p, tie))
}

/// Rows `lo..hi` hold codes in range, probabilities in [0, 1], finite non-negative weights and no
/// self-comparison. A branch-free scan (it vectorises) that lets valid chunks skip the row-by-row
/// checks, which only run to name the first offending row.
fn chunk_is_clean(c: &ComparisonsRef<'_>, lo: usize, hi: usize) -> bool {
    // Saturating: a code equal to u32::MAX is then flagged and the row-by-row check decides.
    let n = u32::try_from(c.n_items).unwrap_or(u32::MAX);
    let (a, b, p) = (&c.a[lo..hi], &c.b[lo..hi], &c.p[lo..hi]);
    let mut bad = false;
    for ((&x, &y), &q) in a.iter().zip(b).zip(p) {
        // `!(0 <= q <= 1)` is also true for NaN.
        bad |= (x >= n) | (y >= n) | (x == y) | !((0.0..=1.0).contains(&q));
    }
    if let Some(w) = c.weight {
        for &x in &w[lo..hi] {
            bad |= !(0.0..f64::INFINITY).contains(&x);
        }
    }
    !bad
}

#[inline]
fn check_row(c: &ComparisonsRef<'_>, r: usize) -> Result<()> {
    for code in [c.a[r], c.b[r]] {
        if code as usize >= c.n_items {
            return Err(Error::CodeOutOfRange {
                row: r,
                code,
                n_items: c.n_items,
            });
        }
    }
    check_outcome_weight(c.p, c.weight, r)
}

/// Row `r`'s outcome is a probability and its weight (if any) finite and non-negative; shared by
/// every kernel that reads comparison rows.
#[inline]
pub(crate) fn check_outcome_weight(p: &[f64], weight: Option<&[f64]>, r: usize) -> Result<()> {
    let p = p[r];
    if !p.is_finite() {
        return Err(Error::NonFinite {
            row: r,
            column: "outcome".into(),
            value: p,
        });
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::OutOfUnitInterval {
            row: r,
            column: "outcome".into(),
            value: p,
        });
    }
    if let Some(w) = weight {
        let x = w[r];
        if !x.is_finite() {
            return Err(Error::NonFinite {
                row: r,
                column: "weight".into(),
                value: x,
            });
        }
        if x < 0.0 {
            return Err(Error::Negative {
                row: r,
                column: "weight".into(),
                value: x,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table<'a>(a: &'a [u32], b: &'a [u32], p: &'a [f64], t: &'a [u8]) -> ComparisonsRef<'a> {
        ComparisonsRef {
            n_items: 3,
            a,
            b,
            p,
            tie: t,
            weight: None,
        }
    }

    #[test]
    fn the_first_bad_row_of_a_later_chunk_is_named() {
        // Clean chunks skip the row-by-row checks; the error must still be the earliest bad row.
        let n = 3 * ROW_CHUNK + 17;
        let a: Vec<u32> = (0..n).map(|r| (r % 3) as u32).collect();
        let b: Vec<u32> = (0..n).map(|r| ((r + 1) % 3) as u32).collect();
        let mut p = vec![1.0; n];
        let tie = vec![0u8; n];
        assert_eq!(
            validate_comparisons(&table(&a, &b, &p, &tie), false),
            Ok(None)
        );
        p[2 * ROW_CHUNK + 5] = -0.5;
        p[3 * ROW_CHUNK + 1] = f64::NAN;
        let e = validate_comparisons(&table(&a, &b, &p, &tie), false).unwrap_err();
        assert!(matches!(e, Error::OutOfUnitInterval { row, .. } if row == 2 * ROW_CHUNK + 5));
        let mut b2 = b.clone();
        b2[ROW_CHUNK + 3] = a[ROW_CHUNK + 3];
        let keep = validate_comparisons(&table(&a, &b2, &vec![1.0; n], &tie), true)
            .unwrap()
            .unwrap();
        assert_eq!(keep.iter().filter(|k| !**k).count(), 1);
        assert!(!keep[ROW_CHUNK + 3]);
    }

    #[test]
    fn outcomes_gather_from_codes_and_check_them() {
        let (p, t) = outcomes_from_codes(&[2u32, 0, 1, 2], &[1.0, 0.0, 0.5], &[0, 0, 1]).unwrap();
        assert_eq!(p, vec![0.5, 1.0, 0.0, 0.5]);
        assert_eq!(t, vec![1, 0, 0, 1]);
        assert!(matches!(
            outcomes_from_codes(&[0u32, 3], &[1.0, 0.0, 0.5], &[0, 0, 1]),
            Err(Error::CodeOutOfRange {
                row: 1,
                code: 3,
                ..
            })
        ));
        assert!(matches!(
            outcomes_from_codes(&[0u32], &[1.0], &[0, 0]),
            Err(Error::LengthMismatch { .. })
        ));
        // u8 codes, several chunks, the first bad row named even when later chunks are bad too.
        let mut codes = vec![1u8; 2 * ROW_CHUNK + 5];
        let (p, t) = outcomes_from_codes(&codes, &[1.0, 0.5], &[0, 1]).unwrap();
        assert!(p.iter().all(|&x| x == 0.5) && t.iter().all(|&x| x == 1));
        codes[ROW_CHUNK + 9] = 2;
        codes[2 * ROW_CHUNK + 1] = 7;
        assert!(matches!(
            outcomes_from_codes(&codes, &[1.0, 0.5], &[0, 1]),
            Err(Error::CodeOutOfRange { row, code: 2, n_items: 2 }) if row == ROW_CHUNK + 9
        ));
        // Empty tables: fine for no rows, an error naming row 0 otherwise.
        assert_eq!(
            outcomes_from_codes::<u8>(&[], &[], &[]),
            Ok((vec![], vec![]))
        );
        assert!(matches!(
            outcomes_from_codes(&[0u8], &[], &[]),
            Err(Error::CodeOutOfRange { row: 0, .. })
        ));
    }

    #[test]
    fn numeric_outcomes_flag_ties_and_name_the_bad_row() {
        assert_eq!(
            numeric_outcome_ties(&[1.0, 0.5, 0.0, 0.25]),
            Ok(vec![0, 1, 0, 0])
        );
        let mut p = vec![1.0; 2 * ROW_CHUNK + 3];
        p[ROW_CHUNK + 7] = f64::INFINITY;
        p[2 * ROW_CHUNK + 1] = 2.0;
        assert!(matches!(
            numeric_outcome_ties(&p),
            Err(Error::NonFinite { row, .. }) if row == ROW_CHUNK + 7
        ));
        p[ROW_CHUNK + 7] = 0.5;
        assert!(matches!(
            numeric_outcome_ties(&p),
            Err(Error::OutOfUnitInterval { row, .. }) if row == 2 * ROW_CHUNK + 1
        ));
    }

    #[test]
    fn errors_name_the_row() {
        let e = validate_comparisons(&table(&[0, 1], &[1, 1], &[1.0, 0.0], &[0, 0]), false)
            .unwrap_err();
        assert_eq!(e, Error::SelfComparison { row: 1, item: 1 });
        let keep =
            validate_comparisons(&table(&[0, 1], &[1, 1], &[1.0, 0.0], &[0, 0]), true).unwrap();
        assert_eq!(keep, Some(vec![true, false]));
        let e = validate_comparisons(&table(&[0, 1], &[1, 2], &[1.0, f64::NAN], &[0, 0]), false)
            .unwrap_err();
        assert!(matches!(e, Error::NonFinite { row: 1, .. }));
        let e = validate_comparisons(&table(&[0, 1], &[1, 2], &[1.0, 1.5], &[0, 0]), false)
            .unwrap_err();
        assert!(matches!(e, Error::OutOfUnitInterval { row: 1, .. }));
        let e = validate_comparisons(&table(&[0], &[1, 2], &[1.0], &[0]), false).unwrap_err();
        assert!(matches!(e, Error::LengthMismatch { .. }));
        let e = validate_comparisons(&table(&[], &[], &[], &[]), false).unwrap_err();
        assert!(matches!(e, Error::Empty { .. }));
        let mut c = table(&[0, 1], &[1, 2], &[1.0, 0.0], &[0, 0]);
        let w = [1.0, -2.0];
        c.weight = Some(&w);
        let e = validate_comparisons(&c, false).unwrap_err();
        assert!(matches!(e, Error::Negative { row: 1, .. }));
        let mut c = table(&[0, 1], &[1, 2], &[1.0, 0.0], &[0, 0]);
        let w = [1.0, f64::INFINITY];
        c.weight = Some(&w);
        let e = validate_comparisons(&c, false).unwrap_err();
        assert!(matches!(e, Error::NonFinite { row: 1, .. }));
        let c = table(&[0, 7], &[1, 2], &[1.0, 0.0], &[0, 0]);
        assert!(matches!(
            validate_comparisons(&c, false).unwrap_err(),
            Error::CodeOutOfRange {
                row: 1,
                code: 7,
                ..
            }
        ));
    }
}

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

//! Agreement and disagreement statistics (Krippendorff, kappas, per-item and model-vs-model).
//!
//! Ratings enter as a dense `raters x units` matrix of `u32` category codes (row-major, one row per
//! rater) where [`MISSING`] marks an absent rating, or as a `units x categories` matrix of value
//! counts. Every statistic is built from a mergeable sufficient statistic:
//! [`Coincidence`] (Krippendorff's alpha), [`UnitTable`] (Fleiss / Gwet / Brennan-Prediger over any
//! number of raters) and [`Confusion`] (two-rater coefficients).

pub mod alpha;
pub mod bootstrap;
mod dense;
mod fused;
pub mod items;
pub mod kappa;
pub mod models;
pub mod soft;

pub use alpha::{alpha, Alpha, Coincidence, Metric};
pub use kappa::{Coefficient, Confusion, UnitTable, Weights};

use crate::error::{Error, Result};
use crate::limits;
use fused::slot;

/// Code of a missing rating in a `raters x units` code matrix.
pub const MISSING: u32 = u32::MAX;

/// Units per chunk for the unit-streaming kernels (fixed: results never depend on the machine).
pub const UNIT_CHUNK: usize = 1 << 14;

/// Why a statistic is undefined (returned as NaN with this reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undefined {
    /// No rating at all (empty input or everything missing).
    NoRatings,
    /// No unit has two or more ratings, so no pair of values can be compared.
    NoPairableUnits,
    /// Expected disagreement (chance agreement) leaves nothing to correct: all pairable values fall
    /// in one category, so the statistic is 0/0.
    NoVariation,
}

impl Undefined {
    /// Machine-readable name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Undefined::NoRatings => "no_ratings",
            Undefined::NoPairableUnits => "no_pairable_units",
            Undefined::NoVariation => "no_variation",
        }
    }
}

/// Check a `raters x units` code matrix: lengths and code range. Returns `(raters, units)`.
pub fn check_codes(codes: &[u32], n_raters: usize, n_categories: usize) -> Result<usize> {
    if n_raters == 0 {
        return Err(Error::Empty {
            what: "the ratings matrix".into(),
        });
    }
    if codes.len() % n_raters != 0 {
        return Err(Error::invalid(
            "codes",
            format!(
                "{} codes cannot form a matrix with {} rater rows",
                codes.len(),
                n_raters
            ),
        ));
    }
    let n_units = codes.len() / n_raters;
    if let Some(pos) = codes
        .iter()
        .position(|&c| c != MISSING && c as usize >= n_categories)
    {
        return Err(Error::CodeOutOfRange {
            row: pos / n_units.max(1),
            code: codes[pos],
            n_items: n_categories,
        });
    }
    Ok(n_units)
}

/// Refuse, before accumulating, `k` categories whose `k x k` tables (one per worker thread)
/// exceed the memory limit.
pub(crate) fn check_categories(k: usize) -> Result<()> {
    limits::check_array::<f64>(
        &format!("the {k} x {k} category tables"),
        &[k, k, limits::parallel_copies()],
        "code the values into fewer categories (bin continuous values)",
    )
}

/// Per-unit value counts of units `u0..u1` of a `raters x units` code matrix, written into `out`
/// (resized and zeroed) with row stride `k + 1`: the last column counts missing ratings, which
/// keeps the loop free of branches.
pub(crate) fn unit_counts_block(
    codes: &[u32],
    n_raters: usize,
    n_units: usize,
    k: usize,
    u0: usize,
    u1: usize,
    out: &mut Vec<u32>,
) {
    let w = k + 1;
    out.clear();
    out.resize((u1 - u0) * w, 0);
    for r in 0..n_raters {
        let row = &codes[r * n_units + u0..r * n_units + u1];
        for (j, &c) in row.iter().enumerate() {
            out[j * w + (c as usize).min(k)] += 1;
        }
    }
}

/// Per-unit value counts of a whole `raters x units` code matrix (`units x k`).
pub fn unit_counts(codes: &[u32], n_raters: usize, k: usize) -> Result<Vec<u32>> {
    let n_units = check_codes(codes, n_raters, k)?;
    // The block with its missing-value column, then the copy without it.
    limits::check_array::<u32>(
        &format!("value counts of {n_units} units over {k} categories"),
        &[n_units, k + 1, 2],
        "code the values into fewer categories (bin continuous values)",
    )?;
    let mut buf = Vec::new();
    unit_counts_block(codes, n_raters, n_units, k, 0, n_units, &mut buf);
    let mut out = Vec::with_capacity(n_units * k);
    for row in buf.chunks_exact(k + 1) {
        out.extend_from_slice(&row[..k]);
    }
    Ok(out)
}

const F64_CHUNK: usize = 1 << 16;

/// The value domain of a float matrix whose non-missing values are whole numbers in a span of
/// fewer than 2^20: a lookup table from `v - lo` to the code of `v` (sorted order).
#[derive(Debug, Clone)]
pub struct F64Domain {
    lo: f64,
    span: usize,
    lut: Vec<u32>,
    /// Sorted distinct values.
    pub labels: Vec<f64>,
}

impl F64Domain {
    /// Scan `values` (NaN = missing; an infinity is an error). `None` when the values are not
    /// whole numbers in a small span (use the hash path).
    pub fn scan(values: &[f64], n_cols: usize) -> Result<Option<F64Domain>> {
        match scan_range(values, n_cols)? {
            Range::Empty => Ok(Some(F64Domain {
                lo: 0.0,
                span: 0,
                lut: vec![0],
                labels: Vec::new(),
            })),
            Range::Other => Ok(None),
            Range::Whole { lo, span } => Ok(Some(Self::present(values, lo, span))),
        }
    }

    fn present(values: &[f64], lo: f64, span: usize) -> F64Domain {
        use rayon::prelude::*;
        let present = values
            .par_chunks(F64_CHUNK)
            .map(|ch| {
                let mut p = vec![false; span + 1];
                for &v in ch {
                    p[slot(v, lo, span)] = true;
                }
                p.truncate(span);
                p
            })
            .reduce(
                || vec![false; span],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(&b) {
                        *x |= *y;
                    }
                    a
                },
            );
        let mut lut = vec![MISSING; span + 1];
        let mut labels = Vec::new();
        for (i, &p) in present.iter().enumerate() {
            if p {
                lut[i] = labels.len() as u32;
                labels.push(lo + i as f64 + 0.0);
            }
        }
        let k = labels.len() as u32;
        // Missing values land in slot `span`, coded `k` (the missing column of a count block).
        for x in lut.iter_mut() {
            if *x == MISSING {
                *x = k;
            }
        }
        F64Domain {
            lo,
            span,
            lut,
            labels,
        }
    }

    /// Code of a value of the scanned matrix (`k`, one past the last code, for NaN).
    #[inline]
    pub fn code(&self, v: f64) -> u32 {
        self.lut[slot(v, self.lo, self.span)]
    }

    pub fn k(&self) -> usize {
        self.labels.len()
    }
}

/// The range of a float matrix's non-missing values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// No value (all missing).
    Empty,
    /// Whole numbers `lo, lo + 1, ..., lo + span - 1` (span < 2^20).
    Whole { lo: f64, span: usize },
    /// Anything else.
    Other,
}

/// One parallel pass: range, integrality and the first infinity (an error).
pub fn scan_range(values: &[f64], n_cols: usize) -> Result<Range> {
    use rayon::prelude::*;
    let scan: Vec<(f64, f64, bool, Option<usize>)> = values
        .par_chunks(F64_CHUNK)
        .enumerate()
        .map(|(ci, ch)| {
            let (lo, hi, whole) = fused::scan_slice(ch);
            // Only a chunk that is not all whole numbers can hold an infinity.
            let inf = if whole {
                None
            } else {
                ch.iter()
                    .position(|v| v.is_infinite())
                    .map(|j| ci * F64_CHUNK + j)
            };
            (lo, hi, whole, inf)
        })
        .collect();
    if let Some(i) = scan.iter().find_map(|s| s.3) {
        return Err(Error::NonFinite {
            row: i / n_cols.max(1),
            column: format!("column {}", i % n_cols.max(1)),
            value: values[i],
        });
    }
    let lo = scan.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let hi = scan.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    if lo > hi {
        return Ok(Range::Empty);
    }
    if !scan.iter().all(|s| s.2) || hi - lo >= (1u64 << 20) as f64 {
        return Ok(Range::Other);
    }
    Ok(Range::Whole {
        lo,
        span: (hi - lo) as usize + 1,
    })
}

/// Code a float matrix whose NaN entries are missing: returns codes (with [`MISSING`]) and the
/// sorted distinct values. `-0.0` and `0.0` are one value; infinities are rejected.
///
/// Whole-number values spanning fewer than 2^20 integers (the usual rating scales) take a
/// parallel lookup-table path; other values go through a hash map.
pub fn code_f64(values: &[f64], n_cols: usize) -> Result<(Vec<u32>, Vec<f64>)> {
    use rayon::prelude::*;
    if let Some(d) = F64Domain::scan(values, n_cols)? {
        let mut codes = vec![MISSING; values.len()];
        codes
            .par_chunks_mut(F64_CHUNK)
            .zip(values.par_chunks(F64_CHUNK))
            .for_each(|(out, ch)| {
                let k = d.k() as u32;
                for (o, &v) in out.iter_mut().zip(ch) {
                    let c = d.code(v);
                    *o = if c == k { MISSING } else { c };
                }
            });
        return Ok((codes, d.labels));
    }
    let mut seen: rustc_hash::FxHashMap<u64, u32> = Default::default();
    let mut labels: Vec<f64> = Vec::new();
    let mut codes = Vec::with_capacity(values.len());
    let (mut last_bits, mut last_code) = (u64::MAX, MISSING);
    for &v in values {
        if v.is_nan() {
            codes.push(MISSING);
            continue;
        }
        let bits = (v + 0.0).to_bits();
        if bits == last_bits {
            codes.push(last_code);
            continue;
        }
        let c = match seen.get(&bits) {
            Some(&c) => c,
            None => {
                let c = labels.len() as u32;
                seen.insert(bits, c);
                labels.push(v + 0.0);
                c
            }
        };
        last_bits = bits;
        last_code = c;
        codes.push(c);
    }
    let mut order: Vec<u32> = (0..labels.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| labels[a as usize].total_cmp(&labels[b as usize]));
    let mut remap = vec![0u32; labels.len()];
    for (fin, &prov) in order.iter().enumerate() {
        remap[prov as usize] = fin as u32;
    }
    for c in codes.iter_mut() {
        if *c != MISSING {
            *c = remap[*c as usize];
        }
    }
    let sorted = order.iter().map(|&p| labels[p as usize]).collect();
    Ok((codes, sorted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_f64_sorts_and_marks_missing() {
        let (c, l) = code_f64(&[3.0, f64::NAN, 1.5, 3.0, -0.0, 0.0], 3).unwrap();
        assert_eq!(l, vec![0.0, 1.5, 3.0]);
        assert_eq!(c, vec![2, MISSING, 1, 2, 0, 0]);
        // Whole numbers take the lookup-table path; same contract.
        let (c, l) = code_f64(&[3.0, f64::NAN, -2.0, 3.0, -0.0, 0.0, 7.0], 7).unwrap();
        assert_eq!(l, vec![-2.0, 0.0, 3.0, 7.0]);
        assert_eq!(c, vec![2, MISSING, 0, 2, 1, 1, 3]);
        assert!(l[1].is_sign_positive());
        let (c, l) = code_f64(&[f64::NAN, f64::NAN], 2).unwrap();
        assert!(l.is_empty() && c == vec![MISSING, MISSING]);
        let (_, l) = code_f64(&[0.0, 1e9], 2).unwrap();
        assert_eq!(l, vec![0.0, 1e9]);
        assert!(matches!(
            code_f64(&[1.0, f64::INFINITY], 2),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn check_codes_errors() {
        assert!(matches!(check_codes(&[], 0, 2), Err(Error::Empty { .. })));
        assert!(check_codes(&[0, 1, 0], 2, 2).is_err());
        assert!(matches!(
            check_codes(&[0, 5, 0, 1], 2, 2),
            Err(Error::CodeOutOfRange { code: 5, .. })
        ));
        assert_eq!(
            unit_counts(&[0, 1, MISSING, 1], 2, 2).unwrap(),
            vec![1, 0, 0, 2]
        );
    }
}

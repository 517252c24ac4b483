//! Agreement and disagreement statistics (Krippendorff, kappas, per-item and model-vs-model).
//!
//! Ratings enter as a dense `raters x units` matrix of `u32` category codes (row-major, one row per
//! rater) where [`MISSING`] marks an absent rating, or as a `units x categories` matrix of value
//! counts. Every statistic is built from a mergeable sufficient statistic:
//! [`Coincidence`] (Krippendorff's alpha), [`UnitTable`] (Fleiss / Gwet / Brennan-Prediger over any
//! number of raters) and [`Confusion`] (two-rater coefficients).

pub mod alpha;
pub mod bootstrap;
pub mod items;
pub mod kappa;
pub mod models;
pub mod soft;

pub use alpha::{alpha, Alpha, Coincidence, Metric};
pub use kappa::{Coefficient, Confusion, UnitTable, Weights};

use crate::error::{Error, Result};

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

/// Per-unit value counts (`units x k`, row-major `u32`) of units `u0..u1` of a `raters x units`
/// code matrix, written into `out` (resized and zeroed).
pub(crate) fn unit_counts_block(
    codes: &[u32],
    n_raters: usize,
    n_units: usize,
    k: usize,
    u0: usize,
    u1: usize,
    out: &mut Vec<u32>,
) {
    out.clear();
    out.resize((u1 - u0) * k, 0);
    for r in 0..n_raters {
        let row = &codes[r * n_units + u0..r * n_units + u1];
        for (j, &c) in row.iter().enumerate() {
            if c != MISSING {
                out[j * k + c as usize] += 1;
            }
        }
    }
}

/// Per-unit value counts of a whole `raters x units` code matrix (`units x k`).
pub fn unit_counts(codes: &[u32], n_raters: usize, k: usize) -> Result<Vec<u32>> {
    let n_units = check_codes(codes, n_raters, k)?;
    let mut out = Vec::new();
    unit_counts_block(codes, n_raters, n_units, k, 0, n_units, &mut out);
    Ok(out)
}

/// Code a float matrix whose NaN entries are missing: returns codes (with [`MISSING`]) and the
/// sorted distinct values. `-0.0` and `0.0` are one value; infinities are rejected.
pub fn code_f64(values: &[f64], n_cols: usize) -> Result<(Vec<u32>, Vec<f64>)> {
    let mut seen: rustc_hash::FxHashMap<u64, u32> = Default::default();
    let mut labels: Vec<f64> = Vec::new();
    let mut codes = Vec::with_capacity(values.len());
    let (mut last_bits, mut last_code) = (u64::MAX, MISSING);
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            codes.push(MISSING);
            continue;
        }
        if v.is_infinite() {
            return Err(Error::NonFinite {
                row: i / n_cols.max(1),
                column: format!("column {}", i % n_cols.max(1)),
                value: v,
            });
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

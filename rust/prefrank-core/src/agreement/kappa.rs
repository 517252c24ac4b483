//! Chance-corrected agreement coefficients: Cohen's kappa, Scott's pi, Fleiss' kappa, Gwet's
//! AC1/AC2, Brennan-Prediger and percent agreement, unweighted or weighted.
//!
//! Two raters: the mergeable [`Confusion`] table. Any number of raters (Gwet 2014, chapter 2, with
//! missing ratings): the mergeable [`UnitTable`] holding
//! `A[k][l] = sum over units with r_u >= 2 of n_uk n_ul / (r_u (r_u - 1))`, `s1 = sum 1 / (r_u - 1)`,
//! the unit counts and `pi_k * n = sum over rated units of n_uk / r_u`. Then
//! `p_a = (sum w_kl A_kl - s1) / n'` for any agreement weights `w`.

use super::{check_codes, unit_counts_block, Undefined, MISSING, UNIT_CHUNK};
use crate::error::{Error, Result};
use crate::limits;
use crate::par;
use rayon::prelude::*;

/// Agreement weights over the coded categories `0..q`.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// 1 on the diagonal, 0 elsewhere.
    Identity,
    /// `1 - |i - j| / (q - 1)`.
    Linear,
    /// `1 - (i - j)^2 / (q - 1)^2`.
    Quadratic,
    /// A user `q x q` matrix of agreement weights in `[0, 1]` with ones on the diagonal.
    Matrix(Vec<f64>),
}

/// Which coefficient to finalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coefficient {
    Cohen,
    Scott,
    Fleiss,
    Gwet,
    BrennanPrediger,
    Percent,
}

impl Coefficient {
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "cohen" => Coefficient::Cohen,
            "scott" => Coefficient::Scott,
            "fleiss" => Coefficient::Fleiss,
            "gwet" => Coefficient::Gwet,
            "brennan_prediger" => Coefficient::BrennanPrediger,
            "percent" => Coefficient::Percent,
            _ => {
                return Err(Error::invalid(
                    "statistic",
                    format!(
                    "{name:?} is not one of cohen, scott, fleiss, gwet, brennan_prediger, percent"
                ),
                ))
            }
        })
    }
}

/// A coefficient with its observed and chance agreement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    pub value: f64,
    pub p_o: f64,
    pub p_e: f64,
    /// Units that entered `p_o` (both raters present / two or more ratings).
    pub n: f64,
    pub undefined: Option<Undefined>,
}

/// The `q x q` agreement-weight matrix.
pub fn weight_matrix(w: &Weights, q: usize) -> Result<Vec<f64>> {
    let mut m = vec![0.0; q * q];
    let span = (q.max(2) - 1) as f64;
    for i in 0..q {
        for j in 0..q {
            let d = (i as f64 - j as f64).abs();
            m[i * q + j] = match w {
                Weights::Identity => (i == j) as u8 as f64,
                Weights::Linear => 1.0 - d / span,
                Weights::Quadratic => 1.0 - d * d / (span * span),
                Weights::Matrix(_) => 0.0,
            };
        }
    }
    if let Weights::Matrix(u) = w {
        if u.len() != q * q {
            return Err(Error::invalid(
                "weights",
                format!("expected a {q} x {q} matrix, got {} entries", u.len()),
            ));
        }
        for i in 0..q {
            for j in 0..q {
                let x = u[i * q + j];
                if !(0.0..=1.0).contains(&x) {
                    return Err(Error::invalid(
                        "weights",
                        format!("entry ({i}, {j}) = {x} is outside [0, 1]"),
                    ));
                }
                if i == j && x != 1.0 {
                    return Err(Error::invalid(
                        "weights",
                        format!("diagonal entry ({i}, {i}) = {x} is not 1"),
                    ));
                }
            }
        }
        m.copy_from_slice(u);
    }
    Ok(m)
}

fn finish(coef: Coefficient, p_o: f64, p_e: f64, n: f64, no_ratings: bool) -> Agreement {
    let undefined = if no_ratings {
        Some(Undefined::NoRatings)
    } else if n == 0.0 {
        Some(Undefined::NoPairableUnits)
    } else if coef != Coefficient::Percent && (p_e.is_nan() || 1.0 - p_e <= 1e-15) {
        Some(Undefined::NoVariation)
    } else {
        None
    };
    let value = match (undefined, coef) {
        (Some(_), _) => f64::NAN,
        (None, Coefficient::Percent) => p_o,
        (None, _) => (p_o - p_e) / (1.0 - p_e),
    };
    Agreement {
        value,
        p_o,
        p_e,
        n,
        undefined,
    }
}

/// Chance agreement of Gwet's AC and Brennan-Prediger from the weight matrix and category shares.
fn pe_gwet_bp(coef: Coefficient, w: &[f64], pi: &[f64]) -> f64 {
    let q = pi.len();
    let tw: f64 = w.iter().sum();
    match coef {
        Coefficient::Gwet => {
            if q < 2 {
                return 1.0;
            }
            let s: f64 = pi.iter().map(|p| p * (1.0 - p)).sum();
            tw / (q as f64 * (q as f64 - 1.0)) * s
        }
        Coefficient::BrennanPrediger => tw / (q as f64 * q as f64),
        _ => unreachable!(),
    }
}

fn quad(w: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let q = a.len();
    let mut s = 0.0;
    for i in 0..q {
        for j in 0..q {
            s += w[i * q + j] * a[i] * b[j];
        }
    }
    s
}

/// Two-rater contingency table (`q x q`, rows = first rater), mergeable.
#[derive(Debug, Clone, PartialEq)]
pub struct Confusion {
    q: usize,
    pub table: Vec<f64>,
    /// Units where at least one of the two raters gave a value.
    pub n_rated: f64,
}

impl Confusion {
    pub fn zeros(q: usize) -> Self {
        Confusion {
            q,
            table: vec![0.0; q * q],
            n_rated: 0.0,
        }
    }

    /// Count the units where both raters gave a value.
    pub fn from_codes(a: &[u32], b: &[u32], q: usize) -> Result<Self> {
        if a.len() != b.len() {
            return Err(Error::LengthMismatch {
                left: "first rater".into(),
                left_len: a.len(),
                right: "second rater".into(),
                right_len: b.len(),
            });
        }
        for (r, &c) in a.iter().chain(b).enumerate() {
            if c != MISSING && c as usize >= q {
                return Err(Error::CodeOutOfRange {
                    row: r % a.len().max(1),
                    code: c,
                    n_items: q,
                });
            }
        }
        super::check_categories(q)?;
        let mut s = Confusion::zeros(q);
        for (&x, &y) in a.iter().zip(b) {
            if x != MISSING || y != MISSING {
                s.n_rated += 1.0;
            }
            if x != MISSING && y != MISSING {
                s.table[x as usize * q + y as usize] += 1.0;
            }
        }
        Ok(s)
    }

    pub fn merge(mut self, other: Confusion) -> Result<Self> {
        if self.q != other.q {
            return Err(Error::ShapeMismatch {
                left: self.q,
                right: other.q,
            });
        }
        for (a, b) in self.table.iter_mut().zip(&other.table) {
            *a += *b;
        }
        self.n_rated += other.n_rated;
        Ok(self)
    }

    /// Finalise a two-rater coefficient (`Fleiss` is the same as `Scott` for two raters).
    pub fn coefficient(&self, coef: Coefficient, weights: &Weights) -> Result<Agreement> {
        let q = self.q;
        let w = weight_matrix(weights, q)?;
        let n: f64 = self.table.iter().sum();
        let mut rows = vec![0.0; q];
        let mut cols = vec![0.0; q];
        let mut p_o = 0.0;
        if n > 0.0 {
            for i in 0..q {
                for j in 0..q {
                    let p = self.table[i * q + j] / n;
                    rows[i] += p;
                    cols[j] += p;
                    p_o += w[i * q + j] * p;
                }
            }
        }
        let pi: Vec<f64> = rows.iter().zip(&cols).map(|(r, c)| (r + c) / 2.0).collect();
        let p_e = match coef {
            Coefficient::Cohen => quad(&w, &rows, &cols),
            Coefficient::Scott | Coefficient::Fleiss => quad(&w, &pi, &pi),
            Coefficient::Gwet | Coefficient::BrennanPrediger => pe_gwet_bp(coef, &w, &pi),
            Coefficient::Percent => f64::NAN,
        };
        Ok(finish(coef, p_o, p_e, n, self.n_rated == 0.0))
    }
}

/// Categories up to which the branch-free dense update is used.
const DENSE_Q: usize = 8;

/// The multi-rater sufficient statistic (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitTable {
    q: usize,
    pub a: Vec<f64>,
    pub s1: f64,
    pub pi_sum: Vec<f64>,
    /// Units with at least one rating.
    pub n_rated: f64,
    /// Units with two or more ratings.
    pub n_pairable: f64,
}

impl UnitTable {
    pub fn zeros(q: usize) -> Self {
        UnitTable {
            q,
            a: vec![0.0; q * q],
            s1: 0.0,
            pi_sum: vec![0.0; q],
            n_rated: 0.0,
            n_pairable: 0.0,
        }
    }

    /// Add the units of a `units x q` block of value counts.
    pub fn add_counts_u32(&mut self, counts: &[u32]) {
        if self.q > 0 {
            self.add_counts_strided(counts, self.q);
        }
    }

    /// Add the units of a block of value counts with row stride `stride >= q`.
    pub fn add_counts_strided(&mut self, counts: &[u32], stride: usize) {
        let q = self.q;
        if q <= DENSE_Q {
            self.add_counts_dense(counts, stride);
            return;
        }
        let mut nz: Vec<(usize, f64)> = Vec::with_capacity(q);
        for row in counts.chunks_exact(stride) {
            let row = &row[..q];
            let r: u64 = row.iter().map(|&x| x as u64).sum();
            if r == 0 {
                continue;
            }
            let rf = r as f64;
            self.n_rated += 1.0;
            nz.clear();
            for (c, &x) in row.iter().enumerate() {
                if x != 0 {
                    nz.push((c, x as f64));
                    self.pi_sum[c] += x as f64 / rf;
                }
            }
            if r < 2 {
                continue;
            }
            self.n_pairable += 1.0;
            self.s1 += 1.0 / (rf - 1.0);
            let inv = 1.0 / (rf * (rf - 1.0));
            for &(i, ni) in &nz {
                for &(j, nj) in &nz {
                    self.a[i * q + j] += ni * nj * inv;
                }
            }
        }
    }

    /// Dense update for few categories, through the column layout of [`Self::add_columns`].
    fn add_counts_dense(&mut self, counts: &[u32], stride: usize) {
        for block in counts.chunks(super::dense::TILE * stride) {
            let cols = super::dense::columns(block, stride, self.q);
            self.add_columns(&cols, block.len() / stride);
        }
    }

    /// Add a block of `n` units given as `q` columns of value counts (`cols[c * n + j]`: unit
    /// `j`'s count of category `c`); entries are dot products over the units with eight
    /// independent accumulators (see `Coincidence::add_columns`).
    pub(crate) fn add_columns(&mut self, cols: &[f64], n: usize) {
        let b = super::dense::unit_table_block(cols, n, self.q);
        for (x, y) in self.a.iter_mut().zip(&b.a) {
            *x += *y;
        }
        for (x, y) in self.pi_sum.iter_mut().zip(&b.pi) {
            *x += *y;
        }
        self.s1 += b.s1;
        self.n_rated += b.rated;
        self.n_pairable += b.pairable;
    }

    /// Accumulate a `raters x units` code matrix over fixed unit chunks in parallel.
    pub fn from_codes(codes: &[u32], n_raters: usize, q: usize) -> Result<Self> {
        let n_units = check_codes(codes, n_raters, q)?;
        super::check_categories(q)?;
        let chunk = UNIT_CHUNK;
        let stat = par::tree_map_reduce(
            par::n_chunks(n_units, chunk),
            &|ci| {
                let (u0, u1) = (ci * chunk, ((ci + 1) * chunk).min(n_units));
                let mut buf = Vec::new();
                unit_counts_block(codes, n_raters, n_units, q, u0, u1, &mut buf);
                let mut s = UnitTable::zeros(q);
                s.add_counts_strided(&buf, q + 1);
                s
            },
            &|a, b| a.merge(b).expect("same q"),
        );
        Ok(stat.unwrap_or_else(|| UnitTable::zeros(q)))
    }

    /// Accumulate a `raters x units` float matrix (NaN = missing) without materialising codes.
    /// Returns the statistic and the sorted distinct values (its categories).
    pub fn from_f64(values: &[f64], n_raters: usize) -> Result<(Self, Vec<f64>)> {
        if n_raters == 0 || values.len() % n_raters != 0 {
            return Err(Error::invalid(
                "values",
                format!(
                    "{} values cannot form {} rater rows",
                    values.len(),
                    n_raters
                ),
            ));
        }
        match super::fused::accumulate::<UnitTable>(values, n_raters) {
            Some(done) => Ok(done),
            None => {
                let (codes, labels) = super::code_f64(values, values.len() / n_raters)?;
                Ok((Self::from_codes(&codes, n_raters, labels.len())?, labels))
            }
        }
    }

    /// This statistic over `n` categories, its own at `off..off + q`.
    fn embed(&self, off: usize, n: usize) -> UnitTable {
        let mut a = vec![0.0; n * n];
        let mut pi_sum = vec![0.0; n];
        for i in 0..self.q {
            pi_sum[i + off] = self.pi_sum[i];
            for j in 0..self.q {
                a[(i + off) * n + j + off] = self.a[i * self.q + j];
            }
        }
        UnitTable {
            q: n,
            a,
            pi_sum,
            ..self.clone()
        }
    }

    /// The statistic restricted to the categories `keep` (unused categories only).
    pub fn select(&self, keep: &[usize]) -> UnitTable {
        let q = keep.len();
        let mut a = vec![0.0; q * q];
        for (i, &x) in keep.iter().enumerate() {
            for (j, &y) in keep.iter().enumerate() {
                a[i * q + j] = self.a[x * self.q + y];
            }
        }
        UnitTable {
            q,
            a,
            pi_sum: keep.iter().map(|&c| self.pi_sum[c]).collect(),
            ..self.clone()
        }
    }

    /// Accumulate a `units x q` matrix of whole-number counts.
    pub fn from_counts(counts: &[f64], q: usize) -> Result<Self> {
        if q == 0 || counts.len() % q != 0 {
            return Err(Error::invalid(
                "counts",
                format!(
                    "{} counts cannot form rows of {} categories",
                    counts.len(),
                    q
                ),
            ));
        }
        for (i, &x) in counts.iter().enumerate() {
            if !x.is_finite() || x < 0.0 || x.fract() != 0.0 || x > u32::MAX as f64 {
                return Err(Error::invalid(
                    "counts",
                    format!(
                        "row {}: category {} count {} is not a non-negative whole number",
                        i / q,
                        i % q,
                        x
                    ),
                ));
            }
        }
        super::check_categories(q)?;
        let c: Vec<u32> = counts.iter().map(|&x| x as u32).collect();
        let n_units = counts.len() / q;
        let stat = par::tree_map_reduce(
            par::n_chunks(n_units, UNIT_CHUNK),
            &|ci| {
                let (u0, u1) = (ci * UNIT_CHUNK, ((ci + 1) * UNIT_CHUNK).min(n_units));
                let mut s = UnitTable::zeros(q);
                s.add_counts_u32(&c[u0 * q..u1 * q]);
                s
            },
            &|a, b| a.merge(b).expect("same q"),
        );
        Ok(stat.unwrap_or_else(|| UnitTable::zeros(q)))
    }

    pub fn merge(mut self, other: UnitTable) -> Result<Self> {
        if self.q != other.q {
            return Err(Error::ShapeMismatch {
                left: self.q,
                right: other.q,
            });
        }
        for (x, y) in self.a.iter_mut().zip(&other.a) {
            *x += *y;
        }
        for (x, y) in self.pi_sum.iter_mut().zip(&other.pi_sum) {
            *x += *y;
        }
        self.s1 += other.s1;
        self.n_rated += other.n_rated;
        self.n_pairable += other.n_pairable;
        Ok(self)
    }

    /// Finalise a multi-rater coefficient: `Fleiss`/`Scott` (Fleiss' kappa, chance agreement
    /// `sum w pi pi`), `Gwet` (AC1/AC2), `BrennanPrediger`, `Percent`. `Cohen` is two-rater only.
    pub fn coefficient(&self, coef: Coefficient, weights: &Weights) -> Result<Agreement> {
        let q = self.q;
        let w = weight_matrix(weights, q)?;
        if coef == Coefficient::Cohen {
            return Err(Error::invalid(
                "statistic",
                "Cohen's kappa is a two-rater coefficient; use the rater-by-rater matrix",
            ));
        }
        let p_o = if self.n_pairable > 0.0 {
            let wa: f64 = w.iter().zip(&self.a).map(|(x, y)| x * y).sum();
            (wa - self.s1) / self.n_pairable
        } else {
            f64::NAN
        };
        let pi: Vec<f64> = self
            .pi_sum
            .iter()
            .map(|s| {
                if self.n_rated > 0.0 {
                    s / self.n_rated
                } else {
                    0.0
                }
            })
            .collect();
        let p_e = match coef {
            Coefficient::Scott | Coefficient::Fleiss => quad(&w, &pi, &pi),
            Coefficient::Gwet | Coefficient::BrennanPrediger => pe_gwet_bp(coef, &w, &pi),
            _ => f64::NAN,
        };
        Ok(finish(coef, p_o, p_e, self.n_pairable, self.n_rated == 0.0))
    }
}

impl super::fused::SpanStat for UnitTable {
    fn from_block(k: usize, counts: &[u32], stride: usize) -> Self {
        let mut s = UnitTable::zeros(k);
        s.add_counts_strided(counts, stride);
        s
    }
    fn from_columns(k: usize, cols: &[f64], n: usize) -> Self {
        let mut s = UnitTable::zeros(k);
        s.add_columns(cols, n);
        s
    }
    fn embed(&self, off: usize, n: usize) -> Self {
        UnitTable::embed(self, off, n)
    }
    fn add(self, other: Self) -> Self {
        self.merge(other).expect("same q")
    }
    fn select(&self, keep: &[usize]) -> Self {
        UnitTable::select(self, keep)
    }
    fn empty(_: u64) -> Self {
        UnitTable::zeros(0)
    }
    fn add_empty(&mut self, _: u64) {}
}

/// Rater-by-rater matrix (`R x R`, row-major) of a two-rater coefficient; pairs run in parallel
/// and independently, so the result does not depend on the thread count.
pub fn rater_matrix(
    codes: &[u32],
    n_raters: usize,
    q: usize,
    coef: Coefficient,
    weights: &Weights,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n_units = check_codes(codes, n_raters, q)?;
    // The pair list, one result per pair and the two R x R matrices.
    limits::check_array::<f64>(
        &format!("the rater-by-rater matrices of {n_raters} raters"),
        &[n_raters, n_raters, 12],
        "pass fewer raters (or compare them in groups)",
    )?;
    super::check_categories(q)?;
    weight_matrix(weights, q)?;
    let pairs: Vec<(usize, usize)> = (0..n_raters)
        .flat_map(|i| (i..n_raters).map(move |j| (i, j)))
        .collect();
    let results: Vec<Result<Agreement>> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let a = &codes[i * n_units..(i + 1) * n_units];
            let b = &codes[j * n_units..(j + 1) * n_units];
            Confusion::from_codes(a, b, q)?.coefficient(coef, weights)
        })
        .collect();
    let mut values = vec![f64::NAN; n_raters * n_raters];
    let mut ns = vec![0.0; n_raters * n_raters];
    for (&(i, j), r) in pairs.iter().zip(results) {
        let r = r?;
        values[i * n_raters + j] = r.value;
        values[j * n_raters + i] = r.value;
        ns[i * n_raters + j] = r.n;
        ns[j * n_raters + i] = r.n;
    }
    Ok((values, ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohen_textbook() {
        // 2x2 table [[20, 5], [10, 15]]: p_o = 0.7, p_e = 0.5, kappa = 0.4.
        let mut c = Confusion::zeros(2);
        c.table = vec![20.0, 5.0, 10.0, 15.0];
        c.n_rated = 50.0;
        let k = c
            .coefficient(Coefficient::Cohen, &Weights::Identity)
            .unwrap();
        assert!((k.value - 0.4).abs() < 1e-12);
        let p = c
            .coefficient(Coefficient::Percent, &Weights::Identity)
            .unwrap();
        assert!((p.value - 0.7).abs() < 1e-12);
        let bp = c
            .coefficient(Coefficient::BrennanPrediger, &Weights::Identity)
            .unwrap();
        assert!((bp.value - 0.4).abs() < 1e-12);
    }

    #[test]
    fn two_complete_raters_match_between_tables() {
        let a = [0u32, 1, 2, 1, 0, 2, 2, 1];
        let b = [0u32, 2, 2, 1, 1, 2, 0, 1];
        let conf = Confusion::from_codes(&a, &b, 3).unwrap();
        let codes: Vec<u32> = a.iter().chain(&b).copied().collect();
        let ut = UnitTable::from_codes(&codes, 2, 3).unwrap();
        for coef in [
            Coefficient::Scott,
            Coefficient::Gwet,
            Coefficient::BrennanPrediger,
            Coefficient::Percent,
        ] {
            for w in [Weights::Identity, Weights::Linear, Weights::Quadratic] {
                let x = conf.coefficient(coef, &w).unwrap().value;
                let y = ut.coefficient(coef, &w).unwrap().value;
                assert!((x - y).abs() < 1e-12, "{coef:?} {w:?}: {x} vs {y}");
            }
        }
        assert!(ut
            .coefficient(Coefficient::Cohen, &Weights::Identity)
            .is_err());
    }

    #[test]
    fn errors_and_undefined() {
        assert!(Confusion::from_codes(&[0], &[0, 1], 2).is_err());
        assert!(Confusion::from_codes(&[0], &[3], 2).is_err());
        assert!(weight_matrix(&Weights::Matrix(vec![1.0, 2.0, 0.0, 1.0]), 2).is_err());
        assert!(weight_matrix(&Weights::Matrix(vec![0.5, 0.0, 0.0, 1.0]), 2).is_err());
        assert!(weight_matrix(&Weights::Matrix(vec![1.0]), 2).is_err());
        assert!(Coefficient::parse("nope").is_err());
        let same = Confusion::from_codes(&[0, 0], &[0, 0], 2).unwrap();
        let k = same
            .coefficient(Coefficient::Cohen, &Weights::Identity)
            .unwrap();
        assert_eq!(k.undefined, Some(Undefined::NoVariation));
        let none = Confusion::from_codes(&[0, MISSING], &[MISSING, 1], 2).unwrap();
        let k = none
            .coefficient(Coefficient::Cohen, &Weights::Identity)
            .unwrap();
        assert_eq!(k.undefined, Some(Undefined::NoPairableUnits));
        assert!(UnitTable::from_counts(&[1.5, 0.0], 2).is_err());
        assert!(UnitTable::zeros(2).merge(UnitTable::zeros(3)).is_err());
    }
}

//! Krippendorff's alpha from the coincidence matrix.
//!
//! The coincidence matrix `o[c][k] = sum over pairable units u of n_uc * (n_uk - [c == k]) / (m_u - 1)`
//! (with `m_u >= 2` the number of values in unit `u`) is a sum over units, so it is accumulated per
//! fixed chunk of units, merged in a fixed tree order and finalised with any metric:
//! `alpha = 1 - (n - 1) * sum o_ck d2_ck / sum n_c n_k d2_ck`.

use super::{check_codes, unit_counts_block, Undefined, UNIT_CHUNK};
use crate::error::{Error, Result};
use crate::par;

/// Distance metric (squared difference function `d2(c, k)`) over the coded values `0..k`.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// 0 when equal, 1 otherwise.
    Nominal,
    /// Krippendorff's ordinal metric over the code order, from the coincidence marginals.
    Ordinal,
    /// `(v_c - v_k)^2` for the numeric value of each code.
    Interval(Vec<f64>),
    /// `((v_c - v_k) / (v_c + v_k))^2` (0 when both are 0).
    Ratio(Vec<f64>),
    /// A user-supplied `k x k` matrix of squared distances (row-major).
    Matrix(Vec<f64>),
}

/// The mergeable sufficient statistic of Krippendorff's alpha.
#[derive(Debug, Clone, PartialEq)]
pub struct Coincidence {
    k: usize,
    /// `k x k` coincidence matrix, row-major.
    o: Vec<f64>,
    /// Units seen (columns, including fully missing ones).
    pub n_units: u64,
    /// Units with at least one value.
    pub n_rated_units: u64,
    /// Units with two or more values.
    pub n_pairable_units: u64,
    /// All values seen (pairable or not).
    pub n_values: u64,
    /// Number of unordered value pairs within units, `sum m_u (m_u - 1) / 2`.
    pub n_pairs: f64,
}

/// Krippendorff's alpha and its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Alpha {
    /// The coefficient (NaN when undefined).
    pub alpha: f64,
    /// Observed disagreement `D_o`.
    pub d_o: f64,
    /// Expected disagreement `D_e`.
    pub d_e: f64,
    /// Pairable values `n..`.
    pub n: f64,
    /// Why alpha is undefined, if it is.
    pub undefined: Option<Undefined>,
}

impl Coincidence {
    /// An empty statistic over `k` categories.
    pub fn zeros(k: usize) -> Self {
        Coincidence {
            k,
            o: vec![0.0; k * k],
            n_units: 0,
            n_rated_units: 0,
            n_pairable_units: 0,
            n_values: 0,
            n_pairs: 0.0,
        }
    }

    pub fn n_categories(&self) -> usize {
        self.k
    }

    /// The coincidence matrix (`k x k`, row-major).
    pub fn matrix(&self) -> &[f64] {
        &self.o
    }

    /// Marginals `n_c` (pairable values per category).
    pub fn marginals(&self) -> Vec<f64> {
        (0..self.k)
            .map(|c| self.o[c * self.k..(c + 1) * self.k].iter().sum())
            .collect()
    }

    /// Add the units of a `units x k` block of value counts.
    pub fn add_counts_u32(&mut self, counts: &[u32]) {
        if self.k > 0 {
            self.add_counts_strided(counts, self.k);
        }
    }

    /// Add the units of a block of value counts with row stride `stride >= k` (extra columns,
    /// such as a missing-count column, are ignored).
    pub fn add_counts_strided(&mut self, counts: &[u32], stride: usize) {
        let k = self.k;
        if k <= DENSE_K {
            self.add_counts_dense(counts, stride);
            return;
        }
        let mut nz: Vec<(usize, f64)> = Vec::with_capacity(k);
        for row in counts.chunks_exact(stride) {
            let row = &row[..k];
            self.n_units += 1;
            let m: u64 = row.iter().map(|&x| x as u64).sum();
            if m == 0 {
                continue;
            }
            self.n_rated_units += 1;
            self.n_values += m;
            if m < 2 {
                continue;
            }
            self.n_pairable_units += 1;
            let mf = m as f64;
            self.n_pairs += mf * (mf - 1.0) / 2.0;
            nz.clear();
            for (c, &x) in row.iter().enumerate() {
                if x != 0 {
                    nz.push((c, x as f64));
                }
            }
            let inv = 1.0 / (mf - 1.0);
            for &(a, na) in &nz {
                let base = a * k;
                for &(b, nb) in &nz {
                    let nb = if a == b { nb - 1.0 } else { nb };
                    self.o[base + b] += na * nb * inv;
                }
            }
        }
    }

    /// Dense update for few categories, through the column layout of [`Self::add_columns`].
    fn add_counts_dense(&mut self, counts: &[u32], stride: usize) {
        for block in counts.chunks(super::dense::TILE * stride) {
            let cols = super::dense::columns(block, stride, self.k);
            self.add_columns(&cols, block.len() / stride);
        }
    }

    /// Add a block of `n` units given as `k` columns of value counts (`cols[c * n + j]`: unit
    /// `j`'s count of category `c`). Every unit adds `(n n' - diag n) / (m - 1)` (nothing when
    /// `m < 2`); each entry is summed over the units as a dot product with eight independent
    /// accumulators, so the loops run SIMD across units and branch-free.
    pub(crate) fn add_columns(&mut self, cols: &[f64], n: usize) {
        let b = super::dense::coincidence_block(cols, n, self.k);
        for (o, x) in self.o.iter_mut().zip(&b.o) {
            *o += *x;
        }
        self.n_units += n as u64;
        self.n_rated_units += b.rated;
        self.n_pairable_units += b.pairable;
        self.n_values += b.values;
        self.n_pairs += b.pairs;
    }

    /// Accumulate a `raters x units` code matrix ([`super::MISSING`] = absent) over fixed unit
    /// chunks in parallel.
    pub fn from_codes(codes: &[u32], n_raters: usize, k: usize) -> Result<Self> {
        let n_units = check_codes(codes, n_raters, k)?;
        super::check_categories(k)?;
        let chunk = chunk_units(k);
        let n = par::n_chunks(n_units, chunk);
        let stat = par::tree_map_reduce(
            n,
            &|ci| {
                let (u0, u1) = (ci * chunk, ((ci + 1) * chunk).min(n_units));
                let mut buf = Vec::new();
                unit_counts_block(codes, n_raters, n_units, k, u0, u1, &mut buf);
                let mut s = Coincidence::zeros(k);
                s.add_counts_strided(&buf, k + 1);
                s
            },
            &|a, b| a.merge(b).expect("same k"),
        );
        let mut stat = stat.unwrap_or_else(|| Coincidence::zeros(k));
        if k == 0 {
            stat.n_units = n_units as u64;
        }
        Ok(stat)
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
        match super::fused::accumulate::<Coincidence>(values, n_raters) {
            Some(done) => Ok(done),
            None => {
                let (codes, labels) = super::code_f64(values, values.len() / n_raters)?;
                Ok((Self::from_codes(&codes, n_raters, labels.len())?, labels))
            }
        }
    }

    /// The statistic over `n` categories with this one's categories at `off..off + k`.
    fn embed(&self, off: usize, n: usize) -> Coincidence {
        let mut o = vec![0.0; n * n];
        for i in 0..self.k {
            for j in 0..self.k {
                o[(i + off) * n + j + off] = self.o[i * self.k + j];
            }
        }
        Coincidence {
            k: n,
            o,
            ..self.clone()
        }
    }

    /// The statistic restricted to the categories `keep` (in that order); the dropped
    /// categories must hold no pairable value.
    pub fn select(&self, keep: &[usize]) -> Coincidence {
        let k = keep.len();
        let mut o = vec![0.0; k * k];
        for (i, &a) in keep.iter().enumerate() {
            for (j, &b) in keep.iter().enumerate() {
                o[i * k + j] = self.o[a * self.k + b];
            }
        }
        Coincidence {
            k,
            o,
            ..self.clone()
        }
    }

    /// Accumulate a `units x k` matrix of non-negative integer value counts.
    pub fn from_counts(counts: &[f64], k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid(
                "counts",
                "the counts matrix has no category column",
            ));
        }
        if counts.len() % k != 0 {
            return Err(Error::invalid(
                "counts",
                format!(
                    "{} counts cannot form rows of {} categories",
                    counts.len(),
                    k
                ),
            ));
        }
        for (i, &x) in counts.iter().enumerate() {
            if !x.is_finite() {
                return Err(Error::NonFinite {
                    row: i / k,
                    column: format!("category {}", i % k),
                    value: x,
                });
            }
            if x < 0.0 || x.fract() != 0.0 || x > u32::MAX as f64 {
                return Err(Error::invalid(
                    "counts",
                    format!(
                        "row {}: category {} count {} is not a non-negative whole number",
                        i / k,
                        i % k,
                        x
                    ),
                ));
            }
        }
        super::check_categories(k)?;
        let as_u32: Vec<u32> = counts.iter().map(|&x| x as u32).collect();
        let n_units = counts.len() / k;
        let chunk = chunk_units(k);
        let stat = par::tree_map_reduce(
            par::n_chunks(n_units, chunk),
            &|ci| {
                let (u0, u1) = (ci * chunk, ((ci + 1) * chunk).min(n_units));
                let mut s = Coincidence::zeros(k);
                s.add_counts_u32(&as_u32[u0 * k..u1 * k]);
                s
            },
            &|a, b| a.merge(b).expect("same k"),
        );
        Ok(stat.unwrap_or_else(|| Coincidence::zeros(k)))
    }

    /// Add two statistics over the same categories.
    pub fn merge(mut self, other: Coincidence) -> Result<Self> {
        if self.k != other.k {
            return Err(Error::ShapeMismatch {
                left: self.k,
                right: other.k,
            });
        }
        for (a, b) in self.o.iter_mut().zip(&other.o) {
            *a += *b;
        }
        self.n_units += other.n_units;
        self.n_rated_units += other.n_rated_units;
        self.n_pairable_units += other.n_pairable_units;
        self.n_values += other.n_values;
        self.n_pairs += other.n_pairs;
        Ok(self)
    }

    /// The `coincidence` section of a [`crate::stats`] frame: `k` u64, the unit and value
    /// counters u64, the pair count f64, then the `k x k` matrix f64, row-major.
    pub fn write_payload(&self, out: &mut Vec<u8>) {
        use crate::stats::Put;
        out.reserve(48 + 8 * self.o.len());
        for v in [
            self.k as u64,
            self.n_units,
            self.n_rated_units,
            self.n_pairable_units,
            self.n_values,
        ] {
            out.put_u64(v);
        }
        out.put_f64(self.n_pairs);
        out.put_f64s(&self.o);
    }

    /// Read and validate a `coincidence` section: the matrix size matches the bytes, entries and
    /// the pair count are finite and non-negative, counters are consistent.
    pub fn read_payload(mut r: crate::stats::Reader<'_>) -> Result<Self> {
        let corrupt = |reason: String| Error::CorruptStats { reason };
        let k = r.u64()?;
        let (n_units, n_rated_units, n_pairable_units, n_values) =
            (r.u64()?, r.u64()?, r.u64()?, r.u64()?);
        let n_pairs = r.f64()?;
        let kk = usize::try_from(k)
            .ok()
            .and_then(|k| k.checked_mul(k))
            .filter(|kk| kk.checked_mul(8) == Some(r.remaining()))
            .ok_or_else(|| {
                corrupt(format!(
                    "coincidence: {k} categories claimed for a {}-byte matrix",
                    r.remaining()
                ))
            })?;
        let o = r.counts(kk, "matrix entry")?;
        r.finish()?;
        if !n_pairs.is_finite() || n_pairs < 0.0 {
            return Err(corrupt(format!(
                "coincidence: the pair count {n_pairs} is not finite and non-negative"
            )));
        }
        if n_rated_units > n_units || n_pairable_units > n_rated_units {
            return Err(corrupt(format!(
                "coincidence: unit counters are inconsistent ({n_units} units, {n_rated_units} \
                 rated, {n_pairable_units} pairable)"
            )));
        }
        Ok(Coincidence {
            k: k as usize,
            o,
            n_units,
            n_rated_units,
            n_pairable_units,
            n_values,
            n_pairs,
        })
    }
}

impl super::fused::SpanStat for Coincidence {
    fn from_block(k: usize, counts: &[u32], stride: usize) -> Self {
        let mut s = Coincidence::zeros(k);
        s.add_counts_strided(counts, stride);
        s
    }
    fn from_columns(k: usize, cols: &[f64], n: usize) -> Self {
        let mut s = Coincidence::zeros(k);
        s.add_columns(cols, n);
        s
    }
    fn embed(&self, off: usize, n: usize) -> Self {
        Coincidence::embed(self, off, n)
    }
    fn add(self, other: Self) -> Self {
        self.merge(other).expect("same k")
    }
    fn select(&self, keep: &[usize]) -> Self {
        Coincidence::select(self, keep)
    }
    fn empty(n: u64) -> Self {
        Coincidence {
            n_units: n,
            ..Coincidence::zeros(0)
        }
    }
    fn add_empty(&mut self, n: u64) {
        self.n_units += n;
    }
}

/// Categories up to which the branch-free dense update is used.
pub(crate) const DENSE_K: usize = 8;

/// Units per chunk: at least [`UNIT_CHUNK`] / k so the count buffer stays small.
fn chunk_units(k: usize) -> usize {
    (UNIT_CHUNK * 16 / k.max(16)).clamp(64, UNIT_CHUNK)
}

/// The `k x k` squared-distance matrix of a metric, given the coincidence marginals `n_c`.
pub fn delta2(metric: &Metric, marginals: &[f64]) -> Result<Vec<f64>> {
    let k = marginals.len();
    let mut d = vec![0.0; k * k];
    let values = |v: &Vec<f64>, name: &str| -> Result<()> {
        if v.len() != k {
            return Err(Error::invalid(
                name,
                format!("{} values given for {} categories", v.len(), k),
            ));
        }
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid(
                name,
                format!("category {i} has the non-finite value {}", v[i]),
            ));
        }
        Ok(())
    };
    match metric {
        Metric::Nominal => {
            for c in 0..k {
                for e in 0..k {
                    d[c * k + e] = if c == e { 0.0 } else { 1.0 };
                }
            }
        }
        Metric::Ordinal => {
            let mut cum = vec![0.0; k + 1];
            for c in 0..k {
                cum[c + 1] = cum[c] + marginals[c];
            }
            for c in 0..k {
                for e in 0..k {
                    let (lo, hi) = (c.min(e), c.max(e));
                    let s = cum[hi + 1] - cum[lo] - (marginals[lo] + marginals[hi]) / 2.0;
                    d[c * k + e] = if c == e { 0.0 } else { s * s };
                }
            }
        }
        Metric::Interval(v) => {
            values(v, "values")?;
            for c in 0..k {
                for e in 0..k {
                    d[c * k + e] = (v[c] - v[e]) * (v[c] - v[e]);
                }
            }
        }
        Metric::Ratio(v) => {
            values(v, "values")?;
            if let Some(i) = v.iter().position(|x| *x < 0.0) {
                return Err(Error::invalid(
                    "level",
                    format!(
                        "the ratio metric needs non-negative values; category {i} is {}",
                        v[i]
                    ),
                ));
            }
            for c in 0..k {
                for e in 0..k {
                    let s = v[c] + v[e];
                    d[c * k + e] = if s == 0.0 {
                        0.0
                    } else {
                        ((v[c] - v[e]) / s).powi(2)
                    };
                }
            }
        }
        Metric::Matrix(m) => {
            if m.len() != k * k {
                return Err(Error::invalid(
                    "distance",
                    format!("expected a {k} x {k} matrix, got {} entries", m.len()),
                ));
            }
            for c in 0..k {
                for e in 0..k {
                    let x = m[c * k + e];
                    if !x.is_finite() || x < 0.0 {
                        return Err(Error::invalid(
                            "distance",
                            format!("entry ({c}, {e}) = {x} is not a finite non-negative number"),
                        ));
                    }
                    if x != m[e * k + c] {
                        return Err(Error::invalid(
                            "distance",
                            format!("the matrix is not symmetric at ({c}, {e})"),
                        ));
                    }
                    if c == e && x != 0.0 {
                        return Err(Error::invalid(
                            "distance",
                            format!("diagonal entry ({c}, {c}) = {x} is not 0"),
                        ));
                    }
                }
            }
            d.copy_from_slice(m);
        }
    }
    Ok(d)
}

/// Krippendorff's alpha of a coincidence statistic under `metric`.
pub fn alpha(stat: &Coincidence, metric: &Metric) -> Result<Alpha> {
    let marg = stat.marginals();
    let d2 = delta2(metric, &marg)?;
    Ok(alpha_with(stat, &marg, &d2))
}

/// Alpha from a coincidence statistic, its marginals and a squared-distance matrix.
pub(crate) fn alpha_with(stat: &Coincidence, marg: &[f64], d2: &[f64]) -> Alpha {
    let k = stat.k;
    let n: f64 = marg.iter().sum();
    let mut num = 0.0;
    let mut den = 0.0;
    for c in 0..k {
        for e in 0..k {
            num += stat.o[c * k + e] * d2[c * k + e];
            den += marg[c] * marg[e] * d2[c * k + e];
        }
    }
    let undefined = if stat.n_values == 0 {
        Some(Undefined::NoRatings)
    } else if stat.n_pairable_units == 0 || n == 0.0 {
        Some(Undefined::NoPairableUnits)
    } else if den <= 0.0 {
        Some(Undefined::NoVariation)
    } else {
        None
    };
    let (d_o, d_e) = if n > 1.0 {
        (num / n, den / (n * (n - 1.0)))
    } else {
        (f64::NAN, f64::NAN)
    };
    Alpha {
        alpha: if undefined.is_some() {
            f64::NAN
        } else {
            1.0 - (n - 1.0) * num / den
        },
        d_o,
        d_e,
        n,
        undefined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::MISSING;
    use crate::stats::Stats;

    /// Krippendorff's 4 observers x 12 units example (values 1..5, `.` missing).
    pub(crate) fn reliability_data() -> (Vec<u32>, Vec<f64>) {
        let m = MISSING;
        #[rustfmt::skip]
        let raw: [[i32; 12]; 4] = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, -1, -1, -1],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, -1, 3],
            [-1, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, -1],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, -1],
        ];
        let codes = raw
            .iter()
            .flatten()
            .map(|&v| if v < 0 { m } else { (v - 1) as u32 })
            .collect();
        (codes, vec![1.0, 2.0, 3.0, 4.0, 5.0])
    }

    #[test]
    fn published_example() {
        let (codes, values) = reliability_data();
        let s = Coincidence::from_codes(&codes, 4, 5).unwrap();
        let close = |m: Metric, want: f64| {
            let a = alpha(&s, &m).unwrap().alpha;
            assert!((a - want).abs() < 5e-7, "{m:?}: {a} vs {want}");
        };
        close(Metric::Nominal, 0.743421);
        close(Metric::Ordinal, 0.815388);
        close(Metric::Interval(values.clone()), 0.849107);
        close(Metric::Ratio(values), 0.797403);
        assert_eq!(s.n_units, 12);
        assert_eq!(s.n_pairable_units, 11);
    }

    #[test]
    fn from_f64_equals_from_codes() {
        let (codes, values) = reliability_data();
        let x: Vec<f64> = codes
            .iter()
            .map(|&c| {
                if c == MISSING {
                    f64::NAN
                } else {
                    values[c as usize]
                }
            })
            .collect();
        let (s, labels) = Coincidence::from_f64(&x, 4).unwrap();
        assert_eq!(labels, values);
        assert_eq!(s, Coincidence::from_codes(&codes, 4, 5).unwrap());
        let y: Vec<f64> = x.iter().map(|v| v * 0.5).collect();
        let (s2, l2) = Coincidence::from_f64(&y, 4).unwrap();
        assert_eq!(l2, vec![0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(s2, s);
        let (e, l) = Coincidence::from_f64(&[f64::NAN; 6], 2).unwrap();
        assert!(l.is_empty() && e.n_units == 3);
        assert!(Coincidence::from_f64(&[1.0; 5], 2).is_err());
        assert!(Coincidence::from_f64(&[1.0, f64::INFINITY], 1).is_err());
    }

    #[test]
    fn merge_and_bytes_round_trip() {
        let (codes, _) = reliability_data();
        let s = Coincidence::from_codes(&codes, 4, 5).unwrap();
        // Split the units 0..5 and 5..12 and merge.
        let part = |lo: usize, hi: usize| {
            let c: Vec<u32> = (0..4)
                .flat_map(|r| codes[r * 12 + lo..r * 12 + hi].to_vec())
                .collect();
            Coincidence::from_codes(&c, 4, 5).unwrap()
        };
        let m = part(0, 5).merge(part(5, 12)).unwrap();
        for (a, b) in m.matrix().iter().zip(s.matrix()) {
            assert!((a - b).abs() < 1e-12);
        }
        assert_eq!(Coincidence::from_bytes(&s.to_bytes()).unwrap(), s);
        assert!(Coincidence::from_bytes(&s.to_bytes()[..20]).is_err());
        assert!(s.clone().merge(Coincidence::zeros(3)).is_err());
    }

    #[test]
    fn undefined_cases() {
        let m = MISSING;
        let reason = |codes: &[u32], r: usize, k: usize| {
            let s = Coincidence::from_codes(codes, r, k).unwrap();
            alpha(&s, &Metric::Nominal).unwrap().undefined
        };
        assert_eq!(reason(&[m, m, m, m], 2, 2), Some(Undefined::NoRatings));
        assert_eq!(
            reason(&[0, 1, m, m], 2, 2),
            Some(Undefined::NoPairableUnits)
        );
        assert_eq!(reason(&[0, 0, 0, 0], 2, 1), Some(Undefined::NoVariation));
        assert_eq!(reason(&[0, 1, 0], 1, 2), Some(Undefined::NoPairableUnits));
        assert_eq!(reason(&[0, 1, 0, 1], 2, 2), None);
    }

    #[test]
    fn metric_errors() {
        let s = Coincidence::zeros(2);
        assert!(alpha(&s, &Metric::Interval(vec![1.0])).is_err());
        assert!(alpha(&s, &Metric::Ratio(vec![-1.0, 1.0])).is_err());
        assert!(alpha(&s, &Metric::Matrix(vec![0.0, 1.0, 2.0, 0.0])).is_err());
        assert!(alpha(&s, &Metric::Matrix(vec![1.0, 1.0, 1.0, 1.0])).is_err());
        assert!(alpha(&s, &Metric::Matrix(vec![0.0, f64::NAN, f64::NAN, 0.0])).is_err());
        assert!(Coincidence::from_counts(&[1.0, 0.5], 2).is_err());
        assert!(Coincidence::from_counts(&[1.0, f64::NAN], 2).is_err());
        assert!(Coincidence::from_counts(&[1.0, 1.0, 1.0], 2).is_err());
        let a = Coincidence::from_counts(&[2.0, 1.0, 0.0, 3.0], 2).unwrap();
        assert_eq!(a.n_pairable_units, 2);
    }
}

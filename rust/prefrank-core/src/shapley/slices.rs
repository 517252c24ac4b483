//! Leaderboard-slices game: players are slices of a comparison table (prompt categories, judges,
//! annotators); `v(S)` is a statistic of the Bradley-Terry fit on the comparisons of the slices in
//! `S`: an item's score, its rank, the gap between two items, or the Kendall tau-b of the fitted
//! scores with a reference ranking (the "agreement with a reference ranking" game).
//!
//! The comparisons are reduced once to per-slice pair counts over the union of observed pairs.
//! A coalition's counts are a sum of its slices' counts, so consecutive coalitions that differ in
//! one slice (Gray-code order for the table; permutation prefixes for sampling) update them in
//! `O(pairs)` and warm-start the fit from the previous coalition's scores. The table is walked in
//! fixed segments of 256 Gray-code steps (in parallel; results do not depend on the thread count).
//!
//! The empty coalition (and any coalition without comparisons) has no fit; its value is the value
//! at all-equal scores: score 0, gap 0, rank `(n + 1) / 2`, Kendall tau 0.

use super::games::Game;
use super::table::check_table_memory;
use crate::data::ComparisonsRef;
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::linalg::{cholesky, cholesky_solve};
use crate::numeric::logistic::{sigmoid, softplus};
use crate::rank::bt::{fit_cells, BtOptions, Cells, Ties};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a coalition's Bradley-Terry fit is reduced to.
#[derive(Clone, Debug, PartialEq)]
pub enum SliceTarget {
    /// Centred log-strength of an item.
    Score(u32),
    /// Rank of an item (1 = best; `1 + #items with a score larger by more than 1e-8`).
    Rank(u32),
    /// `theta[a] - theta[b]`.
    Gap(u32, u32),
    /// Kendall tau-b between the fitted scores and reference scores (one per item).
    KendallTau(Vec<f64>),
}

/// See the module documentation.
#[derive(Debug)]
pub struct SliceGame {
    n_items: usize,
    n_slices: usize,
    ci: Vec<u32>,
    cj: Vec<u32>,
    /// Slice-major counts: `sx[k * n_cells + c]` = weight of `ci[c]` beating `cj[c]` in slice `k`.
    sx: Vec<f64>,
    sy: Vec<f64>,
    st: Vec<f64>,
    snap: f64,
    target: SliceTarget,
    opts: BtOptions,
    /// Whether the dense Newton fast path fits the memory limit (one `n x n` Hessian per worker).
    dense_newton: bool,
    unconverged: AtomicUsize,
}

const SEGMENT: usize = 256;

/// Kendall tau-b of two score vectors (`O(n^2)`); scores within 1e-8 of each other are tied
/// (fitted scores stop at a tolerance).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    const TOL: f64 = 1e-8;
    let n = x.len();
    let (mut conc, mut disc, mut tx, mut ty) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        for j in i + 1..n {
            let sign = |d: f64| if d.abs() <= TOL { 0.0 } else { d.signum() };
            let (dx, dy) = (sign(x[i] - x[j]), sign(y[i] - y[j]));
            if dx == 0.0 && dy == 0.0 {
                continue;
            }
            if dx == 0.0 {
                tx += 1.0;
            } else if dy == 0.0 {
                ty += 1.0;
            } else if dx == dy {
                conc += 1.0;
            } else {
                disc += 1.0;
            }
        }
    }
    let den = ((conc + disc + tx) * (conc + disc + ty)).sqrt();
    if den == 0.0 {
        0.0
    } else {
        (conc - disc) / den
    }
}

impl SliceGame {
    /// `slice[r]` is the slice (player) of comparison `r`, `< n_slices`. The comparisons must be
    /// valid (see `data::validate_comparisons`).
    pub fn new(
        c: &ComparisonsRef<'_>,
        slice: &[u32],
        n_slices: usize,
        target: SliceTarget,
        opts: BtOptions,
    ) -> Result<Self> {
        let rows = c.len();
        if slice.len() != rows {
            return Err(Error::LengthMismatch {
                left: "slice".into(),
                left_len: slice.len(),
                right: "comparisons".into(),
                right_len: rows,
            });
        }
        if rows == 0 {
            return Err(Error::Empty {
                what: "the comparison table".into(),
            });
        }
        if n_slices == 0 {
            return Err(Error::Empty {
                what: "slices".into(),
            });
        }
        let n = c.n_items;
        let check_item = |name: &str, it: u32| -> Result<()> {
            if it as usize >= n {
                Err(Error::invalid(
                    name,
                    format!("item code {it} is out of range for {n} items"),
                ))
            } else {
                Ok(())
            }
        };
        match &target {
            SliceTarget::Score(i) | SliceTarget::Rank(i) => check_item("item", *i)?,
            SliceTarget::Gap(i, j) => {
                check_item("item", *i)?;
                check_item("other", *j)?;
            }
            SliceTarget::KendallTau(r) => {
                if r.len() != n {
                    return Err(Error::LengthMismatch {
                        left: "reference scores".into(),
                        left_len: r.len(),
                        right: "items".into(),
                        right_len: n,
                    });
                }
                if let Some((row, &value)) = r.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(Error::NonFinite {
                        row,
                        column: "reference score".into(),
                        value,
                    });
                }
            }
        }
        let mut index: FxHashMap<u64, u32> = FxHashMap::default();
        let (mut ci, mut cj) = (Vec::new(), Vec::new());
        let mut cell_of = vec![0u32; rows];
        for r in 0..rows {
            if slice[r] as usize >= n_slices {
                return Err(Error::CodeOutOfRange {
                    row: r,
                    code: slice[r],
                    n_items: n_slices,
                });
            }
            let (a, b) = (c.a[r].min(c.b[r]), c.a[r].max(c.b[r]));
            let key = (u64::from(a) << 32) | u64::from(b);
            let next = ci.len() as u32;
            let id = *index.entry(key).or_insert_with(|| {
                ci.push(a);
                cj.push(b);
                next
            });
            cell_of[r] = id;
        }
        let nc = ci.len();
        limits::check_array::<f64>(
            &format!("per-slice counts of {n_slices} slices over {nc} compared pairs"),
            &[n_slices, nc, 3],
            "pass fewer slices (group small ones together)",
        )?;
        let (mut sx, mut sy, mut st) = (
            vec![0.0; n_slices * nc],
            vec![0.0; n_slices * nc],
            vec![0.0; n_slices * nc],
        );
        let mut total = 0.0;
        for r in 0..rows {
            let at = slice[r] as usize * nc + cell_of[r] as usize;
            let w = c.w(r);
            total += w;
            if c.tie[r] != 0 {
                st[at] += w;
            } else {
                let (pa, pb) = (w * c.p[r], w * (1.0 - c.p[r]));
                if c.a[r] <= c.b[r] {
                    sx[at] += pa;
                    sy[at] += pb;
                } else {
                    sx[at] += pb;
                    sy[at] += pa;
                }
            }
        }
        Ok(SliceGame {
            n_items: n,
            n_slices,
            ci,
            cj,
            sx,
            sy,
            st,
            snap: 1e-12 * total.max(1.0),
            target,
            opts,
            dense_newton: limits::fits::<f64>(&[n, n, limits::parallel_copies()]),
            unconverged: AtomicUsize::new(0),
        })
    }

    /// Number of coalition fits that stopped before meeting the tolerance so far.
    pub fn n_unconverged(&self) -> usize {
        self.unconverged.load(Ordering::Relaxed)
    }

    fn empty_value(&self) -> f64 {
        match self.target {
            SliceTarget::Score(_) | SliceTarget::Gap(..) | SliceTarget::KendallTau(_) => 0.0,
            SliceTarget::Rank(_) => (self.n_items as f64 + 1.0) / 2.0,
        }
    }

    fn reduce(&self, theta: &[f64]) -> f64 {
        match &self.target {
            SliceTarget::Score(i) => theta[*i as usize],
            SliceTarget::Gap(i, j) => theta[*i as usize] - theta[*j as usize],
            SliceTarget::Rank(i) => {
                // Scores within 1e-8 count as tied (fits stop at a tolerance).
                let ti = theta[*i as usize] + 1e-8;
                1.0 + theta.iter().filter(|&&t| t > ti).count() as f64
            }
            SliceTarget::KendallTau(r) => kendall_tau_b(theta, r),
        }
    }

    fn apply(&self, acc: &mut [Vec<f64>; 3], k: usize, sign: f64) {
        let nc = self.ci.len();
        for (a, s) in acc.iter_mut().zip([&self.sx, &self.sy, &self.st]) {
            for (x, y) in a.iter_mut().zip(&s[k * nc..(k + 1) * nc]) {
                *x += sign * y;
            }
        }
    }

    #[allow(clippy::needless_range_loop)]
    fn value_of(
        &self,
        acc: &[Vec<f64>; 3],
        row: &[u8],
        warm: &mut Option<Vec<f64>>,
    ) -> Result<f64> {
        let mut cells = Cells {
            n: self.n_items,
            ..Default::default()
        };
        for c in 0..self.ci.len() {
            let snap = |v: f64| if v.abs() <= self.snap { 0.0 } else { v };
            let (wij, wji, ties) = (snap(acc[0][c]), snap(acc[1][c]), snap(acc[2][c]));
            let (x, y, t) = match self.opts.ties {
                Ties::Half => (wij + 0.5 * ties, wji + 0.5 * ties, 0.0),
                Ties::Drop => (wij, wji, 0.0),
                Ties::Davidson | Ties::RaoKupper => (wij, wji, ties),
            };
            if x + y + t > 0.0 {
                cells.i.push(self.ci[c]);
                cells.j.push(self.cj[c]);
                cells.x.push(x);
                cells.y.push(y);
                cells.t.push(t);
            }
        }
        if cells.is_empty() {
            return Ok(self.empty_value());
        }
        if self.dense_newton
            && self.opts.alpha > 0.0
            && matches!(self.opts.ties, Ties::Half | Ties::Drop)
        {
            // Fast path: the same penalised likelihood as `bt::fit` (strictly convex), by damped
            // Newton on the dense Hessian, warm-started.
            let mut theta = warm.take().unwrap_or_else(|| vec![0.0; self.n_items]);
            if !newton_penalised(
                &cells,
                self.opts.alpha,
                &mut theta,
                self.opts.tol,
                self.opts.max_iter,
            ) {
                self.unconverged.fetch_add(1, Ordering::Relaxed);
            }
            let v = self.reduce(&theta);
            *warm = Some(theta);
            return Ok(v);
        }
        let fit = fit_cells(&cells, &self.opts, warm.as_deref()).map_err(|e| {
            let members: Vec<String> = row
                .iter()
                .enumerate()
                .filter(|(_, &m)| m != 0)
                .map(|(k, _)| k.to_string())
                .collect();
            match e {
                Error::NotIdentifiable { reason } => Error::NotIdentifiable {
                    reason: format!("coalition of slices {{{}}}: {reason}", members.join(", ")),
                },
                other => other,
            }
        })?;
        if !fit.converged {
            self.unconverged.fetch_add(1, Ordering::Relaxed);
        }
        let v = self.reduce(&fit.theta);
        *warm = Some(fit.theta);
        Ok(v)
    }
}

fn penalised_objective(cells: &Cells, alpha: f64, theta: &[f64]) -> f64 {
    let mut f = 0.5 * alpha * theta.iter().map(|t| t * t).sum::<f64>();
    for k in 0..cells.len() {
        let d = theta[cells.i[k] as usize] - theta[cells.j[k] as usize];
        // -log sigma(d) = softplus(-d).
        f += cells.x[k] * softplus(-d) + cells.y[k] * softplus(d);
    }
    f
}

/// Minimise `-loglik + alpha/2 |theta|^2` of Bradley-Terry (ties already folded into `x`, `y`) by
/// Newton's method with step halving. Stops when the largest gradient entry is at most
/// `tol * max(total / n, 1)` (the criterion of `bt::fit`). Returns whether it converged.
fn newton_penalised(
    cells: &Cells,
    alpha: f64,
    theta: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> bool {
    let n = cells.n;
    let gtol = tol * (cells.total() / n as f64).max(1.0);
    let mut h = vec![0.0; n * n];
    let mut g = vec![0.0; n];
    let mut trial = vec![0.0; n];
    let mut value = penalised_objective(cells, alpha, theta);
    for _ in 0..max_iter.max(1) {
        h.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            g[i] = alpha * theta[i];
            h[i * n + i] = alpha;
        }
        for k in 0..cells.len() {
            let (i, j) = (cells.i[k] as usize, cells.j[k] as usize);
            let q = sigmoid(theta[i] - theta[j]);
            let (x, y) = (cells.x[k], cells.y[k]);
            let gi = (x + y) * q - x;
            g[i] += gi;
            g[j] -= gi;
            let w = (x + y) * q * (1.0 - q);
            h[i * n + i] += w;
            h[j * n + j] += w;
            h[i * n + j] -= w;
            h[j * n + i] -= w;
        }
        if g.iter().fold(0.0f64, |a, &v| a.max(v.abs())) <= gtol {
            return true;
        }
        if !cholesky(&mut h, n) {
            return false;
        }
        let mut step = g.clone();
        cholesky_solve(&h, n, &mut step);
        let mut t = 1.0;
        loop {
            for i in 0..n {
                trial[i] = theta[i] - t * step[i];
            }
            let v = penalised_objective(cells, alpha, &trial);
            // Accept within rounding of the objective (near the optimum the decrease is below it).
            if v <= value + 1e-12 * value.abs() || t < 1e-10 {
                theta.copy_from_slice(&trial);
                value = v;
                break;
            }
            t *= 0.5;
        }
    }
    false
}

impl Game for SliceGame {
    fn n_players(&self) -> usize {
        self.n_slices
    }

    /// Rows are walked in order; each differs from the previous one in a few slices, whose counts
    /// are added or removed, and its fit is warm-started from the previous row's.
    fn values(&self, members: &[u8], out: &mut [f64]) -> Result<()> {
        let k = self.n_slices;
        let nc = self.ci.len();
        let mut acc = [vec![0.0; nc], vec![0.0; nc], vec![0.0; nc]];
        let mut prev = vec![0u8; k];
        let mut warm: Option<Vec<f64>> = None;
        for (row, o) in members.chunks_exact(k).zip(out.iter_mut()) {
            for s in 0..k {
                if (row[s] != 0) != (prev[s] != 0) {
                    self.apply(&mut acc, s, if row[s] != 0 { 1.0 } else { -1.0 });
                }
            }
            prev.copy_from_slice(row);
            *o = self.value_of(&acc, row, &mut warm)?;
        }
        Ok(())
    }

    fn table(&self) -> Result<Vec<f64>> {
        let k = self.n_slices;
        check_table_memory(k, None)?;
        let size = 1usize << k;
        let seg = SEGMENT.min(size);
        let tok = crate::cancel::current();
        let parts: Vec<Result<Vec<f64>>> = (0..size / seg)
            .into_par_iter()
            .map(|s| {
                tok.check()?;
                let mut members = vec![0u8; seg * k];
                for (r, row) in members.chunks_exact_mut(k).enumerate() {
                    let i = s * seg + r;
                    let g = i ^ (i >> 1);
                    for (b, m) in row.iter_mut().enumerate() {
                        *m = ((g >> b) & 1) as u8;
                    }
                }
                let mut out = vec![0.0; seg];
                self.values(&members, &mut out)?;
                Ok(out)
            })
            .collect();
        let mut t = vec![0.0; size];
        for (s, part) in parts.into_iter().enumerate() {
            for (r, v) in part?.into_iter().enumerate() {
                let i = s * seg + r;
                t[i ^ (i >> 1)] = v;
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop, clippy::type_complexity)]
mod tests {
    use super::*;
    use crate::data::PairCounts;
    use crate::rank::bt::fit;

    fn data() -> (Vec<u32>, Vec<u32>, Vec<f64>, Vec<u8>, Vec<u32>) {
        // 5 items, 4 slices; item strength grows with its code; slice 3 favours item 0.
        let (mut a, mut b, mut p, mut t, mut s) = (vec![], vec![], vec![], vec![], vec![]);
        for r in 0..600u32 {
            let (i, j) = (r % 5, (r / 5 + 1 + r % 5) % 5);
            if i == j {
                continue;
            }
            let sl = r % 4;
            a.push(i);
            b.push(j);
            let win = if sl == 3 && i == 0 {
                true
            } else {
                (i + r / 7) % 5 > (j + r / 11) % 5
            };
            let tie = r % 13 == 0;
            p.push(if tie { 0.5 } else { f64::from(u8::from(win)) });
            t.push(u8::from(tie));
            s.push(sl);
        }
        (a, b, p, t, s)
    }

    #[test]
    fn table_matches_independent_fits() {
        let (a, b, p, t, s) = data();
        let c = ComparisonsRef {
            n_items: 5,
            a: &a,
            b: &b,
            p: &p,
            tie: &t,
            weight: None,
        };
        let opts = BtOptions {
            alpha: 0.1,
            ..Default::default()
        };
        for target in [
            SliceTarget::Score(0),
            SliceTarget::Gap(0, 4),
            SliceTarget::Rank(2),
            SliceTarget::KendallTau(vec![0.0, 1.0, 2.0, 3.0, 4.0]),
        ] {
            let g = SliceGame::new(&c, &s, 4, target.clone(), opts).unwrap();
            let table = g.table().unwrap();
            assert_eq!(table[0], g.empty_value());
            for mask in 1..16usize {
                let keep: Vec<bool> = s.iter().map(|&x| mask >> x & 1 == 1).collect();
                let counts = PairCounts::from_comparisons(&c, Some(&keep), None).unwrap();
                let f = fit(&counts, &opts, None).unwrap();
                let want = g.reduce(&f.theta);
                assert!((table[mask] - want).abs() < 1e-7, "{target:?} {mask}");
            }
        }
    }

    #[test]
    fn errors_and_tau() {
        let (a, b, p, t, s) = data();
        let c = ComparisonsRef {
            n_items: 5,
            a: &a,
            b: &b,
            p: &p,
            tie: &t,
            weight: None,
        };
        let o = BtOptions::default();
        assert!(SliceGame::new(&c, &s[1..], 4, SliceTarget::Score(0), o).is_err());
        assert!(SliceGame::new(&c, &s, 3, SliceTarget::Score(0), o).is_err());
        assert!(SliceGame::new(&c, &s, 4, SliceTarget::Score(9), o).is_err());
        assert!(SliceGame::new(&c, &s, 4, SliceTarget::KendallTau(vec![1.0]), o).is_err());
        assert!((kendall_tau_b(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0]) - 1.0).abs() < 1e-12);
        assert!((kendall_tau_b(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // One slice holding only item 0's wins: without a prior the fit is not identifiable.
        let a2 = [0u32, 1, 0, 2];
        let b2 = [1u32, 2, 2, 1];
        let p2 = [1.0, 1.0, 1.0, 0.0];
        let t2 = [0u8; 4];
        let s2 = [0u32, 1, 1, 1];
        let c2 = ComparisonsRef {
            n_items: 3,
            a: &a2,
            b: &b2,
            p: &p2,
            tie: &t2,
            weight: None,
        };
        let g = SliceGame::new(&c2, &s2, 2, SliceTarget::Score(0), o).unwrap();
        assert!(matches!(g.table(), Err(Error::NotIdentifiable { .. })));
    }
}

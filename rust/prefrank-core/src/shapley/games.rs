//! Cooperative games built into the core (no Python call per coalition).
//!
//! * [`ShiftGame`]: distribution-shift attribution (Zhang et al., ICML 2023). Players are shift
//!   mechanisms, each with a per-sample density ratio `r_k(x_j)` (target over source). `v(S)` is the
//!   source metric reweighted by `prod_{k in S} r_k`, self-normalised or not. The whole table is
//!   `W [m, 1]` with `W[S, j] = w_j prod_{k in S} r_kj`, a Kronecker-structured matrix never stored:
//!   each worker owns a contiguous range of coalitions and walks their lattice depth-first over
//!   tiles of samples (one vector product per edge, a dot product per coalition).
//! * [`MajorityGame`]: players are annotators or judges. `v(S)` is the mean over reference units of
//!   the agreement of the majority label of `S`'s ratings with the reference label (a tie among
//!   `t` top labels counts `1/t` when the reference is among them; units with no rating by `S` count 0).
//!   The table comes from each unit's Harsanyi dividends (a unit only sees its own raters) and one
//!   zeta transform.

use super::table::{check_table_memory, semivalues_from_table, TableValues};
use super::Semivalue;
use crate::error::{Error, Result};
use crate::simd;
use rayon::prelude::*;

/// A game on `n` players that can value any coalition.
pub trait Game: Sync {
    fn n_players(&self) -> usize;
    /// Values of the coalitions in `members` (rows of `n_players` bytes, 1 = member), one per
    /// entry of `out`.
    fn values(&self, members: &[u8], out: &mut [f64]) -> Result<()>;
    /// Entries `start..start + out.len()` of the coalition table (bit `k` = player `k`).
    fn table_chunk(&self, start: usize, out: &mut [f64]) -> Result<()> {
        let n = self.n_players();
        let mut members = vec![0u8; out.len() * n];
        for (r, row) in members.chunks_exact_mut(n).enumerate() {
            let mask = start + r;
            for (k, m) in row.iter_mut().enumerate() {
                *m = ((mask >> k) & 1) as u8;
            }
        }
        self.values(&members, out)
    }
    /// The whole table; the default fills fixed chunks in parallel with `table_chunk`.
    fn table(&self) -> Result<Vec<f64>> {
        let n = self.n_players();
        check_table_memory(n, None)?;
        let mut t = vec![0.0; 1usize << n];
        let tok = crate::cancel::current();
        let results: Vec<Result<()>> = t
            .par_chunks_mut(1024)
            .enumerate()
            .map(|(c, out)| {
                tok.check()?;
                self.table_chunk(c * 1024, out)
            })
            .collect();
        results.into_iter().collect::<Result<Vec<()>>>()?;
        Ok(t)
    }
}

/// Build a game's table after checking its size against `MAX_EXACT_PLAYERS`, `max_bytes` and the
/// available memory.
pub fn game_table(g: &dyn Game, max_bytes: Option<u64>) -> Result<Vec<f64>> {
    let n = g.n_players();
    if n == 0 {
        return Err(Error::Empty {
            what: "game (0 players)".into(),
        });
    }
    check_table_memory(n, max_bytes)?;
    // Parallel throughout: offloaded so that the caller keeps polling for Ctrl-C.
    crate::cancel::offload(|| g.table())
}

/// Exact semivalues of a built-in game (table, then fold).
pub fn game_semivalues(
    g: &dyn Game,
    kind: &Semivalue,
    max_bytes: Option<u64>,
) -> Result<(TableValues, Vec<f64>)> {
    let t = game_table(g, max_bytes)?;
    let v = semivalues_from_table(&t, kind)?;
    Ok((v, t))
}

/// Evaluate rows in parallel fixed blocks (a `BatchEval` for the samplers).
pub fn par_values(g: &dyn Game, members: &[u8], out: &mut [f64]) -> Result<()> {
    let n = g.n_players();
    const ROWS: usize = 32;
    // Offloaded so that the owner thread keeps polling; each batch of rows checks the call's
    // token first and runs with it installed (for the games' own checkpoints).
    let token = crate::cancel::current();
    let results: Vec<Result<()>> = crate::cancel::offload(|| {
        out.par_chunks_mut(ROWS)
            .zip(members.par_chunks(ROWS * n))
            .map(|(o, m)| {
                token.check()?;
                token.scope(|| g.values(m, o))
            })
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    Ok(())
}

fn check_finite(xs: &[f64], column: &str, nonneg: bool) -> Result<()> {
    for (row, &value) in xs.iter().enumerate() {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                row,
                column: column.into(),
                value,
            });
        }
        if nonneg && value < 0.0 {
            return Err(Error::Negative {
                row,
                column: column.into(),
                value,
            });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Distribution shift

/// Distribution-shift game over `n_mechanisms` players and `n_samples` source samples.
#[derive(Clone, Debug)]
pub struct ShiftGame {
    n_samples: usize,
    n_mech: usize,
    /// Column-major ratios: `ratios[k * n_samples + j]` = `r_k(x_j)`.
    ratios: Vec<f64>,
    metric: Vec<f64>,
    weight: Vec<f64>,
    total_weight: f64,
    normalize: bool,
}

const TILE: usize = 256;

impl ShiftGame {
    /// `ratios` is row-major `n_samples x n_mechanisms`; `weight` defaults to 1 per sample.
    pub fn new(
        metric: &[f64],
        ratios: &[f64],
        n_mechanisms: usize,
        weight: Option<&[f64]>,
        normalize: bool,
    ) -> Result<Self> {
        let n = metric.len();
        if n == 0 {
            return Err(Error::Empty {
                what: "metric".into(),
            });
        }
        if n_mechanisms == 0 {
            return Err(Error::Empty {
                what: "ratios (0 mechanisms)".into(),
            });
        }
        if ratios.len() != n * n_mechanisms {
            return Err(Error::LengthMismatch {
                left: "ratios".into(),
                left_len: ratios.len() / n_mechanisms,
                right: "metric".into(),
                right_len: n,
            });
        }
        check_finite(metric, "metric", false)?;
        for (idx, &value) in ratios.iter().enumerate() {
            if !value.is_finite() || value < 0.0 {
                let (row, k) = (idx / n_mechanisms, idx % n_mechanisms);
                let column = format!("ratio of mechanism {k}");
                return Err(if value.is_finite() {
                    Error::Negative { row, column, value }
                } else {
                    Error::NonFinite { row, column, value }
                });
            }
        }
        let weight = match weight {
            Some(w) => {
                if w.len() != n {
                    return Err(Error::LengthMismatch {
                        left: "weight".into(),
                        left_len: w.len(),
                        right: "metric".into(),
                        right_len: n,
                    });
                }
                check_finite(w, "weight", true)?;
                w.to_vec()
            }
            None => vec![1.0; n],
        };
        let total_weight = simd::sum(&weight);
        if total_weight <= 0.0 {
            return Err(Error::invalid("weight", "the sample weights sum to zero"));
        }
        let mut cm = vec![0.0; n * n_mechanisms];
        for j in 0..n {
            for k in 0..n_mechanisms {
                cm[k * n + j] = ratios[j * n_mechanisms + k];
            }
        }
        Ok(ShiftGame {
            n_samples: n,
            n_mech: n_mechanisms,
            ratios: cm,
            metric: metric.to_vec(),
            weight,
            total_weight,
            normalize,
        })
    }

    fn finish(&self, mask: usize, num: f64, den: f64) -> Result<f64> {
        if self.normalize {
            if den <= 0.0 {
                return Err(Error::NotIdentifiable {
                    reason: format!(
                        "coalition {mask}: every sample has zero weight under the product of its \
                         mechanisms' ratios (the self-normalised estimate is undefined)"
                    ),
                });
            }
            Ok(num / den)
        } else {
            Ok(num / self.total_weight)
        }
    }

    /// Depth-first walk of the sub-lattice of the low `depth` mechanisms below a fixed `prod`.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        depth: usize,
        local: usize,
        lo: usize,
        prod: &[f64],
        bufs: &mut [Vec<f64>],
        num: &mut [f64],
        den: &mut [f64],
    ) {
        if depth == 0 {
            let m = &self.metric[lo..lo + prod.len()];
            num[local] += simd::dot(prod, m);
            den[local] += simd::sum(prod);
            return;
        }
        let k = depth - 1;
        let (first, rest) = bufs.split_first_mut().expect("one buffer per level");
        self.walk(depth - 1, local, lo, prod, rest, num, den);
        let r = &self.ratios[k * self.n_samples + lo..][..prod.len()];
        let buf = &mut first[..prod.len()];
        for ((b, p), q) in buf.iter_mut().zip(prod).zip(r) {
            *b = p * q;
        }
        self.walk(depth - 1, local | (1 << k), lo, buf, rest, num, den);
    }
}

impl Game for ShiftGame {
    fn n_players(&self) -> usize {
        self.n_mech
    }

    fn values(&self, members: &[u8], out: &mut [f64]) -> Result<()> {
        let (n, k) = (self.n_samples, self.n_mech);
        let mut prod = vec![0.0; n];
        for (row, o) in members.chunks_exact(k).zip(out.iter_mut()) {
            prod.copy_from_slice(&self.weight);
            let mut mask = 0usize;
            for (kk, &m) in row.iter().enumerate() {
                if m != 0 {
                    mask |= 1 << kk.min(63);
                    let r = &self.ratios[kk * n..(kk + 1) * n];
                    for (p, q) in prod.iter_mut().zip(r) {
                        *p *= q;
                    }
                }
            }
            *o = self.finish(mask, simd::dot(&prod, &self.metric), simd::sum(&prod))?;
        }
        Ok(())
    }

    fn table(&self) -> Result<Vec<f64>> {
        let kk = self.n_mech;
        check_table_memory(kk, None)?;
        let top = kk.min(6);
        let low = kk - top;
        let span = 1usize << low;
        let mut t = vec![0.0; 1usize << kk];
        let tok = crate::cancel::current();
        let results: Vec<Result<()>> = t
            .par_chunks_mut(span)
            .enumerate()
            .map(|(hi, out)| {
                let mut num = vec![0.0; span];
                let mut den = vec![0.0; span];
                let mut bufs: Vec<Vec<f64>> = (0..low).map(|_| vec![0.0; TILE]).collect();
                let mut base = vec![0.0; TILE];
                let mut lo = 0;
                while lo < self.n_samples {
                    tok.check()?;
                    let len = TILE.min(self.n_samples - lo);
                    let b = &mut base[..len];
                    b.copy_from_slice(&self.weight[lo..lo + len]);
                    for k in 0..top {
                        if (hi >> k) & 1 == 1 {
                            let r = &self.ratios[(low + k) * self.n_samples + lo..][..len];
                            for (p, q) in b.iter_mut().zip(r) {
                                *p *= q;
                            }
                        }
                    }
                    self.walk(low, 0, lo, b, &mut bufs, &mut num, &mut den);
                    lo += len;
                }
                for (l, o) in out.iter_mut().enumerate() {
                    *o = self.finish((hi << low) | l, num[l], den[l])?;
                }
                Ok(())
            })
            .collect();
        results.into_iter().collect::<Result<Vec<()>>>()?;
        Ok(t)
    }
}

// ------------------------------------------------------------------------------------------------
// Majority-label agreement

/// Agreement of a coalition's majority label with a reference label, averaged over units.
#[derive(Clone, Debug)]
pub struct MajorityGame {
    n_players: usize,
    n_labels: usize,
    /// Units that have a reference, in CSR form over their ratings.
    unit_ptr: Vec<usize>,
    raters: Vec<u32>,
    labels: Vec<u32>,
    reference: Vec<u32>,
    n_units: usize,
}

/// Marker for "no reference label" in [`MajorityGame::new`].
pub const NO_REFERENCE: u32 = u32::MAX;

impl MajorityGame {
    /// `unit`, `rater`, `label`: one rating per row (codes). `reference[u]` is the reference label
    /// of unit `u` (or `NO_REFERENCE`; such units are left out).
    pub fn new(
        unit: &[u32],
        rater: &[u32],
        label: &[u32],
        reference: &[u32],
        n_players: usize,
        n_labels: usize,
    ) -> Result<Self> {
        let r = unit.len();
        for (name, len) in [("rater", rater.len()), ("label", label.len())] {
            if len != r {
                return Err(Error::LengthMismatch {
                    left: name.into(),
                    left_len: len,
                    right: "unit".into(),
                    right_len: r,
                });
            }
        }
        if r == 0 {
            return Err(Error::Empty {
                what: "ratings".into(),
            });
        }
        let n_units_all = reference.len();
        for row in 0..r {
            if unit[row] as usize >= n_units_all {
                return Err(Error::CodeOutOfRange {
                    row,
                    code: unit[row],
                    n_items: n_units_all,
                });
            }
            if rater[row] as usize >= n_players {
                return Err(Error::CodeOutOfRange {
                    row,
                    code: rater[row],
                    n_items: n_players,
                });
            }
            if label[row] as usize >= n_labels {
                return Err(Error::CodeOutOfRange {
                    row,
                    code: label[row],
                    n_items: n_labels,
                });
            }
        }
        for (row, &l) in reference.iter().enumerate() {
            if l != NO_REFERENCE && l as usize >= n_labels {
                return Err(Error::CodeOutOfRange {
                    row,
                    code: l,
                    n_items: n_labels,
                });
            }
        }
        // Dense renumbering of the units with a reference; CSR by unit.
        let mut new_id = vec![u32::MAX; n_units_all];
        let mut refs = Vec::new();
        for (u, &l) in reference.iter().enumerate() {
            if l != NO_REFERENCE {
                new_id[u] = refs.len() as u32;
                refs.push(l);
            }
        }
        let nu = refs.len();
        if nu == 0 {
            return Err(Error::Empty {
                what: "units with a reference label".into(),
            });
        }
        let mut ptr = vec![0usize; nu + 1];
        for &u in unit {
            let id = new_id[u as usize];
            if id != u32::MAX {
                ptr[id as usize + 1] += 1;
            }
        }
        for i in 0..nu {
            ptr[i + 1] += ptr[i];
        }
        let mut fill = ptr.clone();
        let m = ptr[nu];
        let (mut rs, mut ls) = (vec![0u32; m], vec![0u32; m]);
        for row in 0..r {
            let id = new_id[unit[row] as usize];
            if id != u32::MAX {
                let at = fill[id as usize];
                rs[at] = rater[row];
                ls[at] = label[row];
                fill[id as usize] += 1;
            }
        }
        Ok(MajorityGame {
            n_players,
            n_labels,
            unit_ptr: ptr,
            raters: rs,
            labels: ls,
            reference: refs,
            n_units: nu,
        })
    }

    fn agree(counts: &[u32], reference: u32) -> f64 {
        let top = counts.iter().copied().max().unwrap_or(0);
        if top == 0 {
            return 0.0;
        }
        if counts[reference as usize] != top {
            return 0.0;
        }
        1.0 / counts.iter().filter(|&&c| c == top).count() as f64
    }
}

impl Game for MajorityGame {
    fn n_players(&self) -> usize {
        self.n_players
    }

    fn values(&self, members: &[u8], out: &mut [f64]) -> Result<()> {
        let mut counts = vec![0u32; self.n_labels];
        for (row, o) in members.chunks_exact(self.n_players).zip(out.iter_mut()) {
            let mut total = 0.0;
            for u in 0..self.n_units {
                counts.fill(0);
                for at in self.unit_ptr[u]..self.unit_ptr[u + 1] {
                    if row[self.raters[at] as usize] != 0 {
                        counts[self.labels[at] as usize] += 1;
                    }
                }
                total += Self::agree(&counts, self.reference[u]);
            }
            *o = total / self.n_units as f64;
        }
        Ok(())
    }

    fn table(&self) -> Result<Vec<f64>> {
        let n = self.n_players;
        check_table_memory(n, None)?;
        // Cost of the dividend route: sum over units of 2^(distinct raters).
        let mut unit_raters: Vec<Vec<u32>> = Vec::with_capacity(self.n_units);
        let mut cost = 0f64;
        for u in 0..self.n_units {
            let mut rs: Vec<u32> = self.raters[self.unit_ptr[u]..self.unit_ptr[u + 1]].to_vec();
            rs.sort_unstable();
            rs.dedup();
            cost += (rs.len() as f64).exp2();
            unit_raters.push(rs);
        }
        if cost > 4.0 * (n as f64).exp2() {
            // Dense raters: value every coalition directly (default route).
            let mut t = vec![0.0; 1usize << n];
            let results: Vec<Result<()>> = t
                .par_chunks_mut(1024)
                .enumerate()
                .map(|(c, out)| self.table_chunk(c * 1024, out))
                .collect();
            results.into_iter().collect::<Result<Vec<()>>>()?;
            return Ok(t);
        }
        let mut t = vec![0.0; 1usize << n];
        let mut counts = vec![0u32; self.n_labels];
        let scale = 1.0 / self.n_units as f64;
        for (u, rs) in unit_raters.iter().enumerate() {
            let r = rs.len();
            let mut f = vec![0.0; 1usize << r];
            for (local, fv) in f.iter_mut().enumerate() {
                counts.fill(0);
                for at in self.unit_ptr[u]..self.unit_ptr[u + 1] {
                    let pos = rs.binary_search(&self.raters[at]).expect("rater listed");
                    if (local >> pos) & 1 == 1 {
                        counts[self.labels[at] as usize] += 1;
                    }
                }
                *fv = Self::agree(&counts, self.reference[u]);
            }
            // Moebius inversion over the unit's raters.
            for k in 0..r {
                for local in 0..f.len() {
                    if (local >> k) & 1 == 1 {
                        f[local] -= f[local ^ (1 << k)];
                    }
                }
            }
            for (local, &d) in f.iter().enumerate() {
                if d != 0.0 {
                    let mut mask = 0usize;
                    for (pos, &p) in rs.iter().enumerate() {
                        if (local >> pos) & 1 == 1 {
                            mask |= 1 << p;
                        }
                    }
                    t[mask] += d * scale;
                }
            }
        }
        zeta_transform(&mut t);
        Ok(t)
    }
}

/// In place `t[S] <- sum_{T subset of S} t[T]` (superset-sum / zeta transform), parallel and
/// deterministic (each entry receives its additions in a fixed order).
pub fn zeta_transform(t: &mut [f64]) {
    let n = t.len().trailing_zeros() as usize;
    for k in 0..n {
        let half = 1usize << k;
        let span = 2 * half;
        if span <= 4096 {
            t.par_chunks_mut(4096.min(t.len())).for_each(|blk| {
                for pair in blk.chunks_exact_mut(span) {
                    let (lo, hi) = pair.split_at_mut(half);
                    simd::add_assign(hi, lo);
                }
            });
        } else {
            t.par_chunks_mut(span).for_each(|pair| {
                let (lo, hi) = pair.split_at_mut(half);
                hi.par_chunks_mut(4096)
                    .zip(lo.par_chunks(4096))
                    .for_each(|(h, l)| simd::add_assign(h, l));
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn zeta_matches_naive() {
        let d: Vec<f64> = (0..64).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut t = d.clone();
        zeta_transform(&mut t);
        for s in 0..64usize {
            let want: f64 = (0..64usize).filter(|&x| x & s == x).map(|x| d[x]).sum();
            assert!((t[s] - want).abs() < 1e-12);
        }
        let mut big: Vec<f64> = (0..1 << 14).map(|i| (i % 7) as f64).collect();
        let orig = big.clone();
        zeta_transform(&mut big);
        let s = (1 << 14) - 1;
        assert!((big[s] - orig.iter().sum::<f64>()).abs() < 1e-9);
    }

    fn shift_direct(metric: &[f64], ratios: &[f64], k: usize, mask: usize, norm: bool) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for j in 0..metric.len() {
            let w: f64 = (0..k)
                .filter(|kk| mask >> kk & 1 == 1)
                .map(|kk| ratios[j * k + kk])
                .product();
            num += w * metric[j];
            den += w;
        }
        if norm {
            num / den
        } else {
            num / metric.len() as f64
        }
    }

    #[test]
    fn shift_table_matches_direct() {
        let nsamp = 700;
        for k in [1usize, 3, 8] {
            let metric: Vec<f64> = (0..nsamp).map(|j| ((j * 7) % 3) as f64 / 2.0).collect();
            let ratios: Vec<f64> = (0..nsamp * k)
                .map(|i| 0.2 + ((i * 31) % 17) as f64 / 10.0)
                .collect();
            for norm in [true, false] {
                let g = ShiftGame::new(&metric, &ratios, k, None, norm).unwrap();
                let t = game_table(&g, None).unwrap();
                let mut direct = vec![0.0; 1 << k];
                Game::table_chunk(&g, 0, &mut direct).unwrap();
                for s in 0..1usize << k {
                    let want = shift_direct(&metric, &ratios, k, s, norm);
                    assert!((t[s] - want).abs() < 1e-10, "k={k} s={s}");
                    assert!((direct[s] - want).abs() < 1e-10);
                }
            }
        }
    }

    #[test]
    fn shift_errors() {
        assert!(ShiftGame::new(&[], &[], 1, None, true).is_err());
        assert!(matches!(
            ShiftGame::new(&[1.0, 2.0], &[1.0], 1, None, true),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            ShiftGame::new(&[1.0, 2.0], &[1.0, 1.0, -1.0, 1.0], 2, None, true),
            Err(Error::Negative { row: 1, .. })
        ));
        assert!(matches!(
            ShiftGame::new(&[1.0, f64::NAN], &[1.0, 1.0], 1, None, true),
            Err(Error::NonFinite { row: 1, .. })
        ));
        assert!(matches!(
            ShiftGame::new(&[1.0], &[1.0], 1, Some(&[0.0]), true),
            Err(Error::InvalidParameter { .. })
        ));
        let g = ShiftGame::new(&[1.0, 0.0], &[0.0, 0.0], 1, None, true).unwrap();
        assert!(matches!(
            game_table(&g, None),
            Err(Error::NotIdentifiable { .. })
        ));
    }

    #[test]
    fn majority_table_matches_direct() {
        // 5 raters, 6 units, 3 labels, pseudo-random ratings with repeats.
        let mut unit = vec![];
        let mut rater = vec![];
        let mut label = vec![];
        for i in 0..40u32 {
            unit.push(i % 6);
            rater.push((i * 7 + i / 6) % 5);
            label.push((i * 13 / 5) % 3);
        }
        let reference = vec![0, 1, 2, NO_REFERENCE, 1, 0];
        let g = MajorityGame::new(&unit, &rater, &label, &reference, 5, 3).unwrap();
        let t = game_table(&g, None).unwrap();
        let mut direct = vec![0.0; 32];
        g.table_chunk(0, &mut direct).unwrap();
        for s in 0..32 {
            assert!((t[s] - direct[s]).abs() < 1e-12, "s={s}");
        }
        assert_eq!(t[0], 0.0);
        assert!(matches!(
            MajorityGame::new(&[0], &[9], &[0], &[0], 5, 3),
            Err(Error::CodeOutOfRange {
                row: 0,
                code: 9,
                ..
            })
        ));
        assert!(matches!(
            MajorityGame::new(&[0], &[0], &[0], &[NO_REFERENCE], 5, 3),
            Err(Error::Empty { .. })
        ));
        assert!(MajorityGame::new(&[0, 1], &[0], &[0], &[0], 5, 3).is_err());
    }
}

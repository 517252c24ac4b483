//! Score-vs-verdict consistency: the 3 x 3 table crossing the relation of two pointwise scores
//! (`a` higher, tie within `tolerance`, `b` higher) with the pairwise verdict (`a`, tie, `b`),
//! pooled and per judge.
//!
//! Without an aggregate rule each row counts with its weight, oriented as given (`a` vs `b`).
//! With one, the rows of a pair within `(group, judge)` form one cell, oriented from the lower item
//! code: its verdict is the census rule ([`super::triads`]'s `relation`, the same code), its scores
//! are the weighted means, and the cell counts once; a cell without weight has no verdict and is
//! left out. Cell sums run in row order.

use rayon::prelude::*;

use super::triads::{relation, Aggregate, REL_HI, REL_LO, REL_NONE};
use crate::data::comparisons::{check_len, check_outcome_weight};
use crate::data::ComparisonsRef;
use crate::error::{Error, Result};

/// The input: comparison rows, optional group and judge codes, and the two scores per row.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput<'a> {
    pub comps: ComparisonsRef<'a>,
    pub group: Option<&'a [u32]>,
    pub judge: Option<&'a [u32]>,
    pub score_a: &'a [f64],
    pub score_b: &'a [f64],
}

/// The 3 x 3 table `table[score relation][verdict]` (index 0 `a` / lower code, 1 tie, 2 `b`) and,
/// per judge code, the counted weight, the conflicts (off the diagonal) and the reversals (the
/// lower-scored item won outright).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreTable {
    pub table: [[f64; 3]; 3],
    pub n: Vec<f64>,
    pub conflicts: Vec<f64>,
    pub reversals: Vec<f64>,
}

impl ScoreTable {
    fn add(&mut self, judge: Option<usize>, srel: usize, verdict: usize, w: f64) {
        self.table[srel][verdict] += w;
        if let Some(j) = judge {
            self.n[j] += w;
            self.conflicts[j] += if srel != verdict { w } else { 0.0 };
            self.reversals[j] += if srel.abs_diff(verdict) == 2 { w } else { 0.0 };
        }
    }
}

#[inline]
fn score_relation(d: f64, tolerance: f64) -> usize {
    if d > tolerance {
        0
    } else if d < -tolerance {
        2
    } else {
        1
    }
}

/// The score table of `inp` (see the module docs). `aggregate = None` counts rows; `n_judges`
/// gives per-judge sums (judge codes must be below it).
pub fn score_table(
    inp: &ScoreInput<'_>,
    aggregate: Option<Aggregate>,
    tolerance: f64,
    n_judges: Option<usize>,
) -> Result<ScoreTable> {
    let c = &inp.comps;
    let n = c.a.len();
    check_len("b", c.b.len(), n)?;
    check_len("outcome", c.p.len(), n)?;
    check_len("tie", c.tie.len(), n)?;
    check_len("score_a", inp.score_a.len(), n)?;
    check_len("score_b", inp.score_b.len(), n)?;
    for (name, col) in [("group", inp.group), ("judge", inp.judge)] {
        if let Some(col) = col {
            check_len(name, col.len(), n)?;
        }
    }
    if let Some(w) = c.weight {
        check_len("weight", w.len(), n)?;
    }
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::invalid(
            "tolerance",
            format!("{tolerance} must be a finite non-negative number"),
        ));
    }
    let check_row = |r: usize| -> Result<()> {
        check_outcome_weight(c.p, c.weight, r)?;
        for (column, s) in [("score_a", inp.score_a), ("score_b", inp.score_b)] {
            if !s[r].is_finite() {
                return Err(Error::NonFinite {
                    row: r,
                    column: column.into(),
                    value: s[r],
                });
            }
        }
        if let (Some(nj), Some(j)) = (n_judges, inp.judge) {
            if j[r] as usize >= nj {
                return Err(Error::invalid(
                    "judge",
                    format!(
                        "row {r}: judge code {} is out of range for {nj} judges",
                        j[r]
                    ),
                ));
            }
        }
        Ok(())
    };
    if let Some(r) = (0..n)
        .into_par_iter()
        .find_first(|&r| check_row(r).is_err())
    {
        check_row(r)?;
    }
    let nj = n_judges.unwrap_or(0);
    let mut out = ScoreTable {
        n: vec![0.0; nj],
        conflicts: vec![0.0; nj],
        reversals: vec![0.0; nj],
        ..Default::default()
    };
    let judge_of = |r: usize| -> Option<usize> {
        match (n_judges, inp.judge) {
            (Some(_), Some(j)) => Some(j[r] as usize),
            _ => None,
        }
    };
    let Some(agg) = aggregate else {
        for r in 0..n {
            let is_tie = c.tie[r] != 0 || c.p[r] == 0.5;
            let verdict = if is_tie {
                1
            } else if c.p[r] > 0.5 {
                0
            } else {
                2
            };
            let srel = score_relation(inp.score_a[r] - inp.score_b[r], tolerance);
            out.add(judge_of(r), srel, verdict, c.w(r));
        }
        return Ok(out);
    };
    // Cells: rows sorted by (group, judge, lo, hi) and then row, so sums run in row order.
    let key = |r: usize| -> (u128, usize) {
        let (lo, hi) = (c.a[r].min(c.b[r]), c.a[r].max(c.b[r]));
        let g = inp.group.map_or(0, |x| x[r]) as u128;
        let j = inp.judge.map_or(0, |x| x[r]) as u128;
        ((g << 96) | (j << 64) | ((lo as u128) << 32) | hi as u128, r)
    };
    let mut keys: Vec<(u128, usize)> = (0..n).into_par_iter().map(key).collect();
    keys.par_sort_unstable();
    let mut start = 0;
    while start < keys.len() {
        let mut end = start;
        let (mut cnt, mut sum_lo, mut sum_hi) = (0.0f64, 0.0f64, 0.0f64);
        let (mut x, mut y, mut t) = (0.0f64, 0.0f64, 0.0f64);
        while end < keys.len() && keys[end].0 == keys[start].0 {
            let r = keys[end].1;
            let w = c.w(r);
            let flip = c.a[r] > c.b[r];
            let (s_lo, s_hi) = if flip {
                (inp.score_b[r], inp.score_a[r])
            } else {
                (inp.score_a[r], inp.score_b[r])
            };
            cnt += w;
            sum_lo += s_lo * w;
            sum_hi += s_hi * w;
            if w > 0.0 {
                let p_lo = if flip { 1.0 - c.p[r] } else { c.p[r] };
                let is_tie = c.tie[r] != 0;
                // The census's accumulation (`triads::census_unit`), then its rule.
                if let Aggregate::Probability { .. } = agg {
                    let q = if is_tie { 0.5 } else { p_lo };
                    x += w * q;
                    y += w * (1.0 - q);
                } else if is_tie || p_lo == 0.5 {
                    t += w;
                } else if p_lo > 0.5 {
                    x += w;
                } else {
                    y += w;
                }
            }
            end += 1;
        }
        let rel = relation(agg, x, y, t);
        if rel != REL_NONE {
            let den = if cnt > 0.0 { cnt } else { 1.0 };
            let srel = score_relation(sum_lo / den - sum_hi / den, tolerance);
            let verdict = match rel {
                REL_LO => 0,
                REL_HI => 2,
                _ => 1,
            };
            out.add(judge_of(keys[start].1), srel, verdict, 1.0);
        }
        start = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        a: &[u32],
        b: &[u32],
        p: &[f64],
        w: Option<&[f64]>,
        sa: &[f64],
        sb: &[f64],
        agg: Option<Aggregate>,
    ) -> Result<ScoreTable> {
        let tie = vec![0u8; a.len()];
        let judge = vec![0u32; a.len()];
        let inp = ScoreInput {
            comps: ComparisonsRef {
                n_items: 4,
                a,
                b,
                p,
                tie: &tie,
                weight: w,
            },
            group: None,
            judge: Some(&judge),
            score_a: sa,
            score_b: sb,
        };
        score_table(&inp, agg, 0.0, Some(1))
    }

    #[test]
    fn rows_and_cells() {
        // Pair (0, 1) twice: a = 0 won with a higher score, then b = 0 won (seen from 1) with the
        // scores reversed; pair (2, 3): 3 won, 2 scored higher (a reversal).
        let (a, b) = ([0, 1, 2], [1, 0, 3]);
        let p = [1.0, 0.0, 0.0];
        let (sa, sb) = ([5.0, 2.0, 4.0], [3.0, 4.0, 1.0]);
        let rows = run(&a, &b, &p, None, &sa, &sb, None).unwrap();
        assert_eq!(rows.table[0][0], 1.0); // row 0: a higher, a won
        assert_eq!(rows.table[2][2], 1.0); // row 1: b higher, b won
        assert_eq!(rows.table[0][2], 1.0); // row 2: reversal
        assert_eq!(rows.reversals, vec![1.0]);
        let cells = run(&a, &b, &p, None, &sa, &sb, Some(Aggregate::Majority)).unwrap();
        // Cell (0, 1): lo = 0 won twice, mean scores 4.5 vs 2.5 -> (a, a).
        assert_eq!(cells.table[0][0], 1.0);
        assert_eq!(cells.table[0][2], 1.0);
        assert_eq!(cells.n, vec![2.0]);
        assert_eq!(cells.conflicts, vec![1.0]);
        // A cell without weight has no verdict and is left out.
        let w = [1.0, 1.0, 0.0];
        let c = run(&a, &b, &p, Some(&w), &sa, &sb, Some(Aggregate::Unanimous)).unwrap();
        assert_eq!(c.n, vec![1.0]);
        let e = run(&a, &b, &p, None, &[f64::NAN, 0.0, 0.0], &sb, None).unwrap_err();
        assert!(e.to_string().contains("row 0: score_a"), "{e}");
    }
}

//! Position bias from the verdict cells: the weight won by the first-shown item (Wilson interval,
//! two-sided binomial test against 1/2) and the swap patterns of pairs judged in both orders, pooled
//! and per judge.
//!
//! Per cell: decisive weight `lo_won + hi_won`, first-shown wins `q_first - tie / 2` (`q_hi` when
//! `hi` was shown first, else `q_lo`: the probability mass less the ties' half), ties `tie`. Sums run
//! in cell order. A pair (within group and judge) judged in both orders is two adjacent cells
//! (order 0 then 1); each cell's verdict is its majority (a shared maximum, also an empty cell, is a
//! tie) and the pair is classified by the two verdicts in position terms (see [`PATTERNS`]).

use super::binomial::{binomial_test, level_z, wilson};
use super::cells::Cells;
use crate::error::{Error, Result};

/// Swap-pattern names, in the order of [`PositionStats::patterns`].
pub const PATTERNS: [&str; 6] = [
    "consistent",
    "tie_both",
    "first_both",
    "second_both",
    "first_tie",
    "second_tie",
];

/// Per-judge sums and tests (one entry per judge code `0..n_judges`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JudgePosition {
    pub first_wins: Vec<f64>,
    pub decisive: Vec<f64>,
    pub ties: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    pub p_value: Vec<f64>,
    /// `patterns[k][judge]`: pairs of pattern `PATTERNS[k]`.
    pub patterns: [Vec<i64>; 6],
    pub swapped_pairs: Vec<i64>,
}

/// Pooled position-bias statistics (and per judge when asked).
#[derive(Debug, Clone, PartialEq)]
pub struct PositionStats {
    pub first_wins: f64,
    pub decisive: f64,
    pub ties: f64,
    pub lo: f64,
    pub hi: f64,
    pub p_value: f64,
    pub patterns: [i64; 6],
    pub by_judge: Option<JudgePosition>,
}

/// Majority verdict of a cell, seen from `lo`: 0 lo won, 1 hi won, 2 tie (shared maximum).
#[inline]
fn cell_verdict(x: f64, y: f64, t: f64) -> u8 {
    if x > y && x > t {
        0
    } else if y > x && y > t {
        1
    } else {
        2
    }
}

/// Pattern index of a pair from its order-0 (lo first) and order-1 (hi first) verdicts.
#[inline]
fn pattern(v_lo_first: u8, v_hi_first: u8) -> usize {
    // Position terms: 0 first-shown won, 1 second-shown won, 2 tie.
    let p1 = v_lo_first; // lo first: lo won -> first
    let p2 = match v_hi_first {
        0 => 1,
        1 => 0,
        _ => 2,
    };
    match (p1, p2) {
        (0, 1) | (1, 0) => 0,
        (2, 2) => 1,
        (0, 0) => 2,
        (1, 1) => 3,
        (0, 2) | (2, 0) => 4,
        _ => 5,
    }
}

/// The p-value of `k` first-shown wins in `n` decisive verdicts (`k` kept inside `[0, n]` against
/// rounding in sums of fractional weights).
fn p_value(k: f64, n: f64) -> Result<f64> {
    if n > 0.0 && k.is_finite() {
        binomial_test(k.clamp(0.0, n), n)
    } else {
        binomial_test(k, n)
    }
}

/// Position-bias statistics of validated-here cells. `n_judges`: per-judge tables for judge codes
/// `0..n_judges` (every cell's judge code must be below it). `level` in (0, 1).
pub fn position_bias(cells: &Cells, n_judges: Option<usize>, level: f64) -> Result<PositionStats> {
    let z = level_z(level)?;
    cells.validate()?;
    let n = cells.len();
    for (name, col) in [
        ("lo_won", &cells.lo_won),
        ("hi_won", &cells.hi_won),
        ("tie", &cells.tie),
        ("q_lo", &cells.q_lo),
        ("q_hi", &cells.q_hi),
    ] {
        if let Some(i) = col.iter().position(|v| !v.is_finite()) {
            return Err(Error::Corrupt {
                reason: format!("cell {i}: {name} value {} is not finite", col[i]),
            });
        }
    }
    let mut per = n_judges.map(|nj| JudgePosition {
        first_wins: vec![0.0; nj],
        decisive: vec![0.0; nj],
        ties: vec![0.0; nj],
        patterns: std::array::from_fn(|_| vec![0; nj]),
        swapped_pairs: vec![0; nj],
        ..Default::default()
    });
    if let Some(nj) = n_judges {
        if let Some(i) = cells.judge.iter().position(|&j| j as usize >= nj) {
            return Err(Error::invalid(
                "judge",
                format!(
                    "cell {i}: judge code {} is out of range for {nj} judges",
                    cells.judge[i]
                ),
            ));
        }
    }
    let (mut k_all, mut n_all, mut t_all) = (0.0f64, 0.0f64, 0.0f64);
    let mut patterns = [0i64; 6];
    for i in 0..n {
        let k = if cells.order[i] == 1 {
            cells.q_hi[i]
        } else {
            cells.q_lo[i]
        } - 0.5 * cells.tie[i];
        let d = cells.lo_won[i] + cells.hi_won[i];
        let t = cells.tie[i];
        k_all += k;
        n_all += d;
        t_all += t;
        let j = cells.judge[i] as usize;
        if let Some(p) = per.as_mut() {
            p.first_wins[j] += k;
            p.decisive[j] += d;
            p.ties[j] += t;
        }
        let both = i + 1 < n
            && cells.order[i] == 0
            && cells.order[i + 1] == 1
            && cells.group[i] == cells.group[i + 1]
            && cells.judge[i] == cells.judge[i + 1]
            && cells.lo[i] == cells.lo[i + 1]
            && cells.hi[i] == cells.hi[i + 1];
        if both {
            let v1 = cell_verdict(cells.lo_won[i], cells.hi_won[i], cells.tie[i]);
            let v2 = cell_verdict(cells.lo_won[i + 1], cells.hi_won[i + 1], cells.tie[i + 1]);
            let pat = pattern(v1, v2);
            patterns[pat] += 1;
            if let Some(p) = per.as_mut() {
                p.patterns[pat][j] += 1;
                p.swapped_pairs[j] += 1;
            }
        }
    }
    let (lo, hi) = wilson(k_all, n_all, z);
    if let Some(p) = per.as_mut() {
        for j in 0..p.decisive.len() {
            let (l, h) = wilson(p.first_wins[j], p.decisive[j], z);
            p.lo.push(l);
            p.hi.push(h);
            p.p_value.push(p_value(p.first_wins[j], p.decisive[j])?);
        }
    }
    Ok(PositionStats {
        first_wins: k_all,
        decisive: n_all,
        ties: t_all,
        lo,
        hi,
        p_value: p_value(k_all, n_all)?,
        patterns,
        by_judge: per,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[(u32, u32, u32, u8, [f64; 3])]) -> Cells {
        let mut c = Cells::default();
        for &(j, lo, hi, order, [x, y, t]) in rows {
            c.group.push(0);
            c.judge.push(j);
            c.lo.push(lo);
            c.hi.push(hi);
            c.order.push(order);
            c.lo_won.push(x);
            c.hi_won.push(y);
            c.tie.push(t);
            c.q_lo.push(x + 0.5 * t);
            c.q_hi.push(y + 0.5 * t);
        }
        c
    }

    #[test]
    fn patterns_and_per_judge() {
        // Judge 0: pair (0, 1) lo won both orders -> consistent; pair (0, 2) first won both orders
        // (lo when lo first, hi when hi first) -> first_both. Judge 1: one order only.
        let c = cells(&[
            (0, 0, 1, 0, [2.0, 0.0, 0.0]),
            (0, 0, 1, 1, [1.0, 0.0, 0.0]),
            (0, 0, 2, 0, [1.0, 0.0, 0.0]),
            (0, 0, 2, 1, [0.0, 2.0, 1.0]),
            (1, 0, 1, 0, [0.0, 0.0, 1.0]),
        ]);
        let s = position_bias(&c, Some(3), 0.95).unwrap();
        assert_eq!(s.patterns, [1, 0, 1, 0, 0, 0]);
        assert_eq!(s.decisive, 6.0);
        assert_eq!(s.ties, 2.0);
        // first wins: cell 0: 2, cell 1: q_hi = 0 -> 0, cell 2: 1, cell 3: 2.5 - 0.5 = 2, cell 4: 0.
        assert_eq!(s.first_wins, 5.0);
        let pj = s.by_judge.unwrap();
        assert_eq!(pj.swapped_pairs, vec![2, 0, 0]);
        assert_eq!(pj.decisive, vec![6.0, 0.0, 0.0]);
        assert_eq!(pj.ties, vec![1.0, 1.0, 0.0]);
        assert!(pj.lo[1].is_nan() && pj.p_value[1].is_nan());
        assert_eq!(pj.p_value[0], s.p_value);
        assert_eq!(pattern(2, 2), 1);
        assert_eq!(pattern(1, 0), 3);
        assert_eq!(pattern(2, 1), 4);
        assert_eq!(pattern(1, 2), 5);
    }

    #[test]
    fn bad_cells_are_errors() {
        let mut c = cells(&[(2, 0, 1, 0, [1.0, 0.0, 0.0])]);
        let e = position_bias(&c, Some(2), 0.95).unwrap_err();
        assert!(e.to_string().contains("cell 0: judge code 2"), "{e}");
        assert!(position_bias(&c, None, 0.0).is_err());
        c.q_lo[0] = f64::NAN;
        let e = position_bias(&c, None, 0.95).unwrap_err();
        assert!(e.to_string().contains("cell 0: q_lo"), "{e}");
        c.q_lo[0] = 1.0;
        c.hi[0] = 0;
        assert!(matches!(
            position_bias(&c, None, 0.95),
            Err(Error::Corrupt { .. })
        ));
        assert!(position_bias(&Cells::default(), Some(0), 0.9)
            .unwrap()
            .p_value
            .is_nan());
    }
}

//! Semivalues from a table of the `2^n` coalition values, in `O(2^n)` by the halving fold.
//!
//! The table is cut into fixed chunks of `2^18` entries (parallel, reduced over a fixed tree, so the
//! result does not depend on the thread count); each chunk is processed in blocks of `2^12` entries
//! whose low 12 bits run over all sub-coalitions of players `0..12` while the high bits (players
//! `12..n`) are fixed. Inside a block the weighted values are folded in halves (giving the sums for
//! players `0..12`); the block total is added to the sums of the players in its high bits.

use super::Semivalue;
use crate::error::{Error, Result};
use crate::limits;
use crate::par::tree_map_reduce;
use crate::simd;

/// Largest number of players for an exact computation from a table (`2^30` values, 8 GiB).
pub const MAX_EXACT_PLAYERS: usize = 30;

const BLOCK_BITS: usize = 12;
const CHUNK_BITS: usize = 18;

/// Exact semivalues and the quantities reported with them.
#[derive(Clone, Debug, PartialEq)]
pub struct TableValues {
    /// One value per player (player `k` is bit `k` of the coalition index).
    pub values: Vec<f64>,
    /// `v(empty set)`.
    pub v_empty: f64,
    /// `v(N)`.
    pub v_full: f64,
    /// Efficiency residual `sum(values) - (v(N) - v(empty set))` (zero for Shapley up to rounding).
    pub residual: f64,
}

/// Bytes of a table of `2^n` `f64` values.
pub fn table_bytes(n: usize) -> u64 {
    8u64 << n.min(60)
}

/// Refuse, before allocating, a table for `n` players that exceeds `MAX_EXACT_PLAYERS`, the
/// caller's `max_bytes` (`max_memory=`) or the memory limit ([`crate::limits`]).
pub fn check_table_memory(n: usize, max_bytes: Option<u64>) -> Result<()> {
    if n > MAX_EXACT_PLAYERS {
        return Err(Error::invalid(
            "n_players",
            format!(
                "exact values need a table of 2^{n} coalition values; at most {MAX_EXACT_PLAYERS} \
                 players are supported (use sampling for more)"
            ),
        ));
    }
    let what = format!("the table of 2^{n} coalition values");
    let hint = "use sampling (method='permutation' or 'msr'), or fewer players";
    let need = Some(table_bytes(n));
    if let Some(limit) = max_bytes {
        limits::check_against(
            &what,
            need,
            limit,
            &format!("{hint}, or a larger max_memory"),
        )?;
    }
    limits::check_alloc(&what, need, hint)
}

/// Number of players of a table of `len` values (`len` must be `2^n`, `1 <= n <= 30`).
pub fn players_of_table(len: usize) -> Result<usize> {
    if len < 2 {
        return Err(Error::Empty {
            what: format!("coalition table (length {len}; need 2^n values with n >= 1)"),
        });
    }
    if !len.is_power_of_two() {
        return Err(Error::invalid(
            "table",
            format!("length {len} is not a power of two (a table of 2^n coalition values)"),
        ));
    }
    let n = len.trailing_zeros() as usize;
    if n > MAX_EXACT_PLAYERS {
        return Err(Error::invalid(
            "table",
            format!("2^{n} values: at most {MAX_EXACT_PLAYERS} players are supported"),
        ));
    }
    Ok(n)
}

struct Part {
    m: Vec<f64>,
    b: f64,
}

/// Semivalues of every player from the full table of coalition values (bit `k` = player `k`).
///
/// Errors: a length that is not `2^n` with `1 <= n <= 30`, a non-finite value (its coalition index
/// is the `row`), or invalid semivalue weights.
pub fn semivalues_from_table(table: &[f64], kind: &Semivalue) -> Result<TableValues> {
    let n = players_of_table(table.len())?;
    let p = kind.weights(n)?;
    let v0 = table[0];
    let v_full = table[table.len() - 1];
    for (row, value) in [(0, v0), (table.len() - 1, v_full)] {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                row,
                column: "coalition value".into(),
                value,
            });
        }
    }
    // c_s multiplies x(S) in the sums over S containing i; m_s in the common term.
    let cw: Vec<f64> = (0..=n)
        .map(|s| (if s > 0 { p[s - 1] } else { 0.0 }) + (if s < n { p[s] } else { 0.0 }))
        .collect();
    let mw: Vec<f64> = (0..=n).map(|s| if s < n { p[s] } else { 0.0 }).collect();

    let b = n.min(BLOCK_BITS);
    let bs = 1usize << b;
    let levels = n - b + 1;
    // Weight tiles per popcount of the high bits: contiguous, so the weighting loop vectorises.
    let mut wc = vec![0.0; levels * bs];
    let mut wm = vec![0.0; levels * bs];
    for h in 0..levels {
        for j in 0..bs {
            let s = (j as u32).count_ones() as usize + h;
            wc[h * bs + j] = cw[s];
            wm[h * bs + j] = mw[s];
        }
    }
    let chunk_len = (1usize << CHUNK_BITS).clamp(bs, table.len());
    let n_chunks = table.len() / chunk_len;
    let blocks_per_chunk = chunk_len / bs;

    let map = |c: usize| -> Part {
        let mut m = vec![0.0; n];
        let mut bsum = [0.0f64; 4];
        let half = bs / 2;
        let mut scratch = vec![0.0f64; half];
        for blk in c * blocks_per_chunk..(c + 1) * blocks_per_chunk {
            let x = &table[blk * bs..(blk + 1) * bs];
            let hp = blk.count_ones() as usize;
            let wcb = &wc[hp * bs..(hp + 1) * bs];
            let wmb = &wm[hp * bs..(hp + 1) * bs];
            let (xl, xh) = x.split_at(half);
            let (cl, ch) = wcb.split_at(half);
            let (ml, mh) = wmb.split_at(half);
            let mut top = [0.0f64; 4];
            if half >= 4 {
                for q in 0..half / 4 {
                    for r in 0..4 {
                        let j = q * 4 + r;
                        let l = xl[j] - v0;
                        let h = xh[j] - v0;
                        let hc = ch[j] * h;
                        bsum[r] += ml[j] * l + mh[j] * h;
                        top[r] += hc;
                        scratch[j] = cl[j] * l + hc;
                    }
                }
            } else {
                for j in 0..half {
                    let l = xl[j] - v0;
                    let h = xh[j] - v0;
                    let hc = ch[j] * h;
                    bsum[0] += ml[j] * l + mh[j] * h;
                    top[0] += hc;
                    scratch[j] = cl[j] * l + hc;
                }
            }
            m[b - 1] += (top[0] + top[1]) + (top[2] + top[3]);
            let mut len = half;
            for k in (0..b - 1).rev() {
                len /= 2;
                let (lo, hi) = scratch[..2 * len].split_at_mut(len);
                m[k] += simd::sum(hi);
                simd::add_assign(lo, hi);
            }
            let total = scratch[0];
            for (k, mk) in m.iter_mut().enumerate().skip(b) {
                if (blk >> (k - b)) & 1 == 1 {
                    *mk += total;
                }
            }
        }
        Part {
            m,
            b: (bsum[0] + bsum[1]) + (bsum[2] + bsum[3]),
        }
    };
    let merge = |mut l: Part, r: Part| -> Part {
        simd::add_assign(&mut l.m, &r.m);
        l.b += r.b;
        l
    };
    let part = tree_map_reduce(n_chunks, &map, &merge).expect("at least one chunk");
    let values: Vec<f64> = part.m.iter().map(|&mi| mi - part.b).collect();
    if values.iter().any(|v| !v.is_finite()) {
        if let Some(row) = table.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                row,
                column: "coalition value".into(),
                value: table[row],
            });
        }
        return Err(Error::invalid(
            "table",
            "the semivalues overflow (coalition values too large in magnitude)",
        ));
    }
    let residual = values.iter().sum::<f64>() - (v_full - v0);
    Ok(TableValues {
        values,
        v_empty: v0,
        v_full,
        residual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct formula, O(n 2^n).
    fn direct(table: &[f64], kind: &Semivalue) -> Vec<f64> {
        let n = table.len().trailing_zeros() as usize;
        let p = kind.weights(n).unwrap();
        (0..n)
            .map(|i| {
                (0..table.len())
                    .filter(|s| s & (1 << i) == 0)
                    .map(|s| p[(s as u32).count_ones() as usize] * (table[s | (1 << i)] - table[s]))
                    .sum()
            })
            .collect()
    }

    fn pseudo_table(n: usize) -> Vec<f64> {
        (0..1usize << n)
            .map(|s| ((s as f64 * 0.618_034).fract() - 0.3) * (s.count_ones() as f64 + 1.0))
            .collect()
    }

    #[test]
    fn fold_matches_direct_formula_across_block_boundaries() {
        for n in [1, 2, 3, 5, 11, 12, 13, 15, 19] {
            let t = pseudo_table(n);
            for kind in [
                Semivalue::Shapley,
                Semivalue::Banzhaf,
                Semivalue::Beta {
                    alpha: 4.0,
                    beta: 1.0,
                },
            ] {
                let got = semivalues_from_table(&t, &kind).unwrap();
                let want = direct(&t, &kind);
                for (g, w) in got.values.iter().zip(&want) {
                    assert!(
                        (g - w).abs() < 1e-9 * (1.0 + w.abs()),
                        "n={n} {kind:?} {g} {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn thread_count_does_not_change_bits() {
        let t = pseudo_table(21);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| semivalues_from_table(&t, &Semivalue::Shapley).unwrap())
        };
        let a = run(1);
        let b = run(3);
        for (x, y) in a.values.iter().zip(&b.values) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(
            semivalues_from_table(&[1.0], &Semivalue::Shapley),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            semivalues_from_table(&[1.0, 2.0, 3.0], &Semivalue::Shapley),
            Err(Error::InvalidParameter { .. })
        ));
        let mut t = pseudo_table(14);
        t[777] = f64::NAN;
        assert!(matches!(
            semivalues_from_table(&t, &Semivalue::Shapley),
            Err(Error::NonFinite { row: 777, .. })
        ));
        t[777] = 0.0;
        t[0] = f64::INFINITY;
        assert!(matches!(
            semivalues_from_table(&t, &Semivalue::Shapley),
            Err(Error::NonFinite { row: 0, .. })
        ));
        t[0] = 0.0;
        t[5] = 1e10;
        assert!(matches!(
            semivalues_from_table(&t, &Semivalue::Weights(vec![1e300; 14])),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn memory_checks() {
        assert!(check_table_memory(31, None).is_err());
        assert!(check_table_memory(20, Some(1024)).is_err());
        assert!(check_table_memory(4, Some(1024)).is_ok());
        assert_eq!(table_bytes(30), 8 << 30);
    }
}

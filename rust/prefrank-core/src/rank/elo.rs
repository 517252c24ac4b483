//! Online Elo: sequential K-factor updates over comparisons in their given order (or in seeded
//! shuffles, averaged), as in FastChat's `compute_online_elo`.
//!
//! For each comparison with expected score `E_a = 1 / (1 + base^((R_b - R_a) / scale))` and actual
//! score `S_a` (1 win, 0 loss, 0.5 tie, or a soft outcome): `R_a += k w (S_a - E_a)`,
//! `R_b -= k w (S_a - E_a)`.

use crate::data::ComparisonsRef;
use crate::error::{Error, Result};
use crate::par::{chunk_rng, tree_map_reduce};
use rand::seq::SliceRandom;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EloOptions {
    pub k: f64,
    pub initial: f64,
    pub scale: f64,
    pub base: f64,
}

impl Default for EloOptions {
    fn default() -> Self {
        EloOptions {
            k: 4.0,
            initial: 1000.0,
            scale: 400.0,
            base: 10.0,
        }
    }
}

fn run_order(
    c: &ComparisonsRef<'_>,
    o: &EloOptions,
    order: Option<&[u32]>,
    start: Option<&[f64]>,
) -> Vec<f64> {
    let mut r = start.map_or_else(|| vec![o.initial; c.n_items], <[f64]>::to_vec);
    let ln_base = o.base.ln();
    let mut step = |row: usize| {
        let (a, b) = (c.a[row] as usize, c.b[row] as usize);
        let ea = 1.0 / (1.0 + ((r[b] - r[a]) / o.scale * ln_base).exp());
        let sa = if c.tie[row] != 0 { 0.5 } else { c.p[row] };
        let d = o.k * c.w(row) * (sa - ea);
        r[a] += d;
        r[b] -= d;
    };
    match order {
        Some(ord) => ord.iter().for_each(|&row| step(row as usize)),
        None => (0..c.len()).for_each(&mut step),
    }
    r
}

/// Elo ratings. With `shuffles == 0` the rows are processed once in their order, from `start`
/// (ratings carried over from earlier rows, so a stream read in batches gives the ratings of one
/// pass) or from `initial`; otherwise the ratings are averaged over `shuffles` seeded random orders
/// (shuffle `s` uses `chunk_rng(seed, s)`), which needs all rows and no `start`.
pub fn elo(
    c: &ComparisonsRef<'_>,
    o: &EloOptions,
    shuffles: usize,
    seed: u64,
    start: Option<&[f64]>,
) -> Result<Vec<f64>> {
    if !(o.k.is_finite() && o.k > 0.0) {
        return Err(Error::invalid("k", format!("must be > 0, got {}", o.k)));
    }
    if !(o.scale.is_finite() && o.scale > 0.0 && o.base.is_finite() && o.base > 1.0) {
        return Err(Error::invalid(
            "scale/base",
            "scale must be > 0 and base > 1",
        ));
    }
    if let Some(st) = start {
        if st.len() != c.n_items {
            return Err(Error::invalid(
                "start",
                format!("has {} ratings for {} items", st.len(), c.n_items),
            ));
        }
        if shuffles > 0 {
            return Err(Error::invalid(
                "start",
                "carried-over ratings need rows in order (shuffles = 0)",
            ));
        }
    }
    if shuffles == 0 {
        return Ok(run_order(c, o, None, start));
    }
    let map = |s: usize| {
        if crate::cancel::cancelled() {
            return vec![0.0; c.n_items];
        }
        let mut ord: Vec<u32> = (0..c.len() as u32).collect();
        ord.shuffle(&mut chunk_rng(seed, s as u64));
        run_order(c, o, Some(&ord), None)
    };
    let merge = |mut a: Vec<f64>, b: Vec<f64>| {
        crate::simd::add_assign(&mut a, &b);
        a
    };
    let mut total = tree_map_reduce(shuffles, &map, &merge).expect("shuffles > 0");
    crate::cancel::checkpoint()?;
    total.iter_mut().for_each(|v| *v /= shuffles as f64);
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn one_game_moves_k_over_two() {
        let (a, b, p, t) = ([0u32], [1u32], [1.0], [0u8]);
        let c = ComparisonsRef {
            n_items: 2,
            a: &a,
            b: &b,
            p: &p,
            tie: &t,
            weight: None,
        };
        let r = elo(
            &c,
            &EloOptions {
                k: 32.0,
                ..Default::default()
            },
            0,
            0,
            None,
        )
        .unwrap();
        assert!((r[0] - 1016.0).abs() < 1e-12 && (r[1] - 984.0).abs() < 1e-12);
        let avg = elo(&c, &EloOptions::default(), 3, 1, None).unwrap();
        assert!((avg[0] - 1002.0).abs() < 1e-12);
        assert!(elo(
            &c,
            &EloOptions {
                k: -1.0,
                ..Default::default()
            },
            0,
            0,
            None
        )
        .is_err());
    }

    #[test]
    fn ratings_carried_over_equal_one_pass() {
        let (a, b, p, t) = (
            [0u32, 1, 2, 0],
            [1u32, 2, 0, 2],
            [1.0, 0.0, 0.5, 1.0],
            [0u8, 0, 1, 0],
        );
        let whole = ComparisonsRef {
            n_items: 3,
            a: &a,
            b: &b,
            p: &p,
            tie: &t,
            weight: None,
        };
        let o = EloOptions::default();
        let one = elo(&whole, &o, 0, 0, None).unwrap();
        let half = |lo: usize, hi: usize| ComparisonsRef {
            n_items: 3,
            a: &a[lo..hi],
            b: &b[lo..hi],
            p: &p[lo..hi],
            tie: &t[lo..hi],
            weight: None,
        };
        let first = elo(&half(0, 2), &o, 0, 0, None).unwrap();
        let both = elo(&half(2, 4), &o, 0, 0, Some(&first)).unwrap();
        assert_eq!(one, both);
        assert!(elo(&whole, &o, 0, 0, Some(&[1000.0])).is_err());
        assert!(elo(&whole, &o, 2, 0, Some(&one)).is_err());
    }
}

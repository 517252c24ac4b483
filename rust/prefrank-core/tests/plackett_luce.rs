//! Properties of Plackett-Luce fits (single and per group): thread-count independence,
//! merge/dedup invariance, relabelling invariance, recovery of known strengths.

use prefrank_core::rank::plackett_luce::{self as pl, PlMethod, PlOptions, Rankings};
use prefrank_core::Error;
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Random PL observations (Gumbel sampling) over `n` items; returns the true strengths too.
fn pl_sample(n: usize, obs: usize, seed: u64) -> (Rankings, Vec<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let s: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 3.0 - 1.5).collect();
    let mut offsets = vec![0usize];
    let mut items = Vec::new();
    let mut k = Vec::new();
    for _ in 0..obs {
        let m = rng.random_range(2..=n.min(6));
        let mut members: Vec<u32> = Vec::new();
        while members.len() < m {
            let c = rng.random_range(0..n as u32);
            if !members.contains(&c) {
                members.push(c);
            }
        }
        let mut keyed: Vec<(f64, u32)> = members
            .iter()
            .map(|&c| {
                let u: f64 = rng.random::<f64>().max(1e-300);
                (s[c as usize] - (-u.ln()).ln(), c)
            })
            .collect();
        keyed.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
        items.extend(keyed.iter().map(|x| x.1));
        offsets.push(items.len());
        k.push(rng.random_range(1..=m as u32));
    }
    (Rankings::new(n, offsets, items, k, None).unwrap(), s)
}

#[test]
fn pl_is_thread_count_independent_and_recovers_strengths() {
    let (rk, s) = pl_sample(30, 60_000, 7);
    let rk = rk.dedup();
    let opts = PlOptions::default();
    let a = pool(1).install(|| pl::fit(&rk, &opts, None).unwrap());
    let b = pool(3).install(|| pl::fit(&rk, &opts, None).unwrap());
    assert_eq!(a.theta, b.theta);
    assert!(a.converged);
    let mean = s.iter().sum::<f64>() / s.len() as f64;
    let err = a
        .theta
        .iter()
        .zip(&s)
        .map(|(t, v)| (t - (v - mean)).abs())
        .fold(0.0, f64::max);
    assert!(err < 0.15, "max error {err}");
    let lb = pl::fit(
        &rk,
        &PlOptions {
            method: PlMethod::Lbfgs,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    for k in 0..30 {
        assert!((lb.theta[k] - a.theta[k]).abs() < 1e-5);
    }
}

#[test]
fn pl_merge_of_halves_equals_whole() {
    let (rk, _) = pl_sample(8, 2_000, 3);
    let half = rk.len() / 2;
    let take = |lo: usize, hi: usize| {
        let base = rk.offsets[lo];
        Rankings::new(
            rk.n,
            rk.offsets[lo..=hi].iter().map(|o| o - base).collect(),
            rk.items[rk.offsets[lo]..rk.offsets[hi]].to_vec(),
            rk.n_ranked[lo..hi].to_vec(),
            None,
        )
        .unwrap()
    };
    let merged = take(0, half).merge(take(half, rk.len())).unwrap();
    assert_eq!(merged, rk);
    let d1 = merged.dedup();
    // Dedup of the reversed order gives the same canonical statistic.
    let mut rev_off = vec![0usize];
    let mut rev_items = Vec::new();
    let mut rev_k = Vec::new();
    for r in (0..rk.len()).rev() {
        rev_items.extend_from_slice(&rk.items[rk.offsets[r]..rk.offsets[r + 1]]);
        rev_off.push(rev_items.len());
        rev_k.push(rk.n_ranked[r]);
    }
    let rev = Rankings::new(rk.n, rev_off, rev_items, rev_k, None).unwrap();
    assert_eq!(rev.dedup(), d1);
    assert!(matches!(
        take(0, 2).merge(Rankings::new(3, vec![0], vec![], vec![], None).unwrap()),
        Err(Error::ShapeMismatch { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn pl_relabelling_permutes_theta(seed in 0u64..1000, shift in 1u32..5) {
        let (rk, _) = pl_sample(5, 200, seed);
        let opts = PlOptions { alpha: 0.1, ..Default::default() };
        let f = pl::fit(&rk, &opts, None).unwrap();
        let perm = |c: u32| (c + shift) % 5;
        let items: Vec<u32> = rk.items.iter().map(|&c| perm(c)).collect();
        let rk2 = Rankings::new(5, rk.offsets.clone(), items, rk.n_ranked.clone(), None).unwrap();
        let g = pl::fit(&rk2, &opts, None).unwrap();
        for c in 0..5u32 {
            prop_assert!((f.theta[c as usize] - g.theta[perm(c) as usize]).abs() < 1e-8);
        }
    }
}

#[test]
fn pl_groups_thread_count_independent_and_match_single_fits() {
    use prefrank_core::rank::batched::{pl_groups, PlGroupOptions};
    let (rk, _) = pl_sample(6, 3_000, 21);
    // Assign observations round-robin to 100 groups.
    let groups = 100usize;
    let og: Vec<u32> = (0..rk.len()).map(|r| (r % groups) as u32).collect();
    let o = PlGroupOptions::default();
    let one = pool(1).install(|| pl_groups(groups, &og, &rk, &o).unwrap());
    let three = pool(3).install(|| pl_groups(groups, &og, &rk, &o).unwrap());
    assert_eq!(one, three);
    // Group 4 by hand (every item appears in 30 observations, so the local codes are 0..6).
    let mut offsets = vec![0usize];
    let mut items = Vec::new();
    let mut k = Vec::new();
    for r in (4..rk.len()).step_by(groups) {
        items.extend_from_slice(&rk.items[rk.offsets[r]..rk.offsets[r + 1]]);
        offsets.push(items.len());
        k.push(rk.n_ranked[r]);
    }
    let sub = Rankings::new(6, offsets, items, k, None).unwrap();
    let f = pl::fit(
        &sub,
        &PlOptions {
            alpha: o.alpha,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let lo = one.offsets[4];
    assert_eq!(one.offsets[5] - lo, 6);
    for c in 0..6 {
        assert!((one.theta[lo + c] - f.theta[c]).abs() < 1e-7);
    }
    assert!(matches!(
        pl_groups(groups, &og[1..], &rk, &o),
        Err(Error::LengthMismatch { .. })
    ));
}

//! Properties of the pairwise fits beyond plain Bradley-Terry (spectral, per-group batched and
//! contextual): thread-count independence, agreement with the Bradley-Terry MLE.

use prefrank_core::data::{ComparisonsRef, PairCounts};
use prefrank_core::rank::batched::{bt_groups, GroupOptions};
use prefrank_core::rank::bt::{self, BtOptions, Cells, Ties};
use prefrank_core::rank::contextual::{self, ContextualOptions};
use prefrank_core::rank::spectral::{self, SpectralOptions};
use prefrank_core::Error;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn random_counts(n: usize, rows: usize, seed: u64) -> PairCounts {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let s: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 2.0).collect();
    let (mut a, mut b, mut p, mut t) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rows {
        let i = rng.random_range(0..n as u32);
        let j = (i + rng.random_range(1..n as u32)) % n as u32;
        let pr = 1.0 / (1.0 + (s[j as usize] - s[i as usize]).exp());
        let win = rng.random::<f64>() < pr;
        a.push(i);
        b.push(j);
        p.push(if win { 1.0 } else { 0.0 });
        t.push(0u8);
    }
    let c = ComparisonsRef {
        n_items: n,
        a: &a,
        b: &b,
        p: &p,
        tie: &t,
        weight: None,
    };
    PairCounts::from_comparisons(&c, None, None).unwrap()
}

#[test]
fn spectral_paths_agree_and_ilsr_is_the_mle() {
    let counts = random_counts(40, 20_000, 11);
    let cells = Cells::from_counts(&counts, Ties::Drop);
    let mle = bt::fit_cells(
        &cells,
        &BtOptions {
            ties: Ties::Drop,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let dense = SpectralOptions {
        tol: 1e-12,
        dense: Some(true),
        ..Default::default()
    };
    let sparse = SpectralOptions {
        dense: Some(false),
        ..dense
    };
    let a = spectral::ilsr(&cells, &dense).unwrap();
    for k in 0..40 {
        assert!((a.theta[k] - mle.theta[k]).abs() < 1e-8);
    }
    let rc_d = spectral::rank_centrality(&cells, &dense).unwrap();
    let rc_s = spectral::rank_centrality(&cells, &sparse).unwrap();
    assert!(rc_s.converged);
    for k in 0..40 {
        assert!((rc_d.theta[k] - rc_s.theta[k]).abs() < 1e-7);
    }
}

#[test]
fn batched_is_thread_count_independent_and_matches_bt() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let groups = 10_000usize;
    let (mut g, mut a, mut b, mut p, mut t) = (vec![], vec![], vec![], vec![], vec![]);
    for gr in 0..groups {
        let m = rng.random_range(2..=5u32);
        for i in 0..m {
            for j in i + 1..m {
                for _ in 0..2 {
                    g.push(gr as u32);
                    a.push(gr as u32 * 8 + i);
                    b.push(gr as u32 * 8 + j);
                    let u = rng.random::<f64>();
                    t.push((u < 0.1) as u8);
                    p.push(if u < 0.1 {
                        0.5
                    } else if rng.random::<bool>() {
                        1.0
                    } else {
                        0.0
                    });
                }
            }
        }
    }
    let c = ComparisonsRef {
        n_items: groups * 8,
        a: &a,
        b: &b,
        p: &p,
        tie: &t,
        weight: None,
    };
    let opts = GroupOptions::default();
    let one = pool(1).install(|| bt_groups(groups, &g, &c, &opts).unwrap());
    let three = pool(3).install(|| bt_groups(groups, &g, &c, &opts).unwrap());
    assert_eq!(one, three);
    assert!(one.converged.iter().all(|&x| x));
    // Group 17 against the general solver.
    let gr = 17usize;
    let rows: Vec<usize> = (0..g.len()).filter(|&r| g[r] as usize == gr).collect();
    let lo = one.offsets[gr];
    let m = one.offsets[gr + 1] - lo;
    let la: Vec<u32> = rows.iter().map(|&r| a[r] - gr as u32 * 8).collect();
    let lb: Vec<u32> = rows.iter().map(|&r| b[r] - gr as u32 * 8).collect();
    let lp: Vec<f64> = rows.iter().map(|&r| p[r]).collect();
    let lt: Vec<u8> = rows.iter().map(|&r| t[r]).collect();
    let lc = ComparisonsRef {
        n_items: m,
        a: &la,
        b: &lb,
        p: &lp,
        tie: &lt,
        weight: None,
    };
    let f = bt::fit(
        &PairCounts::from_comparisons(&lc, None, None).unwrap(),
        &BtOptions {
            alpha: opts.alpha,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    for k in 0..m {
        assert!((one.theta[lo + k] - f.theta[k]).abs() < 1e-7);
    }
}

#[test]
fn batched_errors() {
    let c = ComparisonsRef {
        n_items: 2,
        a: &[0],
        b: &[1],
        p: &[1.0],
        tie: &[0],
        weight: None,
    };
    let o = GroupOptions::default();
    assert!(matches!(
        bt_groups(1, &[3], &c, &o),
        Err(Error::CodeOutOfRange { row: 0, .. })
    ));
    assert!(matches!(
        bt_groups(1, &[0, 0], &c, &o),
        Err(Error::LengthMismatch { .. })
    ));
    let bad = GroupOptions {
        ties: Ties::Davidson,
        ..o
    };
    assert!(matches!(
        bt_groups(1, &[0], &c, &bad),
        Err(Error::InvalidParameter { .. })
    ));
    let r = bt_groups(1, &[0], &c, &o).unwrap();
    assert!(!r.identifiable[0] && r.theta[0] > r.theta[1]);
}

#[test]
fn contextual_is_thread_count_independent() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let rows = 300_000;
    let n = 10u32;
    let (mut a, mut b, mut p, mut t, mut x) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..rows {
        let i = rng.random_range(0..n);
        let j = (i + rng.random_range(1..n)) % n;
        let xv: f64 = rng.random::<f64>() - 0.5;
        let z = (i as f64 - j as f64) * 0.1 + 0.8 * xv;
        a.push(i);
        b.push(j);
        p.push(if rng.random::<f64>() < 1.0 / (1.0 + (-z).exp()) {
            1.0
        } else {
            0.0
        });
        t.push(0u8);
        x.push(xv);
    }
    let c = ComparisonsRef {
        n_items: n as usize,
        a: &a,
        b: &b,
        p: &p,
        tie: &t,
        weight: None,
    };
    let o = ContextualOptions::default();
    let f1 = pool(1).install(|| contextual::fit(&c, &x, 1, &o).unwrap());
    let f3 = pool(3).install(|| contextual::fit(&c, &x, 1, &o).unwrap());
    assert_eq!(f1, f3);
    assert!(
        f1.converged && (f1.beta[0] - 0.8).abs() < 0.05,
        "{:?}",
        f1.beta
    );
    assert!(matches!(
        contextual::fit(&c, &x[1..], 1, &o),
        Err(Error::LengthMismatch { .. })
    ));
}

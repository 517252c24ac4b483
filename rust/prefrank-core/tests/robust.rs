//! Tests of rank::robust: label-noise EM, robust BTL recovery, batched curation, fragility.
#![allow(clippy::needless_range_loop)]

use prefrank_core::data::ComparisonsRef;
use prefrank_core::par::chunk_rng;
use prefrank_core::rank::bt::Cells;
use prefrank_core::rank::robust::curate::{curate_scores, CurateOptions, PairMode};
use prefrank_core::rank::robust::fragility::{fragility, FragilityOptions};
use prefrank_core::rank::robust::matrix::{robust_btl, MatrixOptions};
use prefrank_core::rank::robust::noise::{label_noise, NoiseOptions};
use prefrank_core::Error;
use rand::RngExt;

fn sig(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

struct Sim {
    n: usize,
    a: Vec<u32>,
    b: Vec<u32>,
    p: Vec<f64>,
    tie: Vec<u8>,
    judge: Vec<u32>,
    flipped: Vec<bool>,
}

fn simulate(n: usize, rows: usize, eps: &[f64], seed: u64) -> (Vec<f64>, Sim) {
    let mut rng = chunk_rng(seed, 0);
    let theta: Vec<f64> = (0..n).map(|k| 2.0 * (k as f64) / n as f64 - 1.0).collect();
    let mut s = Sim {
        n,
        a: vec![],
        b: vec![],
        p: vec![],
        tie: vec![],
        judge: vec![],
        flipped: vec![],
    };
    for _ in 0..rows {
        let a = rng.random_range(0..n as u32);
        let mut b = rng.random_range(0..n as u32 - 1);
        if b >= a {
            b += 1;
        }
        let g = rng.random_range(0..eps.len() as u32);
        let mut win = rng.random::<f64>() < sig(theta[a as usize] - theta[b as usize]);
        let flip = rng.random::<f64>() < eps[g as usize];
        if flip {
            win = !win;
        }
        s.a.push(a);
        s.b.push(b);
        s.p.push(if win { 1.0 } else { 0.0 });
        s.tie.push(0);
        s.judge.push(g);
        s.flipped.push(flip);
    }
    (theta, s)
}

fn cref(s: &Sim) -> ComparisonsRef<'_> {
    ComparisonsRef {
        n_items: s.n,
        a: &s.a,
        b: &s.b,
        p: &s.p,
        tie: &s.tie,
        weight: None,
    }
}

#[test]
fn noise_recovers_judge_flip_rates() {
    let eps = [0.02, 0.3];
    let (theta, s) = simulate(10, 40_000, &eps, 1);
    let f = label_noise(&cref(&s), Some(&s.judge), 2, &NoiseOptions::default()).unwrap();
    assert!(f.converged);
    for g in 0..2 {
        assert!(
            (f.judge_epsilon[g] - eps[g]).abs() < 0.03,
            "{:?}",
            f.judge_epsilon
        );
        assert!(f.judge_lo[g] <= f.judge_epsilon[g] && f.judge_epsilon[g] <= f.judge_hi[g]);
    }
    let pooled = 0.5 * (eps[0] + eps[1]);
    assert!((f.epsilon - pooled).abs() < 0.03, "{}", f.epsilon);
    assert!(f.epsilon_lo < f.epsilon && f.epsilon < f.epsilon_hi);
    // Strength order recovered.
    let corr: f64 = theta.iter().zip(&f.theta).map(|(a, b)| a * b).sum();
    assert!(corr > 0.0);
    for k in 1..10 {
        assert!(f.theta[k] > f.theta[k - 1] - 0.15, "{:?}", f.theta);
    }
    // Flipped rows have lower posterior on average.
    let (mut pf, mut nf, mut pk, mut nk) = (0.0, 0.0, 0.0, 0.0);
    for r in 0..s.a.len() {
        if s.flipped[r] {
            pf += f.posterior[r];
            nf += 1.0;
        } else {
            pk += f.posterior[r];
            nk += 1.0;
        }
    }
    assert!(pf / nf < pk / nk - 0.05, "{} {}", pf / nf, pk / nk);
}

#[test]
fn noise_without_judges_and_errors() {
    let (_, s) = simulate(5, 3000, &[0.1], 2);
    let f = label_noise(&cref(&s), None, 0, &NoiseOptions::default()).unwrap();
    assert_eq!(f.judge_epsilon.len(), 1);
    assert!(f.epsilon > 0.02 && f.epsilon < 0.25, "{}", f.epsilon);
    let bad_judge = vec![5u32; s.a.len()];
    assert!(matches!(
        label_noise(&cref(&s), Some(&bad_judge), 2, &NoiseOptions::default()),
        Err(Error::CodeOutOfRange { .. })
    ));
    let short = vec![0u32; 3];
    assert!(matches!(
        label_noise(&cref(&s), Some(&short), 1, &NoiseOptions::default()),
        Err(Error::LengthMismatch { .. })
    ));
    let o = NoiseOptions {
        eps_init: 0.7,
        ..Default::default()
    };
    assert!(matches!(
        label_noise(&cref(&s), None, 0, &o),
        Err(Error::InvalidParameter { .. })
    ));
    let empty = Sim {
        n: 2,
        a: vec![],
        b: vec![],
        p: vec![],
        tie: vec![],
        judge: vec![],
        flipped: vec![],
    };
    assert!(matches!(
        label_noise(&cref(&empty), None, 0, &NoiseOptions::default()),
        Err(Error::Empty { .. })
    ));
}

fn full_cells(theta: &[f64], per_pair: f64) -> Cells {
    let n = theta.len();
    let mut c = Cells {
        n,
        ..Default::default()
    };
    for i in 0..n {
        for j in i + 1..n {
            let p = sig(theta[i] - theta[j]);
            c.i.push(i as u32);
            c.j.push(j as u32);
            c.x.push((per_pair * p).round());
            c.y.push(per_pair - (per_pair * p).round());
            c.t.push(0.0);
        }
    }
    c
}

#[test]
fn robust_btl_flags_corrupted_entries() {
    let n = 30;
    let theta: Vec<f64> = (0..n).map(|k| 3.0 * k as f64 / n as f64).collect();
    let mut c = full_cells(&theta, 50.0);
    // Corrupt: the top item (n-1) loses all its games against 6 opponents.
    let mut corrupted = vec![];
    for k in 0..c.len() {
        if c.j[k] as usize == n - 1 && (c.i[k] as usize) >= n - 7 {
            c.x[k] = 50.0;
            c.y[k] = 0.0;
            corrupted.push(k);
        }
    }
    let f = robust_btl(&c, &MatrixOptions::default()).unwrap();
    assert!(f.converged);
    for &k in &corrupted {
        assert!(f.corrupted[k], "entry {k} not flagged");
    }
    let flagged = f.corrupted.iter().filter(|&&b| b).count();
    assert!(flagged <= corrupted.len() + 5, "{flagged}");
    let top = (0..n)
        .max_by(|&a, &b| f.theta[a].total_cmp(&f.theta[b]))
        .unwrap();
    assert_eq!(top, n - 1);
    let mean = theta.iter().sum::<f64>() / n as f64;
    for k in 0..n {
        assert!(
            (f.theta[k] - (theta[k] - mean)).abs() < 0.35,
            "{k} {:?}",
            f.theta
        );
    }
}

#[test]
fn robust_btl_too_few_observed() {
    let theta: Vec<f64> = (0..20).map(|k| k as f64 * 0.1).collect();
    let full = full_cells(&theta, 10.0);
    // Keep a path only: connected, but degree < 3.
    let mut c = Cells {
        n: 20,
        ..Default::default()
    };
    for k in 0..full.len() {
        if full.j[k] == full.i[k] + 1 {
            c.i.push(full.i[k]);
            c.j.push(full.j[k]);
            c.x.push(full.x[k]);
            c.y.push(full.y[k]);
            c.t.push(0.0);
        }
    }
    let e = robust_btl(&c, &MatrixOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::NotIdentifiable { .. }));
    assert!(
        msg.contains("fraction 0.1000") && msg.contains("at least 3"),
        "{msg}"
    );
    let o = MatrixOptions {
        threshold: -1.0,
        ..Default::default()
    };
    assert!(matches!(
        robust_btl(&full, &o),
        Err(Error::InvalidParameter { .. })
    ));
}

fn sim_scores(prompts: usize, resp: usize, eps: &[f64], seed: u64) -> Vec<f64> {
    let nj = eps.len();
    let mut rng = chunk_rng(seed, 0);
    let mut s = vec![0.0; prompts * resp * nj];
    for p in 0..prompts {
        let q: Vec<f64> = (0..resp).map(|_| 2.0 * rng.random::<f64>()).collect();
        for r in 0..nj {
            // Judges see the truth but swap pairs of responses at a rate tied to eps.
            let mut sc = q.clone();
            for a in 0..resp {
                for b in a + 1..resp {
                    if rng.random::<f64>() < eps[r] / (resp as f64 - 1.0) {
                        sc.swap(a, b);
                    }
                }
            }
            for a in 0..resp {
                s[(p * resp + a) * nj + r] = sc[a];
            }
        }
    }
    s
}

#[test]
fn curate_orders_noisy_judges_and_is_thread_invariant() {
    let eps = [0.02, 0.4, 0.05];
    let s = sim_scores(3000, 6, &eps, 3);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| curate_scores(&s, 3000, 6, 3, &CurateOptions::default()).unwrap())
    };
    let a = run(1);
    let b = run(3);
    assert_eq!(a, b);
    assert!(a.converged);
    assert!(
        a.judge_epsilon[1] > a.judge_epsilon[0] + 0.05,
        "{:?}",
        a.judge_epsilon
    );
    assert!(
        a.judge_epsilon[1] > a.judge_epsilon[2] + 0.05,
        "{:?}",
        a.judge_epsilon
    );
    assert!(a.weight.iter().all(|&w| (0.5..=1.0).contains(&w)));
    assert!(a.epsilon > 0.0 && a.epsilon < 0.5);
    assert_eq!(a.prompt.len(), a.chosen.len());
    assert!(a
        .chosen
        .iter()
        .zip(&a.rejected)
        .all(|(c, r)| c != r && *c < 6 && *r < 6));
    let bw = curate_scores(
        &s,
        3000,
        6,
        3,
        &CurateOptions {
            pairs: PairMode::BestWorst,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(bw.prompt.len() <= 3000 && bw.prompt.len() > 2900);
}

#[test]
fn curate_missing_and_errors() {
    let mut s = sim_scores(10, 4, &[0.1, 0.1], 4);
    // Prompt 0: response 3 never scored.
    s[3 * 2] = f64::NAN;
    s[3 * 2 + 1] = f64::NAN;
    let r = curate_scores(&s, 10, 4, 2, &CurateOptions::default()).unwrap();
    assert!(r.theta[3].is_nan());
    assert!(r
        .prompt
        .iter()
        .zip(&r.chosen)
        .zip(&r.rejected)
        .all(|((&p, &c), &j)| p != 0 || (c != 3 && j != 3)));
    assert!(matches!(
        curate_scores(&s, 10, 5, 2, &CurateOptions::default()),
        Err(Error::LengthMismatch { .. })
    ));
    s[7] = f64::INFINITY;
    assert!(matches!(
        curate_scores(&s, 10, 4, 2, &CurateOptions::default()),
        Err(Error::NonFinite { row: 0, .. })
    ));
    assert!(matches!(
        curate_scores(&[], 0, 4, 2, &CurateOptions::default()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        curate_scores(&[0.0; 2], 1, 1, 2, &CurateOptions::default()),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn fragility_finds_a_confirmed_flip() {
    // Item 0 narrowly ahead of item 1.
    let mut c = Cells {
        n: 3,
        ..Default::default()
    };
    for &(i, j, x, y) in &[
        (0u32, 1u32, 11.0, 10.0),
        (0, 2, 20.0, 10.0),
        (1, 2, 20.0, 10.0),
    ] {
        c.i.push(i);
        c.j.push(j);
        c.x.push(x);
        c.y.push(y);
        c.t.push(0.0);
    }
    let f = fragility(&c, None, None, &FragilityOptions::default()).unwrap();
    assert!(f.found);
    assert_eq!(f.top_before, 0);
    assert_ne!(f.top_after, 0);
    assert!(
        !f.removed.is_empty() && f.removed.len() <= 2,
        "{:?}",
        f.removed
    );
    // Flipping 0 above 2 takes more removals than overtaking by 1.
    let p = fragility(&c, None, Some((2, 0)), &FragilityOptions::default()).unwrap();
    assert!(p.found && p.removed.len() > f.removed.len());
    // With at most one removable comparison per cell direction, more cells are needed.
    let cap = vec![1.0; 3];
    let q = fragility(&c, Some((&cap, &cap)), None, &FragilityOptions::default()).unwrap();
    assert!(q.found);
    let mut seen = std::collections::HashSet::new();
    assert!(q.removed.iter().all(|r| seen.insert((r.cell, r.i_won))));
    assert!(matches!(
        fragility(&c, None, Some((0, 0)), &FragilityOptions::default()),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn fragility_rejects_too_many_items_and_one_item() {
    let big = Cells {
        n: prefrank_core::rank::bt::NEWTON_MAX_ITEMS + 1,
        ..Default::default()
    };
    assert!(matches!(
        fragility(&big, None, None, &FragilityOptions::default()),
        Err(Error::InvalidParameter { .. })
    ));
    let one = Cells {
        n: 1,
        ..Default::default()
    };
    assert!(matches!(
        fragility(&one, None, None, &FragilityOptions::default()),
        Err(Error::NotIdentifiable { .. })
    ));
}

#[test]
fn robust_btl_completes_missing_entries() {
    // Every third pair missing: strengths still recovered from the observed ones.
    let n = 24;
    let theta: Vec<f64> = (0..n).map(|k| 2.0 * k as f64 / n as f64).collect();
    let full = full_cells(&theta, 40.0);
    let mut c = Cells {
        n,
        ..Default::default()
    };
    for k in 0..full.len() {
        if k % 3 != 0 {
            c.i.push(full.i[k]);
            c.j.push(full.j[k]);
            c.x.push(full.x[k]);
            c.y.push(full.y[k]);
            c.t.push(0.0);
        }
    }
    let f = robust_btl(&c, &MatrixOptions::default()).unwrap();
    let mean = theta.iter().sum::<f64>() / n as f64;
    for k in 0..n {
        assert!(
            (f.theta[k] - (theta[k] - mean)).abs() < 0.3,
            "{k} {:?}",
            f.theta
        );
    }
}

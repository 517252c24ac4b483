//! Batched curation from pairwise judgments (`curate_pairs`).

use prefrank_core::par::chunk_rng;
use prefrank_core::rank::robust::curate::{
    curate_pairs, curate_scores, CurateOptions, Curated, PairMode, PairVotes,
};
use prefrank_core::Error;
use rand::RngExt;

/// Integer scores (many ties); the last responses of some prompts are unscored by every judge (at
/// least two scored per prompt), so that a prompt's responses are its first ones.
fn scores(prompts: usize, resp: usize, nj: usize, seed: u64) -> Vec<f64> {
    let mut rng = chunk_rng(seed, 0);
    let mut s = vec![0.0; prompts * resp * nj];
    for p in 0..prompts {
        let q: Vec<f64> = (0..resp).map(|_| 3.0 * rng.random::<f64>()).collect();
        let cut = if rng.random::<f64>() < 0.3 {
            2 + (rng.random::<f64>() * (resp - 2) as f64) as usize
        } else {
            resp
        };
        for a in 0..resp {
            let missing = a >= cut;
            for r in 0..nj {
                let noisy = q[a] + (r as f64 + 0.5) * rng.random::<f64>();
                s[(p * resp + a) * nj + r] = if missing { f64::NAN } else { noisy.round() };
            }
        }
    }
    s
}

/// Rows `(prompt, a, b, judge, vote)` implied by a score tensor: every pair both scored by a judge.
type Rows = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<u32>, Vec<i8>);
fn implied(s: &[f64], prompts: usize, resp: usize, nj: usize, swap: bool) -> Rows {
    let mut out: Rows = Default::default();
    for p in 0..prompts {
        for a in 0..resp {
            for b in a + 1..resp {
                for r in 0..nj {
                    let (u, v) = (s[(p * resp + a) * nj + r], s[(p * resp + b) * nj + r]);
                    if u.is_nan() || v.is_nan() {
                        continue;
                    }
                    let vote = if u > v {
                        1
                    } else if u < v {
                        -1
                    } else {
                        0
                    };
                    // Present some rows as (b, a) with the vote reversed.
                    let flip = swap && (p + a + b + r) % 2 == 1;
                    out.0.push(p as u32);
                    out.1.push(if flip { b } else { a } as u32);
                    out.2.push(if flip { a } else { b } as u32);
                    out.3.push(r as u32);
                    out.4.push(if flip { -vote } else { vote });
                }
            }
        }
    }
    out
}

fn votes<'a>(r: &'a Rows, prompts: usize, items: usize, nj: usize) -> PairVotes<'a> {
    PairVotes {
        prompt: &r.0,
        a: &r.1,
        b: &r.2,
        judge: &r.3,
        vote: &r.4,
        n_prompts: prompts,
        n_items: items,
        n_judges: nj,
    }
}

/// Bitwise equality (NaN strengths of padded responses compare equal).
fn same(a: &Curated, b: &Curated) -> bool {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    a.prompt == b.prompt
        && a.chosen == b.chosen
        && a.rejected == b.rejected
        && bits(&a.weight) == bits(&b.weight)
        && bits(&a.theta) == bits(&b.theta)
        && bits(&a.judge_epsilon) == bits(&b.judge_epsilon)
        && a.judge_votes == b.judge_votes
        && a.label_epsilon.to_bits() == b.label_epsilon.to_bits()
        && a.epsilon.to_bits() == b.epsilon.to_bits()
        && (a.iterations, a.converged) == (b.iterations, b.converged)
}

#[test]
fn pairwise_verdicts_implied_by_scores_give_the_score_fit_exactly() {
    let (np, nr, nj) = (3000, 6, 3);
    let s = scores(np, nr, nj, 7);
    let rows = implied(&s, np, nr, nj, true);
    for pairs in [PairMode::All, PairMode::BestWorst] {
        let o = CurateOptions {
            pairs,
            ..Default::default()
        };
        let a = curate_scores(&s, np, nr, nj, &o).unwrap();
        let b = curate_pairs(&votes(&rows, np, nr, nj), &o).unwrap();
        assert_eq!(b.n_resp, nr);
        // Every response is scored in at least one pair here, so local codes are the responses.
        assert!(b.items.chunks(nr).all(|it| it
            .iter()
            .enumerate()
            .all(|(k, &x)| x == k as u32 || x == u32::MAX)));
        assert!(same(&a, &b.curated));
        assert!(a.iterations > 2);
    }
}

#[test]
fn curate_pairs_is_thread_and_row_order_invariant() {
    let (np, nr, nj) = (2500, 5, 3);
    let s = scores(np, nr, nj, 11);
    let rows = implied(&s, np, nr, nj, false);
    let run = |threads: usize, r: &Rows| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| curate_pairs(&votes(r, np, nr, nj), &CurateOptions::default()).unwrap())
    };
    let a = run(1, &rows);
    let b = run(3, &rows);
    assert!(same(&a.curated, &b.curated) && a.items == b.items);
    let n = rows.0.len();
    let perm: Vec<usize> = (0..n).map(|i| (i * 7919 + 13) % n).collect();
    assert!(n % 7919 != 0);
    let shuffled: Rows = (
        perm.iter().map(|&i| rows.0[i]).collect(),
        perm.iter().map(|&i| rows.1[i]).collect(),
        perm.iter().map(|&i| rows.2[i]).collect(),
        perm.iter().map(|&i| rows.3[i]).collect(),
        perm.iter().map(|&i| rows.4[i]).collect(),
    );
    let c = run(2, &shuffled);
    assert_eq!(c.items, a.items);
    assert!(same(&c.curated, &a.curated));
}

#[test]
fn repeated_votes_of_a_judge_count_separately() {
    // One prompt, responses with codes 10 and 20 (local 0 and 1), judge 0 votes three times for 10
    // and once for 20; judge 1 once for 20.
    let rows: Rows = (
        vec![0; 5],
        vec![10, 20, 10, 20, 10],
        vec![20, 10, 20, 10, 20],
        vec![0, 0, 0, 0, 1],
        vec![1, 1, 1, -1, -1],
    );
    let o = CurateOptions {
        max_iter: 1,
        min_weight: 0.0,
        ..Default::default()
    };
    let r = curate_pairs(&votes(&rows, 1, 21, 2), &o).unwrap();
    assert_eq!(r.items, vec![10, 20]);
    assert_eq!(r.curated.judge_votes, vec![4.0, 1.0]);
    // Judge 0 net +2 (first preferred twice more), judge 1 net -1, one prompt, one pair.
    let c = &r.curated;
    let lo: Vec<f64> = c
        .judge_epsilon
        .iter()
        .map(|e| ((1.0 - e) / e).ln())
        .collect();
    let z = c.theta[0] - c.theta[1] + 2.0 * lo[0] - lo[1];
    assert_eq!(c.chosen, vec![if z > 0.0 { 0 } else { 1 }]);
    assert!((c.weight[0] - 1.0 / (1.0 + (-z.abs()).exp())).abs() < 1e-12);
}

#[test]
fn ties_only_and_padding() {
    // Prompt 0: 3 responses with one decisive vote; prompt 1: 2 responses, a tie only.
    let rows: Rows = (
        vec![0, 0, 1],
        vec![0, 1, 2],
        vec![1, 2, 3],
        vec![0, 0, 0],
        vec![1, -1, 0],
    );
    let r = curate_pairs(&votes(&rows, 2, 4, 1), &CurateOptions::default()).unwrap();
    assert_eq!(r.n_resp, 3);
    assert_eq!(r.items, vec![0, 1, 2, 2, 3, u32::MAX]);
    assert!(r.curated.theta[5].is_nan());
    assert!(r.curated.theta[3].is_finite());
    assert!(r.curated.prompt.iter().all(|&p| p == 0));
    assert_eq!(r.curated.judge_votes, vec![2.0]);
}

#[test]
fn curate_pairs_errors() {
    let ok: Rows = (vec![0, 0], vec![0, 1], vec![1, 2], vec![0, 0], vec![1, 0]);
    let o = CurateOptions::default();
    let run = |r: &Rows, np: usize, ni: usize, nj: usize| curate_pairs(&votes(r, np, ni, nj), &o);
    assert!(run(&ok, 1, 3, 1).is_ok());
    let empty: Rows = Default::default();
    assert!(matches!(run(&empty, 1, 3, 1), Err(Error::Empty { .. })));
    let mut short = ok.clone();
    short.3.pop();
    assert!(matches!(
        run(&short, 1, 3, 1),
        Err(Error::LengthMismatch { .. })
    ));
    let mut selfc = ok.clone();
    selfc.2[1] = 1;
    let e = run(&selfc, 1, 3, 1).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("itself"), "{e}");
    let e = run(&ok, 1, 2, 1).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("code 2"), "{e}");
    assert!(run(&ok, 0, 3, 1).is_err());
    assert!(run(&ok, 1, 3, 0).is_err());
    let e = run(&ok, 1, 3, 11).unwrap_err().to_string();
    assert!(e.contains("1 to 10 judges"), "{e}");
    let mut badv = ok.clone();
    badv.4[0] = 2;
    let e = run(&badv, 1, 3, 1).unwrap_err().to_string();
    assert!(e.contains("row 0") && e.contains("vote 2"), "{e}");
    let bad_o = CurateOptions {
        alpha: 0.0,
        ..Default::default()
    };
    assert!(curate_pairs(&votes(&ok, 1, 3, 1), &bad_o).is_err());
    // 256 responses in one prompt.
    let n = 256u32;
    let big: Rows = (
        vec![0; n as usize - 1],
        (0..n - 1).collect(),
        (1..n).collect(),
        vec![0; n as usize - 1],
        vec![1; n as usize - 1],
    );
    let e = run(&big, 1, n as usize, 1).unwrap_err().to_string();
    assert!(e.contains("256 responses"), "{e}");
    // One judge voting 400 times on one pair: too many patterns.
    let many: Rows = (
        vec![0; 400],
        vec![0; 400],
        vec![1; 400],
        vec![0; 400],
        vec![1; 400],
    );
    let e = run(&many, 1, 2, 1).unwrap_err().to_string();
    assert!(e.contains("patterns") && e.contains("400"), "{e}");
}

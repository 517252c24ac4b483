//! Property tests of the consistency kernels: invariance under relabelling and row order, agreement
//! between the within-group census and the whole-tournament census, thread-count independence.

use prefrank_core::consistency::{
    census, cluster_ratio_bootstrap, Aggregate, CensusInput, Tournament,
};
use prefrank_core::data::ComparisonsRef;
use proptest::prelude::*;

/// Random judged pairs over `n` items: (a, b, p) with p in {0, 0.5, 1}.
fn rows(n: u32) -> impl Strategy<Value = Vec<(u32, u32, u8)>> {
    prop::collection::vec((0..n, 0..n, 0u8..3), 1..60)
        .prop_map(|v| v.into_iter().filter(|(a, b, _)| a != b).collect::<Vec<_>>())
        .prop_filter("non-empty", |v| !v.is_empty())
}

fn split(v: &[(u32, u32, u8)]) -> (Vec<u32>, Vec<u32>, Vec<f64>, Vec<u8>) {
    let a = v.iter().map(|r| r.0).collect();
    let b = v.iter().map(|r| r.1).collect();
    let p: Vec<f64> = v.iter().map(|r| r.2 as f64 / 2.0).collect();
    let t = p.iter().map(|&x| (x == 0.5) as u8).collect();
    (a, b, p, t)
}

fn one_group_census(
    n: usize,
    a: &[u32],
    b: &[u32],
    p: &[f64],
    t: &[u8],
    agg: Aggregate,
) -> [u64; 4] {
    let g = vec![0u32; a.len()];
    let c = census(&CensusInput {
        comps: ComparisonsRef {
            n_items: n,
            a,
            b,
            p,
            tie: t,
            weight: None,
        },
        group: &g,
        n_groups: 1,
        judge: None,
        aggregate: agg,
        ntr: true,
        examples_per_unit: 0,
    })
    .unwrap();
    [c.triples[0], c.circular[0], c.equivalence[0], c.other[0]]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn census_is_invariant_under_relabelling_and_swaps(v in rows(9), seed in 0u64..1000) {
        let (a, b, p, t) = split(&v);
        let base = one_group_census(9, &a, &b, &p, &t, Aggregate::Majority);
        // A permutation of item codes, a/b swaps (p -> 1 - p) and reversed row order.
        let perm: Vec<u32> = (0..9u32).map(|i| ((i as u64 * 4 + seed) % 9) as u32).collect();
        let mut a2 = Vec::new();
        let mut b2 = Vec::new();
        let mut p2 = Vec::new();
        let mut t2 = Vec::new();
        for r in (0..a.len()).rev() {
            if (r as u64 + seed) % 2 == 0 {
                a2.push(perm[b[r] as usize]);
                b2.push(perm[a[r] as usize]);
                p2.push(1.0 - p[r]);
            } else {
                a2.push(perm[a[r] as usize]);
                b2.push(perm[b[r] as usize]);
                p2.push(p[r]);
            }
            t2.push(t[r]);
        }
        prop_assert_eq!(base, one_group_census(9, &a2, &b2, &p2, &t2, Aggregate::Majority));
    }

    #[test]
    fn one_group_census_equals_tournament_census(v in rows(10)) {
        let (a, b, p, t) = split(&v);
        for agg in [Aggregate::Majority, Aggregate::Unanimous, Aggregate::Probability { margin: 0.0 }] {
            let within = one_group_census(10, &a, &b, &p, &t, agg);
            let tour = Tournament::from_comparisons(
                &ComparisonsRef { n_items: 10, a: &a, b: &b, p: &p, tie: &t, weight: None },
                agg,
            )
            .unwrap()
            .census();
            prop_assert_eq!(within, [tour.triples, tour.circular, tour.equivalence, tour.other]);
        }
    }

    #[test]
    fn feedback_order_is_a_permutation_and_exact_is_best(v in rows(8)) {
        let (a, b, p, t) = split(&v);
        let c = ComparisonsRef { n_items: 8, a: &a, b: &b, p: &p, tie: &t, weight: None };
        let tour = Tournament::from_comparisons(&c, Aggregate::Majority).unwrap();
        let (exact, is_exact) = tour.feedback_order(20, 10).unwrap();
        let (heur, _) = tour.feedback_order(0, 10).unwrap();
        prop_assert!(is_exact);
        let mut sorted = exact.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..8u32).collect::<Vec<_>>());
        prop_assert!(tour.backward_arcs(&exact) <= tour.backward_arcs(&heur));
    }
}

#[test]
fn tournament_and_bootstrap_do_not_depend_on_thread_count() {
    let n = 300usize;
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut p = Vec::new();
    let mut state = 99u64;
    for i in 0..n as u32 {
        for j in i + 1..n as u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (state >> 60) < 8 {
                a.push(i);
                b.push(j);
                p.push([0.0, 0.5, 1.0][(state >> 33) as usize % 3]);
            }
        }
    }
    let t: Vec<u8> = p.iter().map(|&x| (x == 0.5) as u8).collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let c = ComparisonsRef {
                    n_items: n,
                    a: &a,
                    b: &b,
                    p: &p,
                    tie: &t,
                    weight: None,
                };
                let tour = Tournament::from_comparisons(&c, Aggregate::Majority).unwrap();
                let census = tour.census();
                let order = tour.feedback_order(20, 5).unwrap();
                let num: Vec<f64> = (0..500).map(|k| (k % 7) as f64).collect();
                let den: Vec<f64> = (0..500).map(|k| 7.0 + (k % 3) as f64).collect();
                let boot = cluster_ratio_bootstrap(&num, &den, 1, 64, 3).unwrap();
                (
                    census.triples,
                    census.circular,
                    census.other,
                    order,
                    tour.components(),
                    boot,
                )
            })
    };
    let one = run(1);
    assert!(one.1 > 0);
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
}

#[test]
fn error_paths() {
    use prefrank_core::Error;
    assert!(matches!(
        Aggregate::parse("mean", 0.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(Aggregate::parse("majority", 0.5).is_err());
    assert!(Aggregate::parse("probability", f64::NAN).is_err());
    let (a, b, p, t) = (vec![0u32, 1], vec![1u32, 2], vec![1.0, 0.0], vec![0u8, 0]);
    let comps = ComparisonsRef {
        n_items: 3,
        a: &a,
        b: &b,
        p: &p,
        tie: &t,
        weight: None,
    };
    let base = CensusInput {
        comps,
        group: &[0, 0],
        n_groups: 1,
        judge: None,
        aggregate: Aggregate::Majority,
        ntr: false,
        examples_per_unit: 0,
    };
    assert!(census(&base).is_ok());
    let short = CensusInput {
        group: &[0],
        ..base
    };
    assert!(matches!(census(&short), Err(Error::LengthMismatch { .. })));
    let bad_judge = CensusInput {
        judge: Some(&[0]),
        ..base
    };
    assert!(matches!(
        census(&bad_judge),
        Err(Error::LengthMismatch { .. })
    ));
    let out_of_range = CensusInput {
        group: &[0, 3],
        ..base
    };
    assert!(matches!(
        census(&out_of_range),
        Err(Error::CodeOutOfRange {
            row: 1,
            code: 3,
            ..
        })
    ));
    let nan = [1.0, f64::NAN];
    let bad_p = CensusInput {
        comps: ComparisonsRef { p: &nan, ..comps },
        ..base
    };
    assert!(matches!(
        census(&bad_p),
        Err(Error::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        Tournament::from_matrix(2, &[0.0; 3], None, Aggregate::Majority),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        Tournament::from_matrix(
            2,
            &[0.0, f64::INFINITY, 0.0, 0.0],
            None,
            Aggregate::Majority
        ),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        Tournament::from_matrix(2, &[0.0; 4], Some(&[0.0; 3]), Aggregate::Majority),
        Err(Error::LengthMismatch { .. })
    ));
    let t = Tournament::from_matrix(2, &[0.0, 1.0, 0.0, 0.0], None, Aggregate::Majority).unwrap();
    assert!(t.feedback_order(25, 1).is_err());
    assert!(Tournament::from_matrix(20_001, &[], None, Aggregate::Majority).is_err());
}

//! Property tests of the agreement kernels: chunked/parallel accumulation equals a naive pass,
//! merging is order-free, and results do not depend on the thread count.

use prefrank_core::agreement::{
    alpha, bootstrap, kappa, models, Coefficient, Coincidence, Metric, UnitTable, Weights, MISSING,
};
use proptest::prelude::*;

fn codes_strategy() -> impl Strategy<Value = (Vec<u32>, usize, usize)> {
    (1usize..6, 1usize..5, 1usize..40).prop_flat_map(|(r, k, u)| {
        (
            proptest::collection::vec(prop_oneof![1 => Just(MISSING), 3 => 0..k as u32], r * u),
            Just(r),
            Just(k),
        )
    })
}

/// Naive coincidence matrix straight from the definition.
fn naive(codes: &[u32], r: usize, k: usize) -> Vec<f64> {
    let u = codes.len() / r;
    let mut o = vec![0.0; k * k];
    for j in 0..u {
        let vals: Vec<u32> = (0..r)
            .map(|i| codes[i * u + j])
            .filter(|&c| c != MISSING)
            .collect();
        let m = vals.len();
        if m < 2 {
            continue;
        }
        for a in 0..m {
            for b in 0..m {
                if a != b {
                    o[vals[a] as usize * k + vals[b] as usize] += 1.0 / (m as f64 - 1.0);
                }
            }
        }
    }
    o
}

proptest! {
    #[test]
    fn coincidence_matches_definition((codes, r, k) in codes_strategy()) {
        let s = Coincidence::from_codes(&codes, r, k).unwrap();
        for (x, y) in s.matrix().iter().zip(naive(&codes, r, k)) {
            prop_assert!((x - y).abs() < 1e-9);
        }
        // Split the units anywhere and merge: the same statistic.
        let u = codes.len() / r;
        let cut = u / 2;
        let part = |lo: usize, hi: usize| {
            let c: Vec<u32> = (0..r).flat_map(|i| codes[i * u + lo..i * u + hi].to_vec()).collect();
            Coincidence::from_codes(&c, r, k).unwrap()
        };
        let m = part(cut, u).merge(part(0, cut)).unwrap();
        for (x, y) in m.matrix().iter().zip(s.matrix()) {
            prop_assert!((x - y).abs() < 1e-9);
        }
        prop_assert_eq!(m.n_pairable_units, s.n_pairable_units);
        let a = alpha(&s, &Metric::Nominal).unwrap();
        prop_assert!(a.alpha.is_nan() || a.alpha <= 1.0 + 1e-12);
    }

    #[test]
    fn percent_agreement_is_a_share((codes, r, k) in codes_strategy()) {
        let t = UnitTable::from_codes(&codes, r, k).unwrap();
        let p = t.coefficient(Coefficient::Percent, &Weights::Identity).unwrap();
        prop_assert!(p.value.is_nan() || (-1e-12..=1.0 + 1e-12).contains(&p.value));
    }
}

fn big(r: usize, u: usize, k: u32) -> Vec<u32> {
    let mut x: u64 = 99;
    (0..r * u)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (x >> 62) == 0 {
                MISSING
            } else {
                ((x >> 33) % k as u64) as u32
            }
        })
        .collect()
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let (r, u, k) = (7, 100_003, 4);
    let codes = big(r, u, k as u32);
    let run = |threads: usize| {
        in_pool(threads, || {
            let s = Coincidence::from_codes(&codes, r, k).unwrap();
            let a = alpha(&s, &Metric::Interval(vec![0.0, 1.0, 2.0, 5.0]))
                .unwrap()
                .alpha;
            let t = UnitTable::from_codes(&codes, r, k).unwrap();
            let f = t
                .coefficient(Coefficient::Fleiss, &Weights::Quadratic)
                .unwrap()
                .value;
            let (rm, _) =
                kappa::rater_matrix(&codes, r, k, Coefficient::Cohen, &Weights::Linear).unwrap();
            let counts = prefrank_core::agreement::unit_counts(&codes, r, k).unwrap();
            let b = bootstrap::units_bootstrap(&counts, k, &Metric::Nominal, 20, 5).unwrap();
            let labels: Vec<u8> = codes.iter().map(|&c| (c % 7) as u8).collect();
            let d = models::disagreement_u8(&labels, r).unwrap();
            (s.matrix().to_vec(), a, f, rm, b, d)
        })
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one.0, four.0);
    assert_eq!(one.1.to_bits(), four.1.to_bits());
    assert_eq!(one.2.to_bits(), four.2.to_bits());
    assert_eq!(one.3, four.3);
    assert_eq!(one.4, four.4);
    assert_eq!(one.5, four.5);
}

#[test]
fn fused_float_path_rebases_chunk_ranges() {
    // Three raters, 60,000 units: chunks see different value ranges, one chunk is all missing,
    // and the last chunk adds a far value that forces a wider union range.
    let (r, u) = (3, 60_000);
    let mut x = vec![f64::NAN; r * u];
    for i in 0..r {
        for j in 0..u {
            let v = match j {
                0..=16_383 => ((i + j) % 3) as f64 + 1.0,
                16_384..=32_767 => f64::NAN,
                _ => ((i * 7 + j) % 5) as f64 + 5.0 + if j == u - 1 { 30.0 } else { 0.0 },
            };
            if (i + j) % 4 != 0 {
                x[i * u + j] = v;
            }
        }
    }
    let (fused, labels) = Coincidence::from_f64(&x, r).unwrap();
    let (codes, labels2) = prefrank_core::agreement::code_f64(&x, u).unwrap();
    let coded = Coincidence::from_codes(&codes, r, labels2.len()).unwrap();
    assert_eq!(labels, labels2);
    assert_eq!(fused.n_units, coded.n_units);
    assert_eq!(fused.n_pairable_units, coded.n_pairable_units);
    for (a, b) in fused.matrix().iter().zip(coded.matrix()) {
        assert!((a - b).abs() < 1e-9);
    }
    // A chunk with a span wider than the direct limit falls back to coding.
    x[0] = 1000.0;
    let (wide, l3) = Coincidence::from_f64(&x, r).unwrap();
    assert_eq!(l3.last(), Some(&1000.0));
    assert_eq!(
        wide.n_values,
        coded.n_values + u64::from(codes[0] == MISSING)
    );
}

#[test]
fn fused_float_path_is_thread_count_independent_and_matches_codes() {
    // Packed lanes (a 1..6 scale) and the scatter path (11 slots, every other one unused).
    let (r, u) = (9, 200_003);
    let codes = big(r, u, 6);
    let narrow: Vec<f64> = codes
        .iter()
        .map(|&c| {
            if c == MISSING {
                f64::NAN
            } else {
                c as f64 + 1.0
            }
        })
        .collect();
    let wide: Vec<f64> = codes
        .iter()
        .map(|&c| {
            if c == MISSING {
                f64::NAN
            } else {
                c as f64 * 2.0 - 3.0
            }
        })
        .collect();
    let run = |threads: usize| {
        in_pool(threads, || {
            [&narrow, &wide].map(|x| {
                let (s, l) = Coincidence::from_f64(x, r).unwrap();
                let (t, l2) = UnitTable::from_f64(x, r).unwrap();
                assert_eq!(l, l2);
                (s, t, l)
            })
        })
    };
    let one = run(1);
    let four = run(4);
    let coded_s = Coincidence::from_codes(&codes, r, 6).unwrap();
    let coded_t = UnitTable::from_codes(&codes, r, 6).unwrap();
    for ((s1, t1, l1), (s4, t4, l4)) in one.iter().zip(&four) {
        assert_eq!(s1, s4);
        assert_eq!(t1, t4);
        assert_eq!(l1, l4);
        assert_eq!(s1.n_units, coded_s.n_units);
        assert_eq!(s1.n_values, coded_s.n_values);
        assert_eq!(s1.n_pairable_units, coded_s.n_pairable_units);
        for (a, b) in s1.matrix().iter().zip(coded_s.matrix()) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0));
        }
        for coef in [Coefficient::Fleiss, Coefficient::Gwet, Coefficient::Percent] {
            let a = t1.coefficient(coef, &Weights::Identity).unwrap().value;
            let b = coded_t.coefficient(coef, &Weights::Identity).unwrap().value;
            assert!((a - b).abs() < 1e-12, "{coef:?}: {a} vs {b}");
        }
    }
    assert_eq!(one[0].2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(one[1].2, vec![-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]);
}

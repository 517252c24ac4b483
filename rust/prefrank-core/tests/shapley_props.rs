//! Property tests of the semivalue fold and golden textbook games.

use prefrank_core::shapley::{semivalues_from_table, Semivalue};
use proptest::prelude::*;

fn kinds() -> Vec<Semivalue> {
    vec![
        Semivalue::Shapley,
        Semivalue::Banzhaf,
        Semivalue::Beta {
            alpha: 16.0,
            beta: 1.0,
        },
        Semivalue::Beta {
            alpha: 0.5,
            beta: 2.0,
        },
    ]
}

fn table_strategy() -> impl Strategy<Value = Vec<f64>> {
    (1usize..=14).prop_flat_map(|n| prop::collection::vec(-100.0f64..100.0, 1 << n))
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + scale)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn efficiency(t in table_strategy()) {
        let r = semivalues_from_table(&t, &Semivalue::Shapley).unwrap();
        let sum: f64 = r.values.iter().sum();
        prop_assert!(close(sum, t[t.len() - 1] - t[0], 100.0));
        prop_assert!(r.residual.abs() <= 1e-9 * 101.0);
    }

    #[test]
    fn linearity_and_constant_shift(t in table_strategy(), c in -50.0f64..50.0, a in -3.0f64..3.0) {
        let u: Vec<f64> = t.iter().enumerate().map(|(i, x)| (i as f64).sin() * 10.0 - x).collect();
        for kind in kinds() {
            let vt = semivalues_from_table(&t, &kind).unwrap().values;
            let vu = semivalues_from_table(&u, &kind).unwrap().values;
            let mix: Vec<f64> = t.iter().zip(&u).map(|(x, y)| a * x + y).collect();
            let vm = semivalues_from_table(&mix, &kind).unwrap().values;
            let shifted: Vec<f64> = t.iter().map(|x| x + c).collect();
            let vs = semivalues_from_table(&shifted, &kind).unwrap().values;
            for i in 0..vt.len() {
                prop_assert!(close(vm[i], a * vt[i] + vu[i], 1000.0));
                prop_assert!(close(vs[i], vt[i], 1000.0));
            }
        }
    }

    #[test]
    fn symmetry_and_null_player(t in table_strategy().prop_filter("two players", |t| t.len() >= 4)) {
        let len = t.len();
        let n = len.trailing_zeros() as usize;
        // Symmetric in players 0 and 1.
        let swap = |i: usize| (i & !3) | ((i & 1) << 1) | ((i >> 1) & 1);
        let sym: Vec<f64> = (0..len).map(|i| t[i] + t[swap(i)]).collect();
        // The last player is null.
        let half = len / 2;
        let null: Vec<f64> = (0..len).map(|i| if i >= half { t[i - half] } else { t[i] }).collect();
        for kind in kinds() {
            let v = semivalues_from_table(&sym, &kind).unwrap().values;
            prop_assert!(close(v[0], v[1], 200.0));
            let w = semivalues_from_table(&null, &kind).unwrap().values;
            prop_assert!(w[n - 1].abs() <= 1e-9 * 101.0);
        }
    }
}

fn voting(quota: u32, weights: &[u32]) -> Vec<f64> {
    let n = weights.len();
    (0..1usize << n)
        .map(|s| {
            let w: u32 = (0..n).filter(|k| s >> k & 1 == 1).map(|k| weights[k]).sum();
            f64::from(u8::from(w >= quota))
        })
        .collect()
}

fn assert_values(got: &[f64], want: &[f64]) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
    }
}

#[test]
fn textbook_games() {
    // Glove game: player 0 holds a left glove, 1 and 2 right gloves.
    let glove: Vec<f64> = (0..8usize)
        .map(|s| ((s & 1) as f64).min(((s >> 1) & 1) as f64 + ((s >> 2) & 1) as f64))
        .collect();
    let v = semivalues_from_table(&glove, &Semivalue::Shapley).unwrap();
    assert_values(&v.values, &[2.0 / 3.0, 1.0 / 6.0, 1.0 / 6.0]);
    // [51; 50, 49, 1].
    let t = voting(51, &[50, 49, 1]);
    assert_values(
        &semivalues_from_table(&t, &Semivalue::Shapley)
            .unwrap()
            .values,
        &[2.0 / 3.0, 1.0 / 6.0, 1.0 / 6.0],
    );
    assert_values(
        &semivalues_from_table(&t, &Semivalue::Banzhaf)
            .unwrap()
            .values,
        &[0.75, 0.25, 0.25],
    );
    // EEC 1958: Luxembourg is a null player.
    let t = voting(12, &[4, 4, 4, 2, 2, 1]);
    let (a, b) = (14.0 / 60.0, 9.0 / 60.0);
    assert_values(
        &semivalues_from_table(&t, &Semivalue::Shapley)
            .unwrap()
            .values,
        &[a, a, a, b, b, 0.0],
    );
    // UN Security Council.
    let mut w = vec![7u32; 5];
    w.extend([1u32; 10]);
    let t = voting(39, &w);
    let v = semivalues_from_table(&t, &Semivalue::Shapley).unwrap();
    let mut want = vec![421.0 / 2145.0; 5];
    want.extend([4.0 / 2145.0; 10]);
    assert_values(&v.values, &want);
    // Airport game with costs 1, 2, 3.
    let costs = [1.0, 2.0, 3.0];
    let t: Vec<f64> = (0..8usize)
        .map(|s| {
            (0..3)
                .filter(|k| s >> k & 1 == 1)
                .map(|k| costs[k])
                .fold(0.0, f64::max)
        })
        .collect();
    assert_values(
        &semivalues_from_table(&t, &Semivalue::Shapley)
            .unwrap()
            .values,
        &[1.0 / 3.0, 5.0 / 6.0, 11.0 / 6.0],
    );
    // Unanimity game on {1, 3, 4} of 6 players.
    let t: Vec<f64> = (0..64usize)
        .map(|s| f64::from(u8::from(s & 0b11010 == 0b11010)))
        .collect();
    let third = 1.0 / 3.0;
    assert_values(
        &semivalues_from_table(&t, &Semivalue::Shapley)
            .unwrap()
            .values,
        &[0.0, third, 0.0, third, third, 0.0],
    );
    assert_values(
        &semivalues_from_table(&t, &Semivalue::Banzhaf)
            .unwrap()
            .values,
        &[0.0, 0.25, 0.0, 0.25, 0.25, 0.0],
    );
}
